/* trust: what a run may trust of what it read from outside it (a Docker engine's answers, the watched tree's vouch).
 *
 * A run changes the world outside only by running something: a task (its preparation included), a command a recipe
 * runs (sb.run, sb.capture), a nested build. Between two such moments, what it read stays what it would read again,
 * so an answer kept or a tree vouched for in one stretch holds for that stretch and no longer. A struct trust counts
 * those moments for one run; it belongs to the run's context (struct keyenv's trust), and whoever keeps something
 * read from outside keeps the stretch it was read in and compares. Every function takes NULL (nothing is trusted). */
#ifndef SB_TRUST_H
#define SB_TRUST_H

struct trust {
	unsigned long moments; /* tasks started and other things done that may have changed the world */
	unsigned long running; /* tasks of this run running now (nested builds' included), but for paused bodies */
	unsigned long bodies;  /* of those, in-process task bodies (a recipe's run function) running, not paused */
};
#define TRUST_INIT {0, 0, 0}

/* trust_stretch: 0 while a task runs (nothing read then holds), else a number that changes at every such moment. */
unsigned long trust_stretch(const struct trust *t);
/* trust_changed: something outside may have changed (a recipe ran a command): a new stretch. */
void trust_changed(struct trust *t);
/* trust_task_started, trust_task_ended: a task of this run runs from one to the other. */
void trust_task_started(struct trust *t);
void trust_task_ended(struct trust *t);
/* trust_body_started, trust_body_ended: the in-process body of a started task (its Lua run function) runs from one
 * to the other; only code it runs itself, not a check function deciding another task, may pause it. */
void trust_body_started(struct trust *t);
void trust_body_ended(struct trust *t);
/* trust_pause, trust_resume: around a nested build or explain (sb.build, sb.outdated). Made by the in-process body
 * running now (bodies > 0: no other Lua runs while a body does, but through a nested build, which pauses it):
 * waiting for it, that task changes nothing, so it does not count as running; any other task running still does.
 * Made by any other Lua code (a check function, which may decide a task while a command task of the same build
 * runs, or one deciding a task of a nested build), nothing is paused: trust_pause returns whether a body was, for
 * its trust_resume. What was done before may have changed anything, and so may the nested build: each starts a new
 * stretch. */
int trust_pause(struct trust *t);
void trust_resume(struct trust *t, int paused);

#endif
