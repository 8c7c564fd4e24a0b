/* docker: the `docker` table of the recipe API, a thin layer over docker/dockerapi. */
#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "docker_lua.h"
#include "dockersync_lua.h"
#include "dockerapi.h"
#include "json.h"
#include "recipe.h"

#define CLIENT_KEY "sindri-build.docker"
#define GUARD_META "sindri-build.docker.guard"

/* What a dockerapi call hands back lives in a guard userdata until it is turned into Lua values, so a Lua error
 * on the way (out of memory) frees it with the guard instead of leaking it. */
struct guard {
	struct json *json;
	struct docker_cache cache;
	char *str;
};

static void guard_release(struct guard *g)
{
	json_free(g->json);
	g->json = NULL;
	docker_cache_release(&g->cache);
	free(g->str);
	g->str = NULL;
}

static int guard_gc(lua_State *L)
{
	guard_release(lua_touserdata(L, 1));
	return 0;
}

/* guard_new: an empty guard pushed on the stack. */
static struct guard *guard_new(lua_State *L)
{
	return recipe_newguard(L, sizeof(struct guard), GUARD_META, guard_gc);
}

/* The shared client, in a userdata in the registry whose __gc closes it with the Lua state. */
struct client {
	struct docker *d;
	int unusable; /* docker_open refused the address: the environment cannot change, so do not retry */
};

static int client_gc(lua_State *L)
{
	struct client *c = lua_touserdata(L, 1);

	docker_close(c->d);
	c->d = NULL;
	return 0;
}

/* fail: nil and "<what> (the reason is printed above)"; dockerapi printed the engine's words already. */
static int fail(lua_State *L, const char *fmt, ...)
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

/* missing: false and "<kind> 'name' not found", for a 404. */
static int missing(lua_State *L, const char *kind, const char *name)
{
	lua_pushboolean(L, 0);
	lua_pushfstring(L, "%s '%s' not found", kind, name);
	return 2;
}

/* client: the shared client, opened on first use and, with ping, checked to answer; NULL after pushing nil and
 * a message. */
static struct docker *client(lua_State *L, int ping)
{
	struct client *c;
	const char *host;

	if (lua_getfield(L, LUA_REGISTRYINDEX, CLIENT_KEY) == LUA_TUSERDATA) {
		c = lua_touserdata(L, -1);
		lua_pop(L, 1);
	} else {
		lua_pop(L, 1);
		c = lua_newuserdatauv(L, sizeof(*c), 0);
		memset(c, 0, sizeof(*c));
		lua_newtable(L);
		lua_pushcfunction(L, client_gc);
		lua_setfield(L, -2, "__gc");
		lua_setmetatable(L, -2);
		lua_setfield(L, LUA_REGISTRYINDEX, CLIENT_KEY);
	}
	if (!c->d && !c->unusable && (c->d = docker_open(NULL)))
		docker_set_epoch(c->d, build_epoch); /* answers hold until a task starts */
	if (!c->d) {
		c->unusable = 1;
		host = getenv("DOCKER_HOST");
		fail(L, "cannot use the Docker engine address '%s'", host && *host ? host : DOCKER_DEFAULT_HOST);
		return NULL;
	}
	/* the version is negotiated by the first ping; a failed one is tried again on the next call */
	if (ping && !docker_api_version(c->d) && docker_ping(c->d) < 0) {
		fail(L, "cannot reach the Docker engine at '%s'", docker_host(c->d));
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
	struct docker *d = client(L, 0);

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

/* push_json: a JSON tree as Lua values; null is docker.null, which object members turn into nil. The parser
 * caps nesting at JSON_MAX_DEPTH, so the recursion is bounded. */
static void push_json(lua_State *L, const struct json *j)
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
			push_json(L, j->items[i]);
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
				push_json(L, j->items[i]);
			lua_rawset(L, -3);
		}
		break;
	}
}

/* tree: the outcome of a call that fills g->json: a table, false when not found, nil and a message. */
static int tree(lua_State *L, struct guard *g, int rc, const char *kind, const char *name)
{
	if (rc < 0)
		return fail(L, "cannot inspect %s '%s'", kind, name);
	if (rc == DOCKER_NOT_FOUND)
		return missing(L, kind, name);
	push_json(L, g->json);
	guard_release(g);
	return 1;
}

/* done: the outcome of a call without an answer: true, false when not found, nil and a message. */
static int done(lua_State *L, int rc, const char *what, const char *kind, const char *name)
{
	if (rc < 0)
		return fail(L, "cannot %s %s '%s'", what, kind, name);
	if (rc == DOCKER_NOT_FOUND)
		return missing(L, kind, name);
	lua_pushboolean(L, 1);
	return 1;
}

/* argfail: raise a bad-argument error for arg with a formatted message. */
static int argfail(lua_State *L, int arg, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lua_pushvfstring(L, fmt, ap);
	va_end(ap);
	return luaL_argerror(L, arg, lua_tostring(L, -1));
}

/* find_key: the index in names of the string key at idx, or -1. */
static int find_key(lua_State *L, int idx, const char *const *names)
{
	if (lua_type(L, idx) != LUA_TSTRING)
		return -1;
	for (int i = 0; names[i]; i++)
		if (strcmp(names[i], lua_tostring(L, idx)) == 0)
			return i;
	return -1;
}

/* unknown_key: raise "unknown <kind> 'k' (known: a, b)" for the key at idx of the table argument arg. */
static int unknown_key(lua_State *L, int arg, int idx, const char *kind, const char *const *names)
{
	luaL_Buffer b;

	idx = lua_absindex(L, idx);
	luaL_buffinit(L, &b);
	luaL_addstring(&b, "unknown ");
	luaL_addstring(&b, kind);
	luaL_addstring(&b, " '");
	luaL_tolstring(L, idx, NULL);
	luaL_addvalue(&b);
	luaL_addstring(&b, "' (known: ");
	for (int i = 0; names[i]; i++) {
		luaL_addstring(&b, i ? ", " : "");
		luaL_addstring(&b, names[i]);
	}
	luaL_addstring(&b, ")");
	luaL_pushresult(&b);
	return luaL_argerror(L, arg, lua_tostring(L, -1));
}

/* opt_flags: the boolean options of the optional table argument arg as docker_flags (flags[i] for names[i]);
 * with list, integer keys are left to the caller. Raises on unknown options and non-booleans. */
static unsigned opt_flags(lua_State *L, int arg, const char *const *names, const unsigned *flags, int list)
{
	unsigned f = 0;
	int i;

	if (lua_isnoneornil(L, arg))
		return 0;
	luaL_checktype(L, arg, LUA_TTABLE);
	lua_pushnil(L);
	while (lua_next(L, arg)) {
		if (!(list && lua_isinteger(L, -2))) {
			if ((i = find_key(L, -2, names)) < 0)
				unknown_key(L, arg, -2, "option", names);
			if (!lua_isboolean(L, -1))
				argfail(L, arg, "option '%s' must be a boolean, not a %s", names[i], luaL_typename(L, -1));
			if (lua_toboolean(L, -1))
				f |= flags[i];
		}
		lua_pop(L, 1);
	}
	return f;
}

enum strs_keys {
	KEYS_NONE, /* a list only */
	KEYS_MAP,  /* string keys too, as "key=value" */
	KEYS_SKIP, /* string keys are options, read elsewhere */
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* strs_add: append the string on top of the stack to the list at tmp, counting its bytes, and pop it. */
static void strs_add(lua_State *L, int tmp, int arg, const char *what, size_t *bytes)
{
	size_t len;
	const char *s = lua_tolstring(L, -1, &len);

	if (strlen(s) != len)
		argfail(L, arg, "%s: '%s' holds a NUL byte", what, s);
	*bytes += len + 1;
	lua_rawseti(L, tmp, (lua_Integer)lua_rawlen(L, tmp) + 1);
}

/* strs: the table at idx as a NULL-terminated string array, which lives in a userdata left on top of the stack
 * (nothing to free). List items come first, in order; with KEYS_MAP then key=value for string keys, sorted.
 * Numbers count as strings. Anything else raises a bad-argument error for arg naming what. */
static const char *const *strs(lua_State *L, int idx, int arg, const char *what, enum strs_keys keys)
{
	lua_Integer len, k;
	size_t bytes = 0, n, nlist, i, l;
	const char *s;
	char **v, *p;
	int tmp;

	idx = lua_absindex(L, idx);
	luaL_checkstack(L, 8, NULL);
	lua_newtable(L);
	tmp = lua_gettop(L);
	len = (lua_Integer)lua_rawlen(L, idx);
	for (k = 1; k <= len; k++) {
		lua_rawgeti(L, idx, k);
		if (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER)
			argfail(L, arg, "%s: item %I must be a string, not a %s", what, k, luaL_typename(L, -1));
		strs_add(L, tmp, arg, what, &bytes);
	}
	nlist = lua_rawlen(L, tmp);
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		if (lua_isinteger(L, -2) && lua_tointeger(L, -2) >= 1 && lua_tointeger(L, -2) <= len) {
			lua_pop(L, 1);
			continue;
		}
		if (keys == KEYS_SKIP && lua_type(L, -2) == LUA_TSTRING) {
			lua_pop(L, 1);
			continue;
		}
		if (keys != KEYS_MAP || lua_type(L, -2) != LUA_TSTRING) {
			luaL_tolstring(L, -2, NULL);
			argfail(L, arg, "%s: unexpected key '%s' (give a list of strings%s)", what, lua_tostring(L, -1),
			        keys == KEYS_MAP ? " or a table of name = value" : "");
		}
		if (strchr(lua_tostring(L, -2), '='))
			argfail(L, arg, "%s: name '%s' holds '='", what, lua_tostring(L, -2));
		if (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER)
			argfail(L, arg, "%s: the value of '%s' must be a string, not a %s", what, lua_tostring(L, -2),
			        luaL_typename(L, -1));
		/* the value is a copy on the stack: converting a number there leaves the key alone */
		lua_pushfstring(L, "%s=%s", lua_tostring(L, -2), lua_tostring(L, -1));
		strs_add(L, tmp, arg, what, &bytes);
		lua_pop(L, 1);
	}
	n = lua_rawlen(L, tmp);
	v = lua_newuserdatauv(L, (n + 1) * sizeof(*v) + bytes, 0);
	p = (char *)(v + n + 1);
	for (i = 0; i < n; i++) {
		lua_rawgeti(L, tmp, (lua_Integer)i + 1);
		s = lua_tolstring(L, -1, &l);
		memcpy(p, s, l + 1);
		v[i] = p;
		p += l + 1;
		lua_pop(L, 1);
	}
	v[n] = NULL;
	/* lua_next's order is arbitrary: sorted, the same table always gives the same request */
	qsort(v + nlist, n - nlist, sizeof(*v), cmp_str);
	lua_remove(L, tmp);
	return (const char *const *)v;
}

/* opt_strs: strs of the optional table argument arg, or NULL (then nil is pushed: the stack grows by one). */
static const char *const *opt_strs(lua_State *L, int arg, const char *what, enum strs_keys keys)
{
	if (lua_isnoneornil(L, arg)) {
		lua_pushnil(L);
		return NULL;
	}
	luaL_checktype(L, arg, LUA_TTABLE);
	return strs(L, arg, arg, what, keys);
}

/* inspect: fn(name) for the string argument 1, as tree() returns it. */
static int inspect(lua_State *L, int (*fn)(struct docker *, const char *, struct json **), const char *kind)
{
	const char *name = luaL_checkstring(L, 1);
	struct docker *d;
	struct guard *g;

	if (!(d = client(L, 1)))
		return 2;
	g = guard_new(L);
	return tree(L, g, fn(d, name, &g->json), kind, name);
}

/* removal: fn(name, flags) for the string argument 1 and the options argument 2, as done() returns it. */
static int removal(lua_State *L, int (*fn)(struct docker *, const char *, unsigned), const char *const *names,
                   const unsigned *flags, const char *kind)
{
	const char *name = luaL_checkstring(L, 1);
	unsigned f = opt_flags(L, 2, names, flags, 0);
	struct docker *d;

	if (!(d = client(L, 1)))
		return 2;
	return done(L, fn(d, name, f), "remove", kind, name);
}

static int l_host(lua_State *L)
{
	struct docker *d = client(L, 0);

	if (!d)
		return 2;
	lua_pushstring(L, docker_host(d));
	return 1;
}

static int l_ping(lua_State *L)
{
	struct docker *d = client(L, 0);

	if (!d)
		return 2;
	if (docker_ping(d) < 0)
		return fail(L, "cannot reach the Docker engine at '%s'", docker_host(d));
	lua_pushboolean(L, 1);
	return 1;
}

static int l_get(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	struct docker *d;
	struct guard *g;

	luaL_argcheck(L, path[0] == '/', 1, "an API path starting with '/' (\"/info\")");
	if (!(d = client(L, 1)))
		return 2;
	g = guard_new(L);
	if (docker_get(d, path, &g->json) < 0)
		return fail(L, "cannot get '%s'", path);
	push_json(L, g->json);
	guard_release(g);
	return 1;
}

/* list: a list call (images, containers) with the optional filters table. */
static int list(lua_State *L, int (*fn)(struct docker *, const char *const *, struct json **), const char *what)
{
	const char *const *filters = opt_strs(L, 1, "filters", KEYS_NONE);
	struct docker *d;
	struct guard *g;

	if (!(d = client(L, 1)))
		return 2;
	g = guard_new(L);
	if (fn(d, filters, &g->json) < 0)
		return fail(L, "cannot list %s", what);
	push_json(L, g->json);
	guard_release(g);
	return 1;
}

static int l_containers(lua_State *L)
{
	return list(L, docker_container_list, "containers");
}

static int l_images(lua_State *L)
{
	return list(L, docker_image_list, "images");
}

static int l_inspect_image(lua_State *L)
{
	return inspect(L, docker_image_inspect, "image");
}

static int l_tag(lua_State *L)
{
	const char *image = luaL_checkstring(L, 1), *target = luaL_checkstring(L, 2);
	struct docker *d;

	if (!(d = client(L, 1)))
		return 2;
	return done(L, docker_image_tag(d, image, target), "tag", "image", image);
}

static const char *const rmi_opts[] = {"force", "noprune", NULL};
static const unsigned rmi_flags[] = {DOCKER_FORCE, DOCKER_NOPRUNE};

static int l_rmi(lua_State *L)
{
	return removal(L, docker_image_remove, rmi_opts, rmi_flags, "image");
}

static int l_inspect_container(lua_State *L)
{
	return inspect(L, docker_container_inspect, "container");
}

static const char *const spec_fields[] = {
	"name", "image", "cmd", "entrypoint", "env", "labels", "binds", "volumes", "workdir", "user", "tty",
	"stdin_open", "auto_remove", NULL,
};

/* field_str: the optional string field of the table argument 1, left on the stack; NULL when absent. */
static const char *field_str(lua_State *L, const char *field)
{
	int t = lua_getfield(L, 1, field);

	if (t != LUA_TNIL && t != LUA_TSTRING)
		argfail(L, 1, "field '%s' must be a string, not a %s", field, luaL_typename(L, -1));
	return lua_tostring(L, -1);
}

/* field_strs: the optional list field of the table argument 1 as a string array left on the stack (a string
 * alone is a list of one when one is set); NULL when absent. */
static const char *const *field_strs(lua_State *L, const char *field, enum strs_keys keys, int one)
{
	int t = lua_getfield(L, 1, field);

	if (t == LUA_TNIL)
		return NULL;
	if (t == LUA_TSTRING && one) {
		lua_createtable(L, 1, 0);
		lua_insert(L, -2);
		lua_rawseti(L, -2, 1);
	} else if (t != LUA_TTABLE) {
		argfail(L, 1, "field '%s' must be a %s, not a %s", field, one ? "string or a list of strings" : "table",
		        luaL_typename(L, -1));
	}
	lua_pushfstring(L, "field '%s'", field);
	return strs(L, -2, 1, lua_tostring(L, -1), keys);
}

/* field_bool: the optional boolean field of the table argument 1. */
static int field_bool(lua_State *L, const char *field)
{
	int t = lua_getfield(L, 1, field), v = lua_toboolean(L, -1);

	if (t != LUA_TNIL && t != LUA_TBOOLEAN)
		argfail(L, 1, "field '%s' must be a boolean, not a %s", field, luaL_typename(L, -1));
	lua_pop(L, 1);
	return v;
}

static int l_create_container(lua_State *L)
{
	struct docker_container_spec spec;
	struct docker *d;
	struct guard *g;

	luaL_checktype(L, 1, LUA_TTABLE);
	luaL_checkstack(L, 40, NULL);
	lua_pushnil(L);
	while (lua_next(L, 1)) {
		if (find_key(L, -2, spec_fields) < 0)
			unknown_key(L, 1, -2, "field", spec_fields);
		lua_pop(L, 1);
	}
	/* every string stays on the stack until the call returns */
	memset(&spec, 0, sizeof(spec));
	spec.name = field_str(L, "name");
	spec.image = field_str(L, "image");
	luaL_argcheck(L, spec.image, 1, "field 'image' is required");
	spec.cmd = field_strs(L, "cmd", KEYS_NONE, 1);
	spec.entrypoint = field_strs(L, "entrypoint", KEYS_NONE, 1);
	spec.env = field_strs(L, "env", KEYS_MAP, 0);
	spec.labels = field_strs(L, "labels", KEYS_MAP, 0);
	spec.binds = field_strs(L, "binds", KEYS_NONE, 0);
	spec.volumes = field_strs(L, "volumes", KEYS_NONE, 0);
	spec.workdir = field_str(L, "workdir");
	spec.user = field_str(L, "user");
	spec.tty = field_bool(L, "tty");
	spec.stdin_open = field_bool(L, "stdin_open");
	spec.auto_remove = field_bool(L, "auto_remove");
	if (!(d = client(L, 1)))
		return 2;
	g = guard_new(L);
	if (docker_container_create(d, &spec, &g->str) < 0)
		return fail(L, "cannot create container '%s' from image '%s'", spec.name ? spec.name : "(unnamed)",
		            spec.image);
	lua_pushstring(L, g->str);
	guard_release(g);
	return 1;
}

static int l_start(lua_State *L)
{
	const char *id = luaL_checkstring(L, 1);
	struct docker *d;

	if (!(d = client(L, 1)))
		return 2;
	return done(L, docker_container_start(d, id), "start", "container", id);
}

static int l_stop(lua_State *L)
{
	const char *id = luaL_checkstring(L, 1);
	lua_Integer timeout = luaL_optinteger(L, 2, 10);
	struct docker *d;

	luaL_argcheck(L, timeout >= 0 && timeout <= 86400, 2, "a timeout from 0 to 86400 seconds");
	if (!(d = client(L, 1)))
		return 2;
	return done(L, docker_container_stop(d, id, (int)timeout), "stop", "container", id);
}

static const char *const rm_opts[] = {"force", "volumes", NULL};
static const unsigned rm_flags[] = {DOCKER_FORCE, DOCKER_VOLUMES};

static int l_rm(lua_State *L)
{
	return removal(L, docker_container_remove, rm_opts, rm_flags, "container");
}

static int l_volume_create(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);
	const char *const *labels = opt_strs(L, 2, "labels", KEYS_MAP);
	struct docker *d;
	struct guard *g;

	if (!(d = client(L, 1)))
		return 2;
	g = guard_new(L);
	if (docker_volume_create(d, name, labels, &g->json) < 0)
		return fail(L, "cannot create volume '%s'", name);
	push_json(L, g->json);
	guard_release(g);
	return 1;
}

static int l_inspect_volume(lua_State *L)
{
	return inspect(L, docker_volume_inspect, "volume");
}

static const char *const volume_rm_opts[] = {"force", NULL};
static const unsigned volume_rm_flags[] = {DOCKER_FORCE};

static int l_volume_rm(lua_State *L)
{
	return removal(L, docker_volume_remove, volume_rm_opts, volume_rm_flags, "volume");
}

static void set_str(lua_State *L, const char *key, const char *v)
{
	lua_pushstring(L, v);
	lua_setfield(L, -2, key);
}

static void set_int(lua_State *L, const char *key, int64_t v)
{
	lua_pushinteger(L, (lua_Integer)v);
	lua_setfield(L, -2, key);
}

static void set_bool(lua_State *L, const char *key, int v)
{
	lua_pushboolean(L, v);
	lua_setfield(L, -2, key);
}

static int l_build_cache(lua_State *L)
{
	const struct docker_cache_record *c;
	struct docker *d;
	struct guard *g;

	if (!(d = client(L, 1)))
		return 2;
	g = guard_new(L);
	if (docker_build_cache(d, &g->cache) < 0)
		return fail(L, "cannot list the build cache");
	lua_createtable(L, g->cache.n > INT_MAX ? INT_MAX : (int)g->cache.n, 0);
	for (size_t i = 0; i < g->cache.n; i++) {
		c = &g->cache.v[i];
		lua_createtable(L, 0, 10);
		set_str(L, "id", c->id);
		set_str(L, "parent", c->parent);
		set_str(L, "type", c->type);
		set_str(L, "description", c->description);
		set_int(L, "size", c->size);
		set_int(L, "created", c->created);
		set_int(L, "last_used", c->last_used);
		set_int(L, "usage_count", c->usage_count);
		set_bool(L, "in_use", c->in_use);
		set_bool(L, "shared", c->shared);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	guard_release(g);
	return 1;
}

static int l_prune_cache_id(lua_State *L)
{
	const char *id = luaL_checkstring(L, 1);
	struct docker *d;
	int64_t reclaimed = 0;
	int rc;

	luaL_argcheck(L, *id, 1, "a build-cache record id, not an empty string");
	if (!(d = client(L, 1)))
		return 2;
	rc = docker_build_prune_id(d, id, &reclaimed);
	if (rc < 0)
		return fail(L, "cannot prune build-cache record '%s'", id);
	if (rc == DOCKER_NOT_FOUND)
		return missing(L, "build-cache record", id);
	lua_pushinteger(L, (lua_Integer)reclaimed);
	return 1;
}

/* prune_cache_ids{ id, ... }: bytes freed and records deleted; records already gone are no error. */
static int l_prune_cache_ids(lua_State *L)
{
	size_t n, i;
	const char **ids;
	struct docker *d;
	int64_t reclaimed = 0;
	size_t deleted = 0;
	int rc;

	luaL_checktype(L, 1, LUA_TTABLE);
	n = lua_rawlen(L, 1);
	ids = lua_newuserdatauv(L, (n ? n : 1) * sizeof(*ids), 0); /* freed by Lua, whatever fails below */
	for (i = 0; i < n; i++) {
		lua_rawgeti(L, 1, (lua_Integer)i + 1);
		ids[i] = lua_tostring(L, -1);
		luaL_argcheck(L, lua_type(L, -1) == LUA_TSTRING && *ids[i], 1, "a list of build-cache record ids");
		lua_pop(L, 1); /* the string stays alive in the table */
	}
	if (!(d = client(L, 1)))
		return 2;
	rc = docker_build_prune_ids(d, ids, n, &reclaimed, &deleted);
	if (rc < 0)
		return fail(L, "cannot prune %zu build-cache records", n);
	lua_pushinteger(L, (lua_Integer)reclaimed);
	lua_pushinteger(L, (lua_Integer)deleted);
	return 2;
}

static const char *const prune_opts[] = {"all", NULL};
static const unsigned prune_flags[] = {DOCKER_PRUNE_ALL};

static int l_prune_cache(lua_State *L)
{
	unsigned flags = opt_flags(L, 1, prune_opts, prune_flags, 1);
	const char *const *filters = opt_strs(L, 1, "filters", KEYS_SKIP);
	struct docker *d;
	int64_t reclaimed = 0;
	size_t deleted = 0;

	if (!(d = client(L, 1)))
		return 2;
	if (docker_build_prune(d, filters, flags, &reclaimed, &deleted) < 0)
		return fail(L, "cannot prune the build cache");
	lua_pushinteger(L, (lua_Integer)reclaimed);
	lua_pushinteger(L, (lua_Integer)deleted);
	return 2;
}

static int l_df(lua_State *L)
{
	struct docker_df df;
	struct docker *d;

	if (!(d = client(L, 1)))
		return 2;
	if (docker_system_df(d, &df) < 0)
		return fail(L, "cannot read the engine's disk use");
	lua_createtable(L, 0, 8);
	set_int(L, "images_size", df.images_size);
	set_int(L, "containers_size", df.containers_size);
	set_int(L, "volumes_size", df.volumes_size);
	set_int(L, "cache_size", df.cache_size);
	set_int(L, "images", (int64_t)df.images);
	set_int(L, "containers", (int64_t)df.containers);
	set_int(L, "volumes", (int64_t)df.volumes);
	set_int(L, "cache_records", (int64_t)df.cache_records);
	return 1;
}

static const luaL_Reg docker_lib[] = {
	{"host", l_host}, {"ping", l_ping}, {"get", l_get}, {"images", l_images}, {"inspect_image", l_inspect_image},
	{"tag", l_tag}, {"rmi", l_rmi}, {"containers", l_containers}, {"inspect_container", l_inspect_container},
	{"create_container", l_create_container}, {"start", l_start}, {"stop", l_stop}, {"rm", l_rm},
	{"volume_create", l_volume_create}, {"inspect_volume", l_inspect_volume}, {"volume_rm", l_volume_rm},
	{"build_cache", l_build_cache}, {"prune_cache_id", l_prune_cache_id},
	{"prune_cache_ids", l_prune_cache_ids}, {"prune_cache", l_prune_cache},
	{"df", l_df}, {NULL, NULL},
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

	lua_getfield(L, LUA_REGISTRYINDEX, "sindri-build.api");
	luaL_newlib(L, docker_lib);
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
