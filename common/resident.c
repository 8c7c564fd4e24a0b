/* resident: a process of the user's that outlives runs (see resident.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hash.h"
#include "proc.h"
#include "resident.h"
#include "util.h"

#define IDLE_DEFAULT_S 900

static int exe_now(struct exe *e)
{
	struct stat st;
	ssize_t n = readlink("/proc/self/exe", e->path, sizeof(e->path) - 1);

	if (n <= 0)
		return -1;
	e->path[n] = '\0';
	if (stat(e->path, &st) < 0)
		return -1;
	e->dev = st.st_dev;
	e->ino = st.st_ino;
	e->size = st.st_size;
	e->mtime = st.st_mtim;
	return 0;
}

static int exe_same(const struct exe *e)
{
	struct stat st;

	return stat(e->path, &st) == 0 && st.st_dev == e->dev && st.st_ino == e->ino && st.st_size == e->size &&
	       st.st_mtim.tv_sec == e->mtime.tv_sec && st.st_mtim.tv_nsec == e->mtime.tv_nsec;
}

int resident_path(const char *name, const char *extra, int create, const char *suffix, char *out, size_t n)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR"), *tmp = getenv("TMPDIR");
	struct sockaddr_un sa;
	char dir[PATH_MAX];
	struct hasher h;
	struct hash128 k;
	struct stat st;
	struct exe e;
	int len;

	if (xdg && *xdg == '/')
		len = snprintf(dir, sizeof(dir), "%s/sindri-build", xdg);
	else
		len = snprintf(dir, sizeof(dir), "%s/sindri-build-%u", tmp && *tmp == '/' ? tmp : "/tmp", (unsigned)geteuid());
	if (len < 0 || (size_t)len >= sizeof(dir))
		return -1;
	if (create && mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -1;
	/* someone else's directory, or one others can write to, could hand us their socket */
	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077))
		return -1;
	if (exe_now(&e) < 0)
		return -1;
	hasher_init(&h);
	hasher_addstr(&h, e.path);
	hasher_addu64(&h, (uint64_t)e.dev);
	hasher_addu64(&h, (uint64_t)e.ino);
	hasher_addu64(&h, (uint64_t)e.size);
	hasher_addu64(&h, (uint64_t)e.mtime.tv_sec);
	hasher_addu64(&h, (uint64_t)e.mtime.tv_nsec);
	if (*extra)
		hasher_addstr(&h, extra);
	k = hasher_final(&h);
	len = snprintf(out, n, "%s/%s-%016llx.%s", dir, name, (unsigned long long)k.lo, suffix);
	return len < 0 || (size_t)len >= n || (size_t)len >= sizeof(sa.sun_path) ? -1 : 0;
}

pid_t resident_holder(const char *lockpath)
{
	char text[32] = "";
	int fd = open(lockpath, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	pid_t pid = 0;

	if (fd < 0)
		return 0;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK && read(fd, text, sizeof(text) - 1) > 0)
		pid = (pid_t)strtol(text, NULL, 10);
	close(fd);
	return pid;
}

int resident_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int resident_spawn(const char *flag, const char *sock, const char *arg)
{
	char name[] = "sindri-build";
	char *argv[] = {name, (char *)flag, (char *)sock, (char *)arg, NULL};
	/* nothing of ours (the state lock, a jobserver pipe, a test's output pipe) may stay open in it */
	struct spawnopts so = {"/proc/self/exe", {PROC_NULL, PROC_NULL, PROC_NULL}, NULL, 0, 1};
	pid_t pid;
	int rc = proc_start(&pid, argv, &so);

	if (rc != 0)
		return rc;
	while (waitpid(pid, &rc, 0) < 0 && errno == EINTR)
		;
	return 0;
}

int resident_show(const char *label, const char *sock, const char *lockpath, int stop, const char *note)
{
	pid_t pid = resident_holder(lockpath);

	if (!pid) {
		printf("%s: not running%s\n", label, note);
		return 0;
	}
	if (!stop) {
		printf("%s: running, pid %ld, socket %s%s\n", label, (long)pid, sock, note);
		return 0;
	}
	if (kill(pid, SIGTERM) < 0 && errno != ESRCH)
		return error("cannot stop the %s (pid %ld):", label, (long)pid);
	for (int i = 0; i < 500 && resident_holder(lockpath); i++)
		usleep(10000);
	if (resident_holder(lockpath))
		return error("the %s (pid %ld) did not stop within 5 s", label, (long)pid);
	printf("%s: stopped\n", label);
	return 0;
}

static volatile sig_atomic_t stopping;

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

int resident_stopping(void)
{
	return stopping != 0;
}

pid_t resident_detach(void)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	setsid();
	umask(077);
	/* hold no directory of the run that started it (a mount it keeps busy) */
	if (chdir("/") < 0)
		_exit(1);
	return 0;
}

static int same_file(const char *path, const struct stat *was)
{
	struct stat st;

	return lstat(path, &st) == 0 && st.st_dev == was->st_dev && st.st_ino == was->st_ino;
}

int resident_claim(struct resident *rs, const char *sock)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct sigaction sg = {.sa_handler = on_stop};
	const char *idle = getenv("SINDRI_BUILD_SERVER_IDLE");
	struct stat st;
	size_t n = strlen(sock);

	memset(rs, 0, sizeof(*rs));
	rs->lock = rs->listen = -1;
	if (n >= sizeof(sa.sun_path) || !str_has_suffix(sock, ".sock") || exe_now(&rs->exe) < 0)
		return -1;
	memcpy(rs->path, sock, n + 1);
	snprintf(rs->lockpath, sizeof(rs->lockpath), "%.*s.lock", (int)(n - 5), sock);
	rs->idle_s = idle && *idle ? strtol(idle, NULL, 10) : IDLE_DEFAULT_S;
	if (rs->idle_s <= 0)
		rs->idle_s = IDLE_DEFAULT_S;
	rs->lock = open(rs->lockpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	/* one per socket: a second one started at the same moment leaves; so does one that locked a lock file the one
	 * ending just then had removed */
	if (rs->lock < 0 || flock(rs->lock, LOCK_EX | LOCK_NB) < 0 || fstat(rs->lock, &st) < 0 ||
	    !same_file(rs->lockpath, &st))
		_exit(0);
	if (ftruncate(rs->lock, 0) < 0 || dprintf(rs->lock, "%ld\n", (long)getpid()) < 0)
		return -1;
	sigaction(SIGTERM, &sg, NULL);
	sigaction(SIGINT, &sg, NULL);
	sigaction(SIGHUP, &sg, NULL);
	signal(SIGPIPE, SIG_IGN);
	strcpy(sa.sun_path, sock);
	unlink(sock);
	rs->listen = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (rs->listen < 0 || bind(rs->listen, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(rs->listen, 64) < 0 ||
	    lstat(sock, &rs->sock) < 0)
		return -1;
	return 0;
}

int resident_over(const struct resident *rs, int active, int64_t last)
{
	return stopping || (!active && mono_ns() - last > (int64_t)rs->idle_s * 1000000000) ||
	       !same_file(rs->path, &rs->sock) || !exe_same(&rs->exe);
}

void resident_unlisten(struct resident *rs)
{
	if (same_file(rs->path, &rs->sock))
		unlink(rs->path);
	if (rs->listen >= 0)
		close(rs->listen);
	rs->listen = -1;
}

void resident_exit(struct resident *rs)
{
	unlink(rs->lockpath);
	close(rs->lock);
	_exit(0);
}
