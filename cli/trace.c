/* trace: -t trace, where the time went: the runs in .sindri-build/trace as Chrome trace-event JSON (Perfetto and
 * chrome://tracing open it) or, with --svg, a self-contained SVG timeline. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "graph.h"
#include "json.h"
#include "runout.h"
#include "status.h"
#include "tool.h"
#include "tools.h"
#include "util.h"

/* The runs to show: parsed lines of the trace log, oldest first. */
struct runs {
	struct json **v;
	size_t n;
};

static void runs_release(struct runs *r)
{
	for (size_t i = 0; i < r->n; i++)
		json_free(r->v[i]);
	free(r->v);
}

/* runs_read: the last `want` runs of the log; -1 after saying there is none. */
static int runs_read(const char *dir, size_t want, struct runs *r)
{
	struct buf text = BUF_INIT;
	char *path = xasprintf("%s/%s", dir, TRACE_FILE);
	size_t all = 0;

	memset(r, 0, sizeof(*r));
	if (read_file(path, &text) < 0) {
		if (errno == ENOENT)
			error("no trace yet in '%s': a run that runs a task records one (a no-op records nothing)", path);
		else
			error("cannot read the trace log '%s':", path);
		free(path);
		return -1;
	}
	for (size_t i = 0; i < text.len; i++)
		all += text.data[i] == '\n';
	r->v = xcalloc(all + 1, sizeof(*r->v));
	size_t skip = all > want ? all - want : 0;
	for (char *p = text.data, *nl; p && (nl = strchr(p, '\n')); p = nl + 1) {
		struct buf err = BUF_INIT;
		struct json *j;
		if (skip) {
			skip--;
			continue;
		}
		/* a line that does not parse (a log from another version) is left out */
		if ((j = json_parse(p, (size_t)(nl - p), &err)) && json_get(j, "spans"))
			r->v[r->n++] = j;
		else
			json_free(j);
		buf_release(&err);
	}
	buf_release(&text);
	free(path);
	if (!r->n)
		return error("the trace log has no run that this sindri-build reads");
	return 0;
}

/* lanes: a row for each span, so that spans of one lane never overlap: a span started by a cycle's build shares
 * its cycle's lane (inside its time), any other takes the first free lane. Returns the number of lanes. */
static int lanes(const struct json *spans, int *lane)
{
	size_t n = json_len(spans);
	int64_t *free_at = xcalloc(n + 1, sizeof(*free_at));
	int nl = 0;

	for (size_t i = 0; i < n; i++) {
		const struct json *s = json_at(spans, i);
		int64_t parent = json_int(json_get(s, "parent"), -1);
		int64_t start = json_int(json_get(s, "start_us"), 0), end = json_int(json_get(s, "end_us"), 0);
		if (parent >= 0 && (size_t)parent < i) {
			lane[i] = lane[parent];
			continue;
		}
		int k = 0;
		while (k < nl && free_at[k] > start)
			k++;
		if (k == nl)
			nl++;
		free_at[k] = end > start ? end : start + 1;
		lane[i] = k;
	}
	free(free_at);
	return nl;
}

static int64_t run_start(const struct json *run)
{
	const struct json *spans = json_get(run, "spans");
	int64_t t = json_int(json_get(run, "start_us"), 0);

	for (size_t i = 0; i < json_len(spans); i++) {
		int64_t s = json_int(json_get(json_at(spans, i), "start_us"), t);
		if (s < t)
			t = s;
	}
	return t;
}

static void chrome(FILE *f, const struct runs *r)
{
	struct buf b = BUF_INIT;
	int64_t base = run_start(r->v[0]);

	json_open(&b, '{');
	json_add_key(&b, "displayTimeUnit");
	json_add_str(&b, "ms");
	json_add_key(&b, "traceEvents");
	json_open(&b, '[');
	for (size_t k = 0; k < r->n; k++) {
		const struct json *spans = json_get(r->v[k], "spans");
		int *lane = xcalloc(json_len(spans) + 1, sizeof(*lane));
		char *name = xasprintf("%s (exit %lld)", json_str(json_get(r->v[k], "command"), "sindri-build"),
		                       (long long)json_int(json_get(r->v[k], "exit_code"), 0));
		lanes(spans, lane);
		json_open(&b, '{');
		json_add_key(&b, "name");
		json_add_str(&b, "process_name");
		json_add_key(&b, "ph");
		json_add_str(&b, "M");
		json_add_key(&b, "pid");
		json_add_int(&b, (int64_t)k + 1);
		json_add_key(&b, "args");
		json_open(&b, '{');
		json_add_key(&b, "name");
		json_add_str(&b, name);
		json_close(&b, '}');
		json_close(&b, '}');
		free(name);
		for (size_t i = 0; i < json_len(spans); i++) {
			const struct json *s = json_at(spans, i);
			int64_t start = json_int(json_get(s, "start_us"), 0), end = json_int(json_get(s, "end_us"), 0);
			json_open(&b, '{');
			json_add_key(&b, "name");
			json_add_str(&b, json_str(json_get(s, "name"), "?"));
			json_add_key(&b, "cat");
			json_add_str(&b, json_str(json_get(s, "outcome"), "?"));
			json_add_key(&b, "ph");
			json_add_str(&b, "X");
			json_add_key(&b, "ts");
			json_add_int(&b, start - base);
			json_add_key(&b, "dur");
			json_add_int(&b, end > start ? end - start : 1);
			json_add_key(&b, "pid");
			json_add_int(&b, (int64_t)k + 1);
			json_add_key(&b, "tid");
			json_add_int(&b, lane[i] + 1);
			json_add_key(&b, "args");
			json_open(&b, '{');
			json_add_key(&b, "outcome");
			json_add_str(&b, json_str(json_get(s, "outcome"), "?"));
			json_add_key(&b, "kind");
			json_add_str(&b, json_str(json_get(s, "kind"), "?"));
			json_close(&b, '}');
			json_close(&b, '}');
		}
		free(lane);
	}
	json_close(&b, ']');
	json_close(&b, '}');
	tools_json_emit(f, &b);
}

/* xml: s with XML's five special characters escaped. */
static void xml(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\t')
				fputc(*s, f);
		}
	}
}

#define SVG_BARS 720 /* the timeline's width */
#define SVG_ROW 18
#define SVG_CHAR 7   /* a character's width at font-size 12, rounded up: the names' column fits the longest */
#define SVG_TOOK 56  /* room for a duration beside its bar */

/* depth: how many cycles up the span's parents go (at most 8). */
static int depth(const struct json *spans, const struct json *s)
{
	int d = 0;
	for (int64_t p = json_int(json_get(s, "parent"), -1); p >= 0 && d < 8; d++)
		p = json_int(json_get(json_at(spans, (size_t)p), "parent"), -1);
	return d;
}

/* tick: a round step (1, 2 or 5 times a power of ten, in us) that cuts the span into at most 8 parts. */
static int64_t tick(int64_t span)
{
	int64_t step = 1;
	for (;;) {
		for (int m = 1; m <= 5; m += m == 1 ? 1 : 3)
			if (span / (step * m) <= 8)
				return step * m;
		step *= 10;
	}
}

/* svg: one bar per span, one row each, on a time axis with round ticks on which every run starts at 0 (runs made
 * hours apart stay readable, and are easy to compare); every bar has its duration beside it (or "up to date") and
 * says what it was in its tooltip. */
static void svg(FILE *f, const struct runs *r)
{
	int64_t len = 1; /* the longest run, in us */
	size_t rows = 0;
	int label = 160;

	for (size_t k = 0; k < r->n; k++) {
		const struct json *spans = json_get(r->v[k], "spans");
		int64_t t0 = run_start(r->v[k]);
		rows += json_len(spans) + 1;
		for (size_t i = 0; i < json_len(spans); i++) {
			const struct json *s = json_at(spans, i);
			int64_t e = json_int(json_get(s, "end_us"), t0);
			int w = 16 + 12 * depth(spans, s) + SVG_CHAR * (int)strlen(json_str(json_get(s, "name"), "?"));
			if (e - t0 > len)
				len = e - t0;
			if (w > label)
				label = w < 480 ? w : 480;
		}
	}
	double scale = (double)SVG_BARS / (double)len;
	int width = label + SVG_BARS + 20;
	size_t bottom = (rows + 3) * SVG_ROW;
	char total[32], took[32];
	status_duration(total, sizeof(total), len * 1000);
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%zu\" font-family=\"sans-serif\" "
	        "font-size=\"12\">\n<title>sindri-build: where the time went</title>\n"
	        "<style>.ran{fill:#3b7dd8}.current{fill:#b8c2cc}.failed{fill:#d83b3b}.would-run{fill:#e8a33d}"
	        ".not-run{fill:none;stroke:#999}text{fill:#222}.axis{stroke:#ddd}.tick{fill:#777}"
	        ".took{fill:#555;font-size:11px}.in{fill:#fff}</style>\n"
	        "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n"
	        "<text x=\"4\" y=\"14\">%zu run%s, %s%s, each from its start; "
	        "blue ran, grey up to date, red failed</text>\n",
	        width, bottom, r->n, r->n == 1 ? "" : "s", r->n == 1 ? "" : "the longest ", total);
	/* the axis: a line and a label per tick, under the headline */
	int64_t step = tick(len);
	for (int64_t t = 0; t <= len; t += step) {
		double x = label + (double)t * scale;
		if (t == 0)
			snprintf(took, sizeof(took), "0");
		else
			status_duration(took, sizeof(took), t * 1000);
		fprintf(f, "<line class=\"axis\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%zu\"/>"
		        "<text class=\"tick\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
		        x, 2 * SVG_ROW, x, bottom - 4, x, 2 * SVG_ROW - 5, took);
	}
	size_t row = 2;
	for (size_t k = 0; k < r->n; k++) {
		const struct json *spans = json_get(r->v[k], "spans");
		int64_t t0 = run_start(r->v[k]), code = json_int(json_get(r->v[k], "exit_code"), 0);
		fprintf(f, "<text x=\"4\" y=\"%zu\" font-weight=\"bold\">", row * SVG_ROW + 13);
		xml(f, json_str(json_get(r->v[k], "command"), "sindri-build"));
		if (code)
			fprintf(f, " (exit %lld)", (long long)code);
		fputs("</text>\n", f);
		row++;
		for (size_t i = 0; i < json_len(spans); i++, row++) {
			const struct json *s = json_at(spans, i);
			int64_t start = json_int(json_get(s, "start_us"), t0), end = json_int(json_get(s, "end_us"), start);
			const char *name = json_str(json_get(s, "name"), "?"), *oc = json_str(json_get(s, "outcome"), "?");
			double x = label + (double)(start - t0) * scale, w = (double)(end - start) * scale;
			if (w < 2)
				w = 2;
			status_duration(took, sizeof(took), (end - start) * 1000);
			fprintf(f, "<text x=\"%d\" y=\"%zu\">", 4 + 12 * depth(spans, s), row * SVG_ROW + 13);
			xml(f, name);
			fprintf(f, "</text>\n<rect class=\"bar %s\" x=\"%.1f\" y=\"%zu\" width=\"%.1f\" height=\"%d\">"
			        "<title>", oc, x, row * SVG_ROW + 3, w, SVG_ROW - 5);
			xml(f, name);
			fprintf(f, ": %s, %s</title></rect>\n", oc, took);
			/* the duration: right of the bar, else left of it, else inside its end */
			if (x + w + 4 + SVG_TOOK <= width)
				fprintf(f, "<text class=\"took\" x=\"%.1f\"", x + w + 4);
			else if (x - 4 - SVG_TOOK >= label)
				fprintf(f, "<text class=\"took\" x=\"%.1f\" text-anchor=\"end\"", x - 4);
			else
				fprintf(f, "<text class=\"took in\" x=\"%.1f\" text-anchor=\"end\"", x + w - 4);
			fprintf(f, " y=\"%zu\">%s</text>\n", row * SVG_ROW + 13,
			        strcmp(oc, "current") == 0 ? "up to date" : took);
		}
	}
	fputs("</svg>\n", f);
}

int tool_trace(const struct tool_args *a)
{
	struct runs r;
	FILE *f = a->json ? a->json : stdout;

	if (a->targets->n)
		return error("-t trace takes no targets: -t trace [--runs N] [--svg] [-o FILE]"), SB_EXIT_USAGE;
	if (runs_read(a->state_dir, a->runs > 0 ? (size_t)a->runs : 1, &r) < 0)
		return SB_EXIT_USAGE;
	if (a->out && !(f = fopen(a->out, "w"))) {
		runs_release(&r);
		return error("cannot write '%s':", a->out), SB_EXIT_USAGE;
	}
	if (a->svg)
		svg(f, &r);
	else
		chrome(f, &r);
	if (a->out && fclose(f) != 0) {
		runs_release(&r);
		return error("cannot write '%s':", a->out), SB_EXIT_USAGE;
	}
	fflush(f);
	runs_release(&r);
	return SB_EXIT_OK;
}
