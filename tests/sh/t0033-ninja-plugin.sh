# t0033: examples/ninja-plugin: a hand-written build.ninja subninjas the generated file and depends on a task's stamp.
. "$(dirname "$0")/../lib/lib.sh"
unset NINJA_STATUS SINDRI_STATUS

need_ninja

plugin() {
	NJ=$1
	n=$(basename "$NJ")
	mkdir "$T_ROOT/$n" && cd "$T_ROOT/$n" || return
	(cd "$T_TOP/examples/ninja-plugin" && tar cf - --exclude=sindri.ninja --exclude=out --exclude=.sindri-build .) | tar xf -
	hand=$(cksum <build.ninja)

	sb -t ninja
	check "$n: -t ninja will not overwrite a hand-written build.ninja" rc_is 2
	check "$n: and says what to do instead" out_has "name another file (-o sindri.ninja) and subninja it"
	check "$n: the hand-written file is untouched" test "$(cksum <build.ninja)" = "$hand"
	sb -t ninja -o sindri.ninja
	check "$n: -t ninja -o writes the named file" test -s sindri.ninja

	nj
	check "$n: the plugin builds the tasks and its own edge" ran_is "check out/checked.txt index pages"
	check "$n: its own edge ran after the task" test -s out/checked.txt
	nj
	check "$n: second run: no work to do" noop

	touch src/pages/01-home.txt
	nj
	check "$n: touch: only the task's edge runs" ran_is "pages"
	check "$n: the hand-written edge behind the stamp is pruned" out_lacks "check"

	echo 'Contact.' >src/pages/04-contact.txt
	nj
	check "$n: a new page reaches the hand-written edge" ran_is "check out/checked.txt index pages"
	check "$n: which saw it" test "$(cat out/checked.txt)" = 3

	echo 'later' >src/pages/05.draft
	nj
	check "$n: an excluded file: the edge looks, nothing else runs" ran_is "pages"

	sed 's/grep -n \./grep -n -e ./' sindri-build.lua >r.tmp && mv r.tmp sindri-build.lua
	nj
	check "$n: a recipe edit regenerates the subninja once" test "$(grep -c 'regenerating sindri.ninja' "$T_OUT")" = 1
	check "$n: without a loop" rc_is 0
	check "$n: and reruns the edited task and what follows from its new key" ran_is \
		"check out/checked.txt index regenerating sindri.ninja"
	nj
	check "$n: then no work to do" noop
	cd "$T_ROOT" || return
}

plugin "$NINJA"
if command -v samu >/dev/null 2>&1; then
	plugin "$(command -v samu)"
else
	echo "$T_NAME: samu is not on PATH: the samu half is skipped"
fi

finish
