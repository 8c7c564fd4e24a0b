/* luaalloc: the recipe state's allocator (see luaalloc.h).
 *
 * Lua gives the size of every block it frees or resizes (osize), so a small block needs no header: its size says
 * its class. Classes are 16 bytes apart up to SMALL_MAX; a freed small block goes on its class's list and is reused
 * as it is. Slabs are never given back before lua_close: a no-op run lives a few milliseconds and frees most of its
 * objects only when the state closes. */
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "luaalloc.h"

#if defined(__SANITIZE_ADDRESS__)
#define PLAIN_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PLAIN_MALLOC 1
#endif
#endif

#define GRAIN 16
#define SMALL_MAX 512
#define NCLASS (SMALL_MAX / GRAIN)
#define SLAB_SIZE (64 * 1024)

struct slab {
	struct slab *next;
};

struct pool {
	void *free[NCLASS]; /* class c holds blocks of (c + 1) * GRAIN bytes; a free block's first word is the next */
	char *cur, *end;    /* what is left of the newest slab */
	struct slab *slabs;
	int warn_on;        /* lua_warn's output: "@on" and "@off" switch it */
	int warn_cont;      /* inside a warning made of pieces */
};

static size_t class_of(size_t n)
{
	return (n + GRAIN - 1) / GRAIN - 1;
}

static void *small_get(struct pool *p, size_t c)
{
	size_t size = (c + 1) * GRAIN;
	void *b = p->free[c];

	if (b) {
		memcpy(&p->free[c], b, sizeof(void *));
		return b;
	}
	if ((size_t)(p->end - p->cur) < size) {
		/* the rest of the old slab is left unused: at most SMALL_MAX bytes per 64 KiB */
		struct slab *s = malloc(SLAB_SIZE);
		if (!s)
			return NULL;
		s->next = p->slabs;
		p->slabs = s;
		p->cur = (char *)s + GRAIN;
		p->end = (char *)s + SLAB_SIZE;
	}
	b = p->cur;
	p->cur += size;
	return b;
}

static void small_put(struct pool *p, void *b, size_t c)
{
	memcpy(b, &p->free[c], sizeof(void *));
	p->free[c] = b;
}

static void *pool_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct pool *p = ud;
	void *b;

	/* when ptr is NULL, osize is not a size but the kind of object being made */
	if (!ptr)
		return nsize == 0 ? NULL : nsize <= SMALL_MAX ? small_get(p, class_of(nsize)) : malloc(nsize);
	if (nsize == 0) {
		if (osize <= SMALL_MAX)
			small_put(p, ptr, class_of(osize));
		else
			free(ptr);
		return NULL;
	}
	if (osize > SMALL_MAX && nsize > SMALL_MAX)
		return realloc(ptr, nsize);
	if (osize <= SMALL_MAX && nsize <= SMALL_MAX && class_of(osize) == class_of(nsize))
		return ptr;
	b = nsize <= SMALL_MAX ? small_get(p, class_of(nsize)) : malloc(nsize);
	if (!b) {
		/* Lua counts on a block that shrinks staying put: keep the large one, which has room; freed later as a
		 * small block of its new size, it joins that class and stays until the process ends */
		return nsize <= osize ? ptr : NULL;
	}
	memcpy(b, ptr, osize < nsize ? osize : nsize);
	if (osize <= SMALL_MAX)
		small_put(p, ptr, class_of(osize));
	else
		free(ptr);
	return b;
}

static void *plain_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	(void)ud;
	(void)osize;
	if (nsize == 0) {
		free(ptr);
		return NULL;
	}
	return realloc(ptr, nsize);
}

static int panic(lua_State *L)
{
	const char *msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "an error object that is not a string";

	fprintf(stderr, "sindri-build: internal error: unprotected error in a call to Lua (%s)\n", msg);
	fflush(stderr);
	return 0; /* Lua aborts */
}

/* warn: lua_warn's output, as lauxlib's: off until a message "@on", pieces of one message joined by tocont */
static void warn(void *ud, const char *msg, int tocont)
{
	struct pool *p = ud;

	if (!p->warn_cont && *msg == '@') {
		if (strcmp(msg, "@on") == 0)
			p->warn_on = 1;
		else if (strcmp(msg, "@off") == 0)
			p->warn_on = 0;
		return;
	}
	if (p->warn_on) {
		fprintf(stderr, "%s%s%s", p->warn_cont ? "" : "Lua warning: ", msg, tocont ? "" : "\n");
		fflush(stderr);
	}
	p->warn_cont = tocont;
}

lua_State *luaalloc_newstate(void)
{
	struct pool *p = calloc(1, sizeof(*p));
	lua_State *L;

	if (!p)
		return NULL;
#ifdef PLAIN_MALLOC
	(void)pool_alloc;
	L = lua_newstate(plain_alloc, p);
#else
	(void)plain_alloc;
	L = lua_newstate(pool_alloc, p);
#endif
	if (!L) {
		free(p);
		return NULL;
	}
	lua_atpanic(L, panic);
	lua_setwarnf(L, warn, p);
	return L;
}

void luaalloc_close(lua_State *L)
{
	void *ud;
	struct pool *p;

	if (!L)
		return;
	lua_getallocf(L, &ud);
	lua_close(L);
	p = ud;
	while (p->slabs) {
		struct slab *s = p->slabs;
		p->slabs = s->next;
		free(s);
	}
	free(p);
}
