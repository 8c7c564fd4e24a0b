# t0050: an OCI registry as the shared cache of hash-keyed base images: build and push on one machine, pull instead
# of building on a fresh one, warn and build locally when the registry is down, a clear error on bad credentials,
# and the tar backend for CI caches that persist directories.
. "$(dirname "$0")/../lib/lib.sh"
need_docker
unset CI # CI=true makes image tasks push; this test says when to push

P="sbtest-$$"
REG="$T_ROOT/reg"
PORT=$(free_port 20000)
sh "$T_TOP/tests/lib/registry-setup.sh" start "$REG" "$PORT" >/dev/null || { echo "$T_NAME: cannot start a registry"; echo "$T_NAME: 0 passed, 1 failed"; exit 1; }
at_exit 'sh "$T_TOP/tests/lib/registry-setup.sh" stop "$REG" >/dev/null 2>&1'
at_exit 'rmi_named "$P"'
CACHE="127.0.0.1:$PORT/$P/cache"

mkdir -p base
cat >base/Dockerfile <<'DF'
FROM busybox:local
ARG NOTE=one
RUN echo "$NOTE" > /note
DF
cat >sindri-build.lua <<LUA
image "base" {
  context = "base",
  tags = { "$P-base:1" },
  build_args = { NOTE = var("NOTE", "one") },
  remote_cache = var("REMOTE_CACHE"),
}
default "base"
LUA

# Machine A builds and pushes.
sb REMOTE_CACHE="$CACHE" PUSH=1
check "machine A builds" rc_is 0
check "machine A ran docker build" out_has "writing image\|Successfully built"
key=$("$SB" -t key base)
check "the key tag is in the registry" sh -c "curl -s http://127.0.0.1:$PORT/v2/$P/cache/tags/list | grep -q 'base-$key'"
sb REMOTE_CACHE="$CACHE" PUSH=1
check "machine A: a second run does nothing" ran_is ""

# registry_manifest: a recipe asks whether a registry has an image, without pulling it.
cat >ask.lua <<'LUA'
task "ask" { always = true, run = function()
  for _, ref in ipairs { var("HAVE"), var("MISSING") } do
    local has, digest, why = registry_manifest(ref)
    print(ref .. " -> " .. tostring(has) .. " " .. tostring(digest) .. " " .. tostring(why))
  end
end }
LUA
"$DOCKER" rmi -f "$CACHE:base-$key" >/dev/null 2>&1
sb -f ask.lua ask HAVE="$CACHE:base-$key" MISSING="$CACHE:no-such-tag"
check "registry_manifest: an image the registry has, with its digest" out_has "$CACHE:base-$key -> true sha256:[0-9a-f]\{64\} nil"
check "registry_manifest: one it does not have" out_has "$CACHE:no-such-tag -> false nil nil"
check "registry_manifest pulled nothing" test "$(image_id "$CACHE:base-$key")" = none

# A fresh machine: no state, no local image, no build cache of it.
rm -rf .sindri-build
"$DOCKER" rmi -f "$P-base:1" "$CACHE:base-$key" >/dev/null 2>&1
sb REMOTE_CACHE="$CACHE"
check "the fresh machine succeeds" rc_is 0
check "the base is pulled, not built" out_has "pulled $CACHE:base-$key instead of building"
check "no docker build ran" out_lacks "writing image\|Successfully built"
check "the image carries the key" test "$("$DOCKER" image inspect -f '{{index .Config.Labels "org.sindri-build.key"}}' "$P-base:1")" = "$key"
sb REMOTE_CACHE="$CACHE"
check "and is then current" ran_is ""

# An input change builds and pushes a new tag.
sb NOTE=two REMOTE_CACHE="$CACHE" PUSH=1
key2=$("$SB" -t key base NOTE=two)
check "an input change builds" out_has "writing image\|Successfully built"
check "and pushes a new key tag" sh -c "curl -s http://127.0.0.1:$PORT/v2/$P/cache/tags/list | grep -q 'base-$key2'"
check "the two keys differ" test "$key" != "$key2"

# The registry down: a warning, then a local build; --strict-cache makes it an error.
sh "$T_TOP/tests/lib/registry-setup.sh" stop "$REG" >/dev/null 2>&1
"$DOCKER" rmi -f "$P-base:1" >/dev/null 2>&1
sb NOTE=three REMOTE_CACHE="$CACHE"
check "registry down: the build still succeeds" rc_is 0
check "registry down: a warning names the cache" out_has "remote cache '$CACHE' cannot be used"
check "registry down: built locally" out_has "writing image\|Successfully built"
sb --strict-cache NOTE=four REMOTE_CACHE="$CACHE"
check "registry down with --strict-cache: the task fails" rc_is 1
check "registry down with --strict-cache: says so" out_has "strict-cache"
sb -f ask.lua ask HAVE="$CACHE:base-$key" MISSING="$CACHE:no-such-tag"
check "registry_manifest with the registry down: nil, why, and 'unavailable'" out_has "$CACHE:base-$key -> nil .* unavailable"

# A registry with Basic auth: wrong credentials give the clear error, right ones work.
AREG="$T_ROOT/areg"
APORT=$(free_port 23000)
sh "$T_TOP/tests/lib/registry-setup.sh" start "$AREG" "$APORT" sbuser sbpass >/dev/null || { echo "cannot start the auth registry"; }
at_exit 'sh "$T_TOP/tests/lib/registry-setup.sh" stop "$AREG" >/dev/null 2>&1'
ACACHE="127.0.0.1:$APORT/$P/cache"
"$DOCKER" rmi -f "$P-base:1" >/dev/null 2>&1
REGISTRY_USER=sbuser REGISTRY_PASSWORD=wrong sb --strict-cache NOTE=five REMOTE_CACHE="$ACACHE"
check "wrong credentials: the task fails under --strict-cache" rc_is 1
check "wrong credentials: the error names the registry" out_has "127.0.0.1:$APORT"
check "wrong credentials: the password is never printed" out_lacks "wrong"
REGISTRY_USER=sbuser REGISTRY_PASSWORD=sbpass sb NOTE=five REMOTE_CACHE="$ACACHE"
check "right credentials: the lookup works (a build, nothing there yet)" rc_is 0
check "right credentials: no warning" out_lacks "cannot be used"

# The tar backend: docker save after a build, docker load instead of the next build.
TARS="$T_ROOT/tars"
"$DOCKER" rmi -f "$P-base:1" >/dev/null 2>&1
rm -rf .sindri-build
sb NOTE=six CACHE_DIR="$TARS"
key6=$("$SB" -t key base NOTE=six)
check "the tar backend saves the built image" test -s "$TARS/base-$key6.tar"
"$DOCKER" rmi -f "$P-base:1" >/dev/null 2>&1
rm -rf .sindri-build
sb NOTE=six CACHE_DIR="$TARS"
check "the tar backend loads instead of building" out_has "loaded $TARS/base-$key6.tar instead of building"
check "the loaded image carries the key" test "$("$DOCKER" image inspect -f '{{index .Config.Labels "org.sindri-build.key"}}' "$P-base:1")" = "$key6"

sb -t key base
check "-t key prints the key for CI cache keys" grep -Eq '^[0-9a-f]{32}$' "$T_OUT"

finish
