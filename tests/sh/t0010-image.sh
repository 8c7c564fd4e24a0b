# t0010: image tasks against the real Docker engine: docker build runs only when what it reads changed.
. "$(dirname "$0")/../lib/lib.sh"
need_docker

P="sbtest-$$"
at_exit '"$DOCKER" image ls --format "{{.Repository}}:{{.Tag}}" | grep "^$P[-:]" | xargs -r "$DOCKER" rmi -f >/dev/null 2>&1'

mkdir -p app/src app/docs base
echo 'v1' >app/src/main.txt
echo 'docs' >app/docs/readme.txt
echo 'ignored v1' >app/src/scratch.log
echo 'not copied' >app/unrelated.txt
printf '*.md\n**/*.log\n' >app/.dockerignore
cat >base/Dockerfile <<'DF'
FROM busybox:local
ARG BASE_NOTE=plain
RUN echo "base $BASE_NOTE" > /base.txt
DF
cat >app/Dockerfile <<'DF'
ARG BASE=sbtest-base
FROM ${BASE}
ARG GREETING=hello
COPY src/ /app/src/
RUN echo "$GREETING" > /app/greeting.txt
DF
cat >sindri-build.lua <<LUA
image "base" {
  context = "base",
  tags = { "$P-base:1", "$P-base:latest" },
  build_args = { BASE_NOTE = var("BASE_NOTE", "plain") },
  no_cache = var("BASE_NOCACHE") == "1",
}
image "app" {
  deps = { "base" },
  context = "app",
  tags = { "$P-app:latest" },
  build_args = { BASE = "$P-base:latest", GREETING = var("GREETING", "hello"), UNUSED = "x" },
}
default "app"
LUA

sb
check "first run builds both images" ran_is "app base"
check "first run succeeds" rc_is 0
id1=$(image_id "$P-app:latest")
created1=$("$DOCKER" image inspect -f '{{.Created}}' "$P-app:latest" 2>/dev/null)
check "the image carries its key as a label" test "$("$DOCKER" image inspect -f '{{index .Config.Labels "org.sindri-build.key"}}' "$P-app:latest")" = "$("$SB" -t key app)"

sb
check "second run builds nothing" ran_is ""
check "image ID unchanged" test "$(image_id "$P-app:latest")" = "$id1"
check "creation time unchanged" test "$("$DOCKER" image inspect -f '{{.Created}}' "$P-app:latest")" = "$created1"

touch app/src/main.txt app/Dockerfile
sb
check "touch rebuilds nothing" ran_is ""

echo 'changed' >app/unrelated.txt
sb
check "a context file no COPY reads does not rebuild" ran_is ""

echo 'ignored v2' >app/src/scratch.log
sb
check "a .dockerignored file does not rebuild" ran_is ""

echo 'v2' >app/src/main.txt
sb -t explain app
check "explain names the changed COPY'd file" out_has "ctx:src/main.txt modified"
sb
check "a COPY'd file edited rebuilds the image" ran_is "app"
check "the rebuilt image has the new content" test "$("$DOCKER" run --rm "$P-app:latest" cat /app/src/main.txt)" = v2

sb -d explain GREETING=hi
check "a build arg change rebuilds" ran_is "app"
check "explain names the build arg" out_has "build-arg:GREETING changed: 'hello' -> 'hi'"
sb GREETING=hi
check "same build arg: nothing" ran_is ""

sed 's/RUN echo "\$GREETING"/RUN echo "say $GREETING"/' app/Dockerfile >app/Dockerfile.new && mv app/Dockerfile.new app/Dockerfile
sb -t explain GREETING=hi app
check "explain names the Dockerfile line" out_has "app/Dockerfile line 5 changed"
sb GREETING=hi
check "a Dockerfile edit rebuilds" ran_is "app"

rm -rf .sindri-build
sb GREETING=hi
check "without our state, a current image is not rebuilt (the engine is the record)" ran_is ""

"$DOCKER" rmi "$P-app:latest" >/dev/null
sb -d explain GREETING=hi
check "docker rmi rebuilds" ran_is "app"
check "explain says the image is gone" out_has "no image '$P-app:latest' in the Docker engine"

"$DOCKER" rmi "$P-base:latest" >/dev/null
sb GREETING=hi
check "a missing secondary tag is put back without a build" ran_is ""
check "the tag is back" test "$(image_id "$P-base:1")" = "$(image_id "$P-base:latest")"

id_app=$(image_id "$P-app:latest")
sb -d explain BASE_NOCACHE=1 GREETING=hi
check "a no_cache base always builds" ran_is "base"
check "a base rebuilt with the same inputs does not rebuild its dependent" test "$(image_id "$P-app:latest")" = "$id_app"

sb -d explain BASE_NOTE=fancy GREETING=hi
check "a base with new inputs rebuilds its dependent" ran_is "app base"
check "explain says the dependency changed" out_has "dependency 'base' has a new key"

# A dry run of an image that would be built: said, nothing built, and no failure for the image it did not build.
echo 'v3' >app/src/main.txt
id_before=$(image_id "$P-app:latest")
sb -n BASE_NOTE=fancy GREETING=hi
check "-n with an image to build succeeds" rc_is 0
check "-n names it" ran_is "app"
check "-n built nothing" test "$(image_id "$P-app:latest")" = "$id_before"

# Two tasks of one image (a no-cache twin, as a clean cycle has): the image one builds with the key the other
# computes is current for the other too, though the other's record is of an older key.
cat >>sindri-build.lua <<LUA
image "app-nocache" {
  deps = { "base" },
  context = "app",
  tags = { "$P-app:latest" },
  build_args = { BASE = "$P-base:latest", GREETING = var("GREETING", "hello"), UNUSED = "x" },
  no_cache = true,
}
LUA
sb app-nocache BASE_NOTE=fancy GREETING=hi
check "the no-cache twin builds the edited image" ran_is "app-nocache"
sb -d explain app BASE_NOTE=fancy GREETING=hi
check "the twin's image is current for the other task: no second build" ran_is ""
check "it has the new content" test "$("$DOCKER" run --rm "$P-app:latest" cat /app/src/main.txt)" = v3

# An external base contributes its image ID: a new busybox:local-like base rebuilds.
"$DOCKER" tag busybox:local "$P-ext:1"
cat >ext.Dockerfile <<'DF'
FROM sbext
COPY app/src/main.txt /m
DF
sed "s/sbext/$P-ext:1/" ext.Dockerfile >ext.Dockerfile.new && mv ext.Dockerfile.new ext.Dockerfile
cat >ext.lua <<LUA
image "ext" { dockerfile = "ext.Dockerfile", tags = { "$P-extimg:1" } }
LUA
sb -f ext.lua ext
check "an image FROM an external base builds" ran_is "ext"
sb -f ext.lua ext
check "and is then current" ran_is ""
"$DOCKER" build -q -t "$P-ext:1" - >/dev/null 2>&1 <<DF
FROM busybox:local
RUN echo new > /new
DF
sb -f ext.lua -d explain ext
check "a new external base image ID rebuilds" ran_is "ext"
check "explain names the base" out_has "base:$P-ext:1 changed"

# A remote ADD cannot be keyed: always build, and say why.
cat >remote.Dockerfile <<'DF'
FROM busybox:local
ADD https://example.invalid/file.txt /file.txt
DF
cat >remote.lua <<LUA
image "remote" { dockerfile = "remote.Dockerfile", tags = { "$P-remote:1" } }
LUA
sb -f remote.lua -t explain remote
check "explain says a remote source makes the image always rebuild" out_has "is not pinned by a checksum"

# A malformed Dockerfile is reported with file:line before any build.
printf 'FROM busybox:local\nCOPY onlyone\n' >bad.Dockerfile
cat >bad.lua <<LUA
image "bad" { dockerfile = "bad.Dockerfile", tags = { "$P-bad:1" } }
LUA
sb -f bad.lua bad
check "a malformed Dockerfile fails" rc_is 1
check "the error names file:line" out_has "bad.Dockerfile:2"
check "no build ran" test "$(image_id "$P-bad:1")" = none

# The engine down: one clear message, exit 3, nothing written.
mkdir down && cp sindri-build.lua down/ && cp -r app base down/
DOCKER_HOST=unix:///nonexistent/docker.sock sb -C down
check "engine down: exit 3" rc_is 3
check "engine down: the message names the address" out_has "unix:///nonexistent/docker.sock"
check "engine down: no state written" test ! -e down/.sindri-build

finish
