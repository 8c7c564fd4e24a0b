/* engine_sha256: SHA-256 against the FIPS 180-4 examples and HMAC-SHA-256 against RFC 4231's test cases. */
#include <stdlib.h>
#include <string.h>

#include "sha256.h"
#include "util.h"
#include "t.h"

static void hex(const unsigned char *d, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

/* sha: the digest of n bytes added in pieces of step bytes (0: at once), as hex. */
static const char *sha(const void *p, size_t n, size_t step)
{
	static char out[2 * SHA256_LEN + 1];
	unsigned char d[SHA256_LEN];
	struct sha256 s;

	sha256_init(&s);
	if (!step)
		step = n ? n : 1;
	for (size_t off = 0; off < n; off += step)
		sha256_add(&s, (const char *)p + off, n - off < step ? n - off : step);
	sha256_final(&s, d);
	hex(d, sizeof(d), out);
	return out;
}

static const char *mac(const void *key, size_t keylen, const void *msg, size_t n, size_t len)
{
	static char out[2 * SHA256_LEN + 1];
	unsigned char d[SHA256_LEN];
	struct hmac m;

	hmac_init(&m, key, keylen);
	hmac_add(&m, msg, n);
	hmac_final(&m, d);
	hex(d, len, out);
	return out;
}

/* FIPS 180-4's examples (the NIST "SHA256.pdf" and "SHA2_Additional" ones): one block, two blocks, the empty
 * message, the 896-bit one and a million 'a'; each also fed in awkward pieces, so the buffering is tested. */
static void test_sha256(void)
{
	static const char two[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	static const char four[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqr"
	                           "lmnopqrsmnopqrstnopqrstu";
	char *million = xmalloc(1000000);

	memset(million, 'a', 1000000);
	CHECK_STR(sha("abc", 3, 0), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	CHECK_STR(sha("", 0, 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	CHECK_STR(sha(two, strlen(two), 0), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	CHECK_STR(sha(two, strlen(two), 1), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	CHECK_STR(sha(four, strlen(four), 0), "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
	CHECK_STR(sha(four, strlen(four), 7), "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
	CHECK_STR(sha(million, 1000000, 0), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	CHECK_STR(sha(million, 1000000, 63), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	/* 55, 56 and 64 bytes: the padding's edges (one block, a second block for the length, an exact block) */
	CHECK_STR(sha(million, 55, 0), "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
	CHECK_STR(sha(million, 56, 0), "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
	CHECK_STR(sha(million, 64, 0), "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
	free(million);
}

/* RFC 4231, section 4: test cases 1 to 7 (case 5's output truncated to 128 bits, as the RFC gives it). */
static void test_hmac(void)
{
	unsigned char k20[20], k25[25], k131[131], d50[50];

	memset(k20, 0x0b, sizeof(k20));
	CHECK_STR(mac(k20, 20, "Hi There", 8, 32), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	CHECK_STR(mac("Jefe", 4, "what do ya want for nothing?", 28, 32),
	          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	memset(k20, 0xaa, sizeof(k20));
	memset(d50, 0xdd, sizeof(d50));
	CHECK_STR(mac(k20, 20, d50, 50, 32), "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
	for (int i = 0; i < 25; i++)
		k25[i] = (unsigned char)(i + 1);
	memset(d50, 0xcd, sizeof(d50));
	CHECK_STR(mac(k25, 25, d50, 50, 32), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
	memset(k20, 0x0c, sizeof(k20));
	CHECK_STR(mac(k20, 20, "Test With Truncation", 20, 16), "a3b6167473100ee06e0c796c2955552b");
	memset(k131, 0xaa, sizeof(k131));
	CHECK_STR(mac(k131, 131, "Test Using Larger Than Block-Size Key - Hash Key First", 54, 32),
	          "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	static const char seven[] = "This is a test using a larger than block-size key and a larger than block-size data. "
	                            "The key needs to be hashed before being used by the HMAC algorithm.";
	CHECK_STR(mac(k131, 131, seven, strlen(seven), 32),
	          "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

int main(void)
{
	test_sha256();
	test_hmac();
	return t_done("engine_sha256");
}
