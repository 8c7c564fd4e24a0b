# t0003: the scheduler: -j parallelism proven from recorded times, -k, pools, the console pool, output rules.
. "$(dirname "$0")/../lib/lib.sh"

cat >sindri-build.lua <<'LUA'
local stamp = 'date +%s%N >> '
local function timed(name, pool)
  task(name) {
    pool = pool,
    run = stamp .. name .. '.start; sleep 0.4; ' .. stamp .. name .. '.end',
  }
end
timed("a") timed("b")
pool "single" { depth = 1 }
timed("p1", "single") timed("p2", "single")
task "both" { deps = { "a", "b" } }
task "pooled" { deps = { "p1", "p2" } }
task "fail1" { run = "echo fail1 output; exit 3" }
task "fail2" { run = "exit 4" }
task "fine" { deps = { "fail1" }, run = "true" }
task "other" { run = "echo other ran > other.out" }
task "quiet" { run = "echo quiet-output-text" }
task "loud" { pool = "console", run = "echo console-output-text" }
task "all-fail" { deps = { "fail1", "fail2", "other" } }
LUA

# overlap A B: 1 when the recorded intervals of A and B overlap.
overlap() {
	[ "$(cat "$1.start")" -lt "$(cat "$2.end")" ] && [ "$(cat "$2.start")" -lt "$(cat "$1.end")" ]
}

sb -j2 both
check "-j2 runs both" ran_is "a b"
check "-j2 runs independent tasks at once" overlap a b
rm -f a.* b.* && rm -rf .sindri-build
sb -j1 both
check "-j1 runs them one after the other" sh -c "! { [ \$(cat a.start) -lt \$(cat b.end) ] && [ \$(cat b.start) -lt \$(cat a.end) ]; }"
sb -j2 pooled
check "a pool of depth 1 never runs two at once, even with -j2" sh -c "! { [ \$(cat p1.start) -lt \$(cat p2.end) ] && [ \$(cat p2.start) -lt \$(cat p1.end) ]; }"

sb -j1 -k 1 all-fail
check "a failure exits 1" rc_is 1
check "the failing task's output is shown" out_has "fail1 output"
check "the exit status is named" out_has "failed with exit status 3"
check "-k 1 stops at the first failure" test ! -e other.out
sb -j1 -k 0 all-fail
check "-k 0 keeps going past failures" test -e other.out
check "-k 0 reports both failures" sh -c "grep -q 'FAILED: fail1' '$T_OUT' && grep -q 'FAILED: fail2' '$T_OUT'"
check "a task that depends on a failure does not run" out_lacks "all-fail\$"
sb -k 0 fine
check "a dependent of a failed task is not started" sh -c "! grep -q '] fine' '$T_OUT'"

sb quiet
check "a successful task's output is not shown" out_lacks "quiet-output-text"
rm -rf .sindri-build
sb -v quiet
check "-v shows it" out_has "quiet-output-text"
check "-v prints the command" out_has "echo quiet-output-text"
sb loud
check "the console pool streams output" out_has "console-output-text"
rm -rf .sindri-build
sb -q other
check "-q prints nothing on success" test ! -s "$T_OUT"

rm -rf .sindri-build
SINDRI_STATUS='<%s of %t, %r running> ' sb other
check "SINDRI_STATUS sets the status line" out_has "<1 of 1, 1 running> other"

finish
