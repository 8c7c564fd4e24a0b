/*
 * htab: the engine's one hash index (task names, the state's records, the stat cache). It maps 64-bit hashes to the
 * numbers of the elements of an array its user owns, each element holding its own hash at a fixed offset: a slot is
 * 4 bytes, the index never compares keys (its user does, on a hash match) and never hashes a key again when it
 * grows. Linear probing over a power-of-two table kept at least half empty; nothing is ever removed (a user that
 * forgets an element marks it dead itself).
 */
#ifndef SB_HTAB_H
#define SB_HTAB_H

#include <stddef.h>
#include <stdint.h>

struct htab {
	uint32_t *slot;   /* element number + 1, 0 when empty; walking slot[0..nslot) visits the elements in table order */
	size_t nslot;     /* a power of two, 0 before the first element */
	size_t n;         /* elements indexed */
	size_t size, off; /* the size of the user's element, and the offset of its uint64_t hash */
};

/* HTAB_INIT: an empty index over an array of type whose hash is its uint64_t member. */
#define HTAB_INIT(type, member) {NULL, 0, 0, sizeof(type), offsetof(type, member)}
#define HTAB_END SIZE_MAX

/* htab_next: the number of the next element of base whose hash is h, in probe order from *pos (0 to start; it is
 * advanced), or HTAB_END when there is none. */
size_t htab_next(const struct htab *t, const void *base, uint64_t h, size_t *pos);
/* htab_add: index element i of base, its hash set; the caller has made sure no element with its key is indexed. */
void htab_add(struct htab *t, const void *base, size_t i);
/* htab_reserve: size the table so that the elements of base up to n in all are indexed without growing it. */
void htab_reserve(struct htab *t, const void *base, size_t n);
/* htab_clear: forget every element, keeping the table's size. */
void htab_clear(struct htab *t);
/* htab_release: free the table; t is empty again. */
void htab_release(struct htab *t);

#endif
