/* image: the Docker image task type. Its key covers the Dockerfile, the build args it uses, the target and platform,
 * exactly the context files its COPY/ADD read after .dockerignore, and its base images; the image carries the key
 * as the label org.sindri-build.key, so the Docker engine is the record of what is current. */
#ifndef SB_IMAGE_H
#define SB_IMAGE_H

#include "graph.h"

#define IMAGE_KEY_LABEL "org.sindri-build.key"
#define IMAGE_TASK_LABEL "org.sindri-build.task"

struct docker;

/* What an image task builds. Paths are relative to the project root. Owned by the task once given to image_task. */
struct image_spec {
	char *dockerfile;       /* default "<context>/Dockerfile" */
	char *context;          /* default "." */
	struct strv tags;       /* the first is the one checked for the key; at least one */
	struct strv build_args; /* "NAME=value" */
	char *target, *platform;
	int no_cache;           /* always build, with --no-cache; the key is still recorded */
	char *remote_cache;     /* a registry repository holding "<task>-<key>" tags: pulled instead of built */
	int push;               /* push the key tag to remote_cache after a build */
	char *push_note;        /* why this run does not push though it could (a pull request), said after a build */
	int strict_cache;       /* an unusable remote cache is an error, not a warning */
	char *cache_dir;        /* a directory of "<task>-<key>.tar" files: docker load instead of a build */
};

/* The shared part of all image tasks of one run: the engine client. */
struct images;

/* images_new: a context for the image tasks of graph g; docker_cli is the docker command to build with (NULL: the
 * DOCKER environment variable, else /usr/bin/docker when it exists, else "docker"); shared(arg), called on first
 * use, gives an engine client to share (the caller's to close, after images_free); NULL: one of its own. Nothing is
 * opened or contacted yet. */
struct images *images_new(struct graph *g, const char *docker_cli, struct docker *(*shared)(void *arg), void *arg);
/* images_free: close the engine connection (NULL is fine). Free it after the graph's tasks are done with it. */
void images_free(struct images *im);
/* images_docker: the engine client, connected (and the engine pinged) on first use; NULL after an error. */
struct docker *images_docker(struct images *im);

/* image_task: make t an image task: it takes spec (its strings and lists) and frees it with the task. */
void image_task(struct task *t, struct image_spec *spec, struct images *im);
/* image_spec_release: free what a spec owns (for a spec never given to a task). */
void image_spec_release(struct image_spec *spec);
/* image_task_spec: the spec of an image task, or NULL for any other task. */
const struct image_spec *image_task_spec(const struct task *t);
/* image_current: 1 when the engine has an image for t's first tag carrying t's key (computed), 0 when not (the
 * reason in why), -1 on error. Never changes anything. */
int image_current(struct task *t, struct buf *why);

/* image_push_default: whether an image task pushes to its remote cache when neither the recipe nor PUSH says: only a
 * trusted build, CI=true on the repository's default branch: on GitHub Actions a push (or a schedule or manual
 * run) whose GITHUB_REF is the default branch named in the event ($GITHUB_EVENT_PATH), on GitLab CI a pipeline
 * whose CI_COMMIT_BRANCH is CI_DEFAULT_BRANCH. 1 yes; 0 no, with the reason appended to why when it is a CI build
 * (a pull request reads the cache but never writes it). */
int image_push_default(struct buf *why);

#endif
