# t0157: a bad sindri.yaml and a missing Dockerfile, as a new user makes them: each is refused naming the file, the
# line and what to do, exits non-zero, and writes no state; a misspelled key (which would be ignored) is refused
# with the key meant, while keys the Sindri CLI reads are left alone.
. "$(dirname "$0")/../lib/lib.sh"
need_docker
at_exit '"$SB" -t server stop >/dev/null 2>&1'

# no_state DESC: the last command wrote nothing under .sindri-build/ (the recipe's bytecode cache aside)
no_state() {
	check "$1: no state written" sh -c '! ls .sindri-build 2>/dev/null | grep -qv "^luac$"'
	rm -rf .sindri-build
}

# a recipe that reads CONFIG as the Sindri recipes do (sindri_config), so the reader's errors are checked alone
mkdir plain
cd plain || exit 1
printf 'local c = sindri_config(var("CONFIG", "sindri.yaml"))\ntask "all" { run = { "echo", c.name } }\n' \
	>sindri-build.lua
# bad YAML EXPECTED DESC
bad() {
	printf '%s\n' "$1" >sindri.yaml
	sb all
	check "$3: exit 2" rc_is 2
	check "... says where and what to do" out_has "^sindri-build: $2"
	no_state "... $3"
}
bad 'workspace:
  name: ws
 deployment:
  provider: docker' "sindri.yaml:3:2: invalid YAML: did not find expected key" "a YAML syntax error"
bad 'workspace:
  name: [a, b]' "sindri.yaml:2:9: 'workspace.name' must be a string, not a list; give a single value" "a wrong type"
bad 'workspace:
  name: ws
deploymnt:
  provider: docker
  image: mine:1' "sindri.yaml:3:1: unknown key 'deploymnt'; did you mean 'deployment'?" "a misspelled top-level key"
bad 'name: ws
deployment:
  provider: docker
  imagee: mine:1' "sindri.yaml:4:3: unknown key 'deployment.imagee'; did you mean 'image'?" "a misspelled nested key"
bad 'name: ws
deployment:
  provider: docker
extensions:
  profile: minimal
  additonal: [git]' "sindri.yaml:6:3: unknown key 'extensions.additonal'; did you mean 'additional'?" \
	"a misspelled extensions key"
printf 'version: "3.0"\nname: ws\nsecrets: []\ndeployment:\n  provider: docker\n  resources: {cpus: 2}\nbase: &b\n  x: 1\n' \
	>sindri.yaml
sb all
check "keys the Sindri CLI reads, and an anchor's holder, are left alone" rc_is 0
rm -rf .sindri-build
sb all CONFIG=nosuch.yaml
check "a CONFIG that is not there: exit 2" rc_is 2
check "... says what to check" \
	out_has "^sindri-build: no sindri.yaml 'nosuch.yaml'; CONFIG= and --config name it from the project root: check the path"
no_state "... a CONFIG that is not there"
cd ..

# the Sindri targets read CONFIG before anything is touched: a misspelled key stops a dry run and a cycle
mini_sindri_ws
printf 'workspace:\n  name: %s\ndeploymnt:\n  provider: docker\n  image: %s:latest\n' "$W" "$REPO" >bad.yaml
for cmd in "-n cycle-fast" "cycle-fast" "-t explain deploy"; do
	# shellcheck disable=SC2086 # the words of the command
	sb $cmd CONFIG=bad.yaml
	check "sindri-build $cmd with a misspelled key: exit 2" rc_is 2
	check "... names the key meant" out_has "^sindri-build: bad.yaml:3:1: unknown key 'deploymnt'; did you mean 'deployment'?"
	no_state "... sindri-build $cmd"
done
check "... and no container was made" test "$(cid "$W")" = none
# a cycle that asks first, without a terminal and without FORCE=1: what would go, then the refusal, in that order
sb cycle-nuclear CONFIG=ws.yaml </dev/null
check "a cycle that asks, without a terminal: exit 1" rc_is 1
check "... lists what would go, then refuses" sh -c "grep -n . '$T_OUT' | grep -m1 -e ':cycle-nuclear removes' -e 'refusing without a terminal' | grep -q ':cycle-nuclear removes'"
check "... and says how to go on" out_has "refusing without a terminal to confirm on; run again with FORCE=1 or --yes"
check "... and deploys nothing" test "$(cid "$W")" = none
rm -rf .sindri-build
cd ..

# an image whose Dockerfile is not there: named at the image's line, with what to set
mkdir img
cd img || exit 1
printf 'image "app" {\n  dockerfile = "docker/Dockerfile",\n  tags = { "sbtest-%s-app:1" },\n}\n' "$$" >sindri-build.lua
for cmd in "-n app" "-t explain app" "-t key app"; do
	# shellcheck disable=SC2086 # the words of the command
	sb $cmd
	check "a missing Dockerfile, sindri-build $cmd: exit 1" rc_is 1
	check "... named at the image's line, with what to do" \
		out_has "^sindri-build: sindri-build.lua:1: image 'app': no Dockerfile 'docker/Dockerfile'; write it, or set dockerfile = \"PATH\""
	no_state "... sindri-build $cmd"
done
sb app
check "a build of it fails (exit 1), with the same message" rc_is 1
check "... same message" out_has "^sindri-build: sindri-build.lua:1: image 'app': no Dockerfile 'docker/Dockerfile'"
sb -t stats --json
check "... and records no run" out_has '"tasks":\[\]'

finish
