/* graph: the task table, name lookup, dependency resolution and planning. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "graph.h"
#include "key.h"
#include "util.h"

struct gslot {
	const char *name; /* points into the task's name or alias */
	struct task *task;
};

void strv_push(struct strv *sv, const char *s)
{
	if (sv->n == sv->cap) {
		sv->cap = sv->cap ? sv->cap * 2 : 4;
		sv->v = xreallocarray(sv->v, sv->cap, sizeof(*sv->v));
	}
	sv->v[sv->n++] = xstrdup(s);
}

void strv_release(struct strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void strv_sort(struct strv *sv)
{
	if (sv->n > 1)
		qsort(sv->v, sv->n, sizeof(*sv->v), cmpstr);
}

void graph_init(struct graph *g)
{
	memset(g, 0, sizeof(*g));
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
	free(g->slots);
	strv_release(&g->defaults);
	memset(g, 0, sizeof(*g));
}

struct task *task_new(const char *name)
{
	struct task *t = xcalloc(1, sizeof(*t));

	t->name = xstrdup(name);
	t->stdin_fd = -1;
	return t;
}

static size_t slot_of(const struct graph *g, const char *name)
{
	size_t mask = g->nslots - 1;
	size_t i = (size_t)XXH3_64bits(name, strlen(name)) & mask;

	while (g->slots[i].name && strcmp(g->slots[i].name, name) != 0)
		i = (i + 1) & mask;
	return i;
}

static void grow_slots(struct graph *g)
{
	struct gslot *old = g->slots;
	size_t nold = g->nslots;

	g->nslots = nold ? nold * 2 : 64;
	g->slots = xcalloc(g->nslots, sizeof(*g->slots));
	for (size_t i = 0; i < nold; i++)
		if (old[i].name)
			g->slots[slot_of(g, old[i].name)] = old[i];
	free(old);
}

static int add_name(struct graph *g, const char *name, struct task *t)
{
	size_t i;

	if ((g->used + 1) * 2 > g->nslots)
		grow_slots(g);
	i = slot_of(g, name);
	if (g->slots[i].name) {
		struct task *o = g->slots[i].task;
		return error("%s: task name '%s' is already used by task '%s' at %s", t->where ? t->where : "?", name,
		             o->name, o->where ? o->where : "?");
	}
	g->slots[i].name = name;
	g->slots[i].task = t;
	g->used++;
	return 0;
}

int graph_add(struct graph *g, struct task *t)
{
	if (add_name(g, t->name, t) < 0)
		return -1;
	for (size_t i = 0; i < t->aliases.n; i++)
		if (add_name(g, t->aliases.v[i], t) < 0)
			return -1;
	if (g->ntasks == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 16;
		g->tasks = xreallocarray(g->tasks, g->cap, sizeof(*g->tasks));
	}
	g->tasks[g->ntasks++] = t;
	return 0;
}

struct task *graph_find(const struct graph *g, const char *name)
{
	if (!g->nslots)
		return NULL;
	return g->slots[slot_of(g, name)].task;
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
	g->pools = xreallocarray(g->pools, g->npools + 1, sizeof(*g->pools));
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

	for (size_t i = 0; i < g->nslots; i++) {
		const char *n = g->slots[i].name;
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
	for (size_t i = 0; !best && i < g->nslots; i++) {
		const char *n = g->slots[i].name;
		if (n && has_words(n, name, &extra) && extra < fewest)
			fewest = extra;
	}
	const char *words = NULL;
	for (size_t i = 0; fewest != SIZE_MAX && i < g->nslots; i++) {
		const char *n = g->slots[i].name;
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
				      t->deps.v[j], b.data ? b.data : "");
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
			error("default target '%s' is not a task%s", g->defaults.v[i], b.data ? b.data : "");
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
	size_t depth;
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
	error("dependency cycle: %s", b.data);
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
	p->stack = xreallocarray(p->stack, p->depth + 1, sizeof(*p->stack));
	p->stack[p->depth++] = t;
	for (size_t i = 0; i < t->deps.n; i++)
		if (visit(p, t->depv[i]) < 0)
			return -1;
	p->depth--;
	t->mark = MARK_DONE;
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 16;
		p->out = xreallocarray(p->out, p->cap, sizeof(*p->out));
	}
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
