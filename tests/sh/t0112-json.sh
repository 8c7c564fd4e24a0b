# t0112: --json: stdout holds exactly one JSON document of the schema in docs/cli.md, for a run (nested builds,
# failures, dry runs, images) and for -t targets, -t explain, -t key and -t stats; progress goes to stderr.
. "$(dirname "$0")/../lib/lib.sh"
need_docker

command -v python3 >/dev/null || { echo "$T_NAME: no python3"; echo "$T_NAME: 0 passed, 1 failed"; exit 1; }
P=sb-t0112-$$
at_exit "\"\$DOCKER\" rmi -f $P:1 $P:extra >/dev/null 2>&1"

# js ARGS...: sindri-build --json ARGS, the document in doc.json, stderr in err.txt, exit code in RC.
js() {
	"$SB" --json "$@" >doc.json 2>err.txt
	RC=$?
	cp err.txt "$T_OUT"
}

# valid KIND: doc.json is one JSON document (nothing before or after it) of schema 1 and the given kind, and every
# field docs/cli.md lists for that kind has its type.
valid() {
	python3 - "$1" <<'PY'
import json, sys
kind = sys.argv[1]
text = open("doc.json").read()
doc = json.loads(text)  # raises on anything but one document
assert text.endswith("}\n") and text.count("\n") == 1, "one document on one line"
assert doc["sindri_build"] == 1 and doc["kind"] == kind, (doc.get("sindri_build"), doc.get("kind"))
def hexkey(k):
    return isinstance(k, str) and len(k) == 32 and all(c in "0123456789abcdef" for c in k)
def fields(o, spec):
    for name, typ in spec.items():
        assert name in o, "missing field " + name
        v = o[name]
        if typ == "key":
            assert v is None or hexkey(v), name
        elif typ == "key!":
            assert hexkey(v), name
        elif typ == "strs":
            assert isinstance(v, list) and all(isinstance(x, str) for x in v), name
        elif typ == "str?":
            assert v is None or isinstance(v, str), name
        elif typ == "int?":
            assert v is None or (isinstance(v, int) and not isinstance(v, bool)), name
        elif typ is int:
            assert isinstance(v, int) and not isinstance(v, bool), name
        else:
            assert isinstance(v, typ), name
if kind == "run":
    fields(doc, {"exit_code": int, "result": str, "dry_run": bool, "built": int, "up_to_date": int, "failed": int,
                 "duration_ms": int, "saved_ms": int, "tasks": list})
    assert doc["result"] in ("ok", "failed", "error", "unreachable", "interrupted")
    for i, t in enumerate(doc["tasks"]):
        fields(t, {"id": int, "name": str, "kind": str, "outcome": str, "reasons": "strs", "key": "key",
                   "start_ms": int, "duration_ms": int, "parent": "int?", "exit_status": "int?"})
        assert t["id"] == i
        assert t["kind"] in ("argv", "shell", "lua", "image", "group")
        assert t["outcome"] in ("ran", "current", "failed", "would-run", "not-run")
        assert t["parent"] is None or 0 <= t["parent"] < i
        if "images" in t:
            fields(t, {"images": "strs"})
elif kind == "targets":
    fields(doc, {"targets": list, "defaults": "strs"})
    for t in doc["targets"]:
        fields(t, {"name": str, "description": "str?", "group": "str?", "time": "str?", "aliases": "strs"})
elif kind == "explain":
    for t in doc["tasks"]:
        fields(t, {"name": str, "would_run": bool, "reasons": "strs", "key": "key!"})
elif kind == "keys":
    for t in doc["keys"]:
        fields(t, {"name": str, "key": "key!"})
elif kind == "stats":
    for t in doc["tasks"]:
        fields(t, {"name": str, "runs": int, "last_ms": int, "mean_ms": int})
PY
}

# q EXPR: a Python expression over the document `d` is true.
q() {
	python3 -c "import json, sys; d = json.load(open('doc.json')); sys.exit(0 if ($1) else 1)" ||
		{ echo "  not true of doc.json: $1" >&2; sed 's/^/  | /' doc.json >&2; return 1; }
}

cat >sindri-build.lua <<'LUA'
task "a" { inputs = { "a.txt" }, outputs = { "a.out" }, run = "cp a.txt a.out; echo printed-by-a",
           desc = "copy a", group = "build", time = "1 s", alias = { "make-a" } }
task "b" { inputs = { "b.txt" }, outputs = { "b.out" }, run = "cp b.txt b.out" }
task "cycle" {
  always = true, group = "cycle",
  run = function()
    print("printed-by-cycle")
    return (sb.build { "a", "b" })
  end,
}
task "bad" { run = "echo oops; exit 3" }
task "after" { deps = { "bad" }, run = { "true" } }
default "cycle"
LUA
echo one >a.txt
echo one >b.txt

# a run with a cycle: its nested tasks are entries whose parent is the cycle
js cycle
check "run: exit 0" rc_is 0
check "run: stdout is one document of the schema" valid run
check "run: ok, two built (the cycle counted through them)" q 'd["result"] == "ok" and d["built"] == 2 and d["failed"] == 0'
check "run: the cycle ran, with its reasons, and no key (it always runs and nothing needs one)" \
	q '[t for t in d["tasks"] if t["name"] == "cycle" and t["outcome"] == "ran" and t["reasons"] and t["key"] is None]'
check "run: a and b are the cycle's children, ran, with a reason" \
	q 'all(t["parent"] == [c["id"] for c in d["tasks"] if c["name"] == "cycle"][0] and t["outcome"] == "ran" and
	       t["reasons"] == ["it was never built (no record of a successful run)"] for t in d["tasks"] if t["name"] in "ab")'
check "run: progress went to stderr" grep -q '^\[1/1\] cycle' err.txt
check "run: what a Lua task prints went to stderr" grep -q printed-by-cycle err.txt
check "run: the closing line went to stderr" grep -q '^sindri-build: 2 built, 0 up to date, 0 failed in ' err.txt
key_a=$(python3 -c "import json; print([t['key'] for t in json.load(open('doc.json'))['tasks'] if t['name'] == 'a'][0])")

js cycle
check "no-op run: valid" valid run
check "no-op run: a and b current, without reasons, with the same key as when built" \
	q "[t['outcome'] for t in d['tasks'] if t['name'] in 'ab'] == ['current', 'current'] and
	   all(t['reasons'] == [] for t in d['tasks'] if t['name'] in 'ab') and
	   [t['key'] for t in d['tasks'] if t['name'] == 'a'] == ['$key_a']"
check "no-op run: the counts" q 'd["built"] == 0 and d["up_to_date"] == 2'

# -t key agrees with the run's document
js -t key a
check "-t key: valid" valid keys
check "-t key: the key the run reported" q "d['keys'] == [{'name': 'a', 'key': '$key_a'}]"

# a failure: the failed task's status, the one it stopped as not run
js after
check "failed run: exit 1" rc_is 1
check "failed run: valid" valid run
check "failed run: result and counts" q 'd["exit_code"] == 1 and d["result"] == "failed" and d["failed"] == 1'
check "failed run: the task's exit status" q '[t["exit_status"] for t in d["tasks"] if t["name"] == "bad"] == [3]'
check "failed run: its dependent not run" q '[t["outcome"] for t in d["tasks"] if t["name"] == "after"] == ["not-run"]'
check "failed run: the task's output on stderr" grep -q oops err.txt

# a dry run
echo two >b.txt
js -n b
check "dry run: valid" valid run
check "dry run: dry_run and b would run, saying why" \
	q 'd["dry_run"] and [t["reasons"] for t in d["tasks"] if t["name"] == "b" and t["outcome"] == "would-run"] ==
	   [["input '"'"'b.txt'"'"' modified"]]'

# -t explain
js -t explain b
check "-t explain: valid" valid explain
check "-t explain: b would run, and why" \
	q "d['tasks'] == [{'name': 'b', 'would_run': True, 'reasons': [\"input 'b.txt' modified\"], 'key': d['tasks'][0]['key']}]"
js -t explain a
check "-t explain: a current, no reasons" q 'd["tasks"][0]["would_run"] is False and d["tasks"][0]["reasons"] == []'

# -t targets and -t stats
js -t targets
check "-t targets: valid" valid targets
check "-t targets: a's description, group, time and aliases" \
	q '[t for t in d["targets"] if t["name"] == "a"] == [{"name": "a", "description": "copy a", "group": "build",
	   "time": "1 s", "aliases": ["make-a"]}] and d["defaults"] == ["cycle"]'
check "-t targets: stdout has the document only" test "$(wc -l <doc.json)" = 1
js -t stats
check "-t stats: valid" valid stats
check "-t stats: a ran once" q '[t["runs"] for t in d["tasks"] if t["name"] == "a"] == [1]'

# a report (a read-only task run alone) is the document when it prints one that says its kind, else the run's is
cat >rep.lua <<'LUA'
task "plain-report" { readonly = true, pool = "console", run = "echo reporting" }
task "lua-report" { readonly = true, run = function() print("lua report") end }
task "json-report" { readonly = true, run = function() print('{"sindri_build": 1, "kind": "my-report", "n": 3}') end }
LUA
for t in plain-report lua-report; do
	js -f rep.lua $t
	check "report $t that prints text: the run's document" valid run
	check "... with the report as the one task" q "[t['name'] for t in d['tasks']] == ['$t']"
	check "... and what it printed on stderr" grep -q "report" err.txt
done
js -f rep.lua json-report
check "a report that prints its own document: that document" q 'd == {"sindri_build": 1, "kind": "my-report", "n": 3}'
check "... and the progress on stderr" grep -q '^\[1/1\] json-report' err.txt

# an image: its tags
mkdir img && printf 'FROM busybox:local\nLABEL t0112=1\n' >img/Dockerfile
cat >img/sindri-build.lua <<LUA
image "img" { dockerfile = "Dockerfile", context = ".", tags = { "$P:1", "$P:extra" } }
default "img"
LUA
js -C img
check "image run: exit 0" rc_is 0
check "image run: valid" valid run
check "image run: kind image, its tags" q "[(t['kind'], t['images']) for t in d['tasks']] == [('image', ['$P:1', '$P:extra'])]"
check "image run: the engine's output went to stderr, not into the document" test "$(wc -l <doc.json)" = 1

# a tool without a document says so rather than print text
js -t graph
check "-t graph --json: exit 2" rc_is 2
check "... says which tools have a document" grep -q "has no --json document; these tools have one: targets, explain, key, stats, trace" err.txt
check "... and prints nothing on stdout" test ! -s doc.json

# errors before the run: no document, the message on stderr
js nosuchtask
check "unknown target with --json: exit 2" rc_is 2
check "... stdout empty" test ! -s doc.json
check "... the message on stderr" grep -q "unknown target 'nosuchtask'" err.txt

finish
