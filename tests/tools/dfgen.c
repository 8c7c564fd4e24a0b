/*
 * dfgen: generate one round of the differential test against the real builder (tests/sh/t0016-reader-diff.sh):
 * a build context whose every file holds its own context path (first line), a .dockerignore of random patterns
 * (multi-byte names, regexp metacharacters, "**" forms, classes, exceptions, odd spacing), and a Dockerfile with
 * one COPY per case, each into a directory of its own (/d/LINE/): wildcards, directories, the whole context, JSON
 * forms, substitutions, escapes. Only what the engine's own frontend (Docker 20.10) reads: no heredocs, no
 * ${VAR#...} (those are in the unit tests).
 *   dfgen SEED ROUND DIR    writes DIR/ctx/... and DIR/Dockerfile
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

static unsigned long long rng;

static unsigned pick(unsigned n)
{
	/* xorshift64*: the same cases for the same seed on every machine */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (unsigned)((rng * 2685821657736338717ULL) >> 33) % n;
}

#define ONE_OF(a) (a)[pick(LEN(a))]

/* File names and directory names never meet, so no COPY puts a file where another puts a directory. */
static const char *const names[] = {
	"a", "b.txt", "ab", "abc", "x", "file1", "filed", "f.log", ".log", "a.log", "keep", "README.md", "notes.md",
	"\xc3\xa9.txt", "caf\xc3\xa9", "a\xe2\x98\xba" "b", "a\xe2\x98\xba\xe2\x98\xba" "b", "aXYZb", "a\xf0\x9f\x98\x80",
	"\xe6\xbc\xa2\xe5\xad\x97", "a+", "aa+b", "aa", "a^x", "^x", "x|", "(p)", "a{2}", "$v", ".hidden", "-dash",
	"sp ace", "[br]", "b]", "q?", "st*r", "afoo", "foo.c", "9", "a.b.c",
};
static const char *const dirs[] = {
	"d", "dir", "sub", "\xc3\xa9", "node_modules", "a+b", "x|y", "foo", "b", "\xe6\xbc\xa2", "build",
};

struct paths {
	char *v[128];
	size_t n;
};

static void put(const char *dir, const char *rel, struct paths *ps)
{
	char *path = xasprintf("%s/ctx/%s", dir, rel), *slash = strrchr(path, '/');
	size_t i;

	for (i = 0; i < ps->n; i++) /* a file cannot also be a directory */
		if (strncmp(ps->v[i], rel, strlen(ps->v[i])) == 0 && rel[strlen(ps->v[i])] == '/')
			goto out;
	for (i = 0; i < ps->n; i++)
		if (strncmp(rel, ps->v[i], strlen(rel)) == 0 && ps->v[i][strlen(rel)] == '/')
			goto out;
	*slash = '\0';
	if (mkdir_p(path) < 0)
		fatal("cannot create '%s':", path);
	*slash = '/';
	if (write_file_atomic(path, rel, strlen(rel)) < 0)
		fatal("cannot write '%s':", path);
	if (ps->n < LEN(ps->v))
		ps->v[ps->n++] = xstrdup(rel);
out:
	free(path);
}

/* some_path: a random existing path, or one of its parent directories. */
static char *some_path(const struct paths *ps)
{
	char *p = xstrdup(ps->v[pick((unsigned)ps->n)]), *s;

	if (pick(3) == 0 && (s = strrchr(p, '/')))
		*s = '\0';
	return p;
}

/* blur: path with some characters (whole UTF-8 ones) made '?' or a segment made '*'. */
static char *blur(const char *path)
{
	struct buf b = BUF_INIT;
	const char *s = path;

	if (pick(2)) {
		while (*s) {
			size_t w = 1;
			while (((unsigned char)s[w] & 0xc0) == 0x80)
				w++;
			if (*s != '/' && pick(3) == 0)
				buf_addc(&b, '?');
			else
				buf_add(&b, s, w);
			s += w;
		}
	} else {
		const char *slash = strrchr(path, '/');
		if (slash)
			buf_addf(&b, "%.*s/*", (int)(slash - path), path);
		else
			buf_adds(&b, pick(2) ? "*" : "*.md");
	}
	return buf_detach(&b);
}

static char *some_blurred(const struct paths *ps)
{
	char *p = some_path(ps), *q = blur(p);

	free(p);
	return q;
}

static char *pattern(const struct paths *ps)
{
	static const char *const fixed[] = {
		"*.log", "**/*.log", "**.log", "**log", "**/foo", "foo/**", "*/b", "**/b", "*.md", "!README.md",
		"*^x", "a+", "a+b", "x|y", "(p)", "a{2}", "\\(p\\)", "file[\\d]", "file\\d", "[[:alpha:]]*", "[!a]*",
		"[^a]*", "[a-c]*", "a???b", "a?b", "a[^x]b", "*\xc3\xa9", "\xc3\xa9/*", "node_modules", "build",
		"**/node_modules", ".*", "*/.*", "\\[br]", "b\\]", "q\\?", "st\\*r", "$v", "\\$v", "a.b.c", "a.b?c",
		"[a-z]", "d/**/x", "**/d/**", "dir/*/f.log", "sp ace", "-dash", "9", "[0-9]",
	};
	char *p, *q;

	switch (pick(4)) {
	case 0:
		return xstrdup(ONE_OF(fixed));
	case 1:
		return some_path(ps);
	case 2:
		return some_blurred(ps);
	default:
		p = some_path(ps);
		q = xasprintf("%s%s", pick(2) ? "**/" : "", strrchr(p, '/') ? strrchr(p, '/') + 1 : p);
		free(p);
		return q;
	}
}

static void write_ignore(const char *dir, const struct paths *ps)
{
	struct buf b = BUF_INIT;
	unsigned i, n = 2 + pick(7);
	char *path;

	buf_adds(&b, "# .dockerignore\n"); /* the file's first line names it, like every other file's */
	for (i = 0; i < n; i++) {
		char *p = pattern(ps);
		const char *pre = pick(4) == 0 ? "!" : "";
		switch (pick(8)) {
		case 0:
			buf_addf(&b, "%s/%s\n", pre, p);
			break;
		case 1:
			buf_addf(&b, "  %s%s\t\n", pre, p);
			break;
		case 2:
			buf_addf(&b, "%s%s\xc2\xa0\n", pre, p); /* a trailing no-break space */
			break;
		case 3:
			buf_addf(&b, "%s./%s\n", pre, p);
			break;
		default:
			buf_addf(&b, "%s%s\n", pre, p);
		}
		free(p);
	}
	path = xasprintf("%s/ctx/.dockerignore", dir);
	if (write_file_atomic(path, b.data, b.len) < 0)
		fatal("cannot write '%s':", path);
	free(path);
	buf_release(&b);
}

/* source: one COPY source of the case on line: (mostly) a wildcard, so what the ignore file leaves out fails no
 * build; the test drops a line whose named source the reader finds missing. */
static char *source(const struct paths *ps)
{
	static const char *const wild[] = {
		"*", "*.log", "*/*.log", "d*", "[a-c]*", "[!a]*", "**", "*/*", "?", "??", "*\xc3\xa9", "a*b",
		"*/*/*", "[[]br]", "st[*]r", "a[+]b", "x[|]y",
	};

	switch (pick(6)) {
	case 0:
		return xstrdup(ONE_OF(wild));
	case 1:
		return xstrdup(".");
	case 2:
		return some_blurred(ps);
	default:
		return some_path(ps);
	}
}

/* escape_copy: s with '$', a backslash and a blank escaped (a COPY line splits at blanks all the same). */
static char *escape_copy(const char *s)
{
	struct buf b = BUF_INIT;

	for (; *s; s++) {
		if (*s == '$' || *s == '\\' || *s == ' ')
			buf_addc(&b, '\\');
		buf_addc(&b, *s);
	}
	return buf_detach(&b);
}

static void write_dockerfile(const char *dir, const struct paths *ps)
{
	struct buf b = BUF_INIT;
	unsigned i, n = 14 + pick(10);
	char *path, *v = some_path(ps);
	const char *l;

	/* a global ARG with a default (a path, in double quotes), redeclared in the stage */
	buf_adds(&b, "ARG V=\"");
	for (l = v; *l; l++)
		buf_addf(&b, "%s%c", strchr("$\\\"", *l) ? "\\" : "", *l);
	buf_adds(&b, "\"\nFROM busybox:local AS gen\nARG V\nARG EMPTY=\n");
	for (i = 0; i < n; i++) {
		char *s = source(ps), *e = escape_copy(s);
		char *s2 = source(ps), *e2 = escape_copy(s2);
		int line = 1;

		/* the destination is named after the line */
		for (l = b.data; *l; l++)
			line += *l == '\n';
		switch (pick(10)) {
		case 0:
			if (!strchr(s, '"') && !strchr(s, '\\'))
				buf_addf(&b, "COPY [\"%s\", \"/d/%d/\"]\n", s, line);
			else
				buf_addf(&b, "COPY %s /d/%d/\n", e, line);
			break;
		case 1:
			buf_addf(&b, "COPY [\"\", \"/d/%d/\"]\n", line);
			break;
		case 2:
			buf_addf(&b, "COPY ${V} /d/%d/\n", line);
			break;
		case 3:
			buf_addf(&b, "COPY ${NOPE:-%s} ${EMPTY:+nothing} /d/%d/\n", e, line);
			break;
		case 4:
			buf_addf(&b, "COPY $@%s $9%s /d/%d/\n", e, e2, line);
			break;
		case 5:
			/* a lone escape ends the word: two sources */
			buf_addf(&b, "COPY %s\\ %s /d/%d/\n", e, e2, line);
			break;
		case 6:
			buf_addf(&b, "COPY \"$V\" %s /d/%d/\n", e2, line);
			break;
		default:
			buf_addf(&b, "COPY %s %s /d/%d/\n", e, e2, line);
		}
		free(s), free(e), free(s2), free(e2);
	}
	buf_adds(&b, "FROM scratch\nCOPY --from=gen /d /d\n");
	path = xasprintf("%s/Dockerfile", dir);
	if (write_file_atomic(path, b.data, b.len) < 0)
		fatal("cannot write '%s':", path);
	free(path);
	free(v);
	buf_release(&b);
}

int main(int argc, char **argv)
{
	struct paths ps = {{0}, 0};
	unsigned i, n;

	if (argc != 4) {
		fprintf(stderr, "usage: dfgen SEED ROUND DIR\n");
		return 2;
	}
	rng = strtoull(argv[1], NULL, 10) * 1000003ULL + strtoull(argv[2], NULL, 10) + 1;
	for (i = 0; i < 8; i++)
		pick(2);
	n = 20 + pick(25);
	for (i = 0; i < n; i++) {
		char *rel;
		switch (pick(4)) {
		case 0:
			rel = xstrdup(ONE_OF(names));
			break;
		case 1:
			rel = xasprintf("%s/%s", ONE_OF(dirs), ONE_OF(names));
			break;
		case 2:
			rel = xasprintf("%s/%s/%s", ONE_OF(dirs), ONE_OF(dirs), ONE_OF(names));
			break;
		default:
			rel = xasprintf("%s/%s/%s/%s", ONE_OF(dirs), ONE_OF(dirs), ONE_OF(dirs), ONE_OF(names));
		}
		put(argv[3], rel, &ps);
		free(rel);
	}
	write_ignore(argv[3], &ps);
	write_dockerfile(argv[3], &ps);
	for (i = 0; i < ps.n; i++)
		free(ps.v[i]);
	return 0;
}
