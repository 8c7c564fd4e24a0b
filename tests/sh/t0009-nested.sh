# t0009: tasks that run builds of their own (sb.build, as cycles do): the closing line counts the tasks inside them
# and the time their last runs took; plan functions say in a dry run and in -t explain what a task would do.
. "$(dirname "$0")/../lib/lib.sh"

cat >sindri-build.lua <<'LUA'
task "a" { inputs = { "a.txt" }, outputs = { "a.out" }, run = "sleep 0.2; cp a.txt a.out" }
task "b" { inputs = { "b.txt" }, outputs = { "b.out" }, run = "sleep 0.2; cp b.txt b.out" }
task "c" { deps = { "a" }, outputs = { "c.out" }, run = "cat a.out > c.out",
           plan = function(name) print("cat a.out > c.out  # plan of " .. name) end }
task "cycle" {
  always = true,
  run = function()
    local ok, rc, ran = sb.build { "c", "b" }
    print("inside: ok=" .. tostring(ok) .. " ran=" .. ran)
    return ok
  end,
  plan = function()
    print("# the cycle would build:")
    sb.build { "c", "b" }
    sb.build { "c" } -- planned above: not printed again
  end,
}
task "plain" { always = true, run = function() print("plain ran") end }
task "slow" { always = true, run = "sleep 0.5; touch slow.done" }
task "fn" { always = true, run = function() print("slow done when fn started: " .. tostring(sb.exists("slow.done"))) end }
LUA
echo one >a.txt
echo one >b.txt

sb cycle
check "a full run of the cycle" rc_is 0
check "sb.build says how many tasks ran inside" out_has "inside: ok=true ran=3"
check "the closing line counts the three tasks inside, not the cycle itself" out_has "sindri-build: 3 built, 0 up to date, 0 failed in "
sb cycle
check "a no-op run of the cycle" out_has "inside: ok=true ran=0"
check "a no-op cycle says no work to do, with the three up to date" out_has "sindri-build: no work to do: 3 up to date in "
check "and the time their last runs took" out_has " (saved ~[0-9.]* s)"
sb plain
check "a function task that builds nothing inside counts itself" out_has "sindri-build: 1 built, 0 up to date, 0 failed"

# A function task (which may start builds of its own) does not start while a job of the same build runs.
sb -j4 slow fn
check "a function task starts after the running jobs" out_has "slow done when fn started: true"

echo two >a.txt
before=$(snapshot .sindri-build)
sb -n cycle
check "-n runs the cycle's plan" out_has "# the cycle would build:"
check "and, inside it, the plans of the tasks that would run" out_has "cat a.out > c.out  # plan of c"
check "the dry run inside names the tasks that would run" sh -c "grep -q '] a$' '$T_OUT' && grep -q '] c$' '$T_OUT' && ! grep -q '] b$' '$T_OUT'"
check "a task a dry run already printed is not printed again by a later dry build" \
	test "$(grep -c 'plan of c' "$T_OUT")" = 1
check "-n wrote nothing" test "$(snapshot .sindri-build)" = "$before"
check "-n ran nothing" test "$(cat a.out)" = one
sb -t explain cycle
check "-t explain shows the plan of a task that would run" out_has "# the cycle would build:"
check "with the plans inside it" out_has "cat a.out > c.out  # plan of c"
check "-t explain wrote nothing" test "$(snapshot .sindri-build)" = "$before"
sb -t explain b
check "-t explain of an up-to-date task shows no plan" sh -c "test \"\$(cat '$T_OUT')\" = 'b: up to date'"

finish
