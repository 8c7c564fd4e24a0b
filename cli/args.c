/* args: options, targets and NAME=value operands, in any order. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "tool.h"
#include "util.h"

#define VERSION "0.1.0"

/* Long options; those after --strict-cache set a recipe variable, for the make-style targets (--config F is
 * CONFIG=F). The letters past 'z' have no short form. */
enum {
	OPT_CONFIG = 256, OPT_YES, OPT_JSON, OPT_FROM_SOURCE, OPT_PUSH, OPT_STRICT_CACHE, OPT_ALL, OPT_SVG, OPT_RUNS,
	OPT_REMOTE,
};

static const struct option longopts[] = {
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{"directory", required_argument, NULL, 'C'},
	{"file", required_argument, NULL, 'f'},
	{"jobs", required_argument, NULL, 'j'},
	{"keep-going", required_argument, NULL, 'k'},
	{"dry-run", no_argument, NULL, 'n'},
	{"verbose", no_argument, NULL, 'v'},
	{"quiet", no_argument, NULL, 'q'},
	{"watch", no_argument, NULL, 'w'},
	{"json", no_argument, NULL, OPT_JSON},
	{"all", no_argument, NULL, OPT_ALL},
	{"svg", no_argument, NULL, OPT_SVG},
	{"remote", no_argument, NULL, OPT_REMOTE},
	{"runs", required_argument, NULL, OPT_RUNS},
	{"config", required_argument, NULL, OPT_CONFIG},
	{"yes", no_argument, NULL, OPT_YES},
	{"from-source", no_argument, NULL, OPT_FROM_SOURCE},
	{"push", no_argument, NULL, OPT_PUSH},
	{"strict-cache", no_argument, NULL, OPT_STRICT_CACHE},
	{NULL, 0, NULL, 0},
};

/* The options as --help, completion and docs/cli.md show them, in that order. */
const struct optdoc args_options[] = {
	{'C', "directory", "DIR", "change to DIR before doing anything"},
	{'f', "file", "FILE", "recipe file (default: sindri-build.lua)"},
	{'j', "jobs", "N", "run N jobs in parallel (default: number of CPUs)"},
	{'k', "keep-going", "N", "keep going until N tasks fail (0: never stop; default 1)"},
	{'n', "dry-run", NULL, "say what would run, run nothing, write nothing"},
	{'v', "verbose", NULL, "stream every task's output; print commands and Lua tracebacks"},
	{'q', "quiet", NULL, "print only errors (and the closing line when something failed)"},
	{'w', "watch", NULL, "build, then build again whenever the inputs change (^C ends)"},
	{'d', NULL, "MODE", "explain: say why each task runs; stats: count the walks' stat calls (-d list)"},
	{'t', NULL, "TOOL", "run a tool instead of building (-t list shows them)"},
	{'o', NULL, "FILE", "the file -t ninja or -t trace writes"},
	{0, "json", NULL, "one JSON document on stdout (the run's result, or the tool's); progress on stderr"},
	{0, "all", NULL, "-t targets: every task, with its aliases"},
	{0, "svg", NULL, "-t trace: an SVG timeline instead of Chrome trace-event JSON"},
	{0, "remote", NULL, "-t explain: compare with what the remote cache published"},
	{0, "runs", "N", "-t trace: the last N runs (default 1)"},
	{0, "config", "FILE", "CONFIG=FILE (the deployment's sindri.yaml)"},
	{0, "yes", NULL, "YES=1: answer yes to what asks first"},
	{0, "from-source", NULL, "FROM_SOURCE=1: the dev image from a git ref (Path B)"},
	{0, "push", NULL, "PUSH=1: push what release builds"},
	{0, "strict-cache", NULL, "STRICT_CACHE=1: an unusable remote cache is an error"},
	{'h', "help", NULL, "this text"},
	{0, "version", NULL, "the version"},
	{0, NULL, NULL, NULL},
};

void args_optname(const struct optdoc *d, char *out, size_t n)
{
	if (d->shortopt && d->longopt)
		snprintf(out, n, "-%c, --%s%s%s", d->shortopt, d->longopt, d->arg ? " " : "", d->arg ? d->arg : "");
	else if (d->shortopt)
		snprintf(out, n, "-%c%s%s", d->shortopt, d->arg ? " " : "", d->arg ? d->arg : "");
	else
		snprintf(out, n, "--%s%s%s", d->longopt, d->arg ? " " : "", d->arg ? d->arg : "");
}

void args_usage(FILE *f)
{
	fputs("usage: sindri-build [options] [target...] [NAME=value...]\n"
	      "       sindri-build -t TOOL [options] [args...]\n"
	      "Options, targets and NAME=value may come in any order; '--' ends the options.\n"
	      "\n"
	      "options:\n", f);
	for (const struct optdoc *d = args_options; d->help; d++) {
		char left[64];
		char line[80];
		args_optname(d, left, sizeof(left));
		snprintf(line, sizeof(line), "%s%s", d->shortopt ? "" : "    ", left);
		fprintf(f, "  %-22s %s\n", line, d->help);
	}
	fputs("\n"
	      "exit codes: 0 success, 1 a task failed, 2 usage or recipe error, 3 the Docker engine did not answer,\n"
	      "            130/143 interrupted (docs/cli.md)\n"
	      "\n"
	      "Without a sindri-build.lua, in a Sindri checkout (v3/Cargo.toml), the stock Sindri recipes are used.\n"
	      "Where to start: 'sindri-build -t targets' lists the targets, 'sindri-build -n TARGET' prints what one\n"
	      "would do, 'sindri-build -t explain TARGET' says why it would run.\n",
	      f);
}

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

/* number: a whole number option value in [min, 100000]. */
static int number(const char *opt, const char *arg, long min, int *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(arg, &end, 10);
	if (errno || *end || n < min || n > 100000)
		return error("invalid %s value '%s': give a whole number%s (%s N)", opt, arg, min ? " >= 1" : " >= 0", opt);
	*out = (int)n;
	return 0;
}

/* nearest_long: the long option closest to what was typed, or NULL. */
static const char *nearest_long(const char *typed)
{
	const char *best = NULL;
	size_t bestd = 3;

	for (size_t i = 0; longopts[i].name; i++) {
		size_t d = edit_distance(typed, longopts[i].name, 2);
		if (d < bestd || (str_has_prefix(longopts[i].name, typed) && *typed && bestd > 1)) {
			best = longopts[i].name;
			bestd = str_has_prefix(longopts[i].name, typed) ? 1 : d;
		}
	}
	return best;
}

/* bad_option: what getopt refused, in the user's terms. */
static int bad_option(int c, char **argv, int at)
{
	const char *arg = at > 0 && argv[at - 1] ? argv[at - 1] : "?";
	static const struct {
		char opt;
		const char *how;
	} needs[] = {
		{'C', "a directory: -C DIR"}, {'f', "a recipe file: -f FILE"}, {'j', "a number: -j N"},
		{'k', "a number: -k N (0: never stop)"}, {'d', "a mode: -d explain or -d stats"},
		{'t', "a tool: -t TOOL (-t list shows them)"}, {'o', "a file: -o FILE"},
	};

	if (c == ':') {
		for (size_t i = 0; i < LEN(needs); i++)
			if (optopt == needs[i].opt)
				return error("option -%c needs %s, right after it", optopt, needs[i].how);
		return error("option '%s' needs a value: %s VALUE (or %s=VALUE)", arg, arg, arg);
	}
	if (str_has_prefix(arg, "--")) {
		char name[64];
		const char *near;
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(arg + 2, "="), arg + 2);
		near = nearest_long(name);
		if (strchr(arg, '=') && !near)
			return error("unknown option '%s'; a recipe variable is written without dashes: %s", arg, arg + 2);
		if (near && strcmp(near, name) == 0)
			return error("option '--%s' takes no value: write --%s alone", name, name);
		return error("unknown option '%s'%s%s%s (sindri-build --help lists them)", arg, near ? "; did you mean '--" : "",
		             near ? near : "", near ? "'?" : "");
	}
	return error("unknown option '-%c' (sindri-build --help lists them)", optopt ? optopt : '?');
}

static void setvar(struct opts *o, const char *name, const char *value)
{
	char *kv = xasprintf("%s=%s", name, value);

	strv_push(&o->vars, kv);
	free(kv);
}

/* tool_option: a tool's option given without its tool says where it belongs. */
static int tool_option(const struct opts *o, const char *opt, int given, const char *tool)
{
	if (!given || (o->tool && strcmp(o->tool, tool) == 0))
		return 0;
	if (o->tool)
		return error("%s is not an option of -t %s: it goes with -t %s (sindri-build -t %s %s)", opt, o->tool, tool,
		             tool, opt);
	return error("%s is an option of -t %s: write sindri-build -t %s %s", opt, tool, tool, opt);
}

int args_parse(int argc, char **argv, struct opts *o)
{
	int c, ao = 0;

	o->b.jobs = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (o->b.jobs < 1)
		o->b.jobs = 1;
	o->b.keep_going = 1;
	o->after_dashdash = (size_t)-1;
	opterr = 0;
	/* '-': operands come back in order as option 1, so options may follow them (as GNU make reads its command line,
	 * whatever POSIXLY_CORRECT says); ':': a missing value is told apart from an unknown option */
	while ((c = getopt_long(argc, argv, "-:C:f:j:k:nvqwd:t:o:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 1:
			if (is_var(optarg))
				strv_push(&o->vars, optarg);
			else
				strv_push(&o->targets, optarg);
			break;
		case 'C': o->dir = optarg; break;
		case 'f': o->file = optarg; break;
		case 'j':
			if (number("-j", optarg, 1, &o->b.jobs) < 0)
				return -1;
			break;
		case 'k':
			if (number("-k", optarg, 0, &o->b.keep_going) < 0)
				return -1;
			break;
		case 'n': o->b.dry_run = 1; break;
		case 'v': o->b.verbose = 1; break;
		case 'q': o->b.quiet = 1; break;
		case 'w': o->watch = 1; break;
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
				return error("unknown debug mode '%s': -d explain or -d stats (-d list shows them)", optarg);
			}
			break;
		case 't': o->tool = optarg; break;
		case 'o': o->out = optarg; break;
		case OPT_JSON:
			o->json = 1;
			strv_push(&o->vars, "JSON=1"); /* reports written in Lua (cache-status) read it */
			break;
		case OPT_ALL: o->all = 1; break;
		case OPT_SVG: o->svg = 1; break;
		case OPT_RUNS:
			if (number("--runs", optarg, 1, &o->runs) < 0)
				return -1;
			break;
		case OPT_CONFIG: setvar(o, "CONFIG", optarg); break;
		case OPT_YES: strv_push(&o->vars, "YES=1"); break;
		case OPT_FROM_SOURCE: strv_push(&o->vars, "FROM_SOURCE=1"); break;
		case OPT_PUSH: strv_push(&o->vars, "PUSH=1"); break;
		case OPT_STRICT_CACHE: strv_push(&o->vars, "STRICT_CACHE=1"); break;
		case OPT_REMOTE: o->b.remote = 1; break;
		case 'h': args_usage(stdout); exit(0);
		case 'V': puts(VERSION); exit(0);
		default: return bad_option(c, argv, optind);
		}
	}
	/* after "--": operands only, however they look */
	if (optind < argc)
		o->after_dashdash = o->targets.n;
	for (int i = optind; i < argc; i++) {
		if (is_var(argv[i]))
			strv_push(&o->vars, argv[i]);
		else
			strv_push(&o->targets, argv[i]);
	}
	ao |= tool_option(o, "--all", o->all, "targets") < 0;
	ao |= tool_option(o, "--svg", o->svg, "trace") < 0;
	ao |= tool_option(o, "--runs", o->runs, "trace") < 0;
	if (o->out && !(o->tool && (strcmp(o->tool, "ninja") == 0 || strcmp(o->tool, "trace") == 0)))
		ao |= error("-o FILE names the file -t ninja or -t trace writes: write sindri-build -t ninja -o FILE") < 0;
	return ao ? -1 : 0;
}

void args_misplaced(const void *arg, const char *name, size_t index, struct buf *b)
{
	const struct opts *o = arg;
	const struct tool *tables[] = {cli_tools, compat_tools};

	if (index >= o->after_dashdash && name[0] == '-') {
		buf_addf(b, " ('--' ends the options, so '%s' is read as a target: put options before '--')", name);
		return;
	}
	for (size_t i = 0; i < LEN(tables); i++) {
		for (const struct tool *t = tables[i]; t->name; t++) {
			if (strcmp(t->name, name) == 0) {
				buf_addf(b, " ('%s' is a tool: run it with sindri-build -t %s)", name, name);
				return;
			}
		}
	}
	/* CONFIG without '=value': a variable, as make and the docs write them, that lost its value */
	if (name[0] >= 'A' && name[0] <= 'Z' && name[strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")] == '\0')
		buf_addf(b, " ('%s' is not a target: a variable is set with %s=value)", name, name);
}
