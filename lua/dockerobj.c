/* dockerobj: the docker table's functions on images, containers and volumes (docker/dockerobj.c for recipes). */
#include <lauxlib.h>
#include <lua.h>
#include <string.h>

#include "dlua.h"
#include "dockerapi.h"

/* inspect: fn(name) for the string argument 1, as dlua_tree() returns it. */
static int inspect(lua_State *L, int (*fn)(struct docker *, const char *, struct json **), const char *kind)
{
	const char *name = luaL_checkstring(L, 1);
	struct docker *d;
	struct dlua_guard *g;

	if (!(d = dlua_client(L, 1)))
		return 2;
	g = dlua_guard_new(L);
	return dlua_tree(L, g, fn(d, name, &g->json), kind, name);
}

/* removal: fn(name, flags) for the string argument 1 and the options argument 2, as dlua_done() returns it. */
static int removal(lua_State *L, int (*fn)(struct docker *, const char *, unsigned), const char *const *names,
                   const unsigned *flags, const char *kind)
{
	const char *name = luaL_checkstring(L, 1);
	unsigned f = dlua_opt_flags(L, 2, names, flags, 0);
	struct docker *d;

	if (!(d = dlua_client(L, 1)))
		return 2;
	return dlua_done(L, fn(d, name, f), "remove", kind, name);
}

/* list: a list call (images, containers) with the optional filters table. */
static int list(lua_State *L, int (*fn)(struct docker *, const char *const *, struct json **), const char *what)
{
	const char *const *filters = dlua_opt_strs(L, 1, "filters", KEYS_NONE);
	struct docker *d;
	struct dlua_guard *g;

	if (!(d = dlua_client(L, 1)))
		return 2;
	g = dlua_guard_new(L);
	if (fn(d, filters, &g->json) < 0)
		return dlua_fail(L, "cannot list %s", what);
	dlua_push_json(L, g->json);
	dlua_guard_release(g);
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

/* inspect_image(ref [, members]): with a list of top-level member names, only those need be read (others may be
 * missing: docker_image_inspect_members). */
static int l_inspect_image(lua_State *L)
{
	const char *ref = luaL_checkstring(L, 1);
	const char *const *want = dlua_opt_strs(L, 2, "members", KEYS_NONE);
	struct docker *d;
	struct dlua_guard *g;

	if (!want)
		return inspect(L, docker_image_inspect, "image");
	if (!(d = dlua_client(L, 1)))
		return 2;
	g = dlua_guard_new(L);
	return dlua_tree(L, g, docker_image_inspect_members(d, ref, want, &g->json), "image", ref);
}

/* inspect_image_ahead(ref): ask now, through the engine helper, for what inspect_image(ref) will read, so that the
 * engine answers while the recipe goes on (nothing without a helper, or while a task runs: docker_prefetch). */
static int l_inspect_image_ahead(lua_State *L)
{
	const char *ref = luaL_checkstring(L, 1);
	struct docker *d = dlua_client(L, 1);

	if (d)
		docker_image_prefetch(d, ref);
	return 0;
}

static int l_tag(lua_State *L)
{
	const char *image = luaL_checkstring(L, 1), *target = luaL_checkstring(L, 2);
	struct docker *d;

	if (!(d = dlua_client(L, 1)))
		return 2;
	return dlua_done(L, docker_image_tag(d, image, target), "tag", "image", image);
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
		dlua_argfail(L, 1, "field '%s' must be a string, not a %s", field, luaL_typename(L, -1));
	return lua_tostring(L, -1);
}

/* field_strs: the optional list field of the table argument 1 as a string array left on the stack (a string
 * alone is a list of one when one is set); NULL when absent. */
static const char *const *field_strs(lua_State *L, const char *field, enum dlua_strs_keys keys, int one)
{
	int t = lua_getfield(L, 1, field);

	if (t == LUA_TNIL)
		return NULL;
	if (t == LUA_TSTRING && one) {
		lua_createtable(L, 1, 0);
		lua_insert(L, -2);
		lua_rawseti(L, -2, 1);
	} else if (t != LUA_TTABLE) {
		dlua_argfail(L, 1, "field '%s' must be a %s, not a %s", field, one ? "string or a list of strings" : "table",
		        luaL_typename(L, -1));
	}
	lua_pushfstring(L, "field '%s'", field);
	return dlua_strs(L, -2, 1, lua_tostring(L, -1), keys);
}

/* field_bool: the optional boolean field of the table argument 1. */
static int field_bool(lua_State *L, const char *field)
{
	int t = lua_getfield(L, 1, field), v = lua_toboolean(L, -1);

	if (t != LUA_TNIL && t != LUA_TBOOLEAN)
		dlua_argfail(L, 1, "field '%s' must be a boolean, not a %s", field, luaL_typename(L, -1));
	lua_pop(L, 1);
	return v;
}

static int l_create_container(lua_State *L)
{
	struct docker_container_spec spec;
	struct docker *d;
	struct dlua_guard *g;

	luaL_checktype(L, 1, LUA_TTABLE);
	luaL_checkstack(L, 40, NULL);
	lua_pushnil(L);
	while (lua_next(L, 1)) {
		if (dlua_find_key(L, -2, spec_fields) < 0)
			dlua_unknown_key(L, 1, -2, "field", spec_fields);
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
	if (!(d = dlua_client(L, 1)))
		return 2;
	g = dlua_guard_new(L);
	if (docker_container_create(d, &spec, &g->str) < 0)
		return dlua_fail(L, "cannot create container '%s' from image '%s'", spec.name ? spec.name : "(unnamed)",
		            spec.image);
	lua_pushstring(L, g->str);
	dlua_guard_release(g);
	return 1;
}

static int l_start(lua_State *L)
{
	const char *id = luaL_checkstring(L, 1);
	struct docker *d;

	if (!(d = dlua_client(L, 1)))
		return 2;
	return dlua_done(L, docker_container_start(d, id), "start", "container", id);
}

static int l_stop(lua_State *L)
{
	const char *id = luaL_checkstring(L, 1);
	lua_Integer timeout = luaL_optinteger(L, 2, 10);
	struct docker *d;

	luaL_argcheck(L, timeout >= 0 && timeout <= 86400, 2, "a timeout from 0 to 86400 seconds");
	if (!(d = dlua_client(L, 1)))
		return 2;
	return dlua_done(L, docker_container_stop(d, id, (int)timeout), "stop", "container", id);
}

static const char *const rm_opts[] = {"force", "volumes", NULL};
static const unsigned rm_flags[] = {DOCKER_FORCE, DOCKER_VOLUMES};

static int l_rm(lua_State *L)
{
	return removal(L, docker_container_remove, rm_opts, rm_flags, "container");
}

static int l_rename(lua_State *L)
{
	const char *id = luaL_checkstring(L, 1), *name = luaL_checkstring(L, 2);
	struct docker *d;

	if (!(d = dlua_client(L, 1)))
		return 2;
	return dlua_done(L, docker_container_rename(d, id, name), "rename", "container", id);
}

static int l_volume_create(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);
	const char *const *labels = dlua_opt_strs(L, 2, "labels", KEYS_MAP);
	struct docker *d;
	struct dlua_guard *g;

	if (!(d = dlua_client(L, 1)))
		return 2;
	g = dlua_guard_new(L);
	if (docker_volume_create(d, name, labels, &g->json) < 0)
		return dlua_fail(L, "cannot create volume '%s'", name);
	dlua_push_json(L, g->json);
	dlua_guard_release(g);
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

const luaL_Reg dlua_obj_lib[] = {
	{"images", l_images}, {"inspect_image", l_inspect_image}, {"inspect_image_ahead", l_inspect_image_ahead},
	{"tag", l_tag}, {"rmi", l_rmi},
	{"containers", l_containers}, {"inspect_container", l_inspect_container},
	{"create_container", l_create_container}, {"start", l_start}, {"stop", l_stop}, {"rm", l_rm},
	{"rename", l_rename},
	{"volume_create", l_volume_create}, {"inspect_volume", l_inspect_volume}, {"volume_rm", l_volume_rm},
	{NULL, NULL},
};
