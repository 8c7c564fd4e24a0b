# manifest.awk: print the file list of a benchmark tree, one "size path" line per file, deterministically.
#   awk -v shape=sindri -f bench/manifest.awk   ~590 files, ~4.3 MB, laid out like Sindri's v3/ Docker build context
#   awk -v shape=small  -f bench/manifest.awk   100 dirs x 1000 files of 100-700 bytes (~40 MB)
#   awk -v shape=many -v files=N -f bench/manifest.awk   N files of 100-700 bytes, 1000 a directory (run.sh --large)
# Paths are relative to the tree root. The numbers come from a fixed-seed Park-Miller generator, not from awk's
# rand(), so mawk, gawk and busybox awk all print the same list.

function rnd() {
	# Park-Miller "minimal standard": the product stays below 2^53, so doubles keep it exact in every awk.
	seed = (seed * 16807) % 2147483647
	return seed / 2147483647
}

function rint(lo, hi) {
	return lo + int(rnd() * (hi - lo + 1))
}

# rsize: a size between lo and hi skewed towards lo (many small files, a few large ones), mean lo + (hi - lo) / 4.
function rsize(lo, hi,  r) {
	r = rnd()
	return int(lo + (hi - lo) * r * r * r)
}

function emit(size, path) {
	printf "%d %s\n", size, path
}

function sindri(  ncrate, c, crate, nmod, first, m, mod, nf, f, e, ext, ex, n, i) {
	emit(2600, "v3/Cargo.toml")
	emit(149000, "v3/Cargo.lock")
	emit(9000, "v3/profiles.yaml")
	emit(31000, "v3/registry.yaml")
	emit(180, "v3/rust-toolchain.toml")

	# 12 crates, ~300 files, ~3.1 MB: Cargo.toml, src/lib.rs or main.rs, module dirs of .rs files, some nested.
	ncrate = split("sindri sindri-core sindri-config sindri-docker sindri-registry sindri-extensions " \
	    "sindri-providers sindri-secrets sindri-backup sindri-doctor sindri-image sindri-update", crate, " ")
	split("cli commands config deploy provider image registry secrets backup doctor update util " \
	    "schema profile render compose net fs process log", mod, " ")
	for (c = 1; c <= ncrate; c++) {
		emit(rint(600, 2200), "v3/crates/" crate[c] "/Cargo.toml")
		emit(rsize(1500, 24000), "v3/crates/" crate[c] "/src/" (c == 1 ? "main.rs" : "lib.rs"))
		nmod = rint(2, 5)
		first = rint(0, 19)
		for (m = 1; m <= nmod; m++) {
			i = (first + 7 * m) % 20 + 1 # 7 is prime to 20: distinct modules within a crate
			emit(rsize(300, 6000), "v3/crates/" crate[c] "/src/" mod[i] "/mod.rs")
			nf = rint(2, 8)
			for (f = 1; f <= nf; f++)
				emit(rsize(1000, 44000), "v3/crates/" crate[c] "/src/" mod[i] "/" mod[rint(1, 20)] "_" f ".rs")
			if (rnd() < 0.4) {
				nf = rint(2, 4)
				for (f = 1; f <= nf; f++)
					emit(rsize(1000, 32000), "v3/crates/" crate[c] "/src/" mod[i] "/" mod[rint(1, 20)] "/part_" f ".rs")
			}
		}
	}

	# 67 extensions, ~258 files, ~0.8 MB: extension.yaml plus scripts, docs and templates.
	n = split("nodejs python rust golang java dotnet ruby php swift kotlin scala elixir erlang haskell ocaml zig nim " \
	    "deno bun terraform pulumi ansible kubectl helm k9s docker-cli podman aws-cli gcloud azure-cli flyctl " \
	    "github-cli glab jq yq ripgrep fd bat fzf tmux neovim vscode-server jupyter conda r-lang julia lua perl " \
	    "postgres-client mysql-client redis-tools mongodb-tools sqlite duckdb ollama claude-cli codex-cli " \
	    "gemini-cli playwright cypress sdkman nvm pyenv rbenv protobuf grpcurl", ext, " ")
	for (e = 1; e <= n; e++) {
		ex = "v3/extensions/" ext[e] "/"
		emit(rsize(1200, 12000), ex "extension.yaml")
		emit(rsize(600, 16000), ex "scripts/install.sh")
		if (rnd() < 0.7) emit(rsize(800, 14000), ex "README.md")
		if (rnd() < 0.4) emit(rsize(300, 6000), ex "scripts/uninstall.sh")
		if (rnd() < 0.4) emit(rsize(300, 5000), ex "templates/config.toml")
		if (rnd() < 0.3) emit(rsize(300, 8000), ex "templates/env.sh")
		if (rnd() < 0.2) emit(rsize(300, 5000), ex "scripts/validate.sh")
	}

	# Docker build files, embedded assets and schemas: the rest of the context.
	emit(7200, "v3/docker/Dockerfile.base")
	emit(9800, "v3/docker/Dockerfile.dev")
	for (f = 1; f <= 12; f++) emit(rsize(1000, 30000), "v3/docker/scripts/step-" f ".sh")
	for (f = 1; f <= 5; f++) emit(rsize(300, 6000), "v3/docker/lib/lib-" f ".sh")
	for (f = 1; f <= 4; f++) emit(rsize(200, 3000), "v3/docker/config/config-" f ".yaml")
	for (f = 1; f <= 3; f++) emit(rsize(300, 5000), "v3/docker/templates/template-" f ".tmpl")
	for (f = 1; f <= 4; f++) emit(rsize(2000, 40000), "v3/embedded/asset-" f ".txt")
	for (f = 1; f <= 5; f++) emit(rsize(2000, 40000), "v3/schemas/schema-" f ".json")
}

function small(  d, f) {
	for (d = 0; d < 100; d++)
		for (f = 0; f < 1000; f++)
			emit(rint(100, 700), sprintf("pkg%02d/file%03d.txt", d, f))
}

function many(n,  i) {
	for (i = 0; i < n; i++)
		emit(rint(100, 700), sprintf("pkg%04d/file%03d.txt", int(i / 1000), i % 1000))
}

BEGIN {
	seed = 20240611
	if (shape == "sindri")
		sindri()
	else if (shape == "small")
		small()
	else if (shape == "many" && files > 0)
		many(files)
	else {
		print "manifest.awk: unknown shape '" shape "' (use sindri, small, or many with files=N)" > "/dev/stderr"
		exit 2
	}
}
