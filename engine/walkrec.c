/* walkrec: the stat cache's walks on record, what a whole walk gave, so that a run the watcher vouches for takes it
 * instead of walking (see filecache.h), and the count of what walks relied on that no watcher watches. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filecache.h"
#include "filecacheint.h"
#include "htab.h"
#include "trust.h"
#include "util.h"

/* Past this many records, those this process neither took nor put are not kept: records of walks that no recipe
 * asks for any more (patterns edited, tasks removed) do not pile up. */
#define WALKS_KEPT 1024

void filecache_unwatched(struct filecache *fc)
{
	fc->unwatched++;
}

size_t filecache_unwatched_count(const struct filecache *fc)
{
	return fc->unwatched;
}

static struct walkrec *walk_find(const struct filecache *fc, const struct hash128 *spec)
{
	size_t pos = 0, i;

	while ((i = htab_next(&fc->walkindex, fc->walks, spec->lo, &pos)) != HTAB_END)
		if (hash_eq(&fc->walks[i].spec, spec))
			return &fc->walks[i];
	return NULL;
}

int filecache_walk_get(struct filecache *fc, const struct hash128 *spec, struct hash128 *digest, uint64_t *count)
{
	struct walkrec *w;

	if (!fc->walks_at || trust_stretch(fc->walks_trust) != fc->walks_at || !(w = walk_find(fc, spec)) || w->fresh)
		return 0;
	w->taken = 1;
	*digest = w->digest;
	*count = w->count;
	fc->walks_taken++;
	return 1;
}

/* walk_set: the record for spec now says digest and count, from a walk that starts at bases (escaped). */
static void walk_set(struct filecache *fc, const struct hash128 *spec, const struct hash128 *digest, uint64_t count,
                     char *bases, int fresh)
{
	struct walkrec *w = walk_find(fc, spec);

	if (!w) {
		GROW(fc->walks, fc->nwalks, fc->capwalks);
		w = &fc->walks[fc->nwalks];
		w->h = spec->lo;
		w->spec = *spec;
		w->bases = NULL;
		htab_add(&fc->walkindex, fc->walks, fc->nwalks++);
	}
	free(w->bases);
	w->bases = bases;
	w->digest = *digest;
	w->count = count;
	w->fresh = fresh;
	w->taken = 0;
}

void filecache_walk_put(struct filecache *fc, const struct hash128 *spec, const struct hash128 *digest,
                        uint64_t count, const struct strv *bases)
{
	struct buf b = BUF_INIT;

	if (!(filecache_watching(fc) & (FILECACHE_NOTE | FILECACHE_VOUCHED)))
		return;
	for (size_t i = 0; i < bases->n; i++) {
		for (const char *c = bases->v[i]; *c; c++) {
			if (*c == ' ' || *c == '%' || *c == '\t' || *c == '\n')
				buf_addf(&b, "%%%02X", (unsigned char)*c);
			else
				buf_addc(&b, *c);
		}
		buf_addc(&b, ' ');
	}
	walk_set(fc, spec, digest, count, b.data ? b.data : xstrdup(""), 1);
}

/* under: whether path a is b or lies below it ("" holds everything). */
static int under(const char *a, size_t alen, const char *b, size_t blen)
{
	return !blen || (alen >= blen && memcmp(a, b, blen) == 0 && (alen == blen || a[blen] == '/'));
}

/* next_base: the base at p (escaped, up to a space) into out; what follows its space. */
static const char *next_base(const char *p, struct buf *out)
{
	unsigned v;

	buf_reset(out);
	while (*p && *p != ' ') {
		if (p[0] == '%' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2]) &&
		    sscanf(p + 1, "%2X", &v) == 1) {
			buf_addc(out, (char)v);
			p += 3;
		} else {
			buf_addc(out, *p++);
		}
	}
	return *p ? p + 1 : p;
}

/* touched: whether a change at any of changed (lines, each path with anything below it) can change what a walk
 * starting at bases read: a path at, below or above one of them. A record that names no base is touched by any. */
static int touched(const char *bases, const struct buf *changed)
{
	struct buf base = BUF_INIT;
	int hit = !*bases && changed->len;

	for (const char *p = bases; *p && !hit;) {
		p = next_base(p, &base);
		for (size_t i = 0; i < changed->len && !hit;) {
			const char *c = changed->data + i, *eol = memchr(c, '\n', changed->len - i);
			size_t clen = eol ? (size_t)(eol - c) : changed->len - i;
			hit = under(c, clen, base.data, base.len) || under(base.data, base.len, c, clen);
			i += clen + 1;
		}
	}
	buf_release(&base);
	return hit;
}

void filecache_walks_load(struct filecache *fc, const char *text, size_t len, const struct buf *changed,
                          const struct trust *t)
{
	const char *p = text, *end = text + len;
	struct buf line = BUF_INIT;

	fc->walks_trust = t;
	fc->walks_at = trust_stretch(t);
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		char spec[HASH_HEX_LEN + 1], digest[HASH_HEX_LEN + 1];
		unsigned long long count;
		struct hash128 s, d;
		int n = 0;
		if (!eol)
			break;
		/* sscanf reads a string: the line alone, ended, so that it never reads past len */
		buf_reset(&line);
		buf_add(&line, p, (size_t)(eol - p));
		if (sscanf(line.data, "walk %32s %32s %llu%n", spec, digest, &count, &n) == 3 && (size_t)n < line.len &&
		    line.data[n] == ' ' && hash_parse(spec, &s) == 0 && hash_parse(digest, &d) == 0) {
			char *bases = xstrdup(line.data + n + 1);
			if (changed && touched(bases, changed))
				free(bases);
			else
				walk_set(fc, &s, &d, count, bases, 0);
		}
		p = eol + 1;
	}
	buf_release(&line);
}

void filecache_walks(const struct filecache *fc, struct buf *out)
{
	char spec[HASH_HEX_LEN + 1], digest[HASH_HEX_LEN + 1];

	for (size_t i = 0; i < fc->nwalks; i++) {
		const struct walkrec *w = &fc->walks[i];
		if (fc->nwalks > WALKS_KEPT && !w->fresh && !w->taken)
			continue;
		hash_hex(&w->spec, spec);
		hash_hex(&w->digest, digest);
		buf_addf(out, "walk %s %s %llu %s\n", spec, digest, (unsigned long long)w->count, w->bases);
	}
}

size_t filecache_walks_taken(const struct filecache *fc)
{
	return fc->walks_taken;
}
