/* inotree: the trees a watcher watches (see inotree.h). */
#include <inttypes.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <xxhash.h>

#include "graph.h"
#include "htab.h"
#include "inotree.h"
#include "util.h"

/* What changes a directory's entries, or a file (through any of its names: the file's own watch sees writes made
 * through a hard link elsewhere), or moves or removes either. */
#define DIR_EVENTS                                                                                                   \
	(IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_DELETE_SELF | \
	 IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW)
#define FILE_EVENTS (IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF | IN_DONT_FOLLOW)
/* A directory only on the way to what was walked: only a rename or removal on the way changes what a path names
 * (so a file written beside the walked directories, in the project root say, changes nothing). */
#define ABOVE_EVENTS (IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW)
/* Watches are the user's, shared with editors and other tools (fs.inotify.max_user_watches): a watcher takes at
 * most a quarter of them, and never more than MAX_WATCHES (SINDRI_BUILD_WATCHES, read by watchd.c, sets another
 * maximum); a bigger tree is walked in full. */
#define MAX_WATCHES (1u << 20)
/* The changes a root keeps listed; past that, a token before them gets "anything may have changed". */
#define JOURNAL_MAX 4096

struct change {
	uint64_t seq;
	char *path;
};

struct root {
	char *path;
	uint64_t dev, ino;
	uint64_t known;  /* every change from this count on is in the journal; a token before it gets WATCH_ALL */
	uint64_t last;   /* the count at its last change */
	size_t nwatch;   /* watches it holds */
	struct change *journal;
	size_t njournal, capjournal;
};

/* What a watch descriptor watches: the root's index + 1 (0: nothing), and the path below it ("" for the root). */
struct wd {
	uint32_t root;
	int shared;      /* watched under two names (a hard link): a change is reported as anything */
	char *path;
	uint64_t h;      /* path_hash(root, path), for the index by path */
	uint32_t mask;   /* the events asked for so far */
	int touched;     /* an event came for it since it was last watched: its path may name another inode now */
};

struct inotree {
	int fd;
	size_t max_watches, nwatch;
	uint64_t seq;
	char instance[17];
	struct root *roots;
	size_t nroots, caproots;
	struct wd *wds;
	size_t nwds;
	struct htab bypath; /* over wds, by path_hash: a path watched and untouched since is not watched again */
};

struct inotree *inotree_new(size_t max_watches)
{
	struct inotree *t;
	unsigned char rnd[8];
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	if (fd < 0)
		return NULL;
	t = xcalloc(1, sizeof(*t));
	t->fd = fd;
	t->bypath = (struct htab)HTAB_INIT(struct wd, h);
	t->max_watches = max_watches;
	if (!max_watches) {
		struct buf lim = BUF_INIT;
		t->max_watches = MAX_WATCHES;
		if (read_file("/proc/sys/fs/inotify/max_user_watches", &lim) == 0 &&
		    strtoul(lim.data, NULL, 10) / 4 < t->max_watches)
			t->max_watches = strtoul(lim.data, NULL, 10) / 4;
		buf_release(&lim);
	}
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		uint64_t x = (uint64_t)mono_ns() ^ (uint64_t)getpid() << 32;
		memcpy(rnd, &x, sizeof(rnd));
	}
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(t->instance + 2 * i, 3, "%02x", rnd[i]);
	return t;
}

static void journal_clear(struct root *r)
{
	for (size_t i = 0; i < r->njournal; i++)
		free(r->journal[i].path);
	r->njournal = 0;
}

void inotree_free(struct inotree *t)
{
	if (!t)
		return;
	close(t->fd);
	for (size_t i = 0; i < t->nroots; i++) {
		journal_clear(&t->roots[i]);
		free(t->roots[i].journal);
		free(t->roots[i].path);
	}
	for (size_t i = 0; i < t->nwds; i++)
		free(t->wds[i].path);
	free(t->roots);
	free(t->wds);
	htab_release(&t->bypath);
	free(t);
}

int inotree_fd(const struct inotree *t)
{
	return t->fd;
}

/* anything: anything under r may have changed; tokens given before now speak for nothing. */
static void anything(struct inotree *t, struct root *r)
{
	r->last = r->known = ++t->seq;
	journal_clear(r);
}

/* changed: path (relative to r; "" is the root itself, and means anything) changed. */
static void changed(struct inotree *t, struct root *r, const char *path, size_t len)
{
	if (!len || r->njournal == JOURNAL_MAX) {
		anything(t, r);
		return;
	}
	GROW(r->journal, r->njournal, r->capjournal);
	r->journal[r->njournal].seq = r->last = ++t->seq;
	r->journal[r->njournal++].path = xstrndup(path, len);
}

/* forget: wd no longer watches anything for us (removed by the kernel, or by unwatch). */
static void forget(struct inotree *t, int wd)
{
	struct wd *w = &t->wds[wd];

	if (!w->root)
		return;
	t->roots[w->root - 1].nwatch--;
	t->nwatch--;
	w->root = 0;
	w->shared = 0;
	free(w->path);
	w->path = NULL;
}

static uint64_t path_hash(uint32_t root, const char *path, size_t len)
{
	return XXH3_64bits_withSeed(path, len, root);
}

/* by_path: the watch of path (len bytes) under root, or NULL. */
static struct wd *by_path(const struct inotree *t, uint32_t root, const char *path, size_t len)
{
	uint64_t h = path_hash(root, path, len);
	size_t pos = 0, i;

	while ((i = htab_next(&t->bypath, t->wds, h, &pos)) != HTAB_END) {
		struct wd *w = &t->wds[i];
		if (w->root == root && w->h == h && strlen(w->path) == len && memcmp(w->path, path, len) == 0)
			return w;
	}
	return NULL;
}

/* unwatch_below: stop watching path and everything below it in r: a directory moved or removed takes watches with
 * it that would go on reporting changes under names it no longer has. Watched again, they are new. */
static void unwatch_below(struct inotree *t, uint32_t r, const char *path, size_t len)
{
	for (size_t i = 0; i < t->nwds; i++) {
		const char *p = t->wds[i].path;
		if (t->wds[i].root != r || (len && (strncmp(p, path, len) != 0 || (p[len] && p[len] != '/'))))
			continue;
		inotify_rm_watch(t->fd, (int)i);
		forget(t, (int)i);
	}
}

/* event: what one event says. */
static void event(struct inotree *t, const struct inotify_event *ev)
{
	struct wd *w;
	struct root *r;
	struct buf path = BUF_INIT;
	uint32_t ri;

	if (ev->mask & IN_Q_OVERFLOW) {
		/* events were lost: any path may name another inode now, so each is looked at again when asked for */
		for (size_t i = 0; i < t->nroots; i++)
			anything(t, &t->roots[i]);
		for (size_t i = 0; i < t->nwds; i++)
			t->wds[i].touched = 1;
		return;
	}
	if (ev->wd < 0 || (size_t)ev->wd >= t->nwds || !t->wds[ev->wd].root)
		return;
	w = &t->wds[ev->wd];
	ri = w->root;
	r = &t->roots[ri - 1];
	buf_adds(&path, w->path);
	w->touched = 1;
	if (ev->len && ev->name[0]) {
		struct wd *child;
		buf_addf(&path, "%s%s", path.len ? "/" : "", ev->name);
		/* an entry made, moved or removed under that name: it may name another inode now */
		if ((child = by_path(t, ri, path.data, path.len)))
			child->touched = 1;
	}
	if (w->shared || (ev->mask & IN_UNMOUNT))
		anything(t, r);
	else
		changed(t, r, path.data ? path.data : "", path.len);
	/* path is a copy: forget frees w->path */
	if (ev->mask & IN_IGNORED)
		forget(t, ev->wd);
	else if ((ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) ||
	         ((ev->mask & IN_ISDIR) && (ev->mask & (IN_MOVED_FROM | IN_DELETE))))
		/* the watches would follow the inodes under names they no longer have */
		unwatch_below(t, ri, path.data ? path.data : "", path.len);
	buf_release(&path);
}

void inotree_drain(struct inotree *t)
{
	char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(t->fd, buf, sizeof(buf))) > 0) {
		for (ssize_t pos = 0; pos < n;) {
			const struct inotify_event *ev = (const struct inotify_event *)(const void *)(buf + pos);
			pos += (ssize_t)(sizeof(*ev) + ev->len);
			event(t, ev);
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

/* same_root: the root exists, is where the run is, on a file system whose changes inotify sees whole. */
static int same_root(const struct watch_root *q)
{
	struct stat st;

	return q->path[0] == '/' && lstat(q->path, &st) == 0 && S_ISDIR(st.st_mode) && (uint64_t)st.st_dev == q->dev &&
	       (uint64_t)st.st_ino == q->ino && local_fs(q->path);
}

static struct root *root_of(struct inotree *t, const char *path)
{
	for (size_t i = 0; i < t->nroots; i++)
		if (strcmp(t->roots[i].path, path) == 0)
			return &t->roots[i];
	return NULL;
}

/* token_seq: the count in token when it is one of ours, else -1. */
static int64_t token_seq(const struct inotree *t, const char *token)
{
	char inst[17];
	unsigned long long seq;
	int n = 0;

	if (sscanf(token, "%16[0-9a-f]-%llu%n", inst, &seq, &n) != 2 || token[n] || strcmp(inst, t->instance) != 0 ||
	    seq > t->seq)
		return -1;
	return (int64_t)seq;
}

static size_t room(const struct inotree *t, const struct root *r)
{
	size_t mine = r ? r->nwatch : 0;

	return t->nwatch - mine >= t->max_watches ? 0 : t->max_watches - (t->nwatch - mine);
}

void inotree_since(struct inotree *t, const struct watch_root *root, const char *token, struct watch_changes *out)
{
	struct root *r;
	int64_t since;
	struct strv seen = {0};

	inotree_drain(t);
	r = root_of(t, root->path);
	since = token_seq(t, token);
	out->kind = WATCH_ALL;
	out->room = 0;
	snprintf(out->token, sizeof(out->token), "%s-%" PRIu64, t->instance, t->seq);
	/* a root inotify cannot see whole gets no room: a run does not even note what it walks */
	if (!same_root(root))
		return;
	out->room = room(t, r);
	if (!r || r->dev != root->dev || r->ino != root->ino || since < 0 || (uint64_t)since < r->known)
		return;
	if (r->last <= (uint64_t)since) {
		out->kind = WATCH_NONE;
		return;
	}
	out->kind = WATCH_PATHS;
	for (size_t i = 0; i < r->njournal; i++)
		if (r->journal[i].seq > (uint64_t)since)
			strv_push(&seen, r->journal[i].path);
	strv_sort(&seen);
	for (size_t i = 0; i < seen.n; i++)
		if (!i || strcmp(seen.v[i], seen.v[i - 1]) != 0)
			buf_addf(&out->paths, "%s\n", seen.v[i]);
	strv_release(&seen);
}

/* watch: add the events of mask (FILE_EVENTS for a file, DIR_EVENTS or ABOVE_EVENTS for a directory) to the watch
 * on r's rel (the root itself when rel is ""); 1 when it is new or gains events, 0 when it was there with them, -1
 * when it cannot be (the tree is then not vouched for). */
static int watch(struct inotree *t, struct root *r, const char *rel, uint32_t mask)
{
	int dir = mask != FILE_EVENTS;
	uint32_t mine = (uint32_t)(r - t->roots) + 1;
	struct wd *w = by_path(t, mine, rel, strlen(rel));
	char *p;
	struct stat st;
	int wd = -1;

	/* watched by this name already, with these events, and nothing came for it since: the same inode still */
	if (w && !w->touched && !w->shared && (w->mask & mask) == mask)
		return 0;
	p = *rel ? xasprintf("%s/%s", r->path, rel) : xstrdup(r->path);

	/* a symlink would be watched, not what it names; another file system may change where inotify cannot see */
	if (lstat(p, &st) == 0 && (dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode)) && (uint64_t)st.st_dev == r->dev &&
	    t->nwatch < t->max_watches)
		wd = inotify_add_watch(t->fd, p, mask | IN_MASK_ADD);
	free(p);
	if (wd < 0)
		return -1;
	if ((size_t)wd >= t->nwds) {
		size_t n = t->nwds ? t->nwds : 1024;
		while (n <= (size_t)wd)
			n *= 2;
		t->wds = xreallocarray(t->wds, n, sizeof(*t->wds));
		memset(t->wds + t->nwds, 0, (n - t->nwds) * sizeof(*t->wds));
		t->nwds = n;
	}
	w = &t->wds[wd];
	if (!w->root) {
		w->root = mine;
		w->path = xstrdup(rel);
		w->h = path_hash(mine, rel, strlen(rel));
		w->mask = mask;
		w->touched = 0;
		htab_add(&t->bypath, t->wds, (size_t)wd);
		r->nwatch++;
		t->nwatch++;
		return 1;
	}
	if (w->root != mine)
		return -1; /* a file another root watches: one watch cannot say which root changed */
	if (strcmp(w->path, rel) != 0)
		w->shared = 1; /* two names of one file: a change to it cannot be put under one of them */
	/* events it did not have (a directory above the walks, walked now): what they see is watched only from now on */
	int widened = (w->mask & mask) != mask;
	w->mask |= mask;
	w->touched = 0;
	return widened;
}

/* lines_of: the paths of a request, each with what watching it takes: 'F' a file, 'D' a directory walked (or
 * holding a file), 'A' a directory above them; NULL when a path is not below the root. */
static struct strv *lines_of(const char *s, size_t len, struct strv *out)
{
	const char *end = s + len;

	strv_push(out, "A"); /* the root */
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = (size_t)((nl ? nl : end) - s);
		char *line = xstrndup(s, n);
		s += n + 1;
		if (!*line) {
			free(line);
			continue;
		}
		if (line[0] == '/' || strstr(line, "../") || strcmp(line, "..") == 0 || str_has_suffix(line, "/..")) {
			free(line);
			return NULL;
		}
		if (strcmp(line, "./") == 0) {
			strv_push(out, "D");
			free(line);
			continue;
		}
		int dir = line[strlen(line) - 1] == '/';
		if (dir) {
			line[strlen(line) - 1] = '\0';
		} else {
			char *f = xasprintf("F%s", line);
			strv_push(out, f);
			free(f);
			if (!strchr(line, '/'))
				strv_push(out, "D"); /* a file in the root itself */
		}
		/* the directory (D: walked, or holding a file), and every one above it (A) */
		char kind = 'D';
		for (char *slash = dir ? line + strlen(line) : strrchr(line, '/'); slash; slash = strrchr(line, '/')) {
			*slash = '\0';
			char *e = xasprintf("%c%s", kind, line);
			strv_push(out, e);
			free(e);
			kind = 'A';
			if (slash == line)
				break;
		}
		free(line);
	}
	strv_sort(out);
	return out;
}

/* A request to watch paths, taken a slice at a time (inotree_watch_begin). */
struct inotree_job {
	size_t root;      /* its index in t->roots */
	struct strv todo; /* lines_of's, sorted */
	size_t next;      /* the next line of todo to watch */
	int refuse, fresh;
	int64_t since;    /* the request's token's count, or -1 */
};

struct inotree_job *inotree_watch_begin(struct inotree *t, const struct watch_root *root, const char *token,
                                        const char *paths, size_t len, int sliced)
{
	struct root *r;
	struct inotree_job *j;
	size_t lines = 0;

	inotree_drain(t);
	r = root_of(t, root->path);
	for (size_t i = 0; i < len; i++)
		lines += paths[i] == '\n';
	/* a tree bigger than the room left is walked in full, without taking any of it */
	if (!same_root(root) || lines > room(t, r))
		return NULL;
	if (!r) {
		GROW(t->roots, t->nroots, t->caproots);
		r = &t->roots[t->nroots++];
		memset(r, 0, sizeof(*r));
		r->path = xstrdup(root->path);
		r->dev = root->dev;
		r->ino = root->ino;
		anything(t, r);
	} else if (r->dev != root->dev || r->ino != root->ino) {
		r->dev = root->dev; /* another tree at the same path: nothing watched so far speaks for it */
		r->ino = root->ino;
		unwatch_below(t, (uint32_t)(r - t->roots) + 1, "", 0);
		anything(t, r);
	}
	j = xcalloc(1, sizeof(*j));
	j->root = (size_t)(r - t->roots);
	j->since = token_seq(t, token);
	if (!lines_of(paths, len, &j->todo))
		j->refuse = 1;
	/* questions are answered between the slices: until every path is watched, no token speaks for the root */
	if (sliced)
		anything(t, r);
	return j;
}

int inotree_watch_step(struct inotree *t, struct inotree_job *j, size_t n)
{
	struct root *r = &t->roots[j->root];

	/* directories above, then those walked (IN_MASK_ADD widens an above one's events), then files */
	for (; j->next < j->todo.n && !j->refuse && n; j->next++) {
		size_t i = j->next;
		if (i && strcmp(j->todo.v[i], j->todo.v[i - 1]) == 0)
			continue;
		uint32_t mask = j->todo.v[i][0] == 'F' ? FILE_EVENTS : j->todo.v[i][0] == 'D' ? DIR_EVENTS : ABOVE_EVENTS;
		int k = watch(t, r, j->todo.v[i] + 1, mask);
		j->refuse = k < 0;
		j->fresh |= k > 0;
		n--;
	}
	return j->refuse || j->next == j->todo.n;
}

int inotree_watch_end(struct inotree *t, struct inotree_job *j)
{
	struct root *r = &t->roots[j->root];
	int ret;

	/* a token given before now may not speak for what is watched only from now on */
	if (j->refuse || j->fresh)
		anything(t, r);
	/* the run walked after its question: what it saw still stands if nothing changed since, all of it watched */
	ret = !j->refuse && !j->fresh && j->since >= 0 && r->last <= (uint64_t)j->since;
	strv_release(&j->todo);
	free(j);
	return ret;
}

int inotree_watch(struct inotree *t, const struct watch_root *root, const char *token, const char *paths,
                  size_t len)
{
	struct inotree_job *j = inotree_watch_begin(t, root, token, paths, len, 0);

	if (!j)
		return 0;
	while (!inotree_watch_step(t, j, SIZE_MAX))
		;
	return inotree_watch_end(t, j);
}
