/* ctxseal: keying a build context's entries, and writing the context from exactly the bytes that were keyed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctxseal.h"
#include "ctxtar.h"
#include "dockerctx.h"
#include "filecache.h"
#include "graph.h"
#include "hashpool.h"
#include "key.h"
#include "util.h"

/* A part records an entry as its kind, its permission bits (NOMODE when they do not reach the image) and a file's
 * content hash or a symlink's target text, hashed. */
#define NOMODE 0xffffffffu
#define CHUNK (1 << 17)

struct sealent {
	char *path;
	char kind;              /* 'f' file, 'd' directory, 'l' symlink */
	int keymode;
	struct hash128 part;    /* the key part's hash */
	struct hash128 content; /* a file's */
};

struct ctxseal {
	struct sealent *v; /* sorted by path, as dockerctx_entries gave them */
	size_t n;
	char *ctx;         /* the context directory, relative to the root */
	struct buf df;     /* the Dockerfile's bytes, as parsed and keyed */
	struct buf alt;    /* the Dockerfile the build gets instead, when rewritten (ctxseal_sent_dockerfile) */
	int rewritten;
	char *dfname;      /* its name in the tar; NULL: the context is sealed as a directory */
	int dfentry;       /* dfname is an entry of the context itself (then the tar holds it once, as that) */
	int legacy;        /* the build uses the legacy builder (ctxseal_legacy) */
	int ignore;        /* the tar holds a .dockerignore that lists itself and dfname (see place_legacy) */
	int blind;         /* legacy: a link the legacy builder's COPY cache cannot tell apart (ctxseal_no_cache) */
	char *dir;         /* the sealed directory while it exists; then "DIR/Dockerfile", "DIR/context" */
	char *dir_df, *dir_ctx;
	/* the thread that writes the tar into the build's stdin, while the build reads it */
	pthread_t writer;
	int writing;       /* started and not joined yet */
	int wfd, wctx;     /* the pipe's write end, the context directory: the writer's, it closes them */
	char *task;        /* for its messages */
	int sent;          /* it wrote every entry, checked, and the tar's end */
};

/* Names the Dockerfile may take in a tar when it is not an entry of the context itself. */
static const char *const df_names[] = {".sindri-build.Dockerfile", "Dockerfile.sindri-build"};

struct ctxseal *ctxseal_new(void)
{
	return xcalloc(1, sizeof(struct ctxseal));
}

static void release_entries(struct ctxseal *cs)
{
	for (size_t i = 0; i < cs->n; i++)
		free(cs->v[i].path);
	free(cs->v);
	cs->v = NULL;
	cs->n = 0;
}

void ctxseal_legacy(struct ctxseal *cs, int legacy)
{
	cs->legacy = legacy;
}

void ctxseal_free(struct ctxseal *cs)
{
	if (!cs)
		return;
	ctxseal_close(cs);
	release_entries(cs);
	free(cs->ctx);
	buf_release(&cs->df);
	buf_release(&cs->alt);
	free(cs->dfname);
	free(cs->task);
	free(cs);
}

/*
 * record: an entry's part: the hash of a file's content or of a symlink's target text (n bytes), mixed with its kind
 * and mode by multiplying them with two odd constants, which is one-to-one: two entries whose content or target
 * hashes are equal differ exactly when their kinds or modes do. (A record hashed whole costs an XXH3 call per entry
 * of every no-op; the content is hashed already.)
 */
static struct hash128 record(char kind, uint32_t perm, const struct hash128 *content, const char *link, size_t n)
{
	struct hash128 h = {0, 0};
	uint64_t m = (uint64_t)(unsigned char)kind << 32 | perm;

	if (link)
		h = hash_bytes(link, n);
	else if (content)
		h = *content;
	h.lo ^= m * 0x9e3779b97f4a7c15ULL;
	h.hi ^= m * 0xc2b2ae3d27d4eb4fULL;
	return h;
}

static char kind_of(uint32_t mode)
{
	return S_ISREG(mode) ? 'f' : S_ISDIR(mode) ? 'd' : S_ISLNK(mode) ? 'l' : 0;
}

/* describe: the part's value for explain ("file 0644", "dir", "link -> x"), in b, without printf: this runs for
 * every entry of a no-op. */
static const char *describe(struct buf *b, char kind, uint32_t perm, const char *link)
{
	static char v[10] = "file 0000";
	int n = kind == 'f' ? 4 : 3;

	if (link) {
		buf_reset(b);
		buf_adds(b, "link -> ");
		buf_adds(b, link);
		return b->data;
	}
	memcpy(v, kind == 'f' ? "file" : "dir", (size_t)n);
	if (perm == NOMODE) {
		v[n] = '\0';
	} else {
		v[n] = ' ';
		for (int i = 0; i < 4; i++)
			v[n + 1 + i] = (char)('0' + (perm >> (9 - 3 * i) & 7));
		v[n + 5] = '\0';
	}
	return v;
}

/* in_context: the Dockerfile's path relative to the context directory, or NULL when it lies outside (malloc'd). */
static char *in_context(const char *dockerfile, const char *ctx)
{
	size_t n;

	while (dockerfile[0] == '.' && dockerfile[1] == '/')
		dockerfile += 2;
	while (ctx[0] == '.' && ctx[1] == '/')
		ctx += 2;
	if (strcmp(ctx, ".") == 0)
		return str_has_prefix(dockerfile, "../") ? NULL : xstrdup(dockerfile);
	n = strlen(ctx);
	while (n && ctx[n - 1] == '/')
		n--;
	if (strncmp(dockerfile, ctx, n) != 0 || dockerfile[n] != '/')
		return NULL;
	return xstrdup(dockerfile + n + 1);
}

/*
 * place_legacy: the legacy builder reads the Dockerfile from the tar, then takes it and .dockerignore out of the
 * context when the tar's .dockerignore lists them; docker build's own tar always holds both for that. So a context a
 * COPY reads whole still goes as a tar when the Dockerfile lies in it and .dockerignore left it out: there, with
 * a .dockerignore that lists itself and the Dockerfile when the context's own is not an entry. (A directory instead
 * is sent by the docker client with the Dockerfile added under a random name, which it appends to the .dockerignore
 * that COPY then copies.) A Dockerfile below a directory that is not an entry leaves it behind empty (0755, made by
 * the daemon's untar), as docker build's tar does. Names that would need escaping in a pattern go as a directory.
 */
static void place_legacy(struct ctxseal *cs, const struct ctxlist *l, char *own)
{
	const struct ctxent *ign = ctxlist_find(l, ".dockerignore");
	size_t lo = ctxlist_lower(l, 0, own);
	int plain = 1;

	/* every part of the path a name: no "", "." or ".." (the tar and the pattern take it as it is) */
	for (const char *p = own; plain; p++) {
		size_t n = strcspn(p, "/");
		plain = n && !(n == 1 && p[0] == '.') && !(n == 2 && p[0] == '.' && p[1] == '.');
		p += n;
		if (!*p)
			break;
	}
	/* a .dockerignore entry that is not a file would be a second .dockerignore in the tar: a directory then */
	if (!plain || strpbrk(own, "*?[\\\n\r!# \t") || strcmp(own, ".dockerignore") == 0 ||
	    (ign && !S_ISREG(ign->st.mode)) ||
	    (lo < l->n && str_has_prefix(l->v[lo].path, own) && l->v[lo].path[strlen(own)] == '/')) {
		free(own);
		return;
	}
	cs->dfname = own;
	cs->ignore = !ign;
}

/* place: where the Dockerfile goes in the tar: its own entry when the context holds it as a file (COPY . takes it
 * along there anyway), else a name that no read of the build can see; with neither, nowhere (dfname NULL). */
static void place(struct ctxseal *cs, const struct ctxlist *l, const struct dockerfile *df, const char *dockerfile)
{
	char *own = in_context(dockerfile, cs->ctx);
	const struct ctxent *e = own ? ctxlist_find(l, own) : NULL;

	free(cs->dfname);
	cs->dfname = NULL;
	/* a rewritten Dockerfile is not the entry a COPY of it takes */
	cs->ignore = 0;
	cs->dfentry = e && S_ISREG(e->st.mode) && !cs->rewritten;
	if (cs->dfentry) {
		cs->dfname = own;
		return;
	}
	if (cs->legacy && l->whole && own && !e) {
		place_legacy(cs, l, own);
		return;
	}
	free(own);
	for (size_t i = 0; i < sizeof(df_names) / sizeof(*df_names) && !cs->dfname; i++) {
		/* taken when an entry is that name or lies below it: the first path from "name/" on tells */
		char *below = xasprintf("%s/", df_names[i]);
		size_t lo = ctxlist_lower(l, 0, below);
		int taken = ctxlist_find(l, df_names[i]) || (lo < l->n && str_has_prefix(l->v[lo].path, below));
		if (!taken && !dockerctx_visible(df, l, df_names[i]))
			cs->dfname = xstrdup(df_names[i]);
		free(below);
	}
}

void ctxseal_sent_dockerfile(struct ctxseal *cs, const char *text, size_t len)
{
	buf_reset(&cs->alt);
	cs->rewritten = text != NULL;
	if (text)
		buf_add(&cs->alt, text, len);
}

/* sent_df: the Dockerfile the build gets. */
static const struct buf *sent_df(const struct ctxseal *cs)
{
	return cs->rewritten ? &cs->alt : &cs->df;
}

static int blind_link(const struct ctxseal *cs, const char *path, const char *target, struct buf *tmp);

int ctxseal_key(struct ctxseal *cs, struct ctxlist *l, const char *ctx, const struct dockerfile *df,
                const char *dockerfile, const char *text, size_t len, struct keyparts *kp, const struct keyenv *ke,
                const char *task)
{
	struct buf full = BUF_INIT, name = BUF_INIT, value = BUF_INIT, target = BUF_INIT;
	size_t prefix;
	int ret = 0;

	release_entries(cs);
	cs->v = xreallocarray(NULL, l->n + 1, sizeof(*cs->v)); /* every field is set below */
	free(cs->ctx);
	cs->ctx = xstrdup(ctx);
	buf_reset(&cs->df);
	buf_add(&cs->df, text, len);
	place(cs, l, df, dockerfile);
	/* full: the context's path as the stat cache names files, then each entry's path in turn */
	buf_adds(&full, "");
	if (strcmp(ctx, ".") != 0) {
		buf_adds(&full, ctx);
		buf_addc(&full, '/');
	}
	prefix = full.len;
	/* every file's content first, read on every core (hashpool); taken below in list order */
	struct hashjob *jobs = xreallocarray(NULL, l->n + 1, sizeof(*jobs));
	size_t njobs = 0, nextjob = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (kind_of(l->v[i].st.mode) != 'f')
			continue;
		jobs[njobs++] = (struct hashjob){.path = prefix ? xasprintf("%s%s", full.data, l->v[i].path) : l->v[i].path,
		                                 .st = &l->v[i].st};
	}
	if (hashpool_hash(ke, task, jobs, njobs) < 0)
		ret = -1;
	buf_adds(&name, "ctx:");
	for (size_t i = 0; i < l->n && ret == 0; i++) {
		struct ctxent *e = &l->v[i];
		struct sealent *s = &cs->v[cs->n];
		uint32_t perm = e->keymode ? e->st.mode & 07777 : NOMODE;
		const char *link = NULL;

		if (ke->stop && *ke->stop) {
			ret = -1;
			break;
		}
		s->kind = kind_of(e->st.mode);
		if (!s->kind)
			continue;
		if (s->kind != 'd') {
			full.len = prefix;
			buf_adds(&full, e->path);
		}
		memset(&s->content, 0, sizeof(s->content));
		if (s->kind == 'f' && (errno = jobs[nextjob].err) != 0) {
			ret = error("image '%s': cannot read '%s':", task, full.data);
			break;
		}
		if (s->kind == 'f')
			s->content = jobs[nextjob++].hash;
		if (s->kind == 'l') {
			if (read_link(ke->rootfd, full.data, &target) < 0) {
				ret = error("image '%s': cannot read the symlink '%s':", task, full.data);
				break;
			}
			link = target.data;
		}
		s->part = record(s->kind, perm, s->kind == 'f' ? &s->content : NULL, link, link ? target.len : 0);
		s->keymode = e->keymode;
		s->path = e->path;
		e->path = NULL;
		cs->n++;
		name.len = 4;
		buf_adds(&name, s->path);
		keyparts_add(kp, name.data, &s->part, describe(&value, s->kind, perm, link));
		/* the Dockerfile is also a file the build copies: the bytes parsed must be the ones keyed there */
		if (cs->dfentry && strcmp(s->path, cs->dfname) == 0) {
			struct hash128 parsed = hash_bytes(text, len);
			if (!hash_eq(&parsed, &s->content))
				ret = error("image '%s': the Dockerfile '%s' changed while it was read; run again", task, dockerfile);
		}
	}
	for (size_t k = 0; prefix && k < njobs; k++)
		free((char *)jobs[k].path);
	free(jobs);
	ctxlist_release(l);
	cs->blind = 0;
	for (size_t i = 0; i < cs->n && cs->legacy && ret == 0 && !cs->blind; i++) {
		if (cs->v[i].kind != 'l')
			continue;
		full.len = prefix;
		buf_adds(&full, cs->v[i].path);
		cs->blind = read_link(ke->rootfd, full.data, &target) < 0 || blind_link(cs, cs->v[i].path, target.data, &value);
	}
	buf_release(&full);
	buf_release(&name);
	buf_release(&value);
	buf_release(&target);
	return ret;
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* find: the index of path in cs, or -1. */
static long find(const struct ctxseal *cs, const char *path)
{
	const struct sealent *e = cs->n ? bsearch(&path, cs->v, cs->n, sizeof(*cs->v), cmp_path) : NULL;

	return e ? (long)(e - cs->v) : -1;
}

/* resolve: the path that a symlink at path with the target text names, from the text alone and scoped to the
 * context as the legacy daemon follows links ("..", at the root, stays there; "/x" is the context's x), in out. */
static void resolve(struct buf *out, const char *path, const char *target)
{
	const char *slash = strrchr(path, '/');

	buf_reset(out);
	if (target[0] != '/' && slash)
		buf_add(out, path, (size_t)(slash - path));
	for (const char *p = target; *p;) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *up = out->len ? memrchr(out->data, '/', out->len) : NULL;
			out->len = up ? (size_t)(up - out->data) : 0;
		} else if (n && !(n == 1 && p[0] == '.')) {
			if (out->len)
				buf_addc(out, '/');
			buf_add(out, p, n);
		}
		for (p += n; *p == '/'; p++) {
		}
	}
	buf_addc(out, '\0');
	out->len--;
}

/*
 * blind_link: the legacy builder's COPY cache keys a symlink by the checksum of what it names in the context sent,
 * and by its own path when that names nothing there (dangling, left out, outside, the root): retargeting such a
 * link keeps the cached layer, and the old link. 1 for such a link, and, to be safe, for one that names another.
 */
static int blind_link(const struct ctxseal *cs, const char *path, const char *target, struct buf *tmp)
{
	long i;

	resolve(tmp, path, target);
	if (!tmp->len)
		return 1;
	i = find(cs, tmp->data);
	if (i >= 0)
		return cs->v[i].kind == 'l';
	/* a directory on the way to an entry: the tar holds it */
	for (size_t k = 0; k < cs->n; k++)
		if (str_has_prefix(cs->v[k].path, tmp->data) && cs->v[k].path[tmp->len] == '/')
			return 0;
	return 1;
}

int ctxseal_no_cache(const struct ctxseal *cs)
{
	return cs && cs->blind;
}

/* changed: an entry is not what was keyed any more. */
static int changed(struct buf *why, const char *path)
{
	buf_addf(why, "'%s' changed after it was hashed", path);
	return 1;
}

/* put_file: stream the file at path into s, hashing what is written; 1 when it is not what was keyed. */
static int put_file(struct ctxsink *s, int ctxfd, const struct sealent *e, char *chunk, struct buf *why)
{
	int fd = openat(ctxfd, e->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	struct hasher h;
	struct hash128 content, part;
	struct stat st;
	uint64_t left;
	int ret = 0;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		return changed(why, e->path);
	}
	if (ctxsink_entry(s, e->path, 'f', st.st_mode & 07777, st.st_mtim.tv_sec, (uint64_t)st.st_size, NULL) < 0) {
		close(fd);
		return -1;
	}
	hasher_init(&h);
	for (left = (uint64_t)st.st_size; left && ret == 0;) {
		ssize_t n = read(fd, chunk, left < CHUNK ? (size_t)left : CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? error("cannot read '%s':", e->path) : changed(why, e->path); /* shorter now */
			break;
		}
		hasher_add(&h, chunk, (size_t)n);
		ret = ctxsink_data(s, chunk, (size_t)n);
		left -= (uint64_t)n;
	}
	/* bytes appended since the fstat are not read: the tar holds size bytes, and those are checked */
	content = hasher_final(&h);
	close(fd);
	if (ret)
		return ret;
	part = record('f', e->keymode ? st.st_mode & 07777 : NOMODE, &content, NULL, 0);
	if (!hash_eq(&part, &e->part))
		return changed(why, e->path);
	return ctxsink_end(s);
}

/* put: entry e, checked against its part. */
static int put(struct ctxsink *s, int ctxfd, const struct sealent *e, char *chunk, struct buf *target, struct buf *why)
{
	struct stat st;
	struct hash128 part;

	if (e->kind == 'f')
		return put_file(s, ctxfd, e, chunk, why);
	if (fstatat(ctxfd, e->path, &st, AT_SYMLINK_NOFOLLOW) < 0 || kind_of(st.st_mode) != e->kind)
		return changed(why, e->path);
	if (e->kind == 'l' && read_link(ctxfd, e->path, target) < 0)
		return changed(why, e->path);
	part = record(e->kind, e->keymode ? st.st_mode & 07777 : NOMODE, NULL, e->kind == 'l' ? target->data : NULL,
	              e->kind == 'l' ? target->len : 0);
	if (!hash_eq(&part, &e->part))
		return changed(why, e->path);
	return ctxsink_entry(s, e->path, e->kind, st.st_mode & 07777, st.st_mtim.tv_sec, 0,
	                     e->kind == 'l' ? target->data : NULL);
}

/* parents: the directories on the way to the entries that are not entries themselves, sorted. */
static void parents(const struct ctxseal *cs, struct strv *out)
{
	for (size_t i = 0; i < cs->n; i++) {
		char *p = xstrdup(cs->v[i].path);
		for (char *s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
			*s = '\0';
			if (find(cs, p) < 0 && !(out->n && strcmp(out->v[out->n - 1], p) == 0))
				strv_push(out, p);
			*s = '/';
		}
		free(p);
	}
	strv_sort(out);
}

/* write_entries: the directories on the way and the entries, in path order (a directory before what it holds). */
static int write_entries(const struct ctxseal *cs, int ctxfd, struct ctxsink *s, struct buf *why)
{
	struct strv dirs = {0};
	struct buf target = BUF_INIT;
	char *chunk = xmalloc(CHUNK);
	size_t i = 0, j = 0;
	int ret = 0;

	parents(cs, &dirs);
	while (ret == 0 && (i < cs->n || j < dirs.n)) {
		if (j < dirs.n && (i == cs->n || strcmp(dirs.v[j], cs->v[i].path) <= 0)) {
			struct stat st;
			const char *d = dirs.v[j++];
			if (j > 1 && strcmp(d, dirs.v[j - 2]) == 0)
				continue;
			if (fstatat(ctxfd, d, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
				ret = changed(why, d);
			else
				ret = ctxsink_entry(s, d, 'd', st.st_mode & 07777, st.st_mtim.tv_sec, 0, NULL);
		} else {
			ret = put(s, ctxfd, &cs->v[i++], chunk, &target, why);
		}
	}
	strv_release(&dirs);
	buf_release(&target);
	free(chunk);
	return ret;
}


static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static int open_up(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)ftw;
	if (flag == FTW_D && (st->st_mode & 0700) != 0700)
		chmod(path, st->st_mode | 0700);
	return 0;
}

/* remove_tree: remove a sealed directory, whatever modes its copies have. */
static void remove_tree(const char *path)
{
	nftw(path, open_up, 16, FTW_PHYS);
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int ctxseal_close(struct ctxseal *cs)
{
	int ret = 0;

	if (cs->writing) {
		pthread_join(cs->writer, NULL);
		cs->writing = 0;
		ret = cs->sent ? 0 : -1;
	}
	if (cs->dir)
		remove_tree(cs->dir);
	free(cs->dir);
	free(cs->dir_df);
	free(cs->dir_ctx);
	cs->dir = cs->dir_df = cs->dir_ctx = NULL;
	return ret;
}

/* tmp_dir: where the sealed context is written: the state directory, else TMPDIR. */
static const char *tmp_dir(const struct keyenv *ke)
{
	struct stat st;
	const char *env = getenv("TMPDIR");

	if (ke->tmpdir && stat(ke->tmpdir, &st) == 0 && S_ISDIR(st.st_mode))
		return ke->tmpdir;
	return env && *env ? env : "/tmp";
}

/*
 * write_tar: the writer thread. It reads only what cs holds (the entries, the Dockerfile's bytes) and the files,
 * while the main thread waits for the build; its stat cache and everything else are the main thread's. An entry
 * that changed after it was hashed, or an error, ends the tar with a block no tar reader takes for a header or for
 * the end, so that the build fails: it never gets a context cut short at an entry's end, which would read as whole.
 */
static void *write_tar(void *arg)
{
	static const char end[] = "sindri-build: the build context changed while it was sent: not a tar header";
	struct ctxseal *cs = arg;
	struct ctxsink *s = ctxsink_tar(cs->wfd);
	struct buf why = BUF_INIT;
	char bad[512];
	sigset_t pipe;
	int r = 0;

	/* a build that stops reading makes a write fail with EPIPE, not kill the process, whoever ignores SIGPIPE */
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, NULL);
	if (!cs->dfentry) {
		/* the Dockerfile first, unless it is an entry of the context: the bytes that were parsed and keyed (with
		 * the secret args, when it has them) */
		const struct buf *df = sent_df(cs);
		r = ctxsink_entry(s, cs->dfname, 'f', 0644, now_ns() / 1000000000, df->len, NULL);
		if (r == 0)
			r = ctxsink_data(s, df->data ? df->data : "", df->len);
		if (r == 0)
			r = ctxsink_end(s);
	}
	if (r == 0 && cs->ignore) {
		/* for the legacy builder, which then leaves both out of the context (place_legacy) */
		char *text = xasprintf(".dockerignore\n%s\n", cs->dfname);
		size_t n = strlen(text);
		r = ctxsink_entry(s, ".dockerignore", 'f', 0644, now_ns() / 1000000000, n, NULL);
		if (r == 0)
			r = ctxsink_data(s, text, n);
		if (r == 0)
			r = ctxsink_end(s);
		free(text);
	}
	if (r == 0)
		r = write_entries(cs, cs->wctx, s, &why);
	if (ctxsink_finish(s, r == 0) < 0 && r == 0)
		r = -1;
	if (r != 0) {
		memset(bad, 0xff, sizeof(bad));
		memcpy(bad, end, sizeof(end));
		if (write_all(cs->wfd, bad, sizeof(bad)) < 0) {
			/* the build stopped reading: it failed, and says why */
		}
	}
	if (r == 1)
		error("image '%s': %s while it was sent to the build; not built: run again", cs->task, why.data);
	close(cs->wfd);
	close(cs->wctx);
	cs->sent = r == 0;
	buf_release(&why);
	return NULL;
}

/* open_tar: the sealed tar, written into a pipe by a thread while the build reads it: no file, and the writing
 * overlaps the build's start (a tar written before the build began cost a first build 2 % more). */
static int open_tar(struct ctxseal *cs, const char *task, int ctxfd, int *fd)
{
	int fds[2], err = 0;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return error("image '%s': cannot make a pipe for the build context:", task);
	/* a larger pipe: fewer switches between the writer and the build's reads; a refusal (the user's pipe
	 * size limit) only costs those switches, so it is not an error */
	(void)fcntl(fds[1], F_SETPIPE_SZ, 1 << 20);
	cs->wfd = fds[1];
	cs->wctx = fcntl(ctxfd, F_DUPFD_CLOEXEC, 0);
	free(cs->task);
	cs->task = xstrdup(task);
	cs->sent = 0;
	if (cs->wctx < 0)
		err = errno;
	else if ((err = pthread_create(&cs->writer, NULL, write_tar, cs)) != 0)
		close(cs->wctx);
	if (err != 0) {
		close(fds[0]);
		close(fds[1]);
		errno = err;
		return error("image '%s': cannot start writing the build context:", task);
	}
	cs->writing = 1;
	*fd = fds[0];
	return 0;
}

/* sweep: remove the sealed directories that runs killed outright left in dir ("sealed-PID-N", PID gone). */
static void sweep(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		long pid;
		if (sscanf(e->d_name, "sealed-%ld-", &pid) == 1 && pid > 0 && kill((pid_t)pid, 0) < 0 && errno == ESRCH) {
			char *path = xasprintf("%s/%s", dir, e->d_name);
			remove_tree(path);
			free(path);
		}
	}
	if (d)
		closedir(d);
}

/* open_dir: the sealed directory, the Dockerfile beside it. */
static int open_dir(struct ctxseal *cs, const char *tmp, const char *task, int ctxfd, struct buf *why)
{
	static unsigned serial;
	int dirfd, fd, r = -1;

	sweep(tmp);
	cs->dir = xasprintf("%s/sealed-%ld-%u", tmp, (long)getpid(), ++serial);
	cs->dir_df = xasprintf("%s/Dockerfile", cs->dir);
	cs->dir_ctx = xasprintf("%s/context", cs->dir);
	if (mkdir(cs->dir, 0700) < 0 || mkdir(cs->dir_ctx, 0700) < 0 ||
	    (dirfd = open(cs->dir_ctx, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return error("image '%s': cannot create the sealed build context '%s':", task, cs->dir_ctx);
	struct ctxsink *s = ctxsink_dir(dirfd);
	r = write_entries(cs, ctxfd, s, why);
	if (ctxsink_finish(s, r == 0) < 0 && r == 0)
		r = -1;
	close(dirfd);
	fd = r == 0 ? open(cs->dir_df, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644) : -1;
	if (r == 0 && (fd < 0 || write_all(fd, sent_df(cs)->data ? sent_df(cs)->data : "", sent_df(cs)->len) < 0))
		r = error("image '%s': cannot write '%s':", task, cs->dir_df);
	if (fd >= 0)
		close(fd);
	return r;
}

int ctxseal_open(struct ctxseal *cs, const struct keyenv *ke, const char *task, int *fd, const char **dockerfile,
                 const char **context, struct buf *why)
{
	int ctxfd = openat(ke->rootfd, cs->ctx, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

	ctxseal_close(cs);
	*fd = -1;
	if (ctxfd < 0)
		return error("image '%s': cannot open the build context '%s':", task, cs->ctx);
	if (cs->dfname) {
		r = open_tar(cs, task, ctxfd, fd);
		*dockerfile = cs->dfname;
		*context = "-";
	} else {
		r = open_dir(cs, tmp_dir(ke), task, ctxfd, why);
		*dockerfile = cs->dir_df;
		*context = cs->dir_ctx;
		if (r != 0)
			ctxseal_close(cs);
	}
	close(ctxfd);
	return r;
}
