# t0014: a randomized differential test of an image task against the real Docker engine. A context of nested
# directories and 30-200 files, a Dockerfile that COPYs parts of it (files, directories, a wildcard, a multi-source
# COPY) and a .dockerignore with exceptions; each round makes one random change of one kind (see KINDS) and runs
# the image task. The ground truth is a plain `docker build` (BuildKit) of a fresh copy of the context at a new path,
# so no BuildKit cache of an earlier transfer can help; both images are compared by a listing made inside them of
# everything the Dockerfile copied: path, type, mode, size, content hash and link target. Each round is classified
# (tests/lib/random.sh): a false skip or a stale image fails, and so does a rebuild for a comment-only Dockerfile
# edit; other false rebuilds are counted. Without SEED it runs a fixed seed whose rounds take every kind once in
# turn, then a random seed that draws ROUNDS kinds (default 8; under the sanitizer build, SB_SANITIZED, both draw
# 4); the first line of each says how to run it again. SEED=n (ORDER=cycle), ROUNDS=n and KINDS="a b" choose;
# BUILDER=legacy runs both builds with the legacy builder (DOCKER_BUILDKIT=0) instead of BuildKit. The suite's
# rounds are few to keep CI short (each run draws a new seed); bench/campaign.sh runs hundreds.
. "$(dirname "$0")/../lib/lib.sh"
. "$T_TOP/tests/lib/random.sh"
need_docker
[ -x /usr/bin/docker ] && DOCKER=/usr/bin/docker
case ${BUILDER:-buildkit} in
buildkit) DOCKER_BUILDKIT=1 ;;
legacy) DOCKER_BUILDKIT=0 ;;
*) echo "t0014: BUILDER is buildkit or legacy, not '$BUILDER'" >&2; exit 2 ;;
esac
export DOCKER DOCKER_BUILDKIT

if [ -n "${SB_SANITIZED:-}" ]; then ROUNDS=${ROUNDS:-4}; else ROUNDS=${ROUNDS:-8}; fi
ALL_KINDS="$TREE_KINDS ignore-edit df-edit df-copy df-comment edit-during-build edit-during-build-restored
helper-stop-edit helper-kill-edit"
KINDS=${KINDS:-$ALL_KINDS}
# BuildKit reads the context some 0.1 to 0.2 s after sindri-build starts: the edits during a build land around then
DURING_DELAYS=${DURING_DELAYS:-0.02 0.05 0.1 0.15 0.2 0.3}
P="sbrand-$$"
TAG="$P-img:latest"
at_exit '"$DOCKER" rmi -f "$TAG" >/dev/null 2>&1'
at_exit '"$DOCKER" image ls -q -f "label=sbrand=$P" | xargs -r "$DOCKER" rmi -f >/dev/null 2>&1'
at_exit '"$SB" -t server stop >/dev/null 2>&1'

# The digest's listing, made inside an image by busybox: every entry below /out with its type, mode and size, every
# file's content hash and every link's target, sorted (a few processes, however many files).
LISTING='cd /out 2>/dev/null || { echo "no /out"; exit 0; }
{
	find . -mindepth 1 -exec stat -c "%n %F %a %s" {} +
	find . -mindepth 1 -type f -exec md5sum {} +
	find . -mindepth 1 -type l -exec sh -c "for l; do echo \"\$l -> \$(readlink \"\$l\")\"; done" sh {} +
} | LC_ALL=C sort'
mkdir -p "$T_ROOT/listings"

# digest IMAGE_ID: the listing of the image (kept per ID, so each image is listed once) in LISTING_FILE, its hash in D.
digest() {
	LISTING_FILE=$T_ROOT/listings/$(echo "$1" | sed 's/^sha256://')
	if [ ! -s "$LISTING_FILE" ]; then
		"$DOCKER" run --rm --network none "$1" sh -c "$LISTING" >"$LISTING_FILE" 2>&1 || echo "docker run failed" >>"$LISTING_FILE"
	fi
	D=$(cksum <"$LISTING_FILE" | tr ' ' -)
}

# The Dockerfile, from its settings: STAMP (a WORKDIR made under /out), EXTRA (COPY extra/ too), COMMENT_A/B/C.
write_dockerfile() {
	{
		echo "# randomized context, seed $SEED_NOW ($COMMENT_A)"
		echo "FROM busybox:local"
		echo "# $COMMENT_B"
		echo "COPY src/ /out/src/"
		echo "COPY conf/*.txt /out/conf/"
		echo "COPY top1.txt top2.txt /out/multi/"
		[ -n "$COMMENT_C" ] && echo "# $COMMENT_C"
		echo "COPY lib /out/lib"
		[ "$EXTRA" = 1 ] && echo "COPY extra/ /out/extra/"
		echo "WORKDIR /out/stamp-$STAMP"
	} >ctx/Dockerfile
}

# The .dockerignore: fixed lines (none of them matches a file a COPY names), then the toggled ones of IGNORE_POOL.
IGNORE_POOL='lib/z
conf/b*.txt
!conf/b1.txt
src/*/skip*
*.md
**/*.bak
!**/keep.bak
src/d1/d2
!src/d1/d2/k1.txt'
write_ignore() {
	{
		printf '%s\n' '**/*.log' 'misc' 'src/**/*.tmp' '!src/keep.tmp'
		cat "$T_ROOT/ignore-on"
	} >ctx/.dockerignore
}

DIRS="src src/d1 src/d1/d2 src/d3 conf lib lib/z lib/y extra extra/e1 misc misc/m1 ."
NAMES="f.txt g.txt skip.txt b1.txt b2.txt k1.txt notes.md old.bak keep.bak trace.log scratch.tmp keep.tmp h.txt"
TREE=ctx

# generate: a fresh context of 30-200 files.
generate() {
	rm -rf ctx
	mkdir -p ctx/src ctx/conf ctx/lib ctx/extra ctx/misc
	echo top1 >ctx/top1.txt
	echo top2 >ctx/top2.txt
	echo keep >ctx/conf/keep.txt
	echo keep >ctx/src/keep.tmp
	rnd 171
	new_files $((30 + R))
	: >"$T_ROOT/ignore-on"
	STAMP=0 EXTRA=0 COMMENT_A=a COMMENT_B=b COMMENT_C=
	write_dockerfile
	write_ignore
}

# is_protected PATH: the files and directories that a COPY names must stay (else both builds fail alike).
is_protected() {
	case $1 in
	ctx | ctx/. | ctx/src | ctx/conf | ctx/lib | ctx/extra | ctx/top1.txt | ctx/top2.txt | ctx/conf/keep.txt | ctx/Dockerfile | ctx/.dockerignore) return 0 ;;
	esac
	return 1
}

# edit_candidates: files that a COPY most likely reads (src/, lib/, conf/ or the multi-source pair).
edit_candidates() {
	find ctx/src ctx/lib ctx/top1.txt ctx/top2.txt ctx/conf -type f -name '*.txt' | sort
}
during_candidates() {
	edit_candidates
}
mode_candidates() {
	edit_candidates
}

# mutate KIND: one change of that kind (the runs it makes itself included); MUTATION says what.
mutate() {
	tree_mutate "$1" && return
	MUTATION=$1
	case $1 in
	ignore-edit)
		printf '%s\n' "$IGNORE_POOL" >"$T_ROOT/pool"
		pick "$T_ROOT/pool"
		if grep -qxF -- "$PICK" "$T_ROOT/ignore-on"; then
			grep -vxF -- "$PICK" "$T_ROOT/ignore-on" >"$T_ROOT/ignore-new"
			MUTATION="$1 -'$PICK'"
		else
			{ cat "$T_ROOT/ignore-on"; echo "$PICK"; } >"$T_ROOT/ignore-new"
			MUTATION="$1 +'$PICK'"
		fi
		mv "$T_ROOT/ignore-new" "$T_ROOT/ignore-on"
		write_ignore ;;
	df-edit)
		STAMP=$((STAMP + 1))
		write_dockerfile
		MUTATION="$1 stamp $STAMP" ;;
	df-copy)
		EXTRA=$((1 - EXTRA))
		write_dockerfile
		MUTATION="$1 extra $EXTRA" ;;
	df-comment)
		rnd 3
		case $R in
		0) COMMENT_A="a$ROUND" ;;
		1) COMMENT_B="b$ROUND" ;;
		2) if [ -n "$COMMENT_C" ]; then COMMENT_C=; else COMMENT_C="c$ROUND"; fi ;;
		esac
		write_dockerfile
		MUTATION="$1 $R" ;;
	edit-during-build | edit-during-build-restored)
		# a build runs while a COPY'd file changes; the restored kind puts the old bytes back after it ended
		edit_during "$1" "$SB" ;;
	helper-stop-edit | helper-kill-edit)
		helper_down "$1"
		# an edit the watcher cannot have seen (same-size edits have their own kind)
		edit_candidates >"$T_ROOT/cand"
		pick "$T_ROOT/cand"
		edit "$PICK"
		MUTATION="$1 $PICK" ;;
	*)
		echo "t0014: unknown kind '$1'" >&2
		exit 2 ;;
	esac
}

# truth: a plain docker build of a fresh copy of the context at a new path, without BuildKit's layer cache (whose
# key misses some changes, a directory's mode among them); its digest in TD (and TRUTH_LISTING).
truth() {
	t="$T_ROOT/truth-$SEED_NOW-$ROUND"
	cp -a ctx "$t"
	if "$DOCKER" build -q --no-cache --label "sbrand=$P" --iidfile "$T_ROOT/truth.iid" "$t" >"$T_ROOT/truth.out" 2>&1; then
		tid=$(cat "$T_ROOT/truth.iid")
		digest "$tid"
		TD=$D
		TRUTH_LISTING=$LISTING_FILE
		"$DOCKER" rmi "$tid" >/dev/null 2>&1
	else
		TD=failed
		TRUTH_LISTING=$T_ROOT/truth.out
	fi
	rm -rf "$t"
}

# explain_round: what went wrong, for the log: the listing's difference (image < truth >), the run's first lines and
# its error lines (a failed build says why at its end).
explain_round() {
	echo "  seed $SEED_NOW round $ROUND: $MUTATION -> $CLASS"
	[ -n "${NOW_LISTING:-}" ] && [ -f "$NOW_LISTING" ] && diff "$NOW_LISTING" "$TRUTH_LISTING" | sed -n '1,12s/^/    /p'
	grep -v '^#\|^ *$' "$T_OUT" | sed -n '1,3s/^/    | /p'
	grep -i 'error\|failed' "$T_OUT" | sed -n '1,6s/^/    | /p'
}

# resync: after a wrong outcome, an image built from what the context holds now, so that the next round starts from
# a correct one: new mtimes (no transfer cache can then reuse a file) and the image removed, then the task run.
resync() {
	find ctx -exec touch -h {} +
	"$DOCKER" rmi -f "$TAG" >/dev/null 2>&1
	sb
	digest "$(image_id "$TAG")"
	if [ "$D" != "$TD" ]; then
		echo "t0014: even with the image removed and every mtime new, a rebuild differs from the truth; starting from a new context"
		generate
		sb
		truth
		digest "$(image_id "$TAG")"
	fi
}

cat >sindri-build.lua <<LUA
image "img" { context = "ctx", tags = { "$TAG" } }
default "img"
LUA

for seed in $(seeds); do
	begin_seed "$seed"
	echo "t0014: seed $SEED_NOW, $RUN_ROUNDS rounds, ${BUILDER:-buildkit} ($REPRODUCE${BUILDER:+ BUILDER=$BUILDER} reproduces)"
	"$SB" -t server stop >/dev/null 2>&1
	"$DOCKER" rmi -f "$TAG" >/dev/null 2>&1
	rm -rf .sindri-build
	generate
	sb
	MUTATION="first build"
	truth
	digest "$(image_id "$TAG")"
	NOW_LISTING=$LISTING_FILE
	if [ "$RC" != 0 ] || [ "$D" != "$TD" ]; then
		CLASS=error
		[ "$RC" = 0 ] && CLASS=stale
		record first-build "$CLASS"
		explain_round
		resync
	fi
	while next_round; do
		# what the run finds (the edit-during kinds have built once already)
		digest "$(image_id "$TAG")"
		PREV=$D
		sb
		rebuilt=0
		case " $(ran) " in *" img "*) rebuilt=1 ;; esac
		truth
		NOW_LISTING=
		if [ "$RC" != 0 ]; then
			if [ "$TD" = failed ]; then CLASS=both-failed; else CLASS=error; fi
			D=failed
		else
			digest "$(image_id "$TAG")"
			NOW_LISTING=$LISTING_FILE
			classify "$rebuilt" "$PREV" "$D" "$TD"
		fi
		record "$KIND" "$CLASS"
		case $CLASS in
		skip-ok | rebuild-ok) ;;
		false-rebuild) [ "$KIND" = df-comment ] && explain_round ;;
		both-failed)
			echo "t0014: round $ROUND ($MUTATION): the context does not build; starting from a new one"
			sed -n '1,5s/^/    | /p' "$T_ROOT/truth.out"
			generate
			sb
			truth
			digest "$(image_id "$TAG")" ;;
		*)
			explain_round
			resync ;;
		esac
	done
done
summary df-comment
finish
