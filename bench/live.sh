#!/bin/sh
# bench/live.sh: from writing one extension file to its content being readable inside the running dev container,
# on a copy of examples/mini-sindri: `sindri-build cycle-live` (the file is copied into the container) against
# `sindri-build cycle-fast` (the dev image is rebuilt and the container replaced), alternating within each round.
# A time runs from the write to the end of the cycle, which leaves the content in the container (a `docker exec cat`
# right after checks it; the time to its answer is shown too).
#   sh bench/live.sh [ROUNDS]        (default 7)
# Needs a Docker engine with busybox:local (tests/lib/docker-setup.sh) and cargo (the first cycle-fast installs the
# example's stand-in CLI into a private root). Exits 0: a benchmark is not a test; a target not met prints MISS.
set -u
BENCH=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$BENCH/.." && pwd)
. "$BENCH/lib.sh"

ROUNDS=${1:-7}
SB=${SB:-$TOP/sindri-build}
case $SB in /*) ;; *) SB=$(pwd)/$SB ;; esac
DOCKER=${DOCKER:-/usr/bin/docker}
export DOCKER DOCKER_BUILDKIT=1
PATH=$PATH:$HOME/.cargo/bin
command -v cargo >/dev/null 2>&1 || die "'cargo' is not installed"
"$DOCKER" image inspect busybox:local >/dev/null 2>&1 || die "no busybox:local image: run tests/lib/docker-setup.sh"

W=$(mktemp -d "${TMPDIR:-/tmp}/sb-lbench.XXXXXX") || die "cannot create a temp dir"
P="sblive-$$"
"$DOCKER" images -q --no-trunc -f dangling=true -f label=org.sindri-build.key | sort >"$W/dangling-before"
cleanup() {
	"$DOCKER" rm -f "$P-ws" >/dev/null 2>&1
	"$DOCKER" volume rm -f "$P-ws_home" >/dev/null 2>&1
	"$DOCKER" images -q --no-trunc -f dangling=true -f label=org.sindri-build.key | sort |
		comm -13 "$W/dangling-before" - | xargs -r "$DOCKER" rmi >/dev/null 2>&1
	"$DOCKER" image ls --format '{{.Repository}}:{{.Tag}}' | grep "^$P" | xargs -r "$DOCKER" rmi -f >/dev/null 2>&1
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
private_copy

m=$W/mini
cp -r "$TOP/examples/mini-sindri" "$m"
rm -rf "$m/v3/target" "$m/.sindri-build" "$m/.stand-in-cli"
sed "s/name: mini-sindri-dev/name: $P-ws/; s/image: sindri:latest/image: $P-sindri:latest/" "$m/sindri.yaml" >"$m/bench.yaml"
export IMAGE_REPO="$P-sindri" SINDRI_CLI=none CARGO_INSTALL_ROOT="$W/cargo-root" SINDRI_BUILD_RECIPES="$TOP/recipes" \
	XDG_CACHE_HOME="$W/xdg" BASE=local
F=v3/extensions/python/extension.yaml
IN=/opt/sindri/extensions/python/extension.yaml

(cd "$m" && "$SB" cycle-fast CONFIG=bench.yaml) >"$W/first.out" 2>&1 || { cat "$W/first.out"; die "the first cycle-fast failed"; }

now() { date +%s.%N; }
# edit_and_wait CYCLE N: append a unique line to the extension, run the cycle, wait until the container shows it;
# prints the seconds from the write to the cycle's end (the content is then in the container: the first check
# after it must see it), and from the write to that check's answer (a `docker exec`, 0.1-0.4 s on its own here).
edit_and_wait() {
	mark="bench $P $1 $2"
	t0=$(now)
	echo "# $mark" >>"$m/$F"
	(cd "$m" && "$SB" "$1" CONFIG=bench.yaml) >"$W/$1.out" 2>&1 || { cat "$W/$1.out" >&2; die "$1 failed"; }
	t1=$(now)
	"$DOCKER" exec "$P-ws" cat "$IN" 2>/dev/null | grep -qx "# $mark" || die "$1: the edit is not in the container"
	t2=$(now)
	awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { printf "%.3f %.3f\n", b - a, c - a }'
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

: >"$W/live" ; : >"$W/fast" ; : >"$W/ratio" ; : >"$W/live2" ; : >"$W/fast2"
for r in $(seq "$ROUNDS"); do
	l=$(edit_and_wait cycle-live "$r") || exit 2
	grep -q "no image was built" "$W/cycle-live.out" || { cat "$W/cycle-live.out"; die "cycle-live did not sync"; }
	f=$(edit_and_wait cycle-fast "$r") || exit 2
	grep -q "docker-build-dev" "$W/cycle-fast.out" || { cat "$W/cycle-fast.out"; die "cycle-fast did not rebuild"; }
	echo "${l% *}" >>"$W/live"
	echo "${l#* }" >>"$W/live2"
	echo "${f% *}" >>"$W/fast"
	echo "${f#* }" >>"$W/fast2"
	awk -v a="${f% *}" -v b="${l% *}" 'BEGIN { printf "%.1f\n", a / b }' >>"$W/ratio"
	printf 'round %d: cycle-live %ss (checked %ss), cycle-fast %ss (checked %ss)\n' "$r" "${l% *}" "${l#* }" \
		"${f% *}" "${f#* }"
done
L=$(median <"$W/live") F2=$(median <"$W/fast") R=$(median <"$W/ratio")
L2=$(median <"$W/live2") F3=$(median <"$W/fast2")
printf '\n%-48s %10s %16s\n' "edit to content in the container (median)" "seconds" "with the check"
printf '%-48s %10s %16s\n' "cycle-live (sync, no build)" "$L" "$L2"
printf '%-48s %10s %16s\n' "cycle-fast (rebuild and replace)" "$F2" "$F3"
printf '%-48s %10s   target >= 20x: %s\n' "ratio (median of per-round ratios)" "${R}x" \
	"$(awk -v r="$R" 'BEGIN { print (r >= 20) ? "ok" : "MISS" }')"
printf '%-48s %10s   target ~1 s: %s\n' "cycle-live" "$L" "$(awk -v l="$L" 'BEGIN { print (l <= 1.5) ? "ok" : "MISS" }')"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
