# t0004: the command line and bad input: every error names the file and line and writes no state.
. "$(dirname "$0")/../lib/lib.sh"

sb
check "no recipe: exit 2" rc_is 2
check "no recipe: says what to do" out_has "no recipe file 'sindri-build.lua'"

cat >sindri-build.lua <<'LUA'
task "build-image" { desc = "build the image", run = { "true" }, alias = { "v3-build-image" } }
task "deploy" { desc = "deploy it", deps = { "build-image" }, run = { "true" } }
default "deploy"
LUA
sb --version
check "--version prints a version" grep -Eq '^[0-9]+\.[0-9]+\.[0-9]+$' "$T_OUT"
sb --help
check "--help shows usage" out_has "usage: sindri-build"
sb -t targets
check "targets lists descriptions" out_has "build-image: build the image"
check "targets leaves the aliases to --all" out_lacks "(also: v3-build-image)"
sb -t targets --all
check "targets --all lists aliases" out_has "(also: v3-build-image)"
sb v3-build-image
check "an alias runs its task" ran_is "build-image"
sb -t graph
check "graph is dot" out_has '"build-image" -> "deploy"'
sb buld-image
check "unknown target: exit 2" rc_is 2
check "unknown target suggests the nearest name" out_has "unknown target 'buld-image'; did you mean 'build-image'?"
sb v3-image
check "a name that leaves out a word suggests the name with all its words" out_has "did you mean 'v3-build-image'?"
sb image-build
check "in any order" out_has "did you mean 'build-image'?"
sb image-push-v3
check "but not a name that lacks a word typed" out_lacks "did you mean"
sb -t nosuchtool
check "unknown tool: exit 2" rc_is 2
sb -j 0
check "bad -j: exit 2" rc_is 2
sb -C nowhere
check "bad -C: exit 2" rc_is 2
mkdir sub && cp sindri-build.lua sub/
sb -C sub -n
check "-C runs in that directory" ran_is "build-image deploy"
sb -f sub/sindri-build.lua -t targets
check "-f names another recipe" out_has "deploy: deploy it"

rm -rf .sindri-build
# each bad recipe: message with file:line, exit 2, and no state written
bad() {
	rm -rf .sindri-build
	printf '%s\n' "$2" >bad.lua
	sb -f bad.lua
	check "$1: exit 2" rc_is 2
	check "$1: message '$3'" out_has "$3"
	check "$1: no state written" test ! -e .sindri-build
}
bad "syntax error" 'task "x" { run = { "true" }
task "y" {' "bad.lua:2:"
bad "runtime error" 'local x = nil
x.field = 1' "bad.lua:2: attempt to index"
bad "unknown field" 'task "x" {
  inptus = { "a" } }' "bad.lua:1: task 'x': unknown field 'inptus'"
bad "bad field type" 'task "x" { deps = 3 }' "bad.lua:1: task 'x': field 'deps' must be a string or a list"
bad "duplicate task" 'task "x" { }
task "x" { }' "bad.lua:2: task name 'x' is already used by task 'x' at bad.lua:1"
bad "unknown dependency" 'task "compile" { }
task "x" { deps = { "compil" } }' "bad.lua:2: task 'x' depends on unknown task 'compil'; did you mean 'compile'?"
bad "cycle" 'task "a" { deps = { "b" } }
task "b" { deps = { "c" } }
task "c" { deps = { "a" } }
default "a"' "dependency cycle: a -> b -> c -> a"
bad "undefined global" 'task "x" { run = { "true" } }
default "x"
print(undefined_thing)' "bad.lua:3: undefined global 'undefined_thing'"
bad "redefining the API" 'task = 1' "cannot redefine 'task'"
bad "no default" 'task "x" { }' "no target given and the recipe has no default"
printf 'task "x" {\n  run = function() error("boom") end }\ndefault "x"\n' >bad.lua
sb -v -f bad.lua
check "-v adds a traceback to Lua errors" out_has "stack traceback"

cat >sindri-build.lua <<'LUA'
task "needs" { inputs = { "missing.txt" }, run = { "true" } }
task "makes" { outputs = { "never-made" }, run = { "true" } }
LUA
sb needs
check "a missing input fails the task" rc_is 1
check "a missing input names the task and the path" out_has "task 'needs': inputs: no such file or directory 'missing.txt'"
sb makes
check "a task that does not produce its output fails" rc_is 1
check "the missing output is named" out_has "did not produce its declared output: output 'never-made' is missing"
sb makes
check "and it is not recorded as done" ran_is "makes"

cat >sindri-build.lua <<'LUA'
task "report" { readonly = true, pool = "console", run = "echo reporting" }
LUA
rm -rf .sindri-build
sb report
check "a readonly task runs" out_has "reporting"
check "a run of readonly tasks creates no state" test ! -e .sindri-build
sb report
check "and runs every time" out_has "reporting"

cat >sindri-build.lua <<'LUA'
task "out" { outputs = { "o.txt" }, run = "echo hi > o.txt" }
LUA
sb out
sb out
sb -t stats
check "stats lists runs" grep -Eq '^out +1 ' "$T_OUT"
sb -t clean
check "clean removes outputs" test ! -e o.txt
check "clean says what it removed" out_has "removed 'o.txt'"
sb out
check "after clean the task runs again" ran_is "out"

finish
