# t0091: a value a Lua run function reads, changed by another task's run function after the key was computed and
# before the run: the run is recorded under the values it used, so a later run that gets the value as the recipe
# sets it runs the task again instead of skipping it over an output made from the other value.
. "$(dirname "$0")/../lib/lib.sh"
SINDRI_BUILD_SERVER=0
export SINDRI_BUILD_SERVER

cat >sindri-build.lua <<'LUA'
local cfg = { flavor = var("FLAVOR", "plain") }
local function put(path, s)
  local f = assert(io.open(path, "w"))
  f:write(s, "\n")
  f:close()
end
-- "b" sorts first and has no dependency: it runs after both keys are computed, before "a" runs
task "b" { outputs = { "b.out" }, run = function() cfg.flavor = "set-by-b"; put("b.out", "b") end }
task "a" { outputs = { "a.out" }, run = function() put("a.out", cfg.flavor) end }
task "all" { deps = { "b", "a" } }
default "all"
LUA

sb
check "the first run runs both" ran_is "a b"
check "a ran with what b set" test "$(cat a.out)" = set-by-b
sb -t explain a
check "explain: a, recorded with b's value, must run when b does not" out_has "run function: upvalue 'cfg'"
sb
check "b is current, so a runs with the recipe's value" ran_is "a"
check "a wrote the recipe's value" test "$(cat a.out)" = plain
sb
check "then nothing is left to do" out_has "no work to do"
check "and a is what a run now makes" test "$(cat a.out)" = plain
FLAVOR=other sb
check "a new value runs both again, b before a" test "$(ran):$(cat a.out)" = "a b:set-by-b"
FLAVOR=other sb
check "and then a alone, with the new value" test "$(ran):$(cat a.out)" = "a:other"

finish
