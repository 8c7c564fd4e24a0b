/* regauth: what a registry client needs to authenticate: the WWW-Authenticate challenge, and credentials from
 * the environment, the docker CLI's config.json and docker-credential-* helpers.
 *
 * Secrets (passwords, tokens, helper output) live only in struct regauth_cred and in the buffers that
 * regauth_basic fills; they never go into a message. Whoever holds a cred calls regauth_cred_release, which wipes
 * them before freeing. Strings passed in are only borrowed. */
#ifndef SB_REGAUTH_H
#define SB_REGAUTH_H

struct buf;

enum regauth_scheme {
	REGAUTH_NONE,   /* no challenge we can answer */
	REGAUTH_BASIC,  /* Basic realm="..." */
	REGAUTH_BEARER, /* Bearer realm="...",service="...",scope="...": a token from realm */
};

/* One challenge; the strings are owned (NULL when the parameter was absent). */
struct regauth_challenge {
	enum regauth_scheme scheme;
	char *realm, *service, *scope;
	char *error; /* the Bearer "error" parameter, e.g. "insufficient_scope" */
};

/* A user name and secret for one registry. identity is set when the secret is an OAuth2 refresh token (the
 * docker CLI's "identitytoken", a helper's "<token>" user) rather than a password. source says where they came
 * from, for messages ("REGISTRY_USER", "'/root/.docker/config.json'", "docker-credential-pass"). */
struct regauth_cred {
	char *user, *secret, *source;
	int identity;
};

/* regauth_challenge_parse: read a WWW-Authenticate value (several challenges, or several header lines joined
 * with ", ") and keep the best one we support (Bearer before Basic). 0 when one was found, 1 when there is
 * none we support (c->scheme is REGAUTH_NONE), -1 when the value is malformed (why appended to err). */
int regauth_challenge_parse(const char *value, struct regauth_challenge *c, struct buf *err);
/* regauth_challenge_release: free the strings of c and reset it. */
void regauth_challenge_release(struct regauth_challenge *c);

/* regauth_cred_lookup: credentials for registry host ("ghcr.io", "127.0.0.1:5000"; docker_hub set for Docker
 * Hub): REGISTRY_USER + REGISTRY_PASSWORD (or REGISTRY_TOKEN), else $DOCKER_CONFIG/config.json (or
 * ~/.docker/config.json): credHelpers[host], auths[host], credsStore. 1 with *cred filled, 0 when there are none,
 * -1 with the reason appended to err (a config file or helper that fails). */
int regauth_cred_lookup(const char *host, int docker_hub, struct regauth_cred *cred, struct buf *err);
/* regauth_cred_release: wipe and free the strings of c and reset it. */
void regauth_cred_release(struct regauth_cred *c);

/* regauth_basic: append base64("user:secret") to out, for an "Authorization: Basic" header. */
void regauth_basic(struct buf *out, const char *user, const char *secret);
/* regauth_base64_decode: decode standard base64 (padding optional) into out; -1 when malformed. */
int regauth_base64_decode(const char *s, struct buf *out);
/* regauth_wipe: overwrite b's bytes with zeros and release it (for buffers that held a secret). */
void regauth_wipe(struct buf *b);

#endif
