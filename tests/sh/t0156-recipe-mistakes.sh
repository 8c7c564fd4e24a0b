# t0156: the recipe mistakes docs/recipes.md says are caught, as a new user makes them: each stops with exit 2 and
# a message naming the file, the line and what to write instead, from every command that meets it, and writes no
# state. And what is no mistake: a first dry run or -t explain of a project whose tasks read what their
# dependencies make.
. "$(dirname "$0")/../lib/lib.sh"
at_exit '"$SB" -t server stop >/dev/null 2>&1' # the watcher -w starts

mkdir -p src
echo hello >src/a.txt

# no_state DESC: the last command wrote nothing under .sindri-build/ (the recipe's bytecode cache aside)
no_state() {
	check "$1: no state written" sh -c '! ls .sindri-build 2>/dev/null | grep -qv "^luac$"'
	rm -rf .sindri-build
}

# bad RECIPE EXPECTED DESC: the recipe is refused by a build, a dry run and -t explain: exit 2, the message, no state
bad() {
	printf '%s\n' "$1" >sindri-build.lua
	for cmd in "all" "-n all" "-t explain all"; do
		# shellcheck disable=SC2086 # the words of the command
		sb $cmd
		check "$3 (sindri-build $cmd): exit 2" rc_is 2
		check "... says where and what to do" out_has "^sindri-build: $2"
		no_state "... $3 (sindri-build $cmd)"
	done
}

bad 'task "all" {
  inputs = { "src/" },
  run = "cat src/a.txt > out.txt"
  outputs = { "out.txt" },
}' "sindri-build.lua:4: '}' expected (to close '{' at line 1) near 'outputs'; is the ',' after the field before it missing?" \
	"a field without its comma"
bad 'task "all" {
  run = "true",' "sindri-build.lua:3: unexpected symbol near <eof>; the file ends too soon: is a '}', a ')' or an 'end' missing?" \
	"a table not closed"
bad 'task "all" {
  inputs = { "src/" },
  output = { "out.txt" },
  run = "true",
}' "sindri-build.lua:1: task 'all': unknown field 'output'; did you mean 'outputs'? (known: desc, " "a misspelled field"
bad 'task "all" { deps = { "gen" }, run = "true" }' \
	"sindri-build.lua:1: task 'all' depends on unknown task 'gen'; define a task of that name, or remove it from the deps" \
	"a dependency on a task that does not exist"
bad 'task "all" { run = "true" }
default "al"' "sindri-build.lua:2: default target 'al' is not a task; did you mean 'all'?" "a misspelled default"
bad 'task "all" { run = "true", always = "false" }
default "all"' \
	"sindri-build.lua:1: task 'all': field 'always' must be true or false, not the string \"false\"" \
	"a string where a boolean goes (true to Lua)"
bad 'task "all" { run = "true" }
task "all" { run = "false" }' \
	"sindri-build.lua:2: task name 'all' is already used by task 'all' at sindri-build.lua:1; give one of them another name" \
	"a task defined twice"
check "... said once" test "$(grep -c . "$T_OUT")" = 1
bad 'task "all" { inputs = { "src/", "../notes.txt" }, run = "true" }' \
	"sindri-build.lua:1: task 'all': input '../notes.txt' leaves the project with '..'; inputs are paths inside the project, relative to its root" \
	"an input outside the project"
bad 'task "all" { inputs = { "/etc/hostname" }, run = "true" }' \
	"sindri-build.lua:1: task 'all': input '/etc/hostname' is an absolute path; inputs are paths inside the project" \
	"an absolute input"

# a recipe file named by -f that is not there: check the path (not "name it with -f")
sb -f recipe.lau all
check "-f naming no file: exit 2" rc_is 2
check "... says to check the path it gave" \
	out_has "^sindri-build: no recipe file 'recipe.lau' (named by -f): check its path, which is relative to the directory it runs in (-C)"
no_state "... -f naming no file"

# a missing input: the task fails (exit 1), naming the file, the line and the ways out; a dry run writes nothing
printf 'task "all" {\n  inputs = { "src/a.txt", "src/b.txt" },\n  run = "true",\n}\n' >sindri-build.lua
sb -n all
check "a missing input: exit 1" rc_is 1
check "... names it, with what to do" out_has "^sindri-build: sindri-build.lua:1: task 'all': inputs: no such file or directory 'src/b.txt'; create it, list the task that makes it in deps, or remove it from inputs"
no_state "... a dry run"

# nothing built yet, tasks that read what their dependencies make: a dry run and -t explain say that they would
# run after them, print no error, and exit 0 (as examples/quickstart)
cat >sindri-build.lua <<'LUA'
task "pages" { inputs = { "src/" }, outputs = { "out/pages.txt" }, run = "mkdir -p out && cat src/*.txt > out/pages.txt" }
task "count" { deps = { "pages" }, inputs = { "out/pages.txt" }, outputs = { "out/count.txt" },
               run = "wc -w < out/pages.txt > out/count.txt" }
default "count"
LUA
sb -n
check "a first dry run: exit 0" rc_is 0
check "... says both would run" out_has "dry run: 2 would run"
check "... and prints no error about the file a dependency makes" out_lacks "out/pages.txt"
no_state "... a first dry run"
sb -t explain count
check "a first -t explain: exit 0" rc_is 0
check "... says why the dependent would run" out_has "^  dependency 'pages' would run first"
check "... and prints no error" out_lacks "no such file"
sb -t explain --json count
check "... its key in JSON is null, not a made-up one" out_has '"name":"count","would_run":true,"reasons":\["dependency .pages. would run first"\],"key":null'
no_state "... a first -t explain"
sb -t key count
check "-t key cannot give that key yet: exit 1" rc_is 1
check "... and says why" out_has "task 'count': inputs: no such file or directory 'out/pages.txt'"
no_state "... -t key"

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
