/* complete: shell completion. -t completion bash|zsh|fish prints a script; the script asks -t words for what the
 * recipe in use declares (targets with their descriptions, the variables it reads), so a new cycle completes as
 * soon as it is written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "build.h"
#include "graph.h"
#include "recipe.h"
#include "tool.h"
#include "tools.h"
#include "util.h"

/* The scripts share one way to find the recipe: the -C and -f given so far on the line. */
static const char bash_script[] =
	"# bash completion for sindri-build (sindri-build -t completion bash)\n"
	"_sindri_build() {\n"
	"\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} i tool=\n"
	"\tlocal -a pre=()\n"
	"\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
	"\t\tcase ${COMP_WORDS[i]} in\n"
	"\t\t-C | -f | --directory | --file) pre+=(\"${COMP_WORDS[i]}\" \"${COMP_WORDS[i+1]}\") ;;\n"
	"\t\t-t) tool=${COMP_WORDS[i+1]} ;;\n"
	"\t\tesac\n"
	"\tdone\n"
	"\tlocal IFS=$'\\n'\n"
	"\tcase $prev in\n"
	"\t-C | --directory) COMPREPLY=($(compgen -d -- \"$cur\")); return ;;\n"
	"\t-f | --file | -o | --config) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n"
	"\t-t) COMPREPLY=($(compgen -W \"$(sindri-build -t words tools 2>/dev/null | cut -f1)\" -- \"$cur\")); return ;;\n"
	"\t-d) COMPREPLY=($(compgen -W $'explain\\nstats\\nlist' -- \"$cur\")); return ;;\n"
	"\t-j | -k | --jobs | --keep-going | --runs) return ;;\n"
	"\tesac\n"
	"\tif [[ $cur == -* ]]; then\n"
	"\t\tCOMPREPLY=($(compgen -W \"$(sindri-build -t words options 2>/dev/null | cut -f1)\" -- \"$cur\"))\n"
	"\t\treturn\n"
	"\tfi\n"
	"\tcase $tool in\n"
	"\tcompletion) COMPREPLY=($(compgen -W $'bash\\nzsh\\nfish' -- \"$cur\")); return ;;\n"
	"\tserver) COMPREPLY=($(compgen -W $'status\\nstart\\nstop' -- \"$cur\")); return ;;\n"
	"\twords) COMPREPLY=($(compgen -W $'targets\\nvars\\ntools\\noptions' -- \"$cur\")); return ;;\n"
	"\tesac\n"
	"\tCOMPREPLY=($(compgen -W \"$(sindri-build \"${pre[@]}\" -t words targets vars 2>/dev/null | cut -f1)\" "
	"-- \"$cur\"))\n"
	"\t# NAME= waits for its value\n"
	"\t[[ ${#COMPREPLY[@]} == 1 && ${COMPREPLY[0]} == *= ]] && compopt -o nospace 2>/dev/null\n"
	"\treturn 0\n"
	"}\n"
	"complete -F _sindri_build sindri-build\n";

static const char zsh_script[] =
	"#compdef sindri-build\n"
	"# zsh completion for sindri-build (sindri-build -t completion zsh)\n"
	"_sindri_build() {\n"
	"\tlocal -a pre described\n"
	"\tlocal i tool\n"
	"\tfor (( i = 2; i < CURRENT; i++ )); do\n"
	"\t\tcase ${words[i]} in\n"
	"\t\t-C|-f|--directory|--file) pre+=(${words[i]} ${words[i+1]}) ;;\n"
	"\t\t-t) tool=${words[i+1]} ;;\n"
	"\t\tesac\n"
	"\tdone\n"
	"\t_sindri_build_words() { described=(${(f)\"$(sindri-build $pre -t words $@ 2>/dev/null | "
	"sed 's/:/\\\\:/g; s/\\t/:/')\"}) }\n"
	"\tcase ${words[CURRENT-1]} in\n"
	"\t-C|--directory) _files -/; return ;;\n"
	"\t-f|--file|-o|--config) _files; return ;;\n"
	"\t-t) _sindri_build_words tools; _describe -t tools tool described; return ;;\n"
	"\t-d) compadd explain stats list; return ;;\n"
	"\t-j|-k|--jobs|--keep-going|--runs) return ;;\n"
	"\tesac\n"
	"\tif [[ ${words[CURRENT]} == -* ]]; then\n"
	"\t\t_sindri_build_words options; _describe -t options option described; return\n"
	"\tfi\n"
	"\tcase $tool in\n"
	"\tcompletion) compadd bash zsh fish; return ;;\n"
	"\tserver) compadd status start stop; return ;;\n"
	"\twords) compadd targets vars tools options; return ;;\n"
	"\tesac\n"
	"\t_sindri_build_words targets vars; _describe -t targets target described -S ''\n"
	"}\n"
	"if [[ $funcstack[1] == _sindri-build ]]; then _sindri_build \"$@\"; else compdef _sindri_build sindri-build; fi\n";

static const char fish_head[] =
	"# fish completion for sindri-build (sindri-build -t completion fish)\n"
	"function __sindri_build_words\n"
	"\tset -l toks (commandline -opc)\n"
	"\tset -l pre\n"
	"\tfor i in (seq 2 (math (count $toks) - 1))\n"
	"\t\tif contains -- $toks[$i] -C -f --directory --file\n"
	"\t\t\tset -a pre $toks[$i] $toks[(math $i + 1)]\n"
	"\t\tend\n"
	"\tend\n"
	"\tsindri-build $pre -t words $argv 2>/dev/null\n"
	"end\n"
	"function __sindri_build_tool\n"
	"\tset -l toks (commandline -opc)\n"
	"\tset -l i (contains -i -- -t $toks); and test (count $toks) -gt $i; and test $toks[(math $i + 1)] = $argv[1]\n"
	"end\n"
	"complete -c sindri-build -f\n"
	"complete -c sindri-build -n 'not __sindri_build_tool completion; and not __sindri_build_tool server' "
	"-a '(__sindri_build_words targets vars)'\n"
	"complete -c sindri-build -n '__sindri_build_tool completion' -a 'bash zsh fish'\n"
	"complete -c sindri-build -n '__sindri_build_tool server' -a 'status start stop'\n";

/* fish_option: one complete line per option, from the table --help prints. */
static void fish_option(const struct optdoc *d)
{
	printf("complete -c sindri-build");
	if (d->shortopt)
		printf(" -s %c", d->shortopt);
	if (d->longopt)
		printf(" -l %s", d->longopt);
	if (d->shortopt == 't')
		printf(" -x -a '(__sindri_build_words tools)'");
	else if (d->shortopt == 'd')
		printf(" -x -a 'explain stats list'");
	else if (d->shortopt == 'C')
		printf(" -x -a '(__fish_complete_directories)'");
	else if (d->arg && (strcmp(d->arg, "FILE") == 0))
		printf(" -r -F");
	else if (d->arg)
		printf(" -x");
	printf(" -d '");
	for (const char *p = d->help; *p; p++)
		printf(*p == '\'' ? "\\'" : "%c", *p);
	printf("'\n");
}

int tool_completion(const struct tool_args *a)
{
	const char *shell = a->targets->n == 1 ? a->targets->v[0] : "";

	if (strcmp(shell, "bash") == 0) {
		fputs(bash_script, stdout);
	} else if (strcmp(shell, "zsh") == 0) {
		fputs(zsh_script, stdout);
	} else if (strcmp(shell, "fish") == 0) {
		fputs(fish_head, stdout);
		for (const struct optdoc *d = args_options; d->help; d++)
			fish_option(d);
	} else {
		return error("-t completion needs a shell: sindri-build -t completion bash (or zsh, fish)"), SB_EXIT_USAGE;
	}
	return SB_EXIT_OK;
}

/* one_line: s up to its first newline, tabs made spaces (a word's description is one line). */
static void word(const char *w, const char *desc)
{
	printf("%s\t", w);
	for (const char *p = desc ? desc : ""; *p && *p != '\n'; p++)
		putchar(*p == '\t' ? ' ' : *p);
	putchar('\n');
}

static void words_targets(const struct graph *g)
{
	for (size_t i = 0; i < g->ntasks; i++) {
		const struct task *t = g->tasks[i];
		word(t->name, t->desc ? t->desc : "");
		for (size_t j = 0; j < t->aliases.n; j++) {
			char *d = xasprintf("%s (%s)", t->desc ? t->desc : "", t->name);
			word(t->aliases.v[j], d);
			free(d);
		}
	}
}

/* words_vars: "NAME=" for every variable the recipe reads (var(), a task's vars), each once, sorted. */
static void words_vars(const struct tool_args *a)
{
	const struct strv *read = recipe_vars_read(a->r);
	struct strv all = {0};

	for (size_t i = 0; i < read->n; i++)
		strv_push(&all, read->v[i]);
	for (size_t i = 0; i < a->g->ntasks; i++)
		for (size_t j = 0; j < a->g->tasks[i]->vars.n; j++)
			strv_push(&all, a->g->tasks[i]->vars.v[j]);
	strv_sort(&all);
	for (size_t i = 0; i < all.n; i++) {
		size_t n = strcspn(all.v[i], "=");
		if (i && strncmp(all.v[i - 1], all.v[i], n) == 0 && strcspn(all.v[i - 1], "=") == n)
			continue;
		const char *def = NULL;
		/* the default a var() call gave, when one did */
		for (size_t j = i; j < all.n && strncmp(all.v[j], all.v[i], n) == 0 && strcspn(all.v[j], "=") == n; j++)
			if (all.v[j][n] == '=' && !def)
				def = all.v[j] + n + 1;
		char *w = xasprintf("%.*s=", (int)n, all.v[i]);
		char *d = def ? xasprintf("recipe variable (default: %s)", def) : xstrdup("recipe variable");
		word(w, d);
		free(w);
		free(d);
	}
	strv_release(&all);
}

static void word_tool(const struct tool *t, void *arg)
{
	(void)arg;
	word(t->name, t->summary);
}

int tool_words(const struct tool_args *a)
{
	if (!a->targets->n)
		return error("-t words needs what to list: targets, vars, tools or options"), SB_EXIT_USAGE;
	for (size_t i = 0; i < a->targets->n; i++) {
		const char *what = a->targets->v[i];
		if (strcmp(what, "targets") == 0) {
			if (a->r) /* no recipe here: nothing */
				words_targets(a->g);
		} else if (strcmp(what, "vars") == 0) {
			if (a->r)
				words_vars(a);
		} else if (strcmp(what, "tools") == 0) {
			tools_each(word_tool, NULL);
		} else if (strcmp(what, "options") == 0) {
			for (const struct optdoc *d = args_options; d->help; d++) {
				char w[40];
				if (d->longopt) {
					snprintf(w, sizeof(w), "--%s", d->longopt);
					word(w, d->help);
				}
				if (d->shortopt) {
					snprintf(w, sizeof(w), "-%c", d->shortopt);
					word(w, d->help);
				}
			}
		} else {
			return error("-t words: unknown list '%s': targets, vars, tools or options", what), SB_EXIT_USAGE;
		}
	}
	return SB_EXIT_OK;
}
