# t0164: doctor's lines read once: a missing base says why once, with no parentheses inside parentheses, and names
# the build for the distro asked about; the config line does not repeat the file name its check already gives.
. "$(dirname "$0")/../lib/lib.sh"
need_docker

REPO="sbtest-$$-t0164"
export IMAGE_REPO="$REPO" SINDRI_CLI=none XDG_CACHE_HOME="$T_ROOT/xdg"
at_exit '"$DOCKER" image ls --format "{{.Repository}}:{{.Tag}}" | grep "^$REPO:" | xargs -r "$DOCKER" rmi -f >/dev/null 2>&1'

cp -r "$T_TOP/examples/mini-sindri" repo
rm -rf repo/v3/target repo/.sindri-build repo/.stand-in-cli
cd repo || exit 1

sb doctor DISTRO=fedora
check "no base: doctor fails" rc_is 1
check "... on the base check" out_has "^FAIL base image for fedora: no image '$REPO:base-fedora-3.0.0' in the Docker engine"
check "... saying that once" sh -c "test \$(grep '^FAIL base image' '$T_OUT' | grep -o 'no image' | wc -l) = 1"
check "... with no parentheses inside parentheses" sh -c "! grep '^FAIL base image' '$T_OUT' | grep -q '([^)]*('"
check "... naming the build for that distro" out_has "; build it: sindri-build docker-build-base-fedora$"
check "the config check names the file once" out_has "^ok   sindri.yaml valid: workspace 'mini-sindri-dev', provider docker"
sb doctor DISTRO=fedora CONFIG=sindri-cli-form.yaml
check "another config file is named" out_has "^ok   sindri.yaml valid: sindri-cli-form.yaml: workspace 'mini-sindri-dev'"

finish
