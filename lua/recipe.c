/* recipe: the recipe API in Lua. Recipes only declare: the graph and every decision live in C. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "build.h"
#include "graph.h"
#include "hash.h"
#include "key.h"
#include "proc.h"
#include "recipe.h"
#include "util.h"

struct recipe {
	lua_State *L;
	struct graph *g;
	const struct strv *cmdvars;
	int verbose;
	struct source *src;   /* recipe files read so far, for hashing function sources */
	size_t nsrc;
	char *luac_dir;       /* the bytecode cache (recipe_set_bytecode_cache), or NULL */
	struct compiled *compiled; /* chunks compiled from source this run, for recipe_save_bytecode */
	size_t ncompiled;
	/* set while a build runs, for sb.build and sb.outdated */
	struct state *st;
	const struct keyenv *ke;
	const struct build_opts *opts;
};

/* A recipe file's text, and where each of its lines starts (line[0] is line 1). */
struct source {
	char *name, *text;
	size_t *line, nline;
};

/* A chunk compiled from source, to be written to the bytecode cache. */
struct compiled {
	char *file;
	struct buf code;
};

/* A task with Lua parts: its run and check functions, kept in the registry (LUA_NOREF when absent). */
struct luafn {
	struct recipe *r;
	int ref, check;
};

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

/* msgh: the message handler of every protected call: a traceback when verbose. */
static int msgh(lua_State *L)
{
	struct recipe *r = ctx(L);
	const char *msg = lua_tostring(L, 1);

	if (!msg)
		msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
	if (r->verbose)
		luaL_traceback(L, L, msg, 1);
	return 1;
}

/* pcall: call the function below nargs arguments with the traceback handler; prints the error. */
static int pcall(struct recipe *r, int nargs, int nres)
{
	lua_State *L = r->L;
	int base = lua_gettop(L) - nargs;

	lua_pushlightuserdata(L, r);
	lua_pushcclosure(L, msgh, 1);
	lua_insert(L, base);
	int rc = lua_pcall(L, nargs, nres, base);
	lua_remove(L, base);
	if (rc != LUA_OK) {
		error("%s", lua_tostring(L, -1));
		lua_pop(L, 1);
		return -1;
	}
	return 0;
}

/* strings: read a string or a list of strings from field idx into sv. */
void recipe_strings(lua_State *L, int idx, const char *task, const char *field, struct strv *sv)
{
	if (lua_type(L, idx) == LUA_TSTRING) {
		strv_push(sv, lua_tostring(L, idx));
		return;
	}
	if (!lua_istable(L, idx))
		luaL_error(L, "task '%s': field '%s' must be a string or a list of strings, not a %s", task, field,
		           luaL_typename(L, idx));
	lua_Integer n = luaL_len(L, idx);
	for (lua_Integer i = 1; i <= n; i++) {
		lua_geti(L, idx, i);
		if (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER)
			luaL_error(L, "task '%s': item %d of field '%s' must be a string, not a %s", task, (int)i, field,
			           luaL_typename(L, -1));
		strv_push(sv, lua_tostring(L, -1));
		lua_pop(L, 1);
	}
}

static int dump_writer(lua_State *L, const void *p, size_t n, void *ud)
{
	(void)L;
	hasher_add(ud, p, n);
	return 0;
}

/* source_of: a recipe file, read once. NULL when it cannot be read. */
static const struct source *source_of(struct recipe *r, const char *path)
{
	struct buf b = BUF_INIT;
	struct source *sc;
	size_t cap = 64;

	for (size_t i = 0; i < r->nsrc; i++)
		if (strcmp(r->src[i].name, path) == 0)
			return &r->src[i];
	if (read_file(path, &b) < 0)
		return NULL;
	r->src = xreallocarray(r->src, r->nsrc + 1, sizeof(*r->src));
	sc = &r->src[r->nsrc++];
	sc->name = xstrdup(path);
	sc->text = b.data ? buf_detach(&b) : xstrdup("");
	sc->line = xmalloc(cap * sizeof(*sc->line));
	sc->nline = 0;
	for (const char *p = sc->text;; p++) {
		if (p == sc->text || p[-1] == '\n') {
			if (sc->nline == cap)
				sc->line = xreallocarray(sc->line, cap *= 2, sizeof(*sc->line));
			sc->line[sc->nline++] = (size_t)(p - sc->text);
		}
		if (!*p)
			break;
	}
	return sc;
}

/* hash_source: hash lines first..last of the function's file. Bytecode would do, but Lua's dump keeps the line
 * numbers even when stripped, and a function must keep its key when an edit above it moves it down. */
static int hash_source(struct recipe *r, lua_State *L, int idx, struct hasher *h)
{
	const struct source *sc;
	lua_Debug ar;
	size_t from, to;

	lua_pushvalue(L, idx);
	if (!lua_getinfo(L, ">S", &ar) || ar.source[0] != '@' || ar.linedefined <= 0)
		return -1;
	sc = source_of(r, ar.source + 1);
	/* the text of lines linedefined..lastlinedefined, each with its newline */
	if (!sc || (size_t)ar.lastlinedefined >= sc->nline || ar.lastlinedefined < ar.linedefined)
		return -1;
	from = sc->line[ar.linedefined - 1];
	to = sc->line[ar.lastlinedefined];
	hasher_addstr(h, "source");
	hasher_addu64(h, (uint64_t)(to - from));
	hasher_add(h, sc->text + from, to - from);
	return 0;
}

static void hash_value(struct recipe *r, lua_State *L, int idx, struct hasher *h, int depth);

/* hash_function: a function's source text (its bytecode if it has no file) and the values of its upvalues. */
static void hash_function(struct recipe *r, lua_State *L, int idx, struct hasher *h, int depth)
{
	struct hasher fh;
	struct hash128 d;

	idx = lua_absindex(L, idx);
	if (lua_iscfunction(L, idx)) {
		hasher_addstr(h, "cfunction");
		return;
	}
	/* A function's digest is computed once per run and remembered by identity (registry table): recipes share
	 * helper functions and module tables, and hashing them again for every task that reaches them is
	 * exponential in the nesting. A function met again while its own digest is being computed is a cycle. */
	lua_getfield(L, LUA_REGISTRYINDEX, "sindri-build.fnhash");
	lua_pushvalue(L, idx);
	if (lua_rawget(L, -2) == LUA_TSTRING) {
		hasher_add(h, lua_tostring(L, -1), sizeof(d));
		lua_pop(L, 2);
		return;
	}
	int cycle = lua_toboolean(L, -1);
	lua_pop(L, 1);
	if (cycle) {
		lua_pop(L, 1);
		hasher_addstr(h, "cycle");
		return;
	}
	lua_pushvalue(L, idx);
	lua_pushboolean(L, 1);
	lua_rawset(L, -3);
	lua_pop(L, 1);

	hasher_init(&fh);
	if (hash_source(r, L, idx, &fh) < 0) {
		lua_pushvalue(L, idx);
		lua_dump(L, dump_writer, &fh, 1);
		lua_pop(L, 1);
	}
	for (int i = 1;; i++) {
		const char *name = lua_getupvalue(L, idx, i);
		if (!name)
			break;
		hasher_addstr(&fh, name);
		if (strcmp(name, "_ENV") != 0)
			hash_value(r, L, -1, &fh, depth + 1);
		lua_pop(L, 1);
	}
	d = hasher_final(&fh);
	hasher_addhash(h, &d);
	lua_getfield(L, LUA_REGISTRYINDEX, "sindri-build.fnhash");
	lua_pushvalue(L, idx);
	lua_pushlstring(L, (const char *)&d, sizeof(d));
	lua_rawset(L, -3);
	lua_pop(L, 1);
}

/* hash_value: the value an upvalue holds; tables by sorted keys, a few levels deep. */
static void hash_value(struct recipe *r, lua_State *L, int idx, struct hasher *h, int depth)
{
	idx = lua_absindex(L, idx);
	hasher_addu64(h, (uint64_t)lua_type(L, idx));
	if (depth > 4)
		return;
	switch (lua_type(L, idx)) {
	case LUA_TSTRING:
	case LUA_TNUMBER:
		hasher_addstr(h, lua_tostring(L, idx));
		break;
	case LUA_TBOOLEAN:
		hasher_addu64(h, (uint64_t)lua_toboolean(L, idx));
		break;
	case LUA_TFUNCTION:
		hash_function(r, L, idx, h, depth);
		break;
	case LUA_TTABLE: {
		struct strv keys = {0};
		lua_pushnil(L);
		while (lua_next(L, idx)) {
			lua_pop(L, 1);
			if (lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER) {
				lua_pushvalue(L, -1);
				strv_push(&keys, lua_tostring(L, -1));
				lua_pop(L, 1);
			}
		}
		strv_sort(&keys);
		for (size_t i = 0; i < keys.n; i++) {
			hasher_addstr(h, keys.v[i]);
			lua_getfield(L, idx, keys.v[i]);
			if (lua_isnil(L, -1)) {
				lua_pop(L, 1);
				lua_Integer n;
				if (lua_stringtonumber(L, keys.v[i])) {
					n = lua_tointeger(L, -1);
					lua_pop(L, 1);
					lua_geti(L, idx, n);
				} else {
					lua_pushnil(L);
				}
			}
			hash_value(r, L, -1, h, depth + 1);
			lua_pop(L, 1);
		}
		strv_release(&keys);
		break;
	}
	default:
		break;
	}
}

static int lua_task_run(struct task *t)
{
	struct luafn *f = t->udata;
	lua_State *L = f->r->L;
	char hex[HASH_HEX_LEN + 1];

	hash_hex(&t->key, hex);
	lua_rawgeti(L, LUA_REGISTRYINDEX, f->ref);
	lua_pushstring(L, t->name);
	lua_pushstring(L, hex);
	if (pcall(f->r, 2, 1) < 0)
		return 1;
	int rc = 0;
	if (lua_isboolean(L, -1))
		rc = !lua_toboolean(L, -1);
	else if (lua_isinteger(L, -1))
		rc = (int)lua_tointeger(L, -1);
	lua_pop(L, 1);
	return rc;
}

/* lua_task_check: the task's check function says whether its results are still in place: true, or false and why. */
static int lua_task_check(struct task *t, const struct keyenv *ke, struct buf *why)
{
	struct luafn *f = t->udata;
	lua_State *L = f->r->L;
	char hex[HASH_HEX_LEN + 1];
	int ok;

	(void)ke;
	if (f->check == LUA_NOREF)
		return 1;
	hash_hex(&t->key, hex);
	lua_rawgeti(L, LUA_REGISTRYINDEX, f->check);
	lua_pushstring(L, t->name);
	lua_pushstring(L, hex);
	if (pcall(f->r, 2, 2) < 0)
		return -1;
	ok = lua_toboolean(L, -2);
	if (!ok)
		buf_adds(why, lua_isstring(L, -1) ? lua_tostring(L, -1) : "its check function says its results are gone");
	lua_pop(L, 2);
	return ok;
}

static void lua_task_release(struct task *t)
{
	free(t->udata);
	t->udata = NULL;
}

static const struct task_ops lua_fn_ops = {
	.kind = "lua",
	.run = lua_task_run,
	.release = lua_task_release,
};

/* A task with a check function: the function is given the key, so it can prove the results for that key. */
static const struct task_ops lua_check_ops = {
	.kind = "lua",
	.keyed_check = 1,
	.check = lua_task_check,
	.run = lua_task_run,
	.release = lua_task_release,
};

static const char *const task_fields[] = {
	"desc", "deps", "inputs", "exclude", "env", "vars", "values", "outputs", "run", "check", "always", "readonly",
	"alias", "pool", "plan", NULL,
};

static void defn_list(struct buf *b, const char *field, const struct strv *sv)
{
	if (!sv->n)
		return;
	buf_adds(b, field);
	buf_addc(b, '=');
	for (size_t i = 0; i < sv->n; i++) {
		if (i)
			buf_addc(b, ' ');
		buf_addf(b, "%zu:%s", strlen(sv->v[i]), sv->v[i]);
	}
	buf_addc(b, '\n');
}

/* A task under construction is owned by a userdata whose __gc frees it, so a Lua error cannot leak it; it is
 * handed to the graph only when complete. */
static int task_gc(lua_State *L)
{
	struct task **tp = lua_touserdata(L, 1);

	if (*tp)
		task_free(*tp);
	*tp = NULL;
	return 0;
}

void *recipe_newguard(lua_State *L, size_t size, const char *tname, lua_CFunction gc)
{
	void *p = lua_newuserdatauv(L, size, 0);

	memset(p, 0, size);
	if (luaL_newmetatable(L, tname)) {
		lua_pushcfunction(L, gc);
		lua_setfield(L, -2, "__gc");
	}
	lua_setmetatable(L, -2);
	return p;
}

struct task *recipe_newtask(lua_State *L, const char *name)
{
	struct task **tp = recipe_newguard(L, sizeof(*tp), "sindri-build.task", task_gc);

	*tp = task_new(name);
	luaL_where(L, 1);
	(*tp)->where = xstrdup(lua_tostring(L, -1));
	lua_pop(L, 1);
	size_t n = strlen((*tp)->where);
	if (n >= 2 && str_has_suffix((*tp)->where, ": "))
		(*tp)->where[n - 2] = '\0';
	return *tp;
}

void recipe_addtask(lua_State *L, int guard)
{
	struct recipe *r = ctx(L);
	struct task **tp = lua_touserdata(L, guard);
	struct task *t = *tp;

	*tp = NULL;
	if (graph_add(r->g, t) < 0) {
		*tp = t;
		luaL_error(L, "task name '%s' is defined twice", t->name);
	}
}

void recipe_check_fields(lua_State *L, int idx, const char *kind, const char *name, const char *const *fields)
{
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
		size_t i = 0;
		while (k && fields[i] && strcmp(fields[i], k) != 0)
			i++;
		if (!k || !fields[i]) {
			struct buf b = BUF_INIT;
			for (i = 0; fields[i]; i++)
				buf_addf(&b, "%s%s", i ? ", " : "", fields[i]);
			luaL_where(L, 1);
			lua_pushfstring(L, "%s '%s': unknown field '%s' (known: %s)", kind, name,
			                k ? k : luaL_typename(L, -3), b.data);
			buf_release(&b);
			lua_concat(L, 2);
			lua_error(L);
		}
		lua_pop(L, 1);
	}
}

void recipe_common(lua_State *L, int idx, struct task *t)
{
	static const struct {
		const char *field;
		size_t off;
	} lists[] = {
		{"deps", offsetof(struct task, deps)}, {"inputs", offsetof(struct task, inputs)},
		{"exclude", offsetof(struct task, excludes)}, {"env", offsetof(struct task, env)},
		{"outputs", offsetof(struct task, outputs)}, {"alias", offsetof(struct task, aliases)},
	};
	struct recipe *r = ctx(L);

	for (size_t i = 0; i < LEN(lists); i++) {
		if (lua_getfield(L, idx, lists[i].field) != LUA_TNIL)
			recipe_strings(L, -1, t->name, lists[i].field, (struct strv *)((char *)t + lists[i].off));
		lua_pop(L, 1);
	}
	if (lua_getfield(L, idx, "vars") != LUA_TNIL) {
		/* names first (t owns them, so a Lua error cannot leak), then each becomes NAME=value */
		recipe_strings(L, -1, t->name, "vars", &t->vars);
		for (size_t i = 0; i < t->vars.n; i++) {
			const char *v = recipe_var(r, t->vars.v[i]);
			if (v) {
				char *kv = xasprintf("%s=%s", t->vars.v[i], v);
				free(t->vars.v[i]);
				t->vars.v[i] = kv;
			}
		}
	}
	lua_pop(L, 1);
	/* values: NAME = value pairs keyed like variables (a config file's hash, a computed tag) */
	if (lua_getfield(L, idx, "values") != LUA_TNIL) {
		luaL_checktype(L, -1, LUA_TTABLE);
		lua_pushnil(L);
		while (lua_next(L, -2)) {
			if (lua_type(L, -2) != LUA_TSTRING || !lua_isstring(L, -1))
				luaL_error(L, "task '%s': field 'values' must map names to strings", t->name);
			lua_pushfstring(L, "%s=%s", lua_tostring(L, -2), lua_tostring(L, -1));
			strv_push(&t->vars, lua_tostring(L, -1));
			lua_pop(L, 2);
		}
	}
	lua_pop(L, 1);
	if (lua_getfield(L, idx, "desc") != LUA_TNIL)
		t->desc = xstrdup(luaL_checkstring(L, -1));
	lua_pop(L, 1);
	if (lua_getfield(L, idx, "pool") != LUA_TNIL)
		t->pool = xstrdup(luaL_checkstring(L, -1));
	lua_pop(L, 1);
	lua_getfield(L, idx, "always");
	if (lua_toboolean(L, -1))
		t->flags |= TASK_ALWAYS;
	lua_pop(L, 1);
	/* plan: what a dry run prints for the task; not keyed (it describes, it changes nothing) */
	int type = lua_getfield(L, idx, "plan");
	if (type != LUA_TNIL && type != LUA_TFUNCTION)
		luaL_error(L, "task '%s': field 'plan' must be a function", t->name);
	if (type == LUA_TFUNCTION) {
		lua_getfield(L, LUA_REGISTRYINDEX, "sindri-build.plans");
		lua_pushvalue(L, -2);
		lua_setfield(L, -2, t->name);
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	/* readonly: a report (status, doctor) that runs every time and writes no state */
	lua_getfield(L, idx, "readonly");
	if (lua_toboolean(L, -1))
		t->flags |= TASK_ALWAYS | TASK_READONLY;
	lua_pop(L, 1);
}

void recipe_defn_common(struct buf *defn, const struct task *t)
{
	defn_list(defn, "deps", &t->deps);
	defn_list(defn, "inputs", &t->inputs);
	defn_list(defn, "exclude", &t->excludes);
	defn_list(defn, "env", &t->env);
	defn_list(defn, "outputs", &t->outputs);
	if (t->pool)
		buf_addf(defn, "pool=%s\n", t->pool);
	/* `always` and no_cache say when to run, not what the result is: not keyed, so a deliberate rebuild with the
	 * same inputs leaves dependents alone */
}

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
		recipe_strings(L, -1, name, "run", &t->argv);
	if (type == LUA_TTABLE && !t->argv.n)
		return luaL_error(L, "task '%s': field 'run' is an empty list; give a command", name);
	if (type != LUA_TNIL && type != LUA_TSTRING && type != LUA_TTABLE && type != LUA_TFUNCTION)
		return luaL_error(L, "task '%s': field 'run' must be a list (argv), a string (shell) or a function, not "
		                  "a %s", name, luaL_typename(L, -1));
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
		defn_list(&defn, "run=argv", &t->argv);
		break;
	case LUA_TFUNCTION: {
		struct hasher h;
		char hex[HASH_HEX_LEN + 1];
		hasher_init(&h);
		hash_function(r, L, -1, &h, 0);
		struct hash128 fh = hasher_final(&h);
		hash_hex(&fh, hex);
		buf_addf(&defn, "run=lua %s\n", hex);
		t->run = RUN_FUNC;
		break;
	}
	}
	lua_pop(L, 1);
	recipe_defn_common(&defn, t);
	t->defn = buf_detach(&defn);
	if (t->run == RUN_FUNC || lua_getfield(L, 1, "check") != LUA_TNIL) {
		struct luafn *f = xmalloc(sizeof(*f));
		f->r = r;
		f->ref = f->check = LUA_NOREF;
		t->ops = &lua_fn_ops;
		t->udata = f;
		if (t->run == RUN_FUNC) {
			lua_getfield(L, 1, "run");
			f->ref = luaL_ref(L, LUA_REGISTRYINDEX);
		}
		if (lua_getfield(L, 1, "check") == LUA_TFUNCTION) {
			f->check = luaL_ref(L, LUA_REGISTRYINDEX);
			t->ops = &lua_check_ops;
		} else if (!lua_isnil(L, -1))
			return luaL_error(L, "task '%s': field 'check' must be a function returning true, or false and why",
			                  name);
		else
			lua_pop(L, 1);
	}
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
	return 0;
}

static int l_var(lua_State *L)
{
	struct recipe *r = ctx(L);
	const char *v = recipe_var(r, luaL_checkstring(L, 1));

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

	build_changed(); /* the command may have changed anything outside */

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

	build_changed();

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
	struct recipe *r = ctx(L);
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
		if (!(v[i - 1] = graph_find(r->g, name)))
			luaL_error(L, "unknown task '%s'", name);
	}
	*n = (size_t)len;
	return v;
}

static void need_build(lua_State *L, struct recipe *r, const char *fn)
{
	if (!r->st)
		luaL_error(L, "%s can only be called by a task while it runs", fn);
}

/* sb.build(targets): bring tasks up to date now, from inside a running task; returns true, or false and the exit
 * code, then how many tasks ran (-1 when not counted). A cycle is written with it: each step a build of its own.
 * In a dry run (from a plan function) it is a dry run too. */
static int l_build(lua_State *L)
{
	struct recipe *r = ctx(L);
	size_t n;
	struct task **v;
	struct build_opts o;

	need_build(L, r, "sb.build");
	v = targets_of(L, 1, &n);
	o = *r->opts;
	o.nested = 1;
	size_t ran = o.tally ? o.tally->ran : 0;
	build_pause();
	int rc = build_run(r->g, v, n, r->st, r->ke, &o);
	build_resume();
	lua_pushboolean(L, rc == 0);
	lua_pushinteger(L, rc);
	lua_pushinteger(L, o.tally ? (lua_Integer)(o.tally->ran - ran) : -1);
	return 3;
}

void recipe_plan(struct task *t, void *arg)
{
	struct recipe *r = arg;
	lua_State *L = r->L;
	char hex[HASH_HEX_LEN + 1];

	lua_getfield(L, LUA_REGISTRYINDEX, "sindri-build.plans");
	if (lua_getfield(L, -1, t->name) != LUA_TFUNCTION) {
		lua_pop(L, 2);
		return;
	}
	lua_remove(L, -2);
	hash_hex(&t->key, hex);
	lua_pushstring(L, t->name);
	lua_pushstring(L, hex);
	if (pcall(r, 2, 0) < 0)
		warn("task '%s': its plan function failed; the dry run shows less of what it would do", t->name);
	fflush(stdout);
}

static void add_reason(struct task *t, int run, const char *why, void *arg)
{
	lua_State *L = arg;

	if (run) {
		lua_pushstring(L, why);
		lua_setfield(L, -2, t->name);
	}
}

/* sb.key(task): the task's key as 32 hex digits (its deps' keys are computed first); nothing runs. */
static int l_key(lua_State *L)
{
	struct recipe *r = ctx(L);
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
			free(plan);
			return luaL_error(L, "cannot compute the key of '%s'", plan[i]->name);
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
	struct recipe *r = ctx(L);
	size_t n;
	struct task **v;

	need_build(L, r, "sb.outdated");
	v = targets_of(L, 1, &n);
	lua_newtable(L);
	build_pause();
	int rc = build_explain(r->g, v, n, r->st, r->ke, add_reason, L);
	build_resume();
	if (rc < 0)
		return luaL_error(L, "cannot decide what %s needs", n == 1 ? v[0]->name : "these targets need");
	return 1;
}

static int l_exists(lua_State *L)
{
	lua_pushboolean(L, access(luaL_checkstring(L, 1), F_OK) == 0);
	return 1;
}

static const luaL_Reg api[] = {
	{"task", l_task}, {"default", l_default}, {"var", l_var}, {"pool", l_pool}, {NULL, NULL},
};

static const luaL_Reg sb_lib[] = {
	{"run", l_run}, {"capture", l_capture}, {"exists", l_exists}, {"build", l_build}, {"outdated", l_outdated},
	{"key", l_key}, {"tty", l_tty},
	{NULL, NULL},
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

static int dump_to_buf(lua_State *L, const void *p, size_t n, void *arg)
{
	(void)L;
	buf_add(arg, p, n);
	return 0;
}

/* load_chunk: push the chunk of the Lua file path (LUA_OK), or an error message (another status). The bytecode
 * cache holds each file's compiled chunk under a digest of the Lua release, the path and the text, so an edit
 * or another Lua compiles anew; a cached chunk Lua refuses is compiled anew too. Chunks keep their debug
 * information: error lines and function sources (hash_source) are those of the text. */
static int load_chunk(struct recipe *r, const char *path)
{
	lua_State *L = r->L;
	const struct source *sc = source_of(r, path);
	const char *text = sc ? sc->text : NULL;
	char *chunk, *file = NULL;
	struct buf code = BUF_INIT;
	int rc;

	if (!text) {
		lua_pushfstring(L, "cannot read '%s': %s", path, strerror(errno));
		return LUA_ERRFILE;
	}
	chunk = xasprintf("@%s", path);
	if (r->luac_dir) {
		struct hasher h;
		struct hash128 k;
		char hex[HASH_HEX_LEN + 1];

		hasher_init(&h);
		hasher_addstr(&h, LUA_RELEASE);
		hasher_addstr(&h, path);
		hasher_addstr(&h, text);
		k = hasher_final(&h);
		hash_hex(&k, hex);
		file = xasprintf("%s/%s", r->luac_dir, hex);
		if (read_file(file, &code) == 0) {
			if (luaL_loadbufferx(L, code.data ? code.data : "", code.len, chunk, "b") == LUA_OK) {
				buf_release(&code);
				free(file);
				free(chunk);
				return LUA_OK;
			}
			lua_pop(L, 1);
		}
		buf_reset(&code);
	}
	rc = luaL_loadbufferx(L, text, strlen(text), chunk, "t");
	free(chunk);
	if (rc == LUA_OK && file) {
		lua_dump(L, dump_to_buf, &code, 0);
		r->compiled = xreallocarray(r->compiled, r->ncompiled + 1, sizeof(*r->compiled));
		r->compiled[r->ncompiled].file = file;
		r->compiled[r->ncompiled++].code = code;
		return rc;
	}
	buf_release(&code);
	free(file);
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
	if (load_chunk(r, file) != LUA_OK)
		return luaL_error(L, "error loading module '%s' from file '%s':\n\t%s", name, file, lua_tostring(L, -1));
	lua_pushvalue(L, -2);
	return 2;
}

void recipe_set_bytecode_cache(struct recipe *r, const char *dir)
{
	free(r->luac_dir);
	r->luac_dir = dir ? xstrdup(dir) : NULL;
}

/* prune_bytecode: chunks written more than a week ago go (an edit leaves its old chunk behind); one still in use is
 * compiled again by the next run that writes. */
static void prune_bytecode(const char *dir)
{
	DIR *d = opendir(dir);
	time_t old = time(NULL) - 7 * 24 * 3600;
	struct dirent *e;
	struct stat st;

	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) && st.st_mtime < old)
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
}

int recipe_save_bytecode(struct recipe *r)
{
	int ret = 0;

	if (!r->ncompiled || !r->luac_dir)
		return 0;
	if (mkdir_p(r->luac_dir) < 0)
		ret = -1;
	else
		prune_bytecode(r->luac_dir);
	for (size_t i = 0; i < r->ncompiled; i++) {
		if (ret == 0 && write_file_replace(r->compiled[i].file, r->compiled[i].code.data, r->compiled[i].code.len) < 0)
			ret = -1;
		free(r->compiled[i].file);
		buf_release(&r->compiled[i].code);
	}
	r->ncompiled = 0;
	return ret;
}

struct recipe *recipe_new(struct graph *g, const struct strv *cmdvars, int verbose)
{
	static const luaL_Reg libs[] = {
		{LUA_GNAME, luaopen_base}, {LUA_LOADLIBNAME, luaopen_package}, {LUA_COLIBNAME, luaopen_coroutine},
		{LUA_TABLIBNAME, luaopen_table}, {LUA_IOLIBNAME, luaopen_io}, {LUA_OSLIBNAME, luaopen_os},
		{LUA_STRLIBNAME, luaopen_string}, {LUA_MATHLIBNAME, luaopen_math}, {LUA_UTF8LIBNAME, luaopen_utf8},
	};
	struct recipe *r = xcalloc(1, sizeof(*r));
	lua_State *L = luaL_newstate();

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
	/* function digests, by identity (see hash_function); weak keys let collected functions go */
	lua_newtable(L);
	lua_newtable(L);
	lua_pushliteral(L, "k");
	lua_setfield(L, -2, "__mode");
	lua_setmetatable(L, -2);
	lua_setfield(L, LUA_REGISTRYINDEX, "sindri-build.fnhash");
	/* plan functions, by task name (recipe_plan) */
	lua_newtable(L);
	lua_setfield(L, LUA_REGISTRYINDEX, "sindri-build.plans");
	/* recipes load Lua modules, never C ones; Lua ones through the bytecode cache */
	lua_getglobal(L, "package");
	lua_pushstring(L, "");
	lua_setfield(L, -2, "cpath");
	lua_getfield(L, -1, "searchers");
	lua_pushlightuserdata(L, r);
	lua_pushcclosure(L, searcher, 1);
	lua_rawseti(L, -2, 2);
	lua_pop(L, 2);

	/* the API table: global functions and the sb module, all with the context as upvalue */
	lua_newtable(L);
	lua_pushlightuserdata(L, r);
	luaL_setfuncs(L, api, 1);
	luaL_newlibtable(L, sb_lib);
	lua_pushlightuserdata(L, r);
	luaL_setfuncs(L, sb_lib, 1);
	lua_setfield(L, -2, "sb");
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

int recipe_load(struct recipe *r, const char *path)
{
	lua_State *L = r->L;
	int rc;

	if (access(path, R_OK) < 0)
		return error("cannot read recipe file '%s':", path);
	rc = load_chunk(r, path);
	if (rc != LUA_OK) {
		error("%s", lua_tostring(L, -1));
		lua_pop(L, 1);
		return -1;
	}
	return pcall(r, 0, 0);
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

void recipe_free(struct recipe *r)
{
	if (!r)
		return;
	lua_close(r->L);
	recipe_set_bytecode_cache(r, NULL);
	for (size_t i = 0; i < r->ncompiled; i++) {
		free(r->compiled[i].file);
		buf_release(&r->compiled[i].code);
	}
	free(r->compiled);
	for (size_t i = 0; i < r->nsrc; i++) {
		free(r->src[i].name);
		free(r->src[i].text);
		free(r->src[i].line);
	}
	free(r->src);
	free(r);
}
