/* depfile: the files and directories a task's key depends on, written for ninja and samurai to watch. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "depfile.h"
#include "fileset.h"
#include "graph.h"
#include "key.h"
#include "util.h"

#define STATE_PREFIX ".sindri-build"

/* Patterns split into normalized segments, and the excludes that prune the directory walk. */
struct dirwalk {
	struct strv *dirs;
	struct strv excl; /* normalized: no leading "./", no trailing '/' */
};

static int has_glob(const char *s)
{
	return strpbrk(s, "*?[\\") != NULL;
}

int path_normalize(const char *pat, struct buf *out)
{
	buf_reset(out);
	buf_adds(out, "");
	for (const char *p = pat; *p;) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return -1;
		if (n && !(n == 1 && *p == '.')) {
			if (out->len)
				buf_addc(out, '/');
			buf_add(out, p, n);
		}
		p += n + (p[n] == '/');
	}
	return *pat == '/' ? -1 : 0;
}

static int is_dir(const char *path)
{
	struct stat st;

	return stat(*path ? path : ".", &st) == 0 && S_ISDIR(st.st_mode);
}

static int excluded(const struct dirwalk *w, const char *path)
{
	if (strcmp(path, STATE_PREFIX) == 0)
		return 1;
	for (size_t i = 0; i < w->excl.n; i++)
		if (glob_match(w->excl.v[i], path))
			return 1;
	return 0;
}

static void add_dir(struct dirwalk *w, const char *path)
{
	strv_push(w->dirs, *path ? path : ".");
}

/* each_subdir: call fn for every subdirectory of dir (not symlinks: the engine does not walk them) not excluded. */
static void each_subdir(struct dirwalk *w, const char *dir, const char *glob,
                        void (*fn)(struct dirwalk *w, const char *sub, void *arg), void *arg)
{
	DIR *d = opendir(*dir ? dir : ".");
	struct dirent *de;
	struct buf sub = BUF_INIT;

	if (!d)
		return;
	while ((de = readdir(d))) {
		const char *name = de->d_name;
		struct stat st;

		if (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2])))
			continue;
		if (glob && !glob_match(glob, name))
			continue;
		buf_reset(&sub);
		buf_addf(&sub, "%s%s%s", dir, *dir ? "/" : "", name);
		if (de->d_type != DT_DIR && (de->d_type != DT_UNKNOWN || lstat(sub.data, &st) < 0 || !S_ISDIR(st.st_mode)))
			continue;
		if (!excluded(w, sub.data))
			fn(w, sub.data, arg);
	}
	closedir(d);
	buf_release(&sub);
}

/* walk_all: dir and every directory below it. */
static void walk_all(struct dirwalk *w, const char *dir, void *arg)
{
	add_dir(w, dir);
	each_subdir(w, dir, NULL, walk_all, arg);
}

/* walk_segs: the directories a glob's remaining segments (arg: a NULL-terminated array) are matched in below dir. */
static void walk_segs(struct dirwalk *w, const char *dir, void *arg)
{
	char **segs = arg;
	struct buf next = BUF_INIT;

	if (!segs[0]) {
		walk_all(w, dir, NULL); /* the pattern names this directory: everything below it */
		return;
	}
	add_dir(w, dir);
	if (strcmp(segs[0], "**") == 0) {
		walk_all(w, dir, NULL);
	} else if (!segs[1]) {
		each_subdir(w, dir, segs[0], walk_all, NULL); /* a matched directory takes everything below it */
	} else if (!has_glob(segs[0])) {
		buf_addf(&next, "%s%s%s", dir, *dir ? "/" : "", segs[0]);
		if (is_dir(next.data) && !excluded(w, next.data))
			walk_segs(w, next.data, segs + 1);
	} else {
		each_subdir(w, dir, segs[0], walk_segs, segs + 1);
	}
	buf_release(&next);
}

/* pattern_dirs: the directories whose listing decides what pattern pat matches. A literal file needs none. */
static void pattern_dirs(struct dirwalk *w, const char *pat)
{
	struct buf norm = BUF_INIT;
	char **segs;
	size_t n = 0;

	if (path_normalize(pat, &norm) < 0)
		goto out;
	if (!has_glob(norm.data)) {
		if (is_dir(norm.data))
			walk_all(w, norm.data, NULL);
		goto out;
	}
	segs = xcalloc(strlen(norm.data) + 2, sizeof(*segs));
	for (char *p = norm.data; p; n++) {
		char *slash = strchr(p, '/');
		if (slash)
			*slash = '\0';
		segs[n] = p;
		p = slash ? slash + 1 : NULL;
	}
	/* the literal directories before the first wildcard are where the walk starts */
	struct buf base = BUF_INIT;
	size_t i;
	buf_adds(&base, "");
	for (i = 0; i + 1 < n && !has_glob(segs[i]); i++)
		buf_addf(&base, "%s%s", base.len ? "/" : "", segs[i]);
	if (is_dir(base.data))
		walk_segs(w, base.data, segs + i);
	buf_release(&base);
	free(segs);
out:
	buf_release(&norm);
}

static void uniq(struct strv *sv)
{
	size_t k = 0;

	strv_sort(sv);
	for (size_t i = 0; i < sv->n; i++) {
		if (k && strcmp(sv->v[k - 1], sv->v[i]) == 0)
			free(sv->v[i]);
		else
			sv->v[k++] = sv->v[i];
	}
	sv->n = k;
}

static int own_path(const struct task *t, const char *path)
{
	struct buf norm = BUF_INIT;
	int own = str_has_prefix(path, STATE_PREFIX "/") || strcmp(path, STATE_PREFIX) == 0;

	for (size_t i = 0; i < t->outputs.n && !own; i++)
		own = path_normalize(t->outputs.v[i], &norm) == 0 && strcmp(norm.data, path) == 0;
	buf_release(&norm);
	return own;
}

/* drop: remove t's own outputs and the state directory from sv. */
static void drop_own(const struct task *t, struct strv *sv)
{
	size_t k = 0;

	for (size_t i = 0; i < sv->n; i++) {
		if (own_path(t, sv->v[i]))
			free(sv->v[i]);
		else
			sv->v[k++] = sv->v[i];
	}
	sv->n = k;
}

void depfile_paths(struct task *t, struct strv *files, struct strv *dirs)
{
	struct dirwalk w = {dirs, {0}};
	struct buf norm = BUF_INIT;

	task_paths(t, files, dirs);
	for (size_t i = 0; i < t->excludes.n; i++)
		if (path_normalize(t->excludes.v[i], &norm) == 0)
			strv_push(&w.excl, norm.data);
	for (size_t i = 0; i < t->inputs.n; i++)
		pattern_dirs(&w, t->inputs.v[i]);
	strv_release(&w.excl);
	buf_release(&norm);
	drop_own(t, files);
	drop_own(t, dirs);
	uniq(files);
	uniq(dirs);
}

int depfile_escape(struct buf *b, const char *path)
{
	/* samurai reads letters, digits and "+,-./@_" as they are, "$$" as '$' and a backslash before ' ' or '#' */
	for (const char *p = path; *p; p++)
		if (!(strchr("+,-./@_$# ", *p) || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9')))
			return -1;
	if (!*path)
		return -1;
	for (const char *p = path; *p; p++) {
		if (*p == '$')
			buf_adds(b, "$$");
		else if (*p == ' ' || *p == '#')
			buf_addf(b, "\\%c", *p);
		else
			buf_addc(b, *p);
	}
	return 0;
}

static void add_entry(struct buf *b, const char *path, const struct graph *g, const char *cwd)
{
	size_t mark = b->len;

	buf_adds(b, " \\\n  ");
	if (graph_find(g, path)) {
		/* "docs" the directory and "docs" the phony target of task docs would be one ninja node: a cycle */
		char *abs = xasprintf("%s/%s", cwd, strcmp(path, ".") == 0 ? "" : path);
		int r = cwd[0] == '/' ? depfile_escape(b, abs) : -1;
		free(abs);
		if (r == 0)
			return;
	} else if (depfile_escape(b, path) == 0) {
		return;
	}
	b->len = mark;
	b->data[mark] = '\0';
}

int depfile_write(const char *path, const char *target, const struct strv *files, const struct strv *dirs,
                  const struct graph *g)
{
	struct buf b = BUF_INIT, old = BUF_INIT;
	char *cwd = getcwd(NULL, 0);
	int ret = 0;

	if (depfile_escape(&b, target) < 0) {
		free(cwd);
		buf_release(&b);
		return error("cannot write the depfile '%s': its target '%s' has characters samurai cannot read", path,
		             target);
	}
	buf_addc(&b, ':');
	for (size_t i = 0; i < files->n; i++)
		add_entry(&b, files->v[i], g, cwd ? cwd : "");
	for (size_t i = 0; i < dirs->n; i++)
		add_entry(&b, dirs->v[i], g, cwd ? cwd : "");
	buf_addc(&b, '\n');
	if (read_file(path, &old) < 0 || old.len != b.len || memcmp(old.data, b.data, b.len) != 0) {
		if (write_file_atomic(path, b.data, b.len) < 0)
			ret = error("cannot write the depfile '%s':", path);
	}
	free(cwd);
	buf_release(&old);
	buf_release(&b);
	return ret;
}
