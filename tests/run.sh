#!/bin/sh
# run.sh: run every unit test binary and shell test, then print one closing line with the totals.
# SB: the sindri-build binary; UNIT_DIR: where the unit test binaries are. ONLY=pattern runs matching tests.
: "${SB:?}" "${UNIT_DIR:?}"
here=$(cd "$(dirname "$0")" && pwd)
# The Docker tests need an engine and the busybox:local base image; set them up when we can (root).
if [ "$(id -u)" = 0 ] && [ -f "$here/lib/docker-setup.sh" ]; then
	if ! sh "$here/lib/docker-setup.sh" >"${TMPDIR:-/tmp}/sb-docker-setup.log" 2>&1; then
		cat "${TMPDIR:-/tmp}/sb-docker-setup.log"
		echo "run.sh: the Docker engine could not be set up"
		[ "${CI:-}" = true ] && exit 1
	fi
fi
pass=0
fail=0
failed=""
log=$(mktemp)
for t in "$UNIT_DIR"/* "$here"/sh/t*.sh; do
	[ -f "$t" ] || continue
	case "$t" in *"${ONLY:-}"*) ;; *) continue ;; esac
	t0=$(date +%s)
	case "$t" in
	*.sh) SB="$SB" sh "$t" >"$log" 2>&1 ;;
	*) [ -x "$t" ] || continue; (cd "$here/.." && "$t") >"$log" 2>&1 ;;
	esac
	rc=$?
	secs=$(($(date +%s) - t0))
	line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	p=$(echo "$line" | sed -n 's/.* \([0-9][0-9]*\) passed.*/\1/p')
	f=$(echo "$line" | sed -n 's/.* \([0-9][0-9]*\) failed.*/\1/p')
	p=${p:-0}
	f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1 # a crash or a test that died before its closing line
	fi
	pass=$((pass + p))
	fail=$((fail + f))
	if [ "$rc" -ne 0 ] || [ "$f" -ne 0 ]; then
		failed="$failed $(basename "$t")"
		echo "--- $(basename "$t") (exit $rc, ${secs}s)"
		cat "$log"
	else
		echo "ok   $(basename "$t"): $line (${secs}s)"
	fi
done
rm -f "$log"
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
