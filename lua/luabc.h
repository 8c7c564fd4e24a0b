/* luabc: what the bytecode of a Lua 5.4 function reads, from its stripped dump (lua_dump's format, stable within
 * Lua 5.4): the globals it reads by name, and the upvalues it reads some other way. */
#ifndef SB_LUABC_H
#define SB_LUABC_H

#include <stddef.h>

#include "hash.h"

/* A global read by name: GETTABUP on upvalue up (of the function dumped) with the constant s[0..n), which points
 * into the dump. Reads by nested functions count for the upvalue of the dumped function they reach. */
struct luabc_read {
	int up;
	const char *s;
	size_t n;
};

/* The caller owns dyn (one byte per upvalue) and reads (grown with realloc; free it). */
struct luabc {
	struct hash128 code;      /* the code: every byte of the dump but the line numbers and the dumped function's
	                           * upvalue descriptors (which say where its maker keeps the values, not what they are) */
	unsigned char *dyn;       /* upvalue i is read other than by constant names (GETUPVAL, SETUPVAL), or a name read
	                           * through it is load, loadfile, dofile or require, which reach any name */
	struct luabc_read *reads;
	size_t nreads, capreads;
	int bad;                  /* not a dump of this format: code is the digest of the whole dump, every dyn is 1 */
};

/* luabc_scan: scan the stripped dump[0..n) of a function with nup upvalues into bc (bc->dyn holds nup bytes). */
void luabc_scan(struct luabc *bc, const void *dump, size_t n, int nup);

#endif
