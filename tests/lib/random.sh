# random.sh: what the randomized differential tests (t0014, t0015) share: a seeded generator, picking, the file
# tree's kinds of change, the classification of a round against the ground truth, and the counts by kind.
# Source it after lib.sh. Settings: SEED (one seed; default: a fixed one, then a random one), ORDER (cycle: every
# kind once in turn; random: ROUNDS kinds drawn), ROUNDS, KINDS (the kinds to use).

# Interrupted, a test still removes what it made (lib.sh's EXIT trap).
trap 'exit 130' INT
trap 'exit 143' TERM

# rnd N: a pseudo-random number in [0, N) in R, from the state RS (a 31-bit LCG: reproducible from SEED in any sh).
rnd() {
	RS=$(((RS * 1103515245 + 12345) % 2147483648))
	R=$(((RS / 256) % $1))
}

# pick FILE: a random line of FILE in PICK ("" when it is empty).
pick() {
	PICK=
	pick_n=$(wc -l <"$1")
	[ "$pick_n" -gt 0 ] || return 1
	rnd "$pick_n"
	PICK=$(sed -n "$((R + 1))p" "$1")
}

# pick_word WORDS...: one of the words, in PICK.
pick_word() {
	rnd $#
	shift "$R"
	PICK=$1
}

# chance N: true one time in N.
chance() {
	rnd "$1"
	[ "$R" -eq 0 ]
}

# rand_text: a few lines of random text in TEXT (never empty).
rand_text() {
	rnd 6
	text_n=$((R + 1))
	TEXT=
	while [ "$text_n" -gt 0 ]; do
		rnd 1000000
		TEXT="${TEXT}line $R of round ${ROUND:-0}
"
		text_n=$((text_n - 1))
	done
}

# same_size_edit FILE: change FILE's bytes without changing its size, then put its mtime back (as an editor or a
# checkout within one second can): only the content tells the two apart.
same_size_edit() {
	mt=$(stat -c %.9Y "$1")
	size=$(stat -c %s "$1")
	if [ "$size" -eq 0 ]; then
		printf x >"$1"
	else
		rnd 26
		c=$(printf "\\$(printf %03o $((97 + R)))")
		# the first byte becomes another letter (a different one when it already was that letter)
		first=$(head -c 1 "$1")
		[ "$first" = "$c" ] && c=Z
		{ printf %s "$c"; tail -c +2 "$1"; } >"$1.sbtmp" && cat "$1.sbtmp" >"$1" && rm -f "$1.sbtmp"
	fi
	touch -d "@$mt" "$1"
}

# seeds: the runs to make, as SEED:ORDER: SEED (with ORDER, default random) when given, else a fixed seed whose
# rounds take every kind once in turn (so that each run of the suite tries every kind; under the sanitizer build it
# draws ROUNDS of them at random instead) and a random seed that draws ROUNDS kinds at random.
seeds() {
	if [ -n "${SEED:-}" ]; then
		echo "$SEED:${ORDER:-random}"
	elif [ -n "${SB_SANITIZED:-}" ]; then
		echo 12:random
	else
		echo 12:cycle
	fi
	[ -n "${SEED:-}" ] || echo "$(od -An -N4 -tu4 /dev/urandom | tr -d ' '):random"
}

# begin_seed SEED:ORDER: start a run from SEED (added to SEEDS_RUN): ORDER cycle takes every kind of KINDS once in
# turn, random draws ROUNDS kinds. Sets RUN_ROUNDS and REPRODUCE (the settings that make that run again).
begin_seed() {
	SEED_NOW=${1%%:*}
	ORDER_NOW=${1#*:}
	SEEDS_RUN="${SEEDS_RUN:-} $SEED_NOW"
	RS=$SEED_NOW
	ROUND=0
	printf '%s\n' $KINDS >"$T_ROOT/kinds"
	if [ "$ORDER_NOW" = cycle ]; then
		RUN_ROUNDS=$(wc -l <"$T_ROOT/kinds")
		REPRODUCE="SEED=$SEED_NOW ORDER=cycle"
	else
		RUN_ROUNDS=$ROUNDS
		REPRODUCE="SEED=$SEED_NOW ROUNDS=$ROUNDS"
	fi
	ROUNDS_WANTED=$((${ROUNDS_WANTED:-0} + RUN_ROUNDS))
}

# next_round: the next round, while there is one: ROUND counted, a kind of KINDS taken (in KIND) and its change made
# (the test's mutate KIND).
next_round() {
	[ "$ROUND" -lt "$RUN_ROUNDS" ] || return 1
	ROUND=$((ROUND + 1))
	ROUNDS_DONE=$((${ROUNDS_DONE:-0} + 1))
	if [ "$ORDER_NOW" = cycle ]; then
		KIND=$(sed -n "${ROUND}p" "$T_ROOT/kinds")
	else
		pick "$T_ROOT/kinds"
		KIND=$PICK
	fi
	mutate "$KIND"
	return 0
}

# RESULTS: one line per classified round (or task in a round): seed, round, kind, class.
RESULTS=$T_ROOT/.results
: >"$RESULTS"

# record KIND CLASS: one classified outcome.
record() {
	echo "$SEED_NOW $ROUND $1 $2" >>"$RESULTS"
}

# classify REBUILT PREV_DIGEST NOW_DIGEST TRUTH_DIGEST: the class of a round's outcome in CLASS:
# a skip is correct when what is there equals the truth, a rebuild when what it made does; a rebuild that was not
# needed (the truth equals what was there before) is a false rebuild; a skip of something that differs from the
# truth is a false skip; a rebuild whose result differs from the truth is a stale result.
classify() {
	if [ "$1" = 0 ]; then
		if [ "$3" = "$4" ]; then CLASS=skip-ok; else CLASS=false-skip; fi
	elif [ "$3" != "$4" ]; then
		CLASS=stale
	elif [ "$2" = "$4" ]; then
		CLASS=false-rebuild
	else
		CLASS=rebuild-ok
	fi
}

# summary FAIL_KINDS: print the counts by kind and class; false skips, stale results and errors fail, and so does
# a false rebuild of a kind in FAIL_KINDS (space-separated). Checks too that every round ran.
summary() {
	awk -v strict=" $1 " '
	{ kinds[$3] = 1; n[$3 " " $4]++; total[$4]++ }
	END {
		split("skip-ok rebuild-ok false-rebuild false-skip stale error", cls, " ")
		printf "%-34s", "kind"
		for (i = 1; i <= 6; i++) printf " %13s", cls[i]
		printf "\n"
		m = 0
		for (k in kinds) order[++m] = k
		for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (order[j] < order[i]) { t = order[i]; order[i] = order[j]; order[j] = t }
		for (i = 1; i <= m; i++) {
			printf "%-34s", order[i]
			for (c = 1; c <= 6; c++) printf " %13d", n[order[i] " " cls[c]]
			printf "\n"
		}
		printf "%-34s", "total"
		for (c = 1; c <= 6; c++) printf " %13d", total[cls[c]]
		printf "\n"
	}' "$RESULTS"
	bad=$(awk -v strict=" $1 " '$4 == "false-skip" || $4 == "stale" || $4 == "error" ||
		($4 == "false-rebuild" && index(strict, " " $3 " ")) { print "  seed " $1 " round " $2 ": " $3 " -> " $4 }' "$RESULTS")
	if [ -n "$bad" ]; then
		echo "wrong outcomes (the settings each seed's first line prints reproduce them):"
		echo "$bad"
	fi
	: >"$T_OUT"
	check "all ${ROUNDS_WANTED:-0} rounds ran (${ROUNDS_DONE:-0})" test "${ROUNDS_DONE:-0}" -eq "${ROUNDS_WANTED:-0}"
	check "no false skip, stale result or error in $(wc -l <"$RESULTS") outcomes (seeds:$SEEDS_RUN)" test -z "$bad"
}

# The tree the file kinds change: TREE (a directory), DIRS (directories below it where files go), NAMES (file
# names); the test defines is_protected PATH (never removed, renamed or made a link), edit_candidates (the files
# whose content its results most likely depend on, one per line), mode_candidates (the same for their mode bits) and
# during_candidates (for edit_during).
TREE_KINDS="content same-size touch new-file delete rename-file rename-dir dir-out-and-back chmod-x chmod-600
chmod-dir symlink-new symlink-retarget symlink-dangling symlink-dir file-to-link empty-dir-new empty-dir-rm"

# new_file: a new regular file in a random directory of DIRS (made when missing), its name in FILE.
new_file() {
	pick_word $DIRS
	d=$PICK
	pick_word $NAMES
	rnd 1000
	FILE="$TREE/$d/$R-$PICK"
	chance 3 && FILE="$TREE/$d/$PICK"
	[ -e "$FILE" ] && FILE="$TREE/$d/n$R-$PICK"
	mkdir -p "$TREE/$d"
	rand_text
	printf %s "$TEXT" >"$FILE"
}

# new_files N: N new files.
new_files() {
	files_n=$1
	while [ "$files_n" -gt 0 ]; do
		new_file
		files_n=$((files_n - 1))
	done
}

# Candidates for a change, one per line, in $T_ROOT/cand.
list_files() {
	find "$TREE" -type f ! -name Dockerfile ! -name .dockerignore | sort >"$T_ROOT/cand"
}
list_unprotected_files() {
	find "$TREE" -type f ! -name Dockerfile ! -name .dockerignore | sort | while read -r f; do
		is_protected "$f" || echo "$f"
	done >"$T_ROOT/cand"
}
list_unprotected_dirs() {
	find "$TREE" -mindepth 2 -type d | sort | while read -r f; do is_protected "$f" || echo "$f"; done >"$T_ROOT/cand"
}

# edit FILE: new content of another size (lines added).
edit() {
	rand_text
	printf %s "$TEXT" >>"$1"
}

# link_target DIR: the name of an entry of DIR (not a link) to point a link in DIR at, in TARGET.
link_target() {
	find "$1" -mindepth 1 -maxdepth 1 ! -type l | sed 's|.*/||' | sort >"$T_ROOT/tcand"
	pick "$T_ROOT/tcand" || PICK=missing
	TARGET=$PICK
}

# edit_during KIND CMD...: edit one of during_candidates (the test's files that the run reads late), so that CMD
# has work to do, run CMD in the background and edit the file again while it runs (after one of DURING_DELAYS
# seconds, default 0.1 to 0.8); the kind
# ending in -restored puts the bytes it had when CMD started back once it ended (half the time the mtime too), as a
# checkout of another branch during a build and back would.
edit_during() {
	during_kind=$1
	shift
	during_candidates >"$T_ROOT/cand"
	pick "$T_ROOT/cand"
	during_file=$PICK
	edit "$during_file"
	cp -p "$during_file" "$T_ROOT/saved"
	pick_word ${DURING_DELAYS:-0.1 0.2 0.3 0.4 0.5 0.6 0.7 0.8}
	during_delay=$PICK
	"$@" >"$T_ROOT/bg.out" 2>&1 &
	bg=$!
	sleep "$during_delay"
	edit "$during_file"
	wait "$bg"
	MUTATION="$during_kind $during_file after ${during_delay}s"
	case $during_kind in
	*-restored)
		cat "$T_ROOT/saved" >"$during_file"
		chance 2 && touch -r "$T_ROOT/saved" "$during_file" && MUTATION="$MUTATION, mtime put back too" ;;
	esac
}

# helper_down KIND: stop the resident processes, the engine helper and the file watcher (helper-stop-*), or kill
# them with SIGKILL (helper-kill-*).
helper_down() {
	case $1 in
	helper-stop*) "$SB" -t server stop >/dev/null 2>&1 ;;
	*)
		for pid in $("$SB" -t server 2>/dev/null | sed -n 's/.*pid \([0-9][0-9]*\).*/\1/p'); do
			kill -9 "$pid" 2>/dev/null
		done ;;
	esac
}

# tree_mutate KIND: one change of a kind of TREE_KINDS to the tree; MUTATION says what. 1 for another kind.
tree_mutate() {
	MUTATION=$1
	PICK=
	case $1 in
	content)
		edit_candidates >"$T_ROOT/cand"
		pick "$T_ROOT/cand" && edit "$PICK" ;;
	same-size)
		edit_candidates >"$T_ROOT/cand"
		pick "$T_ROOT/cand" && same_size_edit "$PICK" ;;
	touch)
		list_files
		pick "$T_ROOT/cand" && touch "$PICK" ;;
	new-file)
		new_file
		PICK=$FILE ;;
	delete)
		list_unprotected_files
		pick "$T_ROOT/cand" && rm -f "$PICK" ;;
	rename-file | rename-dir)
		if [ "$1" = rename-file ]; then list_unprotected_files; else list_unprotected_dirs; fi
		if pick "$T_ROOT/cand"; then
			rnd 1000
			mv "$PICK" "$(dirname "$PICK")/r$R-$(basename "$PICK")"
		fi ;;
	dir-out-and-back)
		# moved out of the tree, its first file edited out there (same size, mtime put back), moved back
		list_unprotected_dirs
		if pick "$T_ROOT/cand"; then
			rm -rf "$T_ROOT/parked"
			mv "$PICK" "$T_ROOT/parked"
			f=$(find "$T_ROOT/parked" -type f | sort | head -n 1)
			[ -n "$f" ] && same_size_edit "$f"
			mv "$T_ROOT/parked" "$PICK"
		fi ;;
	chmod-x | chmod-600)
		mode_candidates >"$T_ROOT/cand"
		m=+x
		[ "$1" = chmod-600 ] && m=600
		pick "$T_ROOT/cand" && chmod "$m" "$PICK" ;;
	chmod-dir)
		list_unprotected_dirs
		pick_word 700 750 755 775
		m=$PICK
		pick "$T_ROOT/cand" && chmod "$m" "$PICK"
		MUTATION="$1 $m" ;;
	symlink-new)
		pick_word $DIRS
		d=$TREE/$PICK
		mkdir -p "$d"
		link_target "$d"
		rnd 1000
		PICK="$d/l$R -> $TARGET"
		ln -s "$TARGET" "$d/l$R" ;;
	symlink-retarget)
		# to a twin of its target when it has one (the same content under another name), else to another entry
		find "$TREE" -type l | sort >"$T_ROOT/cand"
		if pick "$T_ROOT/cand"; then
			d=$(dirname "$PICK")
			old=$(readlink "$PICK")
			if [ -f "$d/$old" ] && [ ! -L "$d/$old" ]; then
				cp -p "$d/$old" "$d/twin-$old"
				TARGET=twin-$old
			else
				link_target "$d"
			fi
			ln -sfn "$TARGET" "$PICK"
			PICK="$PICK -> $TARGET"
		else
			tree_mutate symlink-new
		fi ;;
	symlink-dangling)
		find "$TREE" -type l | sort >"$T_ROOT/cand"
		rnd 1000
		if pick "$T_ROOT/cand"; then
			ln -sfn "gone-$R" "$PICK"
		else
			pick_word $DIRS
			mkdir -p "$TREE/$PICK"
			PICK=$TREE/$PICK/dangling$R
			ln -s gone "$PICK"
		fi ;;
	symlink-dir)
		list_unprotected_dirs
		if pick "$T_ROOT/cand"; then
			rnd 1000
			ln -s "$(basename "$PICK")" "$(dirname "$PICK")/dl$R"
		fi ;;
	file-to-link)
		# a file replaced by a link to a file with the same content
		list_unprotected_files
		if pick "$T_ROOT/cand"; then
			cp -p "$PICK" "$PICK.same"
			rm -f "$PICK"
			ln -s "$(basename "$PICK").same" "$PICK"
		fi ;;
	empty-dir-new)
		pick_word $DIRS
		rnd 1000
		PICK=$TREE/$PICK/empty$R
		mkdir -p "$PICK" ;;
	empty-dir-rm)
		find "$TREE" -mindepth 2 -type d -empty | sort >"$T_ROOT/cand"
		if pick "$T_ROOT/cand"; then rmdir "$PICK"; else tree_mutate empty-dir-new; fi ;;
	*)
		return 1 ;;
	esac
	MUTATION="$MUTATION $PICK"
	return 0
}
