# t0026: BuildKit's layer cache does not key a RUN --mount=type=secret step on the secret's value; so each build
# passes the step the secret's keyed digest as a build arg declared just before it. Against the real engine: after
# the secret changes, the step that writes a digest of the secret into the image shows the new value's, whatever
# build filled the cache and whether or not .sindri-build/ is there; the steps before it are still reused.
. "$(dirname "$0")/../lib/lib.sh"
need_docker

P="sbtest-seccache-$$"
at_exit '"$DOCKER" image ls --format "{{.Repository}}:{{.Tag}}" | grep "^$P[-:]" | xargs -r "$DOCKER" rmi -f >/dev/null 2>&1'
# one HMAC key for both projects below, as CI runners sharing a cache have
SINDRI_BUILD_SECRET_KEY=$(printf '%s' "key-$$" | sha256sum | cut -d' ' -f1)
export SINDRI_BUILD_SECRET_KEY SINDRI_BUILD_SERVER=0

A="first-$$-value"
B="second-$$-value"
C="third-$$-value"
sha() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
# file_of TAG FILE: a file of the image
file_of() { "$DOCKER" run --rm "$1" cat "$2" 2>/dev/null; }

# a deps stage reads the secret and the final stage copies what it made, next to a step of its own; the step before
# the secret's is random, so reusing it shows as the same bytes; the Dockerfile itself is copied too
mkdir one && cd one || exit 1
cat >Dockerfile <<DF
FROM busybox:local AS deps
RUN echo "$P" && head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' > /before
RUN --mount=type=secret,id=NPM_TOKEN sha256sum /run/secrets/NPM_TOKEN | cut -d' ' -f1 > /secret.sha
RUN --mount=type=secret,id=NPM_TOKEN test -s /run/secrets/NPM_TOKEN && cp /secret.sha /again.sha

FROM busybox:local
COPY --from=deps /before /secret.sha /again.sha /
COPY Dockerfile /Dockerfile.copy
RUN --mount=type=secret,id=OTHER,required=false echo "$P" > /final
DF
cat >sindri-build.lua <<LUA
image "img" { tags = { "$P:one" }, secrets = { "NPM_TOKEN", "OTHER" } }
default "img"
LUA

NPM_TOKEN="$A" sb -v
check "built with A" rc_is 0
check "the build gets each mounted secret's digest as a build arg" out_has "--build-arg SINDRI_BUILD_SECRET_NPM_TOKEN=[0-9a-f]\{32\} --build-arg SINDRI_BUILD_SECRET_OTHER=[0-9a-f]\{32\}"
check "the step wrote A's digest" test "$(file_of "$P:one" /secret.sha)" = "$(sha "$A")"
check "a COPY of the Dockerfile gets the file as it is, without the args" test "$(file_of "$P:one" /Dockerfile.copy)" = "$(cat Dockerfile)"
check "the digest's argument is in no label" sh -c "! '$DOCKER' image inspect -f '{{json .Config.Labels}}' '$P:one' | grep -q SINDRI_BUILD_SECRET"
before=$(file_of "$P:one" /before)

NPM_TOKEN="$B" sb -d explain
check "B: explain names the secret" out_has "secret NPM_TOKEN changed"
check "B: rebuilt" ran_is "img"
check "B: the secret step ran again: B's digest" test "$(file_of "$P:one" /secret.sha)" = "$(sha "$B")"
check "B: and the later step that mounts it too" test "$(file_of "$P:one" /again.sha)" = "$(sha "$B")"
check "B: the step before the secret's came from the cache" test "$(file_of "$P:one" /before)" = "$before"

NPM_TOKEN="$A" sb
check "A again: A's digest (BuildKit may reuse the layers made with A)" test "$(file_of "$P:one" /secret.sha)" = "$(sha "$A")"

# no record: .sindri-build/ gone, a new value
rm -rf .sindri-build
NPM_TOKEN="$C" sb
check "C without any record: C's digest" test "$(file_of "$P:one" /secret.sha)" = "$(sha "$C")"
cd .. || exit 1

# Another project with the same steps fills BuildKit's cache with B; this one, whose secret stays A, is then rebuilt
# for another reason: its secret step must not be taken from the other's cache.
cp -r one two
rm -rf two/.sindri-build
sed "s/$P:one/$P:two/" one/sindri-build.lua >two/sindri-build.lua
(cd one && NPM_TOKEN="$A" sb)
check "one, A: A's digest" test "$(file_of "$P:one" /secret.sha)" = "$(sha "$A")"
(cd two && NPM_TOKEN="$B" sb)
check "two, B: B's digest" test "$(file_of "$P:two" /secret.sha)" = "$(sha "$B")"
echo "RUN true" >>one/Dockerfile
(cd one && NPM_TOKEN="$A" sb -d explain)
check "one rebuilt for a Dockerfile line" out_has "Dockerfile line 10 added"
check "one, still A, after two filled the cache with B: A's digest" test "$(file_of "$P:one" /secret.sha)" = "$(sha "$A")"

# An image task without secret steps is sent its Dockerfile as it is, with no such arg.
mkdir plain && cd plain || exit 1
printf 'FROM busybox:local\nRUN echo %s > /x\n' "$P" >Dockerfile
printf 'image "p" { tags = { "%s:plain" }, secrets = { "NPM_TOKEN" } }\n' "$P" >sindri-build.lua
NPM_TOKEN="$A" sb -v p
check "no step mounts a secret: no secret arg" out_lacks "SINDRI_BUILD_SECRET"
check "no step mounts a secret: built" rc_is 0

finish
