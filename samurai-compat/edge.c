/* edge: one task, alone, for an external scheduler: decide by its key, run it, record it, leave stamp and depfile. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "compat.h"
#include "depfile.h"
#include "edge.h"
#include "filecache.h"
#include "graph.h"
#include "key.h"
#include "ninja.h"
#include "proc.h"
#include "state.h"
#include "status.h"
#include "trust.h"
#include "util.h"

enum { MARK_KEYED = 1 }; /* in task.mark: the key a dependent sees is set */

/* stamp_key: the key in t's stamp. 0, or -1 when there is no readable stamp. */
static int stamp_key(const struct task *t, struct hash128 *key)
{
	char *path = ninja_stamp(t->name, "stamp");
	struct buf b = BUF_INIT;
	int r = read_file(path, &b) < 0 || b.len < HASH_HEX_LEN ? -1 : 0;

	if (r == 0) {
		b.data[HASH_HEX_LEN] = '\0';
		r = hash_parse(b.data, key);
	}
	buf_release(&b);
	free(path);
	return r;
}

/* dep_key: the key t's dependents see: its last recorded key, since ninja ran its edge before theirs and the record is
 * what that run left; without a record (-t clean forgot it) the key its stamp holds; else the key computed now when
 * t's type finds its results in place (an image that carries the key). Dependencies are never run here. -1 after an
 * error saying what to build first. */
static int dep_key(struct task *t, const struct task *user, const struct state *st, const struct keyenv *ke)
{
	const struct taskrec *rec;
	struct buf why = BUF_INIT;
	int r;

	if (t->mark == MARK_KEYED)
		return 0;
	rec = state_get(st, t->name);
	if (rec || stamp_key(t, &t->key) == 0) {
		if (rec)
			t->key = rec->key;
		t->mark = MARK_KEYED;
		return 0;
	}
	for (size_t i = 0; i < t->deps.n; i++)
		if (dep_key(t->depv[i], t, st, ke) < 0)
			return -1;
	if (task_key(t, ke) < 0)
		return -1;
	r = task_decide(t, st, ke, &why);
	if (r == 1)
		error("task '%s' needs '%s', which was never built here; build it first ('sindri-build %s'), or remove '%s' "
		      "so that ninja reruns every edge", user->name, t->name, t->name, NINJA_DIR);
	buf_release(&why);
	if (r != 0)
		return -1;
	t->mark = MARK_KEYED;
	return 0;
}

/* lock_ninja: serialize the short writes of parallel edges among themselves, so that none of them prints that it
 * waits for the state's lock; a sindri-build run holding that lock still makes them wait, and say so. */
static int lock_ninja(void)
{
	int fd;

	if (mkdir_private(NINJA_DIR) < 0)
		return error("cannot create '%s':", NINJA_DIR);
	fd = open(NINJA_DIR "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return error("cannot open '%s/lock':", NINJA_DIR);
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			close(fd);
			return error("cannot lock '%s/lock':", NINJA_DIR);
		}
	}
	return fd;
}

/* spawn: run t's command; a signal (ninja forwards ^C to us, not to our job's process group) stops it. */
static int spawn(struct task *t, struct job *j, int console)
{
	char shbin[] = "/bin/sh", dashc[] = "-c";
	char *sh[] = {shbin, dashc, t->shell, NULL};
	char **argv = sh;
	int rc;

	if (t->run == RUN_ARGV) {
		argv = xmalloc((t->argv.n + 1) * sizeof(*argv));
		memcpy(argv, t->argv.v, t->argv.n * sizeof(*argv));
		argv[t->argv.n] = NULL;
	}
	rc = proc_spawn(j, argv, console, t->stdin_fd);
	if (t->stdin_fd >= 0)
		close(t->stdin_fd);
	t->stdin_fd = -1;
	if (argv != sh)
		free(argv);
	if (rc < 0)
		return 127;
	/* read the output until it ends; a console job has none to read: SIGCHLD wakes the poll when it ends */
	while (!signals_caught()) {
		struct pollfd p[2] = {{signals_fd(), POLLIN, 0}, {j->fd, POLLIN, 0}};
		if (j->fd < 0 && proc_reap(j, &rc))
			return rc;
		if (poll(p, 2, j->fd < 0 ? 20 : -1) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			signals_drain();
		if (j->fd >= 0 && p[1].revents)
			proc_read(j);
	}
	if (signals_caught())
		proc_kill(j, signals_caught() == SIGINT ? SIGINT : SIGTERM);
	return proc_wait(j);
}

/* run: prepare, run and record t. Returns 0, 1 (failed) or 128 + a signal. */
static int run(struct task *t, const struct tool_args *a, struct status *s)
{
	struct keyenv *ke = a->ke;
	struct job j = {0};
	struct state *wst = NULL;
	int lockfd = -1, rc = 0, ok;
	char *cmd;
	int64_t t0 = mono_ns();

	trust_task_started(ke->trust);
	if (t->ops && t->ops->prepare && t->ops->prepare(t, ke) < 0) {
		trust_task_ended(ke->trust);
		return 1;
	}
	if (t->stdin_fd >= 0 && t->run != RUN_ARGV && t->run != RUN_SHELL) {
		close(t->stdin_fd);
		t->stdin_fd = -1;
	}
	cmd = task_cmdline(t);
	status_start(s, t->name, cmd);
	if (t->run == RUN_FUNC || t->run == RUN_NONE) {
		/* in-process code may build other tasks (sb.build): it needs the state open for writing */
		lockfd = lock_ninja();
		wst = lockfd < 0 ? NULL : state_open(a->state_dir, STATE_WRITE);
		if (!wst) {
			rc = -1; /* the error is printed */
		} else if (t->run == RUN_FUNC) {
			if (a->set_build)
				a->set_build(a->r, wst, ke, a->b);
			rc = t->ops && t->ops->run ? t->ops->run(t) : 1;
			if (a->set_build)
				a->set_build(a->r, NULL, NULL, NULL);
		}
	} else {
		rc = spawn(t, &j, t->poolp && t->poolp->console);
	}
	ok = rc == 0 && !signals_caught();
	if (ok && t->ops && t->ops->finish && t->ops->finish(t, ke) < 0)
		ok = 0;
	trust_task_ended(ke->trust);
	if (ok && !wst) {
		lockfd = lock_ninja();
		wst = lockfd < 0 ? NULL : state_open(a->state_dir, STATE_WRITE);
	}
	/* an input changed while it ran: recorded under a key no later run computes, so that this edge and the
	 * edges that depend on it (whose dep:NAME is that key) run again; marks() then dates the stamp back */
	struct buf why = BUF_INIT;
	int changed = 0;
	if (ok && wst && (changed = task_inputs_check(t, ke, &why)) < 0)
		ok = 0;
	if (ok && changed == 1) {
		status_line(s, "sindri-build: task '%s': input %s while it ran; not recorded, the next run runs it again",
		            t->name, why.data);
		task_key_poison(t);
		t->untrusted = 1;
	}
	buf_release(&why);
	if (ok && (!wst || task_record(t, wst, ke, mono_ns() - t0) < 0))
		ok = 0;
	if (wst)
		state_close(wst);
	if (lockfd >= 0)
		close(lockfd);
	status_finish(s, t->name, ok, ok ? NULL : cmd, j.out.data, j.out.len);
	if (!ok && rc > 0 && rc < 128)
		error("task '%s' failed with exit status %d", t->name, rc);
	proc_release(&j);
	free(cmd);
	if (signals_caught())
		return 128 + signals_caught();
	return ok ? 0 : 1;
}

/* adopt: t was found current by its results alone (an image that carries its key) with no record of them under its
 * key: record them, as a build does (task_adopt), so that results replaced under the same key before its edge runs
 * again (a docker commit to the tag) are told from these. As in a build, failing to record costs only a warning: the
 * results are current, and the next run decides by their label again. */
static void adopt(struct task *t, const struct tool_args *a, const struct state *st)
{
	struct state *wst = NULL;
	int lockfd;

	if (!task_adoptable(t, st))
		return;
	lockfd = lock_ninja();
	if (lockfd >= 0)
		wst = state_open(a->state_dir, STATE_WRITE);
	/* another edge may have recorded it since st was read */
	if (!wst || (task_adoptable(t, wst) && task_adopt(t, wst, a->ke) < 0))
		warn("task '%s': cannot record its results; a later run decides by its image label alone", t->name);
	if (wst)
		state_close(wst);
	if (lockfd >= 0)
		close(lockfd);
}

/* marks: the stamp, rewritten only when it does not hold the key (so its mtime moves only with the key), and the
 * depfile. */
static int marks(struct task *t, const struct graph *g)
{
	char *stamp = ninja_stamp(t->name, "stamp"), *dep = ninja_stamp(t->name, "d");
	char hex[HASH_HEX_LEN + 2];
	struct buf old = BUF_INIT;
	struct strv files = {0}, dirs = {0};
	int ret = 0;

	hash_hex(&t->key, hex);
	strcat(hex, "\n");
	if (mkdir_private(NINJA_DIR) < 0) {
		ret = error("cannot create '%s':", NINJA_DIR);
		goto out;
	}
	if (read_file(stamp, &old) < 0 || old.len != strlen(hex) || memcmp(old.data, hex, old.len) != 0) {
		if (write_file_atomic(stamp, hex, strlen(hex)) < 0) {
			ret = error("cannot write the stamp '%s':", stamp);
			goto out;
		}
	}
	depfile_paths(t, &files, &dirs);
	ret = depfile_write(dep, stamp, &files, &dirs, g);
out:
	strv_release(&files);
	strv_release(&dirs);
	buf_release(&old);
	free(stamp);
	free(dep);
	return ret;
}

static void explain(struct status *s, const struct task *t, const char *why)
{
	for (const char *p = why; *p;) {
		size_t n = strcspn(p, "\n");
		status_line(s, "explain %s: %.*s", t->name, (int)n, p);
		p += n + (p[n] == '\n');
	}
}

int edge_run(const struct tool_args *a)
{
	struct graph *g = a->g;
	struct keyenv *ke = a->ke;
	struct task *t;
	struct state *st;
	struct status s;
	struct buf why = BUF_INIT;
	int ret = 1, r;

	if (a->targets->n != 1) {
		error("-t run takes exactly one task: sindri-build -t run TASK");
		return 2;
	}
	t = graph_find(g, a->targets->v[0]);
	if (!t) {
		graph_suggest(g, a->targets->v[0], &why);
		error("unknown task '%s'%s", a->targets->v[0], why.data ? why.data : "");
		buf_release(&why);
		return 2;
	}
	/* a dependency cycle is a recipe error, found before any dependency's key is looked up */
	struct task **plan;
	size_t nplan;
	if (graph_plan(g, &t, 1, &plan, &nplan) < 0)
		return 2;
	free(plan);
	if (t->ops && t->ops->preflight && t->ops->preflight(t) < 0)
		return 2;
	st = state_open(a->state_dir, 0);
	if (!st)
		return 2;
	ke->fc = filecache_load(a->filecache);
	ke->readonly = 0;
	status_init(&s, a->b->quiet, a->b->verbose);
	s.total = 1;
	for (size_t i = 0; i < g->ntasks; i++)
		g->tasks[i]->mark = 0;
	/* a check function may ask what is outdated (sb.outdated), as it may in a build: read-only, as a dry run */
	struct build_opts dry = *a->b;
	dry.dry_run = 1;
	if (a->set_build)
		a->set_build(a->r, st, ke, &dry);
	r = 0;
	for (size_t i = 0; i < t->deps.n && r == 0; i++)
		r = dep_key(t->depv[i], t, st, ke);
	if (r == 0 && task_key(t, ke) == 0)
		r = task_decide(t, st, ke, &why);
	else
		r = -1;
	if (a->set_build)
		a->set_build(a->r, NULL, NULL, NULL);
	if (r < 0)
		goto out;
	if (r == 1) {
		if (a->b->explain)
			explain(&s, t, why.data ? why.data : "");
		ret = run(t, a, &s);
		if (ret != 0)
			goto out;
	} else {
		adopt(t, a, st);
	}
	ret = marks(t, g) < 0 ? 2 : 0;
	if (ret == 0 && task_key_loaded(t)) {
		/* a run that loaded a Lua file its key cannot cover runs every time: its edge may have no input for a
		 * stamp to be older than, so the stamp goes */
		char *stamp = ninja_stamp(t->name, "stamp");
		if (unlink(stamp) < 0 && errno != ENOENT)
			ret = error("cannot remove the stamp '%s':", stamp);
		free(stamp);
	} else if (ret == 0 && t->untrusted) {
		/* ninja runs an edge again only when its stamp is missing or older than an input: make it the oldest */
		char *stamp = ninja_stamp(t->name, "stamp");
		struct timespec old[2] = {{1, 0}, {1, 0}};
		if (utimensat(AT_FDCWD, stamp, old, 0) < 0)
			ret = error("cannot date back the stamp '%s':", stamp);
		free(stamp);
	}
	if (filecache_save(ke->fc, a->filecache, ke->rootfd) < 0 && ret == 0)
		ret = 2;
out:
	buf_release(&why);
	state_close(st);
	return ret;
}
