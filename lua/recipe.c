/* recipe: the recipe API in Lua. Recipes only declare: the graph and every decision live in C. */
#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"
#include "graph.h"
#include "hash.h"
#include "key.h"
#include "luaalloc.h"
#include "luacache.h"
#include "luakey.h"
#include "luaproc.h"
#include "recipe.h"
#include "recipeint.h"
#include "util.h"

static struct recipe *ctx(lua_State *L)
{
	return lua_touserdata(L, lua_upvalueindex(1));
}

const char *recipe_var(const struct recipe *r, const char *name)
{
	size_t n = strlen(name);

	/* the last NAME=value on the command line wins, as in make */
	for (size_t i = r->cmdvars->n; i-- > 0;) {
		const char *v = r->cmdvars->v[i];
		if (strncmp(v, name, n) == 0 && v[n] == '=')
			return v + n + 1;
	}
	return getenv(name);
}

/* msgh: the message handler of every protected call: a traceback when verbose. An error value that is not a string
 * (error({}), error(42)) gets the place it was raised from, which error() adds to strings only. */
static int msgh(lua_State *L)
{
	struct recipe *r = ctx(L);
	const char *msg = lua_type(L, 1) == LUA_TSTRING ? lua_tostring(L, 1) : NULL;

	if (!msg && luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
		msg = lua_tostring(L, -1);
	if (!msg || lua_type(L, 1) != LUA_TSTRING) {
		lua_Debug ar;
		int level = 1;
		/* the innermost Lua function on the stack is where the error was raised */
		while (lua_getstack(L, level, &ar) && lua_getinfo(L, "Sl", &ar) && ar.currentline <= 0)
			level++;
		if (lua_getstack(L, level, &ar))
			lua_pushfstring(L, "%s:%d: ", ar.short_src, ar.currentline);
		else
			lua_pushliteral(L, "");
		if (msg)
			lua_pushfstring(L, "%s%s", lua_tostring(L, -1), msg);
		else
			lua_pushfstring(L, "%san error was raised with a %s value, not a message; raise a string: "
			                "error(\"what went wrong\")", lua_tostring(L, -1), luaL_typename(L, 1));
		msg = lua_tostring(L, -1);
	}
	if (r->verbose)
		luaL_traceback(L, L, msg, 1);
	return 1;
}

/* stock_place: the length of a "file:line: " that msg starts with when file is one of the stock recipes (its name
 * as Lua shortens it: "...ipes/sindri/cycles.lua"), else 0. */
static size_t stock_place(const struct recipe *r, const char *msg)
{
	size_t n = strcspn(msg, ":"), len = strlen(r->stock);
	const char *p = msg + n;

	if (!*p || p[1] < '0' || p[1] > '9' || n < 5 || strncmp(msg + n - 4, ".lua", 4))
		return 0;
	for (p++; *p >= '0' && *p <= '9'; p++)
		;
	if (p[0] != ':' || p[1] != ' ')
		return 0;
	if (strncmp(msg, r->stock, len) == 0 && msg[len] == '/')
		return (size_t)(p + 2 - msg);
	if (strncmp(msg, "...", 3) == 0) {
		/* shortened: some tail of it, from a '/', is a stock file */
		for (size_t i = 3; i < n; i++) {
			char path[4096];
			if (msg[i] != '/')
				continue;
			snprintf(path, sizeof(path), "%s%.*s", r->stock, (int)(n - i), msg + i);
			if (access(path, F_OK) == 0)
				return (size_t)(p + 2 - msg);
		}
	}
	return 0;
}

/* unplaced: msg without the stock recipes' places (the user did not write those lines; -v shows them). */
static const char *unplaced(const struct recipe *r, const char *msg)
{
	size_t n;

	while ((n = stock_place(r, msg)) > 0)
		msg += n;
	return msg;
}

/* recipe_pcall: call the function below nargs arguments with the traceback handler; prints the error. */
int recipe_pcall(struct recipe *r, int nargs, int nres)
{
	lua_State *L = r->L;
	int base = lua_gettop(L) - nargs;

	r->gen++;
	lua_pushlightuserdata(L, r);
	lua_pushcclosure(L, msgh, 1);
	lua_insert(L, base);
	int rc = lua_pcall(L, nargs, nres, base);
	lua_remove(L, base);
	if (rc != LUA_OK) {
		error("%s", r->stock ? unplaced(r, lua_tostring(L, -1)) : lua_tostring(L, -1));
		lua_pop(L, 1);
		return -1;
	}
	return 0;
}

static const char *const task_fields[] = {
	"desc", "deps", "inputs", "exclude", "env", "vars", "values", "outputs", "run", "check", "always", "readonly",
	"alias", "pool", "secrets", "engine", "plan", "explain", "group", "time", NULL,
};

static int task_def(lua_State *L)
{
	struct recipe *r = ctx(L);
	const char *name = lua_tostring(L, lua_upvalueindex(2));
	struct buf defn = BUF_INIT;
	struct task *t;

	luaL_checktype(L, 1, LUA_TTABLE);
	t = recipe_newtask(L, name);
	/* unknown fields are errors: a typo must not silently drop an input */
	recipe_check_fields(L, 1, "task", name, task_fields);
	recipe_common(L, 1, t);

	/* no Lua error may be raised while defn is live: type errors are found first */
	int type = lua_getfield(L, 1, "run");
	if (type == LUA_TTABLE)
		recipe_words(L, -1, name, "run", &t->argv);
	if (type == LUA_TTABLE && !t->argv.n)
		return luaL_error(L, "task '%s': field 'run' is an empty list; give a command", name);
	if (type != LUA_TNIL && type != LUA_TSTRING && type != LUA_TTABLE && type != LUA_TFUNCTION)
		return luaL_error(L, "task '%s': field 'run' must be a list (argv), a string (shell) or a function, not "
		                  "a %s", name, luaL_typename(L, -1));
	int check = lua_getfield(L, 1, "check");
	if (check != LUA_TNIL && check != LUA_TFUNCTION)
		return luaL_error(L, "task '%s': field 'check' must be a function returning true, or false and why", name);
	int engine = recipe_optbool(L, 1, "task", name, "engine");
	lua_pop(L, 1);
	buf_adds(&defn, "kind=task\n");
	switch (type) {
	case LUA_TNIL:
		t->run = RUN_NONE;
		break;
	case LUA_TSTRING:
		t->run = RUN_SHELL;
		t->shell = xstrdup(lua_tostring(L, -1));
		buf_addf(&defn, "run=sh %s\n", t->shell);
		break;
	case LUA_TTABLE:
		t->run = RUN_ARGV;
		recipe_defn_list(&defn, "run=argv", &t->argv);
		break;
	case LUA_TFUNCTION:
		/* the function and everything it reads are key parts of their own (lua_task_add_key) */
		buf_adds(&defn, "run=lua\n");
		t->run = RUN_FUNC;
		break;
	}
	lua_pop(L, 1);
	recipe_defn_common(&defn, t);
	t->defn = buf_detach(&defn);
	if (t->run == RUN_FUNC || check == LUA_TFUNCTION || engine)
		luatask_attach(L, r, t, check == LUA_TFUNCTION, engine);
	lua_settop(L, 2);
	recipe_addtask(L, 2);
	return 0;
}

/* task "name" returns the function that takes the definition table. */
static int l_task(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);

	if (!*name || strpbrk(name, " \t\n"))
		return luaL_error(L, "bad task name '%s': use a non-empty name without spaces", name);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_pushvalue(L, 1);
	lua_pushcclosure(L, task_def, 2);
	return 1;
}

static int l_default(lua_State *L)
{
	struct recipe *r = ctx(L);

	recipe_strings(L, 1, "default", "default", &r->g->defaults);
	/* where it was said, for the message that names a default that is no task */
	luaL_where(L, 1);
	size_t n;
	const char *at = lua_tolstring(L, -1, &n);
	free(r->g->defaults_where);
	r->g->defaults_where = n > 2 ? xstrndup(at, n - 2) : NULL;
	lua_pop(L, 1);
	return 0;
}

static int l_var(lua_State *L)
{
	struct recipe *r = ctx(L);
	const char *name = luaL_checkstring(L, 1);
	const char *v = recipe_var(r, name);

	if (lua_type(L, 2) == LUA_TSTRING)
		lua_pushfstring(L, "%s=%s", name, lua_tostring(L, 2));
	else
		lua_pushstring(L, name);
	strv_push(&r->varsread, lua_tostring(L, -1));
	lua_pop(L, 1);

	if (v)
		lua_pushstring(L, v);
	else
		lua_pushvalue(L, 2);
	return 1;
}

static int pool_def(lua_State *L)
{
	struct recipe *r = ctx(L);
	const char *name = lua_tostring(L, lua_upvalueindex(2));
	struct pool *p;

	luaL_checktype(L, 1, LUA_TTABLE);
	lua_getfield(L, 1, "depth");
	lua_Integer depth = luaL_checkinteger(L, -1);
	if (depth < 0)
		return luaL_error(L, "pool '%s': depth must be 0 (unlimited) or more", name);
	p = graph_pool(r->g, name);
	if (!p->console)
		p->depth = (int)depth;
	return 0;
}

static int l_pool(lua_State *L)
{
	luaL_checkstring(L, 1);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_pushvalue(L, 1);
	lua_pushcclosure(L, pool_def, 2);
	return 1;
}

/* call_said: call t's function in the registry table said (PLANS, EXPLAINS) with its name and key, leaving its one
 * result on the stack; 0 when it has none, -1 when it failed (reported). */
static int call_said(struct recipe *r, struct task *t, const char *said)
{
	lua_State *L = r->L;
	char hex[HASH_HEX_LEN + 1];

	lua_getfield(L, LUA_REGISTRYINDEX, said);
	if (lua_getfield(L, -1, t->name) != LUA_TFUNCTION) {
		lua_pop(L, 2);
		return 0;
	}
	lua_remove(L, -2);
	hash_hex(&t->key, hex);
	lua_pushstring(L, t->name);
	lua_pushstring(L, hex);
	return recipe_pcall(r, 2, 1) < 0 ? -1 : 1;
}

void recipe_plan(struct task *t, void *arg)
{
	int rc = call_said(arg, t, PLANS);

	if (rc < 0)
		warn("task '%s': its plan function failed; the dry run shows less of what it would do", t->name);
	else if (rc > 0)
		lua_pop(((struct recipe *)arg)->L, 1);
	fflush(stdout);
}

void recipe_explain_current(struct task *t, void *arg)
{
	struct recipe *r = arg;
	int rc = call_said(r, t, EXPLAINS);
	const char *s;

	if (rc < 0) {
		warn("task '%s': its explain function failed; -t explain shows less of why it is current", t->name);
		return;
	}
	if (rc == 0)
		return;
	s = lua_tostring(r->L, -1);
	if (lua_isstring(r->L, -1))
		for (const char *end; s && *s; s = *end ? end + 1 : end) {
			end = strchr(s, '\n');
			end = end ? end : s + strlen(s);
			if (end > s)
				printf("  %.*s\n", (int)(end - s), s);
		}
	else if (!lua_isnil(r->L, -1))
		warn("task '%s': its explain function returned a %s, not a string", t->name, luaL_typename(r->L, -1));
	lua_pop(r->L, 1);
	fflush(stdout);
}

static const luaL_Reg api[] = {
	{"task", l_task}, {"default", l_default}, {"var", l_var}, {"pool", l_pool}, {NULL, NULL},
};

/* Globals: API names cannot be replaced, and reading an undefined global is an error (a typo, not a nil). */
static int g_index(lua_State *L)
{
	lua_pushvalue(L, 2);
	if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL)
		return 1;
	return luaL_error(L, "undefined global '%s'", lua_tostring(L, 2) ? lua_tostring(L, 2) : "?");
}

static int g_newindex(lua_State *L)
{
	lua_pushvalue(L, 2);
	if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL)
		return luaL_error(L, "cannot redefine '%s': it is part of the recipe API", lua_tostring(L, 2));
	lua_settop(L, 3);
	lua_rawset(L, 1);
	return 0;
}

/* load_chunk: push the chunk of the Lua file path (LUA_OK), or an error message (another status): its sealed chunk
 * from the bytecode cache (lua/luacache.h), else compiled from the text. Chunks keep their debug information, so
 * error lines are those of the text. */
static int load_chunk(struct recipe *r, const char *path)
{
	lua_State *L = r->L;
	struct buf text = BUF_INIT;
	int rc;

	if (read_file(path, &text) < 0) {
		lua_pushfstring(L, "cannot read '%s': %s", path, strerror(errno));
		return LUA_ERRFILE;
	}
	rc = luacache_load(r->luac, L, path, text.data ? text.data : "", text.len);
	buf_release(&text);
	return rc;
}

/* searcher: require's search of package.path, its files loaded through load_chunk. */
static int searcher(lua_State *L)
{
	struct recipe *r = ctx(L);
	const char *name = luaL_checkstring(L, 1), *file;

	lua_getglobal(L, "package");
	lua_getfield(L, -1, "searchpath");
	lua_pushvalue(L, 1);
	lua_getfield(L, -3, "path");
	lua_call(L, 2, 2);
	if (lua_isnil(L, -2))
		return 1; /* searchpath's list of the files it tried */
	lua_pop(L, 1);
	file = lua_tostring(L, -1);
	if (r->loads)
		strv_push(r->loads, file);
	if (load_chunk(r, file) != LUA_OK)
		return luaL_error(L, "error loading module '%s' from file '%s':\n\t%s", name, file, lua_tostring(L, -1));
	lua_pushvalue(L, -2);
	return 2;
}

/* load_noted: the base library's dofile or loadfile (upvalue 2), the file it names noted for the run function that
 * is running (recipe.loads): what it reads there is not in the task's key. */
static int load_noted(lua_State *L)
{
	struct recipe *r = ctx(L);

	if (r->loads && lua_type(L, 1) == LUA_TSTRING)
		strv_push(r->loads, lua_tostring(L, 1));
	lua_pushvalue(L, lua_upvalueindex(2));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
	return lua_gettop(L);
}

void recipe_set_bytecode_cache(struct recipe *r, const char *dir)
{
	luacache_free(r->luac);
	r->luac = dir ? luacache_new(dir) : NULL;
}

int recipe_save_bytecode(struct recipe *r)
{
	return luacache_save(r->luac);
}

struct recipe *recipe_new(struct graph *g, const struct strv *cmdvars, int verbose)
{
	static const luaL_Reg libs[] = {
		{LUA_GNAME, luaopen_base}, {LUA_LOADLIBNAME, luaopen_package}, {LUA_COLIBNAME, luaopen_coroutine},
		{LUA_TABLIBNAME, luaopen_table}, {LUA_IOLIBNAME, luaopen_io}, {LUA_OSLIBNAME, luaopen_os},
		{LUA_STRLIBNAME, luaopen_string}, {LUA_MATHLIBNAME, luaopen_math}, {LUA_UTF8LIBNAME, luaopen_utf8},
	};
	struct recipe *r = xcalloc(1, sizeof(*r));
	lua_State *L = luaalloc_newstate();

	if (!L)
		fatal("cannot create a Lua state: out of memory");
	r->L = L;
	r->g = g;
	r->cmdvars = cmdvars;
	r->verbose = verbose;
	for (size_t i = 0; i < LEN(libs); i++) {
		luaL_requiref(L, libs[i].name, libs[i].func, 1);
		lua_pop(L, 1);
	}
	luaproc_open(L); /* commands a recipe runs start like every other child */
	/* plan and explain functions, by task name (recipe_plan, recipe_explain_current) */
	lua_newtable(L);
	lua_setfield(L, LUA_REGISTRYINDEX, PLANS);
	lua_newtable(L);
	lua_setfield(L, LUA_REGISTRYINDEX, EXPLAINS);
	/* recipes load Lua modules, never C ones; Lua ones through the bytecode cache */
	lua_getglobal(L, "package");
	lua_pushstring(L, "");
	lua_setfield(L, -2, "cpath");
	lua_getfield(L, -1, "searchers");
	lua_pushlightuserdata(L, r);
	lua_pushcclosure(L, searcher, 1);
	lua_rawseti(L, -2, 2);
	lua_pop(L, 2);
	static const char *const loaders[] = {"dofile", "loadfile"};
	for (size_t i = 0; i < LEN(loaders); i++) {
		lua_pushlightuserdata(L, r);
		lua_getglobal(L, loaders[i]);
		lua_pushcclosure(L, load_noted, 2);
		lua_setglobal(L, loaders[i]);
	}

	/* the API table: global functions and the sb module, all with the context as upvalue */
	lua_newtable(L);
	lua_pushlightuserdata(L, r);
	luaL_setfuncs(L, api, 1);
	sbapi_push(L, r);
	lua_setfield(L, -2, "sb");
	/* unkeyed: a table for a run's scratch state (flags one task sets for the tasks it builds); no key reads it */
	lua_newtable(L);
	lua_pushvalue(L, -1);
	lua_setfield(L, LUA_REGISTRYINDEX, "sindri-build.unkeyed");
	lua_setfield(L, -2, "unkeyed");
	lua_pushvalue(L, -1);
	lua_setfield(L, LUA_REGISTRYINDEX, "sindri-build.api");

	lua_pushglobaltable(L);
	lua_newtable(L);
	lua_pushvalue(L, -3);
	lua_pushcclosure(L, g_index, 1);
	lua_setfield(L, -2, "__index");
	lua_pushvalue(L, -3);
	lua_pushcclosure(L, g_newindex, 1);
	lua_setfield(L, -2, "__newindex");
	lua_setmetatable(L, -2);
	lua_pop(L, 2);
	return r;
}

/* check_pools: every pool a task names is declared (pool "name" { depth = N }) or is the console: a typo must
 * not put a task in a pool of its own with no limit. Pools may be declared after the tasks that use them. */
static int check_pools(struct recipe *r)
{
	for (size_t i = 0; i < r->g->ntasks; i++) {
		const struct task *t = r->g->tasks[i];
		size_t j = 0;
		if (!t->pool || strcmp(t->pool, "console") == 0)
			continue;
		while (j < r->g->npools && strcmp(r->g->pools[j]->name, t->pool) != 0)
			j++;
		if (j == r->g->npools)
			return error("%s: task '%s': unknown pool '%s'; declare it with pool \"%s\" { depth = N }, or use the "
			             "pool 'console'", t->where ? t->where : "?", t->name, t->pool, t->pool);
	}
	return 0;
}

int recipe_load(struct recipe *r, const char *path)
{
	lua_State *L = r->L;
	int rc;

	if (access(path, R_OK) < 0)
		return error("cannot read recipe file '%s':", path);
	if (!r->keyable) {
		/* before any recipe code runs: the libraries and the API as they come */
		lua_getfield(L, LUA_REGISTRYINDEX, "sindri-build.api");
		luakey_open(L, -1);
		lua_pop(L, 1);
		r->keyable = 1;
	}
	rc = load_chunk(r, path);
	if (rc != LUA_OK) {
		/* the syntax error a recipe's author makes most: a field of a task's table without its ',' */
		const char *msg = lua_tostring(L, -1);
		int comma = msg && strstr(msg, "'}' expected") && strstr(msg, " near '");
		int end = msg && strstr(msg, "unexpected symbol near <eof>");
		error("%s%s", msg, comma ? "; is the ',' after the field before it missing?"
		                   : end ? "; the file ends too soon: is a '}', a ')' or an 'end' missing?" : "");
		lua_pop(L, 1);
		return -1;
	}
	if (recipe_pcall(r, 0, 0) < 0)
		return -1;
	return check_pools(r);
}

void recipe_set_engine_check(struct recipe *r, int (*fn)(struct lua_State *L))
{
	r->engine = fn;
}

void recipe_register(struct recipe *r, const char *name, int (*fn)(struct lua_State *L))
{
	lua_State *L = r->L;

	lua_getfield(L, LUA_REGISTRYINDEX, "sindri-build.api");
	lua_pushlightuserdata(L, r);
	lua_pushcclosure(L, fn, 1);
	lua_setfield(L, -2, name);
	lua_pop(L, 1);
}

void recipe_set_path(struct recipe *r, const char *path)
{
	lua_getglobal(r->L, "package");
	lua_pushstring(r->L, path);
	lua_setfield(r->L, -2, "path");
	lua_pop(r->L, 1);
}

void recipe_set_trust(struct recipe *r, struct trust *t)
{
	r->trust = t;
}

struct trust *recipe_trust(struct recipe *r)
{
	return r->trust;
}

void recipe_set_build(struct recipe *r, struct state *st, const struct keyenv *ke, const struct build_opts *o)
{
	r->st = st;
	r->ke = ke;
	r->opts = o;
}

struct recipe *recipe_of(struct lua_State *L)
{
	return ctx(L);
}

struct lua_State *recipe_lua(struct recipe *r)
{
	return r->L;
}

struct graph *recipe_graph(struct recipe *r)
{
	return r->g;
}

void recipe_set_stock(struct recipe *r, const char *dir, int verbose)
{
	free(r->stock);
	r->stock = verbose || !dir ? NULL : xstrdup(dir);
}

const struct strv *recipe_vars_read(const struct recipe *r)
{
	return &r->varsread;
}

void recipe_free(struct recipe *r)
{
	if (!r)
		return;
	luaalloc_close(r->L);
	free(r->stock);
	strv_release(&r->varsread);
	recipe_set_bytecode_cache(r, NULL);
	free(r);
}
