# t0153: what a task's outputs keep is checked before it is skipped, not only that they exist and their bytes: an
# output's executable bit, a symlink output's target text, and the files below a directory output (one edited,
# removed, added, made executable, a subdirectory's file removed). Any of these changed reruns the task; a run that
# changes nothing does not. A task whose inputs or outputs are the whole project is current after a run: the state
# directory, which every run writes, is neither.
. "$(dirname "$0")/../lib/lib.sh"

mkdir src
echo hello >src/a
cat >sindri-build.lua <<'LUA'
task "bin" {
  inputs = { "src/" }, outputs = { "out/app" },
  run = "mkdir -p out && { echo '#!/bin/sh'; echo 'cat src/a'; } >out/app && chmod 755 out/app",
}
task "dist" {
  inputs = { "src/" }, outputs = { "dist/" },
  run = "rm -rf dist && mkdir -p dist/sub && cp src/a dist/a && cp src/a dist/sub/b && echo x >dist/c",
}
task "link" {
  inputs = { "src/" }, outputs = { "cur" },
  run = "cp src/a v1 && cp src/a v2 && rm -f cur && ln -s v1 cur",
}
LUA

for W in on off; do
	if [ $W = off ]; then
		"$SB" -t server stop >/dev/null 2>&1
		SINDRI_BUILD_WATCH=0
		export SINDRI_BUILD_WATCH
	fi
	rm -rf .sindri-build out dist cur v1 v2
	sb bin dist link
	check "$W: the tasks ran" ran_is "bin dist link"
	sb bin dist link
	check "$W: ... and are up to date" out_has "no work to do: 3 up to date"

	# again: a run that changes nothing is up to date, however it is checked
	again() {
		sb "$1"
		check "$W: $1: $2 reruns it" ran_is "$1"
		sb "$1"
		check "$W: ... then it is up to date" out_has "no work to do"
	}
	chmod -x out/app
	again bin "an output's executable bit removed"
	rm dist/c
	again dist "a file removed below a directory output"
	echo edited >dist/a
	again dist "a file edited below a directory output"
	echo extra >dist/new
	again dist "a file added below a directory output"
	rm dist/sub/b
	again dist "a file removed from a subdirectory of a directory output"
	chmod +x dist/a
	again dist "a file below a directory output made executable"
	ln -sfn v2 cur
	again link "a symlink output pointed at another file of the same content"
done
"$SB" -t server stop >/dev/null 2>&1

# the whole project as inputs, or as an output (each a project of its own, away from this test's runtime directory)
mkdir whole whole2
cd whole || exit 1
echo a >a.txt
echo 'task "sum" { inputs = { "." }, exclude = { "sum.txt" }, outputs = { "sum.txt" }, run = "cat a.txt >sum.txt" }' \
	>sindri-build.lua
sb sum
check "whole project as inputs: the task ran" ran_is "sum"
check "... and was recorded" out_lacks "while it ran"
sb sum
check "... then it is up to date" out_has "no work to do"
sb -t query sum
check "... the state directory is none of its inputs" out_lacks "sindri-build/"
echo b >>a.txt
sb sum
check "... an edit of an input runs it" ran_is "sum"
cd ../whole2 || exit 1
echo 'task "tree" { outputs = { "." }, run = "mkdir -p made && echo x >made/x" }' >sindri-build.lua
sb tree
check "whole project as an output: the task ran" ran_is "tree"
sb tree
check "... then it is up to date" out_has "no work to do"
rm made/x
sb tree
check "... a file removed from the project runs it" ran_is "tree"
"$SB" -t server stop >/dev/null 2>&1
cd ..

finish
