/* dockerignore: .dockerignore patterns, matched the way docker build matches them against the build context. */
#ifndef SB_DOCKERIGNORE_H
#define SB_DOCKERIGNORE_H

#include <stddef.h>

struct buf;

/* One cleaned pattern (no "!", no leading '/'); exception is set when the line began with '!'. */
struct dipattern {
	char *pat;
	int exception;
	size_t lit; /* bytes before the pattern's first '*', '?', '[' or '\\': what any match starts with */
};

/*
 * The patterns of one ignore file, in file order: the last one that matches a path (or one of its parent
 * directories) decides. Embed it, dockerignore_init it, and dockerignore_release it when done.
 */
struct dockerignore {
	struct dipattern *v;
	size_t n, cap;
	size_t last_exception; /* index + 1 of the last exception pattern; 0 when there is none */
};

void dockerignore_init(struct dockerignore *ign);
/* dockerignore_release: frees every pattern; ign may be initialized again. */
void dockerignore_release(struct dockerignore *ign);
/* dockerignore_add: add one pattern line (trimmed, cleaned; "!" makes an exception). -1 with a reason in err. */
int dockerignore_add(struct dockerignore *ign, const char *line, struct buf *err);
/* dockerignore_parse: add the patterns of an ignore file's text ('#' in column 1 and blank lines skipped); errors
 * are appended to err as "name:line: what". */
int dockerignore_parse(struct dockerignore *ign, const char *name, const char *text, size_t len, struct buf *err);
/* dockerignore_excludes: 1 when the context-relative path is left out of the build context, else 0. */
int dockerignore_excludes(const struct dockerignore *ign, const char *path);
/* dockerignore_prunable: 1 when pattern i excludes whole directories that no later pattern can bring back and it
 * means the same as a fileset exclude pattern, so a walk may skip what it matches. */
int dockerignore_prunable(const struct dockerignore *ign, size_t i);

/* dockerignore_find: the ignore file docker build reads (malloc'd): "<dockerfile>.dockerignore" when it exists, else
 * "<ctxdir>/.dockerignore" when that exists, else NULL. dockerfile may be NULL (read from stdin). */
char *dockerignore_find(const char *dockerfile, const char *ctxdir);
/* dockerignore_load: dockerignore_find, then read and parse it into ign; no ignore file leaves ign as it was. */
int dockerignore_load(struct dockerignore *ign, const char *dockerfile, const char *ctxdir, struct buf *err);

/* dockerignore_match: 1 when path matches a cleaned pattern ('*' and '?' within a segment, "[...]" negated by '^',
 * '\\' escapes, "**" any number of directories), 0 when not, -1 when a "[...]" is malformed. */
int dockerignore_match(const char *pat, const char *path);
/* dockerignore_clean: Go's filepath.Clean of a '/'-separated path (malloc'd): no "//", "." or dir/.. and no
 * trailing '/'; "" becomes ".". */
char *dockerignore_clean(const char *path);

#endif
