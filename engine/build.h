/* build: deciding which tasks must run and running them, in parallel, in dependency order. */
#ifndef SB_BUILD_H
#define SB_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "hash.h"

struct buf;
struct graph;
struct keyenv;
struct state;
struct task;

/* What the builds a running task starts (sb.build) add up to, for the closing line of the build that ran it. */
struct build_tally {
	size_t ran, uptodate, failed; /* tasks of nested builds (a task counted through its own nested builds is not) */
	int64_t saved_ns;             /* the last recorded run times of the nested tasks found up to date */
	unsigned long builds;         /* nested builds started */
};

/* The exit codes of sindri-build, the same for every tool and target (docs/cli.md, "Exit codes"). */
enum sb_exit {
	SB_EXIT_OK = 0,
	SB_EXIT_FAILED = 1,      /* a task failed */
	SB_EXIT_USAGE = 2,       /* usage, recipe or state error: nothing ran, no state written */
	SB_EXIT_UNREACHABLE = 3, /* the Docker engine did not answer */
	SB_EXIT_SIGNAL = 128,    /* + the signal: interrupted (130 SIGINT, 143 SIGTERM) */
};

/* What became of a task in a build, for --json and -t trace. */
enum span_outcome {
	SPAN_CURRENT,   /* up to date: skipped */
	SPAN_RAN,       /* ran and succeeded */
	SPAN_FAILED,    /* ran (or could not be decided) and failed */
	SPAN_WOULD_RUN, /* a dry run: it would run */
	SPAN_NOT_RUN,   /* never started: a dependency failed, or the build stopped first */
};

/* One decision of a build about one task, with when it ran. A task decided by several builds of one run (a cycle's
 * sb.build calls) has a span for each. */
struct build_span {
	const struct task *task; /* the graph's */
	enum span_outcome outcome;
	char *why;               /* owned: why it ran, one reason per line; NULL when current */
	struct hash128 key;      /* its key; has_key 0 when it could not be computed */
	int has_key;
	int64_t start_ns, end_ns; /* wall clock (now_ns); equal for a task that did not run */
	long parent;             /* the span of the running task whose sb.build decided this one, or -1 */
	int status;              /* exit status of a run that failed */
};

/* The spans of a run, shared by a build and the nested builds its tasks start. Owner: the caller. */
struct build_spans {
	struct build_span *v;
	size_t n, cap;
	long parent; /* while a task runs builds of its own: its span; else -1 (set to -1 before the first build) */
};
/* build_spans_release: free the spans' reasons and the array. */
void build_spans_release(struct build_spans *s);

struct build_opts {
	int jobs;       /* -j: jobs at once (>= 1) */
	int keep_going; /* -k: stop starting tasks after this many failures; 0: never stop */
	int dry_run;    /* -n: decide and print, run nothing, write nothing */
	int quiet, verbose;
	int explain;    /* -d explain: print why each task runs */
	int nested;     /* a build started by a running task: no summary line */
	int remote;     /* -t explain --remote: a dry run also says what differs from each task's shared cache (ops->remote) */
	int progress_stderr; /* status lines and the summary go to stderr (stdout carries a report's document) */
	/* plan: in a dry run, called for each task that would run, after its status line, so that the task can say
	 * what it would do; NULL: nothing but the status line. */
	void (*plan)(struct task *t, void *arg);
	void *plan_arg;
	/* tally: shared by a build and the nested builds its tasks start, which add their counts to it; a task that
	 * started nested builds is counted through them, not itself. NULL: nested builds are not counted. */
	struct build_tally *tally;
	/* spans: when not NULL, every decision is recorded there (--json, -t trace); shared with nested builds. */
	struct build_spans *spans;
};

/* task_decide: after task_key, decide whether t must run: 0 up to date, 1 must run (the reasons, one per line, are
 * appended to why), -1 error. Reads the state, never writes it. */
int task_decide(struct task *t, const struct state *st, const struct keyenv *ke, struct buf *why);
/* task_record: the commit point of a successful run of t: its side blobs for explain and -t clean, then its
 * checksummed record (key, outputs digest, timings). Fails, recording nothing, when a declared output is missing. */
struct state;
int task_record(struct task *t, struct state *st, const struct keyenv *ke, int64_t dur);
/* task_adoptable: t was found current by its results alone (a type whose results carry their key), and the state
 * has no record of them under t's key. task_adopt records them (not a run: the statistics stay) without waiting for
 * the disk, so that a later run tells them from results replaced under the same key. 0 (also when they went away
 * meanwhile: nothing recorded), -1 on error. */
int task_adoptable(const struct task *t, const struct state *st);
int task_adopt(struct task *t, struct state *st, const struct keyenv *ke);
/* task_cmdline: the task's command as one printable line (argv joined with shell quoting). Caller frees. */
char *task_cmdline(const struct task *t);
/* build_explain: decide, in dependency order and without running anything, every task the targets need; fn gets
 * each task with run 0 (up to date) or 1 (would run, reasons in why, one per line). A dependent of a task that
 * would run is counted as would-run. Returns 0, -1 when a key cannot be computed, -2 for a dependency cycle (a
 * recipe error; error printed). */
int build_explain(struct graph *g, struct task *const *targets, size_t ntargets, const struct state *st,
                  const struct keyenv *ke, void (*fn)(struct task *t, int run, const char *why, void *arg), void *arg);
/* build_prepare: plan the targets and run each planned task type's preflight (the Docker engine answers), before
 * any state is opened; *readonly is set when the run writes nothing: a dry run, or only read-only tasks (reports
 * such as cache-status and doctor). 0, or -1 after printing an error. */
int build_prepare(struct graph *g, struct task *const *targets, size_t ntargets, const struct build_opts *o,
                  int *readonly);
/* build_run: bring targets up to date. Returns the exit code: 0 all done, 1 a task failed, 128+n on signal n.
 * st may be read-only only when o->dry_run. */
int build_run(struct graph *g, struct task *const *targets, size_t ntargets, struct state *st,
              const struct keyenv *ke, const struct build_opts *o);

#endif
