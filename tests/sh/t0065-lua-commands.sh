# t0065: a command a recipe's Lua starts with os.execute or io.popen starts like every other child: SIGPIPE at its
# default (sindri-build ignores it, and an exec keeps an ignored signal) and no signal blocked; both return what
# Lua's own return.
. "$(dirname "$0")/../lib/lib.sh"
SINDRI_BUILD_SERVER=0
export SINDRI_BUILD_SERVER

cat >probe.sh <<'SH'
ign=$(sed -n 's/^SigIgn:[[:space:]]*//p' /proc/$$/status)
blk=$(sed -n 's/^SigBlk:[[:space:]]*//p' /proc/$$/status)
echo "sigpipe-ignored=$(( 0x$ign >> 12 & 1 )) blocked=$blk"
SH
cat >sindri-build.lua <<'LUA'
local function line(...)
  local t = table.pack(...)
  for i = 1, t.n do t[i] = tostring(t[i]) end
  return table.concat(t, " ")
end
task "probe" { outputs = { "out" }, run = function()
  local o = {}
  os.execute("sh probe.sh > execute.out")
  o[#o + 1] = "execute: " .. io.open("execute.out"):read("l")
  local r = io.popen("sh probe.sh")
  o[#o + 1] = "popen r: " .. r:read("l")
  o[#o + 1] = line(r:close())
  local w = io.popen("sh probe.sh > popen-w.out; cat > popen-w.in", "w")
  w:write("in")
  o[#o + 1] = line(w:close())
  o[#o + 1] = "popen w: " .. io.open("popen-w.out"):read("l") .. " " .. io.open("popen-w.in"):read("a")
  o[#o + 1] = line(os.execute())
  o[#o + 1] = line(os.execute("exit 3"))
  o[#o + 1] = line(os.execute("kill -TERM $$"))
  o[#o + 1] = line(io.popen("exit 4"):close())
  o[#o + 1] = line(pcall(io.popen, "true", "rw"))
  local f = assert(io.open("out", "w"))
  f:write(table.concat(o, "\n"), "\n")
  f:close()
end }
default "probe"
LUA

sb
check "the task ran" rc_is 0
cat >want <<'TXT'
execute: sigpipe-ignored=0 blocked=0000000000000000
popen r: sigpipe-ignored=0 blocked=0000000000000000
true exit 0
true exit 0
popen w: sigpipe-ignored=0 blocked=0000000000000000 in
true
nil exit 3
nil signal 15
nil exit 4
false bad argument #2 to 'io.popen' (invalid mode)
TXT
check "os.execute and io.popen start clean shells and answer as Lua's" equal "$(cat out)" "$(cat want)"

finish
