/* addrmap: a map from addresses to numbers, for telling apart the Lua values a walk met (lua/luakey.c) and the
 * values of Lua's libraries (lua/luaknown.c): open addressing, at most half full. Zero it to start. */
#ifndef SB_ADDRMAP_H
#define SB_ADDRMAP_H

#include <stddef.h>
#include <stdint.h>

struct addrmap {
	const void **k;
	int64_t *v;
	size_t cap, n;
};

/* addrmap_slot: where the search for x starts in a table of cap slots (a power of two). */
size_t addrmap_slot(uint64_t x, size_t cap);
/* addrmap_get: the number p was put with, or 0 when it was not (p is not NULL). */
int64_t addrmap_get(const struct addrmap *m, const void *p);
/* addrmap_put: map p (not NULL, not yet in m) to v. */
void addrmap_put(struct addrmap *m, const void *p, int64_t v);
/* addrmap_clear: empty m, keeping its memory. */
void addrmap_clear(struct addrmap *m);
/* addrmap_release: free m's memory. */
void addrmap_release(struct addrmap *m);

#endif
