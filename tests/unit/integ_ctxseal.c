/*
 * integ_ctxseal: what a build reads of its context and how it is sealed: symlinks resolved inside the context as the
 * builder resolves them, what --chmod leaves unkeyed, which Dockerfile lines count, and the tar written from exactly
 * the bytes that were keyed (listed back with tar(1)), refused when an entry changed after it was hashed.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctxseal.h"
#include "dockerctx.h"
#include "dockerfile.h"
#include "dockerignore.h"
#include "filecache.h"
#include "graph.h"
#include "key.h"
#include "secretargs.h"
#include "t.h"
#include "util.h"

static char *dir; /* the context, a fresh temporary directory */

/* mk: create dir/rel holding content; a rel ending in '/' is a directory, "rel -> target" a symlink. */
static void mk(const char *rel, const char *content)
{
	const char *arrow = strstr(rel, " -> ");
	char *name = arrow ? xstrndup(rel, (size_t)(arrow - rel)) : xstrdup(rel);
	char *path = xasprintf("%s/%s", dir, name), *slash = strrchr(path, '/');

	*slash = '\0';
	if (mkdir_p(path) < 0)
		fatal("cannot create '%s':", path);
	*slash = '/';
	if (arrow ? symlink(arrow + 4, path) < 0
	          : name[strlen(name) - 1] == '/' ? mkdir_p(path) < 0
	                                          : write_file_shared(path, content, strlen(content)) < 0)
		fatal("cannot create '%s':", path);
	free(name);
	free(path);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

/* entries: the entries dockerctx_entries gives for text with the ignore patterns ign (NULL: none), one string:
 * "path" a file, "path/" a directory, "path@" a symlink, "~" after one whose mode is not keyed; or "error: ...". */
static char *entries(const char *text, const char *ign)
{
	struct buf err = BUF_INIT, out = BUF_INIT;
	struct dockerignore di;
	struct ctxlist l;
	struct dockerfile *df = dockerfile_parse("Dockerfile", text, strlen(text), NULL, 0, NULL, &err);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	dockerignore_init(&di);
	ctxlist_init(&l);
	if (ign)
		dockerignore_parse(&di, ".dockerignore", ign, strlen(ign), &err);
	if (!df || fd < 0) {
		buf_addf(&out, "error: %s", err.data ? err.data : "cannot open the context");
	} else if (dockerctx_entries(df, fd, ign ? &di : NULL, NULL, NULL, &l, &err) < 0) {
		buf_addf(&out, "error: %s", err.data);
	} else {
		for (size_t i = 0; i < l.n; i++) {
			const struct ctxent *e = &l.v[i];
			buf_addf(&out, "%s%s%s%s", i ? " " : "", e->path,
			         S_ISDIR(e->st.mode) ? "/" : S_ISLNK(e->st.mode) ? "@" : "",
			         !e->keymode && !S_ISLNK(e->st.mode) ? "~" : "");
		}
	}
	if (fd >= 0)
		close(fd);
	ctxlist_release(&l);
	dockerignore_release(&di);
	dockerfile_free(df);
	buf_release(&err);
	return buf_detach(&out);
}

static void check_entries(const char *text, const char *ign, const char *want)
{
	char *got = entries(text, ign);

	CHECK_STR(got, want);
	free(got);
}

/* A symlink is followed as the builder follows it (checked against BuildKit and the legacy builder): inside the
 * context, an absolute target from its root, ".." no higher than it; a link met inside a copied directory is kept. */
static void test_links(void)
{
	mk("real/f", "f");
	mk("real/sub/g", "g");
	mk("real/lg -> g", NULL);
	mk("l_file -> real/f", NULL);
	mk("l_abs -> /real/f", NULL);
	mk("l_up -> ../../real", NULL);
	mk("l_out -> /etc/passwd", NULL);
	mk("dang -> nowhere", NULL);
	mk("ldir -> real", NULL);
	check_entries("FROM a\nCOPY l_file /x\n", NULL, "l_file@ real/f");
	check_entries("FROM a\nCOPY l_abs /x\n", NULL, "l_abs@ real/f");
	check_entries("FROM a\nCOPY l_up/f /x\n", NULL, "l_up@ real/f");
	check_entries("FROM a\nCOPY ldir /x/\n", NULL, "ldir@ real/~ real/f real/lg@ real/sub/ real/sub/g");
	check_entries("FROM a\nCOPY l_out /x\n", NULL,
	              "error: Dockerfile:2: COPY source 'l_out' not found in the build context");
	check_entries("FROM a\nCOPY dang /x\n", NULL,
	              "error: Dockerfile:2: COPY source 'dang' not found in the build context");
	/* a wildcard's matches are followed like named sources; its base directory is resolved first */
	check_entries("FROM a\nCOPY ld* /x/\n", NULL, "ldir@ real/~ real/f real/lg@ real/sub/ real/sub/g");
	check_entries("FROM a\nCOPY ldir/s* /x/\n", NULL, "ldir@ real/sub/~ real/sub/g");
	check_entries("FROM a\nCOPY l_* /x/\n", NULL,
	              "error: Dockerfile:2: COPY source 'l_*' matches 'l_out', which names nothing in the build context");
	check_entries("FROM a\nCOPY . /x/\n", NULL,
	              "dang@ l_abs@ l_file@ l_out@ l_up@ ldir@ real/ real/f real/lg@ real/sub/ real/sub/g");
	/* what the ignore file leaves out, the builder never gets: a link to it, or the link itself */
	check_entries("FROM a\nCOPY l_file /x\n", "real/f\n",
	              "error: Dockerfile:2: COPY source 'l_file' not found in the build context");
	check_entries("FROM a\nCOPY l_file /x\n", "l_file\n",
	              "error: Dockerfile:2: COPY source 'l_file' not found in the build context (the .dockerignore file "
	              "excludes it)");
	/* an octal --chmod replaces the modes, a symbolic one changes them */
	check_entries("FROM a\nCOPY --chmod=0644 real /x\n", NULL, "real/~ real/f~ real/lg@ real/sub/~ real/sub/g~");
	check_entries("FROM a\nCOPY --chmod=u+x real /x\n", NULL, "real/~ real/f real/lg@ real/sub/ real/sub/g");
	check_entries("FROM a\nCOPY --chmod=0644 real/f /x\nCOPY real/f /y\n", NULL, "real/f");
	/* a bind mount shows its source directory itself */
	check_entries("FROM a\nRUN --mount=type=bind,source=real/sub,target=/s true\n", NULL, "real/sub/ real/sub/g");
}

static void check_visible(const char *text, const char *path, int want)
{
	struct buf err = BUF_INIT;
	struct dockerfile *df = dockerfile_parse("Dockerfile", text, strlen(text), NULL, 0, NULL, &err);
	struct ctxlist l;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	ctxlist_init(&l);
	CHECK(df && fd >= 0 && dockerctx_entries(df, fd, NULL, NULL, NULL, &l, &err) == 0);
	CHECK_INT(df ? dockerctx_visible(df, &l, path) : -1, want);
	close(fd);
	ctxlist_release(&l);
	dockerfile_free(df);
	buf_release(&err);
}

/* Where no read of the build looks: a place for the Dockerfile in a tar. */
static void test_visible(void)
{
	char *out = xasprintf("%s/l_out", dir), *dang = xasprintf("%s/dang", dir);

	/* (no link to nothing: a wildcard matching one is an error) */
	unlink(out);
	unlink(dang);
	free(out);
	free(dang);
	check_visible("FROM a\nCOPY real/ /x\n", ".sindri-build.Dockerfile", 0);
	check_visible("FROM a\nCOPY . /x\n", ".sindri-build.Dockerfile", 1);
	check_visible("FROM a\nCOPY * /x\n", "Dockerfile.sindri-build", 1);
	check_visible("FROM a\nCOPY .s* /x\n", ".sindri-build.Dockerfile", 1);
	check_visible("FROM a\nCOPY .s* /x\n", "Dockerfile.sindri-build", 0);
	check_visible("FROM a\nCOPY ldir /x\n", "real/f", 0); /* what a link leads to is in the entries themselves */
	check_visible("FROM a\nRUN --mount=type=bind,target=/s true\n", "anything", 1);
}

/* keyed: the Dockerfile's lines that can change the build, as a string of 0 and 1. */
static char *keyed(const char *text)
{
	struct buf err = BUF_INIT, out = BUF_INIT;
	struct dockerfile *df = dockerfile_parse("Dockerfile", text, strlen(text), NULL, 0, NULL, &err);

	for (size_t i = 0; df && i < df->nlines; i++)
		buf_addc(&out, df->keyed[i] ? '1' : '0');
	if (!df)
		buf_addf(&out, "error: %s", err.data);
	dockerfile_free(df);
	buf_release(&err);
	return buf_detach(&out);
}

static void check_keyed(const char *text, const char *want)
{
	char *got = keyed(text);

	CHECK_STR(got, want);
	free(got);
}

/* Comments and blank lines are not instructions; parser directives and here-document bodies are read. */
static void test_keyed_lines(void)
{
	check_keyed("# syntax=docker/dockerfile:1\n# escape=\\\n# a comment\nFROM a\n\n  # indented\nRUN x\n",
	            "1101001");
	check_keyed("# a comment first\n# syntax=x\nFROM a\n", "001");
	check_keyed("FROM a\nRUN echo a \\\n# between\n\n  b\n", "11001");
	check_keyed("FROM a\nCOPY <<EOF /f\n# kept\n\nEOF\n# not\n", "111110");
	check_keyed("FROM a\nRUN <<A <<B\n# a\nA\n# b\n\nB\n", "1111111");
}

/* A fresh stat cache file path, never written. */
static char *cache_path(void)
{
	return xasprintf("%s.cache", dir);
}

/* seal: key the entries text reads (the Dockerfile, at dockerfile, holds text), seal them, read the tar as a build
 * would and list it with tar(1): "type owner path[ -> target]", one per line. *ret: 0 when the whole context was
 * sent (ctxseal_close), else 1; *dfname: ctxseal_open's -f. */
static char *seal(const char *text, const char *dockerfile, int (*between)(void), int *ret, struct buf *why,
                  char **dfname)
{
	struct buf err = BUF_INIT, list = BUF_INIT;
	struct dockerfile *df = dockerfile_parse("Dockerfile", text, strlen(text), NULL, 0, NULL, &err);
	struct ctxlist l;
	struct ctxseal *cs = ctxseal_new();
	struct keyparts *kp = keyparts_new();
	char *cpath = cache_path(), *tar = xasprintf("%s.tar", dir), *cmd;
	struct filecache *fc = filecache_load(cpath);
	struct keyenv ke = {.rootfd = AT_FDCWD, .fc = fc};
	int ctxfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd = -1;
	const char *dfarg = NULL, *ctxarg = NULL;
	FILE *p;
	char line[512];

	ctxlist_init(&l);
	CHECK(df && ctxfd >= 0 && dockerctx_entries(df, ctxfd, NULL, NULL, NULL, &l, &err) == 0);
	CHECK_INT(ctxseal_key(cs, &l, dir, df, dockerfile, text, strlen(text), kp, &ke, "t"), 0);
	if (between)
		between();
	CHECK_INT(ctxseal_open(cs, &ke, "t", &fd, &dfarg, &ctxarg, why), 0);
	*dfname = xstrdup(dfarg);
	CHECK_STR(ctxarg, "-");
	/* what the writer sends down the pipe, saved where tar(1) can read it */
	struct buf b = BUF_INIT;
	char chunk[4096];
	ssize_t n;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_add(&b, chunk, (size_t)n);
	CHECK(write_file_atomic(tar, b.data ? b.data : "", b.len) == 0);
	buf_release(&b);
	close(fd);
	*ret = ctxseal_close(cs) == 0 ? 0 : 1;
	cmd = xasprintf("tar -tvf '%s' 2>&1", tar);
	if (*ret == 0 && (p = popen(cmd, "r"))) {
		while (fgets(line, sizeof(line), p)) {
			/* "-rw-r--r-- 0/0 2 2024-01-01 00:00 path": keep the type and mode, the owner and the path */
			char mode[16], owner[32], *rest = line;
			if (sscanf(line, "%15s %31s", mode, owner) != 2)
				continue;
			for (int f = 0; f < 5 && rest; f++)
				rest = strchr(rest, ' ') ? strchr(rest, ' ') + strspn(strchr(rest, ' '), " ") : NULL;
			if (rest)
				buf_addf(&list, "%s %s %s", mode, owner, rest);
		}
		pclose(p);
	}
	free(cmd);
	close(ctxfd);
	unlink(tar);
	free(tar);
	free(cpath);
	filecache_free(fc);
	keyparts_free(kp);
	ctxseal_free(cs);
	ctxlist_release(&l);
	dockerfile_free(df);
	buf_release(&err);
	return buf_detach(&list);
}

static int edit_same_size(void)
{
	char *path = xasprintf("%s/t/a.txt", dir);
	struct stat st;
	struct timespec ts[2];
	int r = stat(path, &st);

	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	/* the same size, the mtime put back: only the bytes (and the ctime) differ */
	r |= write_file_shared(path, "A", 1) | utimensat(AT_FDCWD, path, ts, 0);
	free(path);
	return r;
}

static int retarget(void)
{
	char *path = xasprintf("%s/t/la", dir);
	int r = unlink(path) | symlink("b.txt", path);

	free(path);
	return r;
}

/* The tar holds the entries, the directories on the way and the Dockerfile under its own name; uid and gid 0. */
static void test_tar(void)
{
	struct buf why = BUF_INIT;
	char longname[300];
	char *got, *want;
	int ret;

	mk("t/a.txt", "a");
	mk("t/b.txt", "b");
	mk("t/la -> a.txt", NULL);
	mk("t/empty/", NULL);
	/* a path no ustar header holds (more than 155 + 100 bytes): a pax header carries it */
	snprintf(longname, sizeof(longname), "t/deep/%0120d/%0120d/%020d", 1, 2, 3);
	mk(longname, "long");
	char *name;
	got = seal("FROM a\nCOPY t/ /x/\n", "/elsewhere/Dockerfile", NULL, &ret, &why, &name);
	CHECK_INT(ret, 0);
	CHECK_STR(name, ".sindri-build.Dockerfile");
	free(name);
	want = xasprintf("-rw-r--r-- 0/0 .sindri-build.Dockerfile\n"
	                 "drwxr-xr-x 0/0 t/\n"
	                 "-rw-r--r-- 0/0 t/a.txt\n"
	                 "-rw-r--r-- 0/0 t/b.txt\n"
	                 "drwxr-xr-x 0/0 t/deep/\n"
	                 "drwxr-xr-x 0/0 t/deep/%0120d/\n"
	                 "drwxr-xr-x 0/0 t/deep/%0120d/%0120d/\n"
	                 "-rw-r--r-- 0/0 %s\n"
	                 "drwxr-xr-x 0/0 t/empty/\n"
	                 "lrwxrwxrwx 0/0 t/la -> a.txt\n",
	                 1, 1, 2, longname);
	CHECK_STR(got, want);
	free(got);
	free(want);
	/* an entry that changed after it was hashed is refused, whatever its stat data says */
	/* an entry that changed after it was hashed ends the tar with a block tar(1) refuses: the build fails */
	got = seal("FROM a\nCOPY t/ /x/\n", "/elsewhere/Dockerfile", edit_same_size, &ret, &why, &name);
	CHECK_INT(ret, 1);
	CHECK(!strstr(got, "t/a.txt") && !strstr(got, "t/la"));
	free(got);
	free(name);
	got = seal("FROM a\nCOPY t/ /x/\n", "/elsewhere/Dockerfile", retarget, &ret, &why, &name);
	CHECK_INT(ret, 1);
	CHECK(!strstr(got, "t/la"));
	free(got);
	free(name);
	buf_release(&why);
}

/* Where COPY . would see any name the tar could give the Dockerfile: a directory, the Dockerfile beside it; and
 * the Dockerfile as the context's own entry when the context holds it. */
static void test_places(void)
{
	const char *text = "FROM a\nCOPY . /x/\n";
	struct buf err = BUF_INIT, why = BUF_INIT;
	struct dockerfile *df = dockerfile_parse("Dockerfile", text, strlen(text), NULL, 0, NULL, &err);
	char *sub = xasprintf("%s/t", dir), *cpath = cache_path(), *tmp = xasprintf("%s.tmp", dir), *found;
	struct filecache *fc = filecache_load(cpath);
	struct keyenv ke = {.rootfd = AT_FDCWD, .fc = fc, .tmpdir = tmp};
	const char *dfarg, *ctxarg;
	struct ctxseal *cs = ctxseal_new();
	struct keyparts *kp = keyparts_new();
	struct ctxlist l;
	struct stat st;
	int fd, ctxfd = open(sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	CHECK(mkdir(tmp, 0700) == 0 || errno == EEXIST);
	ctxlist_init(&l);
	CHECK(df && dockerctx_entries(df, ctxfd, NULL, NULL, NULL, &l, &err) == 0);
	CHECK_INT(ctxseal_key(cs, &l, sub, df, "/elsewhere/Dockerfile", text, strlen(text), kp, &ke, "t"), 0);
	CHECK_INT(ctxseal_open(cs, &ke, "t", &fd, &dfarg, &ctxarg, &why), 0);
	CHECK_INT(fd, -1);
	CHECK(str_has_prefix(ctxarg, tmp) && str_has_suffix(ctxarg, "/context"));
	CHECK(str_has_suffix(dfarg, "/Dockerfile") && !str_has_prefix(dfarg, ctxarg));
	found = xasprintf("%s/la", ctxarg);
	CHECK(lstat(found, &st) == 0 && S_ISLNK(st.st_mode));
	free(found);
	found = xasprintf("%s/empty", ctxarg);
	CHECK(lstat(found, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0755);
	free(found);
	found = xstrdup(ctxarg);
	ctxseal_close(cs);
	CHECK(lstat(found, &st) < 0 && errno == ENOENT);
	free(found);
	/* the Dockerfile in the context, where COPY . takes it along: sent once, as that entry; and a file larger than
	 * any pipe's buffer, so that the writer cannot finish before the build (which reads nothing) goes away */
	mk("t/Dockerfile", text);
	char *big = xcalloc(1, 4 << 20);
	memset(big, 'x', (4 << 20) - 1);
	mk("t/big", big);
	free(big);
	ctxlist_release(&l);
	CHECK(dockerctx_entries(df, ctxfd, NULL, NULL, NULL, &l, &err) == 0);
	found = xasprintf("%s/Dockerfile", sub);
	CHECK_INT(ctxseal_key(cs, &l, sub, df, found, text, strlen(text), kp, &ke, "t"), 0);
	CHECK_INT(ctxseal_open(cs, &ke, "t", &fd, &dfarg, &ctxarg, &why), 0);
	CHECK_STR(dfarg, "Dockerfile");
	CHECK_STR(ctxarg, "-");
	if (fd >= 0)
		close(fd); /* a build that reads nothing: the writer stops, and says the context was not sent whole */
	CHECK_INT(ctxseal_close(cs), -1);
	char *bigpath = xasprintf("%s/t/big", dir);
	CHECK(unlink(bigpath) == 0);
	free(bigpath);
	/* ... and its bytes must be those parsed */
	ctxlist_release(&l);
	CHECK(dockerctx_entries(df, ctxfd, NULL, NULL, NULL, &l, &err) == 0);
	CHECK_INT(ctxseal_key(cs, &l, sub, df, found, "FROM b\n", 7, kp, &ke, "t"), -1);
	free(found);
	ctxlist_release(&l);
	ctxseal_free(cs);
	keyparts_free(kp);
	filecache_free(fc);
	dockerfile_free(df);
	close(ctxfd);
	rmdir(tmp);
	free(tmp);
	free(sub);
	free(cpath);
	buf_release(&err);
	buf_release(&why);
}

/* rewrite: text with the secret args for secrets (space-separated), and the names declared after a ':'. */
static char *rewrite(const char *text, const char *secrets)
{
	struct buf err = BUF_INIT, out = BUF_INIT;
	struct dockerfile *df = dockerfile_parse("Dockerfile", text, strlen(text), NULL, 0, NULL, &err);
	struct strv want = {0}, names = {0};
	char *list = xstrdup(secrets);

	for (char *w = strtok(list, " "); w; w = strtok(NULL, " "))
		strv_push(&want, w);
	if (!df)
		buf_addf(&out, "error: %s", err.data);
	else if (secretargs_dockerfile(df, text, strlen(text), &want, &out, &names) == 0)
		buf_adds(&out, "(as it is)");
	buf_addc(&out, ':');
	for (size_t i = 0; i < names.n; i++)
		buf_addf(&out, " %s", names.v[i]);
	dockerfile_free(df);
	strv_release(&want);
	strv_release(&names);
	free(list);
	buf_release(&err);
	return buf_detach(&out);
}

/* The secret args: an ARG line before the first step of each needed stage that mounts a secret of the task, the
 * rest of the text as it was; the build's Dockerfile is that text, the copied one the file itself. */
static void test_secret_args(void)
{
	static const char *const cases[][3] = {
		{"FROM a\nRUN --mount=type=secret,id=T x\n", "T", "FROM a\nARG SINDRI_BUILD_SECRET_T\nRUN --mount=type=secret,id=T x\n: T"},
		{"FROM a\nRUN --mount=type=secret,id=T x\n", "U", "(as it is):"},
		{"FROM a\nRUN true\n", "T", "(as it is):"},
		/* twice in a stage: once; in another stage: again; the last line without a newline; CRLF kept */
		{"FROM a AS b\r\nRUN --mount=type=secret,id=T x\r\nRUN --mount=type=secret,target=/s/T \\\r\n"
		 " --mount=type=secret,id=U y\r\nFROM b\r\nRUN --mount=type=secret,id=T z", "T U",
		 "FROM a AS b\r\nARG SINDRI_BUILD_SECRET_T\nRUN --mount=type=secret,id=T x\r\nARG SINDRI_BUILD_SECRET_U\n"
		 "RUN --mount=type=secret,target=/s/T \\\r\n --mount=type=secret,id=U y\r\nFROM b\r\n"
		 "ARG SINDRI_BUILD_SECRET_T\nRUN --mount=type=secret,id=T z: T U"},
		/* a stage the target does not need is left alone */
		{"FROM a AS unused\nRUN --mount=type=secret,id=T x\nFROM a\nRUN true\n", "T", "(as it is):"},
	};
	struct buf err = BUF_INIT, why = BUF_INIT, got = BUF_INIT;
	const char *text = "FROM a\nRUN --mount=type=secret,id=T true\nCOPY . /x/\n";
	struct dockerfile *df = dockerfile_parse("Dockerfile", text, strlen(text), NULL, 0, NULL, &err);
	char *sub = xasprintf("%s/s", dir), *cpath = cache_path(), *tmp = xasprintf("%s.tmp", dir), *r, *path;
	struct filecache *fc = filecache_load(cpath);
	struct keyenv ke = {.rootfd = AT_FDCWD, .fc = fc, .tmpdir = tmp};
	struct strv want = {0}, names = {0};
	const char *dfarg, *ctxarg;
	struct ctxseal *cs = ctxseal_new();
	struct keyparts *kp = keyparts_new();
	struct ctxlist l;
	int fd, ctxfd;

	for (size_t i = 0; i < LEN(cases); i++) {
		r = rewrite(cases[i][0], cases[i][1]);
		CHECK_STR(r, cases[i][2]);
		free(r);
	}
	/* the Dockerfile in a context that COPY . sends whole: the file as it is there, the build's beside it */
	mk("s/Dockerfile", text);
	ctxfd = open(sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(mkdir(tmp, 0700) == 0 || errno == EEXIST);
	ctxlist_init(&l);
	strv_push(&want, "T");
	CHECK(df && secretargs_dockerfile(df, text, strlen(text), &want, &got, &names) == 1);
	ctxseal_sent_dockerfile(cs, got.data, got.len);
	CHECK(df && dockerctx_entries(df, ctxfd, NULL, NULL, NULL, &l, &err) == 0);
	path = xasprintf("%s/Dockerfile", sub);
	CHECK_INT(ctxseal_key(cs, &l, sub, df, path, text, strlen(text), kp, &ke, "t"), 0);
	CHECK_INT(ctxseal_open(cs, &ke, "t", &fd, &dfarg, &ctxarg, &why), 0);
	buf_reset(&err);
	CHECK(read_file(dfarg, &err) == 0 && err.len == got.len && memcmp(err.data, got.data, got.len) == 0);
	free(path);
	path = xasprintf("%s/Dockerfile", ctxarg);
	buf_reset(&err);
	CHECK(read_file(path, &err) == 0 && err.len == strlen(text) && memcmp(err.data, text, err.len) == 0);
	CHECK_INT(ctxseal_close(cs), 0);
	free(path);
	ctxlist_release(&l);
	ctxseal_free(cs);
	keyparts_free(kp);
	filecache_free(fc);
	dockerfile_free(df);
	strv_release(&want);
	strv_release(&names);
	close(ctxfd);
	rmdir(tmp);
	free(tmp);
	free(sub);
	free(cpath);
	buf_release(&err);
	buf_release(&why);
	buf_release(&got);
}

int main(void)
{
	const char *t = getenv("TMPDIR");
	char *cpath;

	dir = xasprintf("%s/sb-ctxseal-XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(dir))
		fatal("cannot create a temporary directory '%s':", dir);
	umask(022);
	test_links();
	test_visible();
	test_keyed_lines();
	test_tar();
	test_places();
	test_secret_args();
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	cpath = cache_path();
	unlink(cpath);
	free(cpath);
	free(dir);
	return t_done("integ_ctxseal");
}
