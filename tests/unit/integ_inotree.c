/* integ_inotree: the watcher's core (watch/inotree.h) on a real tree: what it vouches for, what it lists as changed,
 * and what it refuses. t0013 tests the same through runs and the watcher process. */
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "inotree.h"
#include "t.h"
#include "util.h"
#include "watched.h"

static char proj[64];

static const char *const kinds[] = {"none", "paths", "all"};

/* since: the answer's kind for proj since token; the paths it lists in *paths (when not NULL), its token in now. */
static const char *since(struct inotree *t, const char *token, char *now, struct buf *paths)
{
	struct watch_changes ch = {WATCH_ALL, BUF_INIT, "", 0};
	struct watch_root r = {proj, 0, 0};
	struct stat st;

	CHECK_INT(stat(proj, &st), 0);
	r.dev = (uint64_t)st.st_dev;
	r.ino = (uint64_t)st.st_ino;
	inotree_since(t, &r, token, &ch);
	if (now)
		snprintf(now, WATCH_TOKEN_MAX, "%s", ch.token);
	if (paths) {
		buf_reset(paths);
		if (ch.paths.len)
			buf_add(paths, ch.paths.data, ch.paths.len);
	}
	buf_release(&ch.paths);
	return kinds[ch.kind];
}

/* watch: 1 when every path was watched already and nothing changed since token. */
static int watch(struct inotree *t, const char *token, const char *lines)
{
	struct watch_root r = {proj, 0, 0};
	struct stat st;

	CHECK_INT(stat(proj, &st), 0);
	r.dev = (uint64_t)st.st_dev;
	r.ino = (uint64_t)st.st_ino;
	return inotree_watch(t, &r, token, lines, strlen(lines));
}

static void write_text(const char *rel, const char *text)
{
	char path[192];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", proj, rel);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* replace_kept: replace the file rel by a new one of text, renamed over it, its old inode kept alive by the link
 * keep (both below the project; keep's absolute path into keep_abs, for its removal). */
static void replace_kept(const char *rel, const char *keep, const char *text, char *keep_abs, size_t size)
{
	char old[256], fresh[256], fresh_rel[128];

	snprintf(old, sizeof(old), "%s/%s", proj, rel);
	snprintf(keep_abs, size, "%s/%s", proj, keep);
	snprintf(fresh_rel, sizeof(fresh_rel), "%s.new", rel);
	snprintf(fresh, sizeof(fresh), "%s/%s", proj, fresh_rel);
	CHECK_INT(link(old, keep_abs), 0);
	write_text(fresh_rel, text);
	CHECK_INT(rename(fresh, old), 0);
}

static void mkdir_in(const char *rel)
{
	char path[192];

	snprintf(path, sizeof(path), "%s/%s", proj, rel);
	CHECK_INT(mkdir(path, 0755), 0);
}

static int local(void)
{
	struct statfs sf;

	CHECK_INT(statfs(proj, &sf), 0);
	return sf.f_type == EXT4_SUPER_MAGIC || sf.f_type == XFS_SUPER_MAGIC || sf.f_type == BTRFS_SUPER_MAGIC ||
	       sf.f_type == TMPFS_MAGIC;
}

static void test_tree(void)
{
	struct inotree *t = inotree_new(0), *other = inotree_new(0);
	char t1[WATCH_TOKEN_MAX], t2[WATCH_TOKEN_MAX], tx[WATCH_TOKEN_MAX];
	const char *lines = "src/\nsrc/a.txt\nsrc/sub/b.txt\n";
	struct buf paths = BUF_INIT;

	CHECK(t != NULL && other != NULL);
	if (!t || !other)
		return;
	mkdir_in("src");
	mkdir_in("src/sub");
	write_text("src/a.txt", "a");
	write_text("src/sub/b.txt", "b");

	CHECK_STR(since(t, "", t1, NULL), "all"); /* nothing watched, no token */
	CHECK(t1[0] != '\0');
	if (!local()) {
		/* a file system inotify cannot vouch for: never anything but a full walk */
		CHECK_INT(watch(t, t1, lines), 0);
		CHECK_STR(since(t, t1, t2, NULL), "all");
		CHECK_INT(watch(t, t2, lines), 0);
		goto out;
	}
	CHECK_INT(watch(t, t1, lines), 0); /* watched only now */
	CHECK_STR(since(t, t1, t2, NULL), "all");
	CHECK_INT(watch(t, t2, lines), 1); /* all watched before t2, nothing since */
	CHECK_STR(since(t, t2, tx, NULL), "none");
	CHECK_STR(since(other, t2, NULL, NULL), "all"); /* another watcher: its counts mean nothing */
	CHECK_STR(since(t, "0123456789abcdef-99999", NULL, NULL), "all");

	/* an edit is listed by its path, and only it */
	write_text("src/sub/b.txt", "b2");
	CHECK_STR(since(t, t2, t1, &paths), "paths");
	CHECK_STR(paths.data, "src/sub/b.txt\n");
	CHECK_INT(watch(t, t1, lines), 1);
	CHECK_STR(since(t, t1, NULL, NULL), "none");
	/* a write after the run's question, before its watch request: what the run saw may be stale */
	CHECK_STR(since(t, t1, t2, NULL), "none");
	write_text("src/sub/b.txt", "b3");
	CHECK_INT(watch(t, t2, lines), 0);
	CHECK_STR(since(t, t2, t1, NULL), "paths");
	/* a new file in a walked directory is listed; a file written beside it in an unwalked one is not watched */
	CHECK_INT(watch(t, t1, lines), 1);
	write_text("src/new.txt", "n");
	CHECK_STR(since(t, t1, t2, &paths), "paths");
	CHECK_STR(paths.data, "src/new.txt\n");
	CHECK_INT(watch(t, t2, lines), 1);
	write_text("beside.txt", "x"); /* in the root, which is only on the way to src/ */
	CHECK_STR(since(t, t2, NULL, NULL), "none");

	/* a file replaced under its name by a rename, its old inode kept alive by a link elsewhere (so no watch goes
	 * away with it): the next request watches the new file, though its path was watched and is asked for again */
	char keep[192];
	replace_kept("src/a.txt", "kept-a.txt", "new a", keep, sizeof(keep));
	CHECK_STR(since(t, t2, t1, NULL), "paths");
	CHECK_INT(watch(t, t1, lines), 0); /* the new inode was not watched before t1 */
	CHECK_STR(since(t, t1, t2, NULL), "all");
	CHECK_INT(watch(t, t2, lines), 1);
	write_text("src/a.txt", "edited new a");
	CHECK_STR(since(t, t2, t1, &paths), "paths"); /* a write to the new file is seen */
	CHECK(strstr(paths.data ? paths.data : "", "src/a.txt\n") != NULL);
	/* the old inode's last name gone: its watch's removal takes every watch by that name, so the next request
	 * watches the file again (not vouched for), and the one after vouches */
	CHECK_INT(unlink(keep), 0);
	CHECK(strcmp(since(t, t1, t2, NULL), "none") != 0);
	CHECK_INT(watch(t, t2, lines), 0);
	CHECK_STR(since(t, t2, t1, NULL), "all");
	CHECK_INT(watch(t, t1, lines), 1);
	CHECK_STR(since(t, t1, t2, NULL), "none");

	/* what it cannot watch, it does not vouch for */
	CHECK_INT(watch(t, t2, "../elsewhere.txt\n"), 0);
	CHECK_INT(watch(t, t2, "src/missing.txt\n"), 0);
	char link[192];
	snprintf(link, sizeof(link), "%s/src/link.txt", proj);
	CHECK_INT(symlink("a.txt", link), 0);
	CHECK_INT(watch(t, t2, "src/link.txt\n"), 0);
	CHECK_INT(unlink(link), 0);
	CHECK_STR(since(t, t2, t1, NULL), "all"); /* the refusals above end what t2 spoke for */
	CHECK_INT(watch(t, t1, lines), 1);
	CHECK_STR(since(t, t1, NULL, NULL), "none");
	/* more paths than a watcher takes: refused at once, nothing watched, and what was vouched for stays so */
	struct buf many = BUF_INIT;
	struct watch_changes ch = {WATCH_ALL, BUF_INIT, "", 0};
	struct watch_root root = {proj, 0, 0};
	struct stat pst;
	CHECK_INT(stat(proj, &pst), 0);
	root.dev = (uint64_t)pst.st_dev;
	root.ino = (uint64_t)pst.st_ino;
	inotree_since(t, &root, t1, &ch);
	CHECK(ch.room > 0);
	for (size_t i = 0; i <= ch.room; i++) /* one more than it takes */
		buf_addf(&many, "src/f%zu.txt\n", i);
	buf_release(&ch.paths);
	CHECK_INT(inotree_watch(t, &root, t1, many.data, many.len), 0);
	CHECK_STR(since(t, t1, NULL, NULL), "none");
	buf_release(&many);
	/* a directory moved away takes what was under it: anything below it may have changed */
	char from[192], to[192];
	snprintf(from, sizeof(from), "%s/src/sub", proj);
	snprintf(to, sizeof(to), "%s/moved", proj);
	CHECK_INT(rename(from, to), 0);
	CHECK_STR(since(t, t1, NULL, &paths), "paths");
	CHECK(strstr(paths.data ? paths.data : "", "src/sub\n") != NULL);
out:
	buf_release(&paths);
	inotree_free(t);
	inotree_free(other);
}

/* settle: watch lines from no token on until the watcher vouches for them (the first request only watches, the
 * second finds them all watched and nothing changed); the token that vouches into tok. */
static void settle(struct inotree *t, const char *lines, char *tok)
{
	char t1[WATCH_TOKEN_MAX];

	CHECK_STR(since(t, "", t1, NULL), "all");
	CHECK_INT(watch(t, t1, lines), 0);
	CHECK_STR(since(t, t1, tok, NULL), "all");
	CHECK_INT(watch(t, tok, lines), 1);
	CHECK_STR(since(t, tok, NULL, NULL), "none");
}

/* sliced: begin a sliced request (watchd.c's for a first run's paths) for lines under proj. */
static struct inotree_job *sliced(struct inotree *t, const char *lines)
{
	struct watch_root r = {proj, 0, 0};
	struct stat st;

	CHECK_INT(stat(proj, &st), 0);
	r.dev = (uint64_t)st.st_dev;
	r.ino = (uint64_t)st.st_ino;
	return inotree_watch_begin(t, &r, "", lines, strlen(lines), 1);
}

/* test_sliced: a request taken a slice at a time answers the questions in between with "anything", and ends where
 * the same request taken at once would: a token given while it added watches speaks for nothing after it. */
static void test_sliced(void)
{
	struct inotree *t = inotree_new(0);
	char t1[WATCH_TOKEN_MAX], t2[WATCH_TOKEN_MAX];
	const char *lines = "sl/\nsl/a.txt\n";
	const char *more = "sl/\nsl/a.txt\nsl/b.txt\nsl/c.txt\nsl/d/\nsl/d/e.txt\n";
	struct inotree_job *j;

	if (!t || !local()) {
		inotree_free(t);
		return;
	}
	mkdir_in("sl");
	mkdir_in("sl/d");
	write_text("sl/a.txt", "a");
	write_text("sl/b.txt", "b");
	write_text("sl/c.txt", "c");
	write_text("sl/d/e.txt", "e");
	settle(t, lines, t2);

	/* new paths, a slice at a time: no token speaks for the root from the begin on, nor one given in between */
	j = sliced(t, more);
	CHECK(j != NULL);
	if (!j)
		goto out;
	CHECK_STR(since(t, t2, t1, NULL), "all");
	CHECK_INT(inotree_watch_step(t, j, 1), 0);
	CHECK_STR(since(t, t2, NULL, NULL), "all");
	while (!inotree_watch_step(t, j, 2))
		;
	CHECK_INT(inotree_watch_end(t, j), 0); /* a first run's request records nothing */
	CHECK_INT(watch(t, t1, more), 0);       /* t1 was given before the job's new watches */
	CHECK_STR(since(t, t1, t2, NULL), "all");
	CHECK_INT(watch(t, t2, more), 1);
	CHECK_STR(since(t, t2, NULL, NULL), "none");

	/* paths all watched already: a token given in between speaks for them once the job ends */
	j = sliced(t, more);
	CHECK_STR(since(t, t2, t1, NULL), "all");
	while (j && !inotree_watch_step(t, j, 1))
		;
	if (j)
		CHECK_INT(inotree_watch_end(t, j), 0);
	CHECK_INT(watch(t, t1, more), 1);
	CHECK_STR(since(t, t1, NULL, NULL), "none");

	/* a write while the job goes on: the token given before it speaks for nothing */
	j = sliced(t, more);
	CHECK_STR(since(t, t1, t2, NULL), "all");
	CHECK_INT(j ? inotree_watch_step(t, j, 1) : 1, 0);
	write_text("sl/d/e.txt", "e2");
	while (j && !inotree_watch_step(t, j, 1))
		;
	if (j)
		CHECK_INT(inotree_watch_end(t, j), 0);
	CHECK_INT(watch(t, t2, more), 0);
	CHECK_STR(since(t, t2, t1, NULL), "paths");

	/* refused (a path outside the root): the job ends at once, and no token speaks for the root */
	CHECK_INT(watch(t, t1, more), 1);
	j = sliced(t, "sl/a.txt\n../outside.txt\n");
	CHECK_INT(j ? inotree_watch_step(t, j, SIZE_MAX) : 1, 1);
	if (j)
		CHECK_INT(inotree_watch_end(t, j), 0);
	CHECK_STR(since(t, t1, NULL, NULL), "all");
out:
	inotree_free(t);
}

/* test_overflow: events lost to a full queue may hide a file replaced under its name, so after an overflow every
 * path asked for is looked at again: the replaced file's new inode is watched, not vouched for at once. */
static void test_overflow(void)
{
	struct inotree *t = inotree_new(0);
	char t1[WATCH_TOKEN_MAX], t2[WATCH_TOKEN_MAX], path[192], keep[192];
	const char *lines = "ov/\nov/a.txt\n";
	struct buf lim = BUF_INIT;
	unsigned long max = 16384;

	if (!t || !local()) {
		inotree_free(t);
		return;
	}
	if (read_file("/proc/sys/fs/inotify/max_queued_events", &lim) == 0)
		max = strtoul(lim.data, NULL, 10);
	buf_release(&lim);
	mkdir_in("ov");
	mkdir_in("ov/many");
	write_text("ov/a.txt", "a");
	CHECK_STR(since(t, "", t1, NULL), "all");
	CHECK_INT(watch(t, t1, "ov/\nov/a.txt\nov/many/\n"), 0);
	CHECK_STR(since(t, t1, t2, NULL), "all");
	CHECK_INT(watch(t, t2, lines), 1);
	/* the queue overflows (a file made for each event it holds, and more), then a.txt is replaced, its old inode
	 * kept alive by a link outside: the events of the replacement are among those lost */
	for (unsigned long i = 0; i <= max + 16; i++) {
		snprintf(path, sizeof(path), "ov/many/f%lu", i);
		write_text(path, "");
	}
	replace_kept("ov/a.txt", "kept-ov-a.txt", "new", keep, sizeof(keep));
	CHECK_STR(since(t, t2, t1, NULL), "all");
	CHECK_INT(watch(t, t1, lines), 0); /* the new inode is watched only now */
	CHECK_STR(since(t, t1, t2, NULL), "all");
	CHECK_INT(watch(t, t2, lines), 1);
	write_text("ov/a.txt", "edited");
	CHECK_STR(since(t, t2, NULL, NULL), "paths");
	inotree_free(t);
}


/* test_widened: a directory watched only as one above (renames) and then walked: the events it gains are new. */
static void test_widened(void)
{
	struct inotree *t = inotree_new(0);
	char t2[WATCH_TOKEN_MAX], t3[WATCH_TOKEN_MAX];

	if (!t || !local()) {
		inotree_free(t);
		return;
	}
	mkdir_in("wa");
	mkdir_in("wa/b");
	write_text("wa/b/1.txt", "1");
	settle(t, "wa/b/\nwa/b/1.txt\n", t2);
	CHECK_STR(since(t, t2, t3, NULL), "none");
	/* a run walks wa/ after its question (finding no file), then a file is made there before it asks to watch wa/ */
	write_text("wa/x.txt", "x");
	CHECK_INT(watch(t, t3, "wa/\nwa/b/\nwa/b/1.txt\n"), 0);
	CHECK_STR(since(t, t3, NULL, NULL), "all");
	inotree_free(t);
}

int main(void)
{
	snprintf(proj, sizeof(proj), "/tmp/sb-inotree.XXXXXX");
	if (!mkdtemp(proj))
		fatal("mkdtemp:");
	test_tree();
	test_sliced();
	test_widened();
	test_overflow();
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", proj);
	CHECK_INT(system(cmd), 0);
	return t_done("integ_inotree");
}
