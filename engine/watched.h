/* watched: the watched tree, and the engine's seam for file watching (see docs/design.md "The watched tree").
 *
 * Most of a no-op is stat calls: one per input file and one per directory walked. A watcher that outlives runs can
 * spare them, in the spirit of git's fsmonitor hook: the engine asks "what changed under this root since token T",
 * and gets the paths that changed, or "nothing", or "anything may have", with the token to ask with next time.
 * Nothing here knows how the watcher watches: it is a struct watcher (watch/watcher.h implements it with an inotify
 * process; the engine's tests with a fake).
 *
 * The exchange. Before its recipe loads, a run asks with the token it has on record, kept beside the stat cache and
 * valid only with that very cache. When nothing changed, its walks take the stat data of the watched entries from
 * the stat cache instead of calling stat (filecache_watch), for as long as the run's stretch holds (trust.h): the
 * first task or recipe command to start ends that. A run that made stat calls then gives the watcher every file and
 * directory its walks used, with the token it got when it asked; the watcher watches them and says whether they all
 * were watched already and nothing changed since that token. Only then is that token put on record, and the entries
 * it speaks for marked in the stat cache: a later vouch covers only those.
 */
#ifndef SB_WATCHED_H
#define SB_WATCHED_H

#include <stdint.h>

#include "util.h"

struct filecache;
struct trust;

#define WATCH_TOKEN_MAX 64 /* a token's bytes, its NUL included */

/* The project root a question is about: its absolute path, and its device and inode as the run sees them (a copy,
 * or a tree cloned again at the same path, is another root). */
struct watch_root {
	const char *path;
	uint64_t dev, ino;
};

/* What changed under a root since a token. */
enum watch_kind {
	WATCH_NONE,  /* nothing: the stat data taken when the token was given still holds */
	WATCH_PATHS, /* what paths lists, each and anything below it; nothing else */
	WATCH_ALL,   /* anything may have (an unknown token, a queue overflow, another root at the path) */
};
struct watch_changes {
	enum watch_kind kind;
	struct buf paths;            /* WATCH_PATHS: paths relative to the root, one per line */
	char token[WATCH_TOKEN_MAX]; /* what to ask with next time, for a run that takes its stat data from now on */
	size_t room;                 /* how many paths the watcher would watch under this root */
};

/*
 * The seam. A watcher is asked about one root per run; every operation may fail (-1) when the watcher is gone, and
 * the run then walks in full, as it does without one.
 * ask: send the question "what changed under root since token" ("" when there is none); the answer may come later.
 * answer: the answer to the question asked, into *out (out->paths is the caller's to release): 0, or -1 when none.
 * watch: watch paths from now on (files, and directories with a trailing '/', relative to root, one per line): 1
 * when every one of them was watched already and nothing changed under root since token (given by an answer), so
 * that token speaks for stat data taken after it was given; 0 when not; -1 when no watcher answers. With token "",
 * nothing is vouched for: the paths are watched for the runs after this one, without waiting for the watcher to have
 * done it (0); with no paths either, it only asks for a watcher to be there (one that was not may start).
 * close: free the watcher.
 */
struct watcher;
struct watcher_ops {
	int (*ask)(struct watcher *w, const struct watch_root *root, const char *token);
	int (*answer)(struct watcher *w, struct watch_changes *out);
	int (*watch)(struct watcher *w, const struct watch_root *root, const char *token, const struct buf *paths);
	void (*close)(struct watcher *w);
};
struct watcher {
	const struct watcher_ops *ops;
};

/*
 * A run's side (struct watched, owned by the caller: watched_init, then watched_release).
 * watched_ask: ask w (NULL: none; wt owns it from now on, and watched_release closes it) about the project in the
 * current directory, with the token on record in token_file when it goes with the stat cache at cache_file.
 * watched_answer: read the answer; when nothing changed, vouch for fc while the stretch of t holds.
 * watched_record: after a build (before its stat cache is saved), if its walks stat'ed anything, have the watcher
 * watch what they used, and keep the token it vouches for (marking those entries in fc); after a cold run (the
 * stat cache was empty), only have it watch them, without waiting.
 * watched_commit: after the stat cache was saved, put the token on record in token_file with the cache's identity and
 * the walks kept with it (filecache_walks), or remove the record that no longer holds. Read-only commands call
 * neither.
 * watched_stats: the -d stats line.
 */
struct watched {
	struct watcher *w;
	struct buf line; /* token_file as read */
	const char *token_file, *cache_file;
	char path[4096];
	struct watch_root root;
	char token[WATCH_TOKEN_MAX]; /* the token on record, "" when none */
	char now[WATCH_TOKEN_MAX];   /* the token a full walk that began after the question may record */
	size_t room;                 /* the watcher's room for this root */
	enum watch_kind kind;        /* its answer */
	size_t changed;              /* paths it listed */
	int asked, answered, clean, recorded;
	int first;                   /* the stat cache was empty when the answer came: a cold run */
};
void watched_init(struct watched *wt);
void watched_release(struct watched *wt);
void watched_ask(struct watched *wt, struct watcher *w, const char *token_file, const char *cache_file);
void watched_answer(struct watched *wt, struct filecache *fc, const struct trust *t);
void watched_record(struct watched *wt, struct filecache *fc);
void watched_commit(struct watched *wt, const struct filecache *fc);
void watched_stats(const struct watched *wt, const struct filecache *fc);
/* watched_poll: for watch mode (-w), between builds: ask w (closed before it returns) what changed under the
 * project in the current directory since the token on record: 1 something did, or there is no token on record to
 * ask with (the last build could not record one); 0 nothing; -1 no watcher answers. The watcher's token now in
 * now (two polls with the same one saw no change between them), the paths it listed appended to paths. */
int watched_poll(struct watcher *w, const char *token_file, const char *cache_file, char *now, struct buf *paths);

#endif
