# t0032: the samu-parity command line: -t run (one task, deps taken as done), -t query, -t commands, NINJA_STATUS,
# recipe variables baked into the ninja file, and names that collide with paths.
. "$(dirname "$0")/../lib/lib.sh"
unset NINJA_STATUS SINDRI_STATUS

runs_are() {
	got=$(sort runs.log 2>/dev/null | tr '\n' ' ' | sed 's/ $//')
	: >runs.log
	[ "$got" = "$1" ] || { echo "  expected runs '$1', got '$got'" >&2; return 1; }
}

mkdir -p src
echo one >src/a.c
cat >sindri-build.lua <<'LUA'
local mode = var("MODE", "debug")
task "compile" {
  inputs = { "src/" },
  outputs = { "out/compiled" },
  run = "echo compile >> runs.log; mkdir -p out && cat src/a.c > out/compiled && echo " .. mode .. " >> out/compiled",
  alias = { "v3-compile" },
}
task "link" {
  deps = { "compile" },
  inputs = { "out/compiled" },
  outputs = { "out/linked" },
  run = { "sh", "-c", "echo link >> runs.log; cp out/compiled out/linked" },
}
task "fail" { run = "echo broken; exit 3" }
task "slow" { run = "sleep 2; echo slow >> runs.log" }
task "all" { deps = { "link" } }
default "all"
LUA

sb -t run link
check "-t run never builds a dependency" rc_is 1
check "it says which one to build first" out_has "task 'link' needs 'compile', which was never built here"
check "nothing ran" runs_are ""
sb -t run compile
check "-t run builds the task" rc_is 0
check "that task only" runs_are "compile"
check "and leaves its stamp holding its key" test "$(cat .sindri-build/ninja/compile.stamp)" = "$("$SB" -t key compile)"
check "and its depfile" grep -q 'src/a.c' .sindri-build/ninja/compile.d
sb -t run link
check "-t run link once compile is built" runs_are "link"
sb -t run link
check "-t run again: up to date, nothing runs" runs_are ""
check "quietly" test ! -s "$T_OUT"

echo two >src/a.c
sb -d explain -t run link
check "-t run takes a stale dependency as it was recorded: nothing runs" runs_are ""
check "-t run link exits 0" rc_is 0
stamp=$(cat .sindri-build/ninja/compile.stamp)
sb -d explain -t run compile
check "-t run with -d explain says why" out_has "explain compile: input 'src/a.c' modified"
check "a new key rewrites the stamp" test "$(cat .sindri-build/ninja/compile.stamp)" != "$stamp"
runs_are compile
sb -t run fail
check "-t run: a failing task exits 1" rc_is 1
check "-t run: its output is shown" out_has "broken"
check "-t run: the failure is named" out_has "task 'fail' failed with exit status 3"
check "-t run: a failed task leaves no stamp" test ! -e .sindri-build/ninja/fail.stamp
sb -t run
check "-t run without a task: exit 2" rc_is 2
sb -t run link compile
check "-t run with two tasks: exit 2" rc_is 2
sb -t run lnk
check "-t run with an unknown task suggests one" out_has "did you mean 'link'?"

"$SB" -t run slow >"$T_OUT" 2>&1 &
pid=$!
sleep 0.5
kill -TERM "$pid"
wait "$pid"
RC=$?
check "-t run: SIGTERM stops the task" rc_is 143
sleep 2
check "-t run: the job was stopped with it" runs_are ""
check "-t run: an interrupted task leaves no stamp" test ! -e .sindri-build/ninja/slow.stamp

sb -t query link v3-compile
check "-t query names how the task runs" out_has "^link:$"
check "-t query: its deps are its inputs" sh -c "grep -A2 '^link:' '$T_OUT' | tail -n 1 | grep -qx '    compile'"
check "-t query: the kind of run" out_has "  input: argv"
check "-t query: input files as implicit inputs" out_has "    | out/compiled"
check "-t query: outputs" out_has "^    out/linked$"
check "-t query: dependents" sh -c "sed -n '/^link:/,/^v3-compile:/p' '$T_OUT' | grep -A1 'used by:' | grep -q '    all'"
check "-t query answers to an alias" out_has "^v3-compile:$"
check "-t query: an alias's input files" out_has "    | src/a.c"
sb -t query
check "-t query without a task: exit 2" rc_is 2
sb -t query nope
check "-t query of an unknown task: exit 2" rc_is 2

sb -t commands
check "-t commands: the default's commands, dependencies first" test "$(head -n 1 "$T_OUT")" = \
	"echo compile >> runs.log; mkdir -p out && cat src/a.c > out/compiled && echo debug >> out/compiled"
check "-t commands: an argv is shell-quoted" out_has "^sh -c 'echo link >> runs.log; cp out/compiled out/linked'$"
check "-t commands: a group has no command" test "$(wc -l <"$T_OUT")" -eq 2
sb -t commands compile MODE=release
check "-t commands TASK: that task's commands, with the variables" test "$(cat "$T_OUT")" = \
	"echo compile >> runs.log; mkdir -p out && cat src/a.c > out/compiled && echo release >> out/compiled"
check "-t commands writes no state" test ! -e .sindri-build/ninja/fail.stamp

sb -t list
check "-t list has the ninja tools" sh -c "grep -q '^  ninja ' '$T_OUT' && grep -q '^  run ' '$T_OUT' && grep -q '^  query ' '$T_OUT' && grep -q '^  commands ' '$T_OUT'"
sb --help
check "--help shows -o" out_has "-o FILE"

rm -rf .sindri-build out
NINJA_STATUS='<%s of %t> ' sb
check "NINJA_STATUS is the status format when SINDRI_STATUS is unset" out_has "^<1 of 3> compile$"
rm -rf .sindri-build out
SINDRI_STATUS='{%s} ' NINJA_STATUS='<%s of %t> ' sb
check "SINDRI_STATUS wins over NINJA_STATUS" out_has "^{1} compile$"
runs_are "compile compile link link"

# Variables on the generating command line are baked into every command.
NINJA=${NINJA:-$(command -v ninja)}
if [ -n "$NINJA" ]; then
	sb -t ninja MODE=release
	check "-t ninja VAR=value bakes the variable" grep -q '^vars = MODE=release$' build.ninja
	"$NINJA" all >"$T_OUT" 2>&1
	check "ninja builds with the variable" grep -q release out/compiled
	sb -n MODE=release
	check "sindri-build with the same variable agrees" out_has "no work to do"
	sb -t ninja -o other.ninja MODE=debug
	"$NINJA" -f other.ninja all >"$T_OUT" 2>&1
	check "a file generated with another value rebuilds with it" grep -q debug out/compiled

	# Names that are also paths: a task named like its input directory, a task named like its output.
	mkdir names && cd names && mkdir src && echo x >src/x
	cat >sindri-build.lua <<'LUA'
task "src" { inputs = { "src/" }, outputs = { "src.txt" }, run = "echo src >> runs.log; cat src/* > src.txt" }
task "hello" { deps = { "src" }, outputs = { "hello" }, run = "echo hello >> runs.log; cp src.txt hello" }
default "hello"
LUA
	sb -t ninja
	check "a task named like its output gets no phony edge" sh -c '! grep -q "^build hello: phony" build.ninja'
	check "a task named like a directory keeps its phony edge" grep -q '^build src: phony' build.ninja
	"$NINJA" >"$T_OUT" 2>&1
	RC=$?
	check "the directory and the phony target are not one node (no cycle)" rc_is 0
	check "both tasks ran" runs_are "hello src"
	echo y >src/y
	"$NINJA" src >"$T_OUT" 2>&1
	check "a file added to the directory named like a task is noticed" runs_are "src"
	"$NINJA" hello >"$T_OUT" 2>&1
	check "ninja OUTPUT builds the task that makes it" runs_are "hello"
	cd ..
else
	echo "$T_NAME: no ninja: the generated-file part is skipped"
fi

# A check function that asks what is outdated (as the Sindri dev image's does) works under -t run as in a build.
mkdir outdated && cd outdated || exit 1
cat >sindri-build.lua <<'LUA'
task "part" { outputs = { "part.txt" }, run = "echo part > part.txt" }
task "whole" {
  deps = { "part" },
  run = function() sb.run("echo whole > whole.txt") end,
  check = function()
    if next(sb.outdated { "part" }) == nil and sb.exists("whole.txt") then return true end
    return false, "whole.txt is missing"
  end,
}
task "show" {
  always = true,
  run = function()
    for name, why in pairs(sb.outdated { "whole" }) do print("outdated " .. name .. ": " .. why) end
  end,
}
LUA
sb show >"$T_OUT" 2>&1
check "sb.outdated names each task to run with its reason" out_has "outdated part: "
check "... every one of them" out_has "outdated whole: "
sb -t run part
check "-t run: the dependency runs" rc_is 0
sb -t run whole
check "-t run: a check function may call sb.outdated" rc_is 0
check "and its run ran" test -s whole.txt
sb -t run whole
check "-t run again: the check finds it current" rc_is 0
cd ..

printf 'task "a" { deps = { "b" } }\ntask "b" { deps = { "a" } }\n' >cycle.lua
sb -f cycle.lua -t ninja -o cycle.ninja
check "-t ninja with a cycle: exit 2" rc_is 2
check "-t ninja with a cycle writes nothing" test ! -e cycle.ninja
sb -t ninja extra
check "-t ninja with a target: exit 2" rc_is 2

finish
