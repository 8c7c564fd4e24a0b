# t0092: the sealed context with the legacy builder (DOCKER_BUILDKIT=0), for a COPY that reads the context whole
# while .dockerignore leaves the Dockerfile out (at the context's top or below). docker build's own tar holds the
# Dockerfile then, and the daemon takes it (and .dockerignore, when that lists itself) out after reading it; a
# context written as a directory went through the client, which adds the Dockerfile under a random name and appends
# that name to the .dockerignore the image then got. Each image is compared with a plain legacy docker build of a
# fresh copy of the context.
. "$(dirname "$0")/../lib/lib.sh"
need_docker
DOCKER_BUILDKIT=0
SINDRI_BUILD_SERVER=0
export DOCKER_BUILDKIT SINDRI_BUILD_SERVER
P="sblegacy-$$"
at_exit '"$DOCKER" rmi -f "$P:img" "$P:truth" >/dev/null 2>&1'

# listing REF: every entry below /out with its type, mode and content hash.
listing() {
	"$DOCKER" run --rm --network none "$1" sh -c 'cd /out && find . -mindepth 1 | sort | while read -r f; do
		if [ -d "$f" ]; then echo "$f dir $(stat -c %a "$f")"
		else echo "$f file $(stat -c %a "$f") $(md5sum <"$f")"; fi; done' 2>&1
}

n=0
# case IGNORE DESC [DOCKERFILE]: a context whose .dockerignore holds IGNORE (printf format) and whose Dockerfile is
# DOCKERFILE (default Dockerfile), built by sindri-build and by a plain legacy docker build; the two images hold the
# same under /out. (A Dockerfile the context holds goes in the tar as an entry, with either builder: other tests
# have that.)
case_() {
	n=$((n + 1))
	df=${3:-Dockerfile}
	rm -rf ctx .sindri-build "fresh-$n"
	mkdir -p ctx/src ctx/sub
	echo a >ctx/src/a
	echo b >ctx/b
	printf 'FROM busybox:local\nCOPY . /out/\n' >"ctx/$df"
	printf "$1" >ctx/.dockerignore
	printf 'image "img" { context = "ctx", dockerfile = "ctx/%s", tags = { "%s:img" } }\ndefault "img"\n' "$df" "$P" \
		>sindri-build.lua
	"$DOCKER" rmi -f "$P:img" >/dev/null 2>&1
	sb
	check "$2: sindri-build builds it" rc_is 0
	cp -a ctx "fresh-$n"
	"$DOCKER" build -q -f "fresh-$n/$df" -t "$P:truth" "fresh-$n" >/dev/null 2>&1
	a=$(listing "$P:img")
	b=$(listing "$P:truth")
	check "$2: the image holds what a plain docker build's does" test "$a" = "$b"
	[ "$a" = "$b" ] || printf '  sindri-build:\n%s\n  docker build:\n%s\n' "$a" "$b" | sed 's/^/  /' >&2
	sb
	check "$2: then nothing to do" out_has "no work to do"
}
case_ 'Dockerfile\n' "the Dockerfile ignored"
case_ 'sub/Dockerfile\n' "sub/Dockerfile ignored" sub/Dockerfile
case_ '*\n!src\n' "all but src ignored, the Dockerfile in sub" sub/Dockerfile

finish
