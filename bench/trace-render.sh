#!/bin/sh
# bench/trace-render.sh: render `-t trace --svg` of real runs in a headless Chromium, for a person to look at.
#   sh bench/trace-render.sh [--out DIR]
# Runs examples/mini-sindri's cycle-fast three times in a scratch copy, under image and container names of its
# own: a first build (every task runs, the images' tasks nested under the cycle), one after an extension changed
# (the base is up to date, the dev image is rebuilt) and one whose dev build fails; then writes the last three
# runs as DIR/trace.svg and Chromium's screenshot of it as DIR/trace.png (default DIR: a new temporary directory,
# printed at the end). Removes every image, container and volume it made. Not a test and not in CI: it needs
# Debian's chromium (apt-get install chromium), a Docker engine with busybox:local (tests/lib/docker-setup.sh)
# and cargo, and takes about half a minute.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
SB=${SB:-$TOP/sindri-build}
case $SB in /*) ;; *) SB=$(pwd)/$SB ;; esac
DOCKER=${DOCKER:-/usr/bin/docker}
OUT=""
[ "${1:-}" = --out ] && OUT=${2:?--out takes a directory}
command -v chromium >/dev/null || { echo "trace-render: no chromium (apt-get install chromium)" >&2; exit 2; }
"$DOCKER" image inspect busybox:local >/dev/null 2>&1 ||
	{ echo "trace-render: no busybox:local (sh tests/lib/docker-setup.sh)" >&2; exit 2; }
PATH=$PATH:$HOME/.cargo/bin

W=$(mktemp -d "${TMPDIR:-/tmp}/sb-trace-render.XXXXXX")
P="sbtrace-$$"
trap '"$DOCKER" rm -f "$P-ws" >/dev/null 2>&1; "$DOCKER" volume rm -f "$P-ws_home" >/dev/null 2>&1
	"$DOCKER" image ls --format "{{.Repository}}:{{.Tag}}" | grep "^$P:" | xargs -r "$DOCKER" rmi -f >/dev/null 2>&1
	rm -rf "$W"' EXIT
[ -n "$OUT" ] || OUT=$(mktemp -d "${TMPDIR:-/tmp}/sb-trace.XXXXXX")
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

cp -r "$TOP/examples/mini-sindri" "$W/ms"
rm -rf "$W/ms/.sindri-build" "$W/ms/v3/target" "$W/ms/.stand-in-cli"
cd "$W/ms" || exit 1
printf 'workspace:\n  name: %s-ws\ndeployment:\n  provider: docker\n  image: %s:latest\n' "$P" "$P" >ws.yaml
export IMAGE_REPO="$P" SINDRI_CLI=none XDG_CACHE_HOME="$W/xdg" XDG_RUNTIME_DIR="$W/run"
mkdir -m 700 "$W/run"
run() {
	"$SB" cycle-fast CONFIG=ws.yaml >"$W/log" 2>&1
	echo "trace-render: $(tail -n 1 "$W/log")"
}
run
echo 'x: 1' >>v3/extensions/github/extension.yaml
run
echo 'RUN false' >>v3/Dockerfile.dev
run
"$SB" -t trace --runs 3 --svg -o "$OUT/trace.svg" || exit 1
size=$(sed -n 's/^<svg [^>]* width="\([0-9]*\)" height="\([0-9]*\)".*/\1,\2/p' "$OUT/trace.svg")
# chromium's own messages (no D-Bus here, no GPU) are noise: its exit status and the file say whether it worked
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size="${size:-1200,600}" \
	--screenshot="$OUT/trace.png" "file://$OUT/trace.svg" >"$W/chromium.log" 2>&1 ||
	{ cat "$W/chromium.log" >&2; exit 1; }
[ -s "$OUT/trace.png" ] || { echo "trace-render: chromium wrote no screenshot" >&2; exit 1; }
echo "trace-render: $OUT/trace.svg ($size) -> $OUT/trace.png"
