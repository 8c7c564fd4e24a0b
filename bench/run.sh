#!/bin/sh
# bench/run.sh: sindri-build's speed as ratios against peers run on the same files in the same run.
#   sh bench/run.sh [--quick] [--large] [--out DIR]
# Uses $SB (default ./sindri-build); builds nothing. Needs ninja, make, hyperfine, xxhsum, valgrind, /usr/bin/time;
# strace if present adds system-call counts. bench/profile.sh says where the time of a run goes.
# A benchmark is not a test: it exits 0 whatever it measures, and prints MISS where a target is not met.
# See docs/performance.md for what each number means.
set -u

usage() {
	echo "usage: sh bench/run.sh [--quick] [--large] [--out DIR]"
	echo "  --quick    fewer runs, no callgrind of the 100k-file no-op"
	echo "  --large    also a tree of LARGE_FILES files (default 1,000,000; 1000 a directory, 100-700 bytes each):"
	echo "             cold run vs xxhsum, no-op unwatched and watched vs ninja, peak RSS, per-file costs; the"
	echo "             million-file tree takes about 4.3 GB of temp space (4 KiB blocks) and a million inodes"
	echo "  --out DIR  keep the hyperfine JSON, callgrind profiles and the table in DIR"
	echo "  SB=path    the sindri-build to measure (default ./sindri-build)"
}

BENCH=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
. "$BENCH/lib.sh"

QUICK=0
LARGE=0
OUT=
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1 ;;
	--large) LARGE=1 ;;
	--out) [ $# -ge 2 ] || die "--out needs a directory"; OUT=$2; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
	shift
done

SB=${SB:-./sindri-build}
case $SB in /*) ;; *) SB=$(pwd)/$SB ;; esac
[ -x "$SB" ] || die "no sindri-build at '$SB': build it with 'make -f Makefile.bootstrap' or set SB=path"
for t in ninja hyperfine xxhsum valgrind callgrind_annotate awk find xargs cat; do
	command -v "$t" >/dev/null 2>&1 || die "'$t' is not installed (apt-get install -y ninja-build hyperfine xxhash valgrind)"
done
command -v make >/dev/null 2>&1 || die "'make' is not installed"
[ -x /usr/bin/time ] || die "/usr/bin/time is not installed (apt-get install -y time)"
if [ -n "$OUT" ]; then
	mkdir -p "$OUT" || die "cannot create '$OUT'"
	OUT=$(cd "$OUT" && pwd)
fi

if [ $QUICK = 1 ]; then
	NOOP_ROUNDS=2 NOOP_S_W=2 NOOP_S_R=5 NOOP_L_W=1 NOOP_L_R=2 COLD_S_W=3 COLD_S_R=20 COLD_L_W=1 COLD_L_R=3 CG_LARGE=0
else
	NOOP_ROUNDS=5 NOOP_S_W=3 NOOP_S_R=10 NOOP_L_W=2 NOOP_L_R=4 COLD_S_W=3 COLD_S_R=40 COLD_L_W=2 COLD_L_R=8 CG_LARGE=1
fi

# The file watcher takes a quarter of fs.inotify.max_user_watches by default; let it take what the kernel allows, so
# that the 100k tree (about 100,200 watches: one per file and directory) is watched. A tree the kernel's limit cannot
# hold is walked in full, and the watched rows say so.
SINDRI_BUILD_WATCHES=${SINDRI_BUILD_WATCHES:-1048576}
export SINDRI_BUILD_WATCHES

W=$(mktemp -d "${TMPDIR:-/tmp}/sb-bench.XXXXXX") || die "cannot create a temp dir"
trap 'rm -rf "$W"' EXIT
trap 'exit 130' INT TERM
private_copy
TABLE=$W/table.tsv
: >"$TABLE"

# ---- helpers ----------------------------------------------------------------------------------------------------------

# calc EXPR [name=value...]: evaluate an awk expression.
calc() {
	e=$1
	shift
	n=$#
	for a; do
		set -- "$@" -v "$a"
	done
	shift "$n"
	awk "$@" "BEGIN { print $e }"
}

# csv_get FILE COMMAND-NAME COLUMN: one value from hyperfine's --export-csv.
csv_get() {
	awk -F, -v n="$2" -v f="$3" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == f) c = i; next } $1 == n { print $c }' "$1"
}

# row METRIC SB PEER RATIO TARGET STATUS: add a line to the final table.
row() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$TABLE"
}

# judge VALUE OP LIMIT: PASS or MISS (OP is <= or >=).
judge() {
	awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN { ok = (op == "<=") ? (v <= l) : (v >= l); print ok ? "PASS" : "MISS" }'
}

# hf NAME ARGS...: hyperfine with JSON (kept) and CSV (parsed) exports named NAME.
hf() {
	n=$1
	shift
	hyperfine --style basic --export-json "$W/$n.json" --export-csv "$W/$n.csv" "$@" 2>&1 | sed 's/^/  /'
}

# ---- the run ----------------------------------------------------------------------------------------------------------

say "setup"
echo "  date        $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "  machine     $(uname -srm), $(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc) CPUs," \
	"$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null)"
echo "  sindri-build $("$SB" --version 2>&1 | head -1) ($SB_ORIG, $(ldd "$SB" 2>/dev/null | grep -c '=>') shared libraries, built $(date -u -r "$SB_ORIG" '+%Y-%m-%d %H:%M UTC'))"
echo "  ninja       $(ninja --version)"
echo "  hyperfine   $(hyperfine --version | awk '{ print $2 }')"
echo "  xxhsum      $(xxhsum --version 2>&1 | awk 'NR == 1 { print $2 }')"
echo "  mode        $([ $QUICK = 1 ] && echo quick || echo full), work dir $W"
echo "  watches     SINDRI_BUILD_WATCHES=$SINDRI_BUILD_WATCHES, fs.inotify.max_user_watches=$(cat /proc/sys/fs/inotify/max_user_watches 2>/dev/null)"

say "generating the trees"
make_tree small sindri
make_tree large small
FILES_small=$(files_of small) BYTES_small=$(bytes_of small)
FILES_large=$(files_of large) BYTES_large=$(bytes_of large)
echo "  sindri-shaped: $FILES_small files, $BYTES_small bytes"
echo "  small files:   $FILES_large files, $BYTES_large bytes"

# Warm the page cache for both sides, then build each tree once with each tool.
for t in small large; do
	(cd "$W/$t" && find tree -type f -print0 | xargs -0 cat >/dev/null)
done
sleep 3 # the files must be older than the stat cache's racy window before sindri-build first hashes them
for t in small large; do
	(cd "$W/$t" && ninja >"$W/ninja.out" 2>&1) || { cat "$W/ninja.out"; die "ninja failed in $t"; }
	(cd "$W/$t" && ninja -n) | grep -q "no work to do" || echo "  !! ninja in $t is not a no-op after one build"
	(cd "$W/$t" && make -r -s -f bench.mk >/dev/null 2>&1) || die "make failed in $t"
	(cd "$W/$t" && make -r -q -f bench.mk) || echo "  !! make in $t is not a no-op after one build"
	settle "$W/$t"
done

# ---- 1. no-op ---------------------------------------------------------------------------------------------------------

# rounds_stats FILE: from pair's per-round "sb-mean sb-median peer-mean peer-median" lines, print the means over all
# runs (the rounds have equal run counts) and the medians of the rounds' medians: "sb-mean peer-mean sb-med peer-med".
rounds_stats() {
	awk '{ sm += $1; pm += $3; sd[NR] = $2; pd[NR] = $4 }
	function med(v, n,  i, j, t) {
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
		return (v[int((n + 1) / 2)] + v[int(n / 2) + 1]) / 2
	}
	END { print sm / NR, pm / NR, med(sd, NR), med(pd, NR) }' "$1"
}

# pair NAME ROUNDS WARMUP RUNS SB-CMD PEER-NAME PEER-CMD: hyperfine -N in ROUNDS rounds that alternate which command
# goes first, so a change of machine load during the run hits both sides alike. Prints a line per round, keeps the
# rounds in $W/NAME.rounds and sets P_SB and P_PEER (mean of all runs, seconds).
pair() {
	pn=$1 rounds=$2 warm=$3 runs=$4 cs=$5 peer=$6 cp=$7
	: >"$W/$pn.rounds"
	r=1
	while [ "$r" -le "$rounds" ]; do
		if [ $((r % 2)) = 1 ]; then
			set -- -n sindri-build "$cs" -n "$peer" "$cp"
		else
			set -- -n "$peer" "$cp" -n sindri-build "$cs"
		fi
		hyperfine -N --style none --warmup "$warm" --runs "$runs" \
			--export-json "$W/$pn-$r.json" --export-csv "$W/$pn-$r.csv" "$@" >"$W/hf.out" 2>&1 ||
			{ cat "$W/hf.out"; die "hyperfine failed"; }
		c=$W/$pn-$r.csv
		echo "$(csv_get "$c" sindri-build mean) $(csv_get "$c" sindri-build median) $(csv_get "$c" "$peer" mean)" \
			"$(csv_get "$c" "$peer" median)" >>"$W/$pn.rounds"
		tail -n 1 "$W/$pn.rounds" | awk -v r="$r" -v n="$runs" -v peer="$peer" '{
			printf "  round %d (%d runs each): sindri-build %.2f ms (median %.2f), %s %.2f ms (median %.2f): %.2fx\n",
				r, n, $1 * 1000, $2 * 1000, peer, $3 * 1000, $4 * 1000, $1 / $3 }'
		r=$((r + 1))
	done
	# shellcheck disable=SC2046 # four numbers
	set -- $(rounds_stats "$W/$pn.rounds")
	P_SB=$1 P_PEER=$2
}

ms() { calc 'sprintf("%.2f ms", s * 1000)' s="$1"; }

# What every run pays before reading a file: exec, the dynamic loader, library constructors, exit.
say "process start: sindri-build --version vs ninja --version (hyperfine -N, $NOOP_ROUNDS rounds)"
pair start "$NOOP_ROUNDS" "$NOOP_S_W" "$NOOP_S_R" "$SB --version" ninja "ninja --version"
row "process start (--version)" "$(ms "$P_SB")" "$(ms "$P_PEER") ninja" \
	"$(calc 'sprintf("%.2fx", s / n)' s="$P_SB" n="$P_PEER")" "-" "info"

# vouched DIR: run until a no-op takes every walk from the watched tree (at most 5 runs); 1 when none did.
vouched() {
	i=0
	while [ $i -lt 5 ]; do
		(cd "$1" && "$SB" -d stats) >"$W/last.out" 2>&1
		grep -q 'stats: 0 stat calls in walks.*(unchanged), [1-9][0-9]* walks taken' "$W/last.out" && return 0
		i=$((i + 1))
	done
	sed -n 's/^/  | /; /stats:/p' "$W/last.out"
	return 1
}

noop() { # noop TREE LABEL WARMUP RUNS TARGET MODE (watched: the default; unwatched: SINDRI_BUILD_WATCH=0) [nomake]
	t=$1 mode=$6
	say "no-op, $2, $mode: sindri-build vs ninja (hyperfine -N, $NOOP_ROUNDS rounds of $3 warmup + $4 runs)"
	if [ "$mode" = watched ] && ! vouched "$W/$t"; then
		echo "  !! the watcher does not vouch for this tree (see the stats line above): the row measures a full walk"
	fi
	touch "$W/marker"
	sleep 1
	(cd "$W/$t" && { [ "$mode" = watched ] || export SINDRI_BUILD_WATCH=0; } &&
		pair "noop-$t-$mode" "$NOOP_ROUNDS" "$3" "$4" "$SB" ninja ninja) || exit
	changed=$(cd "$W/$t" && find .sindri-build stamp-sb stamp-ninja .ninja_log -newer "$W/marker" 2>/dev/null | tr '\n' ' ')
	[ -n "$changed" ] && echo "  note: files written during the no-op runs: $changed"
	label=$2 warm=$3 runs=$4 target=$5 make=${7:-}
	# pair ran in a subshell: read its results back from the rounds file (means, then medians).
	read -r P_SB P_PEER M_SB M_PEER <<-EOF
		$(rounds_stats "$W/noop-$t-$mode.rounds")
	EOF
	ratio=$(calc 's / n' s="$P_SB" n="$P_PEER")
	printf '  all rounds: sindri-build %.2f ms, ninja %.2f ms: ratio of means %.2fx (target <= %.2fx);' \
		"$(calc 's * 1000' s="$P_SB")" "$(calc 'n * 1000' n="$P_PEER")" "$ratio" "$target"
	printf ' ratio of medians %.2fx\n' "$(calc 's / n' s="$M_SB" n="$M_PEER")"
	row "no-op $label, $mode, mean time" "$(ms "$P_SB")" "$(ms "$P_PEER") ninja" \
		"$(calc 'sprintf("%.2fx", r)' r="$ratio")" "<= ${target}x" "$(judge "$ratio" '<=' "$target")"
	[ "$make" = nomake ] && return
	# make, for the record: what the Sindri guide uses today. Fewer rounds; no target. -r (no built-in rules) as a
	# careful makefile would have it: otherwise make tries every implicit rule on every input (36 s at 100k files).
	say "no-op, $label, $mode: sindri-build vs make -r (hyperfine -N, 2 rounds of $warm warmup + $runs runs)"
	(cd "$W/$t" && { [ "$mode" = watched ] || export SINDRI_BUILD_WATCH=0; } &&
		pair "noopmake-$t-$mode" 2 "$warm" "$runs" "$SB" make "make -r -s -f bench.mk") || exit
	read -r P_SB P_PEER M_SB M_PEER <<-EOF
		$(rounds_stats "$W/noopmake-$t-$mode.rounds")
	EOF
	row "no-op $label, $mode, vs make -r" "$(ms "$P_SB")" "$(ms "$P_PEER") make" \
		"$(calc 'sprintf("%.2fx", s / n)' s="$P_SB" n="$P_PEER")" "-" "info"
}
# The targets: with the watcher vouching, 0.5x ninja at 600 files and 0.1x at 100k (no per-file work at all); a
# walk in full (the watcher off, or the first run after a change) at most 1.2x ninja's stat of every file.
noop small "$FILES_small files" $NOOP_S_W $NOOP_S_R 0.5 watched
noop large "$FILES_large files" $NOOP_L_W $NOOP_L_R 0.1 watched nomake
noop large "$FILES_large files" $NOOP_L_W $NOOP_L_R 1.2 unwatched

# ---- 2. cold hashing --------------------------------------------------------------------------------------------------

# shellcheck disable=SC2016 # expanded by the shell that runs it
FORGET='[ ! -d .sindri-build ] || mv .sindri-build "$(mktemp -d .gone.XXXXXX)/"'
# IDLE: wait until the file watcher is done with what the last first run sent it (bench/watcher-idle.sh).
IDLE="sh '$BENCH/watcher-idle.sh' '$SB'"
cold() { # cold TREE LABEL WARMUP RUNS BYTES
	t=$1
	bytes=$5
	say "cold hashing, $2: sindri-build without .sindri-build vs cat vs xxhsum -H2 (page cache warm)"
	echo "  hash: -t key, which reads and hashes every input as a first run does and records nothing; first run: the"
	echo "  build (hash, run the task, check its inputs after it, record durably); and the first run with the file"
	echo "  watcher off (SINDRI_BUILD_WATCH=0: what handing it the paths costs)"
	# "Deleting" moves the state aside: on ext4 without a journal, creating an inode skips every inode deleted in the
	# last minutes, so a loop of rm -rf would make sindri-build's few new files cost more with each run. For the same
	# reason the moved states stay until the end (the exit trap), not to slow down the next tree's first runs.
	(cd "$W/$t" && hf "cold-$t" --warmup "$3" --runs "$4" --prepare "$FORGET; $IDLE" \
		-n cat 'find tree -type f -print0 | xargs -0 cat >/dev/null' \
		-n xxhsum 'find tree -type f -print0 | xargs -0 xxhsum -H2 >/dev/null' \
		-n sindri-build-hash "'$SB' -t key stamp" \
		-n sindri-build "'$SB' -q" \
		-n sindri-build-nowatch "SINDRI_BUILD_WATCH=0 '$SB' -q")
	hsm=$(csv_get "$W/cold-$t.csv" sindri-build-hash mean)
	sbm=$(csv_get "$W/cold-$t.csv" sindri-build mean)
	catm=$(csv_get "$W/cold-$t.csv" cat mean)
	xxm=$(csv_get "$W/cold-$t.csv" xxhsum mean)
	nwm=$(csv_get "$W/cold-$t.csv" sindri-build-nowatch mean)
	for who in sb-hash:$hsm sb:$sbm sb-nowatch:$nwm cat:$catm xxhsum:$xxm; do
		printf '  %-12s %8.2f ms  %8.1f MB/s\n' "${who%%:*}" "$(calc 'm * 1000' m="${who#*:}")" \
			"$(calc 'b / m / 1e6' b="$bytes" m="${who#*:}")"
	done
	rh=$(calc 'x / h' x="$xxm" h="$hsm")
	rc=$(calc 'c / s' c="$catm" s="$sbm")
	rx=$(calc 'x / s' x="$xxm" s="$sbm")
	rw=$(calc 'x / s' x="$xxm" s="$nwm")
	printf '  hashing: sindri-build/xxhsum %.2fx (target >= 1.5x)\n' "$rh"
	printf '  first run: sindri-build/cat %.2fx (target >= 0.90x), sindri-build/xxhsum %.2fx, watcher off %.2fx\n' \
		"$rc" "$rx" "$rw"
	mbs() { calc 'sprintf("%.0f MB/s", b / m / 1e6)' b="$bytes" m="$1"; }
	row "cold hash $2, vs XXH128" "$(mbs "$hsm")" "$(mbs "$xxm") xxhsum" "$(calc 'sprintf("%.2fx", r)' r="$rh")" \
		">= 1.5x" "$(judge "$rh" '>=' 1.5)"
	row "first run $2, vs cat" "$(mbs "$sbm")" "$(mbs "$catm") cat" "$(calc 'sprintf("%.2fx", r)' r="$rc")" \
		">= 0.90x" "$(judge "$rc" '>=' 0.9)"
	row "first run $2, vs XXH128" "$(mbs "$sbm")" "$(mbs "$xxm") xxhsum" "$(calc 'sprintf("%.2fx", r)' r="$rx")" \
		"-" "info"
	row "first run $2, watcher off" "$(mbs "$nwm")" "$(mbs "$xxm") xxhsum" "$(calc 'sprintf("%.2fx", r)' r="$rw")" \
		"-" "info"
}
cold small "$FILES_small files" $COLD_S_W $COLD_S_R "$BYTES_small"
cold large "$FILES_large files" $COLD_L_W $COLD_L_R "$BYTES_large"

# ---- 3. peak RSS ------------------------------------------------------------------------------------------------------

rss() { # rss DIR CMD...: peak resident set size in KB
	d=$1
	shift
	(cd "$d" && /usr/bin/time -f %M -o "$W/rss" "$@" >/dev/null 2>&1)
	tail -n 1 "$W/rss"
}

say "peak RSS at $FILES_large files (/usr/bin/time -f %M)"
settle "$W/large"
vouched "$W/large" >/dev/null
rss_watched=$(rss "$W/large" "$SB")
rss_noop=$(rss "$W/large" env SINDRI_BUILD_WATCH=0 "$SB")
rss_ninja=$(rss "$W/large" ninja)
(cd "$W/large" && eval "$FORGET" && eval "$IDLE")
rss_cold=$(rss "$W/large" "$SB")
rm -rf "$W/large"/.gone.*
settle "$W/large"
printf '  sindri-build no-op watched %d KB, unwatched %d KB, cold %d KB; ninja no-op %d KB\n' "$rss_watched" \
	"$rss_noop" "$rss_cold" "$rss_ninja"
for r in "no-op watched:$rss_watched" "no-op unwatched:$rss_noop" "cold:$rss_cold"; do
	kb=${r#*:}
	row "peak RSS ${r%%:*} $FILES_large files" "$(calc 'sprintf("%.1f MB", k / 1024)' k="$kb")" \
		"$(calc 'sprintf("%.1f MB", k / 1024)' k="$rss_ninja") ninja no-op" \
		"$(calc 'sprintf("%.2fx", k / n)' k="$kb" n="$rss_ninja")" "<= 64 MB" "$(judge "$kb" '<=' 65536)"
done

# ---- 4. callgrind -----------------------------------------------------------------------------------------------------

ir() { # ir OUTFILE: total instructions from a callgrind profile
	awk '/^(summary|totals):/ { print $2; exit }' "$1"
}

callgrind() { # callgrind TREE LABEL TARGET WATCH (1: the watcher on, 0: off)
	t=$1
	say "callgrind instruction count of the no-op, $2 (user space only: the kernel's share of stat() is not counted)"
	settle "$W/$t"
	(cd "$W/$t" && SINDRI_BUILD_WATCH=$4 valgrind --tool=callgrind --callgrind-out-file="$W/cg-sb-$t.out" "$SB" \
		>"$W/cg.log" 2>&1)
	grep -q "no work to do" "$W/cg.log" || echo "  !! the sindri-build run under callgrind was not a no-op"
	(cd "$W/$t" && valgrind --tool=callgrind --callgrind-out-file="$W/cg-ninja-$t.out" ninja >"$W/cg.log" 2>&1)
	s=$(ir "$W/cg-sb-$t.out")
	n=$(ir "$W/cg-ninja-$t.out")
	ratio=$(calc 's / n' s="$s" n="$n")
	printf '  sindri-build %s Ir, ninja %s Ir: ratio %.2fx\n' "$s" "$n" "$ratio"
	row "no-op $2, callgrind Ir" "$(calc 'sprintf("%.1f M", s / 1e6)' s="$s")" \
		"$(calc 'sprintf("%.1f M", n / 1e6)' n="$n") ninja" "$(calc 'sprintf("%.2fx", r)' r="$ratio")" \
		"<= ${3}x" "$(judge "$ratio" '<=' "$3")"
	echo "  top functions of the sindri-build no-op by own instructions (callgrind_annotate --inclusive=no):"
	callgrind_annotate --inclusive=no "$W/cg-sb-$t.out" 2>/dev/null |
		awk '/file:function/ { on = 1; getline; next } on && NF { print "    " $0; if (++k == 12) exit }'
	echo "  ... and by inclusive instructions (callees included):"
	# callgrind_annotate repeats some functions without their object: keep the lines naming one; skip the startup
	# frames and the recursion copies (walk'2), whose inclusive counts are counted twice.
	callgrind_annotate --inclusive=yes "$W/cg-sb-$t.out" 2>/dev/null |
		awk '/file:function/ { on = 1; getline; next }
		     on && / \[/ && !/below main|libc_start|ld-linux/ && !/\x27[0-9]+ \[/ { print "    " $0; if (++k == 14) exit }'
}
callgrind small "$FILES_small files, watched" 1.0 1
if [ $CG_LARGE = 1 ]; then
	callgrind large "$FILES_large files, unwatched" 1.2 0
else
	row "no-op $FILES_large files, unwatched, callgrind Ir" "-" "-" "-" "<= 1.2x" "skipped (--quick)"
fi

# ---- 5. system calls -------------------------------------------------------------------------------------------------

# The no-op is mostly kernel time, which callgrind does not see: count the system calls each side makes.
syscalls() { # syscalls TREE LABEL WATCH (1: the watcher on, 0: off)
	t=$1
	(cd "$W/$t" && SINDRI_BUILD_WATCH=$3 strace -f -c -o "$W/st-sb-$t" "$SB" >/dev/null 2>&1)
	(cd "$W/$t" && strace -f -c -o "$W/st-ninja-$t" ninja >/dev/null 2>&1)
	s=$(awk '$NF == "total" { print $4 }' "$W/st-sb-$t")
	n=$(awk '$NF == "total" { print $4 }' "$W/st-ninja-$t")
	[ -n "$s" ] && [ -n "$n" ] || return 0
	echo "  $2: sindri-build $s system calls, ninja $n; sindri-build's most frequent:"
	awk '$NF != "total" && $1 ~ /^[0-9.]+$/ { print $4, $NF }' "$W/st-sb-$t" | sort -rn | head -6 |
		awk '{ printf "    %8d  %s\n", $1, $2 }'
	row "no-op $2, system calls" "$s" "$n ninja" "$(calc 'sprintf("%.2fx", s / n)' s="$s" n="$n")" "-" "info"
}
if command -v strace >/dev/null 2>&1; then
	say "system calls of the no-op (strace -f -c)"
	settle "$W/small"
	syscalls small "$FILES_small files, watched" 1
	vouched "$W/large" >/dev/null
	syscalls large "$FILES_large files, watched" 1
	syscalls large "$FILES_large files, unwatched" 0
fi

# ---- 6. a million files (--large) -------------------------------------------------------------------------------------

# once NAME CMD...: one timed run of CMD in the large tree: L_S seconds, L_KB peak RSS (/usr/bin/time).
once() {
	n=$1
	shift
	(cd "$W/huge" && /usr/bin/time -f '%e %M' -o "$W/once" "$@" >"$W/$n.out" 2>&1)
	L_S=$(awk 'END { print $1 }' "$W/once") L_KB=$(awk 'END { print $2 }' "$W/once")
	printf '  %-28s %8.2f s  peak RSS %7.1f MB\n' "$n" "$L_S" "$(calc 'k / 1024' k="$L_KB")"
}
# per NAME SECONDS KB: the per-file costs of a run over the large tree.
per() {
	printf '  %-28s %8.2f us a file, %6.1f bytes of peak RSS a file\n' "$1" "$(calc 's / f * 1e6' s="$2" f="$LARGE_FILES")" \
		"$(calc 'k * 1024 / f' k="$3" f="$LARGE_FILES")"
}
if [ $LARGE = 1 ]; then
	LARGE_FILES=${LARGE_FILES:-1000000}
	export LARGE_FILES
	say "a tree of $LARGE_FILES files (--large): one run of each, page cache warm"
	# a watcher holds the watches of the trees before: end it, so that this tree has all of them
	"$SB" -C "$W/large" -t server stop >/dev/null 2>&1
	make_tree huge many
	echo "  $(files_of huge) files, $(bytes_of huge) bytes, $(du -sk "$W/huge/tree" | awk '{ printf "%.2f GB", $1 / 1048576 }') on disk"
	(cd "$W/huge" && find tree -type f -print0 | xargs -0 cat >/dev/null)
	sleep 3
	eval "$IDLE"
	once "sindri-build cold" "$SB" -q
	sb_s=$L_S sb_kb=$L_KB
	once "xxhsum -H2" sh -c 'find tree -type f -print0 | xargs -0 xxhsum -H2 >/dev/null'
	xx_s=$L_S
	row "first run $LARGE_FILES files, vs XXH128" "$(calc 'sprintf("%.2f s", s)' s="$sb_s")" \
		"$(calc 'sprintf("%.2f s", s)' s="$xx_s") xxhsum" "$(calc 'sprintf("%.2fx", x / s)' x="$xx_s" s="$sb_s")" "-" "info"
	row "peak RSS cold $LARGE_FILES files" "$(calc 'sprintf("%.1f MB", k / 1024)' k="$sb_kb")" "-" "-" "-" "info"
	per "cold" "$sb_s" "$sb_kb"
	once "ninja first build" ninja
	settle "$W/huge"
	for mode in unwatched watched; do
		w=0
		[ $mode = watched ] && w=1
		# the watched no-op needs a watch per file and directory: more than fs.inotify.max_user_watches allows by
		# default at a million files (raise it with sysctl, as editors ask, and set SINDRI_BUILD_WATCHES)
		if [ $mode = watched ] && ! vouched "$W/huge"; then
			echo "  !! the watcher does not vouch for $LARGE_FILES files: the watched row is a full walk; raise" \
				"fs.inotify.max_user_watches to at least $((LARGE_FILES + LARGE_FILES / 500 + 1000))"
		fi
		once "sindri-build no-op $mode" env SINDRI_BUILD_WATCH=$w "$SB"
		once "sindri-build no-op $mode" env SINDRI_BUILD_WATCH=$w "$SB" -d stats
		grep -q "no work to do" "$W/sindri-build no-op $mode.out" || echo "  !! the $mode run was not a no-op"
		sed -n 's/^/    /; /stat/p' "$W/sindri-build no-op $mode.out" | head -n 2
		eval "noop_${mode}_s=\$L_S noop_${mode}_kb=\$L_KB"
	done
	once "ninja no-op" ninja
	nj_s=$L_S nj_kb=$L_KB
	for mode in unwatched watched; do
		eval "s=\$noop_${mode}_s kb=\$noop_${mode}_kb"
		row "no-op $LARGE_FILES files, $mode" "$(calc 'sprintf("%.2f s", s)' s="$s")" \
			"$(calc 'sprintf("%.2f s", s)' s="$nj_s") ninja" "$(calc 'sprintf("%.2fx", s / n)' s="$s" n="$nj_s")" "-" "info"
		row "peak RSS no-op $LARGE_FILES files, $mode" "$(calc 'sprintf("%.1f MB", k / 1024)' k="$kb")" \
			"$(calc 'sprintf("%.1f MB", k / 1024)' k="$nj_kb") ninja" "$(calc 'sprintf("%.2fx", k / n)' k="$kb" n="$nj_kb")" \
			"-" "info"
		per "no-op $mode" "$s" "$kb"
	done
	per "ninja no-op" "$nj_s" "$nj_kb"
	echo "  state: $(du -sk "$W/huge/.sindri-build" | awk '{ printf "%.1f MB", $1 / 1024 }') in .sindri-build"
	"$SB" -C "$W/huge" -t server stop >/dev/null 2>&1
fi

# ---- the table --------------------------------------------------------------------------------------------------------

say "results ($(date -u '+%Y-%m-%d'), $(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc) CPUs$([ $QUICK = 1 ] && echo ', --quick'))"
{
	printf 'metric\tsindri-build\tpeer\tratio\ttarget\tstatus\n'
	cat "$TABLE"
} | awk -F'\t' '
	{ for (i = 1; i <= NF; i++) { cell[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } n = NR }
	END {
		for (r = 1; r <= n; r++) {
			line = ""
			for (i = 1; i <= 6; i++)
				line = line sprintf(i < 6 ? "%-" w[i] "s  " : "%s", cell[r, i])
			if (cell[r, 6] == "MISS")
				line = line "   <<<<< MISS"
			print (cell[r, 6] == "MISS" ? ">> " : "   ") line
			if (r == 1) { gsub(/./, "-", line); print "   " line }
		}
	}' | tee "$W/table.txt"
misses=$(awk -F'\t' '$6 == "MISS"' "$TABLE" | wc -l | tr -d ' ')
if [ "$misses" -gt 0 ]; then
	echo
	echo "   $misses target(s) MISSED (marked >> above). Ratios compare tools on the same files in the same run."
fi

if [ -n "$OUT" ]; then
	cp "$W"/*.json "$W"/cg-*.out "$W"/st-* "$W/table.txt" "$OUT"/ 2>/dev/null
	echo "   hyperfine JSON, callgrind profiles and the table are in $OUT"
fi
exit 0
