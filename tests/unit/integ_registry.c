/* integ_registry: the registry client: the challenge parser on the golden cases of tests/golden/registry, the
 * parsing of repository names, the Bearer token dance against a fake registry (tokens, identity tokens,
 * pagination, 5xx, hung and closed ports), then a real registry (Debian's docker-registry, started through
 * tests/lib/registry-setup.sh) with images pushed by the real docker CLI: open, and with htpasswd auth answered
 * from the environment, a config.json written by docker login, auths, credHelpers and credsStore. Without a
 * Docker engine or docker-registry the real part is skipped, except under CI=true. Everything is named after
 * the pid and removed at the end. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"
#include "regauth.h"
#include "registry.h"
#include "t.h"
#include "tnet.h"
#include "util.h"

#define DOCKER "/usr/bin/docker"
#define SETUP "tests/lib/registry-setup.sh"

static char tmp[64];        /* the test's temporary directory */
static char pushed[2][128]; /* image references to docker rmi at the end */
static int registries;      static void put_file(const char *path, const char *text, mode_t mode)
{
	if (write_file_atomic(path, text, strlen(text)) < 0 || chmod(path, mode) < 0)
		fatal("cannot write '%s':", path);
}

/* use_creds: the credentials the client finds: environment variables (NULL: unset) and the DOCKER_CONFIG
 * directory (NULL: an empty one, so that the user's own ~/.docker never counts). */
static void use_creds(const char *user, const char *pass, const char *token, const char *config_dir)
{
	char *empty = xasprintf("%s/empty", tmp);

	user ? setenv("REGISTRY_USER", user, 1) : unsetenv("REGISTRY_USER");
	pass ? setenv("REGISTRY_PASSWORD", pass, 1) : unsetenv("REGISTRY_PASSWORD");
	token ? setenv("REGISTRY_TOKEN", token, 1) : unsetenv("REGISTRY_TOKEN");
	setenv("DOCKER_CONFIG", config_dir ? config_dir : empty, 1);
	free(empty);
}

/* The golden challenges: "< value" then "> result" lines. */
static void render(struct buf *out, int rc, const struct regauth_challenge *c, const struct buf *err)
{
	const char *names[] = {"realm", "service", "scope", "error"};
	const char *vals[] = {c->realm, c->service, c->scope, c->error};
	size_t i;

	if (rc < 0) {
		buf_addf(out, "malformed: %s", err->data);
		return;
	}
	buf_adds(out, c->scheme == REGAUTH_BEARER ? "bearer" : c->scheme == REGAUTH_BASIC ? "basic" : "none");
	for (i = 0; i < LEN(names); i++)
		if (vals[i])
			buf_addf(out, " %s=[%s]", names[i], vals[i]);
}

static void test_challenges(const char *path)
{
	struct buf text = BUF_INIT, got = BUF_INIT, err = BUF_INIT;
	struct regauth_challenge c;
	char *line, *save = NULL, *value = NULL;
	int cases = 0, rc;

	if (read_file(path, &text) < 0)
		fatal("cannot read '%s':", path);
	for (line = strtok_r(text.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (str_has_prefix(line, "< ") || !strcmp(line, "<")) {
			value = line[1] ? line + 2 : line + 1;
			continue;
		}
		if (!str_has_prefix(line, "> ") || !value)
			continue;
		buf_reset(&got);
		buf_reset(&err);
		buf_adds(&err, "");
		rc = regauth_challenge_parse(value, &c, &err);
		render(&got, rc, &c, &err);
		if (strcmp(got.data, line + 2) != 0)
			fprintf(stderr, "challenge '%s':\n  want %s\n  got  %s\n", value, line + 2, got.data);
		CHECK_STR(got.data, line + 2);
		regauth_challenge_release(&c);
		value = NULL;
		cases++;
	}
	CHECK(cases >= 30);
	buf_release(&text);
	buf_release(&got);
	buf_release(&err);
}

static void test_base64(void)
{
	struct regauth_cred cred = {(char *)"Aladdin", (char *)"open sesame", NULL, 0};
	struct buf b = BUF_INIT;

	regauth_basic(&b, &cred);
	CHECK_STR(b.data, "Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
	buf_reset(&b);
	CHECK_INT(regauth_base64_decode("QWxhZGRpbjpvcGVuIHNlc2FtZQ==", &b), 0);
	CHECK_STR(b.data, "Aladdin:open sesame");
	buf_reset(&b);
	CHECK_INT(regauth_base64_decode("dTpw", &b), 0);
	CHECK_STR(b.data, "u:p");
	CHECK_INT(regauth_base64_decode("dTp*", &b), -1);
	CHECK_INT(regauth_base64_decode("dTpw=x", &b), -1);
	regauth_wipe(&b);
}

/* check_cred: what regauth_cred_lookup finds for host with config.json holding json (NULL: no file). */
static void check_cred(const char *json, const char *host, int hub, int want_rc, const char *want)
{
	char *dir = xasprintf("%s/cfg", tmp), *path = xasprintf("%s/config.json", dir);
	struct regauth_cred c;
	struct buf err = BUF_INIT, got = BUF_INIT;
	int rc;

	mkdir(dir, 0700);
	unlink(path);
	if (json)
		put_file(path, json, 0600);
	setenv("DOCKER_CONFIG", dir, 1);
	rc = regauth_cred_lookup(host, hub, &c, &err);
	CHECK_INT(rc, want_rc);
	if (rc > 0)
		buf_addf(&got, "%s:%s%s from %s", c.user, c.secret, c.identity ? " (identity)" : "", c.source);
	else
		buf_addf(&got, "%s", err.data ? err.data : "");
	CHECK(str_has_prefix(got.data, want));
	if (!str_has_prefix(got.data, want))
		fprintf(stderr, "credentials for '%s': got '%s', want '%s'\n", host, got.data, want);
	regauth_cred_release(&c);
	buf_release(&err);
	buf_release(&got);
	free(path);
	free(dir);
}

static void test_creds(void)
{
	const char *hub = "{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"aHViOnB3\"},"
	                  "\"ghcr.io\":{\"auth\":\"Z2g6dG9r\"}}}";

	use_creds(NULL, NULL, NULL, NULL);
	check_cred(NULL, "ghcr.io", 0, 0, "");
	check_cred(hub, "registry-1.docker.io", 1, 1, "hub:pw from '");
	check_cred(hub, "ghcr.io", 0, 1, "gh:tok from '");
	check_cred(hub, "quay.io", 0, 0, "");
	check_cred("{\"auths\":{\"https://ghcr.io/v2/\":{\"username\":\"me\",\"password\":\"pw\"}}}", "ghcr.io", 0, 1,
	           "me:pw from '");
	check_cred("{\"auths\":{\"docker.io\":{\"auth\":\"aHViOnB3\"}}}", "registry-1.docker.io", 1, 1, "hub:pw");
	check_cred("{\"auths\":{\"ghcr.io\":{\"auth\":\"bm9jb2xvbg==\"}}}", "ghcr.io", 0, -1,
	           "the \"auth\" entry for 'ghcr.io' in '");
	check_cred("{\"auths\":{\"ghcr.io\":{\"auth\":\"bWU6\",\"identitytoken\":\"idt\"}}}", "ghcr.io", 0, 1,
	           "me:idt (identity) from '");
	check_cred("{\"auths\":", "ghcr.io", 0, -1, "cannot parse '");
	check_cred("{\"credHelpers\":{\"ghcr.io\":\"../evil\"}}", "ghcr.io", 0, -1,
	           "invalid credential helper name '../evil' in credHelpers in '");
	setenv("REGISTRY_USER", "ci", 1);
	check_cred(hub, "ghcr.io", 0, -1, "REGISTRY_USER is set but neither REGISTRY_PASSWORD nor REGISTRY_TOKEN is");
	setenv("REGISTRY_PASSWORD", "cipw", 1);
	check_cred(hub, "ghcr.io", 0, 1, "ci:cipw from REGISTRY_USER and REGISTRY_PASSWORD");
	unsetenv("REGISTRY_USER");
	check_cred(hub, "ghcr.io", 0, -1, "REGISTRY_PASSWORD is set but REGISTRY_USER is not; set both");
	use_creds(NULL, NULL, "citok", NULL);
	check_cred(hub, "ghcr.io", 0, 1, "token:citok from REGISTRY_TOKEN");
	use_creds(NULL, NULL, NULL, NULL);
}

/* A credential helper starts with clean signal state, although sindri-build ignores SIGPIPE: one that writes to a
 * pipe whose reader left must die of it, as under a shell, not loop on EPIPE; and no signal is blocked in it. */
static void test_helper_signals(void)
{
	static const char helper[] =
	        "#!/bin/sh\ncat >/dev/null\n"
	        "ign=$(sed -n 's/^SigIgn:[[:space:]]*//p' /proc/$$/status)\n"
	        "blk=$(sed -n 's/^SigBlk:[[:space:]]*//p' /proc/$$/status)\n"
	        "if [ $(( 0x$ign >> 12 & 1 )) = 1 ]; then echo 'SIGPIPE is ignored' >&2; exit 1; fi\n"
	        "if [ $(( 0x$blk )) != 0 ]; then echo \"signals $blk are blocked\" >&2; exit 1; fi\n"
	        "printf '{\"Username\":\"sig\",\"Secret\":\"clean\"}\\n'\n";
	char *bin = xasprintf("%s/bin", tmp), *path = xasprintf("%s/docker-credential-sbsig", bin);
	char *old = xstrdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin"), *newpath = xasprintf("%s:%s", bin, old);
	sigset_t usr1, saved;
	void (*pipe_was)(int) = signal(SIGPIPE, SIG_IGN);

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &saved);
	mkdir(bin, 0700);
	put_file(path, helper, 0755);
	setenv("PATH", newpath, 1);
	check_cred("{\"credHelpers\":{\"ghcr.io\":\"sbsig\"}}", "ghcr.io", 0, 1, "sig:clean from ");
	setenv("PATH", old, 1);
	sigprocmask(SIG_SETMASK, &saved, NULL);
	signal(SIGPIPE, pipe_was);
	free(newpath);
	free(old);
	free(path);
	free(bin);
}

/* check_ref: repo_ref opens as base + name, with the reference and login hint the docker CLI would use. */
static void check_ref(const char *ref, const char *base, const char *name, const char *full, const char *login)
{
	struct registry *r = registry_open(ref, NULL);
	char *s;

	CHECK(r != NULL);
	if (!r)
		return;
	CHECK_STR(registry_base(r), base);
	CHECK_STR(registry_name(r), name);
	s = registry_ref(r, "t1");
	CHECK_STR(s, full);
	free(s);
	s = xasprintf("run '%s' or set REGISTRY_USER and REGISTRY_PASSWORD", login);
	CHECK_STR(registry_login_hint(r), s);
	CHECK_STR(registry_error(r), "");
	free(s);
	registry_close(r);
}

static void check_bad_ref(const char *ref, const char *why)
{
	struct buf err = BUF_INIT;
	char *want = xasprintf("invalid repository '%s': %s", ref, why);

	CHECK(registry_open(ref, &err) == NULL);
	CHECK_STR(err.data, want);
	buf_release(&err);
	free(want);
}

static void test_refs(void)
{
	char *msg;

	unsetenv("REGISTRY_INSECURE");
	check_ref("ghcr.io/pacphi/sindri", "https://ghcr.io", "pacphi/sindri", "ghcr.io/pacphi/sindri:t1",
	          "docker login ghcr.io");
	check_ref("ubuntu", "https://registry-1.docker.io", "library/ubuntu", "docker.io/library/ubuntu:t1",
	          "docker login");
	check_ref("pacphi/sindri", "https://registry-1.docker.io", "pacphi/sindri", "docker.io/pacphi/sindri:t1",
	          "docker login");
	check_ref("docker.io/ubuntu", "https://registry-1.docker.io", "library/ubuntu", "docker.io/library/ubuntu:t1",
	          "docker login");
	check_ref("127.0.0.1:5000/sindri", "http://127.0.0.1:5000", "sindri", "127.0.0.1:5000/sindri:t1",
	          "docker login 127.0.0.1:5000");
	check_ref("127.8.9.10/a/b-c.d__e", "http://127.8.9.10", "a/b-c.d__e", "127.8.9.10/a/b-c.d__e:t1",
	          "docker login 127.8.9.10");
	check_ref("localhost/x", "http://localhost", "x", "localhost/x:t1", "docker login localhost");
	check_ref("localhost:5000/x", "http://localhost:5000", "x", "localhost:5000/x:t1",
	          "docker login localhost:5000");
	check_ref("[::1]:5000/x", "http://[::1]:5000", "x", "[::1]:5000/x:t1", "docker login [::1]:5000");
	check_ref("10.0.0.1:5000/x", "https://10.0.0.1:5000", "x", "10.0.0.1:5000/x:t1", "docker login 10.0.0.1:5000");
	check_ref("128.0.0.1/x", "https://128.0.0.1", "x", "128.0.0.1/x:t1", "docker login 128.0.0.1");
	setenv("REGISTRY_INSECURE", "1", 1);
	check_ref("registry.lan:5000/x", "http://registry.lan:5000", "x", "registry.lan:5000/x:t1",
	          "docker login registry.lan:5000");
	unsetenv("REGISTRY_INSECURE");
	check_bad_ref("", "the repository is empty");
	check_bad_ref("ghcr.io/Pacphi/sindri", "repository names must be lowercase");
	check_bad_ref("ghcr.io/pacphi/sindri:base", "give the repository without a tag");
	check_bad_ref("ubuntu@sha256:abc", "give the repository without a digest");
	check_bad_ref("https://ghcr.io/x", "give the repository without a scheme, as in 'ghcr.io/owner/name'");
	check_bad_ref("ghcr.io/", "a path component is empty or ends with a separator");
	check_bad_ref("ghcr.io/a//b", "a path component is empty or ends with a separator");
	check_bad_ref("ghcr.io/a-", "a path component is empty or ends with a separator");
	check_bad_ref("ghcr.io/a b", "' ' is not allowed in a repository name");
	check_bad_ref("gh?cr.io/a", "'gh?cr.io' is not a registry host name");
	capture_begin();
	CHECK(registry_open("UPPER", NULL) == NULL);
	msg = capture_end();
	CHECK_STR(msg, "sindri-build: invalid repository 'UPPER': repository names must be lowercase\n");
	free(msg);
}

/* The fake registry: a child answering one request per connection like a registry with a token service at
 * /token (user "u", password "p"; identity token "idt"), logging "METHOD target|Authorization|Accept|body". */
struct fake {
	pid_t pid;
	int port;
	char log[128];
};

static void fake_answer(int fd, const char *req, const char *log, int port)
{
	const char *sp = strchr(req, ' '), *body = strstr(req, "\r\n\r\n") + 4, *auth, *accept;
	char *target = xstrndup(sp + 1, strcspn(sp + 1, " ")), *hdr = NULL;
	int head = str_has_prefix(req, "HEAD "), status = 200, good;
	const char *out = "{}";
	struct buf resp = BUF_INIT;
	FILE *f;

	auth = strcasestr(req, "\r\nAuthorization: ");
	accept = strcasestr(req, "\r\nAccept: ");
	if ((f = fopen(log, "a"))) {
		fprintf(f, "%.*s %s|%.*s|%.*s|%s\n", (int)(sp - req), req, target,
		        auth ? (int)strcspn(auth + 2, "\r") : 0, auth ? auth + 2 : "",
		        accept ? (int)strcspn(accept + 2, "\r") : 0, accept ? accept + 2 : "", body);
		fclose(f);
	}
	good = auth && str_has_prefix(auth + 2, "Authorization: Bearer good-token\r");
	if (str_has_prefix(req, "POST /token")) {
		if (strstr(body, "grant_type=refresh_token") && strstr(body, "refresh_token=idt&"))
			out = "{\"access_token\":\"good-token\",\"expires_in\":300}";
		else
			status = 401;
	} else if (str_has_prefix(target, "/token")) {
		if (!auth)
			out = "{\"token\":\"anon-token\"}";
		else if (str_has_prefix(auth + 2, "Authorization: Basic dTpw\r"))
			out = "{\"token\":\"good-token\",\"expires_in\":300}";
		else
			status = 401;
		if (status == 401)
			out = "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"bad credentials\"}]}";
	} else if (str_has_prefix(target, "/v2/five/")) {
		status = 503;
		out = "{\"errors\":[{\"code\":\"UNAVAILABLE\",\"message\":\"maintenance\"}]}";
	} else if (!good) {
		status = 401;
		hdr = xasprintf("WWW-Authenticate: Bearer realm=\"http://127.0.0.1:%d/token\",service=\"fake\"%s\r\n",
		                port,
		                str_has_prefix(target, "/v2/sbtest/img/") ? ",scope=\"repository:sbtest/img:pull\"" : "");
	} else if (!strcmp(target, "/v2/sbtest/img/manifests/v1")) {
		hdr = xstrdup("Docker-Content-Digest: sha256:"
		              "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\r\n");
	} else if (!strcmp(target, "/v2/sbtest/img/tags/list")) {
		out = "{\"name\":\"sbtest/img\",\"tags\":[\"a\",\"b\"]}";
		hdr = xstrdup("Link: </v2/sbtest/img/tags/list?last=b&n=2>; rel=\"next\"\r\n");
	} else if (!strcmp(target, "/v2/sbtest/img/tags/list?last=b&n=2")) {
		out = "{\"name\":\"sbtest/img\",\"tags\":[\"c\"]}";
	} else if (strcmp(target, "/v2/") != 0) {
		status = 404;
		out = "{\"errors\":[{\"code\":\"NAME_UNKNOWN\",\"message\":\"repository name not known\"}]}";
	}
	/* A HEAD answer says how long the body would be, and sends none. */
	buf_addf(&resp, "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n", status,
	         head ? (size_t)0 : strlen(out));
	buf_addf(&resp, "Connection: close\r\n%s\r\n%s", hdr ? hdr : "", head ? "" : out);
	if (write(fd, resp.data, resp.len) < 0)
		_exit(1);
	buf_release(&resp);
	free(target);
	free(hdr);
}

static void fake_start(struct fake *f)
{
	int lfd = listener(&f->port);

	snprintf(f->log, sizeof(f->log), "%s/fake.log", tmp);
	fflush(NULL);
	if ((f->pid = fork()) < 0)
		fatal("fork:");
	if (f->pid > 0) {
		close(lfd);
		return;
	}
	for (;;) {
		struct buf req = BUF_INIT;
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			_exit(1);
		if (read_request(fd, &req))
			fake_answer(fd, req.data, f->log, f->port);
		close(fd);
		buf_release(&req);
	}
}

/* fake_log: what the fake registry was asked since the last call (caller frees). */
static char *fake_log(struct fake *f)
{
	struct buf b = BUF_INIT;

	read_file(f->log, &b);
	unlink(f->log);
	buf_adds(&b, "");
	return buf_detach(&b);
}

static void test_fake(void)
{
	struct fake f;
	struct registry *r;
	struct strv tags = {0};
	char *repo, *msg, *log, *digest = NULL, *want, *cfg, *dir;
	int64_t start;
	int hung_port, hung = listener(&hung_port), closed_port;

	close(listener(&closed_port));
	fake_start(&f);
	repo = xasprintf("127.0.0.1:%d/sbtest/img", f.port);

	/* Anonymous: the anonymous token is refused, and the message says how to log in. */
	use_creds(NULL, NULL, NULL, NULL);
	r = registry_open(repo, NULL);
	capture_begin();
	CHECK_INT(registry_ping(r), -1);
	msg = capture_end();
	want = xasprintf(
	        "sindri-build: registry '127.0.0.1:%d' requires authentication for 'sbtest/img' (HTTP 401); run "
	        "'docker login 127.0.0.1:%d' or set REGISTRY_USER and REGISTRY_PASSWORD\n",
	        f.port, f.port);
	CHECK_STR(msg, want);
	CHECK(strstr(want, registry_error(r)) != NULL);
	free(want);
	free(msg);
	registry_close(r);
	free(fake_log(&f));

	/* A password traded for a token: Basic goes to the token service only, the token to the registry. */
	use_creds("u", "p", NULL, NULL);
	r = registry_open(repo, NULL);
	CHECK_INT(registry_ping(r), 0);
	CHECK_INT(registry_manifest_exists(r, "v1", &digest), 1);
	CHECK_STR(digest, "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	free(digest);
	CHECK_INT(registry_manifest_exists(r, "nope", &digest), 0);
	CHECK(digest == NULL);
	CHECK_INT(registry_tags(r, &tags), 0);
	CHECK_INT(tags.n, 3);
	CHECK(tags.n == 3 && !strcmp(tags.v[0], "a") && !strcmp(tags.v[1], "b") && !strcmp(tags.v[2], "c"));
	strv_release(&tags);
	capture_begin();
	CHECK_INT(registry_manifest_exists(r, "-bad", NULL), -1);
	CHECK_INT(registry_manifest_exists(r, "a/b", NULL), -1);
	free(capture_end());
	registry_close(r);
	log = fake_log(&f);
	want = xasprintf("GET /v2/||Accept: */*|\nGET "
	                 "/token?client_id=sindri-build&service=fake&scope=repository:sbtest/img:pull|"
	                 "Authorization: Basic dTpw|Accept: application/json|\nGET /v2/|Authorization: Bearer "
	                 "good-token|Accept: */*|\n"
	                 "HEAD /v2/sbtest/img/manifests/v1|Authorization: Bearer good-token|Accept: "
	                 "application/vnd.docker.distribution.manifest.v2+json, "
	                 "application/vnd.docker.distribution.manifest.list.v2+json, "
	                 "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json|\n");
	CHECK(str_has_prefix(log, want));
	if (!str_has_prefix(log, want))
		fprintf(stderr, "fake registry log:\n%s", log);
	CHECK(strstr(log, "GET /v2/sbtest/img/tags/list?last=b&n=2|Authorization: Bearer good-token|") != NULL);
	free(want);
	free(log);

	/* A wrong password: the token service refuses it; the message never holds the password. */
	use_creds("u", "s3cret-wrong", NULL, NULL);
	r = registry_open(repo, NULL);
	capture_begin();
	CHECK_INT(registry_manifest_exists(r, "v1", NULL), -1);
	msg = capture_end();
	want = xasprintf(
	        "sindri-build: registry '127.0.0.1:%d' (token service 'http://127.0.0.1:%d/token') rejected the "
	        "credentials from REGISTRY_USER and REGISTRY_PASSWORD (HTTP 401): bad credentials (UNAUTHORIZED); "
	        "run 'docker login 127.0.0.1:%d' or set REGISTRY_USER and REGISTRY_PASSWORD\n",
	        f.port, f.port, f.port);
	CHECK_STR(msg, want);
	CHECK(!strstr(msg, "s3cret") && !strstr(registry_error(r), "s3cret"));
	free(want);
	free(msg);
	registry_close(r);

	/* REGISTRY_TOKEN stands in for the password. */
	use_creds("u", NULL, "p", NULL);
	r = registry_open(repo, NULL);
	CHECK_INT(registry_manifest_exists(r, "v1", NULL), 1);
	registry_close(r);

	/* An identity token from config.json is traded with a POST, never sent as a password. */
	dir = xasprintf("%s/idt", tmp);
	mkdir(dir, 0700);
	cfg = xasprintf("%s/config.json", dir);
	want = xasprintf("{\"auths\":{\"127.0.0.1:%d\":{\"auth\":\"dTo=\",\"identitytoken\":\"idt\"}}}", f.port);
	put_file(cfg, want, 0600);
	use_creds(NULL, NULL, NULL, dir);
	free(fake_log(&f));
	r = registry_open(repo, NULL);
	CHECK_INT(registry_manifest_exists(r, "v1", NULL), 1);
	registry_close(r);
	log = fake_log(&f);
	CHECK(strstr(log, "POST /token||Accept: application/json|grant_type=refresh_token&client_id=sindri-build&"
	                  "refresh_token=idt&service=fake&scope=repository:sbtest/img:pull\n") != NULL);
	free(log);
	free(want);
	free(cfg);
	free(dir);

	/* 5xx, a server that never answers, a closed port: REGISTRY_UNAVAILABLE, nothing printed, quickly. */
	use_creds(NULL, NULL, NULL, NULL);
	free(repo);
	repo = xasprintf("127.0.0.1:%d/five/x", f.port);
	r = registry_open(repo, NULL);
	capture_begin();
	CHECK_INT(registry_manifest_exists(r, "v1", NULL), REGISTRY_UNAVAILABLE);
	CHECK_INT(registry_tags(r, &tags), REGISTRY_UNAVAILABLE);
	msg = capture_end();
	CHECK_STR(msg, "");
	CHECK_INT(tags.n, 0);
	want = xasprintf("registry '127.0.0.1:%d' answered HTTP 503: maintenance (UNAVAILABLE)", f.port);
	CHECK_STR(registry_error(r), want);
	free(want);
	free(msg);
	registry_close(r);
	free(repo);
	repo = xasprintf("127.0.0.1:%d/sbtest/img", hung_port);
	r = registry_open(repo, NULL);
	registry_set_timeouts(r, 1, 2);
	start = mono_ns();
	capture_begin();
	CHECK_INT(registry_manifest_exists(r, "v1", NULL), REGISTRY_UNAVAILABLE);
	msg = capture_end();
	CHECK(seconds_since(start) < 4);
	CHECK_STR(msg, "");
	want = xasprintf("cannot reach registry '127.0.0.1:%d': connected, but no answer within 2 s", hung_port);
	CHECK_STR(registry_error(r), want);
	free(want);
	free(msg);
	registry_close(r);
	free(repo);
	repo = xasprintf("127.0.0.1:%d/sbtest/img", closed_port);
	r = registry_open(repo, NULL);
	start = mono_ns();
	CHECK_INT(registry_ping(r), REGISTRY_UNAVAILABLE);
	CHECK(seconds_since(start) < 2);
	want = xasprintf("cannot reach registry '127.0.0.1:%d': connection refused", closed_port);
	CHECK_STR(registry_error(r), want);
	free(want);
	registry_close(r);
	free(repo);
	close(hung);
	kill(f.pid, SIGTERM);
	waitpid(f.pid, NULL, 0);
}

/* run: argv to completion, stdout into out when not NULL (stderr shows in the test's log); its exit status. */
static int run(struct buf *out, const char *arg0, ...)
{
	const char *argv[16];
	va_list ap;
	size_t n = 0;

	va_start(ap, arg0);
	for (argv[n] = arg0; argv[n] && n + 1 < LEN(argv);)
		argv[++n] = va_arg(ap, const char *);
	va_end(ap);
	argv[n] = NULL;
	return proc_run((char *const *)argv, NULL, out);
}

/* registry_start: a registry of its own under tmp/regN (htpasswd auth when user is given); its port, or -1. */
static int registry_start(const char *user, const char *pass)
{
	struct buf out = BUF_INIT;
	char *dir = xasprintf("%s/reg%d", tmp, registries), port_s[16];
	int port, rc;

	close(listener(&port));
	snprintf(port_s, sizeof(port_s), "%d", port);
	registries++;
	rc = run(&out, "sh", SETUP, "start", dir, port_s, user, pass, (char *)NULL);
	CHECK_INT(rc, 0);
	CHECK(out.data && atoi(out.data) > 0);
	buf_release(&out);
	free(dir);
	return rc == 0 ? port : -1;
}

static void registry_stop(int n)
{
	char *dir = xasprintf("%s/reg%d", tmp, n);

	run(NULL, "sh", SETUP, "stop", dir, (char *)NULL);
	free(dir);
}

/* push: tag busybox:local as ref and docker push it; with config_dir, docker login first into that DOCKER_CONFIG. */
static int push(int slot, const char *ref, const char *host, const char *user, const char *pass, const char *config_dir)
{
	int rc;

	snprintf(pushed[slot], sizeof(pushed[slot]), "%s", ref);
	if (run(NULL, DOCKER, "tag", "busybox:local", ref, (char *)NULL) != 0)
		return -1;
	if (config_dir) {
		setenv("DOCKER_CONFIG", config_dir, 1);
		if (run(NULL, DOCKER, "login", "-u", user, "-p", pass, host, (char *)NULL) != 0)
			return -1;
	}
	rc = run(NULL, DOCKER, "push", ref, (char *)NULL);
	use_creds(NULL, NULL, NULL, NULL);
	return rc;
}

/* exists_with: whether the credentials in place let the client see tag in repo (1), or what it returned. */
static int exists_with(const char *repo, const char *tag)
{
	struct registry *r = registry_open(repo, NULL);
	int rc = registry_manifest_exists(r, tag, NULL);

	registry_close(r);
	return rc;
}

static void test_real_open(const char *host, const char *repo)
{
	struct registry *r = registry_open(repo, NULL);
	struct strv tags = {0};
	struct buf out = BUF_INIT;
	char *ref = registry_ref(r, "tag"), *digest = NULL, *want;
	size_t i;
	int found = 0;

	CHECK_INT(registry_ping(r), 0);
	CHECK_INT(registry_manifest_exists(r, "tag", &digest), 0);
	CHECK_INT(registry_tags(r, &tags), 0);
	CHECK_INT(tags.n, 0);
	CHECK_INT(push(0, ref, host, NULL, NULL, NULL), 0);
	CHECK_INT(registry_manifest_exists(r, "tag", &digest), 1);
	CHECK(digest && str_has_prefix(digest, "sha256:") && strlen(digest) == 71);
	/* The digest the registry gives is the one docker recorded for the push. */
	run(&out, DOCKER, "image", "inspect", "--format", "{{range .RepoDigests}}{{println .}}{{end}}", ref,
	    (char *)NULL);
	want = xasprintf("%s@%s\n", repo, digest ? digest : "?");
	CHECK(out.data && strstr(out.data, want));
	CHECK_INT(registry_tags(r, &tags), 0);
	for (i = 0; i < tags.n; i++)
		found |= !strcmp(tags.v[i], "tag");
	CHECK(found);
	CHECK_INT(registry_manifest_exists(r, "other", NULL), 0);
	strv_release(&tags);
	buf_release(&out);
	free(want);
	free(digest);
	free(ref);
	registry_close(r);
}

static void test_real_auth(const char *host, const char *repo, int port, int n, const char *pass)
{
	char *dir, *cfg, *text, *ref, *msg, *want;
	struct registry *r;
	struct buf b = BUF_INIT;
	int64_t start;

	/* Push through a login of the real docker CLI; its config.json is then one the client must read. */
	dir = xasprintf("%s/login", tmp);
	mkdir(dir, 0700);
	r = registry_open(repo, NULL);
	ref = registry_ref(r, "tag");
	CHECK_INT(push(1, ref, host, "sbuser", pass, dir), 0);
	registry_close(r);

	use_creds(NULL, NULL, NULL, NULL);
	r = registry_open(repo, NULL);
	capture_begin();
	CHECK_INT(registry_manifest_exists(r, "tag", NULL), -1);
	msg = capture_end();
	want = xasprintf("sindri-build: registry '%s' requires authentication for '%s' (HTTP 401); run 'docker login "
	                 "%s' or set REGISTRY_USER and REGISTRY_PASSWORD\n",
	                 host, registry_name(r), host);
	CHECK_STR(msg, want);
	free(msg);
	free(want);
	registry_close(r);

	use_creds("sbuser", pass, NULL, NULL);
	r = registry_open(repo, NULL);
	CHECK_INT(registry_ping(r), 0);
	CHECK_INT(registry_manifest_exists(r, "tag", NULL), 1);
	CHECK_INT(registry_manifest_exists(r, "other", NULL), 0);
	registry_close(r);

	use_creds("sbuser", "wrong-sbpass", NULL, NULL);
	r = registry_open(repo, NULL);
	capture_begin();
	CHECK_INT(registry_ping(r), -1);
	msg = capture_end();
	CHECK(strstr(msg, "rejected the credentials from REGISTRY_USER and REGISTRY_PASSWORD (HTTP 401)") != NULL);
	CHECK(!strstr(msg, "wrong-sbpass") && !strstr(registry_error(r), "wrong-sbpass"));
	free(msg);
	registry_close(r);

	use_creds(NULL, NULL, NULL, dir);
	CHECK_INT(exists_with(repo, "tag"), 1);

	/* auths keyed "https://host" with username and password. */
	cfg = xasprintf("%s/config.json", dir);
	text = xasprintf("{\"auths\":{\"https://%s\":{\"username\":\"sbuser\",\"password\":\"%s\"}}}", host, pass);
	put_file(cfg, text, 0600);
	CHECK_INT(exists_with(repo, "tag"), 1);
	free(text);

	/* Credential helpers on PATH: credHelpers for this host, then credsStore; one that has nothing, one missing. */
	buf_addf(&b,
	         "#!/bin/sh\n[ \"$1\" = get ] || exit 1\nurl=$(cat)\nprintf '%%s' \"$url\" >'%s/asked'\n"
	         "if [ \"$url\" = '%s' ]; then printf "
	         "'{\"ServerURL\":\"%%s\",\"Username\":\"sbuser\",\"Secret\":\"%s\"}\\n' \"$url\"\n"
	         "else echo 'credentials not found in native keychain'; exit 1; fi\n",
	         tmp, host, pass);
	text = xasprintf("%s/bin/docker-credential-sbtest", tmp);
	put_file(text, b.data, 0755);
	free(text);
	text = xasprintf("%s/bin/docker-credential-sbnone", tmp);
	put_file(text, "#!/bin/sh\ncat >/dev/null\necho 'credentials not found in native keychain'\nexit 1\n", 0755);
	free(text);
	text = xasprintf("%s/bin:%s", tmp, getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	setenv("PATH", text, 1);
	free(text);
	text = xasprintf("{\"auths\":{\"%s\":{}},\"credHelpers\":{\"%s\":\"sbtest\"},\"credsStore\":\"sbnone\"}", host,
	                 host);
	put_file(cfg, text, 0600);
	CHECK_INT(exists_with(repo, "tag"), 1);
	free(text);
	text = xasprintf("%s/asked", tmp);
	buf_reset(&b);
	read_file(text, &b);
	CHECK_STR(b.data, host);
	free(text);
	put_file(cfg, "{\"auths\":{},\"credsStore\":\"sbtest\"}", 0600);
	CHECK_INT(exists_with(repo, "tag"), 1);
	put_file(cfg, "{\"credsStore\":\"sbnone\"}", 0600);
	capture_begin();
	CHECK_INT(exists_with(repo, "tag"), -1);
	put_file(cfg, "{\"credsStore\":\"sbmissing\"}", 0600);
	CHECK_INT(exists_with(repo, "tag"), -1);
	msg = capture_end();
	CHECK(strstr(msg, "requires authentication") != NULL);
	want = xasprintf(
	        "cannot get the credentials for registry '%s': credential helper 'docker-credential-sbmissing' "
	        "(from credsStore in '%s') is not on PATH",
	        host, cfg);
	CHECK(strstr(msg, want) != NULL);
	CHECK(!strstr(msg, pass));
	free(want);
	free(msg);

	/* The registry stopped: REGISTRY_UNAVAILABLE, at once. */
	use_creds("sbuser", pass, NULL, NULL);
	registry_stop(n);
	r = registry_open(repo, NULL);
	start = mono_ns();
	CHECK_INT(registry_manifest_exists(r, "tag", NULL), REGISTRY_UNAVAILABLE);
	CHECK(seconds_since(start) < REGISTRY_CONNECT_TIMEOUT_S);
	/* refused, or reset by a registry still on its way out: either way it cannot be reached */
	want = xasprintf("cannot reach registry '127.0.0.1:%d': ", port);
	CHECK(str_has_prefix(registry_error(r), want));
	free(want);
	registry_close(r);
	use_creds(NULL, NULL, NULL, NULL);
	buf_release(&b);
	free(ref);
	free(cfg);
	free(dir);
}

/* real_missing: why the real-registry part cannot run here, or NULL. */
static const char *real_missing(void)
{
	struct buf out = BUF_INIT;
	int rc;

	if (access(DOCKER, X_OK) != 0)
		return "no " DOCKER;
	rc = run(&out, DOCKER, "image", "inspect", "--format", "ok", "busybox:local", (char *)NULL);
	buf_release(&out);
	if (rc != 0)
		return "no Docker engine with busybox:local (tests/lib/docker-setup.sh makes them)";
	if (getuid() != 0 && run(NULL, "sh", "-c", "command -v docker-registry >/dev/null", (char *)NULL) != 0)
		return "no docker-registry (apt-get install docker-registry)";
	return NULL;
}

static void test_real(void)
{
	const char *missing = real_missing(), *ci = getenv("CI");
	char host[64], *repo, *bin, *pass;
	int port;

	if (missing) {
		printf("integ_registry: skipped the real registry: %s\n", missing);
		if (ci && !strcmp(ci, "true"))
			CHECK(!"a Docker engine and docker-registry (CI=true never skips)");
		return;
	}
	setenv("DOCKER_BUILDKIT", "1", 1);
	bin = xasprintf("%s/bin", tmp);
	mkdir(bin, 0700);
	free(bin);
	if ((port = registry_start(NULL, NULL)) > 0) {
		snprintf(host, sizeof(host), "127.0.0.1:%d", port);
		repo = xasprintf("%s/sbtest-%d/img", host, (int)getpid());
		test_real_open(host, repo);
		free(repo);
	}
	pass = xasprintf("sbpass-%d", (int)getpid());
	if ((port = registry_start("sbuser", pass)) > 0) {
		snprintf(host, sizeof(host), "127.0.0.1:%d", port);
		repo = xasprintf("%s/sbtest-%d/img", host, (int)getpid());
		test_real_auth(host, repo, port, registries - 1, pass);
		free(repo);
	}
	free(pass);
}

static pid_t main_pid;

/* cleanup: stop the registries, untag what was pushed, remove the temporary directory (once, in the parent). */
static void cleanup(void)
{
	int i;

	if (getpid() != main_pid || !tmp[0])
		return;
	for (i = 0; i < registries; i++)
		registry_stop(i);
	for (i = 0; i < 2; i++)
		if (pushed[i][0])
			run(NULL, DOCKER, "rmi", pushed[i], (char *)NULL);
	run(NULL, "rm", "-rf", tmp, (char *)NULL);
	tmp[0] = '\0';
}

int main(void)
{
	char *empty;

	snprintf(tmp, sizeof(tmp), "/tmp/sb-registry.XXXXXX");
	if (!mkdtemp(tmp))
		fatal("cannot create a temporary directory:");
	main_pid = getpid();
	atexit(cleanup);
	empty = xasprintf("%s/empty", tmp);
	mkdir(empty, 0700);
	free(empty);
	unsetenv("REGISTRY_INSECURE");
	test_challenges("tests/golden/registry/challenges");
	test_base64();
	test_creds();
	test_helper_signals();
	test_refs();
	test_fake();
	test_real();
	cleanup();
	return t_done("integ_registry");
}
