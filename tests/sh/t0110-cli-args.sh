# t0110: arguments in any order, '--', misplaced options answered with where they go, and --help, docs/cli.md and
# the man page listing the same options.
. "$(dirname "$0")/../lib/lib.sh"

cat >sindri-build.lua <<'LUA'
local cfg = var("CONFIG", "none")
task "out" { vars = { "TITLE" }, outputs = { "o.txt" }, run = "echo $TITLE > o.txt" }
task "show" { readonly = true, pool = "console", run = "echo config=" .. cfg }
default "out"
LUA

# options after targets and NAME=value, as make and docker take them
sb out -n TITLE=a -j 2
check "options after a target: exit 0" rc_is 0
check "... -n after the target makes it a dry run" out_has "dry run: 1 would run"
check "... and writes nothing" test ! -e .sindri-build
sb TITLE=a out --dry-run
check "a long option last works too" out_has "dry run: 1 would run"
POSIXLY_CORRECT=1 sb out -n
check "POSIXLY_CORRECT does not stop at the first operand" out_has "dry run: 1 would run"
sb out TITLE=a
check "a build" rc_is 0
k1=$("$SB" -t key out TITLE=a 2>&1)
k2=$("$SB" TITLE=a -t key out 2>&1)
k3=$("$SB" out -t key TITLE=a 2>&1)
check "-t key: the same key whatever the order" sh -c "test '$k1' = '$k2' && test '$k2' = '$k3'"
check "... and it is a key" sh -c "echo '$k1' | grep -Eq '^[0-9a-f]{32}$'"
sb show --config my.yaml
check "--config FILE after the target is CONFIG=FILE" out_has "config=my.yaml"
sb --config=other.yaml show
check "--config=FILE too" out_has "config=other.yaml"

before=$(snapshot .sindri-build)

# '--' ends the options
sb -- -n
check "after --, '-n' is a target: exit 2" rc_is 2
check "... and the message says why" out_has "'--' ends the options, so '-n' is read as a target: put options before '--'"
sb -n -- out TITLE=b
check "before --, options still count; after it, NAME=value is a variable" out_has "dry run: 1 would run"

# an option in the wrong place says where it goes
sb targets
check "a tool named as a target: exit 2" rc_is 2
check "... says to run it with -t" out_has "'targets' is a tool: run it with sindri-build -t targets"
sb --all
check "--all without -t targets: exit 2" rc_is 2
check "... says where it goes" out_has "--all is an option of -t targets: write sindri-build -t targets --all"
sb -t key --svg out
check "--svg with another tool says which tool it belongs to" out_has "--svg is not an option of -t key: it goes with -t trace"
sb out --jbos 2
check "a misspelled long option: exit 2" rc_is 2
check "... suggests the nearest" out_has "unknown option '--jbos'; did you mean '--jobs'?"
sb --json=1
check "a flag given a value says to write it alone" out_has "option '--json' takes no value: write --json alone"
sb --TITLE=x
check "a variable written as an option says how to write it" out_has "a recipe variable is written without dashes: TITLE=x"
sb out -j
check "an option missing its value says what it needs" out_has "option -j needs a number: -j N, right after it"
check "... exit 2" rc_is 2
check "none of these wrote state" test "$(snapshot .sindri-build)" = "$before"

# every option of --help is in docs/cli.md's table and in the man page's OPTIONS, and no more
"$SB" --help >help.txt 2>&1
sed -n '/^options:/,/^$/p' help.txt | cut -c1-25 | grep -oE -- '--?[a-zA-Z][a-z-]*' | sort -u >help.opts
sed -n '/^| option | meaning/,/^$/p' "$T_TOP/docs/cli.md" | cut -d'|' -f2 | grep -oE -- '--?[a-zA-Z][a-z-]*' |
	sort -u >doc.opts
awk '/^\.SH OPTIONS/ { o = 1; next } /^\.SH/ { o = 0 } o && prev == ".TP" { print } { prev = $0 }' \
	"$T_TOP/docs/sindri-build.1" | sed 's/\\-/-/g' | grep -oE -- '--?[a-zA-Z][a-z-]*' | sort -u >man.opts
check "--help lists options" test "$(wc -l <help.opts)" -gt 20
check "docs/cli.md's option table has every option of --help, and no other" diff help.opts doc.opts
check "the man page's OPTIONS has every option of --help, and no other" diff help.opts man.opts
check "--help has the exit codes" grep -q "exit codes: 0 success, 1 a task failed, 2 usage or recipe error, 3" help.txt

finish
