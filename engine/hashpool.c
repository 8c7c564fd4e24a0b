/* hashpool: read and hash the files the stat cache cannot vouch for on a few threads, merged in list order. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/*
 * A loop over n items spread on a few threads: each index is taken by exactly one thread (next), which alone writes
 * that item's results; the calling thread reads them only after joining every worker. quit tells the workers that
 * the calling thread saw *stop: a signal's flag is read by that thread alone (signals are blocked in the workers).
 */
struct spread {
	void (*one)(void *arg, size_t k, void *block); /* do item k; block: HASH_BLOCK bytes of this thread's own */
	void *arg;
	size_t n;
	atomic_size_t next; /* the next index to take */
	atomic_size_t done; /* items done, for progress */
	atomic_int quit;
};

/* A job the stat cache could not answer. */
struct miss {
	size_t job; /* its index in v */
	int64_t at; /* when it was read */
	int fresh;  /* its stat data was not taken by the walk (FILESET_DEFER): the read took it */
};

/* What hashpool_hash's threads share. */
struct pool {
	struct hashjob *v;
	struct miss *miss; /* the jobs the stat cache could not answer, in list order */
	size_t *todo;      /* those of them to read (not read by a feed already), by their index in miss */
	int rootfd;
};

/* A feed keeps its jobs in chunks of FEED_CHUNK that never move, so a worker reads its job outside the lock. */
#define FEED_CHUNK 256
/* A waiting worker is woken for this many jobs at once: a wake per file would cost two system calls a file. */
#define FEED_WAKE 8

/*
 * The pool that takes the files a walk lists (fileset_feed) while the walk goes on. Jobs are taken in the order they
 * were added, each by one thread, which alone writes its result; the lock guards the counts and the chunk table. The
 * walking thread adds, and once the walk ends takes jobs too, until none is left; then it joins the workers, and
 * only after that does anyone read a result.
 */
struct hashfeed {
	int rootfd;
	int stat_only;        /* a stat, following symlinks, instead of a read (hashpool_stat's) */
	unsigned asked;       /* the keyenv's hash_threads */
	unsigned want;        /* threads in all, the adding thread one of them (0: not known yet) */
	unsigned started;
	pthread_t t[HASHPOOL_MAX];
	pthread_mutex_t mu;
	pthread_cond_t more;  /* jobs were added, or the walk ended */
	struct hashfed **chunk;
	size_t nchunk, cap;
	size_t n, next;       /* jobs added; the next to take */
	unsigned waiting;     /* workers waiting for jobs */
	int ended, quit;      /* the walk ended; stop after the current job */
	volatile int *stop;   /* set by a signal: the walking thread stops doing jobs (read by it alone) */
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

/* threads_for: how many threads (the caller counted) to spread n items on: by default one for FILES_PER_THREAD
 * items at least; a number set (ke->hash_threads) is taken up to one thread per item. */
static unsigned threads_for(const struct keyenv *ke, size_t n)
{
	unsigned want = hashpool_threads(ke->hash_threads);
	size_t worth = ke->hash_threads ? n : n / FILES_PER_THREAD;

	if (want > worth)
		want = worth ? (unsigned)worth : 1;
	return want;
}

static void *worker(void *arg)
{
	struct spread *s = arg;
	void *block = xmalloc(HASH_BLOCK);
	size_t k;

	while (!atomic_load(&s->quit) && (k = atomic_fetch_add(&s->next, 1)) < s->n) {
		s->one(s->arg, k, block);
		atomic_fetch_add(&s->done, 1);
	}
	free(block);
	return NULL;
}

/* start: up to want - 1 threads running fn(arg) (the caller is one more), with every signal blocked, so a ^C
 * reaches the caller; returns how many started. */
static unsigned start(pthread_t *t, unsigned want, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	unsigned n = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	while (n + 1 < want && pthread_create(&t[n], NULL, fn, arg) == 0)
		n++;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return n;
}

/* spread: do every item of s on want threads, the calling thread one of them; it alone watches *stop (NULL: none;
 * when set, the workers stop after their current item: returns -1) and calls tick (NULL: none) with the items done
 * so far, every PROGRESS_STEP of them. Returns 0 once all are done and the workers joined. */
static int spread(struct spread *s, unsigned want, volatile int *stop, void (*tick)(void *arg, size_t done),
                  void *tickarg)
{
	pthread_t t[HASHPOOL_MAX];
	unsigned started;
	void *block;
	int stopped = 0;

	atomic_init(&s->next, 0);
	atomic_init(&s->done, 0);
	atomic_init(&s->quit, 0);
	started = want > 1 ? start(t, want, worker, s) : 0;
	block = xmalloc(HASH_BLOCK);
	for (size_t k, last = 0;;) {
		if (stop && *stop) {
			atomic_store(&s->quit, 1);
			stopped = 1;
			break;
		}
		if (tick && atomic_load(&s->done) / PROGRESS_STEP != last) {
			last = atomic_load(&s->done) / PROGRESS_STEP;
			tick(tickarg, last * PROGRESS_STEP);
		}
		if ((k = atomic_fetch_add(&s->next, 1)) >= s->n)
			break;
		s->one(s->arg, k, block);
		atomic_fetch_add(&s->done, 1);
	}
	free(block);
	for (unsigned i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	return stopped ? -1 : 0;
}

/* read_fresh: open path, take its stat data from the open file into *st, and hash the bytes of that file; -1 with
 * errno (EISDIR or EINVAL when it is no longer a regular file). O_NONBLOCK: what became a FIFO does not block. */
static int read_fresh(int rootfd, const char *path, struct filestat *st, void *block, struct hash128 *out)
{
	int fd = openat(rootfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat sb;
	int ret = -1, saved;

	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) == 0) {
		if (S_ISREG(sb.st_mode)) {
			filestat_from(st, &sb);
			ret = hash_fd_buf(fd, block, HASH_BLOCK, st->size, out);
		} else {
			errno = S_ISDIR(sb.st_mode) ? EISDIR : EINVAL;
		}
	}
	saved = errno;
	close(fd);
	errno = saved;
	return ret;
}

/* feed_do: the job's read (or stat), with its time and errno. */
static void feed_do(const struct hashfeed *f, struct hashfed *j, void *block)
{
	struct stat sb;
	int r;

	j->at = now_ns();
	if (f->stat_only) {
		r = fstatat(f->rootfd, j->path, &sb, 0);
		if (r == 0)
			filestat_from(&j->st, &sb);
	} else {
		r = read_fresh(f->rootfd, j->path, &j->st, block, &j->hash);
	}
	j->err = r < 0 ? errno : 0;
}

/* feed_job: job k, in its chunk. */
static struct hashfed *feed_job(const struct hashfeed *f, size_t k)
{
	return &f->chunk[k / FEED_CHUNK][k % FEED_CHUNK];
}

/* feed_take: the next job to do, or NULL when none is left (the walk ended) or the feed quit; called locked; waits
 * for jobs when wait is set. */
static struct hashfed *feed_take(struct hashfeed *f, int wait)
{
	size_t k;

	while (!f->quit && f->next == f->n && !f->ended && wait) {
		f->waiting++;
		pthread_cond_wait(&f->more, &f->mu);
		f->waiting--;
	}
	if (f->quit || f->next == f->n)
		return NULL;
	k = f->next++;
	return feed_job(f, k);
}

/* feed_work: do jobs, called locked and returning locked: a worker until the feed quits, waiting for jobs; the
 * walking thread (walker) until none is left or *stop is set, without waiting. */
static void feed_work(struct hashfeed *f, int walker)
{
	void *block = NULL;
	struct hashfed *j;

	while (!(walker && f->stop && *f->stop) && (j = feed_take(f, !walker))) {
		pthread_mutex_unlock(&f->mu);
		if (!block && !f->stat_only)
			block = xmalloc(HASH_BLOCK);
		feed_do(f, j, block);
		pthread_mutex_lock(&f->mu);
	}
	free(block);
}

static void *feed_worker(void *arg)
{
	struct hashfeed *f = arg;

	pthread_mutex_lock(&f->mu);
	feed_work(f, 0);
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

/* feed_add: fileset_feed's add: queue path; the workers start once there is work for more than one thread. */
static uint32_t feed_add(void *arg, const char *path)
{
	struct hashfeed *f = arg;
	struct hashfed *j;
	size_t k;

	pthread_mutex_lock(&f->mu);
	k = f->n;
	if (k / FEED_CHUNK == f->nchunk) {
		GROW(f->chunk, f->nchunk, f->cap);
		f->chunk[f->nchunk++] = xmalloc(FEED_CHUNK * sizeof(**f->chunk));
	}
	j = feed_job(f, k);
	memset(j, 0, sizeof(*j));
	j->path = path;
	j->err = EINTR; /* until done */
	f->n++;
	if (!f->want && f->n - f->next >= FILES_PER_THREAD)
		f->want = hashpool_threads(f->asked); /* asked only once there are files for a thread */
	if (!f->started && f->want > 1 && f->n - f->next >= FILES_PER_THREAD)
		f->started = start(f->t, f->want, feed_worker, f);
	if (f->waiting && f->n - f->next >= FEED_WAKE)
		pthread_cond_signal(&f->more);
	pthread_mutex_unlock(&f->mu);
	return (uint32_t)(k + 1);
}

/* feed_end: fileset_feed's end: the walking thread does jobs too until none is left (none more after a failed walk,
 * or once *stop is set), then joins the workers. */
static void feed_end(void *arg, int ok)
{
	struct hashfeed *f = arg;

	pthread_mutex_lock(&f->mu);
	f->ended = 1;
	f->quit |= !ok;
	pthread_cond_broadcast(&f->more);
	feed_work(f, 1);
	f->quit = 1;
	pthread_cond_broadcast(&f->more);
	pthread_mutex_unlock(&f->mu);
	for (unsigned i = 0; i < f->started; i++)
		pthread_join(f->t[i], NULL);
	f->started = 0;
}

struct hashfeed *hashfeed_new(const struct keyenv *ke, int stat_only, struct fileset_feed *ff)
{
	struct hashfeed *f = xcalloc(1, sizeof(*f));

	f->rootfd = ke->rootfd;
	f->stat_only = stat_only;
	f->asked = ke->hash_threads;
	f->stop = ke->stop;
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->more, NULL);
	*ff = (struct fileset_feed){.add = feed_add, .end = feed_end, .arg = f};
	return f;
}

const struct hashfed *hashfeed_get(const struct hashfeed *f, uint32_t fed)
{
	size_t k = (size_t)fed - 1;

	return f && fed && k < f->n ? feed_job(f, k) : NULL;
}

void hashfeed_free(struct hashfeed *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nchunk; i++)
		free(f->chunk[i]);
	free(f->chunk);
	pthread_cond_destroy(&f->more);
	pthread_mutex_destroy(&f->mu);
	free(f);
}

/* read_one: read and hash the job of miss k through block. */
static void read_one(void *arg, size_t k, void *block)
{
	struct pool *p = arg;
	struct miss *m = &p->miss[p->todo[k]];
	struct hashjob *j = &p->v[m->job];
	int r;

	/* taken before reading: a write racing with the read then lands after it and is not trusted (filecache.h) */
	m->at = now_ns();
	/* the stat data is taken from the file read, also when the walk took it: a file replaced since (renamed over,
	 * or its parent) would otherwise have its bytes cached and kept under the stat data of the one it replaced */
	r = read_fresh(p->rootfd, j->path, j->st, block, &j->hash);
	j->err = r < 0 ? errno : 0;
}

/* What the progress of one hashpool_hash call reports. */
struct progress {
	const struct keyenv *ke;
	const char *task;
	size_t hits, n;
};

static void tick(void *arg, size_t done)
{
	struct progress *pr = arg;

	pr->ke->progress(pr->task, pr->hits + done, pr->n);
}

int hashpool_hash(const struct keyenv *ke, const char *task, struct hashjob *v, size_t n)
{
	struct pool p = {.v = v, .rootfd = ke->rootfd};
	struct spread s = {.one = read_one, .arg = &p};
	struct progress pr = {ke, task, 0, n};
	size_t cap = 0, tcap = 0, nmiss = 0;
	int report = ke->progress && n >= PROGRESS_MIN, stopped = 0;

	for (size_t i = 0; i < n; i++) {
		const struct hashfed *fed = v[i].fed;
		int fresh = filestat_unknown(v[i].st);
		v[i].err = 0;
		if (fed) {
			/* read by a feed while the walk went on: its stat data and hash as that read took them */
			if (!fed->err)
				*v[i].st = fed->st;
			v[i].hash = fed->hash;
			v[i].err = fed->err;
			GROW(p.miss, nmiss, cap);
			p.miss[nmiss++] = (struct miss){.job = i, .at = fed->at, .fresh = fresh};
		} else if (fresh || !ke->fc || !filecache_lookup(ke->fc, v[i].path, v[i].st, &v[i].hash)) {
			v[i].err = EINTR; /* until read */
			GROW(p.miss, nmiss, cap);
			GROW(p.todo, s.n, tcap);
			p.todo[s.n++] = nmiss;
			p.miss[nmiss++] = (struct miss){.job = i, .fresh = fresh};
		}
	}
	pr.hits = n - s.n;
	if (report)
		ke->progress(task, 0, n);
	if (!nmiss)
		goto out; /* the no-op: no thread, no block */
	/* the calling thread reads too, and alone watches for a signal and reports progress */
	if (s.n)
		stopped = spread(&s, threads_for(ke, s.n), ke->stop, report ? tick : NULL, &pr) < 0;
	/* what was read, in list order (also after a signal: the next run need not read it again) */
	for (size_t k = 0; ke->fc && k < nmiss; k++) {
		const struct hashjob *j = &v[p.miss[k].job];
		if (p.miss[k].fresh && !filestat_unknown(j->st)) {
			/* the walk left this stat to the read: count and note it as the walk would have */
			filecache_stat_made(ke->fc);
			if (filecache_watching(ke->fc) & FILECACHE_NOTE)
				filecache_note_file(ke->fc, j->path, strlen(j->path), j->st);
		}
		if (!j->err)
			filecache_put(ke->fc, j->path, j->st, &j->hash, p.miss[k].at);
	}
out:
	free(p.miss);
	free(p.todo);
	stopped |= ke->stop && *ke->stop;
	if (report && !stopped)
		ke->progress(task, n, n);
	return stopped ? -1 : 0;
}

/* What hashpool_stat's threads share: the entries whose stat data is unknown, each one's errno (0: stat'ed), and
 * which of them to stat (not stat'ed by a feed already). */
struct stats {
	struct fileent **e;
	int *err;
	size_t *todo;
	int rootfd;
};

static void stat_one(void *arg, size_t k, void *block)
{
	struct stats *st = arg;
	size_t i = st->todo[k];
	struct stat sb;

	(void)block;
	if (fstatat(st->rootfd, st->e[i]->path, &sb, 0) < 0)
		st->err[i] = errno;
	else
		filestat_from(&st->e[i]->st, &sb);
}

int hashpool_stat(const struct keyenv *ke, struct fileset *fs, const struct hashfeed *feed, struct buf *err)
{
	struct stats st = {.rootfd = ke->rootfd};
	struct spread s = {.one = stat_one, .arg = &st};
	size_t cap = 0, j = 0, n = 0;
	int ret = 0;

	for (size_t i = 0; i < fs->n; i++) {
		if (filestat_unknown(&fs->v[i].st)) {
			GROW(st.e, n, cap);
			st.e[n++] = &fs->v[i];
		}
	}
	if (!n)
		return 0;
	st.err = xcalloc(n, sizeof(*st.err));
	st.todo = xreallocarray(NULL, n, sizeof(*st.todo));
	for (size_t k = 0; k < n; k++) {
		const struct hashfed *fed = hashfeed_get(feed, st.e[k]->fed);
		if (!fed) {
			st.todo[s.n++] = k;
		} else if (!(st.err[k] = fed->err)) {
			st.e[k]->st = fed->st; /* stat'ed by the feed while the walk went on */
		}
	}
	if (s.n)
		spread(&s, threads_for(ke, s.n), NULL, NULL, NULL);
	/* as the walk would have: gone since listed, or a dangling or looping symlink, is no file; nor a FIFO or a
	 * device. What became a directory stays, as one: it differs from any file that was keyed. */
	for (size_t i = 0, k = 0; i < fs->n; i++) {
		struct fileent *e = &fs->v[i];
		int drop = 0;
		if (k < n && st.e[k] == e) {
			int no = st.err[k++];
			if (no && no != ENOENT && no != ENOTDIR && no != ELOOP && !ret) {
				buf_addf(err, "cannot stat '%s': %s", e->path, strerror(no));
				ret = -1;
			}
			drop = no || !(S_ISREG(e->st.mode) || S_ISDIR(e->st.mode));
		}
		if (drop)
			free(e->path);
		else
			fs->v[j++] = *e;
	}
	fs->n = j;
	free(st.e);
	free(st.err);
	free(st.todo);
	return ret;
}
