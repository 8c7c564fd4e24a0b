# t0160: -t run (the edge an external scheduler runs) of an image task found current by its key label with no
# record of it (no state: deleted, or a fresh checkout) records what the image keeps, as a build does: a docker commit
# to its tag after that is built again by the next -t run, not taken for the image the label was found on.
. "$(dirname "$0")/../lib/lib.sh"
need_docker

P="sbtest-t0160-$$"
at_exit 'rmi_named "$P"'
at_exit '"$DOCKER" rm -f "$P-c" >/dev/null 2>&1'

echo built >f.txt
printf 'FROM busybox:local\nCOPY f.txt /f.txt\n' >Dockerfile
cat >sindri-build.lua <<LUA
image "img" { tags = { "$P:a" } }
LUA
content() { "$DOCKER" run --rm "$P:a" cat /f.txt 2>&1; }
commit() {
	"$DOCKER" run --name "$P-c" "$P:a" sh -c "echo $1 >/f.txt" >/dev/null 2>&1
	"$DOCKER" commit "$P-c" "$P:a" >/dev/null 2>&1
	"$DOCKER" rm -f "$P-c" >/dev/null 2>&1
}
builds() { "$DOCKER" image ls -q --filter "label=org.sindri-build.task=img" | sort -u | wc -l; }

sb img
check "the image is built" ran_is "img"
rm -rf .sindri-build

sb -t run img
check "-t run without a state: current by its label" rc_is 0
check "... its results are recorded (not as a run)" sh -c "'$SB' -t stats | grep -q '^img  *0 '"
commit committed
check "the commit is under the tag" equal "$(content)" committed
sb -t run img
check "-t run after a commit to the tag: built again" rc_is 0
check "... and the tag holds the built content" equal "$(content)" built
sb -t run img
check "... then current" rc_is 0
check "... and not built again" sh -c "'$SB' -t stats | grep -q '^img  *1 '"

# the edge's record is the one a build reads
commit again
sb img
check "a build after a commit to the tag the edge recorded builds again" ran_is "img"
check "... and the tag holds the built content" equal "$(content)" built
finish
