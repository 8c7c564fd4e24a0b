# t0001: what changes a task's key and what does not.
. "$(dirname "$0")/../lib/lib.sh"

mkdir -p src/sub
echo one >src/a.c
echo two >src/sub/b.c
echo note >src/readme.tmp
cat >sindri-build.lua <<'LUA'
local mode = var("MODE", "debug")
task "compile" {
  inputs = { "src/**/*.c", "src/" },
  exclude = { "**/*.tmp" },
  env = { "CC_FLAGS" },
  vars = { "LEVEL" },
  outputs = { "out/compiled" },
  run = "mkdir -p out && cat src/a.c src/sub/b.c > out/compiled && echo " .. mode .. " >> out/compiled",
}
task "link" {
  deps = { "compile" },
  inputs = { "out/compiled" },
  outputs = { "out/linked" },
  run = { "cp", "out/compiled", "out/linked" },
}
task "other" { run = { "true" } }
default "link"
LUA

sb
check "first run runs both" ran_is "compile link"
check "first run exits 0" rc_is 0
sb
check "second run runs nothing" ran_is ""
check "no-op says so" out_has "no work to do"

touch src/a.c src/sub/b.c
sb
check "touch does not rerun" ran_is ""

# Directory listings are cached by their stat data once they are older than the timestamp granularity: a file
# added or removed later must still be seen.
sleep 2.2
sb
sb
check "a settled tree: nothing runs" ran_is ""
echo new >src/sub/added.c
sb -d explain
check "a file added to a cached directory is seen" out_has "input 'src/sub/added.c' added"
sleep 2.2
sb
rm src/sub/added.c
sb -d explain
check "a file removed from a cached directory is seen" out_has "input 'src/sub/added.c' removed"

echo changed >src/a.c
sb
check "content change reruns compile and link" ran_is "compile link"

echo changed-again >src/readme.tmp
sb
check "an excluded file does not count" ran_is ""

mv src/sub/b.c src/sub/c.c
sb -d explain
check "a rename reruns compile" out_has "input 'src/sub/c.c' added"
check "a rename is explained as a removal too" out_has "input 'src/sub/b.c' removed"
mv src/sub/c.c src/sub/b.c
sb

CC_FLAGS=-O2 sb -d explain
check "setting a declared env var reruns" ran_is "compile link"
check "explain names the env var" out_has "environment variable CC_FLAGS changed"
CC_FLAGS=-O2 sb
check "same env value: no rerun" ran_is ""
sb -d explain
check "removing the env var reruns" ran_is "compile link"
check "explain says it is unset" out_has "'-O2' -> '(unset)'"

UNRELATED=1 sb
check "an undeclared env var does not count" ran_is ""

sb -d explain MODE=release
check "a variable used in the command reruns" ran_is "compile link"
check "explain says the definition changed" out_has "definition in the recipe changed"
sb -d explain MODE=release LEVEL=3
check "a declared variable reruns" out_has "variable LEVEL"
sb MODE=release LEVEL=3
check "same variables: no rerun" ran_is ""
MODE=release LEVEL=3 sb
check "variables from the environment are the same variables" ran_is ""

# An edit elsewhere in the recipe file leaves these keys alone.
sed 's/task "other" { run = { "true" } }/task "other" { run = { "false" } }\n-- a comment/' sindri-build.lua >r.tmp && mv r.tmp sindri-build.lua
sb MODE=release LEVEL=3
check "an edit to another task does not rerun" ran_is ""
sed 's/"cp", "out\/compiled"/"cp", "-p", "out\/compiled"/' sindri-build.lua >r.tmp && mv r.tmp sindri-build.lua
sb -d explain MODE=release LEVEL=3
check "an edit to this task reruns only it" ran_is "link"

rm out/linked
sb -d explain MODE=release LEVEL=3
check "a deleted output reruns its task" ran_is "link"
check "explain names the missing output" out_has "output 'out/linked' is missing"
echo tampered >out/linked
sb -d explain MODE=release LEVEL=3
check "a modified output reruns its task" ran_is "link"

# Restat-like pruning: compile reruns with the same result, link does not.
echo changed >src/a.c
sb MODE=release LEVEL=3
touch src/a.c
sb MODE=release LEVEL=3
check "same bytes after touch: nothing runs" ran_is ""

# A Lua function task: its code and upvalues are the key.
cat >sindri-build.lua <<'LUA'
local greeting = var("GREETING", "hello")
task "fn" {
  outputs = { "fn.out" },
  run = function(name)
    local f = assert(io.open("fn.out", "w"))
    f:write(greeting, " from ", name, "\n")
    f:close()
  end,
}
default "fn"
LUA
sb
check "a function task runs" ran_is "fn"
check "the function wrote its output" grep -q "hello from fn" fn.out
sb
check "a function task is skipped when unchanged" ran_is ""
sb GREETING=hi
check "an upvalue change reruns the function task" ran_is "fn"
sed 's/" from "/" by "/' sindri-build.lua >r.tmp && mv r.tmp sindri-build.lua
sb GREETING=hi
check "a code change reruns the function task" ran_is "fn"
printf '\n\n-- moved down\n' | cat - sindri-build.lua >r.tmp && mv r.tmp sindri-build.lua
sb GREETING=hi
check "moving the function in the file does not rerun it" ran_is ""


# The bytecode cache: recipe files and modules are compiled once and kept in .sindri-build/luac while their text
# stays the same; the cache changes no key, no error line, and nothing a read-only command leaves behind.
mkdir bc
cat >bc/helper.lua <<'LUA'
local M = {}
function M.word() return "one" end
return M
LUA
cat >bc/sindri-build.lua <<'LUA'
local helper = require("helper")
task "w" { outputs = { "w.out" }, run = function()
  local f = assert(io.open("w.out", "w")); f:write(helper.word(), "\n"); f:close()
end }
task "boom" { always = true, run = function()
  error("boom")
end }
default "w"
LUA
sb -C bc -n
check "a dry run compiles but keeps nothing" test ! -e bc/.sindri-build/luac
key_src=$("$SB" -C bc -t key w)
sb -C bc boom
boom_src=$(grep boom "$T_OUT")
check "the error names the recipe line (from the text)" out_has "sindri-build.lua:6: boom"
check "a run keeps the compiled recipe and module" test "$(ls bc/.sindri-build/luac | wc -l)" -eq 2
sb -C bc boom
check "the same error line from the kept chunk" test "$(grep boom "$T_OUT")" = "$boom_src"
check "the same key from the kept chunks" test "$("$SB" -C bc -t key w)" = "$key_src"
sb -C bc
check "a run from the kept chunks works" ran_is "w"
check "... and wrote what the module said" grep -q one bc/w.out
sed 's/"one"/"two"/' bc/helper.lua >bc/h.tmp && mv bc/h.tmp bc/helper.lua
sb -C bc
check "an edited module is compiled anew: its change reruns the task" ran_is "w"
check "... with the new text" grep -q two bc/w.out
for f in bc/.sindri-build/luac/*; do printf 'not bytecode' >"$f"; done
sb -C bc
check "a damaged kept chunk is compiled again from the text" rc_is 0
check "... and changes nothing" out_has "no work to do"

finish
