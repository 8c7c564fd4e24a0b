# t0150: walks on record (engine/filecache.h, "Walks on record"): once the file watcher vouches for the tree, a task's
# input walk is taken whole from the record kept with the watcher's token (its digest stands for the files), and
# only what the watcher can speak for is kept: a change to any file, directory, mode, output or pattern of a walk
# is still found; a walk that relied on a missing directory or a symlink's target is walked every time; a change
# that touches one walk leaves the others on record; a walk after a task ran is never taken. No Docker engine.
. "$(dirname "$0")/../lib/lib.sh"

DOCKER_HOST=unix://$T_ROOT/no-engine.sock
export DOCKER_HOST
at_exit '"$SB" -C "$T_ROOT/proj" -t server stop >/dev/null 2>&1'

mkdir -p proj/src/sub proj/conf proj/ln proj/bin
cd proj || exit 1
echo one >src/a.txt
echo two >src/sub/b.txt
echo 'level=1' >conf/app.conf
echo 'other' >conf/other.conf
echo outside >"$T_ROOT/outside.txt"
ln -s "$T_ROOT/outside.txt" ln/t.txt
printf '#!/bin/sh\necho hi\n' >bin/run.sh
cat >sindri-build.lua <<'LUA'
task "tree" { inputs = { "src/" }, outputs = { "tree.out" }, run = "find src -type f | LC_ALL=C sort | xargs cat >tree.out" }
task "lit" { inputs = { "conf/app.conf" }, outputs = { "lit.out" }, run = "cp conf/app.conf lit.out" }
task "glob" { inputs = { "gen/*.c" }, outputs = { "glob.out" }, run = "cat gen/*.c >glob.out 2>/dev/null; true" }
task "linked" { inputs = { "ln/" }, outputs = { "linked.out" }, run = "cat ln/* >linked.out" }
task "exe" { inputs = { "bin/" }, outputs = { "exe.out" }, run = "ls -l bin | cut -c1-10 >exe.out" }
default { "tree", "lit", "glob", "linked", "exe" }
LUA

TREE_TASKS="tree lit glob linked exe"
. "$T_TOP/tests/lib/watched.sh"

unwatchable_fs_ends_test

# settle_taken N: run until a run takes N walks whole from the record (at most 5 runs).
settle_taken() {
	i=0
	sb -d stats
	while [ "$(taken)" != "$1" ] && [ $i -lt 5 ]; do
		sb -d stats
		i=$((i + 1))
	done
	equal "$(taken)" "$1"
}

sb
check "the first run builds" ran_is "exe glob linked lit tree"
# a file changed in the last 2 s is hashed again by every run (FILECACHE_RACY_NS): no walk of it is kept before
sleep 2.1
check "once the watcher vouches, three walks are taken whole from the record" settle_taken 3
check "... a no-op" out_has "no work to do"
check "... with one stat call: the symlink's, whose target is not watched" test "$(walked)" = 1
check "the walk from a missing directory and the one through a symlink are not on record" \
	test "$(grep -c '^walk ' .sindri-build/watch)" = 3
check "the keys of a run that took the walks agree with a run that stats everything" same_keys

rm tree.out
sb -d stats
check "an output removed while its inputs' walk is on record: rebuilt" ran_is "tree"
echo uno >src/a.txt
sb -t explain tree
check "... and what it recorded names each input file again (explain)" out_has "src/a.txt"
sb -d stats
check "an input edited under a walk on record: rebuilt" ran_is "tree"
check "... the walks it does not touch are still taken (lit, exe)" test "$(taken)" = 2
echo 'level=2' >conf/app.conf
sb -d stats
check "a file named as an input, edited: rebuilt" ran_is "lit"
echo three >src/sub/c.txt
sb -d stats
check "a new file below a walked directory: rebuilt" ran_is "tree"
mv src/sub src/moved
sb -d stats
check "a directory renamed: rebuilt" ran_is "tree"
chmod +x bin/run.sh
sb -d stats
check "a mode changed: rebuilt" ran_is "exe"
mkdir gen
echo 'int x;' >gen/x.c
sb -d stats
check "a glob's missing directory made, with a match: rebuilt" ran_is "glob"
echo changed >"$T_ROOT/outside.txt"
sb -d stats
check "what an input symlink names, edited outside the project: rebuilt" ran_is "linked"
echo 'other=2' >conf/other.conf
sb -d stats
check "a file beside a named input, edited: nothing to do" out_has "no work to do"
sed 's|inputs = { "src/" }|inputs = { "src/", "conf/other.conf" }|' sindri-build.lua >r.lua && mv r.lua sindri-build.lua
sb -d stats
check "an input pattern added: rebuilt" ran_is "tree"
check "the keys still agree with a run that stats everything" same_keys

sleep 2.1
check "vouched for again, the glob's walk too now that its directory is there" settle_taken 4
# a cold run (the state gone) tells the running watcher what it used without waiting for it: the run after it
# records the token, and the one after that is vouched for, as when the cold run waited
"$SB" -t server stop >/dev/null 2>&1
"$SB" -t server start >/dev/null 2>&1 # a watcher that watches nothing yet
rm -rf .sindri-build
sb
check "a cold run with the watcher running succeeds" test "$RC" = 0
sb -d stats
sb -d stats
check "... and the second run after it is vouched for (the symlink aside)" out_has "(unchanged), 4 walks taken"
"$SB" -t server stop >"$T_OUT" 2>&1
echo 'level=3' >conf/app.conf
sb -d stats
check "a watcher that ended vouches for nothing: the edit it missed is found" ran_is "lit"
check "... and no walk is taken" test "$(taken)" = 0

# a task that ran ends the vouch: a walk after it is never taken from the record, even an unchanged one's
cat >chain.lua <<'LUA'
task "gen" { always = true, run = "date +%s%N >chain.txt" }
task "use" { deps = { "gen" }, inputs = { "chain.txt", "src/" }, outputs = { "use.out" }, run = "cat chain.txt >use.out" }
default "use"
LUA
sb -f chain.lua
sleep 2.1
for i in 1 2 3; do
	sb -f chain.lua -d stats
	check "a walk after a task ran is walked (round $i)" test "$(taken)" = 0
	check "... and what the task wrote is found (round $i)" ran_is "gen use"
done
finish
