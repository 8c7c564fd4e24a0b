/* imagekey: an image task's key parts: the Dockerfile's lines, the build args it declares, target and platform,
 * remote sources, the secrets its steps mount, the context files it reads and its base images (imagekey.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctxseal.h"
#include "dockerapi.h"
#include "dockerctx.h"
#include "dockerfile.h"
#include "dockerignore.h"
#include "image.h"
#include "imagecache.h"
#include "imagekey.h"
#include "key.h"
#include "secretargs.h"
#include "util.h"

/* image_normref: a reference with its implied ":latest", as the engine lists it (malloc'd). */
char *image_normref(const char *ref)
{
	const char *slash = strrchr(ref, '/');
	const char *last = slash ? slash + 1 : ref;

	if (strchr(ref, '@') || strchr(last, ':'))
		return xstrdup(ref);
	return xasprintf("%s:latest", ref);
}

/* maker: the image task in the graph that tags ref, or NULL. */
static struct task *maker(struct graph *g, const char *ref)
{
	char *want = image_normref(ref);
	struct task *found = NULL;

	for (size_t i = 0; i < g->ntasks && !found; i++) {
		const struct image_spec *sp = image_task_spec(g->tasks[i]);
		for (size_t j = 0; sp && j < sp->tags.n && !found; j++) {
			char *have = image_normref(sp->tags.v[j]);
			if (strcmp(have, want) == 0)
				found = g->tasks[i];
			free(have);
		}
	}
	free(want);
	return found;
}

static int has_arg(const struct dockerfile *df, const char *name, size_t n)
{
	for (size_t i = 0; i < df->nargs; i++)
		if (strlen(df->args[i]) == n && strncmp(df->args[i], name, n) == 0)
			return 1;
	return 0;
}

/*
 * add_lines: one part per Dockerfile line that can change the build (the parser's df->keyed: not a blank line, not
 * a comment outside a here-document body; parser directives count), so explain names the line that changed. A part
 * is named by the line's rank among those ("df:PATH:K"), not its number, so that adding or removing a comment or
 * a blank line changes no part; its value holds the number and the text, for explain.
 */
static void add_lines(struct keyparts *kp, const char *path, const char *text, size_t len,
                      const struct dockerfile *df)
{
	struct buf name = BUF_INIT, value = BUF_INIT;
	const char *p = text, *end = text + len;
	size_t n = 0, k = 0;

	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	for (; p < end && n < df->nlines; n++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = (size_t)((nl ? nl : end) - p);
		if (df->keyed[n]) {
			struct hash128 h;
			buf_reset(&name);
			buf_addf(&name, "df:%s:%zu", path, ++k);
			buf_reset(&value);
			buf_addf(&value, "%zu\t", n + 1);
			buf_add(&value, p, l && p[l - 1] == '\r' ? l - 1 : l);
			h = hash_bytes(p, l && p[l - 1] == '\r' ? l - 1 : l);
			keyparts_add(kp, name.data, &h, value.data);
		}
		p = nl ? nl + 1 : end;
	}
	buf_release(&name);
	buf_release(&value);
}

static int add_context(struct task *t, struct keyparts *kp, const struct keyenv *ke, const struct dockerfile *df,
                       const struct buf *text)
{
	struct image *img = t->udata;
	const char *ctx = img->spec.context;
	struct dockerignore ign;
	struct ctxlist l;
	struct buf err = BUF_INIT, full = BUF_INIT;
	int ctxfd, ret = -1;

	dockerignore_init(&ign);
	ctxlist_init(&l);
	/* patterns read as the engine's Docker version reads them (23.0 changed them; docs/images.md) */
	struct docker *d = images_docker(img->im);
	dockerignore_set_api(&ign, d ? docker_engine_api_version(d) : NULL);
	ign.tar_walk = image_buildkit_off(); /* the legacy builder gets the docker client's tar (dockerignore_sends_dir) */
	if (dockerignore_load(&ign, img->spec.dockerfile, ctx, &err) < 0) {
		key_error(ke, "image '%s': %s", t->name, err.data ? err.data : "cannot read the .dockerignore file");
		goto out;
	}
	/* the state directory is never sent, whatever .dockerignore says: it holds the secret key, and every run changes
	 * it (so a context that held it would never be current) */
	if (strcmp(ctx, ".") == 0 && ke->tmpdir && ke->tmpdir[0] != '/' && dockerignore_add(&ign, ke->tmpdir, &err) < 0) {
		error("image '%s': %s", t->name, err.data ? err.data : "cannot leave the state directory out");
		goto out;
	}
	ctxfd = openat(ke->rootfd, ctx, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ctxfd < 0) {
		key_error(ke, "image '%s': cannot open the build context '%s':", t->name, ctx);
		goto out;
	}
	/* full: the context's path as the stat cache names files */
	buf_adds(&full, "");
	if (strcmp(ctx, ".") != 0) {
		buf_adds(&full, ctx);
		buf_addc(&full, '/');
	}
	if (dockerctx_entries(df, ctxfd, &ign, ke->fc, full.data, &l, &err) < 0) {
		close(ctxfd);
		key_error(ke, "image '%s': %s", t->name, err.data ? err.data : "cannot list the build context");
		goto out;
	}
	close(ctxfd);
	if (!img->seal)
		img->seal = ctxseal_new();
	ctxseal_legacy(img->seal, image_buildkit_off());
	if (ctxseal_key(img->seal, &l, ctx, df, img->spec.dockerfile, text->data ? text->data : "", text->len, kp, ke,
	                t->name) < 0)
		goto out;
	ret = 0;
out:
	dockerignore_release(&ign);
	ctxlist_release(&l);
	buf_release(&err);
	buf_release(&full);
	return ret;
}

static int depends_on(const struct task *t, const struct task *d)
{
	for (size_t i = 0; i < t->deps.n; i++)
		if (t->depv[i] == d)
			return 1;
	return 0;
}

/* add_bases: each image a needed stage starts from: another image task's key, or an external image's identity
 * (imagebase.c). */
static int add_bases(struct task *t, struct keyparts *kp, const struct dockerfile *df, const struct keyenv *ke)
{
	struct image *img = t->udata;
	struct buf name = BUF_INIT;
	struct strv seen = {0};
	int ret = 0;

	strv_release(&img->absent);
	for (size_t i = 0; i < df->nimages && ret == 0; i++) {
		char *ref = image_normref(df->images[i].ref);
		int dup = 0;
		for (size_t j = 0; j < seen.n; j++)
			dup |= strcmp(seen.v[j], ref) == 0;
		if (dup || strcmp(df->images[i].ref, "scratch") == 0) {
			free(ref);
			continue;
		}
		strv_push(&seen, ref);
		buf_reset(&name);
		buf_addf(&name, "base:%s", ref);
		struct task *b = maker(img->im->g, ref);
		if (b == t) {
			ret = error("%s:%d: image '%s' builds FROM its own tag '%s'", img->spec.dockerfile,
			            df->images[i].line, t->name, ref);
		} else if (b && !depends_on(t, b)) {
			ret = error("%s:%d: image '%s' builds FROM '%s', which image task '%s' makes: add \"%s\" to its deps",
			            img->spec.dockerfile, df->images[i].line, t->name, ref, b->name, b->name);
		} else if (b) {
			char hex[HASH_HEX_LEN + 1];
			hash_hex(&b->key, hex);
			keyparts_add(kp, name.data, &b->key, hex);
		} else {
			struct buf id = BUF_INIT;
			int absent;
			ret = imagebase_identity(img->im, ref, ke, &id, &absent);
			if (ret == 0)
				keyparts_addstr(kp, name.data, id.data ? id.data : "");
			if (ret == 0 && absent)
				strv_push(&img->absent, ref);
			buf_release(&id);
		}
		free(ref);
	}
	strv_release(&seen);
	buf_release(&name);
	return ret;
}

/* prefetch: ask the engine now for what add_bases and the check will inspect, so that it answers while the
 * context is hashed (through the engine helper; otherwise this does nothing). */
static void prefetch(struct task *t, const struct dockerfile *df)
{
	struct image *img = t->udata;
	struct docker *d = images_docker(img->im);

	if (!d)
		return;
	for (size_t i = 0; i < df->nimages; i++) {
		char *ref = image_normref(df->images[i].ref);
		if (strcmp(ref, "scratch") != 0 && !maker(img->im->g, ref))
			docker_image_prefetch(d, ref);
		free(ref);
	}
	docker_image_prefetch(d, img->spec.tags.v[0]);
}

/* read_dockerfile: the task's Dockerfile, its text in *text, parsed with the build args; NULL with why in err. */
static struct dockerfile *read_dockerfile(struct task *t, struct buf *text, struct buf *err)
{
	struct image_spec *sp = &((struct image *)t->udata)->spec;
	struct dfarg *args;
	struct dockerfile *df;

	if (read_file(sp->dockerfile, text) < 0) {
		/* named where the image is declared, as a missing input is, with what to write */
		if (errno == ENOENT || errno == ENOTDIR)
			buf_addf(err, "%s: image '%s': no Dockerfile '%s'; write it, or set dockerfile = \"PATH\" (from the project "
			         "root; the default is CONTEXT/Dockerfile)", t->where ? t->where : "?", t->name, sp->dockerfile);
		else
			buf_addf(err, "%s: image '%s': cannot read the Dockerfile '%s': %s", t->where ? t->where : "?", t->name,
			         sp->dockerfile, strerror(errno));
		return NULL;
	}
	args = xcalloc(sp->build_args.n + 1, sizeof(*args));
	for (size_t i = 0; i < sp->build_args.n; i++) {
		char *eq = strchr(sp->build_args.v[i], '=');
		args[i].name = sp->build_args.v[i];
		args[i].value = eq ? eq + 1 : "";
		if (eq)
			*eq = '\0';
	}
	df = dockerfile_parse(sp->dockerfile, text->data ? text->data : "", text->len, args, sp->build_args.n,
	                      sp->target, err);
	for (size_t i = 0; i < sp->build_args.n; i++)
		if (args[i].value != args[i].name + strlen(args[i].name))
			sp->build_args.v[i][strlen(args[i].name)] = '=';
	free(args);
	if (!df && !err->len)
		buf_adds(err, "cannot parse the Dockerfile");
	return df;
}

void image_ahead(struct task *t, const struct keyenv *ke)
{
	struct buf text = BUF_INIT, err = BUF_INIT;
	struct dockerfile *df = read_dockerfile(t, &text, &err);

	(void)ke;
	if (df)
		prefetch(t, df); /* a Dockerfile that cannot be read is reported when the key is computed */
	dockerfile_free(df);
	buf_release(&text);
	buf_release(&err);
}

int image_add_key(struct task *t, struct keyparts *kp, const struct keyenv *ke)
{
	struct image *img = t->udata;
	struct image_spec *sp = &img->spec;
	struct buf text = BUF_INIT, err = BUF_INIT;
	struct dockerfile *df = read_dockerfile(t, &text, &err);
	int ret = -1;

	if (!df) {
		key_error(ke, "%s", err.data);
		goto out;
	}
	add_lines(kp, sp->dockerfile, text.data ? text.data : "", text.len, df);
	/* a build arg the Dockerfile never declares changes nothing */
	for (size_t i = 0; i < sp->build_args.n; i++) {
		const char *kv = sp->build_args.v[i], *eq = strchr(kv, '=');
		size_t n = eq ? (size_t)(eq - kv) : strlen(kv);
		if (has_arg(df, kv, n)) {
			char *name = xasprintf("build-arg:%.*s", (int)n, kv);
			keyparts_addstr(kp, name, eq ? eq + 1 : "");
			free(name);
		}
	}
	if (sp->target)
		keyparts_addstr(kp, "target", sp->target);
	if (sp->platform)
		keyparts_addstr(kp, "platform", sp->platform);
	else if (getenv("DOCKER_DEFAULT_PLATFORM") && *getenv("DOCKER_DEFAULT_PLATFORM"))
		/* the docker client builds for it when no --platform is given: another platform is another image */
		keyparts_addstr(kp, "env:DOCKER_DEFAULT_PLATFORM", getenv("DOCKER_DEFAULT_PLATFORM"));
	free(img->remote);
	img->remote = NULL;
	for (size_t i = 0; i < df->nremotes; i++) {
		if (df->remotes[i].checksum) {
			char *name = xasprintf("remote:%s", df->remotes[i].url);
			keyparts_addstr(kp, name, df->remotes[i].checksum);
			free(name);
		} else if (!img->remote) {
			img->remote = xasprintf("%s line %d: the remote source '%s'", sp->dockerfile, df->remotes[i].line,
			                        df->remotes[i].url);
		}
	}
	prefetch(t, df);
	/* BuildKit does not key a step's cache on the secrets it mounts: the build passes it their digests */
	struct buf sent = BUF_INIT;
	strv_release(&img->secret_args);
	if (!img->seal)
		img->seal = ctxseal_new();
	if (secretargs_dockerfile(df, text.data ? text.data : "", text.len, &t->secrets, &sent, &img->secret_args))
		secretargs_key(kp, &img->secret_args);
	ctxseal_sent_dockerfile(img->seal, img->secret_args.n ? (sent.data ? sent.data : "") : NULL, sent.len);
	buf_release(&sent);
	if (add_context(t, kp, ke, df, &text) < 0 || add_bases(t, kp, df, ke) < 0)
		goto out;
	ret = 0;
out:
	dockerfile_free(df);
	buf_release(&text);
	buf_release(&err);
	return ret;
}

/* image_buildkit_off: DOCKER_BUILDKIT says no, as the docker client reads it (Go's ParseBool). */
int image_buildkit_off(void)
{
	static const char *const no[] = {"0", "f", "F", "false", "FALSE", "False"};
	const char *v = getenv("DOCKER_BUILDKIT");

	for (size_t i = 0; v && i < LEN(no); i++)
		if (strcmp(v, no[i]) == 0)
			return 1;
	return 0;
}
