/* status: what the user sees during a build: the [done/total] line, failures, explanations, the summary. */
#ifndef SB_STATUS_H
#define SB_STATUS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct status {
	FILE *out;          /* stdout; stderr when stdout carries a document (--json) */
	int tty;            /* stdout is a terminal: rewrite the status line in place */
	int quiet, verbose;
	int dry;            /* a dry run: the closing line says what would run */
	int color;          /* a terminal and NO_COLOR unset */
	const char *fmt;    /* SINDRI_STATUS, with ninja's % codes */
	int64_t start_ns;
	size_t total, started, finished, running, ran, uptodate, failed;
	size_t composite;   /* of ran: tasks counted through the nested builds they started, not themselves */
	size_t reported;    /* of ran: reports (read-only tasks: cache-status, doctor), which build nothing */
	size_t composite_failed; /* of failed: tasks that failed because a task of their nested builds did */
	size_t inner_ran, inner_uptodate, inner_failed; /* the tasks of those nested builds */
	int64_t saved_ns;   /* the last recorded run times of the tasks found up to date, nested ones included */
	int line_open;      /* the in-place line holds text that a newline must end */
};

/* status_init: read NO_COLOR and SINDRI_STATUS, detect a terminal. */
void status_init(struct status *s, int quiet, int verbose);
/* status_start: a task starts running: print the status line; with verbose, cmd follows on its own line. */
void status_start(struct status *s, const char *name, const char *cmd);
/* status_finish: a task ran: on failure print FAILED with its command and output (with quiet, its last 30 lines);
 * output also shown when verbose. */
void status_finish(struct status *s, const char *name, int ok, const char *cmd, const char *out, size_t n);
/* status_line: print a line of its own (explanations, warnings), ending the in-place line first. */
void status_line(struct status *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* status_pause: end the in-place line before a console job writes to the terminal. */
void status_pause(struct status *s);
/* status_summary: the closing line: what ran, what was up to date (tasks inside nested builds included, the
 * tasks that started them not), the reports shown (not counted as built), the time their last recorded runs took,
 * wall time. */
void status_summary(struct status *s, int interrupted);
/* status_counts: the closing line's counts: tasks built (nested ones included, the tasks that started them and
 * reports not), up to date, failed. */
void status_counts(const struct status *s, size_t *built, size_t *uptodate, size_t *failed);
/* status_duration: ns as "3 ms", "4.2 s", "12 s" or "4m12s". */
void status_duration(char *out, size_t n, int64_t ns);
/* status_format: expand fmt's % codes (%s started, %t total, %f finished, %r running, %u unstarted, %p percent,
 * %e elapsed seconds, %%) into out (size n). */
void status_format(const struct status *s, const char *fmt, char *out, size_t n);

#endif
