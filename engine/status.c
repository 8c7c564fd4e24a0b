/* status: output in the style of ninja: one line per started task, rewritten in place on a terminal. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "status.h"
#include "util.h"

void status_init(struct status *s, int quiet, int verbose)
{
	const char *nc = getenv("NO_COLOR");
	const char *term = getenv("TERM");

	memset(s, 0, sizeof(*s));
	s->quiet = quiet;
	s->verbose = verbose;
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
		fputc('\n', stdout);
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
		fprintf(stdout, "\r%s%s\033[K", prefix, name);
		s->line_open = 1;
	} else {
		fprintf(stdout, "%s%s\n", prefix, name);
		if (s->verbose && cmd)
			fprintf(stdout, "%s\n", cmd);
	}
	fflush(stdout);
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
			fprintf(stdout, "\033[31mFAILED:\033[0m %s\n", name);
		else
			fprintf(stdout, "FAILED: %s\n", name);
		if (cmd)
			fprintf(stdout, "%s\n", cmd);
	}
	if (n && (!ok || s->verbose)) {
		end_line(s);
		fwrite(out, 1, n, stdout);
		if (out[n - 1] != '\n')
			fputc('\n', stdout);
	}
	fflush(stdout);
}

void status_line(struct status *s, const char *fmt, ...)
{
	va_list ap;

	end_line(s);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

void status_pause(struct status *s)
{
	end_line(s);
	fflush(stdout);
}

/* duration: seconds as "0.4 s", "12 s" or "4m12s". */
static void duration(char *out, size_t n, int64_t ns)
{
	double secs = (double)ns / 1e9;

	if (secs < 10)
		snprintf(out, n, "%.1f s", secs);
	else if (secs < 60)
		snprintf(out, n, "%.0f s", secs);
	else
		snprintf(out, n, "%lldm%02llds", (long long)(secs / 60), (long long)secs % 60);
}

void status_summary(struct status *s, int interrupted)
{
	double secs = (double)(mono_ns() - s->start_ns) / 1e9;
	size_t ran = s->ran - s->composite + s->inner_ran, uptodate = s->uptodate + s->inner_uptodate;
	size_t failed = s->failed + s->inner_failed;
	char saved[96] = "";

	end_line(s);
	if (s->quiet && !failed && !interrupted)
		return;
	/* the time skipping saved, when a record says how long the skipped tasks took last time (0.1 s or more) */
	if (s->saved_ns >= 100000000) {
		char d[32];
		duration(d, sizeof(d), s->saved_ns);
		snprintf(saved, sizeof(saved), ", %s saved against their last runs", d);
	}
	if (interrupted)
		fprintf(stdout, "sindri-build: interrupted: %zu ran, %zu up to date, %zu not finished, %.3f s\n", ran,
		        uptodate, s->total - s->ran - s->uptodate - s->failed, secs);
	else if (!ran && !failed)
		fprintf(stdout, "sindri-build: no work to do (%zu up to date%s, %.3f s)\n", uptodate, saved, secs);
	else
		fprintf(stdout, "sindri-build: %zu ran, %zu up to date%s, %zu failed, %.3f s\n", ran, uptodate, saved,
		        failed, secs);
	fflush(stdout);
}
