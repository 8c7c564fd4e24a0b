/* engine_state: the task log, blobs and lock of engine/state.c, including torn tails, corruption and kill -9. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hash.h"
#include "state.h"
#include "util.h"
#include "t.h"

static char *tmpdir(void)
{
	char tmpl[] = "/tmp/sb-state-XXXXXX";

	if (!mkdtemp(tmpl))
		fatal("mkdtemp:");
	return xstrdup(tmpl);
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	return remove(path);
}

static void rm_rf(char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

/* mkrec: a record whose every field derives from (name, i), so a reader can tell a consistent one from a mix. */
static struct taskrec mkrec(const char *name, int64_t i)
{
	struct taskrec r;

	r.name = name;
	r.key = hash_bytes(name, strlen(name));
	r.outputs.lo = (uint64_t)i;
	r.outputs.hi = ~(uint64_t)i;
	r.end_ns = i * 1000;
	r.last_ns = -i;
	r.total_ns = i * 3 + 7;
	r.runs = (uint32_t)i;
	return r;
}

/* rec_index: the i of a record made by mkrec(rec->name, i), or -1 when it is not consistent. */
static int64_t rec_index(const struct taskrec *r)
{
	int64_t i = r->end_ns / 1000;
	struct hash128 key = hash_bytes(r->name, strlen(r->name));

	if (!hash_eq(&key, &r->key) || r->outputs.lo != (uint64_t)i || r->outputs.hi != ~(uint64_t)i ||
	    r->end_ns != i * 1000 || r->last_ns != -i || r->total_ns != i * 3 + 7 || r->runs != (uint32_t)i)
		return -1;
	return i;
}

static void record(struct state *s, const char *name, int64_t i)
{
	struct taskrec r = mkrec(name, i);

	CHECK_INT(state_record(s, &r), 0);
}

/* get_index: the i of name's record, -1 if inconsistent, -2 if missing. */
static int64_t get_index(const struct state *s, const char *name)
{
	const struct taskrec *r = state_get(s, name);

	if (!r)
		return -2;
	CHECK_STR(r->name, name);
	return rec_index(r);
}

static char *path_in(const char *dir, const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static long long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 ? -1 : (long long)st.st_size;
}

static void put_file(const char *path, const void *data, size_t n, int append)
{
	int fd = open(path, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0666);

	if (fd < 0 || write(fd, data, n) != (ssize_t)n || close(fd) < 0)
		fatal("cannot write '%s':", path);
}

/* Capturing stderr, to check what the module tells the user. */
struct capture {
	int saved;
	char path[32];
};

static void capture_begin(struct capture *c)
{
	int fd;

	strcpy(c->path, "/tmp/sb-stderr-XXXXXX");
	fd = mkstemp(c->path);
	if (fd < 0)
		fatal("mkstemp:");
	fflush(stderr);
	c->saved = dup(2);
	dup2(fd, 2);
	close(fd);
}

static void capture_end(struct capture *c, struct buf *out)
{
	fflush(stderr);
	dup2(c->saved, 2);
	close(c->saved);
	buf_reset(out);
	read_file(c->path, out);
	unlink(c->path);
	if (!out->data)
		buf_adds(out, "");
}

/* snapshot: names, sizes, mtimes and bytes of everything below dir, and dir's own mtime. */
static void snapshot(const char *dir, struct buf *out)
{
	struct dirent **ents;
	struct stat st;
	int i, n;

	if (lstat(dir, &st) < 0) {
		buf_addf(out, "missing %s\n", dir);
		return;
	}
	buf_addf(out, "dir %s %lld.%09ld\n", dir, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	n = scandir(dir, &ents, NULL, alphasort);
	for (i = 0; i < n; i++) {
		char *p = path_in(dir, ents[i]->d_name);
		if (strcmp(ents[i]->d_name, ".") && strcmp(ents[i]->d_name, "..") && lstat(p, &st) == 0) {
			if (S_ISDIR(st.st_mode)) {
				snapshot(p, out);
			} else {
				buf_addf(out, "file %s %lld %lld.%09ld\n", p, (long long)st.st_size,
				         (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
				read_file(p, out);
			}
		}
		free(p);
		free(ents[i]);
	}
	if (n >= 0)
		free(ents);
}

static void test_roundtrip(void)
{
	char *dir = tmpdir();
	struct state *s = state_open(dir, STATE_WRITE);

	CHECK(s != NULL);
	CHECK_STR(state_dir(s), dir);
	CHECK(state_get(s, "a") == NULL);
	record(s, "a", 1);
	record(s, "b/c:d", 2);
	record(s, "", 3);
	CHECK_INT(get_index(s, "a"), 1);
	state_close(s);

	s = state_open(dir, 0);
	CHECK(s != NULL);
	CHECK_INT(get_index(s, "a"), 1);
	CHECK_INT(get_index(s, "b/c:d"), 2);
	CHECK_INT(get_index(s, ""), 3);
	CHECK(state_get(s, "b") == NULL);
	state_close(s);
	rm_rf(dir);
}

static void count_each(const struct taskrec *r, void *arg)
{
	(void)r;
	++*(int *)arg;
}

static void test_replace_and_forget(void)
{
	char *dir = tmpdir();
	struct state *s = state_open(dir, STATE_WRITE);
	int n = 0;

	record(s, "a", 1);
	record(s, "b", 2);
	record(s, "a", 5);
	CHECK_INT(get_index(s, "a"), 5);
	CHECK_INT(state_forget(s, "b"), 0);
	CHECK(state_get(s, "b") == NULL);
	CHECK_INT(state_forget(s, "never"), 0);
	state_close(s);

	s = state_open(dir, STATE_WRITE);
	CHECK_INT(get_index(s, "a"), 5);
	CHECK(state_get(s, "b") == NULL);
	state_each(s, count_each, &n);
	CHECK_INT(n, 1);
	record(s, "b", 9);
	state_close(s);

	s = state_open(dir, 0);
	CHECK_INT(get_index(s, "b"), 9);
	CHECK_INT(get_index(s, "a"), 5);
	state_close(s);
	rm_rf(dir);
}

static void join_names(const struct taskrec *r, void *arg)
{
	struct buf *b = arg;

	buf_adds(b, r->name);
	buf_addc(b, ',');
}

static void test_each_sorted(void)
{
	static const char *const names[] = {"zeta", "alpha", "mid", "Alpha", "alpha2", "gone", "a"};
	char *dir = tmpdir();
	struct state *s = state_open(dir, STATE_WRITE);
	struct buf b = BUF_INIT;
	size_t i;

	/* enough names to make the table grow several times */
	for (i = 0; i < 300; i++) {
		char name[16];
		snprintf(name, sizeof(name), "n%03zu", (i * 7) % 300);
		record(s, name, (int64_t)i);
	}
	for (i = 0; i < LEN(names); i++)
		record(s, names[i], (int64_t)i);
	state_forget(s, "gone");
	for (i = 0; i < 300; i++) {
		char name[16];
		snprintf(name, sizeof(name), "n%03zu", i);
		CHECK_INT(get_index(s, name), (int64_t)((i * 43) % 300)); /* 43 = 7^-1 mod 300 */
		CHECK_INT(state_forget(s, name), 0);
	}
	state_each(s, join_names, &b);
	CHECK_STR(b.data, "Alpha,a,alpha,alpha2,mid,zeta,");
	state_close(s);

	buf_reset(&b);
	s = state_open(dir, 0);
	state_each(s, join_names, &b);
	CHECK_STR(b.data, "Alpha,a,alpha,alpha2,mid,zeta,");
	state_close(s);
	buf_release(&b);
	rm_rf(dir);
}

static void test_blobs(void)
{
	char *dir = tmpdir();
	struct state *s = state_open(dir, STATE_WRITE);
	struct buf b = BUF_INIT, msg = BUF_INIT;
	static const char data[] = "line one\n\0binary\xff";
	struct hash128 h = hash_bytes("task/x", 6);
	char hex[HASH_HEX_LEN + 1], *file;

	CHECK_INT(state_get_blob(s, "task/x", &b), -1);
	CHECK_INT(state_put_blob(s, "task/x", data, sizeof(data)), 0);
	buf_adds(&b, "pre:");
	CHECK_INT(state_get_blob(s, "task/x", &b), 0);
	CHECK_INT(b.len, 4 + sizeof(data));
	CHECK(b.len == 4 + sizeof(data) && memcmp(b.data, "pre:", 4) == 0 && memcmp(b.data + 4, data, sizeof(data)) == 0);
	hash_hex(&h, hex);
	file = xasprintf("%s/blobs/%s", dir, hex);
	CHECK_INT(file_size(file), sizeof(data));
	CHECK_INT(state_put_blob(s, "task/x", "new", 3), 0);
	CHECK_INT(state_put_blob(s, "empty", "", 0), 0);
	state_close(s);

	s = state_open(dir, 0);
	buf_reset(&b);
	CHECK_INT(state_get_blob(s, "task/x", &b), 0);
	CHECK_STR(b.data, "new");
	buf_reset(&b);
	CHECK_INT(state_get_blob(s, "empty", &b), 0);
	CHECK_INT(b.len, 0);
	buf_adds(&b, "keep");
	CHECK_INT(state_get_blob(s, "task/y", &b), -1);
	CHECK_STR(b.data, "keep");
	struct capture c;
	struct taskrec r = mkrec("t", 1);
	/* a blob that exists but cannot be read: reported, and out keeps only what it had */
	char *odd;
	h = hash_bytes("odd", 3);
	hash_hex(&h, hex);
	odd = xasprintf("%s/blobs/%s", dir, hex);
	CHECK_INT(mkdir(odd, 0777), 0);
	capture_begin(&c);
	CHECK_INT(state_get_blob(s, "odd", &b), -1);
	capture_end(&c, &msg);
	CHECK(strstr(msg.data, "cannot read blob of task 'odd'") != NULL);
	CHECK_STR(b.data, "keep");
	free(odd);
	capture_begin(&c);
	CHECK_INT(state_put_blob(s, "task/x", "ro", 2), -1);
	CHECK_INT(state_record(s, &r), -1);
	CHECK_INT(state_forget(s, "t"), -1);
	capture_end(&c, &msg);
	CHECK(strstr(msg.data, "read-only") != NULL);
	state_close(s);
	CHECK_INT(file_size(file), 3);
	free(file);
	buf_release(&b);
	buf_release(&msg);
	rm_rf(dir);
}

static void test_readonly_missing(void)
{
	char *dir = tmpdir();
	char *sub = path_in(dir, "sub"), *state = path_in(dir, "sub/state");
	struct state *s = state_open(state, 0);
	struct buf b = BUF_INIT;
	int n = 0;
	struct stat st;

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK(state_get(s, "a") == NULL);
	state_each(s, count_each, &n);
	CHECK_INT(n, 0);
	CHECK_INT(state_get_blob(s, "a", &b), -1);
	state_close(s);
	CHECK(stat(sub, &st) < 0 && errno == ENOENT);

	/* write mode refuses a directory path that is a file, without dying */
	put_file(sub, "x", 1, 0);
	struct capture c;
	capture_begin(&c);
	s = state_open(state, STATE_WRITE);
	capture_end(&c, &b);
	CHECK(s == NULL);
	CHECK(strstr(b.data, state) != NULL);
	buf_release(&b);
	free(sub);
	free(state);
	rm_rf(dir);
}

/* readonly_unchanged: open dir read-only and use it; nothing below it may change. Returns the number of records. */
static int readonly_unchanged(const char *dir)
{
	struct buf before = BUF_INIT, after = BUF_INIT, blob = BUF_INIT;
	struct state *s;
	int n = 0;

	snapshot(dir, &before);
	s = state_open(dir, 0);
	CHECK(s != NULL);
	state_each(s, count_each, &n);
	state_get(s, "a");
	state_get_blob(s, "a", &blob);
	state_close(s);
	snapshot(dir, &after);
	CHECK_INT(after.len, before.len);
	CHECK(after.len == before.len && memcmp(after.data, before.data, after.len) == 0);
	buf_release(&before);
	buf_release(&after);
	buf_release(&blob);
	return n;
}

static void test_readonly_unchanged(void)
{
	char *dir = tmpdir();
	char *tasks = path_in(dir, "tasks");
	struct state *s = state_open(dir, STATE_WRITE);
	struct capture c;
	struct buf msg = BUF_INIT;

	record(s, "a", 1);
	record(s, "b", 2);
	state_put_blob(s, "a", "blob", 4);
	state_close(s);
	CHECK_INT(readonly_unchanged(dir), 2);

	put_file(tasks, "\x20\0\0\0garbage", 11, 1);
	capture_begin(&c);
	CHECK_INT(readonly_unchanged(dir), 2);
	put_file(tasks, "junk", 4, 0);
	CHECK_INT(readonly_unchanged(dir), 0);
	put_file(tasks, "SBTL\x07\0\0\0", 8, 0);
	CHECK_INT(readonly_unchanged(dir), 0);
	capture_end(&c, &msg);
	CHECK(strstr(msg.data, "is corrupt; reading it as empty") != NULL);
	CHECK(strstr(msg.data, "(version 7); reading it as empty") != NULL);
	buf_release(&msg);
	free(tasks);
	rm_rf(dir);
}

static void test_torn_tail(void)
{
	char *dir = tmpdir();
	char *tasks = path_in(dir, "tasks");
	struct state *s = state_open(dir, STATE_WRITE);
	struct capture c;
	struct buf msg = BUF_INIT, log = BUF_INIT;
	long long valid, full;

	record(s, "a", 1);
	record(s, "b", 2);
	valid = file_size(tasks);
	record(s, "c", 3);
	full = file_size(tasks);
	state_close(s);
	CHECK(valid > 8 && full > valid);

	/* half of c's frame, as a kill -9 in the middle of its write would leave it */
	CHECK_INT(truncate(tasks, (off_t)(valid + (full - valid) / 2)), 0);
	capture_begin(&c);
	s = state_open(dir, 0);
	CHECK_INT(get_index(s, "a"), 1);
	CHECK_INT(get_index(s, "b"), 2);
	CHECK(state_get(s, "c") == NULL);
	state_close(s);
	CHECK_INT(file_size(tasks), valid + (full - valid) / 2);

	s = state_open(dir, STATE_WRITE);
	CHECK_INT(file_size(tasks), valid);
	record(s, "d", 4);
	state_close(s);
	capture_end(&c, &msg);
	CHECK_STR(msg.data, ""); /* a torn tail is routine, not worth a warning */

	/* a few stray bytes after the last frame */
	put_file(tasks, "\x01\x02\x03", 3, 1);
	s = state_open(dir, STATE_WRITE);
	CHECK_INT(get_index(s, "a"), 1);
	CHECK_INT(get_index(s, "d"), 4);
	CHECK(state_get(s, "c") == NULL);
	record(s, "e", 5);
	state_close(s);
	s = state_open(dir, 0);
	CHECK_INT(get_index(s, "b"), 2);
	CHECK_INT(get_index(s, "d"), 4);
	CHECK_INT(get_index(s, "e"), 5);
	state_close(s);

	/* a complete frame with a wrong checksum is damage: warned about and kept in tasks.bad */
	read_file(tasks, &log);
	put_file(tasks, "\x04\0\0\0\0\0\0\0\x01\0\0\0", 12, 1);
	capture_begin(&c);
	s = state_open(dir, STATE_WRITE);
	capture_end(&c, &msg);
	CHECK(strstr(msg.data, "is corrupt after byte") != NULL);
	CHECK_INT(file_size(tasks), log.len);
	state_close(s);
	char *bad = path_in(dir, "tasks.bad");
	CHECK_INT(file_size(bad), log.len + 12);
	free(bad);
	buf_release(&log);
	buf_release(&msg);
	free(tasks);
	rm_rf(dir);
}

static void test_bad_header(const char *content, size_t n, const char *expect)
{
	char *dir = tmpdir();
	char *tasks = path_in(dir, "tasks"), *bad = path_in(dir, "tasks.bad");
	struct buf msg = BUF_INIT, moved = BUF_INIT;
	struct capture c;
	struct state *s;
	int count = 0;

	put_file(tasks, content, n, 0);
	capture_begin(&c);
	s = state_open(dir, STATE_WRITE);
	capture_end(&c, &msg);
	CHECK(s != NULL);
	CHECK(strstr(msg.data, tasks) != NULL);
	CHECK(strstr(msg.data, expect) != NULL);
	state_each(s, count_each, &count);
	CHECK_INT(count, 0);
	CHECK_INT(read_file(bad, &moved), 0);
	CHECK(moved.len == n && memcmp(moved.data, content, n) == 0);
	CHECK_INT(file_size(tasks), 8);
	record(s, "a", 1);
	state_close(s);
	s = state_open(dir, 0);
	CHECK_INT(get_index(s, "a"), 1);
	state_close(s);
	buf_release(&msg);
	buf_release(&moved);
	free(tasks);
	free(bad);
	rm_rf(dir);
}

static void test_bitflip(void)
{
	char *dir = tmpdir();
	char *tasks = path_in(dir, "tasks");
	struct state *s = state_open(dir, STATE_WRITE);
	struct buf log = BUF_INIT, msg = BUF_INIT;
	long long end[10];
	struct capture c;
	char name[16];
	int i;

	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "task%d", i);
		record(s, name, i + 100);
		end[i] = file_size(tasks);
	}
	state_close(s);
	read_file(tasks, &log);
	log.data[(end[4] + end[5]) / 2] ^= 0x10;
	put_file(tasks, log.data, log.len, 0);

	capture_begin(&c);
	s = state_open(dir, 0);
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "task%d", i);
		CHECK_INT(get_index(s, name), i < 5 ? i + 100 : -2);
	}
	state_close(s);
	CHECK_INT(file_size(tasks), log.len);
	s = state_open(dir, STATE_WRITE);
	capture_end(&c, &msg);
	CHECK(strstr(msg.data, "corrupt") != NULL);
	CHECK_INT(file_size(tasks), end[4]);
	record(s, "task7", 7);
	state_close(s);
	s = state_open(dir, 0);
	CHECK_INT(get_index(s, "task4"), 104);
	CHECK_INT(get_index(s, "task7"), 7);
	CHECK(state_get(s, "task5") == NULL);
	state_close(s);
	buf_release(&log);
	buf_release(&msg);
	free(tasks);
	rm_rf(dir);
}

static void test_compaction(void)
{
	char *dir = tmpdir();
	char *tasks = path_in(dir, "tasks");
	struct state *s = state_open(dir, STATE_WRITE);
	long long before, after, few;
	char name[16];
	int i, n = 0;

	/* 40 dead frames: not worth compacting */
	for (i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "t%d", i % 10);
		record(s, name, i);
	}
	before = file_size(tasks);
	state_close(s);
	CHECK_INT(file_size(tasks), before);

	s = state_open(dir, STATE_WRITE);
	for (i = 50; i < 200; i++) {
		snprintf(name, sizeof(name), "t%d", i % 10);
		record(s, name, i);
	}
	state_forget(s, "t9");
	before = file_size(tasks);
	state_close(s);
	after = file_size(tasks);
	CHECK(after < before / 10);

	s = state_open(dir, STATE_WRITE);
	for (i = 0; i < 9; i++) {
		snprintf(name, sizeof(name), "t%d", i);
		CHECK_INT(get_index(s, name), 190 + i);
	}
	CHECK(state_get(s, "t9") == NULL);
	state_each(s, count_each, &n);
	CHECK_INT(n, 9);
	state_close(s);
	CHECK_INT(file_size(tasks), after);

	/* a log of one record and 70 tombstones compacts to the header and that record */
	s = state_open(dir, STATE_WRITE);
	for (i = 0; i < 70; i++) {
		snprintf(name, sizeof(name), "x%d", i);
		record(s, name, i);
		state_forget(s, name);
	}
	for (i = 1; i < 9; i++) {
		snprintf(name, sizeof(name), "t%d", i);
		state_forget(s, name);
	}
	state_close(s);
	s = state_open(dir, STATE_WRITE);
	few = file_size(tasks);
	CHECK_INT(get_index(s, "t0"), 190);
	n = 0;
	state_each(s, count_each, &n);
	CHECK_INT(n, 1);
	state_close(s);
	CHECK_INT(few, 8 + 8 + 3 + 2 + 60);
	free(tasks);
	rm_rf(dir);
}

static void test_lock(void)
{
	char *dir = tmpdir();
	char *lockfile = path_in(dir, "lock");
	int up[2], down[2];
	char ch, *want;
	struct capture c;
	struct buf msg = BUF_INIT;
	struct state *s;
	pid_t pid;
	int status;

	if (pipe(up) < 0 || pipe(down) < 0)
		fatal("pipe:");
	pid = fork();
	if (pid < 0)
		fatal("fork:");
	if (pid == 0) {
		struct taskrec r = mkrec("child", 42);
		/* so that the read below ends if the parent dies */
		close(up[0]), close(down[1]);
		s = state_open(dir, STATE_WRITE);
		if (!s || state_record(s, &r) < 0 || write(up[1], "r", 1) != 1)
			_exit(1);
		if (read(down[0], &ch, 1) != 1)
			_exit(1);
		/* long enough for the parent to be waiting */
		usleep(300000);
		state_close(s);
		_exit(0);
	}
	close(up[1]), close(down[0]);
	CHECK_INT(read(up[0], &ch, 1), 1);

	capture_begin(&c);
	s = state_open(dir, STATE_WRITE | STATE_NOWAIT);
	capture_end(&c, &msg);
	CHECK(s == NULL);
	want = xasprintf("'%s' is locked by pid %ld; another sindri-build is running there", dir, (long)pid);
	CHECK(strstr(msg.data, want) != NULL);
	free(want);

	/* readers do not need the lock */
	s = state_open(dir, 0);
	CHECK_INT(get_index(s, "child"), 42);
	state_close(s);

	CHECK_INT(write(down[1], "x", 1), 1);
	capture_begin(&c);
	s = state_open(dir, STATE_WRITE);
	capture_end(&c, &msg);
	CHECK(s != NULL);
	want = xasprintf("waiting for the lock on '%s' held by pid %ld\n", dir, (long)pid);
	CHECK(strstr(msg.data, want) != NULL);
	CHECK(strchr(msg.data, '\n') == msg.data + msg.len - 1);
	free(want);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_INT(get_index(s, "child"), 42);
	state_close(s);

	s = state_open(dir, STATE_WRITE | STATE_NOWAIT);
	CHECK(s != NULL);
	state_close(s);
	close(up[0]), close(down[1]);
	buf_release(&msg);
	free(lockfile);
	rm_rf(dir);
}

struct check_all {
	int64_t max;
	int bad;
	int count;
};

static void check_one(const struct taskrec *r, void *arg)
{
	struct check_all *ca = arg;
	int64_t i = rec_index(r);
	char name[16];

	if (strcmp(r->name, "after") == 0)
		return;
	snprintf(name, sizeof(name), "k%d", (int)(i % 37));
	if (i < 0 || strcmp(name, r->name) != 0)
		ca->bad++;
	if (i > ca->max)
		ca->max = i;
	ca->count++;
}

/* A child appends (and writes blobs) in a loop until SIGKILL; whatever a reader finds afterwards must be whole. */
static void test_kill9(void)
{
	char *dir = tmpdir();
	int round;

	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	for (round = 0; round < 5; round++) {
		struct check_all ca = {-1, 0, 0};
		struct buf blob = BUF_INIT;
		struct state *s;
		int fds[2], status;
		pid_t pid;
		char ch;

		if (pipe(fds) < 0)
			fatal("pipe:");
		pid = fork();
		if (pid < 0)
			fatal("fork:");
		if (pid == 0) {
			pid_t parent = getppid();
			char name[16], text[32];
			int64_t i;
			close(fds[0]);
			s = state_open(dir, STATE_WRITE);
			if (!s)
				_exit(1);
			for (i = round * 1000000 + 1;; i++) {
				struct taskrec r;
				snprintf(name, sizeof(name), "k%d", (int)(i % 37));
				r = mkrec(name, i);
				if (state_record(s, &r) < 0)
					_exit(1);
				if (i % 11 == 0 && state_forget(s, name) < 0)
					_exit(1);
				snprintf(text, sizeof(text), "blob %lld.", (long long)i);
				if (i % 5 == 0 && state_put_blob(s, name, text, strlen(text)) < 0)
					_exit(1);
				if (i == round * 1000000 + 1 && write(fds[1], "r", 1) != 1)
					_exit(1);
				/* never outlive a parent that died before killing us */
				if (getppid() != parent)
					_exit(1);
			}
		}
		close(fds[1]);
		CHECK_INT(read(fds[0], &ch, 1), 1);
		close(fds[0]);
		usleep((useconds_t)(rand() % 50000));
		kill(pid, SIGKILL);
		CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

		s = state_open(dir, 0);
		state_each(s, check_one, &ca);
		CHECK_INT(ca.bad, 0);
		CHECK(ca.max > round * 1000000);
		CHECK(ca.count > 0 && ca.count <= 37);
		for (int k = 0; k < 37; k++) {
			char name[16];
			long long v;
			snprintf(name, sizeof(name), "k%d", k);
			buf_reset(&blob);
			if (state_get_blob(s, name, &blob) == 0)
				CHECK(sscanf(blob.data, "blob %lld.", &v) == 1 && v % 37 == k && blob.data[blob.len - 1] == '.');
		}
		state_close(s);

		/* a writer after the crash can append, and its record is read back */
		s = state_open(dir, STATE_WRITE);
		CHECK(s != NULL);
		record(s, "after", round);
		state_close(s);
		s = state_open(dir, 0);
		CHECK_INT(get_index(s, "after"), round);
		state_close(s);
		buf_release(&blob);
	}
	rm_rf(dir);
}

static void test_long_name(void)
{
	char *dir = tmpdir();
	struct state *s = state_open(dir, STATE_WRITE);
	char *name = xmalloc(70000);
	struct taskrec r;
	struct capture c;
	struct buf msg = BUF_INIT;

	memset(name, 'n', 69999);
	name[69999] = '\0';
	r = mkrec(name, 1);
	capture_begin(&c);
	CHECK_INT(state_record(s, &r), -1);
	capture_end(&c, &msg);
	CHECK(strstr(msg.data, "longer than") != NULL);
	name[65535] = '\0';
	r = mkrec(name, 2);
	CHECK_INT(state_record(s, &r), 0);
	state_close(s);
	s = state_open(dir, 0);
	CHECK_INT(get_index(s, name), 2);
	state_close(s);
	free(name);
	buf_release(&msg);
	rm_rf(dir);
}

int main(void)
{
	static const char corrupt[] = "XXXXjunkjunk";
	static const char shorter[] = "SBT";
	static const char foreign[] = "SBTL\x63\0\0\0more bytes";

	/* a broken lock would hang the lock test rather than fail it */
	alarm(120);
	test_roundtrip();
	test_replace_and_forget();
	test_each_sorted();
	test_blobs();
	test_readonly_missing();
	test_readonly_unchanged();
	test_torn_tail();
	test_bad_header(corrupt, sizeof(corrupt) - 1, "is corrupt; moving it to '");
	test_bad_header(shorter, sizeof(shorter) - 1, "is corrupt; moving it to '");
	test_bad_header(foreign, sizeof(foreign) - 1, "from another version of sindri-build (version 99); starting a new one");
	test_bitflip();
	test_compaction();
	test_lock();
	test_kill9();
	test_long_name();
	return t_done("engine_state");
}
