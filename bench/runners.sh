#!/bin/sh
# bench/runners.sh: the many-runner flow of tests/sh/t0055-two-runners.sh with a base that costs something to build,
# timed: a second, independent dockerd's start and stop (tests/lib/engine2-setup.sh), runner A's build and push
# (engine 1), and on runner B (the second engine, emptied before each round) a pull of both images from the
# registry against a build of both with no remote cache (the FROM image pulled, then built), and the pull of the
# base with a build of the dev image when one extension file changed. One registry with Basic auth.
#   sh bench/runners.sh [ROUNDS]      (default 3; times are the medians over rounds; needs root)
# BASE_MB (default 64) is the size of the base's layer of generated data; BASE_LOOP (default 3000000) the count of
# a shell loop the base's RUN spins, for the CPU time a real base's compiles take. Exits 0: not a test.
set -u
BENCH=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$BENCH/.." && pwd)
. "$BENCH/lib.sh"

ROUNDS=${1:-3}
BASE_MB=${BASE_MB:-64}
BASE_LOOP=${BASE_LOOP:-3000000}
SB=${SB:-$TOP/sindri-build}
case $SB in /*) ;; *) SB=$(pwd)/$SB ;; esac
DOCKER=${DOCKER:-/usr/bin/docker}
export DOCKER DOCKER_BUILDKIT=1
unset CI GITHUB_ACTIONS PUSH REGISTRY_USER REGISTRY_PASSWORD DOCKER_HOST DOCKER_TLS_VERIFY DOCKER_CERT_PATH
[ "$(id -u)" = 0 ] || die "a second dockerd needs root"
[ -x "$SB" ] || die "no sindri-build at '$SB' (make -f Makefile.bootstrap)"
"$DOCKER" image inspect busybox:local >/dev/null 2>&1 || die "no busybox:local (sh tests/lib/docker-setup.sh)"

W=$(mktemp -d "${TMPDIR:-/tmp}/sb-bench-runners.XXXXXX")
P="sbbench-$$"
E2="$W/engine2"
REG="$W/reg"
cleanup() {
	sh "$TOP/tests/lib/engine2-setup.sh" stop "$E2" >/dev/null 2>&1
	sh "$TOP/tests/lib/registry-setup.sh" stop "$REG" >/dev/null 2>&1
	{
		"$DOCKER" image ls --format '{{.Repository}}:{{.Tag}}'
		"$DOCKER" image ls --digests --format '{{.Repository}}@{{.Digest}}' | grep -v '@<none>$'
	} 2>/dev/null | grep -- "$P" | xargs -r "$DOCKER" rmi -f >/dev/null 2>&1
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
private_copy

# now_ms: the wall clock in milliseconds.
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# median: the median of the numbers on stdin.
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
secs() { awk -v ms="$1" 'BEGIN { printf "%.2f s", ms / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", (b > 0) ? a / b : 0 }'; }

say "engine 2: start and stop, $ROUNDS times"
: >"$W/start" >"$W/stop"
i=0
while [ "$i" -lt "$ROUNDS" ]; do
	t0=$(now_ms)
	sh "$TOP/tests/lib/engine2-setup.sh" start "$E2" >/dev/null || die "cannot start the second engine"
	t1=$(now_ms)
	sh "$TOP/tests/lib/engine2-setup.sh" stop "$E2" >/dev/null
	t2=$(now_ms)
	echo $((t1 - t0)) >>"$W/start"
	echo $((t2 - t1)) >>"$W/stop"
	i=$((i + 1))
done
start_ms=$(median <"$W/start")
stop_ms=$(median <"$W/stop")
echo "start (until it answers /_ping): $start_ms ms; stop (with its data removed): $stop_ms ms"
sh "$TOP/tests/lib/engine2-setup.sh" start "$E2" >/dev/null || die "cannot start the second engine"
E2_HOST="unix://$E2/docker.sock"

PORT=$((30000 + $$ % 20000))
while curl -s -o /dev/null -m 1 "http://127.0.0.1:$PORT/" 2>/dev/null; do PORT=$((PORT + 1)); done
sh "$TOP/tests/lib/registry-setup.sh" start "$REG" "$PORT" ci "pw-$$" >/dev/null || die "cannot start a registry"
HOSTPORT="127.0.0.1:$PORT"
CACHE="$HOSTPORT/$P/cache"
UPSTREAM="$HOSTPORT/$P/os:1"
mkdir -p "$W/cfg-a" "$W/cfg-b"
runner_a() { env DOCKER_CONFIG="$W/cfg-a" "$@"; }
runner_b() { env DOCKER_HOST="$E2_HOST" DOCKER_CONFIG="$W/cfg-b" "$@"; }
echo "pw-$$" | runner_a "$DOCKER" login -u ci --password-stdin "$HOSTPORT" >/dev/null 2>&1 || die "runner A cannot log in"
echo "pw-$$" | runner_b "$DOCKER" login -u ci --password-stdin "$HOSTPORT" >/dev/null 2>&1 || die "runner B cannot log in"
"$DOCKER" tag busybox:local "$UPSTREAM" && runner_a "$DOCKER" push "$UPSTREAM" >/dev/null 2>&1 || die "cannot publish the base's FROM image"

. "$TOP/tests/lib/runners-tree.sh"
runners_tree "$W/a" "$P" "$UPSTREAM" \
	"RUN head -c ${BASE_MB}m /dev/urandom > /toolchain && i=0 && while [ \$i -lt $BASE_LOOP ]; do i=\$((i + 1)); done"

# job NAME CHECKOUT RUNNER [VAR=VALUE...]: one CI job's sindri-build run, timed into $W/t-NAME; dies when it fails.
job() {
	name=$1 dir=$2 runner=$3
	shift 3
	t0=$(now_ms)
	(cd "$dir" && "$runner" env CI=true "$@" "$SB" dev) >"$W/last.out" 2>&1 || {
		sed 's/^/  | /' "$W/last.out"
		die "job '$name' failed"
	}
	echo $(($(now_ms) - t0)) >>"$W/t-$name"
}
# fresh_b: engine 2 as a new runner has it: no image, no build cache (the engine is this script's own).
fresh_b() {
	runner_b "$DOCKER" image ls -q | sort -u | xargs -r env DOCKER_HOST="$E2_HOST" "$DOCKER" rmi -f >/dev/null 2>&1
	runner_b "$DOCKER" builder prune -af >/dev/null 2>&1
	[ -z "$(runner_b "$DOCKER" image ls -q)" ] || die "engine 2 is not empty"
}
# pulled, built: how many images the last job pulled instead of building, and built (the tasks it ran, less those).
pulled() { grep -c "instead of building" "$W/last.out"; }
built() { echo $(($(grep -c '^\[[0-9]*/[0-9]*\] ' "$W/last.out") - $(pulled))); }
# expect PULLED BUILT: the last job pulled and built that many images, else its output and the end.
expect() {
	[ "$(pulled) $(built)" = "$1 $2" ] && return 0
	sed 's/^/  | /' "$W/last.out"
	die "expected $1 pulled and $2 built, got $(pulled) and $(built)"
}

say "runner A (engine 1): build and push base and dev"
job a "$W/a" runner_a PUSH=1 REMOTE_CACHE="$CACHE"
expect 0 2
echo "$(secs "$(cat "$W/t-a")")"

: >"$W/t-pull" >"$W/t-build" >"$W/t-ext"
r=0
while [ "$r" -lt "$ROUNDS" ]; do
	r=$((r + 1))
	for x in b-pull b-build b-ext; do rm -rf "$W/$x" && cp -R "$W/a" "$W/$x" && rm -rf "$W/$x/.sindri-build"; done
	echo "name: python, version: 3.13-$r" >"$W/b-ext/dev/ext/python.yaml"
	fresh_b
	job pull "$W/b-pull" runner_b REMOTE_CACHE="$CACHE"
	expect 2 0
	fresh_b
	job build "$W/b-build" runner_b
	expect 0 2
	fresh_b
	job ext "$W/b-ext" runner_b REMOTE_CACHE="$CACHE"
	expect 1 1
done
pull=$(median <"$W/t-pull")
build=$(median <"$W/t-build")
ext=$(median <"$W/t-ext")
say "runner B (engine 2, emptied before each job), median of $ROUNDS"
echo "pull base and dev:                 $(secs "$pull")"
echo "build base and dev (no cache):     $(secs "$build")  ($(ratio "$build" "$pull") the pull)"
echo "pull base, build dev (ext changed): $(secs "$ext")"
echo "base: ${BASE_MB} MiB layer, a ${BASE_LOOP}-step shell loop; load average $(cut -d' ' -f1-3 /proc/loadavg)"
