/* regwire: the inside of a registry client, shared by registry.c (the connection, authentication and the
 * metadata requests) and regobj.c (manifests and blobs read and written). Not for use outside registry/. */
#ifndef SB_REGWIRE_H
#define SB_REGWIRE_H

#include <stddef.h>

#include <curl/curl.h>

#include "regauth.h"
#include "util.h"

/* A request body to send (PUT or POST); data is borrowed for the request. */
struct regwire_send {
	const char *data;
	size_t len;
	const char *type; /* its Content-Type */
};

struct registry {
	char *host;       /* "ghcr.io", "registry-1.docker.io" */
	char *name;       /* "pacphi/sindri" */
	char *base;       /* "https://ghcr.io" */
	char *hint;       /* how to log in */
	int docker_hub, loopback;
	long connect_s, total_s;
	CURL *curl;
	char errbuf[CURL_ERROR_SIZE];
	struct buf msg;   /* the last failure */
	struct buf authz; /* the Authorization header line sent with each request, "" when anonymous (a secret) */
	struct regauth_cred cred;
	int cred_state;   /* 0: not looked up yet, 1: found, -1: none */
	const struct regwire_send *send; /* the body of the request being made, or NULL */
	/* Headers of the answer being read. */
	struct buf challenge, link, location, ctype;
	char *digest;
};

/* regwire_fail: set the message of a failure and return rc; print it too when rc is -1. */
int regwire_fail(struct registry *r, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* regwire_fetch: METHOD url with send's body (NULL: none), answering one authentication challenge: 0 with *status
 * (never 401, 403, 5xx or 429), or -1 or REGISTRY_UNAVAILABLE with the message set. */
int regwire_fetch(struct registry *r, const char *method, const char *url, const char *accept,
                  const struct regwire_send *send, struct buf *body, long *status);
/* regwire_get_plain: GET url with no credentials (a blob's redirect to storage elsewhere): 0 with *status, else
 * -1 or REGISTRY_UNAVAILABLE with the message set. */
int regwire_get_plain(struct registry *r, const char *url, struct buf *body, long *status);
/* regwire_says: what the registry said about a failure in body, with a leading ": " ("" when nothing); malloc'd. */
char *regwire_says(const struct buf *body);
/* regwire_valid_reference: whether ref is a valid tag or digest. */
int regwire_valid_reference(const char *ref);
/* regwire_shown_host: the registry as users name it ("docker.io" for Docker Hub). */
const char *regwire_shown_host(const struct registry *r);

#endif
