/* status: output in the style of ninja: one line per started task, rewritten in place on a terminal. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "status.h"
#include "util.h"

/* -q shows this many lines of a failed task's output, the last ones */
#define QUIET_TAIL_LINES 30

void status_init(struct status *s, int quiet, int verbose)
{
	const char *nc = getenv("NO_COLOR");
	const char *term = getenv("TERM");

	memset(s, 0, sizeof(*s));
	s->quiet = quiet;
	s->verbose = verbose;
	s->out = stdout;
	s->tty = isatty(1) && !(term && strcmp(term, "dumb") == 0);
	s->color = s->tty && !(nc && *nc);
	s->fmt = getenv("SINDRI_STATUS");
	if (!s->fmt)
		s->fmt = "[%s/%t] ";
	s->start_ns = mono_ns();
}

void status_format(const struct status *s, const char *fmt, char *out, size_t n)
{
	size_t w = 0;

	for (const char *p = fmt; *p && w + 1 < n; p++) {
		char tmp[32];
		const char *add = tmp;
		if (*p != '%' || !p[1]) {
			out[w++] = *p;
			continue;
		}
		switch (*++p) {
		case 's': snprintf(tmp, sizeof(tmp), "%zu", s->started); break;
		case 't': snprintf(tmp, sizeof(tmp), "%zu", s->total); break;
		case 'f': snprintf(tmp, sizeof(tmp), "%zu", s->finished); break;
		case 'r': snprintf(tmp, sizeof(tmp), "%zu", s->running); break;
		case 'u': snprintf(tmp, sizeof(tmp), "%zu", s->total - s->started - s->uptodate); break;
		case 'p': snprintf(tmp, sizeof(tmp), "%3zu%%", s->total ? 100 * s->finished / s->total : 100); break;
		case 'e': snprintf(tmp, sizeof(tmp), "%.3f", (double)(mono_ns() - s->start_ns) / 1e9); break;
		case '%': add = "%"; break;
		default: snprintf(tmp, sizeof(tmp), "%%%c", *p); break;
		}
		while (*add && w + 1 < n)
			out[w++] = *add++;
	}
	out[w] = '\0';
}

static void end_line(struct status *s)
{
	if (s->line_open) {
		fputc('\n', s->out);
		s->line_open = 0;
	}
}

void status_start(struct status *s, const char *name, const char *cmd)
{
	char prefix[256];

	s->started++;
	s->running++;
	if (s->quiet)
		return;
	status_format(s, s->fmt, prefix, sizeof(prefix));
	if (s->tty && !s->verbose) {
		fprintf(s->out, "\r%s%s\033[K", prefix, name);
		s->line_open = 1;
	} else {
		fprintf(s->out, "%s%s\n", prefix, name);
		if (s->verbose && cmd)
			fprintf(s->out, "%s\n", cmd);
	}
	fflush(s->out);
}

/* count_lines: the lines in the first n bytes of p. */
static size_t count_lines(const char *p, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += p[i] == '\n';
	return k;
}

/* tail: where the last `lines` lines of p (n bytes) begin. */
static size_t tail(const char *p, size_t n, size_t lines)
{
	size_t i = n;

	if (i && p[i - 1] == '\n')
		i--;
	while (i > 0) {
		if (p[i - 1] == '\n' && --lines == 0)
			return i;
		i--;
	}
	return 0;
}

void status_finish(struct status *s, const char *name, int ok, const char *cmd, const char *out, size_t n)
{
	s->running--;
	s->finished++;
	if (ok)
		s->ran++;
	else
		s->failed++;
	if (!ok) {
		end_line(s);
		if (s->color)
			fprintf(s->out, "\033[31mFAILED:\033[0m %s\n", name);
		else
			fprintf(s->out, "FAILED: %s\n", name);
		if (cmd)
			fprintf(s->out, "%s\n", cmd);
	}
	if (n && !ok && s->quiet) {
		/* -q: the end of what it printed, where the error is */
		size_t from = tail(out, n, QUIET_TAIL_LINES);
		end_line(s);
		if (from)
			fprintf(s->out, "[... %zu lines above; -v shows all of it]\n", count_lines(out, from));
		out += from;
		n -= from;
	}
	if (n && (!ok || s->verbose)) {
		end_line(s);
		fwrite(out, 1, n, s->out);
		if (out[n - 1] != '\n')
			fputc('\n', s->out);
	}
	fflush(s->out);
}

void status_line(struct status *s, const char *fmt, ...)
{
	va_list ap;

	end_line(s);
	va_start(ap, fmt);
	vfprintf(s->out, fmt, ap);
	va_end(ap);
	fputc('\n', s->out);
	fflush(s->out);
}

void status_pause(struct status *s)
{
	end_line(s);
	fflush(s->out);
}

void status_duration(char *out, size_t n, int64_t ns)
{
	double secs = (double)ns / 1e9;

	if (ns < 10000000)
		snprintf(out, n, "%.1f ms", (double)ns / 1e6);
	else if (secs < 1)
		snprintf(out, n, "%lld ms", (long long)(ns / 1000000));
	else if (secs < 10)
		snprintf(out, n, "%.1f s", secs);
	else if (secs < 60)
		snprintf(out, n, "%.0f s", secs);
	else
		snprintf(out, n, "%lldm%02llds", (long long)(secs / 60), (long long)secs % 60);
}

/* about: a rough duration, for what skipping saved: "~40 s", "~6 min", "~1.5 h". */
static void about(char *out, size_t n, int64_t ns)
{
	double secs = (double)ns / 1e9;

	if (secs < 10)
		snprintf(out, n, "~%.1f s", secs);
	else if (secs < 60)
		snprintf(out, n, "~%.0f s", secs);
	else if (secs < 90 * 60)
		snprintf(out, n, "~%.0f min", secs / 60);
	else
		snprintf(out, n, "~%.1f h", secs / 3600);
}

void status_counts(const struct status *s, size_t *built, size_t *uptodate, size_t *failed)
{
	*built = s->ran - s->composite - s->reported + s->inner_ran;
	*uptodate = s->uptodate + s->inner_uptodate;
	*failed = s->failed - s->composite_failed + s->inner_failed;
}

void status_summary(struct status *s, int interrupted)
{
	size_t ran, uptodate, failed;
	char saved[64] = "", took[32];

	status_counts(s, &ran, &uptodate, &failed);
	status_duration(took, sizeof(took), mono_ns() - s->start_ns);
	end_line(s);
	if (s->quiet && !failed && !interrupted)
		return;
	/* the time skipping saved, when a record says how long the skipped tasks took last time (0.1 s or more) */
	if (s->saved_ns >= 100000000) {
		char d[32];
		about(d, sizeof(d), s->saved_ns);
		snprintf(saved, sizeof(saved), " (saved %s)", d);
	}
	if (interrupted)
		fprintf(s->out, "sindri-build: interrupted: %zu built, %zu up to date, %zu not finished in %s\n", ran,
		        uptodate, s->total - s->ran - s->uptodate - s->failed, took);
	else if (!ran && !failed && s->reported && !uptodate)
		fprintf(s->out, "sindri-build: %zu report%s, nothing built in %s\n", s->reported, s->reported == 1 ? "" : "s",
		        took);
	else if (!ran && !failed && s->reported)
		fprintf(s->out, "sindri-build: %zu report%s, nothing built, %zu up to date in %s%s\n", s->reported,
		        s->reported == 1 ? "" : "s", uptodate, took, saved);
	else if (!ran && !failed)
		fprintf(s->out, "sindri-build: no work to do: %zu up to date in %s%s\n", uptodate, took, saved);
	else if (s->dry)
		fprintf(s->out, "sindri-build: dry run: %zu would run, %zu up to date, %zu failed in %s\n", ran, uptodate,
		        failed, took);
	else if (s->reported)
		fprintf(s->out, "sindri-build: %zu built, %zu up to date, %zu failed, %zu report%s in %s%s\n", ran, uptodate,
		        failed, s->reported, s->reported == 1 ? "" : "s", took, saved);
	else
		fprintf(s->out, "sindri-build: %zu built, %zu up to date, %zu failed in %s%s\n", ran, uptodate, failed, took,
		        saved);
	fflush(s->out);
}
