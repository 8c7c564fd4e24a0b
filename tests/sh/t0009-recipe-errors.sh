# t0009: recipe mistakes are load errors that name the file and line and say what to do; a missing Docker engine
# stops a run that needs it with one message.
. "$(dirname "$0")/../lib/lib.sh"

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

finish
