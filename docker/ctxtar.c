/* ctxtar: a tar writer and a directory-tree writer behind one small interface. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctxtar.h"
#include "graph.h"
#include "util.h"

#define TAR_BLOCK 512
#define FLUSH_AT (1 << 17)
/* The largest number an 11-digit octal field holds. */
#define OCTAL_MAX 077777777777LL

struct ctxsink {
	int tar;          /* 1: a tar on fd; 0: a directory tree in fd */
	int fd;
	struct buf out;   /* the tar's bytes not written yet */
	uint64_t size;    /* the current file's size (tar padding) */
	int file;         /* the file being written into the directory */
	uint32_t perm;    /* its mode */
	int64_t mtime;    /* and mtime */
	struct strv dirs; /* the directories made, "MODE MTIME PATH": mode and mtime are set at the end */
};

static struct ctxsink *sink(int tar, int fd)
{
	struct ctxsink *s = xcalloc(1, sizeof(*s));

	s->tar = tar;
	s->fd = fd;
	s->file = -1;
	return s;
}

struct ctxsink *ctxsink_tar(int fd)
{
	return sink(1, fd);
}

struct ctxsink *ctxsink_dir(int dirfd)
{
	return sink(0, dirfd);
}

static int flush(struct ctxsink *s, int all)
{
	if (s->out.len < FLUSH_AT && !all)
		return 0;
	if (write_all(s->fd, s->out.data, s->out.len) < 0)
		return errno == EPIPE ? -1 : error("cannot write the build context's tar:"); /* EPIPE: the build ended */
	buf_reset(&s->out);
	return 0;
}

/* octal: a tar header number field of w bytes: w - 1 octal digits and a NUL. */
static void octal(char *field, size_t w, uint64_t v)
{
	field[--w] = '\0';
	while (w--) {
		field[w] = (char)('0' + (v & 7));
		v >>= 3;
	}
}

/* pax: add the record "LEN key=value\n" of a pax extended header; LEN counts the whole record. */
static void pax(struct buf *b, const char *key, const char *value)
{
	size_t n = strlen(key) + strlen(value) + 3, len = n + 1;

	while (len != n + (size_t)snprintf(NULL, 0, "%zu", len))
		len = n + (size_t)snprintf(NULL, 0, "%zu", len);
	buf_addf(b, "%zu %s=%s\n", len, key, value);
}

static void pad(struct buf *out, uint64_t size)
{
	static const char zero[TAR_BLOCK];

	if (size % TAR_BLOCK)
		buf_add(out, zero, TAR_BLOCK - size % TAR_BLOCK);
}

/* split: where name is cut into a ustar prefix (<= 155 bytes) and name (<= 100), or 0 when it cannot be. */
static size_t split(const char *name, size_t n)
{
	for (size_t i = n - 1; n > 100 && i > 0; i--)
		if (name[i] == '/' && i <= 155 && n - i - 1 <= 100)
			return i;
	return 0;
}

/* header: one 512-byte ustar header; what does not fit was said in a pax header before it. */
static void header(struct buf *out, const char *name, char type, uint32_t perm, int64_t mtime, uint64_t size,
                   const char *link)
{
	char h[TAR_BLOCK];
	size_t n = strlen(name), cut = split(name, n), ln = link ? strlen(link) : 0;
	unsigned sum = 0;

	memset(h, 0, sizeof(h));
	if (cut) {
		memcpy(h + 345, name, cut);
		memcpy(h, name + cut + 1, n - cut - 1);
	} else {
		memcpy(h, name, n > 100 ? 100 : n);
	}
	octal(h + 100, 8, perm & 07777);
	octal(h + 108, 8, 0);
	octal(h + 116, 8, 0);
	octal(h + 124, 12, size < (uint64_t)OCTAL_MAX ? size : 0);
	octal(h + 136, 12, mtime > 0 && mtime < OCTAL_MAX ? (uint64_t)mtime : 0);
	memset(h + 148, ' ', 8);
	h[156] = type;
	memcpy(h + 157, link ? link : "", ln > 100 ? 100 : ln);
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	for (size_t i = 0; i < sizeof(h); i++)
		sum += (unsigned char)h[i];
	octal(h + 148, 7, sum);
	buf_add(out, h, sizeof(h));
}

static int tar_entry(struct ctxsink *s, const char *path, char kind, uint32_t perm, int64_t mtime, uint64_t size,
                     const char *link)
{
	char *name = xasprintf("%s%s", path, kind == 'd' ? "/" : "");
	size_t n = strlen(name);
	struct buf ext = BUF_INIT;
	char num[32];

	if (n > 100 && !split(name, n))
		pax(&ext, "path", name);
	if (link && strlen(link) > 100)
		pax(&ext, "linkpath", link);
	if (size >= (uint64_t)OCTAL_MAX) {
		snprintf(num, sizeof(num), "%llu", (unsigned long long)size);
		pax(&ext, "size", num);
	}
	if (mtime < 0 || mtime >= OCTAL_MAX) {
		snprintf(num, sizeof(num), "%lld", (long long)mtime);
		pax(&ext, "mtime", num);
	}
	if (ext.len) {
		header(&s->out, "././@PaxHeader", 'x', 0644, 0, ext.len, NULL);
		buf_add(&s->out, ext.data, ext.len);
		pad(&s->out, ext.len);
	}
	header(&s->out, name, kind == 'f' ? '0' : kind == 'd' ? '5' : '2', perm, mtime, kind == 'f' ? size : 0, link);
	s->size = size;
	buf_release(&ext);
	free(name);
	return flush(s, 0);
}

static int dir_entry(struct ctxsink *s, const char *path, char kind, uint32_t perm, int64_t mtime, const char *link)
{
	struct timespec ts[2] = {{mtime, 0}, {mtime, 0}};

	if (kind == 'd') {
		char *rec = xasprintf("%o %lld %s", (unsigned)perm, (long long)mtime, path);
		strv_push(&s->dirs, rec);
		free(rec);
		return mkdirat(s->fd, path, 0700) < 0 ? error("cannot create '%s' in the sealed build context:", path) : 0;
	}
	if (kind == 'l') {
		if (symlinkat(link, s->fd, path) < 0 || utimensat(s->fd, path, ts, AT_SYMLINK_NOFOLLOW) < 0)
			return error("cannot create the symlink '%s' in the sealed build context:", path);
		return 0;
	}
	s->file = openat(s->fd, path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (s->file < 0)
		return error("cannot create '%s' in the sealed build context:", path);
	s->perm = perm;
	s->mtime = mtime;
	return 0;
}

int ctxsink_entry(struct ctxsink *s, const char *path, char kind, uint32_t perm, int64_t mtime, uint64_t size,
                  const char *link)
{
	return s->tar ? tar_entry(s, path, kind, perm, mtime, size, link) : dir_entry(s, path, kind, perm, mtime, link);
}

int ctxsink_data(struct ctxsink *s, const void *p, size_t n)
{
	if (s->tar) {
		buf_add(&s->out, p, n);
		return flush(s, 0);
	}
	return write_all(s->file, p, n) < 0 ? error("cannot write the sealed build context:") : 0;
}

int ctxsink_end(struct ctxsink *s)
{
	struct timespec ts[2] = {{s->mtime, 0}, {s->mtime, 0}};
	int r;

	if (s->tar) {
		pad(&s->out, s->size);
		return flush(s, 0);
	}
	r = fchmod(s->file, s->perm) < 0 || futimens(s->file, ts) < 0 ? -1 : 0;
	if (close(s->file) < 0)
		r = -1;
	s->file = -1;
	return r < 0 ? error("cannot write the sealed build context:") : 0;
}

int ctxsink_finish(struct ctxsink *s, int ok)
{
	static const char end[2 * TAR_BLOCK]; /* a tar ends with two zero blocks */
	int ret = 0;

	if (ok && s->tar) {
		buf_add(&s->out, end, sizeof(end));
		ret = flush(s, 1);
	}
	/* deepest first: a directory's mode may take away the right to write into it */
	for (size_t i = s->dirs.n; ok && ret == 0 && i-- > 0;) {
		unsigned perm;
		long long mtime;
		int off = 0;
		if (sscanf(s->dirs.v[i], "%o %lld %n", &perm, &mtime, &off) != 2 || !off)
			continue;
		struct timespec ts[2] = {{(time_t)mtime, 0}, {(time_t)mtime, 0}};
		if (fchmodat(s->fd, s->dirs.v[i] + off, perm, 0) < 0 || utimensat(s->fd, s->dirs.v[i] + off, ts, 0) < 0)
			ret = error("cannot set the mode of '%s' in the sealed build context:", s->dirs.v[i] + off);
	}
	if (s->file >= 0)
		close(s->file);
	strv_release(&s->dirs);
	buf_release(&s->out);
	free(s);
	return ret;
}
