/* main: the command line. Thin: options, the recipe, then a build or a tool from the one table (tool.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "args.h"
#include "build.h"
#include "compat.h"
#include "docker_lua.h"
#include "dockerapi.h"
#include "enginesrv.h"
#include "filecache.h"
#include "gitsrc_lua.h"
#include "graph.h"
#include "hashpool.h"
#include "image_lua.h"
#include "key.h"
#include "proc.h"
#include "recipe.h"
#include "recipefiles.h"
#include "registry_lua.h"
#include "runout.h"
#include "secret.h"
#include "sindriconf_lua.h"
#include "state.h"
#include "tool.h"
#include "tools.h"
#include "util.h"
#include "trust.h"
#include "watched.h"
#include "watcher.h"
#include "watchmode.h"

#define STATE_DIR ".sindri-build"
#define FILECACHE STATE_DIR "/files"
#define OUTCACHE STATE_DIR "/outputs"
#define WATCH_TOKEN STATE_DIR "/watch"
#define SECRET_KEY_FILE STATE_DIR "/secret-key"

/* show_progress: hashing a large tree shows how far it got, on a terminal, when it takes a while. */
static void show_progress(const char *task, size_t done, size_t total)
{
	static int64_t start;
	static int shown;

	if (done == 0) {
		start = mono_ns();
		return;
	}
	if (done == total) {
		if (shown)
			fputs("\r\033[K", stderr);
		shown = 0;
		return;
	}
	if (mono_ns() - start < 300000000)
		return;
	fprintf(stderr, "\rhashing the inputs of '%s': %zu/%zu files\033[K", task, done, total);
	shown = 1;
}

/* hash_threads: SINDRI_BUILD_HASH_THREADS, how many threads read inputs (0 or unset: one per core). */
static unsigned hash_threads(void)
{
	const char *v = getenv("SINDRI_BUILD_HASH_THREADS");
	char *end;
	unsigned long n;

	if (!v || !*v)
		return 0;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (*end || errno || v[0] == '-') {
		warn("ignoring SINDRI_BUILD_HASH_THREADS='%s': not a number of threads; hashing on every core", v);
		return 0;
	}
	return n > HASHPOOL_MAX ? HASHPOOL_MAX : (unsigned)n;
}

/* stock_dir: where the stock recipes are: $SINDRI_BUILD_RECIPES, else next to the binary in a build tree, else
 * the installed copy. */
static char *stock_dir(void)
{
	/* next to the binary in a build tree; installed as PREFIX/bin/sindri-build, whatever PREFIX the binary was
	 * compiled with; build-san/sindri-build, one level down */
	static const char *const rel[] = {"recipes", "../share/sindri-build/recipes", "../recipes"};
	const char *env = getenv("SINDRI_BUILD_RECIPES");
	char exe[4096];
	ssize_t n;

	if (env && *env)
		return xstrdup(env);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0 && (exe[n] = '\0', strrchr(exe, '/'))) {
		*strrchr(exe, '/') = '\0';
		for (size_t i = 0; i < LEN(rel); i++) {
			char *dir = xasprintf("%s/%s", exe, rel[i]);
			char *probe = xasprintf("%s/sindri.lua", dir);
			int ok = access(probe, F_OK) == 0;
			free(probe);
			if (ok)
				return dir;
			free(dir);
		}
	}
	return xstrdup(SB_DATADIR "/recipes");
}

/* sindri_root: in a directory below a Sindri checkout (v3/, v3/crates/...) with no recipe of its own, go to the
 * checkout's root, as git finds its work tree, and say so. 0, or -1 when there is none above. */
static int sindri_root(int quiet)
{
	char cwd[PATH_MAX], up[PATH_MAX];

	if (!getcwd(cwd, sizeof(cwd)))
		return -1;
	snprintf(up, sizeof(up), "%s", cwd);
	for (int depth = 0; depth < 16; depth++) {
		char *slash = strrchr(up, '/');
		if (!slash || slash == up)
			return -1;
		*slash = '\0';
		char *probe = xasprintf("%s/v3/Cargo.toml", up);
		int found = access(probe, F_OK) == 0;
		free(probe);
		if (found) {
			if (chdir(up) < 0)
				return error("cannot change to the Sindri checkout '%s':", up);
			if (!quiet)
				fprintf(stderr, "sindri-build: in the Sindri checkout '%s' (paths such as CONFIG= are taken from "
				        "there)\n", up);
			return 0;
		}
	}
	return -1;
}

/* ping_ahead: for a run that decides tasks, send the engine's version ping through the engine helper now, when
 * one runs, and what the last run asked ahead first (docker_ahead_replay): the engine answers while the recipe
 * loads, and an image task finds the answers waiting. Only for an
 * engine on a unix socket (the only kind with a helper), whose address cannot be refused with an error. */
static void ping_ahead(const struct tool *tool, struct recipe *r)
{
	const char *host = getenv("DOCKER_HOST");
	struct docker *d;

	if (tool && !(tool->flags & TOOL_PING))
		return;
	if (host && *host && !(str_has_prefix(host, "unix://") && host[7]))
		return;
	if ((d = docker_lua_client(recipe_lua(r)))) {
		docker_ping_ahead(d);
		docker_ahead_replay(d, STATE_DIR "/ahead");
	}
}

/* watch_ask: for a build, -t key or -t explain, ask the file watcher (watch/watcher.h) about the tree now. */
static void watch_ask(const struct tool *tool, struct watched *wt)
{
	if (!tool || (tool->flags & TOOL_WATCH))
		watched_ask(wt, watch_client(), WATCH_TOKEN, FILECACHE);
}

/* engine_exit: a run that failed because the Docker engine did not answer exits 3, whichever tool or task met it. */
static int engine_exit(int ret, struct recipe *r)
{
	struct docker *d;

	if (ret == SB_EXIT_OK || ret >= SB_EXIT_SIGNAL || !r)
		return ret;
	d = docker_lua_peek(recipe_lua(r));
	return d && docker_unreachable(d) ? SB_EXIT_UNREACHABLE : ret;
}

/* run_tool: a tool that reads the recipe. */
static int run_tool(const struct tool *tool, struct tool_args *a, struct recipe *r)
{
	int ret;

	enginesrv_allow_start((tool->flags & TOOL_RUNS) != 0);
	if (tool->flags & TOOL_GENERATES)
		recipe_defn_values(r);
	ret = tool->run(a);
	if (tool->flags & TOOL_RUNS)
		recipe_save_bytecode(r);
	return ret;
}

/* var_named: whether list (of "NAME=..." or "NAME") holds the variable name (n bytes). */
static int var_named(const struct strv *list, const char *name, size_t n)
{
	for (size_t i = 0; i < list->n; i++)
		if (strncmp(list->v[i], name, n) == 0 && (list->v[i][n] == '=' || !list->v[i][n]))
			return 1;
	return 0;
}

/* warn_unread_vars: after a run, a NAME=value of the command line that nothing read (a var() call, a task's vars,
 * the image options) is most likely a typo (DISTR=fedora) that the run silently ignored: say so, with the nearest
 * name read. Options that set a variable (--yes, --config, ...) are left alone. */
static void warn_unread_vars(const struct opts *o, const struct recipe *r, const struct graph *g)
{
	static const char *const known[] = {"CACHE_DIR", "PUSH", "STRICT_CACHE", "JSON", "YES", "FROM_SOURCE",
	                                    "CONFIG", NULL};
	const struct strv *read = recipe_vars_read(r);

	for (size_t i = 0; i < o->vars.n; i++) {
		const char *kv = o->vars.v[i];
		size_t n = strcspn(kv, "=");
		int seen = var_named(read, kv, n);
		for (size_t k = 0; known[k] && !seen; k++)
			seen = strlen(known[k]) == n && strncmp(known[k], kv, n) == 0;
		for (size_t t = 0; t < g->ntasks && !seen; t++)
			seen = var_named(&g->tasks[t]->vars, kv, n);
		if (seen)
			continue;
		char *name = xstrndup(kv, n), *near = NULL;
		size_t best = 3; /* two edits away at most */
		for (size_t j = 0; j < read->n; j++) {
			char *cand = xstrndup(read->v[j], strcspn(read->v[j], "="));
			size_t d = edit_distance(name, cand, best);
			if (d < best && d < n) {
				best = d;
				free(near);
				near = cand;
			} else {
				free(cand);
			}
		}
		warn("'%s' was read by nothing in this run, so it changed nothing%s%s%s", kv, near ? "; did you mean '" : "",
		     near ? near : "", near ? "'?" : "");
		free(near);
		free(name);
	}
}

/* run_build: bring the targets up to date; with --json, the run's result as one document. */
static int run_build(struct opts *o, struct tool_args *a, struct recipe *r, int argc, char **argv)
{
	struct task **targets = NULL;
	size_t n = 0;
	int readonly, ret;
	struct build_spans spans = {NULL, 0, 0, -1};
	struct build_tally tally = {0};
	int64_t start = now_ns();

	if (tools_resolve(a, &targets, &n) < 0 || build_prepare(a->g, targets, n, &o->b, &readonly) < 0) {
		free(targets);
		return engine_exit(SB_EXIT_USAGE, r);
	}
	/* a report's own document (cache-status --json) stands for the run's when it is one: what it prints is set
	 * aside and looked at after the run */
	int report = o->json && readonly && !o->b.dry_run && n == 1 ? runout_report_begin() : -1;
	if (report >= 0)
		o->b.progress_stderr = 1;
	struct state *st = state_open(STATE_DIR, readonly ? 0 : STATE_WRITE);
	if (!st) {
		runout_report_end(a->json, report);
		free(targets);
		return SB_EXIT_USAGE;
	}
	a->ke->fc = filecache_load(FILECACHE);
	a->ke->outfc = filecache_load(OUTCACHE);
	watched_answer(a->wt, a->ke->fc, a->ke->trust);
	a->ke->readonly = readonly;
	a->ke->offline = o->b.dry_run; /* a dry run asks no registry for an external base it has not pulled */
	enginesrv_allow_start(!readonly);
	o->b.tally = &tally;
	o->b.plan = recipe_plan;
	o->b.plan_arg = r;
	/* the spans: for --json, and for the trace of a run that may write (a no-op writes nothing: see below) */
	if (o->json || !readonly)
		o->b.spans = &spans;
	recipe_set_build(r, st, a->ke, &o->b);
	ret = build_run(a->g, targets, n, st, a->ke, &o->b);
	recipe_set_build(r, NULL, NULL, NULL);
	warn_unread_vars(o, r, a->g);
	if (!readonly)
		watched_record(a->wt, a->ke->fc);
	if (o->stats)
		watched_stats(a->wt, a->ke->fc);
	if (!readonly && (filecache_save(a->ke->fc, FILECACHE, AT_FDCWD) < 0 ||
	                  filecache_save(a->ke->outfc, OUTCACHE, AT_FDCWD) < 0) && ret == 0)
		ret = SB_EXIT_USAGE;
	if (!readonly)
		watched_commit(a->wt, a->ke->fc);
	if (!readonly)
		recipe_save_bytecode(r);
	if (!readonly)
		docker_ahead_save(docker_lua_peek(recipe_lua(r)), STATE_DIR "/ahead");
	ret = engine_exit(ret, r);
	if (!readonly)
		runout_trace(STATE_DIR, &spans, argc, argv, ret, start);
	state_close(st);
	if (!runout_report_end(a->json, report) && o->json)
		runout_json(a->json, &spans, ret, o->b.dry_run, now_ns() - start, tally.saved_ns);
	build_spans_release(&spans);
	free(targets);
	return ret;
}

/* json_stdout: --json: the document goes to the real stdout, everything else that would (status lines, what tasks
 * print) to stderr. NULL when stdout cannot be duplicated. */
static FILE *json_stdout(void)
{
	int fd;

	fflush(stdout);
	if ((fd = dup(1)) < 0 || dup2(2, 1) < 0)
		return error("--json: cannot set stdout aside:"), NULL;
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fdopen(fd, "w");
}

int main(int argc, char **argv)
{
	struct opts o = {0};
	struct graph g;
	struct recipe *r = NULL;
	struct trust trust = TRUST_INIT;
	struct keyenv ke = {.rootfd = AT_FDCWD, .tmpdir = STATE_DIR, .trust = &trust};
	struct secretkey sk;
	struct watched wt;
	const struct tool *tool = NULL;
	char *stock = NULL, *stock_file = NULL;
	int ret = SB_EXIT_USAGE;

	/* the engine helper, started by enginesrv_start: not a command for people */
	if (argc == 4 && strcmp(argv[1], "--engine-helper") == 0)
		return enginesrv_main(argv[2], argv[3]);
	/* the file watcher, started by a run (watch/watcher.h): not a command for people either */
	if (argc == 3 && strcmp(argv[1], "--watcher") == 0)
		return watch_main(argv[2]);
	/* a build of watch mode (cli/watchmode.h): the same command line, -w left to the run that watches */
	int in_watch = argc > 1 && strcmp(argv[1], "--in-watch") == 0;
	if (in_watch) {
		argv[1] = argv[0];
		argv++;
		argc--;
	}
	char *start_dir = NULL; /* where watch mode runs each build */
	graph_init(&g);
	if (args_parse(argc, argv, &o) < 0)
		goto out0;
	if (o.watch && (o.tool || o.b.dry_run || o.json)) {
		error("-w builds targets again as their inputs change: it goes with no -t tool, -n or --json");
		goto out0;
	}
	if (o.watch && !in_watch)
		start_dir = getcwd(NULL, 0);
	if (o.tool && !(tool = tools_find(o.tool))) {
		struct buf b = BUF_INIT;
		tools_suggest(o.tool, &b);
		error("unknown tool '%s'%s (-t list shows them)", o.tool, b.data ? b.data : "");
		buf_release(&b);
		goto out0;
	}
	if (tool && o.json && !(tool->flags & TOOL_JSON)) {
		error("-t %s has no --json document; these tools have one: targets, explain, key, stats, trace", o.tool);
		goto out0;
	}
	/* first: SINDRI_BUILD_SECRET_KEY leaves the environment before anything is spawned */
	secretkey_init(&sk, SECRET_KEY_FILE);
	ke.secrets = &sk;
	watched_init(&wt);
	compat_status_env();
	struct tool_args a = {
		.g = &g, .ke = &ke, .b = &o.b, .out = o.out, .targets = &o.targets, .vars = &o.vars,
		.state_dir = STATE_DIR, .filecache = FILECACHE, .wt = &wt, .all = o.all, .svg = o.svg, .runs = o.runs,
		.stats = o.stats, .misplaced = args_misplaced, .misplaced_arg = &o,
		.set_build = recipe_set_build, .recipe_files = recipe_files,
	};
	if (o.json && !(a.json = json_stdout()))
		goto out;
	if (o.dir && chdir(o.dir) < 0) {
		error("cannot change to directory '%s':", o.dir);
		goto out;
	}
	if (tool && (tool->flags & TOOL_NO_RECIPE)) {
		a.g = NULL;
		ret = tool->run(&a);
		goto out;
	}
	int named = o.file != NULL; /* by -f */
	stock = stock_dir();
	stock_file = xasprintf("%s/sindri.lua", stock);
	if (!o.file && access("sindri-build.lua", F_OK) < 0 && access("v3/Cargo.toml", F_OK) < 0)
		sindri_root(o.b.quiet);
	if (!o.file && access("sindri-build.lua", F_OK) < 0 && access("v3/Cargo.toml", F_OK) == 0)
		o.file = stock_file; /* a Sindri checkout without a recipe of its own */
	if (!o.file)
		o.file = "sindri-build.lua";
	if (access(o.file, F_OK) < 0 && tool && (tool->flags & TOOL_RECIPE_OPTIONAL)) {
		ret = tool->run(&a);
		goto out;
	}
	if (access(o.file, F_OK) < 0) {
		if (named)
			error("no recipe file '%s' (named by -f): check its path, which is relative to the directory it runs "
			      "in (-C)", o.file);
		else
			error("no recipe file '%s' here; write one (see docs/recipes.md) or name it with -f FILE", o.file);
		goto out;
	}
	if (o.watch && !in_watch) {
		struct watchmode wm = {o.file, WATCH_TOKEN, FILECACHE, start_dir};
		ret = watchmode_run(argc, argv, &wm);
		goto out;
	}
	a.recipe_file = o.file;
	r = recipe_new(&g, &o.vars, o.b.verbose);
	a.r = r;
	recipe_set_trust(r, &trust);
	recipe_set_bytecode_cache(r, STATE_DIR "/luac");
	recipe_set_stock(r, stock, o.b.verbose);
	image_lua_open(r);
	docker_lua_open(r);
	sindriconf_lua_open(r);
	gitsrc_lua_open(r);
	/* read-only commands (a dry run, a tool that writes no state) never fetch a from-source clone nor write to it */
	gitsrc_lua_offline(r, o.b.dry_run || (tool && !(tool->flags & TOOL_WRITES)));
	registry_lua_open(r);
	char *path = xasprintf("./?.lua;%s/?.lua;%s/?/init.lua", stock, stock);
	recipe_set_path(r, path);
	free(path);
	ping_ahead(tool, r);
	watch_ask(tool, &wt);
	if (recipe_load(r, o.file) < 0 || graph_resolve(&g) < 0) {
		ret = engine_exit(SB_EXIT_USAGE, r);
		goto out;
	}
	signals_install();
	ke.stop = signals_flag();
	ke.hash_threads = hash_threads();
	if (isatty(2) && !o.b.quiet)
		ke.progress = show_progress;
	if (tool)
		ret = engine_exit(run_tool(tool, &a, r), r);
	else
		ret = run_build(&o, &a, r, argc, argv);
out:
	filecache_free(ke.fc);
	filecache_free(ke.outfc);
	secretkey_release(&sk);
	watched_release(&wt);
	if (a.json)
		fclose(a.json);
out0:
	free(start_dir);
	recipe_free(r);
	graph_release(&g);
	strv_release(&o.targets);
	strv_release(&o.vars);
	free(stock);
	free(stock_file);
	return ret;
}
