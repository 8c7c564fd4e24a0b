/*
 * dockerctx: a Dockerfile's context reads resolved and walked over the context directory as the builder does, then
 * filtered as docker build filters them: by .dockerignore first (those entries never reach the builder), then by
 * --exclude.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dockerctx.h"
#include "dockerfile.h"
#include "dockerignore.h"
#include "fileset.h"
#include "util.h"

/* Symlinks followed in one path at most, as Linux allows (then: too many levels, not found). */
#define MAX_LINKS 40
/* While a read is expanded, keymode also marks the tops (a source or a match): --exclude is relative to them. */
#define TOP 2

void ctxlist_init(struct ctxlist *l)
{
	memset(l, 0, sizeof(*l));
}

void ctxlist_release(struct ctxlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].path);
	free(l->v);
	ctxlist_init(l);
}

static int cmp_ent(const void *a, const void *b)
{
	return strcmp(((const struct ctxent *)a)->path, ((const struct ctxent *)b)->path);
}

size_t ctxlist_lower(const struct ctxlist *l, size_t from, const char *path)
{
	size_t lo = from, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(l->v[mid].path, path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct ctxent *ctxlist_find(const struct ctxlist *l, const char *path)
{
	struct ctxent key = {(char *)path, {0}, 0};

	return l->n ? bsearch(&key, l->v, l->n, sizeof(*l->v), cmp_ent) : NULL;
}

/* own: append an entry that takes path (malloc'd); the list is sorted and merged at the end. */
static void own(struct ctxlist *l, char *path, const struct filestat *st, int keymode)
{
	GROW(l->v, l->n, l->cap);
	l->v[l->n].path = path;
	l->v[l->n].st = *st;
	l->v[l->n++].keymode = keymode;
}

/* add: append an entry with a copy of path. */
static void add(struct ctxlist *l, const char *path, const struct filestat *st, int keymode)
{
	own(l, xstrdup(path), st, keymode);
}

/* glob_pattern: a COPY wildcard, which Docker matches with Go's filepath.Match, as a fileset pattern: Go knows no
 * "**" (two stars are one) and reads "[!" as a class holding '!', where fileset would negate. */
static void glob_pattern(struct buf *b, const char *src)
{
	int star = 0;

	for (const char *s = src; *s; s++) {
		if (*s == '\\' && s[1]) {
			buf_add(b, s++, 2);
			star = 0;
		} else if (*s == '*') {
			if (!star)
				buf_addc(b, '*');
			star = 1;
		} else {
			if (*s == '[' && s[1] == '!')
				buf_adds(b, "[\\!"), s++;
			else
				buf_addc(b, *s);
			star = 0;
		}
	}
}

/* literal_pattern: a path fileset must not read as a glob (a resolved path is never one). */
static void literal_pattern(struct buf *b, const char *src)
{
	for (; *src; src++) {
		if (strchr("*?[\\", *src))
			buf_addc(b, '\\');
		buf_addc(b, *src);
	}
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

/*
 * resolve: the real path that src names inside the context (into real: "" is the root), following each symlink on
 * the way as the builder does: an absolute target from the context's root, ".." never above it. The symlinks
 * followed go into via (none that the ignore file leaves out: the builder never gets those). *st is the lstat data
 * of what real names. 0, or -1 with errno (ENOENT, ENOTDIR, ELOOP, or what lstat said).
 */
static int resolve(int ctxfd, const char *src, const struct dockerignore *ign, struct buf *real,
                   struct filestat *st, struct ctxlist *via)
{
	struct buf rest = BUF_INIT, cand = BUF_INIT, target = BUF_INIT;
	struct stat sb;
	int links = 0, popped = 0, ret = 0;

	if (fstat(ctxfd, &sb) < 0)
		return -1;
	filestat_from(st, &sb);
	buf_reset(real);
	buf_adds(real, "");
	buf_adds(&rest, src);
	while (rest.len) {
		size_t n = strcspn(rest.data, "/");
		int more = rest.data[n] == '/';
		buf_reset(&cand);
		buf_add(&cand, real->data, real->len);
		if (n == 2 && rest.data[0] == '.' && rest.data[1] == '.') {
			char *slash = strrchr(real->data, '/');
			real->len = slash ? (size_t)(slash - real->data) : 0;
			real->data[real->len] = '\0';
			popped = 1;
		} else if (n && !(n == 1 && rest.data[0] == '.')) {
			if (cand.len)
				buf_addc(&cand, '/');
			buf_add(&cand, rest.data, n);
			if (fstatat(ctxfd, cand.data, &sb, AT_SYMLINK_NOFOLLOW) < 0) {
				ret = -1;
				break;
			}
			filestat_from(st, &sb);
			if (S_ISLNK(sb.st_mode)) {
				if (++links > MAX_LINKS || (ign && dockerignore_excludes(ign, cand.data)) ||
				    read_link(ctxfd, cand.data, &target) < 0) {
					errno = links > MAX_LINKS ? ELOOP : ENOENT;
					ret = -1;
					break;
				}
				add(via, cand.data, st, 0);
				/* go on with the target, then what was left after the link */
				buf_add(&target, "/", more);
				buf_add(&target, rest.data + n + more, rest.len - n - more);
				buf_reset(&rest);
				buf_add(&rest, target.data + (target.data[0] == '/'), target.len - (target.data[0] == '/'));
				if (target.data[0] == '/')
					buf_reset(real);
				continue;
			}
			if (more && !S_ISDIR(sb.st_mode)) {
				errno = ENOTDIR;
				ret = -1;
				break;
			}
			buf_reset(real);
			buf_add(real, cand.data, cand.len);
		}
		memmove(rest.data, rest.data + n + more, rest.len - n - more + 1);
		rest.len -= n + more;
	}
	/* after a "..", what real names was not the last path stat'ed */
	if (ret == 0 && popped) {
		if (fstatat(ctxfd, real->len ? real->data : ".", &sb, AT_SYMLINK_NOFOLLOW) < 0)
			ret = -1;
		else
			filestat_from(st, &sb);
	}
	buf_release(&rest);
	buf_release(&cand);
	buf_release(&target);
	return ret;
}

/* One read being expanded. */
struct reader {
	const struct dockerfile *df;
	const struct dfread *r;
	int ctxfd;
	const struct dockerignore *ign, *ex;
	const char *const *prune;
	size_t nprune;
	struct filecache *fc;
	const char *fcprefix;
	struct ctxlist *got;  /* what the read brings in (tops, their contents) */
	struct ctxlist *via;  /* symlinks followed on the way */
	int whole;
	struct buf *err;
};

/* take: the read brings in real (a resolved path, lstat data st): a file, or a directory and what it holds. */
static int take(struct reader *rd, const char *real, const struct filestat *st)
{
	struct fileset fs;
	struct buf pat = BUF_INIT, why = BUF_INIT;
	const char *p;
	int ret = 0;

	if (S_ISREG(st->mode)) {
		add(rd->got, real, st, !rd->r->chmod); /* a named file keeps its mode, unless --chmod */
		return 0;
	}
	if (!S_ISDIR(st->mode))
		return 0; /* a socket or a device: not something the builder copies */
	if (!*real)
		rd->whole = 1;
	fileset_init(&fs);
	literal_pattern(&pat, *real ? real : ".");
	p = pat.data;
	if (fileset_expand_cached(&fs, rd->ctxfd, &p, 1, rd->prune, rd->nprune, rd->fc, rd->fcprefix, FILESET_ENTRIES,
	                          &why) < 0) {
		buf_addf(rd->err, "%s:%d: %s source '%s': %s", rd->df->path, rd->r->line, dfread_kind_name(rd->r->kind),
		         rd->r->src, why.data);
		ret = -1;
	}
	/* COPY copies the top's contents, not the top itself, so its mode goes nowhere; a bind mount shows it */
	int topmode = rd->r->kind == DFREAD_BIND ? 1 : TOP;
	if (*real && (!fs.n || strcmp(fs.v[0].path, real) != 0))
		add(rd->got, real, st, topmode); /* a pruned top: what the ignore file says decides below */
	for (size_t i = 0; ret == 0 && i < fs.n; i++) {
		int top = strcmp(fs.v[i].path, real) == 0;
		own(rd->got, fs.v[i].path, &fs.v[i].st, top ? topmode : !rd->r->chmod && !S_ISLNK(fs.v[i].st.mode));
		fs.v[i].path = NULL; /* moved */
	}
	fileset_release(&fs);
	buf_release(&pat);
	buf_release(&why);
	return ret;
}

static size_t depth(const char *path)
{
	size_t n = 1;

	for (; *path; path++)
		n += *path == '/';
	return n;
}

/* expand_wildcard: a wildcard's matches below its literal directory (resolved), each taken as a named source. */
static int expand_wildcard(struct reader *rd)
{
	const char *src = rd->r->src, *wild = src, *p;
	struct buf base = BUF_INIT, pat = BUF_INIT, why = BUF_INIT, real = BUF_INIT;
	struct fileset fs;
	struct filestat st;
	int ret = 0;

	/* the base is every segment before the first one with a wildcard */
	for (p = src; *p; p++) {
		if (strchr("*?[\\", *p))
			break;
		if (*p == '/')
			wild = p + 1;
	}
	buf_add(&base, src, wild > src ? (size_t)(wild - src - 1) : 0);
	fileset_init(&fs);
	if (wildcard_dir_missing(rd->df, rd->r, rd->ctxfd, rd->ign, rd->err)) {
		ret = -1;
		goto out;
	}
	if (resolve(rd->ctxfd, base.data, rd->ign, &real, &st, rd->via) < 0 || !S_ISDIR(st.mode))
		goto out; /* a symlink that leads nowhere: nothing to match in */
	literal_pattern(&pat, real.data);
	if (real.len)
		buf_addc(&pat, '/');
	glob_pattern(&pat, wild);
	p = pat.data;
	if (fileset_expand_cached(&fs, rd->ctxfd, &p, 1, rd->prune, rd->nprune, rd->fc, rd->fcprefix, FILESET_ENTRIES,
	                          &why) < 0) {
		buf_addf(rd->err, "%s:%d: %s source '%s': %s", rd->df->path, rd->r->line, dfread_kind_name(rd->r->kind),
		         src, why.data);
		ret = -1;
		goto out;
	}
	size_t d = depth(pat.data);
	for (size_t i = 0; ret == 0 && i < fs.n; i++) {
		const struct fileent *e = &fs.v[i];
		if (depth(e->path) > d) {
			/* below a matched directory, which take() did not walk: its contents */
			own(rd->got, e->path, &e->st, !rd->r->chmod && !S_ISLNK(e->st.mode));
			fs.v[i].path = NULL;
		} else if (S_ISLNK(e->st.mode)) {
			/* a match that is a symlink is followed, as a named source is */
			if (rd->ign && dockerignore_excludes(rd->ign, e->path))
				continue;
			add(rd->via, e->path, &e->st, 0);
			if (resolve(rd->ctxfd, e->path, rd->ign, &real, &st, rd->via) < 0) {
				buf_addf(rd->err, "%s:%d: %s source '%s' matches '%s', which names nothing in the build context",
				         rd->df->path, rd->r->line, dfread_kind_name(rd->r->kind), src, e->path);
				ret = -1;
			} else {
				ret = take(rd, real.data, &st);
			}
		} else {
			own(rd->got, e->path, &e->st, S_ISDIR(e->st.mode) ? TOP : !rd->r->chmod);
			fs.v[i].path = NULL;
		}
	}
out:
	fileset_release(&fs);
	buf_release(&base);
	buf_release(&pat);
	buf_release(&why);
	buf_release(&real);
	return ret;
}

/* exclude_rel: the path --exclude patterns see for entry i of got (sorted): relative to the directory source or
 * match (a top) it lies below; NULL for a top itself: BuildKit filters what a source brings along, never the
 * source. */
static const char *exclude_rel(const struct ctxlist *got, size_t i)
{
	const char *path = got->v[i].path;

	for (size_t j = i; j-- > 0;) {
		size_t n = strlen(got->v[j].path);
		if (got->v[j].keymode == TOP && strncmp(path, got->v[j].path, n) == 0 && path[n] == '/')
			return path + n + 1;
	}
	return NULL;
}

/* sort_merge: sort l by path and merge duplicates (keymode: 1 when one of them has it, else TOP when one is). */
static void sort_merge(struct ctxlist *l)
{
	size_t i, j;

	/* a walk's result comes sorted: sort only what several walks made */
	for (i = 1; i < l->n && strcmp(l->v[i - 1].path, l->v[i].path) < 0; i++)
		;
	if (i >= l->n)
		return;
	qsort(l->v, l->n, sizeof(*l->v), cmp_ent);
	for (i = j = 1; i < l->n; i++) {
		if (strcmp(l->v[j - 1].path, l->v[i].path) == 0) {
			int a = l->v[j - 1].keymode, b = l->v[i].keymode;
			l->v[j - 1].keymode = a == 1 || b == 1 ? 1 : a > b ? a : b;
			free(l->v[i].path);
		} else {
			l->v[j++] = l->v[i];
		}
	}
	l->n = j;
}

/* filter: move into out what the ignore file and the read's --exclude patterns keep of got; a directory they leave
 * out stays when something below it is kept (the builder gets it as that entry's parent), or when the builder's walk
 * sends it anyway (dockerignore_sends_dir). */
static void filter(struct reader *rd, struct ctxlist *got, struct ctxlist *out, size_t *kept)
{
	unsigned char *keep = xcalloc(got->n + 1, 1);
	struct dimemo ign = DIMEMO_INIT, ex = DIMEMO_INIT; /* the entries come sorted: a directory's share its verdicts */

	sort_merge(got);
	for (size_t i = 0; i < got->n; i++) {
		const char *rel = rd->ex->n ? exclude_rel(got, i) : NULL;
		const char *path = got->v[i].path;
		keep[i] = !(rd->ign && dockerignore_excludes_memo(rd->ign, path, &ign) &&
		            !(S_ISDIR(got->v[i].st.mode) && dockerignore_sends_dir(rd->ign, path))) &&
		          !(rel && dockerignore_excludes_memo(rd->ex, rel, &ex));
	}
	dimemo_release(&ign);
	dimemo_release(&ex);
	/* a directory left out stays when something below it is kept: what lies below "d" sorts after "d/", and the
	 * deepest directories are looked at first, so that a kept one keeps those above it */
	struct buf below = BUF_INIT;
	for (size_t j = got->n; j-- > 0;) {
		if (keep[j] || !S_ISDIR(got->v[j].st.mode))
			continue;
		buf_reset(&below);
		buf_adds(&below, got->v[j].path);
		buf_addc(&below, '/');
		for (size_t i = ctxlist_lower(got, j + 1, below.data);
		     i < got->n && !keep[j] && str_has_prefix(got->v[i].path, below.data); i++)
			keep[j] = keep[i];
	}
	buf_release(&below);
	/* what is kept, in place; then moved to out whole when out is empty (one read: the usual case) */
	size_t k = 0;
	for (size_t i = 0; i < got->n; i++) {
		if (keep[i]) {
			got->v[k] = got->v[i];
			got->v[k++].keymode = got->v[i].keymode == 1;
		} else {
			free(got->v[i].path);
		}
	}
	got->n = *kept = k;
	free(keep);
	if (!out->n) {
		struct ctxlist tmp = *out;
		*out = *got;
		out->whole = tmp.whole;
		tmp.whole = 0;
		*got = tmp;
	}
	for (size_t i = 0; i < got->n; i++) {
		own(out, got->v[i].path, &got->v[i].st, got->v[i].keymode);
		got->v[i].path = NULL; /* moved */
	}
	ctxlist_release(got);
}

/* read_one: add the entries that read r takes to out (unsorted). */
static int read_one(struct reader *rd, struct ctxlist *out)
{
	const struct dfread *r = rd->r;
	struct ctxlist got, via;
	struct dockerignore ex;
	struct buf why = BUF_INIT, real = BUF_INIT;
	struct filestat st;
	size_t kept = 0;
	int ret = -1;

	ctxlist_init(&got);
	ctxlist_init(&via);
	dockerignore_init(&ex);
	rd->got = &got;
	rd->via = &via;
	rd->ex = &ex;
	for (size_t i = 0; i < r->nexcl; i++) {
		if (dockerignore_add(&ex, r->excl[i], &why) < 0) {
			buf_addf(rd->err, "%s:%d: %s --exclude: %s", rd->df->path, r->line, dfread_kind_name(r->kind), why.data);
			goto out;
		}
	}
	if (r->wildcard) {
		if (expand_wildcard(rd) < 0)
			goto out;
	} else if (resolve(rd->ctxfd, r->src, rd->ign, &real, &st, &via) < 0) {
		if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP) {
			buf_addf(rd->err, "%s:%d: cannot stat %s source '%s': %s", rd->df->path, r->line,
			         dfread_kind_name(r->kind), r->src, strerror(errno));
			goto out;
		}
		not_found(rd->df, r, rd->ign, rd->err);
		goto out;
	} else if (take(rd, real.data, &st) < 0) {
		goto out;
	}
	filter(rd, &got, out, &kept);
	/* A named source the ignore file removes from the context fails the build; an existing directory whose files
	 * are all left out still copies (as an empty one), and BuildKit lets a wildcard match nothing at all. */
	if (!kept && !r->wildcard && real.len && rd->ign && dockerignore_excludes(rd->ign, real.data)) {
		not_found(rd->df, r, rd->ign, rd->err);
		goto out;
	}
	for (size_t i = 0; i < via.n; i++)
		add(out, via.v[i].path, &via.v[i].st, 0);
	ret = 0;
out:
	ctxlist_release(&got);
	ctxlist_release(&via);
	dockerignore_release(&ex);
	buf_release(&why);
	buf_release(&real);
	return ret;
}

int dockerctx_entries(const struct dockerfile *df, int ctxfd, const struct dockerignore *ign, struct filecache *fc,
                      const char *fcprefix, struct ctxlist *out, struct buf *err)
{
	const char **prune = NULL;
	size_t nprune = 0, i;
	int ret = 0;

	/* Patterns nothing can bring back let the walk skip whole trees (target/, .git/) instead of filtering them. */
	if (ign && ign->n) {
		prune = xcalloc(ign->n, sizeof(*prune));
		for (i = 0; i < ign->n; i++)
			if (dockerignore_prunable(ign, i))
				prune[nprune++] = ign->v[i].pat;
	}
	for (i = 0; i < df->nreads && ret == 0; i++) {
		struct reader rd = {df, &df->reads[i], ctxfd, ign, NULL, (const char *const *)prune, nprune, fc,
		                    fcprefix, NULL, NULL, 0, err};
		ret = read_one(&rd, out);
		out->whole |= rd.whole;
	}
	free(prune);
	if (ret < 0) {
		ctxlist_release(out);
		return -1;
	}
	sort_merge(out);
	return 0;
}

int dockerctx_visible(const struct dockerfile *df, const struct ctxlist *l, const char *path)
{
	struct buf pat = BUF_INIT, prefix = BUF_INIT;
	int seen = l->whole;

	for (size_t i = 0; i < df->nreads && !seen; i++) {
		const struct dfread *r = &df->reads[i];
		size_t n = strlen(r->src);
		if (!r->wildcard) {
			seen = strcmp(r->src, ".") == 0 || (strncmp(path, r->src, n) == 0 && (!path[n] || path[n] == '/'));
			continue;
		}
		/* a match is taken whole: path is seen when it or a directory above it matches */
		buf_reset(&pat);
		glob_pattern(&pat, r->src);
		for (const char *s = path; !seen; s++) {
			if (*s && *s != '/')
				continue;
			buf_reset(&prefix);
			buf_add(&prefix, path, (size_t)(s - path));
			seen = glob_match(pat.data, prefix.data);
			if (!*s)
				break;
		}
	}
	buf_release(&pat);
	buf_release(&prefix);
	return seen;
}
