/* fileset: the set of files a pattern expansion makes: its entries and their stat data, adding, sorting and
 * deduplicating them, and the expansion's plain entry points (the walk itself is filewalk.c). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileset.h"
#include "filesetint.h"
#include "util.h"

void fileset_init(struct fileset *fs)
{
	fs->v = NULL;
	fs->n = fs->cap = 0;
}

void fileset_release(struct fileset *fs)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		free(fs->v[i].path);
	free(fs->v);
	fileset_init(fs);
}

void filestat_from(struct filestat *fst, const struct stat *st)
{
	fst->size = (uint64_t)st->st_size;
	fst->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	fst->ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
	fst->ino = (uint64_t)st->st_ino;
	fst->dev = (uint64_t)st->st_dev;
	fst->mode = (uint32_t)st->st_mode;
}

void fileset_add(struct fileset *fs, const char *path, size_t len, const struct stat *st, int link)
{
	struct fileent *e;

	GROW(fs->v, fs->n, fs->cap);
	e = &fs->v[fs->n++];
	e->path = xstrndup(path, len);
	if (st)
		filestat_from(&e->st, st);
	else
		memset(&e->st, 0, sizeof(e->st));
	e->link = link;
	e->fed = 0;
}

static int cmp_ent(const void *a, const void *b)
{
	return strcmp(((const struct fileent *)a)->path, ((const struct fileent *)b)->path);
}

void fileset_sort_dedupe(struct fileset *fs)
{
	size_t i, j;

	for (i = 1; i < fs->n; i++)
		if (strcmp(fs->v[i - 1].path, fs->v[i].path) >= 0)
			break;
	if (i >= fs->n)
		return;
	qsort(fs->v, fs->n, sizeof(*fs->v), cmp_ent);
	for (i = j = 1; i < fs->n; i++) {
		if (strcmp(fs->v[j - 1].path, fs->v[i].path) == 0)
			free(fs->v[i].path);
		else
			fs->v[j++] = fs->v[i];
	}
	fs->n = j;
}

int fileset_expand(struct fileset *fs, int rootfd, const char *const *pats, size_t npats,
                   const char *const *excl, size_t nexcl, struct buf *err)
{
	return fileset_expand_cached(fs, rootfd, pats, npats, excl, nexcl, NULL, NULL, 0, err);
}

int fileset_expand_cached(struct fileset *fs, int rootfd, const char *const *pats, size_t npats,
                          const char *const *excl, size_t nexcl, struct filecache *fc, const char *fcprefix,
                          unsigned flags, struct buf *err)
{
	return fileset_expand_fed(fs, rootfd, pats, npats, excl, nexcl, fc, fcprefix, flags, NULL, err);
}
