/* tengine.h: what the engine's unit tests share: a project in a temporary directory, a fake task type (struct
 * task_ops with no Lua and no Docker behind it) that logs what the engine asked of it, a build of named targets,
 * and stderr captured to check an error message. Include after t.h. */
#ifndef SB_TENGINE_H
#define SB_TENGINE_H

#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "filecache.h"
#include "graph.h"
#include "key.h"
#include "proc.h"
#include "state.h"
#include "util.h"

#define TSTATE ".sindri-build"

/* What one fake task is and does (its udata). */
struct fake {
	char *part;         /* the value of its own key part "fake:part" (add_key): changing it changes the key */
	int status;         /* the exit status its in-process run returns */
	char *writes;       /* a file its run writes (its output), or NULL */
	char *touches;      /* a file its run changes (one of its own inputs: the run is not to be trusted), or NULL */
	int checks;         /* ops->check answers "present" below (else the type has no results of its own) */
	int present;        /* check: its results are in place */
	struct hash128 has; /* the fake keyed type: the key its results carry (check answers whether it is t->key) */
	int recorded_at_run; /* its run found its new key recorded already (the engine recorded before success) */
};

/* The log of what fake tasks did, "run:NAME" in order, and how many of their jobs were live at once. */
static struct strv tlog;
static int tlive, tmaxlive;
static const struct state *trun_state; /* the state the running build has open, for recorded_at_run */

static inline void fake_key(struct task *t, struct keyparts *kp)
{
	keyparts_addstr(kp, "fake:part", ((struct fake *)t->udata)->part);
}

static inline int fake_add_key(struct task *t, struct keyparts *kp, const struct keyenv *ke)
{
	(void)ke;
	fake_key(t, kp);
	return 0;
}

static inline int fake_check(struct task *t, const struct keyenv *ke, struct buf *why)
{
	struct fake *f = t->udata;

	(void)ke;
	if (!f->checks)
		return 1;
	if (!f->present)
		buf_adds(why, "the fake results are gone");
	return f->present;
}

static inline int fake_keyed_check(struct task *t, const struct keyenv *ke, struct buf *why)
{
	struct fake *f = t->udata;

	(void)ke;
	if (hash_eq(&f->has, &t->key))
		return 1;
	buf_adds(why, "no fake result carries the key");
	return 0;
}

/* fake_prepare, fake_finish: bracket every run the scheduler starts, so the test sees how many overlap. */
static inline int fake_prepare(struct task *t, const struct keyenv *ke)
{
	(void)t, (void)ke;
	if (++tlive > tmaxlive)
		tmaxlive = tlive;
	return 0;
}

static inline void fake_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		fatal("cannot write '%s':", path);
	fputs(text, f);
	fclose(f);
}

static inline int fake_finish(struct task *t, const struct keyenv *ke)
{
	(void)ke;
	tlive--;
	if (t->run == RUN_SHELL) {
		struct buf b = BUF_INIT;
		buf_addf(&b, "run:%s", t->name);
		strv_push(&tlog, b.data);
		buf_release(&b);
	}
	return 0;
}

static inline int fake_run(struct task *t)
{
	struct fake *f = t->udata;
	const struct taskrec *rec = trun_state ? state_get(trun_state, t->name) : NULL;
	struct buf b = BUF_INIT;

	f->recorded_at_run = rec && hash_eq(&rec->key, &t->key);
	buf_addf(&b, "run:%s", t->name);
	strv_push(&tlog, b.data);
	buf_release(&b);
	if (f->writes)
		fake_write(f->writes, t->name);
	if (f->touches)
		fake_write(f->touches, "changed while it ran");
	if (f->status)
		tlive--; /* finish is called for a success only */
	return f->status;
}

static inline void fake_release(struct task *t)
{
	struct fake *f = t->udata;

	if (!f)
		return;
	free(f->part);
	free(f->writes);
	free(f->touches);
	free(f);
	t->udata = NULL;
}

static const struct task_ops fake_ops = {
	.kind = "fake",
	.add_key = fake_add_key,
	.check = fake_check,
	.prepare = fake_prepare,
	.run = fake_run,
	.finish = fake_finish,
	.release = fake_release,
};

/* The same type whose results carry their key (an image's label): current without our record when they are there. */
static const struct task_ops fake_keyed_ops = {
	.kind = "fake-keyed",
	.keyed_check = 1,
	.add_key = fake_add_key,
	.check = fake_keyed_check,
	.prepare = fake_prepare,
	.run = fake_run,
	.finish = fake_finish,
	.release = fake_release,
};

/* fake_task: add an in-process fake task name to g depending on the space-separated deps (NULL: none). */
static inline struct task *fake_task(struct graph *g, const char *name, const char *deps)
{
	struct task *t = task_new(name);
	struct fake *f = xcalloc(1, sizeof(*f));
	char *dv = deps ? xstrdup(deps) : NULL;

	f->part = xstrdup("v1");
	t->defn = xasprintf("fake task %s", name);
	t->where = xstrdup("test.lua:1");
	t->ops = &fake_ops;
	t->udata = f;
	t->run = RUN_FUNC;
	for (char *p = dv ? strtok(dv, " ") : NULL; p; p = strtok(NULL, " "))
		strv_push(&t->deps, p);
	free(dv);
	if (graph_add(g, t) < 0)
		fatal("cannot add task '%s'", name);
	return t;
}

/* fake_keyed: make t of the fake type whose results carry their key. */
static inline void fake_keyed(struct task *t)
{
	t->ops = &fake_keyed_ops;
}

static inline struct fake *fake_of(const struct graph *g, const char *name)
{
	struct task *t = graph_find(g, name);

	if (!t)
		fatal("no task '%s'", name);
	return t->udata;
}

/* fake_set_part: change the value of a fake task's own key part. */
static inline void fake_set_part(const struct graph *g, const char *name, const char *value)
{
	struct fake *f = fake_of(g, name);

	free(f->part);
	f->part = xstrdup(value);
}

/* tlog_take: the log as one space-separated line (malloc'd), then emptied. */
static inline char *tlog_take(void)
{
	struct buf b = BUF_INIT;

	buf_adds(&b, "");
	for (size_t i = 0; i < tlog.n; i++)
		buf_addf(&b, "%s%s", i ? " " : "", tlog.v[i]);
	strv_release(&tlog);
	return buf_detach(&b);
}

#define CHECK_LOG(want) \
	do { \
		char *t_log = tlog_take(); \
		CHECK_STR(t_log, want); \
		free(t_log); \
	} while (0)

/* tbuild: bring the space-separated targets up to date, as the command line does (the state locked for writing,
 * read-only for a dry run). Returns build_run's exit code. */
static inline int tbuild_opts(struct graph *g, const char *targets, const struct build_opts *o)
{
	struct keyenv ke = {.rootfd = AT_FDCWD, .tmpdir = TSTATE};
	struct task **v = NULL;
	size_t n = 0;
	char *tv = xstrdup(targets);
	struct state *st;
	int ret;

	for (char *p = strtok(tv, " "); p; p = strtok(NULL, " ")) {
		v = xreallocarray(v, n + 1, sizeof(*v));
		if (!(v[n++] = graph_find(g, p)))
			fatal("no target '%s'", p);
	}
	free(tv);
	st = state_open(TSTATE, o->dry_run ? 0 : STATE_WRITE);
	if (!st)
		fatal("cannot open the state");
	ke.fc = filecache_load(TSTATE "/files");
	ke.readonly = o->dry_run;
	trun_state = st;
	tlive = tmaxlive = 0;
	ret = build_run(g, v, n, st, &ke, o);
	trun_state = NULL;
	state_close(st);
	filecache_free(ke.fc);
	free(v);
	return ret;
}

static inline int tbuild(struct graph *g, const char *targets)
{
	struct build_opts o = {.jobs = 2, .quiet = 1};

	return tbuild_opts(g, targets, &o);
}

/* trecorded: 1 when the state holds a record of name under the task's current key, 0 when under another key, -1
 * when it has none. */
static inline int trecorded(const struct graph *g, const char *name)
{
	struct state *st = state_open(TSTATE, 0);
	const struct taskrec *rec = st ? state_get(st, name) : NULL;
	int r = !rec ? -1 : hash_eq(&rec->key, &graph_find(g, name)->key);

	state_close(st);
	return r;
}

/* tproject: a fresh temporary directory, made the current one; tproject_end removes it. */
static char tproject_dir[64];

static inline void tproject(void)
{
	snprintf(tproject_dir, sizeof(tproject_dir), "/tmp/sb-engine-XXXXXX");
	if (!mkdtemp(tproject_dir) || chdir(tproject_dir) < 0)
		fatal("cannot make a project directory:");
}

static inline int trm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	return remove(path);
}

static inline void tproject_end(void)
{
	if (chdir("/") < 0)
		fatal("chdir /:");
	nftw(tproject_dir, trm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* tcapture_begin, tcapture_end: what is written to stderr in between, into out. */
static int tcapture_fd = -1, tcapture_saved = -1;

static inline void tcapture_begin(void)
{
	char path[] = "/tmp/sb-engine-err-XXXXXX";

	fflush(stderr);
	tcapture_fd = mkstemp(path);
	if (tcapture_fd < 0)
		fatal("mkstemp:");
	unlink(path);
	tcapture_saved = dup(2);
	dup2(tcapture_fd, 2);
}

static inline void tcapture_end(struct buf *out)
{
	char chunk[4096];
	ssize_t n;

	fflush(stderr);
	dup2(tcapture_saved, 2);
	close(tcapture_saved);
	lseek(tcapture_fd, 0, SEEK_SET);
	while ((n = read(tcapture_fd, chunk, sizeof(chunk))) > 0)
		buf_add(out, chunk, (size_t)n);
	close(tcapture_fd);
	if (!out->data)
		buf_adds(out, "");
}

#endif
