/* dockerword: substitution, splitting, flags, JSON arrays and heredoc markers of Dockerfile words. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "dockerword.h"
#include "shpat.h"
#include "utf8.h"
#include "util.h"

void wordlist_addn(struct wordlist *wl, const char *s, size_t n)
{
	GROW(wl->v, wl->n, wl->cap);
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

static int lex_word(struct lexer *lx, char stop, int raw, int live, struct buf *out);
static int lex_dollar(struct lexer *lx, int live, struct buf *out);

static const char *lookup(struct lexer *lx, const char *name, size_t n, int live)
{
	/* Only a value the result uses is looked up, so the caller learns exactly which variables mattered. */
	return live ? lx->env->get(lx->env->ctx, name, n) : NULL;
}

/* BuildKit reads "$@", "$#", "$?" ... as special parameters of one character, never set in a build. */
static int is_special(char c)
{
	return c && strchr("@*#?-$!0", c) != NULL;
}

/* Unicode's decimal digits (Nd, as of Unicode 13, Go 1.19's tables) beyond ASCII: Go's digits for "$123". */
static const unsigned long digit_ranges[][2] = {
	{0x660, 0x669}, {0x6f0, 0x6f9}, {0x7c0, 0x7c9}, {0x966, 0x96f}, {0x9e6, 0x9ef}, {0xa66, 0xa6f},
	{0xae6, 0xaef}, {0xb66, 0xb6f}, {0xbe6, 0xbef}, {0xc66, 0xc6f}, {0xce6, 0xcef}, {0xd66, 0xd6f},
	{0xde6, 0xdef}, {0xe50, 0xe59}, {0xed0, 0xed9}, {0xf20, 0xf29}, {0x1040, 0x1049}, {0x1090, 0x1099},
	{0x17e0, 0x17e9}, {0x1810, 0x1819}, {0x1946, 0x194f}, {0x19d0, 0x19d9}, {0x1a80, 0x1a89}, {0x1a90, 0x1a99},
	{0x1b50, 0x1b59}, {0x1bb0, 0x1bb9}, {0x1c40, 0x1c49}, {0x1c50, 0x1c59}, {0xa620, 0xa629}, {0xa8d0, 0xa8d9},
	{0xa900, 0xa909}, {0xa9d0, 0xa9d9}, {0xa9f0, 0xa9f9}, {0xaa50, 0xaa59}, {0xabf0, 0xabf9}, {0xff10, 0xff19},
	{0x104a0, 0x104a9}, {0x10d30, 0x10d39}, {0x11066, 0x1106f}, {0x110f0, 0x110f9}, {0x11136, 0x1113f},
	{0x111d0, 0x111d9}, {0x112f0, 0x112f9}, {0x11450, 0x11459}, {0x114d0, 0x114d9}, {0x11650, 0x11659},
	{0x116c0, 0x116c9}, {0x11730, 0x11739}, {0x118e0, 0x118e9}, {0x11950, 0x11959}, {0x11c50, 0x11c59},
	{0x11d50, 0x11d59}, {0x11da0, 0x11da9}, {0x16a60, 0x16a69}, {0x16b50, 0x16b59}, {0x1d7ce, 0x1d7ff},
	{0x1e140, 0x1e149}, {0x1e2f0, 0x1e2f9}, {0x1e950, 0x1e959}, {0x1fbf0, 0x1fbf9},
};

static int unicode_digit(const char *s, size_t n)
{
	size_t w, i;
	unsigned long r = utf8_decode(s, n, &w);

	for (i = 0; i < LEN(digit_ranges); i++)
		if (digit_ranges[i][0] <= r && r <= digit_ranges[i][1])
			return 1;
	return 0;
}

/* lex_name: the name after '$' or "${" at lx->i: all the digits, one special character, or a run of letters,
 * digits and '_'. Go's letters and digits are Unicode ones: a name of letters that meets a non-ASCII character,
 * or digits that meet a non-ASCII digit, is refused rather than read differently. */
static int lex_name(struct lexer *lx, size_t *len)
{
	const char *s = lx->s;
	size_t b = lx->i;
	int ended = 0; /* the name surely ends here */

	if (lx->i < lx->n && isdigit((unsigned char)s[lx->i])) {
		while (lx->i < lx->n && isdigit((unsigned char)s[lx->i]))
			lx->i++;
		ended = lx->i == lx->n || !unicode_digit(s + lx->i, lx->n - lx->i);
	} else if (lx->i < lx->n && is_special(s[lx->i])) {
		lx->i++;
		ended = 1;
	} else {
		while (lx->i < lx->n && is_namechar(s[lx->i]))
			lx->i++;
	}
	if (lx->i < lx->n && (unsigned char)s[lx->i] >= 0x80 && !ended) {
		buf_addf(lx->why, "'$' followed by a non-ASCII character in '%.*s': Docker reads letters of every script "
		         "as part of a variable name; write ${NAME} to end the name", (int)lx->n, s);
		return -1;
	}
	*len = lx->i - b;
	return 0;
}

/* lex_modifier: the word of "${name<op>word}" (raw: escapes kept, as BuildKit keeps them for patterns) up to stop. */
static int lex_modifier(struct lexer *lx, char stop, int raw, int live, struct buf *word)
{
	if (lex_word(lx, stop, raw, live, word) < 0)
		return -1;
	lx->i++; /* lex_word stopped at stop */
	buf_add(word, "", 0);
	return 0;
}

/* lex_subst: lx->s[lx->i] is '$'. The word of a modifier is lexed like the rest, so it may hold quotes and $. */
static int lex_subst(struct lexer *lx, int live, struct buf *out)
{
	const char *s = lx->s, *val, *name;
	size_t n = lx->n, nl;
	struct buf word = BUF_INIT, pat = BUF_INIT;
	int colon = 0, pick, set, ret = -1;
	char op;

	lx->i++;
	if (lx->i >= n || s[lx->i] != '{') {
		name = s + lx->i;
		if (lex_name(lx, &nl) < 0)
			return -1;
		if (!nl) {
			if (live)
				buf_addc(out, '$');
		} else if ((val = lookup(lx, name, nl, live))) {
			buf_adds(out, val);
		}
		return 0;
	}
	lx->i++;
	if (lx->i >= n || s[lx->i] == '{' || s[lx->i] == '}' || s[lx->i] == ':') {
		buf_addf(lx->why, "bad substitution in '%.*s': expected a name after '${'", (int)n, s);
		return -1;
	}
	name = s + lx->i;
	if (lex_name(lx, &nl) < 0)
		return -1;
	op = lx->i < n ? s[lx->i++] : '\0';
	if (op == '}') {
		if ((val = lookup(lx, name, nl, live)))
			buf_adds(out, val);
		return 0;
	}
	if (op == ':') {
		colon = 1;
		op = lx->i < n ? s[lx->i++] : '\0';
	}
	if (op == '/' && !colon) {
		int all = lx->i < n && s[lx->i] == '/';
		lx->i += all;
		if (lex_modifier(lx, '/', 1, live, &pat) < 0 || lex_modifier(lx, '}', 1, live, &word) < 0)
			goto out;
		if (live) {
			val = lookup(lx, name, nl, live);
			if (shpat_replace(pat.data, word.data, val ? val : "", all, out, lx->why) < 0)
				goto out;
		}
		ret = 0;
		goto out;
	}
	if (!op || !strchr("-+?#%", op) || (colon && (op == '#' || op == '%'))) {
		buf_addf(lx->why, "unsupported substitution '${%.*s%s%c...}' in '%.*s': use '-', '+', '?', '#', '%%' "
		         "or '/'", (int)nl, name, colon ? ":" : "", op ? op : ' ', (int)n, s);
		return -1;
	}
	val = lookup(lx, name, nl, live);
	set = val != NULL;
	/* '-' and '?' take their word when the value is missing, '+' when it is there; ':' counts "" as missing. */
	if (op == '+')
		pick = colon ? set && *val : set;
	else if (op == '-' || op == '?')
		pick = colon ? !set || !*val : !set;
	else
		pick = 1; /* '#' and '%' always need their pattern */
	if (lex_modifier(lx, '}', op == '#' || op == '%', live && pick, &word) < 0)
		goto out;
	if (live && op == '?' && pick) {
		buf_addf(lx->why, "variable '%.*s' is %s: %s", (int)nl, name, set ? "empty" : "not set",
		         word.len ? word.data : "it is required");
		goto out;
	}
	if (live && (op == '#' || op == '%')) {
		/* "##" and "%%" take the longest match */
		int greedy = word.data[0] == op;
		if (shpat_trim(word.data + greedy, set ? val : "", op == '%', greedy, out, lx->why) < 0)
			goto out;
	} else if (live && pick) {
		buf_add(out, word.data, word.len);
	} else if (live && op != '+' && set) {
		buf_adds(out, val);
	}
	ret = 0;
out:
	buf_release(&word);
	buf_release(&pat);
	return ret;
}

/* lex_dollar: a substitution; without an env (a here-document name) it stays as written, as BuildKit leaves unset
 * variables there. */
static int lex_dollar(struct lexer *lx, int live, struct buf *out)
{
	size_t from = lx->i;

	if (lx->env)
		return lex_subst(lx, live, out);
	if (lex_subst(lx, 0, out) < 0)
		return -1;
	if (live)
		buf_add(out, lx->s + from, lx->i - from);
	return 0;
}

static int lex_dquote(struct lexer *lx, int raw, int live, struct buf *out)
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
		/* Inside double quotes the escape only protects '"', '$' and itself, as in sh; kept raw, it is written
		 * once more before what it does not protect, as BuildKit writes it. */
		if (c == lx->esc) {
			if (raw && live)
				buf_addc(out, c);
			if (lx->i + 1 < lx->n &&
			    (s[lx->i + 1] == '"' || s[lx->i + 1] == '$' || s[lx->i + 1] == lx->esc))
				c = s[++lx->i];
		}
		if (live)
			buf_addc(out, c);
		lx->i++;
	}
}

/* lex_word: lex up to stop (0: the end); raw keeps the escape characters, as BuildKit does for patterns. */
static int lex_word(struct lexer *lx, char stop, int raw, int live, struct buf *out)
{
	const char *s = lx->s;

	while (lx->i < lx->n) {
		char c = s[lx->i];

		if (stop && c == stop)
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
			if (lex_dquote(lx, raw, live, out) < 0)
				return -1;
		} else if (c == '$') {
			if (lex_dollar(lx, live, out) < 0)
				return -1;
		} else {
			if (c == lx->esc) {
				if (raw && live)
					buf_addc(out, c);
				if (++lx->i == lx->n)
					break; /* a lone escape at the end is dropped */
				c = s[lx->i];
			}
			if (live)
				buf_addc(out, c);
			lx->i++;
		}
	}
	if (stop) {
		buf_addf(lx->why, "missing '%c' in substitution in '%.*s'", stop, (int)lx->n, s);
		return -1;
	}
	return 0;
}

int dockerword_expand(const char *s, char esc, const struct wordenv *env, struct buf *out, struct buf *why)
{
	struct lexer lx = {s, strlen(s), 0, esc, env, why};

	buf_add(out, "", 0); /* out is a string even when the word expands to nothing */
	return lex_word(&lx, 0, 0, 1, out);
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

int dockerword_csv(const char *s, struct wordlist *out, const char **why)
{
	struct buf f = BUF_INIT;

	if (!*s) {
		*why = "an empty field list (EOF)";
		return -1;
	}
	for (;;) {
		buf_reset(&f);
		buf_add(&f, "", 0);
		if (*s == '"') {
			/* a quoted field: "" is a quote, and the closing quote must end the field */
			for (s++; *s && !(*s == '"' && s[1] != '"'); s++) {
				if (*s == '"')
					s++;
				buf_addc(&f, *s);
			}
			if (!*s || (s[1] && s[1] != ',')) {
				*why = "extraneous or missing \" in quoted-field";
				buf_release(&f);
				return -1;
			}
			s++;
		} else {
			for (; *s && *s != ','; s++) {
				if (*s == '"') {
					*why = "bare \" in non-quoted-field";
					buf_release(&f);
					return -1;
				}
				buf_addc(&f, *s);
			}
		}
		wordlist_addn(out, f.data, f.len);
		if (!*s++)
			break;
	}
	buf_release(&f);
	return 0;
}

/* heredoc_word: whether word w[0..n) (as heredoc_words splits a line) opens a here-document, as BuildKit's
 * "^(\d*)<<(-?)\s*([^<]*)$" and a shell reading of the rest as one word say: 1 with the name (malloc'd) and *strip,
 * 0 when it does not, -1 with a reason in why when the rest cannot be read (an unbalanced quote). */
static int heredoc_word(const char *w, size_t n, char **name, int *strip, struct buf *why)
{
	struct buf out = BUF_INIT;
	struct lexer lx;
	size_t i = 0;
	char *rest;

	while (i < n && isdigit((unsigned char)w[i]))
		i++;
	if (n - i < 2 || w[i] != '<' || w[i + 1] != '<')
		return 0;
	i += 2;
	*strip = i < n && w[i] == '-';
	i += (size_t)*strip;
	while (i < n && strchr(" \t\n\f\r", w[i]))
		i++;
	if (i == n || memchr(w + i, '<', n - i))
		return 0;
	rest = xstrndup(w + i, n - i);
	lx = (struct lexer){rest, n - i, 0, '\\', NULL, why};
	buf_add(&out, "", 0);
	if (lex_word(&lx, 0, 0, 1, &out) < 0) {
		free(rest);
		buf_release(&out);
		return -1;
	}
	free(rest);
	if (!out.len) {
		buf_release(&out);
		return 0;
	}
	*name = buf_detach(&out);
	return 1;
}

char *dockerword_heredoc(const char *w, int *strip)
{
	struct buf why = BUF_INIT;
	char *name = NULL;

	if (heredoc_word(w, strlen(w), &name, strip, &why) != 1)
		name = NULL;
	buf_release(&why);
	return name;
}

/* line_word_end: the end of the word at s as BuildKit splits a line to find here-documents: quotes and escapes
 * kept, "<<" (and "<<-") taking the blanks after it along; NULL when a quote is not closed (then nothing is a here-document). */
static const char *line_word_end(const char *s)
{
	while (*s && !utf8_space(s, strnlen(s, 4))) {
		if (*s == '\'' || *s == '"') {
			const char *q = s + 1;
			while (*q && *q != *s)
				q += *s == '"' && *q == '\\' && q[1] ? 2 : 1;
			if (!*q)
				return NULL;
			s = q + 1;
		} else if (*s == '\\') {
			s += s[1] ? 2 : 1;
		} else if (s[0] == '<' && s[1] == '<') {
			/* BuildKit's own tests read "RUN <<- EOF" as a here-document named EOF too */
			s += 2;
			if (*s == '-' && s[1] && strchr(" \t\r", s[1]))
				s++;
			s += strspn(s, " \t\r");
		} else {
			s++;
		}
	}
	return s;
}

int dockerword_heredocs(const char *line, struct heredocs *out, struct buf *why)
{
	const char *s = line, *e;
	size_t w;

	for (;;) {
		char *name;
		int strip, r;

		while (*s && (w = utf8_space(s, strnlen(s, 4))) > 0)
			s += w;
		if (!*s)
			return 0;
		if (!(e = line_word_end(s)))
			return 0;
		if ((r = heredoc_word(s, (size_t)(e - s), &name, &strip, why)) < 0)
			return -1;
		if (r) {
			wordlist_add(&out->names, NULL);
			out->names.v[out->names.n - 1] = name;
			GROW(out->strip, out->names.n - 1, out->capstrip);
			out->strip[out->names.n - 1] = strip;
		}
		s = e;
	}
}

void heredocs_release(struct heredocs *h)
{
	wordlist_release(&h->names);
	free(h->strip);
	h->strip = NULL;
	h->capstrip = 0;
}
