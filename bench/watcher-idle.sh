#!/bin/sh
# bench/watcher-idle.sh SB: return once the file watcher of the sindri-build at SB (if one runs) is idle.
# A first run hands the watcher every path it read, which the watcher then watches on another core for about as long
# as a walk of them. bench/run.sh calls this before each measured first run, so that back-to-back runs do not share
# the machine with the watching of the one before (a user's first run finds the watcher idle). The watcher is busy
# while its process runs (R) or waits for the disk (D), and sleeps (S) when there is nothing to do.
p=$("$1" -t server 2>/dev/null | sed -n 's/^file watcher: running, pid \([0-9]*\).*/\1/p')
[ -n "$p" ] || exit 0
while s=$(awk '{ print $3 }' "/proc/$p/stat" 2>/dev/null); do
	case $s in
	R | D) sleep 0.01 ;;
	*) exit 0 ;;
	esac
done
exit 0
