/* enginesrv: the engine helper (see enginesrv.h).
 *
 * The wire, over a SOCK_STREAM unix socket between two processes of the same binary (the socket's name carries
 * the binary's identity, so both sides agree on the layout of these structs):
 *   run -> helper, per request:  struct wire_req, then method, path and body bytes
 *   helper -> run, per answer:   struct wire_rep, then the body bytes
 * A helper that goes away between a run's connect and its first answer is seen as a lost request. That first
 * request is always GET /_ping (dockerapi pings before anything else), which the run then makes itself.
 *
 * The ping's answer (the engine's API version) is a property of the engine process, so the helper keeps it while
 * that process lives: before pinging, it opens a connection of its own to the engine and never sends on it (the
 * sentinel). While the sentinel has nothing to read, the process that listened when it was accepted (its peer
 * credentials) is alive and the socket's path still names the socket it was opened on, the engine that gave the
 * answer is up, and a ping is answered from the kept answer without asking the engine; otherwise (the engine
 * stopped or restarted, or dropped an idle connection), the next ping is made again. The sentinel alone is not
 * enough: the connection may be held by a process that outlives the listener for a while (a child of the engine
 * that is still exiting), so it can read as open after the engine is gone and its socket removed. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h> /* the CURLE_ codes of the answers it makes itself; no libcurl call */

#include "enginesrv.h"
#include "hash.h"
#include "proc.h"
#include "resident.h"
#include "util.h"

#define MAGIC 0x53424831u /* "SBH1" */
#define MAX_METHOD 16
#define MAX_PATH (64u << 10)
#define MAX_BODY (1u << 30)

struct wire_req {
	uint32_t magic, method_len, path_len, body_len;
	int32_t has_body, timeout_s;
};

struct wire_rep {
	uint32_t magic;
	int32_t rc, oserr, connected;
	int64_t status;
	char server_version[16];
	char errbuf[256];
	uint32_t body_len;
};

static int allow_start;

void enginesrv_allow_start(int allow)
{
	allow_start = allow;
}

static int disabled(void)
{
	const char *v = getenv("SINDRI_BUILD_SERVER");

	return v && strcmp(v, "0") == 0;
}

/* helper_path: the helper's socket (suffix "sock") or lock file ("lock") for engine_socket into out. */
static int helper_path(const char *engine_socket, int create, const char *suffix, char *out, size_t n)
{
	return resident_path("engine", engine_socket, create, suffix, out, n);
}

static int send_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* recv_all: exactly n bytes; -1 on end of stream, error, or when deadline (mono_ns; 0 for none) passes. */
static int recv_all(int fd, void *p, size_t n, int64_t deadline)
{
	char *c = p;

	while (n) {
		if (deadline) {
			int64_t left = (deadline - mono_ns()) / 1000000;
			struct pollfd pf = {fd, POLLIN, 0};
			int r;
			if (left <= 0)
				return -1;
			r = poll(&pf, 1, left > INT_MAX ? INT_MAX : (int)left);
			if (r < 0 && errno == EINTR && *signals_flag())
				return -1; /* ^C: the caller stops waiting for the engine */
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return -1;
		}
		ssize_t got = recv(fd, c, n, 0);
		if (got < 0 && errno == EINTR && *signals_flag())
			return -1;
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -1;
		c += got;
		n -= (size_t)got;
	}
	return 0;
}

int enginesrv_connect(const char *engine_socket)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];

	if (disabled() || helper_path(engine_socket, 0, "sock", path, sizeof(path)) < 0)
		return -1;
	return resident_connect(path);
}

int enginesrv_send(int fd, const char *method, const char *path, const struct buf *body, long timeout_s)
{
	struct wire_req q = {MAGIC, (uint32_t)strlen(method), (uint32_t)strlen(path), body ? (uint32_t)body->len : 0,
	                     body != NULL, (int32_t)timeout_s};
	struct buf msg = BUF_INIT;
	int sent;

	if (q.method_len >= MAX_METHOD || q.path_len > MAX_PATH || (body && body->len > MAX_BODY))
		return ENGINESRV_LOST_BEFORE;
	/* one message, one write: the helper wakes once */
	buf_add(&msg, &q, sizeof(q));
	buf_add(&msg, method, q.method_len);
	buf_add(&msg, path, q.path_len);
	if (q.body_len)
		buf_add(&msg, body->data, q.body_len);
	sent = send_all(fd, msg.data, msg.len);
	buf_release(&msg);
	return sent < 0 ? ENGINESRV_LOST_BEFORE : 0;
}

int enginesrv_recv(int fd, long timeout_s, struct docker_reply *r)
{
	struct wire_rep p;
	/* the helper's own timeouts end every request; this only catches a helper that stopped answering */
	int64_t deadline = mono_ns() + ((int64_t)timeout_s + 10) * 1000000000;

	if (recv_all(fd, &p, sizeof(p), deadline) < 0 || p.magic != MAGIC || p.body_len > MAX_BODY)
		return ENGINESRV_LOST_AFTER;
	r->rc = p.rc;
	r->oserr = p.oserr;
	r->connected = p.connected;
	r->status = (long)p.status;
	memcpy(r->server_version, p.server_version, sizeof(r->server_version));
	r->server_version[sizeof(r->server_version) - 1] = '\0';
	memcpy(r->errbuf, p.errbuf, sizeof(r->errbuf));
	r->errbuf[sizeof(r->errbuf) - 1] = '\0';
	buf_reset(&r->body);
	buf_grow(&r->body, p.body_len);
	if (recv_all(fd, r->body.data, p.body_len, deadline) < 0) {
		buf_release(&r->body);
		return ENGINESRV_LOST_AFTER;
	}
	r->body.len = p.body_len;
	r->body.data[r->body.len] = '\0';
	return 0;
}

/* engine_id: what identifies the engine a sentinel was opened on: the socket file, and the pid of the process that
 * listened on it (0 when unknown, e.g. in another pid namespace). */
struct engine_id {
	dev_t dev;
	ino_t ino;
	struct timespec ctime;
	pid_t pid;
};

/* The helper: a thread per run, each with an engine connection taken from a pool of idle ones, so that a run
 * neither loads libcurl nor reconnects to the engine, and runs never wait for each other. */
struct helper {
	char *engine_uri;
	const char *engine_socket;
	struct docker_reply ping; /* the kept answer to GET /_ping, while sentinel >= 0 */
	int sentinel;             /* see the top of this file; -1 when none */
	struct engine_id engine;  /* the engine the sentinel was opened on */
	pthread_mutex_t lock;
	struct docker *idle[8]; /* clients with a live connection to the engine, not in use */
	size_t nidle;
	int active;             /* runs being served */
	int64_t last;           /* mono_ns of the last connection */
};

static struct docker *take_client(struct helper *h)
{
	struct docker *d = NULL;

	pthread_mutex_lock(&h->lock);
	if (h->nidle)
		d = h->idle[--h->nidle];
	pthread_mutex_unlock(&h->lock);
	if (!d && (d = docker_open(h->engine_uri)) && docker_direct(d) < 0) {
		docker_close(d);
		d = NULL;
	}
	return d;
}

static void give_client(struct helper *h, struct docker *d)
{
	pthread_mutex_lock(&h->lock);
	if (d && h->nidle < LEN(h->idle)) {
		h->idle[h->nidle++] = d;
		d = NULL;
	}
	pthread_mutex_unlock(&h->lock);
	docker_close(d);
}

/* run_ended: a run hung up; the idle time counts from the last one. */
static void run_ended(struct helper *h)
{
	pthread_mutex_lock(&h->lock);
	h->active--;
	h->last = mono_ns();
	pthread_mutex_unlock(&h->lock);
}

struct conn {
	struct helper *h;
	int fd;
};

/* One request of a run, and its answer. */
struct ask {
	struct helper *h;
	char method[MAX_METHOD];
	struct buf path, body;
	int has_body, timeout_s;
	struct docker_reply r;
	int done_fd;       /* made on a thread of its own (batch_job): where it says it is done, by its index */
	unsigned char idx;
};

/* read_job: the next request on c into j (its buffers reset); -1 at the end of the run or on a malformed one. */
static int read_job(int c, struct ask *j)
{
	struct wire_req q;

	if (recv_all(c, &q, sizeof(q), 0) < 0 || q.magic != MAGIC || q.method_len >= MAX_METHOD ||
	    q.path_len > MAX_PATH || q.body_len > MAX_BODY)
		return -1;
	buf_reset(&j->path);
	buf_reset(&j->body);
	buf_grow(&j->path, q.path_len);
	buf_grow(&j->body, q.body_len);
	if (recv_all(c, j->method, q.method_len, 0) < 0 || recv_all(c, j->path.data, q.path_len, 0) < 0 ||
	    recv_all(c, j->body.data, q.body_len, 0) < 0)
		return -1;
	j->method[q.method_len] = j->path.data[q.path_len] = j->body.data[q.body_len] = '\0';
	j->body.len = q.body_len;
	j->has_body = q.has_body;
	j->timeout_s = q.timeout_s;
	/* only paths on this engine: the helper is no general-purpose proxy */
	return j->path.data[0] == '/' ? 0 : -1;
}

/* socket_id: the identity of the socket file at path in *id (its pid left alone); -1 when there is none. */
static int socket_id(const char *path, struct engine_id *id)
{
	struct stat st;

	if (stat(path, &st) < 0 || !S_ISSOCK(st.st_mode))
		return -1;
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	id->ctime = st.st_ctim;
	return 0;
}

/* sentinel_open: a connection to the engine socket that nothing is sent on, and what identifies that engine in *id;
 * -1 when none can be made. The socket file is looked at first: replaced before the connect, it only differs later. */
static int sentinel_open(const char *engine_socket, struct engine_id *id)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd;

	if (strlen(engine_socket) >= sizeof(sa.sun_path) || socket_id(engine_socket, id) < 0)
		return -1;
	strcpy(sa.sun_path, engine_socket);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		fd = -1;
	}
	id->pid = fd >= 0 && getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 ? cred.pid : 0;
	return fd;
}

/* same_engine: the engine the sentinel was opened on still listens: its socket file is the same one, and the process
 * that listened is alive. */
static int same_engine(const char *engine_socket, const struct engine_id *was)
{
	struct engine_id now;

	if (socket_id(engine_socket, &now) < 0 || now.dev != was->dev || now.ino != was->ino ||
	    now.ctime.tv_sec != was->ctime.tv_sec || now.ctime.tv_nsec != was->ctime.tv_nsec)
		return 0;
	return was->pid <= 0 || kill(was->pid, 0) == 0 || errno == EPERM;
}

/* kept_ping: answer a ping from the kept answer when the sentinel says the engine that gave it is still up (the
 * lock held). 1 when it did; 0 after dropping an answer that can no longer be trusted, or when there is none. */
static int kept_ping(struct helper *h, struct docker_reply *r)
{
	struct pollfd pf = {h->sentinel, POLLIN, 0};

	if (h->sentinel < 0)
		return 0;
	if (poll(&pf, 1, 0) == 0 && same_engine(h->engine_socket, &h->engine)) {
		docker_reply_copy(r, &h->ping);
		return 1;
	}
	close(h->sentinel);
	h->sentinel = -1;
	buf_release(&h->ping.body);
	return 0;
}

/* keep_ping: keep a successful ping's answer, with the sentinel opened before it was asked (fd; -1: none) on the
 * engine id. */
static void keep_ping(struct helper *h, const struct docker_reply *r, int fd, const struct engine_id *id)
{
	if (fd >= 0 && r->rc == 0 && r->status == 200) {
		pthread_mutex_lock(&h->lock);
		if (h->sentinel >= 0)
			close(h->sentinel);
		buf_release(&h->ping.body);
		docker_reply_copy(&h->ping, r);
		h->sentinel = fd;
		h->engine = *id;
		fd = -1;
		pthread_mutex_unlock(&h->lock);
	}
	if (fd >= 0)
		close(fd);
}

/* do_job: make j's request to the engine over a pooled connection. */
static void *do_job(void *arg)
{
	struct ask *j = arg;
	int ping = strcmp(j->method, "GET") == 0 && strcmp(j->path.data, "/_ping") == 0 && !j->has_body;
	int fd = -1;
	struct engine_id id = {0};
	struct docker *d;

	memset(&j->r, 0, sizeof(j->r));
	if (ping) {
		int kept;
		pthread_mutex_lock(&j->h->lock);
		kept = kept_ping(j->h, &j->r);
		pthread_mutex_unlock(&j->h->lock);
		if (kept)
			return NULL;
		fd = sentinel_open(j->h->engine_socket, &id); /* before the ping: an engine that restarts after it closes it */
	}
	d = take_client(j->h);
	if (!d) {
		if (fd >= 0)
			close(fd);
		j->r.rc = CURLE_FAILED_INIT;
		snprintf(j->r.errbuf, sizeof(j->r.errbuf), "the engine helper cannot initialize libcurl");
		return NULL;
	}
	docker_exchange(d, j->method, j->path.data, j->has_body ? &j->body : NULL, j->timeout_s, &j->r);
	give_client(j->h, d);
	if (ping)
		keep_ping(j->h, &j->r, fd, &id);
	return NULL;
}

/* send_answer: j's answer to the run, whole. */
static int send_answer(int c, struct ask *j, struct buf *out)
{
	struct docker_reply *r = &j->r;
	struct wire_rep p;
	int ret;

	memset(&p, 0, sizeof(p));
	p.magic = MAGIC;
	p.rc = r->rc;
	p.oserr = r->oserr;
	p.connected = r->connected;
	p.status = r->status;
	memcpy(p.server_version, r->server_version, sizeof(p.server_version));
	memcpy(p.errbuf, r->errbuf, sizeof(p.errbuf));
	if (r->body.len > MAX_BODY) {
		p.rc = 27; /* CURLE_OUT_OF_MEMORY */
		snprintf(p.errbuf, sizeof(p.errbuf), "the engine's answer is larger than %u bytes", MAX_BODY);
		buf_reset(&r->body);
	}
	p.body_len = (uint32_t)r->body.len;
	buf_reset(out);
	buf_add(out, &p, sizeof(p));
	buf_add(out, r->body.data, r->body.len);
	buf_release(&r->body);
	ret = send_all(c, out->data, out->len);
	return ret;
}

#define BATCH 16

/* batch_job: do_job on a thread of its own, then say so on the batch's pipe with the job's index. */
static void *batch_job(void *arg)
{
	struct ask *j = arg;
	unsigned char idx = j->idx;

	do_job(j);
	while (write(j->done_fd, &idx, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

/* serve: one run's connection: answer its requests, in order, until it hangs up. A GET is made at once, each over
 * a connection of its own, and so is every GET that comes while GETs are being made (a run asks ahead for several
 * answers, sending one request after another while it works): they are made to the engine at the same time, and
 * each answer goes back as soon as those asked before it went. Any other request waits until the GETs before it are
 * answered, and is made alone, in order. */
static void *serve(void *arg)
{
	struct conn *cn = arg;
	struct helper *h = cn->h;
	struct ask jobs[BATCH + 1];
	struct buf out = BUF_INIT;
	int c = cn->fd, end = 0, held = 0, pfd[2];

	free(cn);
	memset(jobs, 0, sizeof(jobs));
	for (int i = 0; i <= BATCH; i++)
		jobs[i].h = h;
	if (pipe2(pfd, O_CLOEXEC) < 0)
		pfd[0] = pfd[1] = -1;
	while (!end) {
		pthread_t t[BATCH];
		int n = 1, sent = 0, more = 1, gone = 0, started[BATCH] = {0}, done[BATCH] = {0};

		if (!held && read_job(c, &jobs[0]) < 0)
			break;
		held = 0;
		if (strcmp(jobs[0].method, "GET") != 0 || pfd[0] < 0) {
			do_job(&jobs[0]);
			end = send_answer(c, &jobs[0], &out) < 0;
			continue;
		}
		for (int i = 0; sent < n;) {
			struct pollfd pf[2] = {{pfd[0], POLLIN, 0}, {more && n < BATCH ? c : -1, POLLIN, 0}};

			for (; i < n; i++) { /* start what was read */
				jobs[i].done_fd = pfd[1];
				jobs[i].idx = (unsigned char)i;
				started[i] = pthread_create(&t[i], NULL, batch_job, &jobs[i]) == 0;
				if (!started[i]) {
					do_job(&jobs[i]);
					done[i] = 1;
				}
			}
			while (sent < n && done[sent]) { /* answer, in order, what is done */
				if (started[sent])
					pthread_join(t[sent], NULL);
				if (!gone && send_answer(c, &jobs[sent], &out) < 0)
					gone = end = 1, more = 0;
				buf_release(&jobs[sent].r.body);
				sent++;
			}
			if (sent == n || poll(pf, 2, -1) < 0)
				continue;
			if (pf[0].revents & POLLIN) {
				unsigned char b[BATCH];
				ssize_t k = read(pfd[0], b, sizeof(b));
				for (ssize_t q = 0; q < k; q++)
					if (b[q] < BATCH)
						done[b[q]] = 1;
			}
			if (pf[1].revents) {
				if (read_job(c, &jobs[n]) < 0)
					end = 1, more = 0; /* answer what came whole, then hang up */
				else if (strcmp(jobs[n].method, "GET") == 0)
					n++;
				else
					held = 1, more = 0; /* made once the GETs before it are answered */
			}
		}
		if (held) { /* the request that waited is the next one */
			struct ask tmp = jobs[0];
			jobs[0] = jobs[n];
			jobs[n] = tmp;
		}
	}
	for (int i = 0; i <= BATCH; i++) {
		buf_release(&jobs[i].path);
		buf_release(&jobs[i].body);
		buf_release(&jobs[i].r.body);
	}
	if (pfd[0] >= 0) {
		close(pfd[0]);
		close(pfd[1]);
	}
	buf_release(&out);
	close(c);
	run_ended(h);
	return NULL;
}

/* helper_loop: accept runs, a thread each, until the helper should end (resident_over); then wait for the runs
 * being served. */
static void helper_loop(struct helper *h, struct resident *rs)
{
	pthread_attr_t at;
	int active;

	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	h->last = mono_ns();
	for (;;) {
		struct pollfd pf = {rs->listen, POLLIN, 0};

		if (poll(&pf, 1, 1000) > 0) {
			struct conn *cn = xmalloc(sizeof(*cn));
			pthread_t t;

			cn->h = h;
			cn->fd = accept4(rs->listen, NULL, NULL, SOCK_CLOEXEC);
			if (cn->fd < 0) {
				free(cn);
				continue;
			}
			pthread_mutex_lock(&h->lock);
			h->active++;
			h->last = mono_ns();
			pthread_mutex_unlock(&h->lock);
			if (pthread_create(&t, &at, serve, cn) != 0) {
				close(cn->fd);
				free(cn);
				run_ended(h);
			}
			continue;
		}
		pthread_mutex_lock(&h->lock);
		active = h->active;
		pthread_mutex_unlock(&h->lock);
		if (resident_over(rs, active, h->last))
			break;
	}
	pthread_attr_destroy(&at);
	/* new runs go direct from here on; the ones being served finish */
	resident_unlisten(rs);
	for (;;) {
		pthread_mutex_lock(&h->lock);
		active = h->active;
		pthread_mutex_unlock(&h->lock);
		if (!active)
			break;
		usleep(10000);
	}
}

int enginesrv_main(const char *path, const char *engine_socket)
{
	struct helper h = {.lock = PTHREAD_MUTEX_INITIALIZER, .sentinel = -1};
	struct resident rs;
	struct docker *d;
	pid_t pid;

	/* detach: the run that started us waits only for this first process */
	if ((pid = resident_detach()) != 0)
		return pid < 0;
	h.engine_uri = xasprintf("unix://%s", engine_socket);
	h.engine_socket = engine_socket;
	/* load libcurl once, now, and keep the first client for the first run */
	d = take_client(&h);
	if (!d || resident_claim(&rs, path) < 0)
		_exit(1);
	give_client(&h, d);
	helper_loop(&h, &rs);
	while (h.nidle)
		docker_close(h.idle[--h.nidle]);
	if (h.sentinel >= 0)
		close(h.sentinel);
	buf_release(&h.ping.body);
	free(h.engine_uri);
	resident_exit(&rs);
}

int enginesrv_start(const char *engine_socket, int force)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int rc;

	if (disabled()) {
		if (force)
			error("the engine helper is off (SINDRI_BUILD_SERVER=0)");
		return -1;
	}
	if (!allow_start && !force)
		return -1;
	if (helper_path(engine_socket, 1, "sock", path, sizeof(path)) < 0) {
		if (force)
			error("no private directory for the engine helper (XDG_RUNTIME_DIR, else TMPDIR or /tmp, must allow a "
			      "directory of mode 0700 that is yours, and a socket path under 108 bytes)");
		return -1;
	}
	if ((rc = resident_spawn("--engine-helper", path, engine_socket)) != 0) {
		if (force)
			error("cannot start the engine helper: %s", strerror(rc));
		return -1;
	}
	return 0;
}

int enginesrv_status(const char *engine_socket, int stop)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)], lockpath[sizeof(path)];
	char *label = xasprintf("engine helper for unix://%s", engine_socket);
	/* SINDRI_BUILD_SERVER=0 keeps runs from using a helper; one that runs can still be seen and stopped */
	const char *off = disabled() ? " (off for runs: SINDRI_BUILD_SERVER=0)" : "";
	int ret;

	if (helper_path(engine_socket, 0, "sock", path, sizeof(path)) < 0 ||
	    helper_path(engine_socket, 0, "lock", lockpath, sizeof(lockpath)) < 0)
		path[0] = lockpath[0] = '\0';
	ret = resident_show(label, path, lockpath, stop, off);
	free(label);
	return ret;
}
