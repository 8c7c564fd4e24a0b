/*
 * dockerword: the word-level syntax inside Dockerfile instructions, as BuildKit reads it: variable substitution with
 * quote and escape processing, word splitting, leading "--flags", JSON string arrays and here-document markers.
 */
#ifndef SB_DOCKERWORD_H
#define SB_DOCKERWORD_H

#include <stddef.h>

struct buf;

/* A growable list of malloc'd strings (entries may be NULL). Zero-initialize; the owner calls wordlist_release. */
struct wordlist {
	char **v;
	size_t n, cap;
};

/* wordlist_addn: append a copy of s[0..n), or NULL when s is NULL. */
void wordlist_addn(struct wordlist *wl, const char *s, size_t n);
void wordlist_add(struct wordlist *wl, const char *s);
/* wordlist_has: 1 when s is in the list. */
int wordlist_has(const struct wordlist *wl, const char *s);
void wordlist_release(struct wordlist *wl);

/* Where dockerword_expand looks variables up: get returns the value of name[0..n), or NULL when it is not set.
 * get is called only for values the result uses. */
struct wordenv {
	const char *(*get)(void *ctx, const char *name, size_t n);
	void *ctx;
};

/*
 * dockerword_expand: append word s to out with quotes removed, escapes (esc: '\\' or '`') applied and $VAR, ${VAR},
 * ${VAR:-w}, ${VAR-w}, ${VAR:+w}, ${VAR+w}, ${VAR:?w}, ${VAR?w} substituted. -1 with a reason in why.
 */
int dockerword_expand(const char *s, char esc, const struct wordenv *env, struct buf *out, struct buf *why);
/* dockerword_split: append the blank-separated words of s to out; with quotes set, quoted blanks and escaped
 * characters stay inside a word, quotes and escapes kept for dockerword_expand. */
void dockerword_split(const char *s, char esc, int quotes, struct wordlist *out);
/* dockerword_flags: append the leading "--name[=value]" words of s to names (without "--") and vals (NULL when
 * there is no '='); returns the rest of s after them. */
const char *dockerword_flags(const char *s, char esc, struct wordlist *names, struct wordlist *vals);
/* dockerword_json: 1 with the strings of the JSON array s appended to out; 0 when s is not JSON (the shell form),
 * with *why "unterminated" (the text ran out) or "invalid"; -1 with *why saying why for a JSON array BuildKit
 * refuses (an element that is not a string, a string holding \u0000). What follows the array is ignored. */
int dockerword_json(const char *s, struct wordlist *out, const char **why);
/* dockerword_csv: append the comma-separated fields of s (a RUN --mount value) to out, as Go's encoding/csv reads
 * one record: a field in double quotes may hold commas ("" is a quote); -1 with *why for what it refuses (no
 * field at all, a stray quote). */
int dockerword_csv(const char *s, struct wordlist *out, const char **why);

/* dockerword_heredoc: the name (malloc'd, quotes and escapes removed) when the single word w opens a
 * here-document ("<<EOF", "<<-'EOF'", "3<<EOF"), with *strip set for "<<-" (leading tabs ignored); else NULL. */
char *dockerword_heredoc(const char *w, int *strip);

/* The here-documents an instruction line opens, in order. Zero-initialize; the owner calls heredocs_release. */
struct heredocs {
	struct wordlist names;
	int *strip; /* per name: 1 for "<<-" */
	size_t capstrip;
};

/* dockerword_heredocs: add the here-documents that line (a whole ADD, COPY or RUN line, as BuildKit reads it: "<<"
 * and the blanks after it stay one word, "RUN << EOF") opens to out; -1 with a reason in why for a name BuildKit
 * refuses (an unbalanced quote). */
int dockerword_heredocs(const char *line, struct heredocs *out, struct buf *why);
void heredocs_release(struct heredocs *h);

#endif
