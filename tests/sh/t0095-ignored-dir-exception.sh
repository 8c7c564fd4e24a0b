# t0095: a directory that .dockerignore excludes, with an exception that names a path below it. BuildKit of Docker
# 20.10 walks into that directory for the exception and sends the directory itself, empty when the exception
# matches nothing, so `COPY src/ /out/src/` makes it; adding such an exception line must change the image's key,
# and sindri-build's image must list what a plain `docker build` of the same context lists. Docker 23's BuildKit
# and the legacy builder's tar (checked last) send it only as the parent of something kept.
. "$(dirname "$0")/../lib/lib.sh"
need_docker
DOCKER_BUILDKIT=1
SINDRI_BUILD_SERVER=0
export DOCKER_BUILDKIT SINDRI_BUILD_SERVER
P="sbigndir-$$"
at_exit '"$DOCKER" rmi -f "$P:img" "$P:truth" >/dev/null 2>&1'

mkdir -p ctx/src/d1/d2/e ctx/src/d1/d3
echo a >ctx/src/a
echo x >ctx/src/d1/d2/x.txt
echo g >ctx/src/d1/d2/e/g.txt
echo y >ctx/src/d1/d3/y.txt
printf 'src/d1/d2\n' >ctx/.dockerignore
printf 'FROM busybox:local\nCOPY src/ /out/src/\n' >ctx/Dockerfile
cat >sindri-build.lua <<LUA
image "img" { context = "ctx", tags = { "$P:img" } }
default "img"
LUA
# listing REF: every path below /out in the image, one a line, sorted.
listing() {
	"$DOCKER" run --rm --network none "$1" find /out | LC_ALL=C sort
}
# same_as_docker WHAT: sindri-build builds the image, then a plain docker build of the same context must list the
# same paths below /out.
same_as_docker() {
	sb
	check "$1: built" rc_is 0
	"$DOCKER" build -q -t "$P:truth" ctx >"$T_OUT" 2>&1
	check "$1: docker build builds it" test $? -eq 0
	want=$(listing "$P:truth")
	check "$1: the image lists what docker build's lists" equal "$(listing "$P:img")" "$want"
}
key() {
	"$SB" -t key img 2>&1
}

same_as_docker "the directory excluded"
key0=$(key)
printf '!src/d1/d2/k1.txt\n' >>ctx/.dockerignore
check "an exception below the excluded directory changes the key" test "$(key)" != "$key0"
same_as_docker "an exception for a file that does not exist"
check "the excluded directory is sent, empty" equal "$(listing "$P:img" | grep d2)" /out/src/d1/d2
key1=$(key)
printf 'src/d1/d2\n!src/d1/d2/e/f.txt\n' >ctx/.dockerignore
check "an exception two levels below: another key" test "$(key)" != "$key1"
same_as_docker "an exception two levels below"
check "both directories on its way are sent" equal "$(listing "$P:img" | grep d2 | tr '\n' ' ')" \
	"/out/src/d1/d2 /out/src/d1/d2/e "
printf 'src/d1/d2\n!src/d1/*/k1.txt\n' >ctx/.dockerignore
same_as_docker "an exception with a wildcard"
check "a wildcard exception sends no directory" equal "$(listing "$P:img" | grep -c d2)" 0
printf '!src/d1/d2/k1.txt\nsrc/d1/d2\n' >ctx/.dockerignore
same_as_docker "the exception first"
check "the exception first: the excluded directory is sent" equal "$(listing "$P:img" | grep d2)" /out/src/d1/d2
printf 'src/d1\n!src/d1/d2/k1.txt\n' >ctx/.dockerignore
same_as_docker "the parent excluded"
DOCKER_BUILDKIT=0
same_as_docker "the legacy builder"
check "the legacy builder gets no empty directory" equal "$(listing "$P:img" | grep -c d1)" 0

finish
