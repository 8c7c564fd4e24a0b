#!/bin/sh
# bench/fuzz.sh: a fuzzing campaign: each libFuzzer harness (tests/fuzz/fuzz_*.c) runs MINUTES minutes (default 10).
#   sh bench/fuzz.sh [MINUTES] [HARNESS...]      e.g. sh bench/fuzz.sh 10 fuzz_json
# Builds the harnesses (make -f Makefile.bootstrap fuzz, clang), then runs them one after the other (JOBS=N runs N
# at once). Each starts from its seeds, tests/fuzz/corpus/<name>/ (or <name> without fuzz_), and from what earlier
# campaigns found, kept in build-fuzz/corpus/<name>/; a crash leaves its input in build-fuzz/crashes/<name>/ (rerun
# the harness on that file to see the report; only this campaign's crashes are counted). Prints one line per
# harness: minutes, executions, coverage (edges), corpus size and crashes.
# Exits 1 when a harness crashed.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
MINUTES=${1:-10}
[ $# -gt 0 ] && shift
JOBS=${JOBS:-1}
FUZZ_BUILD=${FUZZ_BUILD:-$TOP/build-fuzz}
case $MINUTES in *[!0-9.]* | '') echo "usage: sh bench/fuzz.sh [MINUTES] [HARNESS...]" >&2; exit 2 ;; esac

if ! make -C "$TOP" -f Makefile.bootstrap -s fuzz FUZZ_BUILD="$FUZZ_BUILD" >/dev/null; then
	echo "fuzz: the harnesses did not build" >&2
	exit 2
fi
names=${*:-$(cd "$FUZZ_BUILD/fuzz" && ls fuzz_* 2>/dev/null)}
[ -n "$names" ] || { echo "fuzz: no harness in tests/fuzz/" >&2; exit 2; }
# the state harness writes a state directory per input: tmpfs makes its fsyncs free
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then TMPDIR=/dev/shm; export TMPDIR; fi
seconds=$(awk -v m="$MINUTES" 'BEGIN { printf "%d", m * 60 }')

# run NAME: one harness for the whole time; its log goes to build-fuzz/logs/NAME.log.
run() {
	mkdir -p "$FUZZ_BUILD/corpus/$1" "$FUZZ_BUILD/crashes/$1" "$FUZZ_BUILD/logs"
	# -close_fd_mask=2: the loaders' warnings would drown the log (sanitizer reports still get through)
	seeds=$TOP/tests/fuzz/corpus/$1
	[ -d "$seeds" ] || seeds=$TOP/tests/fuzz/corpus/${1#fuzz_}
	[ -d "$seeds" ] || seeds=
	"$FUZZ_BUILD/fuzz/$1" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
		-close_fd_mask=2 -artifact_prefix="$FUZZ_BUILD/crashes/$1/" \
		"$FUZZ_BUILD/corpus/$1" ${seeds:+"$seeds"} >"$FUZZ_BUILD/logs/$1.log" 2>&1
}

mkdir -p "$FUZZ_BUILD"
stamp=$FUZZ_BUILD/.campaign-start
: >"$stamp"
running=0
for n in $names; do
	[ -x "$FUZZ_BUILD/fuzz/$n" ] || { echo "fuzz: no harness '$n' in $FUZZ_BUILD/fuzz" >&2; exit 2; }
	echo "fuzz: $n for $MINUTES min" >&2
	run "$n" &
	running=$((running + 1))
	if [ "$running" -ge "$JOBS" ]; then
		wait
		running=0
	fi
done
wait

status=0
printf '%-20s %8s %12s %8s %8s %8s\n' harness minutes executions edges corpus crashes
for n in $names; do
	log=$FUZZ_BUILD/logs/$n.log
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
	corp=$(grep -o 'corp: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
	crashes=$(find "$FUZZ_BUILD/crashes/$n" -type f -newer "$stamp" | wc -l)
	if grep -q 'ERROR: \|==ERROR\|deadly signal\|fuzz target exited' "$log" && [ "$crashes" -eq 0 ]; then crashes=1; fi
	[ "$crashes" -gt 0 ] && status=1
	printf '%-20s %8s %12s %8s %8s %8s\n' "$n" "$MINUTES" "${execs:-?}" "${cov:-?}" "${corp:-?}" "$crashes"
	[ "$crashes" -gt 0 ] && echo "  see $log and $FUZZ_BUILD/crashes/$n/"
done
exit "$status"
