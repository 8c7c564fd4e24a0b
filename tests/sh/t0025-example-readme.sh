# t0025: examples/mini-sindri tells the truth: its README's sindri-build commands, run exactly as written (no
# environment of ours), deploy a running container; its stand-in CLI fails what it does not implement; and it is
# installed into the example's own root, never over a real `sindri` on PATH.
# The README uses the example's own names (sindri:*, mini-sindri-dev): the lock keeps this test and
# `make -f Makefile.bootstrap example` apart, and only what this test made is removed at the end.
. "$(dirname "$0")/../lib/lib.sh"
need_docker
need_cargo

exec 9>"${TMPDIR:-/tmp}/sindri-build-example.lock"
flock -w 900 9 || { echo "$T_NAME: the example lock is held"; echo "$T_NAME: 0 passed, 1 failed"; exit 1; }
ct_before=$("$DOCKER" ps -aq -f name='^mini-sindri-dev$')
"$DOCKER" images -q --no-trunc sindri | sort -u >"$T_ROOT/images-before"
at_exit '[ -n "$ct_before" ] || { "$DOCKER" rm -f mini-sindri-dev >/dev/null 2>&1; "$DOCKER" volume rm -f mini-sindri-dev_home >/dev/null 2>&1; }'
at_exit '"$DOCKER" images -q --no-trunc sindri | sort -u | comm -13 "$T_ROOT/images-before" - | xargs -r "$DOCKER" rmi -f >/dev/null 2>&1'

# The top of a sindri-build tree: the binary (which finds its stock recipes next to its real path) and the example.
mkdir -p top/examples
cp -r "$T_TOP/examples/mini-sindri" top/examples/
rm -rf top/examples/mini-sindri/v3/target top/examples/mini-sindri/.sindri-build top/examples/mini-sindri/.stand-in-cli
ln -s "$SB" top/sindri-build

# A user's PATH, with cargo and without a `sindri` (one there would deploy, as the Makefile's targets use it): a
# directory that holds a sindri (another example's stand-in in ~/.cargo/bin, say) is replaced by links to its cargo.
mkdir toolbin
userpath=""
for dir in $(echo "$PATH" | tr ':' ' '); do
	if [ -e "$dir/sindri" ]; then
		for tool in cargo rustc rustup; do [ -e "$dir/$tool" ] && ln -sf "$dir/$tool" "toolbin/$tool"; done
		dir="$T_ROOT/toolbin"
	fi
	userpath="${userpath:+$userpath:}$dir"
done

# The README's sindri-build commands, as written, in the environment a user has (PATH, HOME and the XDG_RUNTIME_DIR
# of their login, this test's own: without it the engine helper and file watcher the runs start would live in
# /tmp/sindri-build-UID, outlive this test and serve any later run of this binary; nothing else of ours).
sed -n '/^## With sindri-build/,/^## /p' "$T_TOP/examples/mini-sindri/README.md" | sed -n '/^```sh$/,/^```$/p' |
	grep '^\./sindri-build ' >commands
check "the README has sindri-build commands" test "$(wc -l <commands)" -ge 2
check "the README's commands set no variables of ours" sh -c "! grep -q 'SINDRI_CLI\|CARGO_INSTALL_ROOT\|IMAGE_REPO' commands"
n=0
while IFS= read -r line; do
	n=$((n + 1))
	(cd top && env -i PATH="$userpath" HOME="$HOME" XDG_RUNTIME_DIR="$XDG_RUNTIME_DIR" ${RUSTUP_HOME:+RUSTUP_HOME="$RUSTUP_HOME"} sh -c "$line") >"$T_OUT" 2>&1 </dev/null
	RC=$?
	check "README command $n succeeds: $line" rc_is 0
	cp "$T_OUT" "out.$n"
done <commands
check "the README's cycle deploys a running container" \
	test "$("$DOCKER" inspect -f '{{.State.Running}}' mini-sindri-dev 2>/dev/null)" = true
check "running the dev image the cycle built" \
	test "$("$DOCKER" inspect -f '{{.Image}}' mini-sindri-dev 2>/dev/null)" = "$(image_id sindri:latest)"
check "the container has the sources" sh -c "'$DOCKER' exec mini-sindri-dev cat /opt/sindri/MANIFEST | grep -q registry.yaml"
check "the stand-in CLI is in the example's own install root" test -x top/examples/mini-sindri/.stand-in-cli/bin/sindri
top/examples/mini-sindri/.stand-in-cli/bin/sindri deploy --config sindri.yaml >"$T_OUT" 2>&1
RC=$?
check "the stand-in CLI fails what it does not implement" rc_is 2
check "and says it is a stand-in" out_has "not implemented (this is a stand-in for the Sindri CLI"
top/examples/mini-sindri/.stand-in-cli/bin/sindri --version >"$T_OUT" 2>&1
check "the stand-in CLI knows --version" out_has "^sindri 3.0.0$"

# A real `sindri` in ~/.cargo/bin, on PATH: the example's install leaves it alone.
mkdir -p home/.cargo/bin
printf '#!/bin/sh\necho "the real sindri"\n' >home/.cargo/bin/sindri
chmod +x home/.cargo/bin/sindri
real=$(cksum <home/.cargo/bin/sindri)
rm -rf top/examples/mini-sindri/.stand-in-cli
(cd top && env -i PATH="$T_ROOT/home/.cargo/bin:$userpath" HOME="$T_ROOT/home" CARGO_HOME="$T_ROOT/home/.cargo" \
	XDG_RUNTIME_DIR="$XDG_RUNTIME_DIR" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" ./sindri-build -C examples/mini-sindri install) >"$T_OUT" 2>&1
RC=$?
check "install with a real sindri on PATH succeeds" rc_is 0
check "the real sindri is untouched" test "$(cksum <home/.cargo/bin/sindri)" = "$real"
check "the stand-in went to the example's root" test -x top/examples/mini-sindri/.stand-in-cli/bin/sindri

finish

