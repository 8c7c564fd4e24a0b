/* dockerobj: the Engine API's objects through the client of docker/dockerapi.c: version, images, containers,
 * volumes, the build cache and disk use. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dockerapi.h"
#include "dockerint.h"
#include "json.h"
#include "util.h"

/* add_escaped: percent-encode s except for unreserved characters and those in keep. */
static void add_escaped(struct buf *b, const char *s, const char *keep)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || strchr("-._~", c) || strchr(keep, c))
			buf_addc(b, (char)c);
		else
			buf_addf(b, "%%%02X", c);
	}
}

/* add_path: a path prefix and one escaped name: "/images/" + "localhost:5000/x:1" + suffix. */
static void add_path(struct buf *b, const char *prefix, const char *name, const char *suffix)
{
	buf_adds(b, prefix);
	/* Image references keep their '/', ':' and '@': the engine's routes match them literally. */
	add_escaped(b, name, "/:@");
	buf_adds(b, suffix);
}

static void add_query(struct buf *b, const char *key, const char *value)
{
	buf_addc(b, strchr(b->data ? b->data : "", '?') ? '&' : '?');
	buf_adds(b, key);
	buf_addc(b, '=');
	add_escaped(b, value, "");
}

/* add_filters: the filters query parameter, JSON {"key":["value",...]} grouped by key. */
static void add_filters(struct buf *b, const char *const *filters)
{
	struct buf j = BUF_INIT;
	size_t i, k, n;

	if (!filters || !filters[0])
		return;
	json_open(&j, '{');
	for (i = 0; filters[i]; i++) {
		n = strcspn(filters[i], "=");
		for (k = 0; k < i && (strncmp(filters[k], filters[i], n) || strcspn(filters[k], "=") != n); k++)
			;
		if (k < i)
			continue; /* this key was written with its first occurrence */
		json_add_strn(&j, filters[i], n);
		buf_addc(&j, ':');
		json_open(&j, '[');
		for (k = i; filters[k]; k++)
			if (strncmp(filters[k], filters[i], n) == 0 && strcspn(filters[k], "=") == n && filters[k][n])
				json_add_str(&j, filters[k] + n + 1);
		json_close(&j, ']');
	}
	json_close(&j, '}');
	add_query(b, "filters", j.data);
	buf_release(&j);
}

int docker_version(struct docker *d, struct json **out)
{
	return docker_call(d, "GET", "/version", NULL, REQUEST_TIMEOUT_S, 0, out, NULL, "read the engine version");
}

int docker_get(struct docker *d, const char *path, struct json **out)
{
	return docker_call(d, "GET", path, NULL, REQUEST_TIMEOUT_S, 0, out, NULL, "get '%s'", path);
}

/* object: METHOD {prefix}{escaped name}{rest}, where rest holds a sub-path and query; 404 is DOCKER_NOT_FOUND
 * and 304 (container already started or stopped) is success. */
static int object(struct docker *d, const char *method, const char *prefix, const char *name, const char *rest,
                  long timeout_s, struct json **out, const char *const *want, const char *what)
{
	struct buf p = BUF_INIT;
	int ret;

	add_path(&p, prefix, name, rest);
	ret = docker_call(d, method, p.data, NULL, timeout_s, CALL_404 | CALL_304, out, want, "%s '%s'", what, name);
	buf_release(&p);
	return ret;
}

int docker_image_inspect(struct docker *d, const char *ref, struct json **out)
{
	return object(d, "GET", "/images/", ref, "/json", REQUEST_TIMEOUT_S, out, NULL, "inspect image");
}

int docker_image_inspect_members(struct docker *d, const char *ref, const char *const *want, struct json **out)
{
	return object(d, "GET", "/images/", ref, "/json", REQUEST_TIMEOUT_S, out, want, "inspect image");
}

void docker_image_prefetch(struct docker *d, const char *ref)
{
	struct buf p = BUF_INIT;

	add_path(&p, "/images/", ref, "/json");
	docker_prefetch(d, p.data);
	buf_release(&p);
}

int docker_image_list(struct docker *d, const char *const *filters, struct json **out)
{
	struct buf p = BUF_INIT;
	const char **rest = NULL;
	size_t i, n = 0;
	int ret = -1;

	if (docker_need(d, "1.24", "list images") < 0)
		return -1;
	buf_adds(&p, "/images/json");
	if (filters && d->api < docker_api_number("1.25")) {
		/* API 1.24 has no reference filter, but takes one name pattern as ?filter=. */
		for (i = 0; filters[i]; i++)
			;
		rest = xcalloc(i + 1, sizeof(*rest));
		for (i = 0; filters[i]; i++) {
			if (!str_has_prefix(filters[i], "reference="))
				rest[n++] = filters[i];
			else if (!strchr(p.data, '?'))
				add_query(&p, "filter", filters[i] + 10);
			else {
				error("cannot list images: the Docker engine at '%s' speaks API %s, which takes one reference "
				      "filter", d->host, d->version);
				goto out;
			}
		}
	}
	add_filters(&p, rest ? rest : filters);
	ret = docker_call(d, "GET", p.data, NULL, REQUEST_TIMEOUT_S, 0, out, NULL, "list images");
out:
	free(rest);
	buf_release(&p);
	return ret;
}

int docker_image_tag(struct docker *d, const char *image, const char *target)
{
	struct buf p = BUF_INIT;
	const char *colon = strrchr(target, ':'), *slash = strrchr(target, '/');
	char *repo;
	int ret;

	if (strchr(target, '@'))
		return error("cannot tag image '%s' as '%s': a tag cannot hold a digest", image, target);
	if (colon && slash && colon < slash)
		colon = NULL; /* the ':' of a registry port */
	repo = colon ? xstrndup(target, (size_t)(colon - target)) : xstrdup(target);
	add_path(&p, "/images/", image, "/tag");
	add_query(&p, "repo", repo);
	if (colon)
		add_query(&p, "tag", colon + 1);
	ret = docker_call(d, "POST", p.data, NULL, REQUEST_TIMEOUT_S, CALL_404, NULL, NULL, "tag image '%s' as '%s'", image, target);
	free(repo);
	buf_release(&p);
	return ret;
}

int docker_image_remove(struct docker *d, const char *ref, unsigned flags)
{
	char q[32];

	snprintf(q, sizeof(q), "?force=%d&noprune=%d", !!(flags & DOCKER_FORCE), !!(flags & DOCKER_NOPRUNE));
	return object(d, "DELETE", "/images/", ref, q, REQUEST_TIMEOUT_S, NULL, NULL, "remove image");
}

static void add_list(struct buf *b, const char *key, const char *const *list)
{
	if (!list)
		return;
	json_add_key(b, key);
	json_open(b, '[');
	for (; *list; list++)
		json_add_str(b, *list);
	json_close(b, ']');
}

/* add_map: "k=v" strings as {"k":"v"}; a string without '=' maps to "" (how the engine takes labels). */
static void add_map(struct buf *b, const char *key, const char *const *kv)
{
	size_t n;

	if (!kv)
		return;
	json_add_key(b, key);
	json_open(b, '{');
	for (; *kv; kv++) {
		n = strcspn(*kv, "=");
		json_add_strn(b, *kv, n);
		buf_addc(b, ':');
		json_add_str(b, (*kv)[n] ? *kv + n + 1 : "");
	}
	json_close(b, '}');
}

/* add_field: "key":value for a string (skipped when NULL) or, with s NULL and flag >= 0, a bool. */
static void add_field(struct buf *b, const char *key, const char *s, int flag)
{
	if (!s && flag < 0)
		return;
	json_add_key(b, key);
	if (s)
		json_add_str(b, s);
	else
		json_add_bool(b, flag);
}

int docker_container_create(struct docker *d, const struct docker_container_spec *spec, char **id)
{
	struct buf p = BUF_INIT, body = BUF_INIT;
	struct json *j = NULL;
	const char *const *v;
	const char *name = spec->name ? spec->name : "(unnamed)";
	int ret;

	if (id)
		*id = NULL;
	if (!spec->image)
		return error("cannot create container '%s': no image given", name);
	buf_adds(&p, "/containers/create");
	if (spec->name)
		add_query(&p, "name", spec->name);
	json_open(&body, '{');
	add_field(&body, "Image", spec->image, -1);
	add_list(&body, "Cmd", spec->cmd);
	add_list(&body, "Entrypoint", spec->entrypoint);
	add_list(&body, "Env", spec->env);
	add_map(&body, "Labels", spec->labels);
	if (spec->volumes) {
		/* The engine wants {"/path": {}} for each anonymous volume. */
		json_add_key(&body, "Volumes");
		json_open(&body, '{');
		for (v = spec->volumes; *v; v++) {
			json_add_key(&body, *v);
			json_open(&body, '{');
			json_close(&body, '}');
		}
		json_close(&body, '}');
	}
	add_field(&body, "WorkingDir", spec->workdir, -1);
	add_field(&body, "User", spec->user, -1);
	add_field(&body, "Tty", NULL, spec->tty);
	add_field(&body, "OpenStdin", NULL, spec->stdin_open);
	add_field(&body, "AttachStdin", NULL, spec->stdin_open);
	json_add_key(&body, "HostConfig");
	json_open(&body, '{');
	add_list(&body, "Binds", spec->binds);
	add_field(&body, "AutoRemove", NULL, spec->auto_remove);
	json_close(&body, '}');
	json_close(&body, '}');
	ret = docker_call(d, "POST", p.data, &body, REQUEST_TIMEOUT_S, 0, &j, NULL, "create container '%s' from image '%s'", name,
	           spec->image);
	if (ret == 0 && !json_str(json_get(j, "Id"), NULL))
		ret = error("cannot create container '%s': the engine's answer has no Id", name);
	if (ret == 0 && id)
		*id = xstrdup(json_str(json_get(j, "Id"), ""));
	json_free(j);
	buf_release(&p);
	buf_release(&body);
	return ret;
}

int docker_container_list(struct docker *d, const char *const *filters, struct json **out)
{
	struct buf p = BUF_INIT;
	int ret;

	buf_adds(&p, "/containers/json?all=1");
	add_filters(&p, filters);
	ret = docker_call(d, "GET", p.data, NULL, REQUEST_TIMEOUT_S, 0, out, NULL, "list containers");
	buf_release(&p);
	return ret;
}

int docker_container_inspect(struct docker *d, const char *id, struct json **out)
{
	return object(d, "GET", "/containers/", id, "/json", REQUEST_TIMEOUT_S, out, NULL, "inspect container");
}

int docker_container_start(struct docker *d, const char *id)
{
	return object(d, "POST", "/containers/", id, "/start", REQUEST_TIMEOUT_S, NULL, NULL, "start container");
}

int docker_container_stop(struct docker *d, const char *id, int timeout_s)
{
	char q[32];

	timeout_s = timeout_s < 0 ? 0 : timeout_s;
	snprintf(q, sizeof(q), "/stop?t=%d", timeout_s);
	return object(d, "POST", "/containers/", id, q, REQUEST_TIMEOUT_S + timeout_s, NULL, NULL, "stop container");
}

int docker_container_remove(struct docker *d, const char *id, unsigned flags)
{
	char q[32];

	snprintf(q, sizeof(q), "?force=%d&v=%d", !!(flags & DOCKER_FORCE), !!(flags & DOCKER_VOLUMES));
	return object(d, "DELETE", "/containers/", id, q, REQUEST_TIMEOUT_S, NULL, NULL, "remove container");
}

int docker_container_rename(struct docker *d, const char *id, const char *name)
{
	struct buf p = BUF_INIT;
	int ret;

	add_path(&p, "/containers/", id, "/rename");
	add_query(&p, "name", name);
	ret = docker_call(d, "POST", p.data, NULL, REQUEST_TIMEOUT_S, CALL_404, NULL, NULL, "rename container '%s'", id);
	buf_release(&p);
	return ret;
}

int docker_container_put_archive(struct docker *d, const char *id, const char *dir, const struct buf *tar)
{
	struct buf p = BUF_INIT;
	int ret;

	add_path(&p, "/containers/", id, "/archive");
	add_query(&p, "path", dir);
	/* a directory of the tar never replaces a file of the container, nor the other way round */
	add_query(&p, "noOverwriteDirNonDir", "true");
	ret = docker_call(d, "PUT", p.data, tar, REQUEST_TIMEOUT_S, CALL_404, NULL, NULL,
	                  "copy files into container '%s' at '%s'", id, dir);
	buf_release(&p);
	return ret;
}

int docker_container_path_exists(struct docker *d, const char *id, const char *path)
{
	struct buf p = BUF_INIT;
	int ret;

	add_path(&p, "/containers/", id, "/archive");
	add_query(&p, "path", path);
	ret = docker_call(d, "HEAD", p.data, NULL, REQUEST_TIMEOUT_S, CALL_404, NULL, NULL, "look for '%s' in container '%s'",
	                  path, id);
	buf_release(&p);
	return ret;
}

/* demux: the output of an exec without a TTY, frames of an 8-byte header (stream, 0, 0, 0, big-endian size) and
 * the bytes, stdout and stderr in the order they came; -1 when the stream is not that. */
static int demux(const struct buf *raw, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)(raw->data ? raw->data : "");
	size_t i = 0, n;

	while (i < raw->len) {
		if (raw->len - i < 8 || p[i] > 2)
			return -1;
		n = (size_t)p[i + 4] << 24 | (size_t)p[i + 5] << 16 | (size_t)p[i + 6] << 8 | p[i + 7];
		if (raw->len - i - 8 < n)
			return -1;
		if (out)
			buf_add(out, (const char *)p + i + 8, n);
		i += 8 + n;
	}
	return 0;
}

int docker_exec(struct docker *d, const char *id, const char *const *argv, const char *user, struct buf *out,
                int *status)
{
	struct buf p = BUF_INIT, body = BUF_INIT, raw = BUF_INIT;
	struct json *j = NULL;
	char *exec = NULL;
	int ret;

	*status = -1;
	add_path(&p, "/containers/", id, "/exec");
	json_open(&body, '{');
	add_field(&body, "AttachStdin", NULL, 0);
	add_field(&body, "AttachStdout", NULL, 1);
	add_field(&body, "AttachStderr", NULL, 1);
	add_field(&body, "Tty", NULL, 0);
	add_field(&body, "User", user, -1);
	add_list(&body, "Cmd", argv);
	json_close(&body, '}');
	ret = docker_call(d, "POST", p.data, &body, REQUEST_TIMEOUT_S, CALL_404, &j, NULL,
	                  "run '%s' in container '%s'", argv[0], id);
	if (ret == 0 && !json_str(json_get(j, "Id"), NULL))
		ret = error("cannot run '%s' in container '%s': the engine's answer has no Id", argv[0], id);
	if (ret == 0)
		exec = xstrdup(json_str(json_get(j, "Id"), ""));
	json_free(j);
	j = NULL;
	if (ret == 0) {
		/* attached: the answer is the command's output, and it ends when the command does */
		buf_reset(&p);
		add_path(&p, "/exec/", exec, "/start");
		buf_reset(&body);
		buf_adds(&body, "{\"Detach\":false,\"Tty\":false}");
		ret = docker_call_raw(d, "POST", p.data, &body, REQUEST_TIMEOUT_S, 0, &raw, "run '%s' in container '%s'",
		                      argv[0], id);
	}
	if (ret == 0 && demux(&raw, out) < 0)
		ret = error("cannot run '%s' in container '%s': its output is not the engine's stream", argv[0], id);
	if (ret == 0) {
		buf_reset(&p);
		add_path(&p, "/exec/", exec, "/json");
		ret = docker_call(d, "GET", p.data, NULL, REQUEST_TIMEOUT_S, 0, &j, NULL, "inspect the exec of '%s'", argv[0]);
	}
	if (ret == 0 && json_get(j, "Running") && json_get(j, "Running")->boolean)
		ret = error("cannot run '%s' in container '%s': the engine says it still runs", argv[0], id);
	if (ret == 0)
		*status = (int)json_int(json_get(j, "ExitCode"), -1);
	json_free(j);
	free(exec);
	buf_release(&p);
	buf_release(&body);
	buf_release(&raw);
	return ret;
}

int docker_volume_create(struct docker *d, const char *name, const char *const *labels, struct json **out)
{
	struct buf body = BUF_INIT;
	struct json *j = NULL;
	int ret;

	json_open(&body, '{');
	json_add_key(&body, "Name");
	json_add_str(&body, name);
	add_map(&body, "Labels", labels);
	json_close(&body, '}');
	ret = docker_call(d, "POST", "/volumes/create", &body, REQUEST_TIMEOUT_S, 0, out ? out : &j, NULL, "create volume '%s'", name);
	json_free(j);
	buf_release(&body);
	return ret;
}

int docker_volume_inspect(struct docker *d, const char *name, struct json **out)
{
	return object(d, "GET", "/volumes/", name, "", REQUEST_TIMEOUT_S, out, NULL, "inspect volume");
}

int docker_volume_remove(struct docker *d, const char *name, unsigned flags)
{
	return object(d, "DELETE", "/volumes/", name, flags & DOCKER_FORCE ? "?force=1" : "", REQUEST_TIMEOUT_S, NULL, NULL,
	              "remove volume");
}

/* df: GET /system/df. It has build-cache records; ?type=build-cache would limit it from API 1.42 on. */
static int df(struct docker *d, const char *min, const char *what, struct json **out)
{
	if (docker_need(d, min, what) < 0)
		return -1;
	return docker_call(d, "GET", "/system/df", NULL, REQUEST_TIMEOUT_S, CALL_BUSY, out, NULL, "%s", what);
}

int docker_build_cache(struct docker *d, struct docker_cache *out)
{
	struct json *j, *list, *r;
	struct docker_cache_record *c;
	size_t k;

	out->v = NULL;
	out->n = 0;
	if (df(d, "1.31", "list the build cache", &j) < 0)
		return -1;
	list = json_get(j, "BuildCache");
	out->v = xcalloc(json_len(list) + 1, sizeof(*out->v));
	for (k = 0; k < json_len(list); k++) {
		r = json_at(list, k);
		c = &out->v[out->n++];
		c->id = xstrdup(json_str(json_get(r, "ID"), ""));
		/* API 1.42 turned "Parent" into "Parents". */
		c->parent = xstrdup(json_str(json_get(r, "Parent"), json_str(json_path(r, "Parents.0"), "")));
		c->type = xstrdup(json_str(json_get(r, "Type"), ""));
		c->description = xstrdup(json_str(json_get(r, "Description"), ""));
		c->size = json_int(json_get(r, "Size"), 0);
		c->created = docker_parse_time(json_str(json_get(r, "CreatedAt"), ""));
		c->last_used = docker_parse_time(json_str(json_get(r, "LastUsedAt"), ""));
		c->created = c->created < 0 ? 0 : c->created;
		c->last_used = c->last_used < 0 ? 0 : c->last_used;
		c->usage_count = json_int(json_get(r, "UsageCount"), 0);
		c->in_use = json_bool(json_get(r, "InUse"), 0);
		c->shared = json_bool(json_get(r, "Shared"), 0);
	}
	json_free(j);
	return 0;
}

void docker_cache_release(struct docker_cache *c)
{
	size_t k;

	for (k = 0; k < c->n; k++) {
		free(c->v[k].id);
		free(c->v[k].parent);
		free(c->v[k].type);
		free(c->v[k].description);
	}
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

int docker_build_prune(struct docker *d, const char *const *filters, unsigned flags, int64_t *reclaimed,
                       size_t *deleted)
{
	struct buf p = BUF_INIT;
	struct json *j = NULL;
	int ret;

	if (reclaimed)
		*reclaimed = 0;
	if (deleted)
		*deleted = 0;
	if (docker_need(d, filters && filters[0] ? "1.39" : "1.31", "prune the build cache") < 0)
		return -1;
	buf_adds(&p, "/build/prune");
	if (flags & DOCKER_PRUNE_ALL)
		add_query(&p, "all", "1");
	add_filters(&p, filters);
	ret = docker_call(d, "POST", p.data, NULL, REQUEST_TIMEOUT_S, 0, &j, NULL, "prune the build cache");
	if (ret == 0 && reclaimed)
		*reclaimed = json_int(json_get(j, "SpaceReclaimed"), 0);
	if (ret == 0 && deleted)
		*deleted = json_len(json_get(j, "CachesDeleted"));
	json_free(j);
	buf_release(&p);
	return ret;
}

int docker_build_prune_ids(struct docker *d, const char *const *ids, size_t n, int64_t *reclaimed, size_t *deleted)
{
	struct buf f = BUF_INIT;
	const char *filters[2] = {NULL, NULL};
	size_t i, k, gone = 0, got;
	int64_t freed = 0, bytes;
	int ret = 0;

	for (i = 0; i < n; i++)
		if (!ids[i][0])
			return error("cannot prune a build-cache record: the id is empty");
	/* the id filter is a regexp (unanchored): one anchored alternation of the ids, each quoted, per request */
	for (i = 0; i < n && ret == 0; i += k) {
		int one = i + 1 == n; /* a lone id needs no group: "^id$" */
		buf_reset(&f);
		buf_adds(&f, one ? "id=^" : "id=^(?:");
		for (k = 0; k < DOCKER_PRUNE_IDS && i + k < n; k++) {
			if (k)
				buf_addc(&f, '|');
			for (const char *c = ids[i + k]; *c; c++) {
				if (!isalnum((unsigned char)*c))
					buf_addc(&f, '\\');
				buf_addc(&f, *c);
			}
		}
		buf_adds(&f, one ? "$" : ")$");
		filters[0] = f.data;
		if ((ret = docker_build_prune(d, filters, DOCKER_PRUNE_ALL, &bytes, &got)) == 0)
			freed += bytes, gone += got;
	}
	buf_release(&f);
	if (reclaimed)
		*reclaimed = freed;
	if (deleted)
		*deleted = gone;
	return ret;
}

int docker_build_prune_id(struct docker *d, const char *id, int64_t *reclaimed)
{
	size_t deleted = 0;
	int ret = docker_build_prune_ids(d, &id, 1, reclaimed, &deleted);

	return ret == 0 && deleted == 0 ? DOCKER_NOT_FOUND : ret;
}

int docker_system_df(struct docker *d, struct docker_df *out)
{
	struct json *j, *list;
	size_t k;
	int64_t v;

	memset(out, 0, sizeof(*out));
	if (df(d, "1.25", "read the engine's disk use", &j) < 0)
		return -1;
	out->images_size = json_int(json_get(j, "LayersSize"), 0);
	out->images = json_len(json_get(j, "Images"));
	list = json_get(j, "Containers");
	out->containers = json_len(list);
	for (k = 0; k < json_len(list); k++)
		out->containers_size += (v = json_int(json_get(json_at(list, k), "SizeRw"), 0)) > 0 ? v : 0;
	list = json_get(j, "Volumes");
	out->volumes = json_len(list);
	for (k = 0; k < json_len(list); k++)
		out->volumes_size += (v = json_int(json_path(json_at(list, k), "UsageData.Size"), 0)) > 0 ? v : 0;
	list = json_get(j, "BuildCache");
	out->cache_records = json_len(list);
	for (k = 0; k < json_len(list); k++)
		out->cache_size += (v = json_int(json_get(json_at(list, k), "Size"), 0)) > 0 ? v : 0;
	json_free(j);
	return 0;
}

static int digits(const char *s, size_t n, int *v)
{
	*v = 0;
	for (; n--; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		*v = *v * 10 + (*s - '0');
	}
	return 1;
}

int64_t docker_parse_time(const char *s)
{
	struct tm tm = {0};
	int y, mo, da, h, mi, se, oh = 0, om = 0, sign = 0;
	const char *p;

	if (!s || strlen(s) < 20 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !digits(s + 8, 2, &da) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s + 11, 2, &h) ||
	    s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &se))
		return -1;
	p = s + 19;
	if (*p == '.') {
		if (!isdigit((unsigned char)*++p))
			return -1;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if ((*p == '+' || *p == '-') && digits(p + 1, 2, &oh) && p[3] == ':' && digits(p + 4, 2, &om)) {
		sign = *p == '-' ? -1 : 1;
		p += 6;
	} else {
		return -1;
	}
	if (*p || mo < 1 || mo > 12 || da < 1 || da > 31 || h > 23 || mi > 59 || se > 60 || oh > 23 || om > 59)
		return -1;
	if (y < 1970)
		return 0; /* Go's zero time, 0001-01-01T00:00:00Z, means "never" */
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = da;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	return (int64_t)timegm(&tm) - sign * (oh * 3600 + om * 60);
}
