# t0158: what a run waits for the disk for, watched with strace (docs/design.md "The state"). A first run writes its
# new task log (the header alone) without a flush, commits its record with write + fdatasync once the task is done,
# and then makes the log's name durable with an fsync of .sindri-build, in that order; a later run that records
# commits with one fdatasync and no directory fsync; a no-op and a failed task flush nothing; a dry run opens nothing
# under .sindri-build for writing.
. "$(dirname "$0")/../lib/lib.sh"

if ! command -v strace >/dev/null 2>&1 || ! strace -f -qq -o /dev/null true >/dev/null 2>&1; then
	if [ "${CI:-}" = true ]; then
		echo "$T_NAME: no working strace under CI (.ci/deps.sh installs it)" >&2
		echo "$T_NAME: 0 passed, 1 failed"
		exit 1
	fi
	echo "$T_NAME: skipped: no working strace"
	echo "$T_NAME: 0 passed, 0 failed"
	exit 0
fi
# the watcher is another process, and a run that starts one forks: none here
SINDRI_BUILD_WATCH=0
export SINDRI_BUILD_WATCH

cat >sindri-build.lua <<'LUA'
task "t" {
  inputs = { "in.txt" },
  outputs = { "out.txt" },
  run = function()
    if io.open("fail") then error("told to fail") end
    local f = assert(io.open("out.txt", "w"))
    f:write("x")
    f:close()
  end,
}
default "t"
LUA
echo a >in.txt

# traced ARGS...: run sindri-build under strace into trace.txt (one call a line, without the pid), its output in T_OUT
# (LeakSanitizer cannot run under ptrace: a sanitized build checks for leaks everywhere but here)
traced() {
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -qq -e trace=openat,rename,write,fdatasync,fsync -o trace.raw "$SB" "$@" >"$T_OUT" 2>&1
	T_RC=$?
	sed 's/^[0-9]* *//' trace.raw >trace.txt
}
# count PATTERN: how many lines of trace.txt match the extended regular expression PATTERN
count() { grep -cE "$1" trace.txt; }
# order: the line numbers of the log's open for appending, the record's write to it, its fdatasync, the open of
# .sindri-build as a directory and the fsync of that descriptor (0 for what is not there), in trace.txt
order() {
	awk '
		/^openat\(AT_FDCWD, "\.sindri-build\/tasks", O_WRONLY\|O_APPEND/ { lfd = $NF; open = NR }
		lfd != "" && !write && index($0, "write(" lfd ",") == 1 { write = NR }
		lfd != "" && !sync && $0 ~ "^fdatasync\\(" lfd "\\)" { sync = NR }
		sync && !dir && /^openat\(AT_FDCWD, "\.sindri-build", .*O_DIRECTORY/ { dir = NR; dfd = $NF }
		dir && !dsync && $0 ~ "^fsync\\(" dfd "\\)" { dsync = NR }
		/^openat\(AT_FDCWD, "out\.txt", O_WRONLY/ { out = NR }
		END { printf "%d %d %d %d %d %d\n", open, write, sync, dir, dsync, out }
	' trace.txt
}
# before A B: A and B are both there, A first
before() { [ "$1" -gt 0 ] && [ "$2" -gt "$1" ]; }

traced
check "first run succeeds" [ "$T_RC" -eq 0 ]
set -- $(order)
check "first run: the new log is written, then renamed, without a flush" \
	awk '/^openat\(AT_FDCWD, "\.sindri-build\/tasks\.tmp/ { fd = $NF; next }
	     fd != "" && ($0 ~ "^fdatasync\\(" fd "\\)" || $0 ~ "^fsync\\(" fd "\\)") { bad = 1 }
	     /^rename\(".sindri-build\/tasks\.tmp/ { renamed = 1; exit }
	     END { exit !(renamed && !bad) }' trace.txt
check "first run: the task's output is written before its record" before "$6" "$2"
check "first run: the record is written, then flushed with fdatasync" before "$2" "$3"
check "first run: then .sindri-build is opened and fsync'ed" before "$3" "$4"
check "first run: the directory's fsync is on that descriptor" before "$4" "$5"
check "first run: one fdatasync and one fsync in all" [ "$(count '^fdatasync\(')$(count '^fsync\(')" = 11 ]

traced
check "no-op: nothing to do" out_has "no work to do"
check "no-op: no flush" [ "$(count '^(fdatasync|fsync)\(')" -eq 0 ]
check "no-op: nothing appended to the log" [ "$(order | cut -d' ' -f2)" -eq 0 ]

echo b >in.txt
traced
check "second record: the task ran" [ "$T_RC" -eq 0 ]
set -- $(order)
check "second record: written, then flushed with fdatasync" before "$2" "$3"
check "second record: one fdatasync, no fsync" [ "$(count '^fdatasync\(') $(count '^fsync\(')" = "1 0" ]

echo c >in.txt
touch fail
traced
check "failed task: the run fails" [ "$T_RC" -ne 0 ]
check "failed task: no flush" [ "$(count '^(fdatasync|fsync)\(')" -eq 0 ]
check "failed task: nothing appended to the log" [ "$(order | cut -d' ' -f2)" -eq 0 ]
rm fail

traced -n
check "dry run: it would run the task" out_has "would run"
check "dry run: nothing under .sindri-build opened for writing" \
	[ "$(count '^openat\(AT_FDCWD, "\.sindri-build[^"]*", [^)]*(O_WRONLY|O_RDWR|O_CREAT)')" -eq 0 ]
check "dry run: no rename, no flush" [ "$(count '^(rename|fdatasync|fsync)\(')" -eq 0 ]

finish
