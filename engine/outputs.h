/* outputs: what a task's recorded run produced, and removing it (-t clean) without ever leaving the project. */
#ifndef SB_OUTPUTS_H
#define SB_OUTPUTS_H

struct buf;
struct state;
struct task;

/* outputs_check: 0 when path can be an output (relative to the project root, no ".." segment, not empty); else -1
 * with the reason appended to why ("output '../x' leaves the project with '..'"). */
int outputs_check(const char *path, struct buf *why);
/* outputs_record: keep t's declared outputs with its key (the run being recorded), as the side blob of -t clean.
 * -1 after printing an error. */
int outputs_record(struct state *st, const struct task *t);
/* outputs_clean: remove, below rootfd, the outputs the recorded run of t produced: the paths declared then (kept
 * by outputs_record under the key of the record), each only while it is still inside the project: no directory on
 * its way may be a symlink. Prints "removed 'x'" per file and one line per path left alone and why; named: t was
 * named on the command line (then a task without a record says so). 0, or -1 when something could not be removed. */
int outputs_clean(const struct state *st, const struct task *t, int rootfd, int named);
/* unlink_beneath: unlink path (relative, '/'-separated) below rootfd, opening each directory on its way with
 * O_NOFOLLOW: 1 removed, 0 not there (or a directory, which clean leaves), -1 with the reason in why (a symlinked
 * directory on the way, a bad path, an error). The last segment is unlinked itself, a symlink included. */
int unlink_beneath(int rootfd, const char *path, struct buf *why);

#endif
