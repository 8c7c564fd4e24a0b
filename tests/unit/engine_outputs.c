/* engine_outputs: where outputs may be, and -t clean's removal: only what the recorded run declared, never
 * through a symlink out of the project. */
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "graph.h"
#include "hash.h"
#include "outputs.h"
#include "state.h"
#include "util.h"
#include "t.h"

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	return remove(path);
}

static char *tmpdir(void)
{
	char tmpl[] = "/tmp/sb-outputs-XXXXXX";

	if (!mkdtemp(tmpl))
		fatal("mkdtemp:");
	return xstrdup(tmpl);
}

static void put(const char *dir, const char *rel)
{
	char *path = xasprintf("%s/%s", dir, rel);

	if (write_file_atomic(path, "x", 1) < 0)
		fatal("cannot write '%s':", path);
	free(path);
}

static int there(const char *dir, const char *rel)
{
	char *path = xasprintf("%s/%s", dir, rel);
	struct stat st;
	int r = lstat(path, &st) == 0;

	free(path);
	return r;
}

static void test_check(void)
{
	struct buf why = BUF_INIT;

	CHECK_INT(outputs_check("out/a.txt", &why), 0);
	CHECK_INT(outputs_check("./out/a.txt", &why), 0);
	CHECK_INT(outputs_check("out/..a", &why), 0);
	CHECK_INT(outputs_check("a..", &why), 0);
	CHECK_INT(outputs_check("../victim.txt", &why), -1);
	CHECK(strstr(why.data, "leaves the project with '..'") != NULL);
	buf_reset(&why);
	CHECK_INT(outputs_check("out/../../x", &why), -1);
	CHECK_INT(outputs_check("out/..", &why), -1);
	buf_reset(&why);
	CHECK_INT(outputs_check("/tmp/x", &why), -1);
	CHECK(strstr(why.data, "is an absolute path") != NULL);
	CHECK_INT(outputs_check("", &why), -1);
	buf_release(&why);
}

static void test_unlink(void)
{
	char *root = tmpdir(), *outside = tmpdir();
	char *link = xasprintf("%s/out", root), *flink = xasprintf("%s/f", root);
	char *victim = xasprintf("%s/victim.txt", outside);
	struct buf why = BUF_INIT;
	int fd;

	fd = open(root, O_RDONLY | O_DIRECTORY);
	char *d = xasprintf("%s/d", root);
	if (mkdir(d, 0777) < 0)
		fatal("mkdir:");
	free(d);
	put(root, "d/a.txt");
	put(outside, "victim.txt");
	CHECK_INT(unlink_beneath(fd, "d/a.txt", &why), 1);
	CHECK(!there(root, "d/a.txt"));
	CHECK_INT(unlink_beneath(fd, "d/a.txt", &why), 0);
	CHECK_INT(unlink_beneath(fd, "nodir/a.txt", &why), 0);
	CHECK_INT(unlink_beneath(fd, "d", &why), 0); /* a directory is left */
	CHECK_INT(unlink_beneath(fd, "d/", &why), 0);
	CHECK(there(root, "d"));
	CHECK_INT(unlink_beneath(fd, "../victim.txt", &why), -1);
	/* a symlinked directory on the way is refused, even though the file it leads to exists */
	if (symlink(outside, link) < 0)
		fatal("symlink:");
	buf_reset(&why);
	CHECK_INT(unlink_beneath(fd, "out/victim.txt", &why), -1);
	CHECK(why.data && strstr(why.data, "'out' on its way is a symlink") != NULL);
	CHECK(access(victim, F_OK) == 0);
	/* an output that is a symlink itself is removed, not what it points to */
	if (symlink(victim, flink) < 0)
		fatal("symlink:");
	CHECK_INT(unlink_beneath(fd, "f", &why), 1);
	CHECK(!there(root, "f"));
	CHECK(access(victim, F_OK) == 0);
	/* a file where a directory would be: the output is not there */
	put(root, "plain");
	CHECK_INT(unlink_beneath(fd, "plain/x", &why), 0);
	close(fd);
	buf_release(&why);
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	nftw(outside, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(root);
	free(outside);
	free(link);
	free(flink);
	free(victim);
}

/* clean removes what the recorded run declared, and nothing for a run it has no list for */
static void test_clean(void)
{
	char *root = tmpdir();
	char *sdir = xasprintf("%s/.sindri-build", root);
	struct state *st = state_open(sdir, STATE_WRITE);
	struct task *t = task_new("t");
	struct taskrec rec = {0};
	int fd = open(root, O_RDONLY | O_DIRECTORY);

	put(root, "made.txt");
	put(root, "mine.txt");
	/* never run: nothing removed */
	strv_push(&t->outputs, "made.txt");
	CHECK_INT(outputs_clean(st, t, fd, 1), 0);
	CHECK(there(root, "made.txt"));
	/* run and recorded with made.txt */
	t->key = hash_bytes("k1", 2);
	CHECK_INT(outputs_record(st, t), 0);
	rec.name = "t";
	rec.key = t->key;
	CHECK_INT(state_record(st, &rec), 0);
	/* the recipe now says mine.txt: clean removes what the run made, not what is declared now */
	strv_release(&t->outputs);
	strv_push(&t->outputs, "mine.txt");
	CHECK_INT(outputs_clean(st, t, fd, 1), 0);
	CHECK(!there(root, "made.txt"));
	CHECK(there(root, "mine.txt"));
	/* a list kept for another key (a run whose record did not land) is not the record's */
	put(root, "made.txt");
	t->key = hash_bytes("k2", 2);
	strv_release(&t->outputs);
	strv_push(&t->outputs, "made.txt");
	CHECK_INT(outputs_record(st, t), 0);
	CHECK_INT(outputs_clean(st, t, fd, 1), 0);
	CHECK(there(root, "made.txt"));
	close(fd);
	task_free(t);
	state_close(st);
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(root);
	free(sdir);
}

int main(void)
{
	test_check();
	test_unlink();
	test_clean();
	return t_done("engine_outputs");
}
