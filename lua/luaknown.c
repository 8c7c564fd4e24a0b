/* luaknown: names for the values of Lua's libraries and the recipe API (see luaknown.h). */
#include <lauxlib.h>
#include <lua.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "luaknown.h"
#include "util.h"

#define NAMES "sindri-build.known"       /* value -> name (an integer) */
#define CONTENTS "sindri-build.pristine" /* flat table -> its values when named, [0] = their count */

/* The names of the values of Lua's libraries and the API: a digest of the path each is first found at, walked
 * breadth first with keys sorted, so that a value gets the same name in every run and in every build of sindri-build
 * that has it at that path. */
struct kname {
	int rank;
	lua_Integer i;
	const char *s;
	size_t n;
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

struct known {
	lua_State *L;
	int known, visited, queue, pristine;
	lua_Integer tail;
};

/* consider: the value on top, named id: name it, or queue a table to walk. Pops it. */
static void consider(struct known *k, lua_Integer id)
{
	lua_State *L = k->L;
	int t = lua_type(L, -1);

	if (t == LUA_TTABLE) {
		lua_pushvalue(L, -1);
		if (lua_rawget(L, k->visited) == LUA_TNIL) {
			lua_pushvalue(L, -2);
			lua_pushboolean(L, 1);
			lua_rawset(L, k->visited);
			lua_pushvalue(L, -2);
			lua_rawseti(L, k->queue, ++k->tail);
			lua_pushinteger(L, id);
			lua_rawseti(L, k->queue, ++k->tail);
		}
		lua_pop(L, 1);
	} else if ((t == LUA_TFUNCTION && lua_iscfunction(L, -1)) || t == LUA_TUSERDATA || t == LUA_TLIGHTUSERDATA) {
		lua_pushvalue(L, -1);
		if (lua_rawget(L, k->known) == LUA_TNIL) {
			lua_pushvalue(L, -2);
			lua_pushinteger(L, id);
			lua_rawset(L, k->known);
			if (t == LUA_TUSERDATA && lua_getmetatable(L, -2))
				consider(k, path_id(id, 'm', "", 0));
		}
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
}

/* visit: the table at t, named id: each value in it, and its metatable. A flat table (no metatable, only values that
 * are not tables, userdata or Lua functions) is known by its name while it keeps exactly these values: a snapshot of
 * them is kept in pristine. */
static void visit(struct known *k, int t, lua_Integer id)
{
	lua_State *L = k->L;
	struct kname *keys = NULL;
	size_t n = 0, cap = 0;
	int flat = 1;

	if (lua_getmetatable(L, t)) {
		flat = 0;
		consider(k, path_id(id, 'm', "", 0));
	}
	lua_pushnil(L);
	while (lua_next(L, t)) {
		int vt = lua_type(L, -1);
		if (vt == LUA_TTABLE || vt == LUA_TUSERDATA || (vt == LUA_TFUNCTION && !lua_iscfunction(L, -1)))
			flat = 0;
		lua_pop(L, 1);
		if (lua_type(L, -1) != LUA_TSTRING && !lua_isinteger(L, -1)) {
			flat = 0;
			continue;
		}
		if (n == cap)
			keys = xreallocarray(keys, cap = cap ? 2 * cap : 32, sizeof(*keys));
		keys[n].rank = lua_type(L, -1) == LUA_TSTRING;
		keys[n].i = keys[n].rank ? 0 : lua_tointeger(L, -1);
		keys[n].s = keys[n].rank ? lua_tolstring(L, -1, &keys[n].n) : NULL;
		n++;
	}
	for (size_t i = 1; i < n; i++) { /* an insertion sort: qsort would allocate */
		struct kname x = keys[i];
		size_t j = i;
		for (; j > 0 && cmp_kname(&keys[j - 1], &x) > 0; j--)
			keys[j] = keys[j - 1];
		keys[j] = x;
	}
	for (size_t i = 0; i < n; i++) {
		if (keys[i].rank)
			lua_pushlstring(L, keys[i].s, keys[i].n);
		else
			lua_pushinteger(L, keys[i].i);
		lua_rawget(L, t);
		consider(k, keys[i].rank ? path_id(id, 's', keys[i].s, keys[i].n) : path_id(id, 'i', &keys[i].i, 8));
	}
	free(keys);
	if (flat) {
		lua_pushvalue(L, t);
		lua_pushinteger(L, id);
		lua_rawset(L, k->known);
		lua_pushvalue(L, t);
		lua_createtable(L, 0, (int)n);
		lua_pushnil(L);
		while (lua_next(L, t)) {
			lua_pushvalue(L, -2);
			lua_insert(L, -2);
			lua_rawset(L, -4);
		}
		lua_pushinteger(L, (lua_Integer)n);
		lua_rawseti(L, -2, 0); /* never a key of a flat table of the libraries, whose keys are names */
		lua_rawset(L, k->pristine);
	}
}

void luaknown_open(lua_State *L, int api)
{
	struct known k = {L, 0, 0, 0, 0, 0};
	lua_Integer head = 1;

	api = lua_absindex(L, api);
	lua_createtable(L, 0, 256);
	k.known = lua_gettop(L);
	lua_createtable(L, 0, 32);
	k.visited = lua_gettop(L);
	lua_createtable(L, 64, 0);
	k.queue = lua_gettop(L);
	lua_createtable(L, 0, 32);
	k.pristine = lua_gettop(L);
	lua_pushglobaltable(L);
	consider(&k, path_id(0, 'r', "_G", 2));
	lua_pushvalue(L, api);
	consider(&k, path_id(0, 'r', "api", 3));
	lua_pushliteral(L, "");
	lua_getmetatable(L, -1);
	lua_remove(L, -2);
	consider(&k, path_id(0, 'r', "string", 6));
	while (head < k.tail) {
		lua_rawgeti(L, k.queue, head++);
		lua_rawgeti(L, k.queue, head++);
		lua_Integer id = lua_tointeger(L, -1);
		lua_pop(L, 1);
		visit(&k, lua_gettop(L), id);
		lua_pop(L, 1);
	}
	lua_pushvalue(L, k.known);
	lua_setfield(L, LUA_REGISTRYINDEX, NAMES);
	lua_pushvalue(L, k.pristine);
	lua_setfield(L, LUA_REGISTRYINDEX, CONTENTS);
	lua_pop(L, 4);
}

void luaknown_push(lua_State *L)
{
	if (lua_getfield(L, LUA_REGISTRYINDEX, NAMES) != LUA_TTABLE) {
		lua_pop(L, 1);
		lua_newtable(L);
	}
	if (lua_getfield(L, LUA_REGISTRYINDEX, CONTENTS) != LUA_TTABLE) {
		lua_pop(L, 1);
		lua_newtable(L);
	}
}

/* pristine: the flat table at idx still holds exactly the values it had when it was named. */
static int pristine(lua_State *L, int contents, int idx)
{
	lua_Integer n = 0;
	int ok = 1, snap;

	lua_pushvalue(L, idx);
	if (lua_rawget(L, contents) != LUA_TTABLE) {
		lua_pop(L, 1);
		return 0;
	}
	if (lua_getmetatable(L, idx)) {
		lua_pop(L, 2);
		return 0;
	}
	snap = lua_gettop(L);
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		n++;
		lua_pushvalue(L, -2);
		lua_rawget(L, snap);
		ok = lua_rawequal(L, -1, -2);
		lua_pop(L, 2);
		if (!ok) {
			lua_pop(L, 1);
			break;
		}
	}
	if (ok) {
		lua_rawgeti(L, snap, 0);
		ok = lua_tointeger(L, -1) == n;
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	return ok;
}

int luaknown_name(lua_State *L, int names, int contents, int idx, lua_Integer *name)
{
	int t = lua_type(L, idx);

	lua_pushvalue(L, idx);
	if (lua_rawget(L, names) != LUA_TNUMBER || (t == LUA_TTABLE && !pristine(L, contents, idx))) {
		lua_pop(L, 1);
		return 0;
	}
	*name = lua_tointeger(L, -1);
	lua_pop(L, 1);
	return 1;
}
