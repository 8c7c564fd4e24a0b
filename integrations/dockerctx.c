/*
 * dockerctx: a Dockerfile's context reads expanded over the context directory with fileset_expand, then filtered as
 * docker build filters them: by .dockerignore first (those files never reach the builder), then by --exclude.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dockerctx.h"
#include "dockerfile.h"
#include "dockerignore.h"
#include "fileset.h"
#include "util.h"

/* glob_pattern: a COPY wildcard, which Docker matches with Go's filepath.Match, as a fileset pattern: Go knows no
 * "**" (two stars are one) and reads "[!" as a class holding '!', where fileset would negate. */
static char *glob_pattern(const char *src)
{
	struct buf b = BUF_INIT;
	const char *s;
	int star = 0;

	for (s = src; *s; s++) {
		if (*s == '\\' && s[1]) {
			buf_add(&b, s++, 2);
			star = 0;
		} else if (*s == '*') {
			if (!star)
				buf_addc(&b, '*');
			star = 1;
		} else {
			if (*s == '[' && s[1] == '!')
				buf_adds(&b, "[\\!"), s++;
			else
				buf_addc(&b, *s);
			star = 0;
		}
	}
	return buf_detach(&b);
}

/* literal_pattern: a path fileset must not read as a glob (a bind mount's source is never one). */
static char *literal_pattern(const char *src)
{
	struct buf b = BUF_INIT;

	for (; *src; src++) {
		if (strchr("*?[\\", *src))
			buf_addc(&b, '\\');
		buf_addc(&b, *src);
	}
	return buf_detach(&b);
}

/* exclude_rel: the path --exclude patterns see for a file a read brings in: relative to the directory source, or to
 * the wildcard match it lies in (a Go pattern matches one segment per segment). NULL for the source or the match
 * itself: BuildKit filters what a source brings along, never the source. */
static const char *exclude_rel(const struct dfread *r, const char *path)
{
	size_t n = strlen(r->src), k = 1;
	const char *s;

	if (strcmp(r->src, ".") == 0)
		return path;
	if (!r->wildcard)
		return strncmp(path, r->src, n) == 0 && path[n] == '/' ? path + n + 1 : NULL;
	for (s = r->src; (s = strchr(s, '/')); s++)
		k++;
	for (s = path; k > 0; k--) {
		if (!(s = strchr(s, '/')))
			return NULL;
		s++;
	}
	return s;
}

static int not_found(const struct dockerfile *df, const struct dfread *r, const struct dockerignore *ign,
                     struct buf *err)
{
	buf_addf(err, "%s:%d: %s source '%s' not found in the build context", df->path, r->line,
	         dfread_kind_name(r->kind), r->src);
	if (ign && !r->wildcard && dockerignore_excludes(ign, r->src))
		buf_adds(err, " (the .dockerignore file excludes it)");
	return -1;
}

/* wildcard_dir_missing: BuildKit walks the directory before a wildcard's first wildcard part ("a/b" of "a/b/x*"),
 * so a wildcard may match nothing, but that directory must reach the builder: 1 with the error when it does not. */
static int wildcard_dir_missing(const struct dockerfile *df, const struct dfread *r, int ctxfd,
                                const struct dockerignore *ign, struct buf *err)
{
	char *dir = xstrdup(r->src), *s = dir, *cut = dir;
	struct stat st;
	int missing;

	for (; *s; s++) {
		if (*s == '\\' && s[1])
			s++;
		else if (*s == '/')
			cut = s;
		else if (strchr("*?[", *s))
			break;
	}
	*cut = '\0';
	missing = *dir && (fstatat(ctxfd, dir, &st, 0) < 0 || !S_ISDIR(st.st_mode) ||
	                   (ign && dockerignore_skips_dir(ign, dir)));
	if (missing)
		buf_addf(err, "%s:%d: %s source '%s': its directory '%s' is not in the build context, and Docker fails "
		         "on that even where a wildcard may match nothing", df->path, r->line, dfread_kind_name(r->kind),
		         r->src, dir);
	free(dir);
	return missing;
}

static void push(struct fileset *fs, const struct fileent *e)
{
	if (fs->n == fs->cap) {
		fs->cap = fs->cap ? fs->cap * 2 : 256;
		fs->v = xreallocarray(fs->v, fs->cap, sizeof(*fs->v));
	}
	fs->v[fs->n++] = *e;
}

/* read_one: add the files that read r takes to out (unsorted). */
static int read_one(const struct dockerfile *df, const struct dfread *r, int ctxfd, const struct dockerignore *ign,
                    const char *const *prune, size_t nprune, struct filecache *fc, const char *fcprefix,
                    struct fileset *out, struct buf *err)
{
	struct fileset got;
	struct dockerignore ex;
	struct buf why = BUF_INIT;
	struct stat st;
	const char *what = dfread_kind_name(r->kind);
	char *pat = NULL;
	size_t i, kept = 0;
	int ret = -1;

	fileset_init(&got);
	dockerignore_init(&ex);
	if (!r->wildcard && strcmp(r->src, ".") != 0) {
		if (fstatat(ctxfd, r->src, &st, 0) < 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				return not_found(df, r, ign, err);
			buf_addf(err, "%s:%d: cannot stat %s source '%s': %s", df->path, r->line, what, r->src,
			         strerror(errno));
			return -1;
		}
	}
	for (i = 0; i < r->nexcl; i++) {
		if (dockerignore_add(&ex, r->excl[i], &why) < 0) {
			buf_addf(err, "%s:%d: %s --exclude: %s", df->path, r->line, what, why.data);
			goto out;
		}
	}
	if (r->wildcard && wildcard_dir_missing(df, r, ctxfd, ign, err))
		goto out;
	pat = r->wildcard ? glob_pattern(r->src) : literal_pattern(r->src);
	if (fileset_expand_cached(&got, ctxfd, (const char *const *)&pat, 1, prune, nprune, fc, fcprefix, &why) < 0) {
		buf_addf(err, "%s:%d: %s source '%s': %s", df->path, r->line, what, r->src, why.data);
		goto out;
	}
	for (i = 0; i < got.n; i++) {
		const char *path = got.v[i].path, *rel = ex.n ? exclude_rel(r, path) : NULL;

		if ((ign && dockerignore_excludes(ign, path)) || (rel && dockerignore_excludes(&ex, rel))) {
			free(got.v[i].path);
			continue;
		}
		push(out, &got.v[i]);
		kept++;
	}
	got.n = 0; /* every path was moved to out or freed */
	/* A named source the ignore file removes from the context fails the build; an existing directory whose files
	 * are all left out still copies (as an empty one), and BuildKit lets a wildcard match nothing at all. */
	if (!kept && !r->wildcard && strcmp(r->src, ".") != 0 && ign && dockerignore_excludes(ign, r->src)) {
		not_found(df, r, ign, err);
		goto out;
	}
	ret = 0;
out:
	free(pat);
	fileset_release(&got);
	dockerignore_release(&ex);
	buf_release(&why);
	return ret;
}

static int cmp_ent(const void *a, const void *b)
{
	return strcmp(((const struct fileent *)a)->path, ((const struct fileent *)b)->path);
}

int dockerctx_inputs(const struct dockerfile *df, int ctxfd, const struct dockerignore *ign, struct filecache *fc,
                     const char *fcprefix, struct fileset *out, struct buf *err)
{
	const char **prune = NULL;
	size_t nprune = 0, old = out->n, i, j;
	int ret = 0;

	/* Patterns nothing can bring back let the walk skip whole trees (target/, .git/) instead of filtering them. */
	if (ign && ign->n) {
		prune = xcalloc(ign->n, sizeof(*prune));
		for (i = 0; i < ign->n; i++)
			if (dockerignore_prunable(ign, i))
				prune[nprune++] = ign->v[i].pat;
	}
	for (i = 0; i < df->nreads && ret == 0; i++)
		ret = read_one(df, &df->reads[i], ctxfd, ign, prune, nprune, fc, fcprefix, out, err);
	free(prune);
	if (ret < 0) {
		for (i = old; i < out->n; i++)
			free(out->v[i].path);
		out->n = old;
		return -1;
	}
	/* one COPY source comes sorted and unique from its walk; several need merging */
	for (i = 1; i < out->n && strcmp(out->v[i - 1].path, out->v[i].path) < 0; i++)
		;
	if (i < out->n) {
		qsort(out->v, out->n, sizeof(*out->v), cmp_ent);
		for (i = j = 1; i < out->n; i++) {
			if (strcmp(out->v[j - 1].path, out->v[i].path) == 0)
				free(out->v[i].path);
			else
				out->v[j++] = out->v[i];
		}
		out->n = j;
	}
	return 0;
}
