# t0116: the trace log and -t trace: Chrome trace-event JSON with one complete event per task decision (nested
# ones included), an SVG that is well-formed XML with one bar per task, --runs, and nothing recorded by a no-op or a
# dry run.
. "$(dirname "$0")/../lib/lib.sh"

command -v python3 >/dev/null || { echo "$T_NAME: no python3"; echo "$T_NAME: 0 passed, 1 failed"; exit 1; }
cat >sindri-build.lua <<'LUA'
task "a" { inputs = { "a.txt" }, outputs = { "a.out" }, run = "cp a.txt a.out" }
task "b" { inputs = { "b.txt" }, outputs = { "b.out" }, run = "cp b.txt b.out" }
task "cycle" { always = true, run = function() return (sb.build { "a", "b" }) end }
task "c" { inputs = { "c.txt" }, outputs = { "c.out" }, run = "cp c.txt c.out" }
LUA
echo 1 >a.txt
echo 1 >b.txt
echo 1 >c.txt

sb -t trace
check "no trace yet: exit 2" rc_is 2
check "... says why" out_has "no trace yet in '.sindri-build/trace'"

sb cycle
sb -t trace -o run.json
check "-t trace -o FILE: exit 0" rc_is 0
check "the trace: one complete event per decision, the cycle's tasks included, in the process of the run" python3 -c '
import json
d = json.load(open("run.json"))
ev = d["traceEvents"]
meta = [e for e in ev if e["ph"] == "M"]
xs = [e for e in ev if e["ph"] == "X"]
assert len(meta) == 1 and meta[0]["args"]["name"].startswith("sindri-build cycle"), meta
assert sorted(e["name"] for e in xs) == ["a", "b", "cycle"], xs
for e in xs:
    assert isinstance(e["ts"], int) and e["ts"] >= 0 and isinstance(e["dur"], int) and e["dur"] >= 1
    assert e["pid"] == 1 and e["cat"] == e["args"]["outcome"] == "ran"
cyc = [e for e in xs if e["name"] == "cycle"][0]
for e in xs:
    if e["name"] != "cycle":
        assert e["tid"] == cyc["tid"] and cyc["ts"] <= e["ts"] and e["ts"] + e["dur"] <= cyc["ts"] + cyc["dur"] + 1
'

sb -t trace --svg -o run.svg
check "--svg: exit 0" rc_is 0
check "--svg: well-formed XML, one bar per task, each with its tooltip" python3 -c '
import xml.etree.ElementTree as ET
ns = {"s": "http://www.w3.org/2000/svg"}
root = ET.parse("run.svg").getroot()
assert root.tag == "{http://www.w3.org/2000/svg}svg"
bars = [r for r in root.iter("{http://www.w3.org/2000/svg}rect") if "bar" in r.get("class", "").split()]
assert len(bars) == 3, len(bars)
titles = sorted(b.find("s:title", ns).text.split(":")[0] for b in bars)
assert titles == ["a", "b", "cycle"], titles
'

# a no-op and a dry run record nothing; another run adds one; --runs 2 shows both
cp .sindri-build/trace trace.before
sb cycle
sb -n c
check "a no-op run and a dry run leave the trace log as it was" cmp -s trace.before .sindri-build/trace
sb c
sb -t trace --runs 2 -o two.json
check "--runs 2: two runs, the last one's task in the second" python3 -c '
import json
ev = json.load(open("two.json"))["traceEvents"]
assert sorted(e["pid"] for e in ev if e["ph"] == "M") == [1, 2]
assert [e["name"] for e in ev if e["ph"] == "X" and e["pid"] == 2] == ["c"]
'
echo 2 >a.txt
sb cycle
sb -t trace --runs 2 --svg -o two.svg
check "--svg --runs 2: each run starts at the axis' 0, a duration beside each bar, 'up to date' for a current task" python3 -c '
import json, xml.etree.ElementTree as ET
S = "{http://www.w3.org/2000/svg}"
root = ET.parse("two.svg").getroot()
bars = [r for r in root.iter(S + "rect") if "bar" in r.get("class", "").split()]
names = [b.find(S + "title").text.split(":")[0] for b in bars]
assert names == ["c", "cycle", "a", "b"], names
ticks = [t for t in root.iter(S + "text") if t.get("class") == "tick"]
assert ticks[0].text == "0" and len(ticks) >= 2, [t.text for t in ticks]
axis0 = [l for l in root.iter(S + "line") if l.get("class") == "axis"][0]
# each run is drawn from its own start (run start_us in the log), on one scale: the longest run spans 720 px
runs = [json.loads(l) for l in open(".sindri-build/trace")][-2:]
first = lambda r: min(sp["start_us"] for sp in r["spans"])
longest = max(max(sp["end_us"] for sp in r["spans"]) - r["start_us"] for r in runs)
for bar, r in zip(bars[:2], runs):
    want = float(axis0.get("x1")) + (first(r) - r["start_us"]) * 720.0 / longest
    assert abs(float(bar.get("x")) - want) < 0.2, (bar.get("x"), want)
took = [t.text for t in root.iter(S + "text") if "took" in t.get("class", "").split()]
assert len(took) == 4 and took[3] == "up to date" and "up to date" not in took[:3], took
'
sb -t trace c
check "-t trace takes no targets: exit 2" rc_is 2
sb --svg
check "--svg without -t trace says where it goes" out_has "--svg is an option of -t trace"

finish
