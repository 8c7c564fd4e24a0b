/* luafncode: each function's bytecode read once (see luafncode.h). A function is dumped stripped (lua_dump) and the
 * dump scanned (lua/luabc.c); the answer is kept in a table with weak keys, so it lives as long as the function. */
#include <lauxlib.h>
#include <lua.h>
#include <stdlib.h>
#include <string.h>

#include "luabc.h"
#include "luafncode.h"
#include "util.h"

#define CODES "sindri-build.fncode" /* function -> what its bytecode says (weak keys) */

void luafncode_open(lua_State *L)
{
	lua_newtable(L);
	lua_createtable(L, 0, 1);
	lua_pushliteral(L, "k");
	lua_setfield(L, -2, "__mode");
	lua_setmetatable(L, -2);
	lua_setfield(L, LUA_REGISTRYINDEX, CODES);
}

void luafncode_table(lua_State *L)
{
	if (lua_getfield(L, LUA_REGISTRYINDEX, CODES) != LUA_TTABLE) {
		lua_pop(L, 1);
		lua_newtable(L);
	}
}

/* dump_writer: lua_dump hands over a dump a few bytes at a time: appended without buf_add's call per piece. */
static int dump_writer(lua_State *L, const void *p, size_t n, void *ud)
{
	struct buf *b = ud;

	(void)L;
	if (n > b->cap - b->len)
		buf_grow(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

static int cmp_read(const struct luabc_read *x, const struct luabc_read *y)
{
	size_t n = x->n < y->n ? x->n : y->n;
	int c;

	if (x->up != y->up)
		return x->up < y->up ? -1 : 1;
	if ((c = memcmp(x->s, y->s, n)) != 0)
		return c;
	return x->n < y->n ? -1 : x->n > y->n;
}

static int cmp_read_q(const void *a, const void *b)
{
	return cmp_read(a, b);
}

/* sort_reads: a function reads a few globals: an insertion sort there, without qsort's allocation. */
static void sort_reads(struct luabc_read *v, size_t n)
{
	if (n > 24) {
		qsort(v, n, sizeof(*v), cmp_read_q);
		return;
	}
	for (size_t i = 1; i < n; i++) {
		struct luabc_read x = v[i];
		size_t j = i;
		for (; j > 0 && cmp_read(&v[j - 1], &x) > 0; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

void luafncode_push(lua_State *L, int codes, int idx, struct luafncode *fc)
{
	struct luabc *bc = &fc->bc;
	lua_Debug ar;

	idx = lua_absindex(L, idx);
	lua_pushvalue(L, idx);
	if (lua_rawget(L, codes) == LUA_TTABLE)
		return;
	lua_pop(L, 1);
	lua_pushvalue(L, idx);
	lua_getinfo(L, ">u", &ar);
	lua_pushvalue(L, idx);
	buf_reset(&fc->dump);
	lua_dump(L, dump_writer, &fc->dump, 1);
	lua_pop(L, 1);
	if ((size_t)ar.nups + 1 > fc->capdyn) {
		fc->capdyn = (size_t)ar.nups + 1;
		bc->dyn = xrealloc(bc->dyn, fc->capdyn);
	}
	luabc_scan(bc, fc->dump.data ? fc->dump.data : "", fc->dump.len, ar.nups);
	sort_reads(bc->reads, bc->nreads);
	lua_createtable(L, ar.nups, 1);
	lua_pushlstring(L, (const char *)&bc->code, sizeof(bc->code));
	lua_setfield(L, -2, "code");
	for (size_t i = 0, end; i < bc->nreads; i = end) {
		int up = bc->reads[i].up, n = 1;
		for (end = i + 1; end < bc->nreads && bc->reads[end].up == up; end++)
			n += cmp_read(&bc->reads[end - 1], &bc->reads[end]) != 0;
		lua_createtable(L, n, 0);
		for (lua_Integer j = 1; i < end; i++)
			if (j == 1 || cmp_read(&bc->reads[i - 1], &bc->reads[i]) != 0) {
				lua_pushlstring(L, bc->reads[i].s, bc->reads[i].n);
				lua_rawseti(L, -2, j++);
			}
		lua_rawseti(L, -2, up + 1);
	}
	for (int i = 0; i < ar.nups; i++) {
		if (bc->dyn[i]) {
			lua_pushboolean(L, 1);
			lua_rawseti(L, -2, i + 1);
		}
	}
	lua_pushvalue(L, idx);
	lua_pushvalue(L, -2);
	lua_rawset(L, codes);
}

void luafncode_release(struct luafncode *fc)
{
	free(fc->bc.reads);
	free(fc->bc.dyn);
	buf_release(&fc->dump);
}
