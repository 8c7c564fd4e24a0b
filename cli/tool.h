/* tool: the -t tools. Every layer's tools (cli/tools.c, samurai-compat/compat.c) are rows {name, summary, run} of
 * one table, which cli/main.c dispatches through; a layer plugs its tools in by exporting its rows. */
#ifndef SB_TOOL_H
#define SB_TOOL_H

#include <stddef.h>
#include <stdio.h>

struct buf;
struct build_opts;
struct graph;
struct keyenv;
struct recipe;
struct state;
struct strv;
struct watched;

/* What a tool gets from the command line. Nothing here is owned by the tool. */
struct tool_args {
	struct graph *g;             /* resolved (NULL for a TOOL_NO_RECIPE tool) */
	struct recipe *r;            /* loaded; its Lua state names the modules the recipe required */
	struct keyenv *ke;           /* the tools set ke->fc; the caller frees it */
	const struct build_opts *b;  /* -v -q -d explain -n */
	const char *recipe_file;     /* -f as given (or the stock recipe) */
	const char *out;             /* -o FILE, or NULL */
	const struct strv *targets;  /* the operands that are not NAME=value */
	const struct strv *vars;     /* NAME=value operands, baked into generated commands */
	const char *state_dir;       /* ".sindri-build" */
	const char *filecache;       /* the stat cache file in it */
	/* for the command line's own tools */
	struct watched *wt;          /* the watched tree (engine/watched.h) */
	FILE *json;                  /* --json: where the one JSON document goes (stdout); NULL without it */
	int all;                     /* --all (-t targets: aliases and inner tasks too) */
	int svg;                     /* --svg (-t trace) */
	int runs;                    /* --runs N (-t trace), 0: the last run */
	int stats;                   /* -d stats */
	/* The recipe layer, for samurai-compat, which knows no Lua (NULL: none): set_build gives in-process runs
	 * (sb.build) what they build with while a task runs (NULL st: none runs); recipe_files appends the files the
	 * graph was read from, file (the recipe) and the modules it required. */
	void (*set_build)(struct recipe *r, struct state *st, const struct keyenv *ke, const struct build_opts *o);
	void (*recipe_files)(struct recipe *r, const char *file, struct strv *out);
	/* misplaced: appends to b how to write an unknown target that is an option or a tool in the wrong place */
	void (*misplaced)(const void *arg, const char *name, size_t index, struct buf *b);
	const void *misplaced_arg;
};

enum tool_flags {
	TOOL_NO_RECIPE = 1 << 0, /* runs before any recipe is read (none is needed) */
	TOOL_WRITES = 1 << 1,    /* may write state; every other tool reads only (and fetches no from-source clone) */
	TOOL_PING = 1 << 2,      /* computes keys: the Docker engine is pinged while the recipe loads */
	TOOL_WATCH = 1 << 3,     /* computes keys from the walks: the watched tree is asked first */
	TOOL_RUNS = 1 << 4,      /* runs tasks: may start the engine helper; keeps the compiled recipe */
	TOOL_GENERATES = 1 << 5, /* writes commands from the tasks' definitions: their Lua values are added to them */
	TOOL_RECIPE_OPTIONAL = 1 << 6, /* reads the recipe when there is one (-t words: completion works anywhere) */
	TOOL_JSON = 1 << 7,      /* has a --json document (docs/cli.md, "JSON output") */
};

struct tool {
	const char *name;
	const char *summary; /* one line for -t list */
	int (*run)(const struct tool_args *a); /* the exit code (build.h's enum sb_exit) */
	unsigned flags;
};

/* The tools of samurai-compat (ninja, run, query, commands) and of the command line, each table ending in a row
 * whose name is NULL. */
extern const struct tool compat_tools[];
extern const struct tool cli_tools[];

#endif
