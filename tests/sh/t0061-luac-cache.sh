# t0061: the compiled-recipe cache (.sindri-build/luac): each chunk is sealed with a checksum and checked before Lua
# loads it; a damaged or foreign chunk is compiled again from the text with one warning, never a crash and never
# another command; read-only commands write nothing there.
. "$(dirname "$0")/../lib/lib.sh"

cat >helper.lua <<'LUA'
local M = {}
function M.word() return "one" end
return M
LUA
cat >sindri-build.lua <<'LUA'
local helper = require "helper"
task "hello" { always = true, run = "echo hello-world" }
task "fn" { always = true, outputs = { "fn.out" }, run = function()
  local f = assert(io.open("fn.out", "w"))
  f:write(helper.word(), "-", string.format("%d", 6 * 7), "\n")
  f:close()
end }
default { "hello", "fn" }
LUA

for cmd in "-n" "-t explain hello" "-t key hello" "-t targets" "-t commands" "-t query hello"; do
	sb $cmd
	check "a read-only command ($cmd) writes no compiled recipe" test ! -e .sindri-build/luac
done
sb
check "a run succeeds" rc_is 0
check "a run keeps the compiled recipe and its module" test "$(ls .sindri-build/luac | wc -l)" -eq 2
check "... and no temporary file" sh -c '! ls .sindri-build/luac | grep -q tmp'
sb -v
check "a run from the kept chunks: no warning" out_lacks "warning"
check "... the right command" out_has "hello-world"

recipe=""
module=""
for f in .sindri-build/luac/*; do
	if grep -q hello-world "$f"; then recipe=$f; else module=$f; fi
done
check "the kept chunks are told apart" sh -c "[ -n '$recipe' ] && [ -n '$module' ]"
cp "$recipe" recipe.good
cp "$module" module.good

# flip FILE GOOD OFFSET: GOOD with one bit of the byte at OFFSET flipped, written to FILE
flip() {
	cp "$2" "$1"
	b=$(od -An -tu1 -j "$3" -N1 "$2" | tr -d ' ')
	nb=$((b ^ (1 << ($3 % 8))))
	printf "$(printf '\\%03o' "$nb")" | dd of="$1" bs=1 seek="$3" conv=notrunc 2>/dev/null
}

# every byte of the recipe's chunk, and every fourth of the module's, flipped in turn: each run must warn once,
# compile again and run exactly the recipe's commands
bad=0
runs=0
size=$(wc -c <recipe.good)
msize=$(wc -c <module.good)
i=0
while [ "$i" -lt "$size" ] || [ "$i" -lt "$msize" ]; do
	for which in recipe module; do
		if [ "$which" = recipe ]; then f=$recipe good=recipe.good n=$size step=1; else f=$module good=module.good n=$msize step=4; fi
		[ "$i" -lt "$n" ] && [ $((i % step)) -eq 0 ] || continue
		cp recipe.good "$recipe"
		cp module.good "$module"
		flip "$f" "$good" "$i"
		rm -f fn.out
		"$SB" -v >out.txt 2>err.txt
		rc=$?
		runs=$((runs + 1))
		if [ "$rc" -ne 0 ] || ! grep -qx hello-world out.txt || [ "$(cat fn.out 2>/dev/null)" != one-42 ] ||
			[ "$(grep -c "warning: compiled recipe '$f' is " err.txt)" -ne 1 ] || [ "$(wc -l <err.txt)" -ne 1 ]; then
			bad=$((bad + 1))
			[ "$bad" -le 3 ] && { echo "  $which byte $i: exit $rc"; cat out.txt err.txt; } >&2
		fi
	done
	i=$((i + 1))
done
echo "$T_NAME: $runs runs with one flipped bit, $bad wrong" >&2
check "every flipped bit was found, compiled again, and the right commands ran" test "$bad" -eq 0
check "... over every byte of the recipe's chunk" test "$runs" -ge "$size"

sb
check "the run after a damaged chunk rewrote it: no warning" out_lacks "warning"

# a chunk under another source's name, an empty or cut file, the format before sealing
cp module.good "$recipe"
sb -v
check "a foreign chunk is compiled again" out_has "warning: compiled recipe '$recipe' is damaged, or not compiled from this recipe"
check "... and the right command runs" out_has "hello-world"
: >"$recipe"
sb -v
check "an empty chunk file is compiled again" out_has "warning: compiled recipe '$recipe' is not a sealed chunk"
check "... and the right command runs" out_has "hello-world"
head -c 40 recipe.good >"$recipe"
sb
check "a cut chunk file is compiled again" out_has "warning: compiled recipe '$recipe' is damaged"
tail -c +37 recipe.good >"$recipe"
sb -v
check "a chunk without its seal (the old format) is compiled again" out_has "warning: compiled recipe '$recipe' is not a sealed chunk"
check "... and the right command runs" out_has "hello-world"
sb
check "then it is sealed again" out_lacks "warning"

# a read-only command that finds a damaged chunk compiles the text and leaves the file as it was
flip "$recipe" recipe.good 100
cp "$recipe" damaged.copy
sb -n
check "a dry run with a damaged chunk warns" out_has "warning: compiled recipe"
check "... and leaves the cache as it was" cmp -s "$recipe" damaged.copy

finish
