/* inotree: the trees a watcher watches with inotify, and what changed in them (the watcher process's core; see
 * watcher.h for the process around it and docs/design.md "The watched tree" for why it is sound).
 *
 * Tokens are "INSTANCE-COUNT": 16 hex digits drawn when the inotree is made, and the count of changes seen so far,
 * so a token from another watcher, or from this one before it restarted, is never taken for one of this one's.
 * Every request first takes in every event queued: inotify queues an event inside the system call that made the
 * change, so every change finished before the request was sent is among them.
 *
 * It vouches only for what inotify sees whole: a root on ext4, xfs, btrfs or tmpfs; regular files and directories
 * on the root's file system (no symlink: the watch would be on the link, not on what it names); no file that
 * another root watches too (one watch cannot say which root changed). A queue that overflowed makes every root
 * "anything may have changed", and so does a watch that could not be added or a tree too big for the room left.
 */
#ifndef SB_INOTREE_H
#define SB_INOTREE_H

#include <stddef.h>

#include "util.h"
#include "watched.h"

struct inotree;

/* inotree_new: an inotree that takes at most max_watches watches (0: a quarter of fs.inotify.max_user_watches, at
 * most 1,048,576, leaving the rest to editors and other tools). NULL when inotify cannot be had. */
struct inotree *inotree_new(size_t max_watches);
void inotree_free(struct inotree *t);
/* inotree_fd: the inotify descriptor, readable when events are queued (a watcher polls it, so that the queue
 * never fills while no run asks). */
int inotree_fd(const struct inotree *t);
/* inotree_drain: take in every event queued. */
void inotree_drain(struct inotree *t);
/* inotree_since: what changed under root since token ("" or malformed: unknown) into *out (out->paths appended to;
 * the caller's), with the token to ask with next time and the room left for root. Drains first. */
void inotree_since(struct inotree *t, const struct watch_root *root, const char *token, struct watch_changes *out);
/* inotree_watch: watch paths (files, and directories with a trailing '/', relative to root, one per line) under
 * root from now on; 1 when every one was watched already and nothing changed under root since token, else 0 (a
 * tree it cannot watch whole is refused without taking more watches). Drains first. */
int inotree_watch(struct inotree *t, const struct watch_root *root, const char *token, const char *paths,
                  size_t len);
/*
 * The same, a slice at a time, so that a watcher answers other runs' questions in between: inotree_watch_begin
 * takes the request (NULL: refused, as inotree_watch's 0), inotree_watch_step watches up to n more of its paths (1
 * once all are, or one is refused), inotree_watch_end says what inotree_watch would and frees the job. With sliced,
 * the root's tokens speak for nothing from the begin on (a question in between gets "anything"), as they would not
 * once the job added a watch. Nothing but questions may come between begin and end.
 */
struct inotree_job;
struct inotree_job *inotree_watch_begin(struct inotree *t, const struct watch_root *root, const char *token,
                                        const char *paths, size_t len, int sliced);
int inotree_watch_step(struct inotree *t, struct inotree_job *j, size_t n);
int inotree_watch_end(struct inotree *t, struct inotree_job *j);

#endif
