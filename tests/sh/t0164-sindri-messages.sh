# t0164: what the stock Sindri targets say reads once and tells the maintainer what to do: doctor on a missing base
# (the reason once, no parentheses inside parentheses, the build for the distro asked about), its config line, the
# closing line of a report, -t targets, a dry run of a cycle that has nothing to do, and a cycle whose config
# deploys an image it does not build, cycle-live on a deployment nothing was synced into, and a dry run of
# cache-prune with nothing to prune, and a dry run of cycle-nuclear.
. "$(dirname "$0")/../lib/lib.sh"
need_docker
need_cargo

mini_sindri_ws
sed -i "s/name: mini-sindri-dev/name: $W/; s/image: sindri:latest/image: $REPO:latest/" sindri.yaml

sb doctor DISTRO=fedora
check "no base: doctor fails" rc_is 1
check "... on the base check" out_has "^FAIL base image for fedora: no image '$REPO:base-fedora-3.0.0' in the Docker engine"
check "... saying that once" sh -c "test \$(grep '^FAIL base image' '$T_OUT' | grep -o 'no image' | wc -l) = 1"
check "... with no parentheses inside parentheses" sh -c "! grep '^FAIL base image' '$T_OUT' | grep -q '([^)]*('"
check "... naming the build for that distro" out_has "; build it: sindri-build docker-build-base-fedora$"
check "the config check names the file once" out_has "^ok   sindri.yaml valid: workspace '$W', provider docker"
sb doctor DISTRO=fedora CONFIG=sindri-cli-form.yaml
check "another config file is named" out_has "^ok   sindri.yaml valid: sindri-cli-form.yaml: workspace 'mini-sindri-dev'"

sb -t targets
check "-t targets: no two parentheticals in a row" out_lacks ") ("
check "... the nuclear cycle says it asks first" out_has "^  cycle-nuclear: .*new home volume; asks first (rarely) \[40-50 min\]$"

sb cache-status
check "cache-status: the closing line counts a report, not a build" out_has "^sindri-build: 1 report, nothing built in "

sb -n cache-prune
check "a dry run of cache-prune with no image to remove says so" \
	out_has "^# no image to remove: no base beyond the newest two, no sindri image older than 30 days that is not current$"

sb cycle-fast CONFIG=sindri.yaml
check "cycle-fast builds and deploys" rc_is 0
check "... saying which base and why" out_has "^sindri-build: docker-build-dev-ubuntu: base $REPO:base-ubuntu-latest (the local base): .*no image '$REPO:base-ubuntu-3.0.0' in the Docker engine"
check "... with no parentheses inside parentheses" sh -c "! grep '^sindri-build: docker-build-dev-ubuntu: base' '$T_OUT' | sed 's/^[^)]*)//' | grep -q '([^)]*('"
sb -n cycle-fast CONFIG=sindri.yaml
check "a dry run of a cycle with nothing to do says so, as the run would" \
	out_has "^# cycle-fast: nothing changed; deployment '$W' is current and left running$"
check "... and ends with no work to do" out_has "^sindri-build: no work to do: 3 up to date in "
sb -n cycle-nuclear CONFIG=sindri.yaml
check "a dry run of cycle-nuclear plans one new deployment" sh -c "test \$(grep -c 'docker run -d' '$T_OUT') = 1"
check "... after removing the old one with its home volume" out_has "^/usr/bin/docker volume rm ${W}_home$"
check "... and does not say the home volume is kept" out_lacks "home volume ${W}_home is kept"
check "... but that a new one comes" out_has "^# deploy: a new deployment, with a new home volume (the old ones are removed above)$"

sb cycle-live CONFIG=sindri.yaml
check "cycle-live on a fresh deployment: nothing synced, so it is current, not live-synced" \
	out_has "^sindri-build: cycle-live: nothing changed; deployment '$W' is current and left running$"

sed "s/image: $REPO:latest/image: sindri:latest/" sindri.yaml >other-image.yaml
sb -n cycle-fast CONFIG=other-image.yaml
check "a config that deploys an image the cycle does not build: the line says what to set" \
	out_has "other-image.yaml deploys sindri:latest, which this cycle does not build (it builds $REPO:v3-ubuntu-dev); to deploy what it builds, set deployment.image to $REPO:v3-ubuntu-dev$"

finish
