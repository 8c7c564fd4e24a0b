# t0006: on a terminal the status line is rewritten in place and failures are coloured, unless NO_COLOR; off a
# terminal every started task gets a plain line. The terminal is a pty from script(1).
. "$(dirname "$0")/../lib/lib.sh"

cat >sindri-build.lua <<'LUA'
task "one" { run = { "true" } }
task "two" { deps = { "one" }, run = { "true" } }
task "bad" { run = "echo bad-output; exit 2" }
default "two"
LUA

# tty CMD: run CMD on a pty; its raw output (escape sequences included) in $T_OUT.
tty() {
	TERM=xterm script -qec "$*" /dev/null >"$T_OUT" 2>&1 </dev/null
}

tty "'$SB'"
check "on a terminal the status line is rewritten in place" sh -c "grep -q \"$(printf '\r')\\[2/2\\] two\" '$T_OUT'"
check "and erased to the end of the line" sh -c "grep -q \"$(printf '\033')\\[K\" '$T_OUT'"
rm -rf .sindri-build
sb
check "off a terminal each task gets its own line" sh -c "grep -q '^\\[1/2\\] one\$' '$T_OUT' && grep -q '^\\[2/2\\] two\$' '$T_OUT'"
check "off a terminal there are no escape sequences" sh -c "! grep -q \"$(printf '\033')\" '$T_OUT'"

tty "'$SB' bad"
check "on a terminal a failure is red" sh -c "grep -q \"$(printf '\033')\\[31mFAILED:\" '$T_OUT'"
check "and its output is shown" out_has "bad-output"
tty "NO_COLOR=1 '$SB' bad"
check "NO_COLOR turns the colour off" sh -c "grep -q 'FAILED: bad' '$T_OUT' && ! grep -q \"$(printf '\033')\\[31m\" '$T_OUT'"

finish
