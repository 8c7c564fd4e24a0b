# t0117: every command of README.md's "Using it" runs as shown, against a copy of examples/quickstart, and the
# closing lines it shows are the ones a run prints.
. "$(dirname "$0")/../lib/lib.sh"

command -v bash >/dev/null || { echo "$T_NAME: no bash"; echo "$T_NAME: 0 passed, 1 failed"; exit 1; }
mkdir examples && cp -R "$T_TOP/examples/quickstart" examples/
ln -s "$SB" sindri-build
# the commands: the lines of the ```sh blocks of the section, comments left out
awk '/^## Using it/ { u = 1; next } /^## / { u = 0 } u && /^```sh/ { b = 1; next } u && /^```/ { b = 0 } u && b' \
	"$T_TOP/README.md" | sed 's/[[:space:]]*#.*$//' | grep -v '^[[:space:]]*$' >commands
check "README's Using it has commands" test "$(wc -l <commands)" -ge 6
n=0
while IFS= read -r cmd; do
	n=$((n + 1))
	bash -c "set -o pipefail; $cmd" >"$T_OUT" 2>&1
	RC=$?
	check "README command $n runs: $cmd" rc_is 0
done <commands

# the closing lines it shows have the shape a run prints
rm -rf examples/quickstart/.sindri-build examples/quickstart/out
./sindri-build -C examples/quickstart >first.out 2>&1
./sindri-build -C examples/quickstart >second.out 2>&1
shown1=$(grep '^sindri-build: 3 built' "$T_TOP/README.md" | sed 's/[0-9][0-9]* ms$//')
shown2=$(grep '^sindri-build: no work to do' "$T_TOP/README.md" | sed 's/[0-9][0-9]* ms$//')
check "the README shows a first run's closing line" test -n "$shown1"
check "... which a first run prints" sh -c "tail -n 1 first.out | grep -Eq '^$shown1[0-9.]+ (ms|s)$'"
check "the README shows a no-op's closing line" test -n "$shown2"
check "... which a second run prints" sh -c "tail -n 1 second.out | grep -Eq '^$shown2[0-9.]+ (ms|s)$'"

finish
