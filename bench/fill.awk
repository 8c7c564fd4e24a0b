# fill.awk: write the files of a manifest ("size path" lines from manifest.awk) below root, each exactly size bytes.
#   awk -v root=DIR -f bench/fill.awk MANIFEST        (the directories must exist)
# Content is text lines drawn from a fixed pool by a fixed-seed generator, with the path on the first line so no two
# files are alike. Same manifest, same bytes, in any awk.

function rnd() {
	seed = (seed * 16807) % 2147483647
	return seed / 2147483647
}

BEGIN {
	seed = 7
	nw = split("fn let mut pub struct impl self match Some None Ok Err return use crate super async await " \
	    "config image registry docker build context layer digest manifest extension profile secret provider " \
	    "deploy volume mount path string vec option result error into from clone iter map collect unwrap " \
	    "name version install script template yaml json toml env value key label cache hash file dir", w, " ")
	# A pool of lines; files pick from it, so writing 40 MB costs little more than the printing.
	for (i = 0; i < 1024; i++) {
		line = substr("                ", 1, 4 * int(rnd() * 4))
		n = 2 + int(rnd() * 12)
		for (j = 0; j < n; j++)
			line = line w[1 + int(rnd() * nw)] (rnd() < 0.2 ? "(" : " ")
		pool[i] = line int(rnd() * 100000) ";\n"
	}
}

{
	size = $1
	path = root "/" $2
	text = "# " $2 "\n"
	if (length(text) > size)
		text = substr(text, 1, size)
	left = size - length(text)
	printf "%s", text > path
	while (left > 0) {
		text = pool[int(rnd() * 1024)]
		if (length(text) > left)
			text = substr(text, 1, left - 1) "\n"
		printf "%s", text > path
		left -= length(text)
	}
	close(path)
}
