/* filecache: the stat cache, a table of entries that point into the one buffer read from disk, indexed by path, and
 * its file (the walks on record are walkrec.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "filecache.h"
#include "filecacheint.h"
#include "htab.h"
#include "trust.h"
#include "util.h"

/*
 * The file, integers little-endian so a cache moved between machines is read or rejected, never misread:
 *   header  "SBFC", u32 version, u64 record count
 *   records u32 path length, u32 mode, u64 size, i64 mtime_ns, i64 ctime_ns, u64 ino, u64 dev, u64 hash.lo,
 *           u64 hash.hi, i64 hashed_at_ns, u32 listing length, then the path and a NUL, so that loaded paths are
 *           used in place, then the listing (directories only: see filecache_dir)
 *   trailer u64 XXH64 (seed 0) of every byte before it
 * A directory's entry is keyed by "/<dev>:<ino>" (see filewalk.c), which no relative file path can be.
 */
/* In a record's mode, above every bit of st_mode: the entry is in the watched set. */
#define MODE_WATCHED 0x40000000u
#define FC_MAGIC "SBFC"
#define FC_VERSION 2
#define HDR_SIZE 16
#define REC_SIZE 76
#define SUM_SIZE 8

enum {
	ENT_USED = 1 << 0,  /* looked up by this process: kept on save without a stat */
	ENT_OWNED = 1 << 1, /* path was allocated here, not a pointer into the loaded file */
	ENT_OWNLIST = 1 << 2, /* listing was allocated here */
	ENT_WATCHED = 1 << 3, /* in the set a watcher vouches for (filecache_mark_watched); saved as MODE_WATCHED */
	ENT_WALKED = 1 << 4,  /* stat'ed, or taken under a vouch, by a walk of this process */
};

struct fcent {
	const char *path;
	uint64_t h; /* XXH3-64 of path, kept so growing the table never rehashes strings */
	struct filestat st;
	struct hash128 hash;
	int64_t hashed_at;
	uint32_t len;
	uint32_t flags;
	const char *listing; /* a directory's entries; owned when ENT_OWNLIST */
	uint32_t llen;
};

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static unsigned char *put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
	return p + 4;
}

static unsigned char *put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	return put32(p + 4, (uint32_t)(v >> 32));
}

/* find: the number + 1 of the entry for path, 0 when there is none. */
static uint32_t find(const struct filecache *fc, uint64_t h, const char *path, uint32_t len)
{
	size_t pos = 0, i;

	while ((i = htab_next(&fc->index, fc->ent, h, &pos)) != HTAB_END)
		if (fc->ent[i].len == len && memcmp(fc->ent[i].path, path, len) == 0)
			return (uint32_t)(i + 1);
	return 0;
}

/* reserve: room for n entries, in the array and in its index, so that adding them moves nothing. */
static void reserve(struct filecache *fc, size_t n)
{
	if (n > UINT32_MAX / 4)
		fatal("file cache: too many entries (%zu)", n);
	if (n > fc->cap) {
		fc->cap = n;
		fc->ent = xreallocarray(fc->ent, fc->cap, sizeof(*fc->ent));
	}
	htab_reserve(&fc->index, fc->ent, n);
}

/* add: a new entry for path, which must not be in the table. Returns it, valid until the next add. */
static struct fcent *add(struct filecache *fc, const char *path, uint32_t len, uint64_t h, uint32_t flags)
{
	struct fcent *e;

	if (fc->n == fc->cap)
		reserve(fc, fc->cap ? 2 * fc->cap : 64);
	e = &fc->ent[fc->n];
	memset(e, 0, sizeof(*e));
	e->path = path;
	e->len = len;
	e->h = h;
	e->flags = flags;
	htab_add(&fc->index, fc->ent, fc->n++);
	return e;
}

static void clear(struct filecache *fc)
{
	size_t i;

	for (i = 0; i < fc->n; i++) {
		if (fc->ent[i].flags & ENT_OWNED)
			free((char *)fc->ent[i].path);
		if (fc->ent[i].flags & ENT_OWNLIST)
			free((char *)fc->ent[i].listing);
	}
	fc->n = 0;
	htab_clear(&fc->index);
}

/* parse: index the records of fc->file. Returns NULL, or what is wrong with the file. */
static const char *parse(struct filecache *fc, uint32_t *version)
{
	const unsigned char *d = (const unsigned char *)fc->file.data;
	size_t len = fc->file.len, off = HDR_SIZE, end, i;
	uint64_t count;

	if (len >= 4 && memcmp(d, FC_MAGIC, 4) != 0)
		return "not a file cache";
	if (len < HDR_SIZE + SUM_SIZE)
		return "truncated";
	*version = get32(d + 4);
	if (*version != FC_VERSION)
		return "unsupported version";
	end = len - SUM_SIZE;
	if (XXH64(d, end, 0) != get64(d + end))
		return "checksum mismatch (corrupt or truncated)";
	count = get64(d + 8);
	if (count > (end - HDR_SIZE) / (REC_SIZE + 1))
		return "bad record count";
	reserve(fc, (size_t)count + (size_t)count / 8);
	for (i = 0; i < count; i++) {
		const unsigned char *r = d + off;
		const char *path = (const char *)r + REC_SIZE;
		uint32_t plen;
		struct fcent *e;
		uint64_t h;

		if (end - off < REC_SIZE)
			return "truncated record";
		plen = get32(r);
		uint32_t llen = get32(r + 72);
		if (end - off - REC_SIZE < (size_t)plen + 1 || path[plen] != '\0' || memchr(path, '\0', plen))
			return "bad path in record";
		if (end - off - REC_SIZE - plen - 1 < (size_t)llen)
			return "bad listing in record";
		h = XXH3_64bits(path, plen);
		if (find(fc, h, path, plen))
			return "duplicate path";
		e = add(fc, path, plen, h, 0);
		e->st.mode = get32(r + 4) & ~MODE_WATCHED;
		if (get32(r + 4) & MODE_WATCHED)
			e->flags |= ENT_WATCHED;
		e->st.size = get64(r + 8);
		e->st.mtime_ns = (int64_t)get64(r + 16);
		e->st.ctime_ns = (int64_t)get64(r + 24);
		e->st.ino = get64(r + 32);
		e->st.dev = get64(r + 40);
		e->hash.lo = get64(r + 48);
		e->hash.hi = get64(r + 56);
		e->hashed_at = (int64_t)get64(r + 64);
		e->listing = llen ? path + plen + 1 : NULL;
		e->llen = llen;
		off += REC_SIZE + (size_t)plen + 1 + llen;
	}
	if (off != end)
		return "trailing bytes after the last record";
	return NULL;
}

/* load: read and index the file now; a file replaced since filecache_load saw it (by a run this one did not lock
 * out) is read, but what a watcher said of the one it saw is not applied to it. */
static void load(struct filecache *fc)
{
	uint32_t version = FC_VERSION;
	const char *why;
	struct stat st;

	if (fc->loaded)
		return;
	fc->loaded = 1;
	if (read_file(fc->path, &fc->file) < 0) {
		if (errno != ENOENT)
			warn("ignoring file cache '%s', every input will be hashed again:", fc->path);
		buf_release(&fc->file);
		reserve(fc, 0);
		return;
	}
	if (stat(fc->path, &st) < 0 || st.st_ino != fc->id.st_ino || st.st_size != fc->id.st_size ||
	    st.st_mtim.tv_sec != fc->id.st_mtim.tv_sec || st.st_mtim.tv_nsec != fc->id.st_mtim.tv_nsec) {
		fc->trust = NULL;
		fc->walks_at = 0;
	}
	why = parse(fc, &version);
	if (!why) {
		reserve(fc, 0);
		return;
	}
	if (version != FC_VERSION)
		warn("ignoring file cache '%s' of version %u (this build writes %u); it will be rebuilt", fc->path, version,
		     FC_VERSION);
	else
		warn("ignoring file cache '%s': %s; it will be rebuilt", fc->path, why);
	clear(fc);
	buf_release(&fc->file);
	reserve(fc, 0);
	/* Replace the bad file on the next save even when nothing new gets hashed. */
	fc->dirty = 1;
}

struct filecache *filecache_load(const char *path)
{
	struct filecache *fc = xcalloc(1, sizeof(*fc));
	unsigned char hdr[HDR_SIZE];
	int fd;

	fc->index = (struct htab)HTAB_INIT(struct fcent, h);
	fc->walkindex = (struct htab)HTAB_INIT(struct walkrec, h);
	fc->path = xstrdup(path);
	/* only the header now: a run that finds every walk on record (filecache_walk_get) never reads the rest */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, &fc->id) == 0 && pread(fd, hdr, sizeof(hdr), 0) == (ssize_t)sizeof(hdr) &&
	    memcmp(hdr, FC_MAGIC, 4) == 0 && get32(hdr + 4) == FC_VERSION)
		fc->count = get64(hdr + 8);
	else
		load(fc); /* missing, or to be warned about now */
	if (fd >= 0)
		close(fd);
	return fc;
}

static int trusted(const struct fcent *e, const struct filestat *st)
{
	int64_t changed = st->mtime_ns > st->ctime_ns ? st->mtime_ns : st->ctime_ns;

	return e->st.size == st->size && e->st.mtime_ns == st->mtime_ns && e->st.ctime_ns == st->ctime_ns &&
	       e->st.ino == st->ino && e->st.dev == st->dev && changed < e->hashed_at - FILECACHE_RACY_NS;
}

/* entry: the entry for key (len bytes), or NULL. */
static struct fcent *entry(struct filecache *fc, const char *key, size_t len)
{
	uint32_t s;

	load(fc);
	s = len <= UINT32_MAX ? find(fc, XXH3_64bits(key, len), key, (uint32_t)len) : 0;
	return s ? &fc->ent[s - 1] : NULL;
}

int filecache_lookup(struct filecache *fc, const char *path, const struct filestat *st, struct hash128 *out)
{
	struct fcent *e = entry(fc, path, strlen(path));

	if (!e || !trusted(e, st))
		return 0;
	e->flags |= ENT_USED;
	*out = e->hash;
	fc->hits++;
	return 1;
}

void filecache_put(struct filecache *fc, const char *path, const struct filestat *st, const struct hash128 *hash,
                   int64_t hashed_at)
{
	size_t len = strlen(path);
	uint64_t h = XXH3_64bits(path, len);
	uint32_t s;
	struct fcent *e;

	load(fc);
	if (len > UINT32_MAX)
		return;
	s = find(fc, h, path, (uint32_t)len);
	e = s ? &fc->ent[s - 1] : add(fc, xstrndup(path, len), (uint32_t)len, h, ENT_OWNED);
	e->st = *st;
	e->hash = *hash;
	e->hashed_at = hashed_at;
	e->flags |= ENT_USED;
	fc->dirty = 1;
	fc->hashed++;
}

int filecache_hash(struct filecache *fc, int rootfd, const char *path, const struct filestat *st, struct hash128 *out)
{
	struct filestat got;
	struct stat sb;
	int64_t t;
	int fd, r, saved;

	if (filecache_lookup(fc, path, st, out))
		return 0;
	/* Taken before reading: a write racing with the read then lands after hashed_at and is not trusted. */
	t = now_ns();
	/* O_NONBLOCK: a FIFO put in the file's place does not block the open; it is no regular file, so an error */
	if ((fd = openat(rootfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
		return -1;
	r = fstat(fd, &sb) < 0 ? -1 : !S_ISREG(sb.st_mode) ? (errno = S_ISDIR(sb.st_mode) ? EISDIR : EINVAL, -1)
	                                                   : hash_fd(fd, out);
	saved = errno;
	close(fd);
	errno = saved;
	if (r < 0)
		return -1;
	/* cached under the stat data of the file read: one that replaced the file the caller stat'ed is not that file */
	filestat_from(&got, &sb);
	filecache_put(fc, path, &got, out, t);
	return 0;
}

const char *filecache_dir(struct filecache *fc, const char *path, const struct filestat *st, size_t *len)
{
	struct fcent *e = entry(fc, path, strlen(path));

	/* the same rule as for content: a directory changed within the timestamp granularity of its listing may
	 * have gained or lost an entry without its stat data changing */
	if (!e || !trusted(e, st))
		return NULL;
	e->flags |= ENT_USED;
	fc->hits++;
	*len = e->llen;
	return e->listing ? e->listing : "";
}

void filecache_dir_put(struct filecache *fc, const char *path, const struct filestat *st, const char *listing,
                       size_t len, int64_t listed_at)
{
	size_t n = strlen(path);
	uint64_t h = XXH3_64bits(path, n);
	uint32_t s;
	struct fcent *e;

	load(fc);
	if (n > UINT32_MAX || len > UINT32_MAX)
		return;
	s = find(fc, h, path, (uint32_t)n);
	e = s ? &fc->ent[s - 1] : add(fc, xstrndup(path, n), (uint32_t)n, h, ENT_OWNED);
	if (e->flags & ENT_OWNLIST)
		free((char *)e->listing);
	e->listing = len ? memcpy(xmalloc(len), listing, len) : NULL;
	e->llen = (uint32_t)len;
	e->flags |= ENT_OWNLIST | ENT_USED;
	e->st = *st;
	memset(&e->hash, 0, sizeof(e->hash));
	e->hashed_at = listed_at;
	fc->dirty = 1;
}

void filecache_read(struct filecache *fc)
{
	load(fc);
}

int filecache_dirty(const struct filecache *fc)
{
	return fc->dirty;
}

int filecache_save(struct filecache *fc, const char *path, int rootfd)
{
	size_t i, size = HDR_SIZE + SUM_SIZE;
	uint64_t count = 0;
	unsigned char *data, *p;
	int ret = 0;

	if (!fc->dirty)
		return 0;
	for (i = 0; i < fc->n; i++)
		size += REC_SIZE + fc->ent[i].len + 1 + fc->ent[i].llen;
	p = data = xmalloc(size);
	memcpy(p, FC_MAGIC, 4);
	p = put32(p + 4, FC_VERSION);
	p += 8; /* the count, known at the end */
	for (i = 0; i < fc->n; i++) {
		const struct fcent *e = &fc->ent[i];
		struct stat st;

		/* An entry this run did not use may be for a deleted file; an unrelated stat error keeps it. */
		if (!(e->flags & ENT_USED) && fstatat(rootfd, e->path, &st, 0) < 0 &&
		    (errno == ENOENT || errno == ENOTDIR))
			continue;
		p = put32(p, e->len);
		p = put32(p, e->st.mode | (e->flags & ENT_WATCHED ? MODE_WATCHED : 0));
		p = put64(p, e->st.size);
		p = put64(p, (uint64_t)e->st.mtime_ns);
		p = put64(p, (uint64_t)e->st.ctime_ns);
		p = put64(p, e->st.ino);
		p = put64(p, e->st.dev);
		p = put64(p, e->hash.lo);
		p = put64(p, e->hash.hi);
		p = put64(p, (uint64_t)e->hashed_at);
		p = put32(p, e->llen);
		memcpy(p, e->path, e->len);
		p += e->len;
		*p++ = '\0';
		if (e->llen)
			memcpy(p, e->listing, e->llen);
		p += e->llen;
		count++;
	}
	put64(data + 8, count);
	p = put64(p, XXH64(data, (size_t)(p - data), 0));
	/* checksummed and rebuilt when bad: no fsync needed (see write_file_replace) */
	if (write_file_replace(path, data, (size_t)(p - data)) < 0)
		ret = error("cannot write file cache '%s':", path);
	else
		fc->dirty = 0;
	free(data);
	return ret;
}

void filecache_watch(struct filecache *fc, const struct trust *t, int vouched)
{
	fc->track = 1;
	fc->trust = vouched ? t : NULL;
	fc->vouch_at = trust_stretch(fc->trust);
}

unsigned filecache_watching(struct filecache *fc)
{
	unsigned how = fc->track ? FILECACHE_NOTE : 0;

	if (!fc->trust)
		return how;
	if (fc->vouch_at && trust_stretch(fc->trust) == fc->vouch_at)
		return how | FILECACHE_VOUCHED;
	fc->trust = NULL; /* something ran: a vouch is for the tree as it was before */
	return how;
}

int filecache_has(struct filecache *fc, const char *key, size_t len)
{
	return entry(fc, key, len) != NULL;
}

int filecache_known_stat(struct filecache *fc, const char *key, size_t len, struct stat *st)
{
	struct fcent *e;

	if (!(filecache_watching(fc) & FILECACHE_VOUCHED) || !(e = entry(fc, key, len)) || !(e->flags & ENT_WATCHED))
		return 0;
	memset(st, 0, sizeof(*st));
	st->st_mode = e->st.mode;
	st->st_size = (off_t)e->st.size;
	st->st_mtim.tv_sec = e->st.mtime_ns / 1000000000;
	st->st_mtim.tv_nsec = e->st.mtime_ns % 1000000000;
	st->st_ctim.tv_sec = e->st.ctime_ns / 1000000000;
	st->st_ctim.tv_nsec = e->st.ctime_ns % 1000000000;
	st->st_ino = (ino_t)e->st.ino;
	st->st_dev = (dev_t)e->st.dev;
	st->st_nlink = 1;
	e->flags |= ENT_USED | ENT_WALKED;
	fc->known++;
	return 1;
}

/* An entry whose stat data changes loses its hash (hashed_at 0 is never trusted): stat data newer than the hash must
 * not vouch for it, so a lookup of its content reads the file again. */
void filecache_note(struct filecache *fc, const char *key, size_t len, const struct stat *st)
{
	struct filestat fst;

	filestat_from(&fst, st);
	filecache_note_file(fc, key, len, &fst);
}

void filecache_note_file(struct filecache *fc, const char *key, size_t len, const struct filestat *st)
{
	const struct filestat fst = *st;
	struct fcent *e = entry(fc, key, len);

	if (!e) {
		if (len > UINT32_MAX)
			return;
		e = add(fc, xstrndup(key, len), (uint32_t)len, XXH3_64bits(key, len), ENT_OWNED);
	} else if (e->st.size == fst.size && e->st.mtime_ns == fst.mtime_ns && e->st.ctime_ns == fst.ctime_ns &&
	           e->st.ino == fst.ino && e->st.dev == fst.dev && e->st.mode == fst.mode) {
		e->flags |= ENT_USED | ENT_WALKED;
		return;
	}
	e->st = fst;
	memset(&e->hash, 0, sizeof(e->hash));
	e->hashed_at = 0;
	e->flags |= ENT_USED | ENT_WALKED;
	fc->dirty = 1;
}

void filecache_stat_made(struct filecache *fc)
{
	fc->stats++;
}

/* watchable: a file or directory (no listing key) a walk of this process stat'ed or took. */
static int watchable(const struct fcent *e)
{
	return (e->flags & ENT_WALKED) && e->path[0] != '/' && (S_ISREG(e->st.mode) || S_ISDIR(e->st.mode));
}

void filecache_used(struct filecache *fc, struct buf *out)
{
	load(fc);
	for (size_t i = 0; i < fc->n; i++) {
		const struct fcent *e = &fc->ent[i];
		if (watchable(e)) {
			buf_add(out, e->path, e->len);
			buf_addc(out, '\n');
		}
	}
}

void filecache_mark_watched(struct filecache *fc)
{
	load(fc);
	for (size_t i = 0; i < fc->n; i++) {
		struct fcent *e = &fc->ent[i];
		int was = (e->flags & ENT_WATCHED) != 0;
		if (was != watchable(e)) {
			e->flags ^= ENT_WATCHED;
			fc->dirty = 1;
		}
	}
}

void filecache_walk_stats(const struct filecache *fc, size_t *stats, size_t *known)
{
	*stats = fc->stats;
	*known = fc->known;
}

size_t filecache_size(const struct filecache *fc)
{
	return fc->loaded ? fc->n : (size_t)fc->count;
}

void filecache_stats(const struct filecache *fc, size_t *hits, size_t *hashed)
{
	if (hits)
		*hits = fc->hits;
	if (hashed)
		*hashed = fc->hashed;
}

void filecache_free(struct filecache *fc)
{
	if (!fc)
		return;
	clear(fc);
	free(fc->ent);
	htab_release(&fc->index);
	buf_release(&fc->file);
	for (size_t i = 0; i < fc->nwalks; i++)
		free(fc->walks[i].bases);
	free(fc->walks);
	htab_release(&fc->walkindex);
	free(fc->path);
	free(fc);
}
