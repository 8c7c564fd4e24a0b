/* listing: a directory's entries as the walk and the stat cache keep them (see listing.h). */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "listing.h"
#include "util.h"

/* A listing entry while sorting: its name, and whether it is a directory (known from d_type). */
struct lent {
	const char *name;
	size_t len;
	unsigned char type;
};

/* cmp_lent: the order of the paths below a directory: a subdirectory sorts as its name with a '/' after it, so a
 * depth-first walk of sorted listings yields paths in strcmp order ("a-b" < "a/x" < "a0") and the caller's sort
 * finds nothing to do. */
static int cmp_lent(const void *pa, const void *pb)
{
	const struct lent *a = pa, *b = pb;
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->name, b->name, n);
	unsigned char ca, cb;

	if (c)
		return c;
	ca = a->len > n ? (unsigned char)a->name[n] : a->type == DT_DIR ? '/' : 0;
	cb = b->len > n ? (unsigned char)b->name[n] : b->type == DT_DIR ? '/' : 0;
	return (int)ca - (int)cb;
}

/* getdents64 on the fd itself: opendir/readdir would add an fstat and two fcntl per directory. */
int listing_read(int fd, struct buf *out)
{
	enum { DIRBUF = 32768 };
	char *dbuf = xmalloc(DIRBUF);
	struct buf raw = BUF_INIT;
	struct lent *v = NULL;
	size_t n = 0, cap = 0;
	ssize_t got;
	int ret = 0;

	while ((got = getdents64(fd, dbuf, DIRBUF)) > 0) {
		for (ssize_t pos = 0; pos < got;) {
			const struct dirent64 *de = (const struct dirent64 *)(const void *)(dbuf + pos);
			const char *name = de->d_name;
			pos += de->d_reclen;
			if (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2])))
				continue;
			buf_addc(&raw, (char)de->d_type);
			buf_add(&raw, name, strlen(name) + 1);
			n++;
		}
	}
	if (got < 0)
		ret = -1;
	int saved = errno;
	free(dbuf);
	close(fd);
	if (ret == 0 && n) {
		cap = n;
		v = xcalloc(cap, sizeof(*v));
		n = 0;
		for (size_t pos = 0; pos < raw.len; n++) {
			v[n].type = (unsigned char)raw.data[pos];
			v[n].name = raw.data + pos + 1;
			v[n].len = strlen(v[n].name);
			pos += v[n].len + 2;
		}
		qsort(v, n, sizeof(*v), cmp_lent);
		for (size_t i = 0; i < n; i++) {
			buf_addc(out, (char)v[i].type);
			buf_add(out, v[i].name, v[i].len + 1);
		}
		free(v);
	}
	buf_release(&raw);
	errno = saved;
	return ret;
}

/* by hand: snprintf costs more than the stat it keys */
void listing_key(char *key, uint64_t dev, uint64_t ino)
{
	char tmp[48];
	size_t n = 0, i = 0;

	do
		tmp[n++] = (char)('0' + ino % 10);
	while ((ino /= 10));
	tmp[n++] = ':';
	do
		tmp[n++] = (char)('0' + dev % 10);
	while ((dev /= 10));
	key[i++] = '/';
	while (n)
		key[i++] = tmp[--n];
	key[i] = '\0';
}

