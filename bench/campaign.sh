#!/bin/sh
# bench/campaign.sh: the long randomized differential runs that the suite runs only briefly, against the real
# Docker engine, then a fuzzing campaign.
#   sh bench/campaign.sh [ROUNDS] [FUZZ_MINUTES]      defaults: 300 rounds, 5 minutes per fuzz harness
# Each test draws a new seed (its first line says how to repeat it: SEED=n ROUNDS=n); t0014 runs with BuildKit
# and again with the legacy builder, t0015 with the watcher on and off (its two modes). FUZZ_MINUTES=0 skips the
# fuzzers. Prints one line per run and exits 1 when any run found a false skip, a stale result or a crash; the
# logs stay in bench/out/campaign-DATE/. Reported results are in docs/reliability.md.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${1:-300}
FUZZ_MINUTES=${2:-5}
case "$ROUNDS$FUZZ_MINUTES" in *[!0-9]*) echo "usage: sh bench/campaign.sh [ROUNDS] [FUZZ_MINUTES]" >&2; exit 2 ;; esac
OUT=$TOP/bench/out/campaign-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
make -C "$TOP" -f Makefile.bootstrap -s all unit-tests >/dev/null || { echo "campaign: the build failed" >&2; exit 2; }
SB=$TOP/sindri-build
UNIT_DIR=$TOP/build/tests
export SB UNIT_DIR
status=0

# one NAME TEST [VAR=value...]: run TEST with ROUNDS rounds and the settings given; its log in OUT/NAME.log.
one() {
	name=$1 t=$2
	shift 2
	start=$(date +%s)
	env ROUNDS="$ROUNDS" "$@" sh "$TOP/tests/sh/$t" >"$OUT/$name.log" 2>&1
	rc=$?
	line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$OUT/$name.log" | tail -n 1)
	echo "$name: ${line:-no result} in $(($(date +%s) - start)) s (exit $rc; $OUT/$name.log)"
	[ "$rc" -eq 0 ] || status=1
}

one image-buildkit t0014-random-image.sh
one image-legacy t0014-random-image.sh BUILDER=legacy
one plain t0015-random-plain.sh
one reader t0018-reader-diff.sh
if [ "$FUZZ_MINUTES" -gt 0 ]; then
	sh "$TOP/bench/fuzz.sh" "$FUZZ_MINUTES" >"$OUT/fuzz.log" 2>&1 || status=1
	cat "$OUT/fuzz.log"
fi
exit $status
