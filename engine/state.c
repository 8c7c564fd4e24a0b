/* state: the task log, the side blobs and the lock in the state directory. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "hash.h"
#include "htab.h"
#include "state.h"
#include "util.h"

/*
 * The task log "tasks": "SBTL" + u32 STATE_VERSION, then frames of u32 payload length, u32 checksum (low half of
 * XXH3-64 of the payload), payload. A payload is a kind byte, u16 name length, the name and, for a record, the fixed
 * fields of struct taskrec. Integers are little-endian. The last frame of a name wins; a tombstone removes it.
 */
enum {
	KIND_RECORD = 1,
	KIND_TOMBSTONE = 2,
	HEADER_LEN = 8,
	FRAME_LEN = 8,
	NAME_MAX_LEN = 0xffff,
	FIXED_LEN = 16 + 16 + 8 + 8 + 8 + 4,
	PAYLOAD_MAX = 3 + NAME_MAX_LEN + FIXED_LEN,
	/* below this many dead frames, rewriting the log costs more than reading past them */
	COMPACT_MIN_DEAD = 64,
};

static const char magic[4] = {'S', 'B', 'T', 'L'};

/* One name seen in the log; kept after a tombstone (live 0), since the index never deletes. */
struct slot {
	char *name;
	uint64_t hash;
	struct taskrec rec;
	int live;
};

struct state {
	char *dir, *path;
	int flags;
	int lockfd, logfd;
	off_t loglen; /* bytes of the log known to be valid: appends follow them */
	struct slot *slots; /* in the order the names were first seen */
	size_t nslots, cap, live;
	struct htab index;  /* over slots */
	size_t nframes; /* frames after the header, live or dead */
	int unnamed;    /* the log was made by this process and its name is not durable yet (create) */
};

static void put16(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get16(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint32_t checksum(const void *p, size_t n)
{
	return (uint32_t)XXH3_64bits(p, n);
}

static struct slot *lookup(const struct state *s, const char *name, uint64_t h)
{
	size_t pos = 0, i;

	while ((i = htab_next(&s->index, s->slots, h, &pos)) != HTAB_END)
		if (strcmp(s->slots[i].name, name) == 0)
			return &s->slots[i];
	return NULL;
}

/* intern: the slot of name (n bytes, no NUL inside), created not live when new. */
static struct slot *intern(struct state *s, const char *name, size_t n)
{
	char *copy = xstrndup(name, n);
	uint64_t h = XXH3_64bits(name, n);
	struct slot *sl = lookup(s, copy, h);

	if (sl) {
		free(copy);
		return sl;
	}
	GROW(s->slots, s->nslots, s->cap);
	sl = &s->slots[s->nslots];
	sl->name = copy;
	sl->hash = h;
	sl->live = 0;
	htab_add(&s->index, s->slots, s->nslots++);
	return sl;
}

/* apply: the in-memory effect of one frame; rec is NULL for a tombstone. */
static void apply(struct state *s, const char *name, size_t n, const struct taskrec *rec)
{
	struct slot *sl;

	s->nframes++;
	if (!rec) {
		sl = lookup(s, name, XXH3_64bits(name, n));
		if (sl && sl->live) {
			sl->live = 0;
			s->live--;
		}
		return;
	}
	sl = intern(s, name, n);
	sl->rec = *rec;
	sl->rec.name = sl->name;
	if (!sl->live) {
		sl->live = 1;
		s->live++;
	}
}

/* encode: append one frame; the caller has checked the name's length. */
static void encode(struct buf *out, const char *name, const struct taskrec *rec)
{
	size_t namelen = strlen(name);
	size_t len = 3 + namelen + (rec ? FIXED_LEN : 0);
	unsigned char *p, *q;

	buf_grow(out, FRAME_LEN + len);
	p = (unsigned char *)out->data + out->len;
	put32(p, (uint32_t)len);
	p[8] = rec ? KIND_RECORD : KIND_TOMBSTONE;
	put16(p + 9, (uint32_t)namelen);
	memcpy(p + 11, name, namelen);
	if (rec) {
		q = p + 11 + namelen;
		put64(q, rec->key.lo);
		put64(q + 8, rec->key.hi);
		put64(q + 16, rec->outputs.lo);
		put64(q + 24, rec->outputs.hi);
		put64(q + 32, (uint64_t)rec->end_ns);
		put64(q + 40, (uint64_t)rec->last_ns);
		put64(q + 48, (uint64_t)rec->total_ns);
		put32(q + 56, rec->runs);
	}
	put32(p + 4, checksum(p + FRAME_LEN, len));
	out->len += FRAME_LEN + len;
	out->data[out->len] = '\0';
}

/* decode: check one payload whose checksum matched and apply it; -1 if it is malformed. */
static int decode(struct state *s, const unsigned char *p, size_t len)
{
	struct taskrec rec;
	const unsigned char *q;
	size_t namelen;

	if (len < 3)
		return -1;
	namelen = get16(p + 1);
	if (len < 3 + namelen || memchr(p + 3, '\0', namelen))
		return -1;
	if (p[0] == KIND_TOMBSTONE && len == 3 + namelen) {
		apply(s, (const char *)p + 3, namelen, NULL);
		return 0;
	}
	if (p[0] != KIND_RECORD || len != 3 + namelen + FIXED_LEN)
		return -1;
	q = p + 3 + namelen;
	rec.name = NULL;
	rec.key.lo = get64(q);
	rec.key.hi = get64(q + 8);
	rec.outputs.lo = get64(q + 16);
	rec.outputs.hi = get64(q + 24);
	rec.end_ns = (int64_t)get64(q + 32);
	rec.last_ns = (int64_t)get64(q + 40);
	rec.total_ns = (int64_t)get64(q + 48);
	rec.runs = get32(q + 56);
	apply(s, (const char *)p + 3, namelen, &rec);
	return 0;
}

/* parse: apply the frames after the header up to the first bad one; returns the length of the valid prefix. */
static size_t parse(struct state *s, const unsigned char *p, size_t n)
{
	size_t off = HEADER_LEN;

	while (n - off >= FRAME_LEN) {
		uint32_t len = get32(p + off), sum = get32(p + off + 4);
		const unsigned char *q = p + off + FRAME_LEN;

		if (len > n - off - FRAME_LEN || checksum(q, len) != sum || decode(s, q, len) < 0)
			break;
		off += FRAME_LEN + len;
	}
	return off;
}

/*
 * torn: 1 when the n bytes after the valid prefix look like an interrupted append (a partial frame, or zeros from a
 * crash that extended the file before its data landed) rather than damage worth a warning.
 */
static int torn(const unsigned char *p, size_t n)
{
	size_t i;
	uint32_t len;

	if (n < FRAME_LEN)
		return 1;
	len = get32(p);
	if (len <= PAYLOAD_MAX && len > n - FRAME_LEN)
		return 1;
	for (i = 0; i < n && !p[i]; i++)
		;
	return i == n;
}

static void add_header(struct buf *b)
{
	unsigned char h[HEADER_LEN];

	memcpy(h, magic, 4);
	put32(h + 4, STATE_VERSION);
	buf_add(b, h, sizeof(h));
}

/* lockreq: a write lock on the whole lock file (fcntl record locks: the kernel tells a waiter the holder's pid,
 * so nothing is written to take the lock, and a no-op run writes nothing at all). */
static struct flock lockreq(void)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	return fl;
}

/* lock: take the lock file in s->dir, waiting (and saying for whom) unless STATE_NOWAIT. */
static int lock(struct state *s)
{
	char *path = xasprintf("%s/lock", s->dir);
	struct flock fl = lockreq();
	long pid = 0;

	/* one descriptor only: closing any descriptor of the file would drop a record lock; spawned jobs do not
	 * inherit record locks */
	s->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lockfd < 0)
		goto fail;
	if (fcntl(s->lockfd, F_SETLK, &fl) < 0) {
		if (errno != EAGAIN && errno != EACCES)
			goto fail;
		fl = lockreq();
		if (fcntl(s->lockfd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
			pid = (long)fl.l_pid;
		if (s->flags & STATE_NOWAIT) {
			free(path);
			if (pid > 0)
				return error("'%s' is locked by pid %ld; another sindri-build is running there", s->dir, pid);
			return error("'%s' is locked; another sindri-build is running there", s->dir);
		}
		if (pid > 0)
			warn("waiting for the lock on '%s' held by pid %ld", s->dir, pid);
		else
			warn("waiting for the lock on '%s' held by another sindri-build", s->dir);
		fl = lockreq();
		while (fcntl(s->lockfd, F_SETLKW, &fl) < 0)
			if (errno != EINTR)
				goto fail;
	}
	free(path);
	return 0;
fail:
	error("cannot lock '%s':", path);
	free(path);
	return -1;
}

/*
 * create: start an empty log, atomically (a process killed at any moment leaves no log or a whole header) but
 * without fsync: an empty log holds nothing to lose. A power cut may lose it, or leave it empty (read as no log) or
 * torn (moved aside as corrupt). The first durable record makes the header durable with it (fdatasync) and the log's
 * name too (an fsync of the directory): a first run waits for the disk twice, not three times.
 */
static int create(struct state *s)
{
	struct buf b = BUF_INIT;
	int ret;

	add_header(&b);
	ret = write_file_replace(s->path, b.data, b.len);
	buf_release(&b);
	if (ret < 0)
		return error("cannot create state file '%s':", s->path);
	s->loglen = HEADER_LEN;
	s->unnamed = 1;
	return 0;
}

/* bad_header: report a log we cannot read at all; in write mode move it aside and start a new one. */
static int bad_header(struct state *s, const unsigned char *p, size_t n)
{
	int wr = s->flags & STATE_WRITE;
	const char *then = wr ? "starting a new one" : "reading it as empty";
	char *bad;

	if (n >= HEADER_LEN && memcmp(p, magic, 4) == 0) {
		warn("state file '%s' is from another version of sindri-build (version %lu); %s", s->path,
		     (unsigned long)get32(p + 4), then);
		if (!wr)
			return 0;
	} else if (!wr) {
		warn("state file '%s' is corrupt; %s", s->path, then);
		return 0;
	} else {
		warn("state file '%s' is corrupt; moving it to '%s.bad' and starting a new one", s->path, s->path);
	}
	bad = xasprintf("%s.bad", s->path);
	if (rename(s->path, bad) < 0) {
		error("cannot rename '%s' to '%s':", s->path, bad);
		free(bad);
		return -1;
	}
	free(bad);
	return create(s);
}

/* bad_tail: the log is valid up to off of n bytes; report damage, and in write mode cut it off before appending. */
static int bad_tail(struct state *s, const unsigned char *p, size_t off, size_t n)
{
	int wr = s->flags & STATE_WRITE;
	char *bad;

	if (!torn(p + off, n - off)) {
		if (!wr) {
			warn("state file '%s' is corrupt after byte %zu; ignoring the rest", s->path, off);
		} else {
			bad = xasprintf("%s.bad", s->path);
			warn("state file '%s' is corrupt after byte %zu; keeping a copy in '%s' and dropping the rest",
			     s->path, off, bad);
			if (write_file_atomic(bad, p, n) < 0)
				warn("cannot write '%s':", bad);
			free(bad);
		}
	}
	if (wr && ftruncate(s->logfd, (off_t)off) < 0)
		return error("cannot truncate state file '%s':", s->path);
	return 0;
}

/* load: read the log (in write mode under the lock) and, in write mode, leave s->logfd open for appends. */
static int load(struct state *s)
{
	struct buf b = BUF_INIT;
	const unsigned char *p;
	size_t off = 0;
	int ret = -1;

	if (read_file(s->path, &b) < 0 && errno != ENOENT) {
		error("cannot read state file '%s':", s->path);
		goto out;
	}
	p = (const unsigned char *)b.data;
	if (!b.len) {
		if ((s->flags & STATE_WRITE) && create(s) < 0)
			goto out;
	} else if (b.len < HEADER_LEN || memcmp(p, magic, 4) != 0 || get32(p + 4) != STATE_VERSION) {
		if (bad_header(s, p, b.len) < 0)
			goto out;
	} else {
		off = parse(s, p, b.len);
		s->loglen = (off_t)off;
	}
	if (s->flags & STATE_WRITE) {
		s->logfd = open(s->path, O_WRONLY | O_APPEND | O_CLOEXEC);
		if (s->logfd < 0) {
			error("cannot open state file '%s':", s->path);
			goto out;
		}
	}
	if (off && off < b.len && bad_tail(s, p, off, b.len) < 0)
		goto out;
	ret = 0;
out:
	buf_release(&b);
	return ret;
}

static void state_free(struct state *s)
{
	size_t i;

	if (s->logfd >= 0)
		close(s->logfd);
	/* closing the last descriptor of the lock file releases the lock */
	if (s->lockfd >= 0)
		close(s->lockfd);
	for (i = 0; i < s->nslots; i++)
		free(s->slots[i].name);
	free(s->slots);
	htab_release(&s->index);
	free(s->path);
	free(s->dir);
	free(s);
}

/* private_tree: below the directory fd, every directory 0700 and every other file 0600; symlinks are left alone,
 * never followed. */
static void private_tree(int fd)
{
	DIR *d = fdopendir(fd);
	struct dirent *e;
	struct stat st;

	if (!d) {
		close(fd);
		return;
	}
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || S_ISLNK(st.st_mode) ||
		    st.st_uid != geteuid())
			continue;
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0) {
				fchmod(sub, 0700);
				private_tree(sub);
			}
		} else if (st.st_mode & 077) {
			fchmodat(dirfd(d), e->d_name, 0600, 0);
		}
	}
	closedir(d);
}

/* make_private: the state directory holds what runs keyed (environment values, secrets' digests, the key that
 * makes them): one that others may enter, made by an older sindri-build, is made private with its files, once.
 * One that holds no task log yet was just made by someone else (ninja makes its builddir in it): no note then. */
static void make_private(const char *dir)
{
	struct stat st;
	int fd;

	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || !(st.st_mode & 077) || st.st_uid != geteuid())
		return;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fchmod(fd, 0700) < 0) {
		warn("state directory '%s' can be read by other users (mode %04o), and it cannot be made private:", dir,
		     (unsigned)(st.st_mode & 07777));
		if (fd >= 0)
			close(fd);
		return;
	}
	if (faccessat(fd, "tasks", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		warn("state directory '%s' could be read by other users (mode %04o); made it and its files private "
		     "(0700, 0600)", dir, (unsigned)(st.st_mode & 07777));
	private_tree(fd);
}

struct state *state_open(const char *dir, int flags)
{
	struct state *s = xcalloc(1, sizeof(*s));

	s->dir = xstrdup(dir);
	s->path = xasprintf("%s/tasks", dir);
	s->flags = flags;
	s->lockfd = s->logfd = -1;
	s->index = (struct htab)HTAB_INIT(struct slot, hash);
	if (flags & STATE_WRITE) {
		if (mkdir_private(dir) < 0) {
			error("cannot create state directory '%s':", dir);
			goto fail;
		}
		make_private(dir);
		if (lock(s) < 0)
			goto fail;
	}
	if (load(s) < 0)
		goto fail;
	return s;
fail:
	state_free(s);
	return NULL;
}

const char *state_dir(const struct state *s)
{
	return s->dir;
}

const struct taskrec *state_get(const struct state *s, const char *name)
{
	struct slot *sl = lookup(s, name, XXH3_64bits(name, strlen(name)));

	return sl && sl->live ? &sl->rec : NULL;
}

static int check_writable(const struct state *s, const char *name)
{
	if (!(s->flags & STATE_WRITE))
		return error("state '%s' is open read-only", s->dir);
	if (strlen(name) > NAME_MAX_LEN)
		return error("task name '%.40s...' is longer than %d bytes", name, NAME_MAX_LEN);
	return 0;
}

/* append: write one frame (durably unless lazy), or leave the log as it was. */
static int append(struct state *s, const struct buf *frame, int lazy)
{
	int saved;

	if (write_all(s->logfd, frame->data, frame->len) == 0 && (lazy || fdatasync(s->logfd) == 0)) {
		s->loglen += (off_t)frame->len;
		if (!lazy && s->unnamed) {
			/* the record is durable only with the name of the log that holds it (see create) */
			int dfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (dfd >= 0 && fsync(dfd) == 0)
				s->unnamed = 0;
			if (dfd >= 0)
				close(dfd);
		}
		return 0;
	}
	saved = errno;
	/* a half-written frame would hide every later append from the next load */
	if (ftruncate(s->logfd, s->loglen) < 0)
		warn("cannot truncate state file '%s':", s->path);
	errno = saved;
	return error("cannot append to state file '%s':", s->path);
}

static int record(struct state *s, const struct taskrec *rec, int lazy)
{
	struct buf frame = BUF_INIT;
	int ret;

	if (check_writable(s, rec->name) < 0)
		return -1;
	encode(&frame, rec->name, rec);
	ret = append(s, &frame, lazy);
	buf_release(&frame);
	if (ret == 0)
		apply(s, rec->name, strlen(rec->name), rec);
	return ret;
}

int state_record(struct state *s, const struct taskrec *rec)
{
	return record(s, rec, 0);
}

int state_record_lazy(struct state *s, const struct taskrec *rec)
{
	return record(s, rec, 1);
}

int state_forget(struct state *s, const char *name)
{
	struct buf frame = BUF_INIT;
	int ret;

	if (check_writable(s, name) < 0)
		return -1;
	/* we hold the lock, so memory matches the log: nothing to forget means nothing to write */
	if (!state_get(s, name))
		return 0;
	encode(&frame, name, NULL);
	ret = append(s, &frame, 0);
	buf_release(&frame);
	if (ret == 0)
		apply(s, name, strlen(name), NULL);
	return ret;
}

static int by_name(const void *a, const void *b)
{
	const struct slot *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

/* sorted: the live slots sorted by name; the caller frees the array. */
static const struct slot **sorted(const struct state *s)
{
	const struct slot **v = xreallocarray(NULL, s->live, sizeof(*v));
	size_t i, n = 0;

	for (i = 0; i < s->nslots; i++)
		if (s->slots[i].live)
			v[n++] = &s->slots[i];
	qsort(v, n, sizeof(*v), by_name);
	return v;
}

void state_each(const struct state *s, void (*fn)(const struct taskrec *rec, void *arg), void *arg)
{
	const struct slot **v = sorted(s);
	size_t i;

	for (i = 0; i < s->live; i++)
		fn(&v[i]->rec, arg);
	free(v);
}

static char *blob_path(const struct state *s, const char *name)
{
	struct hash128 h = hash_bytes(name, strlen(name));
	char hex[HASH_HEX_LEN + 1];

	hash_hex(&h, hex);
	return xasprintf("%s/blobs/%s", s->dir, hex);
}

int state_put_blob(struct state *s, const char *name, const void *data, size_t n)
{
	char *dir, *path;
	int ret = 0;

	if (!(s->flags & STATE_WRITE))
		return error("state '%s' is open read-only", s->dir);
	dir = xasprintf("%s/blobs", s->dir);
	path = blob_path(s, name);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		ret = error("cannot create directory '%s':", dir);
	/* explain's data: a lost or torn blob is detected when read and costs only precision (write_file_replace) */
	else if (write_file_replace(path, data, n) < 0)
		ret = error("cannot write blob of task '%s' to '%s':", name, path);
	free(path);
	free(dir);
	return ret;
}

int state_get_blob(const struct state *s, const char *name, struct buf *out)
{
	char *path = blob_path(s, name);
	size_t len = out->len;
	int ret = 0;

	if (read_file(path, out) < 0) {
		if (errno != ENOENT)
			error("cannot read blob of task '%s' from '%s':", name, path);
		/* read_file may have appended part of the file */
		out->len = len;
		if (out->data)
			out->data[len] = '\0';
		ret = -1;
	}
	free(path);
	return ret;
}

/* compact: rewrite the log with only the live records, replacing it by rename so lock-free readers see old or new. */
static void compact(struct state *s)
{
	const struct slot **v = sorted(s);
	struct buf b = BUF_INIT;
	size_t i;

	add_header(&b);
	for (i = 0; i < s->live; i++)
		encode(&b, v[i]->name, &v[i]->rec);
	if (write_file_atomic(s->path, b.data, b.len) < 0)
		warn("cannot compact state file '%s':", s->path);
	buf_release(&b);
	free(v);
}

void state_close(struct state *s)
{
	size_t dead;

	if (!s)
		return;
	dead = s->nframes - s->live;
	if ((s->flags & STATE_WRITE) && dead > s->live && dead > COMPACT_MIN_DEAD)
		compact(s);
	state_free(s);
}
