/* resident: a process of the user's that outlives runs (the engine helper, docker/enginesrv.h; the file watcher,
 * watch/watcher.h): where it lives, how a run starts, finds, shows and stops it, and when it ends.
 *
 * Where it lives: $XDG_RUNTIME_DIR/sindri-build/ when XDG_RUNTIME_DIR is set, else ${TMPDIR:-/tmp}/sindri-build-UID/,
 * a directory of mode 0700 that must be the user's own (one others can write to could hand a run their socket); in
 * it NAME-HASH.sock, its socket, and NAME-HASH.lock, held (flock) by the running process and holding its pid. HASH
 * is over the binary's path, device, inode, size and modification time, and what else tells two of a kind apart
 * (the engine socket a helper serves): a run only talks to a process that is the very same file as itself, so both
 * sides agree on the protocol, and a rebuilt or reinstalled sindri-build gets processes of its own.
 *
 * How it starts: `sindri-build FLAG SOCKET [ARG]` (resident_spawn), with no file descriptor of the run's, which forks
 * and detaches at once (resident_detach) so the run waits only for that; the detached process takes the lock (a
 * second one started at the same moment leaves) and listens (resident_claim).
 * When it ends: on SIGTERM (`-t server stop`), SIGINT or SIGHUP; after SINDRI_BUILD_SERVER_IDLE seconds (default 900)
 * with no run connected; within a second when its socket file is removed or replaced or its binary changes on disk.
 * It removes its socket first, so new runs go without it, then its lock file. */
#ifndef SB_RESIDENT_H
#define SB_RESIDENT_H

#include <limits.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>

/* The binary on disk: a resident process serves runs of exactly this file and ends when it changes. */
struct exe {
	char path[PATH_MAX];
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

/* A resident process, as resident_claim set it up. */
struct resident {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];         /* its socket */
	char lockpath[sizeof(((struct sockaddr_un *)0)->sun_path) + 8]; /* its lock file */
	struct stat sock;                                                /* the socket file it made */
	struct exe exe;
	long idle_s;
	int lock, listen;
};

/* resident_path: the socket (suffix "sock") or lock file ("lock") of the process NAME for this binary and extra
 * ("" for none) into out (n bytes); its directory is made when create. -1 when there is no private place for it or
 * the path is too long for a socket. */
int resident_path(const char *name, const char *extra, int create, const char *suffix, char *out, size_t n);
/* resident_holder: the pid of the process holding the lock file lockpath, or 0 when none runs. */
pid_t resident_holder(const char *lockpath);
/* resident_connect: a connection to the socket at path, or -1 when nothing listens there. */
int resident_connect(const char *path);
/* resident_spawn: run `this-binary flag sock [arg]` (arg NULL: none) with no descriptor of ours and default signal
 * state, and wait for it to detach. 0, or an errno value. */
int resident_spawn(const char *flag, const char *sock, const char *arg);
/* resident_show: print "LABEL: running, pid N, socket S" or "LABEL: not running" (with note appended); with stop,
 * end the process and wait for it to go. 0, or -1 after printing why it cannot be stopped. */
int resident_show(const char *label, const char *sock, const char *lockpath, int stop, const char *note);

/* resident_detach: the first step of a resident process's main: fork; the parent gets the child's pid (or -1) and
 * returns at once, the child 0, in a session of its own, in /, with umask 077. */
pid_t resident_detach(void);
/* resident_claim: in the detached process: take the lock beside sock (_exit(0) when another holds it), write the
 * pid, catch the stop signals, ignore SIGPIPE, and listen on sock. 0, or -1 when it cannot. */
int resident_claim(struct resident *rs, const char *sock);
/* resident_over: whether it should end now: stopped by a signal; idle (active runs 0 since last, a mono_ns) past its
 * time; its socket removed or replaced; its binary changed. */
int resident_over(const struct resident *rs, int active, int64_t last);
/* resident_stopping: a stop signal came. */
int resident_stopping(void);
/* resident_unlisten: stop listening and remove its socket while it is still its own (new runs go without it). */
void resident_unlisten(struct resident *rs);
/* resident_exit: remove the lock file (while still holding it: one starting now either fails to lock it or finds it
 * gone) and _exit(0). */
void resident_exit(struct resident *rs) __attribute__((noreturn));

#endif
