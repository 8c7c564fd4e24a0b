# t0113: the closing line counts the tasks of nested builds; -q prints only errors (an image build's output only
# when it fails, its tail); -v streams a task's output as it comes.
. "$(dirname "$0")/../lib/lib.sh"
need_docker
P=sb-t0113-$$
at_exit "\"\$DOCKER\" rmi -f $P:good >/dev/null 2>&1"

cat >sindri-build.lua <<'LUA'
task "a" { inputs = { "a.txt" }, outputs = { "a.out" }, run = "cp a.txt a.out" }
task "b" { inputs = { "b.txt" }, outputs = { "b.out" }, run = "cp b.txt b.out" }
task "fails" { always = true, run = "i=0; while [ $i -lt 40 ]; do echo noise$i; i=$((i+1)); done; echo the-error; exit 1" }
task "cycle" { always = true, run = function() return (sb.build { "a", "b" }) end }
task "outer" { always = true, run = function() return (sb.build { "cycle" }) end }
task "cycle-fails" { always = true, run = function() return (sb.build { "a", "fails" }) end }
task "talk" { always = true, run = "echo first-line; i=0; while [ ! -e go ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; test -e go" }
LUA
echo 1 >a.txt
echo 1 >b.txt

# the closing line: nested tasks counted, the tasks that started them not
sb cycle
check "a cycle that built two" out_has "^sindri-build: 2 built, 0 up to date, 0 failed in "
echo 2 >b.txt
sb outer
check "a cycle inside a cycle: one built, one up to date" out_has "^sindri-build: 1 built, 1 up to date, 0 failed in "
sb outer
check "nothing to do, two levels down" out_has "^sindri-build: no work to do: 2 up to date in "
sb -n a
check "a dry run with nothing to run says no work to do" out_has "^sindri-build: no work to do: 1 up to date in "
echo 9 >a.txt
sb -n a
check "a dry run with something to run says what would run" out_has "^sindri-build: dry run: 1 would run, 0 up to date, 0 failed in "
echo 1 >a.txt
sb cycle-fails
check "a failure inside a cycle is counted" out_has "^sindri-build: 0 built, 1 up to date, 1 failed in "
check "... and the run fails" rc_is 1
check "--json counts it the same" sh -c "'$SB' --json cycle-fails 2>/dev/null | python3 -c 'import json, sys; d = json.load(sys.stdin); sys.exit(0 if (d[\"built\"], d[\"up_to_date\"], d[\"failed\"]) == (0, 1, 1) else 1)'"

# -q: nothing on success, the error and the closing line on failure
sb -q cycle
check "-q: a successful run prints nothing" test ! -s "$T_OUT"
echo 3 >a.txt
sb -q cycle
check "-q: ... even when it built something" test ! -s "$T_OUT"
sb -q fails
check "-q: a failure: exit 1" rc_is 1
check "-q: ... FAILED and the task" out_has "^FAILED: fails"
check "-q: ... the end of its output, where the error is" out_has "^the-error"
check "-q: ... not the start of it" out_lacks "^noise0$"
check "-q: ... and says how much was left out" out_has "^\[\.\.\. 11 lines above; -v shows all of it\]"
check "-q: ... and the closing line" out_has "^sindri-build: 0 built, 0 up to date, 1 failed in "
check "-q: ... and no status line" out_lacks "^\[1/1\]"
sb fails
check "without -q the whole output" out_has "^noise0$"

# -q and an image: its build's output only when it fails
printf 'FROM busybox:local\nRUN echo built-%s\n' "$$" >Dockerfile
printf 'FROM busybox:local\nRUN echo image-noise && exit 4\n' >Dockerfile.bad
cat >>sindri-build.lua <<LUA
image "good" { dockerfile = "Dockerfile", context = ".", inputs = { "Dockerfile" }, tags = { "$P:good" } }
image "bad" { dockerfile = "Dockerfile.bad", context = ".", tags = { "$P:bad" } }
LUA
sb -q good
check "-q image: built" rc_is 0
check "-q image: docker build's output kept back" test ! -s "$T_OUT"
sb -q bad
check "-q image that fails: exit 1" rc_is 1
check "-q image that fails: its output is shown" out_has "image-noise"
check "-q image that fails: and the closing line" out_has "^sindri-build: 0 built, 0 up to date, 1 failed in "

# -v streams: the line is seen before the task ends (it waits for it to be seen)
rm -f go
"$SB" -v talk >"$T_OUT" 2>&1 &
pid=$!
i=0
while ! grep -q '^first-line' "$T_OUT" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
touch go
wait $pid
RC=$?
check "-v: the task's output streamed while it ran" rc_is 0

finish
