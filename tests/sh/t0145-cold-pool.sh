# t0145: a cold run (no state) takes the stat data of the files it reads from the files as it opens them, on the
# pool's threads, and the check after the run stats the files on those threads too: the keys are those of a warm run
# (the stat cache trusted, every file stat'ed by the walk), and an input edited, added, removed or replaced by a
# directory while the task of a cold run runs is still seen, on one thread and on many.
. "$(dirname "$0")/../lib/lib.sh"

# 6 directories of 30 files, one executable, one symlink to a file beside it, one empty
d=0
while [ $d -lt 6 ]; do
	mkdir -p "in/d$d"
	f=0
	while [ $f -lt 30 ]; do
		printf 'file %s %s\n' "$d" "$f" >"in/d$d/f$f"
		f=$((f + 1))
	done
	d=$((d + 1))
done
chmod 755 in/d1/f4
ln -s f2 in/d2/link
: >in/d3/empty
cat >sindri-build.lua <<'LUA'
task "copy" {
  inputs = { "in/" },
  outputs = { "out.txt" },
  run = "touch started; while [ -e hold ]; do sleep 0.05; done; cat in/d0/f0 > out.txt",
}
default "copy"
LUA

# during THREADS CMD: a cold run (the state removed first) on THREADS threads, CMD while copy runs (sb_during)
during() {
	rm -rf .sindri-build
	SINDRI_BUILD_HASH_THREADS=$1
	export SINDRI_BUILD_HASH_THREADS
	sb_during "$2"
	unset SINDRI_BUILD_HASH_THREADS
}

# cold and warm keys: -t key writes no state, so without one every file is read unstat'ed by the walk
cold1=$(SINDRI_BUILD_HASH_THREADS=1 "$SB" -t key copy 2>&1)
cold8=$(SINDRI_BUILD_HASH_THREADS=8 "$SB" -t key copy 2>&1)
check "a cold key is a key" test "$(echo "$cold1" | grep -c '^[0-9a-f]\{32\}$')" = 1
check "... the same on one thread and on eight" equal "$cold8" "$cold1"
SINDRI_BUILD_HASH_THREADS=8 "$SB" >"$T_OUT" 2>&1
RC=$?
check "a cold build runs" rc_is 0
check "... and records its result" out_lacks "changed while it ran"
sleep 2.5 # older than the racy window: the next runs trust the stat cache the cold build wrote
SINDRI_BUILD_HASH_THREADS=1 "$SB" -d stats >"$T_OUT" 2>&1
check "the next run has nothing to do" out_has "no work to do"
check "the warm key (every file stat'ed by the walk, the cache trusted) is the cold one" \
	equal "$(SINDRI_BUILD_HASH_THREADS=1 "$SB" -t key copy 2>&1)" "$cold1"

for n in 1 4; do
	during $n "echo edited >>in/d4/f9"
	check "$n thread(s): a cold run sees an input edited while it ran" out_has "input 'in/d4/f9' changed while it ran"
	"$SB" >"$T_OUT" 2>&1
	check "... and the next run runs it again" ran_is "copy"

	during $n "echo new >in/d5/new"
	check "$n thread(s): ... an input added" out_has "input 'in/d5/new' was added while it ran"
	rm in/d5/new

	during $n "rm in/d2/f17"
	check "$n thread(s): ... an input removed" out_has "input 'in/d2/f17' was removed while it ran"
	echo 'file 2 17' >in/d2/f17

	during $n "rm in/d3/f3 && mkdir in/d3/f3"
	check "$n thread(s): ... an input replaced by an empty directory" out_has "input 'in/d3/f3' was removed while it ran"
	rmdir in/d3/f3
	echo 'file 3 3' >in/d3/f3

	during $n "chmod 755 in/d0/f5"
	check "$n thread(s): ... an input made executable" out_has "input 'in/d0/f5' changed while it ran"
	chmod 644 in/d0/f5

	during $n ":"
	check "$n thread(s): ... and nothing when nothing changed" out_lacks "while it ran"
	check "... the run recorded" rc_is 0
done

finish
