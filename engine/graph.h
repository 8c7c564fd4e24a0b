/* graph: tasks, their dependencies, aliases, pools and defaults; planning a build in dependency order. */
#ifndef SB_GRAPH_H
#define SB_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "hash.h"
#include "htab.h"
#include "util.h"

struct buf;
struct keyenv;
struct keyinputs;
struct keyparts;
struct task;

enum task_flags {
	TASK_ALWAYS = 1 << 0,   /* run every time, never skipped */
	TASK_READONLY = 1 << 1, /* changes nothing we track (a status report): never recorded; a run of only such
	                         * tasks opens the state read-only and writes nothing */
};

enum run_kind {
	RUN_NONE,  /* nothing to run: a grouping task, up to date when its deps are */
	RUN_ARGV,  /* spawn argv (PATH lookup), no shell */
	RUN_SHELL, /* spawn /bin/sh -c shell */
	RUN_FUNC,  /* call ops->run in-process */
};

/*
 * A task type plugs into the engine through these callbacks; any may be NULL. ctx is the type's context pointer given
 * to graph_add. Each returns 0 on success or -1 after printing an error, unless said otherwise.
 */
struct task_ops {
	const char *kind;
	/* keyed_check: check proves that results made with this very key exist (an image labelled with it), so a task
	 * without a record in our state is current when check says so: the results, not our state, are the record. */
	int keyed_check;
	/* foldable: deciding that a task of this type is current reads nothing of its parts but the key (no check
	 * looks at them), so its input files may be taken from the watched tree's record (task_key_quick). */
	int foldable;
	/* console: its runs show progress meant for a terminal (a docker build): a scheduler that runs each task alone
	 * (ninja, through -t ninja) gives it the console; under -q the engine keeps that progress back instead. */
	int console;
	/* preflight: before the state is opened, check what the type needs (e.g. the Docker engine answers). */
	int (*preflight)(struct task *t);
	/* add_key: add the type's own key parts (called after the engine's parts; the dep keys are final). */
	int (*add_key)(struct task *t, struct keyparts *kp, const struct keyenv *ke);
	/* check: are the results of a run with key t->key still in place? 1 yes; 0 no, with the reason in why; -1 error. */
	int (*check)(struct task *t, const struct keyenv *ke, struct buf *why);
	/* result: the digest of what the results of a run keep that the key does not show (an image's configuration
	 * and layer count), taken when the run is recorded and compared before a skip, so that results replaced under
	 * the same key (a docker commit to the image's tag) are not taken for those the run made. 0; 1 when there is no
	 * result, with the reason in why; -1 error. NULL: the type keeps nothing beyond its outputs. */
	int (*result)(struct task *t, const struct keyenv *ke, struct hash128 *out, struct buf *why);
	/* prepare: just before a run (not in dry runs): may set t->run/argv/shell from the now-known key, and
	 * t->stdin_fd. */
	int (*prepare)(struct task *t, const struct keyenv *ke);
	/* run: the in-process run for RUN_FUNC; returns the exit status (0 success). */
	int (*run)(struct task *t);
	/* finish: after a successful run: confirm the results (e.g. the image carries its key). May recompute t->key
	 * and t->parts when the run itself settled a part (an external base image pulled by the build). */
	int (*finish)(struct task *t, const struct keyenv *ke);
	/* remote: -t explain --remote: append, in lines, what differs between the task's key parts and those of the
	 * newest result a shared cache (a registry) has for it; NULL for types without one. 0, -1 after an error. */
	int (*remote)(struct task *t, const struct keyenv *ke, struct buf *out);
	/* paths: append the files and the directories (whose listings decide what it reads) beyond t->inputs that decide
	 * the task's inputs (a Dockerfile, its build context); once t's key is computed, also each file the key read that
	 * way. Neither sorted nor unique. See task_paths. */
	void (*paths)(const struct task *t, struct strv *files, struct strv *dirs);
	/* describe: a one-line description of a run whose command is made only when it runs (-t commands); NULL when
	 * task_cmdline says it. Caller frees. */
	char *(*describe)(const struct task *t);
	/* ahead: ask now for what computing t's key and checking it will read from outside (an image's inspects), so
	 * that the answers come while the tasks of the plan before it are keyed; changes nothing. NULL: nothing. */
	void (*ahead)(struct task *t, const struct keyenv *ke);
	/* key_unread: the run never reads t->key (a Lua run function that takes no key argument): an always task that
	 * nothing in its build depends on then needs no key, and none is computed. NULL: the run may read it. */
	int (*key_unread)(const struct task *t);
	/* release: free t->udata. */
	void (*release)(struct task *t);
};

struct pool {
	char *name;
	int depth;   /* at most this many jobs at once; 0: unlimited */
	int console; /* jobs own the terminal: stdin/stdout/stderr inherited, status line paused */
	int running;
};

struct task {
	char *name;
	char *desc;           /* one line for -t targets; not part of the key */
	char *group, *time;   /* -t targets: the group it is listed in and how long it takes, or NULL; not keyed */
	char *defn;           /* canonical text of the definition: hashed as the "recipe" key part */
	struct strv deps;     /* names, as declared */
	struct strv inputs;   /* patterns, see fileset_expand */
	struct strv excludes;
	struct strv env;      /* names of environment variables whose value (or absence) is keyed */
	struct strv secrets;  /* names of environment variables keyed only through an HMAC (secret.h), never shown */
	struct strv vars;     /* "NAME=value" pairs of recipe variables that are keyed */
	struct strv outputs;  /* files that must exist after a run */
	struct strv aliases;
	enum run_kind run;
	struct strv argv;
	char *shell;
	char *pool;           /* NULL: the default pool */
	unsigned flags;
	char *where;          /* "file:line" of the definition, for messages */
	const struct task_ops *ops;
	void *udata;          /* the type's data, freed by ops->release */
	int stdin_fd;         /* -1 (task_new): the command reads /dev/null; else what it reads, set by prepare and
	                       * closed by whoever runs the command once it started (or failed to) */

	/* Filled by graph_resolve and the build. */
	struct task **depv;
	struct pool *poolp;
	struct hash128 key;
	struct keyparts *parts; /* owned; NULL until the key is computed */
	struct keyinputs *keyed; /* owned: the input files the key was computed from (task_key) */
	int folded;              /* parts has one "in:" part for the input files (task_key_quick) */
	int untrusted;          /* this build ran it but did not record it: an input changed while it ran, or a
	                         * dependency's result was not trusted */
	int mark;               /* scratch for graph walks */
	int state;              /* build state, see build.c */
	int pending;            /* deps not yet finished */
	int planned;            /* a dry run printed it already: a later (nested) dry build takes it as done */
	size_t span;            /* 1 + the index of its latest span (build_opts.spans), 0 when none */
	struct task **rdeps;    /* tasks that depend on this one, within the plan */
	size_t nrdeps, caprdeps;
};

struct graph {
	struct task **tasks; /* in definition order */
	size_t ntasks, cap;
	struct pool **pools;
	size_t npools, cappools;
	struct strv defaults;
	char *defaults_where; /* "file:line" of the last default statement, for messages, or NULL */
	/* name and alias lookup */
	struct gname *names;
	size_t nnames, capnames;
	struct htab index;
};

/* graph_init: an empty graph; graph_release frees it. */
void graph_init(struct graph *g);
/* graph_release: frees every task (calling ops->release) and pool. */
void graph_release(struct graph *g);
/* task_new: a zeroed task with the given name, owned by the caller until graph_add. */
struct task *task_new(const char *name);
/* task_free: free a task that was not added to a graph (calls ops->release). */
void task_free(struct task *t);
/* graph_add: take ownership of t. -1 with an error naming both definitions when the name or an alias is taken. */
int graph_add(struct graph *g, struct task *t);
/* graph_find: the task with this name or alias, or NULL. */
struct task *graph_find(const struct graph *g, const char *name);
/* graph_pool: the pool with this name, created (depth 0) if missing; "console" is depth 1 and owns the terminal. */
struct pool *graph_pool(struct graph *g, const char *name);
/* graph_resolve: link deps and pools. -1 with "task 'x' (file:line) depends on unknown task 'y'; did you mean 'z'?" */
int graph_resolve(struct graph *g);
/* graph_suggest: append " (did you mean 'x'?)" to b when a name or alias is close to name. */
void graph_suggest(const struct graph *g, const char *name, struct buf *b);
/* graph_plan: the tasks needed for targets, each after its deps. -1 with the cycle printed ("file:line: dependency
 * cycle: a -> b -> a; remove ..."), named where the dependency that closes it is declared. The
 * caller frees *plan. */
int graph_plan(struct graph *g, struct task *const *targets, size_t ntargets, struct task ***plan, size_t *nplan);

#endif
