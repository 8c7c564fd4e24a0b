# t0162: DOCKER_DEFAULT_PLATFORM, which the docker client reads to choose the platform of a build that names none,
# is part of an image task's key: an image built for one platform is not current when another is asked for, and
# the tag then holds an image of the platform asked for. An image that names its platform is keyed by that alone.
. "$(dirname "$0")/../lib/lib.sh"
need_docker

P="sbtest-t0162-$$"
at_exit 'rmi_named "$P"'

# this engine's platform, and another one a build with no RUN step can make without an emulator
native=$("$DOCKER" version -f '{{.Server.Arch}}')
other=arm64
[ "$native" = arm64 ] && other=amd64

echo hi >f.txt
printf 'FROM scratch\nCOPY f.txt /f.txt\n' >Dockerfile
cat >sindri-build.lua <<LUA
image "img" { tags = { "$P:a" } }
image "pinned" { tags = { "$P:p" }, platform = "linux/$native" }
LUA
arch() { "$DOCKER" image inspect -f '{{.Architecture}}' "$1" 2>&1; }
unset DOCKER_DEFAULT_PLATFORM

sb img pinned
check "the images are built" ran_is "img pinned"
check "... for this machine's platform" equal "$(arch "$P:a")" "$native"
key=$("$SB" -t key img)
DOCKER_DEFAULT_PLATFORM=linux/$other sb -t explain img
check "explain: another default platform would build again" out_has "DOCKER_DEFAULT_PLATFORM"
DOCKER_DEFAULT_PLATFORM=linux/$other sb img pinned
check "another default platform builds the image again" ran_is "img"
check "... for that platform" equal "$(arch "$P:a")" "$other"
check "... and the image that names its platform is current" equal "$(arch "$P:p")" "$native"
DOCKER_DEFAULT_PLATFORM=linux/$other sb img
check "... then it is up to date" out_has "no work to do"
DOCKER_DEFAULT_PLATFORM= sb img
check "an empty one is none: built again for this machine's platform" ran_is "img"
check "... under the key it had" equal "$("$SB" -t key img)" "$key"
check "... for this machine's platform" equal "$(arch "$P:a")" "$native"
finish
