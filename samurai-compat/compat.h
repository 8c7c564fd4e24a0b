/* compat: what makes sindri-build a samu/ninja citizen: -t ninja, -t run, -t query, -t commands and NINJA_STATUS. */
#ifndef SB_COMPAT_H
#define SB_COMPAT_H

struct build_opts;
struct graph;
struct keyenv;
struct recipe;
struct strv;

/* What the tools need from the command line. Nothing here is owned by the tools. */
struct compat_args {
	struct graph *g;             /* resolved */
	struct recipe *r;            /* loaded; its Lua state names the modules the recipe required */
	struct keyenv *ke;           /* the tools set ke->fc; the caller frees it */
	const struct build_opts *b;  /* -v -q -d explain */
	const char *recipe_file;     /* -f as given (or the stock recipe) */
	const char *out;             /* -o FILE, or NULL */
	const struct strv *targets;  /* the operands that are not NAME=value */
	const struct strv *vars;     /* NAME=value operands, baked into generated commands */
	const char *state_dir;       /* ".sindri-build" */
	const char *filecache;       /* the stat cache file in it */
};

/* compat_tool_known: 1 when name is one of the tools compat_tool runs (ninja, run, query, commands). */
int compat_tool_known(const char *name);
/* compat_tool: run tool name; returns the process exit code (0 ok, 1 a task failed, 2 usage or recipe error). */
int compat_tool(const char *name, const struct compat_args *a);
/* compat_status_env: when SINDRI_STATUS is unset and NINJA_STATUS is set, use NINJA_STATUS (samu does the same). */
void compat_status_env(void);

#endif
