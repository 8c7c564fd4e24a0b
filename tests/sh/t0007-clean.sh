# t0007: outputs live in the project, and -t clean removes only what a recorded run of the task produced.
. "$(dirname "$0")/../lib/lib.sh"

# the project is a directory of its own, so that "../" and an absolute path can name a file outside it
mkdir proj outside
cd proj || exit 1

echo precious >"$T_ROOT/victim.txt"
cat >sindri-build.lua <<'LUA'
task "escape" {
  outputs = { "../victim.txt" },
  run = "true",
}
LUA
sb -t clean
check "'..' in outputs: a load error" rc_is 2
check "'..' in outputs: the message names file, line and what to do" \
	out_has "sindri-build.lua:1: task 'escape': output '../victim.txt' leaves the project with '..'; outputs are paths inside the project"
check "'..' in outputs: clean leaves the victim" test "$(cat "$T_ROOT/victim.txt")" = precious
sb escape
check "'..' in outputs: the task does not run either" rc_is 2

echo precious >"$T_ROOT/outside/x"
cat >sindri-build.lua <<LUA
task "abs" {
  outputs = { "$T_ROOT/outside/x" },
  run = "true",
}
LUA
sb -t clean
check "an absolute output: a load error" rc_is 2
check "an absolute output: the message says what to do" \
	out_has "sindri-build.lua:1: task 'abs': output '$T_ROOT/outside/x' is an absolute path; outputs are paths inside the project"
check "an absolute output: clean leaves the file" test "$(cat "$T_ROOT/outside/x")" = precious
rm -rf .sindri-build

# a task never run: its declared output is someone else's file, and stays
echo mine >notes.txt
cat >sindri-build.lua <<'LUA'
task "never" { outputs = { "notes.txt" }, run = "echo generated > notes.txt" }
task "made" { outputs = { "made.txt" }, run = "echo made > made.txt" }
LUA
sb -t clean never
check "clean of a task never run: succeeds" rc_is 0
check "clean of a task never run: leaves its declared output" test "$(cat notes.txt)" = mine
check "clean of a task never run: says so" out_has "task 'never' has no recorded run: nothing removed"
sb -t clean
check "clean of every task: leaves the never-run task's output" test "$(cat notes.txt)" = mine

# what the recorded run declared goes; an output declared since, never made by a run, stays
sb made
check "the task runs" test -f made.txt
sed 's/outputs = { "made.txt" }/outputs = { "made.txt", "notes.txt" }/' sindri-build.lua >r.new && mv r.new sindri-build.lua
sb -t clean made
check "clean removes what the recorded run made" test ! -e made.txt
check "clean says what it removed" out_has "removed 'made.txt'"
check "clean leaves an output declared after that run" test "$(cat notes.txt)" = mine
check "clean forgets the run" test -z "$("$SB" -t stats | grep '^made ')"
sb made
check "after clean the task runs again" ran_is "made"

# an output below a symlinked directory: the run wrote through it, clean never follows it out of the project
rm -rf .sindri-build
ln -s ../outside out
echo precious >"$T_ROOT/outside/keep.txt"
cat >sindri-build.lua <<'LUA'
task "through" { outputs = { "out/keep.txt", "here.txt" }, run = "echo made > here.txt" }
LUA
sb through
check "the task ran with an output under a symlinked directory" rc_is 0
sb -t clean through
check "clean through a symlinked directory: fails" rc_is 1
check "clean through a symlinked directory: says why" \
	out_has "task 'through': not removing 'out/keep.txt': 'out' on its way is a symlink"
check "clean through a symlinked directory: the file outside stays" test "$(cat "$T_ROOT/outside/keep.txt")" = precious
check "clean through a symlinked directory: the other output goes" test ! -e here.txt
check "clean through a symlinked directory: the symlink stays" test -L out

# an output that is a symlink itself: the link goes, not what it names
rm -rf .sindri-build
cat >sindri-build.lua <<'LUA'
task "link" { outputs = { "link.txt" }, run = "ln -sf ../outside/keep.txt link.txt" }
LUA
sb link
sb -t clean link
check "a symlink output: the link is removed" test ! -e link.txt -a ! -L link.txt
check "a symlink output: its target stays" test "$(cat "$T_ROOT/outside/keep.txt")" = precious

finish
