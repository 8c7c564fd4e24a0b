/* hashpool: the content hashes of many files at once, read on a few threads, the results in list order. */
#ifndef SB_HASHPOOL_H
#define SB_HASHPOOL_H

#include <stddef.h>

#include "hash.h"

#include "fileset.h"

struct buf;
struct keyenv;

/* The most threads a pool starts, whatever the core count or SINDRI_BUILD_HASH_THREADS says. */
#define HASHPOOL_MAX 64

/* What a feed did with one file it was handed (hashfeed_get). */
struct hashfed {
	const char *path;
	struct filestat st;  /* its stat data, taken from the file read (or by the stat) */
	struct hash128 hash; /* its content hash (not for a stat), when err is 0 */
	int64_t at;          /* when it was read or stat'ed */
	int err;             /* 0, or the errno of what failed (EINTR: never done, the feed stopped first) */
};

/* One file to hash: the caller sets path, st and fed; hashpool_hash sets the rest. */
struct hashjob {
	const char *path;          /* relative to the keyenv's rootfd */
	struct filestat *st;       /* its stat data as the walk took it (or unknown: FILESET_DEFER); a read sets it
	                            * to the stat data of the file it opened */
	const struct hashfed *fed; /* read already by a feed (hashfeed_get): its result is taken; NULL: none */
	struct hash128 hash;       /* its content hash, when err is 0 */
	int err;                   /* 0, or the errno of the open or read that failed */
};

/* hashpool_threads: how many threads a pool of want threads starts (0: one per core this process may run on), at
 * least 1 and at most HASHPOOL_MAX. */
unsigned hashpool_threads(unsigned want);
/*
 * hashpool_hash: each job's content hash, the same as filecache_hash gives: from ke->fc when its entry is trusted,
 * else read and hashed by up to ke->hash_threads threads (hashpool_threads; when 0, one per core and per 16 files to
 * read, so that a few changed files start no thread), the stat cache updated afterwards in list
 * order by the calling thread, so the results never depend on scheduling. Reports progress (ke->progress, for task)
 * on large lists, from the calling thread only. Returns 0 (each job then has its hash or its err), or -1 when
 * *ke->stop was set: the workers stop after the file they are reading (what was read is cached; the other jobs keep
 * err EINTR).
 */
int hashpool_hash(const struct keyenv *ke, const char *task, struct hashjob *v, size_t n);
/* A file whose stat data the walk left unknown (FILESET_DEFER) is opened first and its stat data taken from the
 * open file (fstat) into *st, so that what is cached with the hash is the stat data of the file read; it counts as a
 * walk's stat and is noted for the watcher (filecache_note_file) as the walk would have. */

/*
 * hashfeed_new: a pool that reads and hashes (or with stat_only, stats) each file a walk defers the moment the walk
 * lists it (FILESET_DEFER), on up to ke->hash_threads threads in all (hashpool_threads), the walking thread among
 * them once its walk ends; the workers start only when 16 files wait. Fills *ff for fileset_expand_fed, whose end
 * does every job left and joins the workers (stopping early when *ke->stop is set). Free it with hashfeed_free
 * after the results are taken.
 */
struct hashfeed *hashfeed_new(const struct keyenv *ke, int stat_only, struct fileset_feed *ff);
/* hashfeed_get: the result of the file a walk handed over as fed (a fileent's fed); NULL for 0. */
const struct hashfed *hashfeed_get(const struct hashfeed *f, uint32_t fed);
void hashfeed_free(struct hashfeed *f);

/* hashpool_stat: stat, on up to ke->hash_threads threads as above, every file of fs whose stat data is unknown
 * (FILESET_DEFER), following symlinks as the walk does (taking the stat a feed made for one it was handed, fed); those gone since they were listed (or no longer a regular
 * file or directory) are dropped from fs, as the walk would have. 0, or -1 with a reason appended to err. */
int hashpool_stat(const struct keyenv *ke, struct fileset *fs, const struct hashfeed *feed, struct buf *err);

#endif
