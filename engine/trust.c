/* trust: the stretches of a run in which what it read from outside holds (see trust.h). */
#include <stddef.h>

#include "trust.h"

unsigned long trust_stretch(const struct trust *t)
{
	return !t || t->running ? 0 : t->moments + 1;
}

void trust_changed(struct trust *t)
{
	if (t)
		t->moments++;
}

void trust_task_started(struct trust *t)
{
	if (t) {
		t->moments++;
		t->running++;
	}
}

void trust_task_ended(struct trust *t)
{
	if (t && t->running)
		t->running--;
}

void trust_body_started(struct trust *t)
{
	if (t)
		t->bodies++;
}

void trust_body_ended(struct trust *t)
{
	if (t && t->bodies)
		t->bodies--;
}

int trust_pause(struct trust *t)
{
	/* a body is always counted in running too; pausing discounts the caller's own task, never another's */
	int paused = t && t->bodies && t->running;

	if (paused) {
		t->bodies--;
		t->running--;
	}
	trust_changed(t);
	return paused;
}

void trust_resume(struct trust *t, int paused)
{
	if (paused) {
		t->bodies++;
		t->running++;
	}
	trust_changed(t);
}
