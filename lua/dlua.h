/* dlua: the insides of the recipe API's docker table (lua/docker_lua.h), shared by lua/docker.c (the client,
 * guards, results, the table itself), lua/dockerargs.c (reading arguments), lua/dockerobj.c (images, containers,
 * volumes) and lua/dockercache.c (the build cache and disk use), and by no other module.
 *
 * A function here that returns 2 has pushed nil and a message (or false and "not found"); the caller returns
 * that count to Lua. Argument readers raise a bad-argument error instead of returning. */
#ifndef SB_DLUA_H
#define SB_DLUA_H

#include <lauxlib.h>
#include <lua.h>

#include "dockerapi.h"

struct json;

/* What a dockerapi call hands back lives in a guard userdata until it is turned into Lua values, so a Lua error
 * on the way (out of memory) frees it with the guard instead of leaking it. */
struct dlua_guard {
	struct json *json;
	struct docker_cache cache;
	char *str;
};

/* dlua_guard_new: an empty guard pushed on the stack. */
struct dlua_guard *dlua_guard_new(lua_State *L);
/* dlua_guard_release: free what g holds now, leaving it empty (its __gc does the same). */
void dlua_guard_release(struct dlua_guard *g);

/* dlua_client: the shared client, opened on first use and, with ping, checked to answer; NULL after pushing nil
 * and a message. */
struct docker *dlua_client(lua_State *L, int ping);
/* dlua_fail: nil and "<what> (the reason is printed above)"; dockerapi printed the engine's words already. */
int dlua_fail(lua_State *L, const char *fmt, ...);
/* dlua_missing: false and "<kind> 'name' not found", for a 404. */
int dlua_missing(lua_State *L, const char *kind, const char *name);
/* dlua_push_json: a JSON tree as Lua values; null is docker.null, which object members turn into nil. */
void dlua_push_json(lua_State *L, const struct json *j);
/* dlua_tree: the outcome of a call that fills g->json: a table, false when not found, nil and a message. */
int dlua_tree(lua_State *L, struct dlua_guard *g, int rc, const char *kind, const char *name);
/* dlua_done: the outcome of a call without an answer: true, false when not found, nil and a message. */
int dlua_done(lua_State *L, int rc, const char *what, const char *kind, const char *name);

enum dlua_strs_keys {
	KEYS_NONE, /* a list only */
	KEYS_MAP,  /* string keys too, as "key=value" */
	KEYS_SKIP, /* string keys are options, read elsewhere */
};

/* dlua_argfail: raise a bad-argument error for arg with a formatted message. */
int dlua_argfail(lua_State *L, int arg, const char *fmt, ...);
/* dlua_find_key: the index in names of the string key at idx, or -1. */
int dlua_find_key(lua_State *L, int idx, const char *const *names);
/* dlua_unknown_key: raise "unknown <kind> 'k' (known: a, b)" for the key at idx of the table argument arg. */
int dlua_unknown_key(lua_State *L, int arg, int idx, const char *kind, const char *const *names);
/* dlua_opt_flags: the boolean options of the optional table argument arg as docker_flags (flags[i] for names[i]);
 * with list, integer keys are left to the caller. */
unsigned dlua_opt_flags(lua_State *L, int arg, const char *const *names, const unsigned *flags, int list);
/* dlua_strs: the table at idx as a NULL-terminated string array in a userdata left on top of the stack. */
const char *const *dlua_strs(lua_State *L, int idx, int arg, const char *what, enum dlua_strs_keys keys);
/* dlua_opt_strs: dlua_strs of the optional table argument arg, or NULL (then nil is pushed). */
const char *const *dlua_opt_strs(lua_State *L, int arg, const char *what, enum dlua_strs_keys keys);

/* the docker table's functions on images, containers and volumes (lua/dockerobj.c) */
extern const luaL_Reg dlua_obj_lib[];
/* the docker table's functions on the build cache and disk use (lua/dockercache.c) */
extern const luaL_Reg dlua_cache_lib[];

#endif
