/* integ_enginesrv: the engine helper against a fake engine on a unix socket, where the test sees every request the
 * engine gets: the ping's answer is kept while the engine that gave it is up, and asked again once it went. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/magic.h>
#include <sys/un.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "enginesrv.h"
#include "t.h"
#include "tnet.h"
#include "util.h"
#include "watchsrv.h"

static char root[64], sock[128], logpath[128];

/* fake_engine: a process group answering on sock, a process per connection (so that a connection nobody sends on
 * holds up no one), logging "METHOD target" per request; api is its API-Version. Returns the group's pid. */
static pid_t fake_engine(const char *api)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	pid_t pid;
	int lfd;

	unlink(sock);
	strcpy(sa.sun_path, sock);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 16) < 0)
		fatal("fake engine: cannot listen on %s:", sock);
	fflush(NULL);
	if ((pid = fork()) < 0)
		fatal("fork:");
	if (pid > 0) {
		close(lfd);
		setpgid(pid, pid);
		return pid;
	}
	setpgid(0, 0);
	signal(SIGCHLD, SIG_IGN);
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			_exit(1);
		if (fork() == 0) {
			struct buf req = BUF_INIT, out = BUF_INIT;
			FILE *f;
			close(lfd);
			if (!read_request(fd, &req))
				_exit(0);
			if ((f = fopen(logpath, "a"))) {
				const char *end = strstr(req.data, " HTTP/");
				fprintf(f, "%.*s\n", end ? (int)(end - req.data) : 0, req.data);
				fclose(f);
			}
			buf_addf(&out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\nAPI-Version: %s\r\n\r\nOK",
			         api);
			if (write(fd, out.data, out.len) < 0)
				_exit(1);
			_exit(0);
		}
		close(fd);
	}
}

static void fake_stop(pid_t pid)
{
	kill(-pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* count: how many requests the engines got for target, per the log. */
static int count(const char *target)
{
	struct buf b = BUF_INIT;
	int n = 0;
	size_t len = strlen(target);

	if (read_file(logpath, &b) == 0)
		for (const char *p = b.data; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
			n += strncmp(p, target, len) == 0 && (p[len] == '\n' || p[len] == '\0');
	buf_release(&b);
	return n;
}

/* ping: one run's ping through the helper; its answer's API-Version, or "" when it failed. */
static const char *ping(void)
{
	static char version[16];
	struct docker_reply r = {0};
	int fd = enginesrv_connect(sock);

	version[0] = '\0';
	if (fd < 0)
		return "no helper";
	if (enginesrv_send(fd, "GET", "/_ping", NULL, 5) == 0 && enginesrv_recv(fd, 5, &r) == 0 && r.rc == 0 &&
	    r.status == 200)
		snprintf(version, sizeof(version), "%s", r.server_version);
	buf_release(&r.body);
	close(fd);
	return version;
}

static void test_kept_ping(void)
{
	pid_t engine = fake_engine("1.41");
	int fd = -1;

	CHECK_INT(enginesrv_start(sock, 1), 0);
	for (int i = 0; i < 50 && (fd = enginesrv_connect(sock)) < 0; i++)
		usleep(100000);
	CHECK(fd >= 0);
	close(fd);
	CHECK_STR(ping(), "1.41");
	CHECK_INT(count("GET /_ping"), 1);
	CHECK_STR(ping(), "1.41");
	CHECK_STR(ping(), "1.41");
	CHECK_INT(count("GET /_ping"), 1); /* kept: the engine that answered is still up */

	/* another engine on the same socket (an upgrade, a restart): the kept answer goes with the old one */
	fake_stop(engine);
	engine = fake_engine("1.40");
	CHECK_STR(ping(), "1.40");
	CHECK_INT(count("GET /_ping"), 2);
	CHECK_STR(ping(), "1.40");
	CHECK_INT(count("GET /_ping"), 2);

	/* no engine: the ping fails as it would directly, and nothing is kept */
	fake_stop(engine);
	unlink(sock);
	CHECK_STR(ping(), "");
	engine = fake_engine("1.39");
	CHECK_STR(ping(), "1.39");
	CHECK_INT(count("GET /_ping"), 3);
	/* other requests are always made */
	struct docker_reply r = {0};
	fd = enginesrv_connect(sock);
	CHECK(fd >= 0);
	CHECK_INT(enginesrv_send(fd, "GET", "/v1.39/images/x/json", NULL, 5), 0);
	CHECK_INT(enginesrv_send(fd, "GET", "/v1.39/images/x/json", NULL, 5), 0);
	CHECK_INT(enginesrv_recv(fd, 5, &r), 0);
	buf_release(&r.body);
	CHECK_INT(enginesrv_recv(fd, 5, &r), 0);
	buf_release(&r.body);
	close(fd);
	CHECK_INT(count("GET /v1.39/images/x/json"), 2);

	CHECK_INT(enginesrv_status(sock, 1), 0);
	fake_stop(engine);
}

/* The engine's listener dies but a process of it that holds the sentinel's connection lives on (as a child still
 * exiting does for a moment after a SIGKILL of its group): the kept answer must go with the listener and its
 * socket, not wait for that connection to close. */
static void test_kept_ping_lingering(void)
{
	pid_t engine = fake_engine("1.50"), next;
	int fd = -1;

	unlink(logpath);
	CHECK_INT(enginesrv_start(sock, 1), 0);
	for (int i = 0; i < 50 && (fd = enginesrv_connect(sock)) < 0; i++)
		usleep(100000);
	CHECK(fd >= 0);
	close(fd);
	CHECK_STR(ping(), "1.50");
	CHECK_STR(ping(), "1.50");
	CHECK_INT(count("GET /_ping"), 1);

	/* the listener alone: the process serving the sentinel's connection stays */
	kill(engine, SIGKILL);
	waitpid(engine, NULL, 0);
	unlink(sock);
	CHECK_STR(ping(), "");
	next = fake_engine("1.51");
	CHECK_STR(ping(), "1.51");
	CHECK_INT(count("GET /_ping"), 2);
	/* a new engine on a socket of the same name, while the old one's connection is still open */
	kill(next, SIGKILL);
	waitpid(next, NULL, 0);
	next = fake_engine("1.52");
	CHECK_STR(ping(), "1.52");

	CHECK_INT(enginesrv_status(sock, 1), 0);
	kill(-engine, SIGKILL);
	fake_stop(next);
}

/* ask: one request to the watched tree for the project at proj; the answer's first word, the token in *now. */
static const char *ask(struct watchsrv *w, const char *method, const char *proj, const char *token, const char *lines,
                       char *now)
{
	static char word[16];
	struct buf path = BUF_INIT, body = BUF_INIT;
	struct docker_reply r = {0};
	struct stat st;

	CHECK_INT(stat(proj, &st), 0);
	watch_path(&path, proj, (uint64_t)st.st_dev, (uint64_t)st.st_ino, token);
	buf_adds(&body, lines ? lines : "");
	watchsrv_answer(w, method, path.data, lines ? &body : NULL, &r);
	snprintf(word, sizeof(word), "%.*s", (int)strcspn(r.body.data ? r.body.data : "", " \n"),
	         r.body.data ? r.body.data : "");
	if (now)
		watch_clean(&r, now);
	buf_release(&r.body);
	buf_release(&path);
	buf_release(&body);
	return word;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* The watched tree's answers, straight from watchsrv (t0013 tests it through runs). */
static void test_watched_tree(void)
{
	struct watchsrv *w = watchsrv_new(), *other = watchsrv_new();
	char proj[128], path[192], t1[WATCH_TOKEN_MAX], t2[WATCH_TOKEN_MAX], tx[WATCH_TOKEN_MAX];
	const char *lines = "src/\nsrc/a.txt\nsrc/sub/b.txt\n";

	snprintf(proj, sizeof(proj), "%s/proj", root);
	snprintf(path, sizeof(path), "%s/src/sub", proj);
	CHECK_INT(mkdir(proj, 0755), 0);
	snprintf(path, sizeof(path), "%s/src", proj);
	CHECK_INT(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/src/sub", proj);
	CHECK_INT(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/src/a.txt", proj);
	write_text(path, "a");
	snprintf(path, sizeof(path), "%s/src/sub/b.txt", proj);
	write_text(path, "b");

	CHECK_STR(ask(w, "GET", proj, "", NULL, t1), "dirty"); /* nothing watched, no token */
	CHECK(t1[0] != '\0');
	struct statfs sf;
	CHECK_INT(statfs(proj, &sf), 0);
	if (sf.f_type != EXT4_SUPER_MAGIC && sf.f_type != XFS_SUPER_MAGIC && sf.f_type != BTRFS_SUPER_MAGIC &&
	    sf.f_type != TMPFS_MAGIC) {
		/* a file system inotify cannot vouch for: never anything but a full walk */
		CHECK_STR(ask(w, "POST", proj, t1, lines, NULL), "walk");
		CHECK_STR(ask(w, "GET", proj, t1, NULL, t2), "dirty");
		CHECK_STR(ask(w, "POST", proj, t2, lines, NULL), "walk");
		watchsrv_free(w);
		watchsrv_free(other);
		CHECK_INT(system("rm -rf -- \"$XDG_RUNTIME_DIR/proj\""), 0);
		return;
	}
	CHECK_STR(ask(w, "POST", proj, t1, lines, NULL), "walk"); /* watched only now */
	CHECK_STR(ask(w, "GET", proj, t1, NULL, t2), "dirty");
	CHECK_STR(ask(w, "POST", proj, t2, lines, NULL), "recorded"); /* all watched before t2, nothing since */
	CHECK_STR(ask(w, "GET", proj, t2, NULL, tx), "clean");
	CHECK_STR(ask(other, "GET", proj, t2, NULL, NULL), "dirty"); /* another helper: its counts mean nothing */
	CHECK_STR(ask(w, "GET", proj, "0123456789abcdef-99999", NULL, NULL), "dirty");

	write_text(path, "b2"); /* src/sub/b.txt */
	CHECK_STR(ask(w, "GET", proj, t2, NULL, t1), "dirty");
	CHECK_STR(ask(w, "POST", proj, t1, lines, NULL), "recorded");
	CHECK_STR(ask(w, "GET", proj, t1, NULL, NULL), "clean");
	/* a write after the run's query, before its add: what the run saw may be stale */
	CHECK_STR(ask(w, "GET", proj, t1, NULL, t2), "clean");
	write_text(path, "b3");
	CHECK_STR(ask(w, "POST", proj, t2, lines, NULL), "walk");
	CHECK_STR(ask(w, "GET", proj, t2, NULL, t1), "dirty");

	/* what it cannot watch, it does not vouch for */
	CHECK_STR(ask(w, "POST", proj, t1, "../elsewhere.txt\n", NULL), "walk");
	CHECK_STR(ask(w, "POST", proj, t1, "src/missing.txt\n", NULL), "walk");
	snprintf(path, sizeof(path), "%s/src/link.txt", proj);
	CHECK_INT(symlink("a.txt", path), 0);
	CHECK_STR(ask(w, "POST", proj, t1, "src/link.txt\n", NULL), "walk");
	CHECK_INT(unlink(path), 0);
	CHECK_STR(ask(w, "GET", proj, t1, NULL, t2), "dirty"); /* the refusals above, and the removal */
	CHECK_STR(ask(w, "POST", proj, t2, lines, NULL), "recorded");
	CHECK_STR(ask(w, "GET", proj, t2, NULL, NULL), "clean");
	/* more paths than a helper watches: refused at once, nothing watched, and what was vouched for stays so */
	struct buf many = BUF_INIT;
	for (int i = 0; i < 70000; i++)
		buf_addf(&many, "src/f%d.txt\n", i);
	CHECK_STR(ask(w, "POST", proj, t2, many.data, NULL), "walk");
	CHECK_STR(ask(w, "GET", proj, t2, NULL, NULL), "clean");
	buf_release(&many);
	/* a malformed request is answered "off", never passed on */
	struct docker_reply r = {0};
	watchsrv_answer(w, "GET", WATCH_PATH "?nonsense", NULL, &r);
	CHECK(r.body.data && strncmp(r.body.data, "off", 3) == 0);
	buf_release(&r.body);

	watchsrv_free(w);
	watchsrv_free(other);
	CHECK_INT(system("rm -rf -- \"$XDG_RUNTIME_DIR/proj\""), 0);
}

int main(int argc, char **argv)
{
	/* enginesrv_start runs this binary as the helper, as sindri-build's main does */
	if (argc == 4 && strcmp(argv[1], "--engine-helper") == 0)
		return enginesrv_main(argv[2], argv[3]);
	snprintf(root, sizeof(root), "/tmp/sb-enginesrv.XXXXXX");
	if (!mkdtemp(root))
		fatal("mkdtemp:");
	snprintf(sock, sizeof(sock), "%s/engine.sock", root);
	snprintf(logpath, sizeof(logpath), "%s/requests.log", root);
	setenv("XDG_RUNTIME_DIR", root, 1);
	unsetenv("SINDRI_BUILD_SERVER");
	signal(SIGPIPE, SIG_IGN);
	test_kept_ping();
	test_kept_ping_lingering();
	test_watched_tree();
	char dir[96];
	snprintf(dir, sizeof(dir), "%s/sindri-build", root);
	unlink(sock);
	unlink(logpath);
	rmdir(dir);
	CHECK_INT(rmdir(root), 0); /* the helper left nothing behind */
	return t_done("integ_enginesrv");
}
