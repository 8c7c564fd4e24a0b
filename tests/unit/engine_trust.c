/* engine_trust: engine/trust.h's stretches around nested builds and explains: a pause made while no task runs (a
 * check function deciding a task of a nested build asks sb.outdated) pauses nothing, and its resume starts nothing,
 * so the task that made the nested build counts as running again once that build is over, and only then. */
#include "t.h"
#include "trust.h"

static void test_nested_pause(void)
{
	struct trust t = TRUST_INIT;
	unsigned long a, b, c;
	int outer, inner;

	trust_task_started(&t); /* a cycle task runs */
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
	trust_task_ended(&t);
	CHECK(trust_stretch(&t) != 0);
	CHECK_INT(trust_pause(NULL), 0);
	trust_resume(NULL, 0);
}

int main(void)
{
	test_nested_pause();
	return t_done("engine_trust");
}
