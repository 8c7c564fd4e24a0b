/*
 * goregexp: Go's regular expressions (regexp.Compile: RE2 syntax with Perl extensions), because Docker turns each
 * .dockerignore pattern into one, so a '[...]' of a pattern is a regexp class ("[\d]" is a digit) and, before
 * Docker 23, '+', '|', '(', ')', '{' and '}' are regexp operators too. Matching goes by characters (UTF-8), in time
 * linear in the text. Unicode classes (\pL, \p{Greek}) are not supported: they are refused at compile time.
 */
#ifndef SB_GOREGEXP_H
#define SB_GOREGEXP_H

struct buf;
struct goregexp;

/* goregexp_compile: compile expr; NULL with the reason appended to why (Go's words when Go refuses expr). */
struct goregexp *goregexp_compile(const char *expr, struct buf *why);
/* goregexp_match: 1 when re matches somewhere in s (Go's MatchString), else 0. */
int goregexp_match(const struct goregexp *re, const char *s);
/* goregexp_free: free re; NULL is fine. */
void goregexp_free(struct goregexp *re);

#endif
