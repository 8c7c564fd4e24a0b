#!/bin/sh
# engine2-setup.sh: a second, independent Docker engine for the tests (another CI runner, or a remote build host):
# a dockerd whose data root, exec root (and so its own containerd), pid file, socket, config and log all live under
# a directory of the caller's, on a bridge of its own, so the first engine and its docker0 are never touched.
#   engine2-setup.sh start DIR [CERTDIR PORT]  start it, wait until it answers on unix://DIR/docker.sock, print its
#                                              pid; with CERTDIR (ca.pem, server-cert.pem, server-key.pem) and PORT
#                                              it also listens on tcp://127.0.0.1:PORT with --tlsverify
#   engine2-setup.sh stop DIR                  stop the engine started in DIR (TERM, then KILL), remove its bridge
#                                              and everything under DIR it made (the caller removes DIR)
#   engine2-setup.sh certs DIR                 make a CA, a server certificate for 127.0.0.1 and a client
#                                              certificate (P-256 keys) in DIR with openssl: ca.pem, server-cert.pem,
#                                              server-key.pem, cert.pem, key.pem (DOCKER_CERT_PATH=DIR)
# Needs root (dockerd, ip). Never starts dockerd with --bridge=none: such a daemon deletes the first engine's docker0.
# Settings: SB_ENGINE2_WAIT (seconds to wait for it to answer, default 60).
set -eu
. "$(dirname "$0")/stop-ours.sh"

WAIT=${SB_ENGINE2_WAIT:-60}

say() { printf 'engine2-setup: %s\n' "$*" >&2; }
die() { printf 'engine2-setup: error: %s\n' "$*" >&2; exit 1; }
usage() { die "usage: engine2-setup.sh start DIR [CERTDIR PORT] | stop DIR | certs DIR"; }

answers() { [ "$(curl -s -m 2 --unix-socket "$1/docker.sock" http://localhost/_ping 2>/dev/null)" = OK ]; }

# ours: whether pid is the dockerd serving DIR (a pid file may outlive its process and the pid be reused).
ours() { [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF -- "--data-root $2/root"; }

# free_subnet: a 10.x.y.0/24 no interface here uses, derived from our pid so that parallel tests differ.
free_subnet() {
	n=$(($$ % 60000))
	i=0
	while [ "$i" -lt 200 ]; do
		a=$((200 + (n / 250) % 50)) b=$((n % 250 + 1))
		ip -4 -o addr show 2>/dev/null | grep -q " 10\.$a\.$b\." || { echo "10.$a.$b"; return 0; }
		n=$((n + 7919))
		i=$((i + 1))
	done
	die "no free 10.x.y.0/24 subnet for the bridge"
}

start() {
	dir=$1 certs=${2:-} port=${3:-}
	[ "$(id -u)" = 0 ] || die "starting a second dockerd needs root"
	command -v dockerd >/dev/null 2>&1 || die "no dockerd (apt-get install -y docker.io)"
	command -v ip >/dev/null 2>&1 || die "no 'ip' to make the engine's bridge (apt-get install -y iproute2)"
	command -v curl >/dev/null 2>&1 || die "no curl (apt-get install -y curl)"
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	if [ -f "$dir/pid" ] && ours "$(cat "$dir/pid")" "$dir"; then
		die "an engine already runs from '$dir' (pid $(cat "$dir/pid")); stop it first"
	fi
	# A bridge name is at most 15 bytes; the pid keeps parallel tests apart, the file lets stop find it.
	br="sb2br$$"
	net=$(free_subnet)
	ip link add "$br" type bridge 2>"$dir/ip.err" || die "cannot make the bridge '$br': $(cat "$dir/ip.err")"
	echo "$br" >"$dir/bridge"
	ip addr add "$net.1/24" dev "$br" && ip link set "$br" up || die "cannot set up the bridge '$br'"
	mkdir -p "$dir/root" "$dir/exec"
	echo '{}' >"$dir/daemon.json"
	set -- --config-file "$dir/daemon.json" --data-root "$dir/root" --exec-root "$dir/exec" --pidfile "$dir/pid" \
		-H "unix://$dir/docker.sock" --bridge="$br" --iptables=false --ip-masq=false --ip6tables=false
	if [ -n "$certs" ]; then
		for f in ca.pem server-cert.pem server-key.pem; do
			[ -r "$certs/$f" ] || die "cannot read '$certs/$f' (engine2-setup.sh certs DIR makes it)"
		done
		case "$port" in '' | *[!0-9]*) die "invalid port '$port'" ;; esac
		set -- "$@" -H "tcp://127.0.0.1:$port" --tlsverify --tlscacert "$certs/ca.pem" \
			--tlscert "$certs/server-cert.pem" --tlskey "$certs/server-key.pem"
	fi
	# setsid: its own process group, so a test's Ctrl-C reaches it only through stop.
	setsid dockerd "$@" >"$dir/dockerd.log" 2>&1 </dev/null &
	pid=$!
	i=0
	until answers "$dir"; do
		if ! kill -0 "$pid" 2>/dev/null; then
			tail -n 20 "$dir/dockerd.log" >&2 || true
			stop "$dir"
			die "dockerd exited before answering on unix://$dir/docker.sock (its log is above)"
		fi
		if [ "$i" -ge $((WAIT * 10)) ]; then
			tail -n 20 "$dir/dockerd.log" >&2 || true
			stop "$dir"
			die "dockerd did not answer on unix://$dir/docker.sock within $WAIT s"
		fi
		sleep 0.1
		i=$((i + 1))
	done
	echo "$pid"
}

stop() {
	dir=$(cd "$1" 2>/dev/null && pwd) || return 0
	if [ -f "$dir/pid" ]; then
		stop_ours "$(cat "$dir/pid")" "$dir"
	fi
	# A killed dockerd can leave its containerd, and the engine's mounts, behind: end and unmount only ours.
	for p in $(pgrep -f -- "$dir/exec/containerd" 2>/dev/null || true); do
		kill "$p" 2>/dev/null || true
	done
	grep -F " $dir/" /proc/self/mounts | awk '{ print $2 }' | sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null || true
	done
	if [ -f "$dir/bridge" ]; then
		ip link del "$(cat "$dir/bridge")" 2>/dev/null || true
	fi
	rm -rf "$dir/root" "$dir/exec" "$dir/pid" "$dir/bridge" "$dir/docker.sock"
}

certs() {
	dir=$1
	command -v openssl >/dev/null 2>&1 || die "no openssl (apt-get install -y openssl)"
	mkdir -p "$dir"
	cd "$dir"
	ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
	{
		openssl req -x509 $ec -days 2 -subj "/CN=sindri-build test CA" \
			-keyout ca-key.pem -out ca.pem
		openssl req $ec -subj "/CN=127.0.0.1" -keyout server-key.pem -out server.csr
		printf 'subjectAltName = IP:127.0.0.1,DNS:localhost\nextendedKeyUsage = serverAuth\n' >server.ext
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 \
			-extfile server.ext -out server-cert.pem
		openssl req $ec -subj "/CN=client" -keyout key.pem -out client.csr
		printf 'extendedKeyUsage = clientAuth\n' >client.ext
		openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 \
			-extfile client.ext -out cert.pem
	} >openssl.log 2>&1 || { cat openssl.log >&2; die "openssl failed"; }
	rm -f server.csr client.csr server.ext client.ext ca.srl openssl.log
	chmod 600 ca-key.pem server-key.pem key.pem
}

[ $# -ge 2 ] || usage
case "$1" in
start) [ $# -eq 2 ] || [ $# -eq 4 ] || usage; start "$2" "${3:-}" "${4:-}" ;;
stop) [ $# -eq 2 ] || usage; stop "$2" ;;
certs) [ $# -eq 2 ] || usage; certs "$2" ;;
*) usage ;;
esac
