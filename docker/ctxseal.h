/*
 * ctxseal: an image's build context, sealed. The entries its key covers (dockerctx_entries) are keyed with what COPY
 * keeps of them, and the context a build reads is written by sindri-build from exactly the bytes it hashes, each
 * checked against its key part as it is written: a tar for `docker build -` (the Dockerfile in it under a name no
 * COPY reads), or, when a COPY would see every name, a directory with the Dockerfile beside it. The builder's own
 * context transfer, which reuses a file whose size and mtime it has seen before, never reads the project's files.
 */
#ifndef SB_CTXSEAL_H
#define SB_CTXSEAL_H

#include <stddef.h>

struct buf;
struct ctxlist;
struct dockerfile;
struct keyenv;
struct keyparts;

struct ctxseal;

/* ctxseal_new: an empty seal, owned by the caller; ctxseal_free frees it (NULL is fine), and removes the sealed
 * directory ctxseal_open made if it is still there. */
struct ctxseal *ctxseal_new(void);
void ctxseal_free(struct ctxseal *cs);
/* ctxseal_legacy: the build will use the legacy builder (DOCKER_BUILDKIT=0), which reads a tar's .dockerignore for
 * what to take out of a context; set before ctxseal_key. */
void ctxseal_legacy(struct ctxseal *cs, int legacy);
/* ctxseal_no_cache: the legacy builder's layer cache cannot be trusted with the context ctxseal_key keyed (a
 * symlink in it names nothing that is sent, which that cache keys by the link's path alone): build with --no-cache. */
int ctxseal_no_cache(const struct ctxseal *cs);

/* ctxseal_sent_dockerfile: the build gets these len bytes as its Dockerfile instead of the ones ctxseal_key keys
 * (secret args added, secretargs.h), under a name no COPY reads, never as the context's own entry; text NULL: the
 * keyed ones again. Call it before ctxseal_key, which places the Dockerfile. */
void ctxseal_sent_dockerfile(struct ctxseal *cs, const char *text, size_t len);

/*
 * ctxseal_key: key the entries of l (which this empties: cs takes them) of the context directory ctx (relative to
 * ke->rootfd): one "ctx:PATH" part each in kp, the hash of its kind (file, directory, symlink), its permission bits
 * when they reach the image (keymode), a file's content hash (through the stat cache) and a symlink's target text;
 * the parts' values say the same for explain ("file 0644", "link -> target"). cs also keeps the Dockerfile (its
 * path dockerfile relative to rootfd, the len bytes of text that were parsed as df and keyed), to give the build
 * those very bytes. -1 after printing an error naming the image task.
 */
int ctxseal_key(struct ctxseal *cs, struct ctxlist *l, const char *ctx, const struct dockerfile *df,
                const char *dockerfile, const char *text, size_t len, struct keyparts *kp, const struct keyenv *ke,
                const char *task);

/*
 * ctxseal_open: the sealed context for a build. Usually a tar, which a thread writes into a pipe while the build
 * reads it: *fd is the pipe's read end, for the build's stdin (the caller closes it once the build started),
 * *context is "-"; an entry that changed after it was hashed then fails the build, which never gets a context cut
 * short (the thread says which entry; run again). Or, when COPY would see any name the tar could give the Dockerfile,
 * a directory written now in ke->tmpdir (else TMPDIR): *fd -1, *context its path. *dockerfile is what docker
 * build's -f takes. The strings stay valid until the next ctxseal call. 0; 1 when an entry of the directory is no
 * longer what was keyed ("'PATH' changed after it was hashed" in why: hash again, then open again); -1 after
 * printing an error.
 */
int ctxseal_open(struct ctxseal *cs, const struct keyenv *ke, const char *task, int *fd, const char **dockerfile,
                 const char **context, struct buf *why);
/* ctxseal_close: once the build ended, wait for the tar's writer and remove the directory ctxseal_open wrote. 0
 * when the build was sent the whole context (or nothing was open), -1 when not (the writer said why). */
int ctxseal_close(struct ctxseal *cs);

#endif
