/* luafncode: what the bytecode of a Lua function says (lua/luabc.h), computed once per function and kept while the
 * function lives: its code's digest, and which globals it reads through each upvalue. */
#ifndef SB_LUAFNCODE_H
#define SB_LUAFNCODE_H

#include <lua.h>

#include "luabc.h"
#include "util.h"

/* Scratch space reused from one function to the next; zero it to start, release with luafncode_release. */
struct luafncode {
	struct luabc bc;
	size_t capdyn;
	struct buf dump;
};

/* luafncode_open: make the table that keeps each function's answer (weak keys: a collected function's goes). */
void luafncode_open(lua_State *L);
/* luafncode_table: push that table (a new empty one when luafncode_open has not run). */
void luafncode_table(lua_State *L);
/* luafncode_push: push the answer for the Lua function at idx, computed now when the table at codes has none: a
 * table with code = the code's digest (16 bytes), and [i] = the sorted names of the globals read through upvalue i
 * (a list of strings), or true when upvalue i is read some other way (then it is keyed whole). */
void luafncode_push(lua_State *L, int codes, int idx, struct luafncode *fc);
/* luafncode_release: free the scratch space. */
void luafncode_release(struct luafncode *fc);

#endif
