# t0115: shell completion: bash's, run with the script sourced, offers the options, the tools, the recipe's targets
# (a new one as soon as it is written) and variables; so do zsh's (typed into an interactive zsh) and fish's
# (complete -C), each skipped with a message when the shell is not installed; -t targets is grouped.
. "$(dirname "$0")/../lib/lib.sh"

command -v bash >/dev/null || { echo "$T_NAME: no bash"; echo "$T_NAME: 0 passed, 1 failed"; exit 1; }
# the script calls sindri-build by name, as an installed one is
mkdir bin && ln -s "$SB" bin/sindri-build
PATH=$T_ROOT/bin:$PATH
export PATH

cat >sindri-build.lua <<'LUA'
local title = var("TITLE", "home")
task "cycle-fast" { desc = "the daily cycle", group = "cycle", time = "3-5 min", run = { "true" }, alias = { "v3-cycle-fast" } }
task "cycle-full" { desc = "the whole cycle", group = "cycle", run = { "true" } }
task "docker-build" { desc = "the image", group = "build", run = { "true" } }
task "helper" { desc = "an inner step", vars = { "MODE" }, run = { "true" } }
LUA
mkdir sub
printf 'task "only-in-sub" { run = { "true" } }\n' >sub/sindri-build.lua

"$SB" -t completion bash >complete.bash
# comp WORDS...: complete the last word of the command line WORDS; the candidates, one a line, sorted
comp() {
	bash -c '. ./complete.bash
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
		_sindri_build
		printf "%s\n" "${COMPREPLY[@]}" | sort' comp "$@"
}
bash -c '. ./complete.bash; complete -p sindri-build' >"$T_OUT" 2>&1
check "bash: the script registers a completion function" out_has "complete -F _sindri_build sindri-build"

check "bash: targets with the prefix typed" test "$(comp sindri-build cycle-fa)" = "cycle-fast"
check "bash: every target of the prefix" test "$(comp sindri-build cy | tr '\n' ' ')" = "cycle-fast cycle-full "
check "bash: an alias" test "$(comp sindri-build v3-)" = "v3-cycle-fast"
check "bash: the variables the recipe reads, with '='" test "$(comp sindri-build TI)" = "TITLE="
check "bash: a task's declared vars too" test "$(comp sindri-build MO)" = "MODE="
check "bash: long options" test "$(comp sindri-build --js)" = "--json"
check "bash: options after a target" test "$(comp sindri-build cycle-fast --dry)" = "--dry-run"
comp sindri-build -t "" >"$T_OUT"
check "bash: -t offers the tools" sh -c "grep -qx targets '$T_OUT' && grep -qx completion '$T_OUT' && grep -qx explain '$T_OUT' && grep -qx ninja '$T_OUT'"
check "bash: -t completion offers the shells" test "$(comp sindri-build -t completion "" | tr '\n' ' ')" = "bash fish zsh "
check "bash: -d offers the modes" test "$(comp sindri-build -d ex)" = "explain"
check "bash: -C DIR reads the recipe there" test "$(comp sindri-build -C sub only)" = "only-in-sub"
check "bash: ... as does -f FILE" test "$(comp sindri-build -f sub/sindri-build.lua only)" = "only-in-sub"
printf 'task "cycle-new" { run = { "true" } }\n' >>sindri-build.lua
check "bash: a task completes as soon as it is written" test "$(comp sindri-build cycle-n)" = "cycle-new"
mkdir empty
check "bash: no recipe: options still complete" test "$(comp sindri-build -C empty --vers)" = "--version"

# -t words: what the scripts ask for, word TAB description
sb -t words targets
check "-t words targets: name, tab, description" grep -q "$(printf '^cycle-fast\tthe daily cycle$')" "$T_OUT"
sb -t words vars
check "-t words vars: a var() default is said" grep -q "$(printf '^TITLE=\trecipe variable (default: home)$')" "$T_OUT"
sb -t words nonsense
check "-t words of an unknown list: exit 2" rc_is 2

# zsh and fish: the scripts are printed, with every long option for fish
sb -t completion zsh
check "zsh: a #compdef script" sh -c "head -n 1 '$T_OUT' | grep -qx '#compdef sindri-build'"
sb -t completion fish
for opt in $("$SB" -t words options | cut -f1 | grep '^--' | sed 's/^--//'); do
	grep -q -- "-l $opt " "$T_OUT" || { echo "  fish lacks --$opt" >&2; T_FAIL=$((T_FAIL + 1)); }
done
check "fish: completes targets through -t words" out_has "__sindri_build_words targets vars"

# zsh, when it is installed: an interactive zsh (driven through its zpty module) whose compsys loads the script
# from a directory on $fpath, as an installed one is; each line is typed with a tab, and its screen read until
# the expected candidates show (timeout ends a zsh that never shows them)
if command -v zsh >/dev/null; then
	mkdir zfunc
	"$SB" -t completion zsh >zfunc/_sindri-build
	cat >ztype.zsh <<'ZSH'
# ztype.zsh FPATHDIR [KEYS PATTERN]...: type KEYS and a tab, print "ok KEYS" once the screen matches PATTERN
zmodload zsh/zpty || exit 1
zpty z zsh -f -i
zpty -w z "PS1='%% '; fpath=($1 \$fpath); autoload -U compinit; compinit -u -d $1/.zcompdump; unsetopt beep"
shift
while (( $# >= 2 )); do
	zpty -w -n z "$1"$'\t'
	zpty -r z out "$2" && print -r -- "ok $1"
	zpty -w -n z $'\C-u'
	shift 2
done
zpty -d z
ZSH
	timeout 20 zsh -f ztype.zsh "$T_ROOT/zfunc" \
		'sindri-build cycle-fa' '*cycle-fast*' 'sindri-build cycle-f' '*the whole cycle*' \
		'sindri-build -C sub on' '*only-in-sub*' 'sindri-build TI' '*TITLE=*' 'sindri-build --js' '*--json*' \
		'sindri-build -t comp' '*completion*' 'sindri-build -t completion ' '*fish*' >"$T_OUT" 2>&1
	check "zsh: a target completes" out_has "^ok sindri-build cycle-fa$"
	check "zsh: the targets of a prefix are listed with their descriptions" out_has "^ok sindri-build cycle-f$"
	check "zsh: -C DIR reads the recipe there" out_has "^ok sindri-build -C sub on$"
	check "zsh: the variables the recipe reads" out_has "^ok sindri-build TI$"
	check "zsh: long options" out_has "^ok sindri-build --js$"
	check "zsh: -t offers the tools" out_has "^ok sindri-build -t comp$"
	check "zsh: -t completion offers the shells" out_has "^ok sindri-build -t completion $"
else
	echo "$T_NAME: no zsh: its completion is not run (apt-get install zsh)"
fi

# fish, when it is installed: complete -C asks the script for the candidates of a command line
if command -v fish >/dev/null; then
	"$SB" -t completion fish >complete.fish
	fcomp() {
		XDG_CONFIG_HOME=$T_ROOT/fish XDG_DATA_HOME=$T_ROOT/fish XDG_CACHE_HOME=$T_ROOT/fish \
			fish --no-config -c 'source complete.fish; complete -C $argv[1]' "$1" | sort
	}
	check "fish: a target, with its description" test "$(fcomp 'sindri-build cycle-fa')" = "$(printf 'cycle-fast\tthe daily cycle')"
	check "fish: every target of the prefix" test "$(fcomp 'sindri-build cy' | cut -f1 | tr '\n' ' ')" = "cycle-fast cycle-full cycle-new "
	check "fish: -C DIR reads the recipe there" test "$(fcomp 'sindri-build -C sub on')" = "only-in-sub"
	check "fish: the variables the recipe reads" test "$(fcomp 'sindri-build TI' | cut -f1)" = "TITLE="
	check "fish: long options" test "$(fcomp 'sindri-build --js' | cut -f1)" = "--json"
	check "fish: -t completion offers the shells" test "$(fcomp 'sindri-build -t completion ' | tr '\n' ' ')" = "bash fish zsh "
else
	echo "$T_NAME: no fish: its completion is not run (apt-get install fish)"
fi

sb -t completion
check "-t completion without a shell: exit 2" rc_is 2
check "... says which it takes" out_has "bash (or zsh, fish)"

# -t targets: grouped as the guide groups them, times in brackets; --all adds the rest and the aliases
sb -t targets
check "-t targets: the build group first" sh -c "head -n 1 '$T_OUT' | grep -qx 'build:'"
check "-t targets: a task under its group, with its time" out_has "^  cycle-fast: the daily cycle \[3-5 min\]$"
check "-t targets: the build group comes before the cycle group" \
	test "$(grep -n '^build:' "$T_OUT" | cut -d: -f1)" -lt "$(grep -n '^cycle:' "$T_OUT" | cut -d: -f1)"
check "-t targets: a task of no group is left to --all" out_lacks "helper"
sb -t targets --all
check "-t targets --all: the tasks of no group under 'other'" out_has "^other:"
check "-t targets --all: ... listed" out_has "^  helper: an inner step$"
check "-t targets --all: aliases" out_has "cycle-fast: the daily cycle \[3-5 min\] (also: v3-cycle-fast)"

finish
