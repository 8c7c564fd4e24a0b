/* filecacheint: what the pieces of the stat cache share (filecache.c the entries and the file, walkrec.c the walks
 * on record): the cache itself; for them only, the rest of the project includes filecache.h. */
#ifndef SB_FILECACHEINT_H
#define SB_FILECACHEINT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "hash.h"
#include "htab.h"
#include "util.h"

struct fcent;
struct trust;

/* A walk's digest on record (filecache_walk_get). */
struct walkrec {
	uint64_t h; /* spec.lo, for the index */
	struct hash128 spec, digest;
	uint64_t count;
	char *bases; /* where its walk starts, each escaped (' ', '%', '\t', '\n' as %XX) and followed by a space */
	int fresh;   /* put by this process */
	int taken;   /* answered a filecache_walk_get of this process */
};

struct filecache {
	char *path;      /* the cache file, read when an entry is first needed (load) */
	int loaded;
	uint64_t count;  /* the records the file's header counts, before it is loaded */
	struct stat id;  /* the file as filecache_load saw it */
	struct buf file; /* the loaded cache file */
	struct fcent *ent;
	size_t n, cap;
	struct htab index; /* over ent */
	int dirty;
	size_t hits, hashed;
	/* vouched for (filecache_watch) while the stretch of trust is still vouch_at */
	const struct trust *trust;
	unsigned long vouch_at;
	int track;           /* filecache_watch: walks note what they stat */
	size_t stats, known; /* walk stats made, and taken from entries under a vouch */
	size_t unwatched;    /* things walks relied on that a watcher will not watch (filecache_unwatched) */
	struct walkrec *walks;
	size_t nwalks, capwalks, walks_taken;
	struct htab walkindex; /* over walks */
	const struct trust *walks_trust; /* the loaded walks hold while its stretch is still walks_at */
	unsigned long walks_at;
};

#endif
