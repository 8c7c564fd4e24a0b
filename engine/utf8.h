/*
 * utf8: decoding and encoding UTF-8 the way Go does, for the readers that must count characters as Docker counts
 * them (Go strings are bytes, read as runes where Docker's code ranges over them or uses text/scanner or regexp).
 */
#ifndef SB_UTF8_H
#define SB_UTF8_H

#include <stddef.h>

#define UTF8_ERROR 0xfffdUL

/* utf8_decode: the rune at s[0..n) (n > 0) and its length in *len; an invalid or cut-off sequence is UTF8_ERROR
 * with length 1, as Go's utf8.DecodeRune (no surrogates, nothing over U+10FFFF, no overlong forms). */
static inline unsigned long utf8_decode(const char *s, size_t n, size_t *len)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned long r;
	size_t k, i;

	*len = 1;
	if (u[0] < 0x80)
		return u[0];
	if (u[0] >= 0xc2 && u[0] <= 0xdf)
		k = 2, r = u[0] & 0x1f;
	else if (u[0] >= 0xe0 && u[0] <= 0xef)
		k = 3, r = u[0] & 0x0f;
	else if (u[0] >= 0xf0 && u[0] <= 0xf4)
		k = 4, r = u[0] & 0x07;
	else
		return UTF8_ERROR;
	if (n < k)
		return UTF8_ERROR;
	for (i = 1; i < k; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return UTF8_ERROR;
		r = r << 6 | (u[i] & 0x3f);
	}
	if ((k == 3 && (r < 0x800 || (r >= 0xd800 && r < 0xe000))) || (k == 4 && (r < 0x10000 || r > 0x10ffff)))
		return UTF8_ERROR;
	*len = k;
	return r;
}

/* utf8_encode: write rune r (UTF8_ERROR when it is not a valid one) to out[0..4); returns its length. */
static inline size_t utf8_encode(unsigned long r, char *out)
{
	unsigned char *o = (unsigned char *)out;

	if (r > 0x10ffff || (r >= 0xd800 && r < 0xe000))
		r = UTF8_ERROR;
	if (r < 0x80) {
		o[0] = (unsigned char)r;
		return 1;
	}
	if (r < 0x800) {
		o[0] = (unsigned char)(0xc0 | r >> 6);
		o[1] = (unsigned char)(0x80 | (r & 0x3f));
		return 2;
	}
	if (r < 0x10000) {
		o[0] = (unsigned char)(0xe0 | r >> 12);
		o[1] = (unsigned char)(0x80 | (r >> 6 & 0x3f));
		o[2] = (unsigned char)(0x80 | (r & 0x3f));
		return 3;
	}
	o[0] = (unsigned char)(0xf0 | r >> 18);
	o[1] = (unsigned char)(0x80 | (r >> 12 & 0x3f));
	o[2] = (unsigned char)(0x80 | (r >> 6 & 0x3f));
	o[3] = (unsigned char)(0x80 | (r & 0x3f));
	return 4;
}

/* utf8_space: the length of the Unicode white space (Go's unicode.IsSpace) at s[0..n), or 0. */
static inline size_t utf8_space(const char *s, size_t n)
{
	size_t len;
	unsigned long r = utf8_decode(s, n, &len);

	if (r == ' ' || (r >= '\t' && r <= '\r') || r == 0x85 || r == 0xa0 || r == 0x1680 ||
	    (r >= 0x2000 && r <= 0x200a) || r == 0x2028 || r == 0x2029 || r == 0x202f || r == 0x205f || r == 0x3000)
		return len;
	return 0;
}

#endif
