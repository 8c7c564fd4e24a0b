/* watcher: the file watcher, which implements the engine's seam for watching (engine/watched.h) for every project:
 * a resident process per user and sindri-build binary that watches, with inotify, what runs walked, and answers
 * "what changed under this root since token T" over a unix socket. See docs/design.md "The watched tree".
 *
 * Files: watcher.h (this), client.c (a run's side: struct watcher over the socket; starting, showing and stopping
 * the process), watchd.c (the process: its socket, its lifetime, the protocol), inotree.c (the trees it watches and
 * what changed in them), place.c (where it lives, and the binary's identity).
 *
 * Where it lives: $XDG_RUNTIME_DIR/sindri-build/ when XDG_RUNTIME_DIR is set, else ${TMPDIR:-/tmp}/sindri-build-UID/,
 * a directory of mode 0700 that must be the user's own (one others can write to could hand a run their socket); in
 * it watch-HASH.sock, its socket, and watch-HASH.lock, held (flock) by the running watcher and holding its pid. HASH
 * is over the binary's path, device, inode, size and modification time: a run only talks to a watcher that is the
 * very same file as itself, and a rebuilt or reinstalled sindri-build gets a watcher of its own.
 *
 * The protocol, lines of text on a SOCK_STREAM connection (a run asks once, then watches at most once):
 *   since TOKEN DEV INO ROOT           what changed under ROOT (absolute; DEV and INO as the run sees it) since
 *                                      TOKEN ("-" for none)
 *   -> none TOKEN ROOM                 nothing; TOKEN to ask with next time, ROOM the paths it would watch for ROOT
 *   -> paths TOKEN ROOM N              N lines follow, each a path below ROOT that changed (and anything below it)
 *   -> all TOKEN ROOM                  anything may have (an unknown token or root, an overflow)
 *   watch TOKEN DEV INO LEN ROOT       LEN bytes follow: paths to watch under ROOT, one per line ("dir/" for a
 *                                      directory); TOKEN is the one given by the answer to since
 *   -> recorded                        every one was watched already and nothing changed since TOKEN
 *   -> walk                            not so (some were watched only now, or could not be, or something changed)
 *
 * When it starts and ends: a build whose walks made stat calls and found no watcher starts one in the background
 * (sindri-build --watcher SOCKET, its file descriptors closed, detached, in /, umask 077), for the runs after it;
 * read-only commands never start one. It ends after SINDRI_BUILD_SERVER_IDLE seconds (default 900) with no run
 * connected; within a second when its socket file is removed or replaced or its binary changes on disk; on
 * SIGTERM (`sindri-build -t server stop`), SIGINT or SIGHUP. It removes its socket first, so new runs walk in full.
 * SINDRI_BUILD_WATCH=0 (or SINDRI_BUILD_SERVER=0) turns watching off: no watcher is asked or started.
 */
#ifndef SB_WATCHER_H
#define SB_WATCHER_H

struct watcher;

/* watch_client: the engine's watcher as this subsystem makes it: a client of the watcher process, connected on its
 * first question; one that finds none running starts one when asked to watch. NULL when watching is off. */
struct watcher *watch_client(void);
/* watch_ensure: a watcher answers for this binary: one that runs, or one started now and waited for (at most 5 s).
 * 0, or -1 when none can be had. */
int watch_ensure(void);
/* watch_server: `-t server` status, start or stop: print whether a watcher runs for this binary (its pid and socket);
 * start one and wait until it answers; or end it and wait for it to go. 0, or -1 after printing why. */
int watch_server(const char *what);
/* watch_main: the watcher process itself (`sindri-build --watcher SOCKET`, as watch_client starts it); it detaches
 * and returns at once in the process that ran it: 0, or 1 when it cannot fork. */
int watch_main(const char *sock);

#endif
