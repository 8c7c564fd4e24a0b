/* util: allocation, messages, buffers and file helpers shared by every module. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

void vmessage(const char *kind, const char *fmt, va_list ap)
{
	int saved = errno;
	size_t n = strlen(fmt);

	fputs("sindri-build: ", stderr);
	if (kind)
		fprintf(stderr, "%s: ", kind);
	vfprintf(stderr, fmt, ap);
	if (n && fmt[n - 1] == ':')
		fprintf(stderr, " %s", strerror(saved));
	fputc('\n', stderr);
	errno = saved;
}

void fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(NULL, fmt, ap);
	va_end(ap);
	exit(2);
}

void warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("warning", fmt, ap);
	va_end(ap);
}

int error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(NULL, fmt, ap);
	va_end(ap);
	return -1;
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		fatal("out of memory allocating %zu bytes", n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		fatal("out of memory allocating %zu bytes", n * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		fatal("out of memory allocating %zu bytes", n);
	return p;
}

void *xreallocarray(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		fatal("out of memory: array of %zu x %zu bytes", n, size);
	return xrealloc(p, n * size);
}

void *xgrow(void *p, size_t *cap, size_t n, size_t size)
{
	size_t want = *cap ? *cap : 8;

	while (want < n) {
		if (want > SIZE_MAX / 2)
			fatal("out of memory: array of %zu elements", n);
		want *= 2;
	}
	p = xreallocarray(p, want, size);
	*cap = want;
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	return buf_detach(&b);
}

void buf_grow(struct buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;

	if (need < b->len)
		fatal("out of memory: buffer overflow");
	if (need <= b->cap)
		return;
	if (b->cap * 2 > need)
		need = b->cap * 2;
	if (need < 64)
		need = 64;
	b->data = xrealloc(b->data, need);
	b->cap = need;
}

void buf_add(struct buf *b, const void *p, size_t n)
{
	buf_grow(b, n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_addc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		fatal("bad format '%s'", fmt);
	buf_grow(b, (size_t)n);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
}

void buf_add_shquoted(struct buf *b, const char *s)
{
	if (*s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == strlen(s)) {
		buf_adds(b, s);
		return;
	}
	buf_addc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			buf_adds(b, "'\\''");
		else
			buf_addc(b, *s);
	}
	buf_addc(b, '\'');
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void buf_release(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

char *buf_detach(struct buf *b)
{
	char *s;

	if (!b->data)
		buf_grow(b, 0), b->data[0] = '\0';
	s = b->data;
	b->data = NULL;
	b->len = b->cap = 0;
	return s;
}

void strv_push(struct strv *sv, const char *s)
{
	GROW(sv->v, sv->n, sv->cap);
	sv->v[sv->n++] = xstrdup(s);
}

void strv_release(struct strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void strv_sort(struct strv *sv)
{
	if (sv->n > 1)
		qsort(sv->v, sv->n, sizeof(*sv->v), cmpstr);
}

int read_link(int dirfd, const char *path, struct buf *b)
{
	for (size_t size = 256;; size *= 2) {
		ssize_t n;
		buf_reset(b);
		buf_grow(b, size);
		n = readlinkat(dirfd, path, b->data, size);
		if (n < 0)
			return -1;
		if ((size_t)n < size) {
			b->len = (size_t)n;
			b->data[n] = '\0';
			return 0;
		}
	}
}

int read_file(const char *path, struct buf *b)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	ssize_t n;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) == 0 && st.st_size > 0)
		buf_grow(b, (size_t)st.st_size + 1);
	for (;;) {
		/* the size from fstat is usually right: grow only when the space left is short */
		if (!b->data || b->cap - b->len - 1 < 4096)
			buf_grow(b, 65536);
		n = read(fd, b->data + b->len, b->cap - b->len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
	}
	b->data[b->len] = '\0';
	close(fd);
	return 0;
}

int write_all(int fd, const void *data, size_t n)
{
	const char *p = data;

	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void fsync_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? xstrndup(path, (size_t)(slash - path) + (slash == path)) : xstrdup(".");
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

static int replace_file(const char *path, const void *data, size_t n, int durable, mode_t mode)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	int saved;

	if (fd < 0)
		goto fail;
	if (write_all(fd, data, n) < 0 || (durable && fsync(fd) < 0)) {
		saved = errno;
		close(fd);
		errno = saved;
		goto fail_unlink;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0)
		goto fail_unlink;
	if (durable)
		fsync_parent(path);
	free(tmp);
	return 0;
fail_unlink:
	saved = errno;
	unlink(tmp);
	errno = saved;
fail:
	saved = errno;
	free(tmp);
	errno = saved;
	return -1;
}

int write_file_atomic(const char *path, const void *data, size_t n)
{
	return replace_file(path, data, n, 1, 0600);
}

int write_file_replace(const char *path, const void *data, size_t n)
{
	return replace_file(path, data, n, 0, 0600);
}

int write_file_shared(const char *path, const void *data, size_t n)
{
	return replace_file(path, data, n, 1, 0666);
}

static int mkdir_mode(const char *path, mode_t mode)
{
	char *p = xstrdup(path);
	char *s = p;
	int ret = 0;

	for (;;) {
		s += strspn(s, "/");
		s += strcspn(s, "/");
		char c = *s;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST) {
			ret = -1;
			break;
		}
		if (!c)
			break;
		*s = c;
	}
	if (ret == 0) {
		struct stat st;
		if (stat(path, &st) < 0)
			ret = -1;
		else if (!S_ISDIR(st.st_mode))
			errno = ENOTDIR, ret = -1;
	}
	int saved = errno;
	free(p);
	errno = saved;
	return ret;
}

int mkdir_p(const char *path)
{
	return mkdir_mode(path, 0777);
}

int mkdir_private(const char *path)
{
	return mkdir_mode(path, 0700);
}

int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int str_has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

size_t edit_distance(const char *a, const char *b, size_t max)
{
	size_t n = strlen(a), m = strlen(b), i, j;
	size_t *row;

	if ((n > m ? n - m : m - n) > max)
		return max + 1;
	row = xmalloc((m + 1) * sizeof(*row));
	for (j = 0; j <= m; j++)
		row[j] = j;
	for (i = 1; i <= n; i++) {
		size_t diag = row[0], best;
		row[0] = i;
		best = row[0];
		for (j = 1; j <= m; j++) {
			size_t up = row[j];
			size_t v = diag + (a[i - 1] != b[j - 1]);
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			if (up + 1 < v)
				v = up + 1;
			row[j] = v;
			diag = up;
			if (v < best)
				best = v;
		}
		if (best > max) {
			free(row);
			return max + 1;
		}
	}
	i = row[m];
	free(row);
	return i > max ? max + 1 : i;
}
