/* filecache: content hashes of files, reused while their stat data is unchanged (the stat cache). */
#ifndef SB_FILECACHE_H
#define SB_FILECACHE_H

#include "fileset.h"
#include "hash.h"

struct filecache;

/*
 * A cached hash is trusted only when size, mtime, ctime (ns), inode and device all match AND the file's mtime and
 * ctime are older than the moment it was hashed by more than FILECACHE_RACY_NS: an edit within the timestamp
 * granularity of the hash leaves the same stat data, so such an entry is rehashed on its next use.
 */
#define FILECACHE_RACY_NS 2000000000LL

/* filecache_load: read the cache file at path. A missing file gives an empty cache; a corrupt or foreign one gives an
 * empty cache and a warning naming the file. Never writes. The caller frees with filecache_free. */
struct filecache *filecache_load(const char *path);
/* filecache_hash: the content hash of path (relative to rootfd) whose current stat data is st: cached when trusted,
 * else read and hashed and the entry updated. Returns 0, or -1 with errno when the file cannot be read. */
int filecache_hash(struct filecache *fc, int rootfd, const char *path, const struct filestat *st, struct hash128 *out);
/* filecache_dir: the cached listing of the directory known by key (fileset uses "/<dev>:<ino>", which no relative
 * path can be) whose current stat data is st, when it can be trusted (the rule above): *len bytes of entries, each a
 * d_type byte, the name and a NUL; NULL when there is none. Valid until the next filecache call that adds. */
const char *filecache_dir(struct filecache *fc, const char *path, const struct filestat *st, size_t *len);
/* filecache_dir_put: remember the listing of a directory read at listed_at (taken before reading it). */
void filecache_dir_put(struct filecache *fc, const char *path, const struct filestat *st, const char *listing,
                       size_t len, int64_t listed_at);
/* filecache_dirty: 1 when filecache_save would write. */
int filecache_dirty(const struct filecache *fc);
/* filecache_save: if dirty, write the cache atomically (temp + fsync + rename), dropping entries not used by this
 * process whose file no longer exists below rootfd. Returns 0, or -1 after printing an error. */
int filecache_save(struct filecache *fc, const char *path, int rootfd);
/* filecache_stats: how many lookups were answered from the cache and how many files were read. */
void filecache_stats(const struct filecache *fc, size_t *hits, size_t *hashed);
void filecache_free(struct filecache *fc);

#endif
