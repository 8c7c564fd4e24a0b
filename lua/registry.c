/* registry (Lua): the recipe function registry_manifest(ref), which asks an image's registry whether it has the
 * image, without pulling it (a HEAD of its manifest, registry/registry.h). */
#include <lauxlib.h>
#include <lua.h>
#include <stdlib.h>
#include <string.h>

#include "recipe.h"
#include "registry.h"
#include "registry_lua.h"
#include "util.h"

#define GUARD_META "sindri-build.registry.guard"

/* What the registry client allocates lives in a guard userdata while Lua may raise, so nothing leaks. */
struct guard {
	struct registry *reg;
	char *repo, *digest;
	struct buf err;
};

static int guard_gc(lua_State *L)
{
	struct guard *g = lua_touserdata(L, 1);

	registry_close(g->reg);
	g->reg = NULL;
	free(g->repo);
	free(g->digest);
	g->repo = g->digest = NULL;
	buf_release(&g->err);
	return 0;
}

/* split: "repo:tag" or "repo@sha256:..." into the repository and the tag or digest (a pointer into ref); a
 * reference without either means ":latest". */
static char *split(const char *ref, const char **tag)
{
	const char *at = strchr(ref, '@'), *slash = strrchr(ref, '/');
	const char *colon = strrchr(slash ? slash : ref, ':');

	if (at) {
		*tag = at + 1;
		return xstrndup(ref, (size_t)(at - ref));
	}
	if (colon) {
		*tag = colon + 1;
		return xstrndup(ref, (size_t)(colon - ref));
	}
	*tag = "latest";
	return xstrdup(ref);
}

/* registry_manifest(ref [, timeout_s]): true and the manifest's digest (or nil when the registry sent none) when
 * the registry has the image; false when it does not; nil, the reason and "unavailable" when the registry cannot
 * be reached or does not answer in time; nil and the reason when it refuses (a login) or the name is bad. */
static int l_manifest(lua_State *L)
{
	const char *ref = luaL_checkstring(L, 1), *tag;
	lua_Integer timeout = luaL_optinteger(L, 2, 0);
	struct guard *g = recipe_newguard(L, sizeof(*g), GUARD_META, guard_gc);
	int r;

	g->repo = split(ref, &tag);
	if (!(g->reg = registry_open(g->repo, &g->err))) {
		lua_pushnil(L);
		lua_pushstring(L, g->err.data ? g->err.data : "bad image reference");
		return 2;
	}
	if (timeout > 0)
		registry_set_timeouts(g->reg, timeout < REGISTRY_CONNECT_TIMEOUT_S ? (long)timeout : REGISTRY_CONNECT_TIMEOUT_S,
		                      (long)timeout);
	r = registry_manifest_exists(g->reg, tag, &g->digest);
	if (r == 1) {
		lua_pushboolean(L, 1);
		if (g->digest)
			lua_pushstring(L, g->digest);
		else
			lua_pushnil(L);
		return 2;
	}
	if (r == 0) {
		lua_pushboolean(L, 0);
		return 1;
	}
	lua_pushnil(L);
	lua_pushstring(L, *registry_error(g->reg) ? registry_error(g->reg) : "the registry did not answer");
	if (r == REGISTRY_UNAVAILABLE) {
		lua_pushliteral(L, "unavailable");
		return 3;
	}
	return 2;
}

void registry_lua_open(struct recipe *r)
{
	recipe_register(r, "registry_manifest", l_manifest);
}
