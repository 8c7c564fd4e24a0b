# t0031: an image task under ninja, downstream of a plain task: a touched input reruns the plain task's edge, its key
# is unchanged, and the docker build does not run; a real change builds the image once.
. "$(dirname "$0")/../lib/lib.sh"
unset NINJA_STATUS SINDRI_STATUS
need_docker

need_ninja
runs_are() {
	got=$(sort runs.log 2>/dev/null | tr '\n' ' ' | sed 's/ $//')
	: >runs.log
	[ "$got" = "$1" ] || { echo "  expected runs '$1', got '$got'" >&2; return 1; }
}
created() {
	"$DOCKER" image inspect -f '{{.Id}} {{.Created}}' "$1" 2>/dev/null || echo none
}

P="sbninja-$$"
at_exit '"$DOCKER" image ls --format "{{.Repository}}:{{.Tag}}" | grep "^$P[-:]" | xargs -r "$DOCKER" rmi -f >/dev/null 2>&1'

mkdir -p ctx/src
echo one >ctx/src/a.txt
printf 'FROM busybox:local\nCOPY gen.txt /gen.txt\n' >ctx/Dockerfile
cat >sindri-build.lua <<LUA
task "gen" {
  inputs = { "ctx/src/" },
  outputs = { "ctx/gen.txt" },
  run = "echo gen >> runs.log; cat ctx/src/*.txt > ctx/gen.txt",
}
image "img" { deps = { "gen" }, context = "ctx", tags = { "$P-img:1" }, alias = { "v3-img" } }
task "smoke" { deps = { "img" }, run = "echo smoke >> runs.log" }
default "smoke"
LUA

sb -t ninja
check "-t ninja exits 0" rc_is 0
check "the image edge is in the console pool" sh -c "sed -n '/img.stamp:/,/^\$/p' build.ninja | grep -q 'pool = console'"
nj
check "first build exits 0" rc_is 0
check "first build runs the three edges" ran_is "gen img smoke"
check "and the tasks" runs_are "gen smoke"
check "the image carries its key" test "$("$DOCKER" image inspect -f '{{index .Config.Labels "org.sindri-build.key"}}' "$P-img:1")" = "$("$SB" -t key img)"
image1=$(created "$P-img:1")
nj
check "second run: no work to do" out_has "no work to do"

touch ctx/src/a.txt
nj
check "touch: the plain task's edge runs" ran_is "gen"
check "touch: its key is unchanged, the task does not run" runs_are ""
check "touch: the docker build does not run" test "$(created "$P-img:1")" = "$image1"
check "touch: restat prunes the image and what uses it" out_lacks "img"

touch ctx/Dockerfile
nj
check "a touched Dockerfile: the image edge runs" ran_is "img"
check "but the image is current: no build" test "$(created "$P-img:1")" = "$image1"
check "and nothing downstream runs" runs_are ""

echo 'not copied' >ctx/unrelated.txt
nj
check "a context file COPY does not read: the edge looks" ran_is "img"
check "and builds nothing" test "$(created "$P-img:1")" = "$image1"

echo two >>ctx/src/a.txt
nj
check "a real change runs all three edges" ran_is "gen img smoke"
check "and the tasks" runs_are "gen smoke"
check "the image was rebuilt" test "$(created "$P-img:1")" != "$image1"
check "with the new content" test "$("$DOCKER" run --rm "$P-img:1" cat /gen.txt | tail -n 1)" = two
nj
check "then no work to do" out_has "no work to do"
sb -n
check "sindri-build agrees" out_has "no work to do"

finish
