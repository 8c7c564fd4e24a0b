/* registry: a client for the OCI distribution API (libcurl underneath), enough to use a registry as a remote
 * cache of images: is there a manifest for this tag, and which tags are there.
 *
 * A repository is named as the docker CLI names it: "ghcr.io/pacphi/sindri", "127.0.0.1:5000/sindri",
 * "pacphi/sindri" and "ubuntu" (Docker Hub, the latter as "library/ubuntu"). The first component is the registry
 * when it holds a '.' or ':' or is "localhost". Loopback registries (127.0.0.0/8, localhost, [::1]) and any
 * registry when REGISTRY_INSECURE=1 are spoken to over plain http, all others over https.
 *
 * Authentication is answered when the registry asks (401 with WWW-Authenticate): Bearer (a token from the
 * challenge's realm) or Basic. Credentials, first found wins: REGISTRY_USER + REGISTRY_PASSWORD (or REGISTRY_TOKEN)
 * for CI, then the docker CLI's $DOCKER_CONFIG/config.json (or ~/.docker/config.json): credHelpers, auths,
 * credsStore (see regauth.h). Secrets are never printed, and libcurl's verbose output is never turned on.
 *
 * Results: 0 (or 1 where a prototype says so) on success; -1 after printing one error (a refused login says how
 * to log in); REGISTRY_UNAVAILABLE, with nothing printed, when the registry cannot be reached, does not answer in
 * time, or answers 5xx or 429: the caller warns and builds locally, or fails when asked to be strict. After any
 * failure registry_error gives the message. A struct registry is not thread-safe; it reuses its connection and
 * keeps the token it got, and it is freed with registry_close. Strings passed in are only borrowed. */
#ifndef SB_REGISTRY_H
#define SB_REGISTRY_H

#include <stddef.h>

struct buf;
struct strv;

/* The registry cannot be used right now (as opposed to -1: it can, but refuses or is misconfigured). */
#define REGISTRY_UNAVAILABLE (-2)

/* Default bounds of a metadata request (token requests included), in seconds. */
#define REGISTRY_CONNECT_TIMEOUT_S 5
#define REGISTRY_TIMEOUT_S 30

struct registry;

/* registry_open: a client for repository repo_ref; NULL for a name it cannot use, with the reason appended to err
 * (printed with error() when err is NULL). Nothing is contacted yet. */
struct registry *registry_open(const char *repo_ref, struct buf *err);
/* registry_close: free the client and wipe the credentials and token it held (NULL is fine). */
void registry_close(struct registry *reg);
/* registry_set_timeouts: bound connecting and whole requests (seconds, >= 1) instead of the defaults. */
void registry_set_timeouts(struct registry *reg, long connect_s, long total_s);

/* registry_host: the registry as contacted ("ghcr.io", "127.0.0.1:5000", "registry-1.docker.io"). */
const char *registry_host(const struct registry *reg);
/* registry_name: the repository within it ("pacphi/sindri", "library/ubuntu"). */
const char *registry_name(const struct registry *reg);
/* registry_base: the URL prefix requests go to ("https://ghcr.io", "http://127.0.0.1:5000"). */
const char *registry_base(const struct registry *reg);
/* registry_ref: the image reference "<registry>/<name>:<tag>" for docker pull, tag and push (Docker Hub's
 * registry spelled "docker.io"); the caller frees it. */
char *registry_ref(const struct registry *reg, const char *tag);
/* registry_login_hint: how to log in, for messages ("run 'docker login ghcr.io' or set REGISTRY_USER and
 * REGISTRY_PASSWORD"), e.g. when a docker push is refused. */
const char *registry_login_hint(const struct registry *reg);
/* registry_error: the message of the last failure ("" when there was none). */
const char *registry_error(const struct registry *reg);

/* registry_ping: GET /v2/, authenticating when asked: 0 when the registry answers and lets us in. */
int registry_ping(struct registry *reg);
/* registry_manifest_exists: HEAD the manifest (Docker v2 or OCI, image or index) of tag (or of a "sha256:"
 * digest): 1 when it exists, with the Docker-Content-Digest in *digest when digest is not NULL (the caller frees
 * it; NULL when the registry sent none), 0 when it does not, -1 or REGISTRY_UNAVAILABLE. */
int registry_manifest_exists(struct registry *reg, const char *tag, char **digest);
/* registry_tags: append the repository's tags to out, following the registry's pagination; a repository that
 * does not exist yet has none. After a failure out may hold the tags of the pages read. */
int registry_tags(struct registry *reg, struct strv *out);


/* Objects (regobj.c). Digests are "sha256:<hex>"; whatever is read is checked against its digest. */
struct json;
/* registry_sha256: "sha256:<hex>" of len bytes (malloc'd). */
char *registry_sha256(const void *data, size_t len);
/* registry_manifest_get: GET the manifest of ref (a tag or digest): 1 with its bytes in body, its media type in
 * *type and its digest in *digest (both malloc'd), 0 when there is none, -1 or REGISTRY_UNAVAILABLE. */
int registry_manifest_get(struct registry *reg, const char *ref, struct buf *body, char **type, char **digest);
/* registry_manifest_put: PUT a manifest of media type type under ref (a tag or its digest); its digest into *digest
 * when digest is not NULL. 0, -1 or REGISTRY_UNAVAILABLE. */
int registry_manifest_put(struct registry *reg, const char *ref, const char *type, const char *data, size_t len,
                          char **digest);
/* registry_blob_get: GET a blob (following a redirect to storage elsewhere, without credentials): 1 with it in
 * body, 0 when there is none, -1 or REGISTRY_UNAVAILABLE. */
int registry_blob_get(struct registry *reg, const char *digest, struct buf *body);
/* registry_blob_put: upload len bytes as a blob unless the registry has it already; its digest into *digest when
 * not NULL. 0, -1 or REGISTRY_UNAVAILABLE. */
int registry_blob_put(struct registry *reg, const char *data, size_t len, char **digest);
/* registry_image_config: the config (labels, history, ...) of the image ref names, read from the registry without
 * pulling it (manifest, then config blob; for an index, the linux image of this machine's architecture): 1 with
 * the parsed config in *config (the caller frees it), 0 when there is no such image, -1 or REGISTRY_UNAVAILABLE. */
int registry_image_config(struct registry *reg, const char *ref, struct json **config);
/* registry_referrers: the manifests whose subject is the manifest digest subject, as an image index in *index
 * (NULL when there are none): from the referrers API (*api set), else from the referrers tag schema's index
 * (tag "sha256-<hex>"). 0, -1 or REGISTRY_UNAVAILABLE. */
int registry_referrers(struct registry *reg, const char *subject, struct json **index, int *api);
/* registry_add_referrer: list the artifact manifest digest (size bytes, of artifact_type, with annotations as
 * NULL-terminated name, value pairs) among the referrers of subject, in the referrers tag schema's index; nothing
 * when the registry has the referrers API (it reads the artifact's subject itself). 0, -1 or REGISTRY_UNAVAILABLE. */
int registry_add_referrer(struct registry *reg, const char *subject, const char *digest, size_t size,
                          const char *artifact_type, const char *const *annotations);

#endif
