# t0042: -t explain on an up-to-date dev target says which base its image is built on and why, and what a run would
# do about that base (nothing, build it, pull it), for the local base, BASE=local and a BASE_IMAGE the engine has;
# it writes nothing. The real engine, examples/mini-sindri on busybox:local.
. "$(dirname "$0")/../lib/lib.sh"
need_docker

P="sbtest-explbase-$$"
REPO="$P-sindri"
export IMAGE_REPO="$REPO" SINDRI_CLI=none XDG_CACHE_HOME="$T_ROOT/xdg"
at_exit '"$DOCKER" image ls --format "{{.Repository}}:{{.Tag}}" | grep "^$P[-:]" | xargs -r "$DOCKER" rmi -f >/dev/null 2>&1'
cp -r "$T_TOP/examples/mini-sindri" work
rm -rf work/v3/target work/.sindri-build
cd work || exit 1
state() { (find .sindri-build -printf '%y %m %s %T@ %p\n' && find .sindri-build -type f -exec cksum {} +) | sort; }

sb docker-build-dev
check "the base and the dev image are built" ran_is "docker-build-base-ubuntu docker-build-dev-ubuntu docker-build-dev-ubuntu@local-base"

before=$(state)
sb -t explain docker-build-dev
check "explain: succeeds" rc_is 0
check "explain: the dev target is up to date" out_has "^docker-build-dev-ubuntu: up to date$"
check "explain: the base it is built on, and why" \
	out_has "^  base $REPO:base-ubuntu-latest (the local base): the local base $REPO:base-ubuntu-3.0.0 is current for v3/Dockerfile.base and the files it copies$"
check "explain: the base is current, a run builds none" out_has "^  docker-build-base-ubuntu is current: a run builds no base$"
check "explain: writes nothing" test "$(state)" = "$before"

sb -t explain docker-build-dev BASE=local
check "BASE=local: up to date" out_has "^docker-build-dev-ubuntu: up to date$"
check "BASE=local: says BASE=local chose it" out_has "^  base $REPO:base-ubuntu-latest (the local base): BASE=local$"
check "BASE=local: and that base is current" out_has "^  docker-build-base-ubuntu is current"

# a published base the engine has (a copy of ours under another name): the run uses the engine's copy
"$DOCKER" tag "$REPO:base-ubuntu-latest" "$P-pub:base-ubuntu-latest"
sb docker-build-dev BASE_IMAGE="$P-pub:base-ubuntu-latest"
check "on BASE_IMAGE: built" rc_is 0
before=$(state)
sb -t explain docker-build-dev BASE_IMAGE="$P-pub:base-ubuntu-latest"
check "on BASE_IMAGE: up to date" out_has "^docker-build-dev-ubuntu: up to date$"
check "on BASE_IMAGE: the published base, its labels, and why" \
	out_has "^  base $P-pub:base-ubuntu-latest (published; distro=ubuntu .*): BASE_IMAGE=$P-pub:base-ubuntu-latest was given; its local copy is used, as the Makefile does$"
check "on BASE_IMAGE: a run pulls nothing" out_has "^  the engine's copy of $P-pub:base-ubuntu-latest is used: a run pulls no base$"
check "on BASE_IMAGE: writes nothing" test "$(state)" = "$before"

finish
