/* luaalloc: the recipe state's memory. Small blocks come from free lists by size, carved from large slabs, so that a
 * run's thousands of small Lua objects cost a few instructions each to make and to free; large blocks come from
 * malloc. Everything goes with the state. Under AddressSanitizer every block is malloc's, so that it checks them. */
#ifndef SB_LUAALLOC_H
#define SB_LUAALLOC_H

#include <lua.h>

/* luaalloc_newstate: a new Lua state that allocates this way, with lauxlib's error behaviour (a panic prints the
 * error, warnings are off until "@on"); NULL when out of memory. Close it with luaalloc_close. */
lua_State *luaalloc_newstate(void);
/* luaalloc_close: lua_close, then free the allocator's memory (NULL is fine). */
void luaalloc_close(lua_State *L);

#endif
