/* dockercache: the docker table's functions on the build cache and the engine's disk use. */
#include <lauxlib.h>
#include <limits.h>
#include <lua.h>
#include <stdint.h>

#include "dlua.h"
#include "dockerapi.h"

static void set_str(lua_State *L, const char *key, const char *v)
{
	lua_pushstring(L, v);
	lua_setfield(L, -2, key);
}

static void set_int(lua_State *L, const char *key, int64_t v)
{
	lua_pushinteger(L, (lua_Integer)v);
	lua_setfield(L, -2, key);
}

static void set_bool(lua_State *L, const char *key, int v)
{
	lua_pushboolean(L, v);
	lua_setfield(L, -2, key);
}

static int l_build_cache(lua_State *L)
{
	const struct docker_cache_record *c;
	struct docker *d;
	struct dlua_guard *g;

	if (!(d = dlua_client(L, 1)))
		return 2;
	g = dlua_guard_new(L);
	if (docker_build_cache(d, &g->cache) < 0)
		return dlua_fail(L, "cannot list the build cache");
	lua_createtable(L, g->cache.n > INT_MAX ? INT_MAX : (int)g->cache.n, 0);
	for (size_t i = 0; i < g->cache.n; i++) {
		c = &g->cache.v[i];
		lua_createtable(L, 0, 10);
		set_str(L, "id", c->id);
		set_str(L, "parent", c->parent);
		set_str(L, "type", c->type);
		set_str(L, "description", c->description);
		set_int(L, "size", c->size);
		set_int(L, "created", c->created);
		set_int(L, "last_used", c->last_used);
		set_int(L, "usage_count", c->usage_count);
		set_bool(L, "in_use", c->in_use);
		set_bool(L, "shared", c->shared);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	dlua_guard_release(g);
	return 1;
}

static int l_prune_cache_id(lua_State *L)
{
	const char *id = luaL_checkstring(L, 1);
	struct docker *d;
	int64_t reclaimed = 0;
	int rc;

	luaL_argcheck(L, *id, 1, "a build-cache record id, not an empty string");
	if (!(d = dlua_client(L, 1)))
		return 2;
	rc = docker_build_prune_id(d, id, &reclaimed);
	if (rc < 0)
		return dlua_fail(L, "cannot prune build-cache record '%s'", id);
	if (rc == DOCKER_NOT_FOUND)
		return dlua_missing(L, "build-cache record", id);
	lua_pushinteger(L, (lua_Integer)reclaimed);
	return 1;
}

/* prune_cache_ids{ id, ... }: bytes freed and records deleted; records already gone are no error. */
static int l_prune_cache_ids(lua_State *L)
{
	size_t n, i;
	const char **ids;
	struct docker *d;
	int64_t reclaimed = 0;
	size_t deleted = 0;
	int rc;

	luaL_checktype(L, 1, LUA_TTABLE);
	n = lua_rawlen(L, 1);
	ids = lua_newuserdatauv(L, (n ? n : 1) * sizeof(*ids), 0); /* freed by Lua, whatever fails below */
	for (i = 0; i < n; i++) {
		lua_rawgeti(L, 1, (lua_Integer)i + 1);
		ids[i] = lua_tostring(L, -1);
		luaL_argcheck(L, lua_type(L, -1) == LUA_TSTRING && *ids[i], 1, "a list of build-cache record ids");
		lua_pop(L, 1); /* the string stays alive in the table */
	}
	if (!(d = dlua_client(L, 1)))
		return 2;
	rc = docker_build_prune_ids(d, ids, n, &reclaimed, &deleted);
	if (rc < 0)
		return dlua_fail(L, "cannot prune %zu build-cache records", n);
	lua_pushinteger(L, (lua_Integer)reclaimed);
	lua_pushinteger(L, (lua_Integer)deleted);
	return 2;
}

static const char *const prune_opts[] = {"all", NULL};
static const unsigned prune_flags[] = {DOCKER_PRUNE_ALL};

static int l_prune_cache(lua_State *L)
{
	unsigned flags = dlua_opt_flags(L, 1, prune_opts, prune_flags, 1);
	const char *const *filters = dlua_opt_strs(L, 1, "filters", KEYS_SKIP);
	struct docker *d;
	int64_t reclaimed = 0;
	size_t deleted = 0;

	if (!(d = dlua_client(L, 1)))
		return 2;
	if (docker_build_prune(d, filters, flags, &reclaimed, &deleted) < 0)
		return dlua_fail(L, "cannot prune the build cache");
	lua_pushinteger(L, (lua_Integer)reclaimed);
	lua_pushinteger(L, (lua_Integer)deleted);
	return 2;
}

static int l_df(lua_State *L)
{
	struct docker_df df;
	struct docker *d;

	if (!(d = dlua_client(L, 1)))
		return 2;
	if (docker_system_df(d, &df) < 0)
		return dlua_fail(L, "cannot read the engine's disk use");
	lua_createtable(L, 0, 8);
	set_int(L, "images_size", df.images_size);
	set_int(L, "containers_size", df.containers_size);
	set_int(L, "volumes_size", df.volumes_size);
	set_int(L, "cache_size", df.cache_size);
	set_int(L, "images", (int64_t)df.images);
	set_int(L, "containers", (int64_t)df.containers);
	set_int(L, "volumes", (int64_t)df.volumes);
	set_int(L, "cache_records", (int64_t)df.cache_records);
	return 1;
}

const luaL_Reg dlua_cache_lib[] = {
	{"build_cache", l_build_cache}, {"prune_cache_id", l_prune_cache_id},
	{"prune_cache_ids", l_prune_cache_ids}, {"prune_cache", l_prune_cache},
	{"df", l_df}, {NULL, NULL},
};
