/* engine_htab: the hash index of engine/htab.c: lookups through growth, colliding hashes, reserve and clear, and the
 * table order a graph's suggestions are made in. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "htab.h"
#include "util.h"
#include "t.h"

struct elem {
	char key[16];
	uint64_t h;
	int value;
};

struct table {
	struct elem *v;
	size_t n, cap;
	struct htab index;
};

static void table_init(struct table *t)
{
	memset(t, 0, sizeof(*t));
	t->index = (struct htab)HTAB_INIT(struct elem, h);
}

static void table_release(struct table *t)
{
	free(t->v);
	htab_release(&t->index);
}

static struct elem *find(const struct table *t, const char *key, uint64_t h)
{
	size_t pos = 0, i;

	while ((i = htab_next(&t->index, t->v, h, &pos)) != HTAB_END)
		if (strcmp(t->v[i].key, key) == 0)
			return &t->v[i];
	return NULL;
}

static void add(struct table *t, const char *key, uint64_t h, int value)
{
	GROW(t->v, t->n, t->cap);
	snprintf(t->v[t->n].key, sizeof(t->v[t->n].key), "%s", key);
	t->v[t->n].h = h;
	t->v[t->n].value = value;
	htab_add(&t->index, t->v, t->n++);
}

/* weak: a hash with many collisions, so probing past other keys is exercised. */
static uint64_t weak(int i)
{
	return (uint64_t)(i % 7) * 0x9e3779b97f4a7c15u;
}

static void test_grow_and_find(void)
{
	struct table t;
	char key[16];
	int found = 0, right = 0;

	table_init(&t);
	CHECK(find(&t, "absent", 1) == NULL); /* an empty index has no table yet */
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		add(&t, key, weak(i), i);
	}
	CHECK_INT(t.index.n, 5000);
	CHECK(t.index.nslot >= 10000);
	CHECK((t.index.nslot & (t.index.nslot - 1)) == 0);
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		struct elem *e = find(&t, key, weak(i));
		found += e != NULL;
		right += e && e->value == i;
	}
	CHECK_INT(found, 5000);
	CHECK_INT(right, 5000);
	CHECK(find(&t, "k5000", weak(5000)) == NULL);
	CHECK(find(&t, "k1", weak(2)) == NULL); /* the right key under another hash is not found */
	table_release(&t);
}

/* every element with the hash asked for comes back, in probe order, and no other */
static void test_same_hash(void)
{
	struct table t;
	size_t pos = 0, i, n = 0;
	int seen = 0;

	table_init(&t);
	add(&t, "a", 42, 1);
	add(&t, "b", 43, 2);
	add(&t, "c", 42, 4);
	add(&t, "d", 42, 8);
	while ((i = htab_next(&t.index, t.v, 42, &pos)) != HTAB_END) {
		seen |= t.v[i].value;
		n++;
	}
	CHECK_INT(n, 3);
	CHECK_INT(seen, 1 | 4 | 8);
	table_release(&t);
}

static void test_reserve_clear(void)
{
	struct table t;
	char key[16];

	table_init(&t);
	htab_reserve(&t.index, t.v, 1000);
	size_t nslot = t.index.nslot;
	CHECK(nslot >= 2000);
	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "r%d", i);
		add(&t, key, (uint64_t)i * 31, i);
	}
	CHECK_INT(t.index.nslot, nslot); /* reserved: no growth */
	htab_clear(&t.index);
	CHECK_INT(t.index.n, 0);
	CHECK(find(&t, "r1", 31) == NULL);
	t.n = 0;
	add(&t, "again", 7, 3);
	CHECK(find(&t, "again", 7) && find(&t, "again", 7)->value == 3);
	table_release(&t);
	CHECK(t.index.slot == NULL && t.index.nslot == 0);
}

/* Two tables filled with the same elements in the same order have the same slots: what walks the table in slot
 * order (a graph's "did you mean") sees the same order on every run. */
static void test_same_order(void)
{
	struct table a, b;
	char key[16];

	table_init(&a);
	table_init(&b);
	for (int i = 0; i < 300; i++) {
		snprintf(key, sizeof(key), "o%d", i);
		add(&a, key, weak(i) + (uint64_t)i, i);
		add(&b, key, weak(i) + (uint64_t)i, i);
	}
	CHECK_INT(a.index.nslot, b.index.nslot);
	CHECK(memcmp(a.index.slot, b.index.slot, a.index.nslot * sizeof(*a.index.slot)) == 0);
	table_release(&a);
	table_release(&b);
}

int main(void)
{
	test_grow_and_find();
	test_same_hash();
	test_reserve_clear();
	test_same_order();
	return t_done("engine_htab");
}
