# t0013: the watched tree (engine/watched.h, watch/): once a full walk is on record with the file watcher, a run in
# which nothing below the project changed takes the walks' stat data from the file cache; any change to what the
# walks read makes the next run walk in full and find it.
. "$(dirname "$0")/../lib/lib.sh"
need_docker

P="sbtest-$$"
at_exit '"$DOCKER" image ls --format "{{.Repository}}:{{.Tag}}" | grep "^$P[-:]" | xargs -r "$DOCKER" rmi -f >/dev/null 2>&1'
at_exit '"$SB" -C "$T_ROOT/proj" -t server stop >/dev/null 2>&1'

mkdir -p proj/app/src/a proj/app/src/b proj/data
cd proj || exit 1
echo one >app/src/a/1.txt
echo two >app/src/b/2.txt
echo notes >app/src/notes.md
echo keep >app/keep.txt
echo d1 >data/x
printf 'src/notes.md\n' >app/.dockerignore
cat >app/Dockerfile <<'DF'
FROM busybox:local
COPY src/ /src/
COPY keep.txt /keep.txt
DF
cat >sindri-build.lua <<LUA
image "app" { context = "app", tags = { "$P-app:1" } }
task "plain" { inputs = { "data/" }, outputs = { "out.txt" }, run = "cat data/* >out.txt" }
default { "app", "plain" }
LUA

TREE_TASKS="app plain"
. "$T_TOP/tests/lib/watched.sh"

unwatchable_fs_ends_test

sb
check "the first run builds" ran_is "app plain"
check "an unchanged tree is vouched for once its full walk is on record" settle
check "... the run is a no-op" out_has "no work to do"
check "... and spared the stat of every file and directory it walks (2 directories and 3 files)" test "$(spared)" = 5
tok=$(cat .sindri-build/watch)

sb -d stats -n
check "a dry run is vouched for too" vouched
sb -d stats -t key app
check "-t key is vouched for too" vouched
check "... and neither wrote the token" test "$(cat .sindri-build/watch)" = "$tok"

echo changed >app/src/a/1.txt
sb -d stats
check "a file the image COPYs, edited: the run walks in full" test "$(spared)" = 0
check "... and rebuilds the image" ran_is "app"
sb -d stats
check "the run after a change is vouched for again" vouched
check "... a no-op" out_has "no work to do"

echo three >app/src/b/3.txt
sb -d stats
check "a new file in a directory the image COPYs is found" ran_is "app"
settle
rm app/src/b/3.txt
sb -d stats
check "a file removed is found" ran_is "app"
settle
mv app/src/b app/src/c
sb -d stats
check "a directory renamed is found" ran_is "app"
settle
touch app/src/a/1.txt
sb -d stats
check "a touch (the content unchanged) is walked in full" test "$(spared)" = 0
check "... and builds nothing" out_has "no work to do"
settle
chmod +x app/src/a/1.txt
sb -d stats
check "a chmod is walked in full" test "$(spared)" = 0
check "... and rebuilds: COPY keeps the mode" ran_is "app"
settle
mkdir app/src/a/empty
sb -d stats
check "a new empty directory under a vouch is found" ran_is "app"
settle
chmod 700 app/src/a/empty
sb -d stats
check "a directory's chmod under a vouch is found" ran_is "app"
rmdir app/src/a/empty
settle
echo more >>app/src/notes.md
sb -d stats
check "a file the ignore file leaves out, edited: walked in full" test "$(spared)" = 0
check "... and nothing built" out_has "no work to do"
settle
echo note >beside.txt
echo note2 >>beside.txt
sb -d stats
check "a file written in the project root, beside what the walks read, changes nothing" vouched
mv app/src app/src.old
cp -a app/src.old app/src
echo swapped >app/src/a/1.txt
sb -d stats
check "a walked directory swapped for an edited copy is found" ran_is "app"
rm -rf app/src.old
settle
sleep 3
sb
settle
mv app app.old
cp -a app.old app
echo swapped-above >app/src/a/1.txt
sb -d stats
check "a directory above the walked ones swapped for an edited copy is found" ran_is "app"
rm -rf app.old
settle
# A file the ignore file leaves out for a while, edited meanwhile, then read again: its new content counts. (The
# exception after it keeps the walk from skipping the file unread: it is stat'ed, then left out. The sleep makes
# the file's hash one that is trusted without a read, so stale stat data would give a stale key.)
sleep 3
sb
settle
printf 'src/notes.md\nsrc/a/1.txt\n!src/none\n' >app/.dockerignore
sb
check "(1.txt ignored: rebuilt)" ran_is "app"
settle
echo edited-while-ignored >app/src/a/1.txt
sb
check "an ignored file edited builds nothing" out_has "no work to do"
sleep 3
sb
settle
printf 'src/notes.md\n' >app/.dockerignore
sb -d stats
check "read again, the file's new content counts" ran_is "app"
check "... and the keys agree with a run that stats everything" same_keys
settle
check "the keys of a vouched run agree with a run that stats everything" same_keys
echo d2 >data/x
sb -d stats
check "a plain task's input edited is found" ran_is "plain"
check "the tree is vouched for again" settle

# A write through a hard link made from outside the project: the file's own watch sees it. (The sleep makes the
# file's cached hash trusted without a read, as it is for any file not changed in the last 2 s: a missed event
# would then go unnoticed.)
ln app/src/a/1.txt "$T_ROOT/outside-link"
sb -d stats
check "a hard link made to an input from outside is seen (a link count changes)" test "$(spared)" = 0
sleep 3
sb
settle
echo via-the-link >>"$T_ROOT/outside-link"
sb -d stats
check "a write through that outside name is found" ran_is "app"
rm "$T_ROOT/outside-link"
settle

# A symlink in a build context is an entry of its own (COPY keeps the link): it is stat'ed every time, the rest is
# not, and what it names (here outside the project) is never read.
echo target >"$T_ROOT/outside-target"
ln -s "$T_ROOT/outside-target" app/src/a/link.txt
sb
check "(a symlink added: rebuilt)" ran_is "app"
sleep 3
sb
settle
check "a symlink is stat'ed every time, and only it" test "$(walked)" = 1
echo retargeted >"$T_ROOT/outside-target"
sb -d stats
check "a change to what it names changes nothing: the image holds the link" ran_is ""
ln -sfn "$T_ROOT/another-target" app/src/a/link.txt
sb -d stats
check "a symlink retargeted under a vouch is found" ran_is "app"
rm app/src/a/link.txt "$T_ROOT/outside-target"
sb
check "without it, vouched for again" settle

# A task that starts ends the vouch: a later task's walk stats again, whatever the tree did.
cat >order.lua <<LUA
task "first" { always = true, run = "true" }
task "later" { inputs = { "data/" }, outputs = { "later.txt" }, deps = { "first" }, run = "cat data/* >later.txt" }
default "later"
LUA
sb -f order.lua -d stats
sb -f order.lua -d stats
sb -f order.lua -d stats
check "a walk after a task started takes nothing from the watched tree" test "$(walked)" -gt 0
check "... (the task ran)" ran_is "first"

# The token goes with the stat cache it was recorded with: a cache put back from before is not vouched for.
settle
cp .sindri-build/files files.old
echo changed-again >app/src/a/1.txt
sb
check "(an edit, rebuilt)" ran_is "app"
settle
cp files.old .sindri-build/files
sb -d stats
check "a stat cache put back from before the last change: its stat data is not taken" test "$(spared)" = 0
check "... and the edit stays built" out_has "no work to do"
check "... then vouched for again" settle

SINDRI_BUILD_WATCH=0 "$SB" -d stats >"$T_OUT" 2>&1
check "SINDRI_BUILD_WATCH=0: the watcher is not asked" out_has "(not asked)"
check "... and every walk stats" test "$(spared)" = 0

"$SB" -t server stop >/dev/null 2>&1
sb -d stats
check "a watcher that ended vouches for nothing: a new one knows no token" test "$(spared)" = 0
check "... still a no-op" out_has "no work to do"
check "... and the one after is vouched for again" settle

cd "$T_ROOT" || exit 1
cp -a proj proj2
"$SB" -C proj2 -d stats >"$T_OUT" 2>&1
check "a copy of the project (its token with it) is walked in full" test "$(spared)" = 0
check "... and builds nothing new" out_has "no work to do"
"$SB" -C proj2 -t server stop >/dev/null 2>&1
finish
