/* keyparts: a key as a list of named parts, its digest, its text form for the state, and how two lists differ. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "key.h"
#include "secret.h"
#include "util.h"

#define NOVALUE ((size_t)-1)
#define VALUE_MAX 200

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

	GROW(kp->v, kp->n, kp->cap);
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

int keypart_secret(const char *name)
{
	return str_has_prefix(name, "secret:") || secret_part_like(name);
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

/* add_record: one part as one record (length, name, hash) in one update: the same bytes as adding them one by one. */
static void add_record(struct hasher *h, struct buf *rec, const char *name, const struct hash128 *ph)
{
	size_t n = strlen(name);
	unsigned char *p;

	buf_grow(rec, n + 24);
	p = (unsigned char *)rec->data;
	for (int b = 0; b < 8; b++)
		p[b] = (unsigned char)((uint64_t)n >> (8 * b));
	memcpy(p + 8, name, n);
	p += 8 + n;
	for (int b = 0; b < 8; b++) {
		p[b] = (unsigned char)(ph->lo >> (8 * b));
		p[8 + b] = (unsigned char)(ph->hi >> (8 * b));
	}
	hasher_add(h, rec->data, n + 24);
}

struct hash128 keyparts_records_digest(const struct keyparts *kp, size_t from, size_t to)
{
	struct hasher h;
	struct buf rec = BUF_INIT;

	hasher_init(&h);
	for (size_t i = from; i < to; i++)
		add_record(&h, &rec, keyparts_name(kp, i), &kp->v[i].h);
	buf_release(&rec);
	return hasher_final(&h);
}

int keypart_is_file(const char *name)
{
	return str_has_prefix(name, KEY_IN_PREFIX) && name[sizeof(KEY_IN_PREFIX) - 1];
}

/*
 * The key: XXH3-128 over KEY_VERSION and a record per part, in order, except that the input files' parts (a run of
 * parts named "in:PATH", all from one walk) make one record named "in:" whose hash is the XXH3-128 of their own
 * records: the digest of a walk can then stand for its files (a part named just "in:", see task_key_quick).
 */
struct hash128 keyparts_digest(const struct keyparts *kp)
{
	struct hasher h;
	struct buf rec = BUF_INIT;

	hasher_init(&h);
	hasher_addstr(&h, KEY_VERSION);
	for (size_t i = 0; i < kp->n;) {
		size_t j = i;
		while (j < kp->n && keypart_is_file(keyparts_name(kp, j)))
			j++;
		if (j > i) {
			struct hash128 d = keyparts_records_digest(kp, i, j);
			add_record(&h, &rec, KEY_IN_PREFIX, &d);
			i = j;
		} else {
			add_record(&h, &rec, keyparts_name(kp, i), &kp->v[i].h);
			i++;
		}
	}
	buf_release(&rec);
	return hasher_final(&h);
}

/* Names and values are escaped so that one part is one line: \\, \t, \n. */
static void put_escaped(struct buf *b, const char *s)
{
	for (;;) {
		size_t n = strcspn(s, "\\\t\n"); /* a run that needs no escape, copied whole */
		buf_add(b, s, n);
		s += n;
		if (!*s)
			return;
		buf_addc(b, '\\');
		buf_addc(b, *s == '\t' ? 't' : *s == '\n' ? 'n' : '\\');
		s++;
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

/* describe_dockerfile: a Dockerfile line's part, named "PATH:K" (its K-th keyed line), its value "N\tTEXT" (N the
 * line's number in the file): "PATH line N changed: 'was' -> 'now'". */
static void describe_dockerfile(struct buf *out, const char *name, const char *was, const char *now, int how)
{
	const char *colon = strrchr(name, ':'), *v = now ? now : was;
	const char *tw = was ? strchr(was, '\t') : NULL, *tn = now ? strchr(now, '\t') : NULL;
	int path_len = colon ? (int)(colon - name) : (int)strlen(name);
	int line = v ? atoi(v) : 0;

	buf_addf(out, "%.*s line %d ", path_len, name, line);
	if (how == 0)
		buf_addf(out, "changed: '%s' -> '%s'\n", tw ? tw + 1 : "?", tn ? tn + 1 : "?");
	else if (how > 0)
		buf_addf(out, "added: '%s'\n", tn ? tn + 1 : "?");
	else
		buf_addf(out, "removed: '%s'\n", tw ? tw + 1 : "?");
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
	if (str_has_prefix(name, KEY_LOADED_PREFIX)) {
		buf_addf(out, "its run function loaded '%s' while it ran, which its key cannot cover: it runs every time "
		         "(declare the file in inputs, or load it when the recipe loads)\n", name + strlen(KEY_LOADED_PREFIX));
		return;
	}
	if (str_has_prefix(name, "df:")) {
		describe_dockerfile(out, name + 3, was, now, how);
		return;
	}
	if (str_has_prefix(name, "ctx:") || str_has_prefix(name, "in:")) {
		/* a value tells the kind of entry and its mode (none: a plain file): say when that is what changed */
		const char *what = name[0] == 'c' ? name : name + 3;
		const char *fmt = name[0] == 'c' ? "%s" : "input '%s'";
		buf_addf(out, fmt, what);
		if (how == 0 && strcmp(was ? was : "file", now ? now : "file") != 0)
			buf_addf(out, " changed: '%s' -> '%s'\n", was ? was : "file", now ? now : "file");
		else
			buf_addf(out, " %s\n", verb[how + 1]);
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

size_t keyparts_diff(const struct keyparts *old, const struct keyparts *now,
                     void (*fn)(const struct keyparts *old, size_t i, const struct keyparts *now, size_t j, void *arg),
                     void *arg)
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
			fn(old, a[i++], now, KEYPARTS_NONE, arg);
			count++;
		} else if (c > 0) {
			fn(old, KEYPARTS_NONE, now, b[j++], arg);
			count++;
		} else {
			if (!hash_eq(&old->v[a[i]].h, &now->v[b[j]].h)) {
				fn(old, a[i], now, b[j], arg);
				count++;
			}
			i++;
			j++;
		}
	}
	free(a);
	free(b);
	return count;
}

struct explain_arg {
	struct buf *out;
	size_t max, count;
};

static void explain_one(const struct keyparts *old, size_t i, const struct keyparts *now, size_t j, void *arg)
{
	struct explain_arg *ea = arg;

	if (ea->count++ >= ea->max)
		return;
	if (j == KEYPARTS_NONE)
		describe(ea->out, keyparts_name(old, i), keyparts_value(old, i), NULL, -1);
	else if (i == KEYPARTS_NONE)
		describe(ea->out, keyparts_name(now, j), NULL, keyparts_value(now, j), 1);
	else
		describe(ea->out, keyparts_name(now, j), keyparts_value(old, i), keyparts_value(now, j), 0);
}

size_t keyparts_explain(const struct keyparts *old, const struct keyparts *now, struct buf *out, size_t max)
{
	struct explain_arg ea = {out, max, 0};
	size_t count = keyparts_diff(old, now, explain_one, &ea);

	if (count > max)
		buf_addf(out, "... and %zu more\n", count - max);
	return count;
}
