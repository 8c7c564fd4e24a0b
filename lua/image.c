/* image: the `image "name" { ... }` recipe function, a task kind built on docker/image. */
#include <lauxlib.h>
#include <lua.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "docker_lua.h"
#include "image.h"
#include "image_lua.h"
#include "recipe.h"
#include "util.h"

static const char *const image_fields[] = {
	"dockerfile", "context", "tags", "build_args", "target", "platform", "no_cache", "desc", "deps", "inputs",
	"exclude", "env", "vars", "values", "alias", "pool", "remote_cache", "push", "cache_dir", "secrets", "plan",
	"group", "time", NULL,
};

static int images_gc(lua_State *L)
{
	struct images **imp = lua_touserdata(L, 1);

	images_free(*imp);
	*imp = NULL;
	return 0;
}

/* shared_client: the recipe's one engine client (lua/docker.c), opened when an image task first needs it. The
 * main Lua state outlives every image task. */
static struct docker *shared_client(void *arg)
{
	return docker_lua_client(arg);
}

/* shared: the images context of this recipe, made on first use and freed with the Lua state. */
static struct images *shared(lua_State *L)
{
	struct images **imp;

	if (lua_getfield(L, LUA_REGISTRYINDEX, "sindri-build.images") == LUA_TUSERDATA) {
		imp = lua_touserdata(L, -1);
		lua_pop(L, 1);
		return *imp;
	}
	lua_pop(L, 1);
	imp = recipe_newguard(L, sizeof(*imp), "sindri-build.images", images_gc);
	*imp = images_new(recipe_graph(recipe_of(L)), NULL, shared_client, L);
	lua_setfield(L, LUA_REGISTRYINDEX, "sindri-build.images");
	return *imp;
}

static char *optstring(lua_State *L, int idx, const char *field, const char *name)
{
	char *s = NULL;

	if (lua_getfield(L, idx, field) != LUA_TNIL) {
		if (lua_type(L, -1) != LUA_TSTRING)
			luaL_error(L, "image '%s': field '%s' must be a string, not a %s", name, field, luaL_typename(L, -1));
		s = xstrdup(lua_tostring(L, -1));
	}
	lua_pop(L, 1);
	return s;
}

/* build_args: a table NAME = value (sorted by name, so the command line is stable), or a list of "NAME=value". */
static void build_args(lua_State *L, int idx, const char *name, struct strv *out)
{
	if (lua_getfield(L, idx, "build_args") == LUA_TNIL) {
		lua_pop(L, 1);
		return;
	}
	if (!lua_istable(L, -1))
		luaL_error(L, "image '%s': field 'build_args' must be a table of NAME = value", name);
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		if (lua_type(L, -2) == LUA_TNUMBER) {
			if (lua_type(L, -1) != LUA_TSTRING || !strchr(lua_tostring(L, -1), '='))
				luaL_error(L, "image '%s': build_args items must be \"NAME=value\" strings", name);
			strv_push(out, lua_tostring(L, -1));
		} else if (lua_type(L, -2) == LUA_TSTRING &&
		           (lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER)) {
			lua_pushfstring(L, "%s=%s", lua_tostring(L, -2), lua_tostring(L, -1));
			strv_push(out, lua_tostring(L, -1));
			lua_pop(L, 1);
		} else if (lua_type(L, -1) != LUA_TBOOLEAN || lua_toboolean(L, -1)) {
			luaL_error(L, "image '%s': build arg '%s' must be a string", name, lua_tostring(L, -2));
		}
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	strv_sort(out);
}

/* check_build_args: a secret is never a build arg (the image's history keeps build args); a build arg that looks
 * secret and is not declared one gets a warning. */
static void check_build_args(lua_State *L, const struct task *t, const struct strv *args)
{
	for (size_t i = 0; i < args->n; i++) {
		const char *kv = args->v[i];
		size_t n = strcspn(kv, "=");
		for (size_t j = 0; j < t->secrets.n; j++)
			if (strlen(t->secrets.v[j]) == n && strncmp(t->secrets.v[j], kv, n) == 0)
				luaL_error(L, "image '%s': '%s' is both a build arg and a secret; drop the build arg (the image's "
				           "history keeps build args) and read the secret with RUN --mount=type=secret,id=%s",
				           t->name, t->secrets.v[j], t->secrets.v[j]);
		lua_pushlstring(L, kv, n);
		recipe_warn_secretish(t, "image", "build arg", lua_tostring(L, -1),
		                      " and read it with RUN --mount=type=secret", "a build arg stays in the image's history");
		lua_pop(L, 1);
	}
}

static void defn_add(struct buf *b, const char *field, const char *v)
{
	if (v)
		buf_addf(b, "%s=%zu:%s\n", field, strlen(v), v);
}

static int image_def(lua_State *L)
{
	const char *name = lua_tostring(L, lua_upvalueindex(2));
	struct image_spec spec;
	struct task *t;
	struct buf defn = BUF_INIT;

	luaL_checktype(L, 1, LUA_TTABLE);
	t = recipe_newtask(L, name);
	recipe_check_fields(L, 1, "image", name, image_fields);
	recipe_common(L, 1, t);
	if (!t->pool)
		t->pool = xstrdup("console");
	/* the spec lives in the task from the start, so a Lua error frees it with the task */
	image_task(t, memset(&spec, 0, sizeof(spec)), shared(L));
	struct image_spec *sp = (struct image_spec *)image_task_spec(t);
	free(sp->dockerfile);
	free(sp->context);
	sp->dockerfile = sp->context = NULL;
	sp->context = optstring(L, 1, "context", name);
	if (!sp->context)
		sp->context = xstrdup(".");
	sp->dockerfile = optstring(L, 1, "dockerfile", name);
	if (!sp->dockerfile)
		sp->dockerfile = strcmp(sp->context, ".") == 0 ? xstrdup("Dockerfile") : xasprintf("%s/Dockerfile", sp->context);
	sp->target = optstring(L, 1, "target", name);
	sp->platform = optstring(L, 1, "platform", name);
	if (lua_getfield(L, 1, "tags") != LUA_TNIL)
		recipe_strings(L, -1, name, "tags", &sp->tags);
	lua_pop(L, 1);
	if (!sp->tags.n)
		return luaL_error(L, "image '%s': give at least one tag (tags = { \"name:tag\" })", name);
	build_args(L, 1, name, &sp->build_args);
	check_build_args(L, t, &sp->build_args);
	/* where else the image may come from, and whether to push it: fields, else the command line's variables */
	struct recipe *r = recipe_of(L);
	const char *v;
	sp->remote_cache = optstring(L, 1, "remote_cache", name);
	sp->cache_dir = optstring(L, 1, "cache_dir", name);
	if (!sp->cache_dir && (v = recipe_var(r, "CACHE_DIR")) && *v)
		sp->cache_dir = xstrdup(v);
	if (lua_getfield(L, 1, "push") != LUA_TNIL) {
		sp->push = recipe_optbool(L, 1, "image", name, "push");
	} else if ((v = recipe_var(r, "PUSH")) && *v) {
		sp->push = strcmp(v, "1") == 0;
	} else {
		/* only trusted builds write a shared cache (docs/ci.md) */
		struct buf why = BUF_INIT;
		sp->push = image_push_default(&why);
		if (why.len)
			sp->push_note = xasprintf("%s; PUSH=1 pushes", why.data);
		buf_release(&why);
	}
	lua_pop(L, 1);
	sp->strict_cache = (v = recipe_var(r, "STRICT_CACHE")) && strcmp(v, "1") == 0;
	if (recipe_optbool(L, 1, "image", name, "no_cache")) {
		sp->no_cache = 1;
		t->flags |= TASK_ALWAYS;
	}

	buf_adds(&defn, "kind=image\n");
	defn_add(&defn, "dockerfile", sp->dockerfile);
	defn_add(&defn, "context", sp->context);
	recipe_defn_common(&defn, t);
	t->defn = buf_detach(&defn);
	recipe_addtask(L, 2);
	return 0;
}

static int l_image(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);

	if (!*name || strpbrk(name, " \t\n"))
		return luaL_error(L, "bad image task name '%s': use a non-empty name without spaces", name);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_pushvalue(L, 1);
	lua_pushcclosure(L, image_def, 2);
	return 1;
}

void image_lua_open(struct recipe *r)
{
	recipe_register(r, "image", l_image);
}
