# t0027: cycle-live against the real engine, on a tiny Sindri-shaped tree whose images are busybox:local: an edit the
# sync rules cover reaches the running container without a build, a deleted file disappears there; an edit outside
# the rules builds and replaces the deployment; cache-status and -t explain say the container is live-synced, and the
# next cycle-fast replaces it even when the edit was undone; an after-sync command runs, and one that fails leaves a
# record that makes the next run sync again; a container sindri-build did not deploy is refused.
. "$(dirname "$0")/../lib/lib.sh"
need_docker

P="sbtest-live-$$"
REPO="$P-sindri"
W="$P-ws"
O="$P-other"
# a stand-in cargo: cycle-fast's install step compiles nothing here
mkdir bin && printf '#!/bin/sh\nexit 0\n' >bin/cargo && chmod +x bin/cargo
export PATH="$T_ROOT/bin:$PATH" IMAGE_REPO="$REPO" SINDRI_CLI=none XDG_CACHE_HOME="$T_ROOT/xdg" BASE=local
at_exit '"$DOCKER" rm -f "$W" "$O" >/dev/null 2>&1; "$DOCKER" volume rm -f "${W}_home" >/dev/null 2>&1'
at_exit 'rmi_named "^$REPO:"'

mkdir -p repo/v3/extensions/python repo/v3/docker/scripts repo/v3/crates/sindri
cd repo || exit 1
printf 'FROM busybox:local\nRUN mkdir -p /opt/sindri /alt/home/developer\n' >v3/Dockerfile.base
cat >v3/Dockerfile.dev <<'EOF'
ARG BASE_IMAGE=sindri:base-ubuntu-latest
FROM ${BASE_IMAGE}
COPY v3/profiles.yaml /opt/sindri/profiles.yaml
COPY v3/extensions/ /opt/sindri/extensions/
COPY --chmod=0755 v3/docker/scripts/ /docker/scripts/
USER 1000
CMD ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
EOF
cp v3/Dockerfile.dev v3/Dockerfile
printf '[workspace.package]\nversion = "3.0.0"\n' >v3/Cargo.toml
: >v3/Cargo.lock
echo "fn main() {}" >v3/crates/sindri/main.rs
echo "profiles: 1" >v3/profiles.yaml
echo "name: python" >v3/extensions/python/extension.yaml
echo "old: 1" >v3/extensions/python/old.yaml
printf '#!/bin/sh\necho one\n' >v3/docker/scripts/entry.sh
printf 'workspace:\n  name: %s\ndeployment:\n  provider: docker\n  image: %s:latest\n' "$W" "$REPO" >ws.yaml

cid() { "$DOCKER" inspect -f '{{.Id}}' "$W" 2>/dev/null || echo none; }
in_ct() { "$DOCKER" exec "$W" "$@" 2>/dev/null; }
built() { grep -q '^\[[0-9]*/[0-9]*\] docker-build-dev' "$T_OUT"; }

sb cycle-live CONFIG=ws.yaml
check "the first cycle-live builds and deploys (no container to sync into)" sh -c "[ $RC = 0 ] && grep -q 'no container' '$T_OUT'"
check "and the container runs" test "$(in_ct cat /opt/sindri/extensions/python/extension.yaml)" = "name: python"
check "deploy records that this state made the container, nothing synced (no look inside it on a no-op)" \
	grep -qx "state deployed" ".sindri-build/live/$W"
c=$(cid)

# A synced edit, a deletion and a new file: into the running container, no build, same container.
echo "name: python3" >v3/extensions/python/extension.yaml
rm v3/extensions/python/old.yaml
printf '#!/bin/sh\necho two\n' >v3/docker/scripts/entry.sh
chmod 644 v3/docker/scripts/entry.sh
sb cycle-live CONFIG=ws.yaml
check "a synced edit: cycle-live succeeds" rc_is 0
check "and says what it synced" out_has "cycle-live: synced 3 files into '$W' (2 copied, 1 deleted); no image was built"
check "no image is built" sh -c "! grep -q '^\[[0-9]*/[0-9]*\] docker-build' '$T_OUT'"
check "the edit is in the container" test "$(in_ct cat /opt/sindri/extensions/python/extension.yaml)" = "name: python3"
check "the deleted file is gone from it" sh -c "! '$DOCKER' exec '$W' test -e /opt/sindri/extensions/python/old.yaml"
check "a script gets the rule's mode" test "$(in_ct stat -c %a /docker/scripts/entry.sh)" = 755
check "the same container" equal "$(cid)" "$c"

sb cycle-live CONFIG=ws.yaml
check "nothing more changed: nothing is synced again" out_has "cycle-live: nothing changed; deployment '$W' is live-synced"

# Honest state: not current, with the count of files, and what was synced.
sb cache-status CONFIG=ws.yaml
check "cache-status says live-synced with the count of files" out_has "Deployment:     $W (container .*): live-synced, 3 files"
sb -t explain deploy CONFIG=ws.yaml
check "-t explain says deploy would replace it and what was synced" \
	out_has "live-synced since its image was built (3 files differ from its image: v3/docker/scripts/entry.sh, v3/extensions/python/extension.yaml, v3/extensions/python/old.yaml)"

# Undo the edits: the image is current again, but the container is not its image: cycle-fast replaces it.
echo "name: python" >v3/extensions/python/extension.yaml
echo "old: 1" >v3/extensions/python/old.yaml
printf '#!/bin/sh\necho one\n' >v3/docker/scripts/entry.sh
chmod 755 v3/docker/scripts/entry.sh
sb cycle-fast CONFIG=ws.yaml
check "cycle-fast after a live sync succeeds" rc_is 0
check "it replaces the live-synced container" sh -c "[ '$(cid)' != '$c' ]"
check "which has the files of its image" test "$(in_ct cat /opt/sindri/extensions/python/old.yaml)" = "old: 1"
sb cache-status CONFIG=ws.yaml
check "then cache-status says it runs its image as built" out_has "Deployment:     $W (container .*): runs its image as built"

# A synced edit then cycle-fast: the image is rebuilt for real.
c=$(cid)
echo "name: python4" >v3/extensions/python/extension.yaml
sb cycle-live CONFIG=ws.yaml
check "another synced edit, no build" sh -c "[ $RC = 0 ] && ! grep -q '] docker-build' '$T_OUT'"
sb cycle-fast CONFIG=ws.yaml
check "the next cycle-fast builds the image" built
check "and replaces the container" sh -c "[ '$(cid)' != '$c' ]"
check "whose image holds the edit" sh -c "'$DOCKER' run --rm '$REPO:latest' cat /opt/sindri/extensions/python/extension.yaml | grep -qx 'name: python4'"

# An edit outside the rules: build and redeploy.
c=$(cid)
echo "profiles: 2" >v3/profiles.yaml
echo "name: python5" >v3/extensions/python/extension.yaml
sb cycle-live CONFIG=ws.yaml
check "an edit outside the rules takes the full path and says why" \
	out_has "'v3/profiles.yaml' changed and is outside the sync rules: the full path"
check "it builds the image" built
check "and replaces the deployment" sh -c "[ $RC = 0 ] && [ '$(cid)' != '$c' ]"
check "which has both edits" test "$(in_ct cat /opt/sindri/profiles.yaml /opt/sindri/extensions/python/extension.yaml)" \
	= "$(printf 'profiles: 2\nname: python5')"

# An after-sync command (a project's own cycle): it runs after the files are in; when it fails the record says the
# sync did not finish, and the next run syncs again.
cat >sindri-build.lua <<'EOF'
require "sindri"
cycle "cycle-live-hook" {
  build = { "docker-build-dev" }, deploy = true,
  sync = { { from = "v3/extensions/", to = "/opt/sindri/extensions/" } },
  after_sync = "cat /opt/sindri/extensions/python/extension.yaml >/tmp/after; test ! -e /opt/sindri/extensions/fail",
}
EOF
sb cycle-live-hook CONFIG=ws.yaml
check "a new cycle in the project's recipe: first the full path (its recipe changed)" rc_is 0
c=$(cid)
echo "name: hook" >v3/extensions/python/extension.yaml
echo x >v3/extensions/fail
sb cycle-live-hook CONFIG=ws.yaml
check "a failing after-sync command fails the cycle" rc_is 1
check "and says the next run syncs again" out_has "the after-sync command failed in '$W' (exit status 1); the next cycle-live-hook syncs"
sb cache-status CONFIG=ws.yaml
check "cache-status then says the sync did not finish" out_has "a live sync into it did not finish"
rm v3/extensions/fail
sb cycle-live-hook CONFIG=ws.yaml
check "the next run syncs again and the command passes" sh -c "[ $RC = 0 ] && grep -q 'then ran the after-sync command' '$T_OUT'"
check "the command ran after the files were in" test "$(in_ct cat /tmp/after)" = "name: hook"
check "still the same container" equal "$(cid)" "$c"
rm sindri-build.lua

# The state deleted after a sync, then the edit undone: the container itself says it was synced, so it is replaced.
sb cycle-live CONFIG=ws.yaml # back to the stock recipe: the deployment's key changed, so it is replaced first
c=$(cid)
echo "name: python-gone" >v3/extensions/python/extension.yaml
sb cycle-live CONFIG=ws.yaml
check "a synced edit before the state goes" sh -c "[ $RC = 0 ] && grep -q 'no image was built' '$T_OUT'"
rm -rf .sindri-build
echo "name: python5" >v3/extensions/python/extension.yaml
sb -t explain deploy CONFIG=ws.yaml
check "without the state, -t explain still says the container was live-synced" \
	out_has "was live-synced (it holds /.sindri-build-live-sync) and this state has no record of it"
sb cycle-fast CONFIG=ws.yaml
check "and cycle-fast replaces it" sh -c "[ $RC = 0 ] && [ '$(cid)' != '$c' ]"
check "with the content of the working tree" test "$(in_ct cat /opt/sindri/extensions/python/extension.yaml)" = "name: python5"

# A container sindri-build did not deploy: refused, nothing copied in.
"$DOCKER" run -d --name "$O" busybox:local sleep 60 >/dev/null
printf 'workspace:\n  name: %s\ndeployment:\n  provider: docker\n  image: %s:latest\n' "$O" "$REPO" >other.yaml
sb cycle-live CONFIG=other.yaml
check "a container sindri-build did not deploy is refused" rc_is 1
check "with a message saying so" out_has "container '$O' was not deployed by sindri-build"
check "and nothing was copied into it" sh -c "! '$DOCKER' exec '$O' test -e /opt/sindri/extensions"

finish
