/* sbapi: the sb module of the recipe API: commands (sb.run, sb.capture), builds from inside a running task
 * (sb.build, sb.key, sb.outdated) and small questions (sb.exists, sb.tty). */
#include <lauxlib.h>
#include <lua.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"
#include "graph.h"
#include "hash.h"
#include "key.h"
#include "proc.h"
#include "recipe.h"
#include "recipeint.h"
#include "trust.h"
#include "util.h"

/* command: the argv of sb.run and sb.capture: a string runs with /bin/sh -c, a list is an argv, and a list's field
 * cwd names the directory. The array lives in a userdata and its strings in Lua, so an error leaks nothing. */
static char **command(lua_State *L, int idx, const char **cwd)
{
	char **argv;
	lua_Integer n;

	*cwd = NULL;
	if (lua_type(L, idx) == LUA_TSTRING) {
		argv = lua_newuserdatauv(L, 4 * sizeof(*argv), 0);
		lua_pushliteral(L, "/bin/sh");
		argv[0] = (char *)lua_tostring(L, -1);
		lua_pushliteral(L, "-c");
		argv[1] = (char *)lua_tostring(L, -1);
		argv[2] = (char *)lua_tostring(L, idx);
		argv[3] = NULL;
		return argv;
	}
	luaL_checktype(L, idx, LUA_TTABLE);
	n = luaL_len(L, idx);
	if (n < 1)
		luaL_argerror(L, idx, "empty command");
	argv = lua_newuserdatauv(L, ((size_t)n + 1) * sizeof(*argv), 0);
	luaL_checkstack(L, (int)n + 2, "too many command arguments");
	for (lua_Integer i = 1; i <= n; i++) {
		/* each string stays on the stack, so argv's pointers stay valid */
		lua_geti(L, idx, i);
		if (!lua_isstring(L, -1))
			luaL_error(L, "command item %d is a %s, not a string", (int)i, luaL_typename(L, -1));
		argv[i - 1] = (char *)lua_tostring(L, -1);
	}
	argv[n] = NULL;
	if (lua_getfield(L, idx, "cwd") != LUA_TNIL)
		*cwd = luaL_checkstring(L, -1);
	return argv;
}

/* sb.run{argv..., cwd=}: run a command with the terminal; returns true, or false and the exit status. */
static int l_run(lua_State *L)
{
	const char *cwd;
	char **argv = command(L, 1, &cwd);
	int rc = proc_run(argv, cwd, NULL);

	trust_changed(recipe_of(L)->trust); /* the command may have changed anything outside */

	lua_pushboolean(L, rc == 0);
	lua_pushinteger(L, rc);
	return 2;
}

/* sb.capture{argv..., cwd=}: run a command, return its stdout and exit status. */
static int l_capture(lua_State *L)
{
	const char *cwd;
	char **argv = command(L, 1, &cwd);
	struct buf out = BUF_INIT;
	int rc = proc_run(argv, cwd, &out);

	trust_changed(recipe_of(L)->trust);

	/* lua_pushlstring may raise on memory errors only; copy first, then free */
	luaL_Buffer lb;
	luaL_buffinit(L, &lb);
	luaL_addlstring(&lb, out.data ? out.data : "", out.len);
	buf_release(&out);
	luaL_pushresult(&lb);
	lua_pushinteger(L, rc);
	return 2;
}

/* targets_of: the tasks named by a string or a list at idx, raising on an unknown name. */
static struct task **targets_of(lua_State *L, int idx, size_t *n)
{
	struct recipe *r = recipe_of(L);
	lua_Integer len = lua_type(L, idx) == LUA_TSTRING ? 1 : (luaL_checktype(L, idx, LUA_TTABLE), luaL_len(L, idx));
	struct task **v = lua_newuserdatauv(L, ((size_t)len + 1) * sizeof(*v), 0);

	for (lua_Integer i = 1; i <= len; i++) {
		const char *name;
		if (lua_type(L, idx) == LUA_TSTRING)
			name = lua_tostring(L, idx);
		else {
			lua_geti(L, idx, i);
			name = luaL_checkstring(L, -1);
			lua_pop(L, 1);
		}
		if (!(v[i - 1] = graph_find(r->g, name))) {
			/* the suggestion moves to the stack: nothing malloc'd may be live when Lua raises */
			struct buf b = BUF_INIT;
			char near[512];
			graph_suggest(r->g, name, &b);
			snprintf(near, sizeof(near), "%s", b.data ? b.data : "");
			buf_release(&b);
			luaL_error(L, "unknown task '%s'%s", name, near);
		}
	}
	*n = (size_t)len;
	return v;
}

static void need_build(lua_State *L, struct recipe *r, const char *fn)
{
	if (!r->st)
		luaL_error(L, "%s can only be called by a task while it runs", fn);
	r->gen++; /* the calling function may have changed what other functions read: keys see it */
}

/* sb.build(targets): bring tasks up to date now, from inside a running task; returns true, or false and the exit
 * code, then how many tasks ran (-1 when not counted). A cycle is written with it: each step a build of its own.
 * In a dry run (from a plan function) it is a dry run too. */
static int l_build(lua_State *L)
{
	struct recipe *r = recipe_of(L);
	size_t n;
	struct task **v;
	struct build_opts o;

	need_build(L, r, "sb.build");
	v = targets_of(L, 1, &n);
	o = *r->opts;
	o.nested = 1;
	size_t ran = o.tally ? o.tally->ran : 0;
	int paused = trust_pause(r->trust);
	int rc = build_run(r->g, v, n, r->st, r->ke, &o);
	trust_resume(r->trust, paused);
	lua_pushboolean(L, rc == 0);
	lua_pushinteger(L, rc);
	lua_pushinteger(L, o.tally ? (lua_Integer)(o.tally->ran - ran) : -1);
	return 3;
}

/* add_reason: build_explain's callback for sb.outdated: a task to run and why, kept in C (pairs of strings in a
 * strv) so that nothing can raise a Lua error while the trust is paused and the explain is half done. */
static void add_reason(struct task *t, int run, const char *why, void *arg)
{
	struct strv *reasons = arg;

	if (run) {
		strv_push(reasons, t->name);
		strv_push(reasons, why);
	}
}

/* The reasons' strv lives in a userdata whose __gc releases it, so a Lua error while the table is built leaks
 * nothing. */
static int reasons_gc(lua_State *L)
{
	strv_release(lua_touserdata(L, 1));
	return 0;
}

/* sb.key(task): the task's key as 32 hex digits (its deps' keys are computed first); nothing runs. */
static int l_key(lua_State *L)
{
	struct recipe *r = recipe_of(L);
	size_t n, nplan;
	struct task **v, **plan;
	char hex[HASH_HEX_LEN + 1];

	need_build(L, r, "sb.key");
	v = targets_of(L, 1, &n);
	if (n != 1)
		return luaL_argerror(L, 1, "one task name");
	if (graph_plan(r->g, v, 1, &plan, &nplan) < 0)
		return luaL_error(L, "cannot plan '%s'", v[0]->name);
	for (size_t i = 0; i < nplan; i++) {
		if (task_key(plan[i], r->ke) < 0) {
			/* the plan goes before Lua can raise; the task is the graph's */
			struct task *bad = plan[i];
			free(plan);
			return luaL_error(L, "cannot compute the key of '%s'", bad->name);
		}
	}
	free(plan);
	hash_hex(&v[0]->key, hex);
	lua_pushstring(L, hex);
	return 1;
}

/* sb.tty(): true when stdin and stderr are a terminal (a confirmation can be asked). */
static int l_tty(lua_State *L)
{
	lua_pushboolean(L, isatty(0) && isatty(2));
	return 1;
}

/* sb.outdated(targets): what building them would run, without running anything: a table task name -> reasons
 * (empty when all is up to date). */
static int l_outdated(lua_State *L)
{
	struct recipe *r = recipe_of(L);
	size_t n;
	struct task **v;

	need_build(L, r, "sb.outdated");
	v = targets_of(L, 1, &n);
	struct strv *reasons = lua_newuserdatauv(L, sizeof(*reasons), 0);
	memset(reasons, 0, sizeof(*reasons));
	if (luaL_newmetatable(L, "sindri-build reasons")) {
		lua_pushcfunction(L, reasons_gc);
		lua_setfield(L, -2, "__gc");
	}
	lua_setmetatable(L, -2);
	int paused = trust_pause(r->trust);
	int rc = build_explain(r->g, v, n, r->st, r->ke, add_reason, reasons);
	trust_resume(r->trust, paused);
	if (rc < 0)
		return luaL_error(L, "cannot decide what %s needs", n == 1 ? v[0]->name : "these targets need");
	lua_createtable(L, 0, (int)(reasons->n / 2));
	for (size_t i = 0; i + 1 < reasons->n; i += 2) {
		lua_pushstring(L, reasons->v[i + 1]);
		lua_setfield(L, -2, reasons->v[i]);
	}
	return 1;
}

static int l_exists(lua_State *L)
{
	lua_pushboolean(L, access(luaL_checkstring(L, 1), F_OK) == 0);
	return 1;
}

static const luaL_Reg sb_lib[] = {
	{"run", l_run}, {"capture", l_capture}, {"exists", l_exists}, {"build", l_build}, {"outdated", l_outdated},
	{"key", l_key}, {"tty", l_tty},
	{NULL, NULL},
};

void sbapi_push(lua_State *L, struct recipe *r)
{
	luaL_newlibtable(L, sb_lib);
	lua_pushlightuserdata(L, r);
	luaL_setfuncs(L, sb_lib, 1);
}
