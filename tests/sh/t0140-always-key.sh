# t0140: an always task runs without a key when nothing needs one (nothing in the build depends on it and its Lua
# run function takes no key argument); a run function that takes the key, by name or through `...`, still gets the
# task's key, the one -t key prints, and so does a dependent's key.
. "$(dirname "$0")/../lib/lib.sh"

cat >sindri-build.lua <<'LUA'
local function put(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end
task "named" { always = true, run = function(name, key) put("named.key", key) return true end }
task "vararg" { always = true, run = function(...) local _, key = ... put("vararg.key", key) return true end }
task "none" { always = true, run = function() put("none.ran", "yes") return true end }
task "base" { always = true, run = function() put("base.ran", "yes") return true end }
task "after" { deps = { "base" }, outputs = { "after.out" }, run = "echo after >after.out" }
LUA

sb -q named vararg none
check "the always tasks ran" rc_is 0
check "... the one that takes none too" test -s none.ran
"$SB" -t key named >key.named 2>&1
"$SB" -t key vararg >key.vararg 2>&1
check "a run function that takes the key gets the task's key" test "$(cat named.key)" = "$(head -n 1 key.named)"
check "... also through ..." test "$(cat vararg.key)" = "$(head -n 1 key.vararg)"
check "... a real key" grep -Eq '^[0-9a-f]{32}$' named.key

sb after
check "an always task a dependent needs runs with it" out_has "^sindri-build: 2 built, 0 up to date"
sb after
# the dependent's key holds the always task's key: had that been left out (a zero key), the record made by the run
# above would not be the one -t key computes, and the dependent would run again
check "... and the dependent, keyed by the always task's real key, is up to date" \
	out_has "^sindri-build: 1 built, 1 up to date"
check "... base ran again" test -s base.ran

finish
