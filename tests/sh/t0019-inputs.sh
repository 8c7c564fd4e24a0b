# t0019: what a plain task's key takes from its input files besides their content (the executable bit, a symlink),
# and a result is recorded under a key only when the inputs it was built from still match that key after the run.
# An input edited while a task runs (a branch checked out, then back), a new file in an input directory: the run
# says so and records nothing, its dependents are not recorded either, and the next run runs them again.
. "$(dirname "$0")/../lib/lib.sh"

mkdir in
echo 'main v1' >in/a.txt
echo 'beside' >in/b.txt
# copy, once it started, waits while the test holds it, so that the test's edit lands inside its run
cat >sindri-build.lua <<'LUA'
task "copy" {
  inputs = { "in/" },
  outputs = { "out.txt" },
  run = "touch started; while [ -e hold ]; do sleep 0.05; done; cat in/a.txt > out.txt",
}
task "use" { deps = { "copy" }, outputs = { "use.txt" }, run = "cat out.txt > use.txt" }
default "use"
LUA

sb
check "a first run runs both" ran_is "copy use"
sb
check "then nothing" ran_is ""

# The executable bit is keyed (a script may be run), the other permission bits are not: a command reads the file
# the same way whatever they are, and they differ between checkouts with another umask.
chmod +x in/b.txt
sb -d explain
check "chmod +x on an input reruns" ran_is "copy use"
check "... and explain says so" out_has "input 'in/b.txt' changed: 'file' -> 'executable'"
chmod 600 in/b.txt
sb -d explain
check "chmod -x reruns too" ran_is "copy use"
chmod 644 in/b.txt
sb
check "read and write bits are not keyed" ran_is ""
# A symlink is keyed as such, even to the same content.
echo 'beside' >b-target
mv in/b.txt b.tmp
ln -s ../b-target in/b.txt
sb -d explain
check "a file replaced by a symlink to the same content reruns" ran_is "copy use"
check "... and explain says so" out_has "input 'in/b.txt' changed: 'file' -> 'symlink'"
rm in/b.txt b-target
mv b.tmp in/b.txt
sb

# A branch switch while copy runs, switched back (content and mtime) once the run is over: out.txt holds the other
# branch's content, and a rule that only compares keys would take it for current.
echo 'main v2' >in/a.txt
touch -r in/a.txt ref
sb_during "echo 'other b' >in/a.txt"
check "the run succeeds: every command did" rc_is 0
check "the run says which input changed while which task ran" \
	out_has "task 'copy': input 'in/a.txt' changed while it ran; not recorded, the next run runs it again"
check "a dependent of a result not recorded is not recorded either" \
	out_has "task 'use': not recorded, since 'copy', which it depends on, was not"
check "(out.txt got the other branch's content)" test "$(cat out.txt)" = 'other b'
echo 'main v2' >in/a.txt
touch -r ref in/a.txt
sb -d explain
check "with the old content and mtime back, the next run runs both again" ran_is "copy use"
check "... and out.txt is right" test "$(cat out.txt)" = 'main v2'
check "... and use.txt too" test "$(cat use.txt)" = 'main v2'
sb
check "then nothing" ran_is ""

# An edit that stays.
echo 'main v3' >in/a.txt
sb_during "echo 'main v4' >in/a.txt"
check "an edit during the run that stays is reported" out_has "input 'in/a.txt' changed while it ran"
sb
check "the next run runs it again" ran_is "copy use"
check "... with the content as it is" test "$(cat out.txt)" = 'main v4'

# A new file in an input directory, gone again after the run.
echo 'main v5' >in/a.txt
sb_during "echo new >in/new.txt"
check "a file added to an input directory during the run is reported" \
	out_has "input 'in/new.txt' was added while it ran"
rm in/new.txt
sb
check "the next run runs it again" ran_is "copy use"

# An edit put back while the task still runs: the inode's ctime tells, whatever content and mtime say.
echo 'main v6' >in/b.txt
touch -r in/b.txt ref
sb_during "echo 'main v7' >in/b.txt; echo 'main v6' >in/b.txt; touch -r ref in/b.txt"
check "an edit put back during the run is still seen (ctime)" out_has "input 'in/b.txt' changed while it ran"
sb
check "... and the next run runs it again" ran_is "copy use"

# A named input removed while the task runs.
echo lit >lit.txt
cat >lit.lua <<'LUA'
task "lit" {
  inputs = { "lit.txt" },
  outputs = { "lit.out" },
  run = "touch started; while [ -e hold ]; do sleep 0.05; done; cat lit.txt > lit.out 2>/dev/null; true",
}
LUA
sb_during "rm lit.txt" -f lit.lua lit
check "a named input removed during the run is reported" \
	out_has "input list changed (no such file or directory 'lit.txt') while it ran"
echo lit >lit.txt
sb -f lit.lua lit
check "... and the next run runs it again" ran_is "lit"

# Declared outputs are written by the run itself: an output inside an input directory is not an edit.
cat >self.lua <<'LUA'
task "self" { inputs = { "in/" }, outputs = { "in/gen.txt" }, run = "cat in/a.txt > in/gen.txt" }
LUA
sb -f self.lua self
check "a task writing its output into its input directory is recorded" out_lacks "changed while it ran"
sb -f self.lua self
check "(its output is an input of the next run's key)" ran_is "self"
sb -f self.lua self
check "then nothing" ran_is ""
rm in/gen.txt

# The same for a ninja edge (-t run): not recorded, and its stamp dated back so that ninja runs the edge again.
sb
echo 'edge v1' >in/a.txt
touch -r in/a.txt ref
sb_during "echo 'edge v2' >in/a.txt" -t run copy
check "-t run: the run succeeds" rc_is 0
check "-t run: says the input changed while it ran" out_has "input 'in/a.txt' changed while it ran"
check "-t run: the stamp is dated back for ninja" test "$(stat -c %Y .sindri-build/ninja/copy.stamp)" -lt 1000
echo 'edge v1' >in/a.txt
touch -r ref in/a.txt
sb -t run copy
check "-t run: the next edge runs it again" ran_is "copy"
check "... and out.txt is right" test "$(cat out.txt)" = 'edge v1'
sb -t run copy
check "-t run: then nothing" ran_is ""

finish
