/* gitsrc: a git ref checked out from a cached clone that is fetched on every use (libgit2). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <git2.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gitsrc.h"
#include "hash.h"
#include "util.h"

#define REMOTE "origin"
#define REF_CONFIG "sindri-build.ref"
#define URL_CONFIG "sindri-build.url"
#define MAX_NEAREST 5

static const char *const refspecs[] = {"+refs/heads/*:refs/remotes/" REMOTE "/*", "+refs/tags/*:refs/tags/*"};
/* where the fetched branches and tags are, in the order a name is looked up */
static const struct {
	const char *prefix, *glob, *kind;
} spaces[] = {{"refs/remotes/" REMOTE "/", "refs/remotes/" REMOTE "/*", "branch"}, {"refs/tags/", "refs/tags/*", "tag"}};

/* One fetch: the URL to use (it may carry userinfo), the one to show, and what the callbacks keep. */
struct fetch {
	const char *url, *shown;
	const char *token, *token_var; /* the token offered for https, and the variable it came from */
	int tries;                     /* credential callback calls: a second one means the first was refused */
	int tty;                       /* progress on stderr */
	int drawn;                     /* a progress line is on the screen */
	int last;                      /* the last percentage drawn, plus 1000 in the deltas phase */
};

static const char *git_msg(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unknown libgit2 error";
}

/* is_path: a URL that is a plain path (neither scheme://... nor scp-like host:path). */
static int is_path(const char *url)
{
	const char *colon = strchr(url, ':'), *slash = strchr(url, '/');

	if (strstr(url, "://"))
		return 0;
	return url[0] == '/' || url[0] == '.' || !colon || (slash && slash < colon);
}

/* userinfo: where "user[:password]@" starts in a scheme://user@host/ URL, its length in *n; NULL when absent. */
static const char *userinfo(const char *url, size_t *n)
{
	const char *p = strstr(url, "://"), *at, *end;

	if (!p)
		return NULL;
	p += 3;
	end = p + strcspn(p, "/?#");
	at = memchr(p, '@', (size_t)(end - p));
	if (!at)
		return NULL;
	*n = (size_t)(at - p) + 1;
	return p;
}

/* shown_url: url without userinfo, for messages and the clone's config. */
static char *shown_url(const char *url)
{
	size_t n;
	const char *u = userinfo(url, &n);

	if (!u)
		return xstrdup(url);
	return xasprintf("%.*s%s", (int)(u - url), url, u + n);
}

/* abs_url: url, with a plain path made absolute (the same relative path names other repositories elsewhere). */
static char *abs_url(const char *url)
{
	char *real, cwd[PATH_MAX];

	if (!is_path(url))
		return xstrdup(url);
	if ((real = realpath(url, NULL)))
		return real;
	if (url[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		return xstrdup(url);
	return xasprintf("%s/%s", cwd, url);
}

int gitsrc_dirname(const char *url, struct buf *out, struct buf *err)
{
	char *full, *shown, hex[HASH_HEX_LEN + 1];
	const char *s;
	size_t len, start = out->len;
	struct hash128 h;

	if (!*url) {
		buf_adds(err, "empty repository URL: give an https, ssh or file:// URL or a path");
		return -1;
	}
	full = abs_url(url);
	shown = shown_url(full);
	h = hash_bytes(shown, strlen(shown));
	s = strstr(shown, "://") ? strstr(shown, "://") + 3 : shown;
	len = strlen(s);
	while (len && s[len - 1] == '/')
		len--;
	if (len >= 4 && strncmp(s + len - 4, ".git", 4) == 0)
		len -= 4;
	/* the tail names the repository best: keep the last 64 characters */
	if (len > 64) {
		s += len - 64;
		len = 64;
	}
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("._-", c)))
			c = '-';
		/* no leading dot or dash (hidden files, options), no runs of dashes */
		if ((out->len == start && (c == '.' || c == '-')) || (c == '-' && out->data[out->len - 1] == '-'))
			continue;
		buf_addc(out, c);
	}
	if (out->len == start)
		buf_adds(out, "repo");
	hash_hex(&h, hex);
	buf_addf(out, "-%.8s", hex);
	free(full);
	free(shown);
	return 0;
}

/* scrub: replace every occurrence of secret (when long enough to be one) in b with "***". */
static void scrub(struct buf *b, const char *secret, size_t n)
{
	struct buf o = BUF_INIT;
	const char *p, *q;

	if (!secret || n < 3 || !b->data || !memmem(b->data, b->len, secret, n))
		return;
	for (p = b->data; (q = memmem(p, b->len - (size_t)(p - b->data), secret, n)); p = q + n) {
		buf_add(&o, p, (size_t)(q - p));
		buf_adds(&o, "***");
	}
	buf_adds(&o, p);
	buf_release(b);
	*b = o;
}

/* fail: append one message to err with every secret of f scrubbed out; returns -1. */
static int fail(struct buf *err, const struct fetch *f, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct buf *err, const struct fetch *f, const char *fmt, ...)
{
	struct buf m = BUF_INIT;
	va_list ap;
	size_t n;
	const char *u;

	va_start(ap, fmt);
	buf_vaddf(&m, fmt, ap);
	va_end(ap);
	if (f && (u = userinfo(f->url, &n)))
		scrub(&m, u, n - 1);
	if (f && f->token)
		scrub(&m, f->token, strlen(f->token));
	buf_adds(err, m.data);
	buf_release(&m);
	return -1;
}

static int on_credentials(git_credential **out, const char *url, const char *user, unsigned int allowed, void *p)
{
	struct fetch *f = p;

	(void)url;
	/* ssh asks for a user name alone first, when the URL has none */
	if (allowed == GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, user ? user : "git");
	if (f->tries++)
		return GIT_EUSER; /* what we offered was refused: stop, fetch() says why */
	if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && f->token)
		return git_credential_userpass_plaintext_new(out, "x-access-token", f->token);
	if (allowed & GIT_CREDENTIAL_SSH_KEY)
		return git_credential_ssh_key_from_agent(out, user ? user : "git"); /* tries every key of the agent */
	return GIT_EUSER;
}

/* progress: one line redrawn in place, only when the percentage changes. */
static int on_progress(const git_indexer_progress *s, void *p)
{
	struct fetch *f = p;
	int pct, phase = s->received_objects < s->total_objects || !s->total_deltas ? 0 : 1;

	if (!f->tty || !s->total_objects)
		return 0;
	pct = phase ? (int)(100.0 * s->indexed_deltas / s->total_deltas)
	            : (int)(100.0 * s->received_objects / s->total_objects);
	if (phase * 1000 + pct == f->last)
		return 0;
	f->last = phase * 1000 + pct;
	f->drawn = 1;
	if (phase)
		fprintf(stderr, "\rsindri-build: fetching '%s': resolving deltas %3d%% (%u/%u)\033[K", f->shown, pct,
		        s->indexed_deltas, s->total_deltas);
	else
		fprintf(stderr, "\rsindri-build: fetching '%s': %3d%% (%u/%u objects, %.1f MB)\033[K", f->shown, pct,
		        s->received_objects, s->total_objects, (double)s->received_bytes / 1e6);
	fflush(stderr);
	return 0;
}

/* pick_token: the token for an https URL: GIT_TOKEN, or GITHUB_TOKEN for github.com (never sent elsewhere). */
static void pick_token(struct fetch *f)
{
	const char *host, *v;
	size_t n;

	if (strncmp(f->url, "https://", 8) != 0)
		return;
	host = f->url + 8;
	if (userinfo(f->url, &n))
		host += n;
	n = strcspn(host, ":/?#");
	int github = (n == 10 && strncmp(host, "github.com", 10) == 0) ||
	             (n > 11 && strncmp(host + n - 11, ".github.com", 11) == 0);
	if (github && (v = getenv("GITHUB_TOKEN")) && *v) {
		f->token = v;
		f->token_var = "GITHUB_TOKEN";
	} else if ((v = getenv("GIT_TOKEN")) && *v) {
		f->token = v;
		f->token_var = "GIT_TOKEN";
	}
}

/* fetch: bring every branch and tag of f->url into repo, pruning deleted ones. -1 with the reason in err; a failed
 * fetch updates no ref. */
static int fetch(git_repository *repo, struct fetch *f, const char *what, struct buf *err)
{
	git_fetch_options o;
	git_remote_create_options ro;
	git_strarray specs = {(char **)refspecs, LEN(refspecs)};
	git_remote *remote = NULL;
	int rc;

	/* an in-memory remote: the URL (which may carry a token) is never written to the clone's config. No insteadOf:
	 * libgit2 1.5 leaks on every config entry its insteadOf lookup does not match. */
	git_remote_create_options_init(&ro, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	ro.repository = repo;
	ro.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if (git_remote_create_with_opts(&remote, f->url, &ro) < 0)
		return fail(err, f, "bad repository URL '%s': %s", f->shown, git_msg());
	git_fetch_options_init(&o, GIT_FETCH_OPTIONS_VERSION);
	o.callbacks.credentials = on_credentials;
	o.callbacks.transfer_progress = on_progress;
	o.callbacks.payload = f;
	o.prune = GIT_FETCH_PRUNE;
	o.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL;
	f->tty = isatty(2);
	f->last = -1;
	rc = git_remote_fetch(remote, &specs, &o, "fetch");
	if (f->drawn)
		fputs("\r\033[K", stderr);
	git_remote_free(remote);
	if (rc == 0)
		return 0;
	if (rc == GIT_EUSER && f->tries > 1 && f->token)
		return fail(err, f, "the repository '%s' refused the token in %s: check that it may read the repository; %s",
		            f->shown, f->token_var, what);
	if (rc == GIT_EUSER && strncmp(f->url, "http", 4) == 0)
		return fail(err, f, "the repository '%s' asks for credentials: set GIT_TOKEN (GITHUB_TOKEN for github.com) "
		            "to a token that may read it; %s", f->shown, what);
	if (rc == GIT_EUSER)
		return fail(err, f, "the repository '%s' refused the keys of the ssh agent: add one with ssh-add (and check "
		            "SSH_AUTH_SOCK); %s", f->shown, what);
	return fail(err, f, "cannot reach the repository '%s': %s; %s", f->shown, git_msg(), what);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT ? -1 : 0;
}

/* rm_rf: remove path and everything below it; a missing path is fine. -1 with errno. */
static int rm_rf(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* lock: flock cachedir/<name>.lock, saying so when another run holds it. The fd, or -1 with err. */
static int lock(const char *cachedir, const char *name, struct buf *err)
{
	char *path = xasprintf("%s/%s.lock", cachedir, name);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666), rc = 0;

	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0) {
		fprintf(stderr, "sindri-build: waiting for another run using the clone '%s/%s'\n", cachedir, name);
		while ((rc = flock(fd, LOCK_EX)) < 0 && errno == EINTR)
			;
	}
	if (fd < 0 || rc < 0) {
		buf_addf(err, "cannot lock '%s': %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	free(path);
	return fd;
}

/* sweep: remove what interrupted clones of name left (cachedir/.<name>.tmp-*); the lock keeps live ones away. */
static void sweep(const char *cachedir, const char *name)
{
	char *prefix = xasprintf(".%s.tmp-", name);
	DIR *d = opendir(cachedir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		if (str_has_prefix(e->d_name, prefix)) {
			char *p = xasprintf("%s/%s", cachedir, e->d_name);
			rm_rf(p);
			free(p);
		}
	}
	if (d)
		closedir(d);
	free(prefix);
}

/* clone: fetch f->url into a temporary directory and rename it to dir once complete. -1 with err. */
static int clone(const char *cachedir, const char *name, const char *dir, struct fetch *f, struct buf *err)
{
	char *tmp = xasprintf("%s/.%s.tmp-%ld", cachedir, name, (long)getpid());
	git_repository *repo = NULL;
	int ret = -1;

	if (git_repository_init(&repo, tmp, 0) < 0) {
		fail(err, f, "cannot create a clone in '%s': %s", tmp, git_msg());
		goto out;
	}
	if (fetch(repo, f, "nothing was cached", err) < 0)
		goto out;
	git_repository_free(repo);
	repo = NULL;
	if (rename(tmp, dir) < 0) {
		fail(err, f, "cannot move the new clone '%s' to '%s': %s", tmp, dir, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	git_repository_free(repo);
	if (ret < 0)
		rm_rf(tmp);
	free(tmp);
	return ret;
}

/* peel_ref: the commit a reference points to (through tags). 0, GIT_ENOTFOUND, or another error. */
static int peel_ref(git_repository *repo, const char *name, git_oid *oid)
{
	git_reference *r = NULL;
	git_object *o = NULL;
	int rc = git_reference_lookup(&r, repo, name);

	if (rc == GIT_EINVALIDSPEC)
		return GIT_ENOTFOUND;
	if (rc < 0)
		return rc;
	rc = git_reference_peel(&o, r, GIT_OBJECT_COMMIT);
	if (rc == 0)
		git_oid_cpy(oid, git_object_id(o));
	git_object_free(o);
	git_reference_free(r);
	return rc;
}

/* resolve: ref as a branch, a tag, a commit SHA or a refs/ name. 0, GIT_ENOTFOUND, GIT_EAMBIGUOUS, or an error. */
static int resolve(git_repository *repo, const char *ref, git_oid *oid, const char **kind)
{
	size_t n = strlen(ref), hex = strspn(ref, "0123456789abcdefABCDEF");
	int rc;

	for (size_t i = 0; i < LEN(spaces) && strcmp(ref, "HEAD") != 0; i++) {
		char *name = xasprintf("%s%s", spaces[i].prefix, ref);
		rc = peel_ref(repo, name, oid);
		free(name);
		*kind = spaces[i].kind;
		if (rc != GIT_ENOTFOUND)
			return rc;
	}
	if (n >= 4 && n <= GIT_OID_HEXSZ && hex == n) {
		git_oid prefix;
		git_object *o = NULL, *c = NULL;
		*kind = "commit";
		if (git_oid_fromstrn(&prefix, ref, n) < 0)
			return GIT_ENOTFOUND;
		rc = git_object_lookup_prefix(&o, repo, &prefix, n, GIT_OBJECT_ANY);
		if (rc == 0 && (rc = git_object_peel(&c, o, GIT_OBJECT_COMMIT)) == 0)
			git_oid_cpy(oid, git_object_id(c));
		git_object_free(c);
		git_object_free(o);
		return rc;
	}
	if (str_has_prefix(ref, "refs/")) {
		*kind = str_has_prefix(ref, "refs/tags/") ? "tag" : "branch";
		return peel_ref(repo, ref, oid);
	}
	return GIT_ENOTFOUND;
}

/* a branch or tag name, and its distance to the unknown ref */
struct near {
	char *name;
	const char *kind;
	size_t dist;
};

static int near_cmp(const void *a, const void *b)
{
	const struct near *x = a, *y = b;

	if (x->dist != y->dist)
		return x->dist < y->dist ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* nearest: append ", kind 'name'" for the branches and tags closest to ref (edit distance), best first. */
static void nearest(git_repository *repo, const char *ref, struct buf *out)
{
	struct near *v = NULL;
	size_t n = 0, cap = 0;

	for (size_t s = 0; s < LEN(spaces); s++) {
		git_reference_iterator *it;
		const char *name;
		if (git_reference_iterator_glob_new(&it, repo, spaces[s].glob) < 0)
			continue;
		while (git_reference_next_name(&name, it) == 0) {
			name += strlen(spaces[s].prefix);
			if (strcmp(name, "HEAD") == 0)
				continue;
			GROW(v, n, cap);
			v[n].name = xstrdup(name);
			v[n].kind = spaces[s].kind;
			v[n++].dist = edit_distance(ref, name, 256);
		}
		git_reference_iterator_free(it);
	}
	if (n)
		qsort(v, n, sizeof(*v), near_cmp);
	else
		buf_adds(out, "; the repository has no branches or tags");
	for (size_t i = 0; i < n; i++) {
		if (i < MAX_NEAREST)
			buf_addf(out, "%s%s '%s'", i ? ", " : "; nearest: ", v[i].kind, v[i].name);
		free(v[i].name);
	}
	free(v);
}

/* checkout: make the worktree exactly commit oid (untracked and ignored files removed) on a detached HEAD. */
static int checkout(git_repository *repo, const git_oid *oid, const struct fetch *f, struct buf *err)
{
	git_checkout_options o;
	git_commit *c = NULL;
	int rc;

	git_checkout_options_init(&o, GIT_CHECKOUT_OPTIONS_VERSION);
	o.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_REMOVE_UNTRACKED | GIT_CHECKOUT_REMOVE_IGNORED;
	rc = git_commit_lookup(&c, repo, oid);
	if (rc == 0)
		rc = git_checkout_tree(repo, (const git_object *)c, &o);
	if (rc == 0)
		rc = git_repository_set_head_detached(repo, oid);
	git_commit_free(c);
	if (rc < 0)
		return fail(err, f, "cannot check out %s of '%s': %s", git_oid_tostr_s(oid), f->shown, git_msg());
	return 0;
}

/* open_clone: the clone in dir; a directory that is no git repository is removed (it is not ours to keep). */
static int open_clone(git_repository **repo, const char *dir, struct buf *err)
{
	struct stat st;

	if (stat(dir, &st) < 0)
		return 0;
	if (git_repository_open_ext(repo, dir, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) == 0)
		return 1;
	*repo = NULL;
	if (rm_rf(dir) < 0) {
		buf_addf(err, "'%s' is not a git clone and cannot be removed: %s; remove it", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* use: in the locked clone dir, fetch and check out ref. */
static int use(const char *cachedir, const char *name, const char *dir, const char *ref, struct fetch *f,
               struct gitsrc_result *out, struct buf *err)
{
	git_repository *repo = NULL;
	git_config *cfg = NULL;
	const char *kind;
	git_oid oid;
	int rc, ret = -1;
	char *left;

	sweep(cachedir, name);
	if ((rc = open_clone(&repo, dir, err)) < 0)
		return -1;
	if (!rc && clone(cachedir, name, dir, f, err) < 0)
		goto out;
	if (!rc && git_repository_open_ext(&repo, dir, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0) {
		fail(err, f, "cannot open the new clone '%s': %s", dir, git_msg());
		goto out;
	}
	left = xasprintf("the cached clone '%s' was left as it was", dir);
	rc = rc ? fetch(repo, f, left, err) : 0;
	free(left);
	if (rc < 0)
		goto out;
	rc = resolve(repo, ref, &oid, &kind);
	if (rc == GIT_ENOTFOUND) {
		struct buf m = BUF_INIT;
		nearest(repo, ref, &m);
		fail(err, f, "unknown ref '%s' in '%s': no branch, tag or commit of that name%s", ref, f->shown, m.data);
		buf_release(&m);
		goto out;
	}
	if (rc == GIT_EAMBIGUOUS) {
		fail(err, f, "ref '%s' in '%s' is the start of more than one object's SHA: give more digits", ref, f->shown);
		goto out;
	}
	if (rc < 0) {
		fail(err, f, "cannot resolve ref '%s' in '%s': %s", ref, f->shown, git_msg());
		goto out;
	}
	if (checkout(repo, &oid, f, err) < 0)
		goto out;
	/* only for cache-status (gitsrc_list): a failure changes nothing */
	if (git_repository_config(&cfg, repo) == 0 && git_config_set_string(cfg, URL_CONFIG, f->shown) == 0)
		git_config_set_string(cfg, REF_CONFIG, ref);
	git_config_free(cfg);
	out->dir = xstrdup(dir);
	git_oid_tostr(out->sha, sizeof(out->sha), &oid);
	snprintf(out->short_sha, sizeof(out->short_sha), "%.7s", out->sha);
	out->kind = kind;
	ret = 0;
out:
	git_repository_free(repo);
	return ret;
}

int gitsrc_checkout(const char *url, const char *ref, const char *cachedir, struct gitsrc_result *out,
                    struct buf *err)
{
	struct buf name = BUF_INIT;
	struct fetch f = {0};
	char *full = NULL, *shown = NULL, *dir = NULL;
	int fd = -1, ret = -1;

	memset(out, 0, sizeof(*out));
	out->lockfd = -1;
	if (!ref || !*ref) {
		buf_adds(err, "no git ref to check out: give a branch, a tag or a commit SHA");
		return -1;
	}
	if (gitsrc_dirname(url, &name, err) < 0)
		return -1;
	f.url = full = abs_url(url);
	f.shown = shown = shown_url(full);
	pick_token(&f);
	dir = xasprintf("%s/%s", cachedir, name.data);
	if (mkdir_p(cachedir) < 0) {
		buf_addf(err, "cannot create the clone cache '%s': %s", cachedir, strerror(errno));
		goto out;
	}
	if ((fd = lock(cachedir, name.data, err)) < 0)
		goto out;
	git_libgit2_init();
	/* the clone is renamed into place as complete: make sure it is on disk first */
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
	ret = use(cachedir, name.data, dir, ref, &f, out, err);
	git_libgit2_shutdown();
	if (ret == 0) {
		out->lockfd = fd; /* held until the caller is done with the worktree */
		fd = -1;
	}
out:
	if (fd >= 0)
		close(fd);
	buf_release(&name);
	free(full);
	free(shown);
	free(dir);
	return ret;
}

void gitsrc_result_release(struct gitsrc_result *out)
{
	if (out->dir && out->lockfd >= 0)
		close(out->lockfd);
	free(out->dir);
	memset(out, 0, sizeof(*out));
	out->lockfd = -1;
}

static char *config_str(git_config *cfg, const char *key)
{
	git_buf b = {0};
	char *s = NULL;

	if (git_config_get_string_buf(&b, cfg, key) == 0)
		s = xstrdup(b.ptr);
	git_buf_dispose(&b);
	return s;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct gitsrc_entry *)a)->dir, ((const struct gitsrc_entry *)b)->dir);
}

int gitsrc_list(const char *cachedir, struct gitsrc_entry **out, size_t *n, struct buf *err)
{
	DIR *d = opendir(cachedir);
	struct dirent *e;
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	if (!d) {
		if (errno == ENOENT)
			return 0;
		buf_addf(err, "cannot read the clone cache '%s': %s", cachedir, strerror(errno));
		return -1;
	}
	git_libgit2_init();
	while ((e = readdir(d))) {
		struct stat st;
		git_repository *repo = NULL;
		git_config *cfg = NULL;
		git_oid oid;
		char *dir;
		if (e->d_name[0] == '.')
			continue;
		dir = xasprintf("%s/%s", cachedir, e->d_name);
		if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
			free(dir);
			continue;
		}
		GROW(*out, *n, cap);
		struct gitsrc_entry *x = &(*out)[(*n)++];
		memset(x, 0, sizeof(*x));
		x->dir = dir;
		if (git_repository_open_ext(&repo, dir, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0)
			continue;
		if (git_repository_config(&cfg, repo) == 0) {
			x->url = config_str(cfg, URL_CONFIG);
			x->ref = config_str(cfg, REF_CONFIG);
		}
		if (git_repository_head_detached(repo) == 1 && git_reference_name_to_id(&oid, repo, "HEAD") == 0)
			git_oid_tostr(x->sha, sizeof(x->sha), &oid);
		git_config_free(cfg);
		git_repository_free(repo);
	}
	closedir(d);
	git_libgit2_shutdown();
	if (*n)
		qsort(*out, *n, sizeof(**out), entry_cmp);
	return 0;
}

void gitsrc_entries_free(struct gitsrc_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].dir);
		free(e[i].url);
		free(e[i].ref);
	}
	free(e);
}
