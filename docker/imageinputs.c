/* imageinputs: an image's input manifest, written from and read back into key parts. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dockerignore.h"
#include "hash.h"
#include "image.h"
#include "imageinputs.h"
#include "json.h"
#include "key.h"
#include "util.h"

void inputs_encode(const char *task, const char *hex, const struct keyparts *kp, long long created, struct buf *out)
{
	char when[32], h[HASH_HEX_LEN + 1];
	time_t t = (time_t)created;
	struct tm tm;

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	json_open(out, '{');
	json_add_key(out, "schema");
	json_add_str(out, INPUTS_SCHEMA);
	json_add_key(out, "task");
	json_add_str(out, task);
	json_add_key(out, "key");
	json_add_str(out, hex);
	json_add_key(out, "created");
	json_add_str(out, when);
	json_add_key(out, "parts");
	json_open(out, '[');
	for (size_t i = 0; i < kp->n; i++) {
		const char *name = keyparts_name(kp, i), *v = keyparts_value(kp, i);
		json_open(out, '{');
		json_add_key(out, "name");
		json_add_str(out, name);
		if (!keypart_secret(name)) {
			hash_hex(&kp->v[i].h, h);
			json_add_key(out, "hash");
			json_add_str(out, h);
			if (v) {
				json_add_key(out, "value");
				json_add_str(out, v);
			}
		}
		json_close(out, '}');
	}
	json_close(out, ']');
	json_close(out, '}');
}

struct keyparts *inputs_decode(const char *data, size_t n, char **task, char **key, char **created, struct buf *err)
{
	struct json *j = json_parse(data, n, err);
	const struct json *parts = json_get(j, "parts");
	struct keyparts *kp = NULL;

	if (!j)
		return NULL;
	if (strcmp(json_str(json_get(j, "schema"), ""), INPUTS_SCHEMA) != 0 || !parts || parts->type != JSON_ARRAY) {
		buf_addf(err, "not a sindri-build input manifest (schema '%s', want '%s')",
		         json_str(json_get(j, "schema"), "none"), INPUTS_SCHEMA);
		goto out;
	}
	kp = keyparts_new();
	for (size_t i = 0; i < json_len(parts); i++) {
		const struct json *p = json_at(parts, i);
		const char *name = json_str(json_get(p, "name"), NULL), *h = json_str(json_get(p, "hash"), NULL);
		struct hash128 d = {0, 0};
		if (!name || (h && hash_parse(h, &d) < 0)) {
			buf_addf(err, "part %zu has no name or a malformed hash", i + 1);
			keyparts_free(kp);
			kp = NULL;
			goto out;
		}
		keyparts_add(kp, name, &d, json_str(json_get(p, "value"), NULL));
	}
	if (task)
		*task = xstrdup(json_str(json_get(j, "task"), ""));
	if (key)
		*key = xstrdup(json_str(json_get(j, "key"), ""));
	if (created)
		*created = xstrdup(json_str(json_get(j, "created"), ""));
out:
	json_free(j);
	return kp;
}

/* masked: a copy of kp in which the parts a manifest withholds have the zero digest, as inputs_decode gives them. */
static struct keyparts *masked(const struct keyparts *kp)
{
	struct keyparts *m = keyparts_new();
	static const struct hash128 zero = {0, 0};

	for (size_t i = 0; i < kp->n; i++) {
		const char *name = keyparts_name(kp, i);
		keyparts_add(m, name, keypart_secret(name) ? &zero : &kp->v[i].h, keyparts_value(kp, i));
	}
	return m;
}

size_t inputs_diff(const struct keyparts *published, const struct keyparts *today, struct buf *out, size_t max)
{
	struct keyparts *a = masked(published), *b = masked(today);
	size_t n = keyparts_explain(a, b, out, max);

	keyparts_free(a);
	keyparts_free(b);
	return n;
}

/* push_ancestors: the directories between file and top (top included), whose listings decide whether file is read. */
static void push_ancestors(struct strv *dirs, const char *file, const char *top)
{
	char *p = xstrdup(file);

	for (char *slash = strrchr(p, '/'); slash; slash = strrchr(p, '/')) {
		*slash = '\0';
		strv_push(dirs, p);
		if (strcmp(p, top) == 0)
			break;
	}
	if (strcmp(top, ".") == 0)
		strv_push(dirs, ".");
	free(p);
}

void image_paths(const struct task *t, struct strv *files, struct strv *dirs)
{
	const struct image_spec *sp = image_task_spec(t);
	const char *ctx = sp->context;
	char *ign = dockerignore_find(sp->dockerfile, ctx);
	struct buf path = BUF_INIT;

	strv_push(files, sp->dockerfile);
	if (ign)
		strv_push(files, ign);
	free(ign);
	strv_push(dirs, ctx); /* a .dockerignore appearing there changes what the build reads */
	for (size_t i = 0; t->parts && i < t->parts->n; i++) {
		const char *name = keyparts_name(t->parts, i);
		if (!str_has_prefix(name, "ctx:"))
			continue;
		buf_reset(&path);
		if (strcmp(ctx, ".") == 0)
			buf_adds(&path, name + 4);
		else
			buf_addf(&path, "%s/%s", ctx, name + 4);
		strv_push(files, path.data);
		push_ancestors(dirs, path.data, ctx);
	}
	buf_release(&path);
}
