# t0002: the state survives failures, signals, kill -9, corruption and concurrent runs; read-only commands write nothing.
. "$(dirname "$0")/../lib/lib.sh"

echo a >a.txt
echo b >b.txt
cat >sindri-build.lua <<'LUA'
task "one" { inputs = { "a.txt" }, outputs = { "one.out" }, run = "cp a.txt one.out" }
task "two" { inputs = { "b.txt" }, outputs = { "two.out" }, run = "cp b.txt two.out" }
task "slow" {
  deps = { "one", "two" },
  inputs = { "one.out", "two.out" },
  outputs = { "slow.out" },
  env = { "SLOW_FAIL" },
  run = "echo started > slow.started; sleep ${SLOW_SECS:-0}; test -z \"$SLOW_FAIL\" && cat one.out two.out > slow.out",
}
default "slow"
LUA

# Read-only commands on a fresh tree create nothing.
sb -n
check "dry run on a fresh tree says what would run" ran_is "one slow two"
check "dry run creates no state dir" test ! -e .sindri-build
check "dry run runs nothing" test ! -e one.out
sb -t explain slow
check "explain on a fresh tree creates no state dir" test ! -e .sindri-build
sb -t key one
check "key prints a 32-hex key" grep -Eq '^[0-9a-f]{32}$' "$T_OUT"
sb -t key slow
check "key of a task whose inputs are not made yet is a clear error" out_has "task 'slow': inputs: no such file or directory 'one.out'"
check "key creates no state dir" test ! -e .sindri-build

sb
check "build runs all" ran_is "one slow two"
echo changed >a.txt
before=$(snapshot .sindri-build)
for args in "-n" "-t explain slow" "-t key slow" "-t targets" "-t graph" "-t stats" "-n -d explain"; do
	sb $args
	after=$(snapshot .sindri-build)
	check "'$args' leaves .sindri-build byte-identical" test "$before" = "$after"
done
sb -n
check "dry run names the work still needed" ran_is "one slow"
sb -t explain slow
check "explain names the changed input" out_has "input 'a.txt' modified"
check "explain names the downstream reason" out_has "dependency 'one' would run first"

# A failed run records nothing: the next run retries exactly the failed work.
SLOW_FAIL=1 sb
check "failing task makes the run fail" rc_is 1
check "failure is reported" out_has "FAILED: slow"
SLOW_FAIL=1 sb
check "the failed task runs again, its finished dependency does not" ran_is "slow"
sb
check "after the fix only the failed task runs" ran_is "slow"
sb
check "then nothing" ran_is ""

# SIGINT during a run: children stopped, exit 130, the interrupted task recorded nothing. The slow task's sleep
# has a length of its own (30.PID s), so that other tests' sleeps are neither counted nor killed.
SLOW=30.$$
echo again >b.txt
rm -f slow.started
SLOW_SECS=$SLOW "$SB" >"$T_OUT" 2>&1 &
pid=$!
i=0
while [ ! -e slow.started ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
rm -f slow.started
sleep 0.3
kill -INT $pid
wait $pid
RC=$?
check "SIGINT exits 130" rc_is 130
check "no sleep left behind" sh -c "! pgrep -x -f 'sleep $SLOW' >/dev/null"
sb -d explain
check "after SIGINT only the interrupted task runs" ran_is "slow"

# SIGTERM: exit 143.
echo again2 >b.txt
rm -f slow.started
SLOW_SECS=$SLOW "$SB" >"$T_OUT" 2>&1 &
pid=$!
i=0
while [ ! -e slow.started ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
rm -f slow.started
sleep 0.3
kill -TERM $pid
wait $pid
RC=$?
check "SIGTERM exits 143" rc_is 143
sb
check "after SIGTERM only the interrupted task runs" ran_is "slow"

# kill -9 in the middle: the next run does only the work still needed.
echo again3 >b.txt
rm -f slow.started
SLOW_SECS=$SLOW "$SB" >"$T_OUT" 2>&1 &
pid=$!
i=0
while [ ! -e slow.started ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
rm -f slow.started
kill -9 $pid
wait $pid 2>/dev/null
pkill -x -f "sleep $SLOW" 2>/dev/null
sleep 0.2
sb
check "after kill -9 the next run succeeds" rc_is 0
check "after kill -9 only the unfinished task runs" ran_is "slow"
sb
check "and then nothing" ran_is ""

# Two concurrent runs: the second waits for the lock and says who holds it, then has nothing to do.
echo again4 >b.txt
rm -f slow.started
SLOW_SECS=2 "$SB" >"$T_OUT.1" 2>&1 &
pid=$!
i=0
while [ ! -e slow.started ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
rm -f slow.started
sb
wait $pid
check "the second run waited for the lock" out_has "waiting for the lock on '.sindri-build' held by pid $pid"
check "the second run found nothing left to do" ran_is ""
check "the first run finished its work" grep -q "2 built" "$T_OUT.1"
rm -f "$T_OUT.1"

# A corrupted task log is detected, set aside and rebuilt; a corrupt file cache is rebuilt too.
printf 'garbage that is not a state file' >.sindri-build/tasks
sb
check "a corrupt task log is reported" out_has "tasks"
check "a corrupt task log is kept aside" test -e .sindri-build/tasks.bad
check "after a corrupt log the tasks rerun" ran_is "one slow two"
sb
check "and the rebuilt state works" ran_is ""
printf 'junk' >.sindri-build/files
sb
check "a corrupt file cache only costs a rehash" ran_is ""
check "a corrupt file cache is reported" out_has "files"

# The state directory is private to its user: it holds what runs keyed. 0700, and in it every directory 0700 and
# every file 0600; one that others could read (as older versions made it) is fixed by the next run that writes.
private() {
	test "$(stat -c %a .sindri-build)" = 700 &&
		test -z "$(find .sindri-build -mindepth 1 \( -type d ! -perm 700 \) -o \( ! -type d ! -perm 600 \))"
}
check "the state directory and everything in it are private" private
chmod 755 .sindri-build .sindri-build/blobs .sindri-build/luac
chmod 644 .sindri-build/tasks .sindri-build/files .sindri-build/lock
sb -n
check "a read-only run changes no mode" test "$(stat -c %a .sindri-build)" = 755
sb
check "a loose state directory: a note" out_has "state directory '.sindri-build' could be read by other users (mode 0755); made it and its files private"
check "a loose state directory: made private" private
sb
check "once private: no note" out_lacks "could be read by other users"

# A torn append (kill -9 while writing a record) is ignored.
printf '\001\002\003' >>.sindri-build/tasks
sb
check "a torn record at the end is ignored" ran_is ""

finish
