# t0060: what a Lua run or check function reads is its key: upvalues and globals, the functions it calls in turn,
# tables to any depth with keys by type; what cannot be keyed runs every time and explain says why.
. "$(dirname "$0")/../lib/lib.sh"

# Each task writes what its function sees to its output, so a wrong skip shows as an output that does not match
# the variables of the run.
cat >helper.lua <<'LUA'
local M = {}
function M.word() return WORD end -- a global, read by a function the task's function calls
return M
LUA
cat >sindri-build.lua <<'LUA'
local function write(path, ...)
  local f = assert(io.open(path, "w"))
  f:write(table.concat({ ... }, " "), "\n")
  f:close()
end
local helper = require "helper"

-- a global assigned after the task that reads it
task "global" { outputs = { "global.out" }, run = function() write("global.out", FLAVOR) end }
FLAVOR = var("FLAVOR", "a")

-- six tables deep
local deep = { a = { b = { c = { d = { e = { f = var("DEEP", "x") } } } } } }
task "deep" { outputs = { "deep.out" }, run = function() write("deep.out", deep.a.b.c.d.e.f) end }

-- t[1] and t["1"] are two slots
local slots = {}
if var("SLOT", "int") == "int" then slots[1] = "v" else slots["1"] = "v" end
task "slot" { outputs = { "slot.out" }, run = function() write("slot.out", tostring(slots[1])) end }

-- float and boolean keys
local odd = { [1.5] = var("FLOAT", "a"), [true] = var("BOOL", "a") }
task "odd" { outputs = { "odd.out" }, run = function() write("odd.out", odd[1.5], odd[true]) end }

-- tables as keys, one of them a key of itself
local tk = {}
tk[tk] = 1
tk[{ "a" }] = var("TKEY", "a")
tk[{ "b" }] = "b"
task "tkey" { outputs = { "tkey.out" }, run = function()
  local n = 0
  for k, v in pairs(tk) do if k ~= tk and k[1] == "a" then n = v end end
  write("tkey.out", n)
end }

-- the same table built in another order
local order = {}
local names = {}
for i = 1, 60 do names[i] = "k" .. i end
if var("ORDER", "up") == "down" then for i = 60, 1, -1 do order[names[i]] = i end
else for i = 1, 60 do order[names[i]] = i end end
task "order" { outputs = { "order.out" }, run = function() write("order.out", order.k1, order.k60) end }

-- a function called in turn, from a module, reading a global
task "called" { outputs = { "called.out" }, run = function() write("called.out", helper.word()) end }
WORD = var("WORD", "one")

-- a global function, and a value behind a metatable
function greeting() return GREETING end
GREETING = var("GREETING", "hello")
local meta = setmetatable({}, { __index = { v = var("META", "a") } })
task "meta" { outputs = { "meta.out" }, run = function() write("meta.out", greeting(), meta.v) end }

-- a cycle
local cyc = { name = var("CYC", "a") }
cyc.self = cyc
cyc.list = { cyc, { cyc } }
task "cycle" { outputs = { "cycle.out" }, run = function() write("cycle.out", cyc.self.list[2][1].name) end }

-- the check function is keyed too, and must answer true, or false and why
task "checked" { outputs = { "checked.out" }, run = function() write("checked.out", "made") end,
  check = function() if var("CHECK", "ok") == "bad" then return "yes" end return true end }
task "refused" { outputs = { "refused.out" }, run = function() write("refused.out", "made") end,
  check = function() return false, "the stamp is gone" end }
LUA
cp sindri-build.lua base.lua
all="called checked cycle deep global meta odd order refused slot tkey"

sb $all
check "every function task runs once" ran_is "$all"
check "... and succeeds" rc_is 0
sb $all
check "unchanged: nothing runs but the one whose check says no" ran_is "refused"
check "... saying why" sh -c "$SB -t explain refused | grep -q 'the stamp is gone'"

# step DESC TASK VAR=value: with one more variable set, exactly TASK (and refused) runs
V=""
step() {
	V="$V $3"
	sb $all $V
	check "$1" ran_is "$(printf '%s\nrefused\n' "$2" | sort | tr '\n' ' ' | sed 's/ $//')"
}
sb -t explain global FLAVOR=b
check "explain names the global" out_has "run function: global 'FLAVOR' modified"
step "a global the function reads, set after the task, reruns it" global FLAVOR=b
check "... with the new value" grep -qx b global.out
step "a value six tables deep reruns" deep DEEP=y
check "... with the new value" grep -qx y deep.out
step "t[1] and t[\"1\"] are different slots" slot SLOT=str
check "... the output says nil" grep -qx nil slot.out
step "a value at a float key reruns" odd FLOAT=b
step "a value at a boolean key reruns" odd BOOL=b
check "... with both values" grep -qx "b b" odd.out
V="$V ORDER=down"
sb $all $V
check "the same table built in another order keeps its key" ran_is "refused"
step "a global read by a function it calls reruns" called WORD=two
check "... with the new value" grep -qx two called.out
step "a global read by a global function it calls reruns" meta GREETING=hi
step "a value behind a metatable reruns" meta META=b
check "... with both values" grep -qx "hi b" meta.out
step "a value in a cycle of tables reruns" cycle CYC=b
step "a value at a table key reruns" tkey TKEY=b
check "... with the new value" grep -qx b tkey.out
sb $all $V
check "all the same again: nothing runs" ran_is "refused"
vars=$V

# a function that reads the global table as a table, or loads code, is keyed by every global
mkdir dyn
cat >dyn/sindri-build.lua <<'LUA'
local function write(path, ...)
  local f = assert(io.open(path, "w")); f:write(table.concat({ ... }, " "), "\n"); f:close()
end
task "dynamic" { outputs = { "dynamic.out" }, run = function()
  write("dynamic.out", _G["DYN" .. "VAL"], load("return LOADED")())
end }
DYNVAL = var("DYNVAL", "a")
LOADED = var("LOADED", "a")
-- a method of the string library, called on a string
function string.shout(s) return s:upper() .. SUFFIX end
SUFFIX = var("SUFFIX", "!")
task "method" { outputs = { "method.out" }, run = function() write("method.out", ("x"):shout()) end }
LUA
sb -C dyn dynamic method
sb -C dyn dynamic method
check "dynamic: unchanged, nothing runs" ran_is ""
sb -C dyn dynamic method DYNVAL=b
check "a global read through _G[...] reruns" ran_is "dynamic"
sb -C dyn dynamic method DYNVAL=b LOADED=b
check "a global read by code the function loads reruns" ran_is "dynamic"
check "... with both values" grep -qx "b b" dyn/dynamic.out
sb -C dyn dynamic method DYNVAL=b LOADED=b SUFFIX=?
check "a global read by a string method called on a string reruns" sh -c "grep -q '] method' '$T_OUT'"
check "... with the new value" grep -qx 'X?' dyn/method.out

# keys do not depend on the layout of tables in memory (Lua seeds its string hashes per run)
k1=$("$SB" -t key order called meta tkey $vars)
k2=$("$SB" -t key order called meta tkey $vars)
k3=$("$SB" -t key order called meta tkey $vars)
check "the same keys in three runs" sh -c "[ '$k1' = '$k2' ] && [ '$k2' = '$k3' ] && [ -n '$k1' ]"

# an edit that leaves the code the same (a comment, a new local above, moving the function) reruns nothing
{ echo "local unused = { 1, 2, 3 } -- a new local at the top"; echo; cat base.lua; } >sindri-build.lua
sb $all $vars
check "a new local above the functions and the functions moved down: nothing runs" ran_is "refused"
# a constant folded into the code, defined outside the function
cat >>sindri-build.lua <<'LUA'
local LIMIT <const> = 5
task "const" { outputs = { "const.out" }, run = function() write("const.out", LIMIT) end }
LUA
sb const
check "a function using a constant runs" ran_is "const"
sed 's/LIMIT <const> = 5/LIMIT <const> = 6/' sindri-build.lua >r.tmp && mv r.tmp sindri-build.lua
sb const
check "a constant folded into the code reruns when it changes" ran_is "const"
check "... with the new value" grep -qx 6 const.out

# -t ninja puts a Lua task's code and the values it reads in its edge's definition, so regenerating the file after
# the recipe computes another value reruns that edge
mkdir nj
cat >nj/sindri-build.lua <<'LUA'
local f = assert(io.open("value.txt"))
VALUE = f:read("l")
f:close()
task "t" { run = function() return VALUE ~= nil end }
LUA
echo a >nj/value.txt
sb -C nj -t ninja
d1=$(grep 'defn = ' nj/build.ninja)
sb -C nj -t ninja
check "the same values: the same definition in the ninja file" test "$(grep 'defn = ' nj/build.ninja)" = "$d1"
echo b >nj/value.txt
sb -C nj -t ninja
check "another value a Lua task reads: another definition in the ninja file" test "$(grep 'defn = ' nj/build.ninja)" != "$d1"

# a run function that changes a value another task's function reads, between two sb.build calls: the second
# build sees the new value
mkdir drive
cat >drive/sindri-build.lua <<'LUA'
X = "a"
task "reader" { outputs = { "reader.out" }, run = function()
  local f = assert(io.open("reader.out", "w")); f:write(X, "\n"); f:close()
end }
task "driver" { always = true, run = function()
  assert(sb.build { "reader" })
  X = "b"
  assert(sb.build { "reader" })
end }
task "keys" { always = true, run = function()
  local k1 = sb.key("reader")
  X = "c"
  local f = assert(io.open("keys.out", "w")); f:write(k1 == sb.key("reader") and "same" or "differ", "\n"); f:close()
end }
LUA
sb -C drive driver
check "a value changed by a run function between two builds reruns the task that reads it" grep -qx b drive/reader.out
sb -C drive keys
check "... and between two sb.key calls, changes the key" grep -qx differ drive/keys.out

# the check function's answer
sb checked $vars CHECK=bad
check "a check function that answers a string is an error" rc_is 1
check "... naming the task and where the function is" out_has "sindri-build.lua:[0-9]*: task 'checked': its check function returned a string"
check "... and what to return" out_has "return true when the results are in place, or false and a reason"

# what cannot be keyed runs every time, and explain says why
cat >sindri-build.lua <<'LUA'
local fh = io.open("sindri-build.lua")
local iter = string.gmatch("a b", "%a")
local co = coroutine.create(function() end)
local list = nil
for i = 1, 1100 do list = { next = list } end
local fine = nil
for i = 1, 900 do fine = { next = fine, v = i == 1 and var("BOTTOM", "a") or i } end
task "file" { run = function() return fh ~= nil end }
task "iter" { run = function() return iter ~= nil end }
task "co" { run = function() return co ~= nil end }
task "long" { run = function() return list ~= nil end }
task "fine" { outputs = { "fine.out" }, run = function()
  local t = fine
  while t.next do t = t.next end
  local f = assert(io.open("fine.out", "w")); f:write(t.v, "\n"); f:close()
end }
task "cfn" { run = os.time }
LUA
sb file iter co long fine cfn
check "first run" ran_is "cfn co file fine iter long"
sb file iter co long fine cfn
check "what cannot be keyed runs every time" ran_is "cfn co file iter long"
sb -t explain file
check "explain names the userdata and where it is read" out_has "its run function (sindri-build.lua:8) reads a value that cannot be keyed: upvalue 'fh' is a userdata (FILE\*)"
check "... and where the task is" out_has "task defined at sindri-build.lua:8"
sb -t explain iter
check "a C function that is not Lua's or the API's" out_has "upvalue 'iter' is a C function that is neither Lua's nor part of sindri-build's API"
sb -t explain co
check "a coroutine" out_has "upvalue 'co' is a coroutine"
sb -t explain long
check "a list nested deeper than the walk goes" out_has "is nested more than 1000 levels deep"
sb -d explain file iter co long fine cfn
check "-d explain says it too" out_has "explain file: it runs every time: its run function"
sb fine BOTTOM=b
check "a value 900 tables down is keyed" ran_is "fine"
check "... with the new value" grep -qx b fine.out

finish
