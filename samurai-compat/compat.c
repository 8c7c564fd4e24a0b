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
#include "image.h"
#include "ninja.h"
#include "util.h"

/* targets: the tasks named by the operands, else the defaults. -1 after an error. Caller frees *out. */
static int targets(const struct compat_args *a, struct task ***out, size_t *n)
{
	const struct strv *use = a->targets->n ? a->targets : &a->g->defaults;

	*out = xcalloc(use->n + 1, sizeof(**out));
	*n = 0;
	if (!use->n)
		return error("no target given and the recipe has no default; 'sindri-build -t targets' lists them");
	for (size_t i = 0; i < use->n; i++) {
		struct task *t = graph_find(a->g, use->v[i]);
		if (!t) {
			struct buf b = BUF_INIT;
			graph_suggest(a->g, use->v[i], &b);
			error("unknown target '%s'%s", use->v[i], b.data ? b.data : "");
			buf_release(&b);
			return -1;
		}
		(*out)[(*n)++] = t;
	}
	return 0;
}

static const char *kind(const struct task *t)
{
	if (t->ops && t->ops->kind)
		return t->ops->kind;
	switch (t->run) {
	case RUN_ARGV: return "argv";
	case RUN_SHELL: return "shell";
	case RUN_FUNC: return "lua";
	case RUN_NONE: break;
	}
	return "group";
}

/* query_inputs: the input files as they are now (ninja's implicit inputs, hence "| "). */
static void query_inputs(const struct task *t)
{
	const struct image_spec *sp = image_task_spec(t);
	struct fileset fs;
	struct buf err = BUF_INIT;

	fileset_init(&fs);
	if (t->inputs.n && fileset_expand(&fs, AT_FDCWD, (const char *const *)t->inputs.v, t->inputs.n,
	                                  (const char *const *)t->excludes.v, t->excludes.n, &err) < 0) {
		warn("task '%s': inputs: %s", t->name, err.data ? err.data : "error");
		for (size_t i = 0; i < t->inputs.n; i++)
			printf("    | %s\n", t->inputs.v[i]);
	}
	for (size_t i = 0; i < fs.n; i++)
		printf("    | %s\n", fs.v[i].path);
	if (sp) {
		/* what COPY and ADD read is known once the Dockerfile is parsed with the build args: -t explain shows it */
		printf("    | %s\n    | %s%s\n", sp->dockerfile, sp->context, strcmp(sp->context, ".") ? "/" : "");
	}
	fileset_release(&fs);
	buf_release(&err);
}

/* tool_query: ninja's -t query for tasks: how it runs and its deps, then input files, its outputs, who uses it. */
static int tool_query(const struct compat_args *a)
{
	struct task **v;
	size_t n;
	int ret = 0;

	if (!a->targets->n) {
		error("-t query needs a task: sindri-build -t query TASK...");
		return 2;
	}
	if (targets(a, &v, &n) < 0) {
		free(v);
		return 2;
	}
	for (size_t i = 0; i < n; i++) {
		struct task *t = v[i];
		printf("%s:\n  input: %s\n", a->targets->v[i], kind(t));
		for (size_t j = 0; j < t->deps.n; j++)
			printf("    %s\n", t->deps.v[j]);
		query_inputs(t);
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
static int tool_commands(const struct compat_args *a)
{
	struct task **v, **plan;
	size_t n, nplan;

	if (targets(a, &v, &n) < 0 || graph_plan(a->g, v, n, &plan, &nplan) < 0) {
		free(v);
		return 2;
	}
	for (size_t i = 0; i < nplan; i++) {
		struct task *t = plan[i];
		const struct image_spec *sp = image_task_spec(t);
		char *cmd;

		if (t->run == RUN_NONE)
			continue;
		if (sp && !t->argv.n) {
			/* the build's argv carries the key as a label: it is made when the task runs */
			printf("(docker build -f %s -t %s %s)\n", sp->dockerfile, sp->tags.n ? sp->tags.v[0] : "?",
			       sp->context);
			continue;
		}
		cmd = task_cmdline(t);
		puts(cmd);
		free(cmd);
	}
	free(plan);
	free(v);
	return 0;
}

int compat_tool_known(const char *name)
{
	return strcmp(name, "ninja") == 0 || strcmp(name, "run") == 0 || strcmp(name, "query") == 0 ||
	       strcmp(name, "commands") == 0;
}

int compat_tool(const char *name, const struct compat_args *a)
{
	if (strcmp(name, "ninja") == 0) {
		if (a->targets->n) {
			error("-t ninja takes no targets: the file has every task (name the file with -o FILE)");
			return 2;
		}
		return ninja_generate(a);
	}
	if (strcmp(name, "run") == 0)
		return edge_run(a);
	if (strcmp(name, "query") == 0)
		return tool_query(a);
	if (strcmp(name, "commands") == 0)
		return tool_commands(a);
	error("unknown tool '%s' (-t list shows them)", name);
	return 2;
}

void compat_status_env(void)
{
	const char *ninja = getenv("NINJA_STATUS");

	if (!getenv("SINDRI_STATUS") && ninja && setenv("SINDRI_STATUS", ninja, 1) < 0)
		warn("cannot use NINJA_STATUS:");
}
