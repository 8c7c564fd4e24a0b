#!/bin/sh
# run.sh: run every unit test binary and shell test, then print one closing line with the totals.
# SB: the sindri-build binary; UNIT_DIR: where the unit test binaries are. ONLY="pattern ..." runs the tests whose path holds any of the patterns.
# JOBS=n runs n tests at a time (default: the number of CPUs, at most 4); the tests that clear the whole shared
# BuildKit cache or count its records exactly (EXCLUSIVE) run afterwards, alone. Each test's result is printed
# when it ends, with its seconds; the whole output of each failed test follows the last one.
: "${SB:?}" "${UNIT_DIR:?}"
here=$(cd "$(dirname "$0")" && pwd)

# run.sh --one TEST RESULTS: run one test; write RESULTS/NAME.res ("rc pass fail secs") and RESULTS/NAME.log.
if [ "${1:-}" = --one ]; then
	t=$2
	name=$(basename "$t")
	log=$3/$name.log
	t0=$(date +%s)
	case "$t" in
	*.sh) SB="$SB" sh "$t" >"$log" 2>&1 ;;
	*) (cd "$here/.." && "$t") >"$log" 2>&1 ;;
	esac
	rc=$?
	secs=$(($(date +%s) - t0))
	line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	p=$(echo "$line" | sed -n 's/.* \([0-9][0-9]*\) passed.*/\1/p')
	f=$(echo "$line" | sed -n 's/.* \([0-9][0-9]*\) failed.*/\1/p')
	p=${p:-0}
	f=${f:-0}
	[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1 # a crash or a test that died before its closing line
	echo "$rc $p $f $secs" >"$3/$name.res"
	if [ "$f" -ne 0 ]; then
		echo "FAIL $name (exit $rc, ${secs}s): its output follows the last test"
	else
		echo "ok   $name: $line (${secs}s)"
	fi
	exit 0
fi

# The Docker tests need an engine and the busybox:local base image; set them up when we can (root).
if [ "$(id -u)" = 0 ] && [ -f "$here/lib/docker-setup.sh" ]; then
	if ! sh "$here/lib/docker-setup.sh" >"${TMPDIR:-/tmp}/sb-docker-setup.log" 2>&1; then
		cat "${TMPDIR:-/tmp}/sb-docker-setup.log"
		echo "run.sh: the Docker engine could not be set up"
		[ "${CI:-}" = true ] && exit 1
	fi
fi
# t0020 clears all BuildKit cache (cache-clear-hard) and t0024 the young records (cycle-clean), which can take an
# other build's context away; integ_dockerapi checks that a prune removed exactly one record
EXCLUSIVE=${EXCLUSIVE:-"integ_dockerapi t0020-sindri.sh t0024-sindri-cycles.sh"}
cpus=$(nproc 2>/dev/null || echo 1)
[ "$cpus" -gt 4 ] && cpus=4
JOBS=${JOBS:-$cpus}
results=$(mktemp -d "${TMPDIR:-/tmp}/sb-run.XXXXXX")
trap 'rm -rf "$results"' EXIT
# The engine helpers and file watchers of $SB running now are not the tests' (see the end).
. "$here/lib/residents.sh"
sbreal=$(readlink -f "$SB")
residents "$sbreal" | cut -d' ' -f1 >"$results/residents-before"
: >"$results/shared"
: >"$results/alone"
for t in "$UNIT_DIR"/* "$here"/sh/t*.sh; do
	[ -f "$t" ] || continue
	if [ -n "${ONLY:-}" ]; then
		hit=no
		for o in $ONLY; do case "$t" in *"$o"*) hit=yes ;; esac; done
		[ $hit = yes ] || continue
	fi
	case "$t" in *.sh) ;; *) [ -x "$t" ] || continue ;; esac
	list=shared
	for x in $EXCLUSIVE; do [ "$(basename "$t")" = "$x" ] && list=alone; done
	echo "$t" >>"$results/$list"
done
xargs -P "$JOBS" -I{} sh "$0" --one {} "$results" <"$results/shared"
xargs -P 1 -I{} sh "$0" --one {} "$results" <"$results/alone"

pass=0
fail=0
failed=""
for t in $(cat "$results/shared" "$results/alone"); do
	name=$(basename "$t")
	if [ -f "$results/$name.res" ]; then
		read -r rc p f secs <"$results/$name.res"
	else
		rc=1 p=0 f=1 # interrupted before it ended
	fi
	pass=$((pass + p))
	fail=$((fail + f))
	if [ "$f" -ne 0 ]; then
		failed="$failed $name"
		echo "--- $name (exit $rc)"
		cat "$results/$name.log" 2>/dev/null
	fi
done
# A helper or watcher of $SB still running outside the tests' directories that was not before: a test started it
# outside its own runtime dir (lib.sh waits for those under it to end), where it holds inotify watches and an
# engine connection, and would serve later runs of this binary on the machine. It fails the suite and is stopped,
# by its pid.
left=$(residents "$sbreal" | while read -r pid sock; do
	case "$sock" in "${TMPDIR:-/tmp}"/sb-*/*) continue ;; esac # a test's own (lib.sh), or another suite's test's
	grep -qx "$pid" "$results/residents-before" || echo "$pid $sock"
done)
if [ -n "$left" ]; then
	echo "--- left running"
	echo "$left" | while read -r pid sock; do
		echo "run.sh: pid $pid of $SB, socket $sock, started in '$(resident_from "$pid")', outlived the tests: stopped now"
		kill -TERM "$pid" 2>/dev/null
	done
	fail=$((fail + 1))
	failed="$failed (left-running)"
fi
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
