# runners-tree.sh: the checkout of the many-runner flow (tests/sh/t0055-two-runners.sh, bench/runners.sh). Sourced.
# runners_tree DIR PREFIX FROM STEP: in DIR, a base image FROM the image FROM whose one step is the Dockerfile line
# STEP (its context holds a file 'note'), and a dev image FROM the base that copies the extensions in dev/ext; both
# are tagged PREFIX-base:1 and PREFIX-dev:1 and use the remote cache the variable REMOTE_CACHE names. The default
# target is dev.
runners_tree() {
	mkdir -p "$1/base" "$1/dev/ext"
	printf 'FROM %s\n%s\n' "$3" "$4" >"$1/base/Dockerfile"
	echo one >"$1/base/note"
	printf 'ARG BASE\nFROM $BASE\nCOPY ext/ /ext/\n' >"$1/dev/Dockerfile"
	echo 'name: node' >"$1/dev/ext/node.yaml"
	echo 'name: python' >"$1/dev/ext/python.yaml"
	cat >"$1/sindri-build.lua" <<-LUA
		image "base" { context = "base", tags = { "$2-base:1" }, remote_cache = var("REMOTE_CACHE") }
		image "dev" {
		  deps = { "base" }, context = "dev", tags = { "$2-dev:1" },
		  build_args = { BASE = "$2-base:1" }, remote_cache = var("REMOTE_CACHE"),
		}
		default "dev"
	LUA
}
