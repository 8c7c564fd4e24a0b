/* listing: a directory's entries as the walk (filewalk.c) reads them and the stat cache (filecache.c) keeps them. */
#ifndef SB_LISTING_H
#define SB_LISTING_H

#include <stdint.h>

struct buf;

/* listing_read: append the entries of the open directory fd to out: a d_type byte, the name and a NUL for each,
 * without "." and "..", in the order that makes a depth-first walk yield paths in strcmp order (a directory sorts
 * as its name followed by '/'). Closes fd. -1 with errno on a read error. */
int listing_read(int fd, struct buf *out);

/* LISTING_KEY_MAX: room for a listing key. listing_key: "/<dev>:<ino>", the stat cache's key for the listing of
 * the directory with that identity (no relative path starts with '/'). */
#define LISTING_KEY_MAX 48
void listing_key(char *key, uint64_t dev, uint64_t ino);

#endif
