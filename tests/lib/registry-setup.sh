#!/bin/sh
# registry-setup.sh: a private OCI registry for the tests: Debian's docker-registry (distribution 2.8) bound to
# 127.0.0.1, with its config, storage, htpasswd file, log and pid file all under a directory of the caller's.
#   registry-setup.sh start DIR PORT [USER PASSWORD]   start it (with htpasswd Basic auth when USER is given),
#                                                      wait until it answers, print its PID
#   registry-setup.sh stop DIR                         stop the registry started in DIR (TERM, then KILL)
# Installs docker-registry (and apache2-utils for htpasswd) when missing, which needs root. A system-wide registry
# (Debian's package sets one up on :5000) is never used or touched: the caller picks a free port.
# Settings: SB_REGISTRY_WAIT (seconds to wait for it to answer, default 30); SB_REGISTRY_ACCESSLOG=1 logs every
# request in DIR/registry.log (to prove that a command asked the registry nothing).
set -eu
. "$(dirname "$0")/stop-ours.sh"

WAIT=${SB_REGISTRY_WAIT:-30}
apt_updated=no

say() { printf 'registry-setup: %s\n' "$*" >&2; }
die() { printf 'registry-setup: error: %s\n' "$*" >&2; exit 1; }
usage() { die "usage: registry-setup.sh start DIR PORT [USER PASSWORD] | stop DIR"; }

apt_install() {
	[ "$(id -u)" = 0 ] || die "'$1' is missing and installing it needs root: apt-get install -y $1"
	if [ "$apt_updated" = no ]; then
		apt-get update -qq >&2 || die "apt-get update failed"
		apt_updated=yes
	fi
	say "apt-get install $1"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null || die "cannot install '$1'"
}

# answers: the HTTP status of GET /v2/ on the port ("000" when nothing answers).
answers() { curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$1/v2/" 2>/dev/null || true; }

# ours: whether pid is the registry serving DIR's config (a pid file may outlive its process and the pid be reused).
ours() { [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF "$2/config.yml"; }

start() {
	dir=$1 port=$2 user=${3:-} pass=${4:-}
	case "$port" in '' | *[!0-9]*) die "invalid port '$port'" ;; esac
	[ "$port" != 5000 ] || die "port 5000 is the system registry's; pick a free port of your own"
	command -v docker-registry >/dev/null 2>&1 || apt_install docker-registry
	command -v curl >/dev/null 2>&1 || apt_install curl
	[ -z "$user" ] || command -v htpasswd >/dev/null 2>&1 || apt_install apache2-utils
	mkdir -p "$dir/storage"
	dir=$(cd "$dir" && pwd)
	if [ -f "$dir/registry.pid" ] && ours "$(cat "$dir/registry.pid")" "$dir"; then
		die "a registry already runs from '$dir' (pid $(cat "$dir/registry.pid")); stop it first"
	fi
	code=$(answers "$port")
	[ "$code" = 000 ] || die "something already answers on 127.0.0.1:$port (HTTP $code); pick another port"
	cat >"$dir/config.yml" <<-EOF
		version: 0.1
		log:
		  level: warn
		  accesslog:
		    disabled: $([ "${SB_REGISTRY_ACCESSLOG:-0}" = 1 ] && echo false || echo true)
		storage:
		  filesystem:
		    rootdirectory: "$dir/storage"
		  delete:
		    enabled: true
		http:
		  addr: 127.0.0.1:$port
		  secret: sindri-build-test-$$
	EOF
	if [ -n "$user" ]; then
		htpasswd -Bbn "$user" "$pass" >"$dir/htpasswd" 2>/dev/null || die "htpasswd failed"
		cat >>"$dir/config.yml" <<-EOF
			auth:
			  htpasswd:
			    realm: sindri-build-test
			    path: "$dir/htpasswd"
		EOF
	fi
	docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 </dev/null &
	pid=$!
	echo "$pid" >"$dir/registry.pid"
	i=0
	while :; do
		code=$(answers "$port")
		case "$code" in 200 | 401) break ;; esac
		if ! kill -0 "$pid" 2>/dev/null; then
			rm -f "$dir/registry.pid"
			tail -n 20 "$dir/registry.log" >&2 || true
			die "docker-registry exited before answering on 127.0.0.1:$port"
		fi
		if [ "$i" -ge $((WAIT * 5)) ]; then
			kill "$pid" 2>/dev/null || true
			rm -f "$dir/registry.pid"
			tail -n 20 "$dir/registry.log" >&2 || true
			die "docker-registry did not answer on 127.0.0.1:$port within $WAIT s"
		fi
		sleep 0.2
		i=$((i + 1))
	done
	# A registry that lost the race for the port would have exited; a live pid is the one answering.
	kill -0 "$pid" 2>/dev/null || die "docker-registry exited; the port was taken: see '$dir/registry.log'"
	echo "$pid"
}

stop() {
	dir=$(cd "$1" 2>/dev/null && pwd) || exit 0
	[ -f "$dir/registry.pid" ] || exit 0
	stop_ours "$(cat "$dir/registry.pid")" "$dir"
	rm -f "$dir/registry.pid"
}

[ $# -ge 2 ] || usage
case "$1" in
start) [ $# -eq 3 ] || [ $# -eq 5 ] || usage; start "$2" "$3" "${4:-}" "${5:-}" ;;
stop) [ $# -eq 2 ] || usage; stop "$2" ;;
*) usage ;;
esac
