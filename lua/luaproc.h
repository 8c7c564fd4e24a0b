/* luaproc: os.execute and io.popen for recipes, their shells started through proc_start (engine/proc.h), so that a
 * command a recipe runs starts like every other child: no signal blocked, SIGPIPE and the others at their defaults.
 * Lua's own (system and popen) hand the shell sindri-build's ignored SIGPIPE, which an exec keeps. */
#ifndef SB_LUAPROC_H
#define SB_LUAPROC_H

#include <lua.h>

/* luaproc_open: replace os.execute and io.popen in L's os and io tables (opened already), results as Lua's. */
void luaproc_open(lua_State *L);

#endif
