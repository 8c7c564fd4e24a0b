/* dockerargs: reading the docker table's Lua arguments into what docker/dockerapi takes: option flags, string
 * lists and name = value maps. */
#include <lauxlib.h>
#include <lua.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "dlua.h"

/* dlua_argfail: raise a bad-argument error for arg with a formatted message. */
int dlua_argfail(lua_State *L, int arg, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lua_pushvfstring(L, fmt, ap);
	va_end(ap);
	return luaL_argerror(L, arg, lua_tostring(L, -1));
}

/* dlua_find_key: the index in names of the string key at idx, or -1. */
int dlua_find_key(lua_State *L, int idx, const char *const *names)
{
	if (lua_type(L, idx) != LUA_TSTRING)
		return -1;
	for (int i = 0; names[i]; i++)
		if (strcmp(names[i], lua_tostring(L, idx)) == 0)
			return i;
	return -1;
}

/* dlua_unknown_key: raise "unknown <kind> 'k' (known: a, b)" for the key at idx of the table argument arg. */
int dlua_unknown_key(lua_State *L, int arg, int idx, const char *kind, const char *const *names)
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

/* dlua_opt_flags: the boolean options of the optional table argument arg as docker_flags (flags[i] for names[i]);
 * with list, integer keys are left to the caller. Raises on unknown options and non-booleans. */
unsigned dlua_opt_flags(lua_State *L, int arg, const char *const *names, const unsigned *flags, int list)
{
	unsigned f = 0;
	int i;

	if (lua_isnoneornil(L, arg))
		return 0;
	luaL_checktype(L, arg, LUA_TTABLE);
	lua_pushnil(L);
	while (lua_next(L, arg)) {
		if (!(list && lua_isinteger(L, -2))) {
			if ((i = dlua_find_key(L, -2, names)) < 0)
				dlua_unknown_key(L, arg, -2, "option", names);
			if (!lua_isboolean(L, -1))
				dlua_argfail(L, arg, "option '%s' must be a boolean, not a %s", names[i], luaL_typename(L, -1));
			if (lua_toboolean(L, -1))
				f |= flags[i];
		}
		lua_pop(L, 1);
	}
	return f;
}

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
		dlua_argfail(L, arg, "%s: '%s' holds a NUL byte", what, s);
	*bytes += len + 1;
	lua_rawseti(L, tmp, (lua_Integer)lua_rawlen(L, tmp) + 1);
}

/* dlua_strs: the table at idx as a NULL-terminated string array, which lives in a userdata left on top of the stack
 * (nothing to free). List items come first, in order; with KEYS_MAP then key=value for string keys, sorted.
 * Numbers count as strings. Anything else raises a bad-argument error for arg naming what. */
const char *const *dlua_strs(lua_State *L, int idx, int arg, const char *what, enum dlua_strs_keys keys)
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
			dlua_argfail(L, arg, "%s: item %I must be a string, not a %s", what, k, luaL_typename(L, -1));
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
			dlua_argfail(L, arg, "%s: unexpected key '%s' (give a list of strings%s)", what, lua_tostring(L, -1),
			        keys == KEYS_MAP ? " or a table of name = value" : "");
		}
		if (strchr(lua_tostring(L, -2), '='))
			dlua_argfail(L, arg, "%s: name '%s' holds '='", what, lua_tostring(L, -2));
		if (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER)
			dlua_argfail(L, arg, "%s: the value of '%s' must be a string, not a %s", what, lua_tostring(L, -2),
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

/* dlua_opt_strs: strs of the optional table argument arg, or NULL (then nil is pushed: the stack grows by one). */
const char *const *dlua_opt_strs(lua_State *L, int arg, const char *what, enum dlua_strs_keys keys)
{
	if (lua_isnoneornil(L, arg)) {
		lua_pushnil(L);
		return NULL;
	}
	luaL_checktype(L, arg, LUA_TTABLE);
	return dlua_strs(L, arg, arg, what, keys);
}
