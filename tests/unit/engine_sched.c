/* engine_sched: build_run of engine/build.c with a fake task type: what runs, in what order, what is skipped, what
 * a failure stops (and -k), that no more than -j jobs (and a pool's depth) run at once, and that the state records
 * a key only after a successful, trusted run. */
#include "t.h"
#include "tengine.h"

/* chain: a <- b <- c, and d on its own. */
static void chain(struct graph *g)
{
	graph_init(g);
	fake_task(g, "a", NULL);
	fake_task(g, "b", "a");
	fake_task(g, "c", "b");
	fake_task(g, "d", NULL);
	if (graph_resolve(g) < 0)
		fatal("resolve");
}

static void test_order_skip_and_rerun(void)
{
	struct graph g;

	tproject();
	chain(&g);
	CHECK_INT(tbuild(&g, "c"), SB_EXIT_OK);
	CHECK_LOG("run:a run:b run:c");
	CHECK(trecorded(&g, "a") == 1 && trecorded(&g, "b") == 1 && trecorded(&g, "c") == 1);
	CHECK_INT(trecorded(&g, "d"), -1); /* not needed, not run */
	/* nothing changed: nothing runs */
	CHECK_INT(tbuild(&g, "c"), SB_EXIT_OK);
	CHECK_LOG("");
	/* a's key changes: a and everything that depends on it run again, each after its dependency (d, never built,
	 * is ready from the start: ready tasks go in plan order) */
	fake_set_part(&g, "a", "v2");
	CHECK_INT(tbuild(&g, "c d"), SB_EXIT_OK);
	CHECK_LOG("run:a run:d run:b run:c");
	CHECK(trecorded(&g, "a") == 1 && trecorded(&g, "c") == 1);
	/* the end of the chain changes: only it runs */
	fake_set_part(&g, "c", "v2");
	CHECK_INT(tbuild(&g, "c d"), SB_EXIT_OK);
	CHECK_LOG("run:c");
	/* a change in the middle: not what it depends on */
	fake_set_part(&g, "b", "v2");
	CHECK_INT(tbuild(&g, "c d"), SB_EXIT_OK);
	CHECK_LOG("run:b run:c");
	CHECK_INT(tbuild(&g, "c d"), SB_EXIT_OK);
	CHECK_LOG("");
	graph_release(&g);
	tproject_end();
}

static void test_missing_output(void)
{
	struct graph g;
	struct task *w;

	tproject();
	graph_init(&g);
	w = fake_task(&g, "w", NULL);
	strv_push(&w->outputs, "w.txt");
	fake_of(&g, "w")->writes = xstrdup("w.txt");
	fake_task(&g, "user", "w");
	graph_resolve(&g);
	CHECK_INT(tbuild(&g, "user"), SB_EXIT_OK);
	CHECK_LOG("run:w run:user");
	unlink("w.txt");
	CHECK_INT(tbuild(&g, "user"), SB_EXIT_OK);
	/* w makes it again; its key did not change, so what depends on it has nothing new to read */
	CHECK_LOG("run:w");
	CHECK(access("w.txt", F_OK) == 0);
	CHECK_INT(trecorded(&g, "w"), 1);
	graph_release(&g);
	tproject_end();
}

static void test_failure(void)
{
	struct graph g;
	struct build_opts o = {.jobs = 1, .quiet = 1};
	struct buf err = BUF_INIT;
	int r;

	tproject();
	graph_init(&g);
	fake_task(&g, "f", NULL);
	fake_task(&g, "g", "f");
	fake_task(&g, "i", NULL);
	graph_resolve(&g);
	/* a first success, so that a later failure has a record to leave alone */
	CHECK_INT(tbuild(&g, "f"), SB_EXIT_OK);
	CHECK_LOG("run:f");
	struct hash128 good = graph_find(&g, "f")->key;
	fake_set_part(&g, "f", "v2");
	fake_of(&g, "f")->status = 3;

	/* -k 0 (keep going): the failed task's dependents do not run, independent tasks do */
	tcapture_begin();
	r = tbuild_opts(&g, "g i", &o);
	tcapture_end(&err);
	CHECK_INT(r, SB_EXIT_FAILED);
	CHECK_LOG("run:f run:i");
	CHECK_INT(trecorded(&g, "f"), 0); /* still the record of the last success */
	struct state *st = state_open(TSTATE, 0);
	CHECK(st && state_get(st, "f") && hash_eq(&state_get(st, "f")->key, &good));
	state_close(st);
	CHECK_INT(trecorded(&g, "g"), -1);
	CHECK_INT(trecorded(&g, "i"), 1);

	/* -k 1: nothing more starts after the first failure */
	o.keep_going = 1;
	fake_set_part(&g, "i", "v2");
	tcapture_begin();
	r = tbuild_opts(&g, "g i", &o);
	tcapture_end(&err);
	CHECK_INT(r, SB_EXIT_FAILED);
	CHECK_LOG("run:f");
	CHECK_INT(trecorded(&g, "i"), 0);
	/* fixed, the failed task and its dependents run; the record moves to the new key */
	fake_of(&g, "f")->status = 0;
	CHECK_INT(tbuild(&g, "g i"), SB_EXIT_OK);
	CHECK_LOG("run:f run:i run:g");
	CHECK(trecorded(&g, "f") == 1 && trecorded(&g, "g") == 1);
	buf_release(&err);
	graph_release(&g);
	tproject_end();
}

static void test_record_after_success(void)
{
	struct graph g;
	struct task *t;
	struct buf err = BUF_INIT;
	struct build_opts dry = {.jobs = 2, .quiet = 1, .dry_run = 1};

	tproject();
	graph_init(&g);
	t = fake_task(&g, "t", NULL);
	strv_push(&t->inputs, "in.txt");
	fake_task(&g, "after", "t");
	graph_resolve(&g);
	fake_write("in.txt", "one\n");
	/* a dry run runs nothing and records nothing */
	CHECK_INT(tbuild_opts(&g, "after", &dry), SB_EXIT_OK);
	CHECK_LOG("");
	CHECK_INT(trecorded(&g, "t"), -1);
	/* while it runs, its new key is not recorded yet */
	CHECK_INT(tbuild(&g, "after"), SB_EXIT_OK);
	CHECK_LOG("run:t run:after");
	CHECK_INT(fake_of(&g, "t")->recorded_at_run, 0);
	CHECK_INT(trecorded(&g, "t"), 1);
	/* an input changed while it ran: the run succeeded but records nothing, nor does what used its result, and
	 * the next build runs both again */
	fake_write("in.txt", "two\n");
	fake_of(&g, "t")->touches = xstrdup("in.txt");
	tcapture_begin();
	CHECK_INT(tbuild(&g, "after"), SB_EXIT_OK);
	tcapture_end(&err);
	CHECK_LOG("run:t run:after");
	CHECK_INT(trecorded(&g, "t"), 0);
	CHECK_INT(trecorded(&g, "after"), 0);
	free(fake_of(&g, "t")->touches);
	fake_of(&g, "t")->touches = NULL;
	CHECK_INT(tbuild(&g, "after"), SB_EXIT_OK);
	CHECK_LOG("run:t run:after");
	CHECK(trecorded(&g, "t") == 1 && trecorded(&g, "after") == 1);
	buf_release(&err);
	graph_release(&g);
	tproject_end();
}

/* sleeper: a job (a process, not an in-process run) that takes a moment, so that jobs overlap when allowed. */
static struct task *sleeper(struct graph *g, const char *name, const char *pool)
{
	struct task *t = fake_task(g, name, NULL);

	t->run = RUN_SHELL;
	t->shell = xstrdup("sleep 0.05");
	if (pool)
		t->pool = xstrdup(pool);
	return t;
}

static void test_parallelism(void)
{
	struct graph g;
	struct build_opts o = {.quiet = 1};
	char name[16];

	tproject();
	graph_init(&g);
	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "j%d", i);
		sleeper(&g, name, NULL);
	}
	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		sleeper(&g, name, "one");
	}
	graph_pool(&g, "one")->depth = 1;
	graph_resolve(&g);
	/* the scheduler starts as many jobs as -j allows before it waits for one: never more, and here exactly that */
	o.jobs = 2;
	CHECK_INT(tbuild_opts(&g, "j0 j1 j2 j3 j4 j5", &o), SB_EXIT_OK);
	CHECK_INT(tmaxlive, 2);
	CHECK_INT(tlog.n, 6);
	strv_release(&tlog);
	o.jobs = 4;
	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "j%d", i);
		fake_set_part(&g, name, "v2");
	}
	CHECK_INT(tbuild_opts(&g, "j0 j1 j2 j3 j4 j5", &o), SB_EXIT_OK);
	CHECK_INT(tmaxlive, 4);
	CHECK_INT(tlog.n, 6);
	strv_release(&tlog);
	/* a pool of depth 1 runs its jobs one at a time, whatever -j says */
	CHECK_INT(tbuild_opts(&g, "p0 p1 p2 p3", &o), SB_EXIT_OK);
	CHECK_INT(tmaxlive, 1);
	CHECK_INT(tlog.n, 4);
	strv_release(&tlog);
	graph_release(&g);
	tproject_end();
}

/* A fake type whose run never reads its key (a Lua run function that takes no key), counting the keys computed. */
static int keys_computed;

static int counted_add_key(struct task *t, struct keyparts *kp, const struct keyenv *ke)
{
	keys_computed++;
	return fake_add_key(t, kp, ke);
}

static int never_reads_key(const struct task *t)
{
	(void)t;
	return 1;
}

static const struct task_ops keyless_ops = {
	.kind = "fake",
	.add_key = counted_add_key,
	.check = fake_check,
	.prepare = fake_prepare,
	.run = fake_run,
	.finish = fake_finish,
	.key_unread = never_reads_key,
	.release = fake_release,
};

/* An always task nothing in the build depends on, whose run never reads its key, runs without one; its key is
 * computed when a task of the build depends on it, in a dry run, or when the type cannot say its run ignores it. */
static void test_always_keyless(void)
{
	struct graph g;
	struct build_opts dry = {.jobs = 2, .quiet = 1, .dry_run = 1};
	struct task *a, *b;

	tproject();
	graph_init(&g);
	a = fake_task(&g, "a", NULL);
	b = fake_task(&g, "b", "a");
	a->ops = b->ops = &keyless_ops;
	a->flags |= TASK_ALWAYS;
	if (graph_resolve(&g) < 0)
		fatal("resolve");
	keys_computed = 0;
	CHECK_INT(tbuild(&g, "a"), SB_EXIT_OK);
	CHECK_LOG("run:a");
	CHECK_INT(keys_computed, 0);
	CHECK(a->parts == NULL);
	CHECK_INT(trecorded(&g, "a"), 1); /* its run is recorded (with no key), without waiting for the disk */
	CHECK_INT(tbuild(&g, "a"), SB_EXIT_OK); /* it always runs, still without a key */
	CHECK_LOG("run:a");
	CHECK_INT(keys_computed, 0);
	{
		struct state *st = state_open(TSTATE, 0);
		const struct taskrec *rec = st ? state_get(st, "a") : NULL;
		CHECK(rec && rec->runs == 2); /* both runs counted: the lazy record is read back like any other */
		state_close(st);
	}
	/* b depends on it: b's key holds a's, so a's is computed */
	CHECK_INT(tbuild(&g, "b"), SB_EXIT_OK);
	CHECK_LOG("run:a run:b");
	CHECK_INT(keys_computed, 2);
	CHECK(a->parts != NULL && trecorded(&g, "a") == 1 && trecorded(&g, "b") == 1);
	graph_release(&g);

	graph_init(&g);
	a = fake_task(&g, "a", NULL);
	a->ops = &keyless_ops;
	a->flags |= TASK_ALWAYS;
	if (graph_resolve(&g) < 0)
		fatal("resolve");
	keys_computed = 0;
	CHECK_INT(tbuild_opts(&g, "a", &dry), SB_EXIT_OK); /* a dry run keys what it would run */
	CHECK_INT(keys_computed, 1);
	graph_release(&g);

	graph_init(&g);
	a = fake_task(&g, "a", NULL); /* a type that cannot say: the key is computed */
	a->flags |= TASK_ALWAYS;
	if (graph_resolve(&g) < 0)
		fatal("resolve");
	CHECK_INT(tbuild(&g, "a"), SB_EXIT_OK);
	CHECK_LOG("run:a");
	CHECK(a->parts != NULL && trecorded(&g, "a") == 1);
	graph_release(&g);
	tproject_end();
}

/* A fake type that logs when a task asks ahead (task_ops.ahead) and when its key is computed. */
static void log_name(const char *what, const struct task *t)
{
	char *s = xasprintf("%s:%s", what, t->name);
	strv_push(&tlog, s);
	free(s);
}

static void logged_ahead(struct task *t, const struct keyenv *ke)
{
	(void)ke;
	log_name("ahead", t);
}

static int logged_add_key(struct task *t, struct keyparts *kp, const struct keyenv *ke)
{
	log_name("key", t);
	return fake_add_key(t, kp, ke);
}

static const struct task_ops ahead_ops = {
	.kind = "fake",
	.ahead = logged_ahead,
	.add_key = logged_add_key,
	.check = fake_check,
	.prepare = fake_prepare,
	.run = fake_run,
	.finish = fake_finish,
	.release = fake_release,
};

/* Every task of a plan but the first asks ahead before the first is keyed, in a build and in an explain. */
static void test_ask_ahead(void)
{
	struct graph g;

	tproject();
	chain(&g);
	for (const char *n = "abc"; *n; n++) {
		char name[2] = {*n, 0};
		graph_find(&g, name)->ops = &ahead_ops;
	}
	CHECK_INT(tbuild(&g, "c"), SB_EXIT_OK);
	CHECK_LOG("ahead:b ahead:c key:a run:a key:b run:b key:c run:c");
	CHECK_INT(tbuild(&g, "a"), SB_EXIT_OK); /* a plan of one: it asks when it is keyed */
	CHECK_LOG("key:a");
	graph_release(&g);
	tproject_end();
}

int main(void)
{
	signals_install();
	test_order_skip_and_rerun();
	test_missing_output();
	test_failure();
	test_record_after_success();
	test_parallelism();
	test_always_keyless();
	test_ask_ahead();
	return t_done("engine_sched");
}
