/* sindriconf (Lua): the recipe function sindri_config(path), which reads a sindri.yaml through
 * config/sindriconf and hands its fields to the recipe as a table. */
#include <lauxlib.h>
#include <limits.h>
#include <lua.h>
#include <string.h>

#include "hash.h"
#include "recipe.h"
#include "sindriconf.h"
#include "sindriconf_lua.h"
#include "util.h"

#define GUARD_META "sindri-build.sindriconf.guard"

/* What sindriconf_load hands back lives in a guard userdata while it becomes Lua values, so a Lua error on the way
 * (out of memory) frees it with the guard instead of leaking it. */
struct guard {
	struct sindriconf *conf;
	struct buf err;
};

static int guard_gc(lua_State *L)
{
	struct guard *g = lua_touserdata(L, 1);

	sindriconf_free(g->conf);
	g->conf = NULL;
	buf_release(&g->err);
	return 0;
}

/* guard_new: an empty guard pushed on the stack. */
static struct guard *guard_new(lua_State *L)
{
	return recipe_newguard(L, sizeof(struct guard), GUARD_META, guard_gc);
}

/* setstr: t[field] = v for the table on top of the stack; a NULL v leaves the field nil. */
static void setstr(lua_State *L, const char *field, const char *v)
{
	if (!v)
		return;
	lua_pushstring(L, v);
	lua_setfield(L, -2, field);
}

/* sindri_config(path): {path, name, provider, image, from_source, git_ref, profile, extensions, hash}; a file that
 * cannot be read or is wrong raises its "path:line:col: ..." message as is, with no Lua position in front. */
static int l_sindri_config(lua_State *L)
{
	const char *path;
	struct guard *g;
	const struct sindriconf *c;
	char hex[HASH_HEX_LEN + 1];

	if (lua_type(L, 1) != LUA_TSTRING)
		return luaL_error(L, "sindri_config: the argument must be the path of a sindri.yaml, got %s",
		                  luaL_typename(L, 1));
	path = lua_tostring(L, 1);
	g = guard_new(L);

	g->conf = sindriconf_load(path, &g->err);
	if (!g->conf) {
		lua_pushstring(L, g->err.len ? g->err.data : "sindri_config: unknown error");
		buf_release(&g->err);
		return lua_error(L);
	}
	c = g->conf;
	lua_createtable(L, 0, 9);
	setstr(L, "path", c->path);
	setstr(L, "name", c->name);
	setstr(L, "provider", c->provider);
	setstr(L, "image", c->image);
	lua_pushboolean(L, c->from_source);
	lua_setfield(L, -2, "from_source");
	setstr(L, "git_ref", c->git_ref);
	setstr(L, "profile", c->profile);
	lua_createtable(L, c->nextensions < INT_MAX ? (int)c->nextensions : 0, 0);
	for (size_t i = 0; i < c->nextensions; i++) {
		lua_pushstring(L, c->extensions[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_setfield(L, -2, "extensions");
	hash_hex(&c->hash, hex);
	setstr(L, "hash", hex);
	sindriconf_free(g->conf);
	g->conf = NULL;
	return 1;
}

void sindriconf_lua_open(struct recipe *r)
{
	recipe_register(r, "sindri_config", l_sindri_config);
}
