# t0015: a randomized differential test of plain tasks (no Docker). Tasks whose commands read a directory (with an
# exclude), a recursive glob (and the executable bits of what it matches), a one-level glob, and the outputs of
# other tasks (with an env var and a recipe variable), and a Lua run function that reads a global; each round makes
# one random change of one kind (see KINDS: the tree, the outputs, the recipe, edits landing during a run, a change
# after the walks went on record) and runs
# the build. The ground truth runs every command from scratch in a fresh copy of the inputs. Each task's output is
# classified against it (tests/lib/random.sh) and the round takes the worst class; a false skip or a stale output
# fails. It runs with the watched tree on (a file watcher started for it; no Docker engine is needed) and off
# (SINDRI_BUILD_WATCH=0). Without SEED, each mode runs a fixed seed whose rounds take every kind once in turn, then a
# random seed that draws ROUNDS kinds (default 12; under the sanitizer build, SB_SANITIZED, both draw 4); the first
# line of each says how to run it again. SEED=n (ORDER=cycle), ROUNDS=n, KINDS="a b" and WATCH="1 0" choose.
. "$(dirname "$0")/../lib/lib.sh"
. "$T_TOP/tests/lib/random.sh"

if [ -n "${SB_SANITIZED:-}" ]; then ROUNDS=${ROUNDS:-4}; else ROUNDS=${ROUNDS:-12}; fi
ALL_KINDS="$TREE_KINDS output-delete output-edit cmd-edit env-edit env-unset var-edit global-edit
edit-during-run edit-during-run-restored helper-kill-edit aged"
KINDS=${KINDS:-$ALL_KINDS}
WATCH=${WATCH:-1 0}
DIRS="a a/d1 a/d1/d2 a/d3 b b/s1 b/s1/s2 c c/sub"
NAMES="f.txt g.txt x.sh y.sh .hidden z.tmp w.dat k.txt"
TREE=in
TASKS="cat modes glob summary greet"
at_exit '"$SB" -C "$T_ROOT/proj" -t server stop >/dev/null 2>&1'

# The commands, as the recipe runs them and as the truth does. T_DELAY (not keyed, no effect on any output) makes
# the edit-during-run kinds find a task running.
cmd_cat() {
	echo 'sleep ${T_DELAY:-0}; mkdir -p out && find in/a \( -type f -o -type l \) ! -name "*.tmp" | LC_ALL=C sort | while IFS= read -r p; do if [ -f "$p" ]; then echo "'"$SEP"' $p"; cat "$p"; fi; done >out/cat.txt'
}
cmd_modes() {
	echo 'mkdir -p out && find in/b \( -type f -o -type l \) -name "*.sh" | LC_ALL=C sort | while IFS= read -r p; do if [ -f "$p" ]; then if [ -x "$p" ]; then m=x; else m=-; fi; echo "$p $m $(cksum <"$p")"; fi; done >out/modes.txt'
}
cmd_glob() {
	echo 'mkdir -p out && export LC_ALL=C && for f in in/c/*.txt; do if [ -f "$f" ]; then echo "$f"; cat "$f"; fi; done >out/glob.txt'
}
cmd_summary() {
	echo 'sleep ${T_DELAY:-0}; { cksum <out/cat.txt; cksum <out/modes.txt; echo "flavor=${FLAVOR-unset} mode=${MODE-unset}"; } >out/summary.txt'
}
# greet's truth: what its run function writes.
cmd_greet() {
	echo 'echo "${GREETING:-hi}" >out/greet.txt'
}

# lua_str S: S as a Lua long string.
lua_str() {
	printf '[==[%s]==]' "$1"
}

write_recipe() {
	cat >sindri-build.lua <<LUA
GREETING = var("GREETING", "hi")
task "cat" { inputs = { "in/a/" }, exclude = { "**/*.tmp" }, outputs = { "out/cat.txt" }, run = $(lua_str "$(cmd_cat)") }
task "modes" { inputs = { "in/b/**/*.sh" }, outputs = { "out/modes.txt" }, run = $(lua_str "$(cmd_modes)") }
task "glob" { inputs = { "in/c/*.txt" }, outputs = { "out/glob.txt" }, run = $(lua_str "$(cmd_glob)") }
task "summary" {
  deps = { "cat", "modes" }, inputs = { "out/cat.txt", "out/modes.txt" }, env = { "FLAVOR" }, vars = { "MODE" },
  outputs = { "out/summary.txt" }, run = $(lua_str "$(cmd_summary)"),
}
task "greet" {
  deps = { "glob" }, outputs = { "out/greet.txt" },
  run = function()
    local f = assert(io.open("out/greet.txt", "w"))
    f:write(GREETING, "\n")
    f:close()
  end,
}
task "all" { deps = { "summary", "greet" } }
default "all"
LUA
}

generate() {
	rm -rf in out .sindri-build
	mkdir -p in/a in/b in/c
	rnd 61
	new_files $((20 + R))
	SEP="=="
	FLAVOR=plain
	export FLAVOR
	MODE=m0 GREETING=hi
	export MODE GREETING
	write_recipe
}

is_protected() {
	case $1 in in | in/a | in/b | in/c) return 0 ;; esac
	return 1
}

edit_candidates() {
	find in -type f | sort
}

# mode_candidates: any input, the scripts whose executable bit modes reads twice as likely.
mode_candidates() {
	find in/b -type f -name '*.sh'
	edit_candidates
}

# during_candidates: files read after the sleep of cat's command.
during_candidates() {
	find in/a -type f ! -name '*.tmp' | sort
}

mutate() {
	tree_mutate "$1" && return
	MUTATION=$1
	case $1 in
	output-delete | output-edit)
		pick_word $TASKS
		f=out/$PICK.txt
		if [ "$1" = output-delete ]; then rm -f "$f"; else echo "edited by hand" >>"$f"; fi
		MUTATION="$1 $f" ;;
	cmd-edit)
		pick_word "==" "--" "##" "::"
		[ "$PICK" = "$SEP" ] && PICK="$SEP$SEP"
		SEP=$PICK
		write_recipe
		MUTATION="$1 cat separator '$SEP'" ;;
	env-edit)
		rnd 3
		FLAVOR=flavor$R
		export FLAVOR
		MUTATION="$1 FLAVOR=$FLAVOR" ;;
	env-unset)
		if [ -n "${FLAVOR+x}" ]; then unset FLAVOR; MUTATION="$1 FLAVOR"; else FLAVOR=back; export FLAVOR; MUTATION="$1 FLAVOR=back"; fi ;;
	var-edit)
		rnd 3
		MODE=m$R
		MUTATION="$1 MODE=$MODE" ;;
	global-edit)
		rnd 3
		GREETING=hello$R
		MUTATION="$1 GREETING=$GREETING" ;;
	edit-during-run | edit-during-run-restored)
		export T_DELAY=0.9
		edit_during "$1" "$SB"
		unset T_DELAY ;;
	aged)
		# the tree left alone past the racy window and built twice, so that the walks go on record with the
		# watcher's token (engine/filecache.h, "Walks on record"), then a change of the tree's kinds
		sleep 2.1
		"$SB" -q >/dev/null 2>&1
		"$SB" -q -d stats >"$T_ROOT/aged.out" 2>&1
		AGED=$((${AGED:-0} + 1))
		grep -q ' [1-9][0-9]* walks taken whole' "$T_ROOT/aged.out" && AGED_TAKEN=$((${AGED_TAKEN:-0} + 1))
		pick_word $TREE_KINDS
		tree_mutate "$PICK"
		MUTATION="aged, then $MUTATION" ;;
	helper-kill-edit)
		helper_down "$1"
		edit_candidates >"$T_ROOT/cand"
		pick "$T_ROOT/cand"
		edit "$PICK"
		[ "$W" = 1 ] && "$SB" -t server start >/dev/null 2>&1
		MUTATION="$1 $PICK" ;;
	*)
		echo "t0015: unknown kind '$1'" >&2
		exit 2 ;;
	esac
}

# truth: every command from scratch, in order, in a fresh copy of the inputs; the outputs in $T_ROOT/truth/out.
truth() {
	rm -rf "$T_ROOT/truth"
	mkdir "$T_ROOT/truth"
	cp -a in "$T_ROOT/truth/in"
	(cd "$T_ROOT/truth" && for t in cat modes glob summary greet; do sh -c "$(cmd_$t)" >/dev/null 2>&1; done)
}

# outputs DIR: one line per task: its name and the checksum of its output ("missing" when there is none).
outputs() {
	for t in $TASKS; do
		if [ -f "$1/out/$t.txt" ]; then echo "$t $(cksum <"$1/out/$t.txt" | tr ' ' -)"; else echo "$t missing"; fi
	done
}

# classify_round: each task's class, the worst of them in CLASS; the ones that were wrong in WRONG.
classify_round() {
	outputs . >"$T_ROOT/now"
	outputs "$T_ROOT/truth" >"$T_ROOT/want"
	worst=skip-ok
	WRONG=
	for t in $TASKS; do
		r=0
		case " $(ran) " in *" $t "*) r=1 ;; esac
		p=$(sed -n "s/^$t //p" "$T_ROOT/prev")
		n=$(sed -n "s/^$t //p" "$T_ROOT/now")
		w=$(sed -n "s/^$t //p" "$T_ROOT/want")
		[ "$RC" = 0 ] || n=failed
		classify "$r" "$p" "$n" "$w"
		case $CLASS in
		false-skip | stale) WRONG="$WRONG $t:$CLASS"; worst=$CLASS ;;
		false-rebuild) case $worst in skip-ok | rebuild-ok) worst=false-rebuild ;; esac ;;
		rebuild-ok) [ "$worst" = skip-ok ] && worst=rebuild-ok ;;
		esac
	done
	CLASS=$worst
	if [ "$RC" != 0 ]; then
		CLASS=error
		WRONG="$WRONG (exit $RC)"
	fi
}

mkdir proj
cd proj || exit 1
for W in $WATCH; do
	if [ "$W" = 1 ]; then
		unset SINDRI_BUILD_WATCH
		if ! "$SB" -t server start >/dev/null 2>&1; then
			echo "t0015: no file watcher can start: the watched tree is not tested"
			continue
		fi
	else
		SINDRI_BUILD_WATCH=0
		export SINDRI_BUILD_WATCH
		"$SB" -t server stop >/dev/null 2>&1
	fi
	for seed in $(seeds); do
		begin_seed "$seed"
		echo "t0015: watch $W, seed $SEED_NOW, $RUN_ROUNDS rounds (WATCH=$W $REPRODUCE reproduces)"
		generate
		sb
		while next_round; do
			# what the run finds (an output edited by hand is not the truth's, so its rebuild is no false one)
			outputs . >"$T_ROOT/prev"
			sb
			truth
			classify_round
			if [ "$W" = 1 ]; then record "$KIND" "$CLASS"; else record "$KIND,nowatch" "$CLASS"; fi
			case $CLASS in
			skip-ok | rebuild-ok | false-rebuild) ;;
			*)
				echo "  watch $W seed $SEED_NOW round $ROUND: $MUTATION ->$WRONG"
				grep -v '^ *$' "$T_OUT" | sed -n '1,4s/^/    | /p'
				# start the next round from correct outputs
				rm -rf out .sindri-build
				sb ;;
			esac
		done
	done
done
# with the watcher on, an aged round's change lands while walks are on record: say how often they were
[ -n "${AGED:-}" ] && echo "t0015: aged rounds whose builds took walks from the record: ${AGED_TAKEN:-0} of $AGED"
summary ""
finish
