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

#include "addrmap.h"
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
	size_t first, count; /* a flat table's pairs: pairs[first .. first + count), sorted by key */
};

/* A value as a flat table holds it, told apart from every other: its type and subtype, and its bits (a number, a
 * boolean, a light C function's address) or its address (kept alive by KEEP, so that it cannot come back as
 * another value). */
struct kval {
	int type;
	uint64_t bits;
};

/* A pair of a flat table: a string or integer key, and its value. */
struct kpair {
	struct kval k, v;
};

/* The names, looked up by the value's address in an open-addressing index (at most half full). */
struct luaknown {
	size_t n, npairs, cap;
	struct kent *v;
	struct kpair *pairs;
	uint32_t *index; /* 1 + the entry's place in v, or 0 */
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
	struct kpair *pairs;     /* the flat tables' pairs */
	size_t npairs, cappairs;
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

static size_t index_slot(int type, const void *p, size_t cap)
{
	return addrmap_slot((uint64_t)(uintptr_t)p ^ (uint64_t)type, cap);
}

/* find: the entry of the value of this type at p, or NULL. */
static const struct kent *find(const struct luaknown *kn, int type, const void *p)
{
	for (size_t i = index_slot(type, p, kn->cap);; i = (i + 1) & (kn->cap - 1)) {
		uint32_t at = kn->index[i];
		if (!at)
			return NULL;
		if (kn->v[at - 1].p == p && kn->v[at - 1].type == type)
			return &kn->v[at - 1];
	}
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

/* kval_of: the value at idx as a flat table holds it. */
static struct kval kval_of(lua_State *L, int idx)
{
	struct kval v = {lua_type(L, idx), 0};

	switch (v.type) {
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx)) {
			v.bits = (uint64_t)lua_tointeger(L, idx);
		} else {
			lua_Number f = lua_tonumber(L, idx);
			v.type += 16;
			memcpy(&v.bits, &f, sizeof(v.bits));
		}
		break;
	case LUA_TBOOLEAN:
		v.bits = (uint64_t)lua_toboolean(L, idx);
		break;
	default:
		/* a C function without upvalues is its address; any other value is the address of its object */
		v.bits = (uint64_t)(uintptr_t)lua_topointer(L, idx);
		if (v.type == LUA_TFUNCTION && !lua_iscfunction(L, idx))
			v.type += 16;
		break;
	}
	return v;
}

static int cmp_kval(const struct kval *x, const struct kval *y)
{
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	return x->bits < y->bits ? -1 : x->bits > y->bits;
}

static int cmp_kpair(const void *a, const void *b)
{
	return cmp_kval(&((const struct kpair *)a)->k, &((const struct kpair *)b)->k);
}

static struct kent *add(struct known *k, int type, const void *p, lua_Integer name)
{
	GROW(k->v, k->n, k->cap);
	k->v[k->n] = (struct kent){type, p, name, 0, 0};
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
		GROW(k->seen, k->nseen, k->capseen);
		k->seen[k->nseen++] = p;
		GROW(k->queue, k->tail + 1, k->capq); /* room for two */
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

static int cmp_kname_q(const void *a, const void *b)
{
	return cmp_kname(a, b);
}

/* visit: the table at t, named id: each value in it, and its metatable. A flat table (no metatable, only values that
 * are not tables, userdata or Lua functions) is named too, with a copy of its pairs: it keeps its name only while it
 * holds exactly these pairs. */
static void visit(struct known *k, int t, lua_Integer id)
{
	lua_State *L = k->L;
	struct kname *keys = NULL;
	size_t n = 0, cap = 0, first = k->npairs;
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
		GROW(keys, n, cap);
		keys[n].rank = kt == LUA_TSTRING;
		keys[n].i = keys[n].rank ? 0 : lua_tointeger(L, -2);
		keys[n].s = keys[n].rank ? lua_tolstring(L, -2, &keys[n].n) : NULL;
		keys[n].at = lua_gettop(L);
		n++;
		lua_pushvalue(L, -2); /* the key again, for lua_next */
	}
	if (n > 16) {
		qsort(keys, n, sizeof(*keys), cmp_kname_q);
	} else {
		for (size_t i = 1; i < n; i++) {
			struct kname x = keys[i];
			size_t j = i;
			for (; j > 0 && cmp_kname(&keys[j - 1], &x) > 0; j--)
				keys[j] = keys[j - 1];
			keys[j] = x;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (flat) {
			GROW(k->pairs, k->npairs, k->cappairs);
			k->pairs[k->npairs++] = (struct kpair){kval_of(L, keys[i].at - 1), kval_of(L, keys[i].at)};
			/* strings and coroutines live on while named: their addresses stay theirs */
			for (int j = keys[i].at - 1; j <= keys[i].at; j++) {
				if (lua_type(L, j) == LUA_TSTRING || lua_type(L, j) == LUA_TTHREAD) {
					lua_pushvalue(L, j);
					keep(k);
				}
			}
		}
		lua_pushvalue(L, keys[i].at);
		consider(k, keys[i].rank ? path_id(id, 's', keys[i].s, keys[i].n) : path_id(id, 'i', &keys[i].i, 8));
	}
	free(keys);
	lua_settop(L, base);
	if (flat) {
		struct kent *e = add(k, LUA_TTABLE, lua_topointer(L, t), id);
		e->first = first;
		e->count = n;
		qsort(k->pairs + first, n, sizeof(*k->pairs), cmp_kpair);
	} else {
		k->npairs = first;
	}
}

void luaknown_open(lua_State *L, int api)
{
	struct known k = {0};
	struct luaknown *kn;

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
	size_t cap = 64;
	while (cap < 2 * k.n)
		cap *= 2;
	/* one userdata in the registry holds the names, the pairs and the index (its memory never moves) */
	kn = lua_newuserdatauv(L, sizeof(*kn) + k.n * sizeof(*k.v) + k.npairs * sizeof(*k.pairs) +
	                       cap * sizeof(*kn->index), 0);
	kn->n = 0;
	kn->npairs = k.npairs;
	kn->cap = cap;
	kn->v = (struct kent *)(kn + 1);
	kn->pairs = (struct kpair *)(kn->v + k.n);
	kn->index = (uint32_t *)(kn->pairs + k.npairs);
	memset(kn->index, 0, cap * sizeof(*kn->index));
	if (k.npairs)
		memcpy(kn->pairs, k.pairs, k.npairs * sizeof(*k.pairs));
	/* in the order found: a value found twice keeps its first name */
	for (size_t i = 0; i < k.n; i++) {
		if (find(kn, k.v[i].type, k.v[i].p))
			continue;
		size_t j = index_slot(k.v[i].type, k.v[i].p, cap);
		while (kn->index[j])
			j = (j + 1) & (cap - 1);
		kn->v[kn->n] = k.v[i];
		kn->index[j] = (uint32_t)++kn->n;
	}
	lua_setfield(L, LUA_REGISTRYINDEX, NAMES);
	free(k.v);
	free(k.pairs);
	free(k.queue);
	free(k.seen);
}

const struct luaknown *luaknown_get(lua_State *L)
{
	const struct luaknown *kn = NULL;

	if (lua_getfield(L, LUA_REGISTRYINDEX, NAMES) == LUA_TUSERDATA)
		kn = lua_touserdata(L, -1);
	lua_pop(L, 1);
	return kn;
}

/* unchanged: the flat table at idx holds exactly the pairs e was taken from: as many, each key with its value. */
static int unchanged(lua_State *L, const struct luaknown *kn, int idx, const struct kent *e)
{
	const struct kpair *v = kn->pairs + e->first;
	size_t n = 0;

	if (lua_getmetatable(L, idx)) {
		lua_pop(L, 1);
		return 0;
	}
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		struct kpair p = {kval_of(L, -2), kval_of(L, -1)};
		const struct kpair *was;
		lua_pop(L, 1);
		if (++n > e->count || !(was = bsearch(&p, v, e->count, sizeof(*v), cmp_kpair)) ||
		    cmp_kval(&was->v, &p.v) != 0) {
			lua_pop(L, 1);
			return 0;
		}
	}
	return n == e->count;
}

int luaknown_name(lua_State *L, const struct luaknown *kn, int idx, lua_Integer *name)
{
	int type = lua_type(L, idx);
	const struct kent *e;

	if (!kn || !(e = find(kn, type, lua_topointer(L, idx))))
		return 0;
	if (type == LUA_TTABLE && !unchanged(L, kn, lua_absindex(L, idx), e))
		return 0;
	*name = e->name;
	return 1;
}
