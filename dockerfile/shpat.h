/*
 * shpat: the shell patterns of ${VAR#pattern}, ${VAR##pattern}, ${VAR%pattern}, ${VAR%%pattern},
 * ${VAR/pattern/replacement} and ${VAR//pattern/replacement}, matched as BuildKit matches them: '*' is any run of
 * characters but a newline (the shortest or the longest that lets the rest match, in that order of preference), '?'
 * one character but a newline, '\\' makes '*', '?' and '\\' literal and may stand before '}' and '/'; anything
 * else is itself (no bracket expressions).
 */
#ifndef SB_SHPAT_H
#define SB_SHPAT_H

struct buf;

/* shpat_trim: append value without the shortest (greedy: longest) match of pattern at its start (suffix: at its
 * end) to out; -1 with a reason in why when BuildKit refuses the pattern. */
int shpat_trim(const char *pattern, const char *value, int suffix, int greedy, struct buf *out, struct buf *why);
/* shpat_replace: append value with its first (all: every) match of pattern replaced to out; with all, "$0" and
 * "${0}" in replacement stand for the match, "$$" for '$', and other "$name" for nothing (Go's Regexp.Expand). */
int shpat_replace(const char *pattern, const char *replacement, const char *value, int all, struct buf *out,
                  struct buf *why);

#endif
