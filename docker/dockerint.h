/* dockerint: the Docker client's insides, shared by docker/dockerapi.c (connection, helper, kept answers,
 * negotiation, requests) and docker/dockerobj.c (images, containers, volumes, the build cache), and by no other
 * module. */
#ifndef SB_DOCKERINT_H
#define SB_DOCKERINT_H

#include <curl/curl.h>

#include "dockerapi.h"
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
	const struct trust *trust; /* docker_set_trust: kept answers hold within one stretch of it */
	unsigned long stretch;     /* the stretch they were kept in */
	char errbuf[CURL_ERROR_SIZE];
	char server_version[16]; /* API-Version header of the last answer */
	char version[16];        /* negotiated; "" until then */
	int api;                 /* negotiated version as major * 1000 + minor */
	int reported;            /* the unreachable message was printed since the last answer */
	struct strv asked_first; /* GETs sent ahead before anything changed the engine (docker_ahead_save) */
	struct strv replayed;    /* the list docker_ahead_replay read */
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

/* Flags of docker_call. */
enum {
	CALL_404 = 1 << 0, /* answer 404 with DOCKER_NOT_FOUND */
	CALL_304 = 1 << 1, /* 304 Not Modified is success */
	CALL_BUSY = 1 << 2, /* "already running" (HTTP 500: one disk-use scan at a time) is asked again, for a while */
};

/* docker_api_number: an API version "1.41" as 1041; -1 when it is not one. */
int docker_api_number(const char *v);
/* docker_need: -1 (reported) when the negotiated API is older than what `what` needs. */
int docker_need(struct docker *d, const char *min, const char *what);
/* docker_prefetch: send GET /vX.Y{path} ahead through the helper, once the version is known. */
void docker_prefetch(struct docker *d, const char *path);
/* docker_send_ahead: send GET vpath (versioned) ahead through the helper, now; its answer is read when asked for. */
void docker_send_ahead(struct docker *d, const char *vpath);
/* docker_call: METHOD /vX.Y{path}; 0, DOCKER_NOT_FOUND or -1 with "cannot <what>: <engine message>". *out gets the
 * parsed answer when out is not NULL: all of it, or at least the top-level members named in want (see
 * json_parse_members). */
__attribute__((format(printf, 9, 10))) int docker_call(struct docker *d, const char *method, const char *path,
                                                       const struct buf *body, long timeout_s, unsigned how,
                                                       struct json **out, const char *const *want,
                                                       const char *fmt, ...);
/* docker_call_raw: docker_call whose answer's bytes are appended to raw as they came (a stream, a tar). */
__attribute__((format(printf, 8, 9))) int docker_call_raw(struct docker *d, const char *method, const char *path,
                                                          const struct buf *body, long timeout_s, unsigned how,
                                                          struct buf *raw, const char *fmt, ...);

#endif
