/* runout: a run's --json document and its line in the trace log (.sindri-build/trace). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"
#include "graph.h"
#include "image.h"
#include "json.h"
#include "runout.h"
#include "tools.h"
#include "util.h"

static const char *const outcomes[] = {
	[SPAN_CURRENT] = "current", [SPAN_RAN] = "ran", [SPAN_FAILED] = "failed", [SPAN_WOULD_RUN] = "would-run",
	[SPAN_NOT_RUN] = "not-run",
};

/* runout_kind: how a task runs, as -t query says it. */
const char *runout_kind(const struct task *t)
{
	if (t->ops && t->ops->kind)
		return t->ops->kind;
	switch (t->run) {
	case RUN_ARGV: return "argv";
	case RUN_SHELL: return "shell";
	case RUN_FUNC: return "lua";
	case RUN_NONE: break;
	}
	return "group";
}

/* has_children: a span whose task started builds of its own (a cycle) is counted through them: 1 when one of
 * them has outcome oc (any, when oc < 0). */
static int has_children(const struct build_spans *sp, size_t i, int oc)
{
	for (size_t j = i + 1; j < sp->n; j++)
		if (sp->v[j].parent == (long)i && (oc < 0 || sp->v[j].outcome == (enum span_outcome)oc))
			return 1;
	return 0;
}

static const char *result(int code)
{
	switch (code) {
	case SB_EXIT_OK: return "ok";
	case SB_EXIT_FAILED: return "failed";
	case SB_EXIT_USAGE: return "error";
	case SB_EXIT_UNREACHABLE: return "unreachable";
	}
	return code > SB_EXIT_SIGNAL ? "interrupted" : "error";
}

void runout_json(FILE *f, const struct build_spans *sp, int exit_code, int dry_run, int64_t took_ns, int64_t saved_ns)
{
	struct buf b = BUF_INIT;
	size_t built = 0, current = 0, failed = 0, reports = 0;
	int64_t t0 = sp->n ? sp->v[0].start_ns : 0;

	for (size_t i = 0; i < sp->n; i++) {
		const struct build_span *s = &sp->v[i];
		/* a report (cache-status, doctor) built nothing: counted apart, as the closing line counts it */
		if (s->outcome == SPAN_RAN && s->task && (s->task->flags & TASK_READONLY))
			reports++;
		else
			built += s->outcome == SPAN_RAN && !has_children(sp, i, -1);
		current += s->outcome == SPAN_CURRENT;
		failed += s->outcome == SPAN_FAILED && !has_children(sp, i, SPAN_FAILED);
		if (s->start_ns < t0)
			t0 = s->start_ns;
	}
	tools_json_head(&b, "run");
	json_add_key(&b, "exit_code");
	json_add_int(&b, exit_code);
	json_add_key(&b, "result");
	json_add_str(&b, result(exit_code));
	json_add_key(&b, "dry_run");
	json_add_bool(&b, dry_run);
	json_add_key(&b, "built");
	json_add_int(&b, (int64_t)built);
	json_add_key(&b, "reports");
	json_add_int(&b, (int64_t)reports);
	json_add_key(&b, "up_to_date");
	json_add_int(&b, (int64_t)current);
	json_add_key(&b, "failed");
	json_add_int(&b, (int64_t)failed);
	json_add_key(&b, "duration_ms");
	json_add_int(&b, took_ns / 1000000);
	json_add_key(&b, "saved_ms");
	json_add_int(&b, saved_ns / 1000000);
	json_add_key(&b, "tasks");
	json_open(&b, '[');
	for (size_t i = 0; i < sp->n; i++) {
		const struct build_span *s = &sp->v[i];
		const struct image_spec *img = image_task_spec(s->task);
		char hex[HASH_HEX_LEN + 1];
		json_open(&b, '{');
		json_add_key(&b, "id");
		json_add_int(&b, (int64_t)i);
		json_add_key(&b, "name");
		json_add_str(&b, s->task->name);
		json_add_key(&b, "kind");
		json_add_str(&b, runout_kind(s->task));
		json_add_key(&b, "outcome");
		json_add_str(&b, outcomes[s->outcome]);
		json_add_key(&b, "reasons");
		tools_json_lines(&b, s->why);
		json_add_key(&b, "key");
		if (s->has_key) {
			hash_hex(&s->key, hex);
			json_add_str(&b, hex);
		} else {
			json_add_null(&b);
		}
		json_add_key(&b, "start_ms");
		json_add_int(&b, (s->start_ns - t0) / 1000000);
		json_add_key(&b, "duration_ms");
		json_add_int(&b, (s->end_ns - s->start_ns) / 1000000);
		json_add_key(&b, "parent");
		s->parent >= 0 ? json_add_int(&b, s->parent) : json_add_null(&b);
		json_add_key(&b, "exit_status");
		s->outcome == SPAN_FAILED && s->status ? json_add_int(&b, s->status) : json_add_null(&b);
		if (img) {
			json_add_key(&b, "images");
			tools_json_strv(&b, &img->tags);
		}
		json_close(&b, '}');
	}
	json_close(&b, ']');
	json_close(&b, '}');
	tools_json_emit(f, &b);
}

/* trace_line: the run as one JSON line of the trace log. */
static void trace_line(struct buf *b, const struct build_spans *sp, int argc, char **argv, int exit_code,
                       int64_t start)
{
	struct buf cmd = BUF_INIT;

	for (int i = 0; i < argc; i++) {
		if (i)
			buf_addc(&cmd, ' ');
		buf_add_shquoted(&cmd, i ? argv[i] : "sindri-build");
	}
	json_open(b, '{');
	json_add_key(b, "start_us");
	json_add_int(b, start / 1000);
	json_add_key(b, "command");
	json_add_str(b, cmd.data);
	json_add_key(b, "exit_code");
	json_add_int(b, exit_code);
	json_add_key(b, "spans");
	json_open(b, '[');
	for (size_t i = 0; i < sp->n; i++) {
		const struct build_span *s = &sp->v[i];
		json_open(b, '{');
		json_add_key(b, "name");
		json_add_str(b, s->task->name);
		json_add_key(b, "kind");
		json_add_str(b, runout_kind(s->task));
		json_add_key(b, "outcome");
		json_add_str(b, outcomes[s->outcome]);
		json_add_key(b, "start_us");
		json_add_int(b, s->start_ns / 1000);
		json_add_key(b, "end_us");
		json_add_int(b, s->end_ns / 1000);
		json_add_key(b, "parent");
		json_add_int(b, s->parent);
		json_close(b, '}');
	}
	json_close(b, ']');
	json_close(b, '}');
	buf_addc(b, '\n');
	buf_release(&cmd);
}

void runout_trace(const char *dir, const struct build_spans *sp, int argc, char **argv, int exit_code, int64_t start)
{
	struct buf old = BUF_INIT, b = BUF_INIT;
	char *path = xasprintf("%s/%s", dir, TRACE_FILE);
	size_t lines = 0, from = 0, busy = 0;

	/* a run that built nothing (a cycle that found everything current counts as nothing) is not recorded */
	for (size_t i = 0; i < sp->n; i++)
		busy += (sp->v[i].outcome == SPAN_RAN && !has_children(sp, i, -1)) || sp->v[i].outcome == SPAN_FAILED;
	if (!busy || (read_file(path, &old) < 0 && errno != ENOENT))
		goto out;
	/* keep the last TRACE_RUNS - 1 lines of the old log, then this run */
	for (size_t i = 0; i < old.len; i++)
		lines += old.data[i] == '\n';
	for (size_t i = 0; i < old.len && lines >= TRACE_RUNS; i++)
		if (old.data[i] == '\n')
			lines--, from = i + 1;
	if (old.len > from)
		buf_add(&b, old.data + from, old.len - from);
	trace_line(&b, sp, argc, argv, exit_code, start);
	if (write_file_replace(path, b.data, b.len) < 0)
		warn("cannot write the trace log '%s':", path);
out:
	buf_release(&old);
	buf_release(&b);
	free(path);
}

int runout_report_begin(void)
{
	FILE *tmp = tmpfile();
	int fd;

	fflush(stdout);
	if (!tmp || (fd = dup(fileno(tmp))) < 0 || dup2(fd, 1) < 0) {
		warn("--json: cannot set a report's output aside:");
		if (tmp)
			fclose(tmp);
		return -1;
	}
	fclose(tmp);
	return fd;
}

int runout_report_end(FILE *f, int fd)
{
	struct buf text = BUF_INIT, err = BUF_INIT;
	struct json *doc = NULL;
	char chunk[8192];
	ssize_t got;

	if (fd < 0)
		return 0;
	fflush(stdout);
	dup2(2, 1);
	lseek(fd, 0, SEEK_SET);
	while ((got = read(fd, chunk, sizeof(chunk))) > 0)
		buf_add(&text, chunk, (size_t)got);
	close(fd);
	if (text.len)
		doc = json_parse(text.data, text.len, &err);
	if (doc && json_get(doc, "kind")) {
		/* the report's own document, which says what it is */
		fwrite(text.data, 1, text.len, f);
		fflush(f);
	} else if (text.len) {
		fwrite(text.data, 1, text.len, stderr);
	}
	int mine = doc && json_get(doc, "kind");
	json_free(doc);
	buf_release(&err);
	buf_release(&text);
	return mine;
}
