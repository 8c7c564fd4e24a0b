# t0167: the stock Sindri recipes key a task the same wherever its key is computed: the dev image task's key is the
# same at the top level with or without CONFIG, in -t key and -t explain, and inside cycle-fast (what the cycle
# recorded, and the key label of the image its nested build made); so right after a cycle, explain of the image task
# gives the real reason it would run, not recipe-internal state, and a direct build of it is a no-op.
. "$(dirname "$0")/../lib/lib.sh"
need_docker
need_cargo

mini_sindri_ws
IMG=docker-build-dev-ubuntu
label() { "$DOCKER" image inspect -f '{{index .Config.Labels "org.sindri-build.key"}}' "$REPO:v3-ubuntu-dev" 2>/dev/null; }

sb cycle-fast CONFIG=ws.yaml
check "the cycle builds and deploys" rc_is 0
sb -t key "$IMG@local-base"
check "the image's key label is the key the top level computes" equal "$(label)" "$(cat "$T_OUT")"
sb -t key "$IMG"
k=$(cat "$T_OUT")
sb -t key "$IMG" CONFIG=ws.yaml
check "the dev task's key does not change with the deployment's config" equal "$(cat "$T_OUT")" "$k"
sb -t key deploy CONFIG=ws.yaml
d=$(cat "$T_OUT")
sed 's/^  name: .*/  name: other/' ws.yaml >other.yaml
sb -t key deploy CONFIG=other.yaml
check "... while deploy's does" test "$(cat "$T_OUT")" != "$d"

for t in "$IMG" cycle-fast; do
	sb -t explain "$t" CONFIG=ws.yaml
	check "explain $t after the cycle: the image task is up to date" out_lacks "^$IMG: would run"
done
sb -t explain "$IMG"
check "explain $IMG without CONFIG after the cycle: up to date" out_has "^$IMG: up to date"

# The tag gone, the dev task's check fails: explain (without CONFIG, which an image does not need) names that,
# not a key the cycle computed from other values.
"$DOCKER" rmi "$REPO:v3-ubuntu-dev" >/dev/null
sb -t explain "$IMG"
check "explain with the tag gone: would run" out_has "^$IMG: would run"
check "... saying why" out_has "no image '$REPO:v3-ubuntu-dev' in the Docker engine"
check "... not naming recipe-internal state" out_lacks "function: \(global\|upvalue\) '"
"$DOCKER" tag "$REPO:latest" "$REPO:v3-ubuntu-dev"

# What a cycle tells the tasks it builds (cycle-nuclear: deploy with -f, on the base it builds, after the removal)
# is scratch state, no part of their keys: the container it deploys is labelled with deploy's key at the top level.
sb -n cycle-nuclear CONFIG=ws.yaml
check "a dry run of cycle-nuclear labels the new container with deploy's key" \
	out_has "^/[a-z/]*docker run -d .*--label org.sindri-build.key=$d "

id=$(image_id "$REPO:v3-ubuntu-dev")
sb "$IMG"
check "a direct build of the image after a cycle: succeeds" rc_is 0
check "... is a no-op" out_has "no work to do"
check "... and builds nothing" ran_is ""
check "... the image is the one the cycle built" equal "$(image_id "$REPO:v3-ubuntu-dev")" "$id"


# The API's `unkeyed` table: what a recipe keeps there is read by its functions but keyed by none.
mkdir ../plain && cd ../plain || exit 1
cat >sindri-build.lua <<'LUA'
unkeyed.mode = var("MODE", "a")
local seen = { mode = var("MODE", "a") }
task "scratch" { run = function() return unkeyed.mode ~= nil end }
task "kept" { run = function() return seen.mode ~= nil end }
LUA
sb -t key scratch kept
check "unkeyed: a recipe can keep values there" rc_is 0
a=$(cat "$T_OUT")
sb -t key scratch kept MODE=b
check "unkeyed: a value kept there is in no key" equal "$(sed -n 1p "$T_OUT")" "$(echo "$a" | sed -n 1p)"
check "... while the same value in a table of the recipe's is" test "$(sed -n 2p "$T_OUT")" != "$(echo "$a" | sed -n 2p)"

finish
