#!/bin/sh
# bench/docker.sh: sindri-build's Docker side as ratios against peers run on the same files in the same run:
#   1. a no-op image task vs `docker build` with every layer cached vs ninja's no-op, on a Sindri-shaped context
#      (~600 files, 4.3 MB) that a Dockerfile COPYs whole;
#   2. the first build: sindri-build's whole run vs the `docker build --no-cache` it runs, timed inside the same
#      run (the overhead), and vs the same build run directly;
#   3. a no-op `sindri-build cycle-fast` vs `make v3-cycle-fast` ported literally (bench/sindri-make.mk) on
#      examples/mini-sindri.
#   sh bench/docker.sh [--quick]
# Each comparison runs in rounds, the commands one after the other within a round; a ratio is the median over rounds
# of the ratio within a round, and a time the median of the round means, so a machine whose speed drifts during
# the benchmark (a shared VM) moves both sides of a ratio together. Runs use the engine helper, as users do
# (SINDRI_BUILD_SERVER=0 measures the runs that load libcurl themselves), and with it the watched tree, which spares
# the timed no-ops their stat calls (SINDRI_BUILD_WATCH=0 measures the walk that stats everything).
# Needs a Docker engine with busybox:local (tests/lib/docker-setup.sh), hyperfine, ninja, cargo. Exits 0: a
# benchmark is not a test; a target not met prints MISS.
set -u
BENCH=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$BENCH/.." && pwd)
. "$BENCH/lib.sh"

# rounds of each comparison (see rounds below), and runs per command per round: no-ops, first builds, cycles
# and first builds timed from inside (FIRSTN)
ROUNDS=5 RUNS=10 WARM=3 FROUNDS=5 FRUNS=2 CRUNS=5 FIRSTN=15
[ "${1:-}" = --quick ] && ROUNDS=3 RUNS=4 WARM=1 FROUNDS=3 FRUNS=1 CRUNS=2 FIRSTN=4
SB=${SB:-$TOP/sindri-build}
case $SB in /*) ;; *) SB=$(pwd)/$SB ;; esac
DOCKER=${DOCKER:-/usr/bin/docker}
export DOCKER DOCKER_BUILDKIT=1
PATH=$PATH:$HOME/.cargo/bin
for t in hyperfine ninja make cargo; do command -v $t >/dev/null 2>&1 || die "'$t' is not installed"; done
"$DOCKER" image inspect busybox:local >/dev/null 2>&1 || die "no busybox:local image: run tests/lib/docker-setup.sh"

W=$(mktemp -d "${TMPDIR:-/tmp}/sb-dbench.XXXXXX") || die "cannot create a temp dir"
P="sbbench-$$"
# untagged images sindri-build labelled, before the benchmark: those it leaves (rebuilt images) go with it
"$DOCKER" images -q --no-trunc -f dangling=true -f label=org.sindri-build.key | sort >"$W/dangling-before"
cleanup() {
	"$DOCKER" images -q --no-trunc -f dangling=true -f label=org.sindri-build.key | sort |
		comm -13 "$W/dangling-before" - | xargs -r "$DOCKER" rmi >/dev/null 2>&1
	# and the direct no-cache builds (labelled for this, as sindri-build labels its own)
	"$DOCKER" images -q -f dangling=true -f "label=sbbench=$P" | xargs -r "$DOCKER" rmi >/dev/null 2>&1
	"$DOCKER" rm -f "$P-ws" "$P-mk-ws" >/dev/null 2>&1
	"$DOCKER" volume rm -f "$P-ws_home" "$P-mk-ws_home" >/dev/null 2>&1
	"$DOCKER" image ls --format '{{.Repository}}:{{.Tag}}' | grep "^$P" | xargs -r "$DOCKER" rmi -f >/dev/null 2>&1
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
private_copy

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# rounds NAME N WARM RUNS -n LABEL CMD...: N hyperfine rounds of the commands, each round running every command WARM
# + RUNS times, one command after the other; $W/NAME.means gets "round command mean" lines. A busy machine drifts
# over minutes: results compare commands within a round, and take the median over rounds.
rounds() {
	name=$1 n=$2 warm=$3 runs=$4
	shift 4
	: >"$W/$name.means"
	i=1
	while [ "$i" -le "$n" ]; do
		hyperfine -N -w "$warm" -r "$runs" --export-json "$W/$name.json" "$@" >"$W/$name.txt" 2>&1 ||
			{ cat "$W/$name.txt"; die "hyperfine failed"; }
		awk -v r="$i" '/"command"/ { n++ } /"mean"/ { sub(/.*"mean": /, ""); sub(/,.*/, ""); print r, n, $0 }' \
			"$W/$name.json" >>"$W/$name.means"
		i=$((i + 1))
		sleep 2 # the engine's work after a round (BuildKit ending its sessions) is not the next round's
	done
}
# time_of NAME C: the median over rounds of command C's mean (seconds).
time_of() { awk -v c="$2" '$2 == c { print $3 }' "$W/$1.means" | median; }
# ratio_of NAME A B: the median over rounds of A's mean / B's mean in the same round.
ratio_of() {
	awk -v a="$2" -v b="$3" '$2 == a { x[$1] = $3 } $2 == b { y[$1] = $3 } END { for (r in x) print x[r] / y[r] }' \
		"$W/$1.means" | median
}
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
rounds noop "$ROUNDS" "$WARM" "$RUNS" \
	-n sindri-build "$SB -C $d" \
	-n "docker build (cached)" "$DOCKER build -q -t $P-img:warm $d" \
	-n ninja "ninja -C $d"
sbm=$(time_of noop 1)
dkm=$(time_of noop 2)
njm=$(time_of noop 3)
r1=$(ratio "$(ratio_of noop 2 1)" 1)
r2=$(ratio_of noop 1 3 | awk '{ printf "%.2f", $1 }')
row "no-op image task vs cached docker build" "$(ms "$sbm")" "$(ms "$dkm")" "${r1}x" ">= 25x" "$(awk -v r="$r1" 'BEGIN { print (r >= 25) ? "PASS" : "MISS" }')"
row "no-op image task vs ninja no-op" "$(ms "$sbm")" "$(ms "$njm")" "${r2}x" "<= 1.0x" "$(awk -v r="$r2" 'BEGIN { print (r <= 1.0) ? "PASS" : "MISS" }')"

# 2. First-build overhead. Two no-cache builds of the same context differ by tens of ms on this kind of machine,
# more than the 2 % to be seen; so the overhead is measured inside each run: sindri-build's whole run against the
# docker build it runs, timed by a wrapper around the docker CLI (the wrapper's own start counts as overhead). The
# same build run directly, in rounds as above, is shown for reference.
say "first build: sindri-build's run around its docker build; and docker build --no-cache directly"
cat >"$d/nocache.lua" <<LUA
image "img" { tags = { "$P-img:nc" }, no_cache = true }
LUA
# timed: run a command, append "start end" (ns) to TIMES. Built twice: as the docker CLI sindri-build runs (CMD
# set), and to time sindri-build itself. A small C program: a shell and date processes would add a millisecond or
# two to what is measured.
cat >"$W/timed.c" <<'C'
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
extern char **environ;
static long long now(void) { struct timespec t; clock_gettime(CLOCK_REALTIME, &t); return t.tv_sec * 1000000000LL + t.tv_nsec; }
int main(int argc, char **argv) {
	long long t0 = now(), t1;
	pid_t pid;
	int st = 0;
	FILE *f;
#ifdef CMD
	argv[0] = CMD;
#else
	if (argc < 2)
		return 2;
	argv++;
#endif
	(void)argc;
	if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) != 0 || waitpid(pid, &st, 0) < 0)
		return 127;
	t1 = now();
	if ((f = fopen(TIMES, "a"))) { fprintf(f, "%lld %lld\n", t0, t1); fclose(f); }
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}
C
${CC:-cc} -O2 -DCMD="\"$DOCKER\"" -DTIMES="\"$W/docker-times\"" -o "$W/docker-timed" "$W/timed.c" &&
	${CC:-cc} -O2 -DTIMES="\"$W/run-times\"" -o "$W/timed" "$W/timed.c" || die "cannot compile bench/docker.sh's timer"
: >"$W/first-runs"
i=0
while [ "$i" -le "$FIRSTN" ]; do
	: >"$W/docker-times"
	: >"$W/run-times"
	DOCKER="$W/docker-timed" "$W/timed" "$SB" -q -C "$d" -f nocache.lua img >/dev/null 2>&1 ||
		die "the no-cache build failed"
	read -r t0 t1 <"$W/run-times" || die "the timer recorded no run"
	read -r d0 d1 <"$W/docker-times" || die "the docker wrapper recorded no build"
	[ "$i" -gt 0 ] && echo "$((t1 - t0)) $((d1 - d0))" >>"$W/first-runs" # the first run warms up
	i=$((i + 1))
done
sbf=$(awk '{ print $1 / 1e9 }' "$W/first-runs" | median)
dbf=$(awk '{ print $2 / 1e9 }' "$W/first-runs" | median)
over=$(awk '{ print ($1 / $2 - 1) * 100 }' "$W/first-runs" | median | awk '{ printf "%.1f", $1 }')
row "first build: run vs the docker build it runs" "$(ms "$sbf")" "$(ms "$dbf")" "${over}%" "<= 2%" "$(awk -v o="$over" 'BEGIN { print (o <= 2) ? "PASS" : "MISS" }')"
rounds first "$FROUNDS" 1 "$FRUNS" \
	-n sindri-build "$SB -q -C $d -f nocache.lua img" \
	-n "docker build --no-cache" "$DOCKER build --no-cache --label sbbench=$P -t $P-img:nc2 $d"
sbf=$(time_of first 1)
dkf=$(time_of first 2)
over=$(ratio_of first 1 2 | awk '{ printf "%.1f", ($1 - 1) * 100 }')
row "first build vs docker build --no-cache run apart" "$(ms "$sbf")" "$(ms "$dkf")" "${over}%" "-" "info"

# 3. cycle-fast no-op vs the make target it replaces.
say "no-op cycle-fast vs make v3-cycle-fast (examples/mini-sindri)"
cp -r "$TOP/examples/mini-sindri" "$W/mini"
m=$W/mini
sed "s/name: mini-sindri-dev/name: $P-ws/; s/image: sindri:latest/image: $P-sindri:latest/" "$m/sindri.yaml" >"$m/bench.yaml"
export IMAGE_REPO="$P-sindri" SINDRI_CLI=none CARGO_INSTALL_ROOT="$W/cargo-root" SINDRI_BUILD_RECIPES="$TOP/recipes"
(cd "$m" && "$SB" -q cycle-fast CONFIG=bench.yaml) || die "the first cycle-fast failed"
make -s -C "$m" -f "$BENCH/sindri-make.mk" v3-docker-build-base REPO="$P-mk" >/dev/null 2>&1 ||
	die "the make side's base image failed to build"
sleep 3
(cd "$m" && "$SB" -q cycle-fast CONFIG=bench.yaml >/dev/null) || die "cycle-fast failed"
# the make side has names and an install root of its own, so neither side's runs undo the other's
rounds cycle "$ROUNDS" 1 "$CRUNS" \
	-n "sindri-build cycle-fast" "$SB -q -C $m cycle-fast CONFIG=bench.yaml" \
	-n "make v3-cycle-fast" "env CARGO_INSTALL_ROOT=$W/cargo-root-mk make -s -C $m -f $BENCH/sindri-make.mk v3-cycle-fast CONFIG=bench.yaml NAME=$P-mk-ws REPO=$P-mk"
sbc=$(time_of cycle 1)
mkc=$(time_of cycle 2)
r3=$(ratio "$(ratio_of cycle 2 1)" 1)
row "no-op cycle-fast vs make v3-cycle-fast" "$(ms "$sbc")" "$(ms "$mkc")" "${r3}x" ">= 100x" "$(awk -v r="$r3" 'BEGIN { print (r >= 100) ? "PASS" : "MISS" }')"

say "results ($(date -u +%Y-%m-%d), $(nproc) CPUs)"
printf '%-44s %14s %14s %9s %10s %s\n' metric sindri-build peer ratio target result
cat "$ROWS"
