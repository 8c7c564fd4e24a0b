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
	struct miss *miss; /* the jobs to read, in list order */
	int rootfd;
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

/* start: up to want - 1 workers (the caller is one more) with every signal blocked, so a ^C reaches the caller;
 * returns how many started. */
static unsigned start(pthread_t *t, unsigned want, struct spread *s)
{
	sigset_t all, old;
	unsigned n = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	while (n + 1 < want && pthread_create(&t[n], NULL, worker, s) == 0)
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
	started = want > 1 ? start(t, want, s) : 0;
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

/* read_one: read and hash the job of miss k through block. */
static void read_one(void *arg, size_t k, void *block)
{
	struct pool *p = arg;
	struct miss *m = &p->miss[k];
	struct hashjob *j = &p->v[m->job];
	int r;

	/* taken before reading: a write racing with the read then lands after it and is not trusted (filecache.h) */
	m->at = now_ns();
	if (m->fresh)
		r = read_fresh(p->rootfd, j->path, j->st, block, &j->hash);
	else
		r = hash_file_buf(p->rootfd, j->path, block, HASH_BLOCK, j->st->size, &j->hash);
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
	size_t cap = 0;
	int report = ke->progress && n >= PROGRESS_MIN, stopped = 0;

	for (size_t i = 0; i < n; i++) {
		int fresh = filestat_unknown(v[i].st);
		v[i].err = 0;
		if (fresh || !ke->fc || !filecache_lookup(ke->fc, v[i].path, v[i].st, &v[i].hash)) {
			v[i].err = EINTR; /* until read */
			GROW(p.miss, s.n, cap);
			p.miss[s.n++] = (struct miss){.job = i, .fresh = fresh};
		}
	}
	pr.hits = n - s.n;
	if (report)
		ke->progress(task, 0, n);
	if (!s.n)
		goto out; /* the no-op: no thread, no block */
	/* the calling thread reads too, and alone watches for a signal and reports progress */
	stopped = spread(&s, threads_for(ke, s.n), ke->stop, report ? tick : NULL, &pr) < 0;
	/* what was read, in list order (also after a signal: the next run need not read it again) */
	for (size_t k = 0; ke->fc && k < s.n; k++) {
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
	stopped |= ke->stop && *ke->stop;
	if (report && !stopped)
		ke->progress(task, n, n);
	return stopped ? -1 : 0;
}

/* What hashpool_stat's threads share: the entries to stat, and each one's errno (0: stat'ed). */
struct stats {
	struct fileent **e;
	int *err;
	int rootfd;
};

static void stat_one(void *arg, size_t k, void *block)
{
	struct stats *st = arg;
	struct stat sb;

	(void)block;
	if (fstatat(st->rootfd, st->e[k]->path, &sb, 0) < 0)
		st->err[k] = errno;
	else
		filestat_from(&st->e[k]->st, &sb);
}

int hashpool_stat(const struct keyenv *ke, struct fileset *fs, struct buf *err)
{
	struct stats st = {.rootfd = ke->rootfd};
	struct spread s = {.one = stat_one, .arg = &st};
	size_t cap = 0, j = 0;
	int ret = 0;

	for (size_t i = 0; i < fs->n; i++) {
		if (filestat_unknown(&fs->v[i].st)) {
			GROW(st.e, s.n, cap);
			st.e[s.n++] = &fs->v[i];
		}
	}
	if (!s.n)
		return 0;
	st.err = xcalloc(s.n, sizeof(*st.err));
	spread(&s, threads_for(ke, s.n), NULL, NULL, NULL);
	/* as the walk would have: gone since listed, or a dangling or looping symlink, is no file; nor a FIFO or a
	 * device. What became a directory stays, as one: it differs from any file that was keyed. */
	for (size_t i = 0, k = 0; i < fs->n; i++) {
		struct fileent *e = &fs->v[i];
		int drop = 0;
		if (k < s.n && st.e[k] == e) {
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
	return ret;
}
