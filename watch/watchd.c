/* watchd: the watcher process: its socket, its lifetime, the protocol (see watcher.h). One thread: a poll loop over
 * the listening socket, the runs connected and the inotify queue, which it empties whenever events come so that it
 * fills (and overflows) only under a burst no run asked about. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "inotree.h"
#include "resident.h"
#include "util.h"
#include "watched.h"
#include "watcher.h"

#define MAX_RUNS 64             /* runs connected at once; more wait in the listen queue */
#define WATCH_SLICE 1024        /* paths of a first run's request watched between two looks for questions */
#define LINE_MAX_BYTES 8192     /* a request line: a root path and a few numbers */
#define BODY_MAX (256u << 20)   /* the paths of a watch request */
#define SEND_TIMEOUT_MS 2000    /* a run that does not read its answer is let go */

struct run {
	int fd;
	struct buf in;
};

/* send_all: the whole answer, or -1 when the run does not take it in time. */
static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			struct pollfd pf = {fd, POLLOUT, 0};
			if (poll(&pf, 1, SEND_TIMEOUT_MS) <= 0)
				return -1;
			continue;
		}
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* since: answer "since" for root (t NULL: no inotify to be had: nothing is vouched for, nothing taken). */
static void since(struct inotree *t, const struct watch_root *root, const char *token, struct buf *out)
{
	struct watch_changes ch = {WATCH_ALL, BUF_INIT, "", 0};
	size_t n = 0;

	if (!t) {
		buf_adds(out, "all - 0\n");
		return;
	}
	inotree_since(t, root, strcmp(token, "-") == 0 ? "" : token, &ch);
	for (size_t i = 0; i < ch.paths.len; i++)
		n += ch.paths.data[i] == '\n';
	if (ch.kind == WATCH_PATHS)
		buf_addf(out, "paths %s %zu %zu\n", ch.token, ch.room, n);
	else
		buf_addf(out, "%s %s %zu\n", ch.kind == WATCH_NONE ? "none" : "all", ch.token, ch.room);
	if (ch.kind == WATCH_PATHS)
		buf_add(out, ch.paths.data, ch.paths.len);
	buf_release(&ch.paths);
}

/* handle: answer every request r->in holds whole; -1 when the run should be let go (a malformed request). */
/* finish: watch what is left of the first run's request being taken, if any. */
static void finish(struct inotree *t, struct inotree_job **job)
{
	if (!*job)
		return;
	while (!inotree_watch_step(t, *job, SIZE_MAX))
		;
	inotree_watch_end(t, *job);
	*job = NULL;
}

static int handle(struct inotree *t, struct run *r, struct inotree_job **job)
{
	for (;;) {
		char *s = r->in.data, *nl = s ? memchr(s, '\n', r->in.len) : NULL, token[WATCH_TOKEN_MAX];
		unsigned long long dev, ino;
		size_t len = 0, used;
		struct buf out = BUF_INIT;
		int n = 0, ok;

		if (!nl)
			return r->in.len > LINE_MAX_BYTES ? -1 : 0;
		*nl = '\0';
		if (sscanf(s, "since %63s %llu %llu %n", token, &dev, &ino, &n) == 3 && n && s[n] == '/') {
			struct watch_root root = {s + n, dev, ino};
			since(t, &root, token, &out);
			used = (size_t)(nl - s) + 1;
		} else if (sscanf(s, "watch %63s %llu %llu %zu %n", token, &dev, &ino, &len, &n) == 4 && n && s[n] == '/' &&
		           len <= BODY_MAX) {
			struct watch_root root = {s + n, dev, ino};
			used = (size_t)(nl - s) + 1 + len;
			if (r->in.len < used) {
				*nl = '\n'; /* the paths are still on their way */
				return 0;
			}
			/* requests to watch are taken in the order they came */
			finish(t, job);
			if (t && strcmp(token, "-") == 0) {
				/* a first run's paths: that run does not wait, and watching them all takes about as long as a
				 * walk of them, so they are taken a slice at a time, and the runs that ask meanwhile are
				 * answered in between (with "anything", until all are watched) */
				*job = inotree_watch_begin(t, &root, "", nl + 1, len, 1);
				ok = 0;
			} else {
				ok = t && inotree_watch(t, &root, token, nl + 1, len) == 1;
			}
			buf_adds(&out, ok ? "recorded\n" : "walk\n");
		} else {
			return -1;
		}
		ok = send_all(r->fd, out.data, out.len) == 0;
		buf_release(&out);
		memmove(r->in.data, r->in.data + used, r->in.len - used);
		r->in.len -= used;
		if (!ok)
			return -1;
	}
}

/* take: read what a run sent and answer it; -1 when it hung up or is let go. */
static int take(struct inotree *t, struct run *r, struct inotree_job **job)
{
	char chunk[65536];
	ssize_t n = read(r->fd, chunk, sizeof(chunk));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0)
		return -1;
	buf_add(&r->in, chunk, (size_t)n);
	return handle(t, r, job);
}

/* serve: answer runs until the watcher should end (resident_over). */
static void serve(struct inotree *t, struct resident *rs)
{
	struct run runs[MAX_RUNS];
	size_t nruns = 0;
	int64_t last = mono_ns();
	struct inotree_job *job = NULL; /* a first run's request being taken */

	while (!resident_over(rs, (int)nruns, last)) {
		struct pollfd pf[MAX_RUNS + 2];
		size_t n = 0;

		pf[n++] = (struct pollfd){nruns < MAX_RUNS ? rs->listen : -1, POLLIN, 0};
		pf[n++] = (struct pollfd){t ? inotree_fd(t) : -1, POLLIN, 0};
		for (size_t i = 0; i < nruns; i++)
			pf[n++] = (struct pollfd){runs[i].fd, POLLIN, 0};
		if (poll(pf, n, job ? 0 : 1000) > 0) {
			if (pf[1].revents)
				inotree_drain(t);
			for (size_t i = nruns; i-- > 0;) {
				if (!pf[2 + i].revents || take(t, &runs[i], &job) == 0)
					continue;
				close(runs[i].fd);
				buf_release(&runs[i].in);
				runs[i] = runs[--nruns];
				last = mono_ns();
			}
			if (pf[0].revents) {
				int fd = accept4(rs->listen, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
				if (fd >= 0)
					runs[nruns++] = (struct run){fd, BUF_INIT};
			}
		}
		if (job && inotree_watch_step(t, job, WATCH_SLICE)) {
			inotree_watch_end(t, job);
			job = NULL;
		}
		if (nruns || job)
			last = mono_ns();
	}
	if (job)
		inotree_watch_end(t, job);
	/* new runs walk in full from here on */
	resident_unlisten(rs);
	for (size_t i = 0; i < nruns; i++) {
		close(runs[i].fd);
		buf_release(&runs[i].in);
	}
}

/* watches_wanted: the most watches SINDRI_BUILD_WATCHES allows (a whole number), or 0: the default share. */
static size_t watches_wanted(void)
{
	const char *v = getenv("SINDRI_BUILD_WATCHES");
	char *end;
	unsigned long long n;

	if (!v || !*v)
		return 0;
	errno = 0;
	n = strtoull(v, &end, 10);
	return errno || *end || n > SIZE_MAX ? 0 : (size_t)n;
}

int watch_main(const char *path)
{
	struct resident rs;
	struct inotree *t;
	pid_t pid;

	/* detach: the run that started us waits only for this first process */
	if ((pid = resident_detach()) != 0)
		return pid < 0;
	if (resident_claim(&rs, path) < 0)
		_exit(1);
	/* without inotify (the user's instances used up), it still answers: "anything may have changed", no room */
	t = inotree_new(watches_wanted());
	serve(t, &rs);
	inotree_free(t);
	resident_exit(&rs);
}
