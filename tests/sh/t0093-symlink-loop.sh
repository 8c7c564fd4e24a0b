# t0093: a symlink that loops (to itself, or two that name each other) below a directory or glob input is no input,
# as a dangling one is: no command can read it. The task runs, a later run skips it, and the link becomes an input
# once it names a file.
. "$(dirname "$0")/../lib/lib.sh"
SINDRI_BUILD_SERVER=0
export SINDRI_BUILD_SERVER

mkdir -p in/sub
echo one >in/sub/f.txt
ln -s self.txt in/self.txt
ln -s b.txt in/sub/a.txt
ln -s a.txt in/sub/b.txt
cat >sindri-build.lua <<'LUA'
task "dir" { inputs = { "in/" }, outputs = { "dir.out" }, run = "cat in/sub/f.txt >dir.out" }
task "glob" { inputs = { "in/**/*.txt" }, outputs = { "glob.out" }, run = "cat in/sub/f.txt >glob.out" }
task "all" { deps = { "dir", "glob" } }
default "all"
LUA

sb
check "looping links: the tasks run" rc_is 0
check "both ran" ran_is "dir glob"
sb
check "then nothing to do" out_has "no work to do"
echo two >in/sub/f.txt
sb
check "an input edited: both run again" ran_is "dir glob"
rm in/self.txt
ln -s sub/f.txt in/self.txt
sb
check "the loop now names a file: an input, both run" ran_is "dir glob"
sb
check "and then nothing to do" out_has "no work to do"

finish
