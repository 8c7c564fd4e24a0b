/* client: a run's side of the watcher: the engine's struct watcher over the watcher's socket; starting, showing and
 * stopping the watcher process (see watcher.h). */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "resident.h"
#include "util.h"
#include "watched.h"
#include "watcher.h"

/* A watcher answers within this long, or the run goes on without it (it drains its queue and looks up a table). */
#define ANSWER_TIMEOUT_MS 10000
#define SOCK_MAX sizeof(((struct sockaddr_un *)0)->sun_path)

struct client {
	struct watcher w; /* first: the engine holds a pointer to it */
	int fd;           /* the connection, -1 when none */
	int tried;        /* looked for the watcher already */
	struct buf in;    /* what it sent, not yet taken */
};

static int connect_watcher(void)
{
	char path[SOCK_MAX];

	return resident_path("watch", "", 0, "sock", path, sizeof(path)) < 0 ? -1 : resident_connect(path);
}

/* start: start a watcher in the background, for the runs after this one; returns once it detached. */
static int start(void)
{
	char path[SOCK_MAX];

	if (resident_path("watch", "", 1, "sock", path, sizeof(path)) < 0)
		return -1;
	return resident_spawn("--watcher", path, NULL) == 0 ? 0 : -1;
}

/* off: watching is turned off (SINDRI_BUILD_WATCH=0, or SINDRI_BUILD_SERVER=0): no watcher is asked or started;
 * the name of the variable that says so, else NULL. */
static const char *off(void)
{
	static const char *const vars[] = {"SINDRI_BUILD_WATCH", "SINDRI_BUILD_SERVER"};

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);
		if (v && strcmp(v, "0") == 0)
			return vars[i];
	}
	return NULL;
}

static void hang_up(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	buf_reset(&c->in);
}

static int send_all(struct client *c, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			hang_up(c);
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* get_line: the next line the watcher sent (without its newline, valid until the next call), or NULL when it does
 * not come in time (the connection is then dropped). */
static const char *get_line(struct client *c, size_t *consumed)
{
	int64_t deadline = mono_ns() + (int64_t)ANSWER_TIMEOUT_MS * 1000000;
	char chunk[65536];

	for (;;) {
		char *nl = c->in.data ? memchr(c->in.data + *consumed, '\n', c->in.len - *consumed) : NULL;
		struct pollfd pf = {c->fd, POLLIN, 0};
		int64_t left = (deadline - mono_ns()) / 1000000;
		ssize_t n;

		if (nl) {
			const char *s = c->in.data + *consumed;
			*nl = '\0';
			*consumed = (size_t)(nl - c->in.data) + 1;
			return s;
		}
		int k = left > 0 ? poll(&pf, 1, (int)(left > INT_MAX ? INT_MAX : left)) : 0;
		if (k < 0 && errno == EINTR)
			continue;
		n = k > 0 ? read(c->fd, chunk, sizeof(chunk)) : -1;
		if (n < 0 && k > 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			hang_up(c);
			return NULL;
		}
		buf_add(&c->in, chunk, (size_t)n);
	}
}

static void taken(struct client *c, size_t consumed)
{
	memmove(c->in.data, c->in.data + consumed, c->in.len - consumed);
	c->in.len -= consumed;
}

static int c_ask(struct watcher *w, const struct watch_root *root, const char *token)
{
	struct client *c = (struct client *)w;
	struct buf q = BUF_INIT;
	int ret;

	/* the protocol is lines: a root with a newline in its path is not asked about */
	if (root->path[0] != '/' || strchr(root->path, '\n'))
		return -1;
	if (c->fd < 0 && !c->tried) {
		c->tried = 1;
		c->fd = connect_watcher();
	}
	if (c->fd < 0)
		return -1;
	buf_addf(&q, "since %s %" PRIu64 " %" PRIu64 " %s\n", *token ? token : "-", root->dev, root->ino, root->path);
	ret = send_all(c, q.data, q.len);
	buf_release(&q);
	return ret;
}

static int c_answer(struct watcher *w, struct watch_changes *out)
{
	struct client *c = (struct client *)w;
	char kind[8], token[WATCH_TOKEN_MAX];
	size_t consumed = 0, n = 0, room = 0;
	const char *s;
	int k = 0;

	if (c->fd < 0 || !(s = get_line(c, &consumed)))
		return -1;
	if (sscanf(s, "%7s %63s %zu %n", kind, token, &room, &k) < 3 ||
	    (strcmp(kind, "paths") == 0 && sscanf(s + k, "%zu", &n) != 1)) {
		hang_up(c);
		return -1;
	}
	out->kind = strcmp(kind, "none") == 0 ? WATCH_NONE : strcmp(kind, "paths") == 0 ? WATCH_PATHS : WATCH_ALL;
	snprintf(out->token, sizeof(out->token), "%s", strcmp(token, "-") == 0 ? "" : token);
	out->room = room;
	for (size_t i = 0; i < n; i++) {
		if (!(s = get_line(c, &consumed)))
			return -1;
		buf_addf(&out->paths, "%s\n", s);
	}
	taken(c, consumed);
	return 0;
}

static int c_watch(struct watcher *w, const struct watch_root *root, const char *token, const struct buf *paths)
{
	struct client *c = (struct client *)w;
	struct buf q = BUF_INIT;
	size_t consumed = 0;
	const char *s;
	int ret = -1;

	if (c->fd < 0) {
		/* none answered the question: one is started for the runs after this one */
		if (c->tried && !*token)
			start();
		return -1;
	}
	buf_addf(&q, "watch %s %" PRIu64 " %" PRIu64 " %zu %s\n", *token ? token : "-", root->dev, root->ino, paths->len,
	         root->path);
	buf_add(&q, paths->data, paths->len);
	if (!*token) {
		/* nothing to vouch for: the watcher's answer is not waited for (it finds the run gone, and goes on) */
		ret = send_all(c, q.data, q.len) == 0 ? 0 : -1;
		hang_up(c);
	} else if (send_all(c, q.data, q.len) == 0 && (s = get_line(c, &consumed))) {
		ret = strcmp(s, "recorded") == 0;
		taken(c, consumed);
	}
	buf_release(&q);
	return ret;
}

static void c_close(struct watcher *w)
{
	struct client *c = (struct client *)w;

	hang_up(c);
	buf_release(&c->in);
	free(c);
}

static const struct watcher_ops client_ops = {c_ask, c_answer, c_watch, c_close};

struct watcher *watch_client(void)
{
	struct client *c;

	if (off())
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->w.ops = &client_ops;
	c->fd = -1;
	return &c->w;
}

int watch_ensure(void)
{
	int fd = connect_watcher();

	if (fd < 0 && start() < 0)
		return -1;
	/* started in the background: wait until it answers, so that the next run uses it */
	for (int i = 0; i < 500 && fd < 0; i++) {
		usleep(10000);
		fd = connect_watcher();
	}
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

int watch_server(const char *what)
{
	char path[SOCK_MAX], lockpath[SOCK_MAX];
	const char *why = off();
	char note[64] = "";

	/* watching off keeps runs from using a watcher; one that runs can still be seen and stopped */
	if (why)
		snprintf(note, sizeof(note), " (off for runs: %s=0)", why);
	if (strcmp(what, "start") == 0) {
		if (why)
			return error("the file watcher is off (%s=0)", why);
		if (watch_ensure() < 0)
			return error("cannot start the file watcher, or it did not answer within 5 s (XDG_RUNTIME_DIR, else "
			             "TMPDIR or /tmp, must allow a directory of mode 0700 that is yours, and a socket path "
			             "under 108 bytes)");
		what = "status";
	}
	if (resident_path("watch", "", 0, "sock", path, sizeof(path)) < 0 ||
	    resident_path("watch", "", 0, "lock", lockpath, sizeof(lockpath)) < 0)
		path[0] = lockpath[0] = '\0';
	return resident_show("file watcher", path, lockpath, strcmp(what, "stop") == 0, note);
}
