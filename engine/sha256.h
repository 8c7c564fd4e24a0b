/* sha256: SHA-256 (FIPS 180-4) and HMAC-SHA-256 (RFC 2104), for keying secret values with a key no one else has. */
#ifndef SB_SHA256_H
#define SB_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32
#define SHA256_BLOCK 64

/* struct sha256: a streaming digest; fields are private. */
struct sha256 {
	uint32_t h[8];
	uint64_t len;                   /* bytes added so far */
	unsigned char buf[SHA256_BLOCK]; /* a partial block */
	size_t nbuf;
};

/* sha256_init: start a digest. */
void sha256_init(struct sha256 *s);
/* sha256_add: add n bytes. */
void sha256_add(struct sha256 *s, const void *p, size_t n);
/* sha256_final: the digest of everything added; s is wiped and must be initialized again before reuse. */
void sha256_final(struct sha256 *s, unsigned char out[SHA256_LEN]);

/* struct hmac: a streaming HMAC-SHA-256 under one key; fields are private. */
struct hmac {
	struct sha256 inner;
	unsigned char okey[SHA256_BLOCK]; /* the key xor opad */
};

/* hmac_init: start an HMAC under key (any length; one longer than a block is hashed first, as RFC 2104 says). */
void hmac_init(struct hmac *m, const void *key, size_t keylen);
/* hmac_add: add n bytes of the message. */
void hmac_add(struct hmac *m, const void *p, size_t n);
/* hmac_final: the MAC; m is wiped. */
void hmac_final(struct hmac *m, unsigned char out[SHA256_LEN]);

/* wipe: zero n bytes in a way the compiler keeps (for keys and secret values). */
void wipe(void *p, size_t n);

#endif
