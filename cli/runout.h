/* runout: what a run leaves for people and programs: its --json document and its spans in the trace log. */
#ifndef SB_RUNOUT_H
#define SB_RUNOUT_H

#include <stdint.h>
#include <stdio.h>

struct build_spans;
struct task;

/* runout_kind: how a task runs, as -t query says it: argv, shell, lua, image, group. */
const char *runout_kind(const struct task *t);

/* The trace log: .sindri-build/trace, one JSON line per run, the last TRACE_RUNS runs. */
#define TRACE_FILE "trace"
#define TRACE_RUNS 20

/* runout_json: the run's document (docs/cli.md, "JSON output"): every decision with its reasons, key, times and
 * images, the counts, the exit code, to f. */
void runout_json(FILE *f, const struct build_spans *sp, int exit_code, int dry_run, int64_t took_ns, int64_t saved_ns);
/* runout_trace: append the run's spans to dir/trace, keeping the last TRACE_RUNS runs; a run that built nothing
 * and had no failure (a cycle that found everything current built nothing) leaves it as it is. Failures are
 * warnings. */
void runout_trace(const char *dir, const struct build_spans *sp, int argc, char **argv, int exit_code, int64_t start);
/* runout_report_begin: around a run of one report (cache-status --json): its stdout goes to a temporary file; the
 * descriptor of that file, or -1 (a warning said why). */
int runout_report_begin(void);
/* runout_report_end: stdout back to stderr; when what the report printed is one JSON document that says its kind,
 * it goes to f and 1 is returned; else it goes to stderr and 0 is returned (the caller writes the run's document). */
int runout_report_end(FILE *f, int fd);

#endif
