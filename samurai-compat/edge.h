/* edge: -t run TASK, the command of each task's edge in the generated ninja file. It brings that one task up to date
 * with its dependencies taken as done (ninja ran their edges first), then leaves a stamp that changes only when the
 * task's key does and a depfile naming everything the key read. */
#ifndef SB_EDGE_H
#define SB_EDGE_H

struct tool_args;

/* edge_run: run -t run for the one task in a->targets. The state is read without the lock and locked only to record
 * the run, so ninja's parallel edges do not wait for each other. Returns 0, 1 (the task or a dependency failed),
 * 2 (usage, recipe or state error) or 128 + a signal. */
int edge_run(const struct tool_args *a);

#endif
