/* taskfields: the fields every kind of task shares, read from a recipe's definition table and checked, and the
 * guard that owns a task while Lua may raise (the declarations are in lua/recipe.h and lua/recipeint.h). */
#include <lauxlib.h>
#include <lua.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileset.h"
#include "graph.h"
#include "outputs.h"
#include "recipe.h"
#include "recipeint.h"
#include "secret.h"
#include "util.h"

/* strings_read: a string or a list of strings at idx into sv, raising a message naming task and field. A number is
 * taken (as its text) only for a command's words: a number where a path or a name belongs is a mistake. */
static void strings_read(lua_State *L, int idx, const char *task, const char *field, struct strv *sv, int words)
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
		int type = lua_geti(L, idx, i);
		if (type == LUA_TNUMBER && !words) {
			const char *num = lua_tostring(L, -1);
			luaL_error(L, "task '%s': item %d of field '%s' is the number %s, not a string; write \"%s\" if it is "
			           "a name", task, (int)i, field, num, num);
		}
		if (type != LUA_TSTRING && type != LUA_TNUMBER)
			luaL_error(L, "task '%s': item %d of field '%s' must be a string, not a %s", task, (int)i, field,
			           luaL_typename(L, -1));
		strv_push(sv, lua_tostring(L, -1));
		lua_pop(L, 1);
	}
}

void recipe_strings(lua_State *L, int idx, const char *task, const char *field, struct strv *sv)
{
	strings_read(L, idx, task, field, sv, 0);
}

void recipe_words(lua_State *L, int idx, const char *task, const char *field, struct strv *sv)
{
	strings_read(L, idx, task, field, sv, 1);
}

void recipe_defn_list(struct buf *b, const char *field, const struct strv *sv)
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
	struct graph *g = recipe_graph(recipe_of(L));
	struct task **tp = lua_touserdata(L, guard);
	struct task *t = *tp;

	/* a name another task has: one message, raised here (graph_add would print its own as well) */
	for (size_t i = 0; i <= t->aliases.n; i++) {
		const char *n = i ? t->aliases.v[i - 1] : t->name;
		const struct task *other = graph_find(g, n);
		if (other)
			luaL_error(L, "task name '%s' is already used by task '%s' at %s; give one of them another name", n, other->name,
			           other->where ? other->where : "?");
	}
	*tp = NULL;
	if (graph_add(g, t) < 0) {
		*tp = t;
		luaL_error(L, "task name '%s' is defined twice", t->name);
	}
}

int recipe_optbool(lua_State *L, int idx, const char *kind, const char *name, const char *field)
{
	int type = lua_getfield(L, idx, field), v = lua_toboolean(L, -1);

	/* a string is true to Lua, so always = "false" would run every time: only true, false or nothing */
	if (type != LUA_TNIL && type != LUA_TBOOLEAN) {
		const char *what = type == LUA_TSTRING ? lua_pushfstring(L, "the string \"%s\"", lua_tostring(L, -1))
		                                       : lua_pushfstring(L, "a %s", luaL_typename(L, -1));
		luaL_error(L, "%s '%s': field '%s' must be true or false, not %s", kind, name, field, what);
	}
	lua_pop(L, 1);
	return v;
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
			const char *near = NULL;
			size_t best = 3; /* a field two edits away at most ("output", "input", "dep") */
			for (i = 0; fields[i]; i++) {
				size_t d = k ? edit_distance(k, fields[i], best) : best;
				if (d < best && d < strlen(k)) {
					best = d;
					near = fields[i];
				}
			}
			if (near)
				buf_addf(&b, "; did you mean '%s'?", near);
			buf_adds(&b, " (known: ");
			for (i = 0; fields[i]; i++)
				buf_addf(&b, "%s%s", i ? ", " : "", fields[i]);
			buf_adds(&b, ")");
			luaL_where(L, 1);
			lua_pushfstring(L, "%s '%s': unknown field '%s'%s", kind, name, k ? k : luaL_typename(L, -3), b.data);
			buf_release(&b);
			lua_concat(L, 2);
			lua_error(L);
		}
		lua_pop(L, 1);
	}
}

static int has(const struct strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return 1;
	return 0;
}

/* check_outputs: outputs live in the project, as inputs do: -t clean removes them. */
static void check_outputs(lua_State *L, const struct task *t)
{
	for (size_t i = 0; i < t->outputs.n; i++) {
		struct buf why = BUF_INIT;
		char msg[1024];
		int bad = outputs_check(t->outputs.v[i], &why) < 0;
		/* the reason moves to the stack: nothing malloc'd may be live when Lua raises */
		snprintf(msg, sizeof(msg), "%s", why.data ? why.data : "");
		buf_release(&why);
		if (bad)
			luaL_error(L, "task '%s': %s", t->name, msg);
	}
}

/* check_inputs: an input pattern outside the project (absolute, with a '..' segment, or empty) is a mistake in the
 * recipe, refused when it loads as an output is, not a task that fails each time it is keyed. */
static void check_inputs(lua_State *L, const struct task *t)
{
	for (size_t i = 0; i < t->inputs.n; i++) {
		struct buf base = BUF_INIT;
		char msg[1024];
		int bad = fileset_base(t->inputs.v[i], &base) < 0;
		buf_release(&base);
		if (!bad)
			continue;
		/* on the stack: nothing malloc'd may be live when Lua raises */
		const char *in = t->inputs.v[i];
		snprintf(msg, sizeof(msg), "input '%s' %s; inputs are paths inside the project, relative to its root%s", in,
		         !*in ? "is empty" : *in == '/' ? "is an absolute path" : "leaves the project with '..'",
		         !*in ? " ('.' is the whole project)" : "");
		luaL_error(L, "task '%s': %s", t->name, msg);
	}
}

void recipe_warn_secretish(const struct task *t, const char *kind, const char *what, const char *name,
                           const char *how, const char *why)
{
	if (secret_name_like(name) && !has(&t->secrets, name))
		warn("%s: %s '%s': %s '%s' looks like a secret; declare it with secrets = { \"%s\" }%s (%s)", t->where, kind,
		     t->name, what, name, name, how, why);
}

/* check_secrets: secret names are environment variable names, kept out of env (which keys values in plain
 * text); an env entry that looks secret but is not declared one gets a warning. */
static void check_secrets(lua_State *L, const struct task *t)
{
	for (size_t i = 0; i < t->secrets.n; i++) {
		const char *s = t->secrets.v[i];
		if (!secret_name_ok(s))
			luaL_error(L, "task '%s': secret '%s' must be an environment variable's name (letters, digits and '_')",
			           t->name, s);
		if (has(&t->env, s))
			luaL_error(L, "task '%s': '%s' is in both env and secrets; keep it in secrets only (env keys its value "
			           "in plain text)", t->name, s);
	}
	for (size_t i = 0; i < t->env.n; i++)
		recipe_warn_secretish(t, "task", "env", t->env.v[i], "",
		                      "env keeps an unkeyed hash of its value, which a guess can be checked against");
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
		{"secrets", offsetof(struct task, secrets)},
	};
	struct recipe *r = recipe_of(L);

	for (size_t i = 0; i < LEN(lists); i++) {
		if (lua_getfield(L, idx, lists[i].field) != LUA_TNIL)
			recipe_strings(L, -1, t->name, lists[i].field, (struct strv *)((char *)t + lists[i].off));
		lua_pop(L, 1);
	}
	check_inputs(L, t);
	check_outputs(L, t);
	check_secrets(L, t);
	for (size_t i = 0; i < t->env.n; i++) {
		const char *v = t->env.v[i], *eq = strchr(v, '=');
		if (!eq)
			continue;
		lua_pushlstring(L, v, (size_t)(eq - v));
		luaL_error(L, "task '%s': env takes the names of environment variables whose values are keyed, not '%s': "
		           "write env = { \"%s\" } and set %s in the environment, or vars = { \"%s\" } and give %s on the "
		           "command line", t->name, v, lua_tostring(L, -1), v, lua_tostring(L, -1), v);
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
	/* group, time: how -t targets lists it (the guide's groups and times); not keyed */
	if (lua_getfield(L, idx, "group") != LUA_TNIL)
		t->group = xstrdup(luaL_checkstring(L, -1));
	lua_pop(L, 1);
	if (lua_getfield(L, idx, "time") != LUA_TNIL)
		t->time = xstrdup(luaL_checkstring(L, -1));
	lua_pop(L, 1);
	if (lua_getfield(L, idx, "pool") != LUA_TNIL)
		t->pool = xstrdup(luaL_checkstring(L, -1));
	lua_pop(L, 1);
	if (recipe_optbool(L, idx, "task", t->name, "always"))
		t->flags |= TASK_ALWAYS;
	/* plan: what a dry run prints for the task; explain: what -t explain says of it when it is up to date; neither
	 * is keyed (they describe, they change nothing) */
	static const char *const says[][2] = {{"plan", PLANS}, {"explain", EXPLAINS}};
	for (size_t i = 0; i < LEN(says); i++) {
		int type = lua_getfield(L, idx, says[i][0]);
		if (type != LUA_TNIL && type != LUA_TFUNCTION)
			luaL_error(L, "task '%s': field '%s' must be a function", t->name, says[i][0]);
		if (type == LUA_TFUNCTION) {
			lua_getfield(L, LUA_REGISTRYINDEX, says[i][1]);
			lua_pushvalue(L, -2);
			lua_setfield(L, -2, t->name);
			lua_pop(L, 1);
		}
		lua_pop(L, 1);
	}
	/* readonly: a report (status, doctor) that runs every time and writes no state */
	if (recipe_optbool(L, idx, "task", t->name, "readonly"))
		t->flags |= TASK_ALWAYS | TASK_READONLY;
}

void recipe_defn_common(struct buf *defn, const struct task *t)
{
	recipe_defn_list(defn, "deps", &t->deps);
	recipe_defn_list(defn, "inputs", &t->inputs);
	recipe_defn_list(defn, "exclude", &t->excludes);
	recipe_defn_list(defn, "env", &t->env);
	recipe_defn_list(defn, "secrets", &t->secrets);
	recipe_defn_list(defn, "outputs", &t->outputs);
	if (t->pool)
		buf_addf(defn, "pool=%s\n", t->pool);
	/* `always` and no_cache say when to run, not what the result is: not keyed, so a deliberate rebuild with the
	 * same inputs leaves dependents alone */
}
