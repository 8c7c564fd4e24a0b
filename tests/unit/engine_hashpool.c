/* Unit tests for hashpool: the same hashes and errors on one thread and on many, in list order, the stat cache used
 * and updated, and a stop. */
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

static void make_tree(struct tree *t)
{
	for (size_t i = 0; i < NFILES; i++) {
		struct stat st;
		t->names[i] = xasprintf("f%03zu", i);
		put(t->names[i], i % 7 == 0 ? 0 : i == 250 ? 3 * HASH_BLOCK + 17 : 1 + i * 13 % 5000, (unsigned)i);
		if (fstatat(root, t->names[i], &st, 0) < 0)
			fatal("stat:");
		filestat_from(&t->st[i], &st);
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

	/* an empty list */
	CHECK_INT(hashpool_hash(&ke, "t", t.jobs, 0), 0);

	for (size_t i = 0; i < NFILES; i++)
		free(t.names[i]);
	close(root);
	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	return t_done("engine_hashpool");
}
