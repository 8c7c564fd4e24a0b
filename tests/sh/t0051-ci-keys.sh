# t0051: -t key is the key the run will use. An external base image is keyed by its registry manifest digest,
# asked from the registry without pulling when the engine lacks it, and read from the image's RepoDigests after the
# pull, so -t key before and after agree; a moved tag upstream changes the key of a machine without the old image;
# an image made only here keeps its image ID (and no registry is asked for it); a dry run asks no registry.
. "$(dirname "$0")/../lib/lib.sh"
need_docker
unset CI

P="sbtest-$$"
REG="$T_ROOT/reg"
PORT=$(free_port 24000)
SB_REGISTRY_ACCESSLOG=1 sh "$T_TOP/tests/lib/registry-setup.sh" start "$REG" "$PORT" >/dev/null || { echo "$T_NAME: cannot start a registry"; echo "$T_NAME: 0 passed, 1 failed"; exit 1; }
at_exit 'sh "$T_TOP/tests/lib/registry-setup.sh" stop "$REG" >/dev/null 2>&1'
at_exit 'rmi_named "$P"'
EXT="127.0.0.1:$PORT/$P/ext:1"
asked() { grep -c '"HEAD /v2/\|"GET /v2/' "$REG/registry.log"; }

# Upstream publishes an image (as Docker Hub would publish rust:1.95-slim), from elsewhere: under the registry's
# other name, so that this engine's own copy of $EXT stays as it is.
UP="localhost:$PORT/$P/ext:1"
publish() {
	mkdir -p up
	printf 'FROM busybox:local\nRUN echo %s > /release\n' "$1" >up/Dockerfile
	DOCKER_BUILDKIT=1 "$DOCKER" build -q -t "$UP" up >/dev/null && "$DOCKER" push "$UP" >/dev/null 2>&1 &&
		"$DOCKER" rmi "$UP" >/dev/null
}
publish one
digest1=$(curl -s -o /dev/null -D - -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
	"http://127.0.0.1:$PORT/v2/$P/ext/manifests/1" | tr -d '\r' | sed -n 's/^Docker-Content-Digest: //Ip')

mkdir -p app
printf 'FROM %s\nRUN cat /release\n' "$EXT" >app/Dockerfile
cat >sindri-build.lua <<LUA
image "app" { context = "app", tags = { "$P-app:1" } }
default "app"
LUA

# A fresh runner: the base is not pulled yet.
n0=$(asked)
sb -n app
check "a dry run asks no registry" test "$(asked)" = "$n0"
sb -t key app
k1=$(cat "$T_OUT")
check "-t key before the pull: a key" grep -Eq '^[0-9a-f]{32}$' "$T_OUT"
check "-t key asked the registry for the base's manifest" test "$(asked)" -gt "$n0"
check "-t key pulled nothing" test "$(image_id "$EXT")" = none
n0=$(asked)
sb -t explain app
check "explain: would run" out_has "never built\|would run"
check "-t explain (without --remote) asks no registry either" test "$(asked)" = "$n0"
sb app
check "the build succeeds (pulling the base first)" rc_is 0
check "the build used the key -t key printed" test "$("$DOCKER" image inspect -f '{{index .Config.Labels "org.sindri-build.key"}}' "$P-app:1")" = "$k1"
sb -t key app
check "-t key after the pull: the same key" test "$(cat "$T_OUT")" = "$k1"
sb app
check "and the next run does nothing" ran_is ""
check "the base's RepoDigest is the digest the registry gave" sh -c "'$DOCKER' image inspect -f '{{json .RepoDigests}}' '$EXT' | grep -q '$digest1'"

# Upstream moves the tag. This machine keeps building on the base it has (as docker build does); a machine without
# it, as every fresh CI runner, gets the new one, and a new key.
publish two
n1=$(asked)
sb -t key app
check "with the old base here: the key it is built on" test "$(cat "$T_OUT")" = "$k1"
check "with the base here, -t key asks no registry" test "$(asked)" = "$n1"
"$DOCKER" rmi -f "$P-app:1" "$EXT" >/dev/null 2>&1
sb -t key app
k2=$(cat "$T_OUT")
check "a moved tag upstream changes the key of a machine without the old base" test "$k2" != "$k1"
sb app
check "which builds on the new base" sh -c "'$DOCKER' run --rm '$P-app:1' cat /release | grep -q two"
check "under the key -t key printed" test "$("$DOCKER" image inspect -f '{{index .Config.Labels "org.sindri-build.key"}}' "$P-app:1")" = "$k2"

# An image made only here (no registry knows it) keeps its image ID, and no registry is asked for it.
"$DOCKER" tag busybox:local "$P-localbase:1"
mkdir -p loc
printf 'FROM %s\nRUN echo local > /where\n' "$P-localbase:1" >loc/Dockerfile
cat >loc.lua <<LUA
image "loc" { context = "loc", tags = { "$P-loc:1" } }
LUA
n2=$(asked)
sb -f loc.lua -t key loc
kl=$(cat "$T_OUT")
check "a local-only base: -t key works, with no warning" grep -Eq '^[0-9a-f]{32}$' "$T_OUT"
sb -f loc.lua loc
check "a local-only base: built under that key" test "$("$DOCKER" image inspect -f '{{index .Config.Labels "org.sindri-build.key"}}' "$P-loc:1")" = "$kl"
check "a local-only base: no registry asked" test "$(asked)" = "$n2"
"$DOCKER" tag "$P-app:1" "$P-localbase:1"
sb -f loc.lua -t key loc
check "a local-only base retagged to another image: a new key (its image ID)" test "$(cat "$T_OUT")" != "$kl"

# The registry down and the base not here: -t key says its key is provisional.
"$DOCKER" rmi -f "$P-app:1" "$EXT" >/dev/null 2>&1
sh "$T_TOP/tests/lib/registry-setup.sh" stop "$REG" >/dev/null 2>&1
sb -t key app
check "registry down, base absent: -t key still prints a key" rc_is 0
check "registry down, base absent: it says the key is provisional" out_has "provisional until a run pulls it"

finish
