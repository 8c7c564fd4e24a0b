# t0055: the many-runner story on two independent Docker engines sharing one registry with Basic auth. Runner A
# (engine 1, CI on the default branch) builds the base and the dev image and pushes their key tags; runner B (a
# second dockerd, empty, its own docker login, a pull request) runs the same target, pulls both and builds nothing;
# a fresh runner B with one extension file changed pulls the base and builds only the dev image; both print the same
# keys for the same tree, before anything is pulled and after.
. "$(dirname "$0")/../lib/lib.sh"
need_docker
unset CI GITHUB_ACTIONS GITHUB_EVENT_NAME GITHUB_REF GITHUB_EVENT_PATH GITLAB_CI PUSH REGISTRY_USER REGISTRY_PASSWORD \
	REGISTRY_TOKEN DOCKER_HOST DOCKER_TLS_VERIFY DOCKER_CERT_PATH

P="sbtest-$$"
E2="$T_ROOT/engine2"
need_engine2 "$E2"
REG="$T_ROOT/reg"
PORT=$(free_port 30000)
sh "$T_TOP/tests/lib/registry-setup.sh" start "$REG" "$PORT" ci "pw-$$" >/dev/null || { echo "$T_NAME: cannot start a registry"; echo "$T_NAME: 0 passed, 1 failed"; exit 1; }
at_exit 'sh "$T_TOP/tests/lib/registry-setup.sh" stop "$REG" >/dev/null 2>&1'
at_exit 'rmi_named "$P"'
HOSTPORT="127.0.0.1:$PORT"
CACHE="$HOSTPORT/$P/cache"
UPSTREAM="$HOSTPORT/$P/os:1"

# Each runner logs in to the registry its own way (docker/login-action writes the same config.json), and keeps
# a log of the docker commands sindri-build runs: the builds, pulls and pushes it chose.
for r in a b; do
	mkdir -p "cfg-$r"
	cat >"docker-$r" <<-EOF
		#!/bin/sh
		echo "\$1" >>"$T_ROOT/calls-$r"
		exec "$DOCKER" "\$@"
	EOF
	chmod +x "docker-$r"
done
runner_a() { env DOCKER_CONFIG="$T_ROOT/cfg-a" DOCKER="$T_ROOT/docker-a" "$@"; }
runner_b() { env DOCKER_HOST="$E2_HOST" DOCKER_CONFIG="$T_ROOT/cfg-b" DOCKER="$T_ROOT/docker-b" "$@"; }
echo "pw-$$" | runner_a "$DOCKER" login -u ci --password-stdin "$HOSTPORT" >/dev/null 2>&1
check "runner A logs in" test -s cfg-a/config.json
echo "pw-$$" | runner_b "$DOCKER" login -u ci --password-stdin "$HOSTPORT" >/dev/null 2>&1
check "runner B logs in through engine 2" test -s cfg-b/config.json
check "engine 2 starts empty" test -z "$(runner_b "$DOCKER" image ls -q)"

# Upstream publishes the OS image the base starts FROM (as Docker Hub publishes ubuntu:24.04).
"$DOCKER" tag busybox:local "$UPSTREAM" && runner_a "$DOCKER" push "$UPSTREAM" >/dev/null 2>&1
check "the upstream image is published" test "$(curl -s -o /dev/null -w '%{http_code}' -u "ci:pw-$$" "http://$HOSTPORT/v2/$P/os/manifests/1")" = 200

# The tree both runners check out: a base, and a dev image FROM it that copies the extensions.
. "$T_TOP/tests/lib/runners-tree.sh"
runners_tree a "$P" "$UPSTREAM" 'COPY note /note'
cp -R a b
cp -R a c
echo 'name: python, version: 3.13' >c/dev/ext/python.yaml
echo '{"repository":{"default_branch":"main","full_name":"pacphi/sindri"}}' >event.json
# ci CHECKOUT RUNNER VAR=VALUE... CMD: a CI job in that checkout on that runner, output in $T_OUT, exit code in $RC.
ci() {
	d=$1 runner=$2
	shift 2
	(cd "$d" && "$runner" env CI=true GITHUB_ACTIONS=true GITHUB_EVENT_PATH="$T_ROOT/event.json" REMOTE_CACHE="$CACHE" \
		"$@") >"$T_OUT" 2>&1
	RC=$?
}
keys() { (cd "$1" && shift && "$@" "$SB" -t key base dev 2>/dev/null | awk '{ printf "%s%s", sep, $1; sep = " " }'); }
label() {
	n=$1
	shift
	"$@" "$DOCKER" image inspect -f '{{index .Config.Labels "org.sindri-build.key"}}' "$P-$n:1" 2>/dev/null
}
calls() { [ -f "calls-$1" ] && sort "calls-$1" | uniq -c | awk '{ printf "%s%s:%s", sep, $2, $1; sep = " " }'; }
pulled() { grep -c "pulled $CACHE:.* instead of building" "$T_OUT"; }

# The keys agree before anything is pulled: engine 2 has nothing, and asks the registry (with B's login).
ka=$(keys a runner_a)
kb=$(keys b runner_b)
check "-t key: two keys" equal "$(echo "$ka" | wc -w)" 2
check "-t key on an empty runner B, before any pull, is runner A's" equal "$kb" "$ka"
set -- $ka
kbase=$1 kdev=$2

# Runner A: the default branch, a trusted build: builds both, pushes both key tags.
ci a runner_a GITHUB_EVENT_NAME=push GITHUB_REF=refs/heads/main "$SB" dev
check "runner A: succeeds" rc_is 0
check "runner A: ran both" ran_is "base dev"
check "runner A: built both, pushed both" equal "$(calls a)" "build:2 push:2"
tags=$(curl -s -u "ci:pw-$$" "http://$HOSTPORT/v2/$P/cache/tags/list")
check "runner A: the base's key tag is in the registry" sh -c "echo '$tags' | grep -q 'base-$kbase'"
check "runner A: the dev image's key tag is in the registry" sh -c "echo '$tags' | grep -q 'dev-$kdev'"

# Runner B: a pull request on an empty engine: pulls both, builds nothing, pushes nothing.
ci b runner_b GITHUB_EVENT_NAME=pull_request GITHUB_REF=refs/pull/1/merge "$SB" dev
check "runner B: succeeds" rc_is 0
check "runner B: both come from the registry" equal "$(pulled)" 2
check "runner B: the base pulled" out_has "image 'base': pulled $CACHE:base-$kbase instead of building"
check "runner B: the dev image pulled" out_has "image 'dev': pulled $CACHE:dev-$kdev instead of building"
check "runner B: no build, no push" equal "$(calls b)" "pull:2"
check "runner B: engine 2 has the dev image, with its key" equal "$(label dev runner_b)" "$kdev"
check "runner B: the same keys after the pull" equal "$(keys b runner_b)" "$ka"
: >calls-b
ci b runner_b GITHUB_EVENT_NAME=pull_request GITHUB_REF=refs/pull/1/merge "$SB" dev
check "runner B: the next run does nothing" ran_is ""
check "runner B: and runs no docker command" equal "$(calls b)" ""

# A fresh runner B (engine 2 emptied, a new checkout) whose pull request changes one extension file: the base is
# pulled, only the dev image is built.
runner_b "$DOCKER" image ls --format '{{.Repository}}:{{.Tag}}' | grep -v '<none>' | xargs -r env DOCKER_HOST="$E2_HOST" "$DOCKER" rmi -f >/dev/null 2>&1
runner_b "$DOCKER" image ls -q | xargs -r env DOCKER_HOST="$E2_HOST" "$DOCKER" rmi -f >/dev/null 2>&1
check "engine 2 is empty again" test -z "$(runner_b "$DOCKER" image ls -q)"
set -- $(keys c runner_b)
check "an extension changed: the base's key is the same" equal "$1" "$kbase"
check "an extension changed: the dev image's key differs" test "$2" != "$kdev"
kdev2=$2
: >calls-b
ci c runner_b GITHUB_EVENT_NAME=pull_request GITHUB_REF=refs/pull/2/merge "$SB" dev
check "runner B, extension changed: succeeds" rc_is 0
check "runner B, extension changed: the base pulled" out_has "image 'base': pulled $CACHE:base-$kbase instead of building"
check "runner B, extension changed: only that pull" equal "$(pulled)" 1
check "runner B, extension changed: the dev image built, nothing pushed" equal "$(calls b)" "build:1 pull:1"
check "runner B, extension changed: a pull request does not write the cache" out_has "not pushed to '$CACHE': a pull request"
check "runner B, extension changed: the dev image has the new key" equal "$(label dev runner_b)" "$kdev2"
check "runner B, extension changed: it holds the changed extension" sh -c "env DOCKER_HOST='$E2_HOST' '$DOCKER' run --rm '$P-dev:1' cat /ext/python.yaml | grep -q 3.13"
check "engine 1 still has runner A's dev image" equal "$(label dev)" "$kdev"

finish
