# t0053: examples/ci/github-actions.yml is a workflow GitHub can run: YAML that parses (libyaml, through
# tests/tools/ghworkflow.c), with only the keys GitHub documents for workflows, jobs and steps; every sindri-build
# command in it names a target and options the stock Sindri recipes have; no placeholder names are left.
# (@action-validator/cli from npm cannot be installed offline: the documented keys are checked instead.)
. "$(dirname "$0")/../lib/lib.sh"

TOOLS=${UNIT_DIR:-$T_TOP/build/tests}/../tools
WF="$T_TOP/examples/ci/github-actions.yml"

"$TOOLS/ghworkflow" "$WF" >"$T_OUT" 2>&1; RC=$?
check "the workflow parses and has only documented keys" rc_is 0
check "and the checker said nothing" test ! -s "$T_OUT"
check "no placeholder left" sh -c "! grep -qi 'your-org\|example\.com\|changeme' '$WF'"

# The checker catches what it must: the old line 33 (a ': ' inside a plain scalar), a step with both uses and run,
# an unknown job key, a repeated key.
printf 'on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo "key: $(k)"\n' >broken.yml
"$TOOLS/ghworkflow" broken.yml >"$T_OUT" 2>&1; RC=$?
check "a ': ' in a plain scalar is not YAML" out_has "broken.yml:6: not YAML"
printf 'on: push\njobs:\n  a:\n    runs-on: x\n    runs_on: y\n    steps:\n      - uses: a/b@v1\n        run: c\n      - run: d\n        run: e\n' >keys.yml
"$TOOLS/ghworkflow" keys.yml >"$T_OUT" 2>&1; RC=$?
check "an unknown job key is found" out_has "keys.yml:5: unknown key 'runs_on'"
check "a step with both uses and run is found" out_has "keys.yml:7: a step of job 'a' needs exactly one of 'uses' and 'run'"
check "a repeated key is found" out_has "keys.yml:10: the key 'run' is repeated"

# Each sindri-build command of the workflow, against the stock recipes on the Sindri example: its target exists.
"$TOOLS/ghworkflow" -r "$WF" | sed -n 's/.*sindri-build \(-t [a-z]* \)\{0,1\}\(--remote \)\{0,1\}\([a-z][a-z0-9-]*\).*/\3/p' | sort -u >targets
check "the workflow runs sindri-build" test -s targets
(cd "$T_TOP/examples/mini-sindri" && "$SB" -t targets --all) >all 2>&1
while read -r t; do
	check "the workflow's target '$t' is a Sindri target" grep -q "^$t:\|[ (]$t[,)]" all
done <targets
check "the workflow's sindri-build options exist" sh -c "'$SB' --help | grep -q -- '--remote'"

finish
