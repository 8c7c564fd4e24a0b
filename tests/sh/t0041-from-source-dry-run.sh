# t0041: read-only commands with from-source (Path B: -n, -t explain, -t key, -t query) fetch nothing and write
# nothing, neither the clone cache nor the project's state: they say what a run would do from what the clone cache
# already holds, or that a run fetches the source first. A real git repository made here, file:// URLs only.
. "$(dirname "$0")/../lib/lib.sh"
need_docker
command -v git >/dev/null 2>&1 || { echo "$T_NAME: no git"; echo "$T_NAME: 0 passed, 1 failed"; exit 1; }

P="sbtest-fsdry-$$"
REPO="$P-sindri"
export IMAGE_REPO="$REPO" SINDRI_CLI=none XDG_CACHE_HOME="$T_ROOT/xdg" GIT_CONFIG_NOSYSTEM=1
at_exit '"$DOCKER" image ls --format "{{.Repository}}:{{.Tag}}" | grep "^$REPO:" | xargs -r "$DOCKER" rmi -f >/dev/null 2>&1'

SRC="$T_ROOT/src"
URL="file://$SRC"
CLONES="$XDG_CACHE_HOME/sindri/repos"
g() { git -C "$SRC" -c user.name=t -c user.email=t@example.com "$@"; }
cp -r "$T_TOP/examples/mini-sindri" "$SRC"
rm -rf "$SRC/v3/target" "$SRC/.sindri-build"
g init -q -b main && g add -A && g commit -qm one
cp -r "$T_TOP/examples/mini-sindri" work
rm -rf work/v3/target work/.sindri-build
cd work || exit 1

fs() { sb --from-source "$@" SINDRI_REPO="$URL"; }
clone() { echo "$CLONES"/*-????????; }
# tree DIR: every entry under DIR with its kind, mode, size and mtime, and each file's checksum
tree() {
	(cd "$1" 2>/dev/null && find . -printf '%y %m %s %T@ %p\n' | sort && find . -type f -exec cksum {} + | sort) ||
		echo "missing $1"
}
# all: the project (with .sindri-build) and the clone cache, as a read-only command must leave them
all() { tree .; tree "$XDG_CACHE_HOME"; }
# unchanged WHAT ARGS...: run sindri-build with ARGS; nothing on disk changed
unchanged() {
	what=$1
	shift
	before=$(all)
	fs "$@"
	check "$what: succeeds" rc_is 0
	check "$what: writes nothing" test "$(all)" = "$before"
}

# No clone yet: nothing is fetched or made, and the dry run says a run would fetch first.
unchanged "-n, no clone" -n docker-build-from-source GIT_REF=main
check "-n, no clone: no clone cache made" test ! -e "$XDG_CACHE_HOME"
check "-n, no clone: no state made" test ! -e .sindri-build
check "-n, no clone: the target would run" out_has "^\[1/1\] docker-build-from-source$"
check "-n, no clone: says a run fetches the source first" \
	out_has "there is no clone of the repository in '$CLONES' yet: a run fetches '$URL' into '$CLONES/"
check "-n, no clone: the base the image would be built on" out_has "^# docker-build-from-source: base $REPO:base-ubuntu-latest (the local base)"
check "-n, no clone: and the base's own build" out_has "^DOCKER_BUILDKIT=1 .* build -f v3/Dockerfile.base .* -t $REPO:base-ubuntu-3.0.0 "
unchanged "-t explain, no clone" -t explain docker-build-from-source GIT_REF=main
check "-t explain, no clone: would run, the source not checked out" \
	out_has "^  the source is not checked out in the clone cache (there is no clone"
unchanged "-n cycle, no clone" -n cycle-fast CONFIG=sindri.yaml GIT_REF=main
check "-n cycle, no clone: builds from source" out_has "docker-build-from-source would run: the source is not checked out"
check "-n cycle, no clone: would deploy the from-source image" out_has "docker run .* $REPO:v3-dev-ubuntu$"
check "-n cycle, no clone: still no clone cache" test ! -e "$XDG_CACHE_HOME"

# A run fetches and builds; the read-only commands then answer from the clone without touching it.
fs docker-build-from-source GIT_REF=main
check "a run builds from source" rc_is 0
sha1=$(g rev-parse --short=7 main)
unchanged "-n, current" -n docker-build-from-source GIT_REF=main
check "-n, current: nothing would run" out_has "no work to do"
check "-n, current: says the clone is as last fetched" \
	out_has "branch 'main' of '$URL' is $sha1 (version 3.0.0) in the cached clone as last fetched (a dry run fetches nothing"

# The branch moves: a dry run still reads the clone as it was (no fetch), and says a run fetches first.
echo "  extra: true" >>"$SRC/v3/extensions/github/extension.yaml"
g commit -qam extension
full2=$(g rev-parse main)
unchanged "-n, moved branch" -n docker-build-from-source GIT_REF=main
check "-n, moved branch: the clone's commit, not the new one" out_has "branch 'main' of '$URL' is $sha1 "
check "-n, moved branch: the new commit was not fetched" sh -c "! git -C '$(clone)' cat-file -e '$full2^{commit}' 2>/dev/null"
unchanged "-t explain, moved branch" -t explain docker-build-from-source GIT_REF=main
unchanged "-t key, moved branch" -t key docker-build-from-source GIT_REF=main
unchanged "-t query, moved branch" -t query docker-build-from-source GIT_REF=main
unchanged "-n, a commit the clone lacks" -n docker-build-from-source GIT_REF="$full2"
check "-n, a commit the clone lacks: a run fetches it" \
	out_has "the clone has no branch, tag or commit '$full2' (as last fetched): a run fetches '$URL'"

# The repository is gone: a dry run needs no connection.
mv "$SRC" "$SRC.gone"
unchanged "-n, repository unreachable" -n docker-build-from-source GIT_REF=main
mv "$SRC.gone" "$SRC"

# Someone left a file in the clone: a run would clean it; a dry run leaves it and says the tree is not the ref's.
echo stray >"$(clone)/v3/stray.txt"
unchanged "-n, a changed clone" -n docker-build-from-source GIT_REF=main
check "-n, a changed clone: says so" out_has "the clone's worktree has changes: 'v3/stray.txt'"
check "-n, a changed clone: the file is still there" test -f "$(clone)/v3/stray.txt"
rm -f "$(clone)/v3/stray.txt"

# Another run holds the clone (it is switching it to another ref): a dry run does not wait and does not read it.
if command -v flock >/dev/null 2>&1; then
	held="$T_ROOT/held"
	# the holder lets go when told, or after 10 s (a sindri-build that waits for it then goes on)
	flock -x "$(clone).lock" sh -c "touch '$held'; for _ in \$(seq 100); do [ -e '$held' ] || break; sleep 0.1; done" &
	holder=$!
	for _ in $(seq 100); do [ -e "$held" ] && break; sleep 0.1; done
	unchanged "-n, the clone in use" -n docker-build-from-source GIT_REF=main
	check "-n, the clone in use: says so" out_has "another run is using the clone"
	rm -f "$held"
	wait "$holder"
fi

finish
