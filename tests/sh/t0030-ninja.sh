# t0030: -t ninja run by the real ninja (and by samu when it is on PATH): content keys decide, restat prunes, input
# trees are watched, the file regenerates itself once, and it stays inside samurai's language.
. "$(dirname "$0")/../lib/lib.sh"
unset NINJA_STATUS SINDRI_STATUS

need_ninja

mtime() {
	stat -c %y "$1" 2>/dev/null || echo missing
}
# runs_are EXPECTED: the task commands that really ran since the last call (runs.log), sorted, space-separated.
runs_are() {
	got=$(sort runs.log 2>/dev/null | tr '\n' ' ' | sed 's/ $//')
	: >runs.log
	[ "$got" = "$1" ] || { echo "  expected runs '$1', got '$got'" >&2; return 1; }
}
regenerated_once() {
	[ "$(grep -c 'regenerating build.ninja' "$T_OUT")" = 1 ] || { echo "  expected one regeneration" >&2; return 1; }
}

# in_subset FILE: FILE uses only what samurai reads (the ninja language up to 1.9): rule, build, default, pool,
# subninja, include and variables; in rules only the bindings samurai knows; no dyndep, no validations ("|@"); a
# depth for every pool; ninja_required_version at most 1.9.
in_subset() {
	awk '
	function bad(msg) { print FILENAME ":" FNR ": " msg ": " $0 > "/dev/stderr"; err = 1 }
	function endpool() { if (ctx == "pool" && !depth) bad("pool without a depth") }
	BEGIN {
		split("command description depfile deps msvc_deps_prefix generator pool restat rspfile rspfile_content", v, " ")
		for (i in v) rulevar[v[i]] = 1
	}
	/^[ \t]*#/ || /^[ \t]*$/ { next }
	/\$$/ { bad("line continuation") }
	/^[^ ]/ {
		endpool()
		ctx = ""
		if ($1 == "rule" && NF == 2) ctx = "rule"
		else if ($1 == "build") { ctx = "build"; if (index($0, "|@")) bad("validation (ninja 1.11)") }
		else if ($1 == "pool" && NF == 2) { ctx = "pool"; depth = 0 }
		else if ($1 == "default" || $1 == "subninja" || $1 == "include") ctx = "none"
		else if ($2 == "=" && $1 ~ /^[A-Za-z0-9_.-]+$/) {
			ctx = "none"
			if ($1 == "ninja_required_version") {
				split($3, ver, ".")
				if (ver[1] + 0 > 1 || (ver[1] + 0 == 1 && ver[2] + 0 > 9)) bad("needs a ninja newer than 1.9")
			}
		} else bad("not a statement samurai knows")
		next
	}
	/^  [A-Za-z0-9_.-]+ = ?/ {
		if ($1 == "dyndep") bad("dyndep (ninja 1.10)")
		else if (ctx == "rule" && !($1 in rulevar)) bad("rule binding samurai does not know")
		else if (ctx == "pool") { if ($1 != "depth" || $3 + 0 < 1) bad("pool binding"); else depth = 1 }
		else if (ctx != "rule" && ctx != "build") bad("binding outside a rule, build or pool")
		next
	}
	{ bad("unexpected line") }
	END { endpool(); exit err }
	' "$1"
}

write_recipe() {
	cat >sindri-build.lua <<'LUA'
pool "two" { depth = 2 }
task "compile" {
  inputs = { "src/" },
  exclude = { "**/*.tmp" },
  outputs = { "out/compiled" },
  run = "echo compile >> runs.log; mkdir -p out && cat src/a.c src/sub/b.c > out/compiled",
  alias = { "v3-compile" },
  pool = "two",
}
task "link" {
  deps = { "compile" },
  inputs = { "out/compiled" },
  outputs = { "out/linked" },
  run = "echo link >> runs.log; cp out/compiled out/linked",
}
task "all" { deps = { "link" } }
default "all"
LUA
}

# scenario NINJA: the whole story with one ninja implementation, in a fresh project of its own.
scenario() {
	NJ=$1
	n=$(basename "$NJ")
	mkdir -p "$T_ROOT/$n/src/sub" "$T_ROOT/$n/src/empty" && cd "$T_ROOT/$n" || return
	echo one >src/a.c
	echo two >src/sub/b.c
	write_recipe

	sb -t ninja
	check "$n: -t ninja exits 0" rc_is 0
	check "$n: -t ninja writes build.ninja" test -s build.ninja
	check "$n: the file is inside samurai's language" in_subset build.ninja
	nj
	check "$n: first build exits 0" rc_is 0
	check "$n: first build runs every edge" ran_is "all compile link"
	check "$n: and every task" runs_are "compile link"
	nj
	check "$n: second run: no work to do" noop
	check "$n: second run runs nothing" ran_is ""
	sb -n
	check "$n: sindri-build agrees that all is current" out_has "no work to do"

	stamp=$(mtime .sindri-build/ninja/compile.stamp)
	touch src/a.c
	nj
	check "$n: touch: the task's edge runs" ran_is "compile"
	check "$n: touch: its key is unchanged, the task does not run" runs_are ""
	check "$n: touch: the stamp is untouched" test "$(mtime .sindri-build/ninja/compile.stamp)" = "$stamp"
	check "$n: touch: restat prunes link and all" out_lacks "link"
	nj
	check "$n: after the pruned run: no work to do" noop

	echo changed >src/a.c
	nj
	check "$n: a real change runs the edge and its dependents" ran_is "all compile link"
	check "$n: and both tasks" runs_are "compile link"

	echo more >src/sub/new.c
	nj
	check "$n: a file added to an input tree is noticed" runs_are "compile link"
	echo more >src/empty/new.c
	nj
	check "$n: a file added to an empty subdirectory is noticed" runs_are "compile link"
	mkdir src/deeper && echo x >src/deeper/x.c
	nj
	check "$n: a new subdirectory with a file is noticed" runs_are "compile link"
	echo y >src/deeper/y.c
	nj
	check "$n: then a file added inside it is noticed" runs_are "compile link"
	rm src/sub/new.c
	nj
	check "$n: a file removed from an input tree is noticed" runs_are "compile link"
	echo scratch >src/sub/note.tmp
	nj
	check "$n: an excluded file added: the edge looks, the key is unchanged" runs_are ""
	check "$n: and nothing downstream runs" out_lacks "link"
	nj
	check "$n: then no work to do" noop

	# A comment: the file is regenerated once, no task edge runs.
	echo "-- a comment" >>sindri-build.lua
	nj
	check "$n: a recipe edit regenerates the file" regenerated_once
	check "$n: ninja does not loop" out_lacks "dirty after"
	check "$n: a comment changes no task" ran_is "regenerating build.ninja"
	check "$n: regeneration exits 0" rc_is 0
	nj
	check "$n: after regeneration: no work to do" noop
	# A task's definition: only its edge runs again.
	sed 's/cp out\/compiled out\/linked/cat out\/compiled >out\/linked/' sindri-build.lua >r.tmp && mv r.tmp sindri-build.lua
	nj
	check "$n: a definition edit regenerates once" regenerated_once
	check "$n: and reruns that task only" runs_are "link"
	nj
	check "$n: then no work to do" noop
	# A recipe dated in the future would make the file look stale after every regeneration.
	touch -d "+1 hour" sindri-build.lua
	nj
	check "$n: a recipe from the future regenerates once" regenerated_once
	check "$n: without a loop" rc_is 0
	check "$n: and says what the date costs" out_has "is dated in the future"
	nj
	check "$n: then no work to do" noop
	touch sindri-build.lua

	rm out/linked
	nj
	check "$n: a deleted output reruns its task" runs_are "link"
	rm -rf .sindri-build
	nj
	check "$n: without the state every edge runs" ran_is "all compile link"
	check "$n: and every task, once" runs_are "compile link"
	nj
	check "$n: then no work to do" noop
	cd "$T_ROOT" || return
}

scenario "$NINJA"
if command -v samu >/dev/null 2>&1; then
	scenario "$(command -v samu)"
else
	echo "$T_NAME: samu is not on PATH: the samu half is skipped"
fi

# The checker itself must catch what samurai cannot read.
printf 'rule r\n  command = x\n  dyndep = d\nbuild a: r\n' >dyndep.ninja
printf 'rule r\n  command = x\nbuild a: r |@ v\n' >valid.ninja
if in_subset valid.ninja 2>/dev/null; then check "the subset check catches validations" false; else check "the subset check catches validations" true; fi
if in_subset dyndep.ninja 2>/dev/null; then check "the subset check catches dyndep" false; else check "the subset check catches dyndep" true; fi
printf 'pool p\nrule r\n  command = x\n' >pool.ninja
if in_subset pool.ninja 2>/dev/null; then check "the subset check catches a pool without depth" false; else check "the subset check catches a pool without depth" true; fi

# The biggest file we can make: Sindri's stock recipes (images, cycles, always-tasks, v3- aliases), no engine needed.
cp -r "$T_TOP/examples/mini-sindri" sindri && rm -rf sindri/.sindri-build
DOCKER_HOST=unix:///nonexistent/docker.sock sb -C sindri -t ninja
check "stock recipes: -t ninja exits 0" rc_is 0
check "stock recipes: inside samurai's language" in_subset sindri/build.ninja
check "stock recipes: v3- names are phony targets" grep -q '^build v3-docker-build-fast: phony ' sindri/build.ninja
check "stock recipes: image builds run in the console pool" grep -q '^  pool = console$' sindri/build.ninja
check "stock recipes: the default is the recipe's" grep -q '^default docker-build-dev-ubuntu$' sindri/build.ninja
check "stock recipes: the regeneration edge lists the required modules" grep -q 'sindri_regen .*sindri/lib.lua' sindri/build.ninja
(cd sindri && "$NINJA" -t query docker-build-fast) >"$T_OUT" 2>&1
check "stock recipes: ninja parses the file" out_has "input: phony"

finish
