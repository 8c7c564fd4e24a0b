/* dfjson: the JSON arrays of Dockerfile instructions, read as BuildKit reads them with Go's encoding/json. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "dockerword.h"
#include "utf8.h"
#include "util.h"

static void utf8_put(struct buf *b, unsigned long c)
{
	char enc[4];

	buf_add(b, enc, utf8_encode(c, enc));
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

/* The JSON reader: Go's encoding/json as BuildKit calls it, reading the first value of the text. */
struct json_rd {
	const char *s;
	int nonstring; /* an element of the top array is not a string */
	int nul;       /* a string holds \u0000 */
};

#define JSON_MAX_DEPTH 10000 /* Go's encoding/json refuses deeper nesting */

static void json_ws(struct json_rd *j)
{
	while (*j->s == ' ' || *j->s == '\t' || *j->s == '\n' || *j->s == '\r')
		j->s++;
}

/* json_string: j->s is at '"'; 0 with the string (invalid UTF-8 made U+FFFD, as Go does) in out, or -1. */
static int json_string(struct json_rd *j, struct buf *out)
{
	const char *s = j->s + 1;
	long c, lo;
	size_t w;

	for (; *s != '"'; s++) {
		if (!*s || (unsigned char)*s < 0x20)
			return -1;
		if (*s != '\\') {
			c = (long)utf8_decode(s, strnlen(s, 4), &w);
			if (out)
				utf8_put(out, (unsigned long)c);
			s += w - 1;
			continue;
		}
		switch (*++s) {
		case '"': case '\\': case '/': c = *s; break;
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case 't': c = '\t'; break;
		case 'u':
			if ((c = hex4(s + 1)) < 0)
				return -1;
			s += 4;
			if (c >= 0xd800 && c < 0xdc00 && s[1] == '\\' && s[2] == 'u' && (lo = hex4(s + 3)) >= 0xdc00 &&
			    lo < 0xe000) {
				c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
				s += 6;
			}
			if (c == 0)
				j->nul = 1;
			break;
		default:
			return -1;
		}
		if (out)
			utf8_put(out, (unsigned long)c);
	}
	j->s = s + 1;
	return 0;
}

static int json_value(struct json_rd *j, int depth, struct wordlist *top);

static int json_number(struct json_rd *j)
{
	const char *s = j->s;

	s += *s == '-';
	if (*s == '0')
		s++;
	else if (isdigit((unsigned char)*s))
		while (isdigit((unsigned char)*s))
			s++;
	else
		return -1;
	if (*s == '.') {
		if (!isdigit((unsigned char)*++s))
			return -1;
		while (isdigit((unsigned char)*s))
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		s += *s == '+' || *s == '-';
		if (!isdigit((unsigned char)*s))
			return -1;
		while (isdigit((unsigned char)*s))
			s++;
	}
	j->s = s;
	return 0;
}

/* json_list: j->s is at '[' or '{'; the elements (of an object: "key": value members) up to the closing one. */
static int json_list(struct json_rd *j, int depth, struct wordlist *top)
{
	char close = *j->s == '[' ? ']' : '}';

	j->s++;
	json_ws(j);
	if (*j->s == close) {
		j->s++;
		return 0;
	}
	for (;;) {
		if (close == '}') {
			if (*j->s != '"' || json_string(j, NULL) < 0)
				return -1;
			json_ws(j);
			if (*j->s++ != ':')
				return -1;
			json_ws(j);
		}
		if (json_value(j, depth + 1, top) < 0)
			return -1;
		json_ws(j);
		if (*j->s == close) {
			j->s++;
			return 0;
		}
		if (*j->s++ != ',')
			return -1;
		json_ws(j);
	}
}

/* json_value: one value at j->s; top, when not NULL, collects it (as an element of the top array). */
static int json_value(struct json_rd *j, int depth, struct wordlist *top)
{
	static const char *const words[] = {"true", "false", "null"};
	struct buf str = BUF_INIT;
	size_t i;

	if (depth > JSON_MAX_DEPTH)
		return -1;
	if (*j->s == '"') {
		if (json_string(j, top ? &str : NULL) < 0) {
			buf_release(&str);
			return -1;
		}
		if (top)
			wordlist_addn(top, str.len ? str.data : "", str.len);
		buf_release(&str);
		return 0;
	}
	if (top)
		j->nonstring = 1;
	if (*j->s == '[' || *j->s == '{')
		return json_list(j, depth, NULL);
	for (i = 0; i < LEN(words); i++) {
		if (strncmp(j->s, words[i], strlen(words[i])) == 0) {
			j->s += strlen(words[i]);
			return 0;
		}
	}
	return json_number(j);
}

int dockerword_json(const char *s, struct wordlist *out, const char **why)
{
	struct wordlist got = {0};
	struct json_rd j = {s, 0, 0};
	const char *arr;
	size_t i, w;

	*why = "invalid";
	while (*j.s && (w = utf8_space(j.s, strnlen(j.s, 4))) > 0)
		j.s += w;
	arr = j.s;
	if (*j.s != '[' || json_list(&j, 1, &got) < 0) {
		/* An array the line ends inside is the mistake worth naming. */
		if (*arr == '[' && !strchr(arr, ']'))
			*why = "unterminated";
		wordlist_release(&got);
		return 0;
	}
	/* BuildKit reads the first JSON value and ignores what follows it (up to dockerfile 1.8, the 20.10 engine). */
	if (j.nonstring || j.nul) {
		*why = j.nonstring ? "when using JSON array syntax, arrays must be comprised of strings only"
		                   : "a JSON string holds \\u0000 (a NUL character), which cannot be passed on";
		wordlist_release(&got);
		return -1;
	}
	for (i = 0; i < got.n; i++)
		wordlist_add(out, got.v[i]);
	wordlist_release(&got);
	return 1;
}
