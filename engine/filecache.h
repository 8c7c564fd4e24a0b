/* filecache: content hashes of files, reused while their stat data is unchanged (the stat cache). */
#ifndef SB_FILECACHE_H
#define SB_FILECACHE_H

#include <sys/stat.h>

#include "fileset.h"
#include "hash.h"

struct filecache;

/*
 * A cached hash is trusted only when size, mtime, ctime (ns), inode and device all match AND the file's mtime and
 * ctime are older than the moment it was hashed by more than FILECACHE_RACY_NS: an edit within the timestamp
 * granularity of the hash leaves the same stat data, so such an entry is rehashed on its next use.
 */
#define FILECACHE_RACY_NS 2000000000LL

/* filecache_load: the cache file at path, of which only the header is read now, the rest when an entry is first
 * needed (a no-op whose walks are on record needs none). A missing file gives an empty cache; a corrupt or foreign
 * one an empty cache and, when read, a warning naming the file. Never writes. The caller frees with filecache_free.
 * filecache_read: read the rest now. */
struct filecache *filecache_load(const char *path);
void filecache_read(struct filecache *fc);
/* filecache_hash: the content hash of path (relative to rootfd) whose current stat data is st: cached when trusted,
 * else read and hashed and the entry updated under the stat data of the file read (fstat: a file that replaced the
 * one stat'ed is not cached under that one's). Returns 0, or -1 with errno when the file cannot be read. */
int filecache_hash(struct filecache *fc, int rootfd, const char *path, const struct filestat *st, struct hash128 *out);
/* filecache_lookup: filecache_hash's first half: 1 with the hash of path in *out when its entry is trusted for st,
 * else 0 (then read the file, taking the time first, and filecache_put what it hashed to). */
int filecache_lookup(struct filecache *fc, const char *path, const struct filestat *st, struct hash128 *out);
/* filecache_put: remember that path, whose stat data was st, hashed to hash when read from hashed_at on. */
void filecache_put(struct filecache *fc, const char *path, const struct filestat *st, const struct hash128 *hash,
                   int64_t hashed_at);
/* filecache_has: 1 when fc has an entry for key (a file's path, len bytes), trusted or not. */
int filecache_has(struct filecache *fc, const char *key, size_t len);
/* filecache_dir: the cached listing of the directory known by key (fileset uses "/<dev>:<ino>", which no relative
 * path can be) whose current stat data is st, when it can be trusted (the rule above): *len bytes of entries, each a
 * d_type byte, the name and a NUL; NULL when there is none. Valid until the next filecache call that adds. */
const char *filecache_dir(struct filecache *fc, const char *path, const struct filestat *st, size_t *len);
/* filecache_dir_put: remember the listing of a directory read at listed_at (taken before reading it). */
void filecache_dir_put(struct filecache *fc, const char *path, const struct filestat *st, const char *listing,
                       size_t len, int64_t listed_at);
/*
 * The watched tree's side of the stat cache (engine/watched.h; see docs/design.md "The watched tree").
 * filecache_watch: a watcher answers for this run: from now on walks note what they stat (filecache_note), so that
 * it can be asked to watch that; with vouched, the watcher also said nothing below the cache's root changed since
 * the watched entries' stat data was taken, so a walk may take that stat data instead of calling stat, while the
 * run's stretch (trust.h) is the one it is now: once a task or a recipe command may have changed a file, every
 * path is stat'ed again.
 * filecache_watching: FILECACHE_NOTE while walks note what they stat, | FILECACHE_VOUCHED while a vouch holds.
 * filecache_known_stat: under a vouch, the stat data of key (a file's path, or a directory's with its '/'; len
 * bytes), an entry in the watched set, as a struct stat (st_nlink 1); 0 when there is no vouch or no such entry
 * (then stat it).
 * filecache_note: a walk stat'ed key (a file's path, or a directory's with its '/'): its entry holds that stat data
 * from now on (a file's that changed loses its hash, so its content is read again when asked for); a file no key
 * reads, such as one the ignore file leaves out, is then watched and vouched for like the rest.
 * filecache_stat_made: a walk stat'ed a file or directory (counted for filecache_walk_stats).
 * filecache_used: append the paths this process's walks stat'ed or took, files and "dir/" entries, one per line
 * (what a watcher should watch so that the next run can be vouched for).
 * filecache_mark_watched: the watcher now vouches for exactly what filecache_used listed: under a later vouch, only
 * those entries are taken (any other path is stat'ed). Saved with the cache.
 * filecache_walk_stats: how many stats walks made, and how many they took from entries under a vouch.
 */
enum { FILECACHE_NOTE = 1 << 0, FILECACHE_VOUCHED = 1 << 1 };
struct trust;
void filecache_watch(struct filecache *fc, const struct trust *t, int vouched);
unsigned filecache_watching(struct filecache *fc);
int filecache_known_stat(struct filecache *fc, const char *key, size_t len, struct stat *st);
void filecache_note(struct filecache *fc, const char *key, size_t len, const struct stat *st);
/* filecache_note_file: filecache_note with the stat data of a file taken from the open file (FILESET_DEFER). */
void filecache_note_file(struct filecache *fc, const char *key, size_t len, const struct filestat *fst);
void filecache_stat_made(struct filecache *fc);
struct buf;
void filecache_used(struct filecache *fc, struct buf *out);
void filecache_mark_watched(struct filecache *fc);
void filecache_walk_stats(const struct filecache *fc, size_t *stats, size_t *known);
/*
 * Walks on record, for the watched tree (see docs/design.md "The watched tree"): what a whole walk gave (the digest of
 * its files' key parts, and how many files), so that a run the watcher vouches for takes it instead of walking.
 * spec names the walk (its patterns, excludes, and what the digest covers); bases are where it starts
 * (fileset_base).
 * filecache_walk_get: 1 with what a walk of spec gave, when it is on record with the token the watcher answered for
 * and the run's stretch (trust.h) is still the one it answered in; else 0 (walk it).
 * filecache_walk_put: a walk made by this process gave digest and count, having relied only on what it noted for
 * the watcher (no filecache_unwatched while it ran): kept with a token this run keeps or records (filecache_walks).
 * filecache_unwatched: a walk relied on something the watcher will not be asked to watch (a path that is missing,
 * a symlink's target): no walk put while it counts up may be kept. filecache_unwatched_count: how many times.
 * filecache_walks_load: the records kept with the token on record ("walk SPEC DIGEST COUNT BASES" lines), when the
 * watcher said nothing changed since it (changed NULL) or only the paths changed lists: a record whose walk starts
 * at, below or above one of them is left out. They hold while t's stretch is the one it is now.
 * filecache_walks: append the records loaded and those put by this process (a put replaces a loaded one), to keep
 * with the token the run keeps or records: it speaks for the loaded ones too, since nothing they cover changed
 * since the token they were kept with, and the same watcher still watches it. Past 1,024 records, only those this
 * process took or put are kept.
 * filecache_walks_taken: how many times filecache_walk_get answered.
 */
struct strv;
void filecache_unwatched(struct filecache *fc);
size_t filecache_unwatched_count(const struct filecache *fc);
int filecache_walk_get(struct filecache *fc, const struct hash128 *spec, struct hash128 *digest, uint64_t *count);
void filecache_walk_put(struct filecache *fc, const struct hash128 *spec, const struct hash128 *digest,
                        uint64_t count, const struct strv *bases);
void filecache_walks_load(struct filecache *fc, const char *text, size_t len, const struct buf *changed,
                          const struct trust *t);
void filecache_walks(const struct filecache *fc, struct buf *out);
size_t filecache_walks_taken(const struct filecache *fc);
/* filecache_dirty: 1 when filecache_save would write. */
int filecache_dirty(const struct filecache *fc);
/* filecache_save: if dirty, write the cache atomically (temp + fsync + rename), dropping entries not used by this
 * process whose file no longer exists below rootfd. Returns 0, or -1 after printing an error. */
int filecache_save(struct filecache *fc, const char *path, int rootfd);
/* filecache_size: how many entries the cache holds (files, directories and listings). */
size_t filecache_size(const struct filecache *fc);
/* filecache_stats: how many lookups were answered from the cache and how many files were read. */
void filecache_stats(const struct filecache *fc, size_t *hits, size_t *hashed);
void filecache_free(struct filecache *fc);

#endif
