# t0152: the check after a run takes a directory's cached listing only while the directory's stat data is what the
# listing was read under. On a warm tree (every listing cached by an earlier run and trusted), directories swapped,
# replaced by a symlink, given or losing an entry and then their mtime set back, or their parents swapped while a task
# runs are still seen, with the watcher and without: nothing is recorded, and the next run runs the task again.
. "$(dirname "$0")/../lib/lib.sh"
at_exit '"$SB" -t server stop >/dev/null 2>&1'

# one tree and one task per case, so that one warm-up serves them all: task tK reads treeK (inputs INPUTS)
N=0
: >sindri-build.lua
tree() {
	N=$((N + 1))
	r=tree$N
	mkdir -p $r/a $r/b $r/p/s $r/q/s $r/deep/x/y
	echo a1 >$r/a/f1
	echo a2 >$r/a/f2
	echo b1 >$r/b/g1
	echo ps >$r/p/s/f
	echo qs >$r/q/s/f
	echo deep >$r/deep/x/y/f
	echo 0 >$r/ftrigger
	cat >>sindri-build.lua <<LUA
task "t$N" {
  inputs = { $1 },
  exclude = { "$r/b/g*" },
  outputs = { "out$N.txt" },
  run = "touch started; while [ -e hold ]; do sleep 0.05; done; cat $r/ftrigger > out$N.txt",
}
LUA
}
for k in 1 2 3 4 5; do tree "\"tree$((N + 1))/\""; done
for k in 6 7; do tree "\"tree$((N + 1))/**/f*\""; done

# case K WHAT CMD: in treeK, written in place (no directory changes) so that tK runs with every listing cached and
# trusted, CMD while tK runs is seen, and the next run runs tK again
case_() {
	echo more >>tree$1/ftrigger
	sb_during "cd tree$1 && $3 && cd .." t$1
	check "$W: t$1: $2 while it ran is seen" out_has "while it ran; not recorded"
	"$SB" t$1 >"$T_OUT" 2>&1
	check "$W: ... and the next run runs t$1 again" ran_is "t$1"
}

for W in on off; do
	if [ $W = off ]; then
		"$SB" -t server stop >/dev/null 2>&1
		SINDRI_BUILD_WATCH=0
		export SINDRI_BUILD_WATCH
	fi
	rm -rf .sindri-build
	"$SB" t1 t2 t3 t4 t5 t6 t7 >"$T_OUT" 2>&1
	"$SB" t1 t2 t3 t4 t5 t6 t7 >"$T_OUT" 2>&1
	check "$W: every task is up to date" out_has "no work to do"
	sleep 2.5 # older than the racy window: the next runs trust every listing cached

	case_ 1 "two directories swapped" "mv a t && mv b a && mv t b"
	case_ 2 "two parents swapped (the same names below)" "mv p t && mv q p && mv t q"
	case_ 3 "a directory replaced by a symlink to it" "mv a a.real && ln -s a.real a"
	case_ 4 "an entry added, the directory's mtime set back" \
		"echo new >deep/x/y/new && touch -d '2001-01-01 00:00:00' deep/x/y deep/x"
	case_ 5 "an entry renamed, the directory's mtime set back" "mv a/f2 a/f3 && touch -d '2001-01-01 00:00:00' a"
	case_ 6 "two parents swapped under a ** glob" "mv p t && mv q p && mv t q"
	case_ 7 "an entry removed under a ** glob, the mtime set back" \
		"rm deep/x/y/f && touch -d '2001-01-01 00:00:00' deep/x/y"
	# an excluded file's changes are no input's
	echo more >>tree4/ftrigger
	sb_during "echo new >tree4/b/g2 && mv tree4/b/g1 tree4/b/g0" t4
	check "$W: t4: a change below an exclude is no input's" out_lacks "while it ran"
	check "... the run recorded" rc_is 0

	# every tree as it was, for the next mode
	rm -rf tree*
	N=0
	: >sindri-build.lua
	for k in 1 2 3 4 5; do tree "\"tree$((N + 1))/\""; done
	for k in 6 7; do tree "\"tree$((N + 1))/**/f*\""; done
done

finish
