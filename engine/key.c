/* key: building a task's key from its parts, and explaining how two keys differ. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "filecache.h"
#include "fileset.h"
#include "graph.h"
#include "key.h"
#include "secret.h"
#include "util.h"

#define NOVALUE ((size_t)-1)
#define VALUE_MAX 200
/* inputs sets this large report hashing progress every PROGRESS_STEP files */
#define PROGRESS_MIN 5000
#define PROGRESS_STEP 2048

struct keyparts *keyparts_new(void)
{
	struct keyparts *kp = xcalloc(1, sizeof(*kp));

	kp->arena = xcalloc(1, sizeof(*kp->arena));
	return kp;
}

void keyparts_free(struct keyparts *kp)
{
	if (!kp)
		return;
	buf_release(kp->arena);
	free(kp->arena);
	free(kp->v);
	free(kp);
}

static size_t arena_put(struct buf *a, const char *s, size_t n)
{
	size_t off = a->len;

	buf_add(a, s, n);
	buf_addc(a, '\0');
	return off;
}

void keyparts_add(struct keyparts *kp, const char *name, const struct hash128 *h, const char *value)
{
	struct keypart *p;

	if (kp->n == kp->cap) {
		kp->cap = kp->cap ? kp->cap * 2 : 32;
		kp->v = xreallocarray(kp->v, kp->cap, sizeof(*kp->v));
	}
	p = &kp->v[kp->n++];
	p->h = *h;
	p->name = arena_put(kp->arena, name, strlen(name));
	if (value) {
		size_t n = strlen(value);
		p->value = arena_put(kp->arena, value, n > VALUE_MAX ? VALUE_MAX : n);
	} else {
		p->value = NOVALUE;
	}
}

/* secret_part_like: a variable's part whose name says it holds a secret: its value is not shown (nor kept for
 * explain), even when the recipe did not declare it in secrets (it warned then). */
static int secret_part_like(const char *name)
{
	static const char *const kinds[] = {"env:", "var:", "build-arg:"};

	for (size_t i = 0; i < LEN(kinds); i++)
		if (str_has_prefix(name, kinds[i]))
			return secret_name_like(name + strlen(kinds[i]));
	return 0;
}

void keyparts_addstr(struct keyparts *kp, const char *name, const char *value)
{
	struct hash128 h;

	if (value) {
		h = hash_bytes(value, strlen(value));
	} else {
		h.lo = 0x756e736574ULL; /* "unset": differs from the hash of any string */
		h.hi = 0;
	}
	keyparts_add(kp, name, &h, secret_part_like(name) ? NULL : value ? value : "(unset)");
}

const char *keyparts_name(const struct keyparts *kp, size_t i)
{
	return kp->arena->data + kp->v[i].name;
}

const char *keyparts_value(const struct keyparts *kp, size_t i)
{
	return kp->v[i].value == NOVALUE ? NULL : kp->arena->data + kp->v[i].value;
}

struct hash128 keyparts_digest(const struct keyparts *kp)
{
	struct hasher h;
	struct buf rec = BUF_INIT;

	hasher_init(&h);
	hasher_addstr(&h, "sindri-build key 1");
	/* each part as one record (length, name, hash) in one update: the same bytes as adding them one by one */
	for (size_t i = 0; i < kp->n; i++) {
		const char *name = keyparts_name(kp, i);
		size_t n = strlen(name);
		unsigned char *p;
		buf_grow(&rec, n + 24);
		p = (unsigned char *)rec.data;
		for (int b = 0; b < 8; b++)
			p[b] = (unsigned char)((uint64_t)n >> (8 * b));
		memcpy(p + 8, name, n);
		p += 8 + n;
		for (int b = 0; b < 8; b++) {
			p[b] = (unsigned char)(kp->v[i].h.lo >> (8 * b));
			p[8 + b] = (unsigned char)(kp->v[i].h.hi >> (8 * b));
		}
		hasher_add(&h, rec.data, n + 24);
	}
	buf_release(&rec);
	return hasher_final(&h);
}

/* Names and values are escaped so that one part is one line: \\, \t, \n. */
static void put_escaped(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			buf_adds(b, "\\\\");
		else if (*s == '\t')
			buf_adds(b, "\\t");
		else if (*s == '\n')
			buf_adds(b, "\\n");
		else
			buf_addc(b, *s);
	}
}

void keyparts_encode(const struct keyparts *kp, struct buf *out)
{
	char hex[HASH_HEX_LEN + 1];

	buf_adds(out, "sindri-build parts 1\n");
	for (size_t i = 0; i < kp->n; i++) {
		const char *v = keyparts_value(kp, i);
		hash_hex(&kp->v[i].h, hex);
		buf_add(out, hex, HASH_HEX_LEN);
		buf_addc(out, v ? '\t' : ' ');
		put_escaped(out, keyparts_name(kp, i));
		if (v) {
			buf_addc(out, '\t');
			put_escaped(out, v);
		}
		buf_addc(out, '\n');
	}
}

static char *unescape(const char *s, size_t n)
{
	char *r = xmalloc(n + 1), *w = r;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n) {
			i++;
			*w++ = s[i] == 't' ? '\t' : s[i] == 'n' ? '\n' : s[i];
		} else {
			*w++ = s[i];
		}
	}
	*w = '\0';
	return r;
}

struct keyparts *keyparts_decode(const char *data, size_t n)
{
	static const char magic[] = "sindri-build parts 1\n";
	const char *p = data, *end = data + n;
	struct keyparts *kp;

	if (n < sizeof(magic) - 1 || memcmp(data, magic, sizeof(magic) - 1) != 0)
		return NULL;
	p += sizeof(magic) - 1;
	kp = keyparts_new();
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		struct hash128 h;
		char hex[HASH_HEX_LEN + 1];
		if (!eol || eol - p < HASH_HEX_LEN + 2)
			goto bad;
		memcpy(hex, p, HASH_HEX_LEN);
		hex[HASH_HEX_LEN] = '\0';
		if (hash_parse(hex, &h) < 0)
			goto bad;
		int hasvalue = p[HASH_HEX_LEN] == '\t';
		const char *name = p + HASH_HEX_LEN + 1;
		const char *tab = hasvalue ? memchr(name, '\t', (size_t)(eol - name)) : NULL;
		if (hasvalue && !tab)
			goto bad;
		char *nm = unescape(name, (size_t)((tab ? tab : eol) - name));
		char *val = tab ? unescape(tab + 1, (size_t)(eol - tab - 1)) : NULL;
		keyparts_add(kp, nm, &h, val);
		free(nm);
		free(val);
		p = eol + 1;
	}
	return kp;
bad:
	keyparts_free(kp);
	return NULL;
}

/* Sorting part indices by name lets explain merge two lists whatever order the parts were added in. */
static const struct keyparts *sort_kp;

static int cmp_part(const void *a, const void *b)
{
	return strcmp(keyparts_name(sort_kp, *(const size_t *)a), keyparts_name(sort_kp, *(const size_t *)b));
}

static size_t *sorted_index(const struct keyparts *kp)
{
	size_t *ix = xmalloc((kp->n + 1) * sizeof(*ix));

	for (size_t i = 0; i < kp->n; i++)
		ix[i] = i;
	sort_kp = kp;
	qsort(ix, kp->n, sizeof(*ix), cmp_part);
	return ix;
}

/* describe: one human line for a part that was added (+1), removed (-1) or changed (0). */
static void describe(struct buf *out, const char *name, const char *was, const char *now, int how)
{
	static const char *const verb[] = {"removed", "modified", "added"};
	static const char *const kinds[][2] = {
	    {"in:", "input"}, {"out:", "output"}, {"env:", "environment variable"}, {"var:", "variable"}, {"dep:", "dependency"},
	};

	if (str_has_prefix(name, "secret:")) {
		/* never a value: there is none to show, only the keyed digest */
		buf_addf(out, "secret %s %s\n", name + 7, how == 0 ? "changed" : how > 0 ? "is now keyed" : "is no longer keyed");
		return;
	}
	if (strcmp(name, "recipe") == 0) {
		buf_adds(out, "the task's definition in the recipe changed");
		if (was && now)
			buf_addf(out, ": was '%s', now '%s'", was, now);
		buf_addc(out, '\n');
		return;
	}
	for (size_t i = 0; i < LEN(kinds); i++) {
		if (!str_has_prefix(name, kinds[i][0]))
			continue;
		const char *what = name + strlen(kinds[i][0]);
		if (i == 0 || i == 1) {
			buf_addf(out, "%s '%s' %s\n", kinds[i][1], what, verb[how + 1]);
		} else if (i == 4) {
			buf_addf(out, "dependency '%s' %s\n", what, how == 0 ? "has a new key" : verb[how + 1]);
		} else if (how == 0 && (!was || !now)) {
			buf_addf(out, "%s %s changed\n", kinds[i][1], what);
		} else if (how == 0) {
			buf_addf(out, "%s %s changed: '%s' -> '%s'\n", kinds[i][1], what, was, now);
		} else {
			buf_addf(out, "%s %s %s\n", kinds[i][1], what, how > 0 ? "is now keyed" : "is no longer keyed");
		}
		return;
	}
	if (how == 0 && was && now)
		buf_addf(out, "%s changed: '%s' -> '%s'\n", name, was, now);
	else
		buf_addf(out, "%s %s\n", name, verb[how + 1]);
}

size_t keyparts_explain(const struct keyparts *old, const struct keyparts *now, struct buf *out, size_t max)
{
	size_t *a = sorted_index(old), *b = sorted_index(now);
	size_t i = 0, j = 0, count = 0;

	while (i < old->n || j < now->n) {
		int c;
		if (i == old->n)
			c = 1;
		else if (j == now->n)
			c = -1;
		else
			c = strcmp(keyparts_name(old, a[i]), keyparts_name(now, b[j]));
		if (c < 0) {
			if (count++ < max)
				describe(out, keyparts_name(old, a[i]), keyparts_value(old, a[i]), NULL, -1);
			i++;
		} else if (c > 0) {
			if (count++ < max)
				describe(out, keyparts_name(now, b[j]), NULL, keyparts_value(now, b[j]), 1);
			j++;
		} else {
			if (!hash_eq(&old->v[a[i]].h, &now->v[b[j]].h) && count++ < max)
				describe(out, keyparts_name(now, b[j]), keyparts_value(old, a[i]), keyparts_value(now, b[j]), 0);
			i++;
			j++;
		}
	}
	if (count > max)
		buf_addf(out, "... and %zu more\n", count - max);
	free(a);
	free(b);
	return count;
}

static int cmp_dep(const void *a, const void *b)
{
	return strcmp((*(struct task *const *)a)->name, (*(struct task *const *)b)->name);
}

int task_key(struct task *t, const struct keyenv *ke)
{
	struct keyparts *kp = keyparts_new();
	struct fileset fs;
	struct buf err = BUF_INIT, name = BUF_INIT;
	char hex[HASH_HEX_LEN + 1];
	struct task **deps;

	keyparts_addstr(kp, "recipe", t->defn ? t->defn : "");
	strv_sort(&t->env);
	for (size_t i = 0; i < t->env.n; i++) {
		buf_reset(&name);
		buf_addf(&name, "env:%s", t->env.v[i]);
		keyparts_addstr(kp, name.data, getenv(t->env.v[i]));
	}
	if (secret_add_parts(t, kp, ke) < 0) {
		buf_release(&name);
		keyparts_free(kp);
		return -1;
	}
	strv_sort(&t->vars);
	for (size_t i = 0; i < t->vars.n; i++) {
		const char *eq = strchr(t->vars.v[i], '=');
		buf_reset(&name);
		buf_adds(&name, "var:");
		buf_add(&name, t->vars.v[i], eq ? (size_t)(eq - t->vars.v[i]) : strlen(t->vars.v[i]));
		keyparts_addstr(kp, name.data, eq ? eq + 1 : NULL);
	}
	deps = xmalloc((t->deps.n + 1) * sizeof(*deps));
	memcpy(deps, t->depv, t->deps.n * sizeof(*deps));
	qsort(deps, t->deps.n, sizeof(*deps), cmp_dep);
	for (size_t i = 0; i < t->deps.n; i++) {
		if (i && deps[i] == deps[i - 1])
			continue;
		buf_reset(&name);
		buf_addf(&name, "dep:%s", deps[i]->name);
		hash_hex(&deps[i]->key, hex);
		keyparts_add(kp, name.data, &deps[i]->key, hex);
	}
	free(deps);

	fileset_init(&fs);
	if (t->inputs.n && fileset_expand_cached(&fs, ke->rootfd, (const char *const *)t->inputs.v, t->inputs.n,
	                                         (const char *const *)t->excludes.v, t->excludes.n, ke->fc, NULL, &err) < 0) {
		error("%s: task '%s': inputs: %s", t->where ? t->where : "?", t->name, err.data ? err.data : "error");
		goto fail;
	}
	buf_reset(&name);
	buf_adds(&name, "in:");
	for (size_t i = 0; i < fs.n; i++) {
		struct hash128 h;
		if (ke->stop && *ke->stop)
			goto fail;
		if (ke->progress && fs.n >= PROGRESS_MIN && i % PROGRESS_STEP == 0)
			ke->progress(t->name, i, fs.n);
		if (filecache_hash(ke->fc, ke->rootfd, fs.v[i].path, &fs.v[i].st, &h) < 0) {
			error("task '%s': cannot read input '%s':", t->name, fs.v[i].path);
			goto fail;
		}
		/* the hot loop of a no-op over a large tree: no printf here */
		name.len = 3;
		buf_add(&name, fs.v[i].path, strlen(fs.v[i].path));
		keyparts_add(kp, name.data, &h, NULL);
	}
	if (ke->progress && fs.n >= PROGRESS_MIN)
		ke->progress(t->name, fs.n, fs.n);
	fileset_release(&fs);
	buf_release(&err);
	buf_release(&name);

	keyparts_free(t->parts);
	t->parts = kp;
	if (t->ops && t->ops->add_key && t->ops->add_key(t, kp, ke) < 0) {
		t->parts = NULL;
		keyparts_free(kp);
		return -1;
	}
	t->key = keyparts_digest(kp);
	return 0;
fail:
	fileset_release(&fs);
	buf_release(&err);
	buf_release(&name);
	keyparts_free(kp);
	return -1;
}

int task_outputs_digest(struct task *t, const struct keyenv *ke, struct hash128 *out, struct buf *why)
{
	struct hasher h;

	memset(out, 0, sizeof(*out));
	if (!t->outputs.n)
		return 0;
	hasher_init(&h);
	for (size_t i = 0; i < t->outputs.n; i++) {
		const char *path = t->outputs.v[i];
		struct stat st;
		struct filestat fst;
		struct hash128 fh;

		if (fstatat(ke->rootfd, path, &st, 0) < 0) {
			if (errno != ENOENT && errno != ENOTDIR) {
				hasher_final(&h);
				return error("task '%s': cannot stat output '%s':", t->name, path);
			}
			buf_addf(why, "output '%s' is missing", path);
			hasher_final(&h);
			return 1;
		}
		hasher_addstr(&h, path);
		if (S_ISDIR(st.st_mode)) {
			hasher_addstr(&h, "directory");
			continue;
		}
		filestat_from(&fst, &st);
		if (filecache_hash(ke->fc, ke->rootfd, path, &fst, &fh) < 0) {
			hasher_final(&h);
			return error("task '%s': cannot read output '%s':", t->name, path);
		}
		hasher_addhash(&h, &fh);
	}
	*out = hasher_final(&h);
	return 0;
}
