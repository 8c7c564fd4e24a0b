/* docker: the `docker` table of the recipe API, a thin layer over docker/dockerapi: the shared client, guards,
 * turning answers into Lua values, the engine itself (host, ping, get) and the table (its other functions:
 * lua/dockerobj.c, lua/dockercache.c; argument readers: lua/dockerargs.c). */
#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "dlua.h"
#include "docker_lua.h"
#include "dockersync_lua.h"
#include "dockerapi.h"
#include "json.h"
#include "recipe.h"

#define CLIENT_KEY "sindri-build.docker"
#define GUARD_META "sindri-build.docker.guard"

void dlua_guard_release(struct dlua_guard *g)
{
	json_free(g->json);
	g->json = NULL;
	docker_cache_release(&g->cache);
	free(g->str);
	g->str = NULL;
}

static int guard_gc(lua_State *L)
{
	dlua_guard_release(lua_touserdata(L, 1));
	return 0;
}

/* dlua_guard_new: an empty guard pushed on the stack. */
struct dlua_guard *dlua_guard_new(lua_State *L)
{
	return recipe_newguard(L, sizeof(struct dlua_guard), GUARD_META, guard_gc);
}

/* The shared client, in a userdata in the registry whose __gc closes it with the Lua state. */
struct client {
	struct docker *d;
	int unusable; /* docker_open refused the address: the environment cannot change, so do not retry */
	const struct trust *trust; /* the run's (recipe_trust): answers are kept within a stretch of it */
};

static int client_gc(lua_State *L)
{
	struct client *c = lua_touserdata(L, 1);

	docker_close(c->d);
	c->d = NULL;
	return 0;
}

/* dlua_fail: nil and "<what> (the reason is printed above)"; dockerapi printed the engine's words already. */
int dlua_fail(lua_State *L, const char *fmt, ...)
{
	va_list ap;

	lua_pushnil(L);
	va_start(ap, fmt);
	lua_pushvfstring(L, fmt, ap);
	va_end(ap);
	lua_pushliteral(L, " (the reason is printed above)");
	lua_concat(L, 2);
	return 2;
}

/* dlua_missing: false and "<kind> 'name' not found", for a 404. */
int dlua_missing(lua_State *L, const char *kind, const char *name)
{
	lua_pushboolean(L, 0);
	lua_pushfstring(L, "%s '%s' not found", kind, name);
	return 2;
}

/* dlua_client: the shared client, opened on first use and, with ping, checked to answer; NULL after pushing nil and
 * a message. */
/* slot: the shared client's userdata, made on first use. */
static struct client *slot(lua_State *L)
{
	struct client *c;

	if (lua_getfield(L, LUA_REGISTRYINDEX, CLIENT_KEY) == LUA_TUSERDATA) {
		c = lua_touserdata(L, -1);
		lua_pop(L, 1);
		return c;
	}
	lua_pop(L, 1);
	c = lua_newuserdatauv(L, sizeof(*c), 0);
	memset(c, 0, sizeof(*c));
	lua_newtable(L);
	lua_pushcfunction(L, client_gc);
	lua_setfield(L, -2, "__gc");
	lua_setmetatable(L, -2);
	lua_setfield(L, LUA_REGISTRYINDEX, CLIENT_KEY);
	return c;
}

struct docker *dlua_client(lua_State *L, int ping)
{
	struct client *c = slot(L);
	const char *host;

	if (!c->d && !c->unusable && (c->d = docker_open(NULL)))
		docker_set_trust(c->d, c->trust); /* answers hold until a task starts */
	if (!c->d) {
		c->unusable = 1;
		host = getenv("DOCKER_HOST");
		dlua_fail(L, "cannot use the Docker engine address '%s'", host && *host ? host : DOCKER_DEFAULT_HOST);
		return NULL;
	}
	/* the version is negotiated by the first ping; a failed one is tried again on the next call */
	if (ping && !docker_api_version(c->d) && docker_ping(c->d) < 0) {
		dlua_fail(L, "cannot reach the Docker engine at '%s'", docker_host(c->d));
		return NULL;
	}
	return c->d;
}

struct docker *docker_lua_peek(lua_State *L)
{
	struct client *c = NULL;

	if (lua_getfield(L, LUA_REGISTRYINDEX, CLIENT_KEY) == LUA_TUSERDATA)
		c = lua_touserdata(L, -1);
	lua_pop(L, 1);
	return c ? c->d : NULL;
}

struct docker *docker_lua_client(lua_State *L)
{
	struct docker *d = dlua_client(L, 0);

	if (!d)
		lua_pop(L, 2); /* client pushed nil and a message */
	return d;
}

/* push_number: an integer literal that fits as a Lua integer, anything else as a float. */
static void push_number(lua_State *L, const struct json *j)
{
	long long v;
	char *end;

	if (!strpbrk(j->str, ".eE")) {
		errno = 0;
		v = strtoll(j->str, &end, 10);
		if (errno == 0 && end != j->str && !*end) {
			lua_pushinteger(L, (lua_Integer)v);
			return;
		}
	}
	lua_pushnumber(L, (lua_Number)json_num(j, 0));
}

/* dlua_push_json: a JSON tree as Lua values; null is docker.null, which object members turn into nil. The parser
 * caps nesting at JSON_MAX_DEPTH, so the recursion is bounded. */
void dlua_push_json(lua_State *L, const struct json *j)
{
	int n = j->n > INT_MAX ? INT_MAX : (int)j->n;
	size_t i;

	luaL_checkstack(L, 4, "JSON nested too deeply");
	switch (j->type) {
	case JSON_NULL:
		lua_pushlightuserdata(L, NULL);
		break;
	case JSON_BOOL:
		lua_pushboolean(L, j->boolean);
		break;
	case JSON_NUMBER:
		push_number(L, j);
		break;
	case JSON_STRING:
		lua_pushlstring(L, j->str, j->len);
		break;
	case JSON_ARRAY:
		lua_createtable(L, n, 0);
		for (i = 0; i < j->n; i++) {
			dlua_push_json(L, j->items[i]);
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
		break;
	case JSON_OBJECT:
		lua_createtable(L, 0, n);
		for (i = 0; i < j->n; i++) {
			lua_pushstring(L, j->items[i]->key ? j->items[i]->key : "");
			/* a repeated key: the last one wins, even when it is null */
			if (j->items[i]->type == JSON_NULL)
				lua_pushnil(L);
			else
				dlua_push_json(L, j->items[i]);
			lua_rawset(L, -3);
		}
		break;
	}
}

/* dlua_tree: the outcome of a call that fills g->json: a table, false when not found, nil and a message. */
int dlua_tree(lua_State *L, struct dlua_guard *g, int rc, const char *kind, const char *name)
{
	if (rc < 0)
		return dlua_fail(L, "cannot inspect %s '%s'", kind, name);
	if (rc == DOCKER_NOT_FOUND)
		return dlua_missing(L, kind, name);
	dlua_push_json(L, g->json);
	dlua_guard_release(g);
	return 1;
}

/* dlua_done: the outcome of a call without an answer: true, false when not found, nil and a message. */
int dlua_done(lua_State *L, int rc, const char *what, const char *kind, const char *name)
{
	if (rc < 0)
		return dlua_fail(L, "cannot %s %s '%s'", what, kind, name);
	if (rc == DOCKER_NOT_FOUND)
		return dlua_missing(L, kind, name);
	lua_pushboolean(L, 1);
	return 1;
}

static int l_host(lua_State *L)
{
	struct docker *d = dlua_client(L, 0);

	if (!d)
		return 2;
	lua_pushstring(L, docker_host(d));
	return 1;
}

static int l_ping(lua_State *L)
{
	struct docker *d = dlua_client(L, 0);

	if (!d)
		return 2;
	if (docker_ping(d) < 0)
		return dlua_fail(L, "cannot reach the Docker engine at '%s'", docker_host(d));
	lua_pushboolean(L, 1);
	return 1;
}

static int l_get(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	struct docker *d;
	struct dlua_guard *g;

	luaL_argcheck(L, path[0] == '/', 1, "an API path starting with '/' (\"/info\")");
	if (!(d = dlua_client(L, 1)))
		return 2;
	g = dlua_guard_new(L);
	if (docker_get(d, path, &g->json) < 0)
		return dlua_fail(L, "cannot get '%s'", path);
	dlua_push_json(L, g->json);
	dlua_guard_release(g);
	return 1;
}

static const luaL_Reg docker_lib[] = {
	{"host", l_host}, {"ping", l_ping}, {"get", l_get}, {NULL, NULL},
};
/* engine_answers: the preflight of a task with engine = true: the engine answers (the first ping negotiates the
 * version; a failed one has printed why). */
static int engine_answers(lua_State *L)
{
	struct docker *d = docker_lua_client(L);

	return d && (docker_api_version(d) || docker_ping(d) == 0) ? 0 : -1;
}

void docker_lua_open(struct recipe *r)
{
	lua_State *L = recipe_lua(r);

	recipe_set_engine_check(r, engine_answers);
	slot(L)->trust = recipe_trust(r);

	lua_getfield(L, LUA_REGISTRYINDEX, "sindri-build.api");
	luaL_newlib(L, docker_lib);
	luaL_setfuncs(L, dlua_obj_lib, 0);
	luaL_setfuncs(L, dlua_cache_lib, 0);
	dockersync_lua_add(L, r);
	lua_pushlightuserdata(L, NULL);
	lua_setfield(L, -2, "null");
	/* in package.loaded too, so errors and tracebacks name functions "docker.tag" */
	luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
	lua_pushvalue(L, -2);
	lua_setfield(L, -2, "docker");
	lua_pop(L, 1);
	lua_setfield(L, -2, "docker");
	lua_pop(L, 1);
}
