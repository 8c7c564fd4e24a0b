/* Unit tests for fileset: pattern expansion over a real temporary tree, and glob_match. */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "filecache.h"
#include "fileset.h"
#include "listing.h"
#include "t.h"
#include "util.h"

static int root = -1;

/* mkfile: create path below root with its parent directories. */
static void mkfile(const char *path, const char *data)
{
	char *dir = xstrdup(path), *s;
	int fd;

	for (s = strchr(dir, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdirat(root, dir, 0777) < 0 && errno != EEXIST)
			fatal("mkdir '%s':", dir);
		*s = '/';
	}
	free(dir);
	fd = openat(root, path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	if (fd < 0 || write(fd, data, strlen(data)) != (ssize_t)strlen(data) || close(fd) < 0)
		fatal("cannot create '%s':", path);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

/* split: words of s (space-separated) into v, which has room for 16. */
static size_t split(char *s, const char **v)
{
	size_t n = 0;
	char *tok;

	for (tok = strtok(s, " "); tok && n < 16; tok = strtok(NULL, " "))
		v[n++] = tok;
	return n;
}

/* join: the paths of fs separated by ','. The caller frees. */
static char *join(const struct fileset *fs)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < fs->n; i++) {
		if (i)
			buf_addc(&b, ',');
		buf_adds(&b, fs->v[i].path);
	}
	return buf_detach(&b);
}

static char last_err[512];

/* expand: run fileset_expand on space-separated pattern lists into a fresh set; the list joined by ',' or "ERR". */
static char *expand(const char *pats, const char *excl)
{
	char *p = xstrdup(pats), *e = xstrdup(excl ? excl : "");
	const char *pv[16], *ev[16];
	size_t np = split(p, pv), ne = split(e, ev);
	struct fileset fs;
	struct buf err = BUF_INIT;
	char *r;

	fileset_init(&fs);
	if (fileset_expand(&fs, root, pv, np, ev, ne, &err) < 0) {
		snprintf(last_err, sizeof(last_err), "%s", err.data ? err.data : "");
		r = xstrdup("ERR");
		CHECK_INT(fs.n, 0);
	} else {
		last_err[0] = '\0';
		r = join(&fs);
		CHECK_INT(err.len, 0);
	}
	fileset_release(&fs);
	buf_release(&err);
	free(p);
	free(e);
	return r;
}

#define EXPECT(pats, excl, want) \
	do { \
		char *got_ = expand(pats, excl); \
		CHECK_STR(got_, want); \
		free(got_); \
	} while (0)

static void test_glob_match(void)
{
	CHECK_INT(glob_match("*.c", "a.c"), 1);
	/* '?' and a class take one character, not one byte (Go's filepath.Match, which Docker's COPY uses) */
	CHECK_INT(glob_match("??", "\xc3\xa9"), 0);
	CHECK_INT(glob_match("?", "\xc3\xa9"), 1);
	CHECK_INT(glob_match("a???b", "a\xe2\x98\xba" "b"), 0);
	CHECK_INT(glob_match("a?b", "a\xe2\x98\xba" "b"), 1);
	CHECK_INT(glob_match("[\xc3\xa0-\xc3\xbf]x", "\xc3\xa9x"), 1);
	CHECK_INT(glob_match("[!a]x", "\xe2\x98\xbax"), 1);
	CHECK_INT(glob_match("*?", "\xc3\xa9"), 1);
	CHECK_INT(glob_match("*.c", "a.h"), 0);
	CHECK_INT(glob_match("*.c", "dir/a.c"), 0);
	CHECK_INT(glob_match("*", ".hidden"), 1);
	CHECK_INT(glob_match("a?c", "abc"), 1);
	CHECK_INT(glob_match("a?c", "ac"), 0);
	CHECK_INT(glob_match("a?c", "a/c"), 0);
	CHECK_INT(glob_match("[abc]x", "bx"), 1);
	CHECK_INT(glob_match("[abc]x", "dx"), 0);
	CHECK_INT(glob_match("[!abc]x", "bx"), 0);
	CHECK_INT(glob_match("[!abc]x", "dx"), 1);
	CHECK_INT(glob_match("[^abc]x", "dx"), 1);
	CHECK_INT(glob_match("m[0-9].c", "m7.c"), 1);
	CHECK_INT(glob_match("m[0-9].c", "mx.c"), 0);
	CHECK_INT(glob_match("[]]", "]"), 1);
	CHECK_INT(glob_match("[!]]", "]"), 0);
	CHECK_INT(glob_match("[!]]", "a"), 1);
	CHECK_INT(glob_match("[a-]", "-"), 1);
	CHECK_INT(glob_match("[a", "[a"), 1);
	CHECK_INT(glob_match("[a", "a"), 0);
	CHECK_INT(glob_match("a\\*b", "a*b"), 1);
	CHECK_INT(glob_match("a\\*b", "axb"), 0);
	CHECK_INT(glob_match("\\[x]", "[x]"), 1);
	CHECK_INT(glob_match("\\[x]", "x"), 0);
	CHECK_INT(glob_match("*ab", "aab"), 1);
	CHECK_INT(glob_match("a*b*c", "abxbc"), 1);
	CHECK_INT(glob_match("a*b*c", "abxbd"), 0);
	CHECK_INT(glob_match("a*", "b"), 0);
	CHECK_INT(glob_match("a**b", "axyb"), 1);
	CHECK_INT(glob_match("a**b", "ax/yb"), 0);
	CHECK_INT(glob_match("src/*.c", "src/a.c"), 1);
	CHECK_INT(glob_match("src/*.c", "src/sub/a.c"), 0);
	CHECK_INT(glob_match("src/*.c", "src"), 0);
	CHECK_INT(glob_match("**", "a/b/c"), 1);
	CHECK_INT(glob_match("**/c", "c"), 1);
	CHECK_INT(glob_match("**/c", "a/b/c"), 1);
	CHECK_INT(glob_match("**/c", "a/b/cc"), 0);
	CHECK_INT(glob_match("**/target", "src/target"), 1);
	CHECK_INT(glob_match("**/target", "src/target/x"), 0);
	CHECK_INT(glob_match("a/**/b", "a/b"), 1);
	CHECK_INT(glob_match("a/**/b", "a/x/y/b"), 1);
	CHECK_INT(glob_match("a/**/b", "a/x/y/c"), 0);
	CHECK_INT(glob_match("a/**/b", "ab"), 0);
	CHECK_INT(glob_match("a/**/**/b", "a/b"), 1);
	CHECK_INT(glob_match("a/**", "a"), 0);
	CHECK_INT(glob_match("a/**", "a/b/c"), 1);
	CHECK_INT(glob_match("src/**/*.c", "src/a.c"), 1);
	CHECK_INT(glob_match("src/**/*.c", "src/x/y/a.c"), 1);
	CHECK_INT(glob_match("src/**/*.c", "src/x/y/a.h"), 0);
	CHECK_INT(glob_match("src/**/*.c", "lib/a.c"), 0);
	CHECK_INT(glob_match("a/b", "a/b/c"), 0);
	CHECK_INT(glob_match("a/b/c", "a/b"), 0);
}

static void make_tree(void)
{
	mkfile("a.c", "int a;\n");
	mkfile("b.h", "");
	mkfile(".hidden", "h");
	mkfile("src/a.c", "a");
	mkfile("src/b.c", "b");
	mkfile("src/x.h", "x");
	mkfile("src/sub/c.c", "c");
	mkfile("src/sub/deep/d.c", "d");
	mkfile("src/sub/deep/e.txt", "e");
	mkfile("src/target/gen.c", "g");
	mkfile("lib/target/out.o", "o");
	mkfile("lib/m1.c", "1");
	mkfile("lib/m2.c", "2");
	mkfile("lib/mx.c", "x");
	mkfile("docs/readme.md", "r");
	if (mkdirat(root, "empty", 0777) < 0 || symlinkat("src/a.c", root, "link_file") < 0 ||
	    symlinkat("src", root, "link_dir") < 0 || symlinkat("..", root, "src/link_up") < 0 ||
	    symlinkat("nowhere", root, "dangling") < 0 || mkfifoat(root, "lib/fifo", 0666) < 0)
		fatal("cannot make the test tree:");
}

#define SRC_ALL "src/a.c,src/b.c,src/sub/c.c,src/sub/deep/d.c,src/sub/deep/e.txt,src/target/gen.c,src/x.h"

static void test_literals(void)
{
	EXPECT("a.c", NULL, "a.c");
	EXPECT("./a.c", NULL, "a.c");
	EXPECT("src//sub/./c.c", NULL, "src/sub/c.c");
	EXPECT("src/sub", NULL, "src/sub/c.c,src/sub/deep/d.c,src/sub/deep/e.txt");
	EXPECT("src/sub/", NULL, "src/sub/c.c,src/sub/deep/d.c,src/sub/deep/e.txt");
	EXPECT("./src/sub/", NULL, "src/sub/c.c,src/sub/deep/d.c,src/sub/deep/e.txt");
	EXPECT("empty", NULL, "");
	/* The whole root: dotfiles and symlinks to files are in; symlinks to directories, fifos and dangling links out. */
	EXPECT(".", NULL,
	       ".hidden,a.c,b.h,docs/readme.md,lib/m1.c,lib/m2.c,lib/mx.c,lib/target/out.o,link_file," SRC_ALL);
	/* A symlinked directory named explicitly is followed; the loop inside it is not. */
	EXPECT("link_dir/sub", NULL, "link_dir/sub/c.c,link_dir/sub/deep/d.c,link_dir/sub/deep/e.txt");
}

static void test_errors(void)
{
	struct fileset fs;
	struct buf err = BUF_INIT;
	const char *ok[] = {"a.c"}, *bad[] = {"b.h", "nope.c"};

	EXPECT("nope.c", NULL, "ERR");
	CHECK_STR(last_err, "no such file or directory 'nope.c'");
	EXPECT("a.c/x", NULL, "ERR");
	CHECK_STR(last_err, "no such file or directory 'a.c/x'");
	EXPECT("src/../a.c", NULL, "ERR");
	CHECK(strstr(last_err, "'src/../a.c'") && strstr(last_err, "'..'"));
	EXPECT("..", NULL, "ERR");
	CHECK(strstr(last_err, "'..'") != NULL);
	EXPECT("a.c", "../x", "ERR");
	CHECK(strstr(last_err, "'../x'") != NULL);
	EXPECT("/etc/passwd", NULL, "ERR");
	CHECK(strstr(last_err, "absolute path '/etc/passwd'") != NULL);
	EXPECT("a.c/", NULL, "ERR");
	CHECK_STR(last_err, "not a directory 'a.c/'");
	EXPECT("lib/fifo", NULL, "ERR");
	CHECK_STR(last_err, "not a regular file 'lib/fifo'");
	EXPECT("dangling", NULL, "ERR");
	CHECK_STR(last_err, "no such file or directory 'dangling'");
	/* Globs may match nothing, even below a directory that does not exist. */
	EXPECT("zzz/*.c", NULL, "");
	EXPECT("src/*.none", NULL, "");

	/* On error fs keeps exactly what it had, and the earlier good pattern of the same call adds nothing. */
	fileset_init(&fs);
	CHECK_INT(fileset_expand(&fs, root, ok, 1, NULL, 0, &err), 0);
	CHECK_INT(fileset_expand(&fs, root, bad, 2, NULL, 0, &err), -1);
	CHECK_INT(fs.n, 1);
	CHECK_STR(fs.n ? fs.v[0].path : NULL, "a.c");
	CHECK_STR(err.data, "no such file or directory 'nope.c'");
	fileset_release(&fs);
	buf_release(&err);
}

static void test_globs(void)
{
	EXPECT("src/**/*.c", NULL, "src/a.c,src/b.c,src/sub/c.c,src/sub/deep/d.c,src/target/gen.c");
	EXPECT("**/*.c", NULL,
	       "a.c,lib/m1.c,lib/m2.c,lib/mx.c,src/a.c,src/b.c,src/sub/c.c,src/sub/deep/d.c,src/target/gen.c");
	EXPECT("src/**/deep/*", NULL, "src/sub/deep/d.c,src/sub/deep/e.txt");
	EXPECT("**/deep/**/*.txt", NULL, "src/sub/deep/e.txt");
	EXPECT("src/**", NULL, SRC_ALL);
	EXPECT("*.c", NULL, "a.c");
	EXPECT("*", "src lib docs", ".hidden,a.c,b.h,link_file");
	EXPECT("lib/m?.c", NULL, "lib/m1.c,lib/m2.c,lib/mx.c");
	EXPECT("lib/m[0-9].c", NULL, "lib/m1.c,lib/m2.c");
	EXPECT("lib/m[!0-9].c", NULL, "lib/mx.c");
	EXPECT("l?b/m[12].c", NULL, "lib/m1.c,lib/m2.c");
	EXPECT("src/*/*.c", NULL, "src/sub/c.c,src/target/gen.c");
	/* A glob that matches a directory takes the files below it; with a trailing '/' it matches only directories. */
	EXPECT("src/s*", NULL, "src/sub/c.c,src/sub/deep/d.c,src/sub/deep/e.txt");
	EXPECT("src/*/", NULL, "src/sub/c.c,src/sub/deep/d.c,src/sub/deep/e.txt,src/target/gen.c");
	EXPECT("*/target/", NULL, "lib/target/out.o,src/target/gen.c");
	/* Not followed: the symlinked directory and the loop back to the root. */
	EXPECT("link_dir/**/*.c", NULL, "link_dir/a.c,link_dir/b.c,link_dir/sub/c.c,link_dir/sub/deep/d.c,"
	                                "link_dir/target/gen.c");
	EXPECT("**/a.c", NULL, "a.c,src/a.c");
	EXPECT("l*", NULL, "lib/m1.c,lib/m2.c,lib/mx.c,lib/target/out.o,link_file");
	EXPECT("a\\.c", NULL, "a.c");
}

static void test_excludes(void)
{
	EXPECT("src/", "**/*.h", "src/a.c,src/b.c,src/sub/c.c,src/sub/deep/d.c,src/sub/deep/e.txt,src/target/gen.c");
	/* "**" + "/target" does not match the files inside, so their absence shows the directories were pruned. */
	EXPECT(".", "**/target .hidden link_file",
	       "a.c,b.h,docs/readme.md,lib/m1.c,lib/m2.c,lib/mx.c,src/a.c,src/b.c,src/sub/c.c,src/sub/deep/d.c,"
	       "src/sub/deep/e.txt,src/x.h");
	EXPECT("src/**/*.c", "src/**/deep ./src/target/", "src/a.c,src/b.c,src/sub/c.c");
	EXPECT("docs lib/m1.c", "docs/", "lib/m1.c");
	/* An exclude with a trailing '/' matches directories only. */
	EXPECT("a.c b.h", "a.c/", "a.c,b.h");
	/* An excluded directory also hides what a pattern names inside it. */
	EXPECT("src/target/gen.c src/target", "**/target", "");
	EXPECT("src/sub/deep/*.c", "src/sub", "");
	EXPECT("src", "src", "");
	EXPECT("lib/m*.c", "lib/m[12].c", "lib/mx.c");
}

static void test_sorted_dedup(void)
{
	struct fileset fs;
	struct buf err = BUF_INIT;
	const char *p1[] = {"src/sub/deep/d.c", "src/**/*.c", "src/sub", "b.h", "a.c", "./a.c"};
	const char *p2[] = {"a.c", ".hidden"};
	struct stat st;
	size_t i;
	char *s;

	fileset_init(&fs);
	CHECK_INT(fileset_expand(&fs, root, p1, LEN(p1), NULL, 0, &err), 0);
	s = join(&fs);
	CHECK_STR(s, "a.c,b.h,src/a.c,src/b.c,src/sub/c.c,src/sub/deep/d.c,src/sub/deep/e.txt,src/target/gen.c");
	free(s);
	/* Adding to a non-empty set merges, sorts and deduplicates across calls. */
	CHECK_INT(fileset_expand(&fs, root, p2, LEN(p2), NULL, 0, &err), 0);
	s = join(&fs);
	CHECK_STR(s, ".hidden,a.c,b.h,src/a.c,src/b.c,src/sub/c.c,src/sub/deep/d.c,src/sub/deep/e.txt,src/target/gen.c");
	free(s);
	for (i = 1; i < fs.n; i++)
		CHECK(strcmp(fs.v[i - 1].path, fs.v[i].path) < 0);
	/* The stat data is the file's own. */
	CHECK(fstatat(root, "a.c", &st, 0) == 0);
	CHECK_INT(fs.v[1].st.size, 7);
	CHECK_INT(fs.v[1].st.ino, st.st_ino);
	CHECK_INT(fs.v[1].st.dev, st.st_dev);
	CHECK(S_ISREG(fs.v[1].st.mode));
	CHECK_INT(fs.v[1].st.mtime_ns, (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec);
	CHECK_INT(fs.v[1].st.ctime_ns, (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec);
	fileset_release(&fs);
	CHECK_INT(fs.n, 0);
	CHECK(fs.v == NULL);
	buf_release(&err);
}

static void test_symlinks(void)
{
	struct fileset fs;
	struct buf err = BUF_INIT;
	const char *pats[] = {"link_file", "l*"};
	struct stat st;

	fileset_init(&fs);
	CHECK_INT(fileset_expand(&fs, root, pats, LEN(pats), NULL, 0, &err), 0);
	CHECK(fstatat(root, "src/a.c", &st, 0) == 0);
	CHECK_STR(fs.n ? fs.v[fs.n - 1].path : NULL, "link_file");
	/* A symlink to a file carries its target's stat data. */
	CHECK_INT(fs.n ? fs.v[fs.n - 1].st.ino : 0, st.st_ino);
	CHECK_INT(fs.n ? fs.v[fs.n - 1].st.size : 0, 1);
	CHECK(fs.n && S_ISREG(fs.v[fs.n - 1].st.mode));
	CHECK(fs.n && fs.v[fs.n - 1].link);
	CHECK(fs.n && !fs.v[0].link);
	fileset_release(&fs);
	buf_release(&err);
}

/* entries: what FILESET_ENTRIES lists for pat, as one string: a file as its path, a directory with '/', a symlink
 * with '@'. */
static char *entries(const char *pat, struct fileset *fs)
{
	struct buf b = BUF_INIT, err = BUF_INIT;
	const char *pats[] = {pat};

	fileset_init(fs);
	if (fileset_expand_cached(fs, root, pats, 1, NULL, 0, NULL, NULL, FILESET_ENTRIES, &err) < 0)
		buf_addf(&b, "ERR %s", err.data);
	for (size_t i = 0; i < fs->n; i++)
		buf_addf(&b, "%s%s%s", i ? "," : "", fs->v[i].path,
		         S_ISDIR(fs->v[i].st.mode) ? "/" : S_ISLNK(fs->v[i].st.mode) ? "@" : "");
	buf_release(&err);
	return buf_detach(&b);
}

static void check_entries(const char *pat, const char *want)
{
	struct fileset fs;
	char *got = entries(pat, &fs);

	CHECK_STR(got, want);
	fileset_release(&fs);
	free(got);
}

/* FILESET_ENTRIES lists what a build context holds: symlinks as links (never followed, dangling ones too), every
 * directory matched or below a match, empty ones too; still no fifo. */
static void test_entries(void)
{
	struct fileset fs;
	struct stat st;
	char *s = entries(".", &fs);

	CHECK_STR(s, ".hidden,a.c,b.h,dangling@,docs/,docs/readme.md,empty/,lib/,lib/m1.c,lib/m2.c,lib/mx.c,lib/target/,"
	             "lib/target/out.o,link_dir@,link_file@,order/,order/Z,order/a/,order/a-b,order/a.c,order/a/inner,"
	             "order/a0,src/,src/a.c,src/b.c,src/link_up@,src/sub/,src/sub/c.c,src/sub/deep/,src/sub/deep/d.c,"
	             "src/sub/deep/e.txt,src/target/,src/target/gen.c,src/x.h");
	CHECK(fstatat(root, "link_file", &st, AT_SYMLINK_NOFOLLOW) == 0);
	for (size_t i = 0; i < fs.n; i++)
		if (strcmp(fs.v[i].path, "link_file") == 0)
			CHECK(fs.v[i].link && fs.v[i].st.ino == (uint64_t)st.st_ino && S_ISLNK(fs.v[i].st.mode));
	fileset_release(&fs);
	free(s);
	/* A named directory is an entry itself; a named symlink is the link. */
	check_entries("src/sub", "src/sub/,src/sub/c.c,src/sub/deep/,src/sub/deep/d.c,src/sub/deep/e.txt");
	check_entries("link_dir", "link_dir@");
	/* A wildcard matches links and directories alike; the directories on the way are not entries. */
	check_entries("l*", "lib/,lib/m1.c,lib/m2.c,lib/mx.c,lib/target/,lib/target/out.o,link_dir@,link_file@");
	check_entries("src/*/deep", "src/sub/deep/,src/sub/deep/d.c,src/sub/deep/e.txt");
}

/* deferred: what fileset_expand_cached with FILESET_DEFER lists for pats (space-separated), with fc: each path, and
 * '?' after it when its stat data was left unknown. */
static char *deferred(const char *pats, struct filecache *fc)
{
	char *p = xstrdup(pats);
	const char *pv[16];
	size_t np = split(p, pv);
	struct fileset fs;
	struct buf b = BUF_INIT, err = BUF_INIT;

	fileset_init(&fs);
	if (fileset_expand_cached(&fs, root, pv, np, NULL, 0, fc, NULL, FILESET_DEFER, &err) < 0)
		buf_addf(&b, "ERR %s", err.data);
	for (size_t i = 0; i < fs.n; i++)
		buf_addf(&b, "%s%s%s", i ? "," : "", fs.v[i].path, filestat_unknown(&fs.v[i].st) ? "?" : "");
	fileset_release(&fs);
	buf_release(&err);
	free(p);
	return buf_detach(&b);
}

/* FILESET_DEFER: the regular files listed as such, matched and without a cache entry, are not stat'ed (their stat
 * data is for the caller to take); a file the cache knows is, and so are symlinks and what a pattern names. */
static void test_defer(void)
{
	struct filecache *fc = filecache_load("/nonexistent/sb-fileset-cache");
	struct stat st;
	struct filestat fst;
	char *s;

	s = deferred("src/sub lib/m1.c link_file l*/*.c", NULL);
	CHECK_STR(s, "lib/m1.c,lib/m2.c?,lib/mx.c?,link_file,src/sub/c.c?,src/sub/deep/d.c?,src/sub/deep/e.txt?");
	free(s);
	CHECK(fstatat(root, "src/sub/c.c", &st, 0) == 0);
	filestat_from(&fst, &st);
	filecache_note_file(fc, "src/sub/c.c", strlen("src/sub/c.c"), &fst);
	s = deferred("src/sub", fc);
	CHECK_STR(s, "src/sub/c.c,src/sub/deep/d.c?,src/sub/deep/e.txt?");
	free(s);
	filecache_free(fc);
}

/* A listing comes in the order a depth-first walk needs to yield sorted paths: a directory as its name and a '/'. */
static void test_listing(void)
{
	struct buf b = BUF_INIT, names = BUF_INIT;
	char key[LISTING_KEY_MAX];
	int fd;

	mkfile("order/a0", "x");
	mkfile("order/a.c", "x");
	mkfile("order/a-b", "x");
	mkfile("order/a/inner", "x");
	mkfile("order/Z", "x");
	fd = openat(root, "order", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(fd >= 0);
	CHECK_INT(listing_read(fd, &b), 0);
	for (size_t pos = 0; pos < b.len;) {
		const char *name = b.data + pos + 1;
		buf_adds(&names, name);
		buf_adds(&names, b.data[pos] == DT_DIR ? "/ " : " ");
		pos += strlen(name) + 2;
	}
	CHECK_STR(names.data, "Z a-b a.c a/ a0 ");
	buf_release(&b);
	buf_release(&names);
	listing_key(key, 2049, 0);
	CHECK_STR(key, "/2049:0");
	listing_key(key, UINT64_MAX, 12345678901234567ULL);
	CHECK_STR(key, "/18446744073709551615:12345678901234567");
}

/* plant: in fc, listing (entries as "Tname" pairs, T 'f' a file, 'd' a directory) for the directory path, under its
 * stat data now and trusted (listed a minute from now). */
static void plant(struct filecache *fc, const char *path, const char *const *ents, size_t n)
{
	struct buf l = BUF_INIT;
	char key[LISTING_KEY_MAX];
	struct filestat fst;
	struct stat st;

	if (fstatat(root, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
		fatal("stat '%s':", path);
	filestat_from(&fst, &st);
	for (size_t i = 0; i < n; i++) {
		buf_addc(&l, ents[i][0] == 'd' ? DT_DIR : DT_REG);
		buf_add(&l, ents[i] + 1, strlen(ents[i] + 1) + 1);
	}
	listing_key(key, fst.dev, fst.ino);
	filecache_dir_put(fc, key, &fst, l.data, l.len, now_ns() + 60 * 1000000000LL);
	buf_release(&l);
}

/* recheck: what FILESET_RECHECK | FILESET_DEFER lists for pat with fc, comma-separated. */
static char *recheck(const char *pat, struct filecache *fc)
{
	struct fileset fs;
	struct buf err = BUF_INIT;
	char *s;

	fileset_init(&fs);
	if (fileset_expand_cached(&fs, root, &pat, 1, NULL, 0, fc, NULL, FILESET_DEFER | FILESET_RECHECK, &err) < 0)
		fatal("recheck '%s': %s", pat, err.data);
	s = join(&fs);
	fileset_release(&fs);
	buf_release(&err);
	return s;
}

/* FILESET_RECHECK: a directory's cached listing is taken only while the directory's stat data, taken now, is what
 * it was listed under; one that gained an entry since is read again. Nothing is counted or noted for a watcher. */
static void test_recheck(void)
{
	struct filecache *fc = filecache_load("/nonexistent/sb-fileset-cache");
	const char *stale[] = {"fb", "dsub"}; /* "a" left out: a listing taken from the cache shows it */
	struct buf used = BUF_INIT;
	size_t stats, known;
	char *s;

	mkfile("re/a", "x");
	mkfile("re/b", "x");
	mkfile("re/sub/c", "x");
	filecache_watch(fc, NULL, 0);
	plant(fc, "re", stale, LEN(stale));
	s = recheck("re", fc);
	CHECK_STR(s, "re/b,re/sub/c"); /* the planted listing: the directory was not read */
	free(s);
	s = recheck("re/**", fc);
	CHECK_STR(s, "re/b,re/sub/c");
	free(s);
	filecache_walk_stats(fc, &stats, &known);
	CHECK_INT(stats, 0);
	filecache_used(fc, &used);
	CHECK_INT(used.len, 0);
	buf_release(&used);
	/* an entry added: the directory's mtime and ctime move on, its listing is not taken */
	mkfile("re/d", "x");
	s = recheck("re", fc);
	CHECK_STR(s, "re/a,re/b,re/d,re/sub/c");
	free(s);
	/* and an entry removed, after a listing planted under the stat data of now */
	plant(fc, "re", stale, LEN(stale));
	if (unlinkat(root, "re/sub/c", 0) < 0 || unlinkat(root, "re/sub", AT_REMOVEDIR) < 0)
		fatal("unlink:");
	s = recheck("re", fc);
	CHECK_STR(s, "re/a,re/b,re/d");
	free(s);
	filecache_free(fc);
}

/* What swap_loop swaps: the directories "sw/p" and "sw/q", again and again, until stop is set. */
static atomic_int swap_stop;

static void *swap_loop(void *arg)
{
	(void)arg;
	while (!atomic_load(&swap_stop))
		if (renameat2(root, "sw/p", root, "sw/q", RENAME_EXCHANGE) < 0)
			fatal("renameat2:");
	return NULL;
}

/*
 * A listing is kept under the stat data of the directory it was read from. The walk stats "sw/p/a" and then opens it
 * by its path: a parent swapped in between (sw/p with sw/q) makes it read sw/q/a, whose listing must not be kept as
 * that of sw/p/a's directory, which did not change (its stat data stays, and the wrong listing would be taken by every
 * later walk and check until it changes). Racy by nature: the walk is repeated while the parents are swapped.
 */
static void test_listing_swapped(void)
{
	enum { NDIR = 8 };
	struct filestat xst[NDIR];
	char key[NDIR][LISTING_KEY_MAX], path[64];
	pthread_t th;
	int wrong = 0, walks = 0;
	int64_t until;
	struct timespec racy = {FILECACHE_RACY_NS / 1000000000, FILECACHE_RACY_NS % 1000000000 + 100000000};

	for (int i = 0; i < NDIR; i++) {
		struct stat sb;
		snprintf(path, sizeof(path), "sw/p/a%d/x1", i);
		mkfile(path, "x");
		snprintf(path, sizeof(path), "sw/p/a%d/x2", i);
		mkfile(path, "x");
		snprintf(path, sizeof(path), "sw/q/a%d/y1", i);
		mkfile(path, "y");
		snprintf(path, sizeof(path), "sw/p/a%d", i);
		if (fstatat(root, path, &sb, 0) < 0)
			fatal("stat '%s':", path);
		filestat_from(&xst[i], &sb);
		listing_key(key[i], xst[i].dev, xst[i].ino);
	}
	/* a listing is trusted only once its directory's stat data is older than the timestamp granularity */
	nanosleep(&racy, NULL);
	atomic_store(&swap_stop, 0);
	if (pthread_create(&th, NULL, swap_loop, NULL) != 0)
		fatal("pthread_create:");
	until = now_ns() + 2 * 1000000000LL;
	while (!wrong && now_ns() < until) {
		struct filecache *fc = filecache_load("/nonexistent/sb-fileset-cache");
		struct fileset fs;
		struct buf err = BUF_INIT;
		const char *pat = "sw/";

		fileset_init(&fs);
		(void)fileset_expand_cached(&fs, root, &pat, 1, NULL, 0, fc, NULL, 0, &err);
		walks++;
		/* whatever the walk met, what is kept for a directory of sw/p names x1 and x2 alone */
		for (int i = 0; i < NDIR; i++) {
			const char *l = NULL;
			size_t len;
			if ((l = filecache_dir(fc, key[i], &xst[i], &len)))
				for (size_t pos = 0; pos < len; pos += strlen(l + pos + 1) + 2)
					wrong |= strcmp(l + pos + 1, "x1") != 0 && strcmp(l + pos + 1, "x2") != 0;
		}
		fileset_release(&fs);
		buf_release(&err);
		filecache_free(fc);
	}
	atomic_store(&swap_stop, 1);
	pthread_join(th, NULL);
	if (wrong)
		fprintf(stderr, "engine_fileset: a listing of sw/q kept as one of sw/p after %d walks\n", walks);
	CHECK_INT(wrong, 0);
}

int main(void)
{
	char dir[] = "/tmp/sb-fileset-XXXXXX";

	test_glob_match();
	if (!mkdtemp(dir))
		fatal("mkdtemp:");
	root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		fatal("open '%s':", dir);
	make_tree();
	test_literals();
	test_errors();
	test_globs();
	test_excludes();
	test_sorted_dedup();
	test_symlinks();
	test_listing();
	test_entries();
	test_defer();
	test_recheck();
	test_listing_swapped();
	close(root);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return t_done("engine_fileset");
}
