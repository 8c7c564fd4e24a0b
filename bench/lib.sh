# bench/lib.sh: what the scripts of bench/ share. Sourced; the caller sets BENCH (this folder),
# SB (the sindri-build to measure, an absolute path) and, before calling anything but die, W (a scratch directory).

die() {
	echo "bench: $*" >&2
	exit 2
}

# private_copy: measure a copy of $SB in $W (SB_ORIG keeps the original): others may rebuild ./sindri-build while
# a benchmark runs, and the copy's engine helper ends when $W goes.
private_copy() {
	SB_ORIG=$SB
	cp "$SB" "$W/sindri-build" || die "cannot copy '$SB'"
	SB=$W/sindri-build
}

say() {
	printf '\n== %s\n' "$*"
}

# sb_quiet DIR: one sindri-build run in DIR; its output in $W/last.out.
sb_quiet() {
	(cd "$1" && "$SB") >"$W/last.out" 2>&1
}

# settle DIR: run until the stat cache trusts every entry. FILECACHE_RACY_NS (2 s) makes a file hashed within 2 s of
# its last change count as racy and be rehashed on its next use; waiting 3 s then running once more leaves a state in
# which the next run reads and writes no cache. Dies if sindri-build fails; warns if the last run is not a no-op.
settle() {
	sb_quiet "$1" || { cat "$W/last.out"; die "sindri-build failed in '$1'"; }
	sleep 3
	sb_quiet "$1"
	sb_quiet "$1"
	grep -q "no work to do" "$W/last.out" || {
		sed 's/^/  | /' "$W/last.out"
		echo "  !! sindri-build in '$1' is not a no-op after two runs: the no-op numbers below are not a no-op"
	}
}

# make_tree NAME SHAPE: the tree (shape many: $LARGE_FILES files) in $W/NAME/tree, a one-task recipe, a one-edge build.ninja and a one-rule makefile
# (bench.mk) beside it.
make_tree() {
	d=$W/$1
	mkdir -p "$d/tree"
	awk -v shape="$2" -v files="${LARGE_FILES:-0}" -f "$BENCH/manifest.awk" >"$d/manifest" || die "manifest.awk failed"
	sed 's|^[0-9]* ||; s|/[^/]*$||' "$d/manifest" | sort -u | (cd "$d/tree" && xargs mkdir -p) || die "mkdir failed"
	awk -v root="$d/tree" -f "$BENCH/fill.awk" "$d/manifest" || die "fill.awk failed"
	# The task writes its stamp from Lua, so the cold run times hashing, not spawning a process.
	cat >"$d/sindri-build.lua" <<-'LUA'
		task "stamp" {
		  inputs = { "tree/" },
		  outputs = { "stamp-sb" },
		  run = function()
		    local f = assert(io.open("stamp-sb", "w"))
		    f:write("ok\n")
		    f:close()
		  end,
		}
		default "stamp"
	LUA
	# ninja gets its own stamp so neither tool's build touches the other's output.
	{
		# shellcheck disable=SC2016 # $out is ninja's
		printf 'rule stamp\n  command = touch $out\nbuild stamp-ninja: stamp'
		sort -k2 "$d/manifest" | awk '{ printf " $\n    tree/%s", $2 }'
		printf '\ndefault stamp-ninja\n'
	} >"$d/build.ninja"
	# And make, the tool the Sindri guide uses today.
	{
		printf 'stamp-make:'
		sort -k2 "$d/manifest" | awk '{ printf " \\\n  tree/%s", $2 }'
		printf '\n\ttouch $@\n'
	} >"$d/bench.mk"
}

files_of() { wc -l <"$W/$1/manifest" | tr -d ' '; }
bytes_of() { awk '{ s += $1 } END { print s }' "$W/$1/manifest"; }
