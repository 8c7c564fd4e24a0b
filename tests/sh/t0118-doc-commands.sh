# t0118: the docs cannot drift. Every command of a ```sh or ```console block in README.md, docs/*.md and the
# examples' READMEs (tests/tools/doccmds.awk finds them) is run here as written, or is run by another test that says
# so, or is marked as not runnable here with a reason; an unmarked command fails this test. The convention is in
# docs/cli.md ("Commands in the docs").
# The commands run in one scratch sindri-build tree (top/, with ./sindri-build and copies of the examples), with
# `sindri-build` on PATH, in document order, so the image builds of one block are current for the next. What they
# make is this test's own: IMAGE_REPO names the Sindri images, the image name `sindri:` of a docker command is
# rewritten to it, the deployment's container and volume get this test's name, HOME is a scratch directory, and
# the deployment uses no `sindri` CLI on PATH (SINDRI_CLI=none); all of it is removed at the end.
. "$(dirname "$0")/../lib/lib.sh"
need_docker
need_cargo
need_ninja
command -v bash >/dev/null || { echo "$T_NAME: no bash"; echo "$T_NAME: 0 passed, 1 failed"; exit 1; }

P="sbtest-$$"
REPO="$P-doc"
W="$P-ws"
at_exit '"$DOCKER" rm -f "$W" >/dev/null 2>&1; "$DOCKER" volume rm -f "${W}_home" >/dev/null 2>&1'
at_exit 'rmi_named "^$REPO[:@]"'
RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup}
export IMAGE_REPO="$REPO" SINDRI_CLI=none XDG_CACHE_HOME="$T_ROOT/xdg" HOME="$T_ROOT/home" RUSTUP_HOME
mkdir -p home bin top/examples
for ex in mini-sindri quickstart ninja-plugin; do
	(cd "$T_TOP/examples/$ex" && tar cf - --exclude=.sindri-build --exclude=target --exclude=.stand-in-cli \
		--exclude=out --exclude=sindri.ninja --exclude=.ninja_log --exclude=.ninja_deps .) |
		(mkdir "top/examples/$ex" && cd "top/examples/$ex" && tar xf -)
done
ln -s "$SB" top/sindri-build
ln -s "$SB" bin/sindri-build
ln -s "$DOCKER" bin/docker # the client the docs are written for (Debian's, with BuildKit built in)
PATH="$T_ROOT/bin:$PATH"
printf 'workspace:\n  name: %s\ndeployment:\n  provider: docker\n  image: %s:latest\n' "$W" "$REPO" \
	>top/examples/mini-sindri/sindri.yaml

# expect FILE CMD N: a line the output of the Nth CMD of a block of FILE must hold, where checking it is cheap and
# sure ("" for none).
expect() {
	case $1:$2:$3 in
	*:"sindri-build cycle-fast CONFIG=sindri.yaml":*) echo "^sindri-build: \(.* built\|no work to do\)" ;;
	*:"sindri-build -t key docker-build-base":*) echo "^[0-9a-f]\{32\}$" ;;
	*:"sindri-build -t server"*) echo "^engine helper for " ;;
	*:"sindri-build -d stats":*) echo "^sindri-build: stats: .* stat calls in walks" ;;
	*:"sindri-build -t targets":*) echo "^cycle:" ;;
	*:"sindri-build -t explain cycle-fast CONFIG=sindri.yaml":*) echo "cycle-fast" ;;
	*:"sindri-build -n cycle-clean CONFIG=sindri.yaml":*) echo "^sindri-build: dry run" ;;
	docs/ninja.md:ninja:2 | examples/ninja-plugin/README.md:ninja:2) echo "no work to do" ;;
	*:"touch src/pages/01-home.txt && ninja":*) echo "pages" ;;
	*:"echo 'Contact.' > src/pages/04-contact.txt && ninja":*) echo "checked" ;;
	*:"../.stand-in-cli/bin/sindri --version":*) echo "^sindri 3.0.0$" ;;
	*:"docker run --rm sindri:v3-ubuntu-dev cat /opt/sindri/MANIFEST":*) echo "registry.yaml" ;;
	*) echo "" ;;
	esac
}

# static_check CMD: an excused command names no script that is gone, and no option its script does not read.
static_check() {
	script=""
	for word in $(printf '%s\n' "$1" | tr -d '[]|'); do
		case $word in
		*.sh)
			script=$word
			[ -f "$T_TOP/$script" ] || { echo "  no script '$script' in the tree" >&2; return 1; } ;;
		--*)
			[ -z "$script" ] || grep -q -- "$word" "$T_TOP/$script" ||
				{ echo "  '$script' reads no option '$word'" >&2; return 1; } ;;
		esac
	done
}

(cd "$T_TOP" && awk -f tests/tools/doccmds.awk README.md docs/*.md examples/*/README.md) >commands
check "the docs show commands" test "$(wc -l <commands)" -ge 40
tab=$(printf '\t')
block=""
ran=0
excused=0
while IFS="$tab" read -r at fence mark cmd; do
	file=${at%:*}
	case $mark in
	none)
		: >"$T_OUT"
		check "$at: unmarked: '$cmd' is neither run nor excused (docs/cli.md, Commands in the docs)" false ;;
	untagged)
		: >"$T_OUT"
		check "$at: a '\$ ' command outside a \`\`\`console or \`\`\`sh block: '$cmd'" false ;;
	"not run: "?*)
		excused=$((excused + 1))
		: >"$T_OUT"
		check "$at: an excused command names what exists: '$cmd'" static_check "$cmd" ;;
	"run by t"[0-9][0-9][0-9][0-9])
		t=${mark#run by }
		: >"$T_OUT"
		check "$at: '$cmd' is run by $t, which reads $file" sh -c "grep -q -- '$file' '$T_TOP'/tests/sh/$t-*.sh" ;;
	run | "run in examples/"*)
		if [ "$block" != "$file:$fence" ]; then
			block="$file:$fence"
			: >seen
			dir=$T_ROOT/top
			[ "$mark" = run ] || dir="$T_ROOT/top/${mark#run in }"
		fi
		line=$(printf '%s\n' "$cmd" | sed "s/\([ =]\)sindri:/\1$REPO:/g")
		ran=$((ran + 1))
		(cd "$dir" && bash -c "set -o pipefail; $line
rc=\$?; pwd >'$T_ROOT/cwd'; exit \$rc") >"$T_OUT" 2>&1 </dev/null
		RC=$?
		dir=$(cat "$T_ROOT/cwd")
		check "$at: '$cmd' runs (in ${dir#"$T_ROOT/"})" rc_is 0
		nth=$(($(grep -cxF -- "$cmd" seen) + 1))
		echo "$cmd" >>seen
		want=$(expect "$file" "$cmd" "$nth")
		[ -z "$want" ] || check "$at: '$cmd' prints what the doc says" out_has "$want" ;;
	*)
		: >"$T_OUT"
		check "$at: an unknown doc-test mark '$mark'" false ;;
	esac
done <commands
check "most of the documented commands run here ($ran run, $excused excused)" test "$ran" -ge 25

# There is no Makefile: a make command in the docs' prose names Makefile.bootstrap, or it does not paste and run.
(cd "$T_TOP" && grep -n '`make [a-z]' README.md docs/*.md examples/*/README.md | grep -v '`make v3-') >bare-make
: >"$T_OUT"
check "every make command in the docs' prose names Makefile.bootstrap" test ! -s bare-make || cat bare-make >&2
# The README's Sindri commands run a bare sindri-build: it says how that gets on PATH before the first of them.
first=$(grep -n '^sindri-build ' "$T_TOP/README.md" | head -n 1 | cut -d: -f1)
inst=$(grep -n 'make -f Makefile.bootstrap install' "$T_TOP/README.md" | head -n 1 | cut -d: -f1)
check "the README says how sindri-build gets on PATH before it runs it bare" test "${inst:-99999}" -lt "${first:-0}"
echo "$T_NAME: $ran commands run, $excused excused"

finish
