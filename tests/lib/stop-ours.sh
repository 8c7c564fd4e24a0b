# stop-ours.sh: sourced by the setup scripts. stop_ours PID DIR: when `ours PID DIR` (the caller's test that PID
# still is the process it started for DIR) holds, send TERM, wait up to 15 s for it to go, then send KILL.
stop_ours() {
	ours "$1" "$2" || return 0
	kill "$1" 2>/dev/null || true
	i=0
	while ours "$1" "$2" && [ "$i" -lt 150 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	! ours "$1" "$2" || kill -9 "$1" 2>/dev/null || true
}
