/*
 * integ_gitsrc: gitsrc against real git repositories the test makes with the git CLI in a temporary directory:
 * clone, a moved branch, a clean switch, tags, SHAs, an unknown ref, pruning, an unreachable repository, an
 * interrupted clone (a leftover temporary directory, and a clone killed at several moments) and the lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gitsrc.h"
#include "t.h"
#include "util.h"

static char root[64];
static char *src, *url, *cache;

/* sh: run a shell command (formatted) in root; its exit status. */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	struct buf cmd = BUF_INIT;
	va_list ap;
	int rc;

	buf_addf(&cmd, "cd '%s' && { ", root);
	va_start(ap, fmt);
	buf_vaddf(&cmd, fmt, ap);
	va_end(ap);
	buf_adds(&cmd, "; } >/dev/null 2>&1");
	rc = system(cmd.data);
	buf_release(&cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* out: the first line a shell command prints, in a static buffer. */
static const char *out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *out(const char *fmt, ...)
{
	static char line[256];
	struct buf cmd = BUF_INIT;
	va_list ap;
	FILE *p;

	buf_addf(&cmd, "cd '%s' && ", root);
	va_start(ap, fmt);
	buf_vaddf(&cmd, fmt, ap);
	va_end(ap);
	line[0] = '\0';
	if ((p = popen(cmd.data, "r"))) {
		if (!fgets(line, sizeof(line), p))
			line[0] = '\0';
		pclose(p);
	}
	buf_release(&cmd);
	line[strcspn(line, "\n")] = '\0';
	return line;
}

static char *slurp(const char *dir, const char *file)
{
	char *path = xasprintf("%s/%s", dir, file);
	struct buf b = BUF_INIT;

	if (read_file(path, &b) < 0) {
		free(path);
		return xstrdup("(missing)");
	}
	free(path);
	return b.data ? buf_detach(&b) : xstrdup("");
}

static int exists(const char *dir, const char *file)
{
	char *path = xasprintf("%s/%s", dir, file);
	int ok = access(path, F_OK) == 0;

	free(path);
	return ok;
}

/* co: check out ref from url into cachedir; err holds the message on failure. */
static int co(const char *u, const char *ref, const char *cachedir, struct gitsrc_result *r, struct buf *err)
{
	buf_reset(err);
	gitsrc_result_release(r);
	return gitsrc_checkout(u, ref, cachedir, r, err);
}

#define GIT "git -c user.name=t -c user.email=t@example.com -c init.defaultBranch=main -C src "

static void test_dirname(void)
{
	struct buf a = BUF_INIT, b = BUF_INIT, err = BUF_INIT;

	gitsrc_dirname("https://github.com/pacphi/sindri.git", &a, &err);
	gitsrc_dirname("https://github.com/pacphi/sindri.git", &b, &err);
	CHECK_STR(a.data, b.data);
	CHECK(str_has_prefix(a.data, "github.com-pacphi-sindri-"));
	CHECK_INT(strlen(a.data), strlen("github.com-pacphi-sindri-") + 8);
	buf_reset(&b);
	gitsrc_dirname("https://x-access-token:s3cr3t@github.com/pacphi/sindri.git", &b, &err);
	CHECK_STR(a.data, b.data);
	buf_reset(&b);
	gitsrc_dirname("https://github.com/pacphi/sindri-fork.git", &b, &err);
	CHECK(strcmp(a.data, b.data) != 0);
	buf_reset(&a);
	buf_reset(&b);
	gitsrc_dirname("git@github.com:pacphi/sindri.git", &a, &err);
	CHECK(str_has_prefix(a.data, "git-github.com-pacphi-sindri-"));
	/* a relative path is the absolute one */
	char *abs = xasprintf("%s/src", root), cwd[4096];
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	CHECK_INT(chdir(root), 0);
	buf_reset(&a);
	gitsrc_dirname("src", &a, &err);
	gitsrc_dirname(abs, &b, &err);
	CHECK_STR(a.data, b.data);
	CHECK(a.data && a.data[0] != '.' && a.data[0] != '-');
	CHECK_INT(chdir(cwd), 0);
	CHECK_INT(gitsrc_dirname("", &a, &err), -1);
	free(abs);
	buf_release(&a);
	buf_release(&b);
	buf_release(&err);
}

static void test_branch_tag_sha(void)
{
	struct gitsrc_result r = {0};
	struct buf err = BUF_INIT;
	char a[41], b[41], s[16];

	CHECK_INT(sh("mkdir src && cd src && git init -q -b main && echo 1 >a.txt && mkdir d && echo x >d/b.txt && "
	             "printf '*.log\\n' >.gitignore && cd .. && " GIT "add -A && " GIT "commit -qm one && " GIT
	             "tag v1"), 0);
	snprintf(a, sizeof(a), "%s", out("git -C src rev-parse HEAD"));
	CHECK_INT(co(url, "main", cache, &r, &err), 0);
	CHECK_STR(r.sha, a);
	CHECK_INT(strlen(r.short_sha), 7);
	CHECK(strncmp(r.short_sha, a, 7) == 0);
	CHECK_STR(r.kind, "branch");
	char *txt = slurp(r.dir, "a.txt");
	CHECK_STR(txt, "1\n");
	free(txt);
	if (err.len)
		fprintf(stderr, "%s\n", err.data);

	/* the branch moves: the next checkout fetches it */
	CHECK_INT(sh("echo 2 >src/a.txt && " GIT "commit -qam two && " GIT "tag -a -m v2 v2"), 0);
	snprintf(b, sizeof(b), "%s", out("git -C src rev-parse HEAD"));
	CHECK_INT(co(url, "main", cache, &r, &err), 0);
	CHECK_STR(r.sha, b);
	txt = slurp(r.dir, "a.txt");
	CHECK_STR(txt, "2\n");
	free(txt);

	/* tags: lightweight and annotated */
	CHECK_INT(co(url, "v1", cache, &r, &err), 0);
	CHECK_STR(r.sha, a);
	CHECK_STR(r.kind, "tag");
	txt = slurp(r.dir, "a.txt");
	CHECK_STR(txt, "1\n");
	free(txt);
	CHECK_INT(co(url, "v2", cache, &r, &err), 0);
	CHECK_STR(r.sha, b);

	/* SHAs: full, abbreviated; and a full ref name */
	CHECK_INT(co(url, a, cache, &r, &err), 0);
	CHECK_STR(r.sha, a);
	CHECK_STR(r.kind, "commit");
	snprintf(s, sizeof(s), "%.7s", b);
	CHECK_INT(co(url, s, cache, &r, &err), 0);
	CHECK_STR(r.sha, b);
	snprintf(s, sizeof(s), "%.10s", a);
	CHECK_INT(co(url, s, cache, &r, &err), 0);
	CHECK_STR(r.sha, a);
	CHECK_INT(co(url, "refs/tags/v2", cache, &r, &err), 0);
	CHECK_STR(r.sha, b);
	CHECK_STR(out("git -C '%s' rev-parse HEAD", r.dir), b);
	CHECK_STR(out("git -C '%s' symbolic-ref -q HEAD || echo detached", r.dir), "detached");

	gitsrc_result_release(&r);
	buf_release(&err);
}

/* test_clean: switching refs leaves nothing of the other ref, nor untracked or ignored files. */
static void test_clean(void)
{
	struct gitsrc_result r = {0};
	struct buf err = BUF_INIT;

	CHECK_INT(sh(GIT "checkout -qb other && " GIT "rm -q a.txt && echo o >src/only-other.txt && " GIT
	             "add -A && " GIT "commit -qm other && " GIT "checkout -q main"), 0);
	CHECK_INT(co(url, "other", cache, &r, &err), 0);
	CHECK(exists(r.dir, "only-other.txt"));
	CHECK(!exists(r.dir, "a.txt"));
	CHECK_INT(sh("cd '%s' && echo j >junk.txt && echo l >x.log && mkdir -p new/deep && echo n >new/deep/f", r.dir), 0);
	CHECK_INT(co(url, "main", cache, &r, &err), 0);
	CHECK(exists(r.dir, "a.txt"));
	CHECK(!exists(r.dir, "only-other.txt"));
	CHECK(!exists(r.dir, "junk.txt"));
	CHECK(!exists(r.dir, "x.log"));
	CHECK(!exists(r.dir, "new"));
	/* a tracked file edited in the cache is put back */
	CHECK_INT(sh("echo edited >'%s/a.txt'", r.dir), 0);
	CHECK_INT(co(url, "main", cache, &r, &err), 0);
	char *txt = slurp(r.dir, "a.txt");
	CHECK_STR(txt, "2\n");
	free(txt);
	CHECK_STR(out("git -C '%s' status --porcelain --ignored | wc -l", r.dir), "0");
	gitsrc_result_release(&r);
	buf_release(&err);
}

static void test_unknown_and_prune(void)
{
	struct gitsrc_result r = {0};
	struct buf err = BUF_INIT;
	char *want;

	CHECK_INT(co(url, "mian", cache, &r, &err), -1);
	want = xasprintf("unknown ref 'mian' in '%s': no branch, tag or commit of that name; nearest: branch 'main'", url);
	CHECK(err.data && str_has_prefix(err.data, want));
	free(want);
	CHECK(r.dir == NULL);
	CHECK_INT(co(url, "v3", cache, &r, &err), -1);
	CHECK(err.data && strstr(err.data, "nearest: tag 'v1', tag 'v2', branch 'main'"));
	CHECK_INT(co(url, "deadbeef", cache, &r, &err), -1);
	CHECK(err.data && strstr(err.data, "unknown ref 'deadbeef'"));
	CHECK_INT(co(url, "", cache, &r, &err), -1);

	/* a branch deleted upstream is pruned */
	CHECK_INT(co(url, "other", cache, &r, &err), 0);
	CHECK_INT(sh(GIT "branch -qD other"), 0);
	CHECK_INT(co(url, "other", cache, &r, &err), -1);
	CHECK(err.data && strstr(err.data, "unknown ref 'other'"));
	gitsrc_result_release(&r);
	buf_release(&err);
}

/* test_unreachable: a failed fetch says so and leaves the clone, its refs and worktree as they were. */
static void test_unreachable(void)
{
	struct gitsrc_result r = {0};
	struct buf err = BUF_INIT;
	char before[128];

	CHECK_INT(co(url, "main", cache, &r, &err), 0);
	snprintf(before, sizeof(before), "%s", out("cd cache && find . -type f ! -name '*.lock' -exec cksum {} + | sort | cksum"));
	CHECK_INT(sh("mv src src.gone"), 0);
	CHECK_INT(co(url, "main", cache, &r, &err), -1);
	CHECK(err.data && str_has_prefix(err.data, "cannot reach the repository 'file://"));
	CHECK(err.data && strstr(err.data, "was left as it was"));
	CHECK_STR(out("cd cache && find . -type f ! -name '*.lock' -exec cksum {} + | sort | cksum"), before);
	CHECK_INT(sh("mv src.gone src"), 0);
	CHECK_INT(co(url, "main", cache, &r, &err), 0);

	/* neither a token in the URL nor one in the environment ever shows */
	setenv("GIT_TOKEN", "t0kenvalue", 1);
	CHECK_INT(co("https://user:s3cr3tpw@127.0.0.1:9/x.git", "main", cache, &r, &err), -1);
	CHECK(err.data && !strstr(err.data, "s3cr3tpw") && !strstr(err.data, "t0kenvalue"));
	CHECK(err.data && strstr(err.data, "'https://127.0.0.1:9/x.git'"));
	unsetenv("GIT_TOKEN");
	CHECK_STR(out("cd cache && ls -a | grep -c '\\.tmp-' || true"), "0");
	gitsrc_result_release(&r);
	buf_release(&err);
}

static const char *name_of(const char *u)
{
	static struct buf b;
	struct buf err = BUF_INIT;

	buf_reset(&b);
	gitsrc_dirname(u, &b, &err);
	buf_release(&err);
	return b.data;
}

/* test_interrupted: a clone killed at any moment leaves no broken cache; the next run clones or uses it. */
static void test_interrupted(void)
{
	static const int delays_ms[] = {0, 2, 5, 10, 20, 40, 80, 160, 320};
	struct gitsrc_result r = {0};
	struct buf err = BUF_INIT;
	char *c2 = xasprintf("%s/cache2", root), *name = xstrdup(name_of(url));
	int mid = 0;

	/* what an interrupted run left: a temporary directory */
	CHECK_INT(sh("mkdir -p cache2/.%s.tmp-99999/.git && echo junk >cache2/.%s.tmp-99999/.git/HEAD", name, name), 0);
	CHECK_INT(co(url, "main", c2, &r, &err), 0);
	CHECK(exists(r.dir, "a.txt"));
	CHECK_STR(out("ls -a cache2 | grep -c '\\.tmp-' || true"), "0");

	/* a bigger repository, so that a kill can land in the middle of a clone */
	CHECK_INT(sh("cd src && for i in $(seq 1 1500); do echo $i >f$i.txt; done && cd .. && " GIT "add -A && " GIT
	             "commit -qm many"), 0);
	for (size_t i = 0; i < LEN(delays_ms); i++) {
		pid_t pid;
		CHECK_INT(sh("rm -rf cache2"), 0);
		fflush(NULL);
		if ((pid = fork()) == 0) {
			struct gitsrc_result cr;
			struct buf cerr = BUF_INIT;
			_exit(gitsrc_checkout(url, "main", c2, &cr, &cerr) < 0 ? 1 : 0);
		}
		usleep((useconds_t)delays_ms[i] * 1000);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		if (atoi(out("ls -a cache2 2>/dev/null | grep -c '\\.tmp-' || true")) > 0)
			mid++;
		CHECK_INT(co(url, "main", c2, &r, &err), 0);
		if (err.len)
			fprintf(stderr, "after a kill at %d ms: %s\n", delays_ms[i], err.data);
		CHECK(exists(r.dir, "f1500.txt"));
		CHECK_STR(out("git -C '%s' status --porcelain --ignored | wc -l", r.dir), "0");
		CHECK_STR(out("ls -a cache2 | grep -c '\\.tmp-' || true"), "0");
	}
	printf("integ_gitsrc: %d of %zu kills landed in the middle of a clone\n", mid, LEN(delays_ms));
	free(c2);
	free(name);
	gitsrc_result_release(&r);
	buf_release(&err);
}

/* test_lock: a run waits while another holds the clone's lock. */
static void test_lock(void)
{
	struct gitsrc_result r = {0};
	struct buf err = BUF_INIT;
	char *lockpath = xasprintf("%s/%s.lock", cache, name_of(url));
	int p[2];
	pid_t pid;
	char c;
	struct timespec t0, t1;

	CHECK_INT(pipe(p), 0);
	fflush(NULL);
	if ((pid = fork()) == 0) {
		int fd = open(lockpath, O_RDWR | O_CREAT, 0666);
		if (fd < 0 || flock(fd, LOCK_EX) < 0)
			_exit(1);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		usleep(800 * 1000);
		_exit(0);
	}
	close(p[1]);
	CHECK_INT(read(p[0], &c, 1), 1);
	close(p[0]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_INT(co(url, "main", cache, &r, &err), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 >= 700);
	waitpid(pid, NULL, 0);

	/* the result holds the lock until it is released: another process cannot take it meanwhile */
	int fd = open(lockpath, O_RDWR);
	CHECK(r.lockfd >= 0);
	CHECK(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK);
	gitsrc_result_release(&r);
	CHECK(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0);
	if (fd >= 0)
		close(fd);
	free(lockpath);
	buf_release(&err);
}

static void test_list(void)
{
	struct gitsrc_entry *e;
	size_t n;
	struct buf err = BUF_INIT;

	CHECK_INT(sh("mkdir -p cache/not-a-clone"), 0);
	CHECK_INT(gitsrc_list(cache, &e, &n, &err), 0);
	CHECK_INT(n, 2);
	if (n == 2) {
		/* sorted by dir: "not-a-clone" before "tmp-sb-gitsrc..." */
		CHECK(str_has_suffix(e[0].dir, "/not-a-clone"));
		CHECK(e[0].url == NULL);
		CHECK_STR(e[1].url, url);
		CHECK_STR(e[1].ref, "main");
		CHECK_STR(e[1].sha, out("git -C src rev-parse main"));
	}
	gitsrc_entries_free(e, n);
	CHECK_INT(gitsrc_list("/nonexistent/cache", &e, &n, &err), 0);
	CHECK_INT(n, 0);
	gitsrc_entries_free(e, n);
	buf_release(&err);
}

/* test_peek: what a read-only command learns from the clone, touching nothing (the listing with mtimes is equal). */
static void test_peek(void)
{
	struct gitsrc_result r = {0}, p = {0};
	struct buf err = BUF_INIT, why = BUF_INIT;
	char *other = xasprintf("%s/peek-empty", root), *before, *sha;
	const char *list = "find '%s' -printf '%%y %%m %%s %%T@ %%p\\n' | sort | cksum";

	CHECK_INT(gitsrc_peek(url, "main", other, &p, &why, &err), 0);
	CHECK(why.data && strstr(why.data, "there is no clone of the repository in"));
	CHECK(access(other, F_OK) < 0);
	gitsrc_result_release(&p);
	CHECK_INT(co(url, "main", cache, &r, &err), 0);
	sha = xstrdup(r.sha);
	gitsrc_result_release(&r);
	before = xstrdup(out(list, cache));
	buf_reset(&why);
	CHECK_INT(gitsrc_peek(url, "main", cache, &p, &why, &err), 1);
	CHECK_STR(p.sha, sha);
	CHECK_STR(p.kind, "branch");
	CHECK(p.lockfd >= 0);
	gitsrc_result_release(&p);
	/* the branch moves upstream: the clone as last fetched still answers, nothing is fetched */
	CHECK_INT(sh("echo moved >src/moved.txt && " GIT "add moved.txt && " GIT "commit -qm moved"), 0);
	CHECK_INT(gitsrc_peek(url, "main", cache, &p, &why, &err), 1);
	CHECK_STR(p.sha, sha);
	gitsrc_result_release(&p);
	CHECK_INT(gitsrc_peek(url, out("git -C src rev-parse main"), cache, &p, &why, &err), 0);
	CHECK(why.data && strstr(why.data, "the clone has no branch, tag or commit"));
	gitsrc_result_release(&p);
	/* another ref than the worktree's, and a worktree with a stray file: a run would check out */
	buf_reset(&why);
	CHECK_INT(gitsrc_peek(url, "v1", cache, &p, &why, &err), 0);
	CHECK(why.data && strstr(why.data, "the clone's worktree is not at tag v1's commit"));
	gitsrc_result_release(&p);
	CHECK_STR(out(list, cache), before);
	CHECK_INT(co(url, "main", cache, &r, &err), 0);
	CHECK_INT(sh("echo j >'%s/junk.txt'", r.dir), 0);
	gitsrc_result_release(&r);
	buf_reset(&why);
	CHECK_INT(gitsrc_peek(url, "main", cache, &p, &why, &err), 0);
	CHECK(why.data && strstr(why.data, "the clone's worktree has changes: 'junk.txt'"));
	gitsrc_result_release(&p);
	CHECK_INT(gitsrc_peek(url, "", cache, &p, &why, &err), -1);
	gitsrc_result_release(&p);
	free(other);
	free(before);
	free(sha);
	buf_release(&err);
	buf_release(&why);
}

int main(void)
{
	snprintf(root, sizeof(root), "%s", "/tmp/sb-gitsrc.XXXXXX");
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("HOME", root, 1);
	src = xasprintf("%s/src", root);
	url = xasprintf("file://%s", src);
	cache = xasprintf("%s/cache", root);
	test_dirname();
	test_branch_tag_sha();
	test_clean();
	test_unknown_and_prune();
	test_unreachable();
	test_lock();
	test_list();
	test_peek();
	test_interrupted();
	sh("rm -rf '%s'", root);
	free(src);
	free(url);
	free(cache);
	return t_done("integ_gitsrc");
}
