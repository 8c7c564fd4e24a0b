/* engine_graph: graph planning of engine/graph.c: dependency order, each task once, only what the targets need,
 * cycles and unknown names reported with a clear error, names and aliases. */
#include "t.h"
#include "tengine.h"

/* at: the index of name in plan, or -1. */
static long at(struct task **plan, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(plan[i]->name, name) == 0)
			return (long)i;
	return -1;
}

/* plan_of: graph_plan of the space-separated targets; its return, the plan in *plan (caller frees). */
static int plan_of(struct graph *g, const char *targets, struct task ***plan, size_t *n)
{
	struct task *v[8];
	size_t nv = 0;
	char *tv = xstrdup(targets);

	for (char *p = strtok(tv, " "); p && nv < LEN(v); p = strtok(NULL, " "))
		v[nv++] = graph_find(g, p);
	free(tv);
	*plan = NULL;
	*n = 0;
	return graph_plan(g, v, nv, plan, n);
}

static void test_diamond_order(void)
{
	struct graph g;
	struct task **plan;
	size_t n;

	graph_init(&g);
	/* declared dependents first, so that definition order cannot pass for dependency order */
	fake_task(&g, "top", "left right");
	fake_task(&g, "left", "base");
	fake_task(&g, "right", "base");
	fake_task(&g, "base", NULL);
	fake_task(&g, "other", "base");
	CHECK_INT(graph_resolve(&g), 0);
	CHECK_INT(plan_of(&g, "top", &plan, &n), 0);
	CHECK_INT(n, 4); /* base once, though two tasks need it; "other" is not needed */
	CHECK_INT(at(plan, n, "other"), -1);
	CHECK(at(plan, n, "base") >= 0 && at(plan, n, "base") < at(plan, n, "left"));
	CHECK(at(plan, n, "base") < at(plan, n, "right"));
	CHECK(at(plan, n, "left") < at(plan, n, "top") && at(plan, n, "right") < at(plan, n, "top"));
	CHECK_INT(at(plan, n, "top"), 3);
	free(plan);

	/* two targets sharing dependencies: each task still once, each after its deps */
	CHECK_INT(plan_of(&g, "other top", &plan, &n), 0);
	CHECK_INT(n, 5);
	CHECK_INT(at(plan, n, "base"), 0);
	CHECK(at(plan, n, "other") > 0 && at(plan, n, "top") == 4);
	free(plan);
	graph_release(&g);
}

static void test_cycle(void)
{
	struct graph g;
	struct task **plan;
	size_t n;
	struct buf err = BUF_INIT;
	int r;

	graph_init(&g);
	fake_task(&g, "entry", "a");
	fake_task(&g, "a", "b");
	fake_task(&g, "b", "c");
	fake_task(&g, "c", "a");
	fake_task(&g, "self", "self");
	fake_task(&g, "fine", NULL);
	CHECK_INT(graph_resolve(&g), 0); /* a cycle is found when planning, where it can be named */
	tcapture_begin();
	r = plan_of(&g, "entry", &plan, &n);
	tcapture_end(&err);
	CHECK_INT(r, -1);
	CHECK(plan == NULL && n == 0);
	/* the cycle itself, in dependency order, not the path that led to it */
	CHECK(strstr(err.data, "dependency cycle: a -> b -> c -> a") != NULL);
	CHECK(strstr(err.data, "entry") == NULL);
	buf_reset(&err);
	tcapture_begin();
	r = plan_of(&g, "self", &plan, &n);
	tcapture_end(&err);
	CHECK_INT(r, -1);
	CHECK(strstr(err.data, "dependency cycle: self -> self") != NULL);
	/* a cycle elsewhere in the graph does not stop a target that does not reach it */
	CHECK_INT(plan_of(&g, "fine", &plan, &n), 0);
	CHECK(n == 1 && strcmp(plan[0]->name, "fine") == 0);
	free(plan);

	/* a build of a cycle is a usage error that runs nothing */
	tproject();
	tcapture_begin();
	r = tbuild(&g, "fine entry");
	tcapture_end(&err);
	CHECK_INT(r, SB_EXIT_USAGE);
	CHECK_LOG("");
	CHECK_INT(trecorded(&g, "fine"), -1);
	tproject_end();
	buf_release(&err);
	graph_release(&g);
}

static void test_unknown_and_names(void)
{
	struct graph g;
	struct buf err = BUF_INIT;
	struct task *t;
	int r;

	graph_init(&g);
	fake_task(&g, "compile", NULL);
	t = fake_task(&g, "link", "complie");
	strv_push(&t->aliases, "v3-link");
	tcapture_begin();
	r = graph_resolve(&g);
	tcapture_end(&err);
	CHECK_INT(r, -1);
	CHECK(strstr(err.data, "test.lua:1: task 'link' depends on unknown task 'complie'; did you mean 'compile'?") != NULL);
	graph_release(&g);

	graph_init(&g);
	fake_task(&g, "compile", NULL);
	t = task_new("build");
	strv_push(&t->aliases, "v3-build");
	CHECK_INT(graph_add(&g, t), 0);
	CHECK(graph_find(&g, "v3-build") == t && graph_find(&g, "build") == t);
	CHECK(graph_find(&g, "nope") == NULL);
	/* a name taken twice is an error naming both definitions; the second task is not added */
	t = task_new("compile");
	t->where = xstrdup("other.lua:7");
	buf_reset(&err);
	tcapture_begin();
	r = graph_add(&g, t);
	tcapture_end(&err);
	CHECK_INT(r, -1);
	CHECK(strstr(err.data, "compile") && strstr(err.data, "other.lua:7") && strstr(err.data, "test.lua:1"));
	CHECK_INT(g.ntasks, 2);
	task_free(t);
	/* a task refused for one alias leaves none of its names behind: its caller frees it */
	t = task_new("fresh");
	t->where = xstrdup("other.lua:9");
	strv_push(&t->aliases, "v3-fresh");
	strv_push(&t->aliases, "v3-build");
	buf_reset(&err);
	tcapture_begin();
	r = graph_add(&g, t);
	tcapture_end(&err);
	CHECK_INT(r, -1);
	CHECK(strstr(err.data, "other.lua:9: task name 'v3-build' is already used by task 'build'") != NULL);
	CHECK(graph_find(&g, "fresh") == NULL);
	CHECK(graph_find(&g, "v3-fresh") == NULL);
	task_free(t);
	t = task_new("fresh");
	CHECK_INT(graph_add(&g, t), 0);
	CHECK(graph_find(&g, "fresh") == t);
	/* so does one whose alias repeats its own name */
	t = task_new("twice");
	strv_push(&t->aliases, "twice");
	tcapture_begin();
	r = graph_add(&g, t);
	tcapture_end(&err);
	CHECK_INT(r, -1);
	CHECK(graph_find(&g, "twice") == NULL);
	task_free(t);
	graph_release(&g);
	buf_release(&err);
}

int main(void)
{
	test_diamond_order();
	test_cycle();
	test_unknown_and_names();
	return t_done("engine_graph");
}
