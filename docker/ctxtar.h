/* ctxtar: writing build-context entries out, as a tar stream or as a directory tree (ctxseal's two forms). */
#ifndef SB_CTXTAR_H
#define SB_CTXTAR_H

#include <stddef.h>
#include <stdint.h>

struct ctxsink;

/* ctxsink_tar: a sink that writes a tar to fd: ustar headers, uid and gid 0, pax headers for a path, link target,
 * size or mtime ustar cannot hold. ctxsink_dir: one that writes into the empty directory dirfd. The caller frees
 * either with ctxsink_finish. */
struct ctxsink *ctxsink_tar(int fd);
struct ctxsink *ctxsink_dir(int dirfd);
/* ctxsink_entry: begin the entry path (a directory before what it holds) of kind 'f' (a file: its size bytes follow
 * through ctxsink_data, then ctxsink_end), 'd' or 'l' (a symlink to link), with mode perm and mtime (s). Each
 * returns 0, or -1 after printing an error. */
int ctxsink_entry(struct ctxsink *s, const char *path, char kind, uint32_t perm, int64_t mtime, uint64_t size,
                  const char *link);
int ctxsink_data(struct ctxsink *s, const void *p, size_t n);
int ctxsink_end(struct ctxsink *s);
/* ctxsink_finish: when ok, complete what was written (the tar's end; the directories' modes and mtimes, set last
 * since writing into them changed the mtimes and a read-only mode would have stopped it); then free s. 0, or -1
 * after printing an error. */
int ctxsink_finish(struct ctxsink *s, int ok);

#endif
