/* dockerctx: the exact set of build-context files a docker build of a Dockerfile's target stage reads. */
#ifndef SB_DOCKERCTX_H
#define SB_DOCKERCTX_H

struct buf;
struct dockerfile;
struct dockerignore;
struct fileset;

/*
 * dockerctx_inputs: add to out (sorted, deduplicated) every file below the context directory ctxfd that the needed
 * stages' COPY and ADD (without --from) and RUN --mount=type=bind (without from=) read: a file source is that file,
 * a directory every file below it, a wildcard every match (directories recursively, and possibly none, as BuildKit
 * allows); minus what ign (NULL: no ignore file) and each step's --exclude leave out. Returns 0, or -1 with
 * "path:line: COPY source 'x' not found in the build context" (a named source missing or ignored, or another
 * reason) appended to err, leaving out unchanged. fc (may be NULL) lets unchanged directories go unread; fcprefix
 * is the context's path as fc names files (see fileset_expand_cached).
 */
struct filecache;
int dockerctx_inputs(const struct dockerfile *df, int ctxfd, const struct dockerignore *ign, struct filecache *fc,
                     const char *fcprefix, struct fileset *out, struct buf *err);

#endif
