# t0111: the exit code table of docs/cli.md, row by row, the same for a build, a report and the tools.
. "$(dirname "$0")/../lib/lib.sh"

# the table is there, with every code this test checks
for code in 0 1 2 3 "130, 143"; do
	check "docs/cli.md's exit code table has row $code" grep -q "^| $code |" "$T_TOP/docs/cli.md"
done

cat >sindri-build.lua <<'LUA'
task "ok" { outputs = { "ok.txt" }, run = "echo ok > ok.txt" }
task "bad" { run = "exit 7" }
task "needs" { inputs = { "missing.txt" }, run = { "true" } }
task "slow" { run = "touch slow.started; sleep 30" }
default "ok"
LUA

# 0: success, for a build and for tools
sb
check "0: a build that succeeds" rc_is 0
sb -t key ok
check "0: -t key" rc_is 0
sb -t targets
check "0: -t targets" rc_is 0

# 1: a task failed, whatever found it
sb bad
check "1: a command that fails" rc_is 1
sb needs
check "1: a missing input, in a build" rc_is 1
sb -t key needs
check "1: a missing input, for -t key (the key cannot be computed) as for a build" rc_is 1
sb -t explain needs
check "1: ... and for -t explain" rc_is 1

# 2: usage or recipe errors, and nothing written
rm -rf .sindri-build
for args in "--bogus" "nosuchtarget" "-t key nosuchtarget" "-t explain nosuchtarget" "-t nosuchtool" "-j 0"; do
	# shellcheck disable=SC2086
	sb $args
	check "2: sindri-build $args" rc_is 2
done
printf 'task "x" {\n' >bad.lua
sb -f bad.lua -t key x
check "2: a recipe error, for -t key" rc_is 2
sb -f bad.lua x
check "2: a recipe error, for a build" rc_is 2
check "2: none of these wrote state" test ! -e .sindri-build

# 2: a CONFIG= file that cannot be read, in the Sindri recipes, for a build, a dry run, -t key and -t explain
cp -R "$T_TOP/examples/mini-sindri" ms
for args in "deploy" "-n deploy" "-t key deploy" "-t explain deploy" "deploy --config nope.yaml"; do
	# shellcheck disable=SC2086
	case $args in *--config*) sb -C ms $args ;; *) sb -C ms $args CONFIG=nope.yaml ;; esac
	check "2: a missing CONFIG, sindri-build $args" rc_is 2
	check "... names the file" out_has "nope.yaml"
done
check "2: ... and nothing was written" test ! -e ms/.sindri-build

# 3: the Docker engine does not answer: the same for a build, a report, -t key and -t explain
mkdir img && printf 'FROM busybox:local\n' >img/Dockerfile
cat >img/sindri-build.lua <<'LUA'
image "img" { dockerfile = "Dockerfile", context = ".", tags = { "sb-t0111-never:1" } }
default "img"
LUA
for args in "" "img" "-t key img" "-t explain img" "-n img"; do
	# shellcheck disable=SC2086
	DOCKER_HOST=unix://$T_ROOT/none.sock "$SB" -C img $args >"$T_OUT" 2>&1
	RC=$?
	check "3: no engine, sindri-build $args" rc_is 3
	check "... says which engine" out_has "cannot reach the Docker engine at 'unix://$T_ROOT/none.sock'"
done
check "3: ... and nothing was written" test ! -e img/.sindri-build
DOCKER_HOST=unix://$T_ROOT/none.sock "$SB" -C ms cache-status >"$T_OUT" 2>&1
RC=$?
check "3: no engine, the report cache-status" rc_is 3

# 130 and 143: interrupted
for sig in INT TERM; do
	rm -f slow.started
	"$SB" slow >"$T_OUT" 2>&1 &
	pid=$!
	i=0
	while [ ! -e slow.started ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	kill -$sig $pid
	wait $pid
	RC=$?
	[ $sig = INT ] && want=130 || want=143
	check "$want: SIGINT or SIGTERM ($sig)" rc_is $want
	check "... the closing line says so" out_has "^sindri-build: interrupted: 0 built, 0 up to date, 1 not finished in "
done

finish
