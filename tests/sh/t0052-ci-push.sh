# t0052: who writes the shared cache, and a registry outage that never fails a CI job. Pushing is for trusted
# builds: CI=true on the default branch (GitHub Actions' GITHUB_REF and event, GitLab's CI_COMMIT_BRANCH), or
# PUSH=1; pull requests and other branches read the cache and say why they do not write it. A registry that is down
# (from the start, or only by the time of the push) gives a warning naming the real cause and exit 0, leaves no
# registry-prefixed tag, and is an error only under --strict-cache.
. "$(dirname "$0")/../lib/lib.sh"
need_docker
unset CI GITHUB_ACTIONS GITHUB_EVENT_NAME GITHUB_REF GITHUB_EVENT_PATH GITLAB_CI CI_COMMIT_BRANCH CI_DEFAULT_BRANCH PUSH

P="sbtest-$$"
REG="$T_ROOT/reg"
PORT=$(free_port 26000)
start_registry() { sh "$T_TOP/tests/lib/registry-setup.sh" start "$REG" "$PORT" >/dev/null; }
stop_registry() { sh "$T_TOP/tests/lib/registry-setup.sh" stop "$REG" >/dev/null 2>&1; }
start_registry || { echo "$T_NAME: cannot start a registry"; echo "$T_NAME: 0 passed, 1 failed"; exit 1; }
at_exit 'sh "$T_TOP/tests/lib/registry-setup.sh" stop "$REG" >/dev/null 2>&1'
at_exit 'rmi_named "$P"'
CACHE="127.0.0.1:$PORT/$P/cache"
export REMOTE_CACHE="$CACHE"

mkdir -p base
printf 'FROM busybox:local\nARG NOTE=one\nRUN echo "$NOTE" > /note\n' >base/Dockerfile
cat >sindri-build.lua <<'LUA'
image "base" {
  context = "base",
  tags = { os.getenv("P") .. "-base:1" },
  build_args = { NOTE = var("NOTE", "one") },
  remote_cache = var("REMOTE_CACHE"),
}
default "base"
LUA
export P
echo '{"repository":{"default_branch":"main","full_name":"pacphi/sindri"}}' >event.json
pushed() { curl -s "http://127.0.0.1:$PORT/v2/$P/cache/tags/list" | grep -q "base-$1"; }
stray() { "$DOCKER" image ls --format '{{.Repository}}' | grep -q "^127.0.0.1:$PORT/"; }
gh() { env CI=true GITHUB_ACTIONS=true GITHUB_EVENT_PATH="$T_ROOT/event.json" "$@"; }

# A pull request builds and reads the cache, but never writes it.
gh GITHUB_EVENT_NAME=pull_request GITHUB_REF=refs/pull/7/merge "$SB" NOTE=pr >"$T_OUT" 2>&1; RC=$?
kpr=$("$SB" -t key base NOTE=pr)
check "pull request: the build succeeds" rc_is 0
check "pull request: not pushed" sh -c "! curl -s http://127.0.0.1:$PORT/v2/$P/cache/tags/list | grep -q 'base-$kpr'"
check "pull request: says why" out_has "not pushed to '$CACHE': a pull request (GITHUB_EVENT_NAME=pull_request) reads the cache but never writes it"

# The default branch: a trusted build, pushed; the image the pull request built is pushed without a build.
gh GITHUB_EVENT_NAME=push GITHUB_REF=refs/heads/main "$SB" NOTE=pr >"$T_OUT" 2>&1; RC=$?
check "default branch: an image current here but not in the registry is pushed" pushed "$kpr"
check "default branch: without a build" out_lacks "writing image\|Successfully built"
check "default branch: no registry-prefixed tag left" sh -c "! '$DOCKER' image ls --format '{{.Repository}}' | grep -q '^127.0.0.1:$PORT/'"
gh GITHUB_EVENT_NAME=push GITHUB_REF=refs/heads/main PUSH=0 "$SB" NOTE=nopush >"$T_OUT" 2>&1; RC=$?
check "PUSH=0 on the default branch: not pushed" sh -c "! curl -s http://127.0.0.1:$PORT/v2/$P/cache/tags/list | grep -q 'base-$("$SB" -t key base NOTE=nopush)'"

# A push to another branch: not the default branch, not pushed.
gh GITHUB_EVENT_NAME=push GITHUB_REF=refs/heads/feature "$SB" NOTE=feature >"$T_OUT" 2>&1; RC=$?
check "another branch: not pushed, and says why" out_has "'refs/heads/feature' is not the default branch 'main'"

# GitLab CI, and a CI that cannot tell a trusted build.
env CI=true GITLAB_CI=true CI_COMMIT_BRANCH=main CI_DEFAULT_BRANCH=main "$SB" NOTE=gitlab >"$T_OUT" 2>&1; RC=$?
check "GitLab CI on the default branch: pushed" pushed "$("$SB" -t key base NOTE=gitlab)"
env CI=true "$SB" NOTE=otherci >"$T_OUT" 2>&1; RC=$?
check "an unknown CI: not pushed, and says PUSH=1 would" out_has "cannot be told from another; PUSH=1 pushes"

# The registry down from the start: a warning, a local build, no push attempt, exit 0, no stray tag.
stop_registry
gh GITHUB_EVENT_NAME=push GITHUB_REF=refs/heads/main "$SB" NOTE=down >"$T_OUT" 2>&1; RC=$?
check "registry down: exit 0" rc_is 0
check "registry down: the lookup warns with the real cause" out_has "cannot be used (cannot reach registry '127.0.0.1:$PORT': connection refused)"
check "registry down: built here" out_has "writing image\|Successfully built"
check "registry down: not pushed, says so" out_has "built, but not pushed to '$CACHE'"
check "registry down: nothing blames the login" out_lacks "docker login"
check "registry down: no registry-prefixed tag" sh -c "! '$DOCKER' image ls --format '{{.Repository}}' | grep -q '^127.0.0.1:$PORT/'"
gh GITHUB_EVENT_NAME=push GITHUB_REF=refs/heads/main "$SB" --strict-cache NOTE=down2 >"$T_OUT" 2>&1; RC=$?
check "registry down with --strict-cache: the job fails" rc_is 1

# The registry up for the lookup, down by the push (a docker client that stops it once its build is done).
start_registry
cat >docker-then-outage <<EOF
#!/bin/sh
"$DOCKER" "\$@"; rc=\$?
[ "\$1" = build ] && sh "$T_TOP/tests/lib/registry-setup.sh" stop "$REG" >/dev/null 2>&1
exit \$rc
EOF
chmod +x docker-then-outage
gh GITHUB_EVENT_NAME=push GITHUB_REF=refs/heads/main DOCKER="$T_ROOT/docker-then-outage" "$SB" NOTE=late >"$T_OUT" 2>&1; RC=$?
check "registry gone after the build: exit 0" rc_is 0
check "registry gone after the build: the lookup found it up" out_lacks "cannot be used"
check "registry gone after the build: a warning naming the real cause" out_has "built, but not pushed to '$CACHE' (cannot reach registry '127.0.0.1:$PORT': connection refused)"
check "registry gone after the build: nothing blames the login" out_lacks "docker login"
check "registry gone after the build: no registry-prefixed tag" sh -c "! '$DOCKER' image ls --format '{{.Repository}}' | grep -q '^127.0.0.1:$PORT/'"
check "the image itself is there and current" test "$("$DOCKER" image inspect -f '{{index .Config.Labels "org.sindri-build.key"}}' "$P-base:1")" = "$("$SB" -t key base NOTE=late)"
# The next trusted run with the registry back pushes what it built, without building.
start_registry
gh GITHUB_EVENT_NAME=push GITHUB_REF=refs/heads/main "$SB" NOTE=late >"$T_OUT" 2>&1; RC=$?
check "registry back: the image is pushed" pushed "$("$SB" -t key base NOTE=late)"
check "registry back: no build" out_lacks "writing image\|Successfully built"

finish
