/* luakey: walking a Lua function and every value it can read into key parts (see luakey.h).
 *
 * The walk writes one byte stream per part, each value as a tag and its contents; a table or function met before
 * in the same walk (all parts of one task share it) is written as the number it got when first met, so shared and
 * cyclic values cost one visit and aliasing is part of the key. Which globals a function reads comes from its
 * bytecode (lua_dump's format, stable within Lua 5.4): GETTABUP on an upvalue holding the global table with a
 * constant name is a read of that global; any other use of such an upvalue keys the whole global table.
 *
 * The walk runs on every no-op, once per task with Lua functions, so it creates no Lua value per node: the values
 * met are told apart by address (lua_topointer, lua_upvalueid) in a C table, and a table's pairs stay on the Lua
 * stack while they are sorted and walked. An address names one value only while that value lives, so the
 * collector is stopped for the walk: nothing the walk met can be freed and its address reused. A collection can
 * still run when an allocation fails (Lua's emergency collection, which ignores the stop, and which may clear weak
 * tables): a weak sentinel shows it, and the walk then fails instead of giving a key. */
#include <lauxlib.h>
#include <lua.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addrmap.h"
#include "hash.h"
#include "key.h"
#include "luafncode.h"
#include "luakey.h"
#include "luaknown.h"
#include "util.h"

#define SENTINEL "sindri-build.gcsentinel" /* [1] = a table only this weak table holds: gone after a collection */
#define GMT "sindri-build.gmt"       /* the global table's metatable as the recipe API set it */
#define GINDEX "sindri-build.gindex" /* ... and its __index */
#define API "sindri-build.api"       /* the recipe API table (lua/recipe.c) */
#define UNKEYED "sindri-build.unkeyed" /* the API's `unkeyed` table: a run's scratch state, which no key covers */
#define MAX_DEPTH 1000

/* One step of the path from a part's root to the value being walked, to say where an unkeyable value is. */
enum { SEG_UPVAL, SEG_GLOBAL, SEG_FIELD, SEG_INDEX, SEG_KEY, SEG_OFKEY, SEG_META, SEG_FN };
struct seg {
	int kind;
	const char *s; /* a name or a string key (kept alive on the Lua stack while the step is on the path) */
	size_t n;
	lua_Integer i; /* an integer key, or for SEG_FN the function's stack index */
};

/* A key of a table being walked, ordered by type, then value (a table or function key: by its shape). */
struct slot {
	int rank; /* 0 boolean, 1 integer, 2 float, 3 string, 4 another type */
	lua_Integer i;
	lua_Number f;
	const char *s;
	size_t n;
	struct hash128 shape;
	int pos; /* the key's stack index; its value is just above */
};

struct walk {
	lua_State *L;
	struct hasher *h;
	unsigned char out[512]; /* bytes not yet given to h */
	size_t nout;
	struct addrmap *seen, main, side; /* side: for a key's shape, walked on its own */
	lua_Integer nseen;
	const struct luaknown *known;
	int code, genv, api, unkeyed; /* absolute stack indices */
	int genv_ok; /* the global table's metatable is the API's: a global read by name is keyed by name */
	int depth;
	struct slot *slots;
	size_t nslots, capslots;
	struct seg *segs;
	size_t nsegs, capsegs;
	struct luafncode fc;
	struct hasher **live; /* hashers in use, freed by luakey_parts if a Lua error ends the walk */
	size_t nlive, caplive;
	int quiet; /* > 0: walking a key's shape, whose unkeyable values the main walk reports */
	int bad;
	struct buf *why;
	struct keyparts *kp;
	int n;
	const char *const *roles;
	const char *role; /* of the function being walked */
};

static void flush(struct walk *w)
{
	if (w->nout)
		hasher_add(w->h, w->out, w->nout);
	w->nout = 0;
}

static void put_slow(struct walk *w, const void *p, size_t n)
{
	flush(w);
	if (n >= sizeof(w->out))
		hasher_add(w->h, p, n);
	else {
		memcpy(w->out, p, n);
		w->nout = n;
	}
}

/* put: a value is a few bytes at a time: they gather in w->out and go to the hasher in blocks. */
static inline void put(struct walk *w, const void *p, size_t n)
{
	if (n > sizeof(w->out) - w->nout) {
		put_slow(w, p, n);
		return;
	}
	memcpy(w->out + w->nout, p, n);
	w->nout += n;
}

static inline void put_tag(struct walk *w, char c)
{
	if (w->nout == sizeof(w->out))
		flush(w);
	w->out[w->nout++] = (unsigned char)c;
}

/* put_u64: little-endian, on every host */
static inline void put_u64(struct walk *w, uint64_t v)
{
	unsigned char b[8];

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(b, &v, 8);
#else
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
#endif
	put(w, b, 8);
}

static inline void put_str(struct walk *w, const char *s, size_t n)
{
	put_u64(w, n);
	put(w, s, n);
}

/* hasher_push / hasher_pop: start hashing into a new hasher, and end it; the previous one continues. */
static struct hasher *hasher_push(struct walk *w)
{
	struct hasher *h = xmalloc(sizeof(*h));

	flush(w);
	hasher_init(h);
	GROW(w->live, w->nlive, w->caplive);
	w->live[w->nlive++] = h;
	w->h = h;
	return h;
}

static struct hash128 hasher_pop(struct walk *w)
{
	struct hasher *h = w->live[--w->nlive];
	struct hash128 d;

	flush(w);
	d = hasher_final(h);
	free(h);
	w->h = w->nlive ? w->live[w->nlive - 1] : NULL;
	return d;
}

static void seg_push(struct walk *w, int kind, const char *s, size_t n, lua_Integer i)
{
	GROW(w->segs, w->nsegs, w->capsegs);
	w->segs[w->nsegs++] = (struct seg){kind, s, n, i};
}

static void seg_pop(struct walk *w)
{
	w->nsegs--;
}

static void add_name(struct buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n && i < 60; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\')
			buf_addc(b, (char)c);
		else
			buf_addf(b, "\\x%02x", c);
	}
	if (n > 60)
		buf_adds(b, "...");
}

/* unkeyable: the value at idx cannot be keyed; the first one met is said in why, with the path to it. */
static void unkeyable(struct walk *w, int idx, const char *what)
{
	lua_State *L = w->L;
	struct buf *b = w->why;

	put_tag(w, 'x');
	if (w->quiet || w->bad++)
		return;
	for (size_t i = 0; i < w->nsegs; i++) {
		const struct seg *s = &w->segs[i];
		lua_Debug ar;
		switch (s->kind) {
		case SEG_FN:
			lua_pushvalue(L, (int)s->i);
			lua_getinfo(L, ">S", &ar);
			if (i == 0)
				buf_addf(b, "its %s function (%s:%d) reads a value that cannot be keyed:", w->role,
				         ar.short_src, ar.linedefined);
			else
				buf_addf(b, ", a function (%s:%d) whose", ar.short_src, ar.linedefined);
			break;
		case SEG_UPVAL:
		case SEG_GLOBAL:
			buf_addf(b, "%s%s '", b->len ? " " : "", s->kind == SEG_UPVAL ? "upvalue" : "global");
			add_name(b, s->s, s->n);
			buf_addc(b, '\'');
			break;
		case SEG_FIELD:
			buf_adds(b, "['");
			add_name(b, s->s, s->n);
			buf_adds(b, "']");
			break;
		case SEG_INDEX:
			buf_addf(b, "[%lld]", (long long)s->i);
			break;
		case SEG_KEY:
			buf_adds(b, "[...]");
			break;
		case SEG_OFKEY:
			buf_adds(b, " (a key)");
			break;
		case SEG_META:
			buf_adds(b, " (its metatable)");
			break;
		}
	}
	buf_addf(b, "%sis %s", b->len ? " " : "", what);
	if (lua_type(L, idx) == LUA_TUSERDATA && luaL_getmetafield(L, idx, "__name") == LUA_TSTRING) {
		buf_addf(b, " (%s)", lua_tostring(L, -1));
		lua_pop(L, 1);
	}
}

static void walk_value(struct walk *w, int idx);

/* global_value: push the value a read of the global named at idx finds: the global table's, else the API's. */
static void global_value(struct walk *w, int idx)
{
	lua_State *L = w->L;

	lua_pushvalue(L, idx);
	if (lua_rawget(L, w->genv) == LUA_TNIL) {
		lua_pop(L, 1);
		lua_pushvalue(L, idx);
		lua_rawget(L, w->api);
	}
}

static void part_end(struct walk *w, const char *role, const char *what, const char *name, size_t n);

/* walk_upvalue: upvalue i of the function at fn (its value on top; info: luafncode_push's table). An upvalue holding the
 * global table that is only read by name is keyed by those names and their values; any other by its cell (two
 * closures may share one) and its value. For a task's function (role set), each is a key part of its own. */
static void walk_upvalue(struct walk *w, int fn, int i, const char *name, int info, const char *role)
{
	lua_State *L = w->L;
	int v = lua_gettop(L);

	lua_rawgeti(L, info, i);
	if (lua_istable(L, -1) && w->genv_ok && lua_rawequal(L, v, w->genv)) {
		int names = lua_gettop(L);
		lua_Integer n = (lua_Integer)lua_rawlen(L, names);
		if (!role) {
			put_tag(w, 'g');
			put_u64(w, (uint64_t)n);
		}
		for (lua_Integer j = 1; j <= n; j++) {
			size_t len;
			lua_rawgeti(L, names, j);
			const char *s = lua_tolstring(L, -1, &len);
			if (role)
				hasher_push(w);
			put_str(w, s, len);
			global_value(w, -1);
			seg_push(w, SEG_GLOBAL, s, len, 0);
			walk_value(w, -1);
			seg_pop(w);
			if (role)
				part_end(w, role, "global", s, len);
			lua_pop(L, 2);
		}
	} else {
		if (role) {
			hasher_push(w);
			put_u64(w, (uint64_t)i);
		}
		const void *cell = lua_upvalueid(L, fn, i);
		lua_Integer r = addrmap_get(w->seen, cell);
		if (r) {
			put_tag(w, 'r');
			put_u64(w, (uint64_t)r);
		} else {
			addrmap_put(w->seen, cell, ++w->nseen);
			put_tag(w, 'u');
			seg_push(w, SEG_UPVAL, name, strlen(name), 0);
			walk_value(w, v);
			seg_pop(w);
		}
		if (role)
			part_end(w, role, "upvalue", name, strlen(name));
	}
	lua_pop(L, 1);
}

static void walk_function(struct walk *w, int idx)
{
	lua_State *L = w->L;
	const char *name;
	int info;

	luafncode_push(L, w->code, idx, &w->fc);
	info = lua_gettop(L);
	lua_getfield(L, info, "code");
	put_tag(w, 'l');
	put(w, lua_tostring(L, -1), sizeof(struct hash128));
	lua_pop(L, 1);
	seg_push(w, SEG_FN, NULL, 0, idx);
	for (int i = 1; (name = lua_getupvalue(L, idx, i)); i++) {
		walk_upvalue(w, idx, i, name, info, NULL);
		lua_pop(L, 1);
	}
	put_tag(w, 'e');
	seg_pop(w);
	lua_pop(L, 1);
}

static int cmp_slot(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	switch (x->rank) {
	case 0:
	case 1:
		return x->i < y->i ? -1 : x->i > y->i;
	case 2:
		return x->f < y->f ? -1 : x->f > y->f;
	case 3: {
		size_t n = x->n < y->n ? x->n : y->n;
		int c = memcmp(x->s, y->s, n);
		return c ? c : x->n < y->n ? -1 : x->n > y->n;
	}
	default:
		if (x->shape.hi != y->shape.hi)
			return x->shape.hi < y->shape.hi ? -1 : 1;
		return x->shape.lo < y->shape.lo ? -1 : x->shape.lo > y->shape.lo;
	}
}

/* sort_slots: most tables are small: an insertion sort there, without qsort's allocation */
static void sort_slots(struct slot *v, size_t n)
{
	if (n > 24) {
		qsort(v, n, sizeof(*v), cmp_slot);
		return;
	}
	for (size_t i = 1; i < n; i++) {
		struct slot x = v[i];
		size_t j = i;
		for (; j > 0 && cmp_slot(&v[j - 1], &x) > 0; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

/* shape: the digest of the value at idx walked on its own (no reference to what the main walk met), to order
 * keys that are tables or functions independently of where they are in memory. Keys met while a shape is walked
 * are ordered within that walk: a table that is a key of itself is then met again, not walked anew. */
static struct hash128 shape(struct walk *w, int idx)
{
	struct addrmap *seen = w->seen;
	lua_Integer nseen = w->nseen;

	hasher_push(w);
	if (w->quiet) {
		walk_value(w, idx);
		return hasher_pop(w);
	}
	addrmap_clear(&w->side);
	w->seen = &w->side;
	w->nseen = 0;
	w->quiet++;
	walk_value(w, idx);
	w->quiet--;
	w->seen = seen;
	w->nseen = nseen;
	return hasher_pop(w);
}

/* walk_table: the table at idx: its metatable, then its pairs ordered by key. The pairs stay on the stack (so a
 * string key's bytes stay valid) while they are sorted and walked. */
static void walk_table(struct walk *w, int idx)
{
	lua_State *L = w->L;
	size_t base = w->nslots, n;
	int top = lua_gettop(L);

	put_tag(w, 't');
	if (lua_getmetatable(L, idx)) {
		seg_push(w, SEG_META, NULL, 0, 0);
		walk_value(w, -1);
		seg_pop(w);
		lua_pop(L, 1);
	} else {
		put_tag(w, 'n');
	}
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		struct slot *s;
		if (!lua_checkstack(L, 3)) {
			lua_settop(L, top);
			w->nslots = base;
			unkeyable(w, idx, "a table with more pairs than the walk can hold (about half a million)");
			return;
		}
		GROW(w->slots, w->nslots, w->capslots);
		s = &w->slots[w->nslots++];
		s->pos = lua_gettop(L) - 1;
		switch (lua_type(L, -2)) {
		case LUA_TBOOLEAN:
			s->rank = 0;
			s->i = lua_toboolean(L, -2);
			break;
		case LUA_TNUMBER:
			if (lua_isinteger(L, -2)) {
				s->rank = 1;
				s->i = lua_tointeger(L, -2);
			} else {
				s->rank = 2;
				s->f = lua_tonumber(L, -2);
			}
			break;
		case LUA_TSTRING:
			s->rank = 3;
			s->s = lua_tolstring(L, -2, &s->n);
			break;
		default:
			s->rank = 4;
			break;
		}
		lua_pushvalue(L, -2); /* the key again, for lua_next */
	}
	n = w->nslots - base;
	for (size_t j = 0; j < n; j++)
		if (w->slots[base + j].rank == 4)
			w->slots[base + j].shape = shape(w, w->slots[base + j].pos);
	sort_slots(w->slots + base, n);
	put_u64(w, n);
	for (size_t j = 0; j < n; j++) {
		struct slot s = w->slots[base + j]; /* a copy: walking the value may move the array */
		switch (s.rank) {
		case 0:
			put_tag(w, s.i ? '1' : '0');
			seg_push(w, SEG_KEY, NULL, 0, 0);
			break;
		case 1:
			put_tag(w, 'i');
			put_u64(w, (uint64_t)s.i);
			seg_push(w, SEG_INDEX, NULL, 0, s.i);
			break;
		case 2: {
			uint64_t bits;
			memcpy(&bits, &s.f, sizeof(bits));
			put_tag(w, 'f');
			put_u64(w, bits);
			seg_push(w, SEG_KEY, NULL, 0, 0);
			break;
		}
		case 3:
			put_tag(w, 's');
			put_str(w, s.s, s.n);
			seg_push(w, SEG_FIELD, s.s, s.n, 0);
			break;
		default:
			seg_push(w, SEG_OFKEY, NULL, 0, 0);
			walk_value(w, s.pos);
			seg_pop(w);
			seg_push(w, SEG_KEY, NULL, 0, 0);
			break;
		}
		walk_value(w, s.pos + 1);
		seg_pop(w);
	}
	lua_settop(L, top);
	w->nslots = base;
}

static void walk_value(struct walk *w, int idx)
{
	lua_State *L = w->L;
	int t = lua_type(L, idx);
	lua_Integer name;
	size_t n;

	idx = lua_absindex(L, idx);
	switch (t) {
	case LUA_TNIL:
		put_tag(w, 'n');
		return;
	case LUA_TBOOLEAN:
		put_tag(w, lua_toboolean(L, idx) ? '1' : '0');
		return;
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx)) {
			put_tag(w, 'i');
			put_u64(w, (uint64_t)lua_tointeger(L, idx));
		} else {
			lua_Number f = lua_tonumber(L, idx);
			uint64_t bits;
			memcpy(&bits, &f, sizeof(bits));
			put_tag(w, 'f');
			put_u64(w, bits);
		}
		return;
	case LUA_TSTRING: {
		const char *s = lua_tolstring(L, idx, &n);
		put_tag(w, 's');
		put_str(w, s, n);
		return;
	}
	}
	if (w->depth >= MAX_DEPTH) {
		unkeyable(w, idx, "nested more than 1000 levels deep");
		return;
	}
	if (!lua_checkstack(L, 16)) {
		unkeyable(w, idx, "in tables with more pairs than the walk can hold (about half a million)");
		return;
	}
	if (t == LUA_TTABLE && lua_rawequal(L, idx, w->unkeyed)) {
		put_tag(w, 'z'); /* its contents are a run's scratch state, never part of a key (docs/recipes.md) */
		return;
	}
	const void *p = lua_topointer(L, idx);
	if (t == LUA_TTABLE || t == LUA_TFUNCTION) {
		lua_Integer r = addrmap_get(w->seen, p);
		if (r) {
			put_tag(w, 'r');
			put_u64(w, (uint64_t)r);
			return;
		}
	}
	if (luaknown_name(L, w->known, idx, &name)) {
		/* a value of Lua's libraries or of the API: its name; a userdata's methods are in its metatable */
		put_tag(w, 'k');
		put_u64(w, (uint64_t)name);
		if (t == LUA_TTABLE)
			addrmap_put(w->seen, p, ++w->nseen);
		if (t == LUA_TUSERDATA && lua_getmetatable(L, idx)) {
			seg_push(w, SEG_META, NULL, 0, 0);
			walk_value(w, -1);
			seg_pop(w);
			lua_pop(L, 1);
		}
		return;
	}
	if (t == LUA_TUSERDATA || t == LUA_TLIGHTUSERDATA) {
		unkeyable(w, idx, t == LUA_TUSERDATA ? "a userdata" : "a light userdata");
		return;
	}
	if (t == LUA_TTHREAD) {
		unkeyable(w, idx, "a coroutine");
		return;
	}
	if (t == LUA_TFUNCTION && lua_iscfunction(L, idx)) {
		unkeyable(w, idx, "a C function that is neither Lua's nor part of sindri-build's API");
		return;
	}
	addrmap_put(w->seen, p, ++w->nseen);
	w->depth++;
	if (t == LUA_TTABLE)
		walk_table(w, idx);
	else
		walk_function(w, idx);
	w->depth--;
}

/* part_end: the part just hashed is "<role> function: <what>" or "<role> function: <what> 'name'". */
static void part_end(struct walk *w, const char *role, const char *what, const char *name, size_t n)
{
	struct hash128 d = hasher_pop(w);
	struct buf b = BUF_INIT;

	buf_addf(&b, "%s function: %s", role, what);
	if (name) {
		buf_adds(&b, " '");
		add_name(&b, name, n);
		buf_addc(&b, '\'');
	}
	keyparts_add(w->kp, b.data, &d, NULL);
	buf_release(&b);
}

/* walk_top: a task's function: its code (and the string methods, which any method call on a string reads) as one
 * part, then each upvalue, and each global read through an upvalue holding the global table, as a part. */
static void walk_top(struct walk *w, int fn, const char *role)
{
	lua_State *L = w->L;
	const char *name;
	int info;

	w->role = role;
	hasher_push(w);
	if (lua_iscfunction(L, fn)) {
		seg_push(w, SEG_FN, NULL, 0, fn);
		walk_value(w, fn);
		seg_pop(w);
		part_end(w, role, "code", NULL, 0);
		return;
	}
	addrmap_put(w->seen, lua_topointer(L, fn), ++w->nseen);
	luafncode_push(L, w->code, fn, &w->fc);
	info = lua_gettop(L);
	lua_getfield(L, info, "code");
	put_tag(w, 'l');
	put(w, lua_tostring(L, -1), sizeof(struct hash128));
	put_tag(w, w->genv_ok ? 'p' : 'd');
	lua_pushliteral(L, "");
	if (lua_getmetatable(L, -1)) {
		walk_value(w, -1);
		lua_pop(L, 1);
	}
	lua_pop(L, 2);
	part_end(w, role, "code", NULL, 0);
	seg_push(w, SEG_FN, NULL, 0, fn);
	for (int i = 1; (name = lua_getupvalue(L, fn, i)); i++) {
		walk_upvalue(w, fn, i, name, info, role);
		lua_pop(L, 1);
	}
	seg_pop(w);
	lua_pop(L, 1);
}

/* genv_pristine: the global table's metatable is still the one the API set, so that reading a global by name
 * finds the global table's value, else the API's (lua/recipe.c's g_index). */
static int genv_pristine(struct walk *w)
{
	lua_State *L = w->L;
	int ok = 0;

	if (!lua_getmetatable(L, w->genv))
		return 0;
	lua_getfield(L, LUA_REGISTRYINDEX, GMT);
	if (lua_rawequal(L, -1, -2)) {
		lua_pushliteral(L, "__index");
		lua_rawget(L, -3);
		lua_getfield(L, LUA_REGISTRYINDEX, GINDEX);
		ok = lua_rawequal(L, -1, -2) && lua_type(L, w->api) == LUA_TTABLE;
		lua_pop(L, 2);
	}
	lua_pop(L, 2);
	return ok;
}

static int keyfn(lua_State *L)
{
	struct walk *w = lua_touserdata(L, 1);
	int sentinel;

	/* the sentinel: a table that only a weak table holds, which any collection during the walk takes away */
	if (lua_getfield(L, LUA_REGISTRYINDEX, SENTINEL) != LUA_TTABLE)
		return luaL_error(L, "the Lua state was not made ready for keying (luakey_open)");
	sentinel = lua_gettop(L);
	if (lua_rawgeti(L, sentinel, 1) != LUA_TTABLE) {
		lua_newtable(L);
		lua_rawseti(L, sentinel, 1);
	}
	lua_pop(L, 1);
	w->known = luaknown_get(L);
	luafncode_table(L);
	w->code = lua_gettop(L);
	lua_pushglobaltable(L);
	w->genv = lua_gettop(L);
	lua_getfield(L, LUA_REGISTRYINDEX, API);
	w->api = lua_gettop(L);
	lua_getfield(L, LUA_REGISTRYINDEX, UNKEYED);
	w->unkeyed = lua_gettop(L);
	w->genv_ok = genv_pristine(w);
	w->seen = &w->main;
	for (int i = 0; i < w->n; i++)
		walk_top(w, 2 + i, w->roles[i]);
	if (lua_rawgeti(L, sentinel, 1) != LUA_TTABLE)
		return luaL_error(L, "memory ran short while the values it reads were walked; run again with more memory");
	return 0;
}

int luakey_parts(lua_State *L, int n, const char *const *roles, struct keyparts *kp, struct buf *why)
{
	struct walk *w = xcalloc(1, sizeof(*w));
	int rc, bad, gc;

	w->L = L;
	w->kp = kp;
	w->why = why;
	w->n = n;
	w->roles = roles;
	lua_pushcfunction(L, keyfn);
	lua_insert(L, -(n + 1));
	lua_pushlightuserdata(L, w);
	lua_insert(L, -(n + 1));
	/* no collection while the walk runs: the addresses of the values it met stay theirs (see the top) */
	gc = lua_gc(L, LUA_GCISRUNNING) == 1;
	lua_gc(L, LUA_GCSTOP);
	rc = lua_pcall(L, n + 1, 0, 0);
	if (gc)
		lua_gc(L, LUA_GCRESTART);
	while (w->nlive)
		hasher_pop(w);
	bad = w->bad;
	free(w->slots);
	free(w->segs);
	free(w->live);
	addrmap_release(&w->main);
	addrmap_release(&w->side);
	luafncode_release(&w->fc);
	free(w);
	if (rc != LUA_OK) {
		error("cannot key a Lua function: %s", lua_tostring(L, -1));
		lua_pop(L, 1);
		return -1;
	}
	return bad ? 1 : 0;
}

void luakey_open(lua_State *L, int api)
{
	luaknown_open(L, api);
	/* the global table's metatable and its __index, to tell whether a recipe replaced them */
	lua_pushglobaltable(L);
	if (lua_getmetatable(L, -1)) {
		lua_pushliteral(L, "__index");
		lua_rawget(L, -2);
		lua_setfield(L, LUA_REGISTRYINDEX, GINDEX);
		lua_setfield(L, LUA_REGISTRYINDEX, GMT);
	}
	lua_pop(L, 1);
	luafncode_open(L);
	lua_newtable(L);
	lua_createtable(L, 0, 1);
	lua_pushliteral(L, "v");
	lua_setfield(L, -2, "__mode");
	lua_setmetatable(L, -2);
	lua_setfield(L, LUA_REGISTRYINDEX, SENTINEL);
}
