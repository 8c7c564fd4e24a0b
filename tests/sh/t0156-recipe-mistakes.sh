# t0156: the recipe mistakes docs/recipes.md says are caught, as a new user makes them: each stops with exit 2 and
# a message naming the file, the line and what to write instead, from every command that meets it, and writes no
# state.
. "$(dirname "$0")/../lib/lib.sh"
at_exit '"$SB" -t server stop >/dev/null 2>&1' # the watcher -w starts

mkdir -p src
echo hello >src/a.txt

# no_state DESC: the last command wrote nothing under .sindri-build/ (the recipe's bytecode cache aside)
no_state() {
	check "$1: no state written" sh -c '! ls .sindri-build 2>/dev/null | grep -qv "^luac$"'
	rm -rf .sindri-build
}

# a dependency cycle: named where the dependency that closes it is declared, with what to remove
cat >sindri-build.lua <<'LUA'
task "a" {
  deps = { "b" },
  run = "true",
}
task "b" {
  deps = { "c" },
  run = "true",
}
task "c" { deps = { "a" }, run = "true" }
task "fine" { run = "true" }
LUA
for cmd in "a" "-n a" "--json a" "-t explain a" "-t key a" "-t graph a" "-t commands a" "-t run a" "-w a"; do
	# shellcheck disable=SC2086 # the words of the command
	sb $cmd
	check "a cycle, sindri-build $cmd: exit 2" rc_is 2
	check "... names the line of the dependency that closes it" \
		out_has "^sindri-build: sindri-build.lua:9: dependency cycle: a -> b -> c -> a; remove 'a' from the deps of task 'c'"
	no_state "... sindri-build $cmd"
done
check "-w stops at once on a recipe error, without building again" out_lacks "could not vouch"
sb -t run b
check "-t run of a task in a cycle starts from that task" \
	out_has "^sindri-build: sindri-build.lua:1: dependency cycle: b -> c -> a -> b; remove 'b' from the deps of task 'a'"
rm -rf .sindri-build
sb fine
check "a cycle elsewhere does not stop a target that does not reach it" rc_is 0
rm -rf .sindri-build

finish
