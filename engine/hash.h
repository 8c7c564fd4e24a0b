/* hash: XXH3-128 digests, streaming hashers and file hashing. */
#ifndef SB_HASH_H
#define SB_HASH_H

#include <stddef.h>
#include <stdint.h>

struct hash128 {
	uint64_t lo, hi;
};

#define HASH_HEX_LEN 32

/* hash_bytes: XXH3-128 of a buffer. */
struct hash128 hash_bytes(const void *p, size_t n);
/* hash_eq: 1 when equal. */
int hash_eq(const struct hash128 *a, const struct hash128 *b);
/* hash_is_zero: 1 for the all-zero digest, which stands for "none". */
int hash_is_zero(const struct hash128 *h);
/* hash_hex: 32 lowercase hex digits + NUL (hi word first, as xxhsum prints XXH128). */
void hash_hex(const struct hash128 *h, char out[HASH_HEX_LEN + 1]);
/* hash_parse: the inverse of hash_hex; -1 if s is not 32 hex digits. */
int hash_parse(const char *s, struct hash128 *h);

/* struct hasher: streaming XXH3-128. Fields are private. hasher_init then add*, then hasher_final (which frees). */
struct hasher {
	void *state;
};
void hasher_init(struct hasher *h);
void hasher_add(struct hasher *h, const void *p, size_t n);
/* hasher_addstr: adds a length prefix then the bytes, so ("ab","c") and ("a","bc") differ. NULL adds a distinct marker. */
void hasher_addstr(struct hasher *h, const char *s);
void hasher_addu64(struct hasher *h, uint64_t v);
void hasher_addhash(struct hasher *h, const struct hash128 *v);
struct hash128 hasher_final(struct hasher *h);

/* The read size of file hashing: hash_fd_buf and hash_file_buf take a block of it (any size works). */
#define HASH_BLOCK (1 << 17)
/* hash_fd: hash the rest of an open file. -1 with errno on read error. */
int hash_fd(int fd, struct hash128 *out);
/* hash_fd_buf: hash_fd reading through the caller's block of size bytes (for threads: hash_fd keeps one per thread
 * until exit); expect is the file's size as last stat'ed (HASH_SIZE_UNKNOWN: none): a read shorter than the block
 * that completes it ends the file without one more read. */
#define HASH_SIZE_UNKNOWN UINT64_MAX
int hash_fd_buf(int fd, void *block, size_t size, uint64_t expect, struct hash128 *out);
/* hash_file: open path (relative to dirfd, AT_FDCWD for cwd) and hash its contents. -1 with errno. */
int hash_file(int dirfd, const char *path, struct hash128 *out);
/* hash_file_buf: hash_file reading through the caller's block of size bytes, expecting expect (see hash_fd_buf). */
int hash_file_buf(int dirfd, const char *path, void *block, size_t size, uint64_t expect, struct hash128 *out);

#endif
