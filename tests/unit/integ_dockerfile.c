/*
 * integ_dockerfile: unit tests of dockerignore, dockerword, dockerfile and dockerctx, then every golden case under
 * tests/golden/dockerfile/<case>/ (argv[1] names another directory). A case holds a Dockerfile (or a file "source"
 * naming one relative to the repository root), and optionally "args" (NAME=VALUE lines), "target", "context" (one
 * path per line: a file, or a directory when it ends in '/'), ".dockerignore" (the context root's) and "expected":
 * dockerfile_dump's text, then one "input 'path'" line per context file read, or "error: ..." lines.
 * SB_GOLDEN_UPDATE=1 rewrites the expected files instead of comparing.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
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

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void rm_rf(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char *make_tmpdir(void)
{
	const char *t = getenv("TMPDIR");
	char *dir = xasprintf("%s/sb-dockerfile-XXXXXX", t && *t ? t : "/tmp");

	if (!mkdtemp(dir))
		fatal("cannot create a temporary directory '%s':", dir);
	return dir;
}

/* put: create root/rel with content (parents too); a rel ending in '/' is a directory. */
static void put(const char *root, const char *rel, const char *content)
{
	char *path = xasprintf("%s/%s", root, rel), *slash = strrchr(path, '/');
	size_t n = strlen(path);

	if (path[n - 1] == '/') {
		if (mkdir_p(path) < 0)
			fatal("cannot create '%s':", path);
	} else {
		*slash = '\0';
		if (mkdir_p(path) < 0)
			fatal("cannot create '%s':", path);
		*slash = '/';
		if (write_file_atomic(path, content, strlen(content)) < 0)
			fatal("cannot write '%s':", path);
	}
	free(path);
}

static struct dockerfile *parse(const char *text, const struct dfarg *args, size_t nargs, const char *target,
                                struct buf *err)
{
	buf_reset(err);
	return dockerfile_parse("Dockerfile", text, strlen(text), args, nargs, target, err);
}

static void test_clean(void)
{
	static const char *const cases[][2] = {
		{"a//b/./c/", "a/b/c"}, {"/../a", "/a"}, {"../a/../..", "../.."}, {"", "."}, {"./", "."},
		{"a/../../b", "../b"}, {"/", "/"}, {"./x/./y/..", "x"}, {"a/b/../../..", ".."},
	};
	size_t i;

	for (i = 0; i < LEN(cases); i++) {
		char *c = dockerignore_clean(cases[i][0]);
		CHECK_STR(c, cases[i][1]);
		free(c);
	}
}

static void test_match(void)
{
	CHECK_INT(dockerignore_match("*.md", "README.md", 0), 1);
	CHECK_INT(dockerignore_match("*.md", "docs/x.md", 0), 0);
	CHECK_INT(dockerignore_match("**/*.md", "docs/x.md", 0), 1);
	CHECK_INT(dockerignore_match("**/*.md", "a/b/c/x.md", 0), 1);
	CHECK_INT(dockerignore_match("**/*.md", "README.md", 0), 1);
	CHECK_INT(dockerignore_match("a/**", "a/b/c", 0), 1);
	CHECK_INT(dockerignore_match("a/**", "a", 0), 0);
	CHECK_INT(dockerignore_match("**", "any/depth/at/all", 0), 1);
	CHECK_INT(dockerignore_match("a?c", "abc", 0), 1);
	CHECK_INT(dockerignore_match("a?c", "a/c", 0), 0);
	CHECK_INT(dockerignore_match("*/temp*", "somedir/temporary.txt", 0), 1);
	CHECK_INT(dockerignore_match("*/temp*", "a/b/temporary.txt", 0), 0);
	CHECK_INT(dockerignore_match("[a-c]x", "bx", 0), 1);
	CHECK_INT(dockerignore_match("[a-c]x", "dx", 0), 0);
	CHECK_INT(dockerignore_match("[^a-c]x", "dx", 0), 1);
	/* Docker reads "[!...]" as a class holding '!', not as a negation. */
	CHECK_INT(dockerignore_match("[!a]x", "!x", 0), 1);
	CHECK_INT(dockerignore_match("[!a]x", "bx", 0), 0);
	CHECK_INT(dockerignore_match("a\\*", "a*", 0), 1);
	CHECK_INT(dockerignore_match("a\\*", "ab", 0), 0);
	/* "**" inside a segment stands for whole directories or nothing, as in Docker. */
	CHECK_INT(dockerignore_match("a**b", "ab", 0), 1);
	CHECK_INT(dockerignore_match("a**b", "ax/b", 0), 1);
	CHECK_INT(dockerignore_match("a**b", "axb", 0), 0);
	CHECK_INT(dockerignore_match("[", "x", 0), -1);
	/* a trailing backslash is a syntax error for Go's filepath.Match, which Docker asks first */
	CHECK_INT(dockerignore_match("x\\", "x\\", 0), -1);
	CHECK_INT(dockerignore_match("[z-a]", "b", 0), -1);
}

static struct dockerignore *ign_from(struct dockerignore *ign, const char *text, struct buf *err)
{
	dockerignore_init(ign);
	buf_reset(err);
	CHECK_INT(dockerignore_parse(ign, ".dockerignore", text, strlen(text), err), 0);
	return ign;
}

static void test_ignore(void)
{
	struct dockerignore ign;
	struct buf err = BUF_INIT;

	ign_from(&ign,
	         "# comment\n*.md\n!README.md\n**/*.log\nbuild\n!build/keep.txt\n/secret*\n  spaced.txt  \n\n"
	         " # not a comment\n./foo/../bar/\n",
	         &err);
	CHECK_INT(dockerignore_excludes(&ign, "NOTES.md"), 1);
	CHECK_INT(dockerignore_excludes(&ign, "README.md"), 0);
	CHECK_INT(dockerignore_excludes(&ign, "docs/x.md"), 0); /* no '/' and no "**": the root only */
	CHECK_INT(dockerignore_excludes(&ign, "x.log"), 1);
	CHECK_INT(dockerignore_excludes(&ign, "a/b/c.log"), 1);
	CHECK_INT(dockerignore_excludes(&ign, "build"), 1);
	CHECK_INT(dockerignore_excludes(&ign, "build/out/a.o"), 1); /* through its parent directory */
	CHECK_INT(dockerignore_excludes(&ign, "build/keep.txt"), 0);
	CHECK_INT(dockerignore_excludes(&ign, "secret.env"), 1);
	CHECK_INT(dockerignore_excludes(&ign, "sub/secret.env"), 0);
	CHECK_INT(dockerignore_excludes(&ign, "spaced.txt"), 1);
	CHECK_INT(dockerignore_excludes(&ign, "# not a comment"), 1);
	CHECK_INT(dockerignore_excludes(&ign, "bar/x"), 1);
	CHECK_INT(dockerignore_excludes(&ign, "foo/x"), 0);
	CHECK_INT(dockerignore_excludes(&ign, "src/main.c"), 0);
	CHECK_STR(ign.v[ign.n - 1].pat, "bar");
	dockerignore_release(&ign);

	/* The last matching line decides, the Docker documentation's two examples. */
	ign_from(&ign, "*.md\n!README*.md\nREADME-secret.md\n", &err);
	CHECK_INT(dockerignore_excludes(&ign, "README-secret.md"), 1);
	CHECK_INT(dockerignore_excludes(&ign, "README.md"), 0);
	CHECK_INT(dockerignore_excludes(&ign, "other.md"), 1);
	dockerignore_release(&ign);
	ign_from(&ign, "*.md\nREADME-secret.md\n!README*.md\n", &err);
	CHECK_INT(dockerignore_excludes(&ign, "README-secret.md"), 0);
	dockerignore_release(&ign);

	/* An exception can reach into an excluded directory; everything else there stays out. */
	ign_from(&ign, "docs\n!docs/keep.md\n", &err);
	CHECK_INT(dockerignore_excludes(&ign, "docs/keep.md"), 0);
	CHECK_INT(dockerignore_excludes(&ign, "docs/a/b.txt"), 1);
	dockerignore_release(&ign);
	ign_from(&ign, "*\n!src\n", &err);
	CHECK_INT(dockerignore_excludes(&ign, "src/a/b.c"), 0);
	CHECK_INT(dockerignore_excludes(&ign, "Makefile"), 1);
	dockerignore_release(&ign);

	/* A pattern is skipped for paths that lack its literal start (up to the first '*', '?', '[' or '\\'); what
	 * still matches or not, at that boundary: */
	ign_from(&ign, "stamp-*\ntree/v3\n\\*lit\n[st]x\nab?/c\n!tree/v3/keep\n", &err);
	CHECK_INT(ign.v[0].lit, 6);
	CHECK_INT(ign.v[2].lit, 0);
	CHECK_INT(ign.v[3].lit, 0);
	CHECK_INT(dockerignore_excludes(&ign, "stamp-1"), 1);
	CHECK_INT(dockerignore_excludes(&ign, "stamp-"), 1);
	CHECK_INT(dockerignore_excludes(&ign, "stamp"), 0); /* shorter than the literal start */
	CHECK_INT(dockerignore_excludes(&ign, "tree/stamp-1"), 0);
	CHECK_INT(dockerignore_excludes(&ign, "tree/v3"), 1);
	CHECK_INT(dockerignore_excludes(&ign, "tree/v3/a/b"), 1); /* through a parent, which starts alike */
	CHECK_INT(dockerignore_excludes(&ign, "tree/v3/keep"), 0);
	CHECK_INT(dockerignore_excludes(&ign, "tree/v30/a"), 0);
	CHECK_INT(dockerignore_excludes(&ign, "tree/v"), 0);
	CHECK_INT(dockerignore_excludes(&ign, "*lit"), 1);
	CHECK_INT(dockerignore_excludes(&ign, "xlit"), 0);
	CHECK_INT(dockerignore_excludes(&ign, "sx/y"), 1);
	CHECK_INT(dockerignore_excludes(&ign, "abc/c"), 1);
	CHECK_INT(dockerignore_excludes(&ign, "abc/d"), 0);
	dockerignore_release(&ign);

	/* A byte-order mark and CRLF line ends. */
	ign_from(&ign, "\xef\xbb\xbf*.tmp\r\nkeep\r\n", &err);
	CHECK_INT(dockerignore_excludes(&ign, "a.tmp"), 1);
	CHECK_INT(dockerignore_excludes(&ign, "keep"), 1);
	dockerignore_release(&ign);

	/* Which patterns a walk may prune: only those no later exception can undo, in fileset's syntax. */
	ign_from(&ign, "*.md\n!README.md\ntarget\n**/node_modules\na**b\n[!x]y\n/\n../up\n", &err);
	CHECK_INT(dockerignore_prunable(&ign, 0), 0);
	CHECK_INT(dockerignore_prunable(&ign, 1), 0);
	CHECK_INT(dockerignore_prunable(&ign, 2), 1);
	CHECK_INT(dockerignore_prunable(&ign, 3), 1);
	CHECK_INT(dockerignore_prunable(&ign, 4), 0);
	CHECK_INT(dockerignore_prunable(&ign, 5), 0);
	CHECK_INT(dockerignore_prunable(&ign, 6), 0);
	CHECK_INT(dockerignore_prunable(&ign, 7), 0);
	dockerignore_release(&ign);

	dockerignore_init(&ign);
	buf_reset(&err);
	CHECK_INT(dockerignore_parse(&ign, "x/.dockerignore", "ok\n!\n", 5, &err), -1);
	CHECK(err.data && strstr(err.data, "x/.dockerignore:2: illegal exception pattern '!'"));
	buf_reset(&err);
	CHECK_INT(dockerignore_parse(&ign, ".dockerignore", "[abc\n", 5, &err), -1);
	CHECK(err.data && strstr(err.data, ".dockerignore:1: syntax error in pattern '[abc'"));
	dockerignore_release(&ign);
	buf_release(&err);
}

/* The memo of directory verdicts (dockerignore_excludes_memo) answers as dockerignore_excludes does, whatever the
 * order of the paths: sorted as a walk gives them, reversed, shuffled, for Docker 20.10's reading and 23's. */
static void test_ignore_memo(void)
{
	static const char *const sets[] = {
	    "docs\n!docs/keep.md\n*.log\nbuild/**/out\n",
	    "*\n!src\n!src/**\nsrc/gen\n",
	    "a/b\n!a/b/c/keep\n**/tmp\nx/*/z\n",
	    "stamp-*\n",
	    "a/b\nbuild\n", /* directories whose names start siblings' names: a/b2 and build2 are not below them */
	    "^\n*\n!a\n", /* "^" matches the empty directory above a path that starts with '/' (the fuzzer's) */
	};
	static const char *const paths[] = {
	    "a", "a/b", "a/b/c", "a/b/c/keep", "a/b/c/d", "a/b2", "a/b2/f", "a/b2/tmp", "a/b2/tmp/f", "a/x", "build",
	    "build/a/out", "build/a/out/f", "build/a/in", "build2/y", "docs", "docs/a", "docs/a/b.txt", "docs/keep.md", "f.log",
	    "src", "src/gen", "src/gen/x.c", "src/main.c", "src/sub/tmp/y", "stamp-1", "tree", "tree/stamp-2",
	    "x", "x/y", "x/y/z", "x/y/z/w", "x/yy/q", "z.md", "/b/foo/z", "/c", "ab",
	};
	size_t n = sizeof(paths) / sizeof(paths[0]), order[64];
	struct buf err = BUF_INIT;
	unsigned seed = 7;

	for (size_t set = 0; set < sizeof(sets) / sizeof(sets[0]); set++) {
		for (int legacy = 0; legacy < 2; legacy++) {
			struct dockerignore ign;
			dockerignore_init(&ign);
			dockerignore_set_api(&ign, legacy ? "1.41" : "1.43");
			CHECK_INT(dockerignore_parse(&ign, ".dockerignore", sets[set], strlen(sets[set]), &err), 0);
			for (int way = 0; way < 4; way++) {
				struct dimemo m = DIMEMO_INIT;
				for (size_t i = 0; i < n; i++)
					order[i] = way == 1 ? n - 1 - i : i;
				for (size_t i = n; way >= 2 && i > 1; i--) { /* shuffled */
					size_t j = (seed = seed * 1103515245u + 12345u) % i, t = order[i - 1];
					order[i - 1] = order[j];
					order[j] = t;
				}
				for (size_t i = 0; i < n; i++) {
					const char *p = paths[order[i]];
					int want = dockerignore_excludes(&ign, p), got = dockerignore_excludes_memo(&ign, p, &m);
					if (got != want)
						printf("  set %zu legacy %d way %d: '%s' memo %d, plain %d\n", set, legacy, way, p, got,
						       want);
					CHECK_INT(got, want);
				}
				dimemo_release(&m);
			}
			dockerignore_release(&ign);
		}
	}
	buf_release(&err);
}

static void test_find(void)
{
	char *root = make_tmpdir();
	char *ctx = xasprintf("%s/ctx", root), *df = xasprintf("%s/ctx/sub/app.Dockerfile", root), *got;
	struct dockerignore ign;
	struct buf err = BUF_INIT;

	put(root, "ctx/sub/app.Dockerfile", "FROM scratch\n");
	CHECK(dockerignore_find(df, ctx) == NULL);
	put(root, "ctx/.dockerignore", "from-context\n");
	got = dockerignore_find(df, ctx);
	CHECK(got && str_has_suffix(got, "/ctx/.dockerignore"));
	free(got);
	/* The Dockerfile's own ignore file, next to it, wins over the context's. */
	put(root, "ctx/sub/app.Dockerfile.dockerignore", "from-dockerfile\n");
	got = dockerignore_find(df, ctx);
	CHECK(got && str_has_suffix(got, "/ctx/sub/app.Dockerfile.dockerignore"));
	free(got);
	dockerignore_init(&ign);
	CHECK_INT(dockerignore_load(&ign, df, ctx, &err), 0);
	CHECK_INT(ign.n, 1);
	CHECK(ign.n == 1 && strcmp(ign.v[0].pat, "from-dockerfile") == 0);
	dockerignore_release(&ign);
	got = dockerignore_find(NULL, ctx); /* a Dockerfile from stdin */
	CHECK(got && str_has_suffix(got, "/ctx/.dockerignore"));
	free(got);
	buf_release(&err);
	rm_rf(root);
	free(root);
	free(ctx);
	free(df);
}

/* A wordenv over "NAME=value" strings; names asked for are recorded, so the tests see what substitution used. */
struct testenv {
	const char *const *vars;
	struct buf asked;
};

static const char *testenv_get(void *ctx, const char *name, size_t n)
{
	struct testenv *te = ctx;
	const char *const *v;

	buf_addf(&te->asked, "%.*s ", (int)n, name);
	for (v = te->vars; *v; v++)
		if (strncmp(*v, name, n) == 0 && (*v)[n] == '=')
			return *v + n + 1;
	return NULL;
}

static void check_expand(struct testenv *te, char esc, const char *in, const char *want)
{
	struct wordenv env = {testenv_get, te};
	struct buf out = BUF_INIT, why = BUF_INIT;
	int r = dockerword_expand(in, esc, &env, &out, &why);

	if (!want) {
		CHECK_INT(r, -1);
	} else {
		CHECK_INT(r, 0);
		CHECK_STR(out.data, want);
	}
	buf_release(&out);
	buf_release(&why);
}

static void test_word(void)
{
	static const char *const vars[] = {"FOO=foo", "EMPTY=", "SP=a b", NULL};
	struct testenv te = {vars, BUF_INIT};
	struct wordlist wl = {0}, names = {0}, vals = {0};
	struct wordenv env = {testenv_get, &te};
	struct buf out = BUF_INIT, why = BUF_INIT;
	const char *rest, *reason;
	int strip = -1;
	char *h;

	check_expand(&te, '\\', "$FOO", "foo");
	check_expand(&te, '\\', "${FOO}bar", "foobar");
	check_expand(&te, '\\', "$FOO.bar", "foo.bar");
	check_expand(&te, '\\', "${UNSET:-def}", "def");
	check_expand(&te, '\\', "${EMPTY:-def}", "def");
	check_expand(&te, '\\', "${EMPTY-def}", "");
	check_expand(&te, '\\', "${UNSET-def}", "def");
	check_expand(&te, '\\', "${FOO:+alt}", "alt");
	check_expand(&te, '\\', "${EMPTY:+alt}", "");
	check_expand(&te, '\\', "${EMPTY+alt}", "alt");
	check_expand(&te, '\\', "${UNSET+alt}", "");
	check_expand(&te, '\\', "${UNSET:-${FOO}x}", "foox");
	check_expand(&te, '\\', "${UNSET:-'a}b'}", "a}b");
	check_expand(&te, '\\', "'$FOO'", "$FOO");
	check_expand(&te, '\\', "\"$FOO and $SP\"", "foo and a b");
	check_expand(&te, '\\', "\"a\\\"b\\n\"", "a\"b\\n");
	check_expand(&te, '\\', "\\$FOO", "$FOO");
	check_expand(&te, '\\', "a\\ b", "a b");
	check_expand(&te, '\\', "$", "$");
	check_expand(&te, '\\', "a$-b", "ab"); /* $- is a special parameter, never set in a build */
	check_expand(&te, '\\', "$1x", "x");
	check_expand(&te, '\\', "${FOO:?x}", "foo");
	check_expand(&te, '\\', "${UNSET:?need it}", NULL);
	check_expand(&te, '\\', "${EMPTY?x}", "");
	check_expand(&te, '\\', "${FOO", NULL);
	check_expand(&te, '\\', "${FOO/o/0}", "f0o");
	check_expand(&te, '\\', "${}", NULL);
	check_expand(&te, '\\', "'abc", NULL);
	check_expand(&te, '\\', "\"abc", NULL);
	/* With the backtick escape a backslash is an ordinary character (Windows paths). */
	check_expand(&te, '`', "c:\\dir\\$FOO", "c:\\dir\\foo");
	check_expand(&te, '`', "`$FOO", "$FOO");

	/* Only the values the result uses are looked up: the default of a set variable is never expanded. */
	buf_reset(&te.asked);
	CHECK_INT(dockerword_expand("${FOO:-$OTHER}${UNSET:+$ALT}", '\\', &env, &out, &why), 0);
	CHECK_STR(te.asked.data, "FOO UNSET ");
	buf_reset(&why);
	CHECK_INT(dockerword_expand("${UNSET:?}", '\\', &env, &out, &why), -1);
	CHECK(why.data && strstr(why.data, "variable 'UNSET' is not set"));

	dockerword_split("a  'b c' \"d e\" f\\ g", '\\', 1, &wl);
	CHECK_INT(wl.n, 4);
	CHECK(wl.n == 4 && strcmp(wl.v[1], "'b c'") == 0 && strcmp(wl.v[3], "f\\ g") == 0);
	wordlist_release(&wl);
	dockerword_split("a  'b c'\t", '\\', 0, &wl);
	CHECK_INT(wl.n, 3);
	wordlist_release(&wl);

	rest = dockerword_flags("--from=build --link --chown=\"1 1\" src dst", '\\', &names, &vals);
	CHECK_STR(rest, "src dst");
	CHECK_INT(names.n, 3);
	CHECK(names.n == 3 && strcmp(names.v[1], "link") == 0 && vals.v[1] == NULL);
	CHECK(vals.n == 3 && strcmp(vals.v[2], "\"1 1\"") == 0);
	wordlist_release(&names);
	wordlist_release(&vals);
	rest = dockerword_flags("-- --x y", '\\', &names, &vals);
	CHECK_STR(rest, "--x y");
	CHECK_INT(names.n, 0);

	CHECK_INT(dockerword_json("[\"a b\", \"c\\\"d\" ,\"\\u00e9\\ud83d\\ude00\"]", &wl, &reason), 1);
	CHECK_INT(wl.n, 3);
	CHECK(wl.n == 3 && strcmp(wl.v[1], "c\"d") == 0 && strcmp(wl.v[2], "\xc3\xa9\xf0\x9f\x98\x80") == 0);
	wordlist_release(&wl);
	CHECK_INT(dockerword_json("[]", &wl, &reason), 1);
	CHECK_INT(wl.n, 0);
	CHECK_INT(dockerword_json("[\"a\", \"b\"", &wl, &reason), 0);
	CHECK_STR(reason, "unterminated");
	CHECK_INT(dockerword_json("[\"a\" \"b\"]", &wl, &reason), 0);
	CHECK_STR(reason, "invalid");
	CHECK_INT(dockerword_json("[\"a\",]", &wl, &reason), 0);
	/* BuildKit (up to dockerfile 1.8, and the 20.10 engine's own frontend) reads the first JSON value only */
	CHECK_INT(dockerword_json("[\"a\"] x", &wl, &reason), 1);
	CHECK_INT(wl.n, 1);
	wordlist_release(&wl);

	h = dockerword_heredoc("<<EOF", &strip);
	CHECK_STR(h, "EOF");
	CHECK_INT(strip, 0);
	free(h);
	h = dockerword_heredoc("<<-'END'", &strip);
	CHECK_STR(h, "END");
	CHECK_INT(strip, 1);
	free(h);
	h = dockerword_heredoc("3<<robots.txt", &strip);
	CHECK_STR(h, "robots.txt");
	free(h);
	CHECK(dockerword_heredoc("<<<x", &strip) == NULL);
	CHECK(dockerword_heredoc("<<", &strip) == NULL);
	CHECK(dockerword_heredoc("a<<EOF", &strip) == NULL);
	h = dockerword_heredoc("<<E\"O\"F", &strip);
	CHECK_STR(h, "EOF");
	free(h);
	CHECK(dockerword_heredoc("<<''", &strip) == NULL);
	CHECK(dockerword_heredoc("<<a<b", &strip) == NULL);

	buf_release(&te.asked);
	buf_release(&out);
	buf_release(&why);
}

static const char *read_src(const struct dockerfile *df, size_t i)
{
	return i < df->nreads ? df->reads[i].src : "(none)";
}

static void test_parse(void)
{
	struct buf err = BUF_INIT;
	struct dockerfile *df;
	struct dfarg cli[] = {{"X", "cli"}, {"Y", "given"}, {"B", "override"}};

	/* An ENV after an ARG of the same name wins over it, even over a build arg... */
	df = parse("FROM a\nARG X=fromarg\nENV X=fromenv\nARG Y\nCOPY $X ${Y:-none} /\n", cli, 2, NULL, &err);
	CHECK(df != NULL);
	if (df) {
		CHECK_STR(read_src(df, 0), "fromenv");
		CHECK_STR(read_src(df, 1), "given");
		CHECK_INT(df->nargs, 2);
		dockerfile_free(df);
	}
	/* ...and an ARG with a value after an ENV wins over that, as BuildKit adds it to the build's environment;
	 * an ARG without one changes nothing. Names on one ARG line are set in turn. */
	df = parse("FROM a\nENV X=e Z=e\nARG X=a Z\nARG P=1 Q=$P\nCOPY $X $Z $Q /\n", NULL, 0, NULL, &err);
	CHECK(df && df->nreads == 3 && strcmp(read_src(df, 0), "a") == 0 && strcmp(read_src(df, 1), "e") == 0 &&
	      strcmp(read_src(df, 2), "1") == 0);
	dockerfile_free(df);
	df = parse("FROM a\nENV X=e\nARG X\nCOPY $X /\n", cli, 1, NULL, &err);
	CHECK(df && strcmp(read_src(df, 0), "cli") == 0);
	dockerfile_free(df);
	/* A stage built on another starts from its variables, ARG values included. */
	df = parse("FROM a AS p\nARG V=pv\nENV W=pw\nFROM p\nCOPY $V $W /\n", NULL, 0, NULL, &err);
	CHECK(df && df->nreads == 2 && strcmp(read_src(df, 0), "pv") == 0 && strcmp(read_src(df, 1), "pw") == 0);
	dockerfile_free(df);
	df = parse("FROM a\nARG Y\nCOPY ${Y:-none} /\n", NULL, 0, NULL, &err);
	CHECK(df && strcmp(read_src(df, 0), "none") == 0);
	dockerfile_free(df);

	/* A global ARG's default made from another: both count, unless a build arg replaces it. */
	df = parse("ARG A=1\nARG B=x$A\nARG C=unused\nFROM img:$B\n", NULL, 0, NULL, &err);
	CHECK(df && df->nargs == 2 && strcmp(df->args[0], "A") == 0 && strcmp(df->args[1], "B") == 0);
	CHECK(df && strcmp(df->stages[0].base, "img:x1") == 0);
	dockerfile_free(df);
	df = parse("ARG A=1\nARG B=x$A\nFROM img:$B\n", cli + 2, 1, NULL, &err);
	CHECK(df && df->nargs == 1 && strcmp(df->args[0], "B") == 0);
	CHECK(df && strcmp(df->stages[0].base, "img:override") == 0);
	dockerfile_free(df);

	/* CRLF line ends, a continuation, a UTF-8 byte-order mark. */
	df = parse("\xef\xbb\xbf# syntax=x\r\nFROM alpine\r\nCOPY a \\\r\n  b /x/\r\n", NULL, 0, NULL, &err);
	CHECK(df && df->nreads == 2 && df->reads[1].line == 3 && strcmp(read_src(df, 1), "b") == 0);
	CHECK(df && df->syntax && strcmp(df->syntax, "x") == 0);
	dockerfile_free(df);

	{
		/* The text need not end in a NUL: an exact-size copy lets ASan catch a read past its end. */
		static const char src[] = "FROM a\nCOPY x /\n   ";
		char *exact = xmalloc(sizeof(src) - 1);
		memcpy(exact, src, sizeof(src) - 1);
		df = dockerfile_parse("Dockerfile", exact, sizeof(src) - 1, NULL, 0, NULL, &err);
		CHECK(df && df->nreads == 1);
		dockerfile_free(df);
		free(exact);
	}
	/* A doubled escape at the end of a line is no continuation. */
	df = parse("FROM a\nCOPY a /x\\\\\nCOPY c /y/\n", NULL, 0, NULL, &err);
	CHECK(df && df->nreads == 2 && strcmp(read_src(df, 0), "a") == 0 && df->reads[1].line == 3 &&
	      strcmp(read_src(df, 1), "c") == 0);
	dockerfile_free(df);
	/* COPY --exclude whose sources are all heredocs: no file read, and no double free (found by fuzz_dockerfile) */
	df = parse("FROM a\nCOPY --exclude=x <<A <<B\none\nA\ntwo\nB\n", NULL, 0, NULL, &err);
	CHECK(df && df->nreads == 0);
	dockerfile_free(df);
	df = dockerfile_parse("Dockerfile", "FROM a\n\0x", 9, NULL, 0, NULL, &err);
	CHECK(df == NULL && err.data && strstr(err.data, "NUL byte"));
	df = parse("", NULL, 0, NULL, &err);
	CHECK(df == NULL && err.data && strcmp(err.data, "Dockerfile: no FROM instruction: a Dockerfile needs at least "
	                                                 "one stage") == 0);
	df = parse("FROM a AS build\nFROM b\n", NULL, 0, "biuld", &err);
	CHECK(df == NULL && err.data && strstr(err.data, "target stage 'biuld' not found (did you mean 'build'?)"));
	df = parse("# escape=`\n# ESCAPE = \\\nFROM a\n", NULL, 0, NULL, &err);
	CHECK(df == NULL && err.data && strstr(err.data, "Dockerfile:2: only one 'escape' parser directive"));
	df = parse("# escape=x\nFROM a\n", NULL, 0, NULL, &err);
	CHECK(df == NULL && err.data && strstr(err.data, "Dockerfile:1: invalid escape 'x'"));
	df = parse("FROM a\nCOPY --form=b x /\n", NULL, 0, NULL, &err);
	CHECK(df == NULL && err.data && strstr(err.data, "Dockerfile:2: unknown flag '--form' for COPY"));
	df = parse("FROM a\nRUN --mount=type=bind,soruce=x true\n", NULL, 0, NULL, &err);
	CHECK(df == NULL && err.data && strstr(err.data, "unknown RUN --mount option 'soruce'"));
	df = parse("FROM a AS x\nFROM b AS X\n", NULL, 0, NULL, &err);
	CHECK(df == NULL && err.data && strstr(err.data, "Dockerfile:2: duplicate stage name 'x' (first on line 1)"));
	df = parse("FROM a\nCOPY --from=1 x /\n", NULL, 0, NULL, &err);
	CHECK(df == NULL && err.data && strstr(err.data, "Dockerfile:2: COPY --from=1: there is no stage 1"));

	/* COPY --from may name a stage further down, as BuildKit builds the stage graph first; cycles are refused. */
	df = parse("FROM a AS x\nCOPY --from=later /o /\nFROM b AS later\nCOPY y /\nFROM c AS other\nCOPY z /\n",
	           NULL, 0, "x", &err);
	CHECK(df && df->stages[1].needed && !df->stages[2].needed && df->nreads == 1 &&
	      strcmp(read_src(df, 0), "y") == 0);
	CHECK(df && df->nimages == 2 && strcmp(df->images[1].ref, "b") == 0);
	dockerfile_free(df);
	df = parse("FROM a AS x\nCOPY --from=y / /\nFROM b AS y\nCOPY --from=x / /\n", NULL, 0, NULL, &err);
	CHECK(df == NULL && err.data && strstr(err.data, "Dockerfile:1: circular dependency: stage 0 'x'"));
	df = parse("FROM a AS x\nRUN --mount=from=x,target=/x true\n", NULL, 0, NULL, &err);
	CHECK(df == NULL && err.data && strstr(err.data, "circular dependency"));
	df = parse("ARG S=b\nFROM a\nCOPY --from=$S / /\n", NULL, 0, NULL, &err);
	CHECK(df == NULL && err.data && strstr(err.data, "Dockerfile:3: COPY --from='$S': variables are not supported"));
	df = parse("FROM a\nRUN --mount=from=${S},target=/s true\n", NULL, 0, NULL, &err);
	CHECK(df == NULL && err.data && strstr(err.data, "RUN --mount from='${S}': variables are not supported"));
	/* Mount fields are CSV: quotes keep a comma; from= takes a name or an image, never an index. */
	df = parse("FROM a\nRUN --mount=type=bind,\"source=a,b\",target=/x --mount=from=0,target=/z true\n", NULL, 0,
	           NULL, &err);
	CHECK(df && df->nreads == 1 && strcmp(read_src(df, 0), "a,b") == 0);
	CHECK(df && df->nimages == 2 && strcmp(df->images[1].ref, "0") == 0);
	dockerfile_free(df);
	/* ONBUILD's step reads nothing in this build, but its here-document lines must still be skipped. */
	df = parse("FROM a\nONBUILD RUN <<EOF\nCOPY not-an-instruction /x\nEOF\nONBUILD COPY . /app\nCOPY real /\n", NULL,
	           0, NULL, &err);
	CHECK(df && df->nreads == 1 && strcmp(read_src(df, 0), "real") == 0 && df->reads[0].line == 6);
	dockerfile_free(df);
	df = parse("FROM a\nRUN --mount=type=secret,id=x,from=b true\n", NULL, 0, NULL, &err);
	CHECK(df == NULL && err.data && strstr(err.data, "RUN --mount type 'secret' takes no from="));
	/* Secret mounts of the needed stages, by the id BuildKit gives them: source=, else id=, else target's last
	 * part; expanded; with the RUN's first line. */
	df = parse("FROM a AS unused\nRUN --mount=type=secret,id=U true\nFROM a\nARG N=TOK\n# c\nRUN \\\n"
	           " --mount=type=secret,id=${N} x\nRUN --mount=type=secret,target=/etc/T2,required=true \\\n"
	           "    --mount=type=secret,source=T3 --mount=type=cache,id=C,target=/c true\n", NULL, 0, NULL, &err);
	CHECK(df && df->nsecrets == 3);
	CHECK(df && df->nsecrets == 3 && df->secrets[0].line == 6 && df->secrets[0].stage == 1 &&
	      strcmp(df->secrets[0].id, "TOK") == 0);
	CHECK(df && df->nsecrets == 3 && df->secrets[1].line == 8 && strcmp(df->secrets[1].id, "T2") == 0);
	CHECK(df && df->nsecrets == 3 && df->secrets[2].line == 8 && strcmp(df->secrets[2].id, "T3") == 0);
	dockerfile_free(df);
	df = parse("FROM a\nRUN --mount=type=secret true\n", NULL, 0, NULL, &err);
	CHECK(df == NULL && err.data && strstr(err.data, "Dockerfile:2: RUN --mount=type=secret needs an id= or a target="));
	buf_reset(&err);
	df = parse("FROM a\nRUN --mount=type=secret,id=A,source=B true\n", NULL, 0, NULL, &err);
	CHECK(df == NULL && err.data && strstr(err.data, "both source and id can't be set"));
	buf_release(&err);
}

/* entry_text: an entry as the tests show it: "path" for a file, "path/" for a directory, "path@" for a symlink,
 * then "~" when its mode is not keyed (a symlink's never is). */
static void entry_text(struct buf *out, const struct ctxent *e)
{
	buf_adds(out, e->path);
	if (S_ISDIR(e->st.mode))
		buf_addc(out, '/');
	if (S_ISLNK(e->st.mode))
		buf_addc(out, '@');
	else if (!e->keymode)
		buf_addc(out, '~');
}

/* ctx_inputs: parse text, run dockerctx_entries over dir with ignore (may be NULL), return the entries joined by ' '
 * (entry_text) or "error: ..." */
static char *ctx_inputs(const char *dir, const char *text, const char *ignore)
{
	struct buf err = BUF_INIT, out = BUF_INIT;
	struct dockerignore ign;
	struct dockerfile *df = parse(text, NULL, 0, NULL, &err);
	struct ctxlist l;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	size_t i;

	dockerignore_init(&ign);
	ctxlist_init(&l);
	if (ignore)
		dockerignore_parse(&ign, ".dockerignore", ignore, strlen(ignore), &err);
	if (!df || fd < 0) {
		buf_addf(&out, "error: %s", err.data ? err.data : "cannot open the context");
	} else if (dockerctx_entries(df, fd, ignore ? &ign : NULL, NULL, NULL, &l, &err) < 0) {
		buf_addf(&out, "error: %s", err.data);
		CHECK_INT(l.n, 0);
	} else {
		for (i = 0; i < l.n; i++) {
			if (i)
				buf_addc(&out, ' ');
			entry_text(&out, &l.v[i]);
		}
	}
	if (fd >= 0)
		close(fd);
	ctxlist_release(&l);
	dockerignore_release(&ign);
	dockerfile_free(df);
	buf_release(&err);
	return buf_detach(&out);
}

static void check_ctx(const char *dir, const char *text, const char *ignore, const char *want)
{
	char *got = ctx_inputs(dir, text, ignore);

	CHECK_STR(got, want);
	free(got);
}

static void test_ctx(void)
{
	static const char *const files[] = {
		"src/main.c", "src/util.c", "src/util.h", "src/test/t.c", "src/.hidden", "docs/a.md", "docs/b.txt",
		"README.md", "build/out.o", "build/keep.txt", "node_modules/x/index.js", "data1/x", "data2/y", "datax",
		"empty/",
	};
	const char *ign = "**/.hidden\nbuild\n!build/keep.txt\nnode_modules\n";
	char *dir = make_tmpdir();
	size_t i;

	for (i = 0; i < LEN(files); i++)
		put(dir, files[i], files[i]);
	check_ctx(dir,
	          "FROM alpine\nCOPY src /app/src\nCOPY README.md docs/*.md /app/\nCOPY data? /data/\n"
	          "RUN --mount=type=bind,source=build,target=/b true\n",
	          ign,
	          "README.md build/ build/keep.txt data1/~ data1/x data2/~ data2/y datax docs/a.md src/~ src/main.c src/test/ "
	          "src/test/t.c src/util.c src/util.h");
	/* --exclude patterns are relative to the source directory (or each wildcard match) and take directories whole;
	 * the source or match itself is always copied. A directory source's own mode is not copied (its contents
	 * are), nor is that of a bind mount's source, which the RUN sees. */
	check_ctx(dir, "FROM alpine\nCOPY --exclude=x --exclude=*.md --exclude=b.* data? do* /x\n", NULL,
	          "data1/~ data2/~ data2/y datax docs/~");
	check_ctx(dir, "FROM alpine\nCOPY --exclude=*.h --exclude=test src /x\n", ign, "src/~ src/main.c src/util.c");
	check_ctx(dir, "FROM alpine\nCOPY --exclude=*.md docs /x\n", NULL, "docs/~ docs/b.txt");
	check_ctx(dir, "FROM alpine\nCOPY --exclude=*.c src/main.c /x\n", NULL, "src/main.c");
	/* COPY wildcards are Go's filepath.Match: "**" is one '*', and "[!d]" is a class holding '!' and 'd'. */
	check_ctx(dir, "FROM alpine\nCOPY src/**/*.c /x/\n", NULL, "src/test/t.c");
	check_ctx(dir, "FROM alpine\nCOPY [!d]ata1 /x/\n", NULL, "data1/~ data1/x");
	/* The whole context, minus the ignore file's patterns; an exception inside a pruned-looking directory, which
	 * keeps the directories on its way; every directory is an entry, an empty one too. */
	check_ctx(dir, "FROM alpine\nCOPY . /app\n", "build\nnode_modules\n!node_modules/x/index.js\n*.md\n",
	          "data1/ data1/x data2/ data2/y datax docs/ docs/a.md docs/b.txt empty/ node_modules/ node_modules/x/ "
	          "node_modules/x/index.js src/ src/.hidden src/main.c src/test/ src/test/t.c src/util.c src/util.h");
	check_ctx(dir, "FROM alpine\nRUN --mount=type=bind,target=/src make\nCOPY --from=alpine / /\n", "*\n!datax\n",
	          "datax");
	/* A directory that exists but brings no files copies as an empty directory: no error, its one entry. */
	check_ctx(dir, "FROM alpine\nCOPY empty /x\n", NULL, "empty/~");
	check_ctx(dir, "FROM alpine\nCOPY missing /x\n", NULL,
	          "error: Dockerfile:2: COPY source 'missing' not found in the build context");
	check_ctx(dir, "FROM alpine\nCOPY src/main.c node_modules /x\n", ign,
	          "error: Dockerfile:2: COPY source 'node_modules' not found in the build context (the .dockerignore "
	          "file excludes it)");
	/* BuildKit lets a wildcard match nothing (checked against a real engine); a named source must exist. */
	check_ctx(dir, "FROM alpine\nADD *.rs /x/\nCOPY datax /\n", NULL, "datax");
	check_ctx(dir, "FROM alpine\nRUN --mount=type=bind,source=nope,target=/n true\n", NULL,
	          "error: Dockerfile:2: RUN --mount source 'nope' not found in the build context");
	/* Reads of stages the target does not need are not inputs. */
	check_ctx(dir, "FROM alpine AS unused\nCOPY missing /\nFROM alpine\nCOPY datax /\n", NULL, "datax");
	rm_rf(dir);
	free(dir);
}

/* The golden cases. */

static char *case_file(const char *cdir, const char *name, int *found)
{
	char *path = xasprintf("%s/%s", cdir, name);
	struct buf b = BUF_INIT;

	*found = read_file(path, &b) == 0;
	free(path);
	return buf_detach(&b);
}

/* make_context: create the "context" description's tree in a temporary directory, with the case's .dockerignore. */
static char *make_context(const char *desc, const char *ignore)
{
	char *dir = make_tmpdir(), *copy = xstrdup(desc), *line, *save = NULL;

	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!*line || *line == '#')
			continue;
		put(dir, line, line);
	}
	if (ignore)
		put(dir, ".dockerignore", ignore);
	free(copy);
	return dir;
}

static void run_case(const char *root, const char *cdir, struct buf *out)
{
	struct dfarg args[64];
	size_t nargs = 0;
	int has_df, has_src, has_args, has_target, has_ctx, has_ign;
	char *text = case_file(cdir, "Dockerfile", &has_df), *src = case_file(cdir, "source", &has_src);
	char *argtext = case_file(cdir, "args", &has_args), *target = case_file(cdir, "target", &has_target);
	char *ctxdesc = case_file(cdir, "context", &has_ctx), *ignore = case_file(cdir, ".dockerignore", &has_ign);
	char *name = xstrdup("Dockerfile"), *line, *save = NULL;
	struct buf err = BUF_INIT, dftext = BUF_INIT;
	struct dockerfile *df;

	if (has_src) {
		char *path;
		src[strcspn(src, "\n")] = '\0';
		path = xasprintf("%s/%s", root, src);
		if (read_file(path, &dftext) < 0)
			fatal("cannot read '%s':", path);
		free(path);
		free(name);
		name = xstrdup(src);
	} else {
		buf_adds(&dftext, text);
	}
	for (line = strtok_r(argtext, "\n", &save); line && nargs < LEN(args); line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = '\0';
		args[nargs].name = line;
		args[nargs++].value = eq + 1;
	}
	target[strcspn(target, "\n")] = '\0';
	df = dockerfile_parse(name, dftext.data ? dftext.data : "", dftext.len, args, nargs,
	                      has_target ? target : NULL, &err);
	if (!df) {
		buf_addf(out, "error: %s\n", err.data);
	} else {
		dockerfile_dump(df, out);
		if (has_ctx) {
			char *dir = make_context(ctxdesc, has_ign ? ignore : NULL);
			char *dfpath = xasprintf("%s/Dockerfile", dir);
			struct dockerignore ign;
			struct ctxlist l;
			int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			size_t i;

			dockerignore_init(&ign);
			ctxlist_init(&l);
			buf_reset(&err);
			if (fd < 0 || dockerignore_load(&ign, dfpath, dir, &err) < 0 ||
			    dockerctx_entries(df, fd, &ign, NULL, NULL, &l, &err) < 0) {
				buf_addf(out, "error: %s\n", err.data ? err.data : "cannot open the context");
			} else {
				for (i = 0; i < l.n; i++) {
					buf_adds(out, "input '");
					entry_text(out, &l.v[i]);
					buf_adds(out, "'\n");
				}
			}
			if (fd >= 0)
				close(fd);
			ctxlist_release(&l);
			dockerignore_release(&ign);
			rm_rf(dir);
			free(dir);
			free(dfpath);
		}
	}
	dockerfile_free(df);
	buf_release(&err);
	buf_release(&dftext);
	free(text);
	free(src);
	free(argtext);
	free(target);
	free(ctxdesc);
	free(ignore);
	free(name);
}

/* show_diff: print the expected/actual difference line by line (a longest-common-subsequence diff). */
static void show_diff(const char *name, const char *want, const char *got)
{
	struct wordlist a = {0}, b = {0};
	const char *s;
	size_t i, j, *lcs;

	for (s = want; *s; s += strcspn(s, "\n") + (s[strcspn(s, "\n")] != '\0'))
		wordlist_addn(&a, s, strcspn(s, "\n"));
	for (s = got; *s; s += strcspn(s, "\n") + (s[strcspn(s, "\n")] != '\0'))
		wordlist_addn(&b, s, strcspn(s, "\n"));
	lcs = xcalloc((a.n + 1) * (b.n + 1), sizeof(*lcs));
	for (i = a.n; i-- > 0;)
		for (j = b.n; j-- > 0;)
			lcs[i * (b.n + 1) + j] = strcmp(a.v[i], b.v[j]) == 0 ? lcs[(i + 1) * (b.n + 1) + j + 1] + 1
			                         : lcs[(i + 1) * (b.n + 1) + j] > lcs[i * (b.n + 1) + j + 1]
			                             ? lcs[(i + 1) * (b.n + 1) + j]
			                             : lcs[i * (b.n + 1) + j + 1];
	fprintf(stderr, "golden case '%s' differs (-expected +actual):\n", name);
	for (i = j = 0; i < a.n || j < b.n;) {
		if (i < a.n && j < b.n && strcmp(a.v[i], b.v[j]) == 0)
			fprintf(stderr, "  %s\n", a.v[i]), i++, j++;
		else if (j < b.n && (i == a.n || lcs[i * (b.n + 1) + j + 1] >= lcs[(i + 1) * (b.n + 1) + j]))
			fprintf(stderr, "+ %s\n", b.v[j++]);
		else
			fprintf(stderr, "- %s\n", a.v[i++]);
	}
	free(lcs);
	wordlist_release(&a);
	wordlist_release(&b);
}

static int cmp_name(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static void test_golden(const char *gdir)
{
	char *root = xasprintf("%s/../../..", gdir);
	int update = getenv("SB_GOLDEN_UPDATE") && strcmp(getenv("SB_GOLDEN_UPDATE"), "1") == 0;
	struct wordlist cases = {0};
	struct dirent *de;
	DIR *d = opendir(gdir);
	size_t i;

	if (!d)
		fatal("cannot open the golden directory '%s':", gdir);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			wordlist_add(&cases, de->d_name);
	closedir(d);
	qsort(cases.v, cases.n, sizeof(*cases.v), cmp_name);
	CHECK(cases.n >= 10);
	for (i = 0; i < cases.n; i++) {
		char *cdir = xasprintf("%s/%s", gdir, cases.v[i]);
		struct buf got = BUF_INIT;
		int found;
		char *want;

		run_case(root, cdir, &got);
		want = case_file(cdir, "expected", &found);
		if (update) {
			char *path = xasprintf("%s/expected", cdir);
			if (write_file_atomic(path, got.data ? got.data : "", got.len) < 0)
				fatal("cannot write '%s':", path);
			free(path);
		} else if (!found) {
			fprintf(stderr, "golden case '%s' has no expected file\n", cases.v[i]);
			CHECK(found);
		} else if (strcmp(want, got.data ? got.data : "") != 0) {
			show_diff(cases.v[i], want, got.data ? got.data : "");
			CHECK(0);
		} else {
			CHECK(1);
		}
		free(want);
		free(cdir);
		buf_release(&got);
	}
	wordlist_release(&cases);
	free(root);
}

/* The Sindri dev image must read exactly what sindri-facts.md lists. */
static void test_sindri_dev(const char *root)
{
	static const char *const facts[] = {
		"v3/Cargo.toml", "v3/Cargo.lock", "v3/crates", "v3/embedded", "v3/schemas", "v3/profiles.yaml",
		"v3/extensions", "v3/registry.yaml",
	};
	char *path = xasprintf("%s/Dockerfiles/Dockerfile.dev", root);
	struct buf text = BUF_INIT, err = BUF_INIT;
	struct dockerfile *df;
	size_t i, j, docker = 0, matched[LEN(facts)] = {0};

	if (read_file(path, &text) < 0)
		fatal("cannot read '%s':", path);
	df = dockerfile_parse(path, text.data, text.len, NULL, 0, NULL, &err);
	CHECK(df != NULL);
	for (i = 0; df && i < df->nreads; i++) {
		for (j = 0; j < LEN(facts) && strcmp(facts[j], df->reads[i].src) != 0; j++)
			;
		if (j < LEN(facts))
			matched[j]++;
		else if (str_has_prefix(df->reads[i].src, "v3/docker/"))
			docker++;
		else
			CHECK_STR(df->reads[i].src, "(a source sindri-facts.md does not list)");
		CHECK(df->reads[i].kind == DFREAD_COPY && !df->reads[i].wildcard);
	}
	for (j = 0; j < LEN(facts); j++)
		CHECK(matched[j] > 0);
	CHECK(docker > 0);
	CHECK(df && df->nremotes == 0);
	CHECK(df && df->nargs == 1 && strcmp(df->args[0], "BASE_IMAGE") == 0);
	CHECK(df && df->syntax && strcmp(df->syntax, "docker/dockerfile:1.4") == 0);
	dockerfile_free(df);
	buf_release(&text);
	buf_release(&err);
	free(path);
}

int main(int argc, char **argv)
{
	const char *gdir = argc > 1 ? argv[1] : NULL;
	char *derived = NULL, *root;
	struct stat st;

	if (!gdir) {
		/* From the repository root, or from anywhere through the binary's place in build/tests/. */
		if (stat("tests/golden/dockerfile", &st) == 0) {
			gdir = "tests/golden/dockerfile";
		} else {
			const char *slash = strrchr(argv[0], '/');
			derived = xasprintf("%.*s/../../tests/golden/dockerfile", slash ? (int)(slash - argv[0]) : 1,
			                    slash ? argv[0] : ".");
			gdir = derived;
		}
	}
	root = xasprintf("%s/../../..", gdir);
	test_clean();
	test_match();
	test_ignore();
	test_ignore_memo();
	test_find();
	test_word();
	test_parse();
	test_ctx();
	test_sindri_dev(root);
	test_golden(gdir);
	free(root);
	free(derived);
	return t_done("integ_dockerfile");
}
