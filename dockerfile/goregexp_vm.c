/* goregexp_vm: the search of a compiled Go regular expression, a Pike VM: every thread at once, no backtracking. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "goregexp.h"
#include "goregexp_prog.h"
#include "utf8.h"
#include "util.h"

static int is_word(long r)
{
	return r >= 0 && r < 0x80 && (isalnum((int)r) || r == '_');
}

static int cls_has(const struct cls *c, unsigned long r)
{
	size_t i;

	for (i = 0; i < c->n; i += 2)
		if (c->r[i] <= r && r <= c->r[i + 1])
			return 1;
	return 0;
}

struct threads {
	int *pc;
	size_t n;
	unsigned *mark; /* generation per pc */
};

/* add: pc and what it reaches without reading, at a point between prev and next (-1: the text's end). */
static int add(const struct goregexp *re, struct threads *t, unsigned gen, int *stack, int pc, long prev,
               long next)
{
	size_t sp = 0;

	stack[sp++] = pc;
	while (sp) {
		const struct inst *in;
		int ok;

		pc = stack[--sp];
		if (t->mark[pc] == gen)
			continue;
		t->mark[pc] = gen;
		in = &re->prog[pc];
		switch (in->op) {
		case I_MATCH:
			return 1;
		case I_JMP:
			stack[sp++] = in->x;
			break;
		case I_SPLIT:
			stack[sp++] = in->y;
			stack[sp++] = in->x;
			break;
		case I_EMPTY:
			ok = in->kind == E_BEGIN ? prev < 0 : in->kind == E_END ? next < 0
			     : (is_word(prev) != is_word(next)) == (in->kind == E_WORDB);
			if (ok)
				stack[sp++] = pc + 1;
			break;
		default:
			t->pc[t->n++] = pc;
		}
	}
	return 0;
}

int goregexp_match(const struct goregexp *re, const char *s)
{
	size_t n = strlen(s), pos = 0, w = 0, i, np = re->nprog;
	struct threads a, b, *cur = &a, *nxt = &b, *tmp;
	int *stack = xcalloc(np * 2 + 2, sizeof(*stack)), found = 0;
	unsigned gen = 1;
	long prev = -1, r;

	a.pc = xcalloc(np, sizeof(int)), b.pc = xcalloc(np, sizeof(int));
	a.mark = xcalloc(np, sizeof(unsigned)), b.mark = xcalloc(np, sizeof(unsigned));
	a.n = b.n = 0;
	r = n ? (long)utf8_decode(s, n, &w) : -1;
	for (;;) {
		/* unanchored: a new thread starts at every position */
		if (add(re, cur, gen, stack, 0, prev, r)) {
			found = 1;
			break;
		}
		if (pos >= n)
			break;
		{
			size_t w2 = 0;
			long r2 = pos + w < n ? (long)utf8_decode(s + pos + w, n - pos - w, &w2) : -1;
			gen++;
			nxt->n = 0;
			for (i = 0; i < cur->n && !found; i++) {
				const struct inst *in = &re->prog[cur->pc[i]];
				int hit = in->op == I_ANYNL ? r != '\n' : cls_has(&re->cls[in->cls], (unsigned long)r);
				if (hit && add(re, nxt, gen, stack, cur->pc[i] + 1, r, r2))
					found = 1;
			}
			if (found)
				break;
			pos += w;
			prev = r, r = r2, w = w2;
			tmp = cur, cur = nxt, nxt = tmp;
			/* cur's marks are from this generation: new starts added to it share them */
		}
	}
	free(stack);
	free(a.pc), free(b.pc), free(a.mark), free(b.mark);
	return found;
}
