/* tools: the command line's tools and the one table they share with samurai-compat's (tool.h). */
#ifndef SB_TOOLS_H
#define SB_TOOLS_H

#include <stdio.h>

struct buf;
struct strv;
struct task;
struct tool;
struct tool_args;

/* tools_find: the row of the tool called name, or NULL. */
const struct tool *tools_find(const char *name);
/* tools_each: call fn for every row, the command line's first. */
void tools_each(void (*fn)(const struct tool *t, void *arg), void *arg);
/* tools_suggest: append "; did you mean 'x'?" to b when a tool's name is a few edits from name. */
void tools_suggest(const char *name, struct buf *b);
/* tools_resolve: the tasks named by a->targets, else the recipe's defaults; -1 after naming an unknown one (with
 * the nearest name, and how to write a misplaced option or tool). The caller frees *out. */
int tools_resolve(const struct tool_args *a, struct task ***out, size_t *n);

/* JSON documents (--json): tools_json_head opens {"sindri_build": 1, "kind": kind, ...; tools_json_lines adds text as
 * an array of its lines; tools_json_emit writes b and a newline to f and releases b. */
void tools_json_head(struct buf *b, const char *kind);
void tools_json_lines(struct buf *b, const char *text);
/* tools_json_strv: add sv as an array of strings. */
void tools_json_strv(struct buf *b, const struct strv *sv);
void tools_json_emit(FILE *f, struct buf *b);

/* The tools in other files: trace.c (-t trace) and complete.c (-t completion, -t words). */
int tool_trace(const struct tool_args *a);
int tool_completion(const struct tool_args *a);
int tool_words(const struct tool_args *a);

#endif
