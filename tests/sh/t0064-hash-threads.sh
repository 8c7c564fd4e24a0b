# t0064: inputs are read on a pool of threads (SINDRI_BUILD_HASH_THREADS), and the keys of a tree are the same on
# one thread and on many: files, empty files, files of several read blocks, executables, symlinks to files, and an
# image context holding links and modes; a read error names the same file (the first in list order) whatever the
# schedule, and the stat cache a threaded run writes holds each file's hash under its own path.
. "$(dirname "$0")/../lib/lib.sh"

# The tree: 12 directories of 50 files of varied sizes, every 7th empty, every 5th executable, every 11th a symlink
# to a file beside it; files around the read block size (128 KiB) and one of several MB.
mkdir -p tree
d=0
while [ $d -lt 12 ]; do
	mkdir -p "tree/d$d/sub"
	f=0
	while [ $f -lt 50 ]; do
		p=tree/d$d/f$f
		[ $((f % 2)) = 1 ] && p=tree/d$d/sub/f$f
		if [ $((f % 11)) = 10 ]; then
			if [ $((f % 2)) = 1 ]; then ln -s ../f0 "$p"; else ln -s f2 "$p"; fi
		elif [ $((f % 7)) = 0 ]; then
			: >"$p"
		else
			printf 'file %s %s %0*d\n' "$d" "$f" $((d * 50 + f * 37)) 0 >"$p"
		fi
		[ $((f % 5)) = 4 ] && [ ! -L "$p" ] && chmod 755 "$p"
		f=$((f + 1))
	done
	d=$((d + 1))
done
head -c 131072 /dev/urandom >tree/block
head -c 131073 /dev/urandom >tree/block-plus-one
head -c 3000000 /dev/urandom >tree/big
printf 'FROM busybox:local\nCOPY . /t/\n' >tree/Dockerfile
IMAGE=
if "$DOCKER" image inspect busybox:local >/dev/null 2>&1; then
	IMAGE="image \"img\" { context = \"tree\", tags = { \"sbhash-$$:1\" } }"
	at_exit '"$DOCKER" rmi -f "sbhash-$$:1" >/dev/null 2>&1'
fi
cat >sindri-build.lua <<LUA
task "plain" { inputs = { "tree/" }, outputs = { "out" }, run = "echo ok > out" }
$IMAGE
default "plain"
LUA
TARGETS="plain${IMAGE:+ img}"
# keys N: the keys of the targets on N threads; sbt N ARGS: sb on N threads.
# shellcheck disable=SC2086 # the targets are words
keys() { SINDRI_BUILD_HASH_THREADS=$1 "$SB" -t key $TARGETS 2>&1; }
sbt() {
	n=$1
	shift
	SINDRI_BUILD_HASH_THREADS=$n "$SB" "$@" >"$T_OUT" 2>&1
	RC=$?
}

# -t key is read-only: no stat cache is written, so every run reads every file
k1=$(keys 1)
check "the keys on one thread are keys" test "$(echo "$k1" | grep -c '^[0-9a-f]\{32\}')" -ge 1
for n in 2 4 16 64; do
	check "the keys on $n threads are those on one" equal "$(keys $n)" "$k1"
done
check "... and on one thread per core (the default)" equal "$(keys "")" "$k1"
check "... and again on 4 (another schedule)" equal "$(keys 4)" "$k1"
SINDRI_BUILD_HASH_THREADS=two "$SB" -t key plain >"$T_OUT" 2>&1
check "a value that is no number is ignored with a warning" out_has "ignoring SINDRI_BUILD_HASH_THREADS='two'"
check "... and the key is the same" equal "$(grep -v warning "$T_OUT")" "$(echo "$k1" | sed -n "s/ plain$//p")"

# Every covered change still changes the key on many threads: content, mode, a link's target.
k=$(keys 8)
echo changed >>tree/d3/f2
check "a content change changes the key" test "$(keys 8)" != "$k"
k=$(keys 8)
chmod 755 tree/d4/f2
check "an executable bit changes the key" test "$(keys 8)" != "$k"
k=$(keys 8)
rm tree/d5/sub/f21 && ln -s ../f2 tree/d5/sub/f21
check "a symlink's new target changes the key" test "$(keys 8)" != "$k"
k1=$(keys 1)

# A threaded build writes the stat cache; a later run on one thread takes its entries (the files are older than the
# racy window by then) and must find each file's own hash: the same keys, and nothing to do.
sleep 2
sbt 8 $TARGETS
check "a threaded build runs" rc_is 0
check "... keyed as on one thread" equal "$(keys 1)" "$k1"
sbt 1 $TARGETS
check "... and a run on one thread has nothing to do" out_has "no work to do"

# A read error names the file, the first in list order, whatever the schedule: /proc/self/mem stats as a regular
# file, opens, and fails to read.
ln -s /proc/self/mem tree/d1/bad
ln -s /proc/self/mem tree/d9/bad
for n in 1 8; do
	sbt $n plain
	check "a read error on $n threads fails the task" rc_is 1
	check "... naming the first file that cannot be read" out_has "task 'plain': cannot read input 'tree/d1/bad': Input/output error"
	check "... and no other" out_lacks "tree/d9/bad"
done

finish
