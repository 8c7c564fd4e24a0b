/* imagecache: where an image task gets its image from when not from a build, and where it leaves it: a registry
 * holding "<task>-<key>" tags (docs/ci.md) and a directory of "<task>-<key>.tar" files; and the identity of the
 * external images a Dockerfile starts FROM. Internal to the image task (image.c); the structs are shared with it. */
#ifndef SB_IMAGECACHE_H
#define SB_IMAGECACHE_H

#include "graph.h"
#include "hash.h"
#include "image.h"

struct keyenv;

struct images {
	struct graph *g;
	char *cli;
	struct docker *d;
	int failed;          /* the engine did not answer: say it once */
	struct docker *(*shared)(void *arg); /* a client owned by the caller, asked for on first use */
	void *arg;
};

/* Where a run gets the image from. */
enum source { SRC_BUILD, SRC_PULL, SRC_LOAD, SRC_PUSH };

struct image {
	struct image_spec spec;
	struct images *im;
	char hex[HASH_HEX_LEN + 1];
	enum source source;
	char *remote_ref;    /* "<remote_cache>:<task>-<key>" for this run's key */
	char *pull_ref;      /* "<remote_cache>@<digest>": the manifest checked before the pull */
	int remote_down;     /* the remote cache could not be reached in this run: no push either */
	char *tar;           /* "<cache_dir>/<task>-<key>.tar" */
	char *remote;        /* an unpinned remote source: "Dockerfile line N: ADD 'url'" */
	struct strv absent;  /* external base images not in the engine (or older there): the build pulls them */
	struct ctxseal *seal; /* the context the key covers, which the build reads (sealed) */
	struct strv secret_args; /* the secrets whose digests the build passes to the steps that mount them */
	struct hash128 result;   /* what the first tag's image keeps beyond its key label (image.c: result_of) */
	int has_result;          /* result is that of the image the last check found (a run clears it) */
};

/* imagecache_tag: the remote cache's tag for task and key hex: "<task>-<hex>", with every character a tag cannot
 * hold in the task's name replaced by '_' (malloc'd). */
char *imagecache_tag(const char *task, const char *hex);
/* imagecache_remote_has: whether the remote cache has t's key tag: 1 yes, 0 no, -1 error (printed), -2 unusable
 * but not fatal (a warning was printed: the caller builds locally). */
int imagecache_remote_has(struct task *t);
/* imagecache_pullable: whether the key tag in the remote cache may be pulled instead of a build: its config
 * (read from the registry, not pulled) carries the key its tag names, and its input manifest lists today's parts.
 * 1 with img->pull_ref set; 0 when it is not there, or is not usable (a warning says why): build; -1 error. */
int imagecache_pullable(struct task *t);
/* imagecache_push: after a build, push the key tag and its input manifest, when the registry can be reached; an
 * unreachable registry is a warning (an error with strict_cache). Leaves no registry-prefixed tag behind. */
int imagecache_push(struct task *t);
/* imagecache_save_tar: docker save the image into cache_dir, through a temporary file. */
int imagecache_save_tar(struct task *t);
/* imagecache_explain: -t explain --remote: what differs between t's key parts and those of the newest input
 * manifest its remote cache has for the task, appended to out in lines. 0, -1 after an error. */
int imagecache_explain(struct task *t, const struct keyenv *ke, struct buf *out);

/* imagebase_identity: the key part's value for an external base image ref: the digest of its registry manifest
 * when it came from a registry (its RepoDigest for ref's repository; when it is not in the engine, the registry's
 * answer to a HEAD, unless ke->offline), else, for an image made only here, its image ID. *absent is set when the
 * engine lacks it (the build pulls it first). 0, -1 after an error. */
int imagebase_identity(struct images *im, const char *ref, const struct keyenv *ke, struct buf *value, int *absent);

#endif
