# t0154: an image whose tag was given to another image that inherited the key label (a docker commit of a container
# made from it, an image built FROM it) is not taken for the one the recorded run built: the task builds again. A
# no-cache twin's rebuild of the same key under the same tags (the image the other task would build) is still current.
# An image found current by its label without a record of it (no state) is recorded then, and told from a later
# commit to its tag the same way.
# The state directory is never in a build context: a COPY . of the project root neither copies it (it holds the secret
# key) nor finds the image out of date after each run, which changes it.
. "$(dirname "$0")/../lib/lib.sh"
need_docker

P="sbtest-t0154-$$"
at_exit 'rmi_named "$P"'
at_exit '"$DOCKER" rm -f "$P-c" >/dev/null 2>&1'

echo built >f.txt
printf 'FROM busybox:local\nCOPY f.txt /f.txt\n' >Dockerfile
cat >sindri-build.lua <<LUA
image "img" { tags = { "$P:a", "$P:b" } }
image "img-nocache" { tags = { "$P:a", "$P:b" }, no_cache = true }
LUA
content() { "$DOCKER" run --rm "$P:a" cat /f.txt 2>&1; }

sb img
check "the image is built" ran_is "img"
sb img
check "... and then up to date" out_has "no work to do"

# a docker commit to the tag: the key label comes along, the content is another
"$DOCKER" run --name "$P-c" "$P:a" sh -c 'echo committed >/f.txt' >/dev/null 2>&1
"$DOCKER" commit "$P-c" "$P:a" >/dev/null 2>&1
"$DOCKER" rm -f "$P-c" >/dev/null 2>&1
check "the commit kept the key label" test "$("$DOCKER" image inspect -f '{{index .Config.Labels "org.sindri-build.key"}}' "$P:a")" = "$("$SB" -t key img)"
sb -t explain img
check "explain: a committed image under the tag would be built again" out_has "its results were replaced"
sb img
check "a committed image under the tag is built again" ran_is "img"
check "... and the tag holds the built content" equal "$(content)" built
sb img
check "... then it is up to date" out_has "no work to do"

# an image built FROM it, under the same tag: the label is inherited too
printf 'FROM %s:a\nRUN echo derived >/f.txt\n' "$P" | DOCKER_BUILDKIT=1 "$DOCKER" build -q -t "$P:a" - >/dev/null 2>&1
check "the derived image is under the tag" equal "$(content)" derived
sb img
check "an image built FROM it under the same tag is built again" ran_is "img"
check "... and the tag holds the built content" equal "$(content)" built

# a no-cache twin of the same key rebuilds the same content under the same tags: the other task is current
sb img-nocache
check "the no-cache twin builds" ran_is "img-nocache"
sb img
check "... and the task of the same key is up to date" out_has "no work to do"

# no state (deleted, or a fresh checkout): the image is current by its key label alone, and the run records what it
# keeps then, so that a commit to the tag after it is told from the image the label was found on
rm -rf .sindri-build
sb -n img
check "a dry run without a state: current by its label" out_has "no work to do"
check "... and it records nothing" test ! -e .sindri-build/tasks
sb img
check "a run without a state: current by its label" out_has "no work to do"
check "... its results are recorded (not as a run)" sh -c "'$SB' -t stats | grep -q '^img  *0 '"
"$DOCKER" run --name "$P-c" "$P:a" sh -c 'echo committed again >/f.txt' >/dev/null 2>&1
"$DOCKER" commit "$P-c" "$P:a" >/dev/null 2>&1
"$DOCKER" rm -f "$P-c" >/dev/null 2>&1
sb img
check "a commit to the tag after that is built again" ran_is "img"
check "... and the tag holds the built content" equal "$(content)" built
sb img
check "... then it is up to date" out_has "no work to do"

# the project root as the context, copied whole, with a secret (so the state directory holds the secret key); a
# project of its own, away from this test's runtime directory (the watcher's files)
mkdir whole
cd whole || exit 1
echo whole >f.txt
printf 'FROM busybox:local\nCOPY . /app\n' >Dockerfile
echo "image \"all\" { tags = { \"$P:all\" }, secrets = { \"T0154_TOKEN\" } }" >sindri-build.lua
T0154_TOKEN=x
export T0154_TOKEN
sb all
check "the image of the whole project is built" ran_is "all"
check "... the state directory holds the secret key" test -s .sindri-build/secret-key
"$DOCKER" run --rm "$P:all" ls -a /app >"$T_OUT" 2>&1
check "... the image has the project's files" out_has "^f.txt$"
check "... and not the state directory" out_lacks "sindri-build$"
sb all
check "... and is up to date after the run that built it" out_has "no work to do"

finish
