/* hashpool: the content hashes of many files at once, read on a few threads, the results in list order. */
#ifndef SB_HASHPOOL_H
#define SB_HASHPOOL_H

#include <stddef.h>

#include "hash.h"

struct buf;
struct filestat;
struct fileset;
struct keyenv;

/* The most threads a pool starts, whatever the core count or SINDRI_BUILD_HASH_THREADS says. */
#define HASHPOOL_MAX 64

/* One file to hash: the caller sets path and st; hashpool_hash sets the rest. */
struct hashjob {
	const char *path;          /* relative to the keyenv's rootfd */
	struct filestat *st;       /* its stat data as the walk took it; unknown (FILESET_DEFER): the read takes it */
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

/* hashpool_stat: stat, on up to ke->hash_threads threads as above, every file of fs whose stat data is unknown
 * (FILESET_DEFER), following symlinks as the walk does; those gone since they were listed (or no longer a regular
 * file or directory) are dropped from fs, as the walk would have. 0, or -1 with a reason appended to err. */
int hashpool_stat(const struct keyenv *ke, struct fileset *fs, struct buf *err);

#endif
