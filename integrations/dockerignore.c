/* dockerignore: .dockerignore patterns and Docker's matching rules (Go filepath.Match plus "**" and exceptions). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dockerignore.h"
#include "util.h"

void dockerignore_init(struct dockerignore *ign)
{
	ign->v = NULL;
	ign->n = ign->cap = 0;
	ign->last_exception = 0;
}

void dockerignore_release(struct dockerignore *ign)
{
	size_t i;

	for (i = 0; i < ign->n; i++)
		free(ign->v[i].pat);
	free(ign->v);
	dockerignore_init(ign);
}

char *dockerignore_clean(const char *path)
{
	struct seg {
		const char *p;
		size_t n;
	} *st = xcalloc(strlen(path) / 2 + 1, sizeof(*st));
	struct buf b = BUF_INIT;
	size_t nst = 0, i;
	int rooted = *path == '/';

	while (*path) {
		size_t n = strcspn(path, "/");

		if (n == 2 && path[0] == '.' && path[1] == '.') {
			/* ".." eats the segment before it; a rooted path drops it, a relative one keeps it. */
			if (nst && !(st[nst - 1].n == 2 && memcmp(st[nst - 1].p, "..", 2) == 0))
				nst--;
			else if (!rooted)
				st[nst].p = path, st[nst++].n = n;
		} else if (n && !(n == 1 && path[0] == '.')) {
			st[nst].p = path, st[nst++].n = n;
		}
		path += n;
		if (*path)
			path++;
	}
	if (rooted)
		buf_addc(&b, '/');
	for (i = 0; i < nst; i++) {
		if (i)
			buf_addc(&b, '/');
		buf_add(&b, st[i].p, st[i].n);
	}
	if (!b.len)
		buf_addc(&b, '.');
	free(st);
	return buf_detach(&b);
}

/* class: *pp is at '['; 1 or 0 for whether c is in the class, *pp moved past its ']'; -1 for a malformed class. */
static int class(const char **pp, unsigned char c)
{
	const char *q = *pp + 1;
	int neg = 0, hit = 0;

	if (*q == '^')
		neg = 1, q++;
	if (*q == ']')
		return -1;
	while (*q != ']') {
		unsigned char lo, hi;

		if (*q == '\\')
			q++;
		if (!*q)
			return -1;
		lo = hi = (unsigned char)*q++;
		if (*q == '-' && q[1] && q[1] != ']') {
			q++;
			if (*q == '\\')
				q++;
			if (!*q)
				return -1;
			hi = (unsigned char)*q++;
			if (lo > hi)
				return -1;
		}
		if (!*q)
			return -1;
		if (lo <= c && c <= hi)
			hit = 1;
	}
	*pp = q + 1;
	return hit ^ neg;
}

/*
 * Docker turns a pattern into a regular expression: '*' is "[^/]*", '?' is "[^/]", "**" with an optional '/' after
 * it matches any run of whole directories (even none), and a "**" that ends the pattern matches anything. This
 * walks the same language directly.
 */
int dockerignore_match(const char *p, const char *s)
{
	for (;;) {
		int r;

		switch (*p) {
		case '\0':
			return *s == '\0';
		case '*':
			if (p[1] == '*') {
				p += 2;
				if (*p == '/')
					p++;
				if (!*p)
					return 1;
				for (;;) {
					if ((r = dockerignore_match(p, s)) != 0)
						return r;
					s = strchr(s, '/');
					if (!s)
						return 0;
					s++;
				}
			}
			p++;
			for (;;) {
				if ((r = dockerignore_match(p, s)) != 0)
					return r;
				if (!*s || *s == '/')
					return 0;
				s++;
			}
		case '?':
			if (!*s || *s == '/')
				return 0;
			p++, s++;
			break;
		case '[':
			if ((r = class(&p, (unsigned char)*s)) < 0)
				return -1;
			if (!*s || !r)
				return 0;
			s++;
			break;
		case '\\':
			/* Docker leaves a trailing backslash alone; here it matches itself. */
			if (p[1])
				p++;
			/* fall through */
		default:
			if (*p != *s)
				return 0;
			p++, s++;
		}
	}
}

/* valid: a pattern's syntax, checked once when it is added so matching never meets a malformed one. */
static int valid(const char *p)
{
	while (*p) {
		if (*p == '[') {
			if (class(&p, 0) < 0)
				return 0;
		} else if (*p == '\\' && p[1]) {
			p += 2;
		} else {
			p++;
		}
	}
	return 1;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

int dockerignore_add(struct dockerignore *ign, const char *line, struct buf *err)
{
	const char *s = line, *e = line + strlen(line);
	int exception = 0;
	char *trimmed, *pat;

	while (s < e && is_space(*s))
		s++;
	while (e > s && is_space(e[-1]))
		e--;
	if (s == e)
		return 0;
	if (*s == '!') {
		exception = 1;
		s++;
		while (s < e && is_space(*s))
			s++;
		if (s == e) {
			buf_adds(err, "illegal exception pattern '!': it must name what to keep, as in '!README.md'");
			return -1;
		}
	}
	trimmed = xstrndup(s, (size_t)(e - s));
	pat = dockerignore_clean(trimmed);
	free(trimmed);
	if (pat[0] == '/' && pat[1])
		memmove(pat, pat + 1, strlen(pat));
	if (!valid(pat)) {
		buf_addf(err, "bad pattern '%s': a '[' without its ']', an empty '[]' or a backwards range", pat);
		free(pat);
		return -1;
	}
	if (ign->n == ign->cap) {
		ign->cap = ign->cap ? ign->cap * 2 : 16;
		ign->v = xreallocarray(ign->v, ign->cap, sizeof(*ign->v));
	}
	ign->v[ign->n].pat = pat;
	ign->v[ign->n].exception = exception;
	ign->v[ign->n].lit = strcspn(pat, "*?[\\");
	ign->n++;
	if (exception)
		ign->last_exception = ign->n;
	return 0;
}

int dockerignore_parse(struct dockerignore *ign, const char *name, const char *text, size_t len, struct buf *err)
{
	const char *p = text, *end = text + len;
	struct buf line = BUF_INIT;
	int lineno = 0, ret = 0;

	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (p < end && ret == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;

		lineno++;
		if (p < le && *p != '#') {
			buf_reset(&line);
			buf_add(&line, p, (size_t)(le - p));
			if (memchr(line.data, '\0', line.len)) {
				buf_addf(err, "%s:%d: NUL byte in pattern", name, lineno);
				ret = -1;
			} else {
				struct buf why = BUF_INIT;
				if (dockerignore_add(ign, line.data, &why) < 0) {
					buf_addf(err, "%s:%d: %s", name, lineno, why.data);
					ret = -1;
				}
				buf_release(&why);
			}
		}
		p = nl ? nl + 1 : end;
	}
	buf_release(&line);
	return ret;
}

int dockerignore_excludes(const struct dockerignore *ign, const char *path)
{
	char *dirs = NULL;
	int excluded = 0;
	size_t i;

	for (i = 0; i < ign->n; i++) {
		const struct dipattern *dp = &ign->v[i];
		int hit;
		char *s;

		/* path and each directory above it start alike: a literal start they lack rules out all of them */
		if (strncmp(path, dp->pat, dp->lit) != 0)
			continue;
		hit = dockerignore_match(dp->pat, path) == 1;
		/* A pattern that matches a directory takes everything below it along. */
		if (!hit && strchr(path, '/')) {
			if (!dirs)
				dirs = xstrdup(path);
			for (s = strchr(dirs, '/'); s && !hit; s = strchr(s + 1, '/')) {
				*s = '\0';
				hit = dockerignore_match(dp->pat, dirs) == 1;
				*s = '/';
			}
		}
		if (hit)
			excluded = !dp->exception;
	}
	free(dirs);
	return excluded;
}

int dockerignore_prunable(const struct dockerignore *ign, size_t i)
{
	const char *p = ign->v[i].pat, *q;

	/* fileset refuses what leaves the root; those patterns match nothing in a context anyway. */
	if (ign->v[i].exception || i < ign->last_exception || strcmp(p, ".") == 0 || strcmp(p, "..") == 0 ||
	    str_has_prefix(p, "../") || p[0] == '/')
		return 0;
	/* fileset reads "[!" as a negation where Docker reads a '!' member, and it knows "**" only as a segment. */
	if (strstr(p, "[!"))
		return 0;
	for (q = strstr(p, "**"); q; q = strstr(q + 2, "**")) {
		if ((q > p && q[-1] != '/') || (q[2] && q[2] != '/'))
			return 0;
	}
	return 1;
}

static int is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

char *dockerignore_find(const char *dockerfile, const char *ctxdir)
{
	char *p;

	/* A Dockerfile-specific ignore file wins, so one context can serve several Dockerfiles. */
	if (dockerfile && strcmp(dockerfile, "-") != 0) {
		p = xasprintf("%s.dockerignore", dockerfile);
		if (is_file(p))
			return p;
		free(p);
	}
	p = xasprintf("%s/.dockerignore", ctxdir);
	if (is_file(p))
		return p;
	free(p);
	return NULL;
}

int dockerignore_load(struct dockerignore *ign, const char *dockerfile, const char *ctxdir, struct buf *err)
{
	char *path = dockerignore_find(dockerfile, ctxdir);
	struct buf text = BUF_INIT;
	int ret;

	if (!path)
		return 0;
	if (read_file(path, &text) < 0) {
		buf_addf(err, "cannot read '%s': %s", path, strerror(errno));
		ret = -1;
	} else {
		ret = dockerignore_parse(ign, path, text.data, text.len, err);
	}
	buf_release(&text);
	free(path);
	return ret;
}
