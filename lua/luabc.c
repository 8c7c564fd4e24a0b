/* luabc: what the bytecode of a Lua 5.4 function reads, from its stripped dump (see luabc.h). The format is
 * ldump.c's: a header, then for each function its source, line numbers, parameters, code, constants, upvalue
 * descriptors, nested functions and debug information; sizes are 7-bit groups, the last one marked. */
#include <lua.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "luabc.h"
#include "util.h"

#if LUA_VERSION_NUM != 504
#error "luabc reads the binary chunks of Lua 5.4"
#endif

/* Lua 5.4's opcodes that name an upvalue, and the tags of the constants in a dump (lopcodes.h, lobject.h) */
enum { OP_GETUPVAL = 9, OP_SETUPVAL = 10, OP_GETTABUP = 11 };
enum { K_NIL = 0x00, K_FALSE = 0x01, K_TRUE = 0x11, K_INT = 0x03, K_FLT = 0x13, K_SHRSTR = 0x04, K_LNGSTR = 0x14 };

struct scan {
	const unsigned char *p, *end, *from; /* from: the first byte not yet hashed */
	int bad;
	struct hasher *h;
	struct luabc *bc;
	int nup;
};

struct kconst {
	int tag;
	const char *s;
	size_t n;
};

static const unsigned char *scan_bytes(struct scan *s, size_t n)
{
	const unsigned char *p = s->p;

	if (s->bad || n > (size_t)(s->end - s->p)) {
		s->bad = 1;
		return NULL;
	}
	s->p += n;
	return p;
}

static size_t scan_size(struct scan *s)
{
	size_t x = 0;

	for (;;) {
		const unsigned char *b = scan_bytes(s, 1);
		if (!b || x > (SIZE_MAX >> 7)) {
			s->bad = 1;
			return 0;
		}
		x = (x << 7) | (*b & 0x7f);
		if (*b & 0x80)
			return x;
	}
}

static const char *scan_string(struct scan *s, size_t *n)
{
	size_t len = scan_size(s);

	*n = 0;
	if (len == 0)
		return NULL;
	*n = len - 1;
	return (const char *)scan_bytes(s, len - 1);
}

/* skip: hash the bytes up to here, and leave out those up to the end of what is read next. */
static void skip_from(struct scan *s)
{
	if (!s->bad && s->p > s->from)
		hasher_add(s->h, s->from, (size_t)(s->p - s->from));
}

static void read_add(struct luabc *bc, int up, const char *str, size_t n)
{
	GROW(bc->reads, bc->nreads, bc->capreads);
	bc->reads[bc->nreads++] = (struct luabc_read){up, str, n};
}

/* scan_code: what the instructions of one function do with the top function's upvalues (map: this function's
 * upvalue i is the top function's map[i], or -1). Reading a global through load, dofile, loadfile or require
 * reaches any global: that upvalue is then read as a whole. */
static void scan_code(struct scan *s, const unsigned char *code, size_t ncode, const struct kconst *k, size_t nk,
                      const int *map, size_t nmap)
{
	static const char *const reach_all[] = {"load", "loadfile", "dofile", "require"};

	for (size_t pc = 0; pc < ncode && !s->bad; pc++) {
		uint32_t ins;
		memcpy(&ins, code + 4 * pc, 4);
		unsigned op = ins & 0x7f, b = (ins >> 16) & 0xff, c = (ins >> 24) & 0xff;
		if (op != OP_GETUPVAL && op != OP_SETUPVAL && op != OP_GETTABUP)
			continue;
		if (b >= nmap) {
			s->bad = 1;
			return;
		}
		int up = map[b];
		if (up < 0)
			continue;
		if (op != OP_GETTABUP || c >= nk || (k[c].tag != K_SHRSTR && k[c].tag != K_LNGSTR)) {
			s->bc->dyn[up] = 1;
			continue;
		}
		read_add(s->bc, up, k[c].s, k[c].n);
		for (size_t i = 0; i < LEN(reach_all); i++)
			if (k[c].n == strlen(reach_all[i]) && memcmp(k[c].s, reach_all[i], k[c].n) == 0)
				s->bc->dyn[up] = 1;
	}
}

static void scan_function(struct scan *s, const int *pmap, size_t npmap, int top, int depth)
{
	const unsigned char *code;
	struct kconst *k = NULL;
	int *map = NULL;
	size_t n, len, ncode, nk, nup;

	if (depth > 250) {
		s->bad = 1;
		return;
	}
	scan_string(s, &n); /* the source: none, stripped */
	skip_from(s);
	scan_size(s); /* linedefined */
	scan_size(s); /* lastlinedefined */
	s->from = s->p;
	scan_bytes(s, 3); /* numparams, is_vararg, maxstacksize */
	ncode = scan_size(s);
	code = scan_bytes(s, ncode > SIZE_MAX / 4 ? SIZE_MAX : 4 * ncode);
	nk = scan_size(s);
	if (!s->bad && nk <= (size_t)(s->end - s->p))
		k = xcalloc(nk ? nk : 1, sizeof(*k));
	else
		s->bad = 1;
	for (size_t i = 0; i < nk && !s->bad; i++) {
		const unsigned char *tag = scan_bytes(s, 1);
		if (!tag)
			break;
		k[i].tag = *tag;
		if (*tag == K_INT || *tag == K_FLT)
			scan_bytes(s, 8);
		else if (*tag == K_SHRSTR || *tag == K_LNGSTR)
			k[i].s = scan_string(s, &k[i].n);
		else if (*tag != K_NIL && *tag != K_FALSE && *tag != K_TRUE)
			s->bad = 1;
	}
	nup = scan_size(s);
	if (top)
		skip_from(s);
	const unsigned char *desc = scan_bytes(s, nup > SIZE_MAX / 3 ? SIZE_MAX : 3 * nup);
	if (top)
		s->from = s->p;
	if (!s->bad) {
		map = xcalloc(nup ? nup : 1, sizeof(*map));
		for (size_t i = 0; i < nup; i++) {
			if (top)
				map[i] = i < (size_t)s->nup ? (int)i : -1;
			else
				map[i] = desc[3 * i] || desc[3 * i + 1] >= npmap ? -1 : pmap[desc[3 * i + 1]];
		}
		scan_code(s, code, ncode, k, nk, map, nup);
	}
	n = scan_size(s); /* nested functions */
	for (size_t i = 0; i < n && !s->bad; i++)
		scan_function(s, map, nup, 0, depth + 1);
	/* debug information: none in a stripped dump, but read it as the format has it */
	scan_bytes(s, scan_size(s));
	n = scan_size(s);
	for (size_t i = 0; i < n && !s->bad; i++)
		scan_size(s), scan_size(s);
	n = scan_size(s);
	for (size_t i = 0; i < n && !s->bad; i++)
		scan_string(s, &len), scan_size(s), scan_size(s);
	n = scan_size(s);
	for (size_t i = 0; i < n && !s->bad; i++)
		scan_string(s, &len);
	free(k);
	free(map);
}

/* scan_dump: read a stripped dump of Lua 5.4 (ldump.c): header, the main function's upvalue count, the function. */
static void scan_dump(struct scan *s)
{
	static const unsigned char head[] = {0x1b, 'L', 'u', 'a', 0x54, 0, 0x19, 0x93, '\r', '\n', 0x1a, '\n', 4,
	                                     sizeof(lua_Integer), sizeof(lua_Number)};
	const unsigned char *h = scan_bytes(s, sizeof(head));

	if (!h || memcmp(h, head, sizeof(head)) != 0) {
		s->bad = 1;
		return;
	}
	scan_bytes(s, sizeof(lua_Integer) + sizeof(lua_Number) + 1); /* LUAC_INT, LUAC_NUM, upvalue count */
	scan_function(s, NULL, 0, 1, 0);
	if (s->p != s->end)
		s->bad = 1;
	skip_from(s);
}

void luabc_scan(struct luabc *bc, const void *dump, size_t n, int nup)
{
	struct scan s = {0};
	struct hasher h;

	s.p = s.from = dump;
	s.end = s.p + n;
	s.bc = bc;
	s.nup = nup;
	bc->nreads = 0;
	if (nup > 0)
		memset(bc->dyn, 0, (size_t)nup);
	hasher_init(&h);
	s.h = &h;
	scan_dump(&s);
	bc->code = hasher_final(&h);
	bc->bad = s.bad;
	if (s.bad) {
		bc->code = hash_bytes(dump, n);
		if (nup > 0)
			memset(bc->dyn, 1, (size_t)nup);
	}
}
