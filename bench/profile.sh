#!/bin/sh
# bench/profile.sh: where the time of a sindri-build no-op goes, for whoever optimises the engine.
#   sh bench/profile.sh [--tree sindri|small] [--cold] [--runs N] [--keep DIR]
# Generates one benchmark tree (as bench/run.sh does), makes the no-op steady, then prints:
#   1. perf: the share of user time per shared object and of kernel time per system call, over N no-op runs
#      (perf record -e cpu-clock -g; needs perf, skipped when it cannot record);
#   2. callgrind: the functions with the most own instructions, and the callees of main, build_run and task_key;
#   3. strace -c: how many system calls of each kind one no-op makes.
# --cold profiles the first run without .sindri-build (every input read and hashed) instead of the no-op.
# Uses $SB (default ./sindri-build); builds nothing.
set -u

BENCH=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
. "$BENCH/lib.sh"

SHAPE=sindri
COLD=0
RUNS=200
KEEP=
while [ $# -gt 0 ]; do
	case $1 in
	--tree) [ $# -ge 2 ] || die "--tree needs sindri or small"; SHAPE=$2; shift ;;
	--cold) COLD=1 ;;
	--runs) [ $# -ge 2 ] || die "--runs needs a number"; RUNS=$2; shift ;;
	--keep) [ $# -ge 2 ] || die "--keep needs a directory"; KEEP=$2; shift ;;
	-h | --help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
	shift
done
case $SHAPE in sindri | small) ;; *) die "--tree must be sindri or small" ;; esac

SB=${SB:-./sindri-build}
case $SB in /*) ;; *) SB=$(pwd)/$SB ;; esac
[ -x "$SB" ] || die "no sindri-build at '$SB': build it with 'make -f Makefile.bootstrap' or set SB=path"
W=$(mktemp -d "${TMPDIR:-/tmp}/sb-profile.XXXXXX") || die "cannot create a temp dir"
trap 'rm -rf "$W"' EXIT
trap 'exit 130' INT TERM
private_copy

say "tree '$SHAPE'"
make_tree t "$SHAPE"
D=$W/t
echo "  $(wc -l <"$D/manifest" | tr -d ' ') files, $(find "$D/tree" -type d | wc -l | tr -d ' ') directories;" \
	"$SB_ORIG links $(ldd "$SB" 2>/dev/null | grep -c '=>') shared libraries"
sleep 3
settle "$D"
# PREP runs before each profiled run (not profiled by callgrind or strace; perf filters on the command name).
if [ $COLD = 1 ]; then
	# Moved aside, not deleted: see the cold section of bench/run.sh.
	# shellcheck disable=SC2016 # expanded by the shell that runs it
	PREP='[ ! -d .sindri-build ] || mv .sindri-build "$(mktemp -d .gone.XXXXXX)/"'
	WHAT='cold run (without .sindri-build)'
else
	PREP=: WHAT=no-op
fi

if command -v perf >/dev/null 2>&1 &&
	perf record -q -e cpu-clock -o "$W/probe.data" true >/dev/null 2>&1; then
	say "perf: $RUNS runs of the $WHAT, share of sindri-build's samples (cpu-clock, -g)"
	# shellcheck disable=SC2016 # the loop is the inner shell's
	(cd "$D" && perf record -q -e cpu-clock -F 20000 -g -o "$W/perf.data" -- \
		sh -c 'i=0; while [ $i -lt "$1" ]; do eval "$3"; "$2" >/dev/null 2>&1; i=$((i + 1)); done' sh "$RUNS" "$SB" "$PREP" \
		>/dev/null 2>&1)
	perf script -i "$W/perf.data" --comm sindri-build -F comm,ip,sym,dso 2>/dev/null |
		awk -f "$BENCH/perf-buckets.awk" | sed 's/^/  /'
	echo "  hottest symbols (self, user and kernel):"
	perf report -i "$W/perf.data" --comm sindri-build --no-children --percentage relative --sort dso,sym \
		--stdio -g none 2>/dev/null | awk '/%/ && !/^#/ { print "    " $0; if (++k == 15) exit }'
else
	say "perf: not available or not permitted here (see /proc/sys/kernel/perf_event_paranoid); skipped"
fi

if command -v valgrind >/dev/null 2>&1; then
	say "callgrind: one $WHAT, user-space instructions"
	(cd "$D" && eval "$PREP" && valgrind --tool=callgrind --callgrind-out-file="$W/cg.out" "$SB" >/dev/null 2>&1)
	echo "  total: $(awk '/^(summary|totals):/ { print $2; exit }' "$W/cg.out") instructions"
	echo "  most own instructions:"
	callgrind_annotate --inclusive=no "$W/cg.out" 2>/dev/null |
		awk '/file:function/ { on = 1; getline; next } on && NF { print "    " $0; if (++k == 15) exit }'
	for f in cli/main.c:main engine/build.c:build_run engine/key.c:task_key engine/fileset.c:fileset_expand; do
		echo "  callees of ${f#*:} (inclusive):"
		callgrind_annotate --tree=calling --inclusive=yes "$W/cg.out" 2>/dev/null |
			awk -v f="$f" '$0 ~ "\\* .*" f " " { on = 1; next } on && /^ *[0-9,]+ .*>/ { print "    " $0; if (++k == 8) exit; next } on { exit }'
	done
fi

if command -v strace >/dev/null 2>&1; then
	say "strace -c: system calls of one $WHAT"
	(cd "$D" && eval "$PREP" && strace -f -c -o "$W/strace.txt" "$SB" >/dev/null 2>&1)
	awk '$1 ~ /^[0-9.]+$/ && $NF != "total" { print $4, $NF } $NF == "total" { print $4, "(total)" }' "$W/strace.txt" |
		sort -rn | head -10 |
		awk '{ printf "  %8d  %s\n", $1, $2 }'
fi

if [ -n "$KEEP" ]; then
	mkdir -p "$KEEP" && cp "$W"/perf.data "$W"/cg.out "$W"/strace.txt "$KEEP"/ 2>/dev/null
	echo
	echo "perf.data, cg.out and strace.txt kept in $KEEP"
fi
exit 0
