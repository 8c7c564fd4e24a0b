# t0021: the Sindri recipes' release, maintenance and connect targets against the real engine and a real registry.
. "$(dirname "$0")/../lib/lib.sh"
need_docker
unset CI
command -v cargo >/dev/null 2>&1 || PATH=$PATH:$HOME/.cargo/bin

P="sbtest-$$"
REPO="$P-sindri"
W1="$P-ws"
export IMAGE_REPO="$REPO" SINDRI_CLI=none CARGO_INSTALL_ROOT="$T_ROOT/cargo-root" XDG_CACHE_HOME="$T_ROOT/xdg"
at_exit '"$DOCKER" rm -f "$W1" >/dev/null 2>&1; "$DOCKER" volume rm -f "${W1}_home" >/dev/null 2>&1'
at_exit '"$DOCKER" image ls --format "{{.Repository}}:{{.Tag}}" | grep "$P" | xargs -r "$DOCKER" rmi -f >/dev/null 2>&1'

cp -r "$T_TOP/examples/mini-sindri" repo
rm -rf repo/v3/target
cd repo || exit 1
printf 'workspace:\n  name: %s\ndeployment:\n  provider: docker\n  image: %s:latest\n' "$W1" "$REPO" >ws.yaml

# release: release build, --version check, production image, registry tags, push.
REG="$T_ROOT/reg"
PORT=$(free_port 21000)
sh "$T_TOP/tests/lib/registry-setup.sh" start "$REG" "$PORT" >/dev/null || { echo "$T_NAME: cannot start a registry"; echo "$T_NAME: 0 passed, 1 failed"; exit 1; }
at_exit 'sh "$T_TOP/tests/lib/registry-setup.sh" stop "$REG" >/dev/null 2>&1'
sb release REGISTRY="127.0.0.1:$PORT/$P" PUSH=1 CARGO_FLAGS=--offline
check "release succeeds" rc_is 0
check "the release binary was built" test -x v3/target/release/sindri
check "the production image is built" test "$(image_id "$REPO:3.0.0")" != none
check "the production image is the ubuntu release image, with the Makefile's pins" sh -c "'$DOCKER' run --rm '$REPO:3.0.0' | grep -q 'distro=ubuntu ubuntu=24.04'"
check "tagged as the Makefile tags it" test "$(image_id "$REPO:v3-ubuntu-local")" = "$(image_id "$REPO:3.0.0")"
check "the version tag was pushed" sh -c "curl -s http://127.0.0.1:$PORT/v2/$P/sindri/tags/list | grep -q '\"3.0.0\"'"
check "the latest tag was pushed" sh -c "curl -s http://127.0.0.1:$PORT/v2/$P/sindri/tags/list | grep -q '\"latest\"'"

# connect: a login shell in the deployment (stdin is not a terminal here, so it reads commands from it).
sb cycle-fast CONFIG=ws.yaml
check "the deployment for connect is up" test "$("$DOCKER" inspect -f '{{.State.Running}}' "$W1")" = true
echo "echo connected-as-\$(id -u)" | "$SB" connect CONFIG=ws.yaml >"$T_OUT" 2>&1
RC=$?
check "connect opens a shell in the container" out_has "connected-as-1000"

# cache-prune: base images beyond the newest two go, unless current; old non-current images go.
for v in 1 2 3; do
	printf 'FROM busybox:local\nLABEL sindri.type="base"\nRUN echo %s-%s > /v\n' "$P" "$v" |
		DOCKER_BUILDKIT=1 "$DOCKER" build -q -t "$REPO:base-0.$v" - >/dev/null
	sleep 1.1
done
printf 'FROM busybox:local\nRUN echo %s-old > /v\n' "$P" | DOCKER_BUILDKIT=1 "$DOCKER" build -q -t "$REPO:old" - >/dev/null
sb cache-prune IMAGE_AGE=0s PRUNE_AGE=1000d
check "cache-prune succeeds" rc_is 0
check "the oldest base beyond the newest two is removed" test "$(image_id "$REPO:base-0.1")" = none
check "the newest bases are kept" sh -c "test '$(image_id "$REPO:base-0.3")' != none"
check "the current base is kept" test "$(image_id "$REPO:base-3.0.0")" != none
check "an old image that is not current is removed" test "$(image_id "$REPO:old")" = none
check "the current dev image is kept" test "$(image_id "$REPO:latest")" != none

finish
