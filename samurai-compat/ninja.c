/* ninja: a ninja file that runs each task through sindri-build, in the language samurai reads (ninja 1.9: no dyndep,
 * no validations). Content keys decide; ninja only orders and prunes, through restat and the stamps. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "compat.h"
#include "depfile.h"
#include "graph.h"
#include "hash.h"
#include "ninja.h"
#include "util.h"

#define ALWAYS_NODE NINJA_DIR "/always" /* a phony with no inputs that never exists: always dirty */
#define NO_TASK SIZE_MAX

/* A path some edge of the file makes or reads by name, to keep phony names and duplicate outputs apart. */
struct produced {
	char *path; /* normalized as ninja canonicalizes it */
	size_t task; /* index in the graph, NO_TASK (sorted first) for the file's own paths */
};

struct gen {
	const struct tool_args *a;
	struct buf b;
	struct produced *prod;
	size_t nprod, capprod;
	struct strv recipes; /* the recipe file and the modules it required */
};

char *ninja_stamp(const char *task, const char *ext)
{
	struct buf b = BUF_INIT;

	buf_adds(&b, NINJA_DIR "/");
	for (const unsigned char *p = (const unsigned char *)task; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
		    *p == '_' || *p == '-')
			buf_addc(&b, (char)*p);
		else
			buf_addf(&b, "@%02x", *p);
	}
	buf_addf(&b, ".%s", ext);
	return buf_detach(&b);
}


/* npath: append p escaped for a build or default line; -1 (nothing appended) when ninja cannot spell it. */
static int npath(struct buf *b, const char *p)
{
	if (!*p || strpbrk(p, "|\n\r\t"))
		return -1;
	for (; *p; p++) {
		if (*p == '$' || *p == ' ' || *p == ':')
			buf_addc(b, '$');
		buf_addc(b, *p);
	}
	return 0;
}

/* nvalue: append s escaped for the right side of a binding; -1 (nothing appended) for a line break. */
static int nvalue(struct buf *b, const char *s)
{
	if (strpbrk(s, "\n\r"))
		return -1;
	for (; *s; s++) {
		if (*s == '$')
			buf_addc(b, '$');
		buf_addc(b, *s);
	}
	return 0;
}

/* nquoted: append s quoted for the shell, then escaped for a binding. */
static int nquoted(struct buf *b, const char *s)
{
	struct buf q = BUF_INIT;
	int r;

	buf_add_shquoted(&q, s);
	r = nvalue(b, q.data);
	buf_release(&q);
	return r;
}

static int cmp_produced(const void *x, const void *y)
{
	const struct produced *a = x, *b = y;
	int c = strcmp(a->path, b->path);
	/* the file's own paths first, then tasks in definition order: the first is the one that makes it */
	size_t ta = a->task + 1, tb = b->task + 1;

	return c ? c : (ta > tb) - (ta < tb);
}

static void produce(struct gen *G, const char *path, size_t task)
{
	struct buf norm = BUF_INIT;

	if (path[0] != '/' && path_normalize(path, &norm) == 0)
		path = norm.data;
	GROW(G->prod, G->nprod, G->capprod);
	G->prod[G->nprod].path = xstrdup(path);
	G->prod[G->nprod++].task = task;
	buf_release(&norm);
}

/* owner: the first maker of path (task NO_TASK for the file's own paths), or NULL when nothing makes it. */
static const struct produced *owner(const struct gen *G, const char *path)
{
	struct buf norm = BUF_INIT;
	size_t lo = 0, hi = G->nprod;

	if (path[0] != '/' && path_normalize(path, &norm) == 0)
		path = norm.data;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(G->prod[mid].path, path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	const struct produced *found = lo < G->nprod && strcmp(G->prod[lo].path, path) == 0 ? &G->prod[lo] : NULL;
	buf_release(&norm);
	return found;
}

static void recipe_files(struct gen *G)
{
	if (G->a->recipe_files)
		G->a->recipe_files(G->a->r, G->a->recipe_file, &G->recipes);
	else
		strv_push(&G->recipes, G->a->recipe_file);
}

static void header(struct gen *G, const char *exe)
{
	const struct tool_args *a = G->a;
	struct buf *b = &G->b;

	buf_addf(b, NINJA_HEADER " from %s; do not edit: it is rewritten when the recipe changes.\n",
	         a->recipe_file);
	buf_adds(b, "# Run ninja (or samu) in the project root. Each task's edge runs that task alone through sindri-build,\n"
	            "# which skips it when its content key is unchanged; the stamp changes only with the key, and restat\n"
	            "# prunes what depends on it. Depend on a task from your own edges through its stamp or its name.\n"
	            "ninja_required_version = 1.7\n"
	            "builddir = " NINJA_DIR "\n\nsindri = ");
	nquoted(b, exe);
	buf_adds(b, "\nrecipe = ");
	nquoted(b, a->recipe_file);
	buf_adds(b, "\nvars =");
	for (size_t i = 0; i < a->vars->n; i++) {
		buf_addc(b, ' ');
		if (nquoted(b, a->vars->v[i]) < 0)
			warn("variable '%s' has a line break: left out of the ninja file", a->vars->v[i]);
	}
	buf_addf(b, "\nflags = %s%s\n\n", a->b->verbose ? "-v" : "-q", a->b->explain ? " -d explain" : "");
	buf_adds(b, "rule sindri_task\n"
	            "  command = $sindri $flags -f $recipe -t run $task $vars # definition $defn\n"
	            "  description = $name\n"
	            "  restat = 1\n\n"
	            "rule sindri_regen\n"
	            "  command = $sindri -q -f $recipe -t ninja -o $file $vars\n"
	            "  description = regenerating $file\n"
	            "  generator = 1\n\n");
}

static int valid_pool_name(const char *s)
{
	return *s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == strlen(s);
}

static void pools(struct gen *G)
{
	const struct graph *g = G->a->g;

	for (size_t i = 0; i < g->npools; i++) {
		const struct pool *p = g->pools[i];
		/* samurai rejects a pool without a depth: an unlimited pool is no pool at all */
		if (p->console || p->depth <= 0 || !valid_pool_name(p->name))
			continue;
		buf_addf(&G->b, "pool %s\n  depth = %d\n\n", p->name, p->depth);
	}
}

static const char *pool_of(const struct task *t)
{
	if ((t->poolp && t->poolp->console) || (t->ops && t->ops->console))
		return "console"; /* a docker build or an interactive step owns the terminal */
	if (t->poolp && t->poolp->depth > 0 && valid_pool_name(t->poolp->name))
		return t->poolp->name;
	return NULL;
}

static int edge(struct gen *G, size_t idx)
{
	struct task *t = G->a->g->tasks[idx];
	struct buf *b = &G->b;
	char *stamp = ninja_stamp(t->name, "stamp"), *dep = ninja_stamp(t->name, "d");
	char hex[HASH_HEX_LEN + 1];
	struct hash128 h = hash_bytes(t->defn ? t->defn : "", t->defn ? strlen(t->defn) : 0);
	const char *pool = pool_of(t);
	int ret = 0;

	buf_adds(b, "build ");
	npath(b, stamp);
	for (size_t i = 0, first = 1; i < t->outputs.n; i++) {
		const struct produced *o = owner(G, t->outputs.v[i]);
		size_t mark = b->len;
		if (o && o->task == NO_TASK) {
			warn("task '%s': output '%s' is the ninja file or a recipe file; left out of the ninja file", t->name,
			     t->outputs.v[i]);
			continue;
		}
		if (o && o->task != idx) {
			warn("task '%s': output '%s' is also made by task '%s'; the ninja file lists it for that task only",
			     t->name, t->outputs.v[i], G->a->g->tasks[o->task]->name);
			continue;
		}
		buf_adds(b, first ? " | " : " ");
		if (npath(b, t->outputs.v[i]) < 0) {
			b->len = mark;
			b->data[mark] = '\0';
			warn("task '%s': ninja cannot name the output '%s'; left out of the ninja file", t->name,
			     t->outputs.v[i]);
			continue;
		}
		first = 0;
	}
	buf_adds(b, ": sindri_task");
	for (size_t i = 0; i < t->deps.n; i++) {
		int dup = 0;
		for (size_t j = 0; j < i; j++)
			dup |= t->depv[j] == t->depv[i];
		if (dup)
			continue;
		char *ds = ninja_stamp(t->depv[i]->name, "stamp");
		buf_addc(b, ' ');
		npath(b, ds);
		free(ds);
	}
	if (t->flags & TASK_ALWAYS)
		buf_adds(b, " | " ALWAYS_NODE);
	buf_adds(b, "\n  name = ");
	if (nvalue(b, t->name) < 0)
		ret = error("task '%s': a task name with a line break cannot go into a ninja file", t->name);
	buf_adds(b, "\n  task = ");
	nquoted(b, t->name);
	hash_hex(&h, hex);
	buf_addf(b, "\n  defn = %.16s\n  depfile = %s\n", hex, dep);
	if (pool)
		buf_addf(b, "  pool = %s\n", pool);
	buf_addc(b, '\n');
	free(stamp);
	free(dep);
	return ret;
}

/* phony: "build NAME: phony STAMP", unless NAME is a path the file makes: then that path is the target. */
static void phony(struct gen *G, size_t idx, const char *name)
{
	const struct task *t = G->a->g->tasks[idx];
	const struct produced *o = owner(G, name);
	char *stamp = ninja_stamp(t->name, "stamp");
	size_t mark = G->b.len;

	if (o && o->task != idx)
		warn("'%s' names task '%s' and a file %s; in ninja it is the file: use the stamp '%s' for the task",
		     name, t->name, o->task == NO_TASK ? "of sindri-build's" : "another task makes", stamp);
	if (o)
		goto out;
	buf_adds(&G->b, "build ");
	if (npath(&G->b, name) < 0) {
		G->b.len = mark;
		G->b.data[mark] = '\0';
		goto out;
	}
	buf_adds(&G->b, ": phony ");
	npath(&G->b, stamp);
	buf_addc(&G->b, '\n');
out:
	free(stamp);
}

/* target: how the default line names a task: its phony name when there is one, else its stamp. */
static void target(struct gen *G, const char *name)
{
	struct task *t = graph_find(G->a->g, name);
	const struct produced *o = owner(G, name);
	char *stamp = ninja_stamp(t->name, "stamp");
	size_t mark = G->b.len;

	buf_addc(&G->b, ' ');
	if (o || npath(&G->b, name) < 0) {
		G->b.len = mark;
		buf_addc(&G->b, ' ');
		npath(&G->b, stamp);
	}
	free(stamp);
}

static void regen(struct gen *G, const char *out, const char *exe)
{
	struct buf *b = &G->b;

	buf_adds(b, "\n# The file itself: rewritten when a recipe file changes, before anything else is built.\nbuild ");
	npath(b, out);
	buf_adds(b, ": sindri_regen");
	for (size_t i = 0; i < G->recipes.n; i++) {
		buf_addc(b, ' ');
		if (npath(b, G->recipes.v[i]) < 0)
			warn("ninja cannot name the recipe file '%s': editing it will not regenerate the ninja file",
			     G->recipes.v[i]);
	}
	/* a new sindri-build may write a different file */
	size_t mark = b->len;
	buf_adds(b, " | ");
	if (npath(b, exe) < 0) {
		b->len = mark;
		b->data[mark] = '\0';
	}
	buf_adds(b, "\n  file = ");
	nquoted(b, out);
	buf_addc(b, '\n');
}

static int newer(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec);
}

/* settle_mtime: just written, the file is newer than its inputs, unless one is dated in the future (a clock skew, an
 * unpacked archive): then ninja would find it dirty again at once and regenerate it until it gives up ("still dirty
 * after 100 tries"). Dating the file like that input ends the loop; say what it costs. */
static void settle_mtime(const struct gen *G, const char *out)
{
	struct stat st;
	struct timespec newest = {0, 0};
	const char *which = NULL;

	for (size_t i = 0; i < G->recipes.n; i++) {
		if (stat(G->recipes.v[i], &st) == 0 && newer(&st.st_mtim, &newest)) {
			newest = st.st_mtim;
			which = G->recipes.v[i];
		}
	}
	if (!which || stat(out, &st) < 0 || !newer(&newest, &st.st_mtim))
		return;
	struct timespec ts[2] = {newest, newest};
	if (utimensat(AT_FDCWD, out, ts, 0) < 0)
		warn("'%s' is dated in the future and '%s' cannot be dated like it; ninja will regenerate it in a loop:",
		     which, out);
	else
		warn("'%s' is dated in the future; '%s' is dated like it so that ninja does not regenerate it in a loop, "
		     "and edits before that date will not regenerate it: fix the date with 'touch %s'", which, out, which);
}

/* ours: 1 when path is missing or starts with NINJA_HEADER. */
static int ours(const char *path)
{
	char line[sizeof(NINJA_HEADER)];
	FILE *f = fopen(path, "r");
	int r;

	if (!f)
		return 1;
	r = fgets(line, sizeof(line), f) && strcmp(line, NINJA_HEADER) == 0;
	fclose(f);
	return r;
}

static char *self_exe(void)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return xstrdup("sindri-build");
	exe[n] = '\0';
	return xstrdup(exe);
}

int ninja_generate(const struct tool_args *a)
{
	struct graph *g = a->g;
	struct gen G = {a, BUF_INIT, NULL, 0, 0, {0}};
	const char *out = a->out ? a->out : "build.ninja";
	char *exe = self_exe();
	struct task **plan;
	size_t nplan;
	int ret = 2, always = 0;

	if (graph_plan(g, g->tasks, g->ntasks, &plan, &nplan) < 0)
		goto out;
	free(plan);
	if (!ours(out)) {
		error("'%s' exists and sindri-build did not write it; name another file (-o sindri.ninja) and subninja it",
		      out);
		goto out;
	}
	recipe_files(&G);
	for (size_t i = 0; i < g->ntasks; i++) {
		char *stamp = ninja_stamp(g->tasks[i]->name, "stamp");
		produce(&G, stamp, i);
		free(stamp);
		for (size_t j = 0; j < g->tasks[i]->outputs.n; j++)
			produce(&G, g->tasks[i]->outputs.v[j], i);
		always |= (g->tasks[i]->flags & TASK_ALWAYS) != 0;
	}
	produce(&G, out, NO_TASK);
	produce(&G, ALWAYS_NODE, NO_TASK);
	for (size_t i = 0; i < G.recipes.n; i++)
		produce(&G, G.recipes.v[i], NO_TASK);
	qsort(G.prod, G.nprod, sizeof(*G.prod), cmp_produced);

	header(&G, exe);
	pools(&G);
	if (always)
		buf_adds(&G.b, "build " ALWAYS_NODE ": phony\n\n");
	for (size_t i = 0; i < g->ntasks; i++)
		if (edge(&G, i) < 0)
			goto out;
	buf_adds(&G.b, "# Task names and aliases.\n");
	for (size_t i = 0; i < g->ntasks; i++) {
		phony(&G, i, g->tasks[i]->name);
		for (size_t j = 0; j < g->tasks[i]->aliases.n; j++)
			phony(&G, i, g->tasks[i]->aliases.v[j]);
	}
	if (g->defaults.n) {
		buf_adds(&G.b, "\ndefault");
		for (size_t i = 0; i < g->defaults.n; i++)
			target(&G, g->defaults.v[i]);
		buf_addc(&G.b, '\n');
	}
	regen(&G, out, exe);
	if (write_file_shared(out, G.b.data, G.b.len) < 0) {
		error("cannot write '%s':", out);
		goto out;
	}
	settle_mtime(&G, out);
	ret = 0;
out:
	for (size_t i = 0; i < G.nprod; i++)
		free(G.prod[i].path);
	free(G.prod);
	strv_release(&G.recipes);
	buf_release(&G.b);
	free(exe);
	return ret;
}
