/* filesetint: what the pieces of a fileset share (fileset.c the set, glob.c the patterns, filewalk.c the walk); for
 * them only, the rest of the project includes fileset.h. */
#ifndef SB_FILESETINT_H
#define SB_FILESETINT_H

#include <stddef.h>

struct buf;
struct fileset;
struct stat;

/* fileset_add: add path with st, or with unknown stat data when st is NULL (FILESET_DEFER). */
void fileset_add(struct fileset *fs, const char *path, size_t len, const struct stat *st, int link);
/* fileset_sort_dedupe: sort fs bytewise by path (unless it already is) and drop repeated paths, freeing them. */
void fileset_sort_dedupe(struct fileset *fs);

/* glob_seg_match: one pattern segment [p, pe) against one name [s, se); neither contains '/'. '?' and a class take one
 * character (UTF-8), as Go's filepath.Match does. */
int glob_seg_match(const char *p, const char *pe, const char *s, const char *se);
/* glob_seg_end: the end of the segment that starts at p: its '/', or the end of the string. */
const char *glob_seg_end(const char *p);
/* glob_is_starstar: 1 when the segment [p, pe) is "**", else 0. */
int glob_is_starstar(const char *p, const char *pe);
/*
 * glob_normalize: copy pat to out without a leading "./", empty or "." segments or a trailing '/', which sets *dironly.
 * The root itself normalizes to "". Rejects absolute paths and ".." segments.
 */
int glob_normalize(const char *pat, struct buf *out, int *dironly, struct buf *err);
/* glob_has_wildcard: 1 when [p, p + n) holds a wildcard or an escape ('*', '?', '[', '\\'), else 0. */
int glob_has_wildcard(const char *p, size_t n);

#endif
