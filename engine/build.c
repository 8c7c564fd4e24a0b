/* build: the scheduler. Keys are computed when a task's deps are done (their outputs may be its inputs). */
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"
#include "graph.h"
#include "key.h"
#include "outputs.h"
#include "proc.h"
#include "spans.h"
#include "state.h"
#include "status.h"
#include "trust.h"
#include "util.h"

enum tstate { T_WAIT, T_READY, T_QUEUED, T_RUNNING, T_RAN, T_UPTODATE, T_FAILED };

struct running {
	struct task *t;
	struct job job;
	int64_t start_wall, start_mono;
	char *cmd;
	size_t shown; /* -v: bytes of its output already streamed */
};

struct sched {
	const struct build_opts *o;
	struct state *st;
	const struct keyenv *ke;
	struct status status;
	struct task **ready, **queue;
	size_t nready, nqueue, capready, capqueue;
	struct running *run;
	size_t nrun, caprun;
	size_t failures;
	int stopping;
	size_t first_span; /* spans before this one belong to other builds of the run */
};

static void push(struct task ***v, size_t *n, size_t *cap, struct task *t)
{
	GROW(*v, *n, *cap);
	(*v)[(*n)++] = t;
}

/* complete: t is done (ran or up to date): release its dependents. */
static void complete(struct sched *s, struct task *t)
{
	for (size_t i = 0; i < t->nrdeps; i++) {
		struct task *r = t->rdeps[i];
		if (--r->pending == 0 && r->state == T_WAIT) {
			r->state = T_READY;
			push(&s->ready, &s->nready, &s->capready, r);
		}
	}
}

/* ended: a task start() counted is over, however it ended. */
static void ended(const struct sched *s)
{
	if (!s->o->dry_run)
		trust_task_ended(s->ke->trust);
}

static void fail(struct sched *s, struct task *t)
{
	t->state = T_FAILED;
	s->failures++;
	if (s->o->keep_going && s->failures >= (size_t)s->o->keep_going)
		s->stopping = 1;
}

/*
 * record: the commit point of t's successful run, unless its result cannot be trusted: it consumed the result of a
 * dependency that was not trusted, or an input changed while it ran (then what the command read may not be what was
 * keyed). Such a run records nothing and says so; its key is replaced by one no later run computes, so that no
 * dependent's record or image label made from it can ever match (they are unique too: dep:NAME is in their key).
 * The run still succeeded, as make and ninja would have it. Returns 0 (recorded or not), -1 on failure.
 */
static int record(struct sched *s, struct task *t, int64_t dur)
{
	struct buf why = BUF_INIT;
	const struct task *dep = NULL;
	int r;

	for (size_t i = 0; i < t->deps.n && !dep; i++)
		if (t->depv[i]->untrusted)
			dep = t->depv[i];
	if (dep) {
		status_line(&s->status, "sindri-build: task '%s': not recorded, since '%s', which it depends on, was not; "
		            "the next run runs it again", t->name, dep->name);
		t->untrusted = 1;
		return 0;
	}
	r = task_inputs_check(t, s->ke, &why);
	if (r == 1) {
		status_line(&s->status, "sindri-build: task '%s': input %s while it ran; not recorded, the next run runs "
		            "it again", t->name, why.data);
		t->untrusted = 1;
		task_key_poison(t);
	}
	buf_release(&why);
	return r < 0 ? -1 : r == 1 ? 0 : task_record(t, s->st, s->ke, dur);
}

/* drop_stdin: what prepare gave t's command to read is not needed any more. */
static void drop_stdin(struct task *t)
{
	if (t->stdin_fd >= 0)
		close(t->stdin_fd);
	t->stdin_fd = -1;
}

static void finished(struct sched *s, struct task *t, int status, const char *cmd, const char *out, size_t n,
                     int64_t dur)
{
	int ok = status == 0;

	/* a dry run ran nothing, so there is nothing to confirm */
	if (ok && !s->o->dry_run && t->ops && t->ops->finish && t->ops->finish(t, s->ke) < 0)
		ok = 0;
	if (ok && !s->o->dry_run && !(t->flags & TASK_READONLY) && record(s, t, dur) < 0)
		ok = 0;
	/* a report built nothing: the closing line does not count it as built */
	if (ok && !s->o->dry_run && (t->flags & TASK_READONLY))
		s->status.reported++;
	/* a Lua function's failure said what went wrong itself: its "command" and exit status add nothing */
	if (t->run == RUN_FUNC)
		cmd = NULL;
	status_finish(&s->status, t->name, ok, ok ? NULL : cmd, out, n);
	spans_mark(s->o->spans, s->first_span, t, 0, !ok ? SPAN_FAILED : s->o->dry_run ? SPAN_WOULD_RUN : SPAN_RAN,
	           status);
	ended(s);
	if (!ok) {
		if (status > 0 && status != 128 + SIGINT && status != 128 + SIGTERM && t->run != RUN_FUNC)
			status_line(&s->status, "sindri-build: task '%s' failed with exit status %d", t->name, status);
		fail(s, t);
		return;
	}
	t->state = T_RAN;
	complete(s, t);
}

static void explain(struct sched *s, struct task *t, const char *why)
{
	struct buf b = BUF_INIT;

	for (const char *p = why; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		buf_addf(&b, "explain %s: %.*s\n", t->name, (int)n, p);
		p += n + (nl != NULL);
	}
	if (b.len)
		b.data[--b.len] = '\0';
	if (b.len)
		status_line(&s->status, "%s", b.data);
	buf_release(&b);
}

/* remote: what the task's shared cache says, for -t explain --remote. */
static void remote(struct sched *s, struct task *t)
{
	struct buf b = BUF_INIT;

	if (t->ops->remote(t, s->ke, &b) == 0)
		for (char *line = b.data ? strtok(b.data, "\n") : NULL; line; line = strtok(NULL, "\n"))
			status_line(&s->status, "%s: %s", t->name, line);
	buf_release(&b);
}

static int any_dep_ran(const struct task *t)
{
	for (size_t i = 0; i < t->deps.n; i++)
		if (t->depv[i]->state == T_RAN)
			return 1;
	return 0;
}

/* keyless: t always runs, declares no outputs, nothing in this build depends on it and its run never reads its key:
 * a key would decide nothing (and for a Lua function it is a walk of everything the function reaches, which for a
 * cycle is most of the recipe), so none is computed; one computed earlier in the run (sb.key) is kept. */
static int keyless(const struct sched *s, const struct task *t)
{
	return (t->flags & TASK_ALWAYS) && !s->o->dry_run && !t->nrdeps && !t->outputs.n && !t->parts && t->ops &&
	       t->ops->key_unread && t->ops->key_unread(t);
}

/* key_quietly: t's key, for a task whose dependency would run first in a dry run or an explain: what it reads may
 * not be made yet, so a key that cannot be computed is no error (nothing printed). */
static int key_quietly(struct task *t, const struct keyenv *ke)
{
	struct buf errs = BUF_INIT;
	struct keyenv quiet = *ke;
	int r;

	quiet.quiet_errs = &errs;
	r = task_key(t, &quiet);
	buf_release(&errs);
	return r;
}

/* evaluate: compute the key of a ready task and decide. */
static void evaluate(struct sched *s, struct task *t)
{
	struct buf why = BUF_INIT;
	int r, keyed = 0;

	if (s->o->dry_run && t->planned) {
		/* an earlier dry build of this run said it would run: said once, it counts as done here */
		t->state = T_RAN;
		s->status.finished++;
		complete(s, t);
		return;
	}
	if (s->o->dry_run && any_dep_ran(t)) {
		/* In a dry run a dependency did not really run, so our inputs are not what they will be. */
		for (size_t i = 0; i < t->deps.n; i++)
			if (t->depv[i]->state == T_RAN)
				buf_addf(&why, "dependency '%s' would run first\n", t->depv[i]->name);
		r = 1;
		keyed = key_quietly(t, s->ke) == 0;
		if (!keyed)
			memset(&t->key, 0, sizeof(t->key));
	} else if (keyless(s, t)) {
		memset(&t->key, 0, sizeof(t->key));
		r = task_decide(t, s->st, s->ke, &why);
	} else if (task_key_quick(t, s->ke) < 0) {
		r = -1;
	} else {
		keyed = 1;
		r = task_decide(t, s->st, s->ke, &why);
		/* what runs, or is explained, has its input files keyed one by one: walked again, in the same stretch */
		if (r != 0 && t->folded) {
			buf_reset(&why);
			r = task_key(t, s->ke) < 0 ? -1 : task_decide(t, s->st, s->ke, &why);
			keyed = r >= 0;
		}
	}
	if (r >= 0 && s->o->dry_run && s->o->remote && t->ops && t->ops->remote)
		remote(s, t);
	spans_add(s->o->spans, t, r < 0 ? SPAN_FAILED : r == 0 ? SPAN_CURRENT : SPAN_NOT_RUN, why.data,
	          keyed && r >= 0);
	if (r < 0) {
		s->status.finished++;
		s->status.failed++;
		fail(s, t);
	} else if (r == 0) {
		/* current by its results alone: record them, so that results replaced under the same key later (a docker
		 * commit to the tag) are told from these, as they are after a run */
		if (!s->o->dry_run && !s->ke->readonly && !(t->flags & TASK_READONLY) && task_adoptable(t, s->st) &&
		    task_adopt(t, s->st, s->ke) < 0)
			warn("task '%s': cannot record its results; a later run decides by its image label alone", t->name);
		const struct taskrec *rec = state_get(s->st, t->name);
		t->state = T_UPTODATE;
		s->status.finished++;
		s->status.uptodate++;
		if (rec)
			s->status.saved_ns += rec->last_ns;
		complete(s, t);
	} else {
		if (s->o->explain)
			explain(s, t, why.data ? why.data : "");
		t->state = T_QUEUED;
		push(&s->queue, &s->nqueue, &s->capqueue, t);
	}
	buf_release(&why);
}

static int pool_full(const struct task *t)
{
	return t->poolp && t->poolp->depth > 0 && t->poolp->running >= t->poolp->depth;
}

/* start: run t now (in-process tasks run to completion here). */
static void start(struct sched *s, struct task *t)
{
	char *cmd;
	int64_t t0 = mono_ns();

	if (!s->o->dry_run)
		trust_task_started(s->ke->trust);
	spans_mark(s->o->spans, s->first_span, t, 1, SPAN_RAN, 0);
	if (!s->o->dry_run && t->ops && t->ops->prepare && t->ops->prepare(t, s->ke) < 0) {
		drop_stdin(t);
		s->status.started++;
		s->status.running++;
		status_finish(&s->status, t->name, 0, NULL, NULL, 0);
		spans_mark(s->o->spans, s->first_span, t, 0, SPAN_FAILED, 1);
		ended(s);
		fail(s, t);
		return;
	}
	cmd = task_cmdline(t);
	if (t->run != RUN_ARGV && t->run != RUN_SHELL)
		drop_stdin(t);
	if (t->run != RUN_NONE && s->o->dry_run) {
		t->planned = 1;
		status_start(&s->status, t->name, cmd);
		if (s->o->plan) {
			unsigned long builds = s->o->tally ? s->o->tally->builds : 0;
			long was = spans_nest(s->o->spans, s->first_span, t);
			status_pause(&s->status);
			s->o->plan(t, s->o->plan_arg);
			spans_unnest(s->o->spans, was);
			if (s->o->tally && s->o->tally->builds != builds)
				s->status.composite++;
		}
		finished(s, t, 0, cmd, NULL, 0, 0);
		free(cmd);
		return;
	}
	if (t->run == RUN_NONE) {
		if (!s->o->dry_run) {
			/* a grouping task: nothing to run, its key is recorded so the next run can skip it */
			if (record(s, t, 0) < 0) {
				ended(s);
				fail(s, t);
				free(cmd);
				return;
			}
			s->status.finished++;
			s->status.uptodate++;
			t->state = T_RAN;
			spans_mark(s->o->spans, s->first_span, t, 0, SPAN_CURRENT, 0);
			ended(s);
			complete(s, t);
		} else {
			status_start(&s->status, t->name, cmd);
			finished(s, t, 0, cmd, NULL, 0, 0);
		}
		free(cmd);
		return;
	}
	int console = t->poolp && t->poolp->console;
	/* -q keeps an image build's progress back (its output is shown, the tail of it, only when it fails) */
	if (console && s->o->quiet && t->ops && t->ops->console)
		console = 0;
	if (console || t->run == RUN_FUNC)
		status_pause(&s->status);
	status_start(&s->status, t->name, cmd);
	if (console || t->run == RUN_FUNC)
		status_pause(&s->status);
	if (t->run == RUN_FUNC) {
		unsigned long builds = s->o->tally ? s->o->tally->builds : 0;
		size_t failed = s->o->tally ? s->o->tally->failed : 0;
		long was = spans_nest(s->o->spans, s->first_span, t);
		int rc = t->ops && t->ops->run ? t->ops->run(t) : 1;
		spans_unnest(s->o->spans, was);
		/* a task that ran builds of its own (a cycle) is counted through what they ran; when it failed because a
		 * task inside failed, through that failure; a report is counted as one (finished) */
		if (rc == 0 && s->o->tally && s->o->tally->builds != builds && !(t->flags & TASK_READONLY))
			s->status.composite++;
		if (rc != 0 && s->o->tally && s->o->tally->failed != failed)
			s->status.composite_failed++;
		finished(s, t, rc, cmd, NULL, 0, mono_ns() - t0);
		free(cmd);
		return;
	}
	char shbin[] = "/bin/sh", dashc[] = "-c";
	char *sh[] = {shbin, dashc, t->shell, NULL};
	char **argv = t->run == RUN_SHELL ? sh : NULL;
	if (!argv) {
		argv = xmalloc((t->argv.n + 1) * sizeof(*argv));
		memcpy(argv, t->argv.v, t->argv.n * sizeof(*argv));
		argv[t->argv.n] = NULL;
	}
	struct running r = {t, {0}, now_ns(), t0, cmd, 0};
	int rc = proc_spawn(&r.job, argv, console, t->stdin_fd);
	drop_stdin(t);
	if (argv != sh)
		free(argv);
	if (rc < 0) {
		finished(s, t, 127, cmd, NULL, 0, 0);
		free(cmd);
		return;
	}
	if (t->poolp)
		t->poolp->running++;
	t->state = T_RUNNING;
	GROW(s->run, s->nrun, s->caprun);
	s->run[s->nrun++] = r;
}

/* stream: -v shows a job's output as it comes, not when it ends. */
static void stream(struct running *r)
{
	if (r->job.out.len > r->shown) {
		fwrite(r->job.out.data + r->shown, 1, r->job.out.len - r->shown, stdout);
		fflush(stdout);
		r->shown = r->job.out.len;
	}
}

static void reap(struct sched *s, size_t i, int status)
{
	struct running r = s->run[i];

	s->run[i] = s->run[--s->nrun];
	if (r.t->poolp)
		r.t->poolp->running--;
	if (signals_caught())
		status = status ? status : 128 + signals_caught();
	if (signals_caught()) {
		/* an interrupted task records nothing: the last success stays */
		status_finish(&s->status, r.t->name, 0, NULL, NULL, 0);
		spans_mark(s->o->spans, s->first_span, r.t, 0, SPAN_FAILED, status);
		s->status.failed--;
		r.t->state = T_FAILED;
		ended(s);
	} else if (s->o->verbose) {
		/* -v streamed the output as it came */
		stream(&r);
		finished(s, r.t, status, r.cmd, NULL, 0, mono_ns() - r.start_mono);
	} else {
		finished(s, r.t, status, r.cmd, r.job.out.data, r.job.out.len, mono_ns() - r.start_mono);
	}
	proc_release(&r.job);
	free(r.cmd);
}

/* wait_jobs: poll the running jobs' output and the signal pipe; reap those that exited. */
static void wait_jobs(struct sched *s)
{
	struct pollfd *pfd = xmalloc((s->nrun + 1) * sizeof(*pfd));
	size_t n = 0;
	int nofd = 0, status;

	pfd[n].fd = signals_fd();
	pfd[n++].events = POLLIN;
	for (size_t i = 0; i < s->nrun; i++) {
		if (s->run[i].job.fd >= 0) {
			pfd[n].fd = s->run[i].job.fd;
			pfd[n++].events = POLLIN;
		} else {
			nofd = 1;
		}
	}
	if (poll(pfd, n, nofd ? 20 : -1) > 0) {
		if (pfd[0].revents)
			signals_drain();
		n = 1;
		for (size_t i = 0; i < s->nrun; i++) {
			if (s->run[i].job.fd >= 0 && pfd[n++].revents) {
				proc_read(&s->run[i].job);
				if (s->o->verbose)
					stream(&s->run[i]);
			}
		}
	}
	free(pfd);
	for (size_t i = 0; i < s->nrun;) {
		if (s->run[i].job.fd < 0 && proc_reap(&s->run[i].job, &status))
			reap(s, i, status);
		else
			i++;
	}
}

static void interrupt(struct sched *s)
{
	int sig = signals_caught();
	int status;

	s->stopping = 1;
	for (size_t i = 0; i < s->nrun; i++)
		proc_kill(&s->run[i].job, sig == SIGINT ? SIGINT : SIGTERM);
	while (s->nrun) {
		status = proc_wait(&s->run[0].job);
		reap(s, 0, status);
	}
}

/* ask_ahead: every task of the plan but the first (keyed at once, it asks for itself) asks now what its key and
 * check will read from outside (task_ops.ahead), so that the answers come while the tasks before it are keyed. */
static void ask_ahead(struct task **plan, size_t nplan, const struct keyenv *ke)
{
	for (size_t i = 1; i < nplan; i++)
		if (plan[i]->ops && plan[i]->ops->ahead)
			plan[i]->ops->ahead(plan[i], ke);
}

int build_run(struct graph *g, struct task *const *targets, size_t ntargets, struct state *st,
              const struct keyenv *ke, const struct build_opts *o)
{
	struct sched s = {0};
	struct task **plan;
	size_t nplan;
	int code;

	if (graph_plan(g, targets, ntargets, &plan, &nplan) < 0)
		return SB_EXIT_USAGE;
	s.o = o;
	s.st = st;
	s.ke = ke;
	s.first_span = o->spans ? o->spans->n : 0;
	if (o->nested && o->tally)
		o->tally->builds++;
	status_init(&s.status, o->quiet, o->verbose);
	s.status.dry = o->dry_run;
	if (o->progress_stderr)
		s.status.out = stderr;
	s.status.total = nplan;
	for (size_t i = 0; i < nplan; i++) {
		struct task *t = plan[i];
		t->state = T_WAIT;
		t->pending = 0;
		t->nrdeps = 0;
		t->untrusted = 0;
	}
	for (size_t i = 0; i < nplan; i++) {
		struct task *t = plan[i];
		for (size_t j = 0; j < t->deps.n; j++) {
			struct task *d = t->depv[j];
			int dup = 0;
			for (size_t k = 0; k < j; k++)
				dup |= t->depv[k] == d;
			if (dup)
				continue;
			t->pending++;
			GROW(d->rdeps, d->nrdeps, d->caprdeps);
			d->rdeps[d->nrdeps++] = t;
		}
		if (!t->pending) {
			t->state = T_READY;
			push(&s.ready, &s.nready, &s.capready, t);
		}
	}
	ask_ahead(plan, nplan, ke);

	for (;;) {
		if (signals_caught()) {
			interrupt(&s);
			break;
		}
		/* ready tasks are evaluated in plan order: a FIFO keeps the output stable */
		for (size_t i = 0; i < s.nready && !s.stopping && !signals_caught(); i++)
			evaluate(&s, s.ready[i]);
		s.nready = 0;
		size_t kept = 0;
		for (size_t i = 0; i < s.nqueue; i++) {
			struct task *t = s.queue[i];
			/* a task run in-process (a Lua function) starts when no job runs: it may start builds of its own
			 * (sb.build), which must not overlap a job of this one (the same image built twice) */
			if (s.stopping || signals_caught() || (int)s.nrun >= o->jobs || pool_full(t) ||
			    (t->run == RUN_FUNC && s.nrun && !o->dry_run)) {
				s.queue[kept++] = t;
				continue;
			}
			start(&s, t);
		}
		s.nqueue = s.stopping ? 0 : kept;
		if (s.nready)
			continue;
		if (!s.nrun)
			break;
		wait_jobs(&s);
	}

	for (size_t i = 0; o->spans && i < nplan; i++)
		if (!spans_of(o->spans, s.first_span, plan[i]))
			spans_add(o->spans, plan[i], SPAN_NOT_RUN, NULL, 0);
	if (signals_caught())
		code = SB_EXIT_SIGNAL + signals_caught();
	else
		code = s.failures ? SB_EXIT_FAILED : SB_EXIT_OK;
	if (o->nested && o->tally) {
		/* the closing line of the build that started this one counts what ran here */
		o->tally->ran += s.status.ran - s.status.composite - s.status.reported;
		o->tally->uptodate += s.status.uptodate;
		o->tally->failed += s.status.failed - s.status.composite_failed;
		o->tally->saved_ns += s.status.saved_ns;
	} else if (!o->nested || s.failures || signals_caught()) {
		if (o->tally) {
			s.status.inner_ran = o->tally->ran;
			s.status.inner_uptodate = o->tally->uptodate;
			s.status.inner_failed = o->tally->failed;
			s.status.saved_ns += o->tally->saved_ns;
		}
		status_summary(&s.status, signals_caught() != 0);
	}
	free(plan);
	free(s.ready);
	free(s.queue);
	free(s.run);
	return code;
}

int build_prepare(struct graph *g, struct task *const *targets, size_t ntargets, const struct build_opts *o,
                  int *readonly)
{
	struct task **plan;
	size_t nplan, nreport = 0;

	/* a dependency cycle is a recipe error: reported before the state is touched */
	if (graph_plan(g, targets, ntargets, &plan, &nplan) < 0)
		return -1;
	for (size_t i = 0; i < nplan; i++) {
		if (plan[i]->ops && plan[i]->ops->preflight && plan[i]->ops->preflight(plan[i]) < 0) {
			free(plan);
			return -1;
		}
		nreport += (plan[i]->flags & TASK_READONLY) != 0;
	}
	free(plan);
	/* a run of reports only (cache-status, doctor) is a read-only command: no lock, nothing written */
	*readonly = o->dry_run || (nplan && nreport == nplan);
	return 0;
}

int build_explain(struct graph *g, struct task *const *targets, size_t ntargets, const struct state *st,
                  const struct keyenv *ke, void (*fn)(struct task *t, int run, const char *why, void *arg), void *arg)
{
	struct task **plan;
	size_t nplan;
	int ret = 0;

	if (graph_plan(g, targets, ntargets, &plan, &nplan) < 0)
		return -2;
	for (size_t i = 0; i < nplan; i++)
		plan[i]->state = T_WAIT;
	ask_ahead(plan, nplan, ke);
	for (size_t i = 0; i < nplan && ret == 0; i++) {
		struct task *t = plan[i];
		struct buf why = BUF_INIT;
		int r, dep_runs = 0;

		for (size_t j = 0; j < t->deps.n; j++)
			dep_runs |= t->depv[j]->state == T_RAN;
		if ((dep_runs ? key_quietly(t, ke) : task_key(t, ke)) == 0) {
			r = task_decide(t, st, ke, &why);
		} else if (dep_runs) {
			memset(&t->key, 0, sizeof(t->key)); /* it runs after them: the reasons below */
			r = 0;
		} else {
			ret = -1;
			break;
		}
		for (size_t j = 0; j < t->deps.n && r >= 0; j++) {
			if (t->depv[j]->state == T_RAN) {
				buf_addf(&why, "dependency '%s' would run first\n", t->depv[j]->name);
				r = 1;
			}
		}
		if (r < 0) {
			ret = -1;
		} else {
			t->state = r ? T_RAN : T_UPTODATE;
			fn(t, r, why.data ? why.data : "", arg);
		}
		buf_release(&why);
	}
	free(plan);
	return ret;
}
