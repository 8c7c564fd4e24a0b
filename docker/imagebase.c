/* imagebase: the identity of an external base image in an image task's key, the same on every machine whether or
 * not the image was pulled there yet.
 *
 * An image that came from a registry is named by the digest of its manifest there: the engine keeps it, after a
 * pull or a push, as a RepoDigest ("rust@sha256:..."), and a machine without the image asks the registry for it
 * (a HEAD of the manifest, which pulls nothing), so `-t key` before a pull and the build after it agree, and a
 * moved tag upstream changes the key of every machine that does not have the old image. An image that exists only
 * here (built, imported or loaded, never pushed) has no such digest and keeps its image ID. */
#include <stdlib.h>
#include <string.h>

#include "dockerapi.h"
#include "imagecache.h"
#include "json.h"
#include "key.h"
#include "registry.h"
#include "util.h"

/* repo_of: the canonical repository of a reference, "host/path" ("docker.io/library/rust" for "rust:1.95-slim"),
 * and its tag or digest in *tag (a pointer into ref; "latest" when it has neither). */
static char *repo_of(const char *ref, const char **tag)
{
	const char *at = strchr(ref, '@'), *slash = strchr(ref, '/');
	size_t n = at ? (size_t)(at - ref) : strlen(ref);
	const char *last = memrchr(ref, '/', n);
	const char *colon = memchr(last ? last : ref, ':', n - (size_t)((last ? last : ref) - ref));
	char *name, *out;

	*tag = at ? at + 1 : colon ? colon + 1 : "latest";
	if (colon && !at)
		n = (size_t)(colon - ref);
	name = xstrndup(ref, n);
	size_t h = slash && slash < ref + n ? (size_t)(slash - ref) : 0;
	int host = h && (memchr(name, '.', h) || memchr(name, ':', h) || (h == 9 && !strncmp(name, "localhost", 9)));
	const char *path = host ? name + h + 1 : name;
	int hub = !host || (h == 9 && !strncmp(name, "docker.io", 9)) || (h == 15 && !strncmp(name, "index.docker.io", 15)) ||
	          (h == 20 && !strncmp(name, "registry-1.docker.io", 20));

	if (hub)
		out = xasprintf("docker.io/%s%s", strchr(path, '/') ? "" : "library/", path);
	else
		out = xstrdup(name);
	free(name);
	return out;
}

/* local_digest: the manifest digest a RepoDigest of the image records for repository repo, or NULL; of several,
 * the smallest, so that every machine that has the same ones picks the same. */
static const char *local_digest(const struct json *info, const char *repo)
{
	const struct json *rds = json_get(info, "RepoDigests");
	const char *best = NULL;

	for (size_t i = 0; i < json_len(rds); i++) {
		const char *rd = json_str(json_at(rds, i), ""), *d;
		char *r = repo_of(rd, &d);
		if (strcmp(r, repo) == 0 && strchr(rd, '@') && (!best || strcmp(d, best) < 0))
			best = d;
		free(r);
	}
	return best;
}

/* ask_registry: the registry's manifest digest for ref, without pulling: 1 with it in value; 0 when the registry
 * has no such image; -1 when it cannot be asked (why in value). */
static int ask_registry(const char *ref, struct buf *value)
{
	const char *tag;
	char *repo = repo_of(ref, &tag), *digest = NULL;
	struct buf err = BUF_INIT;
	/* the repository as the registry client names it: Docker Hub's "library/" is implied */
	struct registry *reg = registry_open(str_has_prefix(repo, "docker.io/") ? repo + 10 : repo, &err);
	int r;

	if (!reg) {
		buf_addf(value, "%s", err.data ? err.data : "bad reference");
		r = -1;
	} else if ((r = registry_manifest_exists(reg, tag, &digest)) == 1 && digest) {
		buf_addf(value, "manifest %s", digest);
	} else if (r == 1) {
		buf_addf(value, "registry '%s' sent no digest for it", registry_host(reg));
		r = -1;
	} else if (r < 0) {
		buf_adds(value, registry_error(reg));
		r = -1;
	}
	registry_close(reg);
	buf_release(&err);
	free(repo);
	free(digest);
	return r;
}

int imagebase_identity(struct images *im, const char *ref, const struct keyenv *ke, struct buf *value, int *absent)
{
	static const char *const want[] = {"Id", "RepoTags", "RepoDigests", NULL};
	struct docker *d = images_docker(im);
	struct json *info = NULL;
	const char *tag, *ld;
	char *repo;
	int r;

	*absent = 0;
	if (!d || (r = docker_image_inspect_members(d, ref, want, &info)) < 0)
		return -1;
	repo = repo_of(ref, &tag);
	if (strchr(ref, '@')) {
		/* pinned: the reference names the manifest itself */
		buf_addf(value, "manifest %s", tag);
		*absent = r == DOCKER_NOT_FOUND;
	} else if (r != DOCKER_NOT_FOUND) {
		ld = local_digest(info, repo);
		if (ld)
			buf_addf(value, "manifest %s", ld);
		else
			buf_adds(value, json_str(json_get(info, "Id"), "?"));
	} else if (ke->offline) {
		*absent = 1;
		buf_adds(value, "(not in the engine: a run asks its registry)");
	} else {
		struct buf why = BUF_INIT;
		*absent = 1;
		r = ask_registry(ref, &why);
		if (r == 1) {
			buf_add(value, why.data, why.len);
		} else {
			buf_adds(value, r == 0 ? "(not in the engine, and its registry has no such image)"
			                       : "(not in the engine, and its registry cannot be asked)");
			if (ke->readonly)
				warn("base image '%s' is not in the engine and %s%s: the key is provisional until a run pulls it",
				     ref, r == 0 ? "its registry does not have it" : "its registry cannot be asked: ",
				     r == 0 ? "" : why.data);
		}
		buf_release(&why);
	}
	free(repo);
	json_free(info);
	return 0;
}
