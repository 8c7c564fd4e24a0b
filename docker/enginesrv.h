/* enginesrv: the engine helper, a resident process that keeps libcurl loaded for the runs that talk to a local
 * Docker engine.
 *
 * Loading Debian's libcurl costs a run 5 to 8 ms (it pulls in OpenSSL, Kerberos, LDAP and ~25 more libraries,
 * all bound at load time), more than the rest of a no-op. A run that reaches a unix-socket engine over its own
 * libcurl therefore starts one helper per engine socket and sindri-build binary; later runs send their Engine API
 * requests to it over a unix socket and never load libcurl. The helper only forwards: each request goes to the
 * engine as it came, and the answer (or why there was none) comes back whole, so a run through the helper sees
 * exactly what it would have seen directly.
 *
 * Where it lives: $XDG_RUNTIME_DIR/sindri-build/ (else ${TMPDIR:-/tmp}/sindri-build-UID/), a directory of mode
 * 0700 that must belong to the user; a socket engine-HASH.sock, HASH over the binary's identity and the engine
 * socket, and beside it engine-HASH.lock, held by the running helper and holding its pid.
 *
 * When it ends: after SINDRI_BUILD_SERVER_IDLE seconds (default 900) with no run connected, or within a second when its
 * socket file is removed or replaced or its binary changes on disk, or on SIGTERM (`-t server stop`).
 * SINDRI_BUILD_SERVER=0 turns it off: no helper is used or started.
 *
 * How it serves: a thread per run, each with an engine connection from a pool of kept-alive ones, so runs never
 * wait for each other and a long request (a large image removal) holds up no one else. */
#ifndef SB_ENGINESRV_H
#define SB_ENGINESRV_H

#include "dockerapi.h"

enum {
	ENGINESRV_LOST_BEFORE = -1, /* the helper went away before it had the whole request: nothing was done */
	ENGINESRV_LOST_AFTER = -2,  /* it went away after: the engine may have carried the request out */
};

/* enginesrv_allow_start: whether runs of this process may start a helper (default no; read-only commands and the
 * library users never do). */
void enginesrv_allow_start(int allow);

/* enginesrv_connect: a connection to the helper for the engine at this socket path, or -1 when none answers. */
int enginesrv_connect(const char *engine_socket);

/* enginesrv_send: send one request to the helper on fd, as docker_exchange would make it; 0 or
 * ENGINESRV_LOST_BEFORE. Answers come back in the order the requests were sent, so a run may send several before
 * reading (it does, to overlap the engine's work with its own). */
int enginesrv_send(int fd, const char *method, const char *path, const struct buf *body, long timeout_s);

/* enginesrv_recv: the answer to the oldest request sent and not yet answered: 0 with *r filled (r->rc says
 * whether the engine answered), or ENGINESRV_LOST_AFTER. timeout_s is that request's. */
int enginesrv_recv(int fd, long timeout_s, struct docker_reply *r);

/* enginesrv_start: start a helper for the engine socket in the background when allowed (force: even when not)
 * and none runs; returns at once. 0 when one was started or runs, -1 when none can be (reported only if force). */
int enginesrv_start(const char *engine_socket, int force);

/* enginesrv_status: print whether a helper runs for the engine socket (its pid and socket); with stop, end it and
 * wait for it to go. 0, or -1 (reported) when it cannot be stopped. */
int enginesrv_status(const char *engine_socket, int stop);

/* enginesrv_main: the helper itself (`sindri-build --engine-helper SOCKET ENGINE_SOCKET`, run by
 * enginesrv_start); it detaches and returns at once, 0 or 1. */
int enginesrv_main(const char *path, const char *engine_socket);

#endif
