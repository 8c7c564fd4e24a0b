# t0151: an answer the engine gave is kept only while no task of the run runs. With -j2, a check function may ask
# sb.outdated while a command task of the same build still runs: that explain pauses nothing, so what it reads from
# the engine is asked again each time (the command may change the engine at any moment). A Lua task's run function
# asking sb.outdated pauses its own task only: with no other task running, that explain keeps what it read.
. "$(dirname "$0")/../lib/lib.sh"
need_docker

V="sbtest-$$-t0151"
at_exit '"$DOCKER" volume rm -f "$V" >/dev/null 2>&1'

# slow: waits until probe's check says go, removes the volume, says done. probe's check asks for the volume, lets
# it be removed (by slow, or by a command the run cannot see), then asks again, and writes both answers.
cat >slow.sh <<SH
i=0
while [ ! -e go ] && [ \$i -lt 600 ]; do sleep 0.05; i=\$((i + 1)); done
"\$DOCKER" volume rm "$V" >/dev/null
touch done
SH
cat >sindri-build.lua <<LUA
local V = "$V"
local function put(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end
local function asked()
  return docker.get("/volumes/" .. V) and "there" or "gone"
end
task "probe" {
  check = function()
    if not sb.exists("armed") then return true end
    local first = asked()
    if sb.exists("unseen") then
      os.execute((os.getenv("DOCKER") or "docker") .. " volume rm " .. V .. " >/dev/null")
    else
      put("go", "")
      local deadline = os.time() + 60
      while not sb.exists("done") and os.time() < deadline do end -- no command: nothing the run would see
    end
    put("probe.out", first .. " " .. asked())
    return true
  end,
  run = function() return true end,
}
task "slow" { always = true, run = "sh slow.sh" }
task "quick" { always = true, run = "true" }
-- decided once quick is over, while slow still runs
task "chk" { deps = { "quick" }, check = function() sb.outdated { "probe" } return true end,
             run = function() return true end }
task "body" { always = true, run = function() sb.outdated { "probe" } return true end }
LUA

"$DOCKER" volume create "$V" >/dev/null
touch armed
sb -j2 slow chk
check "the build beside a slow command" rc_is 0
check "the check ran while the command waited for it" test -e go -a -e done
check "the volume was there, then asked again: gone" equal "$(cat probe.out 2>/dev/null)" "there gone"
check "... and is gone" sh -c "! '$DOCKER' volume inspect '$V' >/dev/null 2>&1"

# a run function's explain, no other task running: its answers are kept (a removal it cannot see is not seen)
rm -f go done probe.out
"$DOCKER" volume create "$V" >/dev/null
touch unseen
sb -j2 body
check "the run function's build" rc_is 0
check "the answer was kept within the explain" equal "$(cat probe.out 2>/dev/null)" "there there"
check "... though the volume is gone" sh -c "! '$DOCKER' volume inspect '$V' >/dev/null 2>&1"

finish
