# t0090: every libFuzzer harness (tests/fuzz/fuzz_*.c, built by `make -f Makefile.bootstrap fuzz` into FUZZ_DIR)
# runs its seeds, tests/fuzz/corpus/<name>/ (or <name> without fuzz_), and then FUZZ_SECONDS (default 3) of new
# inputs; a crash, a sanitizer report or a harness's own check fails, and its input is kept and printed. `make test`
# sets FUZZ_DIR when clang is there; bench/fuzz.sh runs the harnesses for minutes.
. "$(dirname "$0")/../lib/lib.sh"
if [ -z "${FUZZ_DIR:-}" ] || ! ls "$FUZZ_DIR"/fuzz_* >/dev/null 2>&1; then
	echo "$T_NAME: skipped: no fuzz harnesses (FUZZ_DIR; make -f Makefile.bootstrap fuzz needs clang)"
	echo "$T_NAME: 0 passed, 0 failed"
	exit 0
fi
SECONDS_EACH=${FUZZ_SECONDS:-3}
# the state harness writes a state directory per input: on tmpfs its fsyncs cost nothing
SCRATCH=$T_ROOT
if [ -d /dev/shm ] && [ -w /dev/shm ] && SCRATCH=$(mktemp -d /dev/shm/sb-fuzz.XXXXXX); then
	at_exit 'rm -rf "$SCRATCH"'
fi
for h in "$FUZZ_DIR"/fuzz_*; do
	name=$(basename "$h")
	mkdir -p "$T_ROOT/new-$name" "$T_ROOT/crash-$name"
	# the first directory takes what the run finds, so the seed corpus in the source tree stays as it is
	seeds=$T_TOP/tests/fuzz/corpus/$name
	[ -d "$seeds" ] || seeds=$T_TOP/tests/fuzz/corpus/${name#fuzz_}
	[ -d "$seeds" ] || seeds=
	TMPDIR=$SCRATCH "$h" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -close_fd_mask=2 \
		-print_final_stats=1 -artifact_prefix="$T_ROOT/crash-$name/" \
		"$T_ROOT/new-$name" ${seeds:+"$seeds"} >"$T_OUT" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$T_OUT")
	echo "$name: ${execs:-?} executions in ${SECONDS_EACH} s, exit $rc"
	for c in "$T_ROOT/crash-$name"/*; do
		[ -f "$c" ] && echo "  crash input ($c), base64:" && base64 "$c" | head -n 20
	done
	check "$name finds no crash in its corpus and ${SECONDS_EACH} s of fuzzing" test "$rc" = 0
done
finish
