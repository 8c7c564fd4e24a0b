/* fileset: expand input patterns (files, whole trees, globs) into a sorted list of files with stat data. */
#ifndef SB_FILESET_H
#define SB_FILESET_H

#include <stddef.h>
#include <stdint.h>

struct buf;

/* The stat data that decides whether a cached content hash can be trusted. */
struct filestat {
	uint64_t size;
	int64_t mtime_ns, ctime_ns;
	uint64_t ino, dev;
	uint32_t mode;
};

/* One file: path relative to the root, '/'-separated, no "./" prefix. Owned by its fileset. */
struct fileent {
	char *path;
	struct filestat st;
	int link; /* reached through a symlink: st is what it names (FILESET_ENTRIES: st is the link's own) */
	uint32_t fed; /* handed to a feed as it was listed (fileset_expand_fed): what its add returned; 0: not */
};

/* A set of files sorted bytewise by path, without duplicates. */
struct fileset {
	struct fileent *v;
	size_t n, cap;
};

void fileset_init(struct fileset *fs);
/* fileset_release: frees every path and the array. */
void fileset_release(struct fileset *fs);

/* filestat_from: fill a filestat from a struct stat. */
struct stat;
void filestat_from(struct filestat *fst, const struct stat *st);

/*
 * fileset_expand: add to fs every file below rootfd matched by one of pats and by none of excl, then sort and
 * deduplicate. Pattern forms (leading "./" ignored): "a/b.c" a file, which must exist; "dir/" or "dir" naming a
 * directory: every file below it, recursively; a glob with '*', '?', '[...]' within one path segment and "**" as a
 * whole segment for any number of directories ("src/" "**" "/" "*.c"). Globs may match nothing. An exclude that
 * matches a directory prunes it. Symlinks to files count as files (their target's stat, with link set); symlinks to
 * directories are not followed while walking. Absolute paths and ".." segments are rejected. Returns 0, or -1 with a
 * one-line reason appended to err ("no such file or directory 'x'"), leaving fs unchanged.
 */
int fileset_expand(struct fileset *fs, int rootfd, const char *const *pats, size_t npats,
                   const char *const *excl, size_t nexcl, struct buf *err);

/* What fileset_expand_cached lists. */
enum fileset_flags {
	/*
	 * The entries a build context holds, as COPY keeps them, rather than the files a command reads: a symlink is an
	 * entry of its own with its lstat data, never followed (a dangling one and one to a directory too), and every
	 * directory a pattern matches or that lies below a match is an entry as well (so an empty one is listed).
	 * Other file types are still left out.
	 */
	FILESET_ENTRIES = 1 << 0,
	/*
	 * A regular file (d_type DT_REG) that a pattern matches and fc holds no entry for (with fc NULL: every one) is
	 * listed without a stat: its stat data is all zero (filestat_unknown), for the caller to take, as hashpool does
	 * from the file it opens, before anything uses it. On a cold run that spares the walk a stat per file.
	 */
	FILESET_DEFER = 1 << 1,
	/*
	 * A check that nothing changed since a walk (task_inputs_check): fc serves only directory listings, each when
	 * the directory's stat data, taken now, is the data its listing was read under and was not racy then
	 * (filecache_dir); every other directory is read, every file stat'ed (with FILESET_DEFER: by the caller),
	 * nothing is taken from a vouch, noted for a watcher or counted as a walk's stat.
	 */
	FILESET_RECHECK = 1 << 2,
};

/* filestat_unknown: 1 when st was not taken yet (FILESET_DEFER): a stat always gives a file type in mode. */
static inline int filestat_unknown(const struct filestat *st)
{
	return st->mode == 0;
}

/* fileset_expand_cached: fileset_expand that reads a directory only when its stat data changed since its listing
 * was cached in fc (NULL: like fileset_expand), and under fc's vouch takes stat data from fc (filecache_watch).
 * fcprefix (NULL: none) is rootfd's path as fc names files ("ctx/" when rootfd is the directory ctx of fc's root).
 * flags: enum fileset_flags. */
struct filecache;
int fileset_expand_cached(struct fileset *fs, int rootfd, const char *const *pats, size_t npats,
                          const char *const *excl, size_t nexcl, struct filecache *fc, const char *fcprefix,
                          unsigned flags, struct buf *err);

/*
 * What a walk hands over as it lists, so that others can work on it while the walk goes on: each file it leaves
 * unstat'ed (FILESET_DEFER), the moment it lists it. add is called from the walking thread with the file's path,
 * which stays valid until the set is released, and returns what the entry's fed is set to (non-zero). end is called
 * once when the walk ends (ok 0 when it failed), before the set is sorted and before any path is freed.
 */
struct fileset_feed {
	uint32_t (*add)(void *arg, const char *path);
	void (*end)(void *arg, int ok);
	void *arg;
};

/* fileset_expand_fed: fileset_expand_cached that hands each file it defers to feed (NULL: none) as it lists it. */
int fileset_expand_fed(struct fileset *fs, int rootfd, const char *const *pats, size_t npats, const char *const *excl,
                       size_t nexcl, struct filecache *fc, const char *fcprefix, unsigned flags,
                       const struct fileset_feed *feed, struct buf *err);

/* fileset_base: into out (replacing what it held), the path a walk of pattern pat starts from: its segments before
 * the first with a wildcard, normalized ("" for the project root). Everything the walk reads is at, below or above it.
 * -1 when pat is not a valid pattern. */
int fileset_base(const char *pat, struct buf *out);

/* glob_match: 1 when path matches pat (as above: '*', '?', '[...]', '[!...]', '**' segments, '\\' escapes), else 0. */
int glob_match(const char *pat, const char *path);

#endif
