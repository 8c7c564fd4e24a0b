# t0094: the legacy builder (DOCKER_BUILDKIT=0) keys a symlink in its COPY cache by the checksum of what it names in
# the context, and by its own path when that names nothing there: a dangling link retargeted to another missing name
# kept the cached layer, and the image the old link, under the new key. sindri-build builds such a context with
# --no-cache; a context whose links all name what it sends keeps the cache.
. "$(dirname "$0")/../lib/lib.sh"
need_docker
DOCKER_BUILDKIT=0
SINDRI_BUILD_SERVER=0
export DOCKER_BUILDKIT SINDRI_BUILD_SERVER
P="sblegacylink-$$"
at_exit '"$DOCKER" rmi -f "$P:img" >/dev/null 2>&1'

mkdir -p ctx/src
echo a >ctx/src/a
ln -s gone-1 ctx/src/l
printf 'FROM busybox:local\nCOPY src/ /out/src/\n' >ctx/Dockerfile
cat >sindri-build.lua <<LUA
image "img" { context = "ctx", tags = { "$P:img" } }
default "img"
LUA
target() {
	"$DOCKER" run --rm --network none "$P:img" readlink /out/src/l 2>&1
}

sb
check "a dangling link: built" rc_is 0
check "the image has the link" test "$(target)" = gone-1
ln -sfn gone-2 ctx/src/l
sb
check "the link retargeted: built again" ran_is img
check "the image has the new target, not the cached layer's" test "$(target)" = gone-2
ln -sfn a ctx/src/l
sb
check "a link to a file that is sent: built" ran_is img
check "the image has that link" test "$(target)" = a
echo 'LABEL t0094=1' >>ctx/Dockerfile
sb
check "then a Dockerfile edit after the COPY: its layer comes from the cache" out_has "Using cache"

finish
