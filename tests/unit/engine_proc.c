/* engine_proc: proc_start, the one way a child is started: its descriptors, directory, process group and signal
 * state, whatever the parent does with its own signals. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"
#include "util.h"
#include "t.h"

/* sh: run script under /bin/sh with o, its stdout captured; returns its exit status, the output in out. */
static int sh(const char *script, struct spawnopts *o, struct buf *out)
{
	char shbin[] = "/bin/sh", dashc[] = "-c";
	char *argv[] = {shbin, dashc, (char *)script, NULL};
	int fds[2], status = -1, err;
	pid_t pid;
	char chunk[256];
	ssize_t n;

	if (pipe2(fds, O_CLOEXEC) < 0)
		fatal("pipe:");
	if (o->fd[1] == PROC_INHERIT)
		o->fd[1] = fds[1];
	err = proc_start(&pid, argv, o);
	close(fds[1]);
	if (err) {
		close(fds[0]);
		return -err;
	}
	while ((n = read(fds[0], chunk, sizeof(chunk))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			buf_add(out, chunk, (size_t)n);
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static struct spawnopts inherit(void)
{
	struct spawnopts o = {NULL, {PROC_INHERIT, PROC_INHERIT, PROC_INHERIT}, NULL, 0, 0};
	return o;
}

/* The parent ignores SIGPIPE and blocks SIGUSR1 (as sindri-build's own handlers run): the child gets neither. */
static void test_signals(void)
{
	struct spawnopts o = inherit();
	struct buf out = BUF_INIT;
	sigset_t usr1, saved;
	void (*was)(int) = signal(SIGPIPE, SIG_IGN);

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &saved);
	CHECK_INT(sh("ign=$(sed -n 's/^SigIgn:[[:space:]]*//p' /proc/$$/status); "
	             "blk=$(sed -n 's/^SigBlk:[[:space:]]*//p' /proc/$$/status); "
	             "echo \"pipe $(( 0x$ign >> 12 & 1 )) blocked $blk\"", &o, &out), 0);
	CHECK_STR(out.data, "pipe 0 blocked 0000000000000000\n");
	sigprocmask(SIG_SETMASK, &saved, NULL);
	signal(SIGPIPE, was);
	buf_release(&out);
}

static void test_fds(void)
{
	struct spawnopts o = inherit();
	struct buf out = BUF_INIT;
	int keep = open("/dev/null", O_RDONLY); /* not close-on-exec: inherited unless closefrom */
	char script[128];

	CHECK(keep > 2);
	snprintf(script, sizeof(script), "[ -e /proc/self/fd/%d ] && echo open || echo closed", keep);
	CHECK_INT(sh(script, &o, &out), 0);
	CHECK_STR(out.data, "open\n");
	buf_reset(&out);
	o = inherit();
	o.closefrom = 1;
	CHECK_INT(sh(script, &o, &out), 0);
	CHECK_STR(out.data, "closed\n");
	close(keep);

	/* stdin from /dev/null; stderr onto stdout's pipe */
	buf_reset(&out);
	o = inherit();
	o.fd[0] = PROC_NULL;
	CHECK_INT(sh("cat; readlink /proc/self/fd/0", &o, &out), 0);
	CHECK_STR(out.data, "/dev/null\n");
	buf_reset(&out);
	o = inherit();
	int fds[2];
	CHECK(pipe2(fds, O_CLOEXEC) == 0);
	o.fd[2] = fds[1];
	CHECK_INT(sh("echo to-err >&2; echo to-out", &o, &out), 0);
	close(fds[1]);
	char got[64] = "";
	CHECK(read(fds[0], got, sizeof(got) - 1) > 0);
	close(fds[0]);
	CHECK_STR(got, "to-err\n");
	CHECK_STR(out.data, "to-out\n");
	buf_release(&out);
}

static void test_where(void)
{
	struct spawnopts o = inherit();
	struct buf out = BUF_INIT;
	char script[96];

	o.cwd = "/";
	CHECK_INT(sh("pwd", &o, &out), 0);
	CHECK_STR(out.data, "/\n");
	/* a group of its own: its process group is its pid */
	buf_reset(&out);
	o = inherit();
	o.pgroup = 1;
	CHECK_INT(sh("[ \"$(cut -d' ' -f5 /proc/$$/stat)\" = $$ ] && echo leader", &o, &out), 0);
	CHECK_STR(out.data, "leader\n");
	buf_reset(&out);
	o = inherit();
	snprintf(script, sizeof(script), "[ \"$(cut -d' ' -f5 /proc/$$/stat)\" = %d ] && echo ours", (int)getpgrp());
	CHECK_INT(sh(script, &o, &out), 0);
	CHECK_STR(out.data, "ours\n");
	/* the program named apart from argv[0], and one that does not exist */
	buf_reset(&out);
	o = inherit();
	o.file = "/bin/echo";
	CHECK_INT(sh("not-echo's argument", &o, &out), 0);
	CHECK_STR(out.data, "-c not-echo's argument\n");
	o = inherit();
	o.file = "/nonexistent/sb-proc";
	CHECK_INT(sh("true", &o, &out), -ENOENT);
	buf_release(&out);
}

int main(void)
{
	test_signals();
	test_fds();
	test_where();
	return t_done("engine_proc");
}
