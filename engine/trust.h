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
	unsigned long running; /* tasks of this run running now (nested builds' included) */
};
#define TRUST_INIT {0, 0}

/* trust_stretch: 0 while a task runs (nothing read then holds), else a number that changes at every such moment. */
unsigned long trust_stretch(const struct trust *t);
/* trust_changed: something outside may have changed (a recipe ran a command): a new stretch. */
void trust_changed(struct trust *t);
/* trust_task_started, trust_task_ended: a task of this run runs from one to the other. */
void trust_task_started(struct trust *t);
void trust_task_ended(struct trust *t);
/* trust_pause, trust_resume: around a nested build or explain (sb.build, sb.outdated). Made by the in-process task
 * running now: waiting for it, that task changes nothing, so it does not count as running. Made while none runs (a
 * check function deciding a task of a nested build asks sb.outdated), nothing is paused: trust_pause returns whether
 * a task was, for its trust_resume. What was done before may have changed anything, and so may the nested build:
 * each starts a new stretch. */
int trust_pause(struct trust *t);
void trust_resume(struct trust *t, int paused);

#endif
