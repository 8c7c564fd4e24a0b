/* dockerctx: the exact set of build-context entries a docker build of a Dockerfile's target stage reads. */
#ifndef SB_DOCKERCTX_H
#define SB_DOCKERCTX_H

#include <stddef.h>

#include "fileset.h"

struct buf;
struct dockerfile;
struct dockerignore;
struct filecache;

/* One entry of the build context: a file, a directory or a symlink, as COPY carries it into an image. */
struct ctxent {
	char *path;         /* relative to the context, '/'-separated, never empty */
	struct filestat st; /* its lstat data: a symlink is an entry of its own, with its target text in the image */
	int keymode;        /* its permission bits reach the image: see dockerctx_entries */
};

/* The entries, sorted bytewise by path, unique. Owns every path. */
struct ctxlist {
	struct ctxent *v;
	size_t n, cap;
	int whole; /* a read takes the context's root itself (COPY ., a bind mount of it): every path is visible */
};

void ctxlist_init(struct ctxlist *l);
void ctxlist_release(struct ctxlist *l);
/* ctxlist_find: the entry for path, or NULL. ctxlist_lower: the index of the first entry from index from on whose
 * path is not less than path (l->n when none). */
const struct ctxent *ctxlist_find(const struct ctxlist *l, const char *path);
size_t ctxlist_lower(const struct ctxlist *l, size_t from, const char *path);

/*
 * dockerctx_entries: fill out with every entry of the context directory ctxfd that the needed stages' COPY and ADD
 * (without --from) and RUN --mount=type=bind (without from=) read, as BuildKit and the legacy builder read them
 * (checked against the real engine):
 *  - a source path is resolved inside the context: each symlink on the way is followed, an absolute target from the
 *    context's root and ".." no further up than it, so nothing outside the context is ever read; the symlinks on the
 *    way are entries (a tar of the entries must hold them for the builder to follow them too);
 *  - a source that is a file is that file; a directory is itself and everything below it, where a symlink is kept as
 *    a link (never followed) and every directory, empty or not, is an entry; a wildcard (Go's filepath.Match, one
 *    segment each) matches the entries of real directories, and each match is taken as a named source would be
 *    (possibly none, as BuildKit allows);
 *  - minus what ign (NULL: no ignore file) and each step's --exclude leave out, by the entry's real path; a
 *    directory left out stays when something below it is kept.
 * keymode is set when some read copies the entry with its mode: not when every read that brings it in has an octal
 * --chmod (which replaces it), and not for the top of a directory source, whose contents are copied but not its
 * mode, nor for a symlink (its mode means nothing). Returns 0, or -1 with "path:line: COPY source 'x' not found in
 * the build context" (a named source missing, ignored or a symlink to nothing) or another reason appended to err,
 * leaving out empty. fc (may be NULL) lets unchanged directories go unread; fcprefix is the context's path as fc
 * names files (see fileset_expand_cached).
 */
int dockerctx_entries(const struct dockerfile *df, int ctxfd, const struct dockerignore *ign, struct filecache *fc,
                      const char *fcprefix, struct ctxlist *out, struct buf *err);
/* dockerctx_visible: whether an entry at the context-relative path would be read by one of df's reads (copied into
 * the image or seen by a RUN), l being what dockerctx_entries gave. */
int dockerctx_visible(const struct dockerfile *df, const struct ctxlist *l, const char *path);

#endif
