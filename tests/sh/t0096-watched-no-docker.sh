# t0096: the watched tree (engine/watched.h, watch/) in a project with no Docker engine at all: the file watcher is
# the engine's, so plain tasks get the same no-op without stat calls, and every change to what their walks read is
# still found. The engine address names nothing, to prove nothing here needs one.
. "$(dirname "$0")/../lib/lib.sh"

DOCKER_HOST=unix://$T_ROOT/no-engine.sock
export DOCKER_HOST
at_exit '"$SB" -t server stop >/dev/null 2>&1'

mkdir -p proj/src/a proj/src/b proj/docs
cd proj || exit 1
echo one >src/a/1.txt
echo two >src/b/2.txt
echo readme >docs/readme.md
cat >sindri-build.lua <<'LUA'
task "bundle" { inputs = { "src/" }, outputs = { "bundle.txt" }, run = "cat src/*/* >bundle.txt" }
task "docs" { inputs = { "docs/*.md" }, outputs = { "docs.txt" }, run = "cat docs/*.md >docs.txt" }
default { "bundle", "docs" }
LUA

TREE_TASKS="bundle docs"
. "$T_TOP/tests/lib/watched.sh"

unwatchable_fs_ends_test

sb
check "the first run builds, with no Docker engine" ran_is "bundle docs"
check "an unchanged tree is vouched for once its walk is on record" settle
check "... the run is a no-op" out_has "no work to do"
check "... and spared the stat of each directory and file below src/ (3 and 2)" test "$(spared)" = 5
"$SB" -t server >"$T_OUT" 2>&1
check "-t server shows the file watcher" out_has "file watcher: running"
check "the keys of a vouched run agree with a run that stats everything" same_keys

echo changed >src/a/1.txt
sb -d stats
check "an input edited: walked in full" test "$(spared)" = 0
check "... and rebuilt" ran_is "bundle"
check "vouched for again" settle
echo three >src/b/3.txt
sb -d stats
check "a new file is found" ran_is "bundle"
settle
rm src/b/3.txt
sb -d stats
check "a file removed is found" ran_is "bundle"
settle
mv src/b src/c
sb -d stats
check "a directory renamed is found" ran_is "bundle"
settle
echo more >>docs/readme.md
sb -d stats
check "a globbed input edited is found" ran_is "docs"
settle
echo new >docs/new.md
sb -d stats
check "a new file a glob matches is found" ran_is "docs"
settle
echo beside >beside.txt
sb -d stats
check "a file written beside the walked directories changes nothing" vouched

# a task that started ends the vouch for every walk after it
cat >order.lua <<'LUA'
task "first" { always = true, run = "true" }
task "later" { inputs = { "src/" }, outputs = { "later.txt" }, deps = { "first" }, run = "cat src/*/* >later.txt" }
default "later"
LUA
sb -f order.lua -d stats
sb -f order.lua -d stats
sb -f order.lua -d stats
check "a walk after a task started takes nothing from the watched tree" test "$(walked)" -gt 0

"$SB" -t server stop >"$T_OUT" 2>&1
check "-t server stop ends the watcher" out_has "file watcher: stopped"
sb -d stats
check "a watcher that ended vouches for nothing" test "$(spared)" = 0
check "... still a no-op" out_has "no work to do"
check "... and a new one vouches again" settle
SINDRI_BUILD_WATCH=0 "$SB" -d stats >"$T_OUT" 2>&1
check "SINDRI_BUILD_WATCH=0: the watcher is not asked" out_has "(not asked)"
finish
