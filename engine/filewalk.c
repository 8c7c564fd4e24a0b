/* filewalk: expand patterns into a fileset by walking the tree below a root with directory fds, matching globs one
 * directory level at a time, pruning excluded directories, and taking listings and stat data from a stat cache. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "filecache.h"
#include "fileset.h"
#include "filesetint.h"
#include "listing.h"
#include "util.h"

/*
 * The walker matches a glob one directory level at a time as a small NFA over the pattern's segments: bit i of a state
 * set means "segment i is next", bit nseg means "the whole pattern matched". A state set fits a uint64_t, which bounds
 * the segments after the first wildcard; far more than any real pattern needs.
 */
#define MAX_SEGS 63

/* Walking below a matched directory takes every file, so no state set is needed; 0 is never a live state set. */
#define WALK_ALL 0

struct seg {
	const char *p;
	size_t n;
	int starstar; /* the whole segment is "**" */
	int literal;  /* no wildcard or escape: compare bytes */
};

/* An exclude pattern, normalized; dironly when it was written with a trailing '/'. */
struct excl {
	char *pat;
	int dironly;
};

struct walker {
	struct fileset *fs;
	struct buf path; /* the relative path of the directory being read, with a trailing '/' unless at the root */
	const struct excl *ex;
	size_t nex;
	struct seg seg[MAX_SEGS];
	size_t nseg;
	int dironly; /* the pattern ended in '/': its last segment matches directories only */
	struct buf *err;
	int rootfd;
	struct filecache *fc;    /* stat data under a vouch, notes and counts (NULL: none; always NULL on a recheck) */
	struct filecache *lists; /* directory listings by stat data; NULL: read every directory */
	struct buf fckey;     /* fc's name for a path: the prefix (rootfd's path in fc), then the path */
	size_t fcprefix;      /* bytes of prefix in fckey */
	unsigned flags;       /* enum fileset_flags */
	const struct fileset_feed *feed; /* NULL: none */
};

static int excluded(const struct walker *w, const char *path, int isdir)
{
	size_t i;

	for (i = 0; i < w->nex; i++)
		if ((isdir || !w->ex[i].dironly) && glob_match(w->ex[i].pat, path))
			return 1;
	return 0;
}

/* excluded_below: whether an exclude matches one of the directories that lead to path (which must be writable). */
static int excluded_below(const struct walker *w, char *path)
{
	char *s;

	for (s = strchr(path, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		int hit = excluded(w, path, 1);
		*s = '/';
		if (hit)
			return 1;
	}
	return 0;
}

static uint64_t closure(const struct walker *w, uint64_t set)
{
	size_t i;

	/* Ascending order lets "**" followed by "**" pass through both. */
	for (i = 0; i < w->nseg; i++)
		if (set >> i & 1 && w->seg[i].starstar)
			set |= (uint64_t)1 << (i + 1);
	return set;
}

static uint64_t step(const struct walker *w, uint64_t set, const char *name, size_t len)
{
	uint64_t next = 0;
	size_t i;

	for (i = 0; i < w->nseg; i++) {
		const struct seg *sg = &w->seg[i];

		if (!(set >> i & 1))
			continue;
		if (sg->starstar)
			next |= (uint64_t)1 << i;
		else if (sg->literal ? sg->n == len && memcmp(sg->p, name, len) == 0
		                     : glob_seg_match(sg->p, sg->p + sg->n, name, name + len))
			next |= (uint64_t)1 << (i + 1);
	}
	return next ? closure(w, next) : 0;
}

static int walk_error(struct walker *w, const char *what)
{
	int saved = errno;
	size_t n = w->path.len;

	if (n && w->path.data[n - 1] == '/')
		n--;
	buf_addf(w->err, "cannot %s '%.*s': %s", what, (int)n, n ? w->path.data : ".", strerror(saved));
	return -1;
}

/* fckey: fc's name for w->path, a directory's with its '/' ("./" for fc's root itself); *len its length. */
static const char *fckey(struct walker *w, int dir, size_t *len)
{
	size_t n = w->path.len;

	w->fckey.len = w->fcprefix;
	if (dir && n && w->path.data[n - 1] == '/')
		n--;
	buf_add(&w->fckey, w->path.data, n);
	if (dir)
		buf_adds(&w->fckey, w->fckey.len ? "/" : "./");
	*len = w->fckey.len;
	return w->fckey.data;
}

/* known: under fc's vouch, w->path's stat data from fc instead of a stat (see filecache_watch); 0: stat it. */
static int known(struct walker *w, int dir, struct stat *st)
{
	size_t len;
	const char *key;

	if (!(filecache_watching(w->fc) & FILECACHE_VOUCHED))
		return 0;
	key = fckey(w, dir, &len);
	return filecache_known_stat(w->fc, key, len, st);
}

/* note: tell fc what the walk stat'ed at w->path, when a watcher may be asked to watch it (filecache_note). */
static void note(struct walker *w, int dir, const struct stat *st)
{
	size_t len;
	const char *key;

	if (!(filecache_watching(w->fc) & FILECACHE_NOTE))
		return;
	key = fckey(w, dir, &len);
	filecache_note(w->fc, key, len, st);
}

/* unwatched: the walk relies on something a watcher will not be asked to watch (filecache_unwatched). */
static void unwatched(struct walker *w)
{
	if (w->fc)
		filecache_unwatched(w->fc);
}

/* stat_entry: fstatat an entry of the walk (counted for -d stats when there is a stat cache). */
static int stat_entry(struct walker *w, const char *path, struct stat *st, int flags)
{
	if (w->fc)
		filecache_stat_made(w->fc);
	return fstatat(w->rootfd, path, st, flags);
}

/* stat_dir: stat the directory at w->path (no trailing '/'), or take it from fc under a vouch; fc remembers it. */
static int stat_dir(struct walker *w, struct stat *st)
{
	if (w->fc && known(w, 1, st))
		return 0;
	if (stat_entry(w, w->path.len ? w->path.data : ".", st, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	if (w->fc && S_ISDIR(st->st_mode))
		note(w, 1, st);
	return 0;
}

/* open_dir: open the directory at w->path (no trailing '/'), not following a symlink, and take its stat data from
 * the descriptor into *st (noted and counted as the walk's stat of it): the stat for a directory the walk will read,
 * in place of a stat by its path before the open. A descriptor, or -1 with errno. */
static int open_dir(struct walker *w, struct stat *st)
{
	int fd = openat(w->rootfd, w->path.data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int saved;

	if (fd < 0)
		return -1;
	if (w->fc)
		filecache_stat_made(w->fc);
	if (fstat(fd, st) == 0) {
		if (w->fc)
			note(w, 1, st);
		return fd;
	}
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/* deferred: under FILESET_DEFER, a regular file at w->path the pattern does not match is passed over, and one it
 * matches that fc has no entry for is added unstat'ed; 1 when done with it, 0 when it is to be stat'ed. */
static int deferred(struct walker *w, uint64_t set, uint64_t next)
{
	size_t len;
	const char *key;

	if (set != WALK_ALL && (!(next & (uint64_t)1 << w->nseg) || w->dironly))
		return 1;
	if (w->fc && (key = fckey(w, 0, &len), filecache_has(w->fc, key, len)))
		return 0; /* its cached hash may hold: that takes its stat data now */
	fileset_add(w->fs, w->path.data, w->path.len, NULL, 0);
	if (w->feed)
		w->fs->v[w->fs->n - 1].fed = w->feed->add(w->feed->arg, w->fs->v[w->fs->n - 1].path);
	return 1;
}

/*
 * walk: the directory at w->path (with its trailing '/', or empty at the root), in state set. fd is the directory
 * when already open, else -1; st is its stat data when known. With a stat cache, a directory whose stat data is
 * unchanged is not read again: its listing comes from the cache, and one fstatat replaces openat, two getdents64
 * and close (the no-op of a tree of small directories is mostly that). Entries are stat'ed by their path from the
 * root.
 */
static int walk(struct walker *w, int fd, const struct stat *st, uint64_t set)
{
	uint64_t accept = (uint64_t)1 << w->nseg;
	int entries = (w->flags & FILESET_ENTRIES) != 0;
	size_t base = w->path.len;
	const char *dir = base ? w->path.data : ".";
	struct buf own = BUF_INIT;
	const char *list = NULL;
	size_t llen = 0;
	struct filestat fst;
	struct stat dst;
	char key[LISTING_KEY_MAX];
	int ret = 0, from_disk = 0; /* the listing was read, not taken from the cache */

	if (w->lists) {
		if (!st && fd >= 0 && fstat(fd, &dst) == 0) {
			if (w->fc)
				note(w, 1, &dst); /* the walk's root: watched like the rest */
			st = &dst;
		} else if (!st && fstatat(w->rootfd, dir, &dst, 0) == 0) {
			st = &dst;
		}
		if (st) {
			/* keyed by identity, not by path: walks from different roots (a build context) share listings */
			filestat_from(&fst, st);
			listing_key(key, fst.dev, fst.ino);
			list = filecache_dir(w->lists, key, &fst, &llen);
		}
	}
	if (list) {
		if (fd >= 0)
			close(fd);
	} else {
		int64_t t = now_ns(); /* before reading: an entry added while we read makes the listing untrusted */
		int opened = fd < 0;
		if (fd < 0)
			fd = openat(w->rootfd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) {
				unwatched(w); /* gone since it was listed: nothing below it is watched */
				return 0;
			}
			return walk_error(w, "open directory");
		}
		/* kept under the stat data of the directory read, taken from it: the one stat'ed by its path may have been
		 * another (a parent renamed in between), whose listing this is not */
		if (w->lists && st && opened) {
			if (fstat(fd, &dst) == 0) {
				filestat_from(&fst, &dst);
				listing_key(key, fst.dev, fst.ino);
			} else {
				st = NULL;
			}
		}
		if (listing_read(fd, &own) < 0) {
			buf_release(&own);
			return walk_error(w, "read directory");
		}
		if (w->lists && st)
			filecache_dir_put(w->lists, key, &fst, own.data ? own.data : "", own.len, t);
		list = own.data ? own.data : "";
		llen = own.len;
		from_disk = 1;
	}
	for (size_t pos = 0; pos < llen;) {
		unsigned char type = (unsigned char)list[pos];
		const char *name = list + pos + 1;
		size_t len = strlen(name);
		uint64_t next = WALK_ALL;
		struct stat est;
		int isdir, islink, statted = 0, known_st = 0;

		pos += len + 2;
		if (set != WALK_ALL && !(next = step(w, set, name, len)))
			continue;
		w->path.len = base;
		buf_add(&w->path, name, len);
		/* d_type spares a stat for directories (without a cache) and lets excluded files go unstat'ed */
		switch (type) {
		case DT_DIR:
			isdir = 1;
			break;
		case DT_REG:
			if (excluded(w, w->path.data, 0))
				continue;
			if (w->flags & FILESET_DEFER && deferred(w, set, next))
				continue;
			/* fall through */
		case DT_LNK:
		case DT_UNKNOWN:
			if (type == DT_REG && w->fc && (known_st = known(w, 0, &est)))
				; /* vouched for: its stat data as the cache has it */
			else if (stat_entry(w, w->path.data, &est,
			                    type == DT_UNKNOWN || entries ? AT_SYMLINK_NOFOLLOW : 0) < 0) {
				/* Gone since it was listed, or a dangling or looping symlink: none is an input. */
				if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) {
					unwatched(w);
					continue;
				}
				ret = walk_error(w, "stat");
				goto out;
			}
			islink = type == DT_LNK;
			if (S_ISLNK(est.st_mode) && entries) {
				/* a context keeps the link itself, whatever it names (nothing, a directory, outside) */
				if (!excluded(w, w->path.data, 0) && (set == WALK_ALL || ((next & accept) && !w->dironly)))
					fileset_add(w->fs, w->path.data, w->path.len, &est, 1);
				continue;
			}
			if (S_ISLNK(est.st_mode)) {
				islink = 1;
				unwatched(w); /* what it names is not watched */
				if (stat_entry(w, w->path.data, &est, 0) < 0)
					continue;
			}
			/* A symlink to a directory is not followed: it could loop or leave the tree. */
			isdir = !islink && S_ISDIR(est.st_mode);
			if (!isdir && !S_ISREG(est.st_mode))
				continue;
			statted = isdir;
			break;
		default:
			continue;
		}
		if (type != DT_REG && excluded(w, w->path.data, isdir))
			continue;
		if (!isdir) {
			if (set == WALK_ALL || ((next & accept) && !w->dironly)) {
				fileset_add(w->fs, w->path.data, w->path.len, &est, islink);
				if (w->fc && !known_st && !islink && S_ISREG(est.st_mode))
					note(w, 0, &est);
			}
			continue;
		}
		/* A matched directory takes everything below it; otherwise carry the live states down. */
		if (set == WALK_ALL || (next & accept))
			next = WALK_ALL;
		int sub = -1;
		if (w->lists && from_disk && !statted && !(w->fc && (filecache_watching(w->fc) & FILECACHE_VOUCHED))) {
			/* this directory was read, not cached: its subdirectories likely are not cached either, so each is
			 * opened first and stat'ed through its descriptor, which the walk below reads (one stat call fewer) */
			if ((sub = open_dir(w, &est)) < 0) {
				if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) {
					unwatched(w);
					continue;
				}
				ret = walk_error(w, "open directory");
				goto out;
			}
			statted = 1;
		}
		if ((w->lists || (entries && next == WALK_ALL)) && !statted) {
			if (stat_dir(w, &est) < 0) {
				if (errno == ENOENT || errno == ENOTDIR) {
					unwatched(w);
					continue;
				}
				ret = walk_error(w, "stat");
				goto out;
			}
			if (!S_ISDIR(est.st_mode))
				continue;
			statted = 1;
		}
		if (entries && next == WALK_ALL) {
			/* The listing puts a directory where "name/" sorts, after siblings such as "name-x" and "name.c": move
			 * its own entry before them, so that the set stays sorted (usually this moves nothing). */
			struct fileent *v;
			fileset_add(w->fs, w->path.data, w->path.len, &est, 0);
			v = w->fs->v;
			for (size_t k = w->fs->n - 1; k > 0 && strcmp(v[k - 1].path, v[k].path) > 0; k--) {
				struct fileent tmp = v[k];
				v[k] = v[k - 1];
				v[k - 1] = tmp;
			}
		}
		buf_addc(&w->path, '/');
		if (walk(w, sub, statted ? &est : NULL, next) < 0) {
			ret = -1;
			goto out;
		}
	}
out:
	buf_release(&own);
	w->path.len = base;
	if (w->path.data)
		w->path.data[base] = '\0';
	return ret;
}

/* walk_from: open the directory at w->path (followed if a symlink: the pattern named it) and walk it. */
static int walk_from(struct walker *w, uint64_t set, int rootfd, int missing_ok)
{
	int fd;

	fd = openat(rootfd, w->path.len ? w->path.data : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		if (missing_ok && (errno == ENOENT || errno == ENOTDIR)) {
			unwatched(w); /* a glob's base that is missing: its making is not watched */
			return 0;
		}
		return walk_error(w, "open directory");
	}
	if (w->path.len)
		buf_addc(&w->path, '/');
	return walk(w, fd, NULL, set);
}

static int expand_literal(struct walker *w, int rootfd, const char *orig)
{
	const char *path = w->path.len ? w->path.data : ".";
	int entries = (w->flags & FILESET_ENTRIES) != 0, link = 0;
	struct stat st;

	/* lstat first: it is all a file or directory needs, and it says whether the pattern names a symlink */
	int r = fstatat(rootfd, path, &st, AT_SYMLINK_NOFOLLOW);
	if (r == 0 && S_ISLNK(st.st_mode) && !entries) {
		link = 1;
		unwatched(w);
		r = fstatat(rootfd, path, &st, 0);
	}
	if (r < 0) {
		if (errno == ENOENT || errno == ENOTDIR) {
			buf_addf(w->err, "no such file or directory '%s'", orig);
			return -1;
		}
		buf_addf(w->err, "cannot stat '%s': %s", orig, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		if (w->path.len && (excluded_below(w, w->path.data) || excluded(w, w->path.data, 1)))
			return 0;
		if (entries && w->path.len)
			fileset_add(w->fs, w->path.data, w->path.len, &st, 0);
		return walk_from(w, WALK_ALL, rootfd, 0);
	}
	if (entries && S_ISLNK(st.st_mode)) {
		if (!w->dironly && !excluded_below(w, w->path.data) && !excluded(w, w->path.data, 0))
			fileset_add(w->fs, w->path.data, w->path.len, &st, 1);
		return 0;
	}
	if (w->dironly) {
		buf_addf(w->err, "not a directory '%s'", orig);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		buf_addf(w->err, "not a regular file '%s'", orig);
		return -1;
	}
	if (!excluded_below(w, w->path.data) && !excluded(w, w->path.data, 0)) {
		fileset_add(w->fs, w->path.data, w->path.len, &st, link);
		if (w->fc && !link)
			note(w, 0, &st); /* watched like a file a walk lists */
	}
	return 0;
}

/* expand_glob: w->path holds the normalized pattern; walk from its longest wildcard-free directory prefix. */
static int expand_glob(struct walker *w, int rootfd, const char *orig)
{
	char *pat = xstrdup(w->path.data);
	const char *p = pat, *rest = pat;
	int ret;

	/* The base is every segment before the first one with a wildcard. */
	for (;;) {
		const char *e = glob_seg_end(p);
		if (glob_has_wildcard(p, (size_t)(e - p)) || !*e)
			break;
		p = e + 1;
		rest = p;
	}
	w->nseg = 0;
	for (p = rest; *p;) {
		const char *e = glob_seg_end(p);
		struct seg *sg;

		if (w->nseg == MAX_SEGS) {
			buf_addf(w->err, "pattern '%s' has more than %d segments after its first wildcard", orig, MAX_SEGS);
			free(pat);
			return -1;
		}
		sg = &w->seg[w->nseg++];
		sg->p = p;
		sg->n = (size_t)(e - p);
		sg->starstar = glob_is_starstar(p, e);
		sg->literal = !glob_has_wildcard(p, sg->n);
		p = *e ? e + 1 : e;
	}
	w->path.len = rest > pat ? (size_t)(rest - pat) - 1 : 0;
	w->path.data[w->path.len] = '\0';
	if (w->path.len) {
		buf_addc(&w->path, '/');
		if (excluded_below(w, w->path.data)) {
			free(pat);
			return 0;
		}
		w->path.data[--w->path.len] = '\0';
	}
	ret = walk_from(w, closure(w, 1), rootfd, 1);
	free(pat);
	return ret;
}

int fileset_expand_fed(struct fileset *fs, int rootfd, const char *const *pats, size_t npats, const char *const *excl,
                       size_t nexcl, struct filecache *fc, const char *fcprefix, unsigned flags,
                       const struct fileset_feed *feed, struct buf *err)
{
	struct walker w = {.fs = fs, .path = BUF_INIT, .err = err, .rootfd = rootfd, .fckey = BUF_INIT,
	                   .flags = flags, .feed = flags & FILESET_DEFER ? feed : NULL};
	struct excl *ex = xcalloc(nexcl, sizeof(*ex));
	size_t old = fs->n, i;
	int ret = 0;

	for (i = 0; i < nexcl; i++) {
		if (glob_normalize(excl[i], &w.path, &ex[i].dironly, err) < 0) {
			ret = -1;
			goto out;
		}
		ex[i].pat = xstrdup(w.path.data);
	}
	w.ex = ex;
	w.nex = nexcl;
	w.lists = fc;
	w.fc = flags & FILESET_RECHECK ? NULL : fc;
	if (fcprefix && *fcprefix) {
		buf_adds(&w.fckey, fcprefix);
		w.fcprefix = w.fckey.len;
	}
	for (i = 0; i < npats && ret == 0; i++) {
		if (glob_normalize(pats[i], &w.path, &w.dironly, err) < 0)
			ret = -1;
		else if (glob_has_wildcard(w.path.data, w.path.len))
			ret = expand_glob(&w, rootfd, pats[i]);
		else
			ret = expand_literal(&w, rootfd, pats[i]);
	}
out:
	if (w.feed)
		w.feed->end(w.feed->arg, ret == 0);
	if (ret < 0) {
		for (i = old; i < fs->n; i++)
			free(fs->v[i].path);
		fs->n = old;
	} else {
		fileset_sort_dedupe(fs);
	}
	for (i = 0; i < nexcl; i++)
		free(ex[i].pat);
	free(ex);
	buf_release(&w.path);
	buf_release(&w.fckey);
	return ret;
}
