# t0020: the stock Sindri recipes on examples/mini-sindri against the real engine: cycles, cache levels, deploy.
. "$(dirname "$0")/../lib/lib.sh"
need_docker
need_cargo

P="sbtest-$$"
REPO="$P-sindri"
W1="$P-ws1"
W2="$P-ws2"
export IMAGE_REPO="$REPO" SINDRI_CLI=none CARGO_INSTALL_ROOT="$T_ROOT/cargo-root" XDG_CACHE_HOME="$T_ROOT/xdg"
at_exit 'for w in "$W1" "$W2"; do "$DOCKER" rm -f "$w" >/dev/null 2>&1; "$DOCKER" volume rm -f "${w}_home" >/dev/null 2>&1; done'
at_exit '"$DOCKER" image ls --format "{{.Repository}}:{{.Tag}}" | grep "^$REPO:" | xargs -r "$DOCKER" rmi -f >/dev/null 2>&1'

cp -r "$T_TOP/examples/mini-sindri" repo
cd repo || exit 1
cat >ws1.yaml <<Y
workspace:
  name: $W1
deployment:
  provider: docker
  image: $REPO:latest
extensions:
  - github
Y
sed "s/$W1/$W2/" ws1.yaml >ws2.yaml

cid() {
	id=$("$DOCKER" inspect -f '{{.Id}}' "$1" 2>/dev/null)
	echo "${id:-none}"
}

sb cycle-fast CONFIG=ws1.yaml
check "first cycle-fast succeeds" rc_is 0
check "first cycle-fast builds base and dev, installs and deploys" sh -c "grep -q '] docker-build-base-ubuntu' '$T_OUT' && grep -q '] docker-build-dev-ubuntu@local-base' '$T_OUT' && grep -q '] install' '$T_OUT' && grep -q '] deploy' '$T_OUT'"
check "the container runs" test "$("$DOCKER" inspect -f '{{.State.Running}}' "$W1")" = true
check "the home volume exists" "$DOCKER" volume inspect "${W1}_home"
check "the CLI was installed" test -x "$CARGO_INSTALL_ROOT/bin/sindri"
base1=$(image_id "$REPO:base-3.0.0")
fast1=$(image_id "$REPO:latest")
c1=$(cid "$W1")

sb cycle-fast CONFIG=ws1.yaml
check "second cycle-fast succeeds" rc_is 0
check "second cycle-fast says nothing changed in one line" out_has "cycle-fast: nothing changed; deployment '$W1' is current and left running"
check "no docker build, no cargo, no deploy" sh -c "! grep -Eq '] (docker-build|install|deploy|destroy)' '$T_OUT'"
check "same base image" test "$(image_id "$REPO:base-3.0.0")" = "$base1"
check "same fast image" test "$(image_id "$REPO:latest")" = "$fast1"
check "same container" test "$(cid "$W1")" = "$c1"

echo "  extra: true" >>v3/extensions/github/extension.yaml
sb cycle-fast CONFIG=ws1.yaml
check "an extension edit: cycle succeeds" rc_is 0
check "an extension edit rebuilds only the dev image" sh -c "grep -q '] docker-build-dev-ubuntu@local-base' '$T_OUT' && ! grep -q '] docker-build-base' '$T_OUT'"
check "an extension edit does not reinstall the CLI" out_lacks "] install"
check "the base is unchanged" test "$(image_id "$REPO:base-3.0.0")" = "$base1"
check "the container was recreated" test "$(cid "$W1")" != "$c1"
check "the new container runs the new image" test "$("$DOCKER" inspect -f '{{.Image}}' "$W1")" = "$(image_id "$REPO:latest")"

c1=$(cid "$W1")
"$DOCKER" stop "$W1" >/dev/null
sb cycle-fast CONFIG=ws1.yaml
check "a stopped deployment whose image is current runs again" test "$("$DOCKER" inspect -f '{{.State.Running}}' "$W1")" = true
check "it was started, not recreated" test "$(cid "$W1")" = "$c1"
check "and says so" out_has "started '$W1': it had stopped and its image is current"

# Parallel development: a second workspace from the same base.
sb cycle-fast CONFIG=ws2.yaml
check "a second workspace deploys" test "$("$DOCKER" inspect -f '{{.State.Running}}' "$W2")" = true
check "without building anything" sh -c "! grep -q '] docker-build' '$T_OUT'"
check "both run the same image" test "$("$DOCKER" inspect -f '{{.Image}}' "$W1")" = "$("$DOCKER" inspect -f '{{.Image}}' "$W2")"
c2=$(cid "$W2")
c1=$(cid "$W1")
sb cycle-fast CONFIG=ws1.yaml
check "cycling one workspace leaves the other alone" test "$(cid "$W2")" = "$c2"

echo "LABEL sbtest.change=base" >>v3/Dockerfile.base
sb cycle-fast CONFIG=ws1.yaml
check "a Dockerfile.base edit rebuilds base and dev" sh -c "grep -q '] docker-build-base-ubuntu' '$T_OUT' && grep -q '] docker-build-dev-ubuntu@local-base' '$T_OUT'"

# Config errors stop before anything is destroyed.
c1=$(cid "$W1")
sb cycle-fast CONFIG=missing.yaml
check "a missing CONFIG: exit 2" rc_is 2
check "a missing CONFIG is named" out_has "missing.yaml"
printf 'workspace:\n  name: [oops\n' >bad.yaml
sb cycle-fast CONFIG=bad.yaml
check "a malformed CONFIG: exit 2" rc_is 2
check "a malformed CONFIG names file:line" out_has "bad.yaml:"
check "the deployment was not touched" test "$(cid "$W1")" = "$c1"
sb cycle-fast
check "cycle-fast without CONFIG says what to add" out_has "CONFIG=sindri.yaml"

# Confirmation: hard, nuke and nuclear refuse without a terminal or FORCE.
for t in cache-clear-hard cache-nuke cycle-nuclear; do
	sb $t CONFIG=ws1.yaml </dev/null
	check "$t refuses without a terminal" rc_is 1
	check "$t says how to go on" out_has "FORCE=1 or --yes"
done
check "refusals removed nothing" test "$(image_id "$REPO:latest")" != none

# Cache levels.
mkdir -p "$XDG_CACHE_HOME/sindri/repos/sindri-main"
(cd v3 && cargo build --offline -q) >/dev/null 2>&1
sb cache-clear-soft
check "soft clears the repo cache" test ! -e "$XDG_CACHE_HOME/sindri/repos"
check "soft keeps cargo dependencies" sh -c "ls v3/target/debug/deps | grep -q sindri_core"
check "soft keeps the images" sh -c "test '$(image_id "$REPO:latest")' != none && test '$(image_id "$REPO:base-3.0.0")' != none"

DOCKER_BUILDKIT=1 "$DOCKER" build -q -t "$REPO:cachetest" - >/dev/null 2>&1 <<DF
FROM busybox:local
RUN echo $P > /cachetest
DF
# recs: the BuildKit records of that RUN (the engine's own list: `docker system df -v` leaves descriptions out)
recs() {
	sock=${DOCKER_HOST:-}; sock=${sock#unix://}
	curl -s --unix-socket "${sock:-/var/run/docker.sock}" http://localhost/system/df | grep -o "echo $P " | wc -l
}
recs_before=$(recs)
# a short window: the shared engine's other young records (earlier tests) are not this test's to prune
sb cache-clear-medium CACHE_WINDOW=3m
check "medium succeeds" rc_is 0
check "medium cleans cargo artifacts" test ! -e v3/target/debug
check "medium prunes young BuildKit records" sh -c "test $recs_before -gt 0 && test $(recs) -eq 0"
check "medium says what it pruned" out_has "pruned [1-9][0-9]* BuildKit cache records younger than"
check "medium keeps the images" test "$(image_id "$REPO:base-3.0.0")" != none

sb cache-clear-hard FORCE=1
check "hard keeps an image a running container uses, and says so" out_has "is used by container"
sb destroy CONFIG=ws1.yaml FORCE=1
sb destroy CONFIG=ws2.yaml FORCE=1
# a name of the user's own for the dev image: the clear takes the project's names only, so the image stays
"$DOCKER" tag "$REPO:latest" "$P-mine:keep"
mine=$(image_id "$P-mine:keep")
sb cache-clear-hard FORCE=1
check "hard succeeds" rc_is 0
check "hard removes the dev image" test "$(image_id "$REPO:latest")" = none
check "hard leaves an image's name the user gave it" equal "$(image_id "$P-mine:keep")" "$mine"
"$DOCKER" rmi "$P-mine:keep" >/dev/null 2>&1
check "hard removes other sindri images" test "$(image_id "$REPO:cachetest")" = none
check "hard keeps the base" test "$(image_id "$REPO:base-3.0.0")" != none

sb --yes cache-nuke
check "nuke succeeds with --yes" rc_is 0
check "nuke removes the base too" test "$(image_id "$REPO:base-3.0.0")" = none

sb cycle-nuclear CONFIG=ws1.yaml FORCE=1
check "nuclear succeeds" rc_is 0
check "nuclear rebuilds base and dev" sh -c "grep -q '] docker-build-base-ubuntu' '$T_OUT' && grep -q '] docker-build-fast-nocache@local-base' '$T_OUT'"
check "nuclear deploys" test "$("$DOCKER" inspect -f '{{.State.Running}}' "$W1")" = true

before=$(snapshot .sindri-build)
sb cache-status CONFIG=ws1.yaml
check "cache-status is read-only: the state is byte-identical" test "$before" = "$(snapshot .sindri-build)"
check "status lists the images as current" sh -c "grep -q 'docker-build-base-ubuntu .*current' '$T_OUT' && grep -q 'docker-build-dev-ubuntu .*current' '$T_OUT'"
check "status shows the BuildKit cache" out_has "BuildKit cache:"
echo "LABEL sbtest.change=stale" >>v3/Dockerfile.dev
sb cache-status
check "status says why an image is stale" out_has "stale.*(v3/Dockerfile.dev line"
"$SB" --json cache-status >status.json 2>"$T_OUT"
check "status --json is JSON" sh -c "grep -q '\"buildkit\"' status.json && grep -q '\"state\": \"stale\"' status.json"
check "... stdout holds one JSON document and nothing else, which says what it is" python3 -c '
import json; d = json.load(open("status.json")); assert d["sindri_build"] == 1 and d["kind"] == "cache-status"'
check "... and the progress went to stderr" out_has "^\[1/1\] cache-status"

# A user-added cycle, from the project's own recipe, no C involved.
cat >sindri-build.lua <<'LUA'
require "sindri"
cycle "cycle-ext" {
  desc = "Rebuild on extension changes and redeploy", time = "1 min",
  build = { "docker-build-fast" }, deploy = true,
}
LUA
sb -t targets --all
check "the user cycle is listed" out_has "cycle-ext: Rebuild on extension changes"
check "the stock targets are still there" out_has "v3-cycle-fast"
sb cycle-ext CONFIG=ws1.yaml
check "the user cycle runs" rc_is 0
check "the user cycle rebuilt the stale image" out_has "] docker-build-dev-ubuntu@local-base"
rm sindri-build.lua

# doctor notices a Dockerfile.dev that does not start FROM the base.
sed 's/^FROM \${BASE_IMAGE}/FROM busybox:local/' v3/Dockerfile.dev >v3/Dockerfile.dev.new && mv v3/Dockerfile.dev.new v3/Dockerfile.dev
sb doctor CONFIG=ws1.yaml
check "doctor fails" rc_is 1
check "doctor names the Dockerfile.dev problem and the fix" out_has "FAIL Dockerfile.dev builds FROM the base: .*change that FROM"
check "doctor checks the engine" out_has "ok   Docker engine reachable"

sb destroy CONFIG=ws1.yaml </dev/null
check "destroy asks before the home volume goes" out_has "FORCE=1 or --yes"
check "and without an answer removes nothing" test "$(cid "$W1")" != none
sb destroy CONFIG=ws1.yaml FORCE=1
check "destroy removes the container" test "$(cid "$W1")" = none
check "destroy removes the home volume" sh -c "! '$DOCKER' volume inspect '${W1}_home' >/dev/null 2>&1"

finish
