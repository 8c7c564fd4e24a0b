/* engine_trust: engine/trust.h's stretches around nested builds and explains: a pause made while no task runs (a
 * check function deciding a task of a nested build asks sb.outdated) pauses nothing, and its resume starts nothing,
 * so the task that made the nested build counts as running again once that build is over, and only then. A pause
 * made by a check function while a command task of the same build runs pauses nothing either: only the in-process
 * body running now pauses, and only its own task. */
#include "t.h"
#include "trust.h"

static void test_nested_pause(void)
{
	struct trust t = TRUST_INIT;
	unsigned long a, b, c;
	int outer, inner;

	trust_task_started(&t); /* a cycle task runs */
	trust_body_started(&t); /* its run function, in-process */
	CHECK_INT(trust_stretch(&t), 0);
	outer = trust_pause(&t); /* its sb.build { "deploy" } */
	CHECK_INT(outer, 1);
	a = trust_stretch(&t);
	CHECK(a != 0); /* deciding the nested build's tasks: answers hold */
	inner = trust_pause(&t); /* a check function's sb.outdated: no task runs to pause */
	CHECK_INT(inner, 0);
	b = trust_stretch(&t);
	CHECK(b != 0 && b != a);
	trust_resume(&t, inner);
	c = trust_stretch(&t);
	CHECK(c != 0 && c != b); /* still no task runs, in a new stretch */
	trust_task_started(&t); /* the nested build runs a task */
	CHECK_INT(trust_stretch(&t), 0);
	trust_task_ended(&t);
	CHECK(trust_stretch(&t) != 0 && trust_stretch(&t) != c);
	trust_resume(&t, outer); /* back in the cycle task: it runs */
	CHECK_INT(trust_stretch(&t), 0);
	/* a second nested build of the same task: answers hold in it, as in the first */
	outer = trust_pause(&t);
	CHECK_INT(outer, 1);
	CHECK(trust_stretch(&t) != 0);
	trust_resume(&t, outer);
	CHECK_INT(trust_stretch(&t), 0);
	trust_body_ended(&t);
	CHECK_INT(trust_stretch(&t), 0); /* its body returned: the task still runs until it is recorded */
	trust_task_ended(&t);
	CHECK(trust_stretch(&t) != 0);
	CHECK_INT(trust_pause(NULL), 0);
	trust_resume(NULL, 0);
	trust_body_started(NULL);
	trust_body_ended(NULL);
}

/* A command task runs (a process of its own) while, with -j2, another task's check function asks sb.outdated: the
 * command may change files or images at any moment of that explain, so nothing read in it holds. */
static void test_check_beside_command(void)
{
	struct trust t = TRUST_INIT;
	int paused;

	trust_task_started(&t); /* the command task's process */
	CHECK_INT(trust_stretch(&t), 0);
	paused = trust_pause(&t); /* the check function's sb.outdated */
	CHECK_INT(paused, 0);
	CHECK_INT(trust_stretch(&t), 0);
	trust_resume(&t, paused);
	CHECK_INT(trust_stretch(&t), 0);
	trust_task_ended(&t); /* the command is over: answers hold again */
	CHECK(trust_stretch(&t) != 0);

	/* the same inside a nested build: a cycle task's body builds, a command task of that build runs, and a check
	 * function deciding another task of it asks sb.outdated */
	trust_task_started(&t);
	trust_body_started(&t);
	int outer = trust_pause(&t); /* the body's sb.build */
	CHECK_INT(outer, 1);
	CHECK(trust_stretch(&t) != 0);
	trust_task_started(&t); /* the nested build's command task */
	paused = trust_pause(&t); /* the check function's sb.outdated */
	CHECK_INT(paused, 0);
	CHECK_INT(trust_stretch(&t), 0);
	trust_resume(&t, paused);
	CHECK_INT(trust_stretch(&t), 0);
	trust_task_ended(&t);
	CHECK(trust_stretch(&t) != 0);
	trust_resume(&t, outer);
	CHECK_INT(trust_stretch(&t), 0);
	trust_body_ended(&t);
	trust_task_ended(&t);
	CHECK(trust_stretch(&t) != 0);
}

/* A body running beside a command task (a check function's sb.build, made while that command runs, started it)
 * pauses only itself: the command still counts as running. */
static void test_body_beside_command(void)
{
	struct trust t = TRUST_INIT;
	int outer, inner;

	trust_task_started(&t); /* a command task runs */
	outer = trust_pause(&t); /* a check function's sb.build */
	CHECK_INT(outer, 0);
	trust_task_started(&t); /* the nested build runs a Lua task */
	trust_body_started(&t);
	inner = trust_pause(&t); /* its body's sb.outdated */
	CHECK_INT(inner, 1);
	CHECK_INT(trust_stretch(&t), 0); /* the command still runs */
	trust_resume(&t, inner);
	trust_body_ended(&t);
	trust_task_ended(&t);
	CHECK_INT(trust_stretch(&t), 0);
	trust_resume(&t, outer);
	CHECK_INT(trust_stretch(&t), 0);
	trust_task_ended(&t);
	CHECK(trust_stretch(&t) != 0);
}

int main(void)
{
	test_nested_pause();
	test_check_beside_command();
	test_body_beside_command();
	return t_done("engine_trust");
}
