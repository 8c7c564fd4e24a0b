/* htab: an open-addressing index over an array its user owns. */
#include <stdlib.h>
#include <string.h>

#include "htab.h"
#include "util.h"

#define MIN_SLOTS 64

static uint64_t hash_of(const struct htab *t, const void *base, size_t i)
{
	uint64_t h;

	memcpy(&h, (const char *)base + i * t->size + t->off, sizeof(h));
	return h;
}

static void put(struct htab *t, uint64_t h, uint32_t s)
{
	size_t mask = t->nslot - 1, i;

	for (i = (size_t)h & mask; t->slot[i]; i = (i + 1) & mask)
		;
	t->slot[i] = s;
}

/* resize: nslot slots, refilled in the old table's order (so a table grown the same way ends up the same). */
static void resize(struct htab *t, const void *base, size_t nslot)
{
	uint32_t *old = t->slot;
	size_t nold = t->nslot;

	if (nslot > (size_t)UINT32_MAX + 1)
		fatal("hash table: too many elements (%zu)", t->n);
	t->slot = xcalloc(nslot, sizeof(*t->slot));
	t->nslot = nslot;
	for (size_t i = 0; i < nold; i++)
		if (old[i])
			put(t, hash_of(t, base, old[i] - 1), old[i]);
	free(old);
}

void htab_reserve(struct htab *t, const void *base, size_t n)
{
	size_t nslot = t->nslot ? t->nslot : MIN_SLOTS;

	while (n > nslot / 2)
		nslot *= 2;
	if (nslot != t->nslot)
		resize(t, base, nslot);
}

size_t htab_next(const struct htab *t, const void *base, uint64_t h, size_t *pos)
{
	size_t mask = t->nslot - 1;

	if (!t->nslot)
		return HTAB_END;
	for (;;) {
		uint32_t s = t->slot[((size_t)h + (*pos)++) & mask];
		if (!s)
			return HTAB_END;
		if (hash_of(t, base, s - 1) == h)
			return s - 1;
	}
}

void htab_add(struct htab *t, const void *base, size_t i)
{
	if (i >= UINT32_MAX)
		fatal("hash table: too many elements (%zu)", i);
	htab_reserve(t, base, t->n + 1);
	put(t, hash_of(t, base, i), (uint32_t)(i + 1));
	t->n++;
}

void htab_clear(struct htab *t)
{
	if (t->slot)
		memset(t->slot, 0, t->nslot * sizeof(*t->slot));
	t->n = 0;
}

void htab_release(struct htab *t)
{
	free(t->slot);
	t->slot = NULL;
	t->nslot = t->n = 0;
}
