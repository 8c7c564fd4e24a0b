/* imageinputs: an image's input manifest: the named parts of its key (each context entry with its content hash,
 * the build args, the base images' identities, the Dockerfile's lines, ...) as a JSON document that travels with
 * the image to a registry, as an OCI artifact whose subject is the image. Any machine can then say what differs
 * between the inputs an image in the registry was built from and its own.
 *
 * Nothing secret enters it: a secret's part, and an env:, var: or build-arg: part whose name looks secret, is listed
 * by name only, without its digest (keypart_secret), and values are those explain shows, which never hold a secret.
 *
 *   {"schema": "sindri-build inputs 1", "task": "base", "key": "<32 hex>", "created": "2026-01-02T03:04:05Z",
 *    "parts": [{"name": "ctx:Cargo.lock", "hash": "<32 hex>", "value": "..."}, {"name": "secret:NPM_TOKEN"}, ...]} */
#ifndef SB_IMAGEINPUTS_H
#define SB_IMAGEINPUTS_H

#include <stddef.h>

struct buf;
struct keyparts;
struct strv;
struct task;

#define INPUTS_SCHEMA "sindri-build inputs 1"
/* The artifact type of the manifest that carries it, and the media type of its one layer. */
#define INPUTS_ARTIFACT_TYPE "application/vnd.sindri-build.inputs.v1+json"

/* inputs_encode: append the input manifest of task with key hex and parts kp, made at unix time created, to out. */
void inputs_encode(const char *task, const char *hex, const struct keyparts *kp, long long created, struct buf *out);
/* inputs_decode: the parts of an input manifest (a part published without its digest gets the zero digest), with
 * its task, key and creation time (each malloc'd; NULL pointers are not set); NULL when it is not one, with why
 * appended to err. */
struct keyparts *inputs_decode(const char *data, size_t n, char **task, char **key, char **created, struct buf *err);
/* inputs_diff: one line per difference from published to today's parts (at most max, then a count), as explain says
 * them; a part withheld from the manifest (keypart_secret) is compared by its name only. The number of differences. */
size_t inputs_diff(const struct keyparts *published, const struct keyparts *today, struct buf *out, size_t max);

/* image_paths: the image task's ops->paths: its Dockerfile, the .dockerignore docker build reads, the context
 * directory and, once the key is computed, each context file COPY and ADD read (its ctx: parts) with the
 * directories from it up to the context. */
void image_paths(const struct task *t, struct strv *files, struct strv *dirs);

#endif
