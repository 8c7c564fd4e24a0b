# t0024: the cycles never lose a maintainer's work, against the real engine: every image is made before the
# deployment is touched, so a failed build or pull, or a missing engine, leaves the container and its home volume
# as they were; a stopped container is started; cycle-clean builds once and keeps the home; the nuclear cycle asks
# and takes the home; -n and -t explain print what would happen; the summary counts what ran inside the cycle.
. "$(dirname "$0")/../lib/lib.sh"
need_docker
need_cargo

mini_sindri_ws
running() { test "$("$DOCKER" inspect -f '{{.State.Running}}' "$W" 2>/dev/null)" = true; }
vol() { "$DOCKER" volume inspect -f '{{.CreatedAt}}' "${W}_home" 2>/dev/null || echo none; }
work() { "$DOCKER" exec "$W" cat /alt/home/developer/work.txt 2>/dev/null; }
summary() { grep '^sindri-build: .*\(built\|no work to do\)' "$T_OUT" | tail -n 1; }
# intact: the deployment is exactly as it was: same container, running, same home volume with the work in it
intact() { test "$(cid "$W")" = "$c" && running && test "$(vol)" = "$v" && test "$(work)" = "my work"; }

sb cycle-fast CONFIG=ws.yaml
check "the first cycle deploys" running
check "the stand-in CLI went to the example's own install root, not ~/.cargo/bin" test -x .stand-in-cli/bin/sindri
full=$(summary)
check "the first cycle's summary counts the tasks inside it" sh -c "echo '$full' | grep -q 'sindri-build: 4 built, '"
"$DOCKER" exec "$W" sh -c 'echo "my work" >/alt/home/developer/work.txt'
c=$(cid "$W")
v=$(vol)
check "there is work in the home volume" test "$(work)" = "my work"

sb cycle-fast CONFIG=ws.yaml
noop=$(summary)
check "a no-op cycle: nothing changed, the container is left running" out_has "cycle-fast: nothing changed; deployment '$W' is current and left running"
check "a no-op cycle's summary counts what was current inside it" sh -c "echo '$noop' | grep -q 'no work to do: 3 up to date in .* (saved ~'"
check "a no-op cycle and a full one do not say the same" test "$noop" != "$full"
check "the no-op left it intact" intact

# A dev build that fails: the deployment is left as it was.
cp v3/Dockerfile.dev Dockerfile.dev.orig
echo 'RUN false' >>v3/Dockerfile.dev
sb cycle-fast CONFIG=ws.yaml
check "a failing dev build fails the cycle" rc_is 1
check "and says the deployment was left as it was" out_has "the deployment '$W' and its home volume were left as they were"
check "a failing build: no install, no deploy" sh -c "! grep -q '] install\|] deploy' '$T_OUT'"
check "a failing build leaves container, volume and work intact" intact

# A base it cannot pull (offline): the image is named, with what to do, and nothing is touched.
cp Dockerfile.dev.orig v3/Dockerfile.dev
echo 'x: 1' >>v3/extensions/github/extension.yaml
sb cycle-fast CONFIG=ws.yaml BASE=registry REGISTRY=127.0.0.1:1/nowhere
check "an unpullable base fails the cycle" rc_is 1
check "it names the image it could not get" out_has "cannot use the base 127.0.0.1:1/nowhere/$REPO:base-ubuntu-latest"
check "it says how to load it offline" out_has "docker load -i"
check "it names a local base to use instead" out_has "BASE_IMAGE=$REPO:base-ubuntu-latest"
check "it mentions REMOTE_CACHE=" out_has "REMOTE_CACHE="
check "an unpullable base leaves container, volume and work intact" intact

# The real Dockerfile.dev's shape: a builder stage FROM rust:..., which cannot be pulled here.
{
	sed -n '1,/^# ---- stage 2/p' Dockerfile.dev.orig | sed 's|^FROM \${BASE_IMAGE} AS builder$|FROM rust:1.95-slim-bookworm AS chef\nRUN true\nFROM ${BASE_IMAGE} AS builder\nCOPY --from=chef /etc/hostname /tmp/chef|'
	sed -n '/^# ---- stage 2/,$p' Dockerfile.dev.orig | sed 1d
} >v3/Dockerfile.dev
sb cycle-fast CONFIG=ws.yaml
check "a builder image that cannot be pulled fails the cycle" rc_is 1
check "it names that image" out_has "could not pull: rust:1.95-slim-bookworm"
check "it says what to do" out_has "docker load -i"
check "a builder image that cannot be pulled leaves container, volume and work intact" intact
cp Dockerfile.dev.orig v3/Dockerfile.dev

# No engine: nothing is cleared or touched.
DOCKER_HOST="unix://$T_ROOT/no-engine.sock" sb cycle-fast CONFIG=ws.yaml
check "no engine: the cycle fails with the exit code of an engine that does not answer" rc_is 3
check "no engine: says nothing was changed" out_has "the Docker engine does not answer .*nothing was changed"
check "no engine: the deployment is intact" intact

# Dry run and explain: what would happen, in order, as commands; nothing written, nothing built.
before=$(snapshot .sindri-build)
ids="$(image_id "$REPO:latest") $(image_id "$REPO:base-ubuntu-3.0.0")"
sb -n cycle-fast CONFIG=ws.yaml
check "-n cycle-fast succeeds though images are out of date" rc_is 0
check "-n prints the dev image's docker build line" out_has "^DOCKER_BUILDKIT=1 .*docker build -f v3/Dockerfile.dev --build-arg BASE_IMAGE=$REPO:base-ubuntu-latest --build-arg DISTRO=ubuntu .* -t $REPO:v3-ubuntu-dev"
check "-n prints the soft clear's cargo command" out_has "^(cd v3 && cargo clean -p sindri)$"
check "-n prints how the container is replaced, the home volume kept" \
	sh -c "grep -q 'home volume ${W}_home is kept' '$T_OUT' && grep -q '^/[a-z/]*docker rename $W $W-replaced-' '$T_OUT' && grep -q 'docker run -d -it --name $W .*-v ${W}_home:/alt/home/developer' '$T_OUT' && grep -q '^/[a-z/]*docker rm -f $W-replaced-' '$T_OUT'"
check "-n prints them in order: build, then clear, then the deployment" \
	sh -c "awk '/docker build -f v3\\/Dockerfile.dev/{b=NR} /cargo clean -p sindri/{c=NR} /docker rm -f/{d=NR} END{exit !(b && c && d && b<c && c<d)}' '$T_OUT'"
check "-n writes nothing" test "$(snapshot .sindri-build)" = "$before"
check "-n builds nothing" equal "$(image_id "$REPO:latest") $(image_id "$REPO:base-ubuntu-3.0.0")" "$ids"
check "-n leaves the deployment intact" intact
sb -t explain cycle-fast CONFIG=ws.yaml
check "-t explain cycle-fast names the task inside that would run, and why" \
	out_has "docker-build-dev-ubuntu would run: docker-build-dev-ubuntu@local-base: ctx:v3/extensions/github/extension.yaml modified"
check "-t explain writes nothing" test "$(snapshot .sindri-build)" = "$before"
printf 'FROM busybox:local\nRUN echo %s > /x\n' "$P" | DOCKER_BUILDKIT=1 "$DOCKER" build -q -t "$REPO:extra" - >/dev/null
ids="$ids $(image_id "$REPO:extra")"
sb -n cache-clear-hard
check "-n cache-clear-hard lists the images it would delete" out_has "docker rmi -f $REPO:extra  # image $REPO:extra$"
check "-n cache-clear-hard: and the one it keeps because the deployment uses it" out_has "# kept image .*$REPO:v3-ubuntu-dev.*: it is used by container $W"
check "-n cache-clear-hard: but not the base" out_lacks "# .*$REPO:base-ubuntu-3.0.0"
check "-n cache-clear-hard: says it would ask" out_has "asks first"
check "-n cache-clear-hard deletes nothing" equal "$(image_id "$REPO:latest") $(image_id "$REPO:base-ubuntu-3.0.0") $(image_id "$REPO:extra")" "$ids"
sb -n cycle-nuclear CONFIG=ws.yaml
check "-n cycle-nuclear lists the base among the images" out_has "# .*$REPO:base-ubuntu-3.0.0"
check "-n cycle-nuclear names the home volume" out_has "docker volume rm ${W}_home"
check "-n cycle-nuclear: the base build once, and the dev image on it" sh -c "test \$(grep -c 'docker build -f v3/Dockerfile.base' '$T_OUT') = 1 && grep -q 'docker build -f v3/Dockerfile.dev --build-arg BASE_IMAGE=$REPO:base-ubuntu-latest .* --no-cache' '$T_OUT'"
check "-n cycle-nuclear: the deployment is intact" intact
for t in cache-status doctor cache-clear-soft cache-clear-medium cache-clear-distro cache-nuke cache-prune cycle-clean \
	docker-build-all docker-build-base-all install deploy destroy connect release; do
	sb -n "$t" CONFIG=ws.yaml
	check "-n $t succeeds" rc_is 0
done
sb -n cycle-fast CONFIG=ws.yaml DISTRO=fedora
check "a guide-style config (sindri:latest) in a fedora cycle: says it does not deploy what the cycle builds" \
	out_has "ws.yaml deploys $REPO:latest, which this cycle does not build (it builds $REPO:v3-fedora-dev)"
check "no -n wrote anything" test "$(snapshot .sindri-build)" = "$before"
check "and the deployment is intact after them all" intact

# The real cycle after the extension edit: the container is replaced, the home volume kept.
sb cycle-fast CONFIG=ws.yaml
check "the edit: the cycle rebuilds and redeploys" sh -c "grep -q '] docker-build-dev-ubuntu@local-base' '$T_OUT' && grep -q '] deploy' '$T_OUT'"
check "the edit: a new container" test "$(cid "$W")" != "$c"
check "the edit: the same home volume, with the work" sh -c "test '$(vol)' = '$v' && test \"\$('$DOCKER' exec '$W' cat /alt/home/developer/work.txt)\" = 'my work'"
c=$(cid "$W")

# A stopped container whose image is current is started, not replaced.
"$DOCKER" stop -t 1 "$W" >/dev/null
sb cycle-fast CONFIG=ws.yaml
check "a stopped container is started" running
check "not replaced" test "$(cid "$W")" = "$c"
check "the start is counted as the one thing that ran" sh -c "echo '$(summary)' | grep -q '1 built'"
check "a started container keeps its work" intact

# A `sindri` that says it deployed but did not (a stand-in on PATH): deploy says so instead of claiming success.
printf '#!/bin/sh\necho "sindri $*"\n' >fake-sindri
chmod +x fake-sindri
sed "s/name: $W/name: $W-fake/" ws.yaml >fake.yaml
at_exit '"$DOCKER" rm -f "$W-fake" >/dev/null 2>&1; "$DOCKER" volume rm -f "$W-fake_home" >/dev/null 2>&1'
sb deploy CONFIG=fake.yaml SINDRI_CLI="$PWD/fake-sindri"
check "a CLI that deploys nothing: deploy fails" rc_is 1
check "and says what to do" out_has "no container '$W-fake' runs: is '.*fake-sindri' the Sindri CLI.*SINDRI_CLI=none"

# cycle-clean: the dev image built once, without cache; the home volume kept.
sb cycle-clean CONFIG=ws.yaml
check "cycle-clean succeeds" rc_is 0
check "cycle-clean builds the dev image once" test "$(grep -c '] docker-build-[a-z-]*@' "$T_OUT")" = 1
check "and that once is the no-cache build" out_has "] docker-build-fast-nocache@local-base"
check "cycle-clean keeps the base" out_lacks "] docker-build-base"
check "cycle-clean replaces the container" test "$(cid "$W")" != "$c"
check "cycle-clean keeps the home volume and the work" sh -c "test '$(vol)' = '$v' && test \"\$('$DOCKER' exec '$W' cat /alt/home/developer/work.txt)\" = 'my work'"
c=$(cid "$W")

# cycle / cycle-nuclear: CONFIG as the Makefile reads it; asks; a "no" does nothing and is not an error.
sb cycle
check "cycle without CONFIG says what to add" out_has "CONFIG=sindri.yaml"
sb cycle CONFIG=nothere.yaml
check "cycle with a missing CONFIG names it" out_has "nothere.yaml"
sb cycle CONFIG=ws.yaml </dev/null
check "cycle without a terminal or FORCE refuses" rc_is 1
check "and says how to go on" out_has "FORCE=1 or --yes"
check "and names the home volume among what goes" out_has "home volume '${W}_home'"
if command -v script >/dev/null 2>&1; then
	printf 'n\n' | script -qec "'$SB' cycle CONFIG=ws.yaml" /dev/null >"$T_OUT" 2>&1
	RC=$?
	check "a 'no' on the terminal: exit 0" rc_is 0
	check "a 'no': says nothing was done" out_has "cancelled; nothing was done"
	check "a 'no': the deployment is intact" sh -c "test '$(cid "$W")' = '$c' && test '$(vol)' = '$v'"
fi
sb cycle CONFIG=ws.yaml FORCE=1
check "cycle FORCE=1 succeeds" rc_is 0
check "the nuclear cycle builds the base here and the dev image on it, without cache" \
	sh -c "grep -q '] docker-build-base-ubuntu' '$T_OUT' && grep -q '] docker-build-fast-nocache@local-base' '$T_OUT'"
check "the nuclear cycle takes the home volume (decided: only it does)" sh -c "test '$(vol)' != '$v' && test -z \"\$('$DOCKER' exec '$W' cat /alt/home/developer/work.txt 2>/dev/null)\""
check "and deploys afresh" running
check "without a terminal it says how to connect" out_has "connect with: sindri-build connect CONFIG=ws.yaml"

finish
