/* dockerapi: the Docker Engine API over libcurl, one keep-alive connection per client.
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
#include "enginesrv.h"
#include "http.h"
#include "json.h"
#include "proc.h"
#include "util.h"

/* An engine that does not answer is reported within this many seconds (connect, and the whole of /_ping). */
#define CONNECT_TIMEOUT_S 5
/* Requests other than /_ping may legitimately take long (removing big images); this only catches a hung engine. */
#define REQUEST_TIMEOUT_S 600
#define BUSY_WAIT_MS 120000 /* how long a request the engine answers "already running" is asked again */

struct docker {
	char *host;         /* as given, for messages */
	char *base;         /* "http://localhost" for a socket, "https://host:port[/path]" for tcp */
	char *socket;       /* unix socket path, or NULL */
	char *ca, *cert, *key;
	int tls_verify;
	CURL *curl;              /* this process's own connection; NULL until a request needs it */
	int helper;              /* connection to the engine helper (enginesrv.h), or -1 */
	int helper_tried;        /* looked for a helper already */
	int helper_started;      /* asked for one to start already */
	struct kept *kept;       /* answers kept for this run, and requests sent ahead through the helper */
	size_t nkept, capkept;
	unsigned long (*epoch_fn)(void); /* kept answers hold while this returns the same */
	unsigned long epoch;
	char errbuf[CURL_ERROR_SIZE];
	char server_version[16]; /* API-Version header of the last answer */
	char version[16];        /* negotiated; "" until then */
	int api;                 /* negotiated version as major * 1000 + minor */
	int reported;            /* the unreachable message was printed since the last answer */
};

/* A GET answer kept for the rest of the run (until the engine may have changed), or a GET sent ahead through the
 * helper whose answer is still to be read. Answers through the helper come in the order of the requests. */
struct kept {
	char *path;      /* versioned */
	long timeout_s;
	int pending;     /* sent, answer not read yet */
	int stale;       /* the engine may have changed since it was asked: read it, then drop it */
	struct docker_reply r;
};

_Static_assert(sizeof(((struct docker_reply *)0)->errbuf) == CURL_ERROR_SIZE, "errbuf is libcurl's error buffer");

static int api_number(const char *v)
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
		hint = "check DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem) and DOCKER_TLS_VERIFY";
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
	if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(d->curl, CURLOPT_POSTFIELDSIZE, (long)(body ? body->len : 0));
		curl_easy_setopt(d->curl, CURLOPT_POSTFIELDS, body && body->data ? body->data : "");
		/* The engine checks the type of JSON bodies; "Expect:" saves a round trip on large ones. */
		hdrs = curl_slist_append(hdrs, body ? "Content-Type: application/json" : "Content-Type:");
		hdrs = curl_slist_append(hdrs, "Expect:");
	} else if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(d->curl, CURLOPT_CUSTOMREQUEST, method);
	}
	curl_easy_setopt(d->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(d->curl, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(d->curl, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(d->curl, CURLOPT_HEADERDATA, r);
	rc = curl_easy_perform(d->curl);
	/* Nothing of this request may dangle in the handle once the caller frees it. */
	curl_easy_setopt(d->curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(d->curl, CURLOPT_POSTFIELDS, NULL);
	curl_easy_setopt(d->curl, CURLOPT_WRITEDATA, NULL);
	curl_easy_setopt(d->curl, CURLOPT_HEADERDATA, NULL);
	curl_slist_free_all(hdrs);
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

/* check_epoch: forget what was kept when the engine may have changed since; whether answers may be kept now. */
static int check_epoch(struct docker *d)
{
	unsigned long e;

	if (!d->epoch_fn)
		return 0;
	if ((e = d->epoch_fn()) == 0 || e != d->epoch) {
		d->epoch = e;
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

/* helper_exchange: METHOD path through the engine helper, once the answers to what was sent ahead (which come first
 * on its connection) are read: 0 with the answer in *r; -1 (ENGINESRV_LOST_BEFORE) when no helper answers or it
 * went away before it had the request, ENGINESRV_LOST_AFTER when it went away after; either way it is dropped. */
static int helper_exchange(struct docker *d, const char *method, const char *path, const struct buf *body,
                           long timeout_s, struct docker_reply *r)
{
	int via;

	while (any_pending(d))
		read_one(d);
	if (!connect_helper(d))
		return ENGINESRV_LOST_BEFORE;
	via = enginesrv_send(d->helper, method, path, body, timeout_s);
	if (via == 0)
		via = enginesrv_recv(d->helper, timeout_s, r);
	if (via < 0)
		lose_helper(d);
	return via;
}

/* request: one exchange, through the engine helper when one answers for this engine, else over this process's own
 * libcurl connection (which asks for a helper to be started for the runs after this one). GET answers are kept
 * until the engine may have changed: a request other than GET, or a task started (docker_set_epoch). -1
 * (reported) when the engine cannot be reached, else 0 with the answer in *r (r->body is the caller's). */
static int request(struct docker *d, const char *method, const char *path, const struct buf *body, long timeout_s,
                   struct docker_reply *r)
{
	int get = strcmp(method, "GET") == 0, via = -1, keepable;

	memset(r, 0, sizeof(*r));
	keepable = check_epoch(d);
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

void docker_set_epoch(struct docker *d, unsigned long (*fn)(void))
{
	d->epoch_fn = fn;
	d->epoch = 0;
	forget(d);
}

/* send_ahead: send GET path through the helper now; its answer is read when asked for. */
static void send_ahead(struct docker *d, const char *path, long timeout_s)
{
	check_epoch(d);
	if (find(d, path))
		return;
	if (enginesrv_send(d->helper, "GET", path, NULL, timeout_s) < 0)
		lose_helper(d);
	else
		keep(d, path, timeout_s)->pending = 1;
}

void docker_ping_ahead(struct docker *d)
{
	if (!d->version[0] && connect_helper(d))
		send_ahead(d, "/_ping", CONNECT_TIMEOUT_S);
}

int docker_helper_ahead(struct docker *d, const char *path)
{
	if (!connect_helper(d))
		return -1;
	send_ahead(d, path, REQUEST_TIMEOUT_S);
	return d->helper >= 0 ? 0 : -1;
}

int docker_helper_call(struct docker *d, const char *method, const char *path, const struct buf *body,
                       struct docker_reply *r)
{
	memset(r, 0, sizeof(*r));
	if (strcmp(method, "GET") == 0 && kept_answer(d, path, 0, r))
		return r->rc == CURLE_OK ? 0 : (buf_release(&r->body), -1);
	if (helper_exchange(d, method, path, body, REQUEST_TIMEOUT_S, r) < 0) {
		buf_release(&r->body);
		return -1;
	}
	return 0;
}

/* prefetch: send GET /vX.Y{path} ahead through the helper, once the version is known. */
static void prefetch(struct docker *d, const char *path)
{
	struct buf p = BUF_INIT;

	/* while a task runs, an answer could not be used when it comes */
	if (d->helper < 0 || !d->version[0] || (d->epoch_fn && !check_epoch(d)))
		return;
	buf_addf(&p, "/v%s%s", d->version, path);
	send_ahead(d, p.data, REQUEST_TIMEOUT_S);
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
	if (r.status != 200) {
		msg = engine_message(&r.body, r.status);
		error("the server at '%s' answered '/_ping' with %s; is it a Docker engine? (check DOCKER_HOST)", d->host,
		      msg);
		free(msg);
		goto out;
	}
	/* Engines before API 1.25 do not say; 1.24 is the oldest this client speaks. */
	server = api_number(d->server_version[0] ? d->server_version : "1.24");
	if (server < 0)
		server = api_number("1.24");
	if (server < api_number("1.24")) {
		error("the Docker engine at '%s' speaks API %s; sindri-build needs 1.24 or newer", d->host, d->server_version);
		goto out;
	}
	d->api = server < api_number(DOCKER_API_MAX) ? server : api_number(DOCKER_API_MAX);
	snprintf(d->version, sizeof(d->version), "%d.%d", d->api / 1000, d->api % 1000);
	ret = 0;
out:
	buf_release(&r.body);
	return ret;
}

/* need: -1 (reported) when the negotiated API is older than what `what` needs. */
static int need(struct docker *d, const char *min, const char *what)
{
	if (!d->version[0] && docker_ping(d) < 0)
		return -1;
	if (d->api >= api_number(min))
		return 0;
	return error("cannot %s: the Docker engine at '%s' speaks API %s and this needs %s or newer", what, d->host,
	             d->version, min);
}

enum {
	CALL_404 = 1 << 0, /* answer 404 with DOCKER_NOT_FOUND */
	CALL_304 = 1 << 1, /* 304 Not Modified is success */
	CALL_BUSY = 1 << 2, /* "already running" (HTTP 500: one disk-use scan at a time) is asked again, for a while */
};

/* call: METHOD /vX.Y{path}; 0, DOCKER_NOT_FOUND or -1 with "cannot <what>: <engine message>". *out gets the
 * parsed answer when out is not NULL: all of it, or at least the top-level members named in want (see
 * json_parse_members). */
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

static __attribute__((format(printf, 9, 10))) int call(struct docker *d, const char *method, const char *path,
                                                       const struct buf *body, long timeout_s, unsigned how,
                                                       struct json **out, const char *const *want,
                                                       const char *fmt, ...)
{
	struct buf url = BUF_INIT, what = BUF_INIT, err = BUF_INIT;
	struct docker_reply r = {0};
	int ret = -1;
	va_list ap;
	char *msg;

	if (out)
		*out = NULL;
	va_start(ap, fmt);
	what.len = (size_t)vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	buf_grow(&what, what.len + 1);
	va_start(ap, fmt);
	vsnprintf(what.data, what.len + 1, fmt, ap);
	va_end(ap);
	if (need(d, "1.24", what.data) < 0)
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

/* add_escaped: percent-encode s except for unreserved characters and those in keep. */
static void add_escaped(struct buf *b, const char *s, const char *keep)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || strchr("-._~", c) || strchr(keep, c))
			buf_addc(b, (char)c);
		else
			buf_addf(b, "%%%02X", c);
	}
}

/* add_path: a path prefix and one escaped name: "/images/" + "localhost:5000/x:1" + suffix. */
static void add_path(struct buf *b, const char *prefix, const char *name, const char *suffix)
{
	buf_adds(b, prefix);
	/* Image references keep their '/', ':' and '@': the engine's routes match them literally. */
	add_escaped(b, name, "/:@");
	buf_adds(b, suffix);
}

static void add_query(struct buf *b, const char *key, const char *value)
{
	buf_addc(b, strchr(b->data ? b->data : "", '?') ? '&' : '?');
	buf_adds(b, key);
	buf_addc(b, '=');
	add_escaped(b, value, "");
}

/* add_filters: the filters query parameter, JSON {"key":["value",...]} grouped by key. */
static void add_filters(struct buf *b, const char *const *filters)
{
	struct buf j = BUF_INIT;
	size_t i, k, n;

	if (!filters || !filters[0])
		return;
	json_open(&j, '{');
	for (i = 0; filters[i]; i++) {
		n = strcspn(filters[i], "=");
		for (k = 0; k < i && (strncmp(filters[k], filters[i], n) || strcspn(filters[k], "=") != n); k++)
			;
		if (k < i)
			continue; /* this key was written with its first occurrence */
		json_add_strn(&j, filters[i], n);
		buf_addc(&j, ':');
		json_open(&j, '[');
		for (k = i; filters[k]; k++)
			if (strncmp(filters[k], filters[i], n) == 0 && strcspn(filters[k], "=") == n && filters[k][n])
				json_add_str(&j, filters[k] + n + 1);
		json_close(&j, ']');
	}
	json_close(&j, '}');
	add_query(b, "filters", j.data);
	buf_release(&j);
}

int docker_version(struct docker *d, struct json **out)
{
	return call(d, "GET", "/version", NULL, REQUEST_TIMEOUT_S, 0, out, NULL, "read the engine version");
}

int docker_get(struct docker *d, const char *path, struct json **out)
{
	return call(d, "GET", path, NULL, REQUEST_TIMEOUT_S, 0, out, NULL, "get '%s'", path);
}

/* object: METHOD {prefix}{escaped name}{rest}, where rest holds a sub-path and query; 404 is DOCKER_NOT_FOUND
 * and 304 (container already started or stopped) is success. */
static int object(struct docker *d, const char *method, const char *prefix, const char *name, const char *rest,
                  long timeout_s, struct json **out, const char *const *want, const char *what)
{
	struct buf p = BUF_INIT;
	int ret;

	add_path(&p, prefix, name, rest);
	ret = call(d, method, p.data, NULL, timeout_s, CALL_404 | CALL_304, out, want, "%s '%s'", what, name);
	buf_release(&p);
	return ret;
}

int docker_image_inspect(struct docker *d, const char *ref, struct json **out)
{
	return object(d, "GET", "/images/", ref, "/json", REQUEST_TIMEOUT_S, out, NULL, "inspect image");
}

int docker_image_inspect_members(struct docker *d, const char *ref, const char *const *want, struct json **out)
{
	return object(d, "GET", "/images/", ref, "/json", REQUEST_TIMEOUT_S, out, want, "inspect image");
}

void docker_image_prefetch(struct docker *d, const char *ref)
{
	struct buf p = BUF_INIT;

	add_path(&p, "/images/", ref, "/json");
	prefetch(d, p.data);
	buf_release(&p);
}

int docker_image_list(struct docker *d, const char *const *filters, struct json **out)
{
	struct buf p = BUF_INIT;
	const char **rest = NULL;
	size_t i, n = 0;
	int ret = -1;

	if (need(d, "1.24", "list images") < 0)
		return -1;
	buf_adds(&p, "/images/json");
	if (filters && d->api < api_number("1.25")) {
		/* API 1.24 has no reference filter, but takes one name pattern as ?filter=. */
		for (i = 0; filters[i]; i++)
			;
		rest = xcalloc(i + 1, sizeof(*rest));
		for (i = 0; filters[i]; i++) {
			if (!str_has_prefix(filters[i], "reference="))
				rest[n++] = filters[i];
			else if (!strchr(p.data, '?'))
				add_query(&p, "filter", filters[i] + 10);
			else {
				error("cannot list images: the Docker engine at '%s' speaks API %s, which takes one reference "
				      "filter", d->host, d->version);
				goto out;
			}
		}
	}
	add_filters(&p, rest ? rest : filters);
	ret = call(d, "GET", p.data, NULL, REQUEST_TIMEOUT_S, 0, out, NULL, "list images");
out:
	free(rest);
	buf_release(&p);
	return ret;
}

int docker_image_tag(struct docker *d, const char *image, const char *target)
{
	struct buf p = BUF_INIT;
	const char *colon = strrchr(target, ':'), *slash = strrchr(target, '/');
	char *repo;
	int ret;

	if (strchr(target, '@'))
		return error("cannot tag image '%s' as '%s': a tag cannot hold a digest", image, target);
	if (colon && slash && colon < slash)
		colon = NULL; /* the ':' of a registry port */
	repo = colon ? xstrndup(target, (size_t)(colon - target)) : xstrdup(target);
	add_path(&p, "/images/", image, "/tag");
	add_query(&p, "repo", repo);
	if (colon)
		add_query(&p, "tag", colon + 1);
	ret = call(d, "POST", p.data, NULL, REQUEST_TIMEOUT_S, CALL_404, NULL, NULL, "tag image '%s' as '%s'", image, target);
	free(repo);
	buf_release(&p);
	return ret;
}

int docker_image_remove(struct docker *d, const char *ref, unsigned flags)
{
	char q[32];

	snprintf(q, sizeof(q), "?force=%d&noprune=%d", !!(flags & DOCKER_FORCE), !!(flags & DOCKER_NOPRUNE));
	return object(d, "DELETE", "/images/", ref, q, REQUEST_TIMEOUT_S, NULL, NULL, "remove image");
}

static void add_list(struct buf *b, const char *key, const char *const *list)
{
	if (!list)
		return;
	json_add_key(b, key);
	json_open(b, '[');
	for (; *list; list++)
		json_add_str(b, *list);
	json_close(b, ']');
}

/* add_map: "k=v" strings as {"k":"v"}; a string without '=' maps to "" (how the engine takes labels). */
static void add_map(struct buf *b, const char *key, const char *const *kv)
{
	size_t n;

	if (!kv)
		return;
	json_add_key(b, key);
	json_open(b, '{');
	for (; *kv; kv++) {
		n = strcspn(*kv, "=");
		json_add_strn(b, *kv, n);
		buf_addc(b, ':');
		json_add_str(b, (*kv)[n] ? *kv + n + 1 : "");
	}
	json_close(b, '}');
}

/* add_field: "key":value for a string (skipped when NULL) or, with s NULL and flag >= 0, a bool. */
static void add_field(struct buf *b, const char *key, const char *s, int flag)
{
	if (!s && flag < 0)
		return;
	json_add_key(b, key);
	if (s)
		json_add_str(b, s);
	else
		json_add_bool(b, flag);
}

int docker_container_create(struct docker *d, const struct docker_container_spec *spec, char **id)
{
	struct buf p = BUF_INIT, body = BUF_INIT;
	struct json *j = NULL;
	const char *const *v;
	const char *name = spec->name ? spec->name : "(unnamed)";
	int ret;

	if (id)
		*id = NULL;
	if (!spec->image)
		return error("cannot create container '%s': no image given", name);
	buf_adds(&p, "/containers/create");
	if (spec->name)
		add_query(&p, "name", spec->name);
	json_open(&body, '{');
	add_field(&body, "Image", spec->image, -1);
	add_list(&body, "Cmd", spec->cmd);
	add_list(&body, "Entrypoint", spec->entrypoint);
	add_list(&body, "Env", spec->env);
	add_map(&body, "Labels", spec->labels);
	if (spec->volumes) {
		/* The engine wants {"/path": {}} for each anonymous volume. */
		json_add_key(&body, "Volumes");
		json_open(&body, '{');
		for (v = spec->volumes; *v; v++) {
			json_add_key(&body, *v);
			json_open(&body, '{');
			json_close(&body, '}');
		}
		json_close(&body, '}');
	}
	add_field(&body, "WorkingDir", spec->workdir, -1);
	add_field(&body, "User", spec->user, -1);
	add_field(&body, "Tty", NULL, spec->tty);
	add_field(&body, "OpenStdin", NULL, spec->stdin_open);
	add_field(&body, "AttachStdin", NULL, spec->stdin_open);
	json_add_key(&body, "HostConfig");
	json_open(&body, '{');
	add_list(&body, "Binds", spec->binds);
	add_field(&body, "AutoRemove", NULL, spec->auto_remove);
	json_close(&body, '}');
	json_close(&body, '}');
	ret = call(d, "POST", p.data, &body, REQUEST_TIMEOUT_S, 0, &j, NULL, "create container '%s' from image '%s'", name,
	           spec->image);
	if (ret == 0 && !json_str(json_get(j, "Id"), NULL))
		ret = error("cannot create container '%s': the engine's answer has no Id", name);
	if (ret == 0 && id)
		*id = xstrdup(json_str(json_get(j, "Id"), ""));
	json_free(j);
	buf_release(&p);
	buf_release(&body);
	return ret;
}

int docker_container_list(struct docker *d, const char *const *filters, struct json **out)
{
	struct buf p = BUF_INIT;
	int ret;

	buf_adds(&p, "/containers/json?all=1");
	add_filters(&p, filters);
	ret = call(d, "GET", p.data, NULL, REQUEST_TIMEOUT_S, 0, out, NULL, "list containers");
	buf_release(&p);
	return ret;
}

int docker_container_inspect(struct docker *d, const char *id, struct json **out)
{
	return object(d, "GET", "/containers/", id, "/json", REQUEST_TIMEOUT_S, out, NULL, "inspect container");
}

int docker_container_start(struct docker *d, const char *id)
{
	return object(d, "POST", "/containers/", id, "/start", REQUEST_TIMEOUT_S, NULL, NULL, "start container");
}

int docker_container_stop(struct docker *d, const char *id, int timeout_s)
{
	char q[32];

	timeout_s = timeout_s < 0 ? 0 : timeout_s;
	snprintf(q, sizeof(q), "/stop?t=%d", timeout_s);
	return object(d, "POST", "/containers/", id, q, REQUEST_TIMEOUT_S + timeout_s, NULL, NULL, "stop container");
}

int docker_container_remove(struct docker *d, const char *id, unsigned flags)
{
	char q[32];

	snprintf(q, sizeof(q), "?force=%d&v=%d", !!(flags & DOCKER_FORCE), !!(flags & DOCKER_VOLUMES));
	return object(d, "DELETE", "/containers/", id, q, REQUEST_TIMEOUT_S, NULL, NULL, "remove container");
}

int docker_volume_create(struct docker *d, const char *name, const char *const *labels, struct json **out)
{
	struct buf body = BUF_INIT;
	struct json *j = NULL;
	int ret;

	json_open(&body, '{');
	json_add_key(&body, "Name");
	json_add_str(&body, name);
	add_map(&body, "Labels", labels);
	json_close(&body, '}');
	ret = call(d, "POST", "/volumes/create", &body, REQUEST_TIMEOUT_S, 0, out ? out : &j, NULL, "create volume '%s'", name);
	json_free(j);
	buf_release(&body);
	return ret;
}

int docker_volume_inspect(struct docker *d, const char *name, struct json **out)
{
	return object(d, "GET", "/volumes/", name, "", REQUEST_TIMEOUT_S, out, NULL, "inspect volume");
}

int docker_volume_remove(struct docker *d, const char *name, unsigned flags)
{
	return object(d, "DELETE", "/volumes/", name, flags & DOCKER_FORCE ? "?force=1" : "", REQUEST_TIMEOUT_S, NULL, NULL,
	              "remove volume");
}

/* df: GET /system/df. It has build-cache records; ?type=build-cache would limit it from API 1.42 on. */
static int df(struct docker *d, const char *min, const char *what, struct json **out)
{
	if (need(d, min, what) < 0)
		return -1;
	return call(d, "GET", "/system/df", NULL, REQUEST_TIMEOUT_S, CALL_BUSY, out, NULL, "%s", what);
}

int docker_build_cache(struct docker *d, struct docker_cache *out)
{
	struct json *j, *list, *r;
	struct docker_cache_record *c;
	size_t k;

	out->v = NULL;
	out->n = 0;
	if (df(d, "1.31", "list the build cache", &j) < 0)
		return -1;
	list = json_get(j, "BuildCache");
	out->v = xcalloc(json_len(list) + 1, sizeof(*out->v));
	for (k = 0; k < json_len(list); k++) {
		r = json_at(list, k);
		c = &out->v[out->n++];
		c->id = xstrdup(json_str(json_get(r, "ID"), ""));
		/* API 1.42 turned "Parent" into "Parents". */
		c->parent = xstrdup(json_str(json_get(r, "Parent"), json_str(json_path(r, "Parents.0"), "")));
		c->type = xstrdup(json_str(json_get(r, "Type"), ""));
		c->description = xstrdup(json_str(json_get(r, "Description"), ""));
		c->size = json_int(json_get(r, "Size"), 0);
		c->created = docker_parse_time(json_str(json_get(r, "CreatedAt"), ""));
		c->last_used = docker_parse_time(json_str(json_get(r, "LastUsedAt"), ""));
		c->created = c->created < 0 ? 0 : c->created;
		c->last_used = c->last_used < 0 ? 0 : c->last_used;
		c->usage_count = json_int(json_get(r, "UsageCount"), 0);
		c->in_use = json_bool(json_get(r, "InUse"), 0);
		c->shared = json_bool(json_get(r, "Shared"), 0);
	}
	json_free(j);
	return 0;
}

void docker_cache_release(struct docker_cache *c)
{
	size_t k;

	for (k = 0; k < c->n; k++) {
		free(c->v[k].id);
		free(c->v[k].parent);
		free(c->v[k].type);
		free(c->v[k].description);
	}
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

int docker_build_prune(struct docker *d, const char *const *filters, unsigned flags, int64_t *reclaimed,
                       size_t *deleted)
{
	struct buf p = BUF_INIT;
	struct json *j = NULL;
	int ret;

	if (reclaimed)
		*reclaimed = 0;
	if (deleted)
		*deleted = 0;
	if (need(d, filters && filters[0] ? "1.39" : "1.31", "prune the build cache") < 0)
		return -1;
	buf_adds(&p, "/build/prune");
	if (flags & DOCKER_PRUNE_ALL)
		add_query(&p, "all", "1");
	add_filters(&p, filters);
	ret = call(d, "POST", p.data, NULL, REQUEST_TIMEOUT_S, 0, &j, NULL, "prune the build cache");
	if (ret == 0 && reclaimed)
		*reclaimed = json_int(json_get(j, "SpaceReclaimed"), 0);
	if (ret == 0 && deleted)
		*deleted = json_len(json_get(j, "CachesDeleted"));
	json_free(j);
	buf_release(&p);
	return ret;
}

int docker_build_prune_ids(struct docker *d, const char *const *ids, size_t n, int64_t *reclaimed, size_t *deleted)
{
	struct buf f = BUF_INIT;
	const char *filters[2] = {NULL, NULL};
	size_t i, k, gone = 0, got;
	int64_t freed = 0, bytes;
	int ret = 0;

	for (i = 0; i < n; i++)
		if (!ids[i][0])
			return error("cannot prune a build-cache record: the id is empty");
	/* the id filter is a regexp (unanchored): one anchored alternation of the ids, each quoted, per request */
	for (i = 0; i < n && ret == 0; i += k) {
		int one = i + 1 == n; /* a lone id needs no group: "^id$" */
		buf_reset(&f);
		buf_adds(&f, one ? "id=^" : "id=^(?:");
		for (k = 0; k < DOCKER_PRUNE_IDS && i + k < n; k++) {
			if (k)
				buf_addc(&f, '|');
			for (const char *c = ids[i + k]; *c; c++) {
				if (!isalnum((unsigned char)*c))
					buf_addc(&f, '\\');
				buf_addc(&f, *c);
			}
		}
		buf_adds(&f, one ? "$" : ")$");
		filters[0] = f.data;
		if ((ret = docker_build_prune(d, filters, DOCKER_PRUNE_ALL, &bytes, &got)) == 0)
			freed += bytes, gone += got;
	}
	buf_release(&f);
	if (reclaimed)
		*reclaimed = freed;
	if (deleted)
		*deleted = gone;
	return ret;
}

int docker_build_prune_id(struct docker *d, const char *id, int64_t *reclaimed)
{
	size_t deleted = 0;
	int ret = docker_build_prune_ids(d, &id, 1, reclaimed, &deleted);

	return ret == 0 && deleted == 0 ? DOCKER_NOT_FOUND : ret;
}

int docker_system_df(struct docker *d, struct docker_df *out)
{
	struct json *j, *list;
	size_t k;
	int64_t v;

	memset(out, 0, sizeof(*out));
	if (df(d, "1.25", "read the engine's disk use", &j) < 0)
		return -1;
	out->images_size = json_int(json_get(j, "LayersSize"), 0);
	out->images = json_len(json_get(j, "Images"));
	list = json_get(j, "Containers");
	out->containers = json_len(list);
	for (k = 0; k < json_len(list); k++)
		out->containers_size += (v = json_int(json_get(json_at(list, k), "SizeRw"), 0)) > 0 ? v : 0;
	list = json_get(j, "Volumes");
	out->volumes = json_len(list);
	for (k = 0; k < json_len(list); k++)
		out->volumes_size += (v = json_int(json_path(json_at(list, k), "UsageData.Size"), 0)) > 0 ? v : 0;
	list = json_get(j, "BuildCache");
	out->cache_records = json_len(list);
	for (k = 0; k < json_len(list); k++)
		out->cache_size += (v = json_int(json_get(json_at(list, k), "Size"), 0)) > 0 ? v : 0;
	json_free(j);
	return 0;
}

static int digits(const char *s, size_t n, int *v)
{
	*v = 0;
	for (; n--; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		*v = *v * 10 + (*s - '0');
	}
	return 1;
}

int64_t docker_parse_time(const char *s)
{
	struct tm tm = {0};
	int y, mo, da, h, mi, se, oh = 0, om = 0, sign = 0;
	const char *p;

	if (!s || strlen(s) < 20 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !digits(s + 8, 2, &da) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s + 11, 2, &h) ||
	    s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &se))
		return -1;
	p = s + 19;
	if (*p == '.') {
		if (!isdigit((unsigned char)*++p))
			return -1;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if ((*p == '+' || *p == '-') && digits(p + 1, 2, &oh) && p[3] == ':' && digits(p + 4, 2, &om)) {
		sign = *p == '-' ? -1 : 1;
		p += 6;
	} else {
		return -1;
	}
	if (*p || mo < 1 || mo > 12 || da < 1 || da > 31 || h > 23 || mi > 59 || se > 60 || oh > 23 || om > 59)
		return -1;
	if (y < 1970)
		return 0; /* Go's zero time, 0001-01-01T00:00:00Z, means "never" */
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = da;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	return (int64_t)timegm(&tm) - sign * (oh * 3600 + om * 60);
}
