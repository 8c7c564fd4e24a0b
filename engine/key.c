/* key: a task's key: its parts from the definition, the environment, the dependencies and the input files. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
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


/* What task_key keeps of the inputs it keyed, for task_inputs_check. */
struct keyinputs {
	struct fileset fs; /* the files and their stat data as keyed */
	size_t first;      /* index in the task's parts of the part of fs.v[0] */
	int64_t at;        /* when the walk started */
};

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

const char **task_walk_excludes(const struct task *t, const struct keyenv *ke, size_t *n)
{
	const char **v = xmalloc((t->excludes.n + 1) * sizeof(*v));

	for (*n = 0; *n < t->excludes.n; (*n)++)
		v[*n] = t->excludes.v[*n];
	if (ke->tmpdir && ke->tmpdir[0] != '/')
		v[(*n)++] = ke->tmpdir;
	return v;
}

/* walk_spec: what names the walk of t's inputs on record (filecache_walk_get): its patterns, excludes, and the key's
 * definition (which says what the digest covers). */
static struct hash128 walk_spec(const struct task *t)
{
	struct hasher h;

	hasher_init(&h);
	hasher_addstr(&h, KEY_VERSION);
	hasher_addu64(&h, t->inputs.n);
	for (size_t i = 0; i < t->inputs.n; i++)
		hasher_addstr(&h, t->inputs.v[i]);
	hasher_addu64(&h, t->excludes.n);
	for (size_t i = 0; i < t->excludes.n; i++)
		hasher_addstr(&h, t->excludes.v[i]);
	return hasher_final(&h);
}

/* walk_put: keep the walk of t's inputs, whose parts are kp's from first on, on record (filecache_walk_put). */
static void walk_put(const struct task *t, const struct keyenv *ke, const struct keyparts *kp, size_t first,
                     size_t files)
{
	struct hash128 spec = walk_spec(t), d = keyparts_records_digest(kp, first, kp->n);
	struct strv bases = {0};
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < t->inputs.n; i++) {
		if (fileset_base(t->inputs.v[i], &b) < 0)
			goto out;
		strv_push(&bases, b.data);
	}
	filecache_walk_put(ke->fc, &spec, &d, files, &bases);
out:
	strv_release(&bases);
	buf_release(&b);
}

/* key_inputs: walk t's inputs, hash them on every core and add a part for each (named KEY_IN_PREFIX and the path);
 * keep the files in t->keyed. When a watcher will be asked to watch what the walk used, and it relied on nothing
 * else, and no file changed within the timestamp granularity before the walk, put the walk on record. */
static int key_inputs(struct task *t, const struct keyenv *ke, struct keyparts *kp)
{
	struct fileset fs;
	struct buf err = BUF_INIT, name = BUF_INIT;
	struct keyinputs *ki;
	struct hashjob *jobs = NULL;
	struct fileset_feed ff;
	struct hashfeed *feed = NULL;
	size_t first = kp->n, blind = ke->fc ? filecache_unwatched_count(ke->fc) : 0;
	int64_t at = now_ns();
	int keep = ke->fc != NULL;

	fileset_init(&fs);
	size_t nex;
	const char **ex = task_walk_excludes(t, ke, &nex);
	/* the files the stat cache has no entry for are read on every core while the walk goes on (hashfeed) */
	if (t->inputs.n && ((feed = hashfeed_new(ke, 0, &ff)),
	                    fileset_expand_fed(&fs, ke->rootfd, (const char *const *)t->inputs.v, t->inputs.n, ex, nex,
	                                       ke->fc, NULL, FILESET_DEFER, &ff, &err) < 0)) {
		/* a named input that is not there: say the ways out (a task that makes it must be a dep) */
		int missing = err.data && str_has_prefix(err.data, "no such file or directory");
		free(ex);
		key_error(ke, "%s: task '%s': inputs: %s%s", t->where ? t->where : "?", t->name, err.data ? err.data : "error",
		          missing ? "; create it, list the task that makes it in deps, or remove it from inputs" : "");
		goto fail;
	}
	free(ex);
	buf_adds(&name, KEY_IN_PREFIX);
	/* the rest read on every core too, merged in list order: the parts are the same whatever the schedule */
	jobs = xreallocarray(NULL, fs.n + 1, sizeof(*jobs));
	for (size_t i = 0; i < fs.n; i++)
		jobs[i] = (struct hashjob){.path = fs.v[i].path, .st = &fs.v[i].st, .fed = hashfeed_get(feed, fs.v[i].fed)};
	if (hashpool_hash(ke, t->name, jobs, fs.n) < 0)
		goto fail;
	hashfeed_free(feed);
	feed = NULL;
	for (size_t i = 0; i < fs.n; i++) {
		struct hash128 h;
		const char *what;
		int64_t changed = fs.v[i].st.mtime_ns > fs.v[i].st.ctime_ns ? fs.v[i].st.mtime_ns : fs.v[i].st.ctime_ns;
		if (jobs[i].err) {
			errno = jobs[i].err;
			error("task '%s': cannot read input '%s':", t->name, fs.v[i].path);
			goto fail;
		}
		keep &= !fs.v[i].link && changed < at - FILECACHE_RACY_NS;
		h = input_hash(&jobs[i].hash, &fs.v[i], &what);
		/* the hot loop of a no-op over a large tree: no printf here */
		name.len = sizeof(KEY_IN_PREFIX) - 1;
		buf_add(&name, fs.v[i].path, strlen(fs.v[i].path));
		keyparts_add(kp, name.data, &h, what);
	}
	if (keep && t->inputs.n && filecache_unwatched_count(ke->fc) == blind)
		walk_put(t, ke, kp, first, fs.n);
	free(jobs);
	buf_release(&err);
	buf_release(&name);
	keyinputs_free(t->keyed);
	t->keyed = ki = xmalloc(sizeof(*ki));
	ki->fs = fs; /* moved: the list is kept as it is, no copy */
	ki->first = first;
	ki->at = at;
	return 0;
fail:
	hashfeed_free(feed);
	free(jobs);
	fileset_release(&fs);
	buf_release(&err);
	buf_release(&name);
	return -1;
}

/* key_walk_taken: under the watched tree's vouch, the part that stands for t's input files when their walk is on
 * record (filecache_walk_get): 1, or 0 when they must be walked. */
static int key_walk_taken(struct task *t, const struct keyenv *ke, struct keyparts *kp)
{
	struct hash128 spec, d;
	uint64_t count;
	char what[64];

	if (!ke->fc || !t->inputs.n || (t->ops && !t->ops->foldable))
		return 0;
	spec = walk_spec(t);
	if (!filecache_walk_get(ke->fc, &spec, &d, &count))
		return 0;
	if (count) {
		snprintf(what, sizeof(what), "%llu files, as on record", (unsigned long long)count);
		keyparts_add(kp, KEY_IN_PREFIX, &d, what);
	}
	keyinputs_free(t->keyed);
	t->keyed = NULL;
	return 1;
}

/* key_compute: task_key, and with quick task_key_quick. */
static int key_compute(struct task *t, const struct keyenv *ke, int quick)
{
	struct keyparts *kp = keyparts_new();
	struct buf name = BUF_INIT;
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
	buf_release(&name);

	t->folded = quick && key_walk_taken(t, ke, kp);
	if (!t->folded && key_inputs(t, ke, kp) < 0) {
		keyparts_free(kp);
		return -1;
	}
	keyparts_free(t->parts);
	t->parts = kp;
	if (t->ops && t->ops->add_key && t->ops->add_key(t, kp, ke) < 0) {
		t->parts = NULL;
		keyparts_free(kp);
		return -1;
	}
	t->key = keyparts_digest(kp);
	return 0;
}

int key_error(const struct keyenv *ke, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	if (!ke->quiet_errs) {
		vmessage(NULL, fmt, ap);
	} else {
		size_t n = strlen(fmt);
		buf_vaddf(ke->quiet_errs, fmt, ap);
		if (n && fmt[n - 1] == ':')
			buf_addf(ke->quiet_errs, " %s", strerror(saved));
		buf_addc(ke->quiet_errs, '\n');
	}
	va_end(ap);
	errno = saved;
	return -1;
}

int task_key(struct task *t, const struct keyenv *ke)
{
	return key_compute(t, ke, 0);
}

int task_key_quick(struct task *t, const struct keyenv *ke)
{
	return key_compute(t, ke, 1);
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
		if (keypart_is_file(name))
			strv_push(files, name + sizeof(KEY_IN_PREFIX) - 1);
	}
	if (t->ops && t->ops->paths)
		t->ops->paths(t, files, dirs);
}

int task_key_loaded(const struct task *t)
{
	for (size_t i = 0; t->parts && i < t->parts->n; i++)
		if (str_has_prefix(keyparts_name(t->parts, i), KEY_LOADED_PREFIX))
			return 1;
	return 0;
}

/* is_output: whether path is one of t's declared outputs or lies below one: the run is meant to write it. */
static int is_output(const struct task *t, const char *path)
{
	for (size_t i = 0; i < t->outputs.n; i++) {
		const char *o = t->outputs.v[i];
		size_t n;
		while (o[0] == '.' && o[1] == '/')
			o += 2 + strspn(o + 2, "/");
		n = strlen(o);
		while (n && o[n - 1] == '/')
			n--;
		if (n == 1 && o[0] == '.')
			return 1; /* the project root: every file is below it */
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
	struct fileset_feed ff;
	struct hashfeed *feed;
	struct buf err = BUF_INIT;
	size_t i = 0, j = 0;
	int ret = 0;

	if (!ki || !t->inputs.n || !t->parts || t->parts->n < ki->first + ki->fs.n)
		return 0;
	fileset_init(&now);
	feed = hashfeed_new(ke, 1, &ff);
	/* every directory and file stat'ed now, nothing taken from a vouch: a directory is read again unless its stat
	 * data is what its cached listing was read under (an entry added or removed since changes it); the files are
	 * stat'ed on the pool's threads while the walk goes on */
	size_t nex;
	const char **ex = task_walk_excludes(t, ke, &nex);
	int walked = fileset_expand_fed(&now, ke->rootfd, (const char *const *)t->inputs.v, t->inputs.n, ex, nex, ke->fc,
	                                NULL, FILESET_DEFER | FILESET_RECHECK, &ff, &err);
	free(ex);
	if (walked < 0 || hashpool_stat(ke, &now, feed, &err) < 0) {
		if (ke->stop && *ke->stop) {
			/* a signal stopped the stat calls: nothing is known to have changed, and nothing is recorded */
			error("task '%s': interrupted while its inputs were checked; not recorded", t->name);
			ret = -1;
			goto out;
		}
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
	hashfeed_free(feed);
	fileset_release(&now);
	buf_release(&err);
	return ret;
}

/* output_file: add to h what an output file keeps: its content and its owner's executable bit (st: its stat data,
 * a symlink's target's). -1 when it cannot be read. */
static int output_file(struct filecache *fc, int rootfd, const char *path, const struct filestat *st,
                       struct hasher *h)
{
	struct hash128 fh;

	if (filecache_hash(fc, rootfd, path, st, &fh) < 0)
		return -1;
	hasher_addhash(h, &fh);
	hasher_addstr(h, (st->mode & S_IXUSR) ? "x" : "-");
	return 0;
}

/* output_dir: add to h every file below the directory output path, as a walk of its inputs would list them: each
 * one's path, whether it is a symlink, and what output_file adds. -1 after printing an error. */
static int output_dir(struct task *t, const struct keyenv *ke, struct filecache *fc, const char *path,
                      struct hasher *h)
{
	struct fileset fs;
	struct buf err = BUF_INIT;
	const char *pat = path;
	int ret = 0;

	fileset_init(&fs);
	/* the state directory is no output: every run writes it */
	const char *ex = ke->tmpdir && ke->tmpdir[0] != '/' ? ke->tmpdir : NULL;
	if (fileset_expand_cached(&fs, ke->rootfd, &pat, 1, &ex, ex != NULL, fc, NULL, 0, &err) < 0) {
		ret = error("task '%s': cannot list output '%s': %s", t->name, path, err.data);
		goto out;
	}
	for (size_t i = 0; i < fs.n && ret == 0; i++) {
		hasher_addstr(h, fs.v[i].path);
		hasher_addstr(h, fs.v[i].link ? "symlink" : "file");
		if (output_file(fc, ke->rootfd, fs.v[i].path, &fs.v[i].st, h) < 0)
			ret = error("task '%s': cannot read output '%s':", t->name, fs.v[i].path);
	}
out:
	fileset_release(&fs);
	buf_release(&err);
	return ret;
}

int task_outputs_digest(struct task *t, const struct keyenv *ke, struct hash128 *out, struct buf *why)
{
	struct filecache *fc = ke->outfc ? ke->outfc : ke->fc;
	struct hasher h;

	memset(out, 0, sizeof(*out));
	if (!t->outputs.n)
		return 0;
	hasher_init(&h);
	for (size_t i = 0; i < t->outputs.n; i++) {
		const char *path = t->outputs.v[i];
		struct stat st;
		struct filestat fst;
		char target[PATH_MAX];
		ssize_t n = -1;

		/* a symlink output keeps its target text too: pointed elsewhere, it is another result; what it names is
		 * stat'ed then, and any other output takes one stat call */
		int r = fstatat(ke->rootfd, path, &st, AT_SYMLINK_NOFOLLOW);
		if (r == 0 && S_ISLNK(st.st_mode)) {
			n = readlinkat(ke->rootfd, path, target, sizeof(target));
			r = fstatat(ke->rootfd, path, &st, 0);
		}
		if (r < 0) {
			if (errno != ENOENT && errno != ENOTDIR) {
				hasher_final(&h);
				return error("task '%s': cannot stat output '%s':", t->name, path);
			}
			buf_addf(why, "output '%s' is missing", path);
			hasher_final(&h);
			return 1;
		}
		hasher_addstr(&h, path);
		if (n >= 0) {
			hasher_addstr(&h, "symlink");
			hasher_addu64(&h, (uint64_t)n);
			hasher_add(&h, target, (size_t)n);
		}
		if (S_ISDIR(st.st_mode)) {
			hasher_addstr(&h, "directory");
			if (output_dir(t, ke, fc, path, &h) < 0) {
				hasher_final(&h);
				return -1;
			}
			continue;
		}
		filestat_from(&fst, &st);
		if (output_file(fc, ke->rootfd, path, &fst, &h) < 0) {
			hasher_final(&h);
			return error("task '%s': cannot read output '%s':", t->name, path);
		}
	}
	*out = hasher_final(&h);
	return 0;
}
