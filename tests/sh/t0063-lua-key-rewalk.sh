# t0063: what the key walk keeps from one walk to the next within a run (each function's bytecode scan, the names
# of the libraries' values) never hides a change: after a key is computed, changing an upvalue, a global, a table
# deep inside a constant, a library table, a function called in turn, which tables are shared, or the closure an
# upvalue holds changes the key; building the same values anew, or a collection, does not.
. "$(dirname "$0")/../lib/lib.sh"

cat >sindri-build.lua <<'LUA'
local up = "a"
G = "a"
local cfg = { a = { b = { c = 1 } } }
local hv = "a"
local helper = { f = function() return hv end }
local t1 = {}
local pair = { t1, t1 }
local function mk(v) return function() return v end end
local h = mk("a")

task "r_up" { run = function() return up end }
task "r_global" { run = function() return G end }
task "r_deep" { run = function() return cfg.a.b.c end }
task "r_string" { run = function() return string.rep("x", 2) end }
task "r_math" { run = function() return math.floor(1.5) end }
task "r_called" { run = function() return helper.f() end }
task "r_shared" { run = function() return pair[1] == pair[2] end }
task "r_closure" { run = function() return h() end }

local cases = {
  { "upvalue", "r_up", function() up = "b" end },
  { "global", "r_global", function() G = "b" end },
  { "deep", "r_deep", function() cfg.a.b.c = 2 end },
  { "library-added", "r_string", function() string.extra = "x" end },
  { "library-replaced", "r_math", function() math.floor = function() return 0 end end },
  { "called", "r_called", function() hv = "b" end },
  { "shared", "r_shared", function() pair[2] = {} end },
  { "closure", "r_closure", function() h = mk("b") end },
  { "closure-same", "r_closure", function() h = mk("b") end },
  { "rebuilt", "r_deep", function() cfg = { a = { b = { c = 2 } } } end },
  { "collected", "r_called", function() collectgarbage() collectgarbage() end },
  { "nothing", "r_up", function() end },
}
task "keys" { always = true, run = function()
  local f = assert(io.open("keys.out", "w"))
  for _, c in ipairs(cases) do
    local k1 = sb.key(c[2])
    c[3]()
    f:write(c[1], " ", k1 == sb.key(c[2]) and "same" or "differ", "\n")
  end
  f:close()
end }
LUA
sb keys
check "the driver runs" rc_is 0
for c in upvalue global deep library-added library-replaced called shared closure; do
	check "a changed $c after a walk changes the key" grep -qx "$c differ" keys.out
done
for c in closure-same rebuilt collected nothing; do
	check "the same values ($c) keep the key" grep -qx "$c same" keys.out
done

# the walk holds the pairs of the tables on its path on Lua's stack: more than it can hold is said, and runs every
# time (a slow run, never a wrong skip)
mkdir big
cat >big/sindri-build.lua <<'LUA'
local big = {}
for i = 1, 600000 do big[i] = i end
task "big" { run = function() return #big > 0 end }
LUA
sb -C big big
sb -C big big
check "a table too large for the walk runs every time" ran_is "big"
sb -C big -t explain big
check "... and explain says why" out_has "upvalue 'big' is a table with more pairs than the walk can hold"
finish
