/* hash: thin layer over libxxhash's XXH3-128. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include "hash.h"
#include "util.h"

static struct hash128 from_xxh(XXH128_hash_t x)
{
	struct hash128 h = {x.low64, x.high64};
	return h;
}

struct hash128 hash_bytes(const void *p, size_t n)
{
	return from_xxh(XXH3_128bits(p, n));
}

int hash_eq(const struct hash128 *a, const struct hash128 *b)
{
	return a->lo == b->lo && a->hi == b->hi;
}

int hash_is_zero(const struct hash128 *h)
{
	return h->lo == 0 && h->hi == 0;
}

void hash_hex(const struct hash128 *h, char out[HASH_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 16; i++)
		out[i] = digits[(h->hi >> (60 - 4 * i)) & 15];
	for (i = 0; i < 16; i++)
		out[16 + i] = digits[(h->lo >> (60 - 4 * i)) & 15];
	out[HASH_HEX_LEN] = '\0';
}

int hash_parse(const char *s, struct hash128 *h)
{
	uint64_t w[2] = {0, 0};
	int i;

	for (i = 0; i < HASH_HEX_LEN; i++) {
		int c = s[i], v;
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else
			return -1;
		w[i / 16] = w[i / 16] << 4 | (uint64_t)v;
	}
	if (s[HASH_HEX_LEN])
		return -1;
	h->hi = w[0];
	h->lo = w[1];
	return 0;
}

void hasher_init(struct hasher *h)
{
	h->state = XXH3_createState();
	if (!h->state)
		fatal("out of memory allocating a hasher");
	XXH3_128bits_reset(h->state);
}

void hasher_add(struct hasher *h, const void *p, size_t n)
{
	XXH3_128bits_update(h->state, p, n);
}

void hasher_addu64(struct hasher *h, uint64_t v)
{
	unsigned char b[8];
	int i;

	for (i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	hasher_add(h, b, sizeof(b));
}

void hasher_addstr(struct hasher *h, const char *s)
{
	if (!s) {
		hasher_addu64(h, UINT64_MAX);
		return;
	}
	size_t n = strlen(s);
	hasher_addu64(h, n);
	hasher_add(h, s, n);
}

void hasher_addhash(struct hasher *h, const struct hash128 *v)
{
	hasher_addu64(h, v->lo);
	hasher_addu64(h, v->hi);
}

struct hash128 hasher_final(struct hasher *h)
{
	struct hash128 r = from_xxh(XXH3_128bits_digest(h->state));

	XXH3_freeState(h->state);
	h->state = NULL;
	return r;
}

int hash_fd_buf(int fd, void *block, size_t size, uint64_t expect, struct hash128 *out)
{
	XXH3_state_t st;
	uint64_t total = 0;
	ssize_t n;

	XXH3_128bits_reset(&st);
	for (;;) {
		n = read(fd, block, size);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		XXH3_128bits_update(&st, block, (size_t)n);
		total += (uint64_t)n;
		/* a short read that brings the expected size: its end, which spares the read that returns 0 (a file that
		 * grew since its stat has new stat data, which the caller's stat cache and after-run check compare) */
		if ((size_t)n < size && total == expect)
			break;
	}
	*out = from_xxh(XXH3_128bits_digest(&st));
	return 0;
}

/* thread_block: the read block of hash_fd and hash_file, one per thread, kept until exit. */
static char *thread_block(void)
{
	static _Thread_local char *block;

	if (!block)
		block = xmalloc(HASH_BLOCK);
	return block;
}

int hash_fd(int fd, struct hash128 *out)
{
	return hash_fd_buf(fd, thread_block(), HASH_BLOCK, HASH_SIZE_UNKNOWN, out);
}

int hash_file_buf(int dirfd, const char *path, void *block, size_t size, uint64_t expect, struct hash128 *out)
{
	/* O_NONBLOCK: a FIFO put in the file's place does not block the open, and reads as empty or fails */
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	int ret, saved;

	if (fd < 0)
		return -1;
	ret = hash_fd_buf(fd, block, size, expect, out);
	saved = errno;
	close(fd);
	errno = saved;
	return ret;
}

int hash_file(int dirfd, const char *path, struct hash128 *out)
{
	return hash_file_buf(dirfd, path, thread_block(), HASH_BLOCK, HASH_SIZE_UNKNOWN, out);
}
