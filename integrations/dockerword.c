/* dockerword: substitution, splitting, flags, JSON arrays and heredoc markers of Dockerfile words. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "dockerword.h"
#include "util.h"

void wordlist_addn(struct wordlist *wl, const char *s, size_t n)
{
	if (wl->n == wl->cap) {
		wl->cap = wl->cap ? wl->cap * 2 : 8;
		wl->v = xreallocarray(wl->v, wl->cap, sizeof(*wl->v));
	}
	wl->v[wl->n++] = s ? xstrndup(s, n) : NULL;
}

void wordlist_add(struct wordlist *wl, const char *s)
{
	wordlist_addn(wl, s, s ? strlen(s) : 0);
}

int wordlist_has(const struct wordlist *wl, const char *s)
{
	size_t i;

	for (i = 0; i < wl->n; i++)
		if (wl->v[i] && strcmp(wl->v[i], s) == 0)
			return 1;
	return 0;
}

void wordlist_release(struct wordlist *wl)
{
	size_t i;

	for (i = 0; i < wl->n; i++)
		free(wl->v[i]);
	free(wl->v);
	wl->v = NULL;
	wl->n = wl->cap = 0;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int is_namechar(char c)
{
	return c == '_' || isalnum((unsigned char)c);
}

struct lexer {
	const char *s;
	size_t n, i;
	char esc;
	const struct wordenv *env;
	struct buf *why;
};

static int lex_word(struct lexer *lx, int in_brace, int live, struct buf *out);

static const char *lookup(struct lexer *lx, const char *name, size_t n, int live)
{
	/* Only a value the result uses is looked up, so the caller learns exactly which variables mattered. */
	return live ? lx->env->get(lx->env->ctx, name, n) : NULL;
}

/* lex_dollar: lx->s[lx->i] is '$'. The word of a modifier is lexed like the rest, so it may hold quotes and $. */
static int lex_dollar(struct lexer *lx, int live, struct buf *out)
{
	const char *s = lx->s, *val, *name;
	size_t n = lx->n, nl;
	struct buf word = BUF_INIT;
	int colon = 0, pick, set;
	char op;

	lx->i++;
	if (lx->i >= n || (s[lx->i] != '{' && !is_namechar(s[lx->i]))) {
		if (live)
			buf_addc(out, '$');
		return 0;
	}
	if (s[lx->i] != '{') {
		name = s + lx->i;
		if (isdigit((unsigned char)s[lx->i]))
			lx->i++; /* $1 is a positional parameter: one digit, never set here */
		else
			while (lx->i < n && is_namechar(s[lx->i]))
				lx->i++;
		if ((val = lookup(lx, name, (size_t)(s + lx->i - name), live)))
			buf_adds(out, val);
		return 0;
	}
	name = s + ++lx->i;
	while (lx->i < n && is_namechar(s[lx->i]))
		lx->i++;
	nl = (size_t)(s + lx->i - name);
	if (!nl || lx->i >= n) {
		buf_addf(lx->why, "bad substitution in '%.*s': expected a name and '}' after '${'", (int)n, s);
		return -1;
	}
	if (s[lx->i] == '}') {
		lx->i++;
		if ((val = lookup(lx, name, nl, live)))
			buf_adds(out, val);
		return 0;
	}
	if (s[lx->i] == ':')
		colon = 1, lx->i++;
	op = lx->i < n ? s[lx->i] : '\0';
	if (op != '-' && op != '+' && op != '?') {
		buf_addf(lx->why, "unsupported substitution '${%.*s%s%c...}' in '%.*s': use ':-', ':+' or ':?'",
		         (int)nl, name, colon ? ":" : "", op ? op : ' ', (int)n, s);
		return -1;
	}
	lx->i++;
	val = lookup(lx, name, nl, live);
	set = val != NULL;
	/* '-' and '?' take their word when the value is missing, '+' when it is there; ':' counts "" as missing. */
	if (op == '+')
		pick = colon ? set && *val : set;
	else
		pick = colon ? !set || !*val : !set;
	if (lex_word(lx, 1, live && pick, &word) < 0) {
		buf_release(&word);
		return -1;
	}
	lx->i++; /* lex_word stopped at the '}' */
	if (live && op == '?' && pick) {
		buf_addf(lx->why, "variable '%.*s' is %s: %s", (int)nl, name, set ? "empty" : "not set",
		         word.len ? word.data : "it is required");
		buf_release(&word);
		return -1;
	}
	if (live && pick)
		buf_add(out, word.data, word.len);
	else if (live && op != '+' && set)
		buf_adds(out, val);
	buf_release(&word);
	return 0;
}

static int lex_dquote(struct lexer *lx, int live, struct buf *out)
{
	const char *s = lx->s;

	for (lx->i++;;) {
		char c;

		if (lx->i >= lx->n) {
			buf_addf(lx->why, "unterminated double quote in '%.*s'", (int)lx->n, s);
			return -1;
		}
		c = s[lx->i];
		if (c == '"') {
			lx->i++;
			return 0;
		}
		if (c == '$') {
			if (lex_dollar(lx, live, out) < 0)
				return -1;
			continue;
		}
		/* Inside double quotes the escape only protects '"', '$' and itself, as in sh. */
		if (c == lx->esc && lx->i + 1 < lx->n &&
		    (s[lx->i + 1] == '"' || s[lx->i + 1] == '$' || s[lx->i + 1] == lx->esc))
			c = s[++lx->i];
		if (live)
			buf_addc(out, c);
		lx->i++;
	}
}

static int lex_word(struct lexer *lx, int in_brace, int live, struct buf *out)
{
	const char *s = lx->s;

	while (lx->i < lx->n) {
		char c = s[lx->i];

		if (in_brace && c == '}')
			return 0;
		if (c == '\'') {
			const char *q = memchr(s + lx->i + 1, '\'', lx->n - lx->i - 1);
			if (!q) {
				buf_addf(lx->why, "unterminated single quote in '%.*s'", (int)lx->n, s);
				return -1;
			}
			if (live)
				buf_add(out, s + lx->i + 1, (size_t)(q - s) - lx->i - 1);
			lx->i = (size_t)(q - s) + 1;
		} else if (c == '"') {
			if (lex_dquote(lx, live, out) < 0)
				return -1;
		} else if (c == '$') {
			if (lex_dollar(lx, live, out) < 0)
				return -1;
		} else {
			if (c == lx->esc && lx->i + 1 < lx->n)
				c = s[++lx->i];
			if (live)
				buf_addc(out, c);
			lx->i++;
		}
	}
	if (in_brace) {
		buf_addf(lx->why, "missing '}' in substitution in '%.*s'", (int)lx->n, s);
		return -1;
	}
	return 0;
}

int dockerword_expand(const char *s, char esc, const struct wordenv *env, struct buf *out, struct buf *why)
{
	struct lexer lx = {s, strlen(s), 0, esc, env, why};

	buf_add(out, "", 0); /* out is a string even when the word expands to nothing */
	return lex_word(&lx, 0, 1, out);
}

/* word_end: the end of the word at s; quoted blanks and escaped characters do not end it. */
static const char *word_end(const char *s, char esc, int quotes)
{
	char q = 0;

	for (; *s && (q || !is_blank(*s)); s++) {
		if (!quotes)
			continue;
		if (*s == esc && s[1] && q != '\'')
			s++;
		else if (*s == '\'' || *s == '"')
			q = !q ? *s : q == *s ? 0 : q;
	}
	return s;
}

void dockerword_split(const char *s, char esc, int quotes, struct wordlist *out)
{
	for (;;) {
		const char *e;

		while (is_blank(*s))
			s++;
		if (!*s)
			return;
		e = word_end(s, esc, quotes);
		wordlist_addn(out, s, (size_t)(e - s));
		s = e;
	}
}

const char *dockerword_flags(const char *s, char esc, struct wordlist *names, struct wordlist *vals)
{
	for (;;) {
		const char *e, *eq;

		while (is_blank(*s))
			s++;
		if (s[0] != '-' || s[1] != '-')
			break;
		e = word_end(s, esc, 1);
		if (e - s == 2) {
			s = e; /* a bare "--" ends the flags */
			break;
		}
		eq = memchr(s, '=', (size_t)(e - s));
		wordlist_addn(names, s + 2, (size_t)((eq ? eq : e) - s - 2));
		wordlist_addn(vals, eq ? eq + 1 : NULL, eq ? (size_t)(e - eq - 1) : 0);
		s = e;
	}
	while (is_blank(*s))
		s++;
	return s;
}

static void utf8_put(struct buf *b, unsigned long c)
{
	if (c < 0x80) {
		buf_addc(b, (char)c);
	} else if (c < 0x800) {
		buf_addc(b, (char)(0xc0 | c >> 6));
		buf_addc(b, (char)(0x80 | (c & 0x3f)));
	} else if (c < 0x10000) {
		buf_addc(b, (char)(0xe0 | c >> 12));
		buf_addc(b, (char)(0x80 | (c >> 6 & 0x3f)));
		buf_addc(b, (char)(0x80 | (c & 0x3f)));
	} else {
		buf_addc(b, (char)(0xf0 | c >> 18));
		buf_addc(b, (char)(0x80 | (c >> 12 & 0x3f)));
		buf_addc(b, (char)(0x80 | (c >> 6 & 0x3f)));
		buf_addc(b, (char)(0x80 | (c & 0x3f)));
	}
}

/* hex4: the value of four hex digits at s, or -1. */
static long hex4(const char *s)
{
	long v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		int c = (unsigned char)s[i];
		if (!isxdigit(c))
			return -1;
		v = v * 16 + (isdigit(c) ? c - '0' : (tolower(c) - 'a' + 10));
	}
	return v;
}

/* json_string: s is at '"'; the text after the closing quote, or NULL when the string is malformed or cut off. */
static const char *json_string(const char *s, struct buf *out)
{
	for (s++; *s != '"'; s++) {
		long c, lo;

		if (!*s || (unsigned char)*s < 0x20)
			return NULL;
		if (*s != '\\') {
			buf_addc(out, *s);
			continue;
		}
		switch (*++s) {
		case '"': case '\\': case '/': buf_addc(out, *s); break;
		case 'b': buf_addc(out, '\b'); break;
		case 'f': buf_addc(out, '\f'); break;
		case 'n': buf_addc(out, '\n'); break;
		case 'r': buf_addc(out, '\r'); break;
		case 't': buf_addc(out, '\t'); break;
		case 'u':
			if ((c = hex4(s + 1)) < 0)
				return NULL;
			s += 4;
			if (c >= 0xd800 && c < 0xdc00 && s[1] == '\\' && s[2] == 'u' && (lo = hex4(s + 3)) >= 0xdc00 &&
			    lo < 0xe000) {
				c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
				s += 6;
			}
			utf8_put(out, c >= 0xd800 && c < 0xe000 ? 0xfffd : (unsigned long)c);
			break;
		default:
			return NULL;
		}
	}
	return s + 1;
}

int dockerword_json(const char *s, struct wordlist *out, const char **why)
{
	struct wordlist got = {0};
	struct buf str = BUF_INIT;
	const char *t;
	size_t i;

	*why = "invalid";
	s += strspn(s, " \t");
	if (*s++ != '[')
		goto fail;
	s += strspn(s, " \t");
	while (*s != ']') {
		if (*s != '"')
			goto fail_at;
		buf_reset(&str);
		buf_grow(&str, 0);
		if (!(t = json_string(s, &str)))
			goto fail_at;
		s = t;
		wordlist_add(&got, str.data);
		s += strspn(s, " \t");
		if (*s == ',') {
			s++;
			s += strspn(s, " \t");
			if (*s == ']')
				goto fail; /* no trailing comma in JSON */
		} else if (*s != ']') {
			goto fail_at;
		}
	}
	s++;
	if (s[strspn(s, " \t")])
		goto fail;
	for (i = 0; i < got.n; i++)
		wordlist_add(out, got.v[i]);
	wordlist_release(&got);
	buf_release(&str);
	return 1;
fail_at:
	/* An array the line ends inside is the mistake worth naming. */
	if (!strchr(s, ']'))
		*why = "unterminated";
fail:
	wordlist_release(&got);
	buf_release(&str);
	return 0;
}

char *dockerword_heredoc(const char *w, int *strip)
{
	struct buf name = BUF_INIT;

	w += strspn(w, "0123456789");
	if (w[0] != '<' || w[1] != '<' || strchr(w + 2, '<'))
		return NULL;
	w += 2;
	*strip = *w == '-';
	w += *strip;
	/* Quotes anywhere in the word only say "do not expand the body": <<'EOF', <<"EOF" and <<E"O"F are all EOF. */
	for (; *w; w++)
		if (*w != '\'' && *w != '"')
			buf_addc(&name, *w);
	if (!name.len) {
		buf_release(&name);
		return NULL;
	}
	return buf_detach(&name);
}
