/* watchsrv: the watched tree, kept by the engine helper (see docs/design.md "The watched tree").
 *
 * A run whose file cache was filled by a full walk asks the helper to watch what it walked (every directory and
 * file, with inotify); the helper answers whether all of it was watched already and unchanged since the run began,
 * and if so the run records a token (the helper's instance and an event count). The next run shows the token: when
 * nothing it watches below the project changed since, the helper answers "clean" and that run takes the stat data
 * of the walk from its file cache instead of calling stat on every file and directory.
 *
 * The helper vouches only for what inotify sees whole: a project on ext4, xfs, btrfs or tmpfs, with no symlink and
 * no other file system below it; an event queue that overflowed, a watch that could not be added, or a helper that
 * restarted makes every run walk in full again. Requests travel on the helper's connection as GET (query) and POST
 * (add) of WATCH_PATH; the helper answers them itself, never the engine.
 */
#ifndef SB_WATCHSRV_H
#define SB_WATCHSRV_H

#include <stdint.h>

#include "util.h"

struct docker_reply;
struct watchsrv;

#define WATCH_PATH "/sindri-build/watch"
/* The most a run sends to be watched (about 65,536 paths, the most a helper watches): a bigger tree walks in full. */
#define WATCH_BODY_MAX (8u << 20)

/*
 * A run's side (struct watched, owned by the caller: watched_init, then watched_release):
 * watched_ask: send the question for the project in the current directory through d's engine helper, with the
 * token read from token_file when it goes with the stat cache at cache_file; nothing when no helper answers.
 * watched_answer: read the answer; when the tree is unchanged, vouch for fc while epoch() holds (filecache_vouch).
 * watched_record: after a build (before its stat cache is saved), if its walks stat'ed anything, have the helper
 * watch what they used, and keep the token it vouches for (marking those entries in fc).
 * watched_commit: after the stat cache was saved, put the token on record in token_file with the cache's identity,
 * or remove the record that no longer holds. Read-only commands call neither.
 * watched_stats: the -d stats line.
 */
struct docker;
struct filecache;
struct watched {
	struct docker *d;
	struct buf query; /* the question, when asked */
	struct buf line;  /* token_file as read */
	const char *token_file, *cache_file;
	char root[4096];
	uint64_t dev, ino;
	char token[64];      /* the token on record, "" when none */
	char now[64];        /* the token a full walk that began after the question may record */
	int asked, clean, recorded;
};
void watched_init(struct watched *wt);
void watched_release(struct watched *wt);
void watched_ask(struct watched *wt, struct docker *d, const char *token_file, const char *cache_file);
void watched_answer(struct watched *wt, struct filecache *fc, unsigned long (*epoch)(void));
void watched_record(struct watched *wt, struct filecache *fc);
void watched_commit(struct watched *wt);
void watched_stats(const struct watched *wt, const struct filecache *fc);

/* The wire. watch_path: the request path for the project root (absolute; its device and inode as the
 * run sees them) and the token recorded last ("" when none). */
void watch_path(struct buf *out, const char *root, uint64_t dev, uint64_t ino, const char *token);
/* watch_clean: from a query's answer, whether the tree is unchanged since the token; *now (a buffer of
 * WATCH_TOKEN_MAX) gets the token a run that walks in full now may record. */
#define WATCH_TOKEN_MAX 64 /* sizeof struct watched's token and now */
int watch_clean(const struct docker_reply *r, char *now);
/* watch_recorded: from an add's answer, whether the token the run got with its query may be recorded. */
int watch_recorded(const struct docker_reply *r);

/* The helper's side. */
struct watchsrv *watchsrv_new(void);
void watchsrv_free(struct watchsrv *w);
/* watchsrv_answer: answer a request for WATCH_PATH (method GET or POST, body the lines to watch) into *r. */
void watchsrv_answer(struct watchsrv *w, const char *method, const char *path, const struct buf *body,
                     struct docker_reply *r);

#endif
