# t0165: no test leaves an engine helper or file watcher (common/resident.h) of the binary under test running: one a
# test starts in its own runtime dir ends with the test (lib.sh waits for it, and fails the test when it stays); one
# started outside it makes tests/run.sh fail the suite, name it and stop it by its pid; one that ran before the
# suite is left alone.
. "$(dirname "$0")/../lib/lib.sh"

# A copy of the runner and the library with two tests of its own, run with TMPDIR here: what a test starts without
# XDG_RUNTIME_DIR lives in this test's $T_ROOT/tmp/sindri-build-UID, not in the machine's /tmp/sindri-build-UID.
# They run a copy of the binary, so that this suite's end sees none of the helpers of the tests beside this one.
mkdir -p tree/tests/sh tree/tests/lib units tmp before obs bin
cp "$SB" bin/sindri-build
SBC=$T_ROOT/bin/sindri-build
cp "$T_TOP/tests/run.sh" tree/tests/
cp "$T_TOP/tests/lib/lib.sh" "$T_TOP/tests/lib/residents.sh" tree/tests/lib/
cat >tree/tests/sh/t9001-own.sh <<'EOF'
. "$(dirname "$0")/../lib/lib.sh"
sb -t server start
check "a watcher starts in the test's own runtime dir" out_has "file watcher: running, pid [0-9]*, socket $XDG_RUNTIME_DIR/"
sed -n 's/.*running, pid \([0-9]*\),.*/\1/p' "$T_OUT" >"$OBS/own"
finish
EOF
cat >tree/tests/sh/t9002-leak.sh <<'EOF'
. "$(dirname "$0")/../lib/lib.sh"
env -u XDG_RUNTIME_DIR "$SB" -t server start >"$T_OUT" 2>&1
check "a watcher starts outside the test's own runtime dir" out_has "file watcher: running, pid [0-9]*, socket $TMPDIR/sindri-build-"
sed -n 's/.*running, pid \([0-9]*\),.*/\1/p' "$T_OUT" >"$OBS/leaked"
finish
EOF
cat >tree/tests/sh/t9003-stuck.sh <<'EOF'
. "$(dirname "$0")/../lib/lib.sh"
sb -t server start
sed -n 's/^file watcher: running, pid \([0-9]*\),.*/\1/p' "$T_OUT" >"$OBS/stuck"
check "a watcher starts in the test's own runtime dir" test -s "$OBS/stuck"
kill -STOP "$(cat "$OBS/stuck")" # it cannot see its socket go
T_RESIDENTS_WAIT=1
finish
EOF

# pids_gone FILE: none of the pids in FILE runs (a stopped process takes a moment to go).
pids_gone() {
	for _ in $(seq 100); do
		alive=""
		for p in $(cat "$1"); do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
		[ -z "$alive" ] && return 0
		sleep 0.1
	done
	echo "  still running:$alive" >&2
	return 1
}

# Started before the suite, in a place of its own: the user's, which the suite must not count or stop.
at_exit 'TMPDIR="$T_ROOT/before" "$SBC" -t server stop >/dev/null 2>&1'
(unset XDG_RUNTIME_DIR && TMPDIR="$T_ROOT/before" "$SBC" -t server start) >"$T_OUT" 2>&1
sed -n 's/.*running, pid \([0-9]*\),.*/\1/p' "$T_OUT" >obs/before
check "a helper and a watcher run before the suite" test "$(wc -l <obs/before)" = 2

(unset XDG_RUNTIME_DIR && TMPDIR="$T_ROOT/tmp" OBS="$T_ROOT/obs" SB="$SBC" UNIT_DIR="$T_ROOT/units" \
	sh tree/tests/run.sh) >"$T_OUT" 2>&1
RC=$?
check "the suite fails" rc_is 1
check "the test that cleaned up passed" out_has "^ok   t9001-own.sh: t9001-own: 1 passed, 0 failed"
check "what it started ended with it" pids_gone obs/own
check "the test that leaked passed by itself" out_has "^ok   t9002-leak.sh: t9002-leak: 1 passed, 0 failed"
u=$(id -u)
check "what it left running is named, with where it was started" \
	out_has "^run.sh: pid $(sed -n 2p obs/leaked) of $SBC, socket $T_ROOT/tmp/sindri-build-$u/watch-[0-9a-f]*\.sock, started in '$T_ROOT/tmp/sb-t9002-leak\.[^/]*', outlived the tests: stopped now$"
check "the engine helper it left too" \
	out_has "^run.sh: pid $(sed -n 1p obs/leaked) of $SBC, socket $T_ROOT/tmp/sindri-build-$u/engine-[0-9a-f]*\.sock, started in "
check "it counts as a failure" out_has "^failed: t9003-stuck.sh (left-running)$"
check "and it is stopped" pids_gone obs/leaked
check "nothing of the suite's runs any more" sh -c "! { . '$T_TOP/tests/lib/residents.sh'; residents '$SBC'; } | grep -q ' $T_ROOT/tmp/'"
check "a test whose watcher outlives its cleanup fails" out_has "^FAIL t9003-stuck.sh (exit 1, "
check "... saying which" \
	out_has "^FAIL: t9003-stuck: its cleanup left pid $(cat obs/stuck) running (socket $T_ROOT/tmp/sb-t9003-stuck\.[^/]*/run/sindri-build/watch-[0-9a-f]*\.sock): stopped now$"
check "... and it is stopped" pids_gone obs/stuck
check "what ran before the suite was not named" out_lacks "socket $T_ROOT/before/"
for p in $(cat obs/before); do check "and still runs ($p)" kill -0 "$p"; done

finish
