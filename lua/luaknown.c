/* luaknown: names for the values of Lua's libraries and the recipe API (see luaknown.h).
 *
 * Every run takes them before its recipe runs, so this is on the no-op path: the walk writes to C arrays, not Lua
 * tables, and a name is looked up by the value's identity (lua_topointer) in a sorted array. The values named are
 * kept alive by a table in the registry, so that an address cannot come back as another value. */
#include <lauxlib.h>
#include <lua.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "luaknown.h"
#include "util.h"

#define NAMES "sindri-build.known" /* a userdata: struct names */
#define KEEP "sindri-build.keep"   /* the values named, kept alive */

/* A value with a name: a C function, userdata or light userdata; or a flat table, with what it held then. */
struct kent {
	int type;
	const void *p;
	lua_Integer name;
	lua_Integer count;   /* a flat table's number of pairs */
	struct hash128 sum;  /* ... and the sum of their digests */
	size_t order;        /* when it was found: a value found twice keeps its first name */
};

struct names {
	size_t n;
	struct kent v[];
};

/* A key of a library table, sorted for the walk: integers first, then strings bytewise. */
struct kname {
	int rank;
	lua_Integer i;
	const char *s;
	size_t n;
	int at; /* the value's stack index; the key is just below */
};

struct known {
	lua_State *L;
	int keep;                /* stack index of the keep table: the values named, and the tables to walk */
	lua_Integer nkeep;
	struct kent *v;          /* the names, in the order the values were found */
	size_t n, cap;
	lua_Integer *queue;      /* tables to walk: index in keep, name */
	size_t head, tail, capq;
	const void **seen;       /* the tables met */
	size_t nseen, capseen;
};

static int cmp_kname(const void *a, const void *b)
{
	const struct kname *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank - y->rank;
	if (x->rank == 0)
		return x->i < y->i ? -1 : x->i > y->i;
	size_t n = x->n < y->n ? x->n : y->n;
	int c = memcmp(x->s, y->s, n);
	return c ? c : x->n < y->n ? -1 : x->n > y->n;
}

static int cmp_kent(const void *a, const void *b)
{
	const struct kent *x = a, *y = b;

	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	return x->p < y->p ? -1 : x->p > y->p;
}

static int cmp_kent_order(const void *a, const void *b)
{
	const struct kent *x = a, *y = b;
	int c = cmp_kent(a, b);

	return c ? c : x->order < y->order ? -1 : x->order > y->order;
}

/* path_id: the name of what is at key (tag 's' string, 'i' integer, 'm' metatable) of the value named parent. */
static lua_Integer path_id(lua_Integer parent, char tag, const void *key, size_t n)
{
	unsigned char b[8 + 1 + 64];
	struct hash128 k;

	if (n > 64) {
		k = hash_bytes(key, n);
		key = &k;
		n = sizeof(k);
	}
	memcpy(b, &parent, 8);
	b[8] = (unsigned char)tag;
	memcpy(b + 9, key, n);
	return (lua_Integer)hash_bytes(b, 9 + n).lo;
}

/* pair_sum: add the digest of the pair on the stack (key at -2, value at -1) of a flat table to sum. */
static void pair_sum(lua_State *L, struct hash128 *sum)
{
	unsigned char b[2 + 2 * 16];
	size_t n = 0;

	for (int i = -2; i <= -1; i++) {
		int t = lua_type(L, i);
		struct hash128 d = {0, 0};
		size_t len;
		const char *s;
		b[n++] = (unsigned char)t;
		if (t == LUA_TSTRING) {
			s = lua_tolstring(L, i, &len);
			d = hash_bytes(s, len);
		} else if (t == LUA_TNUMBER) {
			lua_Integer v = lua_isinteger(L, i) ? lua_tointeger(L, i) : 0;
			lua_Number f = lua_isinteger(L, i) ? 0 : lua_tonumber(L, i);
			d.lo = (uint64_t)v;
			memcpy(&d.hi, &f, sizeof(d.hi));
		} else if (t == LUA_TBOOLEAN) {
			d.lo = (uint64_t)lua_toboolean(L, i);
		} else {
			d.lo = (uint64_t)(uintptr_t)lua_topointer(L, i);
			d.hi = (uint64_t)lua_iscfunction(L, i);
		}
		memcpy(b + n, &d, sizeof(d));
		n += sizeof(d);
	}
	struct hash128 d = hash_bytes(b, n);
	sum->lo += d.lo;
	sum->hi += d.hi;
}

static struct kent *add(struct known *k, int type, const void *p, lua_Integer name)
{
	if (k->n == k->cap)
		k->v = xreallocarray(k->v, k->cap = k->cap ? 2 * k->cap : 256, sizeof(*k->v));
	k->v[k->n] = (struct kent){type, p, name, 0, {0, 0}, k->n};
	return &k->v[k->n++];
}

/* keep: hold the value on top alive, in the keep table (pops it); its index there. */
static lua_Integer keep(struct known *k)
{
	lua_rawseti(k->L, k->keep, ++k->nkeep);
	return k->nkeep;
}

/* consider: the value on top, named id: name it, or queue a table to walk. Pops it. */
static void consider(struct known *k, lua_Integer id)
{
	lua_State *L = k->L;
	int t = lua_type(L, -1);
	const void *p = lua_topointer(L, -1);

	if (t == LUA_TTABLE) {
		for (size_t i = 0; i < k->nseen; i++)
			if (k->seen[i] == p) {
				lua_pop(L, 1);
				return;
			}
		if (k->nseen == k->capseen)
			k->seen = xreallocarray(k->seen, k->capseen = k->capseen ? 2 * k->capseen : 32, sizeof(*k->seen));
		k->seen[k->nseen++] = p;
		if (k->tail + 2 > k->capq)
			k->queue = xreallocarray(k->queue, k->capq = k->capq ? 2 * k->capq : 64, sizeof(*k->queue));
		k->queue[k->tail++] = keep(k);
		k->queue[k->tail++] = id;
		return;
	}
	if (!((t == LUA_TFUNCTION && lua_iscfunction(L, -1)) || t == LUA_TUSERDATA || t == LUA_TLIGHTUSERDATA)) {
		lua_pop(L, 1);
		return;
	}
	/* a value found again gets a second entry, dropped when the names are sorted */
	add(k, t, p, id);
	if (t == LUA_TUSERDATA && lua_getmetatable(L, -1)) {
		lua_insert(L, -2);
		keep(k);
		consider(k, path_id(id, 'm', "", 0));
	} else {
		keep(k);
	}
}

/* visit: the table at t, named id: each value in it, and its metatable. A flat table (no metatable, only values that
 * are not tables, userdata or Lua functions) is named too, with the sum of its pairs' digests: it keeps its name
 * only while it holds exactly these pairs. */
static void visit(struct known *k, int t, lua_Integer id)
{
	lua_State *L = k->L;
	struct kname *keys = NULL;
	struct hash128 sum = {0, 0};
	size_t n = 0, cap = 0;
	int flat = 1, base;

	if (lua_getmetatable(L, t)) {
		flat = 0;
		consider(k, path_id(id, 'm', "", 0));
	}
	/* the pairs stay on the stack while they are sorted by key and named */
	base = lua_gettop(L);
	lua_pushnil(L);
	while (lua_next(L, t)) {
		int vt = lua_type(L, -1), kt = lua_type(L, -2);
		if (vt == LUA_TTABLE || vt == LUA_TUSERDATA || (vt == LUA_TFUNCTION && !lua_iscfunction(L, -1)))
			flat = 0;
		if (kt != LUA_TSTRING && !lua_isinteger(L, -2)) {
			flat = 0;
			lua_pop(L, 1);
			continue;
		}
		if (!lua_checkstack(L, 4))
			fatal("out of memory naming Lua's libraries");
		if (n == cap)
			keys = xreallocarray(keys, cap = cap ? 2 * cap : 32, sizeof(*keys));
		keys[n].rank = kt == LUA_TSTRING;
		keys[n].i = keys[n].rank ? 0 : lua_tointeger(L, -2);
		keys[n].s = keys[n].rank ? lua_tolstring(L, -2, &keys[n].n) : NULL;
		keys[n].at = lua_gettop(L);
		n++;
		lua_pushvalue(L, -2); /* the key again, for lua_next */
	}
	for (size_t i = 1; i < n; i++) { /* an insertion sort: qsort would allocate */
		struct kname x = keys[i];
		size_t j = i;
		for (; j > 0 && cmp_kname(&keys[j - 1], &x) > 0; j--)
			keys[j] = keys[j - 1];
		keys[j] = x;
	}
	for (size_t i = 0; i < n; i++) {
		if (flat) {
			lua_pushvalue(L, keys[i].at - 1);
			lua_pushvalue(L, keys[i].at);
			pair_sum(L, &sum);
			lua_pop(L, 2);
		}
		lua_pushvalue(L, keys[i].at);
		consider(k, keys[i].rank ? path_id(id, 's', keys[i].s, keys[i].n) : path_id(id, 'i', &keys[i].i, 8));
	}
	free(keys);
	lua_settop(L, base);
	if (flat) {
		struct kent *e = add(k, LUA_TTABLE, lua_topointer(L, t), id);
		e->count = (lua_Integer)n;
		e->sum = sum;
	}
}

void luaknown_open(lua_State *L, int api)
{
	struct known k = {0};
	struct names *names;

	api = lua_absindex(L, api);
	k.L = L;
	lua_createtable(L, 512, 0);
	k.keep = lua_gettop(L);
	lua_pushglobaltable(L);
	consider(&k, path_id(0, 'r', "_G", 2));
	lua_pushvalue(L, api);
	consider(&k, path_id(0, 'r', "api", 3));
	lua_pushliteral(L, "");
	lua_getmetatable(L, -1);
	lua_remove(L, -2);
	consider(&k, path_id(0, 'r', "string", 6));
	while (k.head < k.tail) {
		lua_Integer at = k.queue[k.head++], id = k.queue[k.head++];
		lua_rawgeti(L, k.keep, at);
		visit(&k, lua_gettop(L), id);
		lua_pop(L, 1);
	}
	lua_setfield(L, LUA_REGISTRYINDEX, KEEP);
	if (k.n)
		qsort(k.v, k.n, sizeof(*k.v), cmp_kent_order);
	size_t n = 0;
	for (size_t i = 0; i < k.n; i++)
		if (n == 0 || cmp_kent(&k.v[n - 1], &k.v[i]) != 0)
			k.v[n++] = k.v[i];
	names = lua_newuserdatauv(L, sizeof(*names) + n * sizeof(*names->v), 0);
	names->n = n;
	if (n)
		memcpy(names->v, k.v, n * sizeof(*k.v));
	lua_setfield(L, LUA_REGISTRYINDEX, NAMES);
	free(k.v);
	free(k.queue);
	free(k.seen);
}

void luaknown_push(lua_State *L)
{
	if (lua_getfield(L, LUA_REGISTRYINDEX, NAMES) != LUA_TUSERDATA) {
		lua_pop(L, 1);
		lua_newuserdatauv(L, sizeof(struct names), 0);
		((struct names *)lua_touserdata(L, -1))->n = 0;
	}
}

/* unchanged: the flat table at idx holds exactly the pairs e was taken from. */
static int unchanged(lua_State *L, int idx, const struct kent *e)
{
	struct hash128 sum = {0, 0};
	lua_Integer n = 0;

	if (lua_getmetatable(L, idx)) {
		lua_pop(L, 1);
		return 0;
	}
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		pair_sum(L, &sum);
		lua_pop(L, 1);
		n++;
	}
	return n == e->count && hash_eq(&sum, &e->sum);
}

int luaknown_name(lua_State *L, int names, int idx, lua_Integer *name)
{
	const struct names *v = lua_touserdata(L, names);
	struct kent key = {lua_type(L, idx), lua_topointer(L, idx), 0, 0, {0, 0}, 0};
	const struct kent *e;

	if (!v || !v->n)
		return 0;
	e = bsearch(&key, v->v, v->n, sizeof(*v->v), cmp_kent);
	if (!e || (key.type == LUA_TTABLE && !unchanged(L, lua_absindex(L, idx), e)))
		return 0;
	*name = e->name;
	return 1;
}
