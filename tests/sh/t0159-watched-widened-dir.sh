# t0159: a directory the watcher watched only as one above what was walked (renames and removals: a cold run's
# request for a/b/ watches a/ so), then walked by a later run: a file made in it after that run walked it, and before
# the run asked the watcher to watch it, is seen by no event. The watch that gains the directory's events is new, so
# that run's token is not recorded and the next run finds the file (it took the old listing of a/ before).
. "$(dirname "$0")/../lib/lib.sh"

DOCKER_HOST=unix://$T_ROOT/no-engine.sock
export DOCKER_HOST
at_exit '"$SB" -t server stop >/dev/null 2>&1'

mkdir -p proj/a/b
cd proj || exit 1
echo one >a/b/1.txt
# s waits while $T_ROOT/hold exists: outside the project, so that the watcher sees nothing of it
cat >sindri-build.lua <<LUA
task "x" { inputs = { "a/b/" }, outputs = { "x.out" }, run = "cat a/b/* >x.out" }
task "y" { inputs = { "a/*.txt", "a/b/1.txt" }, outputs = { "y.out" }, run = "ls a >y.out" }
task "s" { inputs = { "a/b/" }, deps = { "y" }, outputs = { "s.out" },
           run = "touch $T_ROOT/started; while [ -e $T_ROOT/hold ]; do sleep 0.05; done; cat a/b/* >s.out" }
default { "x" }
LUA

. "$T_TOP/tests/lib/watched.sh"
unwatchable_fs_ends_test

"$SB" -t server start >/dev/null 2>&1
# the stat cache marks nothing changed in the last 2 seconds: let the tree age past that
sleep 2.5
sb x
check "a cold run builds x (and its request watches a/ only as above a/b/)" ran_is "x"
touch "$T_ROOT/hold"
"$SB" s >"$T_OUT" 2>&1 &
pid=$!
i=0
while [ ! -e "$T_ROOT/started" ] && [ $i -lt 2400 ] && kill -0 $pid 2>/dev/null; do
	sleep 0.05
	i=$((i + 1))
done
echo new >a/x.txt
rm -f "$T_ROOT/hold"
wait $pid
check "y and s build; a/x.txt is made after y walked a/, while s runs" ran_is "s y"
check "... y did not see it" equal "$(cat y.out | tr '\n' ' ')" "b "
sb -d stats s
check "the next run finds a/x.txt and builds y again" ran_is "s y"
check "... y's output lists it" equal "$(cat y.out | tr '\n' ' ')" "b x.txt "
SINDRI_BUILD_WATCH=0 sb -n s
check "a run that stats everything agrees: nothing left to do" out_has "no work to do"

finish
