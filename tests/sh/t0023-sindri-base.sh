# t0023: where the dev image's base comes from, against the real engine and a local registry standing in for GHCR:
# the local base when it is current; the published BASE_IMAGE when Dockerfile.base and what it copies are as
# committed at HEAD (asked with a HEAD request, pulled only when needed); else a local base build. BASE= forces a
# choice, the run, -t explain and cache-status say which and why, and a switch of base rebuilds the dev image.
. "$(dirname "$0")/../lib/lib.sh"
need_docker
command -v git >/dev/null 2>&1 || { echo "$T_NAME: no git"; echo "$T_NAME: 0 passed, 1 failed"; exit 1; }
unset CI

P="sbtest-$$"
REPO="$P-sindri"
export IMAGE_REPO="$REPO" SINDRI_CLI=none XDG_CACHE_HOME="$T_ROOT/xdg" GIT_CONFIG_NOSYSTEM=1
at_exit '"$DOCKER" image ls --format "{{.Repository}}:{{.Tag}}" | grep "$REPO:" | xargs -r "$DOCKER" rmi -f >/dev/null 2>&1'

REG="$T_ROOT/reg"
PORT=$(free_port 22000)
SB_REGISTRY_ACCESSLOG=1 sh "$T_TOP/tests/lib/registry-setup.sh" start "$REG" "$PORT" >/dev/null || { echo "$T_NAME: cannot start a registry"; echo "$T_NAME: 0 passed, 1 failed"; exit 1; }
at_exit 'sh "$T_TOP/tests/lib/registry-setup.sh" stop "$REG" >/dev/null 2>&1'
export REGISTRY="127.0.0.1:$PORT/$P"
# a pushed or pulled image keeps a digest reference (repo@sha256:...) after its last tag is gone
at_exit '"$DOCKER" image ls --digests --format "{{.Repository}}@{{.Digest}}" | grep "^$REGISTRY/" | grep -v "@<none>$" | xargs -r "$DOCKER" rmi -f >/dev/null 2>&1'
PUB="$REGISTRY/$REPO:base-ubuntu-latest"

cp -r "$T_TOP/examples/mini-sindri" repo
rm -rf repo/v3/target repo/.sindri-build repo/.stand-in-cli
cd repo || exit 1
g() { git -c user.name=t -c user.email=t@example.com "$@"; }
g init -q -b main && g add -A && g commit -qm one
layers() { "$DOCKER" image inspect -f '{{range .RootFS.Layers}}{{.}} {{end}}' "$1" 2>/dev/null; }
# on: whether image $1 was built on image $2 (its layers start with all of $2's)
on() { case "$(layers "$1")" in "$(layers "$2")"*) return 0 ;; esac; return 1; }

# Sindri publishes a base for ubuntu (built by CI from the same Dockerfile.base, with one label of its own).
DOCKER_BUILDKIT=1 "$DOCKER" build -q --build-arg DISTRO=ubuntu --build-arg UBUNTU_VERSION=24.04 --label sindri.base.ci=yes \
	-t "$PUB" -f v3/Dockerfile.base v3 >/dev/null
"$DOCKER" push "$PUB" >/dev/null 2>&1
pubid=$(image_id "$PUB")
"$DOCKER" rmi "$PUB" >/dev/null

# A new maintainer: no local base, Dockerfile.base as committed: the published base, pulled, no 15-minute build.
asked() { grep -c '"HEAD /v2/\|"GET /v2/' "$REG/registry.log"; }
n0=$(asked)
sb -t explain docker-build-dev
check "explain says the published base is used if the registry has it" out_has "base $PUB (published): .*Dockerfile.base is as committed at"
check "explain pulls nothing" test "$(image_id "$PUB")" = none
sb -n docker-build-dev
check "-n says what a run would pull and build" sh -c "grep -q '^/[a-z/]*docker pull $PUB$' '$T_OUT' && grep -q 'docker build .*BASE_IMAGE=$PUB' '$T_OUT'"
check "-n and -t explain asked the registry nothing" test "$(asked)" = "$n0"
sb docker-build-dev
check "the dev build succeeds" rc_is 0
check "the run asked the registry" test "$(asked)" -gt "$n0"
check "it says which base and why" out_has "base $PUB (published; ci=yes distro=ubuntu.*): Dockerfile.base is as committed at .* and the registry has $PUB"
check "it knew the base's sindri.base.* labels before the pull (from the registry)" \
	sh -c "sed -n '1,/docker pull/p' '$T_OUT' | grep -q 'base $PUB (published; ci=yes distro=ubuntu'"
check "it pulled the published base and shows its sindri.base.* labels" out_has "pulled $PUB (ci=yes distro=ubuntu"
check "no local base was built" out_lacks "] docker-build-base-ubuntu"
check "the dev image is built on the published base" on "$REPO:v3-ubuntu-dev" "$PUB"
check "the published base was pulled as published" test "$(image_id "$PUB")" = "$pubid"
dev1=$(image_id "$REPO:v3-ubuntu-dev")
sb docker-build-dev
check "again: the registry is asked, nothing is pulled or built" sh -c "! grep -q 'pulled\|] docker-build-dev-ubuntu@' '$T_OUT'"
check "again: the same image" test "$(image_id "$REPO:v3-ubuntu-dev")" = "$dev1"
sb cache-status
check "cache-status says the dev image is on the published base, with its labels" \
	out_has "built on $PUB (published; ci=yes distro=ubuntu"
check "and what a build now would use and why" out_has "a build now: base $PUB: "

# The maintainer edits what Dockerfile.base copies: their own base, never the published one.
echo "# local change" >>v3/docker/lib/pkg-manager.sh
sb -t explain docker-build-dev
check "explain: an edit of pkg-manager.sh means the local base" out_has "differs from HEAD (M v3/docker/lib/pkg-manager.sh)"
sb docker-build-dev
check "the edit: the local base is built" out_has "] docker-build-base-ubuntu"
check "the edit: the run says why" out_has "base $REPO:base-ubuntu-latest (the local base): Dockerfile.base or what it copies differs from HEAD"
check "the edit: the dev image is rebuilt on it (its key names its base)" on "$REPO:v3-ubuntu-dev" "$REPO:base-ubuntu-latest"
check "the edit is in the base" sh -c "'$DOCKER' run --rm '$REPO:base-ubuntu-latest' tail -n 1 /docker/lib/pkg-manager.sh | grep -q 'local change'"

# Committed: the local base is current for today's inputs, and it wins over the registry.
g commit -qam "pkg-manager change"
sb docker-build-dev
check "committed: nothing rebuilt" sh -c "! grep -q '] docker-build-base\|] docker-build-dev-ubuntu@' '$T_OUT'"
sb cache-status
check "committed: the local base is current and a build would use it" \
	out_has "a build now: base $REPO:base-ubuntu-latest: the local base $REPO:base-ubuntu-3.0.0 is current"
check "committed: the dev image is on the local base" out_has "built on $REPO:base-ubuntu-latest (the local base)"
# cache-status with a remote cache: whether it has today's key of the base, before and after a trusted push.
CACHE="$REGISTRY/cache"
bkey=$("$SB" -t key docker-build-base)
sb cache-status REMOTE_CACHE="$CACHE"
check "cache-status: the remote cache lacks today's key" out_has "remote cache: $CACHE:docker-build-base-ubuntu-$bkey does not have today's key"
sb docker-build-base REMOTE_CACHE="$CACHE" PUSH=1
check "a current base missing from the remote cache is pushed, not rebuilt" sh -c "! grep -q 'writing image' '$T_OUT'"
sb cache-status REMOTE_CACHE="$CACHE"
check "cache-status: the remote cache has today's key" out_has "remote cache: $CACHE:docker-build-base-ubuntu-$bkey has today's key"

# BASE= forces a choice; switching rebuilds the dev image on the other base.
sb docker-build-dev BASE=registry
check "BASE=registry: the published base" out_has "base $PUB (published; ci=yes.*): BASE=registry"
check "BASE=registry: the dev image is rebuilt on it" on "$REPO:v3-ubuntu-dev" "$PUB"
sb docker-build-dev BASE=local
check "BASE=local: back on the local base, rebuilt" on "$REPO:v3-ubuntu-dev" "$REPO:base-ubuntu-latest"
check "BASE=local: says so" out_has "(the local base): BASE=local"
sb docker-build-dev BASE=sometimes
check "a bad BASE is refused" out_has "BASE must be auto, local or registry, not 'sometimes'"

# BASE_IMAGE set to a local tag, as the Makefile suggests for offline builds: that base, no registry.
sb docker-build-dev BASE_IMAGE="$REPO:base-ubuntu-latest"
check "BASE_IMAGE=<local base tag>: succeeds" rc_is 0
check "BASE_IMAGE=<local base tag>: the same build as BASE=local, so nothing to do" ran_is ""
sb cache-status BASE_IMAGE="$REPO:base-ubuntu-latest"
check "BASE_IMAGE=<local base tag>: cache-status says why" out_has "a build now: base $REPO:base-ubuntu-latest: BASE_IMAGE names a base this recipe builds"

# A published base for another distro (its label, read from the registry) is refused before it is pulled.
WRONG="$REGISTRY/$REPO:base-wrong"
printf 'FROM busybox:local\nLABEL sindri.base.distro=fedora\n' | DOCKER_BUILDKIT=1 "$DOCKER" build -q -t "$WRONG" - >/dev/null
"$DOCKER" push "$WRONG" >/dev/null 2>&1
"$DOCKER" rmi "$WRONG" >/dev/null
sb docker-build-dev BASE=registry BASE_IMAGE="$WRONG"
check "a base for another distro: refused" out_has "the published base $WRONG is for fedora, not ubuntu"
check "a base for another distro: not pulled" test "$(image_id "$WRONG")" = none

# The local base goes stale (Dockerfile.base changed upstream and committed) and no registry can be reached:
# build it here, saying why.
echo "LABEL sindri.base.note=two" >>v3/Dockerfile.base
g commit -qam "base change"
"$DOCKER" rmi -f "$PUB" >/dev/null
sh "$T_TOP/tests/lib/registry-setup.sh" stop "$REG" >/dev/null 2>&1
sb docker-build-dev
check "registry down: the dev build still succeeds" rc_is 0
check "registry down: says the registry cannot be reached and builds the base here" \
	out_has "the registry cannot be reached (.*): the local base is built"
check "registry down: the base was built" out_has "] docker-build-base-ubuntu"

finish
