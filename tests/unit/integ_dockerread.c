/*
 * integ_dockerread: regression tests for reading Dockerfiles and .dockerignore files exactly as Docker does: each
 * case names the Docker behaviour it pins (checked against the engine here, Docker 20.10 with BuildKit, or taken
 * from BuildKit's and patternmatcher's sources where the engine's own frontend lacks the feature).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dockerctx.h"
#include "dockerfile.h"
#include "dockerignore.h"
#include "dockerword.h"
#include "fileset.h"
#include "t.h"
#include "util.h"

/* parse_exact: parse text from a heap copy of exactly its length, so ASan sees any read past it. */
static struct dockerfile *parse_exact(const char *text, struct buf *err)
{
	size_t n = strlen(text);
	char *copy = xmalloc(n ? n : 1);
	struct dockerfile *df;

	memcpy(copy, text, n);
	buf_reset(err);
	df = dockerfile_parse("Dockerfile", copy, n, NULL, 0, NULL, err);
	free(copy);
	return df;
}

/* reads: the context reads of text joined by ' ', or "error: ..." */
static char *reads(const char *text)
{
	struct buf err = BUF_INIT, out = BUF_INIT;
	struct dockerfile *df = parse_exact(text, &err);
	size_t i;

	if (!df)
		buf_addf(&out, "error: %s", err.data ? err.data : "");
	for (i = 0; df && i < df->nreads; i++)
		buf_addf(&out, "%s%s", i ? " " : "", df->reads[i].src);
	buf_add(&out, "", 0);
	dockerfile_free(df);
	buf_release(&err);
	return buf_detach(&out);
}

static void check_reads(const char *text, const char *want)
{
	char *got = reads(text);

	CHECK_STR(got, want);
	free(got);
}

/* check_refused: text fails to parse with a message holding what. */
static void check_refused(const char *text, const char *what)
{
	char *got = reads(text);

	CHECK(strncmp(got, "error: ", 7) == 0 && strstr(got, what));
	if (strncmp(got, "error: ", 7) != 0 || !strstr(got, what))
		fprintf(stderr, "  wanted an error with '%s', got '%s'\n", what, got);
	free(got);
}

static void test_overreads(void)
{
	struct wordlist wl = {0};
	const char *why;

	/* An empty JSON string is a source: BuildKit joins it to the context root, so it copies the whole context. */
	check_reads("FROM a\nCOPY [\"\", \"/x/\"]\n", ".");
	check_reads("FROM a\nCOPY [\"\", \"b\", \"/x/\"]\n", ". b");
	CHECK_INT(dockerword_json("[\"\", \"\"]", &wl, &why), 1);
	CHECK(wl.n == 2 && wl.v[0] && strcmp(wl.v[0], "") == 0 && strcmp(wl.v[1], "") == 0);
	wordlist_release(&wl);
	/* RUN --mount fields are read as one CSV record: an empty field is no key=value pair, and BuildKit refuses
	 * it; an empty list is no record at all. */
	check_refused("FROM a\nRUN --mount=,type=bind true\n", "RUN --mount");
	check_refused("FROM a\nRUN --mount= true\n", "RUN --mount");
	check_refused("FROM a\nRUN --mount=type=bind, true\n", "RUN --mount");
	check_reads("FROM a\nRUN --mount=type=bind,\"source=a,b\",target=/x true\n", "a,b");
}

/* excl: whether the ignore file text excludes path, read as Docker 20.10 (legacy) or 23 and later read it. */
static int excl(const char *text, const char *path, int legacy)
{
	struct dockerignore ign;
	struct buf err = BUF_INIT;
	int r;

	dockerignore_init(&ign);
	dockerignore_set_api(&ign, legacy ? "1.41" : "1.47");
	if (dockerignore_parse(&ign, ".dockerignore", text, strlen(text), &err) < 0)
		r = -1;
	else
		r = dockerignore_excludes(&ign, path);
	dockerignore_release(&ign);
	buf_release(&err);
	return r;
}

/* both: the same answer for either Docker version. */
static void both(const char *text, const char *path, int want)
{
	CHECK_INT(excl(text, path, 1), want);
	CHECK_INT(excl(text, path, 0), want);
}

static void ignore_error(const char *text, const char *what)
{
	struct dockerignore ign;
	struct buf err = BUF_INIT;

	dockerignore_init(&ign);
	CHECK_INT(dockerignore_parse(&ign, "ctx/.dockerignore", text, strlen(text), &err), -1);
	CHECK(err.data && strstr(err.data, what));
	if (!err.data || !strstr(err.data, what))
		fprintf(stderr, "  pattern '%s': wanted '%s', got '%s'\n", text, what, err.data ? err.data : "");
	dockerignore_release(&ign);
	buf_release(&err);
}

static void test_ignore_characters(void)
{
	/* '?' is one character, not one byte (Docker 20.10 keeps a\u263ab with a???b and leaves it out with a?b). */
	both("a???b\n", "a\xe2\x98\xba" "b", 0);
	both("a???b\n", "aXYZb", 1);
	both("a?b\n", "a\xe2\x98\xba" "b", 1);
	both("a[^x]b\n", "a\xe2\x98\xba" "b", 1);
	both("a[^x][^x]b\n", "a\xc3\xa9" "b", 0);
	both("*\xc3\xa9\n", "caf\xc3\xa9", 1);
}

static void test_ignore_regexp(void)
{
	/* '^' is passed on to the regexp as the text's start, so "*^x" matches "x" alone. */
	both("*^x\n", "a^x", 0);
	both("*^x\n", "^x", 0);
	both("*^x\n", "x", 1);
	/* a class is a regexp class: "[\d]" is a digit, "\d" too, "[[:alpha:]]" a letter */
	both("file[\\d]\n", "file1", 1);
	both("file[\\d]\n", "filed", 0);
	both("file\\d\n", "file7", 1);
	both("[[:alpha:]]x\n", "ax", 1);
	both("[[:alpha:]]x\n", "1x", 0);
	both("[!a]x\n", "!x", 1);
	both("[!a]x\n", "bx", 0);
	/* Go's strings.TrimSpace also takes a no-break space (U+00A0) off the end */
	both("foo\xc2\xa0\n", "foo", 1);
	both("\xe2\x80\x83" "bar\n", "bar", 1);
	/* "**" then text: a regexp "(.*\/)?text" in Docker 20.10, a suffix match from Docker 23 on */
	CHECK_INT(excl("**.log\n", "a.log", 1), 0);
	CHECK_INT(excl("**.log\n", "d/.log", 1), 1);
	CHECK_INT(excl("**.log\n", "a.log", 0), 1);
	CHECK_INT(excl("**.log\n", "d/b.log", 0), 1);
	CHECK_INT(excl("**file\n", "afile", 1), 0);
	CHECK_INT(excl("**file\n", "d/file", 1), 1);
	CHECK_INT(excl("**file\n", "d/xfile", 0), 1);
	/* before Docker 23 "+()|{}" are regexp operators too; from 23 on they are themselves */
	CHECK_INT(excl("a+\n", "aa", 1), 1);
	CHECK_INT(excl("a+\n", "a+", 1), 0);
	CHECK_INT(excl("a+\n", "a+", 0), 1);
	CHECK_INT(excl("a+\n", "aa", 0), 0);
	CHECK_INT(excl("a|b\n", "abc", 1), 1);
	CHECK_INT(excl("a|b\n", "xb", 1), 1);
	CHECK_INT(excl("a|b\n", "zz", 1), 0);
	CHECK_INT(excl("a|b\n", "a|b", 0), 1);
	CHECK_INT(excl("a{2}\n", "aa", 1), 1);
	CHECK_INT(excl("a{2}\n", "a{2}", 0), 1);
	CHECK_INT(excl("(x\n", "(x", 0), 1);
	CHECK_INT(excl("(x\n", "x", 1), -1);
	/* what Go's filepath.Match calls a syntax error fails the build: say so, with the file and line */
	ignore_error("ok\n[-]\n", "ctx/.dockerignore:2: syntax error in pattern '[-]'");
	ignore_error("[x-]\n", "syntax error in pattern '[x-]'");
	ignore_error("x\\\n", "syntax error in pattern 'x\\'");
	ignore_error("[a-b-c]\n", "syntax error in pattern '[a-b-c]'");
	ignore_error("[]\n", "syntax error in pattern");
	ignore_error("[z-a]\n", "syntax error in pattern '[z-a]'");
	ignore_error("a\\y\n", "syntax error in pattern 'a\\y'");
}

static void test_ignore_walk(void)
{
	/* Docker 20.10 skips a directory a pattern excludes unless an exception starts with its path... */
	CHECK_INT(excl("**/foo\n!**/keep\n", "a/b/foo/keep", 1), 1);
	/* ...and in one it walks into, it tries a pattern on the parent with as many parts as the pattern has:
	 * "**\/foo" (two parts) looks at "a/b", so a/b/foo/z reaches the builder */
	CHECK_INT(excl("**/foo\n!a/b/foo/keep\n", "a/b/foo/z", 1), 0);
	CHECK_INT(excl("**/foo\n!a/b/foo/keep\n", "a/b/foo/keep", 1), 0);
	CHECK_INT(excl("**/foo\n!a/b/foo/keep\n", "foo/z", 1), 1);
	CHECK_INT(excl("a\n!a/b/**\n", "a/b/e/f", 1), 0);
	CHECK_INT(excl("a\n!a/b/**\n", "a/d", 1), 1);
	/* Docker 23 and later try every parent, and walk into every directory when an exception has a wildcard */
	CHECK_INT(excl("**/foo\n!a/b/foo/keep\n", "a/b/foo/z", 0), 1);
	CHECK_INT(excl("**/foo\n!**/keep\n", "a/b/foo/keep", 0), 0);
	/* the last pattern that matches decides */
	both("*.md\n!README*.md\nREADME-secret.md\n", "README-secret.md", 1);
	both("*.md\n!README*.md\nREADME-secret.md\n", "README.md", 0);
}

/* A wordenv over "NAME=value" strings. */
static const char *env_get(void *ctx, const char *name, size_t n)
{
	const char *const *v;

	for (v = ctx; *v; v++)
		if (strncmp(*v, name, n) == 0 && (*v)[n] == '=')
			return *v + n + 1;
	return NULL;
}

static void check_word(const char *in, const char *want)
{
	static const char *const vars[] = {"P=dir/sub/file.tar.gz", "E=", "S=aXbXc", "N=a\nb", NULL};
	struct wordenv env = {env_get, (void *)vars};
	struct buf out = BUF_INIT, why = BUF_INIT;
	int r = dockerword_expand(in, '\\', &env, &out, &why);

	if (!want) {
		CHECK_INT(r, -1);
	} else {
		CHECK_INT(r, 0);
		CHECK_STR(r == 0 ? out.data : why.data, want);
	}
	buf_release(&out);
	buf_release(&why);
}

static void test_substitutions(void)
{
	/* BuildKit's shell patterns: '*' shortest with # and %, longest with ## and %%; no bracket expressions */
	check_word("${P#*/}", "sub/file.tar.gz");
	check_word("${P##*/}", "file.tar.gz");
	check_word("${P%.*}", "dir/sub/file.tar");
	check_word("${P%%.*}", "dir/sub/file");
	check_word("${P%%/*}", "dir");
	check_word("${P#dir}", "/sub/file.tar.gz");
	check_word("${P#nomatch}", "dir/sub/file.tar.gz");
	check_word("${P#?i}", "r/sub/file.tar.gz");
	check_word("${P/sub/lib}", "dir/lib/file.tar.gz");
	check_word("${P//./_}", "dir/sub/file_tar_gz");
	check_word("${P/[./]/_}", "dir/sub/file.tar.gz");
	check_word("${S//X}", NULL); /* BuildKit wants the second '/' */
	check_word("${S/X*/-}", "a-");
	check_word("${S//*/y}", "y");
	check_word("${UNSET#x}", "");
	check_word("${P%\\.gz}", NULL); /* BuildKit takes an escape only before a star, '?', a backslash, '}' or '/' */
	check_word("${P/\\//:}", "dir:sub/file.tar.gz");
	check_word("${P:#x}", NULL);
	check_word("${P/x\\y/z}", NULL);
	/* '*' does not reach across a newline (Go's '.') */
	check_word("${N%%*}", "a\n");
	/* special parameters are one character, positional ones all their digits; none is set in a build */
	check_word("${@}", "");
	check_word("${#:-x}", "x");
	check_word("${$}", "");
	check_word("$@", "");
	check_word("$@aaa", "aaa");
	check_word("$999aaa", "aaa");
	check_word("${10}", "");
	check_word("x$", "x$");
	/* a lone escape at the end of a word is dropped */
	check_word("a\\", "a");
	/* a name running into a non-ASCII character: Go counts letters of any script as name characters */
	check_word("$P\xc3\xa9", NULL);
	check_word("$9\xe6\xbc\xa2", "\xe6\xbc\xa2"); /* not a digit: the name is "9" */
	check_word("$9\xd9\xa3", NULL);                   /* an Arabic-Indic digit: Go reads "9\u0663" */
	check_word("${P}\xc3\xa9", "dir/sub/file.tar.gz\xc3\xa9");

	check_reads("ARG P=dir/sub/file.tar.gz\nFROM a\nARG P\nCOPY ${P%%/*} ${P##*/} /y/\n", "dir file.tar.gz");
	check_reads("FROM a\nCOPY a\\ b /y/\n", "a b");
	check_reads("FROM a\nCOPY $1x ${9}y /y/\n", "x y");
}

static void test_heredocs(void)
{
	/* blanks between "<<" and the name */
	check_reads("FROM a\nRUN << EOF\nCOPY nope /\nEOF\nCOPY real /\n", "real");
	check_reads("FROM a\nRUN <<- EOF\nCOPY nope /\n\tEOF\nCOPY real /\n", "real");
	/* "<< -EOF" is the name "-EOF", not "<<-" */
	check_reads("FROM a\nRUN << -EOF\nEOF\nCOPY nope /\n-EOF\nCOPY real /\n", "real");
	/* an escaped quote is part of the name */
	check_reads("FROM a\nRUN <<E\\\"OF\nCOPY nope /\nE\"OF\nCOPY real /\n", "real");
	check_reads("FROM a\nRUN <<\"EOF\"\nCOPY nope /\nEOF\nCOPY real /\n", "real");
	check_reads("FROM a\nCOPY <<EOF /x\nnot a file\nEOF\nCOPY real /\n", "real");
	/* BuildKit needs "<<" at the word's start */
	check_refused("FROM a\nRUN cat<<EOF\nhello\nEOF\n", "unknown instruction 'HELLO'");
	/* a name with an unbalanced quote opens no here-document in BuildKit: its body is read as instructions */
	check_refused("FROM a\nRUN <<'EOF\nx\nEOF\n", "unknown instruction 'X'");
	check_refused("FROM a\nRUN <<\"EOF\nx\nEOF\n", "unknown instruction 'X'");
}

static void test_refusals(void)
{
	struct buf err = BUF_INIT, big = BUF_INIT;
	struct dockerfile *df;
	size_t i;

	check_refused("FROM a\nHEALTHCHECK\n", "HEALTHCHECK requires at least one argument");
	check_reads("FROM a\nHEALTHCHECK NONE\nHEALTHCHECK --interval=5s CMD [\"true\"]\n", "");
	check_refused("FROM a\nHEALTHCHECK CMD [\"true\", 1]\n", "arrays must be comprised of strings only");
	check_refused("FROM a\nRUN [\"echo\", 1]\n", "arrays must be comprised of strings only");
	check_refused("FROM a\nCMD [\"echo\", null]\n", "arrays must be comprised of strings only");
	check_refused("FROM a\nONBUILD RUN [\"echo\", {\"a\": [1]}]\n", "arrays must be comprised of strings only");
	check_reads("FROM a\nRUN [\"echo\", 1\nCOPY x /\n", "x"); /* not JSON: the shell form */
	check_refused("FROM a\nCOPY [\"a\\u0000b\", \"/x/\"]\n", "\\u0000");
	/* a line of 64 KiB or more */
	buf_adds(&big, "FROM a\nRUN echo ");
	for (i = 0; i < 65536; i++)
		buf_addc(&big, 'x');
	buf_adds(&big, "\n");
	check_refused(big.data, "Dockerfile:2: line longer than 65535 bytes");
	big.len = 7 + 65535;
	big.data[big.len] = '\0';
	buf_adds(&big, "\nCOPY y /\n");
	check_reads(big.data, "y");
	/* BuildKit finds "# syntax=" after a "#!" line (to pick the frontend); its parser reads the line as a comment */
	df = parse_exact("#!/usr/bin/env docker-build\n# syntax=docker/dockerfile:1.4\n# escape=`\nFROM a\n", &err);
	CHECK(df && df->syntax && strcmp(df->syntax, "docker/dockerfile:1.4") == 0 && df->escape == '\\');
	dockerfile_free(df);
	buf_release(&big);
	buf_release(&err);
}

/* ctx_entries: the context entries text reads in dir (with ignore as its .dockerignore, read as the engine of API
 * version api reads it, sent by the legacy builder's tar when tar_walk), joined by ' ', or "error": the files, and
 * with dirs the directories too (as "d/"). */
static char *ctx_entries(const char *dir, const char *text, const char *ignore, const char *api, int tar_walk,
                         int dirs)
{
	struct buf err = BUF_INIT, out = BUF_INIT;
	struct dockerfile *df = parse_exact(text, &err);
	struct dockerignore ign;
	struct ctxlist l;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	size_t i, n = 0;

	dockerignore_init(&ign);
	dockerignore_set_api(&ign, api);
	ign.tar_walk = tar_walk;
	ctxlist_init(&l);
	dockerignore_parse(&ign, ".dockerignore", ignore, strlen(ignore), &err);
	if (!df || fd < 0 || dockerctx_entries(df, fd, &ign, NULL, NULL, &l, &err) < 0)
		buf_adds(&out, "error");
	/* symlinks are entries of their own, not what these cases are about */
	for (i = 0; i < l.n; i++)
		if (S_ISREG(l.v[i].st.mode) || (dirs && S_ISDIR(l.v[i].st.mode)))
			buf_addf(&out, "%s%s%s", n++ ? " " : "", l.v[i].path, S_ISDIR(l.v[i].st.mode) ? "/" : "");
	buf_add(&out, "", 0);
	if (fd >= 0)
		close(fd);
	ctxlist_release(&l);
	dockerignore_release(&ign);
	dockerfile_free(df);
	buf_release(&err);
	return buf_detach(&out);
}

/* ctx_reads: the context files text reads in dir (with ignore as its .dockerignore), joined by ' ', or "error". */
static char *ctx_reads(const char *dir, const char *text, const char *ignore, int legacy)
{
	return ctx_entries(dir, text, ignore, legacy ? "1.41" : NULL, 0, 0);
}

static void check_ctx(const char *dir, const char *text, const char *ignore, int legacy, const char *want)
{
	char *got = ctx_reads(dir, text, ignore, legacy);

	CHECK_STR(got, want);
	free(got);
}

static void test_context(void)
{
	const char *t = getenv("TMPDIR");
	char *dir = xasprintf("%s/sb-dockerread-XXXXXX", t && *t ? t : "/tmp"), *p;
	static const char *const files[] = {"a/b/f", "\xc3\xa9", "ab", "x|y/z", "xq"};
	size_t i;

	if (!mkdtemp(dir))
		fatal("cannot create '%s':", dir);
	for (i = 0; i < LEN(files); i++) {
		p = xasprintf("%s/%s", dir, files[i]);
		*strrchr(p, '/') = '\0';
		mkdir_p(p);
		free(p);
		p = xasprintf("%s/%s", dir, files[i]);
		write_file_atomic(p, "x", 1);
		free(p);
	}
	/* COPY ["", ...] copies the whole context */
	check_ctx(dir, "FROM a\nCOPY [\"\", \"/x/\"]\n", "", 0, "a/b/f ab xq x|y/z \xc3\xa9");
	/* COPY wildcards are Go's filepath.Match: '?' is one character */
	check_ctx(dir, "FROM a\nCOPY ?? /x/\n", "", 0, "ab xq");
	check_ctx(dir, "FROM a\nCOPY ? /x/\n", "", 0, "a/b/f \xc3\xa9");
	/* a malformed wildcard is a syntax error for BuildKit, as for Go's filepath.Match */
	check_ctx(dir, "FROM a\nCOPY a/[b?? /x/\n", "", 0, "error");
	check_ctx(dir, "FROM a\nCOPY [x-] /x/\n", "", 0, "error");
	check_ctx(dir, "FROM a\nCOPY [[]b /x/\n", "", 0, "");
	/* a wildcard may match nothing, but the directory before it must reach the builder */
	check_ctx(dir, "FROM a\nCOPY a/nomatch* /x/\n", "", 0, "");
	check_ctx(dir, "FROM a\nCOPY nodir/* /x/\n", "", 0, "error");
	check_ctx(dir, "FROM a\nCOPY a/b/f/* /x/\n", "", 0, "error");
	check_ctx(dir, "FROM a\nCOPY x|y/* /x/\n", "x*\n", 0, "error");
	/* before Docker 23 the pattern x|y is "x" at the start or "y" at the end */
	check_ctx(dir, "FROM a\nCOPY . /x/\n", "x|y\n", 1, "a/b/f ab \xc3\xa9");
	check_ctx(dir, "FROM a\nCOPY . /x/\n", "x|y\n", 0, "a/b/f ab xq \xc3\xa9");
	/* an excluded directory with an exception naming a path below: Docker 20.10's BuildKit walks into it and
	 * sends it (empty: k is not there, f is excluded), and each directory on the way to a deeper exception, but
	 * never a file;
	 * a wildcard exception, Docker 23's BuildKit and the legacy builder's tar send none of them */
	static const struct {
		const char *ignore, *api;
		int tar_walk;
		const char *want;
	} sent[] = {
		{"a/b\n!a/b/k\n", "1.41", 0, "a/ a/b/ ab xq x|y/ x|y/z \xc3\xa9"},
		{"a\n!a/b/c/k\n", "1.41", 0, "a/ a/b/ ab xq x|y/ x|y/z \xc3\xa9"},
		{"!a/b/k\na/b\n", "1.41", 0, "a/ a/b/ ab xq x|y/ x|y/z \xc3\xa9"}, /* an exception first: the same */
		{"!a/b/k\na\n", "1.41", 0, "a/ a/b/ ab xq x|y/ x|y/z \xc3\xa9"},
		{"a/b\n!a/b/f/k\n", "1.41", 0, "a/ a/b/ ab xq x|y/ x|y/z \xc3\xa9"}, /* f is a file: not sent */
		{"a/b\n!a/*/k\n", "1.41", 0, "a/ ab xq x|y/ x|y/z \xc3\xa9"},
		{"a/b\n!a/b/k\n", "1.47", 0, "a/ ab xq x|y/ x|y/z \xc3\xa9"},
		{"a/b\n!a/b/k\n", "1.41", 1, "a/ ab xq x|y/ x|y/z \xc3\xa9"},
		{"a/b\n", "1.41", 0, "a/ ab xq x|y/ x|y/z \xc3\xa9"},
	};
	for (i = 0; i < LEN(sent); i++) {
		char *got = ctx_entries(dir, "FROM a\nCOPY . /x/\n", sent[i].ignore, sent[i].api, sent[i].tar_walk, 1);
		CHECK_STR(got, sent[i].want);
		free(got);
	}
	/* and a source naming such a directory copies it empty, where it would be missing without the exception */
	p = ctx_entries(dir, "FROM a\nCOPY a/b /x/\n", "a/b\n!a/b/k\n", "1.41", 0, 1);
	CHECK_STR(p, "a/b/");
	free(p);
	check_ctx(dir, "FROM a\nCOPY a/b /x/\n", "a/b\n", 1, "error");
	p = xasprintf("rm -rf '%s'", dir);
	if (system(p) != 0)
		fprintf(stderr, "cannot remove '%s'\n", dir);
	free(p);
	free(dir);
}

int main(void)
{
	test_overreads();
	test_ignore_characters();
	test_ignore_regexp();
	test_ignore_walk();
	test_substitutions();
	test_heredocs();
	test_refusals();
	test_context();
	return t_done("integ_dockerread");
}
