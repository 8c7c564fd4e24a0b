/* dockerignore: .dockerignore patterns, matched the way docker build matches them against the build context. */
#ifndef SB_DOCKERIGNORE_H
#define SB_DOCKERIGNORE_H

#include <stddef.h>

#include "util.h"

struct buf;

struct goregexp;

/* One cleaned pattern (no "!", no leading '/'); exception is set when the line began with '!'. */
struct dipattern {
	char *pat;
	int exception;
	size_t lit;          /* bytes every match starts with (what comes before the first special character) */
	int kind;            /* how Docker matches it: DI_EXACT, DI_PREFIX, DI_SUFFIX, DI_GLOB or DI_REGEXP */
	struct goregexp *re; /* DI_REGEXP: the Go regular expression Docker turns the pattern into */
	int ndirs;           /* its '/'-separated parts: Docker 20.10 checks a path's parent with as many parts */
};

enum {
	DI_EXACT,  /* Docker 23 and later: the path is the pattern */
	DI_PREFIX, /* Docker 23 and later: "lit**", the path starts with lit */
	DI_SUFFIX, /* Docker 23 and later: "**lit", the path ends with lit (or is lit without the '/') */
	DI_GLOB,   /* only '*', '?' and "**": matched directly, as the regexp would */
	DI_REGEXP, /* classes, escapes and (before Docker 23) regexp operators: the Go regexp */
};

/*
 * The patterns of one ignore file, in file order, read as a given Docker version reads them (dockerignore_init:
 * Docker 23 and later; dockerignore_set_api for the engine a build talks to). Embed it, dockerignore_init it, and
 * dockerignore_release it when done.
 */
struct dockerignore {
	struct dipattern *v;
	size_t n, cap;
	size_t last_exception; /* index + 1 of the last exception pattern; 0 when there is none */
	int legacy;            /* Docker before 23.0 (API 1.41 and older): see docs/images.md */
	int tar_walk;          /* the docker client's tar walk sends the context (the legacy builder), not BuildKit's */
};

void dockerignore_init(struct dockerignore *ign);
/* dockerignore_set_api: read patterns (added after this call) as the engine speaking API version api reads them;
 * NULL (no engine) keeps the newest reading. */
void dockerignore_set_api(struct dockerignore *ign, const char *api);
/* dockerignore_release: frees every pattern; ign may be initialized again (it keeps its Docker version). */
void dockerignore_release(struct dockerignore *ign);
/* dockerignore_add: add one pattern line (trimmed, cleaned; "!" makes an exception). -1 with a reason in err
 * when Docker refuses it ("syntax error in pattern") or sindri-build cannot read it. */
int dockerignore_add(struct dockerignore *ign, const char *line, struct buf *err);
/* dockerignore_parse: add the patterns of an ignore file's text ('#' in column 1 and blank lines skipped); errors
 * are appended to err as "name:line: what". */
int dockerignore_parse(struct dockerignore *ign, const char *name, const char *text, size_t len, struct buf *err);
/* dockerignore_excludes: 1 when the context-relative file path does not reach the builder, else 0: Docker's walk
 * of the context, which skips a directory the patterns exclude unless an exception may reach into it. */
int dockerignore_excludes(const struct dockerignore *ign, const char *path);
/* struct dimemo: what dockerignore_excludes_memo knows of the directories above the last path it was asked about,
 * for one set of patterns: paths asked in the walk's order share most of them, and each is matched once. */
struct dimemo {
	struct buf dir, tmp; /* the last path's directory; scratch */
	size_t *ends;        /* where each of its levels ends in dir (a level: a directory on the way down) */
	unsigned char *x;    /* whether the walk leaves that level out (it, or one above it) */
	size_t n, cap;
};
#define DIMEMO_INIT {BUF_INIT, BUF_INIT, NULL, NULL, 0, 0}
/* dockerignore_excludes_memo: dockerignore_excludes, remembering the verdicts on path's directories in m (zeroed by
 * DIMEMO_INIT, used with one ign only); dimemo_release frees it. */
int dockerignore_excludes_memo(const struct dockerignore *ign, const char *path, struct dimemo *m);
void dimemo_release(struct dimemo *m);
/* dockerignore_sends_dir: 1 when the walk sends directory dir although the patterns exclude it: BuildKit of
 * Docker 20.10 sends, empty, one it walks into for an exception below (docs/images.md); else 0. */
int dockerignore_sends_dir(const struct dockerignore *ign, const char *dir);
/* dockerignore_skips_dir: 1 when Docker's walk of the context leaves directory dir out (it, or a directory above
 * it, excluded with no exception reaching inside), else 0. */
int dockerignore_skips_dir(const struct dockerignore *ign, const char *dir);
/* dockerignore_prunable: 1 when pattern i excludes whole directories that no later pattern can bring back nor the
 * walk send (dockerignore_sends_dir) and it means the same as a fileset exclude pattern, so a walk may skip them. */
int dockerignore_prunable(const struct dockerignore *ign, size_t i);

/* dockerignore_find: the ignore file docker build reads (malloc'd): "<dockerfile>.dockerignore" when it exists, else
 * "<ctxdir>/.dockerignore" when that exists, else NULL. dockerfile may be NULL (read from stdin). */
char *dockerignore_find(const char *dockerfile, const char *ctxdir);
/* dockerignore_load: dockerignore_find, then read and parse it into ign; no ignore file leaves ign as it was. */
int dockerignore_load(struct dockerignore *ign, const char *dockerfile, const char *ctxdir, struct buf *err);

/* dockerignore_match: 1 when path matches the cleaned pattern pat alone (no parents, no exceptions) as Docker
 * reads it (legacy: before 23.0), 0 when not, -1 when the pattern is refused. */
int dockerignore_match(const char *pat, const char *path, int legacy);
/* dockerignore_pattern_ok: 1 when Go's filepath.Match finds pattern well formed (Docker asks it of every ignore
 * pattern, and BuildKit of COPY and ADD wildcards), else 0: "syntax error in pattern". */
int dockerignore_pattern_ok(const char *pat);
/* dockerignore_regexp: the Go regular expression Docker makes of the cleaned pattern pat (malloc'd), so tests can
 * check the direct matching of simple patterns against it. */
char *dockerignore_regexp(const char *pat, int legacy);
/* dockerignore_clean: Go's filepath.Clean of a '/'-separated path (malloc'd): no "//", "." or dir/.. and no
 * trailing '/'; "" becomes ".". */
char *dockerignore_clean(const char *path);

#endif
