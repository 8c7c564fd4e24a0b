/* regauth: what a registry client needs to authenticate: the WWW-Authenticate challenge, and credentials from
 * the environment, the docker CLI's config.json and docker-credential-* helpers.
 *
 * Secrets (passwords, tokens, helper output) live only in struct regauth_cred and in the buffers that
 * regauth_basic fills; they never go into a message. Whoever holds a cred calls regauth_cred_release, which wipes
 * them before freeing. Strings passed in are only borrowed. */
#ifndef SB_REGAUTH_H
#define SB_REGAUTH_H

struct buf;
struct json;

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
 * Hub): REGISTRY_USER + REGISTRY_PASSWORD, or REGISTRY_TOKEN as the password (user REGISTRY_USER, else "token"),
 * else $DOCKER_CONFIG/config.json (or ~/.docker/config.json): credHelpers[host], auths[host], credsStore. 1 with
 * *cred filled, 0 when there are none, -1 with the reason appended to err (a config file or helper that fails). */
int regauth_cred_lookup(const char *host, int docker_hub, struct regauth_cred *cred, struct buf *err);
/* regauth_cred_release: wipe and free the strings of c and reset it. */
void regauth_cred_release(struct regauth_cred *c);

/* regauth_basic: append the header line "Authorization: Basic <base64(user:secret)>" for cred to out. */
void regauth_basic(struct buf *out, const struct regauth_cred *cred);
/* regauth_token_request: how to ask the realm of Bearer challenge c for a token for repository name (the
 * challenge's scope, else pull): the URL into url, and either the form to POST into form (cred holds an identity
 * token) or, when cred is not NULL, an "Authorization: Basic" line into authz. */
void regauth_token_request(const struct regauth_challenge *c, const char *name, const struct regauth_cred *cred,
                           struct buf *url, struct buf *form, struct buf *authz);
/* regauth_token_answer: append "Authorization: Bearer <token>" for a token service's JSON answer ("token" or
 * "access_token") to authz; -1 when it holds none. The parsed copy is wiped; answer is the caller's to wipe. */
int regauth_token_answer(const struct buf *answer, struct buf *authz);
/* regauth_base64_decode: decode standard base64 (padding optional) into out; -1 when malformed. */
int regauth_base64_decode(const char *s, struct buf *out);
/* regauth_wipe_json: overwrite every string in a parsed tree with zeros (before json_free of a secret answer). */
void regauth_wipe_json(struct json *j);
/* regauth_wipe: overwrite b's bytes with zeros and release it (for buffers that held a secret). */
void regauth_wipe(struct buf *b);

#endif
