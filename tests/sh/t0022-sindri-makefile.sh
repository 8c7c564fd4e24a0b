# t0022: the stock Sindri recipes as a drop-in for the top-level Makefile of Sindri's branch v3, on
# examples/mini-sindri against the real engine: every target name, DISTRO and its build args and tags, the guide's
# tags for the default distro, suggestions for typos, dry runs of builds, doctor on a multi-stage Dockerfile.dev.
. "$(dirname "$0")/../lib/lib.sh"
need_docker

P="sbtest-$$"
REPO="$P-sindri"
export IMAGE_REPO="$REPO" SINDRI_CLI=none XDG_CACHE_HOME="$T_ROOT/xdg"
at_exit '"$DOCKER" image ls --format "{{.Repository}}:{{.Tag}}" | grep "^$REPO:" | xargs -r "$DOCKER" rmi -f >/dev/null 2>&1'

cp -r "$T_TOP/examples/mini-sindri" repo
rm -rf repo/v3/target repo/.sindri-build repo/.stand-in-cli
cd repo || exit 1
label() { "$DOCKER" image inspect -f "{{index .Config.Labels \"$2\"}}" "$1" 2>/dev/null; }
run_in() { "$DOCKER" run --rm "$1" cat "$2" 2>/dev/null; }

# Every docker, cache and cycle target name of the Makefile, with its v3- name.
names="docker-build docker-build-ubuntu docker-build-fedora docker-build-opensuse docker-build-all
docker-build-nocache docker-build-latest docker-build-from-binary docker-build-dev docker-build-dev-ubuntu
docker-build-dev-fedora docker-build-dev-opensuse docker-build-dev-all docker-build-base docker-build-base-ubuntu
docker-build-base-fedora docker-build-base-opensuse docker-build-base-all docker-build-fast docker-build-fast-nocache
docker-build-from-source cache-status cache-clear-soft cache-clear-medium cache-clear-distro cache-clear-hard
cache-nuke cycle-fast cycle-clean cycle-nuclear cycle install"
missing=""
for n in $names; do
	for m in "$n" "v3-$n"; do
		"$SB" -t graph "$m" >/dev/null 2>&1 || missing="$missing $m"
	done
done
check "every Makefile target name and its v3- name is a target" test -z "$missing" || echo "  missing:$missing" >&2

# DISTRO: anything but the three fails before doing anything, with the valid list.
before=$(snapshot .sindri-build)
sb docker-build-base DISTRO=debian
check "an unknown DISTRO fails" rc_is 2
check "and lists the valid ones" out_has "unknown DISTRO 'debian'; valid values: ubuntu fedora opensuse"
check "before doing anything: no image" test "$(image_id "$REPO:base-debian-3.0.0")" = none
check "and no state" test "$(snapshot .sindri-build)" = "$before"
sb -t targets DISTRO=Ubuntu
check "DISTRO is checked for every command" rc_is 2

# The base, per distro: the Makefile's build args (DISTRO and the three pins) and tags.
sb docker-build-base DISTRO=fedora
check "DISTRO=fedora docker-build-base succeeds" rc_is 0
check "it builds the fedora base" ran_is "docker-build-base-fedora"
check "tagged base-fedora-VERSION" test "$(image_id "$REPO:base-fedora-3.0.0")" != none
check "and base-fedora-latest" test "$(image_id "$REPO:base-fedora-latest")" = "$(image_id "$REPO:base-fedora-3.0.0")"
check "its label says it was built for fedora (DISTRO is passed)" test "$(label "$REPO:base-fedora-3.0.0" sindri.base.distro)" = fedora
check "the Makefile's pins are passed (24.04, not the Dockerfile's default)" \
	sh -c "'$DOCKER' run --rm '$REPO:base-fedora-3.0.0' cat /opt/sindri/BASE_INFO | grep -qx ubuntu=24.04"
check "FEDORA_VERSION too" sh -c "'$DOCKER' run --rm '$REPO:base-fedora-3.0.0' cat /opt/sindri/BASE_INFO | grep -qx fedora=41"
check "the guide's untagged names stay off a fedora base" test "$(image_id "$REPO:base-latest")" = none
sb v3-docker-build-base-fedora
check "v3-docker-build-base-fedora: current, nothing built" ran_is ""
sb docker-build-base-opensuse OPENSUSE_VERSION=15.5
check "a pin given on the command line is passed" \
	sh -c "'$DOCKER' run --rm '$REPO:base-opensuse-3.0.0' cat /opt/sindri/BASE_INFO | grep -qx opensuse=15.5"
check "opensuse base labelled opensuse" test "$(label "$REPO:base-opensuse-3.0.0" sindri.base.distro)" = opensuse

sb docker-build-base-all OPENSUSE_VERSION=15.5
# every base gets all three pins, as the Makefile passes them: the fedora base was built with another one
check "docker-build-base-all builds the missing base and the one whose build args changed" \
	ran_is "docker-build-base-fedora docker-build-base-ubuntu"
sb docker-build-base-all OPENSUSE_VERSION=15.5
check "docker-build-base-all again: nothing to do" ran_is ""
check "the ubuntu base is labelled ubuntu" test "$(label "$REPO:base-ubuntu-3.0.0" sindri.base.distro)" = ubuntu
check "the default distro's base also has the guide's tags" \
	sh -c "test '$(image_id "$REPO:base-latest")' = '$(image_id "$REPO:base-ubuntu-3.0.0")' && test '$(image_id "$REPO:base-3.0.0")' != none"
check "three distinct bases" test "$(image_id "$REPO:base-ubuntu-3.0.0")" != "$(image_id "$REPO:base-fedora-3.0.0")"

# The dev image: DISTRO and BASE_IMAGE passed, the Makefile's tags, and the guide's for the default distro.
sb -n docker-build-dev DISTRO=fedora
check "-n docker-build-dev prints the docker build line with the Makefile's args and tags" \
	out_has "docker build -f v3/Dockerfile.dev --build-arg BASE_IMAGE=$REPO:base-fedora-latest --build-arg DISTRO=fedora .* -t $REPO:v3-fedora-dev -t $REPO:3.0.0-[0-9a-z]*-fedora-dev \.$"
check "-n builds nothing" test "$(image_id "$REPO:v3-fedora-dev")" = none
sb docker-build-dev DISTRO=fedora
check "DISTRO=fedora docker-build-dev succeeds" rc_is 0
check "it builds on the fedora base" out_has "base $REPO:base-fedora-latest (the local base)"
check "tagged v3-fedora-dev" test "$(image_id "$REPO:v3-fedora-dev")" != none
check "and VERSION-SHA-fedora-dev" sh -c "'$DOCKER' image ls --format '{{.Tag}}' '$REPO' | grep -qx '3.0.0-unknown-fedora-dev'"
check "its final stage knows DISTRO" test "$(label "$REPO:v3-fedora-dev" sindri.distro)" = fedora
check "and it is on the fedora base" sh -c "'$DOCKER' run --rm '$REPO:v3-fedora-dev' cat /opt/sindri/BASE_INFO | grep -qx distro=fedora"
check "a fedora build does not take the guide's sindri:latest" test "$(image_id "$REPO:latest")" = none
sb v3-docker-build-dev
check "v3-docker-build-dev (the default distro) succeeds" rc_is 0
check "it builds ubuntu's dev image" out_has "] docker-build-dev-ubuntu@local-base"
check "tagged v3-ubuntu-dev" test "$(image_id "$REPO:v3-ubuntu-dev")" != none
check "and the guide's sindri:latest" test "$(image_id "$REPO:latest")" = "$(image_id "$REPO:v3-ubuntu-dev")"
check "and the guide's VERSION-SHA" test "$(image_id "$REPO:3.0.0-unknown")" = "$(image_id "$REPO:v3-ubuntu-dev")"
for n in docker-build-fast v3-docker-build-fast docker-build-from-source v3-docker-build-dev-ubuntu; do
	sb "$n"
	check "$n is the same dev build: nothing to do" ran_is ""
done
sb docker-build-dev-all
check "docker-build-dev-all builds the opensuse dev image it lacks" out_has "] docker-build-dev-opensuse@local-base"
check "opensuse dev image labelled opensuse" test "$(label "$REPO:v3-opensuse-dev" sindri.distro)" = opensuse

# The release image (v3/Dockerfile): DISTRO and the pins, v3-DISTRO-local.
sb docker-build-fedora
check "docker-build-fedora builds the release image" test "$(label "$REPO:v3-fedora-local" sindri.distro)" = fedora
check "with the Makefile's pins" sh -c "'$DOCKER' run --rm '$REPO:v3-fedora-local' | grep -qx 'distro=fedora ubuntu=24.04'"
sb -t explain docker-build-latest
check "docker-build-latest is the ubuntu release image" out_has "^docker-build-ubuntu: "

# Typos: the nearest name; never the base build for a near miss of the dev build.
for typo in v3-docker-build-devv v3-docker-buil-dev v3-docker-build-deb v3-docker-build-dv v3-dockr-build-dev \
	v3-docker-build_dev v3-docker-build-de v3docker-build-dev v3-docker-bulid-dev v3-docker-build-develop docker-build-de; do
	sb "$typo"
	check "'$typo' is unknown" rc_is 2
	check "'$typo' suggests the dev build" out_has "did you mean '\(v3-\)\{0,1\}docker-build-dev'?"
	check "'$typo' does not suggest a base build" out_lacks "did you mean '.*base"
done
sb v3-docker-build-dev-ubunt
check "a distro typo suggests that distro's dev build" out_has "did you mean 'v3-docker-build-dev-ubuntu'?"
for short in v3-docker-dev v3-build-dev docker-dev dev-build v3-dev; do
	sb "$short"
	check "'$short' (a word left out) suggests the dev build" out_has "did you mean '\(v3-\)\{0,1\}docker-build-dev'?"
done

# doctor on a Dockerfile.dev shaped like Sindri's: a cargo-chef stage first, FROM ${BASE_IMAGE} last.
{
	echo '# syntax=docker/dockerfile:1.4'
	echo 'ARG DISTRO=ubuntu'
	echo 'ARG BASE_IMAGE=ghcr.io/pacphi/sindri:base-${DISTRO}-latest'
	echo 'FROM rust:1.95-slim-bookworm AS chef'
	echo 'RUN <<EOF'
	echo 'FROM not-an-instruction'
	echo 'EOF'
	echo 'COPY v3/Cargo.toml v3/Cargo.lock ./'
	echo 'FROM ${BASE_IMAGE}'
	echo 'COPY --from=chef /app /app'
} >v3/Dockerfile.dev
sb doctor
check "doctor passes the multi-stage Dockerfile.dev: its final stage is FROM the base" \
	out_has "ok   Dockerfile.dev builds FROM the base: final stage (line 9) FROM \${BASE_IMAGE} = $REPO:base-ubuntu-latest, after 1 builder stage"
check "and notes the syntax line" out_has "'# syntax=docker/dockerfile:1.4' line"
sed -i 's/^FROM \${BASE_IMAGE}$/FROM rust:1.95-slim-bookworm/' v3/Dockerfile.dev
sb doctor
check "doctor fails a final stage that is not the base" out_has "FAIL Dockerfile.dev builds FROM the base: v3/Dockerfile.dev:9: its final stage starts FROM rust"

finish
