/* registry (Lua): the recipe functions registry_manifest(ref), which asks an image's registry whether it has the
 * image, and registry_labels(ref), which reads the image's labels from its config there; neither pulls it
 * (registry/registry.h). */
#include <lauxlib.h>
#include <lua.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "recipe.h"
#include "registry.h"
#include "registry_lua.h"
#include "util.h"

#define GUARD_META "sindri-build.registry.guard"

/* What the registry client allocates lives in a guard userdata while Lua may raise, so nothing leaks. */
struct guard {
	struct registry *reg;
	char *repo, *digest;
	struct json *config;
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
	json_free(g->config);
	g->config = NULL;
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

/* open_for: the guard's client for ref's repository (its tag or digest in *tag), with the timeout (0: the
 * default); NULL with the reason in g->err. */
static struct registry *open_for(struct guard *g, const char *ref, lua_Integer timeout, const char **tag)
{
	g->repo = split(ref, tag);
	if (!(g->reg = registry_open(g->repo, &g->err)))
		return NULL;
	if (timeout > 0)
		registry_set_timeouts(g->reg, timeout < REGISTRY_CONNECT_TIMEOUT_S ? (long)timeout : REGISTRY_CONNECT_TIMEOUT_S,
		                      (long)timeout);
	return g->reg;
}

/* failed: push what a failed request returns to Lua: nil, the reason, and "unavailable" when r says so. */
static int failed(lua_State *L, struct guard *g, int r)
{
	lua_pushnil(L);
	if (!g->reg) {
		lua_pushstring(L, g->err.data ? g->err.data : "bad image reference");
		return 2;
	}
	lua_pushstring(L, *registry_error(g->reg) ? registry_error(g->reg) : "the registry did not answer");
	if (r == REGISTRY_UNAVAILABLE) {
		lua_pushliteral(L, "unavailable");
		return 3;
	}
	return 2;
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

	if (!open_for(g, ref, timeout, &tag))
		return failed(L, g, -1);
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
	return failed(L, g, r);
}

/* registry_labels(ref [, timeout_s]): the labels of the image ref names, a table of strings, read from its config
 * in the registry (for an index, this machine's platform) without pulling it; false when the registry has no such
 * image; nil and the reason (and "unavailable") as registry_manifest. */
static int l_labels(lua_State *L)
{
	const char *ref = luaL_checkstring(L, 1), *tag;
	lua_Integer timeout = luaL_optinteger(L, 2, 0);
	struct guard *g = recipe_newguard(L, sizeof(*g), GUARD_META, guard_gc);
	const struct json *labels;
	int r;

	if (!open_for(g, ref, timeout, &tag))
		return failed(L, g, -1);
	r = registry_image_config(g->reg, tag, &g->config);
	if (r == 0) {
		lua_pushboolean(L, 0);
		return 1;
	}
	if (r < 0)
		return failed(L, g, r);
	lua_newtable(L);
	labels = json_path(g->config, "config.Labels");
	for (size_t i = 0; labels && labels->type == JSON_OBJECT && i < json_len(labels); i++) {
		const struct json *v = labels->items[i];
		if (v->type == JSON_STRING) {
			lua_pushlstring(L, v->str, v->len);
			lua_setfield(L, -2, v->key);
		}
	}
	return 1;
}

void registry_lua_open(struct recipe *r)
{
	recipe_register(r, "registry_manifest", l_manifest);
	recipe_register(r, "registry_labels", l_labels);
}
