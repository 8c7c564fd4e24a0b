# t0097: watch mode (-w, cli/watchmode.h): a build, then a build again whenever what it read changes, through the
# engine's file-watching seam; a burst of changes is one build, a change during a build is built after it, an edit
# of the recipe is seen, and SIGINT ends it with the state consistent. No Docker engine is needed.
. "$(dirname "$0")/../lib/lib.sh"

DOCKER_HOST=unix://$T_ROOT/no-engine.sock
export DOCKER_HOST
at_exit '[ -n "${WPID:-}" ] && kill -TERM "$WPID" 2>/dev/null; "$SB" -t server stop >/dev/null 2>&1'

mkdir -p proj/src
cd proj || exit 1
echo one >src/a.txt
cat >sindri-build.lua <<'LUA'
task "bundle" { inputs = { "src/" }, outputs = { "out.txt" }, run = "sleep ${SLOW:-0}; cat src/* >out.txt" }
default "bundle"
LUA
LOG=$T_ROOT/watch.log

# until SECONDS CMD...: wait until CMD succeeds, at most SECONDS.
until_ok() {
	n=$(($1 * 10))
	shift
	while ! "$@" 2>/dev/null; do
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		sleep 0.1
	done
}
builds() { grep -c 'building again' "$LOG"; }
out_is() { [ "$(cat out.txt)" = "$1" ]; }
watching() { [ "$(grep -c 'watching for changes' "$LOG")" -ge "$1" ]; }

# SIGINT at its default (a shell starts background jobs with it ignored)
env --default-signal=INT "$SB" -w >"$LOG" 2>&1 &
WPID=$!
check "the first build runs and it starts watching" until_ok 20 watching 1
check "... with the output built" out_is one

echo two >src/a.txt
check "an edit is built" until_ok 20 out_is two
check "... once" test "$(builds)" = 1
check "... and the status line names what changed" grep -q 'changed: src/a.txt; building again' "$LOG"

until_ok 20 watching 2
for i in 1 2 3 4 5 6 7 8 9; do echo "$i" >"src/b$i.txt"; done
check "a burst of new files is built" until_ok 20 out_is "$(cat src/*)"
sleep 1
check "... in one build" test "$(builds)" = 2

until_ok 20 watching 3
rm src/b*.txt
echo renamed >src/c.txt
check "removed files and a new one are built" until_ok 20 out_is "$(printf 'two\nrenamed')"

until_ok 20 watching 4
cat >sindri-build.lua <<'LUA'
task "bundle" { inputs = { "src/" }, outputs = { "out.txt" }, run = "sleep ${SLOW:-0}; cat src/* >out.txt; echo v2 >>out.txt" }
default "bundle"
LUA
check "an edit of the recipe is built" until_ok 20 grep -q v2 out.txt
check "... and said" grep -q 'the recipe changed' "$LOG"

kill -INT "$WPID"
i=0
while kill -0 "$WPID" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "SIGINT ends it" test $i -lt 100
wait "$WPID"
check "... with exit status 130" test $? = 130
WPID=
sb
check "the state is consistent: the next run is a no-op" out_has "no work to do"

# a change made while a build runs is built after it
SLOW=2 env --default-signal=INT "$SB" -w >"$LOG" 2>&1 &
WPID=$!
until_ok 30 watching 1
echo during-1 >src/a.txt
started() { [ "$(grep -c '^\[1/1\] bundle' "$LOG")" -ge "$1" ]; }
until_ok 20 started 1 # the build of during-1 runs (2 s; the first build was a no-op)
sleep 0.3
echo during-2 >src/a.txt
check "a change during a build is built after it" until_ok 30 grep -q during-2 out.txt
kill -TERM "$WPID"
wait "$WPID"
check "SIGTERM ends it with 143" test $? = 143
WPID=

# a task that writes into its own inputs changes them with every build: said, not looped on
cat >loop.lua <<'LUA'
task "loop" { inputs = { "src/" }, outputs = { "src/stamp" }, run = "date +%N >src/stamp" }
default "loop"
LUA
timeout 60 "$SB" -w -f loop.lua >"$T_OUT" 2>&1
check "a build that changes its own inputs ends watch mode with exit 2" test $? = 2
check "... saying why" out_has "could not vouch for what they read: a task writes into its own inputs"
rm -f src/stamp loop.lua

SINDRI_BUILD_WATCH=0 "$SB" -w >"$T_OUT" 2>&1
check "without the file watcher, -w says why" test $? = 2
check "... naming the variable" out_has "SINDRI_BUILD_WATCH=0"
sb -w -n
check "-w with -n is a usage error" test "$RC" = 2
finish
