/* regobj: manifests and blobs read from and written to a registry, an image's config read without pulling it, and
 * the OCI 1.1 referrers of a manifest, through the registry's referrers API or the spec's fallback, the referrers
 * tag schema (an image index under the tag "sha256-<hex of the subject's digest>").
 *
 * Registry behaviour this relies on (the distribution spec; checked against distribution 2.8, which has no
 * referrers API and answers its path with 404):
 *  - GET /v2/<name>/manifests/<ref> answers the bytes as pushed, with Content-Type and Docker-Content-Digest;
 *  - GET /v2/<name>/blobs/<digest> answers the blob, or redirects (307) to storage elsewhere, which gets no
 *    credentials;
 *  - POST /v2/<name>/blobs/uploads/ answers 202 with a Location to PUT the whole blob to, with "digest=" added;
 *  - PUT /v2/<name>/manifests/<ref> answers 201 with Docker-Content-Digest; a manifest whose blobs are missing
 *    is refused (400).
 * Every manifest and blob read is checked against its sha256 digest, so a registry (or a proxy) cannot hand over
 * other bytes than the digest names. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "json.h"
#include "registry.h"
#include "regwire.h"
#include "sha256.h"
#include "util.h"

#define MANIFEST_TYPES \
	"application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, " \
	"application/vnd.docker.distribution.manifest.v2+json, " \
	"application/vnd.docker.distribution.manifest.list.v2+json"
#define OCI_INDEX "application/vnd.oci.image.index.v1+json"

char *registry_sha256(const void *data, size_t len)
{
	static const char hexd[] = "0123456789abcdef";
	unsigned char d[SHA256_LEN];
	struct sha256 s;
	char *out = xmalloc(7 + 2 * SHA256_LEN + 1);

	sha256_init(&s);
	sha256_add(&s, data, len);
	sha256_final(&s, d);
	memcpy(out, "sha256:", 7);
	for (size_t i = 0; i < SHA256_LEN; i++) {
		out[7 + 2 * i] = hexd[d[i] >> 4];
		out[8 + 2 * i] = hexd[d[i] & 15];
	}
	out[7 + 2 * SHA256_LEN] = '\0';
	return out;
}

/* is_sha256: "sha256:" and 64 lowercase hex digits: the only digests this client makes or checks. */
static int is_sha256(const char *d)
{
	return d && strlen(d) == 71 && strncmp(d, "sha256:", 7) == 0 && strspn(d + 7, "0123456789abcdef") == 64;
}

/* unexpected: the message for an answer no request here expects. */
static int unexpected(struct registry *r, long status, const struct buf *body, const char *what)
{
	char *says = regwire_says(body);
	int rc = regwire_fail(r, -1, "registry '%s' answered HTTP %ld for %s of '%s'%s", regwire_shown_host(r), status,
	                      what, r->name, says);

	free(says);
	return rc;
}

/* answered: a GET's outcome: rc when it failed, 0 for 404, 1 for 200, else the message for another status. */
static int answered(struct registry *r, int rc, long status, const struct buf *body, const char *what)
{
	if (rc < 0 || status == 404)
		return rc < 0 ? rc : 0;
	return status == 200 ? 1 : unexpected(r, status, body, what);
}

int registry_manifest_get(struct registry *reg, const char *ref, struct buf *body, char **type, char **digest)
{
	char *url, *have;
	long status = 0;
	int rc;

	*type = *digest = NULL;
	if (!regwire_valid_reference(ref))
		return regwire_fail(reg, -1, "invalid tag or digest '%s'", ref);
	url = xasprintf("%s/v2/%s/manifests/%s", reg->base, reg->name, ref);
	rc = regwire_fetch(reg, "GET", url, MANIFEST_TYPES, NULL, body, &status);
	free(url);
	if ((rc = answered(reg, rc, status, body, "the manifest")) != 1)
		return rc;
	have = registry_sha256(body->data ? body->data : "", body->len);
	/* a manifest asked for by digest must be those bytes; one asked for by tag must be what the registry says */
	if ((is_sha256(ref) && strcmp(ref, have) != 0) || (reg->digest && is_sha256(reg->digest) && strcmp(reg->digest, have) != 0)) {
		rc = regwire_fail(reg, -1, "registry '%s' sent a manifest for '%s:%s' whose digest is %s, not %s",
		                  regwire_shown_host(reg), reg->name, ref, have, is_sha256(ref) ? ref : reg->digest);
		free(have);
		return rc;
	}
	*digest = have;
	*type = xstrndup(reg->ctype.data ? reg->ctype.data : "", strcspn(reg->ctype.data ? reg->ctype.data : "", ";"));
	return 1;
}

int registry_blob_get(struct registry *reg, const char *digest, struct buf *body)
{
	char *url, *have;
	long status = 0;
	int rc;

	if (!is_sha256(digest))
		return regwire_fail(reg, -1, "registry '%s': cannot check the blob digest '%s' (only sha256 is supported)",
		                    regwire_shown_host(reg), digest);
	url = xasprintf("%s/v2/%s/blobs/%s", reg->base, reg->name, digest);
	rc = regwire_fetch(reg, "GET", url, NULL, NULL, body, &status);
	free(url);
	if (rc == 0 && (status == 307 || status == 302 || status == 303) && reg->location.len) {
		/* storage elsewhere: the digest is the check, so its URL gets no credentials of ours */
		url = xstrdup(reg->location.data);
		if (url[0] == '/') {
			char *abs = xasprintf("%s%s", reg->base, url);
			free(url);
			url = abs;
		}
		rc = str_has_prefix(url, "https://") || str_has_prefix(url, "http://")
		             ? regwire_get_plain(reg, url, body, &status)
		             : regwire_fail(reg, -1, "registry '%s' redirects the blob %s to '%s'", regwire_shown_host(reg),
		                            digest, url);
		free(url);
	}
	if ((rc = answered(reg, rc, status, body, "a blob")) != 1)
		return rc;
	have = registry_sha256(body->data ? body->data : "", body->len);
	rc = strcmp(have, digest) == 0 ? 1
	                               : regwire_fail(reg, -1, "registry '%s' sent other bytes for the blob %s of '%s'",
	                                              regwire_shown_host(reg), digest, reg->name);
	free(have);
	return rc;
}

int registry_blob_put(struct registry *reg, const char *data, size_t len, char **digest)
{
	struct buf body = BUF_INIT;
	struct regwire_send send = {data, len, "application/octet-stream"};
	char *d = registry_sha256(data, len), *url = xasprintf("%s/v2/%s/blobs/%s", reg->base, reg->name, d), *put = NULL;
	long status = 0;
	int rc = regwire_fetch(reg, "HEAD", url, NULL, NULL, &body, &status);

	if (rc == 0 && status == 200)
		goto out; /* already there */
	free(url);
	url = xasprintf("%s/v2/%s/blobs/uploads/", reg->base, reg->name);
	if (rc == 0) {
		struct regwire_send none = {"", 0, NULL};
		rc = regwire_fetch(reg, "POST", url, NULL, &none, &body, &status);
	}
	if (rc == 0 && (status != 202 || !reg->location.len))
		rc = unexpected(reg, status, &body, "a blob upload");
	if (rc == 0) {
		const char *loc = reg->location.data;
		put = xasprintf("%s%s%sdigest=%s", loc[0] == '/' ? reg->base : "", loc, strchr(loc, '?') ? "&" : "?", d);
		if (!str_has_prefix(put, reg->base))
			rc = regwire_fail(reg, -1, "registry '%s' sends the upload to another server: '%s'",
			                  regwire_shown_host(reg), loc);
	}
	if (rc == 0)
		rc = regwire_fetch(reg, "PUT", put, NULL, &send, &body, &status);
	if (rc == 0 && status != 201)
		rc = unexpected(reg, status, &body, "a blob upload");
out:
	if (rc == 0 && digest)
		*digest = d;
	else
		free(d);
	free(url);
	free(put);
	buf_release(&body);
	return rc;
}

int registry_manifest_put(struct registry *reg, const char *ref, const char *type, const char *data, size_t len,
                          char **digest)
{
	struct buf body = BUF_INIT;
	struct regwire_send send = {data, len, type};
	char *url;
	long status = 0;
	int rc;

	if (!regwire_valid_reference(ref))
		return regwire_fail(reg, -1, "invalid tag or digest '%s'", ref);
	url = xasprintf("%s/v2/%s/manifests/%s", reg->base, reg->name, ref);
	rc = regwire_fetch(reg, "PUT", url, NULL, &send, &body, &status);
	if (rc == 0 && status != 201 && status != 200)
		rc = unexpected(reg, status, &body, "a manifest upload");
	if (rc == 0 && digest)
		*digest = registry_sha256(data, len);
	free(url);
	buf_release(&body);
	return rc;
}

/* this_platform: the architecture name OCI uses for this machine. */
static const char *this_arch(void)
{
	static const char *const map[][2] = {
		{"x86_64", "amd64"}, {"aarch64", "arm64"}, {"armv7l", "arm"}, {"i686", "386"}, {"ppc64le", "ppc64le"},
		{"s390x", "s390x"}, {"riscv64", "riscv64"},
	};
	static struct utsname u;

	if (uname(&u) < 0)
		return "amd64";
	for (size_t i = 0; i < LEN(map); i++)
		if (strcmp(u.machine, map[i][0]) == 0)
			return map[i][1];
	return u.machine;
}

int registry_image_config(struct registry *reg, const char *ref, struct json **config)
{
	struct buf body = BUF_INIT, err = BUF_INIT;
	struct json *m = NULL;
	char *type = NULL, *digest = NULL;
	const char *cfg;
	int rc;

	*config = NULL;
	rc = registry_manifest_get(reg, ref, &body, &type, &digest);
	for (int depth = 0; rc == 1 && depth < 2; depth++) {
		json_free(m);
		if (!(m = json_parse(body.data ? body.data : "", body.len, &err))) {
			rc = regwire_fail(reg, -1, "registry '%s' sent a manifest for '%s:%s' that is not JSON: %s",
			                  regwire_shown_host(reg), reg->name, ref, err.data);
			break;
		}
		if (!json_get(m, "manifests"))
			break;
		/* an index: this machine's platform, as docker pull picks it */
		const char *pick = NULL;
		for (size_t i = 0; i < json_len(json_get(m, "manifests")) && !pick; i++) {
			const struct json *e = json_at(json_get(m, "manifests"), i);
			if (!strcmp(json_str(json_path(e, "platform.os"), ""), "linux") &&
			    !strcmp(json_str(json_path(e, "platform.architecture"), ""), this_arch()))
				pick = json_str(json_get(e, "digest"), NULL);
		}
		if (!pick) {
			rc = regwire_fail(reg, -1, "'%s:%s' in registry '%s' has no image for linux/%s", reg->name, ref,
			                  regwire_shown_host(reg), this_arch());
			break;
		}
		char *sub = xstrdup(pick);
		free(type);
		free(digest);
		rc = registry_manifest_get(reg, sub, &body, &type, &digest);
		free(sub);
	}
	if (rc == 1 && !(cfg = json_str(json_path(m, "config.digest"), NULL)))
		rc = regwire_fail(reg, -1, "the manifest of '%s:%s' in registry '%s' names no config",
		                  reg->name, ref, regwire_shown_host(reg));
	else if (rc == 1 && (rc = registry_blob_get(reg, cfg, &body)) == 0)
		rc = regwire_fail(reg, -1, "the config %s of '%s:%s' is missing from registry '%s'", cfg, reg->name, ref,
		                  regwire_shown_host(reg));
	else if (rc == 1 && !(*config = json_parse(body.data ? body.data : "", body.len, &err)))
		rc = regwire_fail(reg, -1, "the config of '%s:%s' in registry '%s' is not JSON: %s", reg->name, ref,
		                  regwire_shown_host(reg), err.data);
	json_free(m);
	free(type);
	free(digest);
	buf_release(&body);
	buf_release(&err);
	return rc;
}

/* fallback_tag: the referrers tag schema's tag for a subject digest: "sha256-<hex>". */
static char *fallback_tag(const char *subject)
{
	char *t = xstrdup(subject);

	t[strcspn(t, ":")] = '-';
	return t;
}

int registry_referrers(struct registry *reg, const char *subject, struct json **index, int *api)
{
	struct buf body = BUF_INIT, err = BUF_INIT;
	char *url, *tag, *type = NULL, *digest = NULL;
	long status = 0;
	int rc;

	*index = NULL;
	*api = 0;
	if (!is_sha256(subject))
		return regwire_fail(reg, -1, "invalid subject digest '%s'", subject);
	url = xasprintf("%s/v2/%s/referrers/%s", reg->base, reg->name, subject);
	rc = regwire_fetch(reg, "GET", url, OCI_INDEX, NULL, &body, &status);
	free(url);
	if (rc == 0 && status == 200) {
		*api = 1;
	} else if (rc == 0 && status == 404) {
		/* no referrers API (distribution 2.8): the referrers tag schema */
		tag = fallback_tag(subject);
		rc = registry_manifest_get(reg, tag, &body, &type, &digest);
		free(tag);
		if (rc == 0)
			buf_reset(&body);
		rc = rc < 0 ? rc : 0;
	} else if (rc == 0) {
		rc = unexpected(reg, status, &body, "the referrers");
	}
	if (rc == 0 && body.len && !(*index = json_parse(body.data, body.len, &err)))
		rc = regwire_fail(reg, -1, "registry '%s' sent a referrers index for '%s' that is not JSON: %s",
		                  regwire_shown_host(reg), reg->name, err.data);
	free(type);
	free(digest);
	buf_release(&body);
	buf_release(&err);
	return rc;
}

int registry_add_referrer(struct registry *reg, const char *subject, const char *digest, size_t size,
                          const char *artifact_type, const char *const *annotations)
{
	struct json *old = NULL;
	struct buf out = BUF_INIT;
	int api, rc = registry_referrers(reg, subject, &old, &api);
	char *tag;

	/* a registry with the referrers API indexes the subject field itself */
	if (rc < 0 || api) {
		json_free(old);
		return rc;
	}
	json_open(&out, '{');
	json_add_key(&out, "schemaVersion");
	json_add_int(&out, 2);
	json_add_key(&out, "mediaType");
	json_add_str(&out, OCI_INDEX);
	json_add_key(&out, "manifests");
	json_open(&out, '[');
	for (size_t i = 0; i < json_len(json_get(old, "manifests")); i++) {
		const struct json *e = json_at(json_get(old, "manifests"), i);
		if (strcmp(json_str(json_get(e, "digest"), ""), digest) != 0)
			json_write(&out, e);
	}
	json_open(&out, '{');
	json_add_key(&out, "mediaType");
	json_add_str(&out, "application/vnd.oci.image.manifest.v1+json");
	json_add_key(&out, "digest");
	json_add_str(&out, digest);
	json_add_key(&out, "size");
	json_add_int(&out, (int64_t)size);
	json_add_key(&out, "artifactType");
	json_add_str(&out, artifact_type);
	if (annotations && *annotations) {
		json_add_key(&out, "annotations");
		json_open(&out, '{');
		for (; annotations[0] && annotations[1]; annotations += 2) {
			json_add_key(&out, annotations[0]);
			json_add_str(&out, annotations[1]);
		}
		json_close(&out, '}');
	}
	json_close(&out, '}');
	json_close(&out, ']');
	json_close(&out, '}');
	json_free(old);
	/* two pushers at once: the last index written wins and the other's entry is lost, which costs a later
	 * explain its comparison, never a wrong image (the registry has no compare-and-swap for tags) */
	tag = fallback_tag(subject);
	rc = registry_manifest_put(reg, tag, OCI_INDEX, out.data, out.len, NULL);
	free(tag);
	buf_release(&out);
	return rc;
}
