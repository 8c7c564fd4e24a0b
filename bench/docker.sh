#!/bin/sh
# bench/docker.sh: sindri-build's Docker side as ratios against peers run on the same files in the same run:
#   1. a no-op image task vs `docker build` with every layer cached vs ninja's no-op, on a Sindri-shaped context
#      (~600 files, 4.3 MB) that a Dockerfile COPYs whole;
#   2. the first build through sindri-build vs the same `docker build --no-cache` run directly (the overhead);
#   3. a no-op `sindri-build cycle-fast` vs `make v3-cycle-fast` ported literally (bench/sindri-make.mk) on
#      examples/mini-sindri.
#   sh bench/docker.sh [--quick]
# Needs a Docker engine with busybox:local (tests/lib/docker-setup.sh), hyperfine, ninja, cargo. Exits 0: a
# benchmark is not a test; a target not met prints MISS.
set -u
BENCH=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$BENCH/.." && pwd)
. "$BENCH/lib.sh"

RUNS=10
WARM=3
[ "${1:-}" = --quick ] && RUNS=4 WARM=1
SB=${SB:-$TOP/sindri-build}
case $SB in /*) ;; *) SB=$(pwd)/$SB ;; esac
DOCKER=${DOCKER:-/usr/bin/docker}
export DOCKER DOCKER_BUILDKIT=1
PATH=$PATH:$HOME/.cargo/bin
for t in hyperfine ninja make cargo; do command -v $t >/dev/null 2>&1 || die "'$t' is not installed"; done
"$DOCKER" image inspect busybox:local >/dev/null 2>&1 || die "no busybox:local image: run tests/lib/docker-setup.sh"

W=$(mktemp -d "${TMPDIR:-/tmp}/sb-dbench.XXXXXX") || die "cannot create a temp dir"
P="sbbench-$$"
cleanup() {
	"$DOCKER" rm -f "$P-ws" >/dev/null 2>&1
	"$DOCKER" volume rm -f "$P-ws_home" >/dev/null 2>&1
	"$DOCKER" image ls --format '{{.Repository}}:{{.Tag}}' | grep "^$P" | xargs -r "$DOCKER" rmi -f >/dev/null 2>&1
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cp "$SB" "$W/sindri-build" && SB=$W/sindri-build

mean() { awk -F'"mean": ' 'NF > 1 { sub(/,.*/, "", $2); print $2; exit }' "$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
ms() { awk -v s="$1" 'BEGIN { printf "%.2f ms", s * 1000 }'; }
ROWS=$W/rows
: >"$ROWS"
row() { printf '%-44s %14s %14s %9s %10s %s\n' "$@" >>"$ROWS"; }

# 1. The no-op of an image task.
say "image task no-op vs cached docker build vs ninja (Sindri-shaped context)"
make_tree ctx sindri
d=$W/ctx
cat >"$d/Dockerfile" <<DF
FROM busybox:local
COPY tree/ /src/
RUN find /src -type f | wc -l > /count
DF
cat >"$d/sindri-build.lua" <<LUA
image "img" { tags = { "$P-img:1" } }
default "img"
LUA
printf 'stamp-*\n' >"$d/.dockerignore"
(cd "$d" && "$SB" -q) || die "the first image build failed"
settle "$d"
(cd "$d" && ninja >/dev/null 2>&1 && "$DOCKER" build -q -t "$P-img:warm" . >/dev/null) || die "warm-up failed"
hyperfine -N -w "$WARM" -r "$RUNS" --export-json "$W/noop.json" \
	-n sindri-build "$SB -C $d" \
	-n "docker build (cached)" "$DOCKER build -q -t $P-img:warm $d" \
	-n ninja "ninja -C $d" >"$W/noop.txt" 2>&1 || { cat "$W/noop.txt"; die "hyperfine failed"; }
awk '/"command"/ { n++ } /"mean"/ { sub(/.*"mean": /, ""); sub(/,.*/, ""); print n, $0 }' "$W/noop.json" >"$W/noop.means"
sbm=$(awk '$1 == 1 { print $2 }' "$W/noop.means")
dkm=$(awk '$1 == 2 { print $2 }' "$W/noop.means")
njm=$(awk '$1 == 3 { print $2 }' "$W/noop.means")
r1=$(ratio "$dkm" "$sbm")
r2=$(ratio "$sbm" "$njm")
row "no-op image task vs cached docker build" "$(ms "$sbm")" "$(ms "$dkm")" "${r1}x" ">= 25x" "$(awk -v r="$r1" 'BEGIN { print (r >= 25) ? "PASS" : "MISS" }')"
row "no-op image task vs ninja no-op" "$(ms "$sbm")" "$(ms "$njm")" "${r2}x" "<= 1.0x" "$(awk -v r="$r2" 'BEGIN { print (r <= 1.0) ? "PASS" : "MISS" }')"

# 2. First-build overhead: the same no-cache build, through sindri-build and directly.
say "first build through sindri-build vs docker build --no-cache"
cat >"$d/nocache.lua" <<LUA
image "img" { tags = { "$P-img:nc" }, no_cache = true }
LUA
hyperfine -N -w 1 -r "$RUNS" --export-json "$W/first.json" \
	-n sindri-build "$SB -q -C $d -f nocache.lua img" \
	-n "docker build --no-cache" "$DOCKER build --no-cache -t $P-img:nc2 $d" >"$W/first.txt" 2>&1 \
	|| { cat "$W/first.txt"; die "hyperfine failed"; }
awk '/"command"/ { n++ } /"mean"/ { sub(/.*"mean": /, ""); sub(/,.*/, ""); print n, $0 }' "$W/first.json" >"$W/first.means"
sbf=$(awk '$1 == 1 { print $2 }' "$W/first.means")
dkf=$(awk '$1 == 2 { print $2 }' "$W/first.means")
over=$(awk -v a="$sbf" -v b="$dkf" 'BEGIN { printf "%.1f", (a / b - 1) * 100 }')
row "first build overhead over docker build" "$(ms "$sbf")" "$(ms "$dkf")" "${over}%" "<= 2%" "$(awk -v o="$over" 'BEGIN { print (o <= 2) ? "PASS" : "MISS" }')"

# 3. cycle-fast no-op vs the make target it replaces.
say "no-op cycle-fast vs make v3-cycle-fast (examples/mini-sindri)"
cp -r "$TOP/examples/mini-sindri" "$W/mini"
m=$W/mini
sed "s/name: mini-sindri-dev/name: $P-ws/; s/image: sindri:latest/image: $P-sindri:latest/" "$m/sindri.yaml" >"$m/bench.yaml"
export IMAGE_REPO="$P-sindri" SINDRI_CLI=none CARGO_INSTALL_ROOT="$W/cargo-root" SINDRI_BUILD_RECIPES="$TOP/recipes"
(cd "$m" && "$SB" -q cycle-fast CONFIG=bench.yaml) || die "the first cycle-fast failed"
sleep 3
(cd "$m" && "$SB" -q cycle-fast CONFIG=bench.yaml >/dev/null) || die "cycle-fast failed"
hyperfine -N -w 1 -r "$RUNS" --export-json "$W/cycle.json" \
	-n "sindri-build cycle-fast" "$SB -q -C $m cycle-fast CONFIG=bench.yaml" \
	-n "make v3-cycle-fast" "make -s -C $m -f $BENCH/sindri-make.mk v3-cycle-fast CONFIG=bench.yaml NAME=$P-ws REPO=$P-sindri" \
	>"$W/cycle.txt" 2>&1 || { cat "$W/cycle.txt"; die "hyperfine failed"; }
awk '/"command"/ { n++ } /"mean"/ { sub(/.*"mean": /, ""); sub(/,.*/, ""); print n, $0 }' "$W/cycle.json" >"$W/cycle.means"
sbc=$(awk '$1 == 1 { print $2 }' "$W/cycle.means")
mkc=$(awk '$1 == 2 { print $2 }' "$W/cycle.means")
r3=$(ratio "$mkc" "$sbc")
row "no-op cycle-fast vs make v3-cycle-fast" "$(ms "$sbc")" "$(ms "$mkc")" "${r3}x" ">= 100x" "$(awk -v r="$r3" 'BEGIN { print (r >= 100) ? "PASS" : "MISS" }')"

say "results ($(date -u +%Y-%m-%d), $(nproc) CPUs)"
printf '%-44s %14s %14s %9s %10s %s\n' metric sindri-build peer ratio target result
cat "$ROWS"
