# lib.sh: the shell test library. Each test file sources it, calls `check` per assertion and `finish` at the end.
# SB is the sindri-build binary under test.
set -u
: "${SB:?SB must name the sindri-build binary}"
T_NAME=$(basename "$0" .sh)
T_TOP=$(cd "$(dirname "$0")/../.." && pwd) # the source tree
T_PASS=0
T_FAIL=0
T_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/sb-$T_NAME.XXXXXX")
T_OUT=$(mktemp "${TMPDIR:-/tmp}/sb-$T_NAME-out.XXXXXX")
T_CLEANUP=""
# Engine helpers (docker/enginesrv.h) and file watchers (watch/watcher.h) started by this test live under its own
# runtime dir and end within a second of its removal, so no test leaves one behind or uses another test's; a
# command run without XDG_RUNTIME_DIR (env -i) starts its own in ${TMPDIR:-/tmp}/sindri-build-UID instead, for
# the whole machine: pass it on. tests/run.sh fails the suite when one of those is left running.
XDG_RUNTIME_DIR=$T_ROOT/run
mkdir -m 700 "$XDG_RUNTIME_DIR"
export XDG_RUNTIME_DIR
. "$T_TOP/tests/lib/residents.sh"
trap 'eval "$T_CLEANUP"; rm -rf "$T_ROOT" "$T_OUT"; residents_gone' EXIT
# residents_gone: once its runtime dir is removed, wait for the helpers and watchers under it (of $SB, or of a copy
# this test made) to end; one still running after T_RESIDENTS_WAIT seconds (30) is stopped by its pid (and let go on,
# should it be stopped) and fails the test.
residents_gone() {
	_left=""
	for _i in $(seq $((${T_RESIDENTS_WAIT:-30} * 10))); do
		_left=$({ residents "$(readlink -f "$SB")"; residents "$T_ROOT/*"; } | grep -F " $T_ROOT/" | sort -u)
		[ -z "$_left" ] && return 0
		sleep 0.1
	done
	echo "$_left" | while read -r _pid _sock; do
		echo "FAIL: $T_NAME: its cleanup left pid $_pid running (socket $_sock): stopped now" >&2
		kill -TERM "$_pid" 2>/dev/null
		kill -CONT "$_pid" 2>/dev/null
	done
	exit 1
}

# at_exit CMD: run CMD when the test ends, however it ends (removing images, containers, ...).
at_exit() {
	T_CLEANUP="$T_CLEANUP
$*"
}

# rmi_named PATTERN: remove every image with a name (repo:tag, or the repo@digest a push or pull leaves after the
# last tag is gone) that holds PATTERN; for at_exit.
rmi_named() {
	{
		"$DOCKER" image ls --format "{{.Repository}}:{{.Tag}}"
		"$DOCKER" image ls --digests --format "{{.Repository}}@{{.Digest}}" | grep -v "@<none>$"
	} 2>/dev/null | grep -- "$1" | xargs -r "$DOCKER" rmi -f >/dev/null 2>&1
}

# DOCKER: Debian's client, which speaks the engine's API and has BuildKit built in.
DOCKER=${DOCKER:-$(command -v /usr/bin/docker || command -v docker)}
export DOCKER

# need_docker: skip this test file (outside CI) when no engine answers; under CI=true that is a failure.
need_docker() {
	if ! "$DOCKER" version >/dev/null 2>&1 || ! "$DOCKER" image inspect busybox:local >/dev/null 2>&1; then
		if [ "${CI:-}" = true ]; then
			echo "$T_NAME: no Docker engine or no busybox:local image under CI" >&2
			echo "$T_NAME: 0 passed, 1 failed"
			exit 1
		fi
		echo "$T_NAME: skipped: no Docker engine (run tests/lib/docker-setup.sh as root)"
		echo "$T_NAME: 0 passed, 0 failed"
		exit 0
	fi
	# An image a test rebuilt loses its tag and stays behind untagged ("dangling"): those sindri-build labelled
	# that were not there when the test began go when it ends.
	labelled_dangling >"$T_ROOT/.dangling-before"
	at_exit 'labelled_dangling | comm -13 "$T_ROOT/.dangling-before" - | xargs -r "$DOCKER" rmi >/dev/null 2>&1'
}

# need_cargo: put rustup's cargo on PATH when it is there; fail this test file when there is no cargo at all.
need_cargo() {
	PATH=$PATH:$HOME/.cargo/bin
	command -v cargo >/dev/null 2>&1 && return 0
	echo "$T_NAME: no cargo (.ci/deps.sh installs it)"
	echo "$T_NAME: 0 passed, 1 failed"
	exit 1
}

# labelled_dangling: the IDs of untagged images that carry sindri-build's key label, sorted.
labelled_dangling() {
	"$DOCKER" images -q --no-trunc -f dangling=true -f label=org.sindri-build.key | sort
}

# need_ninja: set NINJA to the ninja to test with; skip this test file (outside CI) when there is none.
need_ninja() {
	NINJA=${NINJA:-$(command -v ninja)}
	[ -n "$NINJA" ] && return 0
	if [ "${CI:-}" = true ]; then
		echo "$T_NAME: no ninja under CI (.ci/deps.sh installs ninja-build)" >&2
		echo "$T_NAME: 0 passed, 1 failed"
		exit 1
	fi
	echo "$T_NAME: skipped: no ninja (apt-get install ninja-build)"
	echo "$T_NAME: 0 passed, 0 failed"
	exit 0
}

# nj ARGS: run the ninja under test ($NJ, else $NINJA), output in $T_OUT, exit code in $RC.
nj() {
	"${NJ:-$NINJA}" "$@" >"$T_OUT" 2>&1
	RC=$?
	return 0
}

# noop: the last ninja run had nothing to do (ninja: "no work to do", samu: "nothing to do").
noop() {
	out_has 'no work to do\|nothing to do'
}

# image_id REF: the image ID, or "none".
image_id() {
	id=$("$DOCKER" image inspect -f '{{.Id}}' "$1" 2>/dev/null)
	echo "${id:-none}"
}
cd "$T_ROOT" || exit 1

# free_port BASE: a TCP port on 127.0.0.1 that nothing listens on, from BASE + our pid modulo 1000 upwards. Keep
# BASE + 1000 under 32768, the kernel's first port for outgoing connections (ip_local_port_range): a port there can
# be held by any connection on the machine and make the bind of a listener fail, which no probe can foresee.
free_port() {
	fp=$(($1 + $$ % 1000))
	# curl exits 7 when the connection is refused: nothing listens there
	while curl -s -o /dev/null -m 1 "http://127.0.0.1:$fp/" 2>/dev/null || [ $? != 7 ]; do fp=$((fp + 1)); done
	echo "$fp"
}

# check DESC CMD...: CMD must succeed.
check() {
	desc=$1
	shift
	if "$@"; then
		T_PASS=$((T_PASS + 1))
	else
		T_FAIL=$((T_FAIL + 1))
		echo "FAIL: $T_NAME: $desc" >&2
		[ -f "$T_OUT" ] && sed 's/^/  | /' "$T_OUT" >&2
	fi
}

# sb ARGS...: run sindri-build, output in $T_OUT, exit code in $RC.
sb() {
	"$SB" "$@" >"$T_OUT" 2>&1
	RC=$?
	return 0
}

# sb_during CMD ARGS...: run sindri-build ARGS... (a task that touches 'started', then waits while 'hold' exists);
# once it started, eval CMD, let it go on and wait for the run. Output in $T_OUT, exit code in $RC.
sb_during() {
	_cmd=$1
	shift
	rm -f started
	touch hold
	"$SB" "$@" >"$T_OUT" 2>&1 &
	_pid=$!
	_i=0
	while [ ! -e started ] && [ $_i -lt 2400 ] && kill -0 $_pid 2>/dev/null; do
		sleep 0.05
		_i=$((_i + 1))
	done
	eval "$_cmd"
	rm -f hold
	wait $_pid
	RC=$?
	return 0
}

# ran: the names of the tasks the last run started, space-separated, sorted.
ran() {
	sed -n 's/^\[[0-9]*\/[0-9]*\] //p' "$T_OUT" | sort | tr '\n' ' ' | sed 's/ $//'
}

# ran_is EXPECTED: the last run started exactly these tasks (space-separated, sorted).
ran_is() {
	got=$(ran)
	[ "$got" = "$1" ] || { echo "  expected ran '$1', got '$got'" >&2; return 1; }
}

# equal GOT WANT: the two are the same, else both are shown.
equal() {
	[ "$1" = "$2" ] || { echo "  got '$1', want '$2'" >&2; return 1; }
}

rc_is() {
	[ "$RC" = "$1" ] || { echo "  expected exit $1, got $RC" >&2; return 1; }
}

out_has() {
	grep -q -- "$1" "$T_OUT" || { echo "  output lacks '$1'" >&2; return 1; }
}

out_lacks() {
	! grep -q -- "$1" "$T_OUT" || { echo "  output has '$1'" >&2; return 1; }
}

# snapshot DIR: a listing of every file with its checksum, to prove a directory did not change.
snapshot() {
	(cd "$1" 2>/dev/null && find . -type f -exec cksum {} + | sort) || echo missing
}

finish() {
	echo "$T_NAME: $T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" -eq 0 ]
}

# need_engine2 DIR [CERTDIR PORT]: start a second, independent Docker engine under DIR (tests/lib/engine2-setup.sh;
# with CERTDIR and PORT it also listens on tcp://127.0.0.1:PORT with TLS) and stop it, removing its data, when the
# test ends; E2_HOST is its unix:// address. Not root: this test file is skipped. A start that fails fails it, saying why.
need_engine2() {
	if [ "$(id -u)" != 0 ]; then
		echo "$T_NAME: skipped: starting a second dockerd needs root"
		echo "$T_NAME: 0 passed, 0 failed"
		exit 0
	fi
	at_exit "sh '$T_TOP/tests/lib/engine2-setup.sh' stop '$1' >/dev/null 2>&1"
	if ! sh "$T_TOP/tests/lib/engine2-setup.sh" start "$@" >"$T_ROOT/.engine2.out" 2>&1; then
		echo "$T_NAME: cannot start a second Docker engine:" >&2
		sed 's/^/  | /' "$T_ROOT/.engine2.out" >&2
		echo "$T_NAME: 0 passed, 1 failed"
		exit 1
	fi
	E2_HOST="unix://$(cd "$1" && pwd)/docker.sock"
}

# mini_sindri_ws: a copy of examples/mini-sindri in ./repo, made the current directory, with a deployment config
# ws.yaml for the workspace $W on $REPO:latest (P, REPO and W named here); the container, its home volume and the
# $REPO images go when the test ends. cid NAME: a container's id, or "none".
mini_sindri_ws() {
	P="sbtest-$$"
	REPO="$P-sindri"
	W="$P-ws"
	export IMAGE_REPO="$REPO" SINDRI_CLI=none XDG_CACHE_HOME="$T_ROOT/xdg"
	at_exit '"$DOCKER" rm -f "$W" >/dev/null 2>&1; "$DOCKER" volume rm -f "${W}_home" >/dev/null 2>&1'
	at_exit '"$DOCKER" image ls --format "{{.Repository}}:{{.Tag}}" | grep "^$REPO:" | xargs -r "$DOCKER" rmi -f >/dev/null 2>&1'
	cp -r "$T_TOP/examples/mini-sindri" repo
	rm -rf repo/v3/target repo/.sindri-build repo/.stand-in-cli
	cd repo || exit 1
	printf 'workspace:\n  name: %s\ndeployment:\n  provider: docker\n  image: %s:latest\n' "$W" "$REPO" >ws.yaml
}

cid() {
	id=$("$DOCKER" inspect -f '{{.Id}}' "$1" 2>/dev/null)
	echo "${id:-none}"
}
