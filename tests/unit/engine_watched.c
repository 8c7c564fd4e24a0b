/* engine_watched: the engine's seam for file watching (engine/watched.h) with a fake watcher, no process and no
 * Docker: what a run asks with, when its walks take stat data from the stat cache instead of calling stat, when
 * that ends (engine/trust.h), and when a token is put on record. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "filecache.h"
#include "fileset.h"
#include "t.h"
#include "trust.h"
#include "util.h"
#include "watched.h"

#define TOKEN_FILE ".sb/watch"
#define CACHE_FILE ".sb/files"

/* A watcher that answers what the test says, and remembers what it was asked. */
struct fake {
	struct watcher w;
	enum watch_kind kind; /* its next answer */
	char give[WATCH_TOKEN_MAX];
	int watch_says;       /* what watch answers: 1 recorded, 0 walk */
	char asked_with[WATCH_TOKEN_MAX], watched_with[WATCH_TOKEN_MAX];
	int asks, watches, closes;
	struct buf paths;     /* what it was asked to watch */
};

static int f_ask(struct watcher *w, const struct watch_root *root, const char *token)
{
	struct fake *f = (struct fake *)w;

	CHECK(root->path[0] == '/');
	snprintf(f->asked_with, sizeof(f->asked_with), "%s", token);
	f->asks++;
	return 0;
}

static int f_answer(struct watcher *w, struct watch_changes *out)
{
	struct fake *f = (struct fake *)w;

	out->kind = f->kind;
	snprintf(out->token, sizeof(out->token), "%s", f->give);
	out->room = 1000;
	if (f->kind == WATCH_PATHS)
		buf_adds(&out->paths, "src/a.txt\n");
	return 0;
}

static int f_watch(struct watcher *w, const struct watch_root *root, const char *token, const struct buf *paths)
{
	struct fake *f = (struct fake *)w;

	(void)root;
	snprintf(f->watched_with, sizeof(f->watched_with), "%s", token);
	buf_reset(&f->paths);
	if (paths->len)
		buf_add(&f->paths, paths->data, paths->len);
	f->watches++;
	return f->watch_says;
}

static void f_close(struct watcher *w)
{
	((struct fake *)w)->closes++;
}

static const struct watcher_ops fake_ops = {f_ask, f_answer, f_watch, f_close};

/* A run's walk of src/ with the watcher's answer: stat calls it made and stats spared, as -d stats counts them. */
struct run {
	size_t stats, known, files;
	int clean;
};

static struct run run(struct fake *f, struct trust *t, int task_first, int writes)
{
	struct watched wt;
	struct filecache *fc = filecache_load(CACHE_FILE);
	struct fileset fs = {0};
	struct buf err = BUF_INIT;
	const char *pat = "src/";
	struct run r = {0};

	watched_init(&wt);
	watched_ask(&wt, &f->w, TOKEN_FILE, CACHE_FILE);
	watched_answer(&wt, fc, t);
	if (task_first)
		trust_task_started(t); /* a task ran before the walk: it may have changed anything */
	CHECK_INT(fileset_expand_cached(&fs, AT_FDCWD, &pat, 1, NULL, 0, fc, NULL, 0, &err), 0);
	if (task_first)
		trust_task_ended(t);
	r.files = fs.n;
	r.clean = wt.clean;
	filecache_walk_stats(fc, &r.stats, &r.known);
	if (writes) {
		watched_record(&wt, fc);
		CHECK_INT(filecache_save(fc, CACHE_FILE, AT_FDCWD), 0);
		watched_commit(&wt, fc);
	}
	fileset_release(&fs);
	buf_release(&err);
	filecache_free(fc);
	wt.w = NULL; /* the fake is the test's */
	watched_release(&wt);
	return r;
}

static void put(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	CHECK(fp != NULL);
	if (fp) {
		fputs(text, fp);
		fclose(fp);
	}
}

static void test_seam(void)
{
	struct fake f = {.w = {&fake_ops}, .kind = WATCH_ALL, .give = "a-1", .watch_says = 1, .paths = BUF_INIT};
	struct trust t = TRUST_INIT;
	struct run r;

	size_t full;

	r = run(&f, &t, 0, 1);
	full = r.stats; /* what a walk of src/ stats */
	CHECK_STR(f.asked_with, ""); /* no token on record yet */
	CHECK(!r.clean && r.stats > 0 && r.known == 0);
	CHECK_INT(r.files, 3);
	CHECK_INT(f.watches, 1);
	/* a cold run (the stat cache was empty): told to watch what it used, not asked to vouch, nothing recorded */
	CHECK_STR(f.watched_with, "");
	CHECK(strstr(f.paths.data, "src/a.txt\n") && strstr(f.paths.data, "src/sub/b.txt\n") &&
	      strstr(f.paths.data, "src/sub/\n"));
	CHECK(access(TOKEN_FILE, F_OK) < 0);

	/* the run after it: the token its answer gave is vouched for, and put on record */
	buf_reset(&f.paths);
	r = run(&f, &t, 0, 1);
	CHECK(!r.clean && r.stats > 0 && r.known == 0);
	CHECK_INT(f.watches, 2);
	CHECK_STR(f.watched_with, "a-1");
	CHECK(strstr(f.paths.data, "src/a.txt\n") != NULL);
	struct buf rec = BUF_INIT;
	CHECK_INT(read_file(TOKEN_FILE, &rec), 0);
	CHECK(rec.data && strncmp(rec.data, "a-1 ", 4) == 0);
	buf_release(&rec);

	/* nothing changed since w-1: every stat is taken from the cache */
	f.kind = WATCH_NONE;
	snprintf(f.give, sizeof(f.give), "a-2");
	r = run(&f, &t, 0, 1);
	CHECK_STR(f.asked_with, "a-1");
	CHECK(r.clean);
	CHECK_INT(r.stats, 0);
	CHECK_INT(r.known, full);
	CHECK_INT(r.files, 3);
	CHECK_INT(f.watches, 2); /* a run that stat'ed nothing asks nothing more */

	/* a read-only run is vouched for too, and writes nothing */
	struct stat before, after;
	CHECK_INT(stat(TOKEN_FILE, &before), 0);
	r = run(&f, &t, 0, 0);
	CHECK(r.clean && r.stats == 0);
	CHECK_INT(stat(TOKEN_FILE, &after), 0);
	CHECK(before.st_mtim.tv_nsec == after.st_mtim.tv_nsec && before.st_ino == after.st_ino);

	/* a task started before the walk: the vouch is over, every path is stat'ed */
	r = run(&f, &t, 1, 0);
	CHECK(r.clean);
	CHECK_INT(r.known, 0);
	CHECK_INT(r.stats, full);

	/* the watcher lists a changed path, or knows nothing: the walk stats everything and finds the edit */
	put("src/a.txt", "a2, longer");
	f.kind = WATCH_PATHS;
	snprintf(f.give, sizeof(f.give), "a-3");
	r = run(&f, &t, 0, 1);
	CHECK(!r.clean && r.known == 0 && r.stats == full);
	CHECK_STR(f.watched_with, "a-3");
	CHECK_INT(read_file(TOKEN_FILE, &rec), 0);
	CHECK(rec.data && strncmp(rec.data, "a-3 ", 4) == 0);
	buf_release(&rec);

	/* the watcher cannot vouch for what it was given: the token on record is removed */
	f.kind = WATCH_ALL;
	f.watch_says = 0;
	r = run(&f, &t, 0, 1);
	CHECK(!r.clean);
	CHECK(access(TOKEN_FILE, F_OK) < 0);
	f.watch_says = 1;
	r = run(&f, &t, 0, 1);
	CHECK(access(TOKEN_FILE, F_OK) == 0);

	/* a stat cache put back from elsewhere: the token on record does not go with it and is not sent */
	CHECK_INT(system("cp .sb/files .sb/files.old && rm .sb/files && cp .sb/files.old .sb/files"), 0);
	f.kind = WATCH_NONE;
	r = run(&f, &t, 0, 0);
	CHECK_STR(f.asked_with, "");
	CHECK(!r.clean && r.known == 0);

	/* a run without a watcher walks in full */
	struct watched wt;
	watched_init(&wt);
	watched_ask(&wt, NULL, TOKEN_FILE, CACHE_FILE);
	CHECK(!wt.asked);
	watched_release(&wt);
	CHECK_INT(f.closes, 0);
	buf_release(&f.paths);
}

static void test_trust(void)
{
	struct trust t = TRUST_INIT;
	unsigned long a = trust_stretch(&t), b;

	CHECK(a != 0);
	CHECK_INT(trust_stretch(&t), a); /* nothing happened: the same stretch */
	trust_task_started(&t);
	trust_body_started(&t);          /* its Lua run function */
	CHECK_INT(trust_stretch(&t), 0); /* nothing holds while a task runs */
	CHECK_INT(trust_pause(&t), 1);   /* a nested build from that task */
	b = trust_stretch(&t);
	CHECK(b != 0 && b != a);
	trust_resume(&t, 1);
	CHECK_INT(trust_stretch(&t), 0);
	trust_body_ended(&t);
	trust_task_ended(&t);
	CHECK(trust_stretch(&t) != 0 && trust_stretch(&t) != b);
	b = trust_stretch(&t);
	trust_changed(&t); /* a recipe command ran */
	CHECK(trust_stretch(&t) != b);
	CHECK_INT(trust_stretch(NULL), 0); /* no trust: nothing is kept */
}

int main(void)
{
	char dir[] = "/tmp/sb-watched-XXXXXX";

	if (!mkdtemp(dir) || chdir(dir) < 0)
		fatal("cannot make a test directory:");
	if (mkdir(".sb", 0755) < 0 || mkdir("src", 0755) < 0 || mkdir("src/sub", 0755) < 0)
		fatal("mkdir:");
	put("src/a.txt", "a");
	put("src/b.txt", "b");
	put("src/sub/b.txt", "b");
	test_trust();
	test_seam();
	if (chdir("/") == 0) {
		char cmd[64];
		snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", dir);
		CHECK_INT(system(cmd), 0);
	}
	return t_done("engine_watched");
}
