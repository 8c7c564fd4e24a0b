/* Unit tests for filecache: hits and misses, the racy-timestamp rule, persistence and damaged cache files. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "filecache.h"
#include "t.h"
#include "trust.h"
#include "util.h"
#include "util.h"

#define NMANY 3000

static int root = -1;
static char dir[] = "/tmp/sb-filecache-XXXXXX";
static char cache[64];

static void put(const char *path, const char *data)
{
	int fd = openat(root, path, O_WRONLY | O_CREAT | O_TRUNC, 0666);

	if (fd < 0 || write(fd, data, strlen(data)) != (ssize_t)strlen(data) || close(fd) < 0)
		fatal("cannot write '%s':", path);
}

/* age: set path's mtime an hour back (its ctime becomes now). */
static void age(const char *path)
{
	struct timespec ts[2];

	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= 3600;
	ts[1] = ts[0];
	if (utimensat(root, path, ts, 0) < 0)
		fatal("utimensat '%s':", path);
}

/* set_mtime: put path's mtime back to ns, as an editor or tar preserving timestamps would. */
static void set_mtime(const char *path, int64_t ns)
{
	struct timespec ts[2] = {{0, UTIME_OMIT}, {(time_t)(ns / 1000000000), (long)(ns % 1000000000)}};

	if (utimensat(root, path, ts, 0) < 0)
		fatal("utimensat '%s':", path);
}

static struct filestat fstat_of(const char *path)
{
	struct filestat fst;
	struct stat st;

	if (fstatat(root, path, &st, 0) < 0)
		fatal("stat '%s':", path);
	filestat_from(&fst, &st);
	return fst;
}

/* lookup: filecache_hash on path with its current stat; the hash, which must equal a direct hash of the file. */
static struct hash128 lookup(struct filecache *fc, const char *path)
{
	struct filestat st = fstat_of(path);
	struct hash128 h = {0, 0}, want = {0, 0};

	CHECK_INT(filecache_hash(fc, root, path, &st, &h), 0);
	CHECK_INT(hash_file(root, path, &want), 0);
	CHECK(hash_eq(&h, &want));
	return h;
}

static void check_stats(const struct filecache *fc, size_t hits, size_t hashed)
{
	size_t h = 99, n = 99;

	filecache_stats(fc, &h, &n);
	CHECK_INT(h, hits);
	CHECK_INT(n, hashed);
}

/* Capture stderr in a file so warnings can be checked. */
static int saved_stderr = -1;

static void capture_start(void)
{
	int fd = openat(root, "stderr.txt", O_RDWR | O_CREAT | O_TRUNC, 0666);

	fflush(stderr);
	saved_stderr = dup(2);
	if (fd < 0 || saved_stderr < 0 || dup2(fd, 2) < 0)
		fatal("cannot capture stderr:");
	close(fd);
}

/* capture_end: what was written to stderr since capture_start. The caller frees. */
static char *capture_end(void)
{
	struct buf b = BUF_INIT;
	char *p = xasprintf("%s/stderr.txt", dir);

	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	if (read_file(p, &b) < 0)
		fatal("read '%s':", p);
	free(p);
	return buf_detach(&b);
}

static struct filecache *load_quiet(const char *path, int want_warning)
{
	struct filecache *fc;
	char *msg;

	capture_start();
	fc = filecache_load(path);
	filecache_read(fc);
	msg = capture_end();
	if (want_warning) {
		CHECK(strstr(msg, "warning") != NULL);
		CHECK(strstr(msg, path) != NULL);
		/* exactly one line */
		CHECK(strchr(msg, '\n') && strchr(msg, '\n') == strrchr(msg, '\n'));
	} else {
		CHECK_STR(msg, "");
	}
	free(msg);
	return fc;
}

static void test_miss_hit_racy(void)
{
	struct filecache *fc;
	struct hash128 h1, h2, hf;

	unlink(cache);
	fc = load_quiet(cache, 0);
	CHECK_INT(filecache_dirty(fc), 0);
	h1 = lookup(fc, "old.txt");
	check_stats(fc, 0, 1);
	CHECK_INT(filecache_dirty(fc), 1);
	h2 = lookup(fc, "old.txt");
	check_stats(fc, 1, 1);
	CHECK(hash_eq(&h1, &h2));
	/* fresh.txt was written just now: within the racy window it is read on every use, even in one process. */
	lookup(fc, "fresh.txt");
	lookup(fc, "fresh.txt");
	check_stats(fc, 1, 3);
	CHECK_INT(filecache_save(fc, cache, root), 0);
	CHECK_INT(filecache_dirty(fc), 0);
	filecache_free(fc);

	/* Reloaded: the old file is trusted with the same hash, the racy one is read again. */
	fc = load_quiet(cache, 0);
	h2 = lookup(fc, "old.txt");
	check_stats(fc, 1, 0);
	CHECK(hash_eq(&h1, &h2));
	hf = lookup(fc, "fresh.txt");
	check_stats(fc, 1, 1);
	CHECK(!hash_eq(&hf, &h1));
	filecache_free(fc);
}

static void test_change_same_size(void)
{
	struct filecache *fc;
	struct hash128 a, b;
	struct filestat before, after;

	unlink(cache);
	fc = load_quiet(cache, 0);
	before = fstat_of("same.txt");
	a = lookup(fc, "same.txt");
	lookup(fc, "same.txt");
	check_stats(fc, 1, 1);
	/* Same size and the mtime put back: the ctime still gives it away. */
	put("same.txt", "bbbb");
	set_mtime("same.txt", before.mtime_ns);
	after = fstat_of("same.txt");
	CHECK_INT(after.size, before.size);
	CHECK_INT(after.mtime_ns, before.mtime_ns);
	CHECK_INT(after.ino, before.ino);
	b = lookup(fc, "same.txt");
	check_stats(fc, 1, 2);
	CHECK(!hash_eq(&a, &b));
	filecache_free(fc);
}

static void test_not_dirty(void)
{
	struct filecache *fc;
	struct stat s1, s2;
	struct hash128 h;

	unlink(cache);
	fc = load_quiet(cache, 0);
	lookup(fc, "old.txt");
	lookup(fc, "keep.txt");
	CHECK_INT(filecache_save(fc, cache, root), 0);
	/* A second save of the same process writes nothing either. */
	CHECK_INT(filecache_save(fc, cache, root), 0);
	filecache_free(fc);
	CHECK(stat(cache, &s1) == 0);

	fc = load_quiet(cache, 0);
	lookup(fc, "old.txt");
	check_stats(fc, 1, 0);
	CHECK_INT(filecache_dirty(fc), 0);
	CHECK_INT(filecache_save(fc, cache, root), 0);
	filecache_free(fc);
	CHECK(stat(cache, &s2) == 0);
	CHECK_INT(s1.st_ino, s2.st_ino);
	CHECK_INT(s1.st_mtim.tv_sec, s2.st_mtim.tv_sec);
	CHECK_INT(s1.st_mtim.tv_nsec, s2.st_mtim.tv_nsec);

	/* A failed read leaves the cache as it was and sets errno. */
	fc = load_quiet(cache, 0);
	struct filestat st = fstat_of("old.txt");
	errno = 0;
	CHECK_INT(filecache_hash(fc, root, "missing.txt", &st, &h), -1);
	CHECK_INT(errno, ENOENT);
	check_stats(fc, 0, 0);
	CHECK_INT(filecache_dirty(fc), 0);
	filecache_free(fc);
}

static void test_round_trip_many(void)
{
	static struct hash128 hs[NMANY];
	struct filecache *fc;
	char name[32];
	size_t i, bad = 0;

	unlink(cache);
	fc = load_quiet(cache, 0);
	for (i = 0; i < NMANY; i++) {
		snprintf(name, sizeof(name), "many/f%zu", i);
		hs[i] = lookup(fc, name);
	}
	check_stats(fc, 0, NMANY);
	CHECK_INT(filecache_save(fc, cache, root), 0);
	filecache_free(fc);

	fc = load_quiet(cache, 0);
	for (i = 0; i < NMANY; i++) {
		struct hash128 h;
		struct filestat st;

		snprintf(name, sizeof(name), "many/f%zu", i);
		st = fstat_of(name);
		if (filecache_hash(fc, root, name, &st, &h) < 0 || !hash_eq(&h, &hs[i]))
			bad++;
	}
	CHECK_INT(bad, 0);
	check_stats(fc, NMANY, 0);
	CHECK_INT(filecache_dirty(fc), 0);
	/* Different contents gave different hashes, so the hits did not all return one entry. */
	CHECK(!hash_eq(&hs[0], &hs[1]));
	filecache_free(fc);
}

static void save_valid(void)
{
	struct filecache *fc;

	unlink(cache);
	fc = load_quiet(cache, 0);
	lookup(fc, "old.txt");
	lookup(fc, "keep.txt");
	CHECK_INT(filecache_save(fc, cache, root), 0);
	filecache_free(fc);
}

/* rewrite: the cache file changed by fn. */
static void rewrite(void (*fn)(struct buf *b))
{
	struct buf b = BUF_INIT;

	if (read_file(cache, &b) < 0)
		fatal("read '%s':", cache);
	fn(&b);
	if (write_file_atomic(cache, b.data, b.len) < 0)
		fatal("write '%s':", cache);
	buf_release(&b);
}

/* damage: rewrite the cache file by fn, then check that loading it warns and gives an empty cache that heals. */
static void damaged(void (*fn)(struct buf *b))
{
	struct filecache *fc;

	save_valid();
	rewrite(fn);

	/* Empty: what the valid file had is read again. */
	fc = load_quiet(cache, 1);
	lookup(fc, "old.txt");
	check_stats(fc, 0, 1);
	filecache_free(fc);
	/* Dirty with nothing looked up, so the next save replaces the bad file with one that loads cleanly. */
	fc = load_quiet(cache, 1);
	CHECK_INT(filecache_dirty(fc), 1);
	CHECK_INT(filecache_save(fc, cache, root), 0);
	filecache_free(fc);
	fc = load_quiet(cache, 0);
	CHECK_INT(filecache_dirty(fc), 0);
	lookup(fc, "old.txt");
	check_stats(fc, 0, 1);
	filecache_free(fc);
}

static void flip_middle(struct buf *b)
{
	b->data[b->len / 2] ^= 0x10;
}

static void flip_magic(struct buf *b)
{
	b->data[0] ^= 0x01;
}

static void flip_version(struct buf *b)
{
	b->data[4] = 99;
}

static void flip_checksum(struct buf *b)
{
	b->data[b->len - 1] ^= 0x80;
}

static void cut_tail(struct buf *b)
{
	b->len -= 5;
}

static void cut_header(struct buf *b)
{
	b->len = 10;
}

static void cut_all(struct buf *b)
{
	b->len = 0;
}

static void garbage(struct buf *b)
{
	buf_reset(b);
	buf_adds(b, "this is not a cache file at all, just some text\n");
}

static void test_damaged(void)
{
	char *msg;

	damaged(flip_middle);
	damaged(flip_magic);
	damaged(flip_version);
	damaged(flip_checksum);
	damaged(cut_tail);
	damaged(cut_header);
	damaged(cut_all);
	damaged(garbage);

	/* The version warning says which version it found. */
	struct buf b = BUF_INIT;
	save_valid();
	if (read_file(cache, &b) < 0)
		fatal("read '%s':", cache);
	flip_version(&b);
	if (write_file_atomic(cache, b.data, b.len) < 0)
		fatal("write '%s':", cache);
	buf_release(&b);
	capture_start();
	filecache_free(filecache_load(cache));
	msg = capture_end();
	CHECK(strstr(msg, "version 99") != NULL);
	free(msg);

	/* A cache path that cannot be read (a directory) also warns and gives an empty cache. */
	struct filecache *fc = load_quiet(dir, 1);
	check_stats(fc, 0, 0);
	filecache_free(fc);
}

static int file_has(const char *path, const char *needle)
{
	struct buf b = BUF_INIT;
	int r;

	if (read_file(path, &b) < 0)
		fatal("read '%s':", path);
	r = memmem(b.data, b.len, needle, strlen(needle)) != NULL;
	buf_release(&b);
	return r;
}

static void test_drop_unused(void)
{
	struct filecache *fc;

	unlink(cache);
	put("gone-xyzzy.txt", "soon gone");
	fc = load_quiet(cache, 0);
	lookup(fc, "old.txt");
	lookup(fc, "keep.txt");
	lookup(fc, "gone-xyzzy.txt");
	CHECK_INT(filecache_save(fc, cache, root), 0);
	filecache_free(fc);
	CHECK(file_has(cache, "gone-xyzzy.txt"));
	CHECK(file_has(cache, "keep.txt"));

	/* keep.txt is unused but exists: kept. gone-xyzzy.txt is unused and deleted: dropped. */
	unlinkat(root, "gone-xyzzy.txt", 0);
	fc = load_quiet(cache, 0);
	lookup(fc, "old.txt");
	lookup(fc, "fresh.txt"); /* something new makes the cache dirty */
	CHECK_INT(filecache_save(fc, cache, root), 0);
	filecache_free(fc);
	CHECK(!file_has(cache, "gone-xyzzy.txt"));
	CHECK(file_has(cache, "keep.txt"));
	fc = load_quiet(cache, 0);
	lookup(fc, "keep.txt");
	check_stats(fc, 1, 0);
	filecache_free(fc);

	/* A used entry is kept even when its file disappears before the save. */
	put("used-gone.txt", "x");
	fc = load_quiet(cache, 0);
	lookup(fc, "used-gone.txt");
	unlinkat(root, "used-gone.txt", 0);
	CHECK_INT(filecache_save(fc, cache, root), 0);
	filecache_free(fc);
	CHECK(file_has(cache, "used-gone.txt"));
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

/* test_lazy: a cache is read only when an entry is needed: its header counts the records until then, and a body
 * gone bad is warned about when it is read, not before. */
static void test_lazy(void)
{
	struct filecache *fc;
	char *msg;

	save_valid();
	capture_start();
	fc = filecache_load(cache);
	msg = capture_end();
	CHECK_STR(msg, "");
	free(msg);
	CHECK_INT(filecache_size(fc), 2);
	CHECK_INT(filecache_dirty(fc), 0);
	filecache_free(fc);

	rewrite(flip_middle);
	capture_start();
	fc = filecache_load(cache);
	msg = capture_end();
	CHECK_STR(msg, "");
	free(msg);
	capture_start();
	lookup(fc, "old.txt"); /* needs an entry: reads the file, finds it bad, hashes the file again */
	msg = capture_end();
	CHECK(strstr(msg, "warning") != NULL && strstr(msg, cache) != NULL);
	free(msg);
	check_stats(fc, 0, 1);
	CHECK_INT(filecache_dirty(fc), 1);
	filecache_free(fc);
}

/* walk_kept: whether a record of a walk from bases survives a load with these changed paths (NULL: none). */
static int walk_kept(const char *bases, const char *changed)
{
	struct filecache *fc = filecache_load(cache);
	struct trust t = TRUST_INIT;
	struct buf text = BUF_INIT, ch = BUF_INIT;
	struct hash128 spec = {1, 2}, digest = {3, 4}, got;
	uint64_t count = 0;
	int kept;

	buf_addf(&text, "walk 00000000000000020000000000000001 00000000000000040000000000000003 7 %s\n", bases);
	if (changed)
		buf_adds(&ch, changed);
	filecache_walks_load(fc, text.data, text.len, changed ? &ch : NULL, &t);
	kept = filecache_walk_get(fc, &spec, &got, &count);
	if (kept) {
		CHECK(hash_eq(&got, &digest));
		CHECK_INT(count, 7);
	}
	/* a task started: no record holds after it */
	trust_task_started(&t);
	CHECK_INT(filecache_walk_get(fc, &spec, &got, &count), 0);
	trust_task_ended(&t);
	CHECK_INT(filecache_walk_get(fc, &spec, &got, &count), 0);
	buf_release(&text);
	buf_release(&ch);
	filecache_free(fc);
	return kept;
}

/* test_walks: which walks on record a list of changed paths leaves standing: none at, below or above a base. */
static void test_walks(void)
{
	CHECK_INT(walk_kept("src conf/app.conf ", NULL), 1);
	CHECK_INT(walk_kept("src conf/app.conf ", "docs/x\n"), 1);
	CHECK_INT(walk_kept("src conf/app.conf ", "src/x\n"), 0);
	CHECK_INT(walk_kept("src conf/app.conf ", "src\n"), 0);
	CHECK_INT(walk_kept("src conf/app.conf ", "docs\nconf\n"), 0);
	CHECK_INT(walk_kept("src conf/app.conf ", "conf/app.conf.bak\nsrcs/y\n"), 1);
	CHECK_INT(walk_kept("a/b/c ", "a\n"), 0);
	CHECK_INT(walk_kept("my%20dir ", "my dir/f\n"), 0);
	CHECK_INT(walk_kept("my%20dir ", "my\n"), 1);
	CHECK_INT(walk_kept(" ", "anything/at/all\n"), 0); /* a walk of the whole project */
	CHECK_INT(walk_kept(" ", NULL), 1);
	/* a record gone bad: an escape cut short is read as it stands, and no base at all is touched by any change */
	CHECK_INT(walk_kept("src%2", "src%2/x\n"), 0);
	CHECK_INT(walk_kept("src%zz ", "src%zz\n"), 0);
	CHECK_INT(walk_kept("", "docs/x\n"), 0);
	CHECK_INT(walk_kept("", NULL), 1);

	/* the records are read within their length, never up to a NUL: text that ends at a page no one may read */
	{
		long page = sysconf(_SC_PAGESIZE);
		static const char rec[] = "walk 00000000000000020000000000000001 00000000000000040000000000000007 7 src\n";
		char *m = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		struct filecache *fc = filecache_load(cache);
		struct trust t = TRUST_INIT;
		struct hash128 spec = {1, 2}, got;
		uint64_t count;
		if (m == MAP_FAILED || mprotect(m + page, (size_t)page, PROT_NONE) < 0)
			fatal("mmap:");
		char *text = m + page - (sizeof(rec) - 1);
		memcpy(text, rec, sizeof(rec) - 1);
		filecache_walks_load(fc, text, sizeof(rec) - 1, NULL, &t);
		CHECK_INT(filecache_walk_get(fc, &spec, &got, &count), 1);
		CHECK_INT(count, 7);
		filecache_free(fc);
		munmap(m, (size_t)page * 2);
	}

	/* records no run takes do not pile up: past 1,024, only those taken or put are kept */
	for (size_t n = 1000; n <= 1100; n += 100) {
		struct filecache *fc = filecache_load(cache);
		struct trust t = TRUST_INIT;
		struct buf text = BUF_INIT, out = BUF_INIT;
		struct hash128 spec = {5, 0}, got;
		uint64_t count;
		size_t lines = 0;
		for (size_t i = 1; i <= n; i++)
			buf_addf(&text, "walk %016zx%016zx 00000000000000040000000000000003 1 src \n", (size_t)0, i);
		filecache_walks_load(fc, text.data, text.len, NULL, &t);
		CHECK_INT(filecache_walk_get(fc, &spec, &got, &count), 1);
		filecache_walks(fc, &out);
		for (size_t i = 0; i < out.len; i++)
			lines += out.data[i] == '\n';
		CHECK_INT(lines, n == 1000 ? 1000 : 1);
		CHECK(strstr(out.data ? out.data : "", "walk 00000000000000000000000000000005 ") != NULL);
		buf_release(&text);
		buf_release(&out);
		filecache_free(fc);
	}
}

/* A file replaced between the caller's stat and the read: its hash is not cached under the stat data of the file it
 * replaced, which stays trusted (old enough), or a later lookup with that stat data would get the new file's hash. */
static void test_replaced(void)
{
	struct filecache *fc = load_quiet("/nonexistent/sb-filecache-replaced", 0);
	struct filestat was = fstat_of("swap-a.txt");
	struct hash128 h, want, got;

	if (hash_file(root, "swap-b.txt", &want) < 0 || renameat(root, "swap-b.txt", root, "swap-a.txt") < 0)
		fatal("rename:");
	CHECK_INT(filecache_hash(fc, root, "swap-a.txt", &was, &h), 0);
	CHECK(hash_eq(&h, &want)); /* the bytes read */
	CHECK_INT(filecache_lookup(fc, "swap-a.txt", &was, &got), 0);
	/* a FIFO in the file's place: an error at once, not an open that waits for a writer (the alarm fails it) */
	if (unlinkat(root, "swap-a.txt", 0) < 0 || mkfifoat(root, "swap-a.txt", 0644) < 0)
		fatal("mkfifo:");
	alarm(10);
	CHECK_INT(filecache_hash(fc, root, "swap-a.txt", &was, &h), -1);
	CHECK_INT(errno, EINVAL);
	(void)hash_file(root, "swap-a.txt", &h); /* the after-run check's read: it returns (empty or an error) */
	alarm(0);
	filecache_free(fc);
}

int main(void)
{
	char name[32], data[32];
	size_t i;

	if (!mkdtemp(dir))
		fatal("mkdtemp:");
	snprintf(cache, sizeof(cache), "%s/filecache", dir);
	root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0 || mkdirat(root, "many", 0777) < 0)
		fatal("cannot set up '%s':", dir);
	put("old.txt", "old contents");
	put("keep.txt", "kept");
	put("same.txt", "aaaa");
	put("swap-a.txt", "file a");
	put("swap-b.txt", "file b, longer");
	age("old.txt");
	for (i = 0; i < NMANY; i++) {
		snprintf(name, sizeof(name), "many/f%zu", i);
		snprintf(data, sizeof(data), "%zu", i);
		put(name, data);
	}
	/* A file's ctime cannot be set back, so wait out the racy window once for the files that must be trusted. */
	struct timespec wait = {FILECACHE_RACY_NS / 1000000000, FILECACHE_RACY_NS % 1000000000 + 100000000};
	nanosleep(&wait, NULL);
	put("fresh.txt", "fresh contents");

	test_miss_hit_racy();
	test_replaced();
	test_change_same_size();
	test_not_dirty();
	test_round_trip_many();
	test_damaged();
	test_drop_unused();
	test_lazy();
	test_walks();

	close(root);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return t_done("engine_filecache");
}
