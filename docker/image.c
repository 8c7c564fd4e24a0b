/* image: Docker image tasks: keyed by what docker build reads (imagekey.c), current when an image carries the key. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctxseal.h"
#include "dockerapi.h"
#include "filecache.h"
#include "fileset.h"
#include "image.h"
#include "imagecache.h"
#include "imageinputs.h"
#include "imagekey.h"
#include "json.h"
#include "key.h"
#include "proc.h"
#include "registry.h"
#include "secretargs.h"
#include "util.h"

struct images *images_new(struct graph *g, const char *docker_cli, struct docker *(*shared)(void *arg), void *arg)
{
	struct images *im = xcalloc(1, sizeof(*im));
	const char *env = getenv("DOCKER");

	im->g = g;
	im->shared = shared;
	im->arg = arg;
	/* BuildKit when the client has it built in (Debian's docker.io does); a user's setting wins */
	setenv("DOCKER_BUILDKIT", "1", 0);
	if (docker_cli)
		im->cli = xstrdup(docker_cli);
	else if (env && *env)
		im->cli = xstrdup(env);
	else
		im->cli = xstrdup(access("/usr/bin/docker", X_OK) == 0 ? "/usr/bin/docker" : "docker");
	return im;
}

void images_free(struct images *im)
{
	if (!im)
		return;
	if (!im->shared)
		docker_close(im->d);
	free(im->cli);
	free(im);
}

struct docker *images_docker(struct images *im)
{
	if (im->failed)
		return NULL;
	/* asked for only now: opening a client loads libcurl, which a run with nothing to ask the engine skips */
	if (!im->d && !(im->d = im->shared ? im->shared(im->arg) : docker_open(NULL))) {
		im->failed = 1;
		return NULL;
	}
	/* the first request negotiates the API version; the engine not answering is reported once */
	if (!docker_api_version(im->d) && docker_ping(im->d) < 0) {
		im->failed = 1;
		return NULL;
	}
	return im->d;
}


void image_spec_release(struct image_spec *spec)
{
	free(spec->dockerfile);
	free(spec->context);
	strv_release(&spec->tags);
	strv_release(&spec->build_args);
	free(spec->target);
	free(spec->platform);
	free(spec->remote_cache);
	free(spec->push_note);
	free(spec->cache_dir);
	memset(spec, 0, sizeof(*spec));
}

/* label_of: the key label of the image ref points to: 1 and *id, *key set (owned by *info); 0 when there is no such
 * image; -1 on error. */
static int label_of(struct images *im, const char *ref, struct json **info, const char **id, const char **key)
{
	struct docker *d = images_docker(im);
	int r;

	*info = NULL;
	if (!d)
		return -1;
	static const char *const want[] = {"Id", "RepoTags", "Config", "RootFS", NULL}; /* see has_tag, result_of */
	r = docker_image_inspect_members(d, ref, want, info);
	if (r < 0)
		return -1;
	if (r == DOCKER_NOT_FOUND)
		return 0;
	*id = json_str(json_get(*info, "Id"), "");
	*key = json_str(json_get(json_path(*info, "Config.Labels"), IMAGE_KEY_LABEL), "");
	return 1;
}

/*
 * result_of: what an inspected image keeps that its key label does not show: the configuration a container gets
 * from it (its task label left out: a no-cache twin built with the same key carries another) and how many layers
 * it has. A docker commit to the tag, or an image built FROM it under the same tag, inherits the key label but adds
 * a layer or changes the configuration; a rebuild of the same key (another task, a registry's copy) changes
 * neither, though its layers' digests may differ.
 */
static struct hash128 result_of(const struct json *info)
{
	static const char *const fields[] = {"User", "Env", "Cmd", "Entrypoint", "WorkingDir", "ExposedPorts",
	                                     "Volumes", "OnBuild", "Shell", "StopSignal", "Healthcheck",
	                                     "ArgsEscaped", NULL};
	const struct json *config = json_get(info, "Config"), *labels = json_get(config, "Labels");
	struct buf b = BUF_INIT;
	struct hash128 h;

	for (size_t i = 0; fields[i]; i++) {
		const struct json *v = json_get(config, fields[i]);
		buf_addf(&b, "%s=", fields[i]);
		if (v && !json_is_null(v))
			json_write(&b, v);
		buf_addc(&b, '\n');
	}
	for (size_t i = 0; i < json_len(labels); i++) {
		const struct json *l = json_at(labels, i);
		if (!l->key || strcmp(l->key, IMAGE_TASK_LABEL) == 0)
			continue;
		buf_addf(&b, "label %zu:%s=", strlen(l->key), l->key);
		json_write(&b, l);
		buf_addc(&b, '\n');
	}
	buf_addf(&b, "layers=%zu\n", json_len(json_path(info, "RootFS.Layers")));
	h = hash_bytes(b.data, b.len);
	buf_release(&b);
	return h;
}

/* One image inspect per tag answers "is it current": an inspect by reference costs the engine well under a
 * millisecond, where listing the labelled images costs it tens of milliseconds on an engine with many images. */
/* current: whether the image t's first tag names carries t's key: 1, 0 (why says what is wrong), -1 error. The
 * inspected image is left in *info (the caller frees it) and its ID in *id. */
static int current(struct task *t, struct buf *why, struct json **info, const char **id)
{
	struct image *img = t->udata;
	const char *key;
	int r;

	hash_hex(&t->key, img->hex);
	r = label_of(img->im, img->spec.tags.v[0], info, id, &key);
	if (r == 0) {
		/* no parentheses here: recipes quote this in parentheses of their own (the base a dev image is built on) */
		buf_addf(why, "no image '%s' in the Docker engine: removed, or never built", img->spec.tags.v[0]);
	} else if (r == 1 && strcmp(key, img->hex) != 0) {
		buf_addf(why, "image '%s' was built from other inputs: its key is %s, not %s", img->spec.tags.v[0],
		         *key ? key : "unset", img->hex);
		r = 0;
	}
	if (r == 1) {
		img->result = result_of(*info);
		img->has_result = 1;
	}
	return r;
}

/* image_result: what the image t's first tag names keeps (result_of): from the check just made, else inspected. */
static int image_result(struct task *t, const struct keyenv *ke, struct hash128 *out, struct buf *why)
{
	struct image *img = t->udata;
	struct json *info;
	const char *id;
	int r;

	(void)ke;
	if (!img->has_result) {
		r = current(t, why, &info, &id);
		json_free(info);
		if (r <= 0)
			return r < 0 ? -1 : 1;
	}
	*out = img->result;
	return 0;
}

int image_current(struct task *t, struct buf *why)
{
	struct json *info;
	const char *id;
	int r = current(t, why, &info, &id);

	json_free(info);
	return r;
}

/* has_tag: whether an inspected image lists ref (with its implied ":latest") among its RepoTags. */
static int has_tag(const struct json *info, const char *ref)
{
	const struct json *tags = json_get(info, "RepoTags");
	char *want = image_normref(ref);
	int found = 0;

	for (size_t i = 0; i < json_len(tags) && !found; i++)
		found = strcmp(json_str(json_at(tags, i), ""), want) == 0;
	free(want);
	return found;
}

static int image_check(struct task *t, const struct keyenv *ke, struct buf *why)
{
	struct image *img = t->udata;
	struct json *first = NULL;
	const char *id;
	int r;

	if (img->remote) {
		buf_addf(why, "%s is not pinned by a checksum, so the image is rebuilt every time", img->remote);
		return 0;
	}
	r = current(t, why, &first, &id);
	if (r == 1 && img->spec.remote_cache && img->spec.push) {
		/* CI pushes what it builds: an image that is here but not in the registry yet still has work to do */
		int q = imagecache_remote_has(t);
		if (q == 0)
			buf_addf(why, "image '%s' is current but not pushed to '%s' yet", img->spec.tags.v[0],
			         img->spec.remote_cache);
		r = q == 0 ? 0 : q == -1 ? -1 : r;
	}
	/* current: the same inspect lists the image's other tags; put back any that went missing or moved */
	for (size_t i = 1; r == 1 && i < img->spec.tags.n; i++) {
		if (has_tag(first, img->spec.tags.v[i]))
			continue;
		if (ke->readonly) {
			buf_addf(why, "tag '%s' is missing (a run puts it back without a build)", img->spec.tags.v[i]);
			continue;
		}
		int tr = docker_image_tag(images_docker(img->im), id, img->spec.tags.v[i]);
		if (tr == DOCKER_NOT_FOUND)
			error("image '%s': cannot tag '%s': its image went away", t->name, img->spec.tags.v[i]);
		if (tr != 0)
			r = -1;
	}
	json_free(first);
	return r;
}

static int image_preflight(struct task *t)
{
	struct image *img = t->udata;

	return images_docker(img->im) ? 0 : -1;
}

static void argv_set(struct task *t, const char *const *argv)
{
	strv_release(&t->argv);
	for (; *argv; argv++)
		strv_push(&t->argv, *argv);
	t->run = RUN_ARGV;
}

/* build_argv: docker build of the Dockerfile dockerfile in the context ctx ("-": a tar on stdin). */
static void build_argv(struct task *t, const char *dockerfile, const char *ctx)
{
	struct image *img = t->udata;
	struct image_spec *sp = &img->spec;
	char *label;

	strv_release(&t->argv);
	strv_push(&t->argv, img->im->cli);
	strv_push(&t->argv, "build");
	strv_push(&t->argv, "-f");
	strv_push(&t->argv, dockerfile);
	strv_push(&t->argv, "--label");
	label = xasprintf("%s=%s", IMAGE_KEY_LABEL, img->hex);
	strv_push(&t->argv, label);
	free(label);
	/* which task made an image: cache levels keep or remove images by task, never by a tag pattern */
	strv_push(&t->argv, "--label");
	label = xasprintf("%s=%s", IMAGE_TASK_LABEL, t->name);
	strv_push(&t->argv, label);
	free(label);
	for (size_t i = 0; i < sp->tags.n; i++) {
		strv_push(&t->argv, "-t");
		strv_push(&t->argv, sp->tags.v[i]);
	}
	for (size_t i = 0; i < sp->build_args.n; i++) {
		strv_push(&t->argv, "--build-arg");
		strv_push(&t->argv, sp->build_args.v[i]);
	}
	/* secrets as BuildKit secrets, by name: the docker client reads each from its environment (ours), so no value
	 * is in the argv, a file, the image or its history; an unset one is not passed, as a plain task would lack it */
	for (size_t i = 0; i < t->secrets.n; i++) {
		if (!getenv(t->secrets.v[i]))
			continue;
		char *spec = xasprintf("id=%s,env=%s", t->secrets.v[i], t->secrets.v[i]);
		strv_push(&t->argv, "--secret");
		strv_push(&t->argv, spec);
		free(spec);
	}
	secretargs_argv(t->parts, &img->secret_args, &t->argv);
	if (sp->target) {
		strv_push(&t->argv, "--target");
		strv_push(&t->argv, sp->target);
	}
	if (sp->platform) {
		strv_push(&t->argv, "--platform");
		strv_push(&t->argv, sp->platform);
	}
	if (sp->no_cache || ctxseal_no_cache(img->seal))
		strv_push(&t->argv, "--no-cache");
	strv_push(&t->argv, ctx);
	t->run = RUN_ARGV;
}

/* seal: build from the context sindri-build writes from the bytes it hashed (see ctxseal.h). */
static int seal(struct task *t, const struct keyenv *ke, struct buf *why)
{
	struct image *img = t->udata;
	const char *dockerfile, *context;
	int r = ctxseal_open(img->seal, ke, t->name, &t->stdin_fd, &dockerfile, &context, why);

	if (r == 0)
		build_argv(t, dockerfile, context);
	return r;
}

/*
 * prepare: decide where this run gets the image from, in order of cost: already here but not pushed yet (push
 * only), a tar in CACHE_DIR (docker load), the remote cache (docker pull), else docker build from the sealed
 * context. 1 when an entry of the context changed after it was hashed (changed says which).
 */
static int prepare_once(struct task *t, const struct keyenv *ke, struct buf *changed)
{
	struct image *img = t->udata;
	struct image_spec *sp = &img->spec;
	struct buf why = BUF_INIT;

again:
	hash_hex(&t->key, img->hex);
	img->source = SRC_BUILD;
	free(img->remote_ref);
	free(img->pull_ref);
	img->pull_ref = NULL;
	img->remote_down = 0;
	if (sp->remote_cache) {
		char *tag = imagecache_tag(t->name, img->hex);
		img->remote_ref = xasprintf("%s:%s", sp->remote_cache, tag);
		free(tag);
	} else {
		img->remote_ref = NULL;
	}
	free(img->tar);
	img->tar = sp->cache_dir ? xasprintf("%s/%s-%s.tar", sp->cache_dir, t->name, img->hex) : NULL;
	int here = !sp->no_cache && image_current(t, &why) == 1;
	buf_release(&why);
	if (here && sp->remote_cache && sp->push) {
		if (imagecache_remote_has(t) == -1)
			return -1;
		/* pushed in-process (image_run), so that an outage is a warning, not a failed command */
		img->source = SRC_PUSH;
		t->run = RUN_FUNC;
		return 0;
	}
	if (!sp->no_cache && img->tar && access(img->tar, R_OK) == 0) {
		img->source = SRC_LOAD;
		const char *argv[] = {img->im->cli, "load", "-i", img->tar, NULL};
		argv_set(t, argv);
		return 0;
	}
	if (!sp->no_cache && sp->remote_cache) {
		int r = imagecache_pullable(t);
		if (r == -1)
			return -1;
		if (r == 1) {
			/* by digest: exactly the manifest whose config and input manifest were checked */
			img->source = SRC_PULL;
			const char *argv[] = {img->im->cli, "pull", img->pull_ref, NULL};
			argv_set(t, argv);
			return 0;
		}
	}
	/* A build: pull the absent bases only now (an image that comes from a cache needs none of them), then key
	 * again, so that the key and the label name the image the build really uses. A key that changed (the tag
	 * moved since the registry was asked, or its registry could not be asked) decides again. */
	if (img->absent.n) {
		char before[HASH_HEX_LEN + 1];
		for (size_t i = 0; i < img->absent.n; i++) {
			char pull[] = "pull";
			char *argv[] = {img->im->cli, pull, img->absent.v[i], NULL};
			if (proc_run(argv, NULL, NULL) != 0)
				return error("image '%s': cannot pull its base image '%s'", t->name, img->absent.v[i]);
		}
		memcpy(before, img->hex, sizeof(before));
		if (task_key(t, ke) < 0)
			return -1;
		hash_hex(&t->key, img->hex);
		if (strcmp(before, img->hex) != 0)
			goto again;
	}
	if (t->secrets.n && image_buildkit_off())
		return error("image '%s' has secrets, which only BuildKit can pass to a build, and DOCKER_BUILDKIT is '%s': "
		             "unset it or set it to 1", t->name, getenv("DOCKER_BUILDKIT"));
	return seal(t, ke, changed);
}

/* Times the context is hashed again when an entry changes while the sealed context is written. */
#define SEAL_TRIES 3

static int image_prepare(struct task *t, const struct keyenv *ke)
{
	struct buf why = BUF_INIT;
	int r;

	for (int tries = 1;; tries++) {
		buf_reset(&why);
		r = prepare_once(t, ke, &why);
		if (r != 1)
			break;
		if (tries == SEAL_TRIES) {
			r = error("image '%s': %s, %d times in a row; not built: run again once the build context stops "
			          "changing", t->name, why.data, SEAL_TRIES);
			break;
		}
		/* hash again: the key, the label and the build are then all of the context as it is now */
		warn("image '%s': %s; hashing the build context again", t->name, why.data);
		if (task_key(t, ke) < 0) {
			r = -1;
			break;
		}
	}
	buf_release(&why);
	return r;
}

/* retag: give every tag of the task to the image ref names, which must carry the key. */
static int retag(struct task *t, const char *ref)
{
	struct image *img = t->udata;
	struct json *info;
	const char *id, *key;
	int r = label_of(img->im, ref, &info, &id, &key);

	if (r == 0)
		r = error("image '%s': no image '%s' after the run", t->name, ref);
	else if (r == 1 && strcmp(key, img->hex) != 0)
		r = error("image '%s': '%s' does not carry the label %s=%s; does the Dockerfile set that label itself?",
		          t->name, ref, IMAGE_KEY_LABEL, img->hex);
	for (size_t i = 0; r == 1 && i < img->spec.tags.n; i++)
		if (strcmp(ref, img->spec.tags.v[i]) != 0 && docker_image_tag(images_docker(img->im), id, img->spec.tags.v[i]) != 0)
			r = -1;
	json_free(info);
	return r == 1 ? 0 : -1;
}

static int image_finish(struct task *t, const struct keyenv *ke)
{
	struct image *img = t->udata;
	int r = 0;

	(void)ke;
	img->has_result = 0; /* the record takes what the run left under the tag */
	if (ctxseal_close(img->seal) < 0)
		return error("image '%s': the build did not get the whole build context; not recorded: run again", t->name);
	switch (img->source) {
	case SRC_PULL:
		r = retag(t, img->pull_ref);
		if (r == 0)
			printf("sindri-build: image '%s': pulled %s instead of building\n", t->name, img->remote_ref);
		break;
	case SRC_LOAD:
		r = retag(t, img->spec.tags.v[0]);
		if (r == 0)
			printf("sindri-build: image '%s': loaded %s instead of building\n", t->name, img->tar);
		break;
	case SRC_PUSH:
		r = retag(t, img->spec.tags.v[0]);
		break;
	case SRC_BUILD:
		r = retag(t, img->spec.tags.v[0]);
		/* never push or save a failed build: we get here only after docker build succeeded */
		if (r == 0 && img->tar)
			r = imagecache_save_tar(t);
		if (r == 0 && img->spec.remote_cache && img->spec.push && img->remote_ref)
			r = imagecache_push(t);
		else if (r == 0 && img->spec.remote_cache && img->spec.push_note)
			printf("sindri-build: image '%s': not pushed to '%s': %s\n", t->name, img->spec.remote_cache,
			       img->spec.push_note);
		break;
	}
	fflush(stdout);
	return r;
}

static void image_release(struct task *t)
{
	struct image *img = t->udata;

	image_spec_release(&img->spec);
	free(img->remote_ref);
	free(img->pull_ref);
	free(img->tar);
	free(img->remote);
	strv_release(&img->absent);
	strv_release(&img->secret_args);
	ctxseal_free(img->seal);
	free(img);
	t->udata = NULL;
}

/* image_run: the in-process run: an image that is current here but not in the registry yet is pushed. */
static int image_run(struct task *t)
{
	return imagecache_push(t) == 0 ? 0 : 1;
}

static int image_remote(struct task *t, const struct keyenv *ke, struct buf *out)
{
	return imagecache_explain(t, ke, out);
}

/* image_describe: -t commands before the run: the build's argv carries the key as a label, made when it runs. */
static char *image_describe(const struct task *t)
{
	const struct image_spec *sp = image_task_spec(t);

	if (t->argv.n)
		return NULL;
	return xasprintf("(docker build -f %s -t %s %s)", sp->dockerfile, sp->tags.n ? sp->tags.v[0] : "?", sp->context);
}

static const struct task_ops image_ops = {
	.kind = "image",
	.keyed_check = 1,
	.console = 1,
	.preflight = image_preflight,
	.add_key = image_add_key,
	.ahead = image_ahead,
	.check = image_check,
	.result = image_result,
	.prepare = image_prepare,
	.run = image_run,
	.remote = image_remote,
	.finish = image_finish,
	.paths = image_paths,
	.describe = image_describe,
	.release = image_release,
};

void image_task(struct task *t, struct image_spec *spec, struct images *im)
{
	struct image *img = xcalloc(1, sizeof(*img));

	img->spec = *spec;
	memset(spec, 0, sizeof(*spec));
	img->im = im;
	if (!img->spec.context)
		img->spec.context = xstrdup(".");
	if (!img->spec.dockerfile)
		img->spec.dockerfile = strcmp(img->spec.context, ".") == 0 ? xstrdup("Dockerfile")
		                                                            : xasprintf("%s/Dockerfile", img->spec.context);
	if (img->spec.no_cache)
		t->flags |= TASK_ALWAYS;
	t->ops = &image_ops;
	t->udata = img;
	t->run = RUN_ARGV;
}

const struct image_spec *image_task_spec(const struct task *t)
{
	return t->ops == &image_ops ? &((const struct image *)t->udata)->spec : NULL;
}
