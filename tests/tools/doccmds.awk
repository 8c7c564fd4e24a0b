# doccmds.awk: the shell commands a Markdown file shows, one per output line, for the doc test (t0118).
# Usage: awk -f doccmds.awk FILE.md...
# Output: FILE:LINE <tab> FENCE <tab> MARK <tab> COMMAND, where LINE is the command's first line, FENCE the line of
# its block's opening fence and MARK the text of the `<!-- doc-test: ... -->` comment on the last non-blank line
# before that fence ("none" when there is none). The convention (docs/cli.md, "Commands in the docs"):
# - in a block fenced ```sh, ```bash or ```shell every line is a command; a `#` that starts a line or follows a
#   blank starts a comment; a line ending in `\` goes on in the next; blank and comment-only lines are skipped;
# - in a ```console block only the lines that start with `$ ` are commands (the rest is their output);
# - in any other block a line that starts with `$ ` is reported with MARK "untagged", which the test refuses.
FNR == 1 { fence = 0; prev = "" }
/^```/ {
	if (fence) {
		fence = 0
	} else {
		fence = 1
		lang = substr($0, 4)
		sub(/[ \t].*$/, "", lang)
		mark = "none"
		if (prev ~ /^<!-- doc-test: .* -->[ \t]*$/) {
			mark = prev
			sub(/^<!-- doc-test: */, "", mark)
			sub(/ *-->[ \t]*$/, "", mark)
		}
		cont = ""
		fenceat = FNR
	}
	prev = $0
	next
}
!fence {
	if ($0 !~ /^[ \t]*$/) prev = $0
	next
}
lang == "sh" || lang == "bash" || lang == "shell" {
	line = $0
	sub(/(^|[ \t])#.*$/, "", line)
	if (cont != "") {
		line = cont " " line
		at = contat
	} else {
		at = FNR
	}
	if (line ~ /\\[ \t]*$/) {
		sub(/\\[ \t]*$/, "", line)
		cont = line
		contat = at
		next
	}
	cont = ""
	sub(/^[ \t]+/, "", line)
	sub(/[ \t]+$/, "", line)
	if (line != "") printf "%s:%d\t%d\t%s\t%s\n", FILENAME, at, fenceat, mark, line
	next
}
/^\$ / {
	printf "%s:%d\t%d\t%s\t%s\n", FILENAME, FNR, fenceat, lang == "console" ? mark : "untagged", substr($0, 3)
}
