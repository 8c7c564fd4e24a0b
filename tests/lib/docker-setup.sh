#!/bin/sh
# docker-setup.sh: make sure a local Docker engine answers and the offline base image busybox:local exists.
# Run as root. Idempotent: every step first checks whether its work is already done.
# Settings: SB_DOCKER_SOCK (default /var/run/docker.sock), SB_DOCKERD_WAIT (seconds, default 60),
# SB_DOCKERD_LOG (default /tmp/sindri-dockerd.log), SB_DOCKER_CLI (default /usr/bin/docker),
# SB_BASE_IMAGE (default busybox:local).
# Used by .ci/run and by the tests; no image can be pulled here, so the base image is built from busybox-static.
set -eu

SOCK=${SB_DOCKER_SOCK:-/var/run/docker.sock}
WAIT=${SB_DOCKERD_WAIT:-60}
# Debian's client speaks API 1.41 like the packaged dockerd; /usr/local/bin/docker (28.x) wants newer engines
# and buildx.
DOCKER=${SB_DOCKER_CLI:-/usr/bin/docker}
IMAGE=${SB_BASE_IMAGE:-busybox:local}
LOG=${SB_DOCKERD_LOG:-/tmp/sindri-dockerd.log}
apt_updated=no

say() { printf 'docker-setup: %s\n' "$*"; }
die() { printf 'docker-setup: error: %s\n' "$*" >&2; exit 1; }

apt_install() {
	need_root "installing $*"
	if [ "$apt_updated" = no ]; then
		say "apt-get update"
		apt-get update -qq || die "apt-get update failed"
		apt_updated=yes
	fi
	say "apt-get install $*"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null || die "cannot install '$*'"
}

engine_answers() {
	if command -v curl >/dev/null 2>&1; then
		[ "$(curl -s -m 5 --unix-socket "$SOCK" http://localhost/_ping 2>/dev/null)" = OK ]
	else
		"$DOCKER" -H "unix://$SOCK" version >/dev/null 2>&1
	fi
}

# Only installing packages and starting dockerd need root; a ready engine and image do not.
need_root() { [ "$(id -u)" = 0 ] || die "$* needs root: run this script as root"; }

# 1. The engine.
if engine_answers; then
	say "engine answers on $SOCK"
else
	command -v dockerd >/dev/null 2>&1 || apt_install docker.io
	[ -x "$DOCKER" ] || apt_install docker.io
	if pidof dockerd >/dev/null 2>&1; then
		# A second dockerd would only fail on the first one's pid file; it may still be starting up.
		say "dockerd is running but not answering on $SOCK yet; waiting"
	else
		need_root "starting dockerd"
		say "starting dockerd (log in $LOG)"
		# setsid: dockerd must outlive this script and the terminal or CI step that ran it.
		if command -v setsid >/dev/null 2>&1; then
			setsid dockerd -H "unix://$SOCK" >"$LOG" 2>&1 </dev/null &
		else
			nohup dockerd -H "unix://$SOCK" >"$LOG" 2>&1 </dev/null &
		fi
	fi
	i=0
	until engine_answers; do
		if [ "$i" -ge "$WAIT" ]; then
			say "dockerd did not answer on $SOCK within $WAIT s; the end of $LOG:"
			tail -n 30 "$LOG" >&2 2>/dev/null || say "(no log at $LOG)"
			exit 1
		fi
		sleep 1
		i=$((i + 1))
	done
	say "engine answers on $SOCK after ${i}s"
fi

# 2. The base image.
docker() { "$DOCKER" -H "unix://$SOCK" "$@"; }

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
	say "image $IMAGE present"
else
	[ -x /bin/busybox ] || apt_install busybox-static
	# A dynamically linked busybox would need its libraries inside the image.
	if ldd /bin/busybox >/dev/null 2>&1; then
		apt_install busybox-static
	fi
	root=$(mktemp -d /tmp/sindri-rootfs.XXXXXX)
	trap 'rm -rf "$root"' EXIT INT TERM
	say "building a busybox rootfs in $root"
	mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/root" "$root/home/developer" "$root/proc" "$root/sys" "$root/dev"
	chmod 1777 "$root/tmp"
	chmod 700 "$root/root"
	cp /bin/busybox "$root/bin/busybox"
	# Relative links so they resolve inside the container, whatever path the host's busybox has.
	for applet in $(/bin/busybox --list); do
		[ "$applet" = busybox ] || [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
	done
	mkdir -p "$root/usr"
	ln -s ../bin "$root/usr/bin"
	ln -s bin "$root/sbin"
	cat >"$root/etc/passwd" <<-EOF
		root:x:0:0:root:/root:/bin/sh
		developer:x:1000:1000:developer:/home/developer:/bin/sh
	EOF
	cat >"$root/etc/group" <<-EOF
		root:x:0:
		developer:x:1000:
	EOF
	if [ "$(id -u)" = 0 ]; then
		chown 1000:1000 "$root/home/developer"
	fi
	say "importing the rootfs as $IMAGE"
	tar -C "$root" -c . | docker import -c 'CMD ["/bin/sh"]' - "$IMAGE" >/dev/null ||
		die "docker import of '$IMAGE' failed"
fi

out=$(docker run --rm "$IMAGE" sh -c 'echo ok' 2>&1) || die "cannot run '$IMAGE': $out"
[ "$out" = ok ] || die "'$IMAGE' answered '$out' instead of 'ok'"
say "image $IMAGE runs"
