# t0155: a Lua file a run function loads while it runs (require of a module the recipe did not load, dofile,
# loadfile) is not in the task's key: such a task runs every time, and explain says why, instead of being skipped
# after the file changed. A file that is one of the task's inputs is keyed: that task is skipped while it is
# unchanged. A dependent follows the file's content: up to date while it is unchanged, run again when it changes.
. "$(dirname "$0")/../lib/lib.sh"

mkdir lib
echo 'return { x = 1 }' >lib/mod.lua
echo 'return { x = 1 }' >lib/data.lua
echo 'return { x = 1 }' >lib/checkmod.lua
cat >sindri-build.lua <<'LUA'
package.path = "lib/?.lua;" .. package.path
local function put(path, text)
  local f = assert(io.open(path, "w"))
  f:write(tostring(text), "\n")
  f:close()
end
task "req" { outputs = { "req.out" }, run = function() put("req.out", require("mod").x) end }
task "do" { outputs = { "do.out" }, run = function() put("do.out", dofile("./lib/data.lua").x) end }
task "loadf" { outputs = { "loadf.out" }, run = function() put("loadf.out", loadfile("lib/data.lua")().x) end }
task "declared" {
  inputs = { "lib/data.lua" }, outputs = { "declared.out" },
  run = function() put("declared.out", dofile("lib/data.lua").x) end,
}
task "checked" { -- no outputs: a check function that says true makes the task current without a record of its key
  run = function(name, key) put("checked.out", require("checkmod").x .. " " .. key) end,
  check = function(name, key)
    local f = io.open("checked.out")
    local s = f and f:read("a") or ""
    if f then f:close() end
    if s:find(key, 1, true) then return true end
    return false, "made under another key"
  end,
}
task "after" { deps = { "do" }, inputs = { "do.out" }, outputs = { "after.out" }, run = "cp do.out after.out" }
LUA

sb req do loadf after
check "every task ran" ran_is "after do loadf req"
sb req do loadf after
check "the tasks that loaded a file not among their inputs run again" ran_is "do loadf req"
check "... its dependent, whose dependency's results did not change, is up to date" out_has "3 built, 1 up to date"
# alone: a function that reads dofile keys the whole global table, which another task's require changes
sb declared
check "a task that loads one of its inputs ran" ran_is "declared"
sb declared
check "... and is up to date while the file is unchanged" out_has "no work to do"
sb -t explain req do
check "explain says why they run every time" out_has "req: would run"
check "... naming the file the run loaded" out_has "its run function loaded 'lib/mod.lua' while it ran"
check "... and for dofile" out_has "its run function loaded 'lib/data.lua' while it ran"

echo 'return { x = 2 }' >lib/mod.lua
echo 'return { x = 2 }' >lib/data.lua
sb req do loadf after
check "after the files changed every task that read them runs" ran_is "after do loadf req"
check "... require read the new module" equal "$(cat req.out)" 2
check "... dofile the new file" equal "$(cat do.out)" 2
check "... and the dependent has the new result" equal "$(cat after.out)" 2
sb declared
check "... and the task that loads it as an input runs again" ran_is "declared"

# a task whose check function proves its results for a key: the key its run was given did not cover the module
sb checked
check "a task with a check function that loaded a module ran" ran_is "checked"
sb checked
check "... runs again" ran_is "checked"
echo 'return { x = 2 }' >lib/checkmod.lua
sb checked
check "... and after the module changed, runs with it" equal "$(cut -d' ' -f1 checked.out)" 2

# under ninja (-t ninja), whose edge for such a task has no input file: the edge runs every time too
NINJA=$(command -v ninja)
if [ -n "$NINJA" ]; then
	"$SB" -t ninja -o build.ninja >/dev/null 2>&1
	"$NINJA" -f build.ninja req.out >"$T_OUT" 2>&1
	"$NINJA" -f build.ninja req.out >"$T_OUT" 2>&1
	check "ninja: the edge of a task that loaded a file runs again" out_has "\] req"
	echo 'return { x = 3 }' >lib/mod.lua
	"$NINJA" -f build.ninja req.out >"$T_OUT" 2>&1
	check "ninja: ... and reads the new module" equal "$(cat req.out)" 3
fi

finish
