/* registry: the OCI distribution API over libcurl, one keep-alive connection per client.
 *
 * Registry behaviour this relies on (the distribution spec, checked against distribution 2.8):
 *  - every endpoint may answer 401 with a WWW-Authenticate challenge; after answering it we retry once, and a
 *    second 401 (or a 403) means the credentials are not good enough;
 *  - HEAD /v2/<name>/manifests/<ref> answers 200 with Docker-Content-Digest, or 404 (MANIFEST_UNKNOWN, or
 *    NAME_UNKNOWN for a repository never pushed to); it picks the manifest type from Accept;
 *  - GET /v2/<name>/tags/list answers {"name","tags"} ("tags" may be null) and a Link header with rel="next"
 *    when there are more pages;
 *  - errors come as {"errors":[{"code","message"}]}.
 * Requests never follow redirects, so an Authorization header cannot be carried to another host, and CURLOPT_VERBOSE
 * stays off: it would print those headers. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "http.h"
#include "json.h"
#include "regauth.h"
#include "registry.h"
#include "proc.h"
#include "regwire.h"
#include "util.h"

#define MANIFEST_TYPES \
	"application/vnd.docker.distribution.manifest.v2+json, " \
	"application/vnd.docker.distribution.manifest.list.v2+json, " \
	"application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json"
/* Answers bigger than this are refused: metadata is small, and a hostile server must not fill memory. */
#define MAX_BODY (16u << 20)
/* A tags listing longer than this many pages is taken for a loop. */
#define MAX_PAGES 10000

static __attribute__((format(printf, 3, 4))) int fail(struct registry *r, int rc, const char *fmt, ...)
{
	va_list ap;
	int n;

	buf_reset(&r->msg);
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	buf_grow(&r->msg, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(r->msg.data, (size_t)n + 1, fmt, ap);
	va_end(ap);
	r->msg.len = (size_t)n;
	if (rc == -1)
		error("%s", r->msg.data);
	return rc;
}

/* is_loopback: whether host (with an optional port) is 127.0.0.0/8, ::1 or localhost. */
static int is_loopback(const char *host)
{
	unsigned char addr[16];
	char *h;
	int ret;

	if (host[0] == '[')
		h = xstrndup(host + 1, strcspn(host + 1, "]"));
	else
		h = xstrndup(host, strcspn(host, ":"));
	if (strcasecmp(h, "localhost") == 0)
		ret = 1;
	else if (inet_pton(AF_INET, h, addr) == 1)
		ret = addr[0] == 127;
	else
		ret = inet_pton(AF_INET6, h, addr) == 1 && memcmp(addr, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0;
	free(h);
	return ret;
}

/* check_name: a repository path as the distribution spec allows: lowercase components of [a-z0-9] separated by
 * '.', '_', '__' or runs of '-'. Reports the problem in why. */
static int check_name(const char *name, struct buf *why)
{
	const char *p = name;

	if (strlen(name) > 255)
		return buf_adds(why, "the name is longer than 255 characters"), -1;
	for (;;) {
		if (!isdigit((unsigned char)*p) && !islower((unsigned char)*p))
			break;
		while (isdigit((unsigned char)*p) || islower((unsigned char)*p))
			p++;
		if (*p == '/' || !*p) {
			if (!*p)
				return 0;
			p++;
			continue;
		}
		if (*p == '.' || (*p == '_' && p[1] != '_'))
			p++;
		else if (*p == '_')
			p += 2;
		else
			while (*p == '-')
				p++;
	}
	if (isupper((unsigned char)*p))
		buf_adds(why, "repository names must be lowercase");
	else if (*p == ':')
		buf_adds(why, "give the repository without a tag");
	else if (*p == '@')
		buf_adds(why, "give the repository without a digest");
	else if (!*p || *p == '/')
		buf_adds(why, "a path component is empty or ends with a separator");
	else
		buf_addf(why, "'%c' is not allowed in a repository name", *p);
	return -1;
}

/* parse_ref: split repo_ref into registry and repository the way the docker CLI does. */
static int parse_ref(struct registry *r, const char *ref, struct buf *why)
{
	const char *slash = strchr(ref, '/'), *insecure = getenv("REGISTRY_INSECURE");
	size_t n = slash ? (size_t)(slash - ref) : 0;
	int explicit_host =
	        slash && (memchr(ref, '.', n) || memchr(ref, ':', n) || (n == 9 && !strncmp(ref, "localhost", 9)));
	const char *path = explicit_host ? slash + 1 : ref;

	if (!*ref)
		return buf_adds(why, "the repository is empty"), -1;
	if (strstr(ref, "://"))
		return buf_adds(why, "give the repository without a scheme, as in 'ghcr.io/owner/name'"), -1;
	if (explicit_host) {
		r->host = xstrndup(ref, n);
		if (strspn(r->host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") != n)
			return buf_addf(why, "'%s' is not a registry host name", r->host), -1;
	}
	if (!r->host || !strcmp(r->host, "docker.io") || !strcmp(r->host, "index.docker.io") ||
	    !strcmp(r->host, "registry-1.docker.io")) {
		free(r->host);
		r->host = xstrdup("registry-1.docker.io");
		r->docker_hub = 1;
	}
	if (check_name(path, why) < 0)
		return -1;
	r->name = r->docker_hub && !strchr(path, '/') ? xasprintf("library/%s", path) : xstrdup(path);
	r->loopback = is_loopback(r->host);
	r->base = xasprintf("%s://%s", r->loopback || (insecure && !strcmp(insecure, "1")) ? "http" : "https", r->host);
	if (r->docker_hub)
		r->hint = xstrdup("run 'docker login' or set REGISTRY_USER and REGISTRY_PASSWORD");
	else
		r->hint = xasprintf("run 'docker login %s' or set REGISTRY_USER and REGISTRY_PASSWORD", r->host);
	return 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	if (b->len + size * n > MAX_BODY)
		return 0;
	buf_add(b, p, size * n);
	return size * n;
}

/* header_value: the value of header line p (len bytes) when its name is name, trimmed; else NULL. */
static const char *header_value(const char *p, size_t len, const char *name, size_t *vlen)
{
	size_t k = strlen(name), end = len;

	if (len <= k || strncasecmp(p, name, k) != 0 || p[k] != ':')
		return NULL;
	for (k++; k < len && (p[k] == ' ' || p[k] == '\t'); k++)
		;
	while (end > k && isspace((unsigned char)p[end - 1]))
		end--;
	*vlen = end - k;
	return p + k;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct registry *r = arg;
	size_t len = size * n, vlen;
	const char *v;

	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* A new answer (after a 100 Continue, say): forget the previous one's headers. */
		buf_reset(&r->challenge);
		buf_reset(&r->link);
		buf_reset(&r->location);
		buf_reset(&r->ctype);
		free(r->digest);
		r->digest = NULL;
	} else if ((v = header_value(p, len, "WWW-Authenticate", &vlen))) {
		/* Several header lines are one comma-separated list. */
		if (r->challenge.len)
			buf_adds(&r->challenge, ", ");
		buf_add(&r->challenge, v, vlen);
	} else if ((v = header_value(p, len, "Link", &vlen))) {
		if (r->link.len)
			buf_adds(&r->link, ", ");
		buf_add(&r->link, v, vlen);
	} else if ((v = header_value(p, len, "Location", &vlen))) {
		buf_add(&r->location, v, vlen);
	} else if ((v = header_value(p, len, "Content-Type", &vlen))) {
		buf_add(&r->ctype, v, vlen);
	} else if ((v = header_value(p, len, "Docker-Content-Digest", &vlen)) && vlen) {
		free(r->digest);
		r->digest = xstrndup(v, vlen);
	}
	return len;
}

struct registry *registry_open(const char *repo_ref, struct buf *err)
{
	struct registry *r = xcalloc(1, sizeof(*r));
	struct buf why = BUF_INIT;

	r->connect_s = REGISTRY_CONNECT_TIMEOUT_S;
	r->total_s = REGISTRY_TIMEOUT_S;
	if (parse_ref(r, repo_ref, &why) < 0) {
		char *m = xasprintf("invalid repository '%s': %s", repo_ref, why.data);
		buf_reset(&why);
		buf_adds(&why, m);
		free(m);
	} else if (!(r->curl = http_open(r->errbuf, on_body, on_header, r->loopback, signals_flag()))) {
		buf_addf(&why, "cannot initialize libcurl for registry '%s'", r->host);
	}
	if (why.len) {
		if (err)
			buf_add(err, why.data, why.len);
		else
			error("%s", why.data);
		buf_release(&why);
		registry_close(r);
		return NULL;
	}
	curl_easy_setopt(r->curl, CURLOPT_HEADERDATA, r);
	buf_adds(&r->msg, "");
	return r;
}

void registry_close(struct registry *reg)
{
	if (!reg)
		return;
	http_close(reg->curl);
	regauth_wipe(&reg->authz);
	regauth_cred_release(&reg->cred);
	buf_release(&reg->msg);
	buf_release(&reg->challenge);
	buf_release(&reg->link);
	buf_release(&reg->location);
	buf_release(&reg->ctype);
	free(reg->digest);
	free(reg->host);
	free(reg->name);
	free(reg->base);
	free(reg->hint);
	free(reg);
}

void registry_set_timeouts(struct registry *reg, long connect_s, long total_s)
{
	reg->connect_s = connect_s > 0 ? connect_s : 1;
	reg->total_s = total_s > 0 ? total_s : 1;
}

const char *registry_host(const struct registry *reg)
{
	return reg->host;
}

const char *registry_name(const struct registry *reg)
{
	return reg->name;
}

const char *registry_base(const struct registry *reg)
{
	return reg->base;
}

char *registry_ref(const struct registry *reg, const char *tag)
{
	return xasprintf("%s/%s:%s", reg->docker_hub ? "docker.io" : reg->host, reg->name, tag);
}

const char *registry_login_hint(const struct registry *reg)
{
	return reg->hint;
}

const char *registry_error(const struct registry *reg)
{
	return reg->msg.data ? reg->msg.data : "";
}

/* shown_host: the registry as users name it in messages and in docker login. */
static const char *shown_host(const struct registry *r)
{
	return r->docker_hub ? "docker.io" : r->host;
}

/* unreachable: classify a transport failure: REGISTRY_UNAVAILABLE, or -1 for what waiting will not fix (an
 * untrusted TLS certificate, an answer too big). */
static int unreachable(struct registry *r, CURLcode rc, const char *url)
{
	const char *verb = "cannot reach", *curl_says = r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc);
	/* A token service is named by its URL without the query. */
	int other = !str_has_prefix(url, r->base), kind = REGISTRY_UNAVAILABLE;
	char why[CURL_ERROR_SIZE + 80];
	long oserr = 0;
	double connect = 0;

	curl_easy_getinfo(r->curl, CURLINFO_OS_ERRNO, &oserr);
	curl_easy_getinfo(r->curl, CURLINFO_CONNECT_TIME, &connect);
	if (rc == CURLE_COULDNT_CONNECT) {
		snprintf(why, sizeof(why), "%s", oserr ? strerror((int)oserr) : "connection failed");
		why[0] = (char)tolower((unsigned char)why[0]);
	} else if (rc == CURLE_OPERATION_TIMEDOUT && connect > 0) {
		snprintf(why, sizeof(why), "connected, but no answer within %ld s", r->total_s);
	} else if (rc == CURLE_OPERATION_TIMEDOUT) {
		snprintf(why, sizeof(why), "no connection within %ld s", r->connect_s);
	} else if (rc == CURLE_COULDNT_RESOLVE_HOST) {
		snprintf(why, sizeof(why), "cannot resolve the host name");
	} else if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CERTPROBLEM) {
		verb = "cannot use", kind = -1;
		snprintf(why, sizeof(why), "its TLS certificate is not trusted: %s", curl_says);
	} else if (rc == CURLE_SSL_CONNECT_ERROR) {
		snprintf(why, sizeof(why), "TLS failed: %s (if it speaks plain http, set REGISTRY_INSECURE=1)", curl_says);
	} else if (rc == CURLE_ABORTED_BY_CALLBACK) {
		verb = "interrupted: abandoned a request to", kind = -1;
		snprintf(why, sizeof(why), "a signal arrived");
	} else if (rc == CURLE_WRITE_ERROR) {
		verb = "cannot use", kind = -1;
		snprintf(why, sizeof(why), "it sent an answer larger than %u bytes", MAX_BODY);
	} else {
		snprintf(why, sizeof(why), "%s", curl_says);
	}
	return fail(r, kind, "%s registry '%s'%s%.*s%s: %s", verb, shown_host(r), other ? " (token service '" : "",
	            other ? (int)strcspn(url, "?") : 0, url, other ? "')" : "", why);
}

/* perform: one HTTP exchange; 0 with *status, else REGISTRY_UNAVAILABLE or -1 (message set). authz is an
 * Authorization header line or NULL; post, when not NULL, is a form body sent with POST. */
static int perform(struct registry *r, const char *method, const char *url, const char *accept, const char *authz,
                   const char *post, struct buf *body, long *status)
{
	struct curl_slist *hdrs = NULL;
	char *line = NULL;
	CURLcode rc;

	r->errbuf[0] = '\0';
	buf_reset(body);
	curl_easy_setopt(r->curl, CURLOPT_URL, url);
	curl_easy_setopt(r->curl, CURLOPT_HTTPGET, 1L);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(r->curl, CURLOPT_NOBODY, 1L);
	if (post) {
		curl_easy_setopt(r->curl, CURLOPT_POSTFIELDS, post);
		curl_easy_setopt(r->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(post));
	} else if (r->send) {
		/* an empty body still needs a pointer, or libcurl reads one from its read callback */
		curl_easy_setopt(r->curl, CURLOPT_POSTFIELDS, r->send->len ? r->send->data : "");
		curl_easy_setopt(r->curl, CURLOPT_POSTFIELDSIZE, (long)r->send->len);
		curl_easy_setopt(r->curl, CURLOPT_CUSTOMREQUEST, method);
		line = xasprintf("Content-Type: %s", r->send->type ? r->send->type : "application/octet-stream");
		hdrs = curl_slist_append(hdrs, line);
		free(line);
	}
	if (accept) {
		line = xasprintf("Accept: %s", accept);
		hdrs = curl_slist_append(hdrs, line);
		free(line);
	}
	if (authz)
		hdrs = curl_slist_append(hdrs, authz);
	curl_easy_setopt(r->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(r->curl, CURLOPT_CONNECTTIMEOUT, r->connect_s);
	curl_easy_setopt(r->curl, CURLOPT_TIMEOUT, r->total_s);
	curl_easy_setopt(r->curl, CURLOPT_WRITEDATA, body);
	rc = curl_easy_perform(r->curl);
	/* no copy of a secret outlives the request */
	http_done(r->curl, hdrs, 1);
	if (rc != CURLE_OK)
		return unreachable(r, rc, url);
	curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, status);
	return 0;
}

/* server_says: what the registry said about a failure, for messages: its first error's message, else the start
 * of the body, else nothing; with a leading ": ". */
static char *server_says(const struct buf *body)
{
	struct buf err = BUF_INIT;
	struct json *j = body->len ? json_parse(body->data, body->len, &err) : NULL;
	const char *msg = json_str(json_path(j, "errors.0.message"), NULL);
	const char *code = json_str(json_path(j, "errors.0.code"), NULL);
	size_t n;
	char *s;

	if (!msg)
		msg = json_str(json_get(j, "details"), json_str(json_get(j, "error"), NULL));
	if (msg && code)
		s = xasprintf(": %s (%s)", msg, code);
	else if (msg || code)
		s = xasprintf(": %s", msg ? msg : code);
	else if (!j && body->data && (n = strcspn(body->data, "\r\n")) > 0 && body->data[0] != '<')
		s = xasprintf(": %.*s", (int)(n > 200 ? 200 : n), body->data);
	else
		s = xstrdup("");
	json_free(j);
	buf_release(&err);
	return s;
}

/* credentials: look them up once per client; 1 when there are some, 0 when not, -1 (reported). */
static int credentials(struct registry *r)
{
	struct buf err = BUF_INIT;
	int rc;

	if (r->cred_state)
		return r->cred_state == 1;
	rc = regauth_cred_lookup(r->host, r->docker_hub, &r->cred, &err);
	if (rc < 0)
		fail(r, -1, "cannot get the credentials for registry '%s': %s", shown_host(r), err.data);
	else
		r->cred_state = rc ? 1 : -1;
	buf_release(&err);
	return rc;
}

/* denied: the message for an answer of 401 or 403 after authenticating, or when we had nothing to answer with. */
static int denied(struct registry *r, long status, const struct buf *body, const char *by)
{
	char *says = server_says(body);
	const char *host = shown_host(r);

	if (r->cred_state != 1)
		fail(r, -1, "registry '%s'%s requires authentication for '%s' (HTTP %ld)%s; %s", host, by, r->name,
		     status, says, r->hint);
	else if (status == 403 || strstr(r->challenge.data ? r->challenge.data : "", "insufficient_scope"))
		fail(r, -1, "registry '%s'%s denied access to '%s' with the credentials from %s (HTTP %ld)%s; %s", host,
		     by, r->name, r->cred.source, status, says, r->hint);
	else
		fail(r, -1, "registry '%s'%s rejected the credentials from %s (HTTP %ld)%s; %s", host, by,
		     r->cred.source, status, says, r->hint);
	free(says);
	return -1;
}

/* get_token: a bearer token from the challenge's realm, into r->authz; 0, -1 or REGISTRY_UNAVAILABLE. */
static int get_token(struct registry *r, const struct regauth_challenge *c)
{
	struct buf url = BUF_INIT, form = BUF_INIT, authz = BUF_INIT, body = BUF_INIT;
	const struct regauth_cred *cred = r->cred_state == 1 ? &r->cred : NULL;
	const char *realm = c->realm;
	char *by = NULL, *says;
	long status = 0;
	int rc;

	if (!realm || (!str_has_prefix(realm, "https://") && !str_has_prefix(realm, "http://")))
		return fail(r, -1, "registry '%s' asks for a bearer token but names no http(s) token service: '%s'",
		            shown_host(r), realm ? realm : "");
	if (cred && str_has_prefix(realm, "http://") && str_has_prefix(r->base, "https://"))
		return fail(r, -1,
		            "refusing to send the credentials for registry '%s' to the plain http token service '%s'",
		            shown_host(r), realm);
	regauth_token_request(c, r->name, cred, &url, &form, &authz);
	rc = perform(r, form.len ? "POST" : "GET", url.data, "application/json", authz.len ? authz.data : NULL,
	             form.len ? form.data : NULL, &body, &status);
	if (rc == 0 && (status >= 500 || status == 429)) {
		rc = fail(r, REGISTRY_UNAVAILABLE, "the token service '%s' of registry '%s' answered HTTP %ld", realm,
		          shown_host(r), status);
	} else if (rc == 0 && (status == 401 || status == 403)) {
		by = xasprintf(" (token service '%s')", realm);
		rc = denied(r, status, &body, by);
	} else if (rc == 0 && status != 200) {
		says = server_says(&body);
		rc = fail(r, -1, "the token service '%s' of registry '%s' answered HTTP %ld%s", realm, shown_host(r),
		          status, says);
		free(says);
	} else if (rc == 0) {
		regauth_wipe(&r->authz);
		if (regauth_token_answer(&body, &r->authz) < 0)
			rc = fail(r, -1, "the token service '%s' of registry '%s' answered without a token", realm,
			          shown_host(r));
	}
	regauth_wipe(&form);
	regauth_wipe(&authz);
	regauth_wipe(&body);
	buf_release(&url);
	free(by);
	return rc;
}

/* authenticate: answer the challenge of the last 401 by setting r->authz; 0 to retry, 1 when there is nothing to
 * answer with (a Basic challenge and no credentials), -1 or REGISTRY_UNAVAILABLE. */
static int authenticate(struct registry *r)
{
	struct regauth_challenge c;
	struct buf why = BUF_INIT;
	char *value = xstrdup(r->challenge.data ? r->challenge.data : "");
	int rc;

	if (!*value) {
		rc = fail(r, -1, "registry '%s' answered 401 without saying how to authenticate (no WWW-Authenticate)",
		          shown_host(r));
		goto out;
	}
	rc = regauth_challenge_parse(value, &c, &why);
	if (rc < 0) {
		rc = fail(r, -1, "registry '%s' sent a malformed authentication challenge (%s): '%s'", shown_host(r),
		          why.data, value);
		goto out;
	}
	if (rc == 1) {
		rc = fail(r, -1, "registry '%s' asks for an authentication scheme sindri-build does not support: '%s'",
		          shown_host(r), value);
	} else if ((rc = credentials(r)) >= 0) {
		if (c.scheme == REGAUTH_BEARER) {
			rc = get_token(r, &c);
		} else if (r->cred_state != 1) {
			rc = 1;
		} else if (r->cred.identity) {
			rc = fail(r, -1, "registry '%s' asks for a password, but %s holds an identity token; %s",
			          shown_host(r), r->cred.source, r->hint);
		} else {
			regauth_wipe(&r->authz);
			regauth_basic(&r->authz, &r->cred);
			rc = 0;
		}
	}
	/* get_token read other headers; the registry's challenge is what a later message refers to. */
	buf_reset(&r->challenge);
	buf_adds(&r->challenge, value);
	regauth_challenge_release(&c);
out:
	buf_release(&why);
	free(value);
	return rc;
}

/* fetch: a request to the registry, answering one challenge; 0 with *status (never 401, 403, 5xx or 429), or -1
 * or REGISTRY_UNAVAILABLE with the message set. */
static int fetch(struct registry *r, const char *method, const char *url, const char *accept, struct buf *body,
                 long *status)
{
	int rc, tried;

	for (tried = 0;; tried = 1) {
		rc = perform(r, method, url, accept, r->authz.len ? r->authz.data : NULL, NULL, body, status);
		if (rc < 0)
			return rc;
		if (*status >= 500 || *status == 429) {
			char *says = server_says(body);
			rc = fail(r, REGISTRY_UNAVAILABLE, "registry '%s' answered HTTP %ld%s", shown_host(r), *status,
			          says);
			free(says);
			return rc;
		}
		if (*status != 401 || tried)
			break;
		if ((rc = authenticate(r)) < 0)
			return rc;
		if (rc == 1)
			break;
	}
	if (*status == 401 || *status == 403)
		return denied(r, *status, body, "");
	return 0;
}

int regwire_fetch(struct registry *r, const char *method, const char *url, const char *accept,
                  const struct regwire_send *send, struct buf *body, long *status)
{
	int rc;

	r->send = send;
	rc = fetch(r, method, url, accept, body, status);
	r->send = NULL;
	return rc;
}

int regwire_get_plain(struct registry *r, const char *url, struct buf *body, long *status)
{
	return perform(r, "GET", url, NULL, NULL, NULL, body, status);
}

char *regwire_says(const struct buf *body)
{
	return server_says(body);
}

const char *regwire_shown_host(const struct registry *r)
{
	return shown_host(r);
}

int regwire_fail(struct registry *r, int rc, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *m;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	m = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(m, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rc = fail(r, rc, "%s", m);
	free(m);
	return rc;
}

int registry_ping(struct registry *reg)
{
	struct buf body = BUF_INIT;
	char *url = xasprintf("%s/v2/", reg->base);
	long status = 0;
	int rc = fetch(reg, "GET", url, NULL, &body, &status);

	if (rc == 0 && status != 200)
		rc = fail(reg, -1, "registry '%s' answered GET /v2/ with HTTP %ld; is it an OCI registry?",
		          shown_host(reg), status);
	else if (rc == 0)
		buf_reset(&reg->msg);
	buf_release(&body);
	free(url);
	return rc;
}

/* valid_reference: a tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}) or a digest ("sha256:<hex>"). */
static int valid_reference(const char *ref)
{
	const char *colon = strchr(ref, ':');
	size_t n = strlen(ref);

	if (colon)
		return colon > ref && colon[1] &&
		       strspn(ref, "abcdefghijklmnopqrstuvwxyz0123456789+._-") == (size_t)(colon - ref) &&
		       strspn(colon + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789=_-") ==
		               strlen(colon + 1);
	return n >= 1 && n <= 128 && ref[0] != '.' && ref[0] != '-' &&
	       strspn(ref, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

int regwire_valid_reference(const char *ref)
{
	return valid_reference(ref);
}

int registry_manifest_exists(struct registry *reg, const char *tag, char **digest)
{
	struct buf body = BUF_INIT;
	char *url;
	long status = 0;
	int rc;

	if (digest)
		*digest = NULL;
	if (!valid_reference(tag))
		return fail(reg, -1, "invalid tag '%s' (up to 128 of A-Z a-z 0-9 _ . -, not starting with . or -)",
		            tag);
	url = xasprintf("%s/v2/%s/manifests/%s", reg->base, reg->name, tag);
	rc = fetch(reg, "HEAD", url, MANIFEST_TYPES, &body, &status);
	if (rc == 0 && status == 200) {
		rc = 1;
		/* Only a well-formed digest is handed on: callers put it into image references. */
		if (digest && reg->digest && strchr(reg->digest, ':') && valid_reference(reg->digest)) {
			*digest = reg->digest;
			reg->digest = NULL;
		}
	} else if (rc == 0 && status != 404) {
		rc = fail(reg, -1, "registry '%s' answered HTTP %ld for the manifest '%s:%s'", shown_host(reg), status,
		          reg->name, tag);
	}
	if (rc >= 0)
		buf_reset(&reg->msg);
	buf_release(&body);
	free(url);
	return rc;
}

/* next_page: the URL of the rel="next" Link of the last answer, or NULL; -1 (reported) for a link elsewhere. */
static int next_page(struct registry *r, char **next)
{
	const char *p = r->link.data ? r->link.data : "", *lt, *gt;
	char *params;
	int is_next;

	*next = NULL;
	while ((lt = strchr(p, '<')) && (gt = strchr(lt, '>'))) {
		p = gt + 1 + strcspn(gt + 1, "<");
		params = xstrndup(gt + 1, (size_t)(p - gt - 1));
		is_next = strcasestr(params, "rel=\"next\"") || strcasestr(params, "rel=next");
		free(params);
		if (!is_next)
			continue;
		if (lt[1] == '/')
			*next = xasprintf("%s%.*s", r->base, (int)(gt - lt - 1), lt + 1);
		else if (!strncmp(lt + 1, r->base, strlen(r->base)) && lt[1 + strlen(r->base)] == '/')
			*next = xstrndup(lt + 1, (size_t)(gt - lt - 1));
		else
			return fail(r, -1, "registry '%s' links the next page of tags to another server: '%.*s'",
			            shown_host(r), (int)(gt - lt - 1), lt + 1);
		return 0;
	}
	return 0;
}

int registry_tags(struct registry *reg, struct strv *out)
{
	struct buf body = BUF_INIT, err = BUF_INIT;
	char *url = xasprintf("%s/v2/%s/tags/list", reg->base, reg->name), *next;
	struct json *j, *tags;
	long status = 0;
	int rc = 0, pages;
	size_t i;

	for (pages = 0; url; pages++) {
		if (pages == MAX_PAGES) {
			rc = fail(reg, -1, "registry '%s' lists the tags of '%s' in more than %d pages",
			          shown_host(reg), reg->name, MAX_PAGES);
			break;
		}
		if ((rc = fetch(reg, "GET", url, "application/json", &body, &status)) < 0)
			break;
		if (status == 404 && pages == 0)
			break;
		if (status != 200) {
			char *says = server_says(&body);
			rc = fail(reg, -1, "registry '%s' answered HTTP %ld for the tags of '%s'%s", shown_host(reg),
			          status, reg->name, says);
			free(says);
			break;
		}
		buf_reset(&err);
		if (!(j = json_parse(body.data ? body.data : "", body.len, &err))) {
			rc = fail(reg, -1, "registry '%s' sent a tags list that is not JSON: %s", shown_host(reg),
			          err.data);
			break;
		}
		tags = json_get(j, "tags");
		for (i = 0; i < json_len(tags); i++)
			if (json_str(json_at(tags, i), NULL))
				strv_push(out, json_str(json_at(tags, i), NULL));
		json_free(j);
		if ((rc = next_page(reg, &next)) < 0)
			break;
		free(url);
		url = next;
	}
	if (rc == 0)
		buf_reset(&reg->msg);
	free(url);
	buf_release(&body);
	buf_release(&err);
	return rc;
}
