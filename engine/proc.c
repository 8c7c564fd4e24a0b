/* proc: child processes and signals. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"

extern char **environ;

static int sigpipe_fds[2] = {-1, -1};
static volatile sig_atomic_t caught;
static volatile int stop_flag;

static void on_signal(int sig)
{
	int saved = errno;
	unsigned char c = (unsigned char)sig;

	if (!caught)
		caught = sig;
	stop_flag = 1;
	if (write(sigpipe_fds[1], &c, 1) < 0) {
		/* the pipe is full: a signal is already pending there */
	}
	errno = saved;
}

/* on_child: a child ended: wake whoever polls signals_fd to reap it (without this, a console job, which has no
 * output to poll, was noticed only by a 20 ms timeout). */
static void on_child(int sig)
{
	int saved = errno;
	unsigned char c = 0;

	(void)sig;
	if (write(sigpipe_fds[1], &c, 1) < 0) {
		/* the pipe is full: a wake-up is already pending there */
	}
	errno = saved;
}

void signals_drain(void)
{
	unsigned char b[64];

	while (read(sigpipe_fds[0], b, sizeof(b)) > 0)
		;
}

void signals_install(void)
{
	struct sigaction sa;

	if (sigpipe_fds[0] >= 0)
		return;
	if (pipe2(sigpipe_fds, O_CLOEXEC | O_NONBLOCK) < 0)
		fatal("pipe:");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_child;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	sa.sa_flags = 0;
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

int signals_fd(void)
{
	return sigpipe_fds[0];
}

int signals_caught(void)
{
	return caught;
}

volatile int *signals_flag(void)
{
	return &stop_flag;
}

int proc_start(pid_t *pid, char *const *argv, const struct spawnopts *o)
{
	static const int nullmode[3] = {O_RDONLY, O_WRONLY, O_WRONLY};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, defaults;
	short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
	int err;

	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigemptyset(&defaults);
	sigaddset(&defaults, SIGINT);
	sigaddset(&defaults, SIGTERM);
	sigaddset(&defaults, SIGHUP);
	sigaddset(&defaults, SIGPIPE);
	sigaddset(&defaults, SIGCHLD);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &defaults);
	if (o->pgroup) {
		flags |= POSIX_SPAWN_SETPGROUP;
		posix_spawnattr_setpgroup(&attr, 0);
	}
	posix_spawnattr_setflags(&attr, flags);
	posix_spawn_file_actions_init(&fa);
	for (int i = 0; i < 3; i++) {
		if (o->fd[i] == PROC_NULL)
			posix_spawn_file_actions_addopen(&fa, i, "/dev/null", nullmode[i], 0);
		else if (o->fd[i] >= 0)
			posix_spawn_file_actions_adddup2(&fa, o->fd[i], i);
	}
	if (o->cwd)
		posix_spawn_file_actions_addchdir_np(&fa, o->cwd);
	if (o->closefrom)
		posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	err = posix_spawnp(pid, o->file ? o->file : argv[0], &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return err;
}

static int spawn(pid_t *pid, char *const *argv, const char *cwd, int console, int infd, int outfd)
{
	struct spawnopts o = {NULL, {PROC_INHERIT, PROC_INHERIT, PROC_INHERIT}, cwd, !console, 0};
	int err;

	if (infd >= 0)
		o.fd[0] = infd;
	else if (!console)
		o.fd[0] = PROC_NULL;
	if (outfd >= 0) {
		o.fd[1] = outfd;
		if (!console)
			o.fd[2] = outfd;
	}
	err = proc_start(pid, argv, &o);
	if (err) {
		errno = err;
		if (cwd)
			return error("cannot run '%s' in '%s':", argv[0], cwd);
		return error("cannot run '%s':", argv[0]);
	}
	return 0;
}

int proc_spawn(struct job *j, char *const *argv, int console, int infd)
{
	int fds[2] = {-1, -1};

	memset(j, 0, sizeof(*j));
	j->fd = -1;
	j->console = console;
	if (!console && pipe2(fds, O_CLOEXEC) < 0)
		return error("pipe:");
	if (spawn(&j->pid, argv, NULL, console, infd, fds[1]) < 0) {
		if (fds[0] >= 0)
			close(fds[0]), close(fds[1]);
		return -1;
	}
	if (fds[1] >= 0)
		close(fds[1]);
	j->fd = fds[0];
	return 0;
}

int proc_read(struct job *j)
{
	ssize_t n;

	if (j->fd < 0)
		return 0;
	buf_grow(&j->out, 4096);
	n = read(j->fd, j->out.data + j->out.len, j->out.cap - j->out.len - 1);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (n <= 0) {
		close(j->fd);
		j->fd = -1;
		return 0;
	}
	j->out.len += (size_t)n;
	j->out.data[j->out.len] = '\0';
	return 1;
}

static int decode_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

int proc_wait(struct job *j)
{
	int status;

	while (proc_read(j))
		;
	while (waitpid(j->pid, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	return decode_status(status);
}

int proc_reap(struct job *j, int *status)
{
	int st;
	pid_t r = waitpid(j->pid, &st, WNOHANG);

	if (r == 0 || (r < 0 && errno == EINTR))
		return 0;
	while (proc_read(j))
		;
	*status = r < 0 ? 1 : decode_status(st);
	return 1;
}

void proc_kill(struct job *j, int sig)
{
	if (j->pid > 0)
		kill(j->console ? j->pid : -j->pid, sig);
}

void proc_release(struct job *j)
{
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
	buf_release(&j->out);
}

int proc_run(char *const *argv, const char *cwd, struct buf *out)
{
	struct job j;
	int fds[2] = {-1, -1}, status;

	memset(&j, 0, sizeof(j));
	j.fd = -1;
	j.console = 1;
	if (out && pipe2(fds, O_CLOEXEC) < 0)
		return error("pipe:");
	if (spawn(&j.pid, argv, cwd, 1, -1, fds[1]) < 0) {
		if (fds[0] >= 0)
			close(fds[0]), close(fds[1]);
		return -1;
	}
	if (out) {
		close(fds[1]);
		j.fd = fds[0];
	}
	status = proc_wait(&j);
	if (out)
		buf_add(out, j.out.data ? j.out.data : "", j.out.len);
	proc_release(&j);
	return status;
}
