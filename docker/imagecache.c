/* imagecache: the image task's registry cache and tar cache (docs/ci.md).
 *
 * A keyed image in a shared registry is used only after checks made in the registry, before anything is pulled: the
 * image's config carries the key its tag names, and its input manifest (imageinputs.h), found through the OCI 1.1
 * referrers of the image's manifest, lists exactly today's key parts. The pull is then by digest, so the image pulled
 * is the one checked. Anything else is ignored with a warning and the image is built here.
 *
 * A push happens only after a successful build; the registry being down then is a warning (an error under
 * --strict-cache), and no registry-prefixed tag is left behind either way. With the image goes its input manifest,
 * as an artifact manifest whose subject is the image, listed in the referrers tag schema's index for registries
 * without the referrers API, and tagged "<task>-inputs" as the newest of the task, for -t explain --remote. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctxseal.h"
#include "dockerapi.h"
#include "imagecache.h"
#include "imageinputs.h"
#include "json.h"
#include "key.h"
#include "proc.h"
#include "registry.h"
#include "util.h"

#define OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define OCI_EMPTY "application/vnd.oci.empty.v1+json"
/* The tag of a task's newest input manifest, after the task's name. */
#define INPUTS_TAG "inputs"

char *imagecache_tag(const char *task, const char *hex)
{
	/* a tag is [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}: room for "-<key>" and "-inputs" after the name */
	char *name = xstrndup(task, strnlen(task, 80));

	for (char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      (p > name && (*p == '.' || *p == '-')) || *p == '_'))
			*p = '_';
	char *tag = xasprintf("%s-%s", name, hex);
	free(name);
	return tag;
}

/* open_cache: a client for t's remote cache; NULL after an error naming the task. */
static struct registry *open_cache(struct task *t)
{
	struct image *img = t->udata;
	struct buf err = BUF_INIT;
	struct registry *reg = registry_open(img->spec.remote_cache, &err);

	if (!reg)
		error("image '%s': remote cache: %s", t->name, err.data ? err.data : "bad repository");
	buf_release(&err);
	return reg;
}

/* unusable: the remote cache cannot be used for t now (why): a warning and -2 (build here), or with strict_cache
 * an error and -1. */
static int unusable(struct task *t, const char *why)
{
	struct image *img = t->udata;

	img->remote_down = 1;
	if (img->spec.strict_cache)
		return error("image '%s': the remote cache '%s' cannot be used (%s); --strict-cache makes that an error",
		             t->name, img->spec.remote_cache, why);
	warn("image '%s': the remote cache '%s' cannot be used (%s); building locally", t->name, img->spec.remote_cache,
	     why);
	return -2;
}

int imagecache_remote_has(struct task *t)
{
	struct image *img = t->udata;
	struct registry *reg = open_cache(t);
	char *tag = imagecache_tag(t->name, img->hex);
	int r = reg ? registry_manifest_exists(reg, tag, NULL) : -1;

	if (reg && r < 0)
		r = unusable(t, registry_error(reg));
	registry_close(reg);
	free(tag);
	return r;
}

/* fetch_inputs: the input manifest whose subject is the manifest subject and whose key is hex: 1 with its parts in
 * *parts, 0 when there is none, <0 (the registry's message in reg). */
static int fetch_inputs(struct registry *reg, const char *subject, const char *hex, struct keyparts **parts,
                        struct buf *why)
{
	struct json *index = NULL, *m = NULL;
	struct buf body = BUF_INIT, err = BUF_INIT;
	char *type = NULL, *digest = NULL, *key = NULL;
	const char *pick = NULL, *layer;
	int api, r = registry_referrers(reg, subject, &index, &api);

	*parts = NULL;
	/* the last listed is the newest: an index is appended to */
	for (size_t i = 0; r == 0 && i < json_len(json_get(index, "manifests")); i++) {
		const struct json *e = json_at(json_get(index, "manifests"), i);
		const char *k = json_str(json_get(json_get(e, "annotations"), IMAGE_KEY_LABEL), hex);
		if (!strcmp(json_str(json_get(e, "artifactType"), ""), INPUTS_ARTIFACT_TYPE) && !strcmp(k, hex))
			pick = json_str(json_get(e, "digest"), NULL);
	}
	if (r < 0 || !pick)
		goto out;
	if ((r = registry_manifest_get(reg, pick, &body, &type, &digest)) != 1)
		goto out;
	m = json_parse(body.data ? body.data : "", body.len, &err);
	layer = json_str(json_path(m, "layers.0.digest"), NULL);
	if (!layer || strcmp(json_str(json_path(m, "layers.0.mediaType"), ""), INPUTS_ARTIFACT_TYPE) != 0) {
		buf_addf(why, "its input manifest %s is malformed", pick);
		r = 0;
	} else if ((r = registry_blob_get(reg, layer, &body)) == 1) {
		*parts = inputs_decode(body.data ? body.data : "", body.len, NULL, &key, NULL, &err);
		if (!*parts || strcmp(key, hex) != 0) {
			buf_addf(why, "its input manifest %s is %s", pick, *parts ? "of another key" : "not readable");
			keyparts_free(*parts);
			*parts = NULL;
			r = 0;
		}
	}
out:
	json_free(index);
	json_free(m);
	buf_release(&body);
	buf_release(&err);
	free(type);
	free(digest);
	free(key);
	return r;
}

int imagecache_pullable(struct task *t)
{
	struct image *img = t->udata;
	struct registry *reg = open_cache(t);
	struct buf body = BUF_INIT, why = BUF_INIT;
	struct json *cfg = NULL;
	struct keyparts *parts = NULL;
	char *tag = imagecache_tag(t->name, img->hex), *type = NULL, *digest = NULL;
	const char *label;
	int r = reg ? registry_manifest_get(reg, tag, &body, &type, &digest) : -1;

	if (r == 1)
		r = registry_image_config(reg, digest, &cfg);
	if (reg && r < 0) {
		r = unusable(t, registry_error(reg));
		r = r == -2 ? 0 : r;
		goto out;
	}
	if (r != 1)
		goto out;
	r = 0;
	label = json_str(json_get(json_path(cfg, "config.Labels"), IMAGE_KEY_LABEL), "");
	if (strcmp(label, img->hex) != 0) {
		warn("image '%s': '%s' in the remote cache carries the key %s, not the %s its tag names: not used; "
		     "building here", t->name, img->remote_ref, *label ? label : "(none)", img->hex);
		goto out;
	}
	int f = fetch_inputs(reg, digest, img->hex, &parts, &why);
	if (f < 0) {
		r = unusable(t, registry_error(reg));
		r = r == -2 ? 0 : r;
	} else if (f == 0 || !parts) {
		warn("image '%s': '%s' in the remote cache has no input manifest%s%s: not used; building here", t->name,
		     img->remote_ref, why.len ? ": " : "", why.len ? why.data : "");
	} else if (inputs_diff(parts, t->parts, &why, 5) > 0) {
		warn("image '%s': the input manifest of '%s' in the remote cache lists other inputs than today's: not used; "
		     "building here:\n%s", t->name, img->remote_ref, why.data);
	} else {
		img->pull_ref = xasprintf("%s@%s", img->spec.remote_cache, digest);
		r = 1;
	}
out:
	keyparts_free(parts);
	json_free(cfg);
	registry_close(reg);
	buf_release(&body);
	buf_release(&why);
	free(tag);
	free(type);
	free(digest);
	return r;
}

/* descriptor: a JSON descriptor member named key (NULL: an array element). */
static void descriptor(struct buf *b, const char *key, const char *type, const char *digest, size_t size)
{
	if (key)
		json_add_key(b, key);
	json_open(b, '{');
	json_add_key(b, "mediaType");
	json_add_str(b, type);
	json_add_key(b, "digest");
	json_add_str(b, digest);
	json_add_key(b, "size");
	json_add_int(b, (int64_t)size);
	json_close(b, '}');
}

/* push_inputs: the input manifest of t's pushed key tag, as an artifact that refers to it. 0, <0 (why in reg). */
static int push_inputs(struct task *t, struct registry *reg)
{
	struct image *img = t->udata;
	struct buf subject = BUF_INIT, doc = BUF_INIT, art = BUF_INIT;
	char *tag = imagecache_tag(t->name, img->hex), *type = NULL, *digest = NULL, *idigest = NULL, *edigest = NULL;
	char *adigest = NULL, *latest = imagecache_tag(t->name, INPUTS_TAG);
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	int r = registry_manifest_get(reg, tag, &subject, &type, &digest);

	if (r != 1) {
		r = r == 0 ? -1 : r; /* gone since the push */
		goto out;
	}
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	inputs_encode(t->name, img->hex, t->parts, (long long)now, &doc);
	if ((r = registry_blob_put(reg, doc.data, doc.len, &idigest)) < 0 || (r = registry_blob_put(reg, "{}", 2, &edigest)) < 0)
		goto out;
	json_open(&art, '{');
	json_add_key(&art, "schemaVersion");
	json_add_int(&art, 2);
	json_add_key(&art, "mediaType");
	json_add_str(&art, OCI_MANIFEST);
	json_add_key(&art, "artifactType");
	json_add_str(&art, INPUTS_ARTIFACT_TYPE);
	descriptor(&art, "config", OCI_EMPTY, edigest, 2);
	json_add_key(&art, "layers");
	json_open(&art, '[');
	descriptor(&art, NULL, INPUTS_ARTIFACT_TYPE, idigest, doc.len);
	json_close(&art, ']');
	descriptor(&art, "subject", type, digest, subject.len);
	json_add_key(&art, "annotations");
	json_open(&art, '{');
	json_add_key(&art, "org.opencontainers.image.created");
	json_add_str(&art, when);
	json_add_key(&art, IMAGE_TASK_LABEL);
	json_add_str(&art, t->name);
	json_add_key(&art, IMAGE_KEY_LABEL);
	json_add_str(&art, img->hex);
	json_close(&art, '}');
	json_close(&art, '}');
	adigest = registry_sha256(art.data, art.len);
	const char *const notes[] = {"org.opencontainers.image.created", when, IMAGE_KEY_LABEL, img->hex, NULL};
	if ((r = registry_manifest_put(reg, adigest, OCI_MANIFEST, art.data, art.len, NULL)) < 0 ||
	    (r = registry_add_referrer(reg, digest, adigest, art.len, INPUTS_ARTIFACT_TYPE, notes)) < 0)
		goto out;
	r = registry_manifest_put(reg, latest, OCI_MANIFEST, art.data, art.len, NULL);
out:
	buf_release(&subject);
	buf_release(&doc);
	buf_release(&art);
	free(tag);
	free(latest);
	free(type);
	free(digest);
	free(idigest);
	free(edigest);
	free(adigest);
	return r;
}

/* unpushed: the image was built but cannot be pushed now (why): a warning (an error under strict_cache). */
static int unpushed(struct task *t, const char *why)
{
	struct image *img = t->udata;

	if (img->spec.strict_cache)
		return error("image '%s': built, but not pushed to '%s' (%s); --strict-cache makes that an error", t->name,
		             img->spec.remote_cache, why);
	warn("image '%s': built, but not pushed to '%s' (%s); the next trusted run that finds it missing there pushes "
	     "it", t->name, img->spec.remote_cache, why);
	return 0;
}

int imagecache_push(struct task *t)
{
	struct image *img = t->udata;
	struct docker *d = images_docker(img->im);
	struct registry *reg;
	char push_[] = "push";
	char *argv[] = {img->im->cli, push_, img->remote_ref, NULL};
	int r;

	if (img->remote_down)
		return unpushed(t, "it could not be reached earlier in this run");
	if (!d || !(reg = open_cache(t)))
		return -1;
	/* ask first: a registry that is down gets no docker push (which would retry, then blame the login) */
	r = registry_ping(reg);
	if (r == REGISTRY_UNAVAILABLE) {
		r = unpushed(t, registry_error(reg));
		goto out;
	}
	if (r < 0)
		goto out;
	if ((r = docker_image_tag(d, img->spec.tags.v[0], img->remote_ref)) != 0) {
		r = -1;
		goto out;
	}
	r = proc_run(argv, NULL, NULL);
	/* the registry-prefixed tag was only the push's handle */
	docker_image_remove(d, img->remote_ref, DOCKER_NOPRUNE);
	if (r != 0) {
		if (registry_ping(reg) == REGISTRY_UNAVAILABLE)
			r = unpushed(t, registry_error(reg));
		else
			r = error("image '%s': docker push '%s' failed; %s", t->name, img->remote_ref,
			          registry_login_hint(reg));
		goto out;
	}
	if ((r = push_inputs(t, reg)) < 0) {
		warn("image '%s': pushed %s, but not its input manifest (%s): other machines will build instead of "
		     "pulling it", t->name, img->remote_ref, *registry_error(reg) ? registry_error(reg) : "the tag is gone");
		r = 0;
	}
out:
	registry_close(reg);
	return r < 0 ? -1 : 0;
}

int imagecache_save_tar(struct task *t)
{
	struct image *img = t->udata;
	char *tmp = xasprintf("%s.tmp.%ld", img->tar, (long)getpid());
	char save[] = "save", dash_o[] = "-o";
	char *argv[] = {img->im->cli, save, dash_o, tmp, img->spec.tags.v[0], NULL};
	int r = 0;

	if (mkdir_p(img->spec.cache_dir) < 0)
		r = error("image '%s': cannot create the cache directory '%s':", t->name, img->spec.cache_dir);
	else if (proc_run(argv, NULL, NULL) != 0 || rename(tmp, img->tar) < 0)
		r = error("image '%s': cannot save '%s' to '%s'", t->name, img->spec.tags.v[0], img->tar);
	if (r < 0)
		unlink(tmp);
	free(tmp);
	return r;
}

/* default_branch: the repository's default branch as the GitHub event payload names it (malloc'd), or NULL. */
static char *default_branch(void)
{
	const char *path = getenv("GITHUB_EVENT_PATH");
	struct buf text = BUF_INIT;
	struct json *ev = NULL;
	char *out = NULL;

	if (path && *path && read_file(path, &text) == 0 && (ev = json_parse(text.data ? text.data : "", text.len, NULL)))
		if (json_str(json_path(ev, "repository.default_branch"), NULL))
			out = xstrdup(json_str(json_path(ev, "repository.default_branch"), NULL));
	json_free(ev);
	buf_release(&text);
	return out;
}

static int env_is(const char *name, const char *value)
{
	const char *v = getenv(name);

	return v && strcmp(v, value) == 0;
}

int image_push_default(struct buf *why)
{
	const char *event = getenv("GITHUB_EVENT_NAME"), *ref = getenv("GITHUB_REF");

	if (!env_is("CI", "true"))
		return 0;
	if (env_is("GITHUB_ACTIONS", "true")) {
		char *main_ = NULL;
		int ok = 0;
		if (event && str_has_prefix(event, "pull_request"))
			buf_addf(why, "a pull request (GITHUB_EVENT_NAME=%s) reads the cache but never writes it", event);
		else if (!(main_ = default_branch()))
			buf_adds(why, "the GitHub event ($GITHUB_EVENT_PATH) does not name the default branch");
		else if (!ref || !str_has_prefix(ref, "refs/heads/") || strcmp(ref + 11, main_) != 0)
			buf_addf(why, "'%s' is not the default branch '%s'", ref ? ref : "(no GITHUB_REF)", main_);
		else
			ok = 1;
		free(main_);
		return ok;
	}
	if (env_is("GITLAB_CI", "true")) {
		const char *branch = getenv("CI_COMMIT_BRANCH"), *main_ = getenv("CI_DEFAULT_BRANCH");
		if (branch && main_ && strcmp(branch, main_) == 0)
			return 1;
		buf_addf(why, "'%s' is not the default branch '%s' (a merge request reads the cache but never writes it)",
		         branch ? branch : "(no CI_COMMIT_BRANCH)", main_ ? main_ : "?");
		return 0;
	}
	buf_adds(why, "this CI is neither GitHub Actions nor GitLab CI, so a trusted build cannot be told from another");
	return 0;
}

int imagecache_explain(struct task *t, const struct keyenv *ke, struct buf *out)
{
	struct image *img = t->udata;
	struct registry *reg;
	struct buf body = BUF_INIT, err = BUF_INIT;
	struct json *m = NULL;
	struct keyparts *parts = NULL;
	char hex[HASH_HEX_LEN + 1], *tag, *latest, *type = NULL, *digest = NULL, *key = NULL, *created = NULL;
	const char *layer;
	int r;

	if (!img->spec.remote_cache) {
		buf_adds(out, "remote: no remote cache to compare with (remote_cache, REMOTE_CACHE=)\n");
		return 0;
	}
	if (ke->offline) {
		buf_addf(out, "remote: '%s' is not asked in a dry run\n", img->spec.remote_cache);
		return 0;
	}
	if (!(reg = open_cache(t)))
		return -1;
	hash_hex(&t->key, hex);
	tag = imagecache_tag(t->name, hex);
	latest = imagecache_tag(t->name, INPUTS_TAG);
	r = registry_manifest_exists(reg, tag, NULL);
	if (r >= 0)
		buf_addf(out, "remote: '%s' %s today's key (%s:%s)\n", img->spec.remote_cache, r ? "has" : "does not have",
		         img->spec.remote_cache, tag);
	if (r >= 0 && (r = registry_manifest_get(reg, latest, &body, &type, &digest)) == 0)
		buf_addf(out, "remote: no input manifest of '%s' is published there (%s:%s)\n", t->name,
		         img->spec.remote_cache, latest);
	if (r == 1) {
		m = json_parse(body.data ? body.data : "", body.len, &err);
		layer = json_str(json_path(m, "layers.0.digest"), NULL);
		r = layer ? registry_blob_get(reg, layer, &body) : 0;
		if (r == 1 && !(parts = inputs_decode(body.data ? body.data : "", body.len, NULL, &key, &created, &err)))
			buf_addf(out, "remote: the newest input manifest of '%s' cannot be read: %s\n", t->name, err.data);
	}
	if (parts) {
		struct buf diff = BUF_INIT;
		size_t n = inputs_diff(parts, t->parts, &diff, 20);
		buf_addf(out, "remote: the newest published build of '%s' (key %s, %s) ", t->name, key, created);
		if (n == 0 && strcmp(key, hex) == 0)
			buf_adds(out, "has today's inputs\n");
		else if (n == 0)
			buf_adds(out, "lists today's inputs under another key (another sindri-build version?)\n");
		else
			buf_addf(out, "differs from today's inputs in %zu part%s:\n", n, n == 1 ? "" : "s");
		for (char *line = diff.data, *nl; line && *line; line = nl + 1) {
			nl = strchr(line, '\n');
			buf_addf(out, "  %.*s\n", (int)(nl ? nl - line : (long)strlen(line)), line);
			if (!nl)
				break;
		}
		buf_release(&diff);
	}
	if (r < 0)
		buf_addf(out, "remote: '%s' cannot be asked: %s\n", img->spec.remote_cache, registry_error(reg));
	keyparts_free(parts);
	json_free(m);
	registry_close(reg);
	buf_release(&body);
	buf_release(&err);
	free(tag);
	free(latest);
	free(type);
	free(digest);
	free(key);
	free(created);
	return 0;
}
