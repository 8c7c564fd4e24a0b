/*
 * secretargs: BuildKit keys a RUN step's cache by its command, its mounts' definitions and its environment, never by
 * the value of a secret it mounts; so after a secret changed, `docker build` would take the step from its cache,
 * made with the old value. The Dockerfile a build gets therefore declares "ARG SINDRI_BUILD_SECRET_<NAME>" just
 * before the first step of each stage that mounts secret NAME of the task, and the build passes that arg the
 * secret's keyed digest (the HMAC of its key part, never the value): those steps, and the ones after them in the
 * stage, run again when the value changes, whichever build made the cache, and are reused when it comes back.
 */
#ifndef SB_SECRETARGS_H
#define SB_SECRETARGS_H

#include <stddef.h>

struct buf;
struct dockerfile;
struct keyparts;
struct strv;

#define SECRET_ARG_PREFIX "SINDRI_BUILD_SECRET_"

/* secretargs_dockerfile: the len bytes of text (parsed as df) with those ARG lines, appended to out, and the names
 * they declare (each of secrets some needed step mounts, once, sorted) pushed to names. Returns how many lines it
 * added; 0 when no needed step mounts one of secrets (out and names untouched). */
size_t secretargs_dockerfile(const struct dockerfile *df, const char *text, size_t len, const struct strv *secrets,
                             struct buf *out, struct strv *names);
/* secretargs_key: add the key part "secret-args" naming names (the build differs from a build without them). */
void secretargs_key(struct keyparts *kp, const struct strv *names);
/* secretargs_argv: push "--build-arg" "SINDRI_BUILD_SECRET_<NAME>=<hex>" to argv for each of names, hex the hash
 * of the key part "secret:<NAME>" of kp (absent: nothing pushed for that name). */
void secretargs_argv(const struct keyparts *kp, const struct strv *names, struct strv *argv);

#endif
