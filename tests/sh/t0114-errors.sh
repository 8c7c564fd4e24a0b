# t0114: errors in the user's terms: no place in the stock recipes unless -v, the nearest name for a misspelled task
# in sb.build, -C into a directory below a Sindri checkout.
. "$(dirname "$0")/../lib/lib.sh"

# a stock recipe directory of our own (SINDRI_BUILD_RECIPES), with a module that fails in two ways
mkdir stock
cat >stock/mymod.lua <<'LUA'
local M = {}
function M.explode() local t = nil; return t.field end
function M.raise() error("the stock module says no") end
return M
LUA
cat >sindri-build.lua <<'LUA'
local mymod = require("mymod")
task "x" { always = true, run = function() return mymod.explode() end }
task "mine" { always = true, run = function() local t = nil; return t.mine end }
task "docker-build-fast" { always = true, run = { "true" } }
task "cycle" { always = true, run = function() return (sb.build { "docker-build-fsat" }) end }
LUA
export SINDRI_BUILD_RECIPES="$T_ROOT/stock"

sb x
check "an error in a stock recipe: the task fails" rc_is 1
check "... the message says what went wrong" out_has "^sindri-build: attempt to index a nil value (local 't')"
check "... without the stock file's place" out_lacks "mymod.lua:2"
sb -v x
check "-v shows the stock file's place" out_has "mymod.lua:2: attempt to index a nil value"
sb mine
check "an error in the user's own recipe keeps its place" out_has "^sindri-build: sindri-build.lua:3: attempt to index a nil value"

printf 'require("mymod").raise()\n' >raises.lua
sb -f raises.lua
check "an error raised by a stock module while the recipe loads: exit 2" rc_is 2
check "... the message without the stock place" out_has "^sindri-build: the stock module says no$"
sb -v -f raises.lua
check "... -v shows it" out_has "mymod.lua:3: the stock module says no"

# sb.build of a misspelled task: the nearest name
sb cycle
check "a misspelled task in sb.build fails the task" rc_is 1
check "... naming the nearest task" out_has "unknown task 'docker-build-fsat'; did you mean 'docker-build-fast'?"
unset SINDRI_BUILD_RECIPES

# -C into v3/ of a Sindri checkout: the checkout's root is found, and said
mkdir -p co/v3/crates
printf '[workspace.package]\nversion = "1.2.3"\n' >co/v3/Cargo.toml
sb -C co/v3 -t targets
check "-C into v3/ of a checkout: exit 0" rc_is 0
check "... says where the checkout is" out_has "in the Sindri checkout '$T_ROOT/co'"
check "... and lists the Sindri targets" out_has "^  cycle-fast: "
mkdir elsewhere
sb -C elsewhere
check "outside a checkout, with no recipe: exit 2" rc_is 2
check "... says what to do" out_has "no recipe file 'sindri-build.lua' here; write one (see docs/recipes.md) or name it with -f FILE"

finish
