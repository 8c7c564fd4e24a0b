/* compat: the samu-parity tools (query, commands), NINJA_STATUS, and the dispatch to -t ninja and -t run. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "compat.h"
#include "edge.h"
#include "fileset.h"
#include "graph.h"
#include "key.h"
#include "ninja.h"
#include "runout.h"
#include "tools.h"
#include "util.h"

/* query_inputs: the input files as they are now (ninja's implicit inputs, hence "| "). */
static void query_inputs(const struct task *t, const struct keyenv *ke)
{
	struct fileset fs;
	struct strv files = {0}, dirs = {0};
	struct buf err = BUF_INIT;
	size_t nex;
	const char **ex = task_walk_excludes(t, ke, &nex);

	fileset_init(&fs);
	if (t->inputs.n && fileset_expand(&fs, AT_FDCWD, (const char *const *)t->inputs.v, t->inputs.n, ex, nex, &err) < 0) {
		warn("task '%s': inputs: %s", t->name, err.data ? err.data : "error");
		for (size_t i = 0; i < t->inputs.n; i++)
			printf("    | %s\n", t->inputs.v[i]);
	}
	for (size_t i = 0; i < fs.n; i++)
		printf("    | %s\n", fs.v[i].path);
	/* what the type adds before the key is computed (a Dockerfile, its context): what a build reads there is known
	 * once the key is (-t explain shows it) */
	task_paths(t, &files, &dirs);
	for (size_t i = 0; i < files.n; i++)
		printf("    | %s\n", files.v[i]);
	for (size_t i = 0; i < dirs.n; i++)
		printf("    | %s%s\n", dirs.v[i], strcmp(dirs.v[i], ".") ? "/" : "");
	strv_release(&files);
	strv_release(&dirs);
	fileset_release(&fs);
	buf_release(&err);
	free(ex);
}

/* tool_query: ninja's -t query for tasks: how it runs and its deps, then input files, its outputs, who uses it. */
static int tool_query(const struct tool_args *a)
{
	struct task **v;
	size_t n;
	int ret = 0;

	if (!a->targets->n) {
		error("-t query needs a task: sindri-build -t query TASK...");
		return 2;
	}
	if (tools_resolve(a, &v, &n) < 0) {
		free(v);
		return 2;
	}
	for (size_t i = 0; i < n; i++) {
		struct task *t = v[i];
		printf("%s:\n  input: %s\n", a->targets->v[i], runout_kind(t));
		for (size_t j = 0; j < t->deps.n; j++)
			printf("    %s\n", t->deps.v[j]);
		query_inputs(t, a->ke);
		puts("  outputs:");
		for (size_t j = 0; j < t->outputs.n; j++)
			printf("    %s\n", t->outputs.v[j]);
		puts("  used by:");
		for (size_t k = 0; k < a->g->ntasks; k++) {
			struct task *u = a->g->tasks[k];
			for (size_t j = 0; j < u->deps.n; j++) {
				if (u->depv[j] == t) {
					printf("    %s\n", u->name);
					break;
				}
			}
		}
	}
	free(v);
	return ret;
}

/* tool_commands: ninja's -t commands: every command building the targets runs, dependencies first. */
static int tool_commands(const struct tool_args *a)
{
	struct task **v, **plan;
	size_t n, nplan;

	if (tools_resolve(a, &v, &n) < 0 || graph_plan(a->g, v, n, &plan, &nplan) < 0) {
		free(v);
		return 2;
	}
	for (size_t i = 0; i < nplan; i++) {
		struct task *t = plan[i];
		char *cmd;

		if (t->run == RUN_NONE)
			continue;
		/* a command made only when the task runs (it carries the key) is described instead */
		cmd = t->ops && t->ops->describe ? t->ops->describe(t) : NULL;
		if (!cmd)
			cmd = task_cmdline(t);
		puts(cmd);
		free(cmd);
	}
	free(plan);
	free(v);
	return 0;
}

/* tool_ninja: -t ninja writes the whole graph: targets have no place in it. */
static int tool_ninja(const struct tool_args *a)
{
	if (a->targets->n) {
		error("-t ninja takes no targets: the file has every task (name the file with -o FILE)");
		return 2;
	}
	return ninja_generate(a);
}

const struct tool compat_tools[] = {
	{"query", "show how a task runs, its deps, input files, outputs and dependents (read-only)", tool_query, 0},
	{"commands", "print the commands building the targets would run, in order (read-only)", tool_commands, 0},
	{"ninja", "write a ninja file (-o FILE, default build.ninja) that runs each task through sindri-build",
	 tool_ninja, TOOL_WRITES | TOOL_GENERATES},
	{"run", "bring one task up to date, its deps taken as done, and write its ninja stamp (ninja edges use it)",
	 edge_run, TOOL_WRITES | TOOL_RUNS | TOOL_PING},
	{NULL, NULL, NULL, 0},
};

void compat_status_env(void)
{
	const char *ninja = getenv("NINJA_STATUS");

	if (!getenv("SINDRI_STATUS") && ninja && setenv("SINDRI_STATUS", ninja, 1) < 0)
		warn("cannot use NINJA_STATUS:");
}
