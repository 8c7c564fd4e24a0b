/* gitsrc (Lua): the recipe functions git_checkout{ url=, ref=, cache= }, which fetches a repository into its cached
 * clone and checks out a ref (in read-only commands: says what the clone has, without fetching or writing), and
 * git_clones(cache), which lists the clones of a cache (for cache-status). */
#include <lauxlib.h>
#include <lua.h>
#include <string.h>
#include <unistd.h>

#include "gitsrc.h"
#include "gitsrc_lua.h"
#include "recipe.h"
#include "util.h"

#define GUARD_META "sindri-build.gitsrc.guard"
#define LOCK_META "sindri-build.gitsrc.lock"
#define LOCKS "sindri-build.gitsrc.locks" /* registry: clone dir -> its lock, held until the Lua state closes */
#define OFFLINE "sindri-build.gitsrc.offline" /* registry: true in read-only commands (gitsrc_lua_offline) */

/* What gitsrc hands back lives in a guard userdata while it becomes Lua values, so a Lua error on the way (out of
 * memory) frees it with the guard instead of leaking it. */
struct guard {
	struct gitsrc_result res;
	struct gitsrc_entry *entries;
	size_t n;
	struct buf err, name, why;
};

static int guard_gc(lua_State *L)
{
	struct guard *g = lua_touserdata(L, 1);

	gitsrc_result_release(&g->res);
	gitsrc_entries_free(g->entries, g->n);
	g->entries = NULL;
	g->n = 0;
	buf_release(&g->err);
	buf_release(&g->name);
	buf_release(&g->why);
	return 0;
}

/* lock_release: close a lock fd kept in a userdata (-1 after). */
static void lock_release(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int lock_gc(lua_State *L)
{
	lock_release(lua_touserdata(L, 1));
	return 0;
}

/* guard_new: an empty guard pushed on the stack. */
static struct guard *guard_new(lua_State *L)
{
	return recipe_newguard(L, sizeof(struct guard), GUARD_META, guard_gc);
}

/* fail: the guard's error message as the Lua error, with no position in front (it is about the repository or
 * the ref, not the recipe line). */
static int fail(lua_State *L, struct guard *g, const char *fallback)
{
	lua_pushstring(L, g->err.len ? g->err.data : fallback);
	buf_release(&g->err);
	return lua_error(L);
}

static void setstr(lua_State *L, const char *field, const char *v)
{
	if (!v)
		return;
	lua_pushstring(L, v);
	lua_setfield(L, -2, field);
}

/* field: t[name] of the argument table as a non-empty string, left on the stack so the pointer stays valid. */
static const char *field(lua_State *L, const char *name)
{
	if (lua_getfield(L, 1, name) != LUA_TSTRING || !*lua_tostring(L, -1))
		luaL_error(L, "git_checkout: field '%s' must be a non-empty string, not %s", name,
		           lua_isnil(L, -1) ? "nil" : luaL_typename(L, -1));
	return lua_tostring(L, -1);
}

/* git_checkout{ url=, ref=, cache= }: { dir=, clone=, sha=, short=, ref=, kind= }; a failure raises gitsrc's
 * message. Offline (read-only commands): the same with offline = true when the clone's worktree already holds the
 * ref's commit, else { clone=, ref=, offline = true, unknown = why } (no dir: there is no tree to read). */
static int l_git_checkout(lua_State *L)
{
	static const char *const known[] = {"url", "ref", "cache"};
	const char *url, *ref, *cache;
	struct guard *g;

	luaL_checktype(L, 1, LUA_TTABLE);
	lua_pushnil(L);
	while (lua_next(L, 1)) {
		size_t i = 0;
		lua_pop(L, 1);
		while (i < LEN(known) && !(lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), known[i]) == 0))
			i++;
		if (i == LEN(known))
			return luaL_error(L, "git_checkout: unknown field '%s' (known: url, ref, cache)",
			                  lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : luaL_typename(L, -1));
	}
	url = field(L, "url");
	ref = field(L, "ref");
	cache = field(L, "cache");
	g = guard_new(L);
	if (gitsrc_dirname(url, &g->name, &g->err) < 0)
		return fail(L, g, "git_checkout: bad URL");
	/* The lock is kept until the run ends: the build reads the worktree after this returns. A second checkout of
	 * the same clone in this run first lets go of the lock it holds, or it would wait for itself. */
	if (lua_getfield(L, LUA_REGISTRYINDEX, LOCKS) != LUA_TTABLE) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushvalue(L, -1);
		lua_setfield(L, LUA_REGISTRYINDEX, LOCKS);
	}
	lua_pushfstring(L, "%s/%s", cache, g->name.data);
	if (lua_rawget(L, -2) == LUA_TUSERDATA)
		lock_release(lua_touserdata(L, -1));
	lua_pop(L, 1);
	lua_pushfstring(L, "%s/%s", cache, g->name.data);
	int *fd = recipe_newguard(L, sizeof(int), LOCK_META, lock_gc);
	*fd = -1;
	lua_getfield(L, LUA_REGISTRYINDEX, OFFLINE);
	int offline = lua_toboolean(L, -1), have = 1;
	lua_pop(L, 1);
	/* a read-only command fetches nothing and writes nothing: it answers from what the clone already has */
	if (offline && (have = gitsrc_peek(url, ref, cache, &g->res, &g->why, &g->err)) < 0)
		return fail(L, g, "git_checkout: unknown error");
	if (!offline && gitsrc_checkout(url, ref, cache, &g->res, &g->err) < 0)
		return fail(L, g, "git_checkout: unknown error");
	*fd = g->res.lockfd;
	g->res.lockfd = -1;
	lua_rawset(L, -3);
	lua_createtable(L, 0, 8);
	setstr(L, have ? "dir" : "clone", g->res.dir);
	if (have) {
		setstr(L, "clone", g->res.dir);
		setstr(L, "sha", g->res.sha);
		setstr(L, "short", g->res.short_sha);
		setstr(L, "kind", g->res.kind);
	} else {
		setstr(L, "unknown", g->why.data);
	}
	setstr(L, "ref", ref);
	if (offline) {
		lua_pushboolean(L, 1);
		lua_setfield(L, -2, "offline");
	}
	gitsrc_result_release(&g->res);
	return 1;
}

/* git_clones(cache): a list of { dir=, url=, ref=, sha=, short= } (url, ref, sha nil when unknown), sorted by dir. */
static int l_git_clones(lua_State *L)
{
	const char *cache = luaL_checkstring(L, 1);
	struct guard *g = guard_new(L);

	if (gitsrc_list(cache, &g->entries, &g->n, &g->err) < 0)
		return fail(L, g, "git_clones: unknown error");
	lua_createtable(L, g->n < 1000000 ? (int)g->n : 0, 0);
	for (size_t i = 0; i < g->n; i++) {
		const struct gitsrc_entry *e = &g->entries[i];
		lua_createtable(L, 0, 5);
		setstr(L, "dir", e->dir);
		setstr(L, "url", e->url);
		setstr(L, "ref", e->ref);
		if (e->sha[0]) {
			setstr(L, "sha", e->sha);
			lua_pushlstring(L, e->sha, 7);
			lua_setfield(L, -2, "short");
		}
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	gitsrc_entries_free(g->entries, g->n);
	g->entries = NULL;
	g->n = 0;
	return 1;
}

void gitsrc_lua_offline(struct recipe *r, int offline)
{
	lua_State *L = recipe_lua(r);

	lua_pushboolean(L, offline);
	lua_setfield(L, LUA_REGISTRYINDEX, OFFLINE);
}

void gitsrc_lua_open(struct recipe *r)
{
	recipe_register(r, "git_checkout", l_git_checkout);
	recipe_register(r, "git_clones", l_git_clones);
}
