/* recipefiles: the recipe file and the modules it required, found as require finds them. */
#include <lauxlib.h>
#include <lua.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recipe.h"
#include "recipefiles.h"
#include "util.h"

/* search: the file a Lua module name loads from, trying each "?" template of path as require does. */
static char *search(const char *path, const char *name)
{
	struct buf file = BUF_INIT;

	for (const char *p = path; *p;) {
		size_t n = strcspn(p, ";");
		buf_reset(&file);
		for (size_t i = 0; i < n; i++) {
			if (p[i] != '?') {
				buf_addc(&file, p[i]);
				continue;
			}
			for (const char *c = name; *c; c++)
				buf_addc(&file, *c == '.' ? '/' : *c);
		}
		if (file.len && access(file.data, R_OK) == 0)
			return buf_detach(&file);
		p += n + (p[n] == ';');
	}
	buf_release(&file);
	return NULL;
}

/* collect_modules: (called protected) every module in package.loaded that package.path finds, into the strv. */
static int collect_modules(lua_State *L)
{
	struct strv *files = lua_touserdata(L, 1);
	const char *path;

	lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
	if (lua_getfield(L, -1, "package") != LUA_TTABLE || lua_getfield(L, -1, "path") != LUA_TSTRING)
		return 0;
	path = lua_tostring(L, -1);
	lua_pop(L, 2);
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		if (lua_type(L, -2) == LUA_TSTRING) {
			char *file = search(path, lua_tostring(L, -2));
			if (file)
				strv_push(files, file);
			free(file);
		}
		lua_pop(L, 1);
	}
	return 0;
}

void recipe_files(struct recipe *r, const char *file, struct strv *out)
{
	lua_State *L = recipe_lua(r);
	struct strv mods = {0};

	strv_push(out, file);
	lua_pushcfunction(L, collect_modules);
	lua_pushlightuserdata(L, &mods);
	if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
		warn("cannot list the modules the recipe required: %s", lua_tostring(L, -1));
		lua_pop(L, 1);
	}
	strv_sort(&mods);
	for (size_t i = 0; i < mods.n; i++)
		if (!i || strcmp(mods.v[i], mods.v[i - 1]) != 0)
			strv_push(out, mods.v[i]);
	strv_release(&mods);
}
