/* integ_dockerexec: copying a tar into a running container, looking for a path in it and running commands there
 * (docker_container_put_archive, docker_container_path_exists, docker_exec) against the real engine: a container from busybox:local named after the pid, removed at the end.
 * Without an engine it is skipped, except under CI=true. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctxtar.h"
#include "dockerapi.h"
#include "t.h"
#include "util.h"

/* tar: a tar of a file, an executable in a new directory, a symlink and an empty directory. */
static void tar(struct buf *out)
{
	char path[] = "/tmp/integ_dockerexec.XXXXXX";
	int fd = mkstemp(path);
	struct ctxsink *s;

	CHECK(fd >= 0);
	s = ctxsink_tar(fd);
	CHECK_INT(ctxsink_entry(s, "opt/sync/a.txt", 'f', 0640, 1700000000, 6, NULL), 0);
	CHECK_INT(ctxsink_data(s, "hello\n", 6), 0);
	CHECK_INT(ctxsink_end(s), 0);
	CHECK_INT(ctxsink_entry(s, "opt/sync/new/run.sh", 'f', 0755, 1700000000, 10, NULL), 0);
	CHECK_INT(ctxsink_data(s, "#!/bin/sh\n", 10), 0);
	CHECK_INT(ctxsink_end(s), 0);
	CHECK_INT(ctxsink_entry(s, "opt/sync/link", 'l', 0777, 1700000000, 0, "a.txt"), 0);
	CHECK_INT(ctxsink_entry(s, "opt/sync/empty", 'd', 0700, 1700000000, 0, NULL), 0);
	CHECK_INT(ctxsink_finish(s, 1), 0);
	close(fd);
	CHECK_INT(read_file(path, out), 0);
	unlink(path);
}

/* run: docker_exec of argv, its output in out (replaced); the exit status. */
static int run(struct docker *d, const char *id, const char *const *argv, struct buf *out)
{
	int status = -2;

	buf_reset(out);
	CHECK_INT(docker_exec(d, id, argv, NULL, out, &status), 0);
	buf_addc(out, '\0');
	out->len--;
	return status;
}

static void test_engine(struct docker *d)
{
	char name[64];
	const char *cmd[] = {"sleep", "120", NULL};
	struct docker_container_spec spec = {0};
	struct buf t = BUF_INIT, out = BUF_INIT;
	char *id = NULL;
	int status = 0;

	snprintf(name, sizeof(name), "sbtest-exec-%ld", (long)getpid());
	spec.name = name;
	spec.image = "busybox:local";
	spec.cmd = cmd;
	CHECK_INT(docker_container_create(d, &spec, &id), 0);
	if (!id)
		return;
	CHECK_INT(docker_container_start(d, id), 0);

	/* the upload: kinds, modes and contents are kept, missing directories made */
	tar(&t);
	CHECK_INT(docker_container_put_archive(d, id, "/", &t), 0);
	const char *stat_argv[] = {"stat", "-c", "%n %A %s", "/opt/sync/a.txt", "/opt/sync/new/run.sh", "/opt/sync/empty", NULL};
	CHECK_INT(run(d, id, stat_argv, &out), 0);
	CHECK_STR(out.data, "/opt/sync/a.txt -rw-r----- 6\n/opt/sync/new/run.sh -rwxr-xr-x 10\n"
	                    "/opt/sync/empty drwx------ 4096\n");
	CHECK_INT(docker_container_path_exists(d, id, "/opt/sync/new/run.sh"), 0);
	CHECK_INT(docker_container_path_exists(d, id, "/opt/sync/none"), DOCKER_NOT_FOUND);
	CHECK_INT(docker_container_path_exists(d, "sbtest-exec-no-such-container", "/"), DOCKER_NOT_FOUND);
	/* a HEAD leaves the connection usable: the next request is answered */
	CHECK_INT(docker_container_path_exists(d, id, "/opt/sync/a.txt"), 0);
	const char *readlink_argv[] = {"readlink", "/opt/sync/link", NULL};
	CHECK_INT(run(d, id, readlink_argv, &out), 0);
	CHECK_STR(out.data, "a.txt\n");
	const char *cat_argv[] = {"cat", "/opt/sync/link", NULL};
	CHECK_INT(run(d, id, cat_argv, &out), 0);
	CHECK_STR(out.data, "hello\n");

	/* argv is never a shell line: the ';' and the '$' reach rm as they are */
	const char *rm_argv[] = {"rm", "-f", "--", "/opt/sync/a.txt", "/opt/sync/x; touch /opt/sync/pwned $HOME", NULL};
	CHECK_INT(run(d, id, rm_argv, &out), 0);
	const char *ls_argv[] = {"ls", "/opt/sync", NULL};
	CHECK_INT(run(d, id, ls_argv, &out), 0);
	CHECK_STR(out.data, "empty\nlink\nnew\n");

	/* exit status and both streams (two pipes: their order between them is not kept) */
	const char *sh_argv[] = {"sh", "-c", "echo out; echo err >&2; exit 7", NULL};
	CHECK_INT(run(d, id, sh_argv, &out), 7);
	CHECK(strcmp(out.data, "out\nerr\n") == 0 || strcmp(out.data, "err\nout\n") == 0);
	const char *err_argv[] = {"sh", "-c", "echo only-err >&2", NULL};
	CHECK_INT(run(d, id, err_argv, &out), 0);
	CHECK_STR(out.data, "only-err\n");
	const char *none_argv[] = {"no-such-command-here", NULL};
	CHECK_INT(run(d, id, none_argv, &out), 126);

	/* an upload into a directory the container lacks, and a container that does not exist */
	CHECK_INT(docker_container_put_archive(d, id, "/no/such/dir", &t), DOCKER_NOT_FOUND);
	CHECK_INT(docker_container_put_archive(d, "sbtest-exec-no-such-container", "/", &t), DOCKER_NOT_FOUND);
	CHECK_INT(docker_exec(d, "sbtest-exec-no-such-container", ls_argv, NULL, NULL, &status), DOCKER_NOT_FOUND);

	/* a stopped container runs nothing: an error, said; its files can still be looked for */
	CHECK_INT(docker_container_stop(d, id, 0), 0);
	CHECK_INT(docker_container_path_exists(d, id, "/opt/sync/new/run.sh"), 0);
	fprintf(stderr, "integ_dockerexec: the next error is expected\n");
	CHECK_INT(docker_exec(d, id, ls_argv, NULL, NULL, &status), -1);

	CHECK_INT(docker_container_remove(d, id, DOCKER_FORCE), 0);
	free(id);
	buf_release(&t);
	buf_release(&out);
}

int main(void)
{
	struct docker *d = docker_open(NULL);
	const char *ci = getenv("CI");

	if (!d || docker_ping(d) < 0) {
		docker_close(d);
		if (!ci || strcmp(ci, "true") != 0) {
			printf("integ_dockerexec: skipped: no docker engine\n");
			return t_done("integ_dockerexec");
		}
		CHECK(!"a Docker engine answers (CI=true never skips)");
		return t_done("integ_dockerexec");
	}
	test_engine(d);
	docker_close(d);
	return t_done("integ_dockerexec");
}
