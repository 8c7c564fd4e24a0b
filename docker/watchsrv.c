/* watchsrv: the watched tree (see watchsrv.h). */
#include <inttypes.h>
#include <linux/magic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "dockerapi.h"
#include "filecache.h"
#include "graph.h"
#include "util.h"
#include "watchsrv.h"

/* What changes a directory's entries, or a file (through any of its names: the file's own watch sees writes made
 * through a hard link elsewhere), or moves or removes either. */
#define DIR_EVENTS                                                                                                   \
	(IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_DELETE_SELF | \
	 IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW)
#define FILE_EVENTS (IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF | IN_DONT_FOLLOW)
/* A directory only on the way to what was walked: only a rename or removal on the way changes what a path names
 * (so a file written beside the walked directories, in the project root say, changes nothing). */
#define ABOVE_EVENTS (IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW)
/* Watches are the user's, shared with editors and other tools (fs.inotify.max_user_watches): a helper takes at
 * most a quarter of them, and never more than MAX_WATCHES; a bigger tree is walked in full. */
#define MAX_WATCHES 65536

struct wroot {
	char *path;
	uint64_t dev, ino;
	uint64_t dirty; /* the event count after the last change seen below it */
};

struct watchsrv {
	pthread_mutex_t lock;
	size_t max_watches;
	int fd; /* inotify: -1 before the first request, -2 when it cannot be had */
	uint64_t seq;
	char instance[17];
	struct wroot *roots;
	size_t nroots;
	uint32_t *wdroot; /* per watch descriptor, its root's index + 1 */
	size_t nwd, nwatch;
};

void watch_path(struct buf *out, const char *root, uint64_t dev, uint64_t ino, const char *token)
{
	buf_addf(out, "%s?dev=%" PRIu64 "&ino=%" PRIu64 "&token=%s&root=%s", WATCH_PATH, dev, ino, token, root);
}

static int answer_is(const struct docker_reply *r, const char *word)
{
	size_t n = strlen(word);

	return r->rc == 0 && r->status == 200 && r->body.len >= n && memcmp(r->body.data, word, n) == 0;
}

int watch_clean(const struct docker_reply *r, char *now)
{
	const char *t;
	size_t n;

	now[0] = '\0';
	if (!(answer_is(r, "clean ") || answer_is(r, "dirty ")))
		return 0;
	t = r->body.data + 6;
	n = strcspn(t, "\n");
	if (n < WATCH_TOKEN_MAX && t + n <= r->body.data + r->body.len)
		snprintf(now, WATCH_TOKEN_MAX, "%.*s", (int)n, t);
	return answer_is(r, "clean ");
}

int watch_recorded(const struct docker_reply *r)
{
	return answer_is(r, "recorded");
}

struct watchsrv *watchsrv_new(void)
{
	struct watchsrv *w = xcalloc(1, sizeof(*w));
	unsigned char rnd[8] = {0};

	pthread_mutex_init(&w->lock, NULL);
	w->fd = -1;
	w->max_watches = MAX_WATCHES;
	struct buf lim = BUF_INIT;
	if (read_file("/proc/sys/fs/inotify/max_user_watches", &lim) == 0) {
		unsigned long n = strtoul(lim.data, NULL, 10);
		if (n / 4 < w->max_watches)
			w->max_watches = n / 4;
	}
	buf_release(&lim);
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		uint64_t t = (uint64_t)mono_ns() ^ (uint64_t)getpid() << 32;
		memcpy(rnd, &t, sizeof(rnd));
	}
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(w->instance + 2 * i, 3, "%02x", rnd[i]);
	return w;
}

void watchsrv_free(struct watchsrv *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	for (size_t i = 0; i < w->nroots; i++)
		free(w->roots[i].path);
	free(w->roots);
	free(w->wdroot);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

/* drain: take in every event queued: each marks its root changed; an overflow marks them all. */
static void drain(struct watchsrv *w)
{
	char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while (w->fd >= 0 && (n = read(w->fd, buf, sizeof(buf))) > 0) {
		for (ssize_t pos = 0; pos < n;) {
			const struct inotify_event *ev = (const struct inotify_event *)(const void *)(buf + pos);
			pos += (ssize_t)(sizeof(*ev) + ev->len);
			if (ev->mask & IN_Q_OVERFLOW) {
				w->seq++;
				for (size_t i = 0; i < w->nroots; i++)
					w->roots[i].dirty = w->seq;
				continue;
			}
			if (ev->wd < 0 || (size_t)ev->wd >= w->nwd || !w->wdroot[ev->wd])
				continue;
			w->roots[w->wdroot[ev->wd] - 1].dirty = ++w->seq;
			if (ev->mask & IN_IGNORED) {
				w->wdroot[ev->wd] = 0;
				w->nwatch--;
			}
		}
	}
}

/* local_fs: whether inotify sees every change made to files at path: a local file system, where every change goes
 * through this kernel (not NFS, FUSE, 9p or virtiofs, whose files change elsewhere). */
static int local_fs(const char *path)
{
	struct statfs sf;

	if (statfs(path, &sf) < 0)
		return 0;
	switch ((unsigned long)sf.f_type) {
	case EXT4_SUPER_MAGIC: /* ext2, ext3 and ext4 */
	case XFS_SUPER_MAGIC:
	case BTRFS_SUPER_MAGIC:
	case TMPFS_MAGIC:
		return 1;
	default:
		return 0;
	}
}

/* A parsed request: the project root (absolute), its identity as the run saw it, and the run's token. */
struct req {
	const char *root;
	uint64_t dev, ino;
	char instance[17];
	uint64_t seq;
	int has_token;
};

static int parse(const char *path, struct req *q)
{
	const char *p = path + strlen(WATCH_PATH), *t, *root;
	char tok[WATCH_TOKEN_MAX];
	unsigned long long dev, ino, seq;
	int n = 0;

	memset(q, 0, sizeof(*q));
	if (sscanf(p, "?dev=%llu&ino=%llu&token=%n", &dev, &ino, &n) != 2 || !n)
		return -1;
	t = p + n;
	root = strstr(t, "&root=");
	if (!root || root[6] != '/' || (size_t)(root - t) >= sizeof(tok))
		return -1;
	snprintf(tok, sizeof(tok), "%.*s", (int)(root - t), t);
	q->root = root + 6;
	q->dev = dev;
	q->ino = ino;
	/* the token: the helper's instance (16 hex digits), '-', the event count */
	if (sscanf(tok, "%16[0-9a-f]-%llu", q->instance, &seq) == 2 && strlen(q->instance) == 16) {
		q->seq = seq;
		q->has_token = 1;
	}
	return 0;
}

static struct wroot *root_of(struct watchsrv *w, const char *path)
{
	for (size_t i = 0; i < w->nroots; i++)
		if (strcmp(w->roots[i].path, path) == 0)
			return &w->roots[i];
	return NULL;
}

/* same_root: the root exists, is where the run is, on a file system whose changes inotify sees whole. */
static int same_root(const struct req *q)
{
	struct stat st;

	return lstat(q->root, &st) == 0 && S_ISDIR(st.st_mode) && (uint64_t)st.st_dev == q->dev &&
	       (uint64_t)st.st_ino == q->ino && local_fs(q->root);
}

static void reply(struct docker_reply *r, const char *text)
{
	memset(r, 0, sizeof(*r));
	r->status = 200;
	buf_adds(&r->body, text);
}

static void query(struct watchsrv *w, const struct req *q, struct docker_reply *r)
{
	struct wroot *rt = root_of(w, q->root);
	int clean = rt && rt->dev == q->dev && rt->ino == q->ino && q->has_token &&
	            strcmp(q->instance, w->instance) == 0 && rt->dirty <= q->seq && same_root(q);
	char text[WATCH_TOKEN_MAX + 16];

	snprintf(text, sizeof(text), "%s %s-%" PRIu64 "\n", clean ? "clean" : "dirty", w->instance, w->seq);
	reply(r, text);
}

/* watch: add the events of mask (FILE_EVENTS for a file, DIR_EVENTS or ABOVE_EVENTS for a directory) to the watch
 * on root/rel (the root itself when rel is "") for rt; 1 when it is new, 0 when it was there, -1 when it cannot be
 * (the tree is then not vouched for). */
static int watch(struct watchsrv *w, struct wroot *rt, const char *rel, uint32_t mask)
{
	int dir = mask != FILE_EVENTS;
	char *p = *rel ? xasprintf("%s/%s", rt->path, rel) : xstrdup(rt->path);
	uint32_t mine = (uint32_t)(rt - w->roots) + 1;
	struct stat st;
	int wd = -1, ret = -1;

	/* a symlink would be watched, not what it names; another file system may change where inotify cannot see */
	if (lstat(p, &st) == 0 && (dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode)) && (uint64_t)st.st_dev == rt->dev &&
	    w->nwatch < w->max_watches)
		wd = inotify_add_watch(w->fd, p, mask | IN_MASK_ADD);
	free(p);
	if (wd < 0)
		return -1;
	if ((size_t)wd >= w->nwd) {
		size_t n = w->nwd ? w->nwd : 1024;
		while (n <= (size_t)wd)
			n *= 2;
		w->wdroot = xreallocarray(w->wdroot, n, sizeof(*w->wdroot));
		memset(w->wdroot + w->nwd, 0, (n - w->nwd) * sizeof(*w->wdroot));
		w->nwd = n;
	}
	if (!w->wdroot[wd]) {
		w->wdroot[wd] = mine;
		w->nwatch++;
		ret = 1;
	} else if (w->wdroot[wd] == mine) {
		ret = 0;
	}
	return ret; /* -1 also for a file another root watches: one watch cannot say which root changed */
}

static void add(struct watchsrv *w, const struct req *q, const struct buf *body, struct docker_reply *r)
{
	struct wroot *rt = root_of(w, q->root);
	struct strv dirs = {0};
	int refuse = !same_root(q), fresh = 0;
	const char *s = body && body->data ? body->data : "", *end = s + (body && body->data ? body->len : 0);
	size_t lines = 0;

	for (const char *c = s; c < end; c++)
		lines += *c == '\n';
	/* a tree bigger than the watches left is walked in full, without taking any of them */
	if (refuse || lines > w->max_watches || (!rt && w->nwatch + lines > w->max_watches)) {
		reply(r, "walk\n");
		return;
	}
	if (!rt) {
		w->roots = xreallocarray(w->roots, w->nroots + 1, sizeof(*w->roots));
		rt = &w->roots[w->nroots++];
		rt->path = xstrdup(q->root);
		rt->dev = q->dev;
		rt->ino = q->ino;
		rt->dirty = ++w->seq;
	} else if (rt->dev != q->dev || rt->ino != q->ino) {
		rt->dev = q->dev; /* another tree at the same path: nothing watched so far speaks for it */
		rt->ino = q->ino;
		rt->dirty = ++w->seq;
	}
	strv_push(&dirs, "A"); /* the root: A for a directory above what was walked, D for one walked */
	while (s < end && !refuse) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = (size_t)((nl ? nl : end) - s);
		char *line = xstrndup(s, n);
		s += n + 1;
		if (!*line || line[0] == '/' || strstr(line, "../") || strcmp(line, "..") == 0) {
			refuse = *line != '\0';
			free(line);
			continue;
		}
		if (strcmp(line, "./") == 0) {
			strv_push(&dirs, "D");
			free(line);
			continue;
		}
		int dir = line[strlen(line) - 1] == '/';
		if (dir)
			line[strlen(line) - 1] = '\0';
		if (!dir) {
			int k = watch(w, rt, line, FILE_EVENTS);
			refuse = k < 0;
			fresh |= k > 0;
		}
		/* the directory (D: walked, or holding a file), and every one above it (A) */
		char kind = 'D';
		if (!dir && !strchr(line, '/'))
			strv_push(&dirs, "D"); /* a file in the root itself */
		for (char *slash = dir ? line + strlen(line) : strrchr(line, '/'); slash; slash = strrchr(line, '/')) {
			*slash = '\0';
			char *entry = xasprintf("%c%s", kind, line);
			strv_push(&dirs, entry);
			free(entry);
			kind = 'A';
			if (slash == line)
				break;
		}
		free(line);
	}
	strv_sort(&dirs);
	for (size_t i = 0; i < dirs.n && !refuse; i++) {
		if (i && strcmp(dirs.v[i], dirs.v[i - 1]) == 0)
			continue;
		int k = watch(w, rt, dirs.v[i] + 1, dirs.v[i][0] == 'D' ? DIR_EVENTS : ABOVE_EVENTS);
		refuse = k < 0;
		fresh |= k > 0;
	}
	strv_release(&dirs);
	/* a token given before now may not speak for what is watched only from now on */
	if (refuse || fresh)
		rt->dirty = ++w->seq;
	/* the run walked after its query: what it saw still stands if nothing changed since, all of it watched */
	reply(r, !refuse && !fresh && q->has_token && strcmp(q->instance, w->instance) == 0 && rt->dirty <= q->seq
	                 ? "recorded\n"
	                 : "walk\n");
}

void watchsrv_answer(struct watchsrv *w, const char *method, const char *path, const struct buf *body,
                     struct docker_reply *r)
{
	struct req q;

	pthread_mutex_lock(&w->lock);
	if (w->fd == -1 && (w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0)
		w->fd = -2;
	drain(w);
	if (w->fd < 0 || parse(path, &q) < 0)
		reply(r, "off\n");
	else if (strcmp(method, "GET") == 0)
		query(w, &q, r);
	else if (strcmp(method, "POST") == 0)
		add(w, &q, body, r);
	else
		reply(r, "off\n");
	pthread_mutex_unlock(&w->lock);
}

/* The run's side. */

void watched_init(struct watched *wt)
{
	memset(wt, 0, sizeof(*wt));
	wt->query = (struct buf)BUF_INIT;
	wt->line = (struct buf)BUF_INIT;
}

void watched_release(struct watched *wt)
{
	buf_release(&wt->query);
	buf_release(&wt->line);
}

/* cache_id: "TOKEN INODE SIZE MTIME" of the stat cache the token goes with: a cache put back from elsewhere, or
 * rewritten by a run that did not keep the token, does not match. Nothing when the cache is missing. */
static void cache_id(struct buf *out, const char *cache_file, const char *token)
{
	struct stat st;

	if (stat(cache_file, &st) == 0)
		buf_addf(out, "%s %llu %lld %lld.%09ld\n", token, (unsigned long long)st.st_ino, (long long)st.st_size,
		         (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

void watched_ask(struct watched *wt, struct docker *d, const char *token_file, const char *cache_file)
{
	struct buf id = BUF_INIT;
	struct stat st;
	size_t n;

	if (!getcwd(wt->root, sizeof(wt->root)) || stat(".", &st) < 0)
		return;
	wt->d = d;
	wt->token_file = token_file;
	wt->cache_file = cache_file;
	if (read_file(token_file, &wt->line) == 0 && (n = strspn(wt->line.data, "0123456789abcdef-")) > 0 &&
	    n < sizeof(wt->token)) {
		snprintf(wt->token, sizeof(wt->token), "%.*s", (int)n, wt->line.data);
		cache_id(&id, cache_file, wt->token);
		if (!id.data || strcmp(id.data, wt->line.data) != 0)
			wt->token[0] = '\0';
	}
	buf_release(&id);
	wt->dev = (uint64_t)st.st_dev;
	wt->ino = (uint64_t)st.st_ino;
	watch_path(&wt->query, wt->root, wt->dev, wt->ino, wt->token);
	wt->asked = docker_helper_ahead(d, wt->query.data) == 0;
}

void watched_answer(struct watched *wt, struct filecache *fc, unsigned long (*epoch)(void))
{
	struct docker_reply rep;

	if (!wt->asked)
		return;
	if (docker_helper_call(wt->d, "GET", wt->query.data, NULL, &rep) == 0) {
		wt->clean = watch_clean(&rep, wt->now);
		if (wt->now[0])
			filecache_track(fc); /* the helper watches: what this run's walks stat, it may be asked to */
		if (wt->clean)
			filecache_vouch(fc, epoch);
	}
	buf_release(&rep.body);
}

void watched_record(struct watched *wt, struct filecache *fc)
{
	struct buf body = BUF_INIT, path = BUF_INIT;
	struct docker_reply rep = {0};
	size_t stats, known;

	filecache_walk_stats(fc, &stats, &known);
	if (!wt->asked || !wt->now[0] || (wt->clean && !stats))
		return;
	filecache_used(fc, &body);
	if (body.len > WATCH_BODY_MAX) { /* more than any helper watches: a full walk is cheaper than the question */
		buf_release(&body);
		return;
	}
	watch_path(&path, wt->root, wt->dev, wt->ino, wt->now);
	if (docker_helper_call(wt->d, "POST", path.data, &body, &rep) == 0 && watch_recorded(&rep)) {
		filecache_mark_watched(fc);
		snprintf(wt->token, sizeof(wt->token), "%s", wt->now);
		wt->recorded = 1;
	} else {
		wt->token[0] = '\0'; /* the cache is saved with stat data the old token does not speak for */
	}
	buf_release(&rep.body);
	buf_release(&body);
	buf_release(&path);
}

void watched_commit(struct watched *wt)
{
	struct buf id = BUF_INIT;

	if (!wt->asked || (!wt->recorded && !wt->clean && !wt->line.len))
		return;
	if (wt->token[0] && (wt->recorded || wt->clean))
		cache_id(&id, wt->cache_file, wt->token);
	if (!id.len) {
		if (wt->line.len)
			unlink(wt->token_file);
	} else if (!wt->line.data || strcmp(id.data, wt->line.data) != 0) {
		if (write_file_replace(wt->token_file, id.data, id.len) < 0)
			unlink(wt->token_file);
	}
	buf_release(&id);
}

void watched_stats(const struct watched *wt, const struct filecache *fc)
{
	size_t stats, known;

	filecache_walk_stats(fc, &stats, &known);
	fprintf(stderr, "sindri-build: stats: %zu stat calls in walks, %zu spared by the watched tree (%s)\n", stats,
	        known, !wt->asked ? "not asked" : wt->clean ? "unchanged" : "changed, or not watched yet");
}
