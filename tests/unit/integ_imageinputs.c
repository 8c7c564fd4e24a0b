/* integ_imageinputs: an image's input manifest: written from key parts and read back the same; secrets and
 * secret-looking variables named without their digest or value; the differences from today's parts said as explain
 * says them, secrets compared by name only; malformed documents refused. */
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "imageinputs.h"
#include "key.h"
#include "t.h"
#include "util.h"

static struct keyparts *parts(const char *arg, const char *secret_hash, const char *ctx)
{
	struct keyparts *kp = keyparts_new();
	struct hash128 h = hash_bytes(secret_hash, strlen(secret_hash)), c = hash_bytes(ctx, strlen(ctx));

	keyparts_addstr(kp, "recipe", "kind=image");
	keyparts_addstr(kp, "build-arg:RUST_VERSION", arg);
	keyparts_addstr(kp, "build-arg:NPM_TOKEN", "tok-value-1");
	keyparts_add(kp, "secret:GH_TOKEN", &h, NULL);
	keyparts_add(kp, "ctx:v3/Cargo.lock", &c, NULL);
	keyparts_addstr(kp, "df:Dockerfile:1", "1\tFROM rust:1.95-slim");
	return kp;
}

int main(void)
{
	struct keyparts *a = parts("1.94", "s1", "lock one"), *b, *c, *d;
	struct buf doc = BUF_INIT, err = BUF_INIT, diff = BUF_INIT;
	char *task = NULL, *key = NULL, *created = NULL;

	inputs_encode("docker-build-base", "0123456789abcdef0123456789abcdef", a, 86400, &doc);
	CHECK(strstr(doc.data, "\"schema\":\"sindri-build inputs 1\"") != NULL);
	CHECK(strstr(doc.data, "\"created\":\"1970-01-02T00:00:00Z\"") != NULL);
	CHECK(strstr(doc.data, "\"name\":\"secret:GH_TOKEN\"}") != NULL);
	CHECK(strstr(doc.data, "\"name\":\"build-arg:NPM_TOKEN\"}") != NULL);
	CHECK(strstr(doc.data, "tok-value-1") == NULL);
	CHECK(strstr(doc.data, "\"value\":\"1.94\"") != NULL);
	{
		/* neither digest of the two secret parts is in the document */
		char hex[HASH_HEX_LEN + 1];
		struct hash128 h = hash_bytes("s1", 2), t = hash_bytes("tok-value-1", 11);
		hash_hex(&h, hex);
		CHECK(strstr(doc.data, hex) == NULL);
		hash_hex(&t, hex);
		CHECK(strstr(doc.data, hex) == NULL);
	}

	b = inputs_decode(doc.data, doc.len, &task, &key, &created, &err);
	CHECK(b != NULL);
	CHECK_STR(task, "docker-build-base");
	CHECK_STR(key, "0123456789abcdef0123456789abcdef");
	CHECK_STR(created, "1970-01-02T00:00:00Z");
	CHECK_INT(b ? b->n : 0, a->n);
	/* the same parts: no difference, although the secrets' digests were not published */
	CHECK_INT(inputs_diff(b, a, &diff, 10), 0);

	/* today: another build arg, another Cargo.lock, another secret value (not comparable: not a difference) */
	c = parts("1.95", "s2", "lock two");
	buf_reset(&diff);
	CHECK_INT(inputs_diff(b, c, &diff, 10), 2);
	CHECK(diff.data && strstr(diff.data, "build-arg:RUST_VERSION changed: '1.94' -> '1.95'") != NULL);
	CHECK(diff.data && strstr(diff.data, "ctx:v3/Cargo.lock modified") != NULL);
	CHECK(diff.data && strstr(diff.data, "GH_TOKEN") == NULL);

	/* a secret no longer declared is a difference, by name */
	d = keyparts_new();
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(keyparts_name(a, i), "secret:GH_TOKEN") != 0)
			keyparts_add(d, keyparts_name(a, i), &a->v[i].h, keyparts_value(a, i));
	buf_reset(&diff);
	CHECK_INT(inputs_diff(b, d, &diff, 10), 1);
	CHECK(diff.data && strstr(diff.data, "secret GH_TOKEN is no longer keyed") != NULL);

	/* not an input manifest */
	buf_reset(&err);
	const char *other = "{\"schema\":\"other\",\"parts\":[]}";
	const char *bad = "{\"schema\":\"sindri-build inputs 1\",\"parts\":[{\"hash\":\"zz\"}]}";
	CHECK(inputs_decode(other, strlen(other), NULL, NULL, NULL, &err) == NULL);
	CHECK(err.data && strstr(err.data, "not a sindri-build input manifest") != NULL);
	buf_reset(&err);
	CHECK(inputs_decode(bad, strlen(bad), NULL, NULL, NULL, &err) == NULL);
	CHECK(err.data && strstr(err.data, "part 1 has no name") != NULL);
	buf_reset(&err);
	CHECK(inputs_decode("not json", 8, NULL, NULL, NULL, &err) == NULL);

	keyparts_free(a);
	keyparts_free(b);
	keyparts_free(c);
	keyparts_free(d);
	buf_release(&doc);
	buf_release(&err);
	buf_release(&diff);
	free(task);
	free(key);
	free(created);
	return t_done("integ_imageinputs");
}
