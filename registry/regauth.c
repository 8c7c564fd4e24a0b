/* regauth: registry challenges and credentials, the way the docker CLI finds them.
 *
 * The challenge grammar is RFC 7235's: challenges separated by commas, each a scheme followed by either a token68
 * or comma-separated name=value parameters, values being tokens or quoted strings with backslash escapes. A
 * comma therefore separates both parameters and challenges; a token not followed by '=' starts a new challenge.
 *
 * Credentials follow the docker CLI's config.json: "credHelpers" maps a registry to a helper name, "auths" maps a
 * registry (as "host", "https://host" or, for Docker Hub, "https://index.docker.io/v1/") to a base64 "auth" of
 * "user:password" (or "username" and "password", or an "identitytoken"), and "credsStore" names the helper for
 * everything else. A helper is the program docker-credential-<name>: "get" with the server URL on stdin prints
 * {"ServerURL","Username","Secret"} on stdout, or fails saying "credentials not found". */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "json.h"
#include "proc.h"
#include "regauth.h"
#include "util.h"

/* The server URL the docker CLI files Docker Hub's credentials under. */
#define DOCKER_HUB_KEY "https://index.docker.io/v1/"
/* A helper that has not answered by then is killed (a desktop keychain may wait for a click that never comes). */
#define HELPER_TIMEOUT_S 30

static int is_tchar(int c)
{
	return c && (isalnum(c) || strchr("!#$%&'*+-.^_`|~", c));
}

static int is_token68(int c)
{
	return c && (isalnum(c) || strchr("-._~+/", c));
}

static const char *skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static int malformed(struct buf *err, const char *value, const char *at, const char *what)
{
	buf_addf(err, "%s at column %zu", what, (size_t)(at - value) + 1);
	return -1;
}

/* set_param: store a parameter of the current challenge; scopes add up, as registries may send several. */
static void set_param(struct regauth_challenge *c, const char *name, size_t n, const char *val)
{
	static const char *const names[] = {"realm", "service", "scope", "error"};
	char **slots[] = {&c->realm, &c->service, &c->scope, &c->error};
	size_t i;

	for (i = 0; i < LEN(names); i++) {
		if (strlen(names[i]) != n || strncasecmp(name, names[i], n) != 0)
			continue;
		if (*slots[i] && i == 2) {
			char *both = xasprintf("%s %s", *slots[i], val);
			free(*slots[i]);
			*slots[i] = both;
		} else {
			free(*slots[i]);
			*slots[i] = xstrdup(val);
		}
	}
}

/* read_value: a token or quoted string at *pp into v; -1 when there is neither or the quote is not closed. */
static int read_value(const char **pp, struct buf *v)
{
	const char *p = *pp;

	buf_reset(v);
	buf_adds(v, "");
	if (*p == '"') {
		for (p++; *p != '"'; p++) {
			if (!*p)
				return -1;
			if (*p == '\\' && p[1])
				p++;
			buf_addc(v, *p);
		}
		*pp = p + 1;
		return 0;
	}
	if (!is_tchar((unsigned char)*p))
		return -1;
	while (is_tchar((unsigned char)*p))
		buf_addc(v, *p++);
	*pp = p;
	return 0;
}

/* token68_alone: the length of a token68 ("Negotiate abc==") at p that stands alone up to a ',' or the end,
 * else 0. It can only come right after the scheme. */
static size_t token68_alone(const char *p)
{
	const char *q = p, *r;

	while (is_token68((unsigned char)*q))
		q++;
	if (q == p)
		return 0;
	while (*q == '=')
		q++;
	r = skip_ows(q);
	return !*r || *r == ',' ? (size_t)(q - p) : 0;
}

/* read_params: the parameters of one challenge, from just after its scheme; leaves *pp at the next challenge's
 * scheme or at the end. Basic and Bearer take parameters only; other schemes may instead take a token68, which
 * is ambiguous with a parameter missing its value ("realm=,"), so it is only looked for there. */
static int read_params(const char *value, const char **pp, struct regauth_challenge *c, struct buf *err)
{
	struct buf v = BUF_INIT;
	const char *p = skip_ows(*pp), *name, *q;
	size_t n;
	int first = 1, ret = -1;

	if (c->scheme == REGAUTH_NONE && (n = token68_alone(p)) > 0) {
		*pp = p + n;
		return 0;
	}
	for (;; first = 0) {
		p = skip_ows(p);
		if (!*p)
			break;
		if (!first && *p != ',') {
			malformed(err, value, p, "expected ',' between parameters");
			goto out;
		}
		if (*p == ',') {
			while (*p == ',' || *p == ' ' || *p == '\t')
				p++;
			if (!*p)
				break;
		}
		name = p;
		while (is_tchar((unsigned char)*p))
			p++;
		if (!(n = (size_t)(p - name))) {
			malformed(err, value, p, "expected a parameter name");
			goto out;
		}
		q = skip_ows(p);
		if (*q != '=') {
			if (name == skip_ows(*pp)) {
				malformed(err, value, q, "expected '=' after the parameter name");
				goto out;
			}
			p = name; /* the scheme of the next challenge */
			break;
		}
		q = skip_ows(q + 1);
		if (read_value(&q, &v) < 0) {
			malformed(err, value, q,
			          *q == '"' ? "unterminated quoted string" : "expected a parameter value");
			goto out;
		}
		set_param(c, name, n, v.data);
		p = q;
	}
	*pp = p;
	ret = 0;
out:
	buf_release(&v);
	return ret;
}

int regauth_challenge_parse(const char *value, struct regauth_challenge *c, struct buf *err)
{
	struct regauth_challenge cur = {0};
	const char *p = value, *scheme;
	size_t n;

	memset(c, 0, sizeof(*c));
	for (;;) {
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		scheme = p;
		while (is_tchar((unsigned char)*p))
			p++;
		n = (size_t)(p - scheme);
		if (!n) {
			regauth_challenge_release(c);
			return malformed(err, value, p, "expected an authentication scheme");
		}
		if (*p && *p != ' ' && *p != '\t' && *p != ',') {
			regauth_challenge_release(c);
			return malformed(err, value, p, "expected a space after the authentication scheme");
		}
		if (n == 6 && strncasecmp(scheme, "bearer", 6) == 0)
			cur.scheme = REGAUTH_BEARER;
		else if (n == 5 && strncasecmp(scheme, "basic", 5) == 0)
			cur.scheme = REGAUTH_BASIC;
		else
			cur.scheme = REGAUTH_NONE;
		if (read_params(value, &p, &cur, err) < 0) {
			regauth_challenge_release(&cur);
			regauth_challenge_release(c);
			return -1;
		}
		/* Bearer is preferred: it never sends the password to the registry itself. */
		if (cur.scheme > c->scheme) {
			regauth_challenge_release(c);
			*c = cur;
			memset(&cur, 0, sizeof(cur));
		}
		regauth_challenge_release(&cur);
	}
	return c->scheme == REGAUTH_NONE ? 1 : 0;
}

void regauth_challenge_release(struct regauth_challenge *c)
{
	free(c->realm);
	free(c->service);
	free(c->scope);
	free(c->error);
	memset(c, 0, sizeof(*c));
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void regauth_basic(struct buf *out, const struct regauth_cred *cred)
{
	const char *user = cred->user, *secret = cred->secret;
	size_t ulen = strlen(user), n = ulen + 1 + strlen(secret), i;
	unsigned char a, b, c;

	/* One allocation: growing by realloc would leave copies of the secret in freed memory. */
	buf_grow(out, 32 + (n + 2) / 3 * 4);
	buf_adds(out, "Authorization: Basic ");
	for (i = 0; i < n; i += 3) {
#define AT(k) ((k) < ulen ? (unsigned char)user[k] : (k) == ulen ? ':' : (unsigned char)secret[(k) - ulen - 1])
		a = AT(i);
		b = i + 1 < n ? AT(i + 1) : 0;
		c = i + 2 < n ? AT(i + 2) : 0;
#undef AT
		buf_addc(out, b64[a >> 2]);
		buf_addc(out, b64[((a & 3) << 4) | (b >> 4)]);
		buf_addc(out, i + 1 < n ? b64[((b & 15) << 2) | (c >> 6)] : '=');
		buf_addc(out, i + 2 < n ? b64[c & 63] : '=');
	}
}

/* add_escaped: percent-encode s for a query string or form. */
static void add_escaped(struct buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || strchr("-._~:/", c))
			buf_addc(b, (char)c);
		else
			buf_addf(b, "%%%02X", c);
	}
}

void regauth_token_request(const struct regauth_challenge *c, const char *name, const struct regauth_cred *cred,
                           struct buf *url, struct buf *form, struct buf *authz)
{
	int identity = cred && cred->identity;
	struct buf *q = identity ? form : url;
	char *pull = xasprintf("repository:%s:pull", name), *one;
	const char *p = c->scope ? c->scope : pull;
	size_t n;

	buf_adds(url, c->realm);
	if (identity) {
		/* An identity token is an OAuth2 refresh token: it is traded in a form, never sent as a password. */
		/* Room for the whole form at once, so that no reallocation leaves a copy of the secret behind. */
		buf_grow(form, 128 + 3 * (strlen(cred->secret) + strlen(p) + (c->service ? strlen(c->service) : 0)));
		buf_adds(form, "grant_type=refresh_token&client_id=sindri-build&refresh_token=");
		add_escaped(form, cred->secret);
	} else {
		buf_addc(url, strchr(c->realm, '?') ? '&' : '?');
		buf_adds(url, "client_id=sindri-build");
	}
	if (c->service) {
		buf_adds(q, "&service=");
		add_escaped(q, c->service);
	}
	/* Several scopes are several parameters. */
	while (*(p += strspn(p, " "))) {
		n = strcspn(p, " ");
		one = xstrndup(p, n);
		buf_adds(q, "&scope=");
		add_escaped(q, one);
		free(one);
		p += n;
	}
	if (cred && !identity)
		regauth_basic(authz, cred);
	free(pull);
}

int regauth_token_answer(const struct buf *answer, struct buf *authz)
{
	struct buf err = BUF_INIT;
	struct json *j = json_parse(answer->data ? answer->data : "", answer->len, &err);
	const char *token = json_str(json_get(j, "token"), json_str(json_get(j, "access_token"), ""));
	int ret = -1;

	if (*token) {
		buf_grow(authz, 32 + strlen(token));
		buf_addf(authz, "Authorization: Bearer %s", token);
		ret = 0;
	}
	regauth_wipe_json(j);
	json_free(j);
	buf_release(&err);
	return ret;
}

int regauth_base64_decode(const char *s, struct buf *out)
{
	unsigned acc = 0;
	int bits = 0;
	const char *p;

	buf_grow(out, strlen(s) / 4 * 3 + 3);
	for (; *s && *s != '='; s++) {
		if (!(p = strchr(b64, *s)))
			return -1;
		acc = (acc << 6) | (unsigned)(p - b64);
		if ((bits += 6) >= 8) {
			bits -= 8;
			buf_addc(out, (char)((acc >> bits) & 0xff));
		}
	}
	while (*s == '=')
		s++;
	return *s || bits >= 6 ? -1 : 0;
}

void regauth_wipe(struct buf *b)
{
	if (b->data)
		explicit_bzero(b->data, b->cap);
	buf_release(b);
}

static void wipe_free(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
	free(s);
}

void regauth_wipe_json(struct json *j)
{
	size_t i;

	if (!j)
		return;
	if (j->str)
		explicit_bzero(j->str, j->len);
	for (i = 0; i < j->n; i++)
		regauth_wipe_json(j->items[i]);
}

void regauth_cred_release(struct regauth_cred *c)
{
	wipe_free(c->user);
	wipe_free(c->secret);
	free(c->source);
	memset(c, 0, sizeof(*c));
}

/* same_host: whether a config.json key ("ghcr.io", "https://ghcr.io", "https://index.docker.io/v1/") names
 * host, compared without scheme and path as the docker CLI does. */
static int same_host(const char *key, const char *host)
{
	size_t n;

	if (str_has_prefix(key, "https://"))
		key += 8;
	else if (str_has_prefix(key, "http://"))
		key += 7;
	n = strcspn(key, "/");
	return n == strlen(host) && strncasecmp(key, host, n) == 0;
}

/* find_entry: the member of obj for this registry: an exact key first, then one naming the same host. */
static struct json *find_entry(const struct json *obj, const char *host, int docker_hub)
{
	static const char *const hub[] = {"index.docker.io", "docker.io", "registry-1.docker.io"};
	struct json *e = json_get(obj, docker_hub ? DOCKER_HUB_KEY : host);
	size_t i, k;

	for (i = 0; !e && i < json_len(obj); i++) {
		struct json *m = json_at(obj, i);
		if (!m->key)
			continue;
		if (!docker_hub && same_host(m->key, host))
			e = m;
		for (k = 0; docker_hub && k < LEN(hub); k++)
			if (same_host(m->key, hub[k]))
				e = m;
	}
	return e;
}

/* drain: read fds[0..1] (the helper's stdout and stderr) to EOF into out and errout; -1 on timeout. */
static int drain(int fds[2], struct buf *out, struct buf *errout, int64_t deadline)
{
	struct pollfd pf[2];
	char chunk[4096];
	ssize_t n;
	int open = 2, i, left;

	while (open) {
		left = (int)((deadline - mono_ns()) / 1000000);
		for (i = 0; i < 2; i++) {
			pf[i].fd = fds[i];
			pf[i].events = POLLIN;
			pf[i].revents = 0;
		}
		if (left <= 0 || poll(pf, 2, left) == 0)
			return -1;
		for (i = 0; i < 2; i++) {
			if (fds[i] < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(fds[i], chunk, sizeof(chunk));
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				close(fds[i]);
				fds[i] = -1;
				open--;
				continue;
			}
			buf_add(i ? errout : out, chunk, (size_t)n);
		}
		explicit_bzero(chunk, sizeof(chunk));
	}
	return 0;
}

/* first_line: the first line of s, at most 200 bytes, for messages. */
static void first_line(struct buf *b, const char *s)
{
	size_t n;

	s += strspn(s, " \t\r\n");
	n = strcspn(s, "\r\n");
	buf_add(b, s, n > 200 ? 200 : n);
}

/* helper_get: run docker-credential-<name> get for server; 1 with *cred filled, 0 when it has none, -1. */
static int helper_get(const char *name, const char *server, const char *why, struct regauth_cred *cred, struct buf *err)
{
	struct spawnopts so = {NULL, {PROC_INHERIT, PROC_INHERIT, PROC_INHERIT}, NULL, 0, 0};
	struct buf out = BUF_INIT, errout = BUF_INIT, perr = BUF_INIT;
	int in[2] = {-1, -1}, outp[2] = {-1, -1}, errp[2] = {-1, -1}, fds[2], status = 0, rc, ret = -1, i, late;
	char *prog, *argv[3];
	struct json *j = NULL;
	const char *user, *secret;
	pid_t pid;

	if (!*name ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != strlen(name)) {
		buf_addf(err, "invalid credential helper name '%s' in %s", name, why);
		return -1;
	}
	prog = xasprintf("docker-credential-%s", name);
	argv[0] = prog;
	argv[1] = (char *)"get";
	argv[2] = NULL;
	/* stdin is a socket so that writing to a helper that exited early fails with EPIPE instead of SIGPIPE. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0 || pipe2(outp, O_CLOEXEC) < 0 ||
	    pipe2(errp, O_CLOEXEC) < 0) {
		buf_addf(err, "cannot run '%s': %s", prog, strerror(errno));
		goto out;
	}
	so.fd[0] = in[0];
	so.fd[1] = outp[1];
	so.fd[2] = errp[1];
	rc = proc_start(&pid, argv, &so);
	close(in[0]);
	close(outp[1]);
	close(errp[1]);
	in[0] = outp[1] = errp[1] = -1;
	if (rc != 0) {
		if (rc == ENOENT)
			buf_addf(err, "credential helper '%s' (from %s) is not on PATH; install it or edit that file",
			         prog, why);
		else
			buf_addf(err, "cannot run credential helper '%s': %s", prog, strerror(rc));
		goto out;
	}
	/* The server URL without a newline, as the docker CLI sends it. A helper may exit without reading it: its
	 * exit status says what happened, so a failed send is not reported on its own. */
	(void)send(in[1], server, strlen(server), MSG_NOSIGNAL);
	close(in[1]);
	in[1] = -1;
	fds[0] = outp[0];
	fds[1] = errp[0];
	outp[0] = errp[0] = -1;
	late = drain(fds, &out, &errout, mono_ns() + (int64_t)HELPER_TIMEOUT_S * 1000000000) < 0;
	if (late)
		kill(pid, SIGKILL);
	for (i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (late) {
		buf_addf(err, "credential helper '%s' did not answer within %d s", prog, HELPER_TIMEOUT_S);
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		/* Helpers say "credentials not found in native keychain" (on stdout) when they have nothing. */
		if (strstr(out.data ? out.data : "", "credentials not found") ||
		    strstr(errout.data ? errout.data : "", "credentials not found")) {
			ret = 0;
			goto out;
		}
		buf_addf(err, "credential helper '%s' failed", prog);
		if (WIFEXITED(status))
			buf_addf(err, " (exit %d)", WEXITSTATUS(status));
		else
			buf_addf(err, " (signal %d)", WTERMSIG(status));
		if (errout.len || out.len) {
			buf_adds(err, ": ");
			first_line(err, errout.len ? errout.data : out.data);
		}
		goto out;
	}
	if (!(j = json_parse(out.data ? out.data : "", out.len, &perr))) {
		buf_addf(err, "credential helper '%s' did not print JSON credentials", prog);
		goto out;
	}
	user = json_str(json_get(j, "Username"), "");
	secret = json_str(json_get(j, "Secret"), "");
	if (!*secret) {
		ret = 0;
		goto out;
	}
	/* A "<token>" user means the secret is an identity (refresh) token, as the docker CLI stores them. */
	cred->identity = strcmp(user, "<token>") == 0;
	cred->user = xstrdup(user);
	cred->secret = xstrdup(secret);
	cred->source = xstrdup(prog);
	ret = 1;
out:
	regauth_wipe_json(j);
	json_free(j);
	for (i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (outp[i] >= 0)
			close(outp[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	regauth_wipe(&out);
	buf_release(&errout);
	buf_release(&perr);
	free(prog);
	return ret;
}

/* from_auths: credentials stored in an auths entry; 1, 0 when it holds none, -1 when malformed. */
static int from_auths(const struct json *e, const char *path, struct regauth_cred *cred, struct buf *err)
{
	const char *auth = json_str(json_get(e, "auth"), ""), *ident = json_str(json_get(e, "identitytoken"), "");
	const char *user = json_str(json_get(e, "username"), ""), *pass = json_str(json_get(e, "password"), "");
	struct buf plain = BUF_INIT;
	char *colon;

	if (*auth) {
		if (regauth_base64_decode(auth, &plain) < 0 || !plain.data || !(colon = strchr(plain.data, ':'))) {
			regauth_wipe(&plain);
			buf_addf(err,
			         "the \"auth\" entry for '%s' in '%s' is not base64 of \"user:password\"; "
			         "run 'docker login' again",
			         e->key, path);
			return -1;
		}
		cred->user = xstrndup(plain.data, (size_t)(colon - plain.data));
		cred->secret = xstrdup(colon + 1);
		regauth_wipe(&plain);
	} else if (*pass) {
		cred->user = xstrdup(user);
		cred->secret = xstrdup(pass);
	}
	/* An identity token replaces the password, as in the docker CLI. */
	if (*ident) {
		if (!cred->user)
			cred->user = xstrdup(user);
		wipe_free(cred->secret);
		cred->secret = xstrdup(ident);
		cred->identity = 1;
	}
	if (!cred->secret || !*cred->secret) {
		regauth_cred_release(cred);
		return 0;
	}
	cred->source = xasprintf("'%s'", path);
	return 1;
}

/* from_config: credentials from the docker CLI's config.json; 1, 0 or -1 as regauth_cred_lookup. */
static int from_config(const char *host, int docker_hub, struct regauth_cred *cred, struct buf *err)
{
	const char *dir = getenv("DOCKER_CONFIG"), *home = getenv("HOME"), *name;
	const char *server = docker_hub ? DOCKER_HUB_KEY : host;
	struct buf text = BUF_INIT, perr = BUF_INIT;
	struct json *j = NULL, *e;
	char *path, *why = NULL;
	int ret = -1;

	if (dir && *dir)
		path = xasprintf("%s/config.json", dir);
	else if (home && *home)
		path = xasprintf("%s/.docker/config.json", home);
	else
		return 0;
	if (read_file(path, &text) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			ret = 0;
		else
			buf_addf(err, "cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	if (!(j = json_parse(text.data ? text.data : "", text.len, &perr))) {
		buf_addf(err, "cannot parse '%s': %s", path, perr.data);
		goto out;
	}
	if ((e = find_entry(json_get(j, "credHelpers"), host, docker_hub)) && (name = json_str(e, NULL))) {
		why = xasprintf("credHelpers in '%s'", path);
		ret = helper_get(name, server, why, cred, err);
		goto out;
	}
	if ((e = find_entry(json_get(j, "auths"), host, docker_hub)) && (ret = from_auths(e, path, cred, err)) != 0)
		goto out;
	if ((name = json_str(json_get(j, "credsStore"), NULL)) && *name) {
		why = xasprintf("credsStore in '%s'", path);
		ret = helper_get(name, server, why, cred, err);
		goto out;
	}
	ret = 0;
out:
	/* The file holds every registry's secrets, not only this one's. */
	regauth_wipe_json(j);
	json_free(j);
	regauth_wipe(&text);
	buf_release(&perr);
	free(path);
	free(why);
	return ret;
}

int regauth_cred_lookup(const char *host, int docker_hub, struct regauth_cred *cred, struct buf *err)
{
	const char *user = getenv("REGISTRY_USER"), *pass = getenv("REGISTRY_PASSWORD");
	const char *token = getenv("REGISTRY_TOKEN");

	memset(cred, 0, sizeof(*cred));
	if (pass && *pass) {
		if (!user || !*user) {
			buf_adds(err, "REGISTRY_PASSWORD is set but REGISTRY_USER is not; set both");
			return -1;
		}
		cred->user = xstrdup(user);
		cred->secret = xstrdup(pass);
		cred->source = xstrdup("REGISTRY_USER and REGISTRY_PASSWORD");
		return 1;
	}
	if (token && *token) {
		/* A token stands in for the password; registries that check the user name need REGISTRY_USER too. */
		cred->user = xstrdup(user && *user ? user : "token");
		cred->secret = xstrdup(token);
		cred->source = xstrdup("REGISTRY_TOKEN");
		return 1;
	}
	if (user && *user) {
		buf_adds(err, "REGISTRY_USER is set but neither REGISTRY_PASSWORD nor REGISTRY_TOKEN is");
		return -1;
	}
	return from_config(host, docker_hub, cred, err);
}
