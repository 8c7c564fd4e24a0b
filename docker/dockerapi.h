/* dockerapi: a Docker Engine API client (libcurl underneath; callers never see it).
 *
 * The engine's address comes from DOCKER_HOST like the docker CLI: unix:///path (the default is
 * unix:///var/run/docker.sock) or tcp://host:port, which is https with DOCKER_TLS_VERIFY (or DOCKER_TLS) and the
 * ca.pem, cert.pem and key.pem of DOCKER_CERT_PATH (default ~/.docker). The API version is negotiated on the first
 * request from /_ping's API-Version header: the lower of the engine's and DOCKER_API_MAX.
 *
 * Results: 0 on success; -1 after printing one error (an unreachable engine is reported once per client until a
 * request gets through again); DOCKER_NOT_FOUND, with nothing printed, where the engine answers 404 and the
 * prototype says so. Trees returned through `struct json **out` belong to the caller (json_free); strings
 * passed in are only borrowed. A struct docker is not thread-safe; it keeps one connection alive across calls.
 *
 * Filters are NULL-terminated arrays of "key=value" strings, the docker CLI's --filter syntax, e.g.
 * {"reference=sindri:*", "label=org.sindri-build.key=abc", "dangling=true", NULL}; repeating a key ANDs (labels)
 * or ORs (references) the values, as the engine defines per filter. */
#ifndef SB_DOCKERAPI_H
#define SB_DOCKERAPI_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct json;

#define DOCKER_DEFAULT_HOST "unix:///var/run/docker.sock"
/* The newest API version spoken; newer engines are asked for this one. Older engines down to 1.24 work, with
 * the features their API lacks (build-cache records and pruning need 1.39) failing with a message saying so. */
#define DOCKER_API_MAX "1.41"

enum {
	DOCKER_NOT_FOUND = 1, /* the engine answered 404: no such image, container or volume */
};

/* Flags for the remove calls. */
enum docker_flags {
	DOCKER_FORCE = 1 << 0,   /* images: remove even when tagged twice or used; containers: kill if running */
	DOCKER_NOPRUNE = 1 << 1, /* images: keep untagged parents */
	DOCKER_VOLUMES = 1 << 2, /* containers: remove anonymous volumes too */
	DOCKER_PRUNE_ALL = 1 << 3, /* build prune: shared and internal records too, not only unreferenced ones */
};

struct docker;

/* What docker_container_create makes. Lists are NULL-terminated; NULL members are left to the engine's defaults. */
struct docker_container_spec {
	const char *name;             /* container name, or NULL for a generated one */
	const char *image;            /* required */
	const char *const *cmd;       /* argv, or NULL for the image's CMD */
	const char *const *entrypoint; /* argv, or NULL for the image's ENTRYPOINT */
	const char *const *env;       /* "KEY=VALUE" */
	const char *const *labels;    /* "key=value" */
	const char *const *binds;     /* "volume-or-/host/path:/container/path[:ro]" */
	const char *const *volumes;   /* container paths that get anonymous volumes */
	const char *workdir, *user;
	int tty, stdin_open;          /* allocate a TTY; keep stdin open */
	int auto_remove;              /* the engine removes the container when it exits */
};

/* One build-cache record (GET /system/df). Times are unix seconds, 0 when unknown or never. */
struct docker_cache_record {
	char *id, *parent, *type, *description;
	int64_t size, created, last_used, usage_count;
	int in_use, shared;
};

/* Build-cache records; docker_cache_release frees them. */
struct docker_cache {
	struct docker_cache_record *v;
	size_t n;
};

/* Disk use by kind (GET /system/df); a size the engine did not compute counts as 0. */
struct docker_df {
	int64_t images_size;     /* all image layers (LayersSize) */
	int64_t containers_size; /* writable layers */
	int64_t volumes_size;    /* local volumes whose size the engine reports */
	int64_t cache_size;      /* build cache */
	size_t images, containers, volumes, cache_records;
};

/* docker_open: a client for host ("unix://...", "tcp://..."), or $DOCKER_HOST or the default when host is NULL;
 * NULL (with an error printed) for an address it cannot use. Nothing is contacted yet. */
struct docker *docker_open(const char *host);
/* docker_close: close the connection and free the client (NULL is fine). */
void docker_close(struct docker *d);
/* docker_host: the address in use, as given ("unix:///var/run/docker.sock"). */
const char *docker_host(const struct docker *d);

/* What one HTTP exchange with the engine gave: an answer (rc 0, status, body) or why there was none. It is the
 * unit the engine helper (enginesrv.h) carries between processes, so it holds values, not libcurl handles. */
struct docker_reply {
	int rc;                  /* CURLcode: 0 when the engine answered */
	int oserr;               /* errno of a failed connect, else 0 */
	int connected;           /* a connection was made (a slow engine, not an absent one) */
	long status;             /* HTTP status of the answer */
	char server_version[16]; /* its API-Version header, "" when none */
	char errbuf[256];        /* libcurl's words for rc (CURL_ERROR_SIZE) */
	struct buf body;
};

/* docker_exchange: METHOD base+path over this process's own libcurl connection (the helper's side; runs use
 * the helper when one answers). body NULL sends none. Nothing is printed; 0 when the engine answered, else -1
 * with r->rc and the rest saying why. r->body is the caller's to release. */
int docker_exchange(struct docker *d, const char *method, const char *path, const struct buf *body, long timeout_s,
                    struct docker_reply *r);
/* docker_reply_copy: *to as a copy of *from, body included (to's own body is not released). */
void docker_reply_copy(struct docker_reply *to, const struct docker_reply *from);
/* docker_direct: load libcurl and make this process's own connection handle now (the helper does, for each pooled
 * connection). -1 when libcurl cannot be initialized. */
int docker_direct(struct docker *d);
/* docker_socket: the engine's unix socket path, or NULL for a tcp:// engine. */
const char *docker_socket(const struct docker *d);

/* docker_set_trust: keep GET answers for the rest of the run and give them again for the same request within one
 * stretch of t (engine/trust.h: no task ran since) in which no request other than GET was made: nothing can have
 * changed the engine meanwhile. Without it (the default), an answer asked for ahead is used once and nothing is kept. */
struct trust;
void docker_set_trust(struct docker *d, const struct trust *t);

/* docker_ping_ahead: send the ping that negotiates the version through the engine helper now, when one answers,
 * so that docker_ping later finds its answer waiting; otherwise nothing. */
void docker_ping_ahead(struct docker *d);

/* docker_ahead_replay: read the list docker_ahead_save left in file (a project's state) and, through the engine
 * helper, send those GETs ahead now, so that the engine answers them while the run loads its recipe. They are the
 * requests the last run asked ahead before anything it did could change the engine (an image task's inspects); an
 * answer is used only by the same request in the same stretch (docker_set_trust), else dropped. */
void docker_ahead_replay(struct docker *d, const char *file);
/* docker_ahead_save: write to file what this run asked ahead before anything it did could change the engine, when
 * that differs from what docker_ahead_replay read (a run that writes state; NULL d is fine). */
void docker_ahead_save(struct docker *d, const char *file);
/* at most this many requests are kept for the next run */
#define DOCKER_AHEAD_MAX 16

/* docker_ping: check that the engine answers within 5 s and negotiate the API version. */
int docker_ping(struct docker *d);
/* docker_api_version: the negotiated API version ("1.41"), or NULL before a successful request. */
const char *docker_api_version(const struct docker *d);
/* docker_engine_api_version: the newest API version the engine itself speaks (its API-Version header: "1.41" is
 * Docker 20.10, "1.42" 23.0), or NULL before an answer. */
const char *docker_engine_api_version(const struct docker *d);
/* docker_unreachable: 1 when the last request did not reach the engine (reported), 0 once one got an answer. */
int docker_unreachable(const struct docker *d);
/* docker_version: GET /version (engine Version, ApiVersion, Os, Arch...). */
int docker_version(struct docker *d, struct json **out);
/* docker_get: GET an API path such as "/info" (the version prefix is added) and parse the answer; 404 is an error. */
int docker_get(struct docker *d, const char *path, struct json **out);

/* docker_image_inspect: GET /images/{ref}/json; DOCKER_NOT_FOUND when there is no such image. */
int docker_image_inspect(struct docker *d, const char *ref, struct json **out);
/* docker_image_inspect_members: docker_image_inspect when only the top-level members named in want (NULL-terminated)
 * are needed: the rest of the answer is checked but not built (a no-op reads an image's "Id" and "Config" only). */
int docker_image_inspect_members(struct docker *d, const char *ref, const char *const *want, struct json **out);
/* docker_image_prefetch: ask now, through the engine helper, what docker_image_inspect(ref) will want, so that
 * the engine works while the caller does; without a helper (or before the first answer), nothing. */
void docker_image_prefetch(struct docker *d, const char *ref);
/* docker_image_list: GET /images/json with filters (NULL for all); *out is an array of image summaries. */
int docker_image_list(struct docker *d, const char *const *filters, struct json **out);
/* docker_image_tag: give image (name or ID) the reference target ("repo[:tag]", tag defaults to latest);
 * DOCKER_NOT_FOUND when there is no such image. */
int docker_image_tag(struct docker *d, const char *image, const char *target);
/* docker_image_remove: untag ref, deleting the image with its last tag (DOCKER_FORCE, DOCKER_NOPRUNE);
 * DOCKER_NOT_FOUND when there is no such image or tag. */
int docker_image_remove(struct docker *d, const char *ref, unsigned flags);

/* docker_container_create: create a container; its ID goes to *id (the caller frees it), when id is not NULL. */
int docker_container_create(struct docker *d, const struct docker_container_spec *spec, char **id);
/* docker_container_list: GET /containers/json?all=1 with filters (NULL for all); *out is an array of container
 * summaries (Id, Names, Image, ImageID, State, Labels...), much smaller than an inspect. The name filter is an
 * unanchored regular expression on "/name": "name=^/ws$" selects exactly the container ws. */
int docker_container_list(struct docker *d, const char *const *filters, struct json **out);
/* docker_container_inspect: GET /containers/{id}/json; DOCKER_NOT_FOUND when there is no such container. */
int docker_container_inspect(struct docker *d, const char *id, struct json **out);
/* docker_container_start: start a container (already running is fine); DOCKER_NOT_FOUND if it does not exist. */
int docker_container_start(struct docker *d, const char *id);
/* docker_container_stop: SIGTERM, then SIGKILL after timeout_s seconds (already stopped is fine); DOCKER_NOT_FOUND. */
int docker_container_stop(struct docker *d, const char *id, int timeout_s);
/* docker_container_remove: remove a container (DOCKER_FORCE, DOCKER_VOLUMES); DOCKER_NOT_FOUND. */
int docker_container_remove(struct docker *d, const char *id, unsigned flags);
/* docker_container_rename: give a container another name (fails when a container has that name); DOCKER_NOT_FOUND. */
int docker_container_rename(struct docker *d, const char *id, const char *name);

/* docker_container_put_archive: PUT the tar into container id, its entries' paths relative to the directory dir
 * (which must exist there; "/" for absolute places); modes, kinds and link targets are kept, owners are the tar's.
 * DOCKER_NOT_FOUND when there is no such container or directory. */
int docker_container_put_archive(struct docker *d, const char *id, const char *dir, const struct buf *tar);
/* docker_container_path_exists: 0 when path exists in container id (running or not; a HEAD of its archive, which
 * copies nothing), DOCKER_NOT_FOUND when it or the container does not. */
int docker_container_path_exists(struct docker *d, const char *id, const char *path);
/* docker_exec: run argv (no shell) in the running container id as user (NULL: the container's), wait for it and
 * append its output (stdout and stderr as they came) to out (NULL: dropped); its exit status goes to *status.
 * DOCKER_NOT_FOUND when there is no such container; -1 (said) when the engine cannot run it (not running, say). */
int docker_exec(struct docker *d, const char *id, const char *const *argv, const char *user, struct buf *out,
                int *status);

/* docker_volume_create: create (or find, when it exists) a local volume with "key=value" labels; *out, when not
 * NULL, gets the volume. */
int docker_volume_create(struct docker *d, const char *name, const char *const *labels, struct json **out);
/* docker_volume_inspect: GET /volumes/{name}; DOCKER_NOT_FOUND when there is no such volume. */
int docker_volume_inspect(struct docker *d, const char *name, struct json **out);
/* docker_volume_remove: remove a volume (DOCKER_FORCE); DOCKER_NOT_FOUND when there is no such volume. */
int docker_volume_remove(struct docker *d, const char *name, unsigned flags);

/* docker_build_cache: the BuildKit cache records, in the engine's order. */
int docker_build_cache(struct docker *d, struct docker_cache *out);
/* docker_cache_release: free the records (the struct itself is the caller's). */
void docker_cache_release(struct docker_cache *c);
/* docker_build_prune: POST /build/prune with filters (until=24h, id=, type=, description=, inuse, shared, private;
 * the engine takes one value per key) and DOCKER_PRUNE_ALL; bytes freed and records deleted go to the non-NULL
 * outputs. */
int docker_build_prune(struct docker *d, const char *const *filters, unsigned flags, int64_t *reclaimed,
                       size_t *deleted);
/* docker_build_prune_id: remove exactly the record id (the engine's id filter is an unanchored regexp). */
int docker_build_prune_id(struct docker *d, const char *id, int64_t *reclaimed);
/* docker_build_prune_ids: remove exactly the n records ids, DOCKER_PRUNE_IDS to a request (each request scans every
 * record of the engine, so one per id costs minutes when there are thousands); bytes freed and records deleted
 * (fewer when some were gone or in use) go to the non-NULL outputs. An empty id is an error. */
int docker_build_prune_ids(struct docker *d, const char *const *ids, size_t n, int64_t *reclaimed, size_t *deleted);
#define DOCKER_PRUNE_IDS 200
/* docker_system_df: disk use of images, containers, volumes and the build cache. */
int docker_system_df(struct docker *d, struct docker_df *out);

/* docker_parse_time: an RFC 3339 time from the engine ("2026-11-27T12:35:49.16Z", "...+02:00") as unix seconds;
 * 0 for Go's zero time and anything before 1970, -1 when malformed. */
int64_t docker_parse_time(const char *s);

#endif
