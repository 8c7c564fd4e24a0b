/*
 * dfparse: the Dockerfile parser's shared state, between dockerfile.c (lines, directives, stages, the public API)
 * and dfinstr.c (what FROM, ARG, ENV, COPY, ADD and RUN mean). Internal to those two files.
 */
#ifndef SB_DFPARSE_H
#define SB_DFPARSE_H

#include <stddef.h>

#include "dockerfile.h"
#include "dockerword.h"

struct buf;

/* A variable; value NULL is an ARG declared without one. deps: the global ARGs a global ARG's default came from. */
struct var {
	char *name, *value;
	struct wordlist deps;
};

struct vars {
	struct var *v;
	size_t n, cap;
};

/* A COPY --from or RUN --mount from= reference: a stage (which may come later in the file) or an image. */
struct stageref {
	char *ref;
	int line;
	int by_index; /* COPY --from=1 names stage 1; a mount's from= is a name or an image */
};

/* What the parser keeps of a stage beyond struct dfstage. */
struct pstage {
	/* What substitution sees: ENV and ARGs with a value, in file order, the later one winning (BuildKit adds an
	 * ARG's value to the build's environment); a stage built on another starts from that one's. */
	struct vars env;
	struct wordlist used; /* ARG names the stage consumes */
	size_t *deps;         /* stages it reads from */
	size_t ndeps, cap;
	struct stageref *refs; /* resolved by df_resolve once every stage is known */
	size_t nrefs, caprefs;
};

/* Where substitution looks names up (vars may be NULL); refs, when not NULL, collects the names it used. */
struct scope {
	const struct vars *vars;
	struct wordlist *refs;
};

struct parser {
	const char *path;
	const char *p, *end; /* the unread text */
	int lineno;          /* the last physical line read */
	int line;            /* the first line of the current instruction */
	struct buf *err;
	const struct dfarg *bargs;
	size_t nbargs;
	struct dockerfile *df;
	struct vars global; /* the ARGs before the first FROM */
	struct pstage *ps;  /* parallel to df->stages */
	size_t cap_stages, cap_reads, cap_remotes, cap_images, cap_secrets, cap_keyed;
	struct wordlist refs;
	unsigned seen; /* parser directives seen, one bit each */
};

/* The flags of one instruction: names without "--"; a value is NULL for a bare "--link". */
struct flags {
	struct wordlist name, val;
};

/* df_vars_get: the variable name[0..n) in vs (which may be NULL), or NULL. */
struct var *df_vars_get(const struct vars *vs, const char *name, size_t n);
/* df_vars_set: set name to a copy of value (NULL: declared, unset), dropping an earlier value and its deps. */
struct var *df_vars_set(struct vars *vs, const char *name, const char *value);
/* df_addnew: add s to wl unless it is there. */
void df_addnew(struct wordlist *wl, const char *s);
/* df_error: append "path:line: " and the message to the parser's err; returns -1. */
int df_error(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* df_build_arg: the --build-arg given for name, or NULL. */
const struct dfarg *df_build_arg(const struct parser *p, const char *name);
/* df_expand: word s after substitution in sc (malloc'd), or NULL after reporting the error. */
char *df_expand(struct parser *p, struct scope *sc, const char *s);
/* df_stage_scope: the current stage's variables, recording the names used in refs (which may be NULL). */
struct scope df_stage_scope(struct parser *p, struct wordlist *refs);
/* df_check_flags: every flag must be one of the blank-separated allowed; one not in bools needs a value. */
int df_check_flags(struct parser *p, const char *instr, const struct flags *fl, const char *allowed,
                   const char *bools);
/* df_flag: the last value given for flag name ("" for a bare flag), or NULL when it is absent. */
const char *df_flag(const struct flags *fl, const char *name);

/* df_skip_heredocs: consume the bodies of the here-documents that line (a whole instruction line) opens. */
int df_skip_heredocs(struct parser *p, const char *line);
/* df_forms: BuildKit's checks of an instruction's arguments (JSON arrays of strings, HEALTHCHECK's type) before
 * they mean anything, and the here-documents ADD, COPY and RUN in the shell form open; name is lowercase, args
 * what follows the flags, line the whole instruction line. */
int df_forms(struct parser *p, const char *name, const char *args, const char *line);
/* df_onbuild: the same for the instruction ONBUILD holds (rest: the text after ONBUILD). */
int df_onbuild(struct parser *p, const char *rest, const char *line);

/* The instructions, given the text after the instruction word (rest) and after its flags (args). */
int df_from(struct parser *p, const char *args, struct flags *fl);
int df_arg(struct parser *p, const char *rest);
int df_env(struct parser *p, const char *rest);
int df_copy(struct parser *p, const char *args, struct flags *fl, int add);
int df_run(struct parser *p, const char *args, struct flags *fl);
/* df_resolve: after the last line, turn every stage's references into dependencies or images (in file order) and
 * refuse a cycle. */
int df_resolve(struct parser *p);

#endif
