/* proc: spawning task commands with posix_spawn, and the signal plumbing (a self-pipe for SIGINT/SIGTERM). */
#ifndef SB_PROC_H
#define SB_PROC_H

#include <sys/types.h>

#include "util.h"

struct job {
	pid_t pid;
	int fd;          /* read end of the child's stdout+stderr pipe; -1 when the child owns the terminal */
	struct buf out;  /* what the child printed so far */
	int console;
};

/* What a child started by proc_start gets. */
enum {
	PROC_INHERIT = -1, /* the descriptor stays ours (as inherited) */
	PROC_NULL = -2,    /* /dev/null */
};
struct spawnopts {
	const char *file; /* the program; NULL: argv[0] */
	int fd[3];        /* its stdin, stdout and stderr: a descriptor of ours, PROC_INHERIT or PROC_NULL */
	const char *cwd;  /* where it runs; NULL: here */
	int pgroup;       /* it leads a process group of its own */
	int closefrom;    /* every descriptor from 3 up is closed in it, not only the close-on-exec ones */
};

/* proc_start: the one way sindri-build starts a process. argv (PATH lookup when the program has no '/') starts with no
 * signal blocked and SIGINT, SIGTERM, SIGHUP, SIGPIPE and SIGCHLD at their defaults, whatever this process does with
 * them (it ignores SIGPIPE). 0 with *pid set, or an errno value (nothing printed). */
int proc_start(pid_t *pid, char *const *argv, const struct spawnopts *o);
/* proc_spawn: start argv (PATH lookup when argv[0] has no '/') in j. console: stdin/stdout/stderr inherited and
 * the child stays in our process group (it gets the terminal's ^C); otherwise stdin is /dev/null, output goes to a
 * pipe and the child leads its own process group. infd >= 0: the child's stdin instead (the caller still owns it).
 * -1 after printing an error. */
int proc_spawn(struct job *j, char *const *argv, int console, int infd);
/* proc_read: read what is available on j->fd into j->out; returns 0 at EOF (fd closed), 1 when more may come. */
int proc_read(struct job *j);
/* proc_wait: wait for j's child; returns its exit status (128+signal when killed). Drains and closes the pipe. */
int proc_wait(struct job *j);
/* proc_reap: if j's child has exited, store its exit status in *status and return 1; else 0. */
int proc_reap(struct job *j, int *status);
/* proc_kill: send sig to the job's process group (or to the child alone for console jobs). */
void proc_kill(struct job *j, int sig);
/* proc_release: free j->out. */
void proc_release(struct job *j);
/* proc_run: run argv to completion with inherited stdio (for in-process task code), in directory cwd (NULL: ours);
 * returns its exit status, or -1 when it could not be started. If out is not NULL, stdout is captured into it. */
int proc_run(char *const *argv, const char *cwd, struct buf *out);

/* signals_install: catch SIGINT, SIGTERM and SIGHUP: each writes its number to a self-pipe; so does SIGCHLD (a
 * zero, and nothing caught), so that a poll on the pipe wakes when a job ends; SIGPIPE is ignored. */
void signals_install(void);
/* signals_fd: the read end of the self-pipe, for poll(). */
int signals_fd(void);
/* signals_drain: empty the self-pipe once poll said it is readable (signals_caught keeps what was caught). */
void signals_drain(void);
/* signals_caught: the first signal caught so far (0: none). */
int signals_caught(void);
/* signals_flag: a flag set as soon as a signal is caught, for loops that must stop early. */
volatile int *signals_flag(void);

#endif
