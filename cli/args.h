/* args: the command line as GNU make and docker read theirs: options, targets and NAME=value in any order, "--"
 * ending the options. */
#ifndef SB_ARGS_H
#define SB_ARGS_H

#include <stdio.h>

#include "build.h"
#include "graph.h"

struct opts {
	const char *dir, *file, *tool;
	const char *out;  /* -o FILE, for -t ninja and -t trace */
	int stats;        /* -d stats */
	int json;         /* --json */
	int all;          /* --all, for -t targets */
	int svg;          /* --svg, for -t trace */
	int runs;         /* --runs N, for -t trace */
	int watch;        /* -w: build again whenever the inputs change */
	size_t after_dashdash; /* targets from this index on came after "--" */
	struct build_opts b;
	struct strv targets, vars;
};

/* One option, for --help and completion. */
struct optdoc {
	char shortopt;         /* 0: long only */
	const char *longopt;   /* NULL: short only */
	const char *arg;       /* the value's name, or NULL */
	const char *help;
};
/* args_options: every option, ending in a row whose help is NULL. */
extern const struct optdoc args_options[];

/* args_optname: how --help writes the option: "-C, --directory DIR", "-d MODE", "--json". */
void args_optname(const struct optdoc *d, char *out, size_t n);
/* args_parse: read argv into o (whose lists the caller releases). --help and --version print and exit 0. Returns 0,
 * or -1 after printing what is wrong and how to write it. */
int args_parse(int argc, char **argv, struct opts *o);
/* args_usage: the --help text. */
void args_usage(FILE *f);
/* args_misplaced: when the unknown target name is an option or a tool in the wrong place, or a variable without its
 * value, append to b how to write it (" (... )"); o (a struct opts) says where it came from. */
void args_misplaced(const void *o, const char *name, size_t index, struct buf *b);

#endif
