# t0153: what a task's outputs keep is checked before it is skipped, not only that they exist and their bytes: an
# output's executable bit, a symlink output's target text, and the files below a directory output (one edited,
# removed, added, made executable, a subdirectory's file removed). Any of these changed reruns the task; a run that
# changes nothing does not.
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

finish
