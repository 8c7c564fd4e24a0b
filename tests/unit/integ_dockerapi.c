/* integ_dockerapi: the Docker Engine API client against a fake engine (exact requests, version negotiation,
 * unreachable and hung engines) and against the real engine on this machine (images, tags, labels, BuildKit
 * cache records, containers, volumes). Without an engine the real-engine part is skipped, except under CI=true.
 * Everything created is named after the pid and removed at the end. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <libgen.h>

#include "dockerapi.h"
#include "json.h"
#include "proc.h"
#include "t.h"
#include "tnet.h"
#include "util.h"

extern char **environ;

#define UNREACHABLE_HINT "; is dockerd running? (set DOCKER_HOST to use another engine)\n"


/* A fake engine: a child process answering each request (one per connection) and logging
 * "METHOD target\nbody\n" to a file, so the test sees exactly what the client sent. */
struct fake {
	pid_t pid;
	int port;
	char log[64];
	char host[64];
};

/* fake_busy: how many /system/df requests the next fake engine answers "already running" (HTTP 500) first. */
static int fake_busy;

static void fake_serve(int lfd, const char *log, const char *api_version, int ping_status)
{
	for (;;) {
		struct buf req = BUF_INIT, out = BUF_INIT;
		char *target;
		size_t head;
		const char *body;
		FILE *f;
		int fd = accept(lfd, NULL, NULL), ping;

		if (fd < 0)
			_exit(1);
		head = read_request(fd, &req);
		if (!head) {
			close(fd);
			buf_release(&req);
			continue;
		}
		target = strchr(req.data, ' ');
		target = target ? target + 1 : req.data;
		if ((f = fopen(log, "a"))) {
			fprintf(f, "%.*s\n%.*s\n", (int)(strstr(req.data, " HTTP/1.1\r\n") - req.data), req.data,
			        (int)(req.len - head), req.data + head);
			fclose(f);
		}
		ping = str_has_prefix(target, "/_ping");
		if (fake_busy > 0 && strstr(target, "/system/df")) {
			fake_busy--;
			body = "{\"message\":\"a disk usage operation is already running\"}";
			buf_addf(&out, "HTTP/1.1 500 X\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s", strlen(body),
			         body);
			if (write(fd, out.data, out.len) < 0)
				_exit(1);
			close(fd);
			buf_release(&req);
			buf_release(&out);
			continue;
		}
		/* 400 to a ping: Go's answer to plain HTTP on a TLS port */
		body = ping ? (ping_status == 400 ? "Client sent an HTTP request to an HTTPS server.\n" : "OK")
		       : strstr(target, "/build/prune") ? "{\"CachesDeleted\":[\"rec1\"],\"SpaceReclaimed\":4096}"
		       : strstr(target, "/containers/create") ? "{\"Id\":\"c0ffee\",\"Warnings\":[]}"
		       : strstr(target, "/images/json") ? "[]"
		       : "{}";
		buf_addf(&out, "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n", ping ? ping_status : 200,
		         strlen(body));
		if (api_version)
			buf_addf(&out, "API-Version: %s\r\n", api_version);
		buf_addf(&out, "\r\n%s", body);
		if (write(fd, out.data, out.len) < 0)
			_exit(1);
		close(fd);
		buf_release(&req);
		buf_release(&out);
	}
}

static void fake_start(struct fake *f, const char *api_version, int ping_status)
{
	int lfd = listener(&f->port);

	snprintf(f->log, sizeof(f->log), "/tmp/sindri-fake-engine.%d.log", (int)getpid());
	snprintf(f->host, sizeof(f->host), "tcp://127.0.0.1:%d", f->port);
	unlink(f->log);
	fflush(NULL);
	f->pid = fork();
	if (f->pid < 0)
		fatal("fork:");
	if (f->pid == 0)
		fake_serve(lfd, f->log, api_version, ping_status);
	close(lfd);
}

/* fake_stop: stop the fake engine and return its log (caller frees). */
static char *fake_stop(struct fake *f)
{
	struct buf b = BUF_INIT;

	kill(f->pid, SIGTERM);
	waitpid(f->pid, NULL, 0);
	read_file(f->log, &b);
	unlink(f->log);
	buf_adds(&b, "");
	return buf_detach(&b);
}

static void test_parse_time(void)
{
	CHECK_INT(docker_parse_time("1970-01-01T00:00:00Z"), 0);
	CHECK_INT(docker_parse_time("2026-11-27T12:35:49.164096159Z"), 1795782949);
	CHECK_INT(docker_parse_time("2026-11-27T12:35:49Z"), 1795782949);
	CHECK_INT(docker_parse_time("2026-11-27T14:35:49.5+02:00"), 1795782949);
	CHECK_INT(docker_parse_time("2026-11-27T07:05:49-05:30"), 1795782949);
	CHECK_INT(docker_parse_time("2000-02-29T00:00:00Z"), 951782400);
	CHECK_INT(docker_parse_time("0001-01-01T00:00:00Z"), 0); /* Go's zero time: never */
	CHECK_INT(docker_parse_time(""), -1);
	CHECK_INT(docker_parse_time(NULL), -1);
	CHECK_INT(docker_parse_time("2026-11-27"), -1);
	CHECK_INT(docker_parse_time("2026-11-27T12:35:49"), -1);
	CHECK_INT(docker_parse_time("2026-11-27T12:35:49.Z"), -1);
	CHECK_INT(docker_parse_time("2026-13-27T12:35:49Z"), -1);
	CHECK_INT(docker_parse_time("2026-11-27T12:35:49Zjunk"), -1);
	CHECK_INT(docker_parse_time("2026-1-27T12:35:49Z"), -1);
}

static void test_addresses(void)
{
	struct docker *d;
	char *msg;
	const char *old = getenv("DOCKER_HOST");
	char *saved = old ? xstrdup(old) : NULL;

	unsetenv("DOCKER_HOST");
	d = docker_open(NULL);
	CHECK_STR(docker_host(d), DOCKER_DEFAULT_HOST);
	CHECK(docker_api_version(d) == NULL);
	docker_close(d);
	setenv("DOCKER_HOST", "tcp://127.0.0.1:1", 1);
	d = docker_open(NULL);
	CHECK_STR(docker_host(d), "tcp://127.0.0.1:1");
	docker_close(d);
	d = docker_open("unix:///tmp/other.sock"); /* an explicit address beats DOCKER_HOST */
	CHECK_STR(docker_host(d), "unix:///tmp/other.sock");
	docker_close(d);

	capture_begin();
	CHECK(docker_open("ssh://me@host") == NULL);
	CHECK(docker_open("unix://") == NULL);
	CHECK(docker_open("tcp://") == NULL);
	setenv("DOCKER_TLS_VERIFY", "1", 1);
	setenv("DOCKER_CERT_PATH", "/nonexistent/certs", 1);
	CHECK(docker_open("tcp://127.0.0.1:2376") == NULL);
	unsetenv("DOCKER_TLS_VERIFY");
	unsetenv("DOCKER_CERT_PATH");
	msg = capture_end();
	CHECK(strstr(msg, "unsupported Docker engine address 'ssh://me@host' (use unix:///path/to/docker.sock or "
	                  "tcp://host:port)") != NULL);
	CHECK(strstr(msg, "invalid Docker engine address 'unix://': the socket path is missing") != NULL);
	CHECK(strstr(msg, "invalid Docker engine address 'tcp://': the host is missing") != NULL);
	CHECK(strstr(msg, "cannot read '/nonexistent/certs/ca.pem' for DOCKER_TLS_VERIFY: No such file") != NULL);
	free(msg);
	if (saved)
		setenv("DOCKER_HOST", saved, 1);
	else
		unsetenv("DOCKER_HOST");
	free(saved);
}

/* check_unreachable: DOCKER_HOST=host gets the one clear message, quickly, and only once per client. */
static void check_unreachable(const char *host, const char *why, double limit_s)
{
	const char *old = getenv("DOCKER_HOST");
	char *saved = old ? xstrdup(old) : NULL, *msg, *want;
	struct docker *d;
	struct json *j = (struct json *)&j;
	int64_t start;
	double took;
	int ret;

	setenv("DOCKER_HOST", host, 1);
	d = docker_open(NULL);
	capture_begin();
	start = mono_ns();
	ret = docker_ping(d);
	took = seconds_since(start);
	CHECK_INT(ret, -1);
	/* A second call fails too, without a second message (a hung engine would cost another 5 s). */
	if (!strstr(why, "answer")) {
		CHECK_INT(docker_image_inspect(d, "busybox:local", &j), -1);
		CHECK(j == NULL);
	}
	msg = capture_end();
	want = xasprintf("sindri-build: cannot reach the Docker engine at '%s': %s%s", host, why,
	                 strstr(why, "answer") ? "; is dockerd running and responsive? (set DOCKER_HOST to use another "
	                                         "engine)\n"
	                                       : UNREACHABLE_HINT);
	CHECK_STR(msg, want); /* exactly one message for both calls */
	CHECK(took < limit_s);
	if (took >= limit_s)
		fprintf(stderr, "  '%s' took %.1f s\n", host, took);
	free(msg);
	free(want);
	docker_close(d);
	if (saved)
		setenv("DOCKER_HOST", saved, 1);
	else
		unsetenv("DOCKER_HOST");
	free(saved);
}

static void test_unreachable(void)
{
	char host[64];
	int port, fd = listener(&port);
	int64_t start;

	check_unreachable("unix:///nonexistent.sock", "no such file or directory", 5.0);
	close(fd); /* the port is free again, so nothing listens there */
	snprintf(host, sizeof(host), "tcp://127.0.0.1:%d", port);
	check_unreachable(host, "connection refused", 5.0);
	/* An engine that accepts the connection and never answers: reported when /_ping's 5 s are up. */
	fd = listener(&port);
	snprintf(host, sizeof(host), "tcp://127.0.0.1:%d", port);
	start = mono_ns();
	check_unreachable(host, "connected, but no answer within 5 s", 6.5);
	CHECK(seconds_since(start) > 4.5);
	close(fd);
}

/* interrupted_child: in a child of its own (the signal flag cannot be unset), ^C 0.3 s into a request to an
 * engine that never answers: the request is abandoned at once with one message, not after its timeout. The exit
 * status says what failed (0: nothing). */
static int interrupted_child(const char *host)
{
	struct docker *d;
	int64_t start, reclaimed = 0;
	pid_t me = getpid(), timer;
	int ret;
	char *msg;

	signals_install();
	d = docker_open(host);
	fflush(NULL);
	if ((timer = fork()) == 0) {
		usleep(300000);
		kill(me, SIGINT);
		_exit(0);
	}
	capture_begin();
	start = mono_ns();
	ret = docker_build_prune_id(d, "x", &reclaimed);
	msg = capture_end();
	waitpid(timer, NULL, 0);
	docker_close(d);
	if (ret != -1)
		return 1;
	if (seconds_since(start) > 2.5) /* the ping alone would wait 5 s; the prune 600 s */
		return 2;
	if (!strstr(msg, "interrupted: the request to the Docker engine at") || strstr(msg, "cannot reach"))
		return fprintf(stderr, "  message: %s", msg), 3;
	free(msg);
	return 0;
}

/* test_interrupted: a request in flight ends on SIGINT, both over libcurl and while an engine helper waits. */
static void test_interrupted(void)
{
	char host[64];
	int fd, port, status = -1;
	pid_t pid;

	fd = listener(&port);
	snprintf(host, sizeof(host), "tcp://127.0.0.1:%d", port);
	fflush(NULL);
	if ((pid = fork()) == 0)
		_exit(interrupted_child(host));
	waitpid(pid, &status, 0);
	CHECK_INT(WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status), 0);
	close(fd);
}

/* test_busy: a disk-use scan that the engine refuses because another one is running is asked again. */
static void test_busy(void)
{
	struct fake f;
	struct docker *d;
	struct docker_df df;
	char *log;
	const char *p;
	int n = 0;

	fake_busy = 3;
	fake_start(&f, "1.41", 200);
	fake_busy = 0;
	d = docker_open(f.host);
	capture_begin();
	CHECK_INT(docker_system_df(d, &df), 0);
	log = capture_end();
	CHECK_STR(log, ""); /* no message: the scan was had in the end */
	free(log);
	docker_close(d);
	log = fake_stop(&f);
	for (p = log; (p = strstr(p, "GET /v1.41/system/df")); p++)
		n++;
	CHECK_INT(n, 4);
	free(log);
}

/* check_negotiation: what the client makes of a /_ping API-Version header. */
static void check_negotiation(const char *server, const char *want)
{
	struct fake f;
	struct docker *d;
	char *log;

	fake_start(&f, server, 200);
	d = docker_open(f.host);
	CHECK_INT(docker_ping(d), 0);
	CHECK_STR(docker_api_version(d), want);
	docker_close(d);
	log = fake_stop(&f);
	CHECK_STR(log, "GET /_ping\n\n");
	free(log);
}

static void test_fake_engine(void)
{
	struct fake f;
	struct docker *d;
	struct json *j;
	char *log, *msg, *id;
	int64_t reclaimed;
	size_t deleted;
	const char *filters[] = {"reference=sindri:*", "label=org.sindri-build.key=a b&c", "reference=x/y:1",
	                         "dangling=false", "label=plain", NULL};
	const char *filters_124[] = {"reference=sindri:*", "label=org.sindri-build.key=a b&c", "dangling=false", NULL};
	const char *prune_filters[] = {"until=24h", "inuse", NULL};
	const char *cmd[] = {"sh", "-c", "echo \"$X\"", NULL}, *env[] = {"X=1", NULL};
	const char *labels[] = {"org.sindri-build.key=k=v", "flag", NULL}, *binds[] = {"vol:/data:ro", NULL};
	const char *vols[] = {"/scratch", NULL};
	struct docker_container_spec spec = {0};

	check_negotiation("1.43", "1.41"); /* newer engines are asked for what we speak */
	check_negotiation("1.41", "1.41");
	check_negotiation("1.30", "1.30");
	check_negotiation(NULL, "1.24"); /* engines before 1.25 send no header */

	/* Every request, exactly as sent, against a 1.41 engine. */
	fake_start(&f, "1.41", 200);
	d = docker_open(f.host);
	CHECK_INT(docker_image_list(d, filters, &j), 0);
	CHECK(j && j->type == JSON_ARRAY && json_len(j) == 0);
	json_free(j);
	CHECK_INT(docker_image_tag(d, "sha256:abc", "localhost:5000/sindri/base:key-1"), 0);
	CHECK_INT(docker_image_tag(d, "busybox:local", "localhost:5000/sindri"), 0);
	CHECK_INT(docker_image_remove(d, "localhost:5000/sindri/base:key-1", DOCKER_FORCE | DOCKER_NOPRUNE), 0);
	spec.name = "sb-test";
	spec.image = "busybox:local";
	spec.cmd = cmd;
	spec.env = env;
	spec.labels = labels;
	spec.binds = binds;
	spec.volumes = vols;
	spec.workdir = "/work";
	spec.user = "1000:1000";
	spec.tty = 1;
	spec.stdin_open = 1;
	CHECK_INT(docker_container_create(d, &spec, &id), 0);
	CHECK_STR(id, "c0ffee");
	free(id);
	CHECK_INT(docker_container_stop(d, "c0ffee", 3), 0);
	CHECK_INT(docker_container_remove(d, "c0ffee", DOCKER_FORCE | DOCKER_VOLUMES), 0);
	CHECK_INT(docker_volume_remove(d, "my vol", DOCKER_FORCE), 0);
	CHECK_INT(docker_build_prune(d, prune_filters, 0, &reclaimed, &deleted), 0);
	CHECK_INT(reclaimed, 4096);
	CHECK_INT(deleted, 1);
	CHECK_INT(docker_build_prune_id(d, "abc.def", &reclaimed), 0);
	docker_close(d);
	log = fake_stop(&f);
	CHECK_STR(log,
	          "GET /_ping\n\n"
	          "GET /v1.41/images/json?filters=%7B%22reference%22%3A%5B%22sindri%3A%2A%22%2C%22x%2Fy%3A1%22%5D%2C"
	          "%22label%22%3A%5B%22org.sindri-build.key%3Da%20b%26c%22%2C%22plain%22%5D%2C%22dangling%22%3A%5B%22false"
	          "%22%5D%7D\n\n"
	          "POST /v1.41/images/sha256:abc/tag?repo=localhost%3A5000%2Fsindri%2Fbase&tag=key-1\n\n"
	          "POST /v1.41/images/busybox:local/tag?repo=localhost%3A5000%2Fsindri\n\n"
	          "DELETE /v1.41/images/localhost:5000/sindri/base:key-1?force=1&noprune=1\n\n"
	          "POST /v1.41/containers/create?name=sb-test\n"
	          "{\"Image\":\"busybox:local\",\"Cmd\":[\"sh\",\"-c\",\"echo \\\"$X\\\"\"],\"Env\":[\"X=1\"],"
	          "\"Labels\":{\"org.sindri-build.key\":\"k=v\",\"flag\":\"\"},\"Volumes\":{\"/scratch\":{}},"
	          "\"WorkingDir\":\"/work\",\"User\":\"1000:1000\",\"Tty\":true,\"OpenStdin\":true,\"AttachStdin\":true,"
	          "\"HostConfig\":{\"Binds\":[\"vol:/data:ro\"],\"AutoRemove\":false}}\n"
	          "POST /v1.41/containers/c0ffee/stop?t=3\n\n"
	          "DELETE /v1.41/containers/c0ffee?force=1&v=1\n\n"
	          "DELETE /v1.41/volumes/my%20vol?force=1\n\n"
	          "POST /v1.41/build/prune?filters=%7B%22until%22%3A%5B%2224h%22%5D%2C%22inuse%22%3A%5B%5D%7D\n\n"
	          "POST /v1.41/build/prune?all=1&filters=%7B%22id%22%3A%5B%22%5Eabc%5C%5C.def%24%22%5D%7D\n\n");
	free(log);

	/* An API 1.24 engine: the reference filter becomes ?filter=, and what 1.24 lacks fails with a reason. */
	fake_start(&f, NULL, 200);
	d = docker_open(f.host);
	CHECK_INT(docker_image_list(d, filters_124, &j), 0);
	json_free(j);
	capture_begin();
	CHECK_INT(docker_image_list(d, filters, &j), -1);
	CHECK_INT(docker_build_prune_id(d, "abc", NULL), -1);
	msg = capture_end();
	CHECK(strstr(msg, "cannot list images: the Docker engine at 'tcp://127.0.0.1:") != NULL);
	CHECK(strstr(msg, "speaks API 1.24, which takes one reference filter\n") != NULL);
	CHECK(strstr(msg, "sindri-build: cannot prune the build cache: the Docker engine at 'tcp://127.0.0.1:") != NULL);
	CHECK(strstr(msg, "speaks API 1.24 and this needs 1.39 or newer") != NULL);
	free(msg);
	docker_close(d);
	log = fake_stop(&f);
	CHECK_STR(log, "GET /_ping\n\n"
	               "GET /v1.24/images/json?filter=sindri%3A%2A&filters=%7B%22label%22%3A%5B%22org.sindri-build.key%3Da"
	               "%20b%26c%22%5D%2C%22dangling%22%3A%5B%22false%22%5D%7D\n\n");
	free(log);

	/* Something that answers HTTP but is not an engine. */
	fake_start(&f, NULL, 404);
	d = docker_open(f.host);
	capture_begin();
	CHECK_INT(docker_version(d, &j), -1);
	msg = capture_end();
	CHECK(strstr(msg, "answered '/_ping' with OK (HTTP 404); is it a Docker engine? (check DOCKER_HOST)") != NULL);
	CHECK_INT(docker_unreachable(d), 0);
	free(msg);
	docker_close(d);
	free(fake_stop(&f));

	/* An engine that expects TLS, asked in plain HTTP: unreachable, and the message says what to set. */
	fake_start(&f, NULL, 400);
	d = docker_open(f.host);
	capture_begin();
	CHECK_INT(docker_version(d, &j), -1);
	msg = capture_end();
	CHECK(strstr(msg, "cannot reach the Docker engine at 'tcp://127.0.0.1:") != NULL);
	CHECK(strstr(msg, "': it expects TLS; set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem)\n") !=
	      NULL);
	CHECK_INT(docker_unreachable(d), 1);
	free(msg);
	docker_close(d);
	free(fake_stop(&f));
}

/* Names of what the real-engine tests create, all carrying the pid. */
struct names {
	char repo[32], tag1[96], tag2[128], built[96], label[96], vol[64], ctr[64], stamp[64];
	int64_t build_start, build_end; /* unix seconds around the docker build */
};

static void names_init(struct names *n)
{
	int pid = (int)getpid();

	snprintf(n->repo, sizeof(n->repo), "sindri-test-%d", pid);
	snprintf(n->tag1, sizeof(n->tag1), "%s:t1", n->repo);
	snprintf(n->tag2, sizeof(n->tag2), "localhost:5000/%s/base:t2", n->repo);
	snprintf(n->built, sizeof(n->built), "%s:built", n->repo);
	snprintf(n->label, sizeof(n->label), "org.sindri-build.key=%d-%lld", pid, (long long)now_ns());
	snprintf(n->vol, sizeof(n->vol), "%s-vol", n->repo);
	snprintf(n->ctr, sizeof(n->ctr), "%s-ctr", n->repo);
	snprintf(n->stamp, sizeof(n->stamp), "stamp-%d-%lld", pid, (long long)now_ns());
}

/* cleanup: remove whatever a test run left, quietly when it is already gone. */
static void cleanup(struct docker *d, const struct names *n)
{
	docker_container_remove(d, n->ctr, DOCKER_FORCE | DOCKER_VOLUMES);
	docker_volume_remove(d, n->vol, DOCKER_FORCE);
	docker_image_remove(d, n->tag1, 0);
	docker_image_remove(d, n->tag2, 0);
	docker_image_remove(d, n->built, DOCKER_FORCE);
}

/* run: spawn argv (no shell) and return its exit status, or -1. */
static int run(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status, err;

	/* `docker build -q` prints the image ID: keep it out of the test's output. */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	err = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (err != 0)
		return -1;
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* ensure_base: busybox:local exists, made by tests/lib/docker-setup.sh when missing. */
static int ensure_base(struct docker *d, struct json **out)
{
	const char *src = getenv("SB_SRCDIR");
	char *script, exe[4096];
	ssize_t n;
	int ret = docker_image_inspect(d, "busybox:local", out);

	if (ret != DOCKER_NOT_FOUND)
		return ret;
	/* From the source tree: $SB_SRCDIR, the current directory, or two levels above build/tests/. */
	script = xasprintf("%s/tests/lib/docker-setup.sh", src ? src : ".");
	if (access(script, R_OK) != 0 && (n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
		exe[n] = '\0';
		free(script);
		script = xasprintf("%s/../../tests/lib/docker-setup.sh", dirname(exe));
	}
	{
		char *argv[] = {(char *)"/bin/sh", script, NULL};
		if (run(argv) != 0)
			fprintf(stderr, "'%s' failed\n", script);
	}
	free(script);
	return docker_image_inspect(d, "busybox:local", out);
}

static int has_string(const struct json *list, const char *s)
{
	size_t k;

	for (k = 0; k < json_len(list); k++)
		if (strcmp(json_str(json_at(list, k), ""), s) == 0)
			return 1;
	return 0;
}

static void test_images(struct docker *d, struct names *n, const char *base_id)
{
	struct json *j;
	char *msg, ref_filter[128], label_filter[128];
	const char *f1[] = {ref_filter, NULL}, *f2[] = {label_filter, "dangling=false", NULL};
	const char *f3[] = {"reference=sindri-test-no-such-repo:*", NULL};

	CHECK_INT(docker_image_tag(d, "busybox:local", n->tag1), 0);
	CHECK_INT(docker_image_tag(d, base_id, n->tag2), 0);
	CHECK_INT(docker_image_inspect(d, n->tag2, &j), 0);
	CHECK_STR(json_str(json_get(j, "Id"), NULL), base_id);
	CHECK(has_string(json_get(j, "RepoTags"), n->tag1));
	json_free(j);
	snprintf(ref_filter, sizeof(ref_filter), "reference=%s:*", n->repo);
	CHECK_INT(docker_image_list(d, f1, &j), 0);
	CHECK_INT(json_len(j), 1);
	CHECK_STR(json_str(json_path(j, "0.Id"), NULL), base_id);
	CHECK(has_string(json_path(j, "0.RepoTags"), n->tag1));
	json_free(j);
	CHECK_INT(docker_image_list(d, f3, &j), 0);
	CHECK(j && j->type == JSON_ARRAY && json_len(j) == 0);
	json_free(j);
	capture_begin();
	CHECK_INT(docker_image_tag(d, "sindri-test-no-such-image:x", n->tag1), DOCKER_NOT_FOUND);
	CHECK_INT(docker_image_inspect(d, "sindri-test-no-such-image:x", &j), DOCKER_NOT_FOUND);
	msg = capture_end();
	CHECK_STR(msg, ""); /* not found is an answer, not an error */
	CHECK(j == NULL);
	free(msg);

	/* A BuildKit build through the CLI, found again by its label. */
	{
		char dir[] = "/tmp/sindri-test-build.XXXXXX", *dockerfile, label_arg[128];
		const char *cli = getenv("SB_DOCKER_CLI") ? getenv("SB_DOCKER_CLI") : "/usr/bin/docker";
		struct buf text = BUF_INIT;
		char *argv[] = {(char *)cli, (char *)"build", (char *)"-q", (char *)"--label", label_arg, (char *)"-t",
		                (char *)n->built, dir, NULL};

		CHECK(mkdtemp(dir) != NULL);
		dockerfile = xasprintf("%s/Dockerfile", dir);
		buf_addf(&text, "FROM busybox:local\nRUN echo %s > /stamp\n", n->stamp);
		CHECK_INT(write_file_atomic(dockerfile, text.data, text.len), 0);
		snprintf(label_arg, sizeof(label_arg), "%s", n->label);
		setenv("DOCKER_BUILDKIT", "1", 1);
		n->build_start = now_ns() / 1000000000;
		CHECK_INT(run(argv), 0);
		n->build_end = now_ns() / 1000000000 + 1;
		unlink(dockerfile);
		rmdir(dir);
		free(dockerfile);
		buf_release(&text);
	}
	snprintf(label_filter, sizeof(label_filter), "label=%s", n->label);
	CHECK_INT(docker_image_list(d, f2, &j), 0);
	CHECK_INT(json_len(j), 1);
	CHECK(has_string(json_path(j, "0.RepoTags"), n->built));
	CHECK_STR(json_str(json_get(json_path(j, "0.Labels"), "org.sindri-build.key"), NULL), strchr(n->label, '=') + 1);
	json_free(j);
}

static int cache_has(const struct docker_cache *c, const char *id)
{
	size_t k;

	for (k = 0; k < c->n; k++)
		if (strcmp(c->v[k].id, id) == 0)
			return 1;
	return 0;
}

/* test_build_cache: the records of the build (pre: the cache before it); all of them are pruned at the end. */
static void test_build_cache(struct docker *d, const struct names *n, const struct docker_cache *pre)
{
	struct docker_cache before, after;
	const struct docker_cache_record *mine = NULL;
	char *id = NULL;
	int64_t now = now_ns() / 1000000000, reclaimed = -1;
	size_t k, kept = 0;

	CHECK_INT(docker_build_cache(d, &before), 0);
	CHECK(before.n >= 1);
	for (k = 0; k < before.n; k++) {
		CHECK(before.v[k].id[0] != '\0');
		CHECK(before.v[k].type[0] != '\0');
		CHECK(before.v[k].size >= 0);
		CHECK(before.v[k].created > 1500000000);
		if (strstr(before.v[k].description, n->stamp))
			mine = &before.v[k];
	}
	/* The RUN step of the build above is a record of its own. */
	CHECK(mine != NULL);
	if (mine) {
		CHECK_STR(mine->type, "regular");
		CHECK(mine->created > now - 600 && mine->created <= now + 60);
		CHECK(mine->last_used >= mine->created);
		CHECK_INT(mine->in_use, 0);
		CHECK(mine->parent[0] != '\0');
		id = xstrdup(mine->id);
		CHECK_INT(docker_build_prune_id(d, id, &reclaimed), 0);
		CHECK(reclaimed >= 0);
		CHECK_INT(docker_build_prune_id(d, id, NULL), DOCKER_NOT_FOUND);
		CHECK_INT(docker_build_cache(d, &after), 0);
		/* Exactly that record went: the other records of this build (its parent among them) are still there.
		 * Records of other people's builds are left out: the engine is shared, and they may prune their own. */
		size_t ours = 0;
		for (k = 0; k < before.n; k++) {
			const struct docker_cache_record *r = &before.v[k];
			int parent = strcmp(r->id, mine->parent) == 0;
			if (strcmp(r->id, id) == 0 || (!parent && (cache_has(pre, r->id) || r->created < n->build_start ||
			                                           r->created > n->build_end)))
				continue;
			ours++;
			kept += cache_has(&after, r->id);
		}
		CHECK(ours >= 1);
		CHECK_INT(kept, ours);
		CHECK(!cache_has(&after, id));
		docker_cache_release(&after);
		free(id);
	}
	/* The build's own source records (its context and Dockerfile) go too, so runs leave nothing behind; the
	 * time window keeps other people's concurrent builds out of it. */
	for (k = 0; k < before.n; k++) {
		const struct docker_cache_record *r = &before.v[k];
		if (!cache_has(pre, r->id) && strcmp(r->type, "source.local") == 0 && !r->in_use &&
		    r->created >= n->build_start && r->created <= n->build_end)
			CHECK(docker_build_prune_id(d, r->id, NULL) >= 0);
	}
	docker_cache_release(&before);
}

static void test_containers(struct docker *d, const struct names *n)
{
	struct json *j = NULL, *m;
	struct docker_container_spec spec = {0};
	char bind[128], label[96], *id = NULL, *msg;
	const char *cmd[] = {"sh", "-c", "echo $GREETING > /data/hello; exec sleep 60", NULL};
	const char *env[] = {"GREETING=hi", NULL}, *labels[] = {label, NULL}, *binds[] = {bind, NULL};
	const char *vlabels[] = {"org.sindri-build.test=1", NULL};
	int64_t start;
	size_t k;
	int found = 0;

	CHECK_INT(docker_volume_create(d, n->vol, vlabels, &j), 0);
	CHECK_STR(json_str(json_get(j, "Name"), NULL), n->vol);
	json_free(j);
	CHECK_INT(docker_volume_create(d, n->vol, vlabels, NULL), 0); /* existing: fine */
	CHECK_INT(docker_volume_inspect(d, n->vol, &j), 0);
	CHECK_STR(json_str(json_get(json_get(j, "Labels"), "org.sindri-build.test"), NULL), "1");
	json_free(j);

	snprintf(bind, sizeof(bind), "%s:/data", n->vol);
	snprintf(label, sizeof(label), "org.sindri-build.test=%d", (int)getpid());
	spec.name = n->ctr;
	spec.image = "busybox:local";
	spec.cmd = cmd;
	spec.env = env;
	spec.labels = labels;
	spec.binds = binds;
	spec.tty = 1;
	spec.stdin_open = 1;
	CHECK_INT(docker_container_create(d, &spec, &id), 0);
	CHECK(id && strlen(id) == 64);
	CHECK_INT(docker_container_inspect(d, n->ctr, &j), 0);
	CHECK_STR(json_str(json_get(j, "Id"), NULL), id ? id : "");
	CHECK_STR(json_str(json_get(json_path(j, "Config.Labels"), "org.sindri-build.test"), NULL), strchr(label, '=') + 1);
	CHECK(has_string(json_path(j, "Config.Env"), "GREETING=hi"));
	CHECK_INT(json_bool(json_path(j, "Config.Tty"), 0), 1);
	CHECK_INT(json_bool(json_path(j, "Config.OpenStdin"), 0), 1);
	for (k = 0; k < json_len(json_get(j, "Mounts")); k++) {
		m = json_at(json_get(j, "Mounts"), k);
		found += strcmp(json_str(json_get(m, "Name"), ""), n->vol) == 0 &&
		         strcmp(json_str(json_get(m, "Destination"), ""), "/data") == 0;
	}
	CHECK_INT(found, 1);
	json_free(j);

	CHECK_INT(docker_container_start(d, id), 0);
	CHECK_INT(docker_container_start(d, id), 0); /* already running: 304 */
	CHECK_INT(docker_container_inspect(d, id, &j), 0);
	CHECK_INT(json_bool(json_path(j, "State.Running"), 0), 1);
	json_free(j);

	/* A running container renamed keeps running under the new name, and gets its name back. */
	char *aside = xasprintf("%s-aside", n->ctr);
	CHECK_INT(docker_container_rename(d, id, aside), 0);
	CHECK_INT(docker_container_inspect(d, n->ctr, &j), DOCKER_NOT_FOUND);
	CHECK_INT(docker_container_inspect(d, aside, &j), 0);
	CHECK_STR(json_str(json_get(j, "Id"), NULL), id ? id : "");
	CHECK_INT(json_bool(json_path(j, "State.Running"), 0), 1);
	json_free(j);
	CHECK_INT(docker_container_rename(d, aside, n->ctr), 0);
	CHECK_INT(docker_container_inspect(d, n->ctr, NULL), 0);
	free(aside);

	/* The volume is in use: a real error, with the engine's reason. */
	capture_begin();
	CHECK_INT(docker_volume_remove(d, n->vol, 0), -1);
	CHECK_INT(docker_container_create(d, &(struct docker_container_spec){.image = "sindri-test-no-such-image:x"}, NULL),
	          -1);
	msg = capture_end();
	CHECK(strstr(msg, "cannot remove volume '") && strstr(msg, "in use") && strstr(msg, "(HTTP 409)"));
	CHECK(strstr(msg, "cannot create container '(unnamed)' from image 'sindri-test-no-such-image:x': No such image"));
	free(msg);

	/* sleep as PID 1 ignores SIGTERM, so this is the 1 s timeout and then SIGKILL. */
	start = mono_ns();
	CHECK_INT(docker_container_stop(d, n->ctr, 1), 0);
	CHECK(seconds_since(start) < 15);
	CHECK_INT(docker_container_stop(d, n->ctr, 1), 0); /* already stopped: 304 */
	CHECK_INT(docker_container_inspect(d, id, &j), 0);
	CHECK_INT(json_bool(json_path(j, "State.Running"), 1), 0);
	json_free(j);
	CHECK_INT(docker_container_remove(d, id, DOCKER_VOLUMES), 0);
	CHECK_INT(docker_container_inspect(d, id, &j), DOCKER_NOT_FOUND);
	CHECK_INT(docker_container_remove(d, id, 0), DOCKER_NOT_FOUND);
	CHECK_INT(docker_container_start(d, id), DOCKER_NOT_FOUND);
	CHECK_INT(docker_container_stop(d, id, 0), DOCKER_NOT_FOUND);
	CHECK_INT(docker_container_rename(d, id, n->ctr), DOCKER_NOT_FOUND);
	free(id);

	/* A named volume outlives its container, until removed. */
	CHECK_INT(docker_volume_inspect(d, n->vol, NULL), 0);
	CHECK_INT(docker_volume_remove(d, n->vol, 0), 0);
	CHECK_INT(docker_volume_remove(d, n->vol, 0), DOCKER_NOT_FOUND);
	CHECK_INT(docker_volume_inspect(d, n->vol, &j), DOCKER_NOT_FOUND);
}

static void test_engine(struct docker *d)
{
	struct names n;
	struct json *j = NULL;
	struct docker_df df;
	struct docker_cache pre;
	char base_id[80] = "";

	names_init(&n);
	CHECK_STR(docker_api_version(d), "1.41");
	CHECK_INT(docker_version(d, &j), 0);
	CHECK(json_str(json_get(j, "Version"), NULL) != NULL);
	CHECK_STR(json_str(json_get(j, "ApiVersion"), NULL), "1.41");
	json_free(j);
	CHECK_INT(docker_get(d, "/info", &j), 0);
	CHECK(json_int(json_get(j, "Images"), -1) >= 0);
	json_free(j);

	CHECK_INT(ensure_base(d, &j), 0);
	snprintf(base_id, sizeof(base_id), "%s", json_str(json_get(j, "Id"), ""));
	CHECK(str_has_prefix(base_id, "sha256:"));
	CHECK(has_string(json_get(j, "RepoTags"), "busybox:local"));
	json_free(j);

	CHECK_INT(docker_build_cache(d, &pre), 0);
	test_images(d, &n, base_id);
	test_build_cache(d, &n, &pre);
	docker_cache_release(&pre);
	/* Untagging: the tag goes, the image stays; a second remove is "not found". */
	CHECK_INT(docker_image_remove(d, n.tag1, 0), 0);
	CHECK_INT(docker_image_remove(d, n.tag1, 0), DOCKER_NOT_FOUND);
	CHECK_INT(docker_image_remove(d, n.tag2, DOCKER_NOPRUNE), 0);
	CHECK_INT(docker_image_inspect(d, "busybox:local", NULL), 0);
	CHECK_INT(docker_image_remove(d, n.built, 0), 0);
	CHECK_INT(docker_image_inspect(d, n.built, NULL), DOCKER_NOT_FOUND);
	test_containers(d, &n);

	CHECK_INT(docker_system_df(d, &df), 0);
	CHECK(df.images >= 1);
	CHECK(df.images_size > 0);
	CHECK(df.cache_size >= 0);
	cleanup(d, &n);
}

int main(void)
{
	struct docker *d;
	const char *ci = getenv("CI");

	test_parse_time();
	test_addresses();
	test_fake_engine();
	test_unreachable();
	test_interrupted();
	test_busy();

	/* The real engine, at DOCKER_HOST or the default socket. */
	d = docker_open(NULL);
	if (!d || docker_ping(d) < 0) {
		docker_close(d);
		if (!ci || strcmp(ci, "true") != 0) {
			printf("integ_dockerapi: skipped: no docker engine\n");
			return t_done("integ_dockerapi");
		}
		CHECK(!"a Docker engine answers (CI=true never skips)");
		return t_done("integ_dockerapi");
	}
	test_engine(d);
	docker_close(d);
	return t_done("integ_dockerapi");
}
