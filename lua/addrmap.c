/* addrmap: addresses to numbers (see addrmap.h). */
#include <stdlib.h>
#include <string.h>

#include "addrmap.h"
#include "util.h"

size_t addrmap_slot(uint64_t x, size_t cap)
{
	/* addresses share their low bits (alignment) and their high bits (one heap): mix them all in */
	x ^= x >> 31;
	x *= 0x9e3779b97f4a7c15u;
	x ^= x >> 29;
	return (size_t)x & (cap - 1);
}

int64_t addrmap_get(const struct addrmap *m, const void *p)
{
	if (!m->n)
		return 0;
	for (size_t i = addrmap_slot((uintptr_t)p, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (m->k[i] == p)
			return m->v[i];
		if (!m->k[i])
			return 0;
	}
}

void addrmap_put(struct addrmap *m, const void *p, int64_t v)
{
	size_t i;

	if (2 * (m->n + 1) > m->cap) {
		struct addrmap old = *m;
		m->cap = m->cap ? 2 * m->cap : 1024;
		m->k = xcalloc(m->cap, sizeof(*m->k));
		m->v = xreallocarray(NULL, m->cap, sizeof(*m->v));
		m->n = 0;
		for (size_t j = 0; j < old.cap; j++)
			if (old.k[j])
				addrmap_put(m, old.k[j], old.v[j]);
		addrmap_release(&old);
	}
	for (i = addrmap_slot((uintptr_t)p, m->cap); m->k[i]; i = (i + 1) & (m->cap - 1))
		;
	m->k[i] = p;
	m->v[i] = v;
	m->n++;
}

void addrmap_clear(struct addrmap *m)
{
	if (m->n)
		memset(m->k, 0, m->cap * sizeof(*m->k));
	m->n = 0;
}

void addrmap_release(struct addrmap *m)
{
	free(m->k);
	free(m->v);
}
