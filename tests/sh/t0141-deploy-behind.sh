# t0141: the deploy check asks the engine for the container and for the image the config names at once (the
# inspect is sent ahead while the container list is made), and a deployment changed behind sindri-build's back is
# still noticed by a cycle that is otherwise a no-op: a removed container is deployed again; a container of the
# same name that runs another image, labels and all, is replaced; a stopped one is started.
. "$(dirname "$0")/../lib/lib.sh"
need_docker
need_cargo

mini_sindri_ws
image_of() { "$DOCKER" inspect -f '{{.Image}}' "$W" 2>/dev/null; }
running() { test "$("$DOCKER" inspect -f '{{.State.Running}}' "$W" 2>/dev/null)" = true; }
noop() { grep -q "cycle-fast: nothing changed; deployment '$W' is current and left running" "$T_OUT"; }

sb cycle-fast CONFIG=ws.yaml
check "the first cycle deploys" running
sb cycle-fast CONFIG=ws.yaml
check "a no-op cycle leaves it" noop
c=$(cid "$W")
img=$(image_of)

# removed behind its back
"$DOCKER" rm -f "$W" >/dev/null
sb cycle-fast CONFIG=ws.yaml
check "a removed container: the cycle is not a no-op" sh -c "! grep -q 'nothing changed' '$T_OUT'"
check "... deploy says it does not exist" sh -c "grep -q '] deploy' '$T_OUT'"
check "... and deploys it again" running
check "... from its image" test "$(image_of)" = "$img"
sb cycle-fast CONFIG=ws.yaml
check "then a no-op again" noop

# replaced behind its back by a container of the same name, with sindri-build's labels, on another image
labels=$("$DOCKER" inspect -f '{{range $k, $v := .Config.Labels}}--label {{$k}}={{$v}} {{end}}' "$W")
"$DOCKER" rm -f "$W" >/dev/null
# shellcheck disable=SC2086 # the labels are words
"$DOCKER" run -d --name "$W" $labels busybox:local sleep 600 >/dev/null
check "the stand-in runs another image" test "$(image_of)" != "$img"
sb cycle-fast CONFIG=ws.yaml
check "a container on another image: the cycle is not a no-op" sh -c "! grep -q 'nothing changed' '$T_OUT'"
check "... it is replaced by one on the deployment's image" test "$(image_of)" = "$img"
check "... running" running
sb -n cycle-fast CONFIG=ws.yaml
check "then -n says nothing would change" sh -c "! grep -q 'deploy would run' '$T_OUT'"

# stopped behind its back: started, not replaced
c=$(cid "$W")
"$DOCKER" stop -t 1 "$W" >/dev/null
sb cycle-fast CONFIG=ws.yaml
check "a stopped container is started" running
check "... not replaced" test "$(cid "$W")" = "$c"
sb cycle-fast CONFIG=ws.yaml
check "then a no-op again" noop

finish
