# t0142: what a run asked the engine ahead before anything it did could change the engine (an image task's
# inspects) is kept in .sindri-build/ahead, and the next run sends it with the version ping, before its recipe
# loads. Such an answer stands only for the same request in the same stretch: an image removed by a command the
# recipe runs while it loads, after the answer came, is still rebuilt. A no-op and the read-only commands write no
# list; a damaged or foreign list changes no decision.
. "$(dirname "$0")/../lib/lib.sh"
need_docker

P="sbtest-$$"
at_exit '"$DOCKER" image ls --format "{{.Repository}}:{{.Tag}}" | grep "^$P[-:]" | xargs -r "$DOCKER" rmi -f >/dev/null 2>&1'

mkdir app
echo v1 >app/f.txt
printf 'FROM busybox:local\nCOPY f.txt /f.txt\n' >app/Dockerfile
cat >sindri-build.lua <<LUA
if var("RMI") then sb.run { os.getenv("DOCKER") or "docker", "rmi", "-f", "$P-app:1" } end
image "app" { context = "app", tags = { "$P-app:1" } }
default "app"
LUA

built() { grep -q '] app' "$T_OUT"; }
sb -q
check "the first build" rc_is 0
"$SB" -t server start >/dev/null 2>&1
i=0
while ! "$SB" -t server | grep -q running && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
sb
check "a no-op through the helper" out_has "no work to do"
check "the list names the image task's inspects" sh -c "grep -q '^/v[0-9.]*/images/$P-app:1/json\$' .sindri-build/ahead && grep -q '^/v[0-9.]*/images/busybox:local/json\$' .sindri-build/ahead"
before=$(ls -l --time-style=full-iso .sindri-build/ahead)
sb
check "a no-op with the same list" out_has "no work to do"
check "... writes none" test "$(ls -l --time-style=full-iso .sindri-build/ahead)" = "$before"

# removed behind its back: the answer asked at the start of the run says so
"$DOCKER" rmi -f "$P-app:1" >/dev/null
sb
check "an image removed between runs is rebuilt" built
# removed by the recipe while it loads, after the early answer came: the answer is not used
sb RMI=1
check "the recipe's rmi ran" rc_is 0
check "an image removed by a command the recipe ran is rebuilt, though asked for before" built
check "... and is there" sh -c "'$DOCKER' image inspect '$P-app:1' >/dev/null 2>&1"

# a damaged list, then a foreign one (another image's inspect, a path that is no inspect): decisions as without
printf 'garbage\n\001\n' >.sindri-build/ahead
sb
check "a damaged list: a no-op" out_has "no work to do"
printf 'sindri-build ahead 1\n/v1.41/images/busybox:local/json\n/v1.41/containers/json\n/_ping\nno path\n' >.sindri-build/ahead
"$DOCKER" rmi -f "$P-app:1" >/dev/null
sb
check "a foreign list: the removed image is rebuilt" built
sb
check "... then a no-op" out_has "no work to do"

# read-only commands write no list
rm -f .sindri-build/ahead
sb -n
check "-n: nothing would run" rc_is 0
sb -t explain
check "-t explain runs" rc_is 0
check "neither wrote a list" test ! -e .sindri-build/ahead
sb
check "a build writes it again" test -s .sindri-build/ahead
"$SB" -t server stop >/dev/null 2>&1

finish
