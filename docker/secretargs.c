/* secretargs: the secrets' digests as build args of the steps that mount them, so BuildKit's cache keys on them. */
#include <stdlib.h>
#include <string.h>

#include "dockerfile.h"
#include "graph.h"
#include "hash.h"
#include "key.h"
#include "secretargs.h"
#include "util.h"

static int has(const struct strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return 1;
	return 0;
}

size_t secretargs_dockerfile(const struct dockerfile *df, const char *text, size_t len, const struct strv *secrets,
                             struct buf *out, struct strv *names)
{
	/* at[i]: df->secrets[i] opens the first step of its stage to mount that secret: an ARG goes before its line */
	unsigned char *at = xcalloc(df->nsecrets + 1, 1);
	const char *p = text, *end = text + len;
	size_t added = 0;
	int line = 1;

	for (size_t i = 0; i < df->nsecrets; i++) {
		const struct dfsecret *s = &df->secrets[i];
		int seen = 0;
		if (!has(secrets, s->id))
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = at[j] && df->secrets[j].stage == s->stage && strcmp(df->secrets[j].id, s->id) == 0;
		at[i] = !seen;
		added += at[i];
		if (at[i] && !has(names, s->id))
			strv_push(names, s->id);
	}
	if (!added) {
		free(at);
		return 0;
	}
	strv_sort(names);
	/* the secrets are in file order, so one pass over the lines puts each ARG before its step's first line */
	for (size_t i = 0; i <= df->nsecrets; i++) {
		int want = i < df->nsecrets ? df->secrets[i].line : -1;
		if (i < df->nsecrets && !at[i])
			continue;
		while (p < end && (want < 0 || line < want)) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			const char *next = nl ? nl + 1 : end;
			buf_add(out, p, (size_t)(next - p));
			p = next;
			line++;
		}
		if (want < 0)
			break;
		/* a step on the last line of a file without a final newline still starts a line of its own */
		if (out->len && out->data[out->len - 1] != '\n')
			buf_addc(out, '\n');
		buf_addf(out, "ARG " SECRET_ARG_PREFIX "%s\n", df->secrets[i].id);
	}
	free(at);
	return added;
}

void secretargs_key(struct keyparts *kp, const struct strv *names)
{
	struct hasher h;
	struct buf value = BUF_INIT;
	struct hash128 d;

	/* the scheme's version: a change of what the build gets changes the images' keys */
	hasher_init(&h);
	hasher_addstr(&h, "sindri-build secret args 1");
	for (size_t i = 0; i < names->n; i++) {
		hasher_addstr(&h, names->v[i]);
		buf_addf(&value, "%s%s", i ? " " : "", names->v[i]);
	}
	d = hasher_final(&h);
	keyparts_add(kp, "secret-args", &d, value.data ? value.data : "");
	buf_release(&value);
}

void secretargs_argv(const struct keyparts *kp, const struct strv *names, struct strv *argv)
{
	struct buf name = BUF_INIT;

	for (size_t i = 0; kp && i < names->n; i++) {
		buf_reset(&name);
		buf_addf(&name, "secret:%s", names->v[i]);
		for (size_t j = 0; j < kp->n; j++) {
			if (strcmp(keyparts_name(kp, j), name.data) != 0)
				continue;
			char hex[HASH_HEX_LEN + 1];
			hash_hex(&kp->v[j].h, hex);
			char *arg = xasprintf(SECRET_ARG_PREFIX "%s=%s", names->v[i], hex);
			strv_push(argv, "--build-arg");
			strv_push(argv, arg);
			free(arg);
			break;
		}
	}
	buf_release(&name);
}
