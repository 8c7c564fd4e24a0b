/* outputs: the list of outputs a recorded run declared (a side blob of the state), and -t clean's removal, which
 * never follows a symlink out of the project. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "graph.h"
#include "outputs.h"
#include "state.h"
#include "util.h"

/*
 * The blob: "sindri-build outputs 1\n", the key of the run in hex, '\n', then per output "<length>:<path>\n". Its
 * name holds a newline, which no task name does, so it never is the explain blob of a task.
 */
static const char magic[] = "sindri-build outputs 1\n";

static char *blob_name(const struct task *t)
{
	return xasprintf("outputs\n%s", t->name);
}

int outputs_check(const char *path, struct buf *why)
{
	if (!*path) {
		buf_adds(why, "empty output path; give a file's path relative to the project root");
		return -1;
	}
	if (*path == '/') {
		buf_addf(why, "output '%s' is an absolute path; outputs are paths inside the project, relative to its root",
		         path);
		return -1;
	}
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			buf_addf(why, "output '%s' leaves the project with '..'; outputs are paths inside the project, relative "
			         "to its root", path);
			return -1;
		}
		p += n + (p[n] == '/');
	}
	return 0;
}

int outputs_record(struct state *st, const struct task *t)
{
	struct buf b = BUF_INIT;
	char hex[HASH_HEX_LEN + 1];
	char *name = blob_name(t);
	int ret;

	hash_hex(&t->key, hex);
	buf_adds(&b, magic);
	buf_addf(&b, "%s\n", hex);
	for (size_t i = 0; i < t->outputs.n; i++)
		buf_addf(&b, "%zu:%s\n", strlen(t->outputs.v[i]), t->outputs.v[i]);
	ret = state_put_blob(st, name, b.data, b.len);
	buf_release(&b);
	free(name);
	return ret;
}

/* recorded: the outputs the run with key produced, from the blob: 0, or -1 when there is no list for that run. */
static int recorded(const struct state *st, const struct task *t, const struct hash128 *key, struct strv *out)
{
	struct buf b = BUF_INIT;
	char hex[HASH_HEX_LEN + 1];
	char *name = blob_name(t);
	const char *p, *end;
	int ret = -1;

	hash_hex(key, hex);
	if (state_get_blob(st, name, &b) < 0 || b.len < sizeof(magic) - 1 + HASH_HEX_LEN + 1 ||
	    memcmp(b.data, magic, sizeof(magic) - 1) != 0)
		goto out;
	p = b.data + sizeof(magic) - 1;
	end = b.data + b.len;
	/* a list kept by a later run whose record did not land, or by an earlier one: not this run's */
	if (memcmp(p, hex, HASH_HEX_LEN) != 0 || p[HASH_HEX_LEN] != '\n')
		goto out;
	for (p += HASH_HEX_LEN + 1; p < end;) {
		char *colon;
		unsigned long long n = strtoull(p, &colon, 10);
		if (colon == p || *colon != ':' || n > (unsigned long long)(end - colon - 1) || colon[1 + n] != '\n')
			goto bad;
		char *path = xstrndup(colon + 1, (size_t)n);
		strv_push(out, path);
		free(path);
		p = colon + 1 + n + 1;
	}
	ret = 0;
	goto out;
bad:
	strv_release(out);
out:
	buf_release(&b);
	free(name);
	return ret;
}

int unlink_beneath(int rootfd, const char *path, struct buf *why)
{
	struct buf seg = BUF_INIT;
	const char *p = path;
	int dfd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret = -1;

	if (dfd < 0) {
		buf_addf(why, "cannot open the project root: %s", strerror(errno));
		return -1;
	}
	if (outputs_check(path, why) < 0)
		goto out;
	for (;;) {
		size_t n;
		p += strspn(p, "/");
		n = strcspn(p, "/");
		buf_reset(&seg);
		buf_add(&seg, p, n);
		p += n;
		int last = !p[strspn(p, "/")];
		if (n == 0 || (n == 1 && seg.data[0] == '.')) {
			if (last) {
				ret = 0; /* the root, or a directory given with its trailing '/': clean removes files only */
				break;
			}
			continue;
		}
		if (last) {
			/* unlinkat never follows: a symlink output is removed itself */
			if (unlinkat(dfd, seg.data, 0) == 0)
				ret = 1;
			else if (errno == ENOENT || errno == ENOTDIR || errno == EISDIR)
				ret = 0;
			else
				buf_addf(why, "cannot remove '%s': %s", path, strerror(errno));
			break;
		}
		int nfd = openat(dfd, seg.data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0) {
			struct stat st;
			int saved = errno;
			if (saved == ENOENT) {
				ret = 0;
			} else if (fstatat(dfd, seg.data, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
				buf_addf(why, "'%.*s' on its way is a symlink, which may lead out of the project; remove it by hand "
				         "if you mean to", (int)(p - path), path);
			} else if (saved == ENOTDIR) {
				ret = 0; /* a file where a directory would be: the output is not there */
			} else {
				buf_addf(why, "cannot open '%.*s': %s", (int)(p - path), path, strerror(saved));
			}
			break;
		}
		close(dfd);
		dfd = nfd;
	}
out:
	close(dfd);
	buf_release(&seg);
	return ret;
}

int outputs_clean(const struct state *st, const struct task *t, int rootfd, int named)
{
	const struct taskrec *rec = state_get(st, t->name);
	struct strv paths = {0};
	int ret = 0;

	if (!rec) {
		if (named && t->outputs.n)
			printf("task '%s' has no recorded run: nothing removed\n", t->name);
		return 0;
	}
	if (recorded(st, t, &rec->key, &paths) < 0) {
		/* a record from before the lists were kept, or a lost blob: what that run made is not known */
		if (t->outputs.n)
			printf("task '%s': which outputs its recorded run made is not known (an older sindri-build recorded it, "
			       "or the list was lost): nothing removed; remove them by hand\n", t->name);
		return 0;
	}
	for (size_t i = 0; i < paths.n; i++) {
		struct buf why = BUF_INIT;
		int r = unlink_beneath(rootfd, paths.v[i], &why);
		if (r == 1)
			printf("removed '%s'\n", paths.v[i]);
		else if (r < 0)
			ret = error("task '%s': not removing '%s': %s", t->name, paths.v[i], why.data);
		buf_release(&why);
	}
	strv_release(&paths);
	return ret;
}
