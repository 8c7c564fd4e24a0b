# t0040: Path B, the dev image built from a git ref (docker-build-from-source), against the real engine, with a
# real git repository made here from examples/mini-sindri and file:// URLs (no network).
. "$(dirname "$0")/../lib/lib.sh"
need_docker
command -v git >/dev/null 2>&1 || { echo "$T_NAME: no git"; echo "$T_NAME: 0 passed, 1 failed"; exit 1; }

P="sbtest-$$"
REPO="$P-sindri"
W="$P-ws"
export IMAGE_REPO="$REPO" SINDRI_CLI=none XDG_CACHE_HOME="$T_ROOT/xdg" GIT_CONFIG_NOSYSTEM=1
export CARGO_INSTALL_ROOT="$T_ROOT/cargo-root"
at_exit '"$DOCKER" rm -f "$W" >/dev/null 2>&1; "$DOCKER" volume rm -f "${W}_home" >/dev/null 2>&1'
at_exit '"$DOCKER" image ls --format "{{.Repository}}:{{.Tag}}" | grep "^$REPO:" | xargs -r "$DOCKER" rmi -f >/dev/null 2>&1'

SRC="$T_ROOT/src"
URL="file://$SRC"
CLONES="$XDG_CACHE_HOME/sindri/repos"
g() { git -C "$SRC" -c user.name=t -c user.email=t@example.com "$@"; }
cp -r "$T_TOP/examples/mini-sindri" "$SRC"
rm -rf "$SRC/v3/target" "$SRC/.sindri-build"
g init -q -b main && g add -A && g commit -qm one
# where sindri-build runs: another copy (a Sindri checkout, so the stock recipes load); it builds the base
cp -r "$T_TOP/examples/mini-sindri" work
rm -rf work/v3/target work/.sindri-build
cd work || exit 1

fs() { sb docker-build-from-source FROM_SOURCE=1 SINDRI_REPO="$URL" "$@"; }
label() { "$DOCKER" image inspect -f '{{index .Config.Labels "org.sindri-build.key"}}' "$1" 2>/dev/null; }
clone() { echo "$CLONES"/*-????????; }

sb -t targets --all
check "docker-build-from-source is a target without FROM_SOURCE" out_has "docker-build-from-source[,)]"
check "so is its v3- name" out_has "v3-docker-build-from-source"
check "-t targets says it is the Makefile's working-tree build, and Path B is --from-source" \
	out_has "docker-build-from-source is the Makefile's name for it (the guide's Path B, a git ref, is --from-source)"
sb docker-build-from-source
check "without FROM_SOURCE it is the Makefile's dev build" rc_is 0
check "of the working tree" out_has "] docker-build-dev-ubuntu@local-base"
check "without FROM_SOURCE nothing is fetched" test ! -e "$CLONES"

# a branch
fs GIT_REF=main
check "build at a branch succeeds" rc_is 0
check "it builds the image on the base" ran_is "docker-build-from-source docker-build-from-source@local-base"
check "it says what it checked out" out_has "from source: branch 'main' of '$URL' is $(g rev-parse --short=7 main)"
sha1=$(g rev-parse --short=7 main)
full1=$(g rev-parse main)
id1=$(image_id "$REPO:3.0.0-$sha1")
key1=$(label "$REPO:3.0.0-$sha1")
check "the image is tagged version-sha" test "$id1" != none
check "and v3-dev" test "$(image_id "$REPO:v3-dev")" = "$id1"
check "one clone in the cache" test -d "$(clone)/.git"
check "the clone is at the branch, detached" test "$(git -C "$(clone)" rev-parse HEAD)" = "$full1"

fs GIT_REF=main
check "again: succeeds" rc_is 0
check "again: no build" ran_is ""
check "again: nothing to do" out_has "no work to do"

# the branch moves with a commit touching an extension: fetched, rebuilt, new tag
echo "  extra: true" >>"$SRC/v3/extensions/github/extension.yaml"
g commit -qam extension
sha2=$(g rev-parse --short=7 main)
full2=$(g rev-parse main)
fs GIT_REF=main
check "moved branch: succeeds" rc_is 0
check "moved branch: rebuilds the image only" ran_is "docker-build-from-source docker-build-from-source@local-base"
id2=$(image_id "$REPO:3.0.0-$sha2")
check "moved branch: new tag" test "$id2" != none
check "moved branch: a new image" test "$id2" != "$id1"
check "moved branch: the clone has the new commit" test "$(git -C "$(clone)" rev-parse HEAD)" = "$full2"
check "the old image keeps its tag" test "$(image_id "$REPO:3.0.0-$sha1")" = "$id1"

# a commit that changes only files no COPY reads: no rebuild, the image gets the new tag
echo "notes" >"$SRC/NOTES.txt"
echo "more" >>"$SRC/v3/README.md"
g add -A && g commit -qm notes
sha3=$(g rev-parse --short=7 main)
full3=$(g rev-parse main)
fs GIT_REF=main
check "unread files: succeeds" rc_is 0
check "unread files: no build" ran_is ""
check "unread files: the same image is tagged with the new commit" test "$(image_id "$REPO:3.0.0-$sha3")" = "$id2"
check "unread files: the clone has the new commit" test "$(git -C "$(clone)" rev-parse HEAD)" = "$full3"

# SHA refs: full and abbreviated
fs GIT_REF="$full3"
check "full SHA: succeeds" rc_is 0
check "full SHA: says commit" out_has "from source: commit '$full3'"
check "full SHA: no build (same inputs)" ran_is ""
fs GIT_REF="$(echo "$full2" | cut -c1-9)"
check "abbreviated SHA: succeeds" rc_is 0
check "abbreviated SHA: the clone is at that commit" test "$(git -C "$(clone)" rev-parse HEAD)" = "$full2"
check "abbreviated SHA: no build (same inputs as main)" ran_is ""

# a tag, taken as the default ref v$VERSION
g tag v3.0.0 "$full1"
fs
check "tag: succeeds" rc_is 0
check "tag: the default ref is v\$VERSION" out_has "from source: tag 'v3.0.0'"
check "tag: the clone is at the tagged commit" test "$(git -C "$(clone)" rev-parse HEAD)" = "$full1"
check "tag: the image is the first commit's inputs" test "$(label "$REPO:v3-dev")" = "$key1"
check "tag: extension edit is gone from the clone" sh -c "! grep -q extra '$(clone)/v3/extensions/github/extension.yaml'"
check "tag: files of later commits are gone" test ! -e "$(clone)/NOTES.txt"

# errors
fs GIT_REF=mian
check "unknown ref: fails" rc_is 2
check "unknown ref: names it and the repository" out_has "unknown ref 'mian' in '$URL'"
check "unknown ref: lists the nearest" out_has "nearest: branch 'main'"
g checkout -qb no-dockerfile && g rm -q v3/Dockerfile.dev && g commit -qm nodf && g checkout -q main
fs GIT_REF=no-dockerfile
check "a ref without v3/Dockerfile.dev: fails" rc_is 2
check "a ref without v3/Dockerfile.dev: names the file" out_has "has no 'v3/Dockerfile.dev'"
before=$(snapshot "$(clone)")
mv "$SRC" "$SRC.gone"
fs GIT_REF=main
check "unreachable repository: fails" rc_is 2
check "unreachable repository: says so" out_has "cannot reach the repository '$URL'"
check "unreachable repository: the cache is left as it was" test "$(snapshot "$(clone)")" = "$before"
mv "$SRC.gone" "$SRC"
fs GIT_REF=main SINDRI_REPO="file://x-access-token:s3cr3t@$SRC.gone"
check "a token in the URL is never printed" out_lacks "s3cr3t"

# a run holds the clone's lock until it ends (its build reads the worktree): another run waits for it
if command -v flock >/dev/null 2>&1; then
	flock "$(clone).lock" sleep 2 &
	holder=$!
	sleep 0.5
	fs GIT_REF=main
	check "a second run waits for the one holding the clone" out_has "waiting for another run using the clone"
	check "and then goes on" rc_is 0
	wait "$holder"
fi

# the config's buildFromSource turns it on and gives the ref
cat >ws.yaml <<Y
workspace:
  name: $W
deployment:
  provider: docker
  image: sindri:latest
  buildFromSource:
    enabled: true
    gitRef: v3.0.0
extensions:
  - github
Y
sb docker-build-from-source CONFIG=ws.yaml SINDRI_REPO="$URL"
check "buildFromSource.enabled: builds from source" rc_is 0
check "buildFromSource.gitRef: is the ref" out_has "from source: tag 'v3.0.0'"
sb -t explain docker-build-from-source CONFIG=ws.yaml SINDRI_REPO="$URL" FROM_SOURCE=0
check "FROM_SOURCE=0 wins over the config" out_lacks "from source:"
check "FROM_SOURCE=0: the working tree's image" out_has "^docker-build-dev-ubuntu: "

sb cache-status SINDRI_REPO="$URL"
check "cache-status shows the repo cache" out_has "Repo cache:     $CLONES ("
check "cache-status shows the clone's repository, ref and commit" out_has "$URL at v3.0.0 ($sha1)"

# the cycle: builds from source instead of docker-build-fast and deploys that image
if command -v cargo >/dev/null 2>&1 || [ -x "$HOME/.cargo/bin/cargo" ]; then
	PATH=$PATH:$HOME/.cargo/bin
	sb cycle-fast CONFIG=ws.yaml SINDRI_REPO="$URL" GIT_REF=main
	check "from-source cycle: succeeds" rc_is 0
	check "from-source cycle: does not build the working tree's image" out_lacks "] docker-build-dev"
	check "from-source cycle: deploys" out_has "] deploy"
	check "from-source cycle: keeps the clone it builds from" out_has "kept $CLONES"
	check "from-source cycle: the container runs the image of main" \
		test "$("$DOCKER" inspect -f '{{.Image}}' "$W")" = "$(image_id "$REPO:3.0.0-$sha3")"
	sb cycle-fast CONFIG=ws.yaml SINDRI_REPO="$URL" GIT_REF=main
	check "from-source cycle again: nothing changed" out_has "cycle-fast: nothing changed"
	echo "  more: true" >>"$SRC/v3/extensions/python/extension.yaml"
	g commit -qam python
	sb --from-source cycle-fast CONFIG=ws.yaml SINDRI_REPO="$URL" GIT_REF=main
	check "from-source cycle after a push: rebuilds from source" out_has "] docker-build-from-source"
	check "from-source cycle after a push: redeploys the new image" \
		test "$("$DOCKER" inspect -f '{{.Image}}' "$W")" = "$(image_id "$REPO:3.0.0-$(g rev-parse --short=7 main)")"
	sb destroy CONFIG=ws.yaml SINDRI_REPO="$URL" FORCE=1
else
	echo "$T_NAME: no cargo: the from-source cycle checks are skipped"
fi

sb -t explain --from-source SINDRI_REPO="$URL" GIT_REF=main
check "with --from-source the default target is the from-source image" out_has "^docker-build-from-source: "
check "and not the working tree's image" out_lacks "^docker-build-dev-ubuntu: "

sb cache-clear-soft
check "the soft clear removes the repo cache" test ! -e "$CLONES"

finish
