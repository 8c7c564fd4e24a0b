# t0166: cycle-clean removes this distro's old dev images only once the no-cache build that replaces them (and the
# install) succeeded: a failed build leaves every dev image tagged as it was, a failed install every old image;
# a successful one removes the old image IDs it did not take over, keeps the new ones, and -n shows the removal
# after the build and the install.
. "$(dirname "$0")/../lib/lib.sh"
need_docker
need_cargo

mini_sindri_ws
# CACHE_WINDOW=0s: the medium clear prunes no BuildKit record (other runs share the engine's cache)
clean() { sb cycle-clean CONFIG=ws.yaml CACHE_WINDOW=0s "$@"; }
dev="$REPO:v3-ubuntu-dev"
mine="$REPO:v3-ubuntu-dev-mine" # another dev name of the old image, which no build makes

# The dev image, not deployed: no running container holds it, so only the cycle's order keeps it.
sb docker-build-dev
check "the dev image is built" rc_is 0
old=$(image_id "$dev")
tags=$("$DOCKER" image inspect -f '{{range .RepoTags}}{{.}} {{end}}' "$old") # the dev tags a build makes
check "the dev image has its dev tags" sh -c "test '$old' != none && test \$(echo $tags | wc -w) -ge 2"
"$DOCKER" tag "$old" "$mine"

# A no-cache build that fails: nothing of the user's goes.
cp v3/Dockerfile.dev Dockerfile.dev.orig
echo 'RUN false' >>v3/Dockerfile.dev
clean
check "a failing no-cache build fails cycle-clean" rc_is 1
check "it says the deployment, the home volume and the old dev images were left as they were" \
	out_has "the deployment '$W' and its home volume were left as they were, and so were the old dev images"
check "the dev tag still names the old image" equal "$(image_id "$dev")" "$old"
check "and so does the other dev name" equal "$(image_id "$mine")" "$old"
check "no deployment was made" equal "$(cid "$W")" none
cp Dockerfile.dev.orig v3/Dockerfile.dev

# The build succeeds but the install fails: the new image has the dev tags, the old one is still there.
clean CARGO_FLAGS=--no-such-flag
check "a failing install fails cycle-clean" rc_is 1
check "it says the old dev images were kept" out_has "install failed .*was left as it was, and the old dev images were kept"
new1=$(image_id "$dev")
check "the dev tag names the new image" sh -c "test '$new1' != none && test '$new1' != '$old'"
check "the old image is still there, with its other dev name" equal "$(image_id "$mine")" "$old"
check "still no deployment" equal "$(cid "$W")" none

# The plan: the old image goes after the build and the install, before the deployment.
sb -n cycle-clean CONFIG=ws.yaml CACHE_WINDOW=0s
check "-n cycle-clean succeeds" rc_is 0
check "-n: the build, then the install, then the removal of the old image, then the deployment" \
	sh -c "awk '/docker build -f v3\\/Dockerfile.dev .*--no-cache/{b=NR} /4\\. install/{i=NR} /docker rmi -f .*$mine/{r=NR} /5\\. the deployment/{d=NR} END{exit !(b && i && r && d && b<i && i<r && r<d)}' '$T_OUT'"
check "-n: no removal before the build" awk '/docker rmi/{exit 1} /docker build/{exit 0}' "$T_OUT"
check "-n: and the image of the failed cycle, by its id (its tags go to the new build)" out_has "docker rmi -f $new1 "
check "-n removed nothing" equal "$(image_id "$dev") $(image_id "$mine")" "$new1 $old"

# A successful cycle-clean: new dev images, the old ID gone, the deployment on the new image.
clean
check "cycle-clean succeeds" rc_is 0
new=$(image_id "$dev")
check "the dev tag names a new image" sh -c "test '$new' != none && test '$new' != '$old' && test '$new' != '$new1'"
check "the old dev image ID is removed" sh -c "! '$DOCKER' image inspect '$old' >/dev/null 2>&1"
check "with its other dev name" equal "$(image_id "$mine")" none
check "the image of the failed cycle is removed too" sh -c "! '$DOCKER' image inspect '$new1' >/dev/null 2>&1"
check "it says so" out_has "removed old image $(echo "$old" | cut -c8-19)"
for t in $tags; do
	check "the new image keeps the dev tag $t" equal "$(image_id "$t")" "$new"
done
check "the deployment runs the new image" equal "$("$DOCKER" inspect -f '{{.Image}}' "$W" 2>/dev/null)" "$new"

finish
