# t0163: what a run says: the closing line after a report (a read-only task: cache-status, doctor) counts no
# build, the --json document counts the report apart from what was built, a failed Lua task is reported without a
# made-up command line or exit status, a variable written without its value is named as one, and a NAME=value that
# nothing read is said to have changed nothing; -t targets given a name says so instead of ignoring it; --help
# says where to start.
. "$(dirname "$0")/../lib/lib.sh"

cat >sindri-build.lua <<'LUA'
task "a" { inputs = { "a.txt" }, outputs = { "a.out" }, run = "cp a.txt a.out" }
local distro = var("DISTRO", "ubuntu")
task "v" { vars = { "COLOR" }, run = "echo colour" }
task "late" { always = true, run = function() print("age " .. var("PRUNE_AGE", "1d")) return true end }
task "report" { readonly = true, run = function() print("the report") return true end }
task "bad-report" { readonly = true, run = function() print("a check failed") return false end }
task "oops" { always = true, run = function() error("oops: the thing went wrong", 0) end }
LUA
echo 1 >a.txt

sb report
check "a report runs" rc_is 0
check "... and prints" out_has "^the report$"
check "the closing line says nothing was built" out_has "^sindri-build: 1 report, nothing built in "
check "... not that one was built" out_lacks "1 built"

sb a
sb report a
check "a report beside an up-to-date task: nothing built, one up to date" \
	out_has "^sindri-build: 1 report, nothing built, 1 up to date in "
echo 2 >a.txt
sb report a
check "a report beside a build: the build counted, the report apart" \
	out_has "^sindri-build: 1 built, 0 up to date, 0 failed, 1 report in "

check "--json: a report is not counted as built" sh -c "'$SB' --json report 2>/dev/null | python3 -c 'import json, sys; d = json.load(sys.stdin); sys.exit(0 if (d[\"built\"], d[\"reports\"], d[\"up_to_date\"], d[\"failed\"]) == (0, 1, 0, 0) else 1)'"

sb bad-report
check "a report that fails: exit 1" rc_is 1
check "... counted as failed" out_has "^sindri-build: 0 built, 0 up to date, 1 failed in "

sb oops
check "a failed Lua task: exit 1" rc_is 1
check "... its error is shown" out_has "oops: the thing went wrong"
check "... with FAILED and its name" out_has "^FAILED: oops$"
check "... no '(lua function)' as if it were a command" out_lacks "(lua function)"
check "... no exit status a function does not have" out_lacks "failed with exit status"

sb report CONFIG
check "a variable without its value: a usage error" rc_is 2
check "... that says how a variable is set" out_has "unknown target 'CONFIG' ('CONFIG' is not a target: a variable is set with CONFIG=value)"
sb reprot
check "a lowercase typo gets no such hint" out_lacks "variable is set"

sb a DISTR=fedora
check "a variable nothing read: the run still succeeds" rc_is 0
check "... and says it changed nothing, with the name meant" \
	out_has "^sindri-build: warning: 'DISTR=fedora' was read by nothing in this run, so it changed nothing; did you mean 'DISTRO'?$"
sb a ZZZ=1
check "... with no name near it, no suggestion" out_has "'ZZZ=1' was read by nothing in this run, so it changed nothing$"
sb a DISTRO=fedora
check "a variable var() read: no warning" out_lacks "read by nothing"
sb v COLOR=red
check "a variable a task's vars read: no warning" out_lacks "read by nothing"
sb late PRUNE_AGE=2d
check "a variable read while the run ran: no warning" out_lacks "read by nothing"
check "... and it was read" out_has "^age 2d$"
sb report --yes
check "an option that sets a variable: no warning" out_lacks "read by nothing"

sb -t targets report
check "-t targets with a name: a usage error, not the name ignored" rc_is 2
check "... that says where to look instead" out_has "^sindri-build: -t targets lists every target and takes none ('report'): -t query report shows that one$"
sb -t targets
check "-t targets alone lists them" out_has "^report"

sb --help
check "--help says where to start: the targets, a dry run, explain" \
	out_has "^Where to start: 'sindri-build -t targets' lists the targets, 'sindri-build -n TARGET' prints what one$"

sb -n report
check "a dry run of a report says it would run" out_has "^sindri-build: dry run: 1 would run, 0 up to date, 0 failed in "
finish
