/* spans: a build's decisions about its tasks, recorded for --json and the trace log; build.c records them. The
 * spans of one build are those from index first on (earlier ones belong to other builds of the run). */
#ifndef SB_SPANS_H
#define SB_SPANS_H

#include <stddef.h>

#include "build.h"

struct task;

/* spans_add: record a decision about t (with its reasons and, when has_key, its key), under the current parent. */
void spans_add(struct build_spans *sp, struct task *t, enum span_outcome oc, const char *why, int has_key);
/* spans_of: t's span in the build whose spans begin at first, or NULL. */
struct build_span *spans_of(struct build_spans *sp, size_t first, const struct task *t);
/* spans_mark: t's run begins now (start set), or ended with outcome oc and exit status status. */
void spans_mark(struct build_spans *sp, size_t first, struct task *t, int start, enum span_outcome oc, int status);
/* spans_nest: while t runs code that may start builds of its own (a cycle's function, a dry run's plan), their
 * spans are its children; returns what spans_unnest restores. */
long spans_nest(struct build_spans *sp, size_t first, struct task *t);
void spans_unnest(struct build_spans *sp, long was);

#endif
