# t0054: keys you can trust from a shared registry, and the explanation across machines. A keyed image in the
# registry is pulled only when its config (read from the registry, before any pull) carries the key its tag names
# and its input manifest lists today's inputs; a poisoned tag (another image pushed under it) or an image without
# its input manifest is ignored with a warning and built here. -t explain --remote says whether the registry has
# today's key and what differs from the newest published build, and asks nothing in a dry run.
. "$(dirname "$0")/../lib/lib.sh"
need_docker
unset CI GITHUB_ACTIONS PUSH

P="sbtest-$$"
REG="$T_ROOT/reg"
PORT=$(free_port 28000)
sh "$T_TOP/tests/lib/registry-setup.sh" start "$REG" "$PORT" >/dev/null || { echo "$T_NAME: cannot start a registry"; echo "$T_NAME: 0 passed, 1 failed"; exit 1; }
at_exit 'sh "$T_TOP/tests/lib/registry-setup.sh" stop "$REG" >/dev/null 2>&1'
at_exit 'rmi_named "$P"'
CACHE="127.0.0.1:$PORT/$P/cache"
export REMOTE_CACHE="$CACHE"

mkdir -p base
printf 'FROM busybox:local\nARG NOTE=one\nRUN echo "$NOTE" > /note\n' >base/Dockerfile
cat >sindri-build.lua <<LUA
image "base" {
  context = "base",
  tags = { "$P-base:1" },
  build_args = { NOTE = var("NOTE", "one") },
  remote_cache = var("REMOTE_CACHE"),
}
default "base"
LUA
label() { "$DOCKER" image inspect -f '{{index .Config.Labels "org.sindri-build.key"}}' "$P-base:1"; }
built() { grep -q 'writing image\|Successfully built' "$T_OUT"; }

# A trusted build publishes the image and its input manifest.
sb PUSH=1
check "a trusted build pushes" rc_is 0
k1=$("$SB" -t key base)
check "the input manifest is published as a referrer of the image" \
	sh -c "curl -s http://127.0.0.1:$PORT/v2/$P/cache/tags/list | grep -q 'sha256-'"

# -t explain --remote: the registry has today's key, and the newest build has today's inputs.
sb -t explain --remote base
check "explain --remote: the registry has today's key" out_has "remote: '$CACHE' has today's key"
check "explain --remote: the newest published build has today's inputs" out_has "has today's inputs"
# ... and with another input: what differs, part by part.
sb -t explain --remote base NOTE=two
check "explain --remote: today's key is not there" out_has "does not have today's key"
check "explain --remote: names the build arg that differs" out_has "build-arg:NOTE"
check "explain --remote: with both values" out_has "one.*two"
sb -n --remote base NOTE=two
check "a dry run asks no registry" out_has "is not asked in a dry run"

# A poisoned tag: another image pushed under the key tag of NOTE=three. It is not pulled; the image is built here.
k3=$("$SB" -t key base NOTE=three)
printf 'FROM busybox:local\nRUN echo poison > /note\n' >Dockerfile.poison
DOCKER_BUILDKIT=1 "$DOCKER" build -q --label org.sindri-build.key=0123456789abcdef0123456789abcdef \
	-t "$CACHE:base-$k3" -f Dockerfile.poison base >/dev/null
"$DOCKER" push "$CACHE:base-$k3" >/dev/null 2>&1
"$DOCKER" rmi "$CACHE:base-$k3" >/dev/null
sb NOTE=three
check "a poisoned tag: the run succeeds" rc_is 0
check "a poisoned tag: a warning says the label is not the tag's key" out_has "carries the key 0123456789abcdef0123456789abcdef, not the $k3 its tag names: not used"
check "a poisoned tag: built here" built
check "a poisoned tag: the image is ours" sh -c "'$DOCKER' run --rm '$P-base:1' cat /note | grep -qx three"
check "a poisoned tag: under its own key" test "$(label)" = "$k3"

# The right label but no input manifest (pushed by hand, not by a sindri-build run): not used either.
k4=$("$SB" -t key base NOTE=four)
DOCKER_BUILDKIT=1 "$DOCKER" build -q --label org.sindri-build.key="$k4" -t "$CACHE:base-$k4" -f Dockerfile.poison base >/dev/null
"$DOCKER" push "$CACHE:base-$k4" >/dev/null 2>&1
"$DOCKER" rmi "$CACHE:base-$k4" >/dev/null
sb NOTE=four
check "no input manifest: a warning" out_has "has no input manifest"
check "no input manifest: built here" built
check "no input manifest: the image is ours" sh -c "'$DOCKER' run --rm '$P-base:1' cat /note | grep -qx four"

# The genuine one is still pulled on a machine without it.
"$DOCKER" rmi -f "$P-base:1" >/dev/null 2>&1
sb
check "a genuine key tag is pulled" out_has "pulled $CACHE:base-$k1 instead of building"
check "with no warning" out_lacks "warning"
check "and carries its key" test "$(label)" = "$k1"

finish
