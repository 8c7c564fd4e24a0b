/* util: allocation that never fails, messages, growable buffers, small file helpers. */
#ifndef SB_UTIL_H
#define SB_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation: these never return NULL; they call fatal() when memory runs out. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* xreallocarray: grow an array of n elements of size bytes, checking for overflow. */
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* xgrow: p, an array of *cap elements of size bytes, grown to hold at least n (*cap at least doubles, so pushing one
 * at a time costs linear time). Use GROW. */
void *xgrow(void *p, size_t *cap, size_t n, size_t size);
/* GROW: make room in array p, of capacity cap (a size_t lvalue), for an element at index n (one more after n). */
#define GROW(p, n, cap)                                                                                               \
	do {                                                                                                           \
		if ((n) >= (cap))                                                                                      \
			(p) = xgrow((p), &(cap), (n) + 1, sizeof(*(p)));                                               \
	} while (0)

/* Messages go to stderr prefixed "sindri-build: ". A fmt ending in ':' gets ' ' + strerror(errno) appended. */
void fatal(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* error: prints like warn and returns -1, for `return error(...)`. */
int error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vmessage(const char *kind, const char *fmt, va_list ap);

/* struct buf: a growable byte string, always NUL-terminated after buf_* calls. Owner calls buf_release. */
struct buf {
	char *data;
	size_t len, cap;
};
#define BUF_INIT {NULL, 0, 0}
void buf_grow(struct buf *b, size_t extra);
void buf_add(struct buf *b, const void *p, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vaddf(struct buf *b, const char *fmt, va_list ap);
/* buf_add_shquoted: append s quoted for /bin/sh, as it is when it needs no quoting. */
void buf_add_shquoted(struct buf *b, const char *s);
void buf_reset(struct buf *b);
void buf_release(struct buf *b);
/* buf_detach: hand the NUL-terminated string to the caller (who frees it) and reset b. */
char *buf_detach(struct buf *b);

/* struct strv: a list of owned strings. Owner calls strv_release. */
struct strv {
	char **v;
	size_t n, cap;
};
/* strv_push: append a copy of s. */
void strv_push(struct strv *sv, const char *s);
void strv_release(struct strv *sv);
/* strv_sort: sort in place, bytewise. */
void strv_sort(struct strv *sv);

/* read_file: read a whole file into b (appending). Returns 0, or -1 with errno set (nothing printed). */
int read_file(const char *path, struct buf *b);
/* read_link: the target text of the symlink path (relative to dirfd) into b (replacing what it held). Returns 0, or
 * -1 with errno set. */
int read_link(int dirfd, const char *path, struct buf *b);
/* write_all: write n bytes, retrying short writes and EINTR. -1 with errno on failure. */
int write_all(int fd, const void *data, size_t n);
/* write_file_atomic: write to path.tmp.PID, fsync, rename over path, fsync the directory. -1 with errno on failure.
 * The file is made with mode 0600: what sindri-build writes this way is its private state. */
int write_file_atomic(const char *path, const void *data, size_t n);
/* write_file_replace: the same without the fsyncs: a process killed at any moment leaves the old or the new file,
 * never a mix (rename is atomic), but a power cut may not. For data that is checked when read and can be rebuilt
 * (the stat cache, explain's side blobs), where three fsyncs per task would cost more than they protect. */
int write_file_replace(const char *path, const void *data, size_t n);
/* write_file_shared: write_file_atomic for a file of the project (build.ninja): mode 0666 & umask. */
int write_file_shared(const char *path, const void *data, size_t n);
/* mkdir_p: create a directory and its parents (mode 0777 & umask). -1 with errno on failure. */
int mkdir_p(const char *path);
/* mkdir_private: mkdir_p with mode 0700 for what it creates (the state directory and those in it). */
int mkdir_private(const char *path);

/* now_ns: CLOCK_REALTIME in nanoseconds; mono_ns: CLOCK_MONOTONIC in nanoseconds. */
int64_t now_ns(void);
int64_t mono_ns(void);

/* str_has_prefix / str_has_suffix: 1 when s starts / ends with the given string. */
int str_has_prefix(const char *s, const char *prefix);
int str_has_suffix(const char *s, const char *suffix);
/* edit_distance: Levenshtein distance, capped at max+1 (for "did you mean"). */
size_t edit_distance(const char *a, const char *b, size_t max);

#endif
