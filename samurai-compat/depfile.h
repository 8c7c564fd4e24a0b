/* depfile: what a task's key read, as a Makefile-style depfile: ninja and samurai rerun the task's edge when one of
 * those files changes, or when a file appears in or leaves one of the directories its inputs were found in. */
#ifndef SB_DEPFILE_H
#define SB_DEPFILE_H

struct buf;
struct graph;
struct strv;
struct task;

/* depfile_paths: the files t's key covers (its expanded inputs, and what its type adds: task_paths) into files, and
 * the directories whose listings decide them into dirs, both sorted and without duplicates. t's key must be computed. Paths below .sindri-build/ and t's own outputs are left out. */
void depfile_paths(struct task *t, struct strv *files, struct strv *dirs);
/* depfile_write: write a depfile at path naming target and the files and dirs, only when its content changes. A path
 * samurai's depfile reader cannot take is left out; one that is also a task name or alias (a phony target of the
 * generated ninja file) is written absolute, so that it stays a plain file. -1 after printing an error. */
int depfile_write(const char *path, const char *target, const struct strv *files, const struct strv *dirs,
                  const struct graph *g);
/* depfile_escape: append path escaped for a depfile; -1 (nothing appended) when samurai could not read it back. */
int depfile_escape(struct buf *b, const char *path);
/* path_normalize: path as ninja spells its node: no "./", no empty segments, no trailing '/' (the root is "").
 * -1 for an absolute path or one with "..". */
int path_normalize(const char *path, struct buf *out);

#endif
