# watched.sh: checks of the watched tree for tests that source it after lib.sh, read from the last run's -d stats
# line in $T_OUT. TREE_TASKS: the targets same_keys asks for.
# walked / spared: the stat calls the last run's walks made, and the stats the watched tree spared them.
walked() { sed -n 's/.*stats: \([0-9]*\) stat calls.*/\1/p' "$T_OUT"; }
spared() { sed -n 's/.* \([0-9]*\) spared by the watched tree.*/\1/p' "$T_OUT"; }
# taken: the walks the last run took whole from the watched tree's record, without walking.
taken() { sed -n 's/.* \([0-9]*\) walks taken whole.*/\1/p' "$T_OUT"; }
# vouched: the last run took every walk from the watched tree: its stat data from the cache, or the walk whole.
vouched() {
	[ "$(walked)" = 0 ] && [ $(($(spared) + $(taken))) -gt 0 ] && out_has "(unchanged)"
}
# same_keys: the keys a vouched run computes are those of a run that stats everything.
same_keys() {
	a=$("$SB" -t key $TREE_TASKS 2>&1)
	b=$(SINDRI_BUILD_WATCH=0 "$SB" -t key $TREE_TASKS 2>&1)
	[ "$a" = "$b" ] || { echo "  vouched keys '$a', stat'ed keys '$b'" >&2; return 1; }
}
# settle: run until a run is vouched for (at most 4 runs: the one that starts the watcher, the one that asks it to
# watch, the one whose token it vouches for).
settle() {
	i=0
	sb -d stats
	while ! vouched 2>/dev/null && [ $i -lt 4 ]; do
		sb -d stats
		i=$((i + 1))
	done
	vouched
}
# unwatchable_fs_ends_test: on a file system inotify cannot see whole, check that no run is ever vouched for (every
# run walks in full and is still a no-op), then end the test; elsewhere return.
unwatchable_fs_ends_test() {
	case $(stat -f -c %T .) in
	ext2/ext3 | xfs | btrfs | tmpfs) return 0 ;;
	esac
	sb
	sb -d stats
	sb -d stats
	check "a file system inotify cannot vouch for is walked in full every time" test "$(spared)" = 0
	check "... and runs are no-ops" out_has "no work to do"
	finish
	exit
}
