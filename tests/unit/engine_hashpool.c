/* Unit tests for hashpool: the same hashes and errors on one thread and on many, in list order, the stat cache used
 * and updated, a feed that reads while a walk lists, and a stop. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "filecache.h"
#include "hashpool.h"
#include "key.h"
#include "t.h"
#include "util.h"

#define NFILES 500

static int root = -1;
static char dir[] = "/tmp/sb-hashpool-XXXXXX";

/* put: a file of n bytes that depend on seed (n 0: empty). */
static void put(const char *path, size_t n, unsigned seed)
{
	char *data = xmalloc(n + 1);
	int fd = openat(root, path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	for (size_t i = 0; i < n; i++)
		data[i] = (char)(seed * 31 + i * 7 + (i >> 9));
	if (fd < 0 || write(fd, data, n) != (ssize_t)n || close(fd) < 0)
		fatal("cannot write '%s':", path);
	free(data);
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	return remove(path);
}

/* The tree: NFILES files, some empty, one of several read blocks, one missing in the middle of the list. */
struct tree {
	char *names[NFILES];
	struct filestat st[NFILES];
	struct hashjob jobs[NFILES];
};

/* restat: the stat data of file i, written again. */
static void restat(struct tree *t, size_t i)
{
	struct stat st;

	if (fstatat(root, t->names[i], &st, 0) < 0)
		fatal("stat:");
	filestat_from(&t->st[i], &st);
}

static void make_tree(struct tree *t)
{
	for (size_t i = 0; i < NFILES; i++) {
		t->names[i] = xasprintf("f%03zu", i);
		put(t->names[i], i % 7 == 0 ? 0 : i == 250 ? 3 * HASH_BLOCK + 17 : 1 + i * 13 % 5000, (unsigned)i);
		restat(t, i);
	}
}

static void jobs_of(struct tree *t)
{
	for (size_t i = 0; i < NFILES; i++) {
		memset(&t->jobs[i], 0, sizeof(t->jobs[i]));
		t->jobs[i].path = t->names[i];
		t->jobs[i].st = &t->st[i];
	}
}

int main(void)
{
	static struct tree t;
	struct hash128 want[NFILES], fake = {1, 2};
	volatile int stop = 0;
	struct keyenv ke = {.stop = &stop};
	size_t hits, hashed;
	int ok;

	if (!mkdtemp(dir) || (root = open(dir, O_RDONLY | O_DIRECTORY)) < 0)
		fatal("mkdtemp:");
	ke.rootfd = root;
	make_tree(&t);
	for (size_t i = 0; i < NFILES; i++)
		if (hash_file(root, t.names[i], &want[i]) < 0)
			fatal("hash_file:");
	CHECK(hashpool_threads(0) >= 1);
	CHECK_INT(hashpool_threads(3), 3);
	CHECK_INT(hashpool_threads(10000), HASHPOOL_MAX);

	/* without a cache, on 1, 2, 8 and 64 threads: every job its own file's hash, whatever thread read it */
	unsigned counts[] = {1, 2, 8, 64};
	for (size_t c = 0; c < LEN(counts); c++) {
		ke.hash_threads = counts[c];
		jobs_of(&t);
		CHECK_INT(hashpool_hash(&ke, "t", t.jobs, NFILES), 0);
		ok = 1;
		for (size_t i = 0; i < NFILES; i++)
			ok &= t.jobs[i].err == 0 && hash_eq(&t.jobs[i].hash, &want[i]);
		CHECK(ok);
	}

	/* errors stay with their job: a missing file in the middle, every other job hashed */
	if (unlinkat(root, t.names[123], 0) < 0)
		fatal("unlink:");
	for (size_t c = 0; c < LEN(counts); c++) {
		ke.hash_threads = counts[c];
		jobs_of(&t);
		CHECK_INT(hashpool_hash(&ke, "t", t.jobs, NFILES), 0);
		CHECK_INT(t.jobs[123].err, ENOENT);
		ok = 1;
		for (size_t i = 0; i < NFILES; i++)
			ok &= i == 123 || (t.jobs[i].err == 0 && hash_eq(&t.jobs[i].hash, &want[i]));
		CHECK(ok);
	}
	put(t.names[123], 1 + 123 * 13 % 5000, 123);
	restat(&t, 123);

	/* with a cache: a trusted entry is taken as it is (a fake hash proves the file was not read), the others are
	 * read and put (t0064 proves each under its own path: a later run takes them) */
	ke.fc = filecache_load("/nonexistent/sb-hashpool-cache");
	filecache_put(ke.fc, t.names[5], &t.st[5], &fake, now_ns() + 60 * 1000000000LL);
	ke.hash_threads = 8;
	jobs_of(&t);
	CHECK_INT(hashpool_hash(&ke, "t", t.jobs, NFILES), 0);
	CHECK(hash_eq(&t.jobs[5].hash, &fake));
	filecache_stats(ke.fc, &hits, &hashed);
	CHECK_INT(hits, 1);
	CHECK_INT(hashed, 1 + NFILES - 1); /* the fake put, then every file but the one taken */
	ok = 1;
	for (size_t i = 0; i < NFILES; i++)
		ok &= i == 5 || (t.jobs[i].err == 0 && hash_eq(&t.jobs[i].hash, &want[i]));
	CHECK(ok);
	filecache_free(ke.fc);
	ke.fc = NULL;

	/* stat data the walk left unknown (FILESET_DEFER): the read takes it from the file it opened, the same as a
	 * stat gives, on any number of threads; with a cache, it is put with it and counted as a walk's stat; a file
	 * that became a directory is an error, not hashed */
	static struct filestat fresh[NFILES];
	for (size_t c = 0; c < LEN(counts); c++) {
		ke.hash_threads = counts[c];
		ke.fc = c == 1 ? filecache_load("/nonexistent/sb-hashpool-cache") : NULL;
		jobs_of(&t);
		memset(fresh, 0, sizeof(fresh));
		for (size_t i = 0; i < NFILES; i += 1 + c)
			t.jobs[i].st = &fresh[i];
		CHECK_INT(hashpool_hash(&ke, "t", t.jobs, NFILES), 0);
		ok = 1;
		for (size_t i = 0; i < NFILES; i++)
			ok &= t.jobs[i].err == 0 && hash_eq(&t.jobs[i].hash, &want[i]) &&
			      memcmp(t.jobs[i].st, &t.st[i], sizeof(t.st[i])) == 0;
		CHECK(ok);
		if (ke.fc) {
			size_t stats, known;
			struct hash128 h;
			filecache_walk_stats(ke.fc, &stats, &known);
			CHECK_INT(stats, (NFILES + 1) / 2);
			CHECK(filecache_has(ke.fc, t.names[0], strlen(t.names[0])));
			CHECK(!filecache_lookup(ke.fc, t.names[0], &t.st[1], &h)); /* put under its own stat data */
			filecache_free(ke.fc);
			ke.fc = NULL;
		}
	}
	if (unlinkat(root, t.names[7], 0) < 0 || mkdirat(root, t.names[7], 0755) < 0)
		fatal("mkdir:");
	jobs_of(&t);
	memset(&fresh[7], 0, sizeof(fresh[7]));
	t.jobs[7].st = &fresh[7];
	CHECK_INT(hashpool_hash(&ke, "t", t.jobs, NFILES), 0);
	CHECK_INT(t.jobs[7].err, EISDIR);
	CHECK(filestat_unknown(&fresh[7]));

	/* hashpool_stat: the unknown stat data of a fileset taken on the threads, as a stat gives it; a file gone is
	 * dropped, and what became a directory is kept as one (it differs from the file that was keyed) */
	for (size_t c = 0; c < LEN(counts); c++) {
		struct fileset fs;
		struct buf err = BUF_INIT;
		fileset_init(&fs);
		for (size_t i = 0; i < NFILES; i++) {
			GROW(fs.v, fs.n, fs.cap);
			fs.v[fs.n].path = xstrdup(t.names[i]);
			fs.v[fs.n].link = 0;
			if (i % 3 == 0 || i == 7)
				memset(&fs.v[fs.n].st, 0, sizeof(fs.v[fs.n].st));
			else
				fs.v[fs.n].st = t.st[i];
			fs.n++;
		}
		if (c == 2 && unlinkat(root, t.names[123], 0) < 0)
			fatal("unlink:");
		ke.hash_threads = counts[c];
		CHECK_INT(hashpool_stat(&ke, &fs, NULL, &err), 0);
		CHECK_INT(fs.n, c >= 2 ? NFILES - 1 : NFILES);
		ok = 1;
		for (size_t i = 0, j = 0; i < NFILES; i++) {
			if (c >= 2 && i == 123)
				continue;
			const struct fileent *e = &fs.v[j++];
			ok &= strcmp(e->path, t.names[i]) == 0 &&
			      (i == 7 ? S_ISDIR(e->st.mode) : memcmp(&e->st, &t.st[i], sizeof(t.st[i])) == 0);
		}
		CHECK(ok);
		fileset_release(&fs);
		buf_release(&err);
	}
	if (unlinkat(root, t.names[7], AT_REMOVEDIR) < 0)
		fatal("rmdir:");
	put(t.names[7], 0, 7); /* as make_tree made it: empty */
	put(t.names[123], 1 + 123 * 13 % 5000, 123);
	restat(&t, 7);
	restat(&t, 123);

	/* a feed: each file a walk defers is read (or stat'ed) on the threads as the walk lists it, with the hash and
	 * stat data a read gives, whatever the thread count; hashpool_hash and hashpool_stat take those results (a
	 * cache then counts no read of its own); a walk that fails, and a stop, end it without a hang */
	for (size_t c = 0; c < LEN(counts); c++) {
		for (int stat_only = 0; stat_only < 2; stat_only++) {
			struct fileset fs;
			struct fileset_feed ff;
			struct buf err = BUF_INIT;
			const char *pat = "f*";
			struct hashfeed *feed;
			ke.hash_threads = counts[c];
			fileset_init(&fs);
			feed = hashfeed_new(&ke, stat_only, &ff);
			CHECK_INT(fileset_expand_fed(&fs, root, &pat, 1, NULL, 0, NULL, NULL, FILESET_DEFER, &ff, &err), 0);
			CHECK_INT(fs.n, NFILES);
			ok = 1;
			for (size_t i = 0; i < NFILES && ok; i++) {
				const struct hashfed *f = hashfeed_get(feed, fs.v[i].fed);
				ok &= f && f->err == 0 && f->path == fs.v[i].path && filestat_unknown(&fs.v[i].st) &&
				      memcmp(&f->st, &t.st[i], sizeof(t.st[i])) == 0 && (stat_only || hash_eq(&f->hash, &want[i]));
			}
			CHECK(ok);
			CHECK(!hashfeed_get(feed, 0) && !hashfeed_get(feed, NFILES + 1));
			if (stat_only) {
				CHECK_INT(hashpool_stat(&ke, &fs, feed, &err), 0);
				ok = fs.n == NFILES;
				for (size_t i = 0; i < fs.n; i++)
					ok &= memcmp(&fs.v[i].st, &t.st[i], sizeof(t.st[i])) == 0;
				CHECK(ok);
			} else {
				static struct hashjob fj[NFILES];
				ke.fc = filecache_load("/nonexistent/sb-hashpool-cache");
				for (size_t i = 0; i < NFILES; i++)
					fj[i] = (struct hashjob){.path = fs.v[i].path, .st = &fs.v[i].st,
					                         .fed = hashfeed_get(feed, fs.v[i].fed)};
				/* a fake result proves the feed's is taken, not read again */
				((struct hashfed *)fj[3].fed)->hash = fake;
				CHECK_INT(hashpool_hash(&ke, "t", fj, NFILES), 0);
				CHECK(hash_eq(&fj[3].hash, &fake));
				ok = 1;
				for (size_t i = 0; i < NFILES; i++)
					ok &= fj[i].err == 0 && (i == 3 || hash_eq(&fj[i].hash, &want[i])) &&
					      memcmp(fj[i].st, &t.st[i], sizeof(t.st[i])) == 0;
				CHECK(ok);
				filecache_stats(ke.fc, &hits, &hashed);
				CHECK_INT(hits, 0);
				CHECK_INT(hashed, NFILES); /* each put as the feed read it */
				filecache_free(ke.fc);
				ke.fc = NULL;
			}
			hashfeed_free(feed);
			fileset_release(&fs);
			/* a walk that fails after listing files: -1, the set as it was, the feed ended */
			const char *bad[] = {"f*", "no-such-file"};
			feed = hashfeed_new(&ke, stat_only, &ff);
			CHECK_INT(fileset_expand_fed(&fs, root, bad, 2, NULL, 0, NULL, NULL, FILESET_DEFER, &ff, &err), -1);
			CHECK_INT(fs.n, 0);
			fileset_release(&fs);
			hashfeed_free(feed);
			buf_release(&err);
		}
	}
	/* a stop while the walk lists: the calling thread does no job after the walk; what no thread did keeps EINTR */
	{
		struct fileset fs;
		struct fileset_feed ff;
		struct buf err = BUF_INIT;
		const char *pat = "f*";
		struct hashfeed *feed;
		static struct hashjob fj[NFILES];
		stop = 1;
		ke.hash_threads = 1;
		fileset_init(&fs);
		feed = hashfeed_new(&ke, 0, &ff);
		CHECK_INT(fileset_expand_fed(&fs, root, &pat, 1, NULL, 0, NULL, NULL, FILESET_DEFER, &ff, &err), 0);
		ok = fs.n == NFILES;
		for (size_t i = 0; i < fs.n; i++) {
			ok &= hashfeed_get(feed, fs.v[i].fed)->err == EINTR;
			fj[i] = (struct hashjob){.path = fs.v[i].path, .st = &fs.v[i].st, .fed = hashfeed_get(feed, fs.v[i].fed)};
		}
		CHECK(ok);
		CHECK_INT(hashpool_hash(&ke, "t", fj, fs.n), -1);
		hashfeed_free(feed);
		fileset_release(&fs);
		buf_release(&err);
		stop = 0;
	}

	/* a stop: -1 however many threads (how many files they read first depends on the schedule), and alone the
	 * calling thread reads none, the jobs keeping EINTR */
	stop = 1;
	ke.hash_threads = 4;
	jobs_of(&t);
	CHECK_INT(hashpool_hash(&ke, "t", t.jobs, NFILES), -1);
	ke.hash_threads = 1;
	jobs_of(&t);
	CHECK_INT(hashpool_hash(&ke, "t", t.jobs, NFILES), -1);
	ok = 1;
	for (size_t i = 0; i < NFILES; i++)
		ok &= t.jobs[i].err == EINTR;
	CHECK(ok);
	stop = 0;

	/* a file replaced after the walk stat'ed it (renamed over, or by a FIFO): the stat data kept with the hash is that
	 * of the file read, and a FIFO does not block (alarm: fail rather than hang) */
	{
		struct filestat was, b;
		struct stat sb;
		struct hash128 h;
		struct hashjob j;
		ke.hash_threads = 1;
		ke.fc = filecache_load("/nonexistent/sb-hashpool-cache");
		put("swapped", 100, 1);
		put("swapped.new", 200, 2);
		if (fstatat(root, "swapped", &sb, 0) < 0)
			fatal("stat:");
		filestat_from(&was, &sb);
		if (fstatat(root, "swapped.new", &sb, 0) < 0 || hash_file(root, "swapped.new", &h) < 0 ||
		    renameat(root, "swapped.new", root, "swapped") < 0)
			fatal("rename:");
		filestat_from(&b, &sb);
		j = (struct hashjob){.path = "swapped", .st = &was};
		CHECK_INT(hashpool_hash(&ke, "t", &j, 1), 0);
		CHECK_INT(j.err, 0);
		CHECK(hash_eq(&j.hash, &h));
		CHECK(j.st->ino == b.ino && j.st->size == 200); /* not the stat data of the file replaced */
		if (unlinkat(root, "swapped", 0) < 0 || mkfifoat(root, "swapped", 0644) < 0)
			fatal("mkfifo:");
		alarm(30);
		j = (struct hashjob){.path = "swapped", .st = &was};
		CHECK_INT(hashpool_hash(&ke, "t", &j, 1), 0);
		CHECK_INT(j.err, EINVAL);
		alarm(0);
		unlinkat(root, "swapped", 0);
		filecache_free(ke.fc);
		ke.fc = NULL;
	}

	/* an empty list */
	CHECK_INT(hashpool_hash(&ke, "t", t.jobs, 0), 0);

	for (size_t i = 0; i < NFILES; i++)
		free(t.names[i]);
	close(root);
	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	return t_done("engine_hashpool");
}
