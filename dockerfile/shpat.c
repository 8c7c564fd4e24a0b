/*
 * shpat: BuildKit turns these shell patterns into Go regular expressions ('*' is ".*" or ".*?", '?' is '.') and
 * takes the leftmost match that Go's backtracking preference order finds first. This walks the same order directly,
 * remembering the (star, position) pairs that cannot lead to a match, so no pattern takes more than
 * stars x length steps.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdlib.h>
#include <string.h>

#include "shpat.h"
#include "utf8.h"
#include "util.h"

enum { T_LIT, T_ANY, T_STAR };

struct tok {
	int kind;
	unsigned long r;
};

struct matcher {
	struct tok *tok;
	size_t ntok, nstar;
	size_t *starno;          /* per token: its star's ordinal */
	const char *s;
	size_t n;
	int greedy;
	unsigned char *boundary; /* per byte of s (and its end): a rune starts here */
	unsigned char *failed;   /* per star and position: no match from there (a bitmap) */
};

/* The most (stars x positions) a match may remember; beyond it the pattern is refused, not matched slowly. */
#define SHPAT_MAX_STATES (1UL << 25)

static unsigned long *runes_of(const char *s, size_t *n)
{
	size_t len = strlen(s), i, k = 0, w;
	unsigned long *r = xcalloc(len + 1, sizeof(*r));

	for (i = 0; i < len; i += w)
		r[k++] = utf8_decode(s + i, len - i, &w);
	*n = k;
	return r;
}

/* compile: pattern runes p[0..n) as BuildKit's convertShellPatternToRegex reads them. */
static int compile(const unsigned long *p, size_t n, struct matcher *m, struct buf *why)
{
	size_t i;

	m->tok = xcalloc(n + 1, sizeof(*m->tok));
	m->ntok = 0;
	for (i = 0; i < n; i++) {
		struct tok t = {T_LIT, p[i]};

		if (p[i] == '*') {
			t.kind = T_STAR;
			if (m->ntok && m->tok[m->ntok - 1].kind == T_STAR)
				continue; /* two stars in a row prefer the same lengths as one */
		} else if (p[i] == '?') {
			t.kind = T_ANY;
		} else if (p[i] == '\\') {
			if (i + 1 < n && (p[i + 1] == '}' || p[i + 1] == '/'))
				continue; /* the escape belongs to ${...}, not to the pattern */
			if (i + 1 == n || (p[i + 1] != '*' && p[i + 1] != '?' && p[i + 1] != '\\')) {
				buf_adds(why, "invalid escape in the pattern: only '\\*', '\\?', '\\\\', '\\}' and '\\/' are "
				              "allowed");
				return -1;
			}
			t.r = p[++i];
		}
		m->tok[m->ntok++] = t;
	}
	return 0;
}

static long match(struct matcher *m, size_t t, size_t pos);

/* star: token t is a '*' at pos; try its lengths in preference order. */
static long star(struct matcher *m, size_t t, size_t pos)
{
	size_t bit = m->starno[t] * (m->n + 1) + pos, e = pos, len, p;
	long r;

	if (m->failed[bit / 8] & (1u << (bit % 8)))
		return -1;
	while (e < m->n && m->s[e] != '\n') {
		utf8_decode(m->s + e, m->n - e, &len);
		if (!m->greedy) {
			if ((r = match(m, t + 1, e)) >= 0)
				return r;
		}
		e += len;
	}
	if (!m->greedy) {
		if ((r = match(m, t + 1, e)) >= 0)
			return r;
	} else {
		for (p = e + 1; p-- > pos;) {
			if (m->boundary[p] && (r = match(m, t + 1, p)) >= 0)
				return r;
		}
	}
	m->failed[bit / 8] |= (unsigned char)(1u << (bit % 8));
	return -1;
}

/* match: the end of the preferred match of tokens t.. at pos, or -1. */
static long match(struct matcher *m, size_t t, size_t pos)
{
	for (; t < m->ntok && m->tok[t].kind != T_STAR; t++) {
		size_t len;
		unsigned long r;

		if (pos >= m->n)
			return -1;
		r = utf8_decode(m->s + pos, m->n - pos, &len);
		if (m->tok[t].kind == T_ANY ? r == '\n' : r != m->tok[t].r)
			return -1;
		pos += len;
	}
	return t == m->ntok ? (long)pos : star(m, t, pos);
}

static void matcher_release(struct matcher *m)
{
	free(m->tok);
	free(m->starno);
	free(m->boundary);
	free(m->failed);
}

/* matcher_init: compile pattern runes p[0..np) to search s[0..n). */
static int matcher_init(struct matcher *m, const unsigned long *p, size_t np, const char *s, size_t n, int greedy,
                        struct buf *why)
{
	size_t i, w;

	memset(m, 0, sizeof(*m));
	if (compile(p, np, m, why) < 0)
		return -1;
	m->starno = xcalloc(m->ntok + 1, sizeof(*m->starno));
	for (i = 0; i < m->ntok; i++)
		if (m->tok[i].kind == T_STAR)
			m->starno[i] = m->nstar++;
	if (m->nstar && (n + 1) > SHPAT_MAX_STATES / m->nstar) {
		buf_adds(why, "the pattern and the value are too long to match");
		return -1;
	}
	m->s = s;
	m->n = n;
	m->greedy = greedy;
	m->boundary = xcalloc(n + 1, 1);
	for (i = 0; i < n; i += w) {
		m->boundary[i] = 1;
		utf8_decode(s + i, n - i, &w);
	}
	m->boundary[n] = 1;
	m->failed = xcalloc((m->nstar * (n + 1)) / 8 + 1, 1);
	return 0;
}

/* reverse_pattern: BuildKit's reversePattern: the runes backwards, an escape kept before what it escapes. */
static void reverse_pattern(unsigned long *p, size_t n)
{
	unsigned long *out = xcalloc(n + 1, sizeof(*out));
	size_t i = 0;

	while (i < n) {
		size_t o = n - 1 - i;
		if (p[i] == '\\' && i != n - 1) {
			out[o - 1] = p[i];
			out[o] = p[i + 1];
			i += 2;
		} else {
			out[o] = p[i++];
		}
	}
	memcpy(p, out, n * sizeof(*p));
	free(out);
}

/* reverse_runes: s's runes backwards (an invalid byte becomes U+FFFD, as Go's []rune conversion makes it). */
static char *reverse_runes(const char *s, size_t n, size_t *outn)
{
	char *out = xmalloc(n * 3 + 1), *o = out + n * 3;
	size_t i, w;

	for (i = 0; i < n; i += w) {
		char enc[4];
		size_t k = utf8_encode(utf8_decode(s + i, n - i, &w), enc);
		o -= k;
		memcpy(o, enc, k);
	}
	*outn = (size_t)(out + n * 3 - o);
	memmove(out, o, *outn);
	out[*outn] = '\0';
	return out;
}

int shpat_trim(const char *pattern, const char *value, int suffix, int greedy, struct buf *out, struct buf *why)
{
	size_t np, n = strlen(value);
	unsigned long *p = runes_of(pattern, &np);
	char *rev = NULL;
	struct matcher m;
	long e;
	int ret = -1;

	if (suffix) {
		reverse_pattern(p, np);
		value = rev = reverse_runes(value, n, &n);
	}
	if (matcher_init(&m, p, np, value, n, greedy, why) == 0) {
		e = match(&m, 0, 0);
		if (!suffix) {
			buf_add(out, value + (e < 0 ? 0 : e), n - (size_t)(e < 0 ? 0 : e));
		} else {
			size_t k;
			char *back = reverse_runes(value + (e < 0 ? 0 : e), n - (size_t)(e < 0 ? 0 : e), &k);
			buf_add(out, back, k);
			free(back);
		}
		ret = 0;
	}
	matcher_release(&m);
	free(rev);
	free(p);
	return ret;
}

/* expand_template: Go's Regexp.Expand of tmpl for a pattern without groups: "$0"/"${0}" is the match [a, b). */
static int expand_template(const char *tmpl, const char *s, size_t a, size_t b, struct buf *out, struct buf *why)
{
	while (*tmpl) {
		const char *d = strchr(tmpl, '$'), *q;
		int brace;
		size_t k;

		if (!d) {
			buf_adds(out, tmpl);
			return 0;
		}
		buf_add(out, tmpl, (size_t)(d - tmpl));
		tmpl = d + 1;
		if (*tmpl == '$') {
			buf_addc(out, '$');
			tmpl++;
			continue;
		}
		brace = *tmpl == '{';
		q = tmpl + brace;
		for (k = 0; q[k] == '_' || (q[k] >= '0' && q[k] <= '9') || ((q[k] | 0x20) >= 'a' && (q[k] | 0x20) <= 'z');)
			k++;
		if ((unsigned char)q[k] >= 0x80) {
			buf_adds(why, "a '$' before a non-ASCII character in a ${VAR//pattern/replacement} replacement "
			              "(write '$$' for a '$')");
			return -1;
		}
		if (!k || (brace && q[k] != '}')) {
			buf_addc(out, '$'); /* malformed: the '$' is itself */
			continue;
		}
		if (k == 1 && q[0] == '0')
			buf_add(out, s + a, b - a);
		tmpl = q + k + brace;
	}
	return 0;
}

int shpat_replace(const char *pattern, const char *replacement, const char *value, int all, struct buf *out,
                  struct buf *why)
{
	size_t np, n = strlen(value), search = 0, last = 0, start;
	unsigned long *p = runes_of(pattern, &np);
	struct matcher m;
	int ret = -1;

	if (matcher_init(&m, p, np, value, n, 1, why) < 0)
		goto out;
	/* Go's ReplaceAllString: successive leftmost matches; an empty one right after a match is not replaced. */
	while (search <= n) {
		long e = -1;
		size_t w = 0;

		for (start = search; start <= n; start++)
			if (m.boundary[start] && (e = match(&m, 0, start)) >= 0)
				break;
		if (e < 0)
			break;
		buf_add(out, value + last, start - last);
		if ((size_t)e > last || start == 0) {
			if (!all)
				buf_adds(out, replacement);
			else if (expand_template(replacement, value, start, (size_t)e, out, why) < 0)
				goto out;
		}
		last = (size_t)e;
		if (!all)
			break;
		if (search < n)
			utf8_decode(value + search, n - search, &w);
		if (search + w > (size_t)e)
			search += w;
		else if (search + 1 > (size_t)e)
			search++;
		else
			search = (size_t)e;
	}
	buf_add(out, value + last, n - last);
	ret = 0;
out:
	matcher_release(&m);
	free(p);
	return ret;
}
