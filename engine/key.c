/* key: building a task's key from its parts, and explaining how two keys differ. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "filecache.h"
#include "fileset.h"
#include "graph.h"
#include "hashpool.h"
#include "key.h"
#include "secret.h"
#include "util.h"

#define NOVALUE ((size_t)-1)
#define VALUE_MAX 200
/* The version of the key's definition: a key of another version never equals one of this, so a record made by an
 * older sindri-build (which keyed less: no executable bit, no symlink) is never taken for a current one. */
#define KEY_VERSION "sindri-build key 2"

/* What task_key keeps of the inputs it keyed, for task_inputs_check. */
struct keyinputs {
	struct fileset fs; /* the files and their stat data as keyed */
	size_t first;      /* index in the task's parts of the part of fs.v[0] */
	int64_t at;        /* when the walk started */
};

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

struct hash128 keyparts_digest(const struct keyparts *kp)
{
	struct hasher h;
	struct buf rec = BUF_INIT;

	hasher_init(&h);
	hasher_addstr(&h, KEY_VERSION);
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

static int cmp_dep(const void *a, const void *b)
{
	return strcmp((*(struct task *const *)a)->name, (*(struct task *const *)b)->name);
}

void keyinputs_free(struct keyinputs *ki)
{
	if (!ki)
		return;
	fileset_release(&ki->fs);
	free(ki);
}

/*
 * input_hash: an input's part: its content hash, and for a file run as a program (the owner's executable bit, the
 * one git records) or reached through a symlink, that too (*what names it for explain). The other permission bits
 * are left out: a command reads the file the same way whatever they are (an unreadable file fails the run), and
 * they differ between checkouts with another umask.
 */
static struct hash128 input_hash(const struct hash128 *content, const struct fileent *e, const char **what)
{
	static const char *const kinds[] = {NULL, "executable", "symlink", "executable symlink"};
	int k = ((e->st.mode & S_IXUSR) ? 1 : 0) | (e->link ? 2 : 0);
	struct hasher h;

	*what = kinds[k];
	if (!k)
		return *content;
	hasher_init(&h);
	hasher_addhash(&h, content);
	hasher_addstr(&h, kinds[k]);
	return hasher_final(&h);
}

int task_key(struct task *t, const struct keyenv *ke)
{
	struct keyparts *kp = keyparts_new();
	struct fileset fs;
	struct buf err = BUF_INIT, name = BUF_INIT;
	char hex[HASH_HEX_LEN + 1];
	struct task **deps;
	struct keyinputs *ki;
	struct hashjob *jobs = NULL;
	int64_t at;

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
	at = now_ns();
	if (t->inputs.n && fileset_expand_cached(&fs, ke->rootfd, (const char *const *)t->inputs.v, t->inputs.n,
	                                         (const char *const *)t->excludes.v, t->excludes.n, ke->fc, NULL,
	                                         FILESET_DEFER, &err) < 0) {
		error("%s: task '%s': inputs: %s", t->where ? t->where : "?", t->name, err.data ? err.data : "error");
		goto fail;
	}
	buf_reset(&name);
	buf_adds(&name, "in:");
	size_t first = kp->n;
	/* read on every core, merged in list order: the parts are the same whatever the schedule */
	jobs = xreallocarray(NULL, fs.n + 1, sizeof(*jobs));
	for (size_t i = 0; i < fs.n; i++) {
		jobs[i].path = fs.v[i].path;
		jobs[i].st = &fs.v[i].st;
	}
	if (hashpool_hash(ke, t->name, jobs, fs.n) < 0)
		goto fail;
	for (size_t i = 0; i < fs.n; i++) {
		struct hash128 h;
		const char *what;
		if (jobs[i].err) {
			errno = jobs[i].err;
			error("task '%s': cannot read input '%s':", t->name, fs.v[i].path);
			goto fail;
		}
		h = input_hash(&jobs[i].hash, &fs.v[i], &what);
		/* the hot loop of a no-op over a large tree: no printf here */
		name.len = 3;
		buf_add(&name, fs.v[i].path, strlen(fs.v[i].path));
		keyparts_add(kp, name.data, &h, what);
	}
	free(jobs);
	buf_release(&err);
	buf_release(&name);

	keyinputs_free(t->keyed);
	t->keyed = ki = xmalloc(sizeof(*ki));
	ki->fs = fs; /* moved: the list is kept as it is, no copy */
	ki->first = first;
	ki->at = at;
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
	free(jobs);
	fileset_release(&fs);
	buf_release(&err);
	buf_release(&name);
	keyparts_free(kp);
	return -1;
}

void task_key_poison(struct task *t)
{
	struct hasher h;

	hasher_init(&h);
	hasher_addstr(&h, "not recorded: an input changed while it ran");
	hasher_addhash(&h, &t->key);
	hasher_addu64(&h, (uint64_t)now_ns());
	hasher_addu64(&h, (uint64_t)getpid());
	t->key = hasher_final(&h);
}

void task_paths(const struct task *t, struct strv *files, struct strv *dirs)
{
	for (size_t i = 0; t->parts && i < t->parts->n; i++) {
		const char *name = keyparts_name(t->parts, i);
		if (str_has_prefix(name, "in:"))
			strv_push(files, name + 3);
	}
	if (t->ops && t->ops->paths)
		t->ops->paths(t, files, dirs);
}

/* is_output: whether path is one of t's declared outputs or lies below one: the run is meant to write it. */
static int is_output(const struct task *t, const char *path)
{
	for (size_t i = 0; i < t->outputs.n; i++) {
		const char *o = t->outputs.v[i];
		size_t n;
		while (o[0] == '.' && o[1] == '/')
			o += 2;
		n = strlen(o);
		while (n && o[n - 1] == '/')
			n--;
		if (n && strncmp(path, o, n) == 0 && (path[n] == '\0' || path[n] == '/'))
			return 1;
	}
	return 0;
}

/* same_stat: the stat data that any write, chmod, rename or replacement changes. */
static int same_stat(const struct filestat *a, const struct filestat *b)
{
	return a->size == b->size && a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns && a->ino == b->ino &&
	       a->dev == b->dev && a->mode == b->mode;
}

int task_inputs_check(struct task *t, const struct keyenv *ke, struct buf *why)
{
	const struct keyinputs *ki = t->keyed;
	struct fileset now;
	struct buf err = BUF_INIT;
	size_t i = 0, j = 0;
	int ret = 0;

	if (!ki || !t->inputs.n || !t->parts || t->parts->n < ki->first + ki->fs.n)
		return 0;
	fileset_init(&now);
	/* no stat cache: every directory is read and every file stat'ed, so nothing cached can hide a change; the
	 * directories in turn, the files on the pool's threads */
	if (fileset_expand_cached(&now, ke->rootfd, (const char *const *)t->inputs.v, t->inputs.n,
	                          (const char *const *)t->excludes.v, t->excludes.n, NULL, NULL, FILESET_DEFER, &err) < 0 ||
	    hashpool_stat(ke, &now, &err) < 0) {
		/* a named input is gone, or cannot be read: it changed */
		buf_addf(why, "list changed (%s)", err.data ? err.data : "an input cannot be read");
		ret = 1;
		goto out;
	}
	while (ret == 0 && (i < ki->fs.n || j < now.n)) {
		const struct fileent *a = i < ki->fs.n ? &ki->fs.v[i] : NULL, *b = j < now.n ? &now.v[j] : NULL;
		int c = !a ? 1 : !b ? -1 : strcmp(a->path, b->path);
		if (c && is_output(t, c < 0 ? a->path : b->path)) {
			i += c < 0;
			j += c > 0;
			continue;
		}
		if (c) {
			buf_addf(why, "'%s' was %s", c < 0 ? a->path : b->path, c < 0 ? "removed" : "added");
			ret = 1;
			break;
		}
		int64_t changed = a->st.mtime_ns > a->st.ctime_ns ? a->st.mtime_ns : a->st.ctime_ns;
		if (is_output(t, a->path)) {
			ret = 0;
		} else if (!same_stat(&a->st, &b->st) || a->link != b->link) {
			ret = 1;
		} else if (changed >= ki->at - FILECACHE_RACY_NS) {
			/* changed just before it was keyed: a write in the same timestamp tick leaves the same stat data */
			struct hash128 h;
			const char *what;
			if (hash_file(ke->rootfd, b->path, &h) < 0) {
				ret = 1;
			} else {
				h = input_hash(&h, b, &what);
				ret = !hash_eq(&h, &t->parts->v[ki->first + i].h);
			}
		}
		if (ret)
			buf_addf(why, "'%s' changed", a->path);
		i++;
		j++;
	}
out:
	fileset_release(&now);
	buf_release(&err);
	return ret;
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
