# t0161: deploy replaces the container only once its replacement runs: a replacement that cannot start (its image's
# command is missing) fails the deploy and leaves the old container as it was: the same container, running, with
# what it holds outside the home volume. A replacement that starts takes the name, and the old container goes.
# Through the sindri CLI (whose container carries no key label), a deployment made from other inputs (another
# CONFIG, another CLI) is deployed again, not taken as current because it runs the current image.
. "$(dirname "$0")/../lib/lib.sh"
need_docker

mini_sindri_ws
at_exit '"$DOCKER" ps -aq --filter "name=^/$W-" | xargs -r "$DOCKER" rm -f >/dev/null 2>&1'
at_exit 'rmi_named "$P-dev"'
printf 'workspace:\n  name: %s\ndeployment:\n  provider: docker\n  image: %s-dev:1\n' "$W" "$P" >ws.yaml
# an image whose command ends at once on SIGTERM, so that stopping the container takes no ten seconds
image() {
	printf 'FROM busybox:local\nRUN echo %s >/which\nCMD %s\n' "$1" "$2" |
		DOCKER_BUILDKIT=1 "$DOCKER" build -q -t "$P-dev:1" - >/dev/null 2>&1
}
good='["sh", "-c", "trap exit TERM; while :; do sleep 1; done"]'
running() { test "$("$DOCKER" inspect -f '{{.State.Running}}' "$W" 2>/dev/null)" = true; }
others() { "$DOCKER" ps -aq --filter "name=^/$W-" | wc -l; }

image one "$good"
sb deploy CONFIG=ws.yaml
check "the first deploy runs the container" running
"$DOCKER" exec "$W" sh -c 'echo "my work" >/work.txt'
c=$(cid "$W")

image broken '["/nonexistent"]'
sb deploy CONFIG=ws.yaml
check "a replacement that cannot start fails the deploy" rc_is 1
check "... and says the deployment was left as it was" out_has "left as it was"
check "... the old container is still the deployment" equal "$(cid "$W")" "$c"
check "... running" running
check "... with its work outside the home volume" equal "$("$DOCKER" exec "$W" cat /work.txt 2>&1)" "my work"
check "... and no other container is left behind" equal "$(others)" 0

image two "$good"
sb deploy CONFIG=ws.yaml
check "a replacement that starts is deployed" rc_is 0
check "... under the name" test "$(cid "$W")" != "$c"
check "... running its image" equal "$("$DOCKER" exec "$W" cat /which 2>&1)" two
check "... and the old container is gone" test "$(cid "$c")" = none
check "... with no other container left behind" equal "$(others)" 0

# a stand-in CLI that deploys the workspace as the real one would: a container of that name, running the image
printf '#!/bin/sh\necho "$*" >>"%s/cli.log"\n"%s" rm -f %s >/dev/null 2>&1\nexec "%s" run -d --name %s %s >/dev/null\n' \
	"$PWD" "$DOCKER" "$W" "$DOCKER" "$W" "$P-dev:1" >cli
chmod +x cli
clis() { cat cli.log 2>/dev/null | wc -l; }
sb deploy CONFIG=ws.yaml SINDRI_CLI="$PWD/cli"
check "a deployment made without the CLI is deployed again through it" equal "$(clis)" 1
check "... running" running
sb deploy CONFIG=ws.yaml SINDRI_CLI="$PWD/cli"
check "... then it is current" out_has "no work to do"
echo '# another config' >>ws.yaml
sb deploy CONFIG=ws.yaml SINDRI_CLI="$PWD/cli"
check "another CONFIG is deployed again through the CLI" equal "$(clis)" 2
check "... running" running
sb deploy CONFIG=ws.yaml SINDRI_CLI="$PWD/cli"
check "... then it is current" out_has "no work to do"
finish
