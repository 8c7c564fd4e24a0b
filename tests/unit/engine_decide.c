/* engine_decide: task_key and task_decide of engine/key.c and engine/build.c with a fake task type: a task whose key
 * is unchanged and whose outputs exist is up to date; every change to what it depends on, a missing or changed
 * output, or results its type finds gone make it run, each with its reason. */
#include "t.h"
#include "tengine.h"

/* One test's project: its graph, keys and state, and the reasons of the last decision. */
struct env {
	struct graph g;
	struct keyenv ke;
	struct state *st;
	struct buf why;
};

/* env_open: a fresh project with its state open for writing, and an empty graph g. */
static void env_open(struct env *e)
{
	tproject();
	memset(e, 0, sizeof(*e));
	graph_init(&e->g);
	e->ke.rootfd = AT_FDCWD;
	e->ke.tmpdir = TSTATE;
	e->ke.fc = filecache_load(TSTATE "/files");
	e->st = state_open(TSTATE, STATE_WRITE);
	if (!e->st)
		fatal("cannot open the state");
}

static void env_close(struct env *e)
{
	graph_release(&e->g);
	state_close(e->st);
	filecache_free(e->ke.fc);
	buf_release(&e->why);
	tproject_end();
}

/* decide: key t, then decide it; the reasons in e->why (reset first). 0 up to date, 1 run, -1 error. */
static int decide(struct env *e, struct task *t)
{
	buf_reset(&e->why);
	buf_adds(&e->why, "");
	if (task_key(t, &e->ke) < 0)
		return -1;
	return task_decide(t, e->st, &e->ke, &e->why);
}

/* record: what a successful run leaves: its key recorded. */
static void record(struct env *e, struct task *t)
{
	if (task_key(t, &e->ke) < 0 || task_record(t, e->st, &e->ke, 1000) < 0)
		fatal("cannot record '%s'", t->name);
}

static void test_never_built_then_current(void)
{
	struct env e;
	struct task *t;

	env_open(&e);
	t = fake_task(&e.g, "t", NULL);
	graph_resolve(&e.g);
	CHECK_INT(decide(&e, t), 1);
	CHECK(strstr(e.why.data, "never built") != NULL);
	record(&e, t);
	CHECK_INT(decide(&e, t), 0);
	CHECK_STR(e.why.data, "");
	/* the same definition keyed again gives the same key: the decision holds in a new process too */
	struct hash128 k = t->key;
	CHECK_INT(task_key(t, &e.ke), 0);
	CHECK(hash_eq(&k, &t->key));
	/* always = true runs though nothing changed */
	t->flags |= TASK_ALWAYS;
	CHECK_INT(decide(&e, t), 1);
	CHECK(strstr(e.why.data, "always") != NULL);
	env_close(&e);
}

static void test_key_changes(void)
{
	struct env e;
	struct task *dep, *t;

	env_open(&e);
	mkdir("src", 0755);
	fake_write("src/a.c", "int a;\n");
	fake_write("src/b.c", "int b;\n");
	dep = fake_task(&e.g, "dep", NULL);
	t = fake_task(&e.g, "t", "dep");
	strv_push(&t->inputs, "src/*.c");
	graph_resolve(&e.g);
	record(&e, dep);
	record(&e, t);
	CHECK_INT(decide(&e, t), 0);

	/* the type's own key part */
	fake_set_part(&e.g, "t", "v2");
	CHECK_INT(decide(&e, t), 1);
	CHECK(strstr(e.why.data, "fake:part changed: 'v1' -> 'v2'") != NULL);
	fake_set_part(&e.g, "t", "v1");
	CHECK_INT(decide(&e, t), 0);

	/* an input's content; not its mtime alone */
	fake_write("src/a.c", "int a = 1;\n");
	CHECK_INT(decide(&e, t), 1);
	CHECK(strstr(e.why.data, "input 'src/a.c' modified") != NULL);
	fake_write("src/a.c", "int a;\n");
	struct timespec old[2] = {{0, UTIME_OMIT}, {1000000000, 0}};
	utimensat(AT_FDCWD, "src/a.c", old, 0);
	CHECK_INT(decide(&e, t), 0);

	/* a file its pattern now matches, and one it no longer does */
	fake_write("src/c.c", "int c;\n");
	CHECK_INT(decide(&e, t), 1);
	CHECK(strstr(e.why.data, "input 'src/c.c' added") != NULL);
	unlink("src/c.c");
	unlink("src/b.c");
	CHECK_INT(decide(&e, t), 1);
	CHECK(strstr(e.why.data, "input 'src/b.c' removed") != NULL);
	fake_write("src/b.c", "int b;\n");
	CHECK_INT(decide(&e, t), 0);

	/* the definition, a variable, an environment variable */
	free(t->defn);
	t->defn = xstrdup("fake task t, edited");
	CHECK_INT(decide(&e, t), 1);
	CHECK(strstr(e.why.data, "definition in the recipe changed") != NULL);
	free(t->defn);
	t->defn = xstrdup("fake task t");
	strv_push(&t->vars, "MODE=release");
	CHECK_INT(decide(&e, t), 1);
	CHECK(strstr(e.why.data, "variable MODE is now keyed") != NULL);
	strv_release(&t->vars);
	setenv("SB_ENGINE_DECIDE", "1", 1);
	strv_push(&t->env, "SB_ENGINE_DECIDE");
	record(&e, t);
	setenv("SB_ENGINE_DECIDE", "2", 1);
	CHECK_INT(decide(&e, t), 1);
	CHECK(strstr(e.why.data, "environment variable SB_ENGINE_DECIDE changed") != NULL);
	unsetenv("SB_ENGINE_DECIDE");
	CHECK_INT(decide(&e, t), 1);
	strv_release(&t->env);
	record(&e, t);

	/* a dependency's new key (its record is what a dependent's key takes): the dependent runs */
	fake_set_part(&e.g, "dep", "v2");
	CHECK_INT(decide(&e, dep), 1);
	CHECK_INT(decide(&e, t), 1);
	CHECK(strstr(e.why.data, "dependency 'dep' has a new key") != NULL);
	env_close(&e);
}

static void test_outputs(void)
{
	struct env e;
	struct task *t;

	env_open(&e);
	t = fake_task(&e.g, "t", NULL);
	strv_push(&t->outputs, "out.txt");
	graph_resolve(&e.g);
	/* a run that left no declared output is not recorded */
	tcapture_begin();
	CHECK_INT(task_key(t, &e.ke) == 0 && task_record(t, e.st, &e.ke, 1) == -1, 1);
	tcapture_end(&e.why);
	CHECK(strstr(e.why.data, "did not produce its declared output") != NULL);
	CHECK(state_get(e.st, "t") == NULL);
	fake_write("out.txt", "one\n");
	record(&e, t);
	CHECK_INT(decide(&e, t), 0);
	unlink("out.txt");
	CHECK_INT(decide(&e, t), 1);
	CHECK(strstr(e.why.data, "out.txt") != NULL);
	fake_write("out.txt", "edited by hand\n");
	CHECK_INT(decide(&e, t), 1);
	CHECK(strstr(e.why.data, "an output was changed") != NULL);
	fake_write("out.txt", "one\n");
	CHECK_INT(decide(&e, t), 0);
	env_close(&e);
}

static void test_type_check(void)
{
	struct env e;
	struct task *t, *k;
	struct fake *f;

	env_open(&e);
	t = fake_task(&e.g, "t", NULL);
	k = fake_task(&e.g, "k", NULL);
	fake_keyed(k);
	graph_resolve(&e.g);

	/* a type whose results can vanish behind our back (an image removed): recorded, but gone, it runs */
	f = t->udata;
	f->checks = 1;
	f->present = 1;
	record(&e, t);
	CHECK_INT(decide(&e, t), 0);
	f->present = 0;
	CHECK_INT(decide(&e, t), 1);
	CHECK(strstr(e.why.data, "the fake results are gone") != NULL);

	/* a type whose results carry their key: current with no record of ours when they are there (built elsewhere),
	 * and not when they are not */
	f = k->udata;
	CHECK_INT(decide(&e, k), 1);
	CHECK(strstr(e.why.data, "no fake result carries the key") != NULL);
	f->has = k->key;
	CHECK_INT(decide(&e, k), 0);
	CHECK(state_get(e.st, "k") == NULL); /* deciding never writes */
	/* recorded under an older key, the results made with the new one count */
	record(&e, k);
	fake_set_part(&e.g, "k", "v2");
	CHECK_INT(decide(&e, k), 1);
	CHECK(strstr(e.why.data, "fake:part changed") != NULL);
	f->has = k->key;
	CHECK_INT(decide(&e, k), 0);
	env_close(&e);
}

/* The after-run check: unchanged inputs pass; a signal that stops its stat calls is an error that says so, not an
 * input that "changed while it ran". */
static void test_check_interrupted(void)
{
	volatile int stop = 0;
	struct buf why = BUF_INIT, err = BUF_INIT;
	struct env e;
	struct task *t;

	env_open(&e);
	e.ke.stop = &stop;
	mkdir("src", 0755);
	fake_write("src/a.c", "int a;\n");
	fake_write("src/b.c", "int b;\n");
	t = fake_task(&e.g, "t", NULL);
	strv_push(&t->inputs, "src/*.c");
	graph_resolve(&e.g);
	CHECK_INT(task_key(t, &e.ke), 0);
	CHECK_INT(task_inputs_check(t, &e.ke, &why), 0);
	stop = 1;
	tcapture_begin();
	CHECK_INT(task_inputs_check(t, &e.ke, &why), -1);
	tcapture_end(&err);
	CHECK(strstr(err.data, "task 't': interrupted while its inputs were checked; not recorded") != NULL);
	CHECK(!why.data || !strstr(why.data, "changed"));
	buf_release(&why);
	buf_release(&err);
	env_close(&e);
}

/* A part's name and value survive keyparts_encode and keyparts_decode whatever bytes they hold: each part one line,
 * with backslash, tab and newline escaped, in runs long and short. */
static void test_parts_text(void)
{
	static const char *const names[] = {"in:plain/path.c", "var:a\\tb", "env:\ttab\nnew\\", "x\n", "\\", ""};
	static const char *const values[] = {"value", "", "a\tb\nc\\d\\\\", NULL, "\n\n", "end\\"};
	struct keyparts *kp = keyparts_new(), *back;
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < LEN(names); i++)
		keyparts_addstr(kp, names[i], values[i]);
	keyparts_encode(kp, &b);
	CHECK(strstr(b.data, "var:a\\\\tb\t\n") != NULL); /* a backslash doubled, the value empty */
	back = keyparts_decode(b.data, b.len);
	CHECK(back != NULL);
	if (back) {
		int ok = back->n == kp->n;
		for (size_t i = 0; ok && i < kp->n; i++) {
			ok &= strcmp(keyparts_name(back, i), names[i]) == 0 && hash_eq(&back->v[i].h, &kp->v[i].h);
			/* an absent value is shown as "(unset)" */
			ok &= keyparts_value(back, i) && strcmp(keyparts_value(back, i), values[i] ? values[i] : "(unset)") == 0;
		}
		CHECK(ok);
	}
	keyparts_free(back);
	keyparts_free(kp);
	buf_release(&b);
}

int main(void)
{
	test_never_built_then_current();
	test_key_changes();
	test_outputs();
	test_type_check();
	test_parts_text();
	test_check_interrupted();
	return t_done("engine_decide");
}
