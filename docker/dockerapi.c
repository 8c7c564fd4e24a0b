/* dockerapi: the Docker Engine API over libcurl, one keep-alive connection per client (the API's objects: dockerobj.c).
 *
 * Engine behaviour this relies on, checked against dockerd 20.10 (API 1.41):
 *  - /_ping is unversioned and answers "OK" with an API-Version header; engines before API 1.25 send none.
 *  - GET /system/df ignores ?type= before API 1.42 and answers everything, build-cache records included.
 *  - POST /build/prune takes one value per filter key ("filters expect only one value"); its id filter is an
 *    unanchored regular expression, and without all=1 it skips shared records. So pruning one record means
 *    all=1 with an anchored, escaped id.
 *  - 304 from container start/stop means "already so", not an error.
 *  - Errors come as {"message": "..."}, which goes into our message after what we were doing.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "dockerapi.h"
#include "dockerint.h"
#include "enginesrv.h"
#include "http.h"
#include "json.h"
#include "proc.h"
#include "trust.h"
#include "util.h"

int docker_api_number(const char *v)
{
	int major, minor, n = 0;

	if (sscanf(v, "%d.%d%n", &major, &minor, &n) != 2 || v[n] || major < 0 || minor < 0 || minor > 999)
		return -1;
	return major * 1000 + minor;
}

static char *tls_file(const char *dir, const char *name, int required)
{
	char *path = xasprintf("%s/%s", dir, name);

	if (access(path, R_OK) == 0)
		return path;
	if (required)
		error("cannot read '%s' for DOCKER_TLS_VERIFY:", path);
	free(path);
	return NULL;
}

static int parse_host(struct docker *d, const char *host)
{
	const char *verify = getenv("DOCKER_TLS_VERIFY"), *tls = getenv("DOCKER_TLS");
	const char *rest, *slash, *dir = getenv("DOCKER_CERT_PATH"), *home = getenv("HOME");
	char *hostport, *certdir;
	int secure;

	if (str_has_prefix(host, "unix://")) {
		if (!host[7])
			return error("invalid Docker engine address '%s': the socket path is missing", host);
		d->socket = xstrdup(host + 7);
		d->base = xstrdup("http://localhost");
		return 0;
	}
	if (!str_has_prefix(host, "tcp://"))
		return error("unsupported Docker engine address '%s' (use unix:///path/to/docker.sock or tcp://host:port)",
		             host);
	rest = host + 6;
	slash = strchr(rest, '/');
	hostport = slash ? xstrndup(rest, (size_t)(slash - rest)) : xstrdup(rest);
	if (!*hostport) {
		free(hostport);
		return error("invalid Docker engine address '%s': the host is missing", host);
	}
	d->tls_verify = verify && *verify;
	secure = d->tls_verify || (tls && *tls);
	/* A port is there when the last ':' comes after an IPv6 literal's ']'. */
	if (!strrchr(hostport, ':') || (strrchr(hostport, ']') && strrchr(hostport, ':') < strrchr(hostport, ']')))
		d->base = xasprintf("%s://%s:%d", secure ? "https" : "http", hostport, secure ? 2376 : 2375);
	else
		d->base = xasprintf("%s://%s", secure ? "https" : "http", hostport);
	free(hostport);
	if (slash && slash[1]) {
		char *b = xasprintf("%s%.*s", d->base, (int)strcspn(slash, "?#"), slash);
		free(d->base);
		d->base = b;
		while (str_has_suffix(d->base, "/"))
			d->base[strlen(d->base) - 1] = '\0';
	}
	if (!secure)
		return 0;
	certdir = dir && *dir ? xstrdup(dir) : xasprintf("%s/.docker", home ? home : "");
	d->ca = tls_file(certdir, "ca.pem", d->tls_verify);
	d->cert = tls_file(certdir, "cert.pem", 0);
	d->key = tls_file(certdir, "key.pem", 0);
	free(certdir);
	return d->tls_verify && !d->ca ? -1 : 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	buf_add(arg, p, size * n);
	return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	static const char name[] = "api-version:";
	struct docker_reply *d = arg;
	size_t len = size * n, k = sizeof(name) - 1, end;

	if (len > k && strncasecmp(p, name, k) == 0) {
		while (k < len && (p[k] == ' ' || p[k] == '\t'))
			k++;
		for (end = k; end < len && !isspace((unsigned char)p[end]); end++)
			;
		if (end - k < sizeof(d->server_version))
			snprintf(d->server_version, sizeof(d->server_version), "%.*s", (int)(end - k), p + k);
	}
	return len;
}

struct docker *docker_open(const char *host)
{
	struct docker *d = xcalloc(1, sizeof(*d));
	const char *env = getenv("DOCKER_HOST");

	d->helper = -1;
	if (!host)
		host = env && *env ? env : DOCKER_DEFAULT_HOST;
	d->host = xstrdup(host);
	if (parse_host(d, host) < 0) {
		docker_close(d);
		return NULL;
	}
	return d;
}

/* docker_direct: this process's own libcurl handle, made (and libcurl loaded) on the first request that needs it. */
int docker_direct(struct docker *d)
{
	if (d->curl)
		return 0;
	if (!(d->curl = http_open(d->errbuf, on_body, on_header, d->socket != NULL, signals_flag())))
		return -1;
	curl_easy_setopt(d->curl, CURLOPT_CONNECTTIMEOUT, (long)CONNECT_TIMEOUT_S);
	if (d->socket)
		curl_easy_setopt(d->curl, CURLOPT_UNIX_SOCKET_PATH, d->socket);
	if (str_has_prefix(d->base, "https://")) {
		curl_easy_setopt(d->curl, CURLOPT_SSL_VERIFYPEER, d->tls_verify ? 1L : 0L);
		curl_easy_setopt(d->curl, CURLOPT_SSL_VERIFYHOST, d->tls_verify ? 2L : 0L);
		if (d->ca)
			curl_easy_setopt(d->curl, CURLOPT_CAINFO, d->ca);
		if (d->cert && d->key) {
			curl_easy_setopt(d->curl, CURLOPT_SSLCERT, d->cert);
			curl_easy_setopt(d->curl, CURLOPT_SSLKEY, d->key);
		}
	}
	return 0;
}

void docker_close(struct docker *d)
{
	if (!d)
		return;
	http_close(d->curl);
	if (d->helper >= 0)
		close(d->helper);
	for (size_t i = 0; i < d->nkept; i++) {
		free(d->kept[i].path);
		buf_release(&d->kept[i].r.body);
	}
	free(d->kept);
	strv_release(&d->asked_first);
	strv_release(&d->replayed);
	free(d->host);
	free(d->base);
	free(d->socket);
	free(d->ca);
	free(d->cert);
	free(d->key);
	free(d);
}

const char *docker_host(const struct docker *d)
{
	return d->host;
}

const char *docker_socket(const struct docker *d)
{
	return d->socket;
}

const char *docker_api_version(const struct docker *d)
{
	return d->version[0] ? d->version : NULL;
}

const char *docker_engine_api_version(const struct docker *d)
{
	return d->server_version[0] ? d->server_version : NULL;
}

int docker_unreachable(const struct docker *d)
{
	return d->reported;
}

/* tls_hint: what to check when TLS with the engine failed. */
static const char *tls_hint(const struct docker *d)
{
	if (d->tls_verify && !(d->cert && d->key))
		return "DOCKER_CERT_PATH has no cert.pem and key.pem, and an engine started with --tlsverify asks for them";
	return "check DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem) and DOCKER_TLS_VERIFY";
}

/* unreachable: the one message for an engine that does not answer, naming the address and what to try. */
static void unreachable(struct docker *d, const struct docker_reply *r, long timeout_s)
{
	const char *hint = "is dockerd running? (set DOCKER_HOST to use another engine)";
	char why[CURL_ERROR_SIZE + 64];

	switch (r->rc) {
	case CURLE_ABORTED_BY_CALLBACK:
		if (!d->reported)
			error("interrupted: the request to the Docker engine at '%s' was abandoned", d->host);
		d->reported = 1;
		return;
	case CURLE_COULDNT_CONNECT:
		snprintf(why, sizeof(why), "%s", r->oserr ? strerror(r->oserr) : "connection failed");
		why[0] = (char)tolower((unsigned char)why[0]);
		if (r->oserr == EACCES || r->oserr == EPERM)
			hint = "run as root or as a member of the 'docker' group (or set DOCKER_HOST to another engine)";
		break;
	case CURLE_OPERATION_TIMEDOUT:
		if (r->connected)
			snprintf(why, sizeof(why), "connected, but no answer within %ld s", timeout_s);
		else
			snprintf(why, sizeof(why), "no connection within %d s", CONNECT_TIMEOUT_S);
		hint = "is dockerd running and responsive? (set DOCKER_HOST to use another engine)";
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		snprintf(why, sizeof(why), "cannot resolve the host name");
		hint = "check DOCKER_HOST";
		break;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
		snprintf(why, sizeof(why), "TLS failed: %s", r->errbuf[0] ? r->errbuf : "handshake failed");
		hint = tls_hint(d);
		break;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
		/* Under TLS 1.3 the server refuses a client certificate after the handshake: on the first read. */
		if (str_has_prefix(d->base, "https://") && strstr(r->errbuf, "SSL")) {
			snprintf(why, sizeof(why), "TLS failed: %s%s", r->errbuf,
			         strstr(r->errbuf, "certificate") ? " (the engine did not accept this client)" : "");
			hint = tls_hint(d);
		} else {
			snprintf(why, sizeof(why), "%s", r->errbuf[0] ? r->errbuf : "the request failed");
		}
		break;
	case CURLE_GOT_NOTHING:
		snprintf(why, sizeof(why), "the connection closed without an answer");
		hint = "is it a Docker engine, and does it expect TLS? (DOCKER_TLS_VERIFY)";
		break;
	default:
		snprintf(why, sizeof(why), "%s", r->errbuf[0] ? r->errbuf : "the request failed");
		break;
	}
	if (!d->reported)
		error("cannot reach the Docker engine at '%s': %s; %s", d->host, why, hint);
	d->reported = 1;
}

int docker_exchange(struct docker *d, const char *method, const char *path, const struct buf *body, long timeout_s,
                    struct docker_reply *r)
{
	struct curl_slist *hdrs = NULL;
	struct buf url = BUF_INIT;
	double connect = 0;
	long oserr = 0;
	CURLcode rc;

	r->rc = CURLE_OK;
	r->oserr = r->connected = 0;
	r->status = 0;
	r->server_version[0] = r->errbuf[0] = '\0';
	if (docker_direct(d) < 0) {
		r->rc = CURLE_FAILED_INIT;
		snprintf(r->errbuf, sizeof(r->errbuf), "libcurl cannot be initialized");
		return -1;
	}
	d->errbuf[0] = '\0';
	buf_addf(&url, "%s%s", d->base, path);
	curl_easy_setopt(d->curl, CURLOPT_URL, url.data);
	curl_easy_setopt(d->curl, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(d->curl, CURLOPT_CUSTOMREQUEST, NULL);
	if (strcmp(method, "POST") == 0 || (body && strcmp(method, "PUT") == 0)) {
		int put = method[1] == 'U'; /* PUT carries a tar (a container's archive), POST a JSON document */
		curl_easy_setopt(d->curl, CURLOPT_POSTFIELDSIZE, (long)(body ? body->len : 0));
		curl_easy_setopt(d->curl, CURLOPT_POSTFIELDS, body && body->data ? body->data : "");
		if (put)
			curl_easy_setopt(d->curl, CURLOPT_CUSTOMREQUEST, "PUT");
		/* The engine checks the type of JSON bodies; "Expect:" saves a round trip on large ones. */
		hdrs = curl_slist_append(hdrs, !body ? "Content-Type:"
		                               : put ? "Content-Type: application/x-tar" : "Content-Type: application/json");
		hdrs = curl_slist_append(hdrs, "Expect:");
	} else if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(d->curl, CURLOPT_NOBODY, 1L); /* the next request's HTTPGET turns it off */
	} else if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(d->curl, CURLOPT_CUSTOMREQUEST, method);
	}
	curl_easy_setopt(d->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(d->curl, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(d->curl, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(d->curl, CURLOPT_HEADERDATA, r);
	rc = curl_easy_perform(d->curl);
	curl_easy_setopt(d->curl, CURLOPT_HEADERDATA, NULL);
	http_done(d->curl, hdrs, 0);
	buf_release(&url);
	r->rc = (int)rc;
	if (rc != CURLE_OK) {
		curl_easy_getinfo(d->curl, CURLINFO_OS_ERRNO, &oserr);
		curl_easy_getinfo(d->curl, CURLINFO_CONNECT_TIME, &connect);
		r->oserr = (int)oserr;
		r->connected = connect > 0;
		snprintf(r->errbuf, sizeof(r->errbuf), "%s", d->errbuf[0] ? d->errbuf : curl_easy_strerror(rc));
		return -1;
	}
	curl_easy_getinfo(d->curl, CURLINFO_RESPONSE_CODE, &r->status);
	return 0;
}

static void kept_drop(struct docker *d, size_t i)
{
	free(d->kept[i].path);
	buf_release(&d->kept[i].r.body);
	memmove(d->kept + i, d->kept + i + 1, (d->nkept - i - 1) * sizeof(*d->kept));
	d->nkept--;
}

/* forget: no kept answer may be used any more; those still on the way are read and dropped when they come. The
 * version ping is not about what the engine holds: its answer stays good. */
static void forget(struct docker *d)
{
	for (size_t i = d->nkept; i-- > 0;) {
		if (strcmp(d->kept[i].path, "/_ping") == 0)
			continue;
		if (d->kept[i].pending)
			d->kept[i].stale = 1;
		else
			kept_drop(d, i);
	}
}

/* check_stretch: forget what was kept when the engine may have changed since; whether answers may be kept now. */
static int check_stretch(struct docker *d)
{
	unsigned long e;

	if (!d->trust)
		return 0;
	if ((e = trust_stretch(d->trust)) == 0 || e != d->stretch) {
		d->stretch = e;
		forget(d);
	}
	return e != 0;
}

/* lose_helper: the helper went away: requests sent ahead are dropped (they are GETs, asked again when wanted). */
static void lose_helper(struct docker *d)
{
	close(d->helper);
	d->helper = -1;
	for (size_t i = d->nkept; i-- > 0;)
		if (d->kept[i].pending)
			kept_drop(d, i);
}

/* read_one: read the answer to the oldest request sent ahead. */
static void read_one(struct docker *d)
{
	size_t i = 0;

	while (i < d->nkept && !d->kept[i].pending)
		i++;
	if (i == d->nkept)
		return;
	if (enginesrv_recv(d->helper, d->kept[i].timeout_s, &d->kept[i].r) < 0) {
		lose_helper(d);
		return;
	}
	d->kept[i].pending = 0;
	if (d->kept[i].stale)
		kept_drop(d, i);
}

static int any_pending(const struct docker *d)
{
	for (size_t i = 0; i < d->nkept; i++)
		if (d->kept[i].pending)
			return 1;
	return 0;
}

static struct kept *find(struct docker *d, const char *path)
{
	for (size_t i = 0; i < d->nkept; i++)
		if (!d->kept[i].stale && strcmp(d->kept[i].path, path) == 0)
			return d->kept + i;
	return NULL;
}

static struct kept *keep(struct docker *d, const char *path, long timeout_s)
{
	struct kept *k;

	if (d->nkept == d->capkept) {
		d->capkept = d->capkept ? 2 * d->capkept : 8;
		d->kept = xreallocarray(d->kept, d->capkept, sizeof(*d->kept));
	}
	k = d->kept + d->nkept++;
	memset(k, 0, sizeof(*k));
	k->path = xstrdup(path);
	k->timeout_s = timeout_s;
	return k;
}

void docker_reply_copy(struct docker_reply *to, const struct docker_reply *from)
{
	struct buf body = BUF_INIT;

	buf_add(&body, from->body.data ? from->body.data : "", from->body.len);
	*to = *from;
	to->body = body;
}

/* kept_answer: the answer kept for GET path, waiting for it when it was sent ahead; 1 when there is one. Unless
 * keepable, it is given only this once; so is a failure (a request sent ahead is not made twice: an engine that
 * does not answer is reported after one wait, not two). */
static int kept_answer(struct docker *d, const char *path, int keepable, struct docker_reply *r)
{
	struct kept *k;

	while ((k = find(d, path)) && k->pending)
		read_one(d);
	if (!k)
		return 0;
	docker_reply_copy(r, &k->r);
	if (!keepable || k->r.rc != CURLE_OK)
		kept_drop(d, (size_t)(k - d->kept));
	return 1;
}

static int connect_helper(struct docker *d)
{
	if (d->socket && !d->helper_tried) {
		d->helper_tried = 1;
		d->helper = enginesrv_connect(d->socket);
	}
	return d->helper >= 0;
}

/* helper_exchange: METHOD path through the engine helper: 0 with the answer in *r; -1 (ENGINESRV_LOST_BEFORE) when no
 * helper answers or it went away before it had the request, ENGINESRV_LOST_AFTER when it went away after; either
 * way it is dropped. The answers to what was sent ahead come first on its connection: a GET is sent before they are
 * read, so that the helper makes it while they come (at the same time as those still being made); anything else
 * (which may carry a large body) once they are read. */
static int helper_exchange(struct docker *d, const char *method, const char *path, const struct buf *body,
                           long timeout_s, struct docker_reply *r)
{
	int via, get = strcmp(method, "GET") == 0 && !body;

	while (!get && any_pending(d))
		read_one(d);
	if (!connect_helper(d))
		return ENGINESRV_LOST_BEFORE;
	via = enginesrv_send(d->helper, method, path, body, timeout_s);
	while (via == 0 && any_pending(d))
		read_one(d);
	if (via == 0)
		via = d->helper >= 0 ? enginesrv_recv(d->helper, timeout_s, r) : ENGINESRV_LOST_AFTER;
	if (via < 0 && d->helper >= 0)
		lose_helper(d);
	return via;
}

/* request: one exchange, through the engine helper when one answers for this engine, else over this process's own
 * libcurl connection (which asks for a helper to be started for the runs after this one). GET answers are kept
 * until the engine may have changed: a request other than GET, or a task started (docker_set_trust). -1
 * (reported) when the engine cannot be reached, else 0 with the answer in *r (r->body is the caller's). */
static int request(struct docker *d, const char *method, const char *path, const struct buf *body, long timeout_s,
                   struct docker_reply *r)
{
	int get = strcmp(method, "GET") == 0, via = -1, keepable;

	memset(r, 0, sizeof(*r));
	keepable = check_stretch(d);
	if (get && kept_answer(d, path, keepable, r))
		goto answered;
	if (!get)
		forget(d);
	via = helper_exchange(d, method, path, body, timeout_s, r);
	/* Without a helper, or one that went away (stopped idle, or killed): carry on without it. A request that may
	 * have reached the engine is not repeated unless repeating it cannot change anything. */
	if (via == ENGINESRV_LOST_AFTER && !get && strcmp(method, "HEAD") != 0) {
		buf_release(&r->body);
		memset(r, 0, sizeof(*r));
		r->rc = CURLE_RECV_ERROR;
		snprintf(r->errbuf, sizeof(r->errbuf), "the engine helper stopped during the request");
	}
	if (via < 0 && *signals_flag()) { /* ^C while the helper waited: nothing is tried again */
		buf_release(&r->body);
		memset(r, 0, sizeof(*r));
		r->rc = CURLE_ABORTED_BY_CALLBACK;
	}
	if (via < 0 && r->rc == CURLE_OK) {
		buf_release(&r->body);
		docker_exchange(d, method, path, body, timeout_s, r);
		if (r->rc == CURLE_OK && d->socket && !d->helper_started)
			d->helper_started = enginesrv_start(d->socket, 0) == 0;
	}
	if (get && keepable && r->rc == CURLE_OK)
		docker_reply_copy(&keep(d, path, timeout_s)->r, r);
answered:
	snprintf(d->server_version, sizeof(d->server_version), "%s", r->server_version);
	if (r->rc != CURLE_OK) {
		buf_release(&r->body);
		unreachable(d, r, timeout_s);
		return -1;
	}
	d->reported = 0;
	return 0;
}

void docker_set_trust(struct docker *d, const struct trust *t)
{
	d->trust = t;
	d->stretch = 0;
	forget(d);
}

/* send_ahead: send GET path through the helper now; its answer is read when asked for. */
static void send_ahead(struct docker *d, const char *path, long timeout_s)
{
	check_stretch(d);
	if (find(d, path))
		return;
	if (enginesrv_send(d->helper, "GET", path, NULL, timeout_s) < 0)
		lose_helper(d);
	else
		keep(d, path, timeout_s)->pending = 1;
}

void docker_send_ahead(struct docker *d, const char *vpath)
{
	if (d->helper >= 0)
		send_ahead(d, vpath, REQUEST_TIMEOUT_S);
}

void docker_ping_ahead(struct docker *d)
{
	if (!d->version[0] && connect_helper(d))
		send_ahead(d, "/_ping", CONNECT_TIMEOUT_S);
}

void docker_prefetch(struct docker *d, const char *path)
{
	struct buf p = BUF_INIT;

	/* while a task runs, an answer could not be used when it comes */
	if (d->helper < 0 || !d->version[0] || (d->trust && !check_stretch(d)))
		return;
	buf_addf(&p, "/v%s%s", d->version, path);
	send_ahead(d, p.data, REQUEST_TIMEOUT_S);
	/* asked before anything the run did could have changed the engine: the next run may ask it at its start */
	if (d->trust && trust_stretch(d->trust) == 1 && d->helper >= 0 && d->asked_first.n < DOCKER_AHEAD_MAX) {
		size_t i = 0;
		while (i < d->asked_first.n && strcmp(d->asked_first.v[i], p.data) != 0)
			i++;
		if (i == d->asked_first.n)
			strv_push(&d->asked_first, p.data);
	}
	buf_release(&p);
}

/* engine_message: what the engine said about a failure: its JSON "message", else the start of the body. */
static char *engine_message(const struct buf *resp, long status)
{
	struct buf err = BUF_INIT;
	struct json *j = resp->len ? json_parse(resp->data, resp->len, &err) : NULL;
	const char *msg = json_str(json_get(j, "message"), NULL);
	size_t n;
	char *s;

	if (msg)
		s = xasprintf("%s (HTTP %ld)", msg, status);
	else if ((n = strcspn(resp->data ? resp->data : "", "\r\n")) > 0)
		s = xasprintf("%.*s (HTTP %ld)", (int)(n > 200 ? 200 : n), resp->data, status);
	else
		s = xasprintf("HTTP %ld", status);
	json_free(j);
	buf_release(&err);
	return s;
}

int docker_ping(struct docker *d)
{
	struct docker_reply r;
	int server, ret = -1;
	char *msg;

	if (request(d, "GET", "/_ping", NULL, CONNECT_TIMEOUT_S, &r) < 0)
		return -1;
	if (r.status == 400 && !str_has_prefix(d->base, "https://") && r.body.data && strstr(r.body.data, "HTTPS")) {
		/* Go's answer to plain HTTP on a TLS port: as unreachable as a failed handshake */
		if (!d->reported)
			error("cannot reach the Docker engine at '%s': it expects TLS; set DOCKER_TLS_VERIFY=1 and "
			      "DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem)", d->host);
		d->reported = 1;
		goto out;
	}
	if (r.status != 200) {
		msg = engine_message(&r.body, r.status);
		error("the server at '%s' answered '/_ping' with %s; is it a Docker engine? (check DOCKER_HOST)", d->host,
		      msg);
		free(msg);
		goto out;
	}
	/* Engines before API 1.25 do not say; 1.24 is the oldest this client speaks. */
	server = docker_api_number(d->server_version[0] ? d->server_version : "1.24");
	if (server < 0)
		server = docker_api_number("1.24");
	if (server < docker_api_number("1.24")) {
		error("the Docker engine at '%s' speaks API %s; sindri-build needs 1.24 or newer", d->host, d->server_version);
		goto out;
	}
	d->api = server < docker_api_number(DOCKER_API_MAX) ? server : docker_api_number(DOCKER_API_MAX);
	snprintf(d->version, sizeof(d->version), "%d.%d", d->api / 1000, d->api % 1000);
	ret = 0;
out:
	buf_release(&r.body);
	return ret;
}

int docker_need(struct docker *d, const char *min, const char *what)
{
	if (!d->version[0] && docker_ping(d) < 0)
		return -1;
	if (d->api >= docker_api_number(min))
		return 0;
	return error("cannot %s: the Docker engine at '%s' speaks API %s and this needs %s or newer", what, d->host,
	             d->version, min);
}

/* busy: the engine refused because the same operation is running for someone else (a disk-use scan: dockerd
 * runs one at a time and answers the others HTTP 500 "a disk usage operation is already running"). */
static int busy(const struct buf *body)
{
	return body->data && strstr(body->data, "already running") != NULL;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !*signals_flag())
		;
}

/* vcall: docker_call, and docker_call_raw when raw is not NULL (the answer's bytes go there, not parsed). */
__attribute__((format(printf, 10, 0))) static int vcall(struct docker *d, const char *method, const char *path, const struct buf *body, long timeout_s,
                 unsigned how, struct json **out, const char *const *want, struct buf *raw, const char *fmt,
                 va_list ap0)
{
	struct buf url = BUF_INIT, what = BUF_INIT, err = BUF_INIT;
	struct docker_reply r = {0};
	int ret = -1;
	va_list ap;
	char *msg;

	if (out)
		*out = NULL;
	va_copy(ap, ap0);
	what.len = (size_t)vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	buf_grow(&what, what.len + 1);
	va_copy(ap, ap0);
	vsnprintf(what.data, what.len + 1, fmt, ap);
	va_end(ap);
	if (docker_need(d, "1.24", what.data) < 0)
		goto out;
	buf_addf(&url, "/v%s%s", d->version, path);
	for (int wait_ms = 50, waited = 0;; wait_ms = wait_ms < 800 ? wait_ms * 2 : wait_ms) {
		if (request(d, method, url.data, body, timeout_s, &r) < 0)
			goto out;
		if (!(how & CALL_BUSY) || r.status != 500 || !busy(&r.body) || waited >= BUSY_WAIT_MS || *signals_flag())
			break;
		buf_release(&r.body);
		memset(&r, 0, sizeof(r));
		sleep_ms(wait_ms);
		waited += wait_ms;
	}
	if (r.status == 404 && (how & CALL_404)) {
		ret = DOCKER_NOT_FOUND;
	} else if (r.status == 304 && (how & CALL_304)) {
		ret = 0;
	} else if (r.status < 200 || r.status > 299) {
		msg = engine_message(&r.body, r.status);
		error("cannot %s: %s", what.data, msg);
		free(msg);
	} else if (raw) {
		buf_add(raw, r.body.data ? r.body.data : "", r.body.len);
		ret = 0;
	} else if (out && !(*out = json_parse_members(r.body.data ? r.body.data : "", r.body.len, want, &err))) {
		error("cannot %s: the engine's answer is not JSON: %s", what.data, err.data);
	} else {
		ret = 0;
	}
out:
	buf_release(&url);
	buf_release(&r.body);
	buf_release(&what);
	buf_release(&err);
	return ret;
}

int docker_call(struct docker *d, const char *method, const char *path, const struct buf *body, long timeout_s,
                unsigned how, struct json **out, const char *const *want, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vcall(d, method, path, body, timeout_s, how, out, want, NULL, fmt, ap);
	va_end(ap);
	return ret;
}

int docker_call_raw(struct docker *d, const char *method, const char *path, const struct buf *body, long timeout_s,
                    unsigned how, struct buf *raw, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vcall(d, method, path, body, timeout_s, how, NULL, NULL, raw, fmt, ap);
	va_end(ap);
	return ret;
}
