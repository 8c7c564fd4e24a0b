/* main: the command line. Thin: options, the recipe, then a build or a tool. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "compat.h"
#include "docker_lua.h"
#include "dockerapi.h"
#include "enginesrv.h"
#include "filecache.h"
#include "gitsrc_lua.h"
#include "graph.h"
#include "image_lua.h"
#include "key.h"
#include "outputs.h"
#include "proc.h"
#include "recipe.h"
#include "secret.h"
#include "registry_lua.h"
#include "sindriconf_lua.h"
#include "state.h"
#include "util.h"
#include "watchsrv.h"

#define VERSION "0.1.0"
#define STATE_DIR ".sindri-build"
#define FILECACHE STATE_DIR "/files"
#define WATCH_TOKEN STATE_DIR "/watch"
#define SECRET_KEY_FILE STATE_DIR "/secret-key"

struct opts {
	const char *dir, *file, *tool;
	const char *out; /* -o FILE, for -t ninja */
	int stats;       /* -d stats */
	struct build_opts b;
	struct strv targets, vars;
};

static void usage(FILE *f)
{
	fputs("usage: sindri-build [-C dir] [-f file] [-j N] [-k N] [-n] [-v] [-q] [-d explain] [-t tool]\n"
	      "                    [target...] [NAME=value...]\n"
	      "\n"
	      "options:\n"
	      "  -C dir      change to dir before doing anything\n"
	      "  -f file     recipe file (default: sindri-build.lua)\n"
	      "  -j N        run N jobs in parallel (default: number of CPUs)\n"
	      "  -k N        keep going until N tasks fail (0: never stop; default 1)\n"
	      "  -n          dry run: say what would run, run nothing, write nothing\n"
	      "  -v          print commands, task output and Lua tracebacks\n"
	      "  -q          quiet: only errors\n"
	      "  -d explain  say why each task runs; -d stats  count the walks' stat calls\n"
	      "  -t tool     run a tool: targets graph query commands key explain stats clean ninja run (-t list)\n"
	      "  -o file     the file -t ninja writes (default: build.ninja)\n"
	      "  --config F  CONFIG=F;  --yes  YES=1;  --json  JSON=1;  --from-source  FROM_SOURCE=1;\n"
	      "              --push  PUSH=1;  --strict-cache  STRICT_CACHE=1\n"
	      "  --remote    with -t explain: compare with what the remote cache published\n"
	      "  --help, --version\n"
	      "\n"
	      "Without a sindri-build.lua, in a Sindri checkout (v3/Cargo.toml), the stock Sindri recipes are used.\n",
	      f);
}

static const char *const tools[][2] = {
	{"targets", "list the tasks with their aliases and descriptions"},
	{"graph", "print the task graph in Graphviz dot"},
	{"key", "print the key of each target (read-only)"},
	{"explain", "say why each task of the targets would run (read-only)"},
	{"stats", "runs, last and mean duration of each task"},
	{"clean", "remove the outputs of the targets (all tasks if none) and forget their runs"},
	{"query", "show how a task runs, its deps, input files, outputs and dependents (read-only)"},
	{"commands", "print the commands building the targets would run, in order (read-only)"},
	{"ninja", "write a ninja file (-o FILE, default build.ninja) that runs each task through sindri-build"},
	{"run", "bring one task up to date, its deps taken as done, and write its ninja stamp (ninja edges use it)"},
	{"server", "the engine helper for the Docker engine in use: status (default), start or stop"},
};

static int is_var(const char *s)
{
	const char *eq = strchr(s, '=');

	if (!eq || eq == s)
		return 0;
	for (const char *p = s; p < eq; p++)
		if (!(*p == '_' || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (p > s && *p >= '0' && *p <= '9')))
			return 0;
	return 1;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	/* long options that set a recipe variable, for the make-style targets: --config F is CONFIG=F */
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{"config", required_argument, NULL, 'c'},
		{"yes", no_argument, NULL, 'y'},
		{"json", no_argument, NULL, 'J'},
		{"from-source", no_argument, NULL, 'S'},
		{"push", no_argument, NULL, 'P'},
		{"strict-cache", no_argument, NULL, 'X'},
		{"remote", no_argument, NULL, 'R'},
		{NULL, 0, NULL, 0},
	};
	long n;
	char *end;
	int c;

	o->b.jobs = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (o->b.jobs < 1)
		o->b.jobs = 1;
	o->b.keep_going = 1;
	/* '+': options end at the first operand, as in samurai */
	while ((c = getopt_long(argc, argv, "+C:f:j:k:nvqd:t:o:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'C': o->dir = optarg; break;
		case 'f': o->file = optarg; break;
		case 'j':
		case 'k':
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno || *end || n < 0 || n > 100000 || (c == 'j' && n < 1))
				return error("invalid -%c value '%s': give a whole number%s", c, optarg, c == 'j' ? " >= 1" : "");
			if (c == 'j')
				o->b.jobs = (int)n;
			else
				o->b.keep_going = (int)n;
			break;
		case 'n': o->b.dry_run = 1; break;
		case 'v': o->b.verbose = 1; break;
		case 'q': o->b.quiet = 1; break;
		case 'd':
			if (strcmp(optarg, "explain") == 0) {
				o->b.explain = 1;
			} else if (strcmp(optarg, "stats") == 0) {
				o->stats = 1;
			} else if (strcmp(optarg, "list") == 0) {
				puts("debugging modes:\n  explain  say why each task runs\n"
				     "  stats    at the end, how many stat calls the walks made and how many the watched tree spared");
				exit(0);
			} else {
				return error("unknown debug mode '%s' (-d list shows them)", optarg);
			}
			break;
		case 't': o->tool = optarg; break;
		case 'o': o->out = optarg; break;
		case 'c': {
			char *kv = xasprintf("CONFIG=%s", optarg);
			strv_push(&o->vars, kv);
			free(kv);
			break;
		}
		case 'y': strv_push(&o->vars, "YES=1"); break;
		case 'J': strv_push(&o->vars, "JSON=1"); break;
		case 'S': strv_push(&o->vars, "FROM_SOURCE=1"); break;
		case 'P': strv_push(&o->vars, "PUSH=1"); break;
		case 'X': strv_push(&o->vars, "STRICT_CACHE=1"); break;
		case 'R': o->b.remote = 1; break;
		case 'h': usage(stdout); exit(0);
		case 'V': puts(VERSION); exit(0);
		default: usage(stderr); return -1;
		}
	}
	for (int i = optind; i < argc; i++) {
		if (is_var(argv[i]))
			strv_push(&o->vars, argv[i]);
		else
			strv_push(&o->targets, argv[i]);
	}
	return 0;
}

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

static int resolve_targets(struct graph *g, const struct strv *names, struct task ***out, size_t *n)
{
	const struct strv *use = names->n ? names : &g->defaults;

	*out = xcalloc(use->n + 1, sizeof(**out));
	*n = 0;
	if (!use->n)
		return error("no target given and the recipe has no default; 'sindri-build -t targets' lists them");
	for (size_t i = 0; i < use->n; i++) {
		struct task *t = graph_find(g, use->v[i]);
		if (!t) {
			struct buf b = BUF_INIT;
			graph_suggest(g, use->v[i], &b);
			error("unknown target '%s'%s", use->v[i], b.data ? b.data : "");
			buf_release(&b);
			return -1;
		}
		(*out)[(*n)++] = t;
	}
	return 0;
}

static int tool_targets(struct graph *g)
{
	for (size_t i = 0; i < g->ntasks; i++) {
		struct task *t = g->tasks[i];
		printf("%s", t->name);
		if (t->desc)
			printf(": %s", t->desc);
		for (size_t j = 0; j < t->aliases.n; j++)
			printf("%s%s", j ? ", " : " (also: ", t->aliases.v[j]);
		if (t->aliases.n)
			putchar(')');
		putchar('\n');
	}
	return 0;
}

static int tool_graph(struct graph *g, struct task **targets, size_t n, int all)
{
	struct task **plan;
	size_t nplan;

	if (all) {
		plan = g->tasks;
		nplan = g->ntasks;
	} else if (graph_plan(g, targets, n, &plan, &nplan) < 0) {
		return 2;
	}
	puts("digraph sindri_build {\n  rankdir=\"LR\"\n  node [fontsize=10, shape=box, height=0.25]");
	for (size_t i = 0; i < nplan; i++) {
		printf("  \"%s\"\n", plan[i]->name);
		for (size_t j = 0; j < plan[i]->deps.n; j++)
			printf("  \"%s\" -> \"%s\"\n", plan[i]->depv[j]->name, plan[i]->name);
	}
	puts("}");
	if (!all)
		free(plan);
	return 0;
}

static void print_stat(const struct taskrec *rec, void *arg)
{
	(void)arg;
	printf("%-32s %6u %10.3f %10.3f\n", rec->name, rec->runs, (double)rec->last_ns / 1e9,
	       rec->runs ? (double)rec->total_ns / rec->runs / 1e9 : 0.0);
}

static int tool_stats(struct state *st)
{
	printf("%-32s %6s %10s %10s\n", "task", "runs", "last (s)", "mean (s)");
	state_each(st, print_stat, NULL);
	return 0;
}

/* What print_reason needs. */
struct explain_arg {
	struct recipe *r;
	const struct keyenv *ke;
	int remote; /* --remote */
};

/* print_reason: -t explain's line for each task; with --remote, what its shared cache published; a task with a
 * plan function (a cycle) then says what it would do inside, an up-to-date one with an explain function what it
 * rests on. */
static void print_reason(struct task *t, int run, const char *why, void *arg)
{
	struct explain_arg *ea = arg;
	struct buf b = BUF_INIT, remote = BUF_INIT;

	if (ea->remote && t->ops && t->ops->remote && t->ops->remote(t, ea->ke, &remote) < 0)
		buf_reset(&remote);
	if (!run) {
		printf("%s: up to date\n", t->name);
	} else {
		printf("%s: would run:\n", t->name);
		buf_adds(&b, why);
	}
	buf_adds(&b, remote.data ? remote.data : "");
	for (char *line = b.data ? strtok(b.data, "\n") : NULL; line; line = strtok(NULL, "\n"))
		printf("  %s\n", line);
	buf_release(&b);
	buf_release(&remote);
	fflush(stdout);
	if (ea->r)
		(run ? recipe_plan : recipe_explain_current)(t, ea->r);
}

/* tool_explain: -t explain, and -t key (keys_only) which computes the same keys without deciding. */
static int tool_explain(struct graph *g, struct task **targets, size_t n, struct state *st, const struct keyenv *ke,
                        int keys_only, struct recipe *r, const struct build_opts *bo)
{
	struct task **plan;
	size_t nplan;

	if (!keys_only) {
		/* plan functions may look inside (sb.outdated, a dry sb.build): as in a dry run */
		struct build_opts dry = *bo;
		struct build_tally tally = {0};
		dry.dry_run = 1;
		dry.tally = &tally;
		dry.plan = recipe_plan;
		dry.plan_arg = r;
		recipe_set_build(r, st, ke, &dry);
		struct explain_arg ea = {r, ke, bo->remote};
		int ret = build_explain(g, targets, n, st, ke, print_reason, &ea) < 0 ? 1 : 0;
		recipe_set_build(r, NULL, NULL, NULL);
		return ret;
	}
	if (graph_plan(g, targets, n, &plan, &nplan) < 0)
		return 2;
	for (size_t i = 0; i < nplan; i++) {
		if (task_key(plan[i], ke) < 0) {
			free(plan);
			return 1;
		}
	}
	free(plan);
	for (size_t i = 0; i < n; i++) {
		char hex[HASH_HEX_LEN + 1];
		hash_hex(&targets[i]->key, hex);
		printf(n > 1 ? "%s %s\n" : "%s\n", hex, targets[i]->name);
	}
	return 0;
}

/* tool_clean: remove what the recorded run of each task produced (outputs.h), then forget the run. */
static int tool_clean(struct graph *g, struct task **targets, size_t n, int all, struct state *st)
{
	struct task **plan;
	size_t nplan;
	int ret = 0;

	if (all) {
		plan = g->tasks;
		nplan = g->ntasks;
	} else {
		plan = targets;
		nplan = n;
	}
	for (size_t i = 0; i < nplan; i++) {
		struct task *t = plan[i];
		if (outputs_clean(st, t, AT_FDCWD, !all) < 0)
			ret = -1;
		if (state_get(st, t->name) && state_forget(st, t->name) < 0)
			ret = -1;
	}
	return ret < 0 ? 1 : 0;
}

/* ping_ahead: for a run that decides tasks, send the engine's version ping through the engine helper now, when
 * one runs: the engine answers while the recipe loads, and an image task finds the answer waiting. Only for an
 * engine on a unix socket (the only kind with a helper), whose address cannot be refused with an error. */
static void ping_ahead(const struct opts *o, struct recipe *r)
{
	const char *host = getenv("DOCKER_HOST");
	struct docker *d;

	if (o->tool && strcmp(o->tool, "key") && strcmp(o->tool, "explain") && strcmp(o->tool, "run"))
		return;
	if (host && *host && !(str_has_prefix(host, "unix://") && host[7]))
		return;
	if ((d = docker_lua_client(recipe_lua(r))))
		docker_ping_ahead(d);
}

/* watch_ask: for a build, -t key or -t explain, ask the engine helper about the watched tree now. */
static void watch_ask(const struct opts *o, struct recipe *r, struct watched *wt)
{
	const char *off = getenv("SINDRI_BUILD_WATCH");
	struct docker *d;

	if (o->tool && strcmp(o->tool, "key") && strcmp(o->tool, "explain"))
		return;
	if ((!off || strcmp(off, "0") != 0) && (d = docker_lua_client(recipe_lua(r))))
		watched_ask(wt, d, WATCH_TOKEN, FILECACHE);
}

/* tool_server: -t server [status|start|stop], the engine helper (docker/enginesrv.h); needs no recipe. */
static int tool_server(const struct strv *args)
{
	const char *what = args->n ? args->v[0] : "status";
	struct docker *d;
	int ret = 0, fd = -1;

	if (args->n > 1 || (strcmp(what, "status") && strcmp(what, "start") && strcmp(what, "stop")))
		return error("usage: sindri-build -t server [status|start|stop]"), 2;
	if (!(d = docker_open(NULL)))
		return 2;
	if (!docker_socket(d)) {
		printf("engine helper: none for '%s' (only an engine on a unix socket has one)\n", docker_host(d));
	} else if (strcmp(what, "start") == 0) {
		ret = enginesrv_start(docker_socket(d), 1);
		/* started in the background: wait until it answers, so that the next run uses it */
		for (int i = 0; ret == 0 && i < 500 && (fd = enginesrv_connect(docker_socket(d))) < 0; i++)
			usleep(10000);
		if (ret == 0 && fd < 0)
			ret = error("the engine helper did not answer within 5 s");
		if (fd >= 0)
			close(fd);
		if (ret == 0)
			ret = enginesrv_status(docker_socket(d), 0);
	} else {
		ret = enginesrv_status(docker_socket(d), strcmp(what, "stop") == 0);
	}
	docker_close(d);
	return ret < 0 ? 2 : 0;
}

static int run_tool(struct opts *o, struct graph *g, struct keyenv *ke, struct watched *wt, struct recipe *r)
{
	struct task **targets = NULL;
	size_t n = 0;
	struct state *st = NULL;
	int ret = 2, writes = strcmp(o->tool, "clean") == 0;
	int need_targets = strcmp(o->tool, "key") == 0 || strcmp(o->tool, "explain") == 0;

	if (strcmp(o->tool, "list") == 0) {
		puts("tools:");
		for (size_t i = 0; i < LEN(tools); i++)
			printf("  %-8s %s\n", tools[i][0], tools[i][1]);
		return 0;
	}
	if (strcmp(o->tool, "targets") == 0)
		return tool_targets(g);
	if ((need_targets || o->targets.n) && resolve_targets(g, &o->targets, &targets, &n) < 0)
		goto out;
	if (strcmp(o->tool, "graph") == 0) {
		ret = tool_graph(g, targets, n, o->targets.n == 0);
		goto out;
	}
	size_t i;
	for (i = 0; i < LEN(tools) && strcmp(tools[i][0], o->tool) != 0; i++)
		;
	if (i == LEN(tools)) {
		error("unknown tool '%s' (-t list shows them)", o->tool);
		goto out;
	}
	st = state_open(STATE_DIR, writes ? STATE_WRITE : 0);
	if (!st)
		goto out;
	ke->fc = filecache_load(FILECACHE);
	watched_answer(wt, ke->fc, build_epoch);
	ke->readonly = !writes;
	/* -t explain asks no registry (an absent base shows as such) unless --remote asks for the comparison */
	ke->offline = strcmp(o->tool, "explain") == 0 && !o->b.remote;
	if (strcmp(o->tool, "stats") == 0)
		ret = tool_stats(st);
	else if (strcmp(o->tool, "clean") == 0)
		ret = tool_clean(g, targets, n, o->targets.n == 0, st);
	else
		ret = tool_explain(g, targets, n, st, ke, strcmp(o->tool, "key") == 0, r, &o->b);
	if (o->stats)
		watched_stats(wt, ke->fc);
out:
	if (st)
		state_close(st);
	free(targets);
	return ret;
}

int main(int argc, char **argv)
{
	struct opts o = {0};
	struct graph g;
	struct recipe *r = NULL;
	struct keyenv ke = {.rootfd = AT_FDCWD, .tmpdir = STATE_DIR};
	struct secretkey sk;
	struct watched wt;
	struct task **targets = NULL;
	size_t n = 0;
	int ret = 2;

	/* the engine helper, started by enginesrv_start: not a command for people */
	if (argc == 4 && strcmp(argv[1], "--engine-helper") == 0)
		return enginesrv_main(argv[2], argv[3]);
	if (parse_args(argc, argv, &o) < 0)
		return 2;
	/* first: SINDRI_BUILD_SECRET_KEY leaves the environment before anything is spawned */
	secretkey_init(&sk, SECRET_KEY_FILE);
	ke.secrets = &sk;
	watched_init(&wt);
	compat_status_env();
	if (o.dir && chdir(o.dir) < 0) {
		error("cannot change to directory '%s':", o.dir);
		secretkey_release(&sk);
		return 2;
	}
	if (o.tool && strcmp(o.tool, "server") == 0) {
		ret = tool_server(&o.targets);
		strv_release(&o.targets);
		strv_release(&o.vars);
		secretkey_release(&sk);
		return ret;
	}
	char *stock = stock_dir();
	char *stock_file = xasprintf("%s/sindri.lua", stock);
	if (!o.file && access("sindri-build.lua", F_OK) < 0 && access("v3/Cargo.toml", F_OK) == 0)
		o.file = stock_file; /* a Sindri checkout without a recipe of its own */
	if (!o.file)
		o.file = "sindri-build.lua";
	if (access(o.file, F_OK) < 0) {
		error("no recipe file '%s' here; write one (see docs/recipes.md) or name it with -f FILE", o.file);
		free(stock);
		free(stock_file);
		secretkey_release(&sk);
		return 2;
	}
	graph_init(&g);
	r = recipe_new(&g, &o.vars, o.b.verbose);
	recipe_set_bytecode_cache(r, STATE_DIR "/luac");
	image_lua_open(r);
	docker_lua_open(r);
	sindriconf_lua_open(r);
	gitsrc_lua_open(r);
	/* read-only commands never fetch a from-source clone nor write to it */
	gitsrc_lua_offline(r, o.b.dry_run || (o.tool && strcmp(o.tool, "clean") != 0 && strcmp(o.tool, "ninja") != 0 &&
	                                      strcmp(o.tool, "run") != 0));
	registry_lua_open(r);
	char *path = xasprintf("./?.lua;%s/?.lua;%s/?/init.lua", stock, stock);
	recipe_set_path(r, path);
	free(path);
	ping_ahead(&o, r);
	watch_ask(&o, r, &wt);
	if (recipe_load(r, o.file) < 0 || graph_resolve(&g) < 0)
		goto out;
	signals_install();
	ke.stop = signals_flag();
	if (isatty(2) && !o.b.quiet)
		ke.progress = show_progress;
	if (o.tool && compat_tool_known(o.tool)) {
		enginesrv_allow_start(strcmp(o.tool, "run") == 0);
		if (strcmp(o.tool, "ninja") == 0)
			recipe_defn_values(r);
		struct compat_args ca = {&g, r, &ke, &o.b, o.file, o.out, &o.targets, &o.vars, STATE_DIR, FILECACHE};
		ret = compat_tool(o.tool, &ca);
		if (strcmp(o.tool, "run") == 0)
			recipe_save_bytecode(r);
		goto out;
	}
	if (o.tool) {
		ret = run_tool(&o, &g, &ke, &wt, r);
		goto out;
	}
	if (resolve_targets(&g, &o.targets, &targets, &n) < 0)
		goto out;
	/* a dependency cycle is a recipe error: report it before the state is touched */
	struct task **plan;
	size_t nplan;
	if (graph_plan(&g, targets, n, &plan, &nplan) < 0)
		goto out;
	int readonly = o.b.dry_run;
	size_t nreport = 0;
	for (size_t i = 0; i < nplan; i++) {
		if (plan[i]->ops && plan[i]->ops->preflight && plan[i]->ops->preflight(plan[i]) < 0) {
			free(plan);
			goto out;
		}
		nreport += (plan[i]->flags & TASK_READONLY) != 0;
	}
	/* a run of reports only (cache-status, doctor) is a read-only command: no lock, nothing written */
	if (nplan && nreport == nplan)
		readonly = 1;
	free(plan);
	struct state *st = state_open(STATE_DIR, readonly ? 0 : STATE_WRITE);
	if (!st)
		goto out;
	ke.fc = filecache_load(FILECACHE);
	watched_answer(&wt, ke.fc, build_epoch);
	ke.readonly = readonly;
	ke.offline = o.b.dry_run;
	enginesrv_allow_start(!readonly);
	struct build_tally tally = {0};
	o.b.tally = &tally;
	o.b.plan = recipe_plan;
	o.b.plan_arg = r;
	recipe_set_build(r, st, &ke, &o.b);
	ret = build_run(&g, targets, n, st, &ke, &o.b);
	recipe_set_build(r, NULL, NULL, NULL);
	if (!readonly)
		watched_record(&wt, ke.fc);
	if (o.stats)
		watched_stats(&wt, ke.fc);
	if (!readonly && filecache_save(ke.fc, FILECACHE, AT_FDCWD) < 0 && ret == 0)
		ret = 2;
	if (!readonly)
		watched_commit(&wt);
	if (!readonly)
		recipe_save_bytecode(r);
	state_close(st);
out:
	filecache_free(ke.fc);
	secretkey_release(&sk);
	watched_release(&wt);
	free(targets);
	recipe_free(r);
	graph_release(&g);
	strv_release(&o.targets);
	strv_release(&o.vars);
	free(stock);
	free(stock_file);
	return ret;
}
