/* dockerignore: .dockerignore patterns and Docker's matching rules (Go filepath.Match plus "**" and exceptions). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dockerignore.h"
#include "goregexp.h"
#include "utf8.h"
#include "util.h"

static void pattern_free(struct dipattern *dp);

void dockerignore_init(struct dockerignore *ign)
{
	ign->v = NULL;
	ign->n = ign->cap = 0;
	ign->last_exception = 0;
	ign->legacy = 0;
	ign->tar_walk = 0;
}

void dockerignore_set_api(struct dockerignore *ign, const char *api)
{
	unsigned long major = 0, minor = 0;

	/* API 1.42 is Docker 23.0, whose pattern matcher escapes "+()|{}" and matches "**x" and "x**" as text */
	if (api && sscanf(api, "%lu.%lu", &major, &minor) == 2)
		ign->legacy = major < 1 || (major == 1 && minor < 42);
}

void dockerignore_release(struct dockerignore *ign)
{
	size_t i;
	int legacy = ign->legacy, tar_walk = ign->tar_walk;

	for (i = 0; i < ign->n; i++)
		pattern_free(&ign->v[i]);
	free(ign->v);
	dockerignore_init(ign);
	ign->legacy = legacy;
	ign->tar_walk = tar_walk;
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

/* Go's filepath.Match accepts a pattern when each "[...]" holds at least one character or range, a range's ends
 * are not '-' or ']' and are whole UTF-8 characters, and no '\\' ends the pattern or a part of it between
 * unbracketed stars. */
int dockerignore_pattern_ok(const char *p)
{
	size_t w;

	while (*p) {
		const char *chunk = p, *end;
		int inrange = 0;

		while (*p == '*')
			p++;
		for (chunk = p; *p; p++) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == '[')
				inrange = 1;
			else if (*p == ']')
				inrange = 0;
			else if (*p == '*' && !inrange)
				break;
		}
		end = p;
		for (p = chunk; p < end;) {
			if (*p == '\\') {
				if (++p == end)
					return 0;
				p++;
			} else if (*p == '[') {
				int nrange = 0;
				p++;
				if (p < end && *p == '^')
					p++;
				for (;;) {
					int k;
					if (p < end && *p == ']' && nrange > 0) {
						p++;
						break;
					}
					for (k = 0; k < 2; k++) {
						/* getEsc: one character, escaped or not, and something must follow it */
						if (p == end || *p == '-' || *p == ']')
							return 0;
						if (*p == '\\' && ++p == end)
							return 0;
						if (utf8_decode(p, (size_t)(end - p), &w) == UTF8_ERROR && w == 1)
							return 0;
						p += w;
						if (p == end)
							return 0;
						if (k == 1 || *p != '-')
							break;
						p++;
					}
					nrange++;
				}
			} else {
				p++;
			}
		}
		p = end;
	}
	return 1;
}

/* to_regexp: the Go regular expression Docker makes of a cleaned pattern (walking it by characters, as its
 * text/scanner does), and *kind: what Docker 23 and later match without it (exact, prefix, suffix). */
static char *to_regexp(const char *pat, int legacy, int *kind)
{
	struct buf re = BUF_INIT;
	const char *p = pat;
	size_t i, w;
	char enc[4];

	buf_addc(&re, '^');
	*kind = DI_EXACT;
	for (i = 0; *p; i++) {
		unsigned long c = utf8_decode(p, strlen(p), &w);

		p += w;
		if (c == '*' && *p == '*') {
			p++;
			if (*p == '/')
				p++;
			if (!*p) {
				if (!legacy && *kind == DI_EXACT) {
					*kind = DI_PREFIX;
				} else {
					buf_adds(&re, ".*");
					*kind = DI_REGEXP;
				}
			} else {
				buf_adds(&re, "(.*/)?");
				*kind = DI_REGEXP;
			}
			if (i == 0 && !legacy)
				*kind = DI_SUFFIX;
		} else if (c == '*' || c == '?') {
			buf_adds(&re, c == '*' ? "[^/]*" : "[^/]");
			*kind = DI_REGEXP;
		} else if (c < 0x80 && strchr(legacy ? ".$" : ".+()|{}$", (int)c)) {
			buf_addc(&re, '\\');
			buf_addc(&re, (char)c);
		} else if (c == '\\') {
			if (*p) {
				c = utf8_decode(p, strlen(p), &w);
				p += w;
				buf_addc(&re, '\\');
				buf_add(&re, enc, utf8_encode(c, enc));
				*kind = DI_REGEXP;
			} else {
				buf_addc(&re, '\\');
			}
		} else {
			if (c == '[' || c == ']')
				*kind = DI_REGEXP;
			buf_add(&re, enc, utf8_encode(c, enc));
		}
	}
	buf_addc(&re, '$');
	if (legacy)
		*kind = DI_REGEXP;
	return buf_detach(&re);
}

char *dockerignore_regexp(const char *pat, int legacy)
{
	int kind;

	return to_regexp(pat, legacy, &kind);
}

static size_t rune_len(const char *s)
{
	size_t w;

	utf8_decode(s, strnlen(s, 4), &w);
	return w;
}

/*
 * glob: a pattern of literal characters, '*', '?' and "**" matched as its regexp matches: '*' is "[^/]*" and '?'
 * "[^/]" (characters, not bytes), "**" with an optional '/' after it is "(.*\/)?" and one ending the pattern ".*",
 * where '.' is any character but a newline.
 */
static int glob(const char *p, const char *s)
{
	for (;;) {
		switch (*p) {
		case '\0':
			return *s == '\0';
		case '*':
			if (p[1] == '*') {
				p += 2;
				if (*p == '/')
					p++;
				if (!*p)
					return !strchr(s, '\n');
				for (;;) {
					const char *sl;
					if (glob(p, s))
						return 1;
					sl = s + strcspn(s, "/\n");
					if (*sl != '/')
						return 0;
					s = sl + 1;
				}
			}
			for (p++;; s += rune_len(s)) {
				if (glob(p, s))
					return 1;
				if (!*s || *s == '/')
					return 0;
			}
		case '?':
			if (!*s || *s == '/')
				return 0;
			p++;
			s += rune_len(s);
			break;
		default:
			if (*p != *s)
				return 0;
			p++, s++;
		}
	}
}

/* glob_safe: a pattern glob may take: valid UTF-8, nothing but literal characters and stars (a few: each costs
 * glob a loop) and '?'; the rest goes to the regexp. */
static int glob_safe(const char *pat, int legacy)
{
	size_t i, w, stars = 0;

	for (i = 0; pat[i]; i += w) {
		if (utf8_decode(pat + i, strlen(pat + i), &w) == UTF8_ERROR && w == 1)
			return 0;
		if (strchr("[]\\^", pat[i]) || (legacy && strchr("+(){}|", pat[i])))
			return 0;
		stars += pat[i] == '*';
	}
	return stars <= 6;
}

/* literal_start: the bytes every path a pattern matches starts with. */
static size_t literal_start(const char *pat, int legacy)
{
	size_t n = strcspn(pat, legacy ? "*?[]\\^+(){}|" : "*?[]\\^");

	if (legacy && strchr(pat, '|'))
		return 0; /* an alternation: no common start */
	if (legacy && (pat[n] == '+' || pat[n] == '{'))
		while (n > 0 && ((unsigned char)pat[--n] & 0xc0) == 0x80)
			; /* the character a repeat applies to may be absent */
	return n;
}

static void pattern_free(struct dipattern *dp)
{
	free(dp->pat);
	goregexp_free(dp->re);
}

/* pattern_init: dp for the cleaned pattern pat (taken over), as Docker (legacy: before 23) reads it. */
static int pattern_init(struct dipattern *dp, char *pat, int legacy, struct buf *err)
{
	struct buf why = BUF_INIT;
	char *re;
	const char *s;

	memset(dp, 0, sizeof(*dp));
	dp->pat = pat;
	if (!dockerignore_pattern_ok(pat)) {
		buf_addf(err, "syntax error in pattern '%s': Docker refuses it (a '[' needs a ']' and something in "
		         "between, a range such as '[a-z]' no '-' or ']' at its ends, a '\\' something after it); "
		         "write '\\[' for a literal '['", pat);
		goto fail;
	}
	re = to_regexp(pat, legacy, &dp->kind);
	if (dp->kind == DI_REGEXP && glob_safe(pat, legacy)) {
		dp->kind = DI_GLOB;
	} else if (dp->kind == DI_REGEXP && !(dp->re = goregexp_compile(re, &why))) {
		if (strstr(why.data, "sindri-build"))
			buf_addf(err, "cannot read pattern '%s': %s", pat, why.data);
		else
			buf_addf(err, "syntax error in pattern '%s': Docker refuses it (as the regular expression '%s': "
			         "%s); escape the character with '\\'", pat, re, why.data);
		free(re);
		goto fail;
	}
	free(re);
	dp->lit = dp->kind == DI_SUFFIX ? 0 : literal_start(pat, legacy);
	dp->ndirs = 1;
	for (s = pat; (s = strchr(s, '/')); s++)
		dp->ndirs++;
	buf_release(&why);
	return 0;
fail:
	buf_release(&why);
	dp->pat = NULL;
	free(pat);
	return -1;
}

/* pattern_match: whether path matches the pattern alone. */
static int pattern_match(const struct dipattern *dp, const char *path)
{
	size_t n, m;

	if (strncmp(path, dp->pat, dp->lit) != 0)
		return 0;
	switch (dp->kind) {
	case DI_EXACT:
		return strcmp(path, dp->pat) == 0;
	case DI_PREFIX:
		return strncmp(path, dp->pat, strlen(dp->pat) - 2) == 0;
	case DI_SUFFIX:
		n = strlen(path), m = strlen(dp->pat + 2);
		return (n >= m && strcmp(path + n - m, dp->pat + 2) == 0) ||
		       (dp->pat[2] == '/' && strcmp(path, dp->pat + 3) == 0);
	case DI_GLOB:
		return glob(dp->pat, path);
	}
	return goregexp_match(dp->re, path);
}

int dockerignore_match(const char *pat, const char *path, int legacy)
{
	struct dipattern dp;
	struct buf err = BUF_INIT;
	int r = -1;

	if (pattern_init(&dp, xstrdup(pat), legacy, &err) == 0) {
		r = pattern_match(&dp, path);
		pattern_free(&dp);
	}
	buf_release(&err);
	return r;
}

/* unicode_trim: s[0..*n) without Go's strings.TrimSpace spaces at both ends; returns the new start. */
static const char *unicode_trim(const char *s, size_t *n)
{
	size_t w, k;

	while (*n && (w = utf8_space(s, *n)) > 0)
		s += w, *n -= w;
	for (;;) {
		for (k = 1; k <= 3 && k <= *n; k++)
			if (utf8_space(s + *n - k, k) == k)
				break;
		if (k > 3 || k > *n)
			return s;
		*n -= k;
	}
}

int dockerignore_add(struct dockerignore *ign, const char *line, struct buf *err)
{
	size_t n = strlen(line);
	const char *s = unicode_trim(line, &n);
	int exception = 0;
	char *trimmed, *pat;

	if (!n)
		return 0;
	if (*s == '!') {
		exception = 1;
		s++, n--;
		s = unicode_trim(s, &n);
		if (!n) {
			buf_adds(err, "illegal exception pattern '!': it must name what to keep, as in '!README.md'");
			return -1;
		}
	}
	trimmed = xstrndup(s, n);
	pat = dockerignore_clean(trimmed);
	free(trimmed);
	if (pat[0] == '/' && pat[1])
		memmove(pat, pat + 1, strlen(pat));
	GROW(ign->v, ign->n, ign->cap);
	if (pattern_init(&ign->v[ign->n], pat, ign->legacy, err) < 0)
		return -1;
	ign->v[ign->n].exception = exception;
	ign->n++;
	if (exception)
		ign->last_exception = ign->n;
	return 0;
}

/* Docker reads the file with Go's bufio.Scanner, whose longest line is 64 KiB less one byte. */
#define DI_MAX_LINE 65535

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
		if ((size_t)(le - p) > DI_MAX_LINE) {
			buf_addf(err, "%s:%d: line longer than %d bytes: Docker stops reading the file there ('bufio.Scanner: "
			         "token too long'); shorten the pattern", name, lineno, DI_MAX_LINE);
			ret = -1;
		} else if (p < le && *p != '#') {
			buf_reset(&line);
			buf_add(&line, p, (size_t)(le - p));
			if (line.len && line.data[line.len - 1] == '\r')
				line.data[--line.len] = '\0';
			if (memchr(line.data, '\0', line.len)) {
				buf_addf(err, "%s:%d: NUL byte in pattern: no path holds one; remove it", name, lineno);
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

/*
 * matches: Docker's PatternMatcher on one path: the last pattern that matches it or one of its parent
 * directories decides. Docker 20.10 (Matches) tries only the parent made of as many parts as the pattern has;
 * Docker 23 and later (MatchesOrParentMatches) every parent. tmp is a scratch copy of path.
 */
static int matches(const struct dockerignore *ign, const char *path, char *tmp)
{
	size_t i, nparent = 0;
	const char *s;
	int matched = 0;

	for (s = path; (s = strchr(s, '/')); s++)
		nparent++;
	strcpy(tmp, path);
	for (i = 0; i < ign->n; i++) {
		const struct dipattern *dp = &ign->v[i];
		int hit;

		if (dp->exception != matched)
			continue; /* it cannot change the answer */
		hit = pattern_match(dp, path);
		if (!hit && nparent && (!ign->legacy || (size_t)dp->ndirs <= nparent)) {
			char *c = tmp;
			int k = 0;
			while (!hit && (c = strchr(c, '/'))) {
				*c = '\0';
				if (!ign->legacy || ++k == dp->ndirs)
					hit = pattern_match(dp, tmp);
				*c++ = '/';
				if (ign->legacy && k == dp->ndirs)
					break;
			}
		}
		if (hit)
			matched = !dp->exception;
	}
	return matched;
}

/* without_glob: the length of pattern pat without a trailing slash-star-star or slash-star (fsutil's
 * patternWithoutTrailingGlob). */
static size_t without_glob(const char *pat)
{
	size_t n = strlen(pat);

	if (n >= 3 && strcmp(pat + n - 3, "/**") == 0)
		return n - 3;
	if (n >= 2 && strcmp(pat + n - 2, "/*") == 0)
		return n - 2;
	return n;
}

/* skip_dir: whether Docker's walk of the context skips directory dir, which the patterns exclude: unless an
 * exception may reach inside it, that is one that names dir or a path below it (Docker 23 and later: after
 * cutting a trailing glob, and whenever an exception holds a wildcard, the walk goes on everywhere). */
static int skip_dir(const struct dockerignore *ign, const char *dir)
{
	size_t i, d = strlen(dir);

	for (i = 0; !ign->legacy && i < ign->n; i++)
		if (ign->v[i].exception && strcspn(ign->v[i].pat, "*[]?^\\") < without_glob(ign->v[i].pat))
			return 0;
	for (i = 0; i < ign->n; i++) {
		const char *pat = ign->v[i].pat;
		size_t n = ign->legacy ? strlen(pat) : without_glob(pat);
		if (ign->v[i].exception && n >= d && strncmp(pat, dir, d) == 0 && (n == d || pat[d] == '/'))
			return 0;
	}
	return 1;
}

int dockerignore_skips_dir(const struct dockerignore *ign, const char *dir)
{
	char *d = xstrdup(dir), *tmp = xmalloc(strlen(dir) + 1), *c = d;
	int skipped = 0;

	for (;;) {
		char *slash = strchr(c, '/');
		if (slash)
			*slash = '\0';
		skipped = ign->n && matches(ign, d, tmp) && skip_dir(ign, d);
		if (skipped || !slash)
			break;
		*slash = '/';
		c = slash + 1;
	}
	free(d);
	free(tmp);
	return skipped;
}

/* BuildKit's walk (fsutil) goes on into an excluded directory that an exception may reach below: Docker 20.10's
 * sends that directory itself too, so it arrives empty when nothing below is kept; Docker 23's sends it only as the
 * parent of something kept, and the docker client's tar for the legacy builder never writes it. */
int dockerignore_sends_dir(const struct dockerignore *ign, const char *dir)
{
	return ign->legacy && !ign->tar_walk && ign->last_exception && !dockerignore_skips_dir(ign, dir);
}

int dockerignore_excludes_memo(const struct dockerignore *ign, const char *path, struct dimemo *m)
{
	const char *slash = strrchr(path, '/');
	size_t dlen = slash ? (size_t)(slash - path) : 0, level = 0, at = 0;
	int above = 0;

	if (!ign->n)
		return 0;
	/* the levels of the last directory that path's directory shares: their verdicts hold (a path without a '/' is
	 * in no directory; one that starts with '/' is below the empty one) */
	while (slash && level < m->n && m->ends[level] <= dlen && (m->ends[level] == dlen || path[m->ends[level]] == '/') &&
	       memcmp(path, m->dir.data, m->ends[level]) == 0)
		level++;
	m->n = level;
	above = level && m->x[level - 1];
	at = level ? m->ends[level - 1] + 1 : 0;
	buf_reset(&m->dir);
	buf_add(&m->dir, path, dlen);
	buf_grow(&m->tmp, strlen(path) + 1);
	/* the walk reaches path only through its parent directories: the first one excluded leaves out all below it */
	while (slash && at <= dlen) {
		const char *c = memchr(path + at, '/', dlen - at);
		size_t end = c ? (size_t)(c - path) : dlen;
		if (!above) {
			m->dir.data[end] = '\0';
			above = matches(ign, m->dir.data, m->tmp.data) && skip_dir(ign, m->dir.data);
			if (end < dlen)
				m->dir.data[end] = '/';
		}
		size_t cap = m->cap;
		GROW(m->ends, m->n, m->cap);
		if (m->cap != cap)
			m->x = xreallocarray(m->x, m->cap, sizeof(*m->x));
		m->ends[m->n] = end;
		m->x[m->n++] = (unsigned char)above;
		at = end + 1;
	}
	return above || matches(ign, path, m->tmp.data);
}

void dimemo_release(struct dimemo *m)
{
	buf_release(&m->dir);
	buf_release(&m->tmp);
	free(m->ends);
	free(m->x);
	memset(m, 0, sizeof(*m));
}

int dockerignore_excludes(const struct dockerignore *ign, const char *path)
{
	struct dimemo m = DIMEMO_INIT;
	int excluded = dockerignore_excludes_memo(ign, path, &m);

	dimemo_release(&m);
	return excluded;
}

int dockerignore_prunable(const struct dockerignore *ign, size_t i)
{
	const struct dipattern *dp = &ign->v[i];
	const char *p = dp->pat, *q;

	/* fileset refuses what leaves the root; those patterns match nothing in a context anyway. */
	if (dp->exception || i < ign->last_exception || strcmp(p, ".") == 0 || strcmp(p, "..") == 0 ||
	    str_has_prefix(p, "../") || p[0] == '/')
		return 0;
	/* fileset knows no regexp, matches '?' to a byte where Docker takes a character, and "**" only as a segment */
	if (dp->kind == DI_REGEXP || strchr(p, '?'))
		return 0;
	for (q = strstr(p, "**"); q; q = strstr(q + 2, "**")) {
		if ((q > p && q[-1] != '/') || (q[2] && q[2] != '/'))
			return 0;
	}
	/* Docker 20.10 walks into a directory an earlier exception names, and there it tries a pattern on the
	 * parent with as many parts as the pattern: one with "**" may then match no file inside */
	if (ign->legacy && ign->last_exception && strstr(p, "**"))
		return 0;
	/* and its BuildKit sends a directory it enters for an exception (dockerignore_sends_dir), one that the text of
	 * an exception, at any place in the file, continues with a '/' */
	for (size_t j = 0; j < ign->n && ign->legacy && !ign->tar_walk; j++) {
		char *e = ign->v[j].exception ? xstrdup(ign->v[j].pat) : NULL;
		for (char *c = e; c && (c = strchr(c, '/')); *c++ = '/') {
			*c = '\0';
			if (dockerignore_match(p, e, 1) != 0) {
				free(e);
				return 0;
			}
		}
		free(e);
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
