# residents.sh: find the engine helpers and file watchers (common/resident.h) of one sindri-build binary, so that
# tests/run.sh and lib.sh can tell which ones a test left running. Sourced; needs /proc.

# residents EXE: "PID SOCKET" for each running `sindri-build --engine-helper|--watcher SOCKET ...` whose executable
# is EXE (a find -lname pattern, matched against the real path; quote a literal path's * ? [ with \).
residents() {
	find /proc/[0-9]*/exe -maxdepth 0 \( -lname "$1" -o -lname "$1 (deleted)" \) 2>/dev/null | while read -r _re; do
		_rp=${_re#/proc/}
		_rp=${_rp%/exe}
		# shellcheck disable=SC2046 # the words of its command line
		set -- $({ tr '\0' ' ' <"/proc/$_rp/cmdline"; } 2>/dev/null)
		case "${2:-}" in --engine-helper | --watcher) echo "$_rp ${3:-}" ;; esac
	done
}

# resident_from PID: the directory the run that started it was in (its PWD), to say which test that was.
resident_from() {
	{ tr '\0' '\n' <"/proc/$1/environ"; } 2>/dev/null | sed -n 's/^PWD=//p'
}
