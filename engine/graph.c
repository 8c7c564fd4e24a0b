/* graph: the task table, name lookup, dependency resolution and planning. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "graph.h"
#include "key.h"
#include "util.h"

/* A name or alias of a task, in the graph's index. */
struct gname {
	const char *name; /* points into the task's name or alias */
	uint64_t h;
	struct task *task;
};

void graph_init(struct graph *g)
{
	memset(g, 0, sizeof(*g));
	g->index = (struct htab)HTAB_INIT(struct gname, h);
}

void task_free(struct task *t)
{
	if (t->ops && t->ops->release)
		t->ops->release(t);
	free(t->name);
	free(t->desc);
	free(t->group);
	free(t->time);
	free(t->defn);
	strv_release(&t->deps);
	strv_release(&t->inputs);
	strv_release(&t->excludes);
	strv_release(&t->env);
	strv_release(&t->secrets);
	strv_release(&t->vars);
	strv_release(&t->outputs);
	strv_release(&t->aliases);
	strv_release(&t->argv);
	free(t->shell);
	free(t->pool);
	free(t->where);
	free(t->depv);
	free(t->rdeps);
	keyparts_free(t->parts);
	keyinputs_free(t->keyed);
	if (t->stdin_fd >= 0)
		close(t->stdin_fd);
	free(t);
}

void graph_release(struct graph *g)
{
	for (size_t i = 0; i < g->ntasks; i++)
		task_free(g->tasks[i]);
	for (size_t i = 0; i < g->npools; i++) {
		free(g->pools[i]->name);
		free(g->pools[i]);
	}
	free(g->tasks);
	free(g->pools);
	free(g->names);
	htab_release(&g->index);
	strv_release(&g->defaults);
	free(g->defaults_where);
	graph_init(g);
}

struct task *task_new(const char *name)
{
	struct task *t = xcalloc(1, sizeof(*t));

	t->name = xstrdup(name);
	t->stdin_fd = -1;
	return t;
}

static struct gname *lookup(const struct graph *g, const char *name)
{
	uint64_t h = XXH3_64bits(name, strlen(name));
	size_t pos = 0, i;

	while ((i = htab_next(&g->index, g->names, h, &pos)) != HTAB_END)
		if (strcmp(g->names[i].name, name) == 0)
			return &g->names[i];
	return NULL;
}

/* task_names: t's name (i == 0) and its aliases (1 ... aliases.n). */
static const char *task_names(const struct task *t, size_t i)
{
	return i ? t->aliases.v[i - 1] : t->name;
}

/* name_taken: -1 with an error naming both definitions when name i of t is a name of a task in g, or one of t's
 * own earlier names. */
static int name_taken(const struct graph *g, const struct task *t, size_t i)
{
	const char *name = task_names(t, i);
	struct gname *o = lookup(g, name);
	const struct task *other = o ? o->task : NULL;

	for (size_t j = 0; j < i && !other; j++)
		if (strcmp(task_names(t, j), name) == 0)
			other = t;
	if (other)
		return error("%s: task name '%s' is already used by task '%s' at %s", t->where ? t->where : "?", name,
		             other->name, other->where ? other->where : "?");
	return 0;
}

static void add_name(struct graph *g, const char *name, struct task *t)
{
	GROW(g->names, g->nnames, g->capnames);
	g->names[g->nnames] = (struct gname){name, XXH3_64bits(name, strlen(name)), t};
	htab_add(&g->index, g->names, g->nnames++);
}

/* slot_name: the name in slot i of the index, or NULL (a walk in table order, as the suggestions have always
 * been made). */
static const char *slot_name(const struct graph *g, size_t i)
{
	return g->index.slot[i] ? g->names[g->index.slot[i] - 1].name : NULL;
}

int graph_add(struct graph *g, struct task *t)
{
	/* every name is checked before any is added: a task refused leaves nothing of itself in the index (the caller
	 * frees it) */
	for (size_t i = 0; i <= t->aliases.n; i++)
		if (name_taken(g, t, i) < 0)
			return -1;
	for (size_t i = 0; i <= t->aliases.n; i++)
		add_name(g, task_names(t, i), t);
	GROW(g->tasks, g->ntasks, g->cap);
	g->tasks[g->ntasks++] = t;
	return 0;
}

struct task *graph_find(const struct graph *g, const char *name)
{
	struct gname *n = lookup(g, name);

	return n ? n->task : NULL;
}

struct pool *graph_pool(struct graph *g, const char *name)
{
	struct pool *p;

	for (size_t i = 0; i < g->npools; i++)
		if (strcmp(g->pools[i]->name, name) == 0)
			return g->pools[i];
	p = xcalloc(1, sizeof(*p));
	p->name = xstrdup(name);
	if (strcmp(name, "console") == 0) {
		p->depth = 1;
		p->console = 1;
	}
	GROW(g->pools, g->npools, g->cappools);
	g->pools[g->npools++] = p;
	return p;
}

/* has_words: whether every '-'-separated word of name is a word of n (in any order, "docker-dev" in
 * "docker-build-dev"); *extra gets how many words n has beyond them. */
static int has_words(const char *n, const char *name, size_t *extra)
{
	size_t want = 0, have = 1;

	for (const char *p = n; *p; p++)
		have += *p == '-';
	for (const char *w = name; *w;) {
		size_t len = strcspn(w, "-");
		int found = 0;
		for (const char *p = n; *p && !found && len;) {
			size_t l = strcspn(p, "-");
			found = l == len && strncmp(p, w, len) == 0;
			p += l + (p[l] == '-');
		}
		if (len && !found)
			return 0;
		want += len != 0;
		w += len + (w[len] == '-');
	}
	*extra = have - want;
	return want > 0 && have >= want;
}

void graph_suggest(const struct graph *g, const char *name, struct buf *b)
{
	const char *best = NULL;
	size_t bestd = strlen(name) / 3 + 1;

	for (size_t i = 0; i < g->index.nslot; i++) {
		const char *n = slot_name(g, i);
		if (!n)
			continue;
		size_t d = edit_distance(name, n, bestd);
		if (d < bestd || (d == bestd && best && strcmp(n, best) < 0 && d <= strlen(name) / 3)) {
			bestd = d;
			best = n;
		}
		/* a prefix match ("cycle" for "cycle-fast") is a good suggestion too */
		if (!best && (str_has_prefix(n, name) || str_has_prefix(name, n)))
			best = n;
	}
	/* else the name that has every word typed and the fewest others ("v3-build-dev": "v3-docker-build-dev") */
	size_t fewest = SIZE_MAX, extra;
	for (size_t i = 0; !best && i < g->index.nslot; i++) {
		const char *n = slot_name(g, i);
		if (n && has_words(n, name, &extra) && extra < fewest)
			fewest = extra;
	}
	const char *words = NULL;
	for (size_t i = 0; fewest != SIZE_MAX && i < g->index.nslot; i++) {
		const char *n = slot_name(g, i);
		if (n && has_words(n, name, &extra) && extra == fewest && (!words || strcmp(n, words) < 0))
			words = n;
	}
	if (!best)
		best = words;
	if (best)
		buf_addf(b, "; did you mean '%s'?", best);
}

int graph_resolve(struct graph *g)
{
	for (size_t i = 0; i < g->ntasks; i++) {
		struct task *t = g->tasks[i];
		free(t->depv);
		t->depv = xcalloc(t->deps.n + 1, sizeof(*t->depv));
		for (size_t j = 0; j < t->deps.n; j++) {
			struct task *d = graph_find(g, t->deps.v[j]);
			if (!d) {
				struct buf b = BUF_INIT;
				graph_suggest(g, t->deps.v[j], &b);
				error("%s: task '%s' depends on unknown task '%s'%s", t->where ? t->where : "?", t->name,
				      t->deps.v[j], b.data ? b.data : "; define a task of that name, or remove it from the deps");
				buf_release(&b);
				return -1;
			}
			t->depv[j] = d;
		}
		t->poolp = t->pool ? graph_pool(g, t->pool) : NULL;
	}
	for (size_t i = 0; i < g->defaults.n; i++) {
		if (!graph_find(g, g->defaults.v[i])) {
			struct buf b = BUF_INIT;
			graph_suggest(g, g->defaults.v[i], &b);
			error("%s%sdefault target '%s' is not a task%s", g->defaults_where ? g->defaults_where : "",
			      g->defaults_where ? ": " : "", g->defaults.v[i],
			      b.data ? b.data : "; define a task of that name, or name another in default");
			buf_release(&b);
			return -1;
		}
	}
	return 0;
}

enum { MARK_NONE, MARK_ACTIVE, MARK_DONE };

struct planner {
	struct task **out;
	size_t n, cap;
	struct task **stack;
	size_t depth, capstack;
};

static int report_cycle(struct planner *p, struct task *t)
{
	struct buf b = BUF_INIT;
	size_t i = p->depth;

	while (i > 0 && p->stack[i - 1] != t)
		i--;
	for (i = i ? i - 1 : 0; i < p->depth; i++)
		buf_addf(&b, "%s -> ", p->stack[i]->name);
	buf_adds(&b, t->name);
	/* named where the dependency that closes the cycle is declared: the task that depends on t */
	const struct task *last = p->depth ? p->stack[p->depth - 1] : t;
	error("%s: dependency cycle: %s; remove '%s' from the deps of task '%s', or another dependency of the cycle",
	      last->where ? last->where : "?", b.data, t->name, last->name);
	buf_release(&b);
	return -1;
}

static int visit(struct planner *p, struct task *t)
{
	if (t->mark == MARK_DONE)
		return 0;
	if (t->mark == MARK_ACTIVE)
		return report_cycle(p, t);
	t->mark = MARK_ACTIVE;
	GROW(p->stack, p->depth, p->capstack);
	p->stack[p->depth++] = t;
	for (size_t i = 0; i < t->deps.n; i++)
		if (visit(p, t->depv[i]) < 0)
			return -1;
	p->depth--;
	t->mark = MARK_DONE;
	GROW(p->out, p->n, p->cap);
	p->out[p->n++] = t;
	return 0;
}

int graph_plan(struct graph *g, struct task *const *targets, size_t ntargets, struct task ***plan, size_t *nplan)
{
	struct planner p = {0};
	int ret = 0;

	for (size_t i = 0; i < g->ntasks; i++)
		g->tasks[i]->mark = MARK_NONE;
	for (size_t i = 0; i < ntargets && ret == 0; i++)
		ret = visit(&p, targets[i]);
	free(p.stack);
	if (ret < 0) {
		free(p.out);
		return -1;
	}
	*plan = p.out;
	*nplan = p.n;
	return 0;
}
