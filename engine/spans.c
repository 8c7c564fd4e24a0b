/* spans: a build's decisions about its tasks, recorded for --json and the trace log (build.h's struct build_spans).
 * Every function does nothing when sp is NULL (a build that records none). */
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "graph.h"
#include "spans.h"
#include "util.h"

void build_spans_release(struct build_spans *sp)
{
	for (size_t i = 0; i < sp->n; i++)
		free(sp->v[i].why);
	free(sp->v);
	sp->v = NULL;
	sp->n = sp->cap = 0;
}

void spans_add(struct build_spans *sp, struct task *t, enum span_outcome oc, const char *why, int has_key)
{
	struct build_span *v;

	if (!sp)
		return;
	GROW(sp->v, sp->n, sp->cap);
	v = &sp->v[sp->n++];
	memset(v, 0, sizeof(*v));
	v->task = t;
	v->outcome = oc;
	v->why = why && *why ? xstrdup(why) : NULL;
	v->has_key = has_key;
	if (has_key)
		v->key = t->key;
	v->start_ns = v->end_ns = now_ns();
	v->parent = sp->parent;
	t->span = sp->n;
}

struct build_span *spans_of(struct build_spans *sp, size_t first, const struct task *t)
{
	return sp && t->span > first ? &sp->v[t->span - 1] : NULL;
}

void spans_mark(struct build_spans *sp, size_t first, struct task *t, int start, enum span_outcome oc, int status)
{
	struct build_span *v = spans_of(sp, first, t);

	if (!v)
		return;
	if (start) {
		v->start_ns = v->end_ns = now_ns();
		return;
	}
	v->end_ns = now_ns();
	v->outcome = oc;
	v->status = status;
}

long spans_nest(struct build_spans *sp, size_t first, struct task *t)
{
	long was;

	if (!sp)
		return -1;
	was = sp->parent;
	if (spans_of(sp, first, t))
		sp->parent = (long)t->span - 1;
	return was;
}

void spans_unnest(struct build_spans *sp, long was)
{
	if (sp)
		sp->parent = was;
}
