/* tools: the command line's own -t tools (targets, graph, key, explain, stats, clean, server, list), rows of the
 * tool table with samurai-compat's; --json writes one document through common/json.h. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"
#include "dockerapi.h"
#include "enginesrv.h"
#include "filecache.h"
#include "graph.h"
#include "json.h"
#include "key.h"
#include "outputs.h"
#include "recipe.h"
#include "state.h"
#include "tool.h"
#include "tools.h"
#include "util.h"
#include "watched.h"
#include "watcher.h"

void tools_json_emit(FILE *f, struct buf *b)
{
	buf_addc(b, '\n');
	fwrite(b->data, 1, b->len, f);
	fflush(f);
	buf_release(b);
}

/* json_head: open a document of the given kind: {"sindri_build": 1, "kind": kind, ... */
void tools_json_head(struct buf *b, const char *kind)
{
	json_open(b, '{');
	json_add_key(b, "sindri_build");
	json_add_int(b, 1);
	json_add_key(b, "kind");
	json_add_str(b, kind);
}

/* add_lines: text as a JSON array of its non-empty lines. */
void tools_json_lines(struct buf *b, const char *text)
{
	json_open(b, '[');
	for (const char *p = text ? text : ""; *p;) {
		size_t n = strcspn(p, "\n");
		if (n)
			json_add_strn(b, p, n);
		p += n + (p[n] == '\n');
	}
	json_close(b, ']');
}

void tools_json_strv(struct buf *b, const struct strv *sv)
{
	json_open(b, '[');
	for (size_t i = 0; i < sv->n; i++)
		json_add_str(b, sv->v[i]);
	json_close(b, ']');
}

int tools_resolve(const struct tool_args *a, struct task ***out, size_t *n)
{
	const struct strv *use = a->targets->n ? a->targets : &a->g->defaults;

	*out = xcalloc(use->n + 1, sizeof(**out));
	*n = 0;
	if (!use->n)
		return error("no target given and the recipe has no default; 'sindri-build -t targets' lists them");
	for (size_t i = 0; i < use->n; i++) {
		struct task *t = graph_find(a->g, use->v[i]);
		if (!t) {
			struct buf b = BUF_INIT;
			graph_suggest(a->g, use->v[i], &b);
			if (a->misplaced)
				a->misplaced(a->misplaced_arg, use->v[i], i, &b);
			error("unknown target '%s'%s", use->v[i], b.data ? b.data : "");
			buf_release(&b);
			return -1;
		}
		(*out)[(*n)++] = t;
	}
	return 0;
}

/* A group of -t targets, in the guide's order; tasks of other groups follow, then (with --all) those of none. */
static const char *const groups[] = {"build", "cache", "cycle", "deploy", "maintenance"};

static int listed(const struct task *t, int all, int grouped)
{
	return all || !grouped || t->group;
}

static void target_line(const struct task *t, int all, int indent)
{
	printf("%s%s", indent ? "  " : "", t->name);
	if (t->desc)
		printf(": %s", t->desc);
	if (t->time)
		printf(" [%s]", t->time);
	for (size_t j = 0; all && j < t->aliases.n; j++)
		printf("%s%s", j ? ", " : " (also: ", t->aliases.v[j]);
	if (all && t->aliases.n)
		putchar(')');
	putchar('\n');
}

static int targets_json(const struct tool_args *a)
{
	struct buf b = BUF_INIT;

	tools_json_head(&b, "targets");
	json_add_key(&b, "targets");
	json_open(&b, '[');
	for (size_t i = 0; i < a->g->ntasks; i++) {
		const struct task *t = a->g->tasks[i];
		json_open(&b, '{');
		json_add_key(&b, "name");
		json_add_str(&b, t->name);
		json_add_key(&b, "description");
		t->desc ? json_add_str(&b, t->desc) : json_add_null(&b);
		json_add_key(&b, "group");
		t->group ? json_add_str(&b, t->group) : json_add_null(&b);
		json_add_key(&b, "time");
		t->time ? json_add_str(&b, t->time) : json_add_null(&b);
		json_add_key(&b, "aliases");
		tools_json_strv(&b, &t->aliases);
		json_close(&b, '}');
	}
	json_close(&b, ']');
	json_add_key(&b, "defaults");
	tools_json_strv(&b, &a->g->defaults);
	json_close(&b, '}');
	tools_json_emit(a->json, &b);
	return 0;
}

/* tool_targets: the tasks grouped as the guide groups them (a recipe without groups: one flat list). */
static int tool_targets(const struct tool_args *a)
{
	struct graph *g = a->g;
	int grouped = 0;

	/* it lists every target: a name after it would be silently ignored */
	if (a->targets->n) {
		error("-t targets lists every target and takes none ('%s'): -t query %s shows that one", a->targets->v[0],
		      a->targets->v[0]);
		return SB_EXIT_USAGE;
	}
	if (a->json)
		return targets_json(a);
	for (size_t i = 0; i < g->ntasks; i++)
		grouped |= g->tasks[i]->group != NULL;
	if (!grouped) {
		for (size_t i = 0; i < g->ntasks; i++)
			target_line(g->tasks[i], a->all, 0);
		return 0;
	}
	/* the guide's groups, then any other a recipe names, in the order first used, then those of none */
	struct strv order = {0};
	for (size_t i = 0; i < LEN(groups); i++)
		strv_push(&order, groups[i]);
	for (size_t i = 0; i < g->ntasks; i++) {
		const char *gr = g->tasks[i]->group;
		size_t j = 0;
		while (gr && j < order.n && strcmp(order.v[j], gr))
			j++;
		if (gr && j == order.n)
			strv_push(&order, gr);
	}
	for (size_t k = 0; k <= order.n; k++) {
		int head = 0;
		for (size_t i = 0; i < g->ntasks; i++) {
			const struct task *t = g->tasks[i];
			if (k < order.n ? !t->group || strcmp(t->group, order.v[k]) : t->group != NULL)
				continue;
			if (!listed(t, a->all, grouped))
				continue;
			if (!head++)
				printf("%s%s:\n", k ? "\n" : "", k < order.n ? order.v[k] : "other");
			target_line(t, a->all, 1);
		}
	}
	if (!a->all)
		puts("\n(-t targets --all lists every task with its aliases)");
	strv_release(&order);
	return 0;
}

static int tool_graph(const struct tool_args *a)
{
	struct task **targets = NULL, **plan;
	size_t n, nplan;
	int all = a->targets->n == 0;

	if (all) {
		plan = a->g->tasks;
		nplan = a->g->ntasks;
	} else if (tools_resolve(a, &targets, &n) < 0 || graph_plan(a->g, targets, n, &plan, &nplan) < 0) {
		free(targets);
		return SB_EXIT_USAGE;
	}
	puts("digraph sindri_build {\n  rankdir=\"LR\"\n  node [fontsize=10, shape=box, height=0.25]");
	for (size_t i = 0; i < nplan; i++) {
		printf("  \"%s\"\n", plan[i]->name);
		for (size_t j = 0; j < plan[i]->deps.n; j++)
			printf("  \"%s\" -> \"%s\"\n", plan[i]->depv[j]->name, plan[i]->name);
	}
	puts("}");
	if (!all)
		free(plan);
	free(targets);
	return 0;
}

/* open_state: the state and the stat cache, as a build opens them; NULL after an error. */
static struct state *open_state(const struct tool_args *a, int writes)
{
	struct state *st = state_open(a->state_dir, writes ? STATE_WRITE : 0);

	if (!st)
		return NULL;
	a->ke->fc = filecache_load(a->filecache);
	watched_answer(a->wt, a->ke->fc, a->ke->trust);
	a->ke->readonly = !writes;
	return st;
}

static void close_state(const struct tool_args *a, struct state *st)
{
	if (a->stats)
		watched_stats(a->wt, a->ke->fc);
	state_close(st);
}

struct stats_arg {
	struct buf *json;
};

static void print_stat(const struct taskrec *rec, void *arg)
{
	struct stats_arg *sa = arg;

	if (!sa->json) {
		printf("%-32s %6u %10.3f %10.3f\n", rec->name, rec->runs, (double)rec->last_ns / 1e9,
		       rec->runs ? (double)rec->total_ns / rec->runs / 1e9 : 0.0);
		return;
	}
	json_open(sa->json, '{');
	json_add_key(sa->json, "name");
	json_add_str(sa->json, rec->name);
	json_add_key(sa->json, "runs");
	json_add_int(sa->json, rec->runs);
	json_add_key(sa->json, "last_ms");
	json_add_int(sa->json, rec->last_ns / 1000000);
	json_add_key(sa->json, "mean_ms");
	json_add_int(sa->json, rec->runs ? rec->total_ns / rec->runs / 1000000 : 0);
	json_close(sa->json, '}');
}

static int tool_stats(const struct tool_args *a)
{
	struct state *st = open_state(a, 0);
	struct buf b = BUF_INIT;
	struct stats_arg sa = {a->json ? &b : NULL};

	if (!st)
		return SB_EXIT_USAGE;
	if (a->json) {
		tools_json_head(&b, "stats");
		json_add_key(&b, "tasks");
		json_open(&b, '[');
	} else {
		printf("%-32s %6s %10s %10s\n", "task", "runs", "last (s)", "mean (s)");
	}
	state_each(st, print_stat, &sa);
	if (a->json) {
		json_close(&b, ']');
		json_close(&b, '}');
		tools_json_emit(a->json, &b);
	}
	close_state(a, st);
	return 0;
}

struct explain_arg {
	const struct tool_args *a;
	struct buf *json;
};

/* print_reason: -t explain's line for each task; with --remote, what its shared cache published; a task with a
 * plan function (a cycle) then says what it would do inside, an up-to-date one with an explain function what it
 * rests on. */
static void print_reason(struct task *t, int run, const char *why, void *arg)
{
	struct explain_arg *ea = arg;
	struct buf b = BUF_INIT, remote = BUF_INIT;
	char hex[HASH_HEX_LEN + 1];

	if (ea->a->b->remote && t->ops && t->ops->remote && t->ops->remote(t, ea->a->ke, &remote) < 0)
		buf_reset(&remote);
	if (ea->json) {
		hash_hex(&t->key, hex);
		json_open(ea->json, '{');
		json_add_key(ea->json, "name");
		json_add_str(ea->json, t->name);
		json_add_key(ea->json, "would_run");
		json_add_bool(ea->json, run);
		json_add_key(ea->json, "reasons");
		tools_json_lines(ea->json, run ? why : "");
		if (remote.len) {
			json_add_key(ea->json, "remote");
			tools_json_lines(ea->json, remote.data);
		}
		json_add_key(ea->json, "key");
		if (hash_is_zero(&t->key))
			json_add_null(ea->json); /* not computed: a dependency would run first and make what it reads */
		else
			json_add_str(ea->json, hex);
		json_close(ea->json, '}');
		buf_release(&remote);
		return;
	}
	if (!run) {
		printf("%s: up to date\n", t->name);
	} else {
		printf("%s: would run:\n", t->name);
		buf_adds(&b, why);
	}
	buf_adds(&b, remote.data ? remote.data : "");
	for (char *line = b.data ? strtok(b.data, "\n") : NULL; line; line = strtok(NULL, "\n"))
		printf("  %s\n", line);
	buf_release(&b);
	buf_release(&remote);
	fflush(stdout);
	(run ? recipe_plan : recipe_explain_current)(t, ea->a->r);
}

static int tool_explain(const struct tool_args *a)
{
	struct task **targets = NULL;
	size_t n;
	struct state *st;
	struct buf b = BUF_INIT;
	struct explain_arg ea = {a, a->json ? &b : NULL};
	int ret;

	if (tools_resolve(a, &targets, &n) < 0 || !(st = open_state(a, 0))) {
		free(targets);
		return SB_EXIT_USAGE;
	}
	/* -t explain asks no registry (an absent base shows as such) unless --remote asks for the comparison */
	a->ke->offline = !a->b->remote;
	/* plan functions may look inside (sb.outdated, a dry sb.build): as in a dry run */
	struct build_opts dry = *a->b;
	struct build_tally tally = {0};
	dry.dry_run = 1;
	dry.tally = &tally;
	dry.plan = recipe_plan;
	dry.plan_arg = a->r;
	if (a->json) {
		tools_json_head(&b, "explain");
		json_add_key(&b, "tasks");
		json_open(&b, '[');
	}
	recipe_set_build(a->r, st, a->ke, &dry);
	ret = build_explain(a->g, targets, n, st, a->ke, print_reason, &ea);
	ret = ret == -2 ? SB_EXIT_USAGE : ret < 0 ? SB_EXIT_FAILED : SB_EXIT_OK;
	recipe_set_build(a->r, NULL, NULL, NULL);
	if (a->json && ret == 0) {
		json_close(&b, ']');
		json_close(&b, '}');
		tools_json_emit(a->json, &b);
	}
	buf_release(&b);
	close_state(a, st);
	free(targets);
	return ret;
}

/* tool_key: the keys of the targets (their deps' keys computed first), as -t explain computes them. */
static int tool_key(const struct tool_args *a)
{
	struct task **targets = NULL, **plan = NULL;
	size_t n, nplan = 0;
	struct state *st;
	int ret = SB_EXIT_OK;

	if (tools_resolve(a, &targets, &n) < 0 || graph_plan(a->g, targets, n, &plan, &nplan) < 0 ||
	    !(st = open_state(a, 0))) {
		free(targets);
		free(plan);
		return SB_EXIT_USAGE;
	}
	for (size_t i = 0; i < nplan && ret == SB_EXIT_OK; i++)
		if (task_key(plan[i], a->ke) < 0)
			ret = SB_EXIT_FAILED;
	if (ret == SB_EXIT_OK) {
		struct buf b = BUF_INIT;
		if (a->json) {
			tools_json_head(&b, "keys");
			json_add_key(&b, "keys");
			json_open(&b, '[');
		}
		for (size_t i = 0; i < n; i++) {
			char hex[HASH_HEX_LEN + 1];
			hash_hex(&targets[i]->key, hex);
			if (!a->json) {
				printf(n > 1 ? "%s %s\n" : "%s\n", hex, targets[i]->name);
				continue;
			}
			json_open(&b, '{');
			json_add_key(&b, "name");
			json_add_str(&b, targets[i]->name);
			json_add_key(&b, "key");
			json_add_str(&b, hex);
			json_close(&b, '}');
		}
		if (a->json) {
			json_close(&b, ']');
			json_close(&b, '}');
			tools_json_emit(a->json, &b);
		}
	}
	close_state(a, st);
	free(plan);
	free(targets);
	return ret;
}

/* tool_clean: remove what the recorded run of each task produced (outputs.h), then forget the run. */
static int tool_clean(const struct tool_args *a)
{
	struct task **targets = NULL, **plan;
	size_t n = 0, nplan;
	int all = a->targets->n == 0, ret = 0;
	struct state *st;

	if ((!all && tools_resolve(a, &targets, &n) < 0) || !(st = open_state(a, 1))) {
		free(targets);
		return SB_EXIT_USAGE;
	}
	plan = all ? a->g->tasks : targets;
	nplan = all ? a->g->ntasks : n;
	for (size_t i = 0; i < nplan; i++) {
		struct task *t = plan[i];
		if (outputs_clean(st, t, AT_FDCWD, !all) < 0)
			ret = -1;
		if (state_get(st, t->name) && state_forget(st, t->name) < 0)
			ret = -1;
	}
	close_state(a, st);
	free(targets);
	return ret < 0 ? SB_EXIT_FAILED : SB_EXIT_OK;
}

/* tool_server: -t server [status|start|stop], the resident processes: the engine helper (docker/enginesrv.h), then
 * the file watcher (watch/watcher.h); needs no recipe. */
static int tool_server(const struct tool_args *a)
{
	const struct strv *args = a->targets;
	const char *what = args->n ? args->v[0] : "status";
	struct docker *d;
	int ret = 0, fd = -1;

	if (args->n > 1 || (strcmp(what, "status") && strcmp(what, "start") && strcmp(what, "stop")))
		return error("usage: sindri-build -t server [status|start|stop]"), 2;
	if (!(d = docker_open(NULL)))
		return 2;
	if (!docker_socket(d)) {
		printf("engine helper: none for '%s' (only an engine on a unix socket has one)\n", docker_host(d));
	} else if (strcmp(what, "start") == 0) {
		ret = enginesrv_start(docker_socket(d), 1);
		/* started in the background: wait until it answers, so that the next run uses it */
		for (int i = 0; ret == 0 && i < 500 && (fd = enginesrv_connect(docker_socket(d))) < 0; i++)
			usleep(10000);
		if (ret == 0 && fd < 0)
			ret = error("the engine helper did not answer within 5 s");
		if (fd >= 0)
			close(fd);
		if (ret == 0)
			ret = enginesrv_status(docker_socket(d), 0);
	} else {
		ret = enginesrv_status(docker_socket(d), strcmp(what, "stop") == 0);
	}
	docker_close(d);
	if (watch_server(what) < 0)
		ret = -1;
	return ret < 0 ? 2 : 0;
}

/* tools_tables: the rows of every table, cli's first. */
static const struct tool *const tables[] = {cli_tools, compat_tools};

const struct tool *tools_find(const char *name)
{
	for (size_t i = 0; i < LEN(tables); i++)
		for (const struct tool *t = tables[i]; t->name; t++)
			if (strcmp(t->name, name) == 0)
				return t;
	return NULL;
}

void tools_each(void (*fn)(const struct tool *t, void *arg), void *arg)
{
	for (size_t i = 0; i < LEN(tables); i++)
		for (const struct tool *t = tables[i]; t->name; t++)
			fn(t, arg);
}

void tools_suggest(const char *name, struct buf *b)
{
	const char *best = NULL;
	size_t bestd = 3;

	for (size_t i = 0; i < LEN(tables); i++) {
		for (const struct tool *t = tables[i]; t->name; t++) {
			size_t d = edit_distance(name, t->name, 2);
			if (d < bestd) {
				bestd = d;
				best = t->name;
			}
		}
	}
	if (best)
		buf_addf(b, "; did you mean '%s'?", best);
}

static void list_one(const struct tool *t, void *arg)
{
	(void)arg;
	printf("  %-10s %s\n", t->name, t->summary);
}

static int tool_list(const struct tool_args *a)
{
	(void)a;
	puts("tools:");
	tools_each(list_one, NULL);
	return 0;
}

const struct tool cli_tools[] = {
	{"targets", "the tasks grouped as the guide groups them, with descriptions and times (--all: every task and "
	 "alias)", tool_targets, TOOL_JSON},
	{"graph", "print the task graph in Graphviz dot", tool_graph, 0},
	{"key", "print the key of each target (read-only)", tool_key, TOOL_PING | TOOL_WATCH | TOOL_JSON},
	{"explain", "say why each task of the targets would run (read-only)", tool_explain,
	 TOOL_PING | TOOL_WATCH | TOOL_JSON},
	{"stats", "runs, last and mean duration of each task", tool_stats, TOOL_JSON},
	{"clean", "remove the outputs of the targets (all tasks if none) and forget their runs", tool_clean, TOOL_WRITES},
	{"trace", "where the time went: the last run (--runs N) as Chrome trace-event JSON, or --svg a timeline (-o FILE)",
	 tool_trace, TOOL_NO_RECIPE | TOOL_JSON},
	{"completion", "print the shell completion script: -t completion bash|zsh|fish", tool_completion,
	 TOOL_NO_RECIPE},
	{"words", "what completion offers: -t words targets|vars|tools|options, one per line with a tab and its "
	 "description", tool_words, TOOL_RECIPE_OPTIONAL},
	{"server", "the engine helper and the file watcher: status (default), start or stop", tool_server,
	 TOOL_NO_RECIPE},
	{"list", "the tools", tool_list, TOOL_NO_RECIPE},
	{NULL, NULL, NULL, 0},
};
