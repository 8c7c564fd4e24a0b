/* integ_enginesrv: the engine helper against a fake engine on a unix socket, where the test sees every request the
 * engine gets: the ping's answer is kept while the engine that gave it is up, and asked again once it went; GETs
 * that come while others are being made are made with them, in answer order, and anything else waits for them. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "enginesrv.h"
#include "t.h"
#include "tnet.h"
#include "util.h"

static char root[64], sock[128], logpath[128];

/* engine_path: what the fake engine does for a request line: GET /first answers "together" once GET /second came
 * while it waited (else "alone", after 3 s); GET /second says it came; GET /slow answers after 0.2 s and logs
 * "done /slow" first; anything else answers "OK" at once. Returns the body. */
static const char *engine_path(const char *line)
{
	char seen[160];
	FILE *f;

	snprintf(seen, sizeof(seen), "%s/second-came", root);
	if (strncmp(line, "GET /first ", 11) == 0) {
		for (int i = 0; i < 300; i++, usleep(10000))
			if (access(seen, F_OK) == 0)
				return "together";
		return "alone";
	}
	if (strncmp(line, "GET /second ", 12) == 0 && (f = fopen(seen, "w")))
		fclose(f);
	if (strncmp(line, "GET /slow ", 10) == 0) {
		usleep(200000);
		if ((f = fopen(logpath, "a"))) {
			fprintf(f, "done /slow\n");
			fclose(f);
		}
	}
	return "OK";
}

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
			const char *end = strstr(req.data, " HTTP/"), *body = "OK";
			if ((f = fopen(logpath, "a"))) {
				fprintf(f, "%.*s\n", end ? (int)(end - req.data) : 0, req.data);
				fclose(f);
			}
			body = engine_path(req.data);
			buf_addf(&out, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\nAPI-Version: %s\r\n\r\n%s",
			         strlen(body), api, body);
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

/* helper_up: start a helper for sock and wait until it answers: a connection to it, or -1. */
static int helper_up(void)
{
	int fd = -1;

	CHECK_INT(enginesrv_start(sock, 1), 0);
	for (int i = 0; i < 50 && (fd = enginesrv_connect(sock)) < 0; i++)
		usleep(100000);
	CHECK(fd >= 0);
	return fd;
}

static void test_kept_ping(void)
{
	pid_t engine = fake_engine("1.41");
	int fd;

	fd = helper_up();
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
	int fd;

	unlink(logpath);
	fd = helper_up();
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

/* recv_body: the next answer on fd, its body ("" when it failed). */
static const char *recv_body(int fd)
{
	static char body[32];
	struct docker_reply r = {0};

	body[0] = '\0';
	if (enginesrv_recv(fd, 5, &r) == 0 && r.rc == 0)
		snprintf(body, sizeof(body), "%s", r.body.data ? r.body.data : "");
	buf_release(&r.body);
	return body;
}

/* A GET that comes while another is being made (a run asks ahead while it works) is made at the same time, and the
 * answers come back in the order of the requests; a request other than GET waits for the GETs before it. */
static void test_gets_meanwhile(void)
{
	pid_t engine = fake_engine("1.41");
	int fd;

	unlink(logpath);
	fd = helper_up();
	CHECK_INT(enginesrv_send(fd, "GET", "/first", NULL, 5), 0);
	usleep(100000); /* the helper is making the first by now */
	CHECK_INT(enginesrv_send(fd, "GET", "/second", NULL, 5), 0);
	CHECK_STR(recv_body(fd), "together"); /* the engine had the second while it answered the first */
	CHECK_STR(recv_body(fd), "OK");
	/* a POST behind a GET being made reaches the engine once that GET is answered, and a GET behind the POST after it */
	CHECK_INT(enginesrv_send(fd, "GET", "/slow", NULL, 5), 0);
	usleep(50000);
	CHECK_INT(enginesrv_send(fd, "POST", "/change", NULL, 5), 0);
	CHECK_INT(enginesrv_send(fd, "GET", "/after", NULL, 5), 0);
	CHECK_STR(recv_body(fd), "OK");
	CHECK_STR(recv_body(fd), "OK");
	CHECK_STR(recv_body(fd), "OK");
	close(fd);
	struct buf log = BUF_INIT;
	CHECK_INT(read_file(logpath, &log), 0);
	const char *done = log.data ? strstr(log.data, "done /slow\n") : NULL, *post = done ? strstr(done, "POST /change\n") : NULL;
	CHECK(done && post && strstr(post, "GET /after\n"));
	buf_release(&log);
	CHECK_INT(enginesrv_status(sock, 1), 0);
	fake_stop(engine);
	char seen[160];
	snprintf(seen, sizeof(seen), "%s/second-came", root);
	unlink(seen);
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
	test_gets_meanwhile();
	char dir[96];
	snprintf(dir, sizeof(dir), "%s/sindri-build", root);
	unlink(sock);
	unlink(logpath);
	rmdir(dir);
	CHECK_INT(rmdir(root), 0); /* the helper left nothing behind */
	return t_done("integ_enginesrv");
}
