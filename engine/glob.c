/* glob: the input patterns themselves: normalizing one, finding its wildcards, matching a glob against a path or one
 * segment against a name, and a pattern's base. The walk (filewalk.c) steps through a glob's segments with these. */
#include <string.h>

#include "fileset.h"
#include "filesetint.h"
#include "utf8.h"
#include "util.h"

/* class_match: p is at '['. 1 or 0 for whether character c is in the class, with *end after its ']'; -1 when the
 * class is not closed within the segment, in which case the '[' is an ordinary character. Classes hold characters
 * (UTF-8), not bytes, as Go's filepath.Match (Docker's COPY wildcards) reads them. */
static int class_match(const char *p, const char *pe, unsigned long c, const char **end)
{
	const char *q = p + 1;
	int neg = 0, hit = 0, first = 1;
	size_t w;

	if (q < pe && (*q == '!' || *q == '^')) {
		neg = 1;
		q++;
	}
	/* A ']' right after the opening (or the negation) is a member, as in POSIX. */
	while (q < pe && (*q != ']' || first)) {
		unsigned long lo, hi;

		first = 0;
		if (*q == '\\' && q + 1 < pe)
			q++;
		lo = utf8_decode(q, (size_t)(pe - q), &w);
		q += w;
		hi = lo;
		if (q + 1 < pe && *q == '-' && q[1] != ']') {
			q++;
			if (*q == '\\' && q + 1 < pe)
				q++;
			hi = utf8_decode(q, (size_t)(pe - q), &w);
			q += w;
		}
		if (lo <= c && c <= hi)
			hit = 1;
	}
	if (q >= pe)
		return -1;
	*end = q + 1;
	return hit ^ neg;
}

int glob_seg_match(const char *p, const char *pe, const char *s, const char *se)
{
	const char *star_p = NULL, *star_s = NULL;
	const char *end;
	size_t w;
	unsigned long c;

	while (s < se) {
		if (p < pe) {
			switch (*p) {
			case '*':
				while (p < pe && *p == '*')
					p++;
				if (p == pe)
					return 1;
				star_p = p;
				star_s = s;
				continue;
			case '?':
				utf8_decode(s, (size_t)(se - s), &w);
				p++;
				s += w;
				continue;
			case '[':
				c = utf8_decode(s, (size_t)(se - s), &w);
				switch (class_match(p, pe, c, &end)) {
				case 1:
					p = end;
					s += w;
					continue;
				case -1:
					if (*s == '[') {
						p++;
						s++;
						continue;
					}
					break;
				}
				break;
			case '\\':
				if (p + 1 < pe)
					p++;
				/* fall through */
			default:
				if (*p == *s) {
					p++;
					s++;
					continue;
				}
				break;
			}
		}
		/* Mismatch: let the last '*' swallow one more character and retry, the classic linear wildcard match. */
		if (!star_p)
			return 0;
		p = star_p;
		utf8_decode(star_s, (size_t)(se - star_s), &w);
		s = star_s += w;
	}
	while (p < pe && *p == '*')
		p++;
	return p == pe;
}

const char *glob_seg_end(const char *p)
{
	const char *q = strchr(p, '/');

	return q ? q : p + strlen(p);
}

int glob_is_starstar(const char *p, const char *pe)
{
	return pe - p == 2 && p[0] == '*' && p[1] == '*';
}

int glob_match(const char *pat, const char *path)
{
	for (;;) {
		const char *pe = glob_seg_end(pat), *se;

		if (glob_is_starstar(pat, pe)) {
			if (!*pe)
				return *path != '\0'; /* a trailing "**" needs at least one segment below */
			pat = pe + 1;
			/* Zero directories first, then let "**" take one more segment of path each time. */
			for (;;) {
				if (glob_match(pat, path))
					return 1;
				path = strchr(path, '/');
				if (!path)
					return 0;
				path++;
			}
		}
		se = glob_seg_end(path);
		if (!glob_seg_match(pat, pe, path, se))
			return 0;
		if (!*pe || !*se)
			return !*pe && !*se;
		pat = pe + 1;
		path = se + 1;
	}
}

int glob_normalize(const char *pat, struct buf *out, int *dironly, struct buf *err)
{
	const char *p = pat;

	buf_grow(out, strlen(pat));
	buf_reset(out);
	*dironly = 0;
	if (!*pat) {
		buf_adds(err, "empty file pattern; use '.' for the whole project");
		return -1;
	}
	if (*pat == '/') {
		buf_addf(err, "absolute path '%s' not allowed; patterns are relative to the project root", pat);
		return -1;
	}
	while (*p) {
		const char *e = glob_seg_end(p);
		size_t n = (size_t)(e - p);

		if (n == 2 && p[0] == '.' && p[1] == '.') {
			buf_addf(err, "pattern '%s' leaves the project root with '..'", pat);
			return -1;
		}
		if (n && !(n == 1 && *p == '.')) {
			if (out->len)
				buf_addc(out, '/');
			buf_add(out, p, n);
		}
		*dironly = *e == '/' || (n == 1 && *p == '.');
		p = *e ? e + 1 : e;
	}
	return 0;
}

int glob_has_wildcard(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] == '*' || p[i] == '?' || p[i] == '[' || p[i] == '\\')
			return 1;
	return 0;
}

int fileset_base(const char *pat, struct buf *out)
{
	struct buf err = BUF_INIT;
	int dironly, ret = glob_normalize(pat, out, &dironly, &err);
	size_t n = 0;

	buf_release(&err);
	if (ret < 0)
		return -1;
	/* the segments before the first with a wildcard */
	for (const char *p = out->data; *p;) {
		const char *e = glob_seg_end(p);
		if (glob_has_wildcard(p, (size_t)(e - p)))
			break;
		n = (size_t)(e - out->data);
		p = *e ? e + 1 : e;
	}
	out->len = n;
	out->data[n] = '\0';
	return 0;
}
