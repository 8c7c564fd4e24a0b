/* luaknown: names for the values of Lua's libraries and the recipe API, taken before recipe code runs, so that a key
 * can name a C function or a userdata (whose insides cannot be walked) and a library table the recipe left as it
 * was. A name is a digest of the path the value is first found at (breadth first, keys sorted): the same in every
 * run, and in every build of sindri-build that has the value at that path. */
#ifndef SB_LUAKNOWN_H
#define SB_LUAKNOWN_H

#include <lua.h>

/* luaknown_open: name the C functions, userdata and flat tables (no metatable; only values that are not tables,
 * userdata or Lua functions) reachable from the global table, the API table at api and the string metatable, and
 * keep the names (with a copy of each flat table's pairs) in the registry. */
void luaknown_open(lua_State *L, int api);
struct luaknown;
/* luaknown_get: the names luaknown_open took (they live as long as the state), or NULL before it ran. */
const struct luaknown *luaknown_get(lua_State *L);
/* luaknown_name: 1 with *name when the value at idx was named, and a table still holds exactly the pairs it had
 * then; else 0. */
int luaknown_name(lua_State *L, const struct luaknown *kn, int idx, lua_Integer *name);

#endif
