/* luatask: the tasks of a recipe with Lua parts (a run or check function, or engine = true): their key parts, check,
 * run and the Docker engine's preflight (declared in lua/recipeint.h; recipe_defn_values in lua/recipe.h). */
#include <lauxlib.h>
#include <lua.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "hash.h"
#include "key.h"
#include "luakey.h"
#include "recipe.h"
#include "recipeint.h"
#include "trust.h"
#include "util.h"

/* A task with Lua parts: its run and check functions, kept in the registry (LUA_NOREF when absent), and their
 * key parts as computed at generation gen (the functions and what they read are walked again after Lua ran). */
struct luafn {
	struct recipe *r;
	int ref, check;
	int engine;           /* engine = true: the Docker engine must answer before anything runs */
	unsigned gen;
	struct keyparts *parts;
	char *unkeyable;      /* why a value the functions read cannot be keyed, or NULL */
	struct strv loaded;   /* the Lua files its run function loaded in its last run (recipe.loads) */
};

static int lua_task_run(struct task *t)
{
	struct luafn *f = t->udata;
	lua_State *L = f->r->L;
	char hex[HASH_HEX_LEN + 1];

	hash_hex(&t->key, hex);
	lua_rawgeti(L, LUA_REGISTRYINDEX, f->ref);
	lua_pushstring(L, t->name);
	lua_pushstring(L, hex);
	/* the body may pause its own task for a build or explain of its own (sb.build): the trust knows it runs */
	trust_body_started(f->r->trust);
	struct strv *outer = f->r->loads;
	strv_release(&f->loaded);
	f->r->loads = &f->loaded;
	int failed = recipe_pcall(f->r, 2, 1) < 0;
	f->r->loads = outer;
	trust_body_ended(f->r->trust);
	if (failed)
		return 1;
	int rc = 0;
	if (lua_isboolean(L, -1))
		rc = !lua_toboolean(L, -1);
	else if (lua_isinteger(L, -1))
		rc = (int)lua_tointeger(L, -1);
	lua_pop(L, 1);
	return rc;
}

/* lua_task_finish: a Lua file the run function loaded while it ran (require of a module not loaded before,
 * dofile, loadfile) is code or data its key did not cover, unless it is one of the task's inputs: the key the run is
 * recorded under gets a part for it (KEY_LOADED_PREFIX, its content as it is now, so that a dependent's key follows
 * it), which no key computed before a run holds, so the task runs every time and explain says why. */
static int lua_task_finish(struct task *t, const struct keyenv *ke)
{
	struct luafn *f = t->udata;
	struct buf name = BUF_INIT, text = BUF_INIT;
	size_t added = 0;

	(void)ke;
	for (size_t i = 0; i < f->loaded.n && t->parts; i++) {
		const char *path = f->loaded.v[i];
		struct hash128 h;
		size_t k;
		while (path[0] == '.' && path[1] == '/')
			path += 2 + strspn(path + 2, "/");
		for (int pass = 0; pass < 2; pass++) {
			buf_reset(&name);
			buf_addf(&name, "%s%s", pass ? KEY_LOADED_PREFIX : KEY_IN_PREFIX, path);
			for (k = 0; k < t->parts->n && strcmp(keyparts_name(t->parts, k), name.data) != 0; k++)
				;
			if (k < t->parts->n)
				break;
		}
		if (k < t->parts->n)
			continue; /* an input, keyed; or loaded twice */
		buf_reset(&text);
		h = read_file(path, &text) == 0 ? hash_bytes(text.data ? text.data : "", text.len) : hash_bytes("", 0);
		keyparts_add(t->parts, name.data, &h, "loaded while it ran");
		added++;
	}
	if (added)
		t->key = keyparts_digest(t->parts);
	buf_release(&name);
	buf_release(&text);
	return 0;
}

/* fn_parts: walk the task's functions and what they read into f->parts (luakey.h); f->unkeyable says why a value
 * they read cannot be keyed. */
static int fn_parts(struct luafn *f)
{
	lua_State *L = f->r->L;
	const char *roles[2];
	struct buf why = BUF_INIT;
	int n = 0, rc;

	if (f->ref != LUA_NOREF) {
		lua_rawgeti(L, LUA_REGISTRYINDEX, f->ref);
		roles[n++] = "run";
	}
	if (f->check != LUA_NOREF) {
		lua_rawgeti(L, LUA_REGISTRYINDEX, f->check);
		roles[n++] = "check";
	}
	keyparts_free(f->parts);
	f->parts = keyparts_new();
	free(f->unkeyable);
	f->unkeyable = NULL;
	rc = luakey_parts(L, n, roles, f->parts, &why);
	if (rc < 0) {
		keyparts_free(f->parts);
		f->parts = NULL;
	} else if (rc == 1) {
		f->unkeyable = buf_detach(&why);
	}
	buf_release(&why);
	f->gen = f->r->gen;
	return rc < 0 ? -1 : 0;
}

/* lua_task_add_key: the functions' parts, as they are when the key is computed: walked again when Lua ran since
 * they were last walked (a run or check function may have changed a value another one reads). */
static int lua_task_add_key(struct task *t, struct keyparts *kp, const struct keyenv *ke)
{
	struct luafn *f = t->udata;

	(void)ke;
	if ((!f->parts || f->gen != f->r->gen) && fn_parts(f) < 0)
		return -1;
	for (size_t i = 0; i < f->parts->n; i++)
		keyparts_add(kp, keyparts_name(f->parts, i), &f->parts->v[i].h, keyparts_value(f->parts, i));
	return 0;
}

/* lua_task_prepare: the run gets the values its functions read now, and its result is recorded under them: when Lua
 * ran since the key was computed (another task's run function may have changed a value this one reads), the key is
 * computed again, so that a change made between the key and the run is never recorded under the values before it. */
static int lua_task_prepare(struct task *t, const struct keyenv *ke)
{
	struct luafn *f = t->udata;

	return f->parts && f->gen != f->r->gen ? task_key(t, ke) : 0;
}

/* lua_task_key_unread: the run function cannot see the key it is given: it takes fewer than two parameters and no
 * `...` (a C function may read any argument). */
static int lua_task_key_unread(const struct task *t)
{
	struct luafn *f = t->udata;
	lua_State *L = f->r->L;
	lua_Debug ar;

	if (f->ref == LUA_NOREF)
		return 0;
	lua_rawgeti(L, LUA_REGISTRYINDEX, f->ref);
	if (!lua_isfunction(L, -1)) {
		lua_pop(L, 1);
		return 0;
	}
	lua_getinfo(L, ">u", &ar); /* pops the function */
	return ar.nparams < 2 && !ar.isvararg;
}

/* check_result: whether the results on the stack above base are what a check function must return: true, or
 * false and a reason. */
static int check_result(lua_State *L, int base)
{
	int n = lua_gettop(L) - base;

	while (n > 0 && lua_isnil(L, base + n))
		n--;
	if (n < 1 || !lua_isboolean(L, base + 1))
		return 0;
	if (lua_toboolean(L, base + 1))
		return n == 1;
	return n == 2 && lua_type(L, base + 2) == LUA_TSTRING;
}

/* lua_task_check: a task whose functions read a value that cannot be keyed is never current; otherwise its check
 * function says whether its results are still in place: true, or false and why. */
static int lua_task_check(struct task *t, const struct keyenv *ke, struct buf *why)
{
	struct luafn *f = t->udata;
	lua_State *L = f->r->L;
	char hex[HASH_HEX_LEN + 1];
	int ok, base;

	(void)ke;
	if (f->unkeyable) {
		buf_addf(why, "it runs every time: %s (task defined at %s)", f->unkeyable, t->where ? t->where : "?");
		return 0;
	}
	if (f->check == LUA_NOREF)
		return 1;
	hash_hex(&t->key, hex);
	base = lua_gettop(L);
	lua_rawgeti(L, LUA_REGISTRYINDEX, f->check);
	lua_pushstring(L, t->name);
	lua_pushstring(L, hex);
	if (recipe_pcall(f->r, 2, LUA_MULTRET) < 0)
		return -1;
	if (!check_result(L, base)) {
		lua_Debug ar;
		int n = lua_gettop(L) - base;
		const char *got = n == 0 ? "nothing" : luaL_typename(L, base + 1);
		if (n > 0 && lua_isboolean(L, base + 1))
			got = lua_toboolean(L, base + 1) ? "true and more values" : "false without a reason";
		lua_rawgeti(L, LUA_REGISTRYINDEX, f->check);
		lua_getinfo(L, ">S", &ar);
		error("%s:%d: task '%s': its check function returned %s%s; return true when the results are in place, or "
		      "false and a reason (a string)", ar.short_src, ar.linedefined, t->name,
		      n > 0 && !lua_isboolean(L, base + 1) ? "a " : "", got);
		lua_settop(L, base);
		return -1;
	}
	ok = lua_toboolean(L, base + 1);
	if (!ok)
		buf_adds(why, lua_tostring(L, base + 2));
	lua_settop(L, base);
	return ok;
}

/* lua_task_preflight: a task with engine = true needs the Docker engine: like an image task's, the run stops with
 * one message before anything runs when the engine does not answer. */
static int lua_task_preflight(struct task *t)
{
	struct luafn *f = t->udata;

	if (!f->engine)
		return 0;
	if (!f->r->engine)
		return error("%s: task '%s': engine = true, but this program has no Docker engine client", t->where, t->name);
	return f->r->engine(f->r->L);
}

static void lua_task_release(struct task *t)
{
	struct luafn *f = t->udata;

	if (f) {
		keyparts_free(f->parts);
		free(f->unkeyable);
		strv_release(&f->loaded);
		free(f);
	}
	t->udata = NULL;
}

/* the ops every Lua task has */
#define LUA_TASK_OPS                                                                                                   \
	.kind = "lua", .preflight = lua_task_preflight, .add_key = lua_task_add_key, .check = lua_task_check,          \
	.prepare = lua_task_prepare, .run = lua_task_run, .finish = lua_task_finish,                                   \
	.key_unread = lua_task_key_unread,                                                                            \
	.release = lua_task_release, .foldable = 1

static const struct task_ops lua_fn_ops = {LUA_TASK_OPS};
/* A task with a check function: the function is given the key, so it can prove the results for that key. */
static const struct task_ops lua_check_ops = {LUA_TASK_OPS, .keyed_check = 1};

void luatask_attach(lua_State *L, struct recipe *r, struct task *t, int check, int engine)
{
	struct luafn *f = xcalloc(1, sizeof(*f));

	f->r = r;
	f->ref = f->check = LUA_NOREF;
	f->engine = engine;
	t->ops = &lua_fn_ops;
	t->udata = f;
	if (t->run == RUN_FUNC) {
		lua_getfield(L, 1, "run");
		f->ref = luaL_ref(L, LUA_REGISTRYINDEX);
	}
	if (check) {
		lua_getfield(L, 1, "check");
		f->check = luaL_ref(L, LUA_REGISTRYINDEX);
		t->ops = &lua_check_ops;
	}
}

void recipe_defn_values(struct recipe *r)
{
	char hex[HASH_HEX_LEN + 1];

	for (size_t i = 0; i < r->g->ntasks; i++) {
		struct task *t = r->g->tasks[i];
		struct luafn *f = t->udata;
		struct hash128 d;
		if ((t->ops != &lua_fn_ops && t->ops != &lua_check_ops) || (f->ref == LUA_NOREF && f->check == LUA_NOREF))
			continue;
		if ((!f->parts || f->gen != r->gen) && fn_parts(f) < 0)
			continue;
		d = keyparts_digest(f->parts);
		hash_hex(&d, hex);
		char *defn = xasprintf("%slua=%s\n", t->defn ? t->defn : "", hex);
		free(t->defn);
		t->defn = defn;
	}
}
