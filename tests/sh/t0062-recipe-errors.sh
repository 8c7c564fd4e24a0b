# t0062: recipe mistakes are load errors that name the file and line and say what to do; a missing Docker engine
# stops a run that needs it with one message.
. "$(dirname "$0")/../lib/lib.sh"

# recipe BODY...: a recipe whose line 3 holds the task with the given fields
recipe() {
	printf -- '-- line 1\n-- line 2\ntask "a" { %s }\ndefault "a"\n' "$1" >sindri-build.lua
}

recipe 'pool = "buidl", run = "true"'
sb
check "an unknown pool is an error" rc_is 2
check "... naming the file, line, task and pool" out_has "sindri-build: sindri-build.lua:3: task 'a': unknown pool 'buidl'"
check "... and saying how to declare it" out_has "declare it with pool \"buidl\" { depth = N }"
check "... before anything ran" test ! -e .sindri-build
printf 'task "a" { pool = "later", run = "true" }\npool "later" { depth = 1 }\ntask "b" { pool = "console", run = "true" }\n' >sindri-build.lua
sb a b
check "a pool declared after the task that uses it, and the console pool, are fine" rc_is 0

recipe 'env = { "A=B" }, run = "true"'
sb
check "env = { \"A=B\" } is an error" rc_is 2
check "... naming the file and line and the item" out_has "sindri-build: sindri-build.lua:3: task 'a': env takes the names of environment variables whose values are keyed, not 'A=B'"
check "... and saying what to write" out_has "write env = { \"A\" } and set A=B in the environment, or vars = { \"A\" } and give A=B on the command line"

recipe 'inputs = { "x.txt", 1 }, run = "true"'
sb
check "a number in inputs is an error" rc_is 2
check "... naming the file, line, field and item" out_has "sindri-build: sindri-build.lua:3: task 'a': item 2 of field 'inputs' is the number 1, not a string"
recipe 'outputs = { 2.5 }, run = "true"'
sb
check "a number in outputs is an error" out_has "sindri-build.lua:3: task 'a': item 1 of field 'outputs' is the number 2.5"
recipe 'run = { "sh", "-c", "exit $0", 0 }'
sb
check "a number is still a word of a command" rc_is 0

printf -- '-- line 1\nlocal x = 1\nerror({})\n' >sindri-build.lua
sb
check "error({}) while loading names the file and line" out_has "sindri-build: sindri-build.lua:3: an error was raised with a table value, not a message"
check "... and is a recipe error" rc_is 2
printf -- 'task "a" { run = function()\n  error(setmetatable({}, { __tostring = function() return "custom" end }))\nend }\ntask "b" { run = function()\n  error(42)\nend }\n' >sindri-build.lua
sb a
check "an error value with __tostring: its text, with the file and line" out_has "sindri-build: sindri-build.lua:2: custom"
check "... and the task fails" rc_is 1
sb b
check "error(42) in a run function names the file and line" out_has "sindri-build: sindri-build.lua:5: an error was raised with a number value"

# sb.key of a task whose key cannot be computed: an error naming it (the plan it was read from is gone by then)
cat >sindri-build.lua <<'LUA'
task "needs" { inputs = { "missing.txt" }, run = "true" }
task "asks" { always = true, run = function()
  local ok, err = pcall(sb.key, "needs")
  print("sb.key: " .. tostring(ok) .. " " .. tostring(err))
end }
LUA
sb -v asks
check "sb.key of a task whose input is missing raises" out_has "sb.key: false cannot compute the key of 'needs'"

# cache-status needs the engine: without one, one line and the exit code of a run that cannot start
cp -r "$T_TOP/examples/mini-sindri" ms
DOCKER_HOST=unix:///nonexistent.sock sb -C ms cache-status
check "cache-status without an engine exits 3" rc_is 3
check "... with the one-line message" out_has "^sindri-build: cannot reach the Docker engine at 'unix:///nonexistent.sock': "
check "... and nothing else" test "$(wc -l <"$T_OUT")" -eq 1
check "... and writes nothing" test ! -e ms/.sindri-build
DOCKER_HOST=unix:///nonexistent.sock sb -C ms v3-cache-status
check "... under its v3- name too" rc_is 3

finish
