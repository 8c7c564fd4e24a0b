#!/bin/sh
# deps.sh: install what building and testing sindri-build needs on Debian 12, as root. Idempotent.
set -eu
pkgs="make gcc pkg-config libc6-dev libyaml-dev libgit2-dev libcurl4-openssl-dev libxxhash-dev liblua5.4-dev
xxhash ninja-build git curl procps docker.io docker-registry busybox-static apache2-utils clang zsh fish openssl iproute2
strace"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
# cargo builds the example's CLI; use the one on PATH or rustup's, else Debian's
if ! command -v cargo >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/cargo" ]; then
	echo "deps: installing cargo"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends cargo >/dev/null
fi
echo "deps: all installed"
