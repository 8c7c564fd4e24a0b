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

int trust_pause(struct trust *t)
{
	int paused = t && t->running;

	trust_task_ended(t);
	trust_changed(t);
	return paused;
}

void trust_resume(struct trust *t, int paused)
{
	if (paused)
		trust_task_started(t);
	else
		trust_changed(t);
}
