# t0016: an image is built from exactly the bytes that were hashed, and its key covers what COPY keeps besides
# content (modes, symlinks, empty directories), against the real engine. Each image is compared with a plain docker
# build of a fresh copy of its context (a new path: nothing cached to reuse), by a digest taken inside both images.
. "$(dirname "$0")/../lib/lib.sh"
need_docker

P="sbseal-$$"
at_exit '"$DOCKER" image ls --format "{{.Repository}}:{{.Tag}}" | grep "^$P[-:]" | xargs -r "$DOCKER" rmi -f >/dev/null 2>&1'

# digest IMAGE DIR: every path below DIR in the image, its type, mode, link target or content's md5.
digest() {
	"$DOCKER" run --rm "$1" sh -c 'cd "$1" && find . | sort | while read -r f; do
		if [ -L "$f" ]; then echo "$f link $(readlink "$f")"
		elif [ -d "$f" ]; then echo "$f dir $(stat -c %a "$f")"
		else echo "$f file $(stat -c %a "$f") $(md5sum <"$f")"; fi; done' sh "$2" 2>&1
}
# truth CTX DOCKERFILE: a plain docker build of a fresh copy of CTX (and of DOCKERFILE beside it when it is not in
# it), tagged $P-truth.
n=0
truth() {
	n=$((n + 1))
	rm -rf "$T_ROOT/fresh"
	mkdir -p "$T_ROOT/fresh/$n"
	cp -a "$1" "$T_ROOT/fresh/$n/ctx"
	cp "$2" "$T_ROOT/fresh/$n/Dockerfile.truth"
	DOCKER_BUILDKIT=${TRUTH_BUILDKIT:-1} "$DOCKER" build -q -t "$P-truth" -f "$T_ROOT/fresh/$n/Dockerfile.truth" \
		"$T_ROOT/fresh/$n/ctx" >/dev/null 2>&1
}
# same_as_truth IMAGE CTX DOCKERFILE DIR: IMAGE holds below DIR what a plain build of CTX does.
same_as_truth() {
	truth "$2" "$3" || { echo "  the plain docker build failed" >&2; return 1; }
	a=$(digest "$1" "$4")
	b=$(digest "$P-truth" "$4")
	[ "$a" = "$b" ] || { printf '  sindri-build:\n%s\n  plain docker build:\n%s\n' "$a" "$b" | sed 's/^/  /' >&2; return 1; }
}
in_image() { "$DOCKER" run --rm "$1" sh -c "$2" 2>&1; }

# 1. BuildKit's context transfer reuses a file whose size and mtime it has seen: a same-size edit with the mtime put
# back reached the image as the old bytes, labelled with the new key.
mkdir -p a/app
printf 'version 1\n' >a/app/v.txt
printf 'FROM busybox:local\nCOPY app/ /app/\n' >a/Dockerfile
cat >sindri-build.lua <<LUA
image "a" { context = "a", tags = { "$P-a:1" } }
image "c" { context = "c", tags = { "$P-c:1" } }
image "chm" { context = "c", dockerfile = "c/chmod.Dockerfile", tags = { "$P-chm:1" } }
image "out" { context = "c", dockerfile = "c/outside.Dockerfile", tags = { "$P-out:1" } }
image "m" { context = "m", tags = { "$P-m:1" } }
image "ext" { context = "e/ctx", dockerfile = "e/Dockerfile", tags = { "$P-ext:1" } }
image "ign" { context = "g", tags = { "$P-ign:1" } }
image "own" { context = "o", tags = { "$P-own:1" } }
image "legacy" { context = "a", tags = { "$P-legacy:1" } }
LUA
sb a
check "a first build" ran_is "a"
touch -r a/app/v.txt ref
printf 'version 2\n' >a/app/v.txt
touch -r ref a/app/v.txt
sb a
check "a same-size edit with the mtime put back rebuilds" ran_is "a"
check "... and the image holds the new bytes" test "$(in_image "$P-a:1" 'cat /app/v.txt')" = "version 2"
check "the context went as a tar on stdin" out_has "load remote build context"
DOCKER_BUILDKIT=0 sb legacy
check "the legacy builder builds from the sealed tar too" test "$(in_image "$P-legacy:1" 'cat /app/v.txt')" = "version 2"

# 2. What COPY keeps besides content, each a change to the image that the key must see.
mkdir -p c/tree/sub c/scripts
echo f >c/tree/f
echo x >c/tree/x
echo f >c/tree/x2
echo g >c/tree/sub/g
ln -s f c/tree/l1
echo s >c/scripts/run.sh
echo outside >outside.txt
printf 'FROM busybox:local\nCOPY tree/ /t/\n' >c/Dockerfile
sb c
check "(built)" ran_is "c"
check "the image is what a plain build makes" same_as_truth "$P-c:1" c c/Dockerfile /t
mutate() {
	desc=$1
	shift
	"$@"
	sb c
	check "$desc rebuilds" ran_is "c"
	check "... and the image is what a plain build makes" same_as_truth "$P-c:1" c c/Dockerfile /t
}
mutate "chmod +x on a copied file" chmod +x c/tree/x
mutate "chmod 600 on a copied file" chmod 600 c/tree/f
mutate "a new empty directory" mkdir c/tree/empty
echo f >c/tree/f2
chmod 600 c/tree/f2
sb c
mutate "a symlink pointed at another file with the same content" ln -sfn f2 c/tree/l1
mutate "a file replaced by a symlink to an identical file" sh -c 'rm c/tree/x2 && ln -s f c/tree/x2'
mutate "a dangling symlink" ln -s nowhere c/tree/dang
mutate "a symlink to a directory" ln -s sub c/tree/ldir
mutate "a directory's mode" chmod 700 c/tree/sub
chmod 700 c/tree/empty
sb -t explain c
check "explain names a mode change" out_has "ctx:tree/empty changed: 'dir 0755' -> 'dir 0700'"
sb c
touch c/tree/x
sb c
check "touch alone changes nothing" ran_is ""

# --chmod replaces the source's mode: changing that mode changes nothing.
printf 'FROM busybox:local\nCOPY --chmod=0755 scripts/ /s/\n' >c/chmod.Dockerfile
sb chm
check "(built)" ran_is "chm"
chmod +x c/scripts/run.sh
sb chm
check "a chmod of a source COPY --chmod copies does not rebuild" ran_is ""
check "(the image has the --chmod mode)" test "$(in_image "$P-chm:1" 'stat -c %a /s/run.sh')" = 755

# A symlink is keyed as a link, never followed: one that points outside the project is never read.
ln -s ../../outside.txt c/tree/lout
ln -s /etc/hostname c/tree/labs
sb c
check "(links added: rebuilt)" ran_is "c"
check "links out of the context are copied as links" same_as_truth "$P-c:1" c c/Dockerfile /t
echo 'outside, edited' >outside.txt
sb c
check "what a link outside names is not an input" ran_is ""
printf 'FROM busybox:local\nCOPY tree/lout /x\n' >c/outside.Dockerfile
sb out
check "a named source that is a link out of the context is not found, as the builder says" \
	out_has "COPY source 'tree/lout' not found in the build context"

# 3. Multi-stage, a bind mount, .dockerignore, a named symlink and a wildcard, through the sealed tar.
mkdir -p m/src m/docs m/lib
echo main >m/src/main.txt
echo util >m/src/util.txt
echo secret >m/src/secret.key
echo doc >m/docs/a.md
echo lib >m/lib/l.txt
ln -s lib m/linklib
printf '**/*.key\ndocs\n' >m/.dockerignore
cat >m/Dockerfile <<'DF'
FROM busybox:local AS build
COPY src/ /src/
RUN --mount=type=bind,source=lib,target=/lib2 cat /lib2/l.txt /src/main.txt > /built.txt
FROM busybox:local
COPY --from=build /built.txt /out/built.txt
COPY linklib/l.txt src/*.txt /out/
COPY . /out/all/
DF
sb -v m
check "a multi-stage build with a bind mount" ran_is "m"
check "... gives what a plain build does" same_as_truth "$P-m:1" m m/Dockerfile /out
echo 'lib v2' >m/lib/l.txt
sb -v m
check "an edit to what only the last stage reads rebuilds" ran_is "m"
check "... and BuildKit's layer cache still serves the first COPY" out_has "CACHED"
check "... and the image is what a plain build makes" same_as_truth "$P-m:1" m m/Dockerfile /out
echo 'changed secret' >m/src/secret.key
sb m
check "an ignored file changes nothing" ran_is ""

# 4. The Dockerfile has a place of its own in the tar only where no COPY reads it; else the context is sealed as a
# directory beside which it lies. Either way the image is what a plain build makes.
mkdir -p e/ctx/d
echo one >e/ctx/d/one.txt
printf 'FROM busybox:local\nCOPY . /app/\n' >e/Dockerfile
sb ext
check "a Dockerfile outside a context that COPY . reads: built" ran_is "ext"
check "... without the Dockerfile in the image" same_as_truth "$P-ext:1" e/ctx e/Dockerfile /app
touch -r e/ctx/d/one.txt ref
printf 'two\n' >e/ctx/d/one.txt
touch -r ref e/ctx/d/one.txt
sb ext
check "... a same-size edit with the mtime put back" test "$(in_image "$P-ext:1" 'cat /app/d/one.txt')" = two
check "... and no sealed directory is left behind" test -z "$(ls .sindri-build | grep sealed)"
mkdir -p g
echo g >g/g.txt
printf 'Dockerfile\n.dockerignore\n' >g/.dockerignore
printf 'FROM busybox:local\nCOPY . /app/\n' >g/Dockerfile
sb ign
check "a Dockerfile the ignore file leaves out: built" ran_is "ign"
check "... without it in the image" same_as_truth "$P-ign:1" g g/Dockerfile /app
mkdir -p o
echo o >o/o.txt
printf 'FROM busybox:local\nCOPY . /app/\n' >o/Dockerfile
sb own
check "a Dockerfile COPY . takes along: built" ran_is "own"
check "... with it in the image, as a plain build has it" same_as_truth "$P-own:1" o o/Dockerfile /app

# 5. Comment lines are not instructions: adding or editing one changes no key; a parser directive and a line of a
# here-document body do.
key() { "$SB" -t key a 2>&1; }
k0=$(key)
printf 'FROM busybox:local\n# a comment\n\nCOPY app/ /app/\n  # indented, and a blank line above\n' >a/Dockerfile
check "comments and blank lines change no key" test "$(key)" = "$k0"
sb a
check "... and build nothing" ran_is ""
printf '# escape=`\nFROM busybox:local\nCOPY app/ /app/\n' >a/Dockerfile
check "a parser directive changes the key" test "$(key)" != "$k0"
printf 'FROM busybox:local\nRUN echo a \\\n# between\n  b\nCOPY app/ /app/\n' >a/Dockerfile
k1=$(key)
printf 'FROM busybox:local\nRUN echo a \\\n# between, edited\n  b\nCOPY app/ /app/\n' >a/Dockerfile
check "a comment inside a continued instruction changes no key" test "$(key)" = "$k1"
printf 'FROM busybox:local\nCOPY <<EOF /h.txt\n# in a body\nEOF\nCOPY app/ /app/\n' >a/Dockerfile
k2=$(key)
printf 'FROM busybox:local\nCOPY <<EOF /h.txt\n# in a body, edited\nEOF\nCOPY app/ /app/\n' >a/Dockerfile
check "a '#' line in a here-document body changes the key" test "$(key)" != "$k2"
printf 'FROM busybox:local\nCOPY <<EOF /h.txt\n# in a body, edited\n\nEOF\nCOPY app/ /app/\n' >a/Dockerfile
check "so does a blank line there" test "$(key)" != "$k2"

finish
