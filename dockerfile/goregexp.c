/*
 * goregexp: a parser that accepts and refuses what Go's regexp/syntax does with the Perl flags of regexp.Compile
 * (so '^' and '$' are the text's ends, '.' is any character but a newline, a negated class matches a newline too),
 * a compiler to a small program, and a Thompson-NFA (Pike VM) search that needs no backtracking.
 */
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

#define MAX_RUNE 0x10ffffUL
#define MAX_REPEAT 1000     /* Go's limit for {n,m} and for nested repeats multiplied */
#define MAX_DEPTH 1000      /* Go (1.19.2 and later): "expression nests too deeply" */
#define MAX_PROG (1UL << 20) /* instructions; Go's own limit ("expression too large") is a few times higher */

enum { N_CLASS, N_ANYNL, N_EMPTY, N_CAT, N_ALT, N_REP };

struct node {
	int op, kind, min, max; /* kind: N_EMPTY's assertion; min, max: N_REP's counts (max -1: no limit) */
	size_t cls;
	struct node **sub;
	size_t nsub, capsub;
};

struct parser {
	const char *s;
	size_t i, n;
	int depth;
	struct goregexp *re;
	struct buf *why;
};

static struct node *new_node(int op)
{
	struct node *nd = xcalloc(1, sizeof(*nd));

	nd->op = op;
	return nd;
}

static void free_node(struct node *nd)
{
	size_t i;

	if (!nd)
		return;
	for (i = 0; i < nd->nsub; i++)
		free_node(nd->sub[i]);
	free(nd->sub);
	free(nd);
}

static void add_sub(struct node *nd, struct node *sub)
{
	GROW(nd->sub, nd->nsub, nd->capsub);
	nd->sub[nd->nsub++] = sub;
}

static void cls_add(struct cls *c, unsigned long lo, unsigned long hi)
{
	GROW(c->r, c->n + 1, c->cap); /* room for two */
	c->r[c->n++] = lo;
	c->r[c->n++] = hi;
}

static int cmp_range(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/* cls_negate: the complement of c's ranges within 0..MAX_RUNE. */
static void cls_negate(struct cls *c)
{
	struct cls out = {NULL, 0, 0};
	unsigned long next = 0;
	size_t i;

	qsort(c->r, c->n / 2, 2 * sizeof(*c->r), cmp_range);
	for (i = 0; i < c->n; i += 2) {
		if (c->r[i] > next)
			cls_add(&out, next, c->r[i] - 1);
		if (c->r[i + 1] + 1 > next)
			next = c->r[i + 1] + 1;
	}
	if (next <= MAX_RUNE)
		cls_add(&out, next, MAX_RUNE);
	free(c->r);
	*c = out;
	if (!c->r)
		cls_add(c, 1, 0); /* matches nothing */
}

/* add_table: add the ranges of a "lo-hi lo-hi" table of ASCII bytes (negated: their complement) to c. */
static void add_table(struct cls *c, const char *tab, int neg)
{
	struct cls t = {NULL, 0, 0};
	size_t i;

	for (i = 0; tab[i]; i += 2)
		cls_add(&t, (unsigned char)tab[i], (unsigned char)tab[i + 1]);
	if (neg)
		cls_negate(&t);
	for (i = 0; i < t.n; i += 2)
		cls_add(c, t.r[i], t.r[i + 1]);
	free(t.r);
}

static const char *perl_table(char c)
{
	switch (c | 0x20) {
	case 'd': return "09";
	case 's': return "\t\n\f\r  ";
	case 'w': return "09AZ__az";
	}
	return NULL;
}

static const char *const posix[][2] = {
	{"alnum", "09AZaz"}, {"alpha", "AZaz"}, {"ascii", "\001\177"}, {"blank", "\t\t  "},
	{"cntrl", "\001\037\177\177"}, {"digit", "09"}, {"graph", "!~"}, {"lower", "az"}, {"print", " ~"},
	{"punct", "!/:@[`{~"}, {"space", "\t\r  "}, {"upper", "AZ"}, {"word", "09AZ__az"}, {"xdigit", "09AFaf"},
};

static int fail(struct parser *p, const char *what, size_t from)
{
	buf_addf(p->why, "%s: `%.*s`", what, (int)(p->i - from), p->s + from);
	return -1;
}

static size_t new_class(struct parser *p)
{
	struct goregexp *re = p->re;

	GROW(re->cls, re->ncls, re->capcls);
	memset(&re->cls[re->ncls], 0, sizeof(*re->cls));
	return re->ncls++;
}

static unsigned long next_rune(struct parser *p)
{
	size_t w;
	unsigned long r = utf8_decode(p->s + p->i, p->n - p->i, &w);

	p->i += w;
	return r;
}

/* escape_char: p->i is past a '\\'; the character an escape stands for (Go's parseEscape), or -1. */
static long escape_char(struct parser *p, size_t from)
{
	unsigned long r;
	int k;
	char c;

	if (p->i >= p->n) {
		buf_adds(p->why, "trailing backslash at end of expression");
		return -1;
	}
	c = p->s[p->i];
	if (c >= '1' && c <= '7' && !(p->i + 1 < p->n && p->s[p->i + 1] >= '0' && p->s[p->i + 1] <= '7')) {
		p->i++;
		return fail(p, "invalid escape sequence", from);
	}
	if (c >= '0' && c <= '7') {
		r = (unsigned long)(c - '0');
		for (p->i++, k = 1; k < 3 && p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '7'; k++)
			r = r * 8 + (unsigned long)(p->s[p->i++] - '0');
		return (long)r;
	}
	if (c == 'x') {
		p->i++;
		r = 0;
		if (p->i < p->n && p->s[p->i] == '{') {
			for (p->i++, k = 0; p->i < p->n && isxdigit((unsigned char)p->s[p->i]); p->i++, k++) {
				r = r * 16 + (unsigned long)(isdigit((unsigned char)p->s[p->i]) ? p->s[p->i] - '0'
				                                              : (p->s[p->i] | 0x20) - 'a' + 10);
				if (r > MAX_RUNE)
					break;
			}
			if (!k || r > MAX_RUNE || p->i >= p->n || p->s[p->i] != '}')
				return fail(p, "invalid escape sequence", from);
			p->i++;
			return (long)r;
		}
		for (k = 0; k < 2; k++, p->i++) {
			if (p->i >= p->n || !isxdigit((unsigned char)p->s[p->i]))
				return fail(p, "invalid escape sequence", from);
			r = r * 16 + (unsigned long)(isdigit((unsigned char)p->s[p->i]) ? p->s[p->i] - '0'
			                                              : (p->s[p->i] | 0x20) - 'a' + 10);
		}
		return (long)r;
	}
	p->i++;
	switch (c) {
	case 'a': return 7;
	case 'f': return '\f';
	case 'n': return '\n';
	case 'r': return '\r';
	case 't': return '\t';
	case 'v': return '\v';
	}
	if ((unsigned char)c < 0x80 && !isalnum((unsigned char)c))
		return (unsigned char)c;
	return fail(p, "invalid escape sequence", from);
}

/* unicode_class: \p and \P are Go's Unicode tables, which are not here: refuse rather than guess. */
static int unicode_class(struct parser *p)
{
	if (p->i + 1 < p->n && p->s[p->i] == '\\' && (p->s[p->i + 1] == 'p' || p->s[p->i + 1] == 'P')) {
		buf_adds(p->why, "Unicode classes (\\p, \\P) are not supported by sindri-build");
		return -1;
	}
	return 0;
}

/* class_char: one character of a class, escaped or not (Go's parseClassChar), or -1. */
static long class_char(struct parser *p, size_t from)
{
	if (p->i >= p->n)
		return fail(p, "missing closing ]", from);
	if (p->s[p->i] != '\\')
		return (long)next_rune(p);
	p->i++;
	return escape_char(p, p->i - 1);
}

/* parse_class: p->i is past '['. */
static struct node *parse_class(struct parser *p, size_t from)
{
	size_t ci = new_class(p), k;
	struct cls *c = &p->re->cls[ci];
	struct node *nd;
	int neg = 0, first = 1;

	if (p->i < p->n && p->s[p->i] == '^')
		neg = 1, p->i++;
	while (p->i >= p->n || p->s[p->i] != ']' || first) {
		long lo, hi;
		const char *pc;
		size_t lofrom = p->i;

		first = 0;
		if (p->i + 1 < p->n && p->s[p->i] == '[' && p->s[p->i + 1] == ':') {
			const char *end = p->i + 2 < p->n ? strstr(p->s + p->i + 2, ":]") : NULL;
			if (end) {
				const char *name = p->s + p->i + 2;
				int nneg = *name == '^';
				size_t nl = (size_t)(end - name) - (size_t)nneg;
				for (k = 0; k < LEN(posix); k++)
					if (strlen(posix[k][0]) == nl && memcmp(posix[k][0], name + nneg, nl) == 0)
						break;
				p->i = (size_t)(end - p->s) + 2;
				if (k == LEN(posix)) {
					fail(p, "invalid character class range", (size_t)(name - 2 - p->s));
					return NULL;
				}
				c = &p->re->cls[ci];
				add_table(c, posix[k][1], nneg);
				continue;
			}
		}
		if (unicode_class(p) < 0)
			return NULL;
		if (p->i + 1 < p->n && p->s[p->i] == '\\' && (pc = perl_table(p->s[p->i + 1]))) {
			add_table(&p->re->cls[ci], pc, p->s[p->i + 1] >= 'A' && p->s[p->i + 1] <= 'Z');
			p->i += 2;
			continue;
		}
		if ((lo = class_char(p, from)) < 0)
			return NULL;
		hi = lo;
		if (p->i + 1 < p->n && p->s[p->i] == '-' && p->s[p->i + 1] != ']') {
			p->i++;
			if ((hi = class_char(p, from)) < 0)
				return NULL;
			if (hi < lo) {
				fail(p, "invalid character class range", lofrom);
				return NULL;
			}
		}
		cls_add(&p->re->cls[ci], (unsigned long)lo, (unsigned long)hi);
	}
	p->i++;
	if (neg)
		cls_negate(&p->re->cls[ci]);
	else if (!p->re->cls[ci].n)
		cls_add(&p->re->cls[ci], 1, 0);
	nd = new_node(N_CLASS);
	nd->cls = ci;
	return nd;
}

static struct node *literal(struct parser *p, unsigned long r)
{
	size_t ci = new_class(p);
	struct node *nd = new_node(N_CLASS);

	cls_add(&p->re->cls[ci], r, r);
	nd->cls = ci;
	return nd;
}

static struct node *parse_alt(struct parser *p);

/* repeat_count: p->i is at '{'; 1 with *min and *max (-1: none) when "{n}", "{n,}" or "{n,m}" follows, else 0. */
static int repeat_count(struct parser *p, int *min, int *max)
{
	size_t i = p->i + 1;
	long v[2] = {-1, -1};
	int k = 0, comma = 0;

	for (;; i++) {
		if (i >= p->n)
			return 0;
		/* Go reads no number with a leading zero ("{01}" is literal text) */
		if (p->s[i] == '0' && i + 1 < p->n && isdigit((unsigned char)p->s[i + 1]) &&
		    (p->s[i - 1] == '{' || p->s[i - 1] == ','))
			return 0;
		if (isdigit((unsigned char)p->s[i])) {
			v[k] = (v[k] < 0 ? 0 : v[k]) * 10 + (p->s[i] - '0');
			if (v[k] > 100000)
				v[k] = 100000;
		} else if (p->s[i] == ',' && !comma) {
			if (v[0] < 0)
				return 0;
			comma = 1, k = 1;
		} else if (p->s[i] == '}') {
			break;
		} else {
			return 0;
		}
	}
	if (v[0] < 0)
		return 0;
	*min = (int)v[0];
	*max = comma ? (int)v[1] : (int)v[0];
	p->i = i + 1;
	return 1;
}

/* repeat_valid: Go's repeatIsValid: nested repeats may not make more than n copies of what they hold. */
static int repeat_valid(const struct node *nd, int n)
{
	size_t i;

	if (nd->op == N_REP) {
		int m = nd->max;
		if (m == 0)
			return 1;
		if (m < 0)
			m = nd->min;
		if (m > n)
			return 0;
		if (m > 0)
			n /= m;
	}
	for (i = 0; i < nd->nsub; i++)
		if (!repeat_valid(nd->sub[i], n))
			return 0;
	return 1;
}

static struct node *parse_concat(struct parser *p)
{
	struct node *cat = new_node(N_CAT), *atom;
	int last_repeat = 0;

	while (p->i < p->n && p->s[p->i] != '|' && p->s[p->i] != ')') {
		size_t from = p->i;
		char c = p->s[p->i];
		int min = -1, max = -1;

		if (c == '*' || c == '+' || c == '?' || (c == '{' && repeat_count(p, &min, &max))) {
			struct node *rep;
			if (c != '{')
				p->i++, min = c == '+', max = c == '?' ? 1 : -1;
			if (p->i < p->n && p->s[p->i] == '?')
				p->i++; /* non-greedy: the same set of matches */
			if (!cat->nsub) {
				fail(p, "missing argument to repetition operator", from);
				goto err;
			}
			if (last_repeat) {
				fail(p, "invalid nested repetition operator", from);
				goto err;
			}
			if (min > MAX_REPEAT || max > MAX_REPEAT || (max >= 0 && min > max)) {
				fail(p, "invalid repeat count", from);
				goto err;
			}
			rep = new_node(N_REP);
			rep->min = min, rep->max = max;
			add_sub(rep, cat->sub[cat->nsub - 1]);
			cat->sub[cat->nsub - 1] = rep;
			if (c == '{' && (min >= 2 || max >= 2) && !repeat_valid(rep, MAX_REPEAT)) {
				fail(p, "invalid repeat count", from);
				goto err;
			}
			last_repeat = 1;
			continue;
		}
		last_repeat = 0;
		p->i++;
		if (c == '(') {
			if (p->i < p->n && p->s[p->i] == '?') {
				buf_adds(p->why, "groups with flags or names ('(?') are not supported by sindri-build");
				goto err;
			}
			if (++p->depth > MAX_DEPTH) {
				buf_adds(p->why, "expression nests too deeply");
				goto err;
			}
			if (!(atom = parse_alt(p)))
				goto err;
			p->depth--;
			if (p->i >= p->n) {
				free_node(atom);
				buf_addf(p->why, "missing closing ): `%.*s`", (int)p->n, p->s);
				goto err;
			}
			p->i++;
		} else if (c == '[') {
			if (!(atom = parse_class(p, from)))
				goto err;
		} else if (c == '.') {
			atom = new_node(N_ANYNL);
		} else if (c == '^' || c == '$') {
			atom = new_node(N_EMPTY);
			atom->kind = c == '^' ? E_BEGIN : E_END;
		} else if (c == '\\') {
			const char *pc;
			long r;
			char e = p->i < p->n ? p->s[p->i] : '\0';
			if (e == 'A' || e == 'z' || e == 'b' || e == 'B') {
				p->i++;
				atom = new_node(N_EMPTY);
				atom->kind = e == 'A' ? E_BEGIN : e == 'z' ? E_END : e == 'b' ? E_WORDB : E_NWORDB;
			} else if (e == 'Q') {
				/* literal text up to \E or the end */
				const char *q = strstr(p->s + p->i + 1, "\\E");
				size_t end = q ? (size_t)(q - p->s) : p->n;
				for (p->i++; p->i < end;)
					add_sub(cat, literal(p, next_rune(p)));
				p->i = q ? end + 2 : p->n;
				continue;
			} else if (e && (pc = perl_table(e))) {
				size_t ci = new_class(p);
				p->i++;
				add_table(&p->re->cls[ci], pc, e >= 'A' && e <= 'Z');
				atom = new_node(N_CLASS);
				atom->cls = ci;
			} else {
				p->i--;
				if (unicode_class(p) < 0)
					goto err;
				p->i++;
				if ((r = escape_char(p, from)) < 0)
					goto err;
				atom = literal(p, (unsigned long)r);
			}
		} else {
			p->i--;
			atom = literal(p, next_rune(p));
		}
		add_sub(cat, atom);
	}
	return cat;
err:
	free_node(cat);
	return NULL;
}

static struct node *parse_alt(struct parser *p)
{
	struct node *alt = new_node(N_ALT), *cat;

	for (;;) {
		if (!(cat = parse_concat(p))) {
			free_node(alt);
			return NULL;
		}
		add_sub(alt, cat);
		if (p->i >= p->n || p->s[p->i] != '|')
			return alt;
		p->i++;
	}
}

/* prog_size: the instructions nd compiles to, saturating at MAX_PROG + 1. */
static size_t prog_size(const struct node *nd)
{
	size_t n = 0, i, s;

	switch (nd->op) {
	case N_CAT:
	case N_ALT:
		for (i = 0; i < nd->nsub; i++)
			n += prog_size(nd->sub[i]) + (nd->op == N_ALT ? 2 : 0);
		break;
	case N_REP:
		s = prog_size(nd->sub[0]) + 2;
		n = s * (size_t)nd->min + (nd->max < 0 ? s : s * (size_t)(nd->max - nd->min));
		break;
	default:
		n = 1;
	}
	return n > MAX_PROG ? MAX_PROG + 1 : n;
}

static size_t emit(struct goregexp *re, int op)
{
	struct inst *in = &re->prog[re->nprog];

	memset(in, 0, sizeof(*in));
	in->op = op;
	return re->nprog++;
}

static void compile(struct goregexp *re, const struct node *nd)
{
	size_t i, k, *fix;
	int j;

	switch (nd->op) {
	case N_CLASS:
		re->prog[emit(re, I_CLASS)].cls = nd->cls;
		break;
	case N_ANYNL:
		emit(re, I_ANYNL);
		break;
	case N_EMPTY:
		re->prog[emit(re, I_EMPTY)].kind = nd->kind;
		break;
	case N_CAT:
		for (i = 0; i < nd->nsub; i++)
			compile(re, nd->sub[i]);
		break;
	case N_ALT:
		fix = xcalloc(nd->nsub, sizeof(*fix));
		for (i = 0; i < nd->nsub; i++) {
			if (i + 1 < nd->nsub) {
				k = emit(re, I_SPLIT);
				re->prog[k].x = (int)re->nprog;
				compile(re, nd->sub[i]);
				fix[i] = emit(re, I_JMP);
				re->prog[k].y = (int)re->nprog;
			} else {
				compile(re, nd->sub[i]);
			}
		}
		for (i = 0; i + 1 < nd->nsub; i++)
			re->prog[fix[i]].x = (int)re->nprog;
		free(fix);
		break;
	case N_REP:
		for (j = 0; j < nd->min; j++)
			compile(re, nd->sub[0]);
		if (nd->max < 0) {
			k = emit(re, I_SPLIT);
			re->prog[k].x = (int)re->nprog;
			compile(re, nd->sub[0]);
			re->prog[emit(re, I_JMP)].x = (int)k;
			re->prog[k].y = (int)re->nprog;
		} else if (nd->max > nd->min) {
			fix = xcalloc((size_t)(nd->max - nd->min), sizeof(*fix));
			for (j = 0; j < nd->max - nd->min; j++) {
				fix[j] = emit(re, I_SPLIT);
				re->prog[fix[j]].x = (int)re->nprog;
				compile(re, nd->sub[0]);
			}
			for (j = 0; j < nd->max - nd->min; j++)
				re->prog[fix[j]].y = (int)re->nprog;
			free(fix);
		}
		break;
	}
}

struct goregexp *goregexp_compile(const char *expr, struct buf *why)
{
	struct goregexp *re = xcalloc(1, sizeof(*re));
	struct parser p = {expr, 0, strlen(expr), 0, re, why};
	struct node *root;
	size_t i, w, size;

	for (i = 0; i < p.n; i += w) {
		if (utf8_decode(expr + i, p.n - i, &w) == UTF8_ERROR && w == 1) {
			buf_addf(why, "invalid UTF-8: `%s`", expr);
			goregexp_free(re);
			return NULL;
		}
	}
	if (!(root = parse_alt(&p))) {
		goregexp_free(re);
		return NULL;
	}
	if (p.i < p.n) {
		buf_addf(why, "unexpected ): `%s`", expr);
		free_node(root);
		goregexp_free(re);
		return NULL;
	}
	if ((size = prog_size(root)) > MAX_PROG) {
		buf_adds(why, "expression too large");
		free_node(root);
		goregexp_free(re);
		return NULL;
	}
	re->prog = xcalloc(size + 1, sizeof(*re->prog));
	compile(re, root);
	emit(re, I_MATCH);
	free_node(root);
	return re;
}

void goregexp_free(struct goregexp *re)
{
	size_t i;

	if (!re)
		return;
	for (i = 0; i < re->ncls; i++)
		free(re->cls[i].r);
	free(re->cls);
	free(re->prog);
	free(re);
}
