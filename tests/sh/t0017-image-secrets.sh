# t0017: an image task's secrets reach RUN --mount=type=secret through BuildKit, and stay out of the image, its
# history and labels, the state and every message.
. "$(dirname "$0")/../lib/lib.sh"
need_docker

P="sbtest-secrets-$$"
at_exit '"$DOCKER" image ls --format "{{.Repository}}:{{.Tag}}" | grep "^$P[-:]" | xargs -r "$DOCKER" rmi -f >/dev/null 2>&1'

VALUE="s3cr3t-$$-Value"
OTHER="0ther-$$-Value"
# nowhere: not in the state, nor in what sindri-build printed
nowhere() {
	! grep -rqF -- "$1" .sindri-build "$T_OUT" 2>/dev/null
}
# not_in_image: not in the image's history, config and labels
not_in_image() {
	! "$DOCKER" history --no-trunc "$P:1" 2>&1 | grep -qF -- "$1" &&
		! "$DOCKER" image inspect "$P:1" 2>&1 | grep -qF -- "$1"
}

# the RUN step proves it read the value by keeping its digest, never the value (t0026: BuildKit's cache and
# secrets); the step names this test run
cat >Dockerfile <<DF
FROM busybox:local
ARG FLAVOR=plain
RUN --mount=type=secret,id=NPM_TOKEN echo "$P" >/run.txt && sha256sum /run/secrets/NPM_TOKEN | cut -d' ' -f1 > /secret.sha
DF
cat >sindri-build.lua <<LUA
image "img" {
  tags = { "$P:1" },
  secrets = { "NPM_TOKEN" },
  build_args = { FLAVOR = "vanilla" },
}
default "img"
LUA

NPM_TOKEN="$VALUE" sb -v -d explain
check "the image builds" rc_is 0
check "the secret is passed by name, as a BuildKit secret" out_has "--secret id=NPM_TOKEN,env=NPM_TOKEN"
want=$(printf '%s' "$VALUE" | sha256sum | cut -d' ' -f1)
check "RUN --mount=type=secret read the value" test "$("$DOCKER" run --rm "$P:1" cat /secret.sha)" = "$want"
check "the value is not in the image's history or config" not_in_image "$VALUE"
check "the image carries the key, not the value" test "$("$DOCKER" image inspect -f '{{index .Config.Labels "org.sindri-build.key"}}' "$P:1")" = "$(NPM_TOKEN="$VALUE" "$SB" -t key img 2>/dev/null)"
check "the value is not in the state or the messages" nowhere "$VALUE"
check "the state directory is private" test "$(stat -c %a .sindri-build)" = 700

NPM_TOKEN="$VALUE" sb
check "an unchanged secret: no build" ran_is ""
NPM_TOKEN="$OTHER" sb -t explain
check "explain names the changed secret" out_has "secret NPM_TOKEN changed"
check "explain shows no value" nowhere "$OTHER"
NPM_TOKEN="$OTHER" sb -d explain
check "a changed secret rebuilds the image" ran_is "img"
check "still no value in the state or the messages" nowhere "$OTHER"
check "nor in the image" not_in_image "$OTHER"

DOCKER_BUILDKIT=0 NPM_TOKEN="$VALUE-3" sb
check "secrets without BuildKit: the task fails" rc_is 1
check "secrets without BuildKit: says what to do" out_has "image 'img' has secrets, which only BuildKit can pass to a build, and DOCKER_BUILDKIT is '0': unset it or set it to 1"

# a build arg that looks secret: warned; one that is a declared secret too: an error
sed 's/FLAVOR = "vanilla"/FLAVOR = "vanilla", NPM_AUTH_TOKEN = "x"/' sindri-build.lua >r.new && mv r.new sindri-build.lua
NPM_TOKEN="$OTHER" sb -n
check "a secret-looking build arg: warned with file:line and what to do" \
	out_has "sindri-build.lua:1: image 'img': build arg 'NPM_AUTH_TOKEN' looks like a secret; declare it with secrets = { \"NPM_AUTH_TOKEN\" } and read it with RUN --mount=type=secret"
sed 's/NPM_AUTH_TOKEN = "x"/NPM_TOKEN = "x"/' sindri-build.lua >r.new && mv r.new sindri-build.lua
sb -n
check "a secret passed as a build arg too: exit 2" rc_is 2
check "a secret passed as a build arg too: says what to do" out_has "image 'img': 'NPM_TOKEN' is both a build arg and a secret; drop the build arg"

finish
