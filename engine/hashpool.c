/* hashpool: read and hash the files the stat cache cannot vouch for on a few threads, merged in list order. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "filecache.h"
#include "hashpool.h"
#include "key.h"
#include "util.h"

/* Lists this large report progress every PROGRESS_STEP files. */
#define PROGRESS_MIN 5000
#define PROGRESS_STEP 2048
/* A thread is worth starting for this many files to read; fewer are read by the calling thread alone. */
#define FILES_PER_THREAD 16

/* A job the stat cache could not answer. */
struct miss {
	size_t job; /* its index in v */
	int64_t at; /* when it was read */
};

/*
 * The shared state of one run. Each job that needs reading is taken by exactly one thread (next), which alone writes
 * its hash, err and at; the calling thread reads them only after joining every worker. quit tells the workers that
 * the calling thread saw *stop: a signal's flag is read by that thread alone (signals are blocked in the workers).
 */
struct pool {
	struct hashjob *v;
	struct miss *miss; /* the jobs to read, in list order */
	size_t nmiss;
	int rootfd;
	atomic_size_t next; /* the next index in miss to take */
	atomic_size_t done; /* jobs read, for progress */
	atomic_int quit;
};

unsigned hashpool_threads(unsigned want)
{
	long n = want;

	if (!n) {
		cpu_set_t set;
		n = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : sysconf(_SC_NPROCESSORS_ONLN);
	}
	return n < 1 ? 1 : n > HASHPOOL_MAX ? HASHPOOL_MAX : (unsigned)n;
}

/* read_one: read and hash job v[miss[k]] through block. */
static void read_one(struct pool *p, size_t k, void *block)
{
	struct hashjob *j = &p->v[p->miss[k].job];

	/* taken before reading: a write racing with the read then lands after it and is not trusted (filecache.h) */
	p->miss[k].at = now_ns();
	j->err = hash_file_buf(p->rootfd, j->path, block, HASH_BLOCK, j->st->size, &j->hash) < 0 ? errno : 0;
}

static void *worker(void *arg)
{
	struct pool *p = arg;
	void *block = xmalloc(HASH_BLOCK);
	size_t k;

	while (!atomic_load(&p->quit) && (k = atomic_fetch_add(&p->next, 1)) < p->nmiss) {
		read_one(p, k, block);
		atomic_fetch_add(&p->done, 1);
	}
	free(block);
	return NULL;
}

/* start: up to want - 1 workers (the caller is one more) with every signal blocked, so a ^C reaches the caller;
 * returns how many started. */
static unsigned start(pthread_t *t, unsigned want, struct pool *p)
{
	sigset_t all, old;
	unsigned n = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	while (n + 1 < want && pthread_create(&t[n], NULL, worker, p) == 0)
		n++;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return n;
}

int hashpool_hash(const struct keyenv *ke, const char *task, struct hashjob *v, size_t n)
{
	struct pool p = {.v = v, .rootfd = ke->rootfd};
	size_t cap = 0, hits;
	int report = ke->progress && n >= PROGRESS_MIN, stopped = 0;
	pthread_t t[HASHPOOL_MAX];
	unsigned want, started;
	void *block;

	for (size_t i = 0; i < n; i++) {
		v[i].err = 0;
		if (!ke->fc || !filecache_lookup(ke->fc, v[i].path, v[i].st, &v[i].hash)) {
			v[i].err = EINTR; /* until read */
			GROW(p.miss, p.nmiss, cap);
			p.miss[p.nmiss++].job = i;
		}
	}
	hits = n - p.nmiss;
	if (report)
		ke->progress(task, 0, n);
	if (!p.nmiss)
		goto out; /* the no-op: no thread, no block */
	atomic_init(&p.next, 0);
	atomic_init(&p.done, 0);
	atomic_init(&p.quit, 0);
	/* by default a thread for FILES_PER_THREAD files at least; a number set is taken up to one thread per file */
	want = hashpool_threads(ke->hash_threads);
	size_t worth = ke->hash_threads ? p.nmiss : p.nmiss / FILES_PER_THREAD;
	if (want > worth)
		want = worth ? (unsigned)worth : 1;
	started = want > 1 ? start(t, want, &p) : 0;
	/* the calling thread reads too, and alone watches for a signal and reports progress */
	block = xmalloc(HASH_BLOCK);
	for (size_t k, last = 0;;) {
		if (ke->stop && *ke->stop) {
			atomic_store(&p.quit, 1);
			stopped = 1;
			break;
		}
		if (report && atomic_load(&p.done) / PROGRESS_STEP != last) {
			last = atomic_load(&p.done) / PROGRESS_STEP;
			ke->progress(task, hits + last * PROGRESS_STEP, n);
		}
		if ((k = atomic_fetch_add(&p.next, 1)) >= p.nmiss)
			break;
		read_one(&p, k, block);
		atomic_fetch_add(&p.done, 1);
	}
	free(block);
	for (unsigned i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	/* what was read, in list order (also after a signal: the next run need not read it again) */
	for (size_t k = 0; ke->fc && k < p.nmiss; k++) {
		const struct hashjob *j = &v[p.miss[k].job];
		if (!j->err)
			filecache_put(ke->fc, j->path, j->st, &j->hash, p.miss[k].at);
	}
out:
	free(p.miss);
	stopped |= ke->stop && *ke->stop;
	if (report && !stopped)
		ke->progress(task, n, n);
	return stopped ? -1 : 0;
}
