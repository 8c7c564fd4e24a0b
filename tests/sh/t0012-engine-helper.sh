# t0012: the engine helper (docker/enginesrv.h): once a run has reached the engine, later runs reach it
# through the helper without loading libcurl, see exactly what they would have seen directly, and no helper
# outlives its reason to run.
. "$(dirname "$0")/../lib/lib.sh"
need_docker

P="sbtest-$$"
at_exit '"$DOCKER" image ls --format "{{.Repository}}:{{.Tag}}" | grep "^$P[-:]" | xargs -r "$DOCKER" rmi -f >/dev/null 2>&1'
HDIR=$XDG_RUNTIME_DIR/sindri-build

mkdir app
echo v1 >app/f.txt
cat >app/Dockerfile <<'DF'
FROM busybox:local
COPY f.txt /f.txt
DF
cat >sindri-build.lua <<LUA
image "app" { context = "app", tags = { "$P-app:1" } }
default "app"
LUA

# helper_pid [SB]: the pid of the running helper for the engine in use, or nothing.
helper_pid() {
	"${1:-$SB}" -t server | sed -n 's/.*running, pid \([0-9]*\),.*/\1/p'
}

# wait_helper [SB]: wait up to 5 s for a helper to answer; its pid in $HPID.
wait_helper() {
	i=0
	HPID=$(helper_pid "$@")
	while [ -z "$HPID" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
		HPID=$(helper_pid "$@")
	done
	[ -n "$HPID" ]
}

# gone PID: the process ends within 5 s.
gone() {
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	! kill -0 "$1" 2>/dev/null
}

# curl_loaded ARGS: run sindri-build; succeed when it loaded libcurl (the output is in $T_OUT).
curl_loaded() {
	LD_DEBUG=libs "$SB" "$@" >"$T_OUT" 2>&1
	RC=$?
	grep -q 'calling init: .*libcurl' "$T_OUT"
}

sb -t server
check "no helper before any run" out_has "not running"

sb -n
check "a dry run starts no helper" test -z "$(helper_pid)"

sb
check "the first run builds" ran_is "app"
check "a run that reached the engine starts a helper" wait_helper
check "the helper's socket is private" test "$(stat -c %a "$HDIR")" = 700

check "a no-op through the helper does not load libcurl" eval '! curl_loaded'
check "... and is a no-op" out_has "no work to do"
check "... exit 0" rc_is 0

id1=$(image_id "$P-app:1")
"$DOCKER" rmi -f "$P-app:1" >/dev/null
sb
check "an image removed is seen through the helper and rebuilt" ran_is "app"
check "... and exists again" test "$(image_id "$P-app:1")" != none

echo v2 >app/f.txt
sb
check "an input edited rebuilds through the helper" ran_is "app"
check "... a new image" test "$(image_id "$P-app:1")" != "$id1"

("$SB" >o1 2>&1; echo $? >rc1) &
("$SB" >o2 2>&1; echo $? >rc2) &
wait
check "two runs at once through the helper both succeed" test "$(cat rc1 rc2)" = "0
0"
check "... both no-ops" grep -q "no work to do" o1 o2

# What a run asked ahead or kept is not used once the engine may have changed: here a task of the same run removes
# the image after its inspect was asked for (while the recipe loaded), and the image must still be rebuilt.
cat >rm.lua <<LUA
task "rm" { always = true, run = "$DOCKER rmi -f $P-app:1 >/dev/null" }
image "app" { context = "app", tags = { "$P-app:1" }, deps = { "rm" } }
default "app"
LUA
sb -f rm.lua
sb -f rm.lua
check "an image removed by an earlier task of the same run is rebuilt in that run" ran_is "app rm"
check "... and is there after it" test "$(image_id "$P-app:1")" != none
cat >rm2.lua <<LUA
task "probe" { always = true, run = function()
  assert(sb.run { "$DOCKER", "rmi", "-f", "$P-app:1" })
  local img = docker.inspect_image("$P-app:1")
  local f = assert(io.open("probe.out", "w")); f:write(img and "present" or "gone"); f:close()
  return true
end }
default "probe"
LUA
docker_img_before=$(image_id "$P-app:1")
sb -f rm2.lua
check "a Lua task that removes an image with sb.run then asks sees it gone" test "$(cat probe.out 2>/dev/null)" = gone
check "... (it was there before)" test "$docker_img_before" != none
sb
check "... and the next run rebuilds it" ran_is "app"

# A helper that dies in the middle of a request: a GET is made again by the run itself. GET /events with an end
# in the near future holds the request open long enough to kill the helper under it.
cat >events.lua <<'LUA'
task "ev" { always = true, run = function()
  local now = os.time()
  docker.get("/events?since=" .. now .. "&until=" .. (now + 3))
  local f = assert(io.open("ev.done", "w")); f:close()
  return true
end }
default "ev"
LUA
wait_helper
rm -f ev.done
"$SB" -f events.lua >ev.out 2>&1 &
ev_pid=$!
sleep 1
kill -9 "$HPID"
wait "$ev_pid"
ev_rc=$?
check "a run whose helper dies in mid-request finishes" test "$ev_rc" = 0 -a -e ev.done
check "... having made the GET itself, not reported the engine unreachable" sh -c '! grep -q "cannot reach\|helper stopped" ev.out'
check "... and a new helper is started" wait_helper

old_pid=$HPID
kill -9 "$HPID"
check "a killed helper ends" gone "$HPID"
sb
check "a run after the helper was killed still works" out_has "no work to do"
check "... and starts a new helper" wait_helper
check "... with a new pid" test "$HPID" != "$old_pid"

SINDRI_BUILD_SERVER=0 LD_DEBUG=libs "$SB" >"$T_OUT" 2>&1
check "SINDRI_BUILD_SERVER=0: the run loads libcurl itself" out_has "calling init: .*libcurl"
SINDRI_BUILD_SERVER=0 "$SB" -t server >"$T_OUT" 2>&1
check "SINDRI_BUILD_SERVER=0: -t server says it is off for runs" out_has "off for runs"
check "... and still shows the helper that runs" out_has "running, pid $HPID"
SINDRI_BUILD_SERVER=0 "$SB" -t server start >"$T_OUT" 2>&1
RC=$?
check "SINDRI_BUILD_SERVER=0: -t server start refuses (exit 2)" rc_is 2
check "... and says why" out_has "the engine helper is off (SINDRI_BUILD_SERVER=0)"
check "the helper does not hold the project directory" test "$(readlink "/proc/$HPID/cwd")" = /

sb -t server stop
check "-t server stop stops it" out_has "stopped"
check "... the process is gone" gone "$HPID"
check "... and its socket and lock file with it" test -z "$(ls "$HDIR")"

# a helper must hold nothing of the run that started it: here, the pipe to cat, which would never see its end
timeout 30 sh -c "\"$SB\" | cat >/dev/null"
check "the run that starts a helper does not hand it its output pipe" test $? = 0
check "... (a helper was started)" wait_helper
sb -t server stop

# the same words and exit status whether the helper or the run itself finds the engine unreachable
DOCKER_HOST=unix://$T_ROOT/none.sock "$SB" >direct.out 2>&1
rc_direct=$?
DOCKER_HOST=unix://$T_ROOT/none.sock "$SB" -t server start >"$T_OUT" 2>&1
check "a helper can be started by hand, even for an engine that is down" out_has "running, pid"
DOCKER_HOST=unix://$T_ROOT/none.sock "$SB" >helper.out 2>&1
rc_helper=$?
check "an unreachable engine: exit 3 directly" test "$rc_direct" = 3
check "an unreachable engine: exit 3 through the helper" test "$rc_helper" = 3
check "an unreachable engine: the same message through the helper" cmp -s direct.out helper.out
check "... which names the address" grep -q "cannot reach the Docker engine at 'unix://$T_ROOT/none.sock'" helper.out
DOCKER_HOST=unix://$T_ROOT/none.sock "$SB" -t server stop >/dev/null 2>&1

SINDRI_BUILD_SERVER_IDLE=1 "$SB" -t server start >/dev/null 2>&1
check "an idle helper..." wait_helper
check "... ends after SINDRI_BUILD_SERVER_IDLE seconds" gone "$HPID"

"$SB" -t server start >/dev/null 2>&1
wait_helper
rm -rf "$HDIR"
check "a helper ends when its socket is removed" gone "$HPID"

cp "$SB" ./sb-copy
./sb-copy >/dev/null 2>&1
check "a copy of the binary gets a helper of its own" wait_helper ./sb-copy
copy_pid=$HPID
check "... not the one of the original" test "$copy_pid" != "$(helper_pid)"
cp ./sb-copy ./sb-copy.new && echo >>./sb-copy.new && mv ./sb-copy.new ./sb-copy
check "a helper ends when its binary is replaced" gone "$copy_pid"

mkdir -p "$HDIR" && chmod 777 "$HDIR"
check "a runtime dir others can write to is not used" curl_loaded
sb
check "... and no helper is started in it" test -z "$(ls "$HDIR")"

"$SB" -t server stop >/dev/null 2>&1
finish
