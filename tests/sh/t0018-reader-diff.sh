# t0018: the Dockerfile and .dockerignore reader against the real builder. Each round generates a build context
# whose every file holds its own path, a .dockerignore of random patterns and a Dockerfile of many COPY lines
# (tests/tools/dfgen.c), builds it with BuildKit, and compares, COPY by COPY, the files that arrived in the image
# with the files the reader says the image reads (tests/tools/dfinputs.c, the code an image task keys with).
# Then the cases the builder refuses, one build each. ROUNDS=N runs more rounds (default 20, some 300 cases; 3
# under the sanitizer build; bench/campaign.sh runs hundreds), SEED=N repeats a run.
. "$(dirname "$0")/../lib/lib.sh"
need_docker

if [ -n "${SB_SANITIZED:-}" ]; then ROUNDS=${ROUNDS:-3}; else ROUNDS=${ROUNDS:-20}; fi
SEED=${SEED:-$(date +%s)}
echo "t0018: seed $SEED, $ROUNDS rounds (repeat with SEED=$SEED ROUNDS=$ROUNDS)"
TOOLS=${UNIT_DIR:-$T_TOP/build/tests}/../tools
DFGEN=$TOOLS/dfgen
DFINPUTS=$TOOLS/dfinputs
[ -x "$DFGEN" ] && [ -x "$DFINPUTS" ] || {
	echo "t0018: build the test tools first (make -f Makefile.bootstrap unit-tests)" >&2
	echo "t0018: 0 passed, 1 failed"
	exit 1
}
# the reader follows the engine's Docker version where versions differ; the builder is this engine's
API=$("$DOCKER" version --format '{{.Server.APIVersion}}' 2>/dev/null)

# engine_build DIR: build DIR/Dockerfile over DIR/ctx with BuildKit into DIR/out; the log in DIR/log.
engine_build() {
	rm -rf "$1/out"
	DOCKER_BUILDKIT=1 timeout 600 "$DOCKER" build -q -f "$1/Dockerfile" -o "type=local,dest=$1/out" "$1/ctx" \
		>"$1/log" 2>&1
}

# arrived DIR LINE: what COPY on LINE put in the image, as "path<tab>source" lines: each file's path below the
# COPY's directory, and the context path it came from (its first line: the generator writes it there).
arrived() {
	[ -d "$1/out/d/$2" ] || return 0
	(cd "$1/out/d/$2" && find . -type f | sed 's|^\./||' | while IFS= read -r f; do
		printf '%s\t%s\n' "$f" "$(sed -n '1{s/^# //;p;}' "./$f")"
	done) | LC_ALL=C sort -u
}

cases=0
rounds_failed=0
r=0
while [ "$r" -lt "$ROUNDS" ]; do
	r=$((r + 1))
	dir=$T_ROOT/round$r
	mkdir -p "$dir"
	"$DFGEN" "$SEED" "$r" "$dir"
	# Docker fails the whole build on one named source that is missing or ignored; the reader says which line
	# that is (it must, or the comparison below finds out): leave those lines out of the round.
	n=0
	"$DFINPUTS" -a "$API" -l "$dir/ctx" "$dir/Dockerfile" >"$dir/ours"
	while grep -q "^error: .*Dockerfile:[0-9]*: COPY source '.*' not found" "$dir/ours" && [ "$n" -lt 30 ]; do
		line=$(sed -n "s/^error: .*Dockerfile:\([0-9]*\): COPY source .*/\1/p" "$dir/ours" | head -n 1)
		sed "${line}s/.*/# left out: a source the reader finds missing/" "$dir/Dockerfile" >"$dir/Dockerfile.new"
		mv "$dir/Dockerfile.new" "$dir/Dockerfile"
		"$DFINPUTS" -a "$API" -l "$dir/ctx" "$dir/Dockerfile" >"$dir/ours"
		n=$((n + 1))
	done
	engine_build "$dir"
	engine_rc=$?
	if grep -q '^error: ' "$dir/ours" || [ "$engine_rc" -ne 0 ]; then
		# both refuse, or one does: a case of its own
		cases=$((cases + 1))
		if grep -q '^error: ' "$dir/ours" && [ "$engine_rc" -ne 0 ]; then
			check "round $r: both refuse" true
		else
			{
				echo "round $r (seed $SEED): the reader and the builder disagree on refusing"
				echo "reader: $(cat "$dir/ours" | head -n 3)"
				echo "builder (rc $engine_rc): $(tail -n 3 "$dir/log")"
				cat "$dir/ctx/.dockerignore"
			} >"$T_OUT"
			check "round $r: the reader refuses what the builder refuses" false
			rounds_failed=$((rounds_failed + 1))
		fi
		continue
	fi
	for line in $(grep -n '^COPY .*/d/[0-9][0-9]*/' "$dir/Dockerfile" | cut -d: -f1); do
		cases=$((cases + 1))
		arrived "$dir" "$line" >"$dir/engine.$line"
		sed -n "s/^$line	//p" "$dir/ours" | LC_ALL=C sort -u >"$dir/reader.$line"
		# the same places filled, each from a file the reader names for it (two sources of one base name: the
		# builder keeps one of them)
		cut -f1 "$dir/engine.$line" >"$dir/engine.dest"
		cut -f1 "$dir/reader.$line" | uniq >"$dir/reader.dest"
		if cmp -s "$dir/engine.dest" "$dir/reader.dest" &&
			[ -z "$(LC_ALL=C comm -23 "$dir/engine.$line" "$dir/reader.$line")" ]; then
			check "round $r line $line" true
		else
			{
				echo "round $r (seed $SEED), Dockerfile line $line: $(sed -n "${line}p" "$dir/Dockerfile")"
				echo ".dockerignore:"
				sed 's/^/    /' "$dir/ctx/.dockerignore"
				echo "arrived in the image (<) vs the reader's (>), as place and source:"
				diff "$dir/engine.$line" "$dir/reader.$line"
			} >"$T_OUT"
			check "round $r line $line: the reader reads what the builder copies" false
		fi
	done
done
echo "t0018: $cases generated cases in $ROUNDS rounds"

# The refusals: what the builder fails on, the reader must refuse too (one small build each).
refuse() {
	what=$1
	dir=$T_ROOT/refuse$cases
	cases=$((cases + 1))
	mkdir -p "$dir/ctx"
	echo a >"$dir/ctx/a"
	printf '%b' "$2" >"$dir/Dockerfile"
	[ -n "${3:-}" ] && printf '%b' "$3" >"$dir/ctx/.dockerignore"
	engine_build "$dir"
	engine_rc=$?
	"$DFINPUTS" -a "$API" "$dir/ctx" "$dir/Dockerfile" >"$T_OUT"
	check "$what: the builder refuses it" [ "$engine_rc" -ne 0 ]
	check "$what: the reader refuses it" grep -q '^error: ' "$T_OUT"
}
refuse "pattern [-]" 'FROM busybox:local\nCOPY a /\n' '[-]\n'
refuse "pattern [x-]" 'FROM busybox:local\nCOPY a /\n' 'b\n[x-]\n'
refuse "pattern ending in a backslash" 'FROM busybox:local\nCOPY a /\n' 'x\\\n'
refuse "pattern [a-b-c]" 'FROM busybox:local\nCOPY a /\n' '[a-b-c]\n'
refuse "pattern [z-a] (a bad regexp range)" 'FROM busybox:local\nCOPY a /\n' '[z-a]\n'
refuse "pattern a\\\\y (a bad regexp escape)" 'FROM busybox:local\nCOPY a /\n' 'a\\y\n'
refuse "HEALTHCHECK without arguments" 'FROM busybox:local\nHEALTHCHECK\nCOPY a /\n'
refuse "RUN with a number in its JSON array" 'FROM busybox:local\nRUN ["true", 1]\nCOPY a /\n'
refuse "RUN --mount with an empty field" 'FROM busybox:local\nRUN --mount=,type=bind true\nCOPY a /\n'
refuse "RUN --mount with no fields" 'FROM busybox:local\nRUN --mount= true\nCOPY a /\n'
refuse "a heredoc name with an unbalanced quote" "FROM busybox:local\nRUN <<'EOF\nx\nEOF\n"
long=$(awk 'BEGIN { while (n++ < 65536) printf "x" }')
refuse "a line of 64 KiB" "FROM busybox:local\nRUN echo $long\nCOPY a /\n"
case "$API" in
1.[0-3]* | 1.4[01]) refuse "pattern (x (a regexp group before Docker 23)" 'FROM busybox:local\nCOPY a /\n' '(x\n' ;;
esac
echo "t0018: $cases cases in all"

# The image task keys what the engine it talks to reads: "a+" is a regexp before Docker 23 (it leaves "aa" out
# and keeps "a+"), itself from 23 on.
mkdir -p "$T_ROOT/key/ctx"
cd "$T_ROOT/key" || exit 1
printf 'FROM busybox:local\nCOPY . /ctx/\n' >ctx/Dockerfile
printf 'a+\n' >ctx/.dockerignore
echo 1 >ctx/aa
echo 1 >"ctx/a+"
printf 'image "img" { context = "ctx", tags = { "sbtest-t0018-%s:1" } }\n' "$$" >sindri-build.lua
key0=$("$SB" -t key img 2>&1)
echo 2 >ctx/aa
key_aa=$("$SB" -t key img 2>&1)
echo 2 >"ctx/a+"
key_plus=$("$SB" -t key img 2>&1)
case "$API" in
1.[0-3]* | 1.4[01])
	check "the key ignores what 'a+' leaves out on this engine (aa)" [ "$key0" = "$key_aa" ]
	check "the key follows what 'a+' keeps on this engine (a+)" [ "$key_aa" != "$key_plus" ]
	;;
*)
	check "the key follows 'aa', which 'a+' keeps on this engine" [ "$key0" != "$key_aa" ]
	check "the key ignores 'a+', which 'a+' leaves out on this engine" [ "$key_aa" = "$key_plus" ]
	;;
esac
check "-t key gives a key" expr "$key0" : '[0-9a-f]\{32\}$' >/dev/null
finish
