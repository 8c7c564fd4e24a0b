/* dockerfile: a Dockerfile reader that follows BuildKit's parsing rules: lines, directives, stages (dockerfile.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dfparse.h"
#include "dockerfile.h"
#include "dockerword.h"
#include "util.h"

/* BuildKit defines these in the global scope itself; here they have values only when the caller passes them. */
static const char *const platform_args[] = {
	"TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT",
	"BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT",
};

static const char *const instructions[] = {
	"add", "arg", "cmd", "copy", "entrypoint", "env", "expose", "from", "healthcheck", "label",
	"maintainer", "onbuild", "run", "shell", "stopsignal", "user", "volume", "workdir",
};

struct var *df_vars_get(const struct vars *vs, const char *name, size_t n)
{
	size_t i;

	for (i = 0; vs && i < vs->n; i++)
		if (strlen(vs->v[i].name) == n && memcmp(vs->v[i].name, name, n) == 0)
			return &vs->v[i];
	return NULL;
}

struct var *df_vars_set(struct vars *vs, const char *name, const char *value)
{
	struct var *v = df_vars_get(vs, name, strlen(name));

	if (v) {
		free(v->value);
		wordlist_release(&v->deps);
	} else {
		GROW(vs->v, vs->n, vs->cap);
		v = &vs->v[vs->n++];
		memset(v, 0, sizeof(*v));
		v->name = xstrdup(name);
	}
	v->value = value ? xstrdup(value) : NULL;
	return v;
}

static void vars_release(struct vars *vs)
{
	size_t i;

	for (i = 0; i < vs->n; i++) {
		free(vs->v[i].name);
		free(vs->v[i].value);
		wordlist_release(&vs->v[i].deps);
	}
	free(vs->v);
	memset(vs, 0, sizeof(*vs));
}

void df_addnew(struct wordlist *wl, const char *s)
{
	if (!wordlist_has(wl, s))
		wordlist_add(wl, s);
}

int df_error(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	buf_addf(p->err, "%s:%d: ", p->path, p->line);
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	buf_grow(p->err, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(p->err->data + p->err->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	p->err->len += (size_t)n;
	return -1;
}

const struct dfarg *df_build_arg(const struct parser *p, const char *name)
{
	size_t i;

	/* The last --build-arg of a name wins, as on docker's command line. */
	for (i = p->nbargs; i-- > 0;)
		if (p->bargs[i].value && strcmp(p->bargs[i].name, name) == 0)
			return &p->bargs[i];
	return NULL;
}

static const char *scope_get(void *ctx, const char *name, size_t n)
{
	struct scope *sc = ctx;
	const struct var *v = df_vars_get(sc->vars, name, n);

	if (sc->refs) {
		char *s = xstrndup(name, n);
		df_addnew(sc->refs, s);
		free(s);
	}
	return v ? v->value : NULL;
}

char *df_expand(struct parser *p, struct scope *sc, const char *s)
{
	struct wordenv env = {scope_get, sc};
	struct buf out = BUF_INIT, why = BUF_INIT;

	if (dockerword_expand(s, p->df->escape, &env, &out, &why) < 0) {
		df_error(p, "%s", why.data);
		buf_release(&why);
		buf_release(&out);
		return NULL;
	}
	buf_release(&why);
	return buf_detach(&out);
}

struct scope df_stage_scope(struct parser *p, struct wordlist *refs)
{
	struct pstage *ps = &p->ps[p->df->nstages - 1];
	struct scope sc = {&ps->env, refs};

	return sc;
}

int df_check_flags(struct parser *p, const char *instr, const struct flags *fl, const char *allowed,
                   const char *bools)
{
	size_t i;

	for (i = 0; i < fl->name.n; i++) {
		const char *f = fl->name.v[i];
		struct wordlist ok = {0}, isbool = {0};
		int known, boolean;

		dockerword_split(allowed, '\\', 0, &ok);
		dockerword_split(bools, '\\', 0, &isbool);
		known = wordlist_has(&ok, f);
		boolean = wordlist_has(&isbool, f);
		wordlist_release(&ok);
		wordlist_release(&isbool);
		if (!known)
			return df_error(p, "unknown flag '--%s' for %s (it takes --%s)", f, instr, allowed);
		if (!boolean && !fl->val.v[i])
			return df_error(p, "flag '--%s' of %s needs a value, as in '--%s=...'", f, instr, f);
	}
	return 0;
}

const char *df_flag(const struct flags *fl, const char *name)
{
	size_t i;

	for (i = fl->name.n; i-- > 0;)
		if (strcmp(fl->name.v[i], name) == 0)
			return fl->val.v[i] ? fl->val.v[i] : "";
	return NULL;
}

/* blanks: the leading blanks of s[0..n); lines point into the caller's text, which need not end in a NUL. */
static size_t blanks(const char *s, size_t n)
{
	size_t k = 0;

	while (k < n && (s[k] == ' ' || s[k] == '\t'))
		k++;
	return k;
}

/* BuildKit reads lines with Go's bufio.Scanner, whose longest line is 64 KiB less one byte. */
#define DF_MAX_LINE 65535

/* next_line: the next physical line without its line end (every '\r' before it too); 0 at the end, -1 for a line
 * too long. */
static int next_line(struct parser *p, const char **s, size_t *n)
{
	struct dockerfile *df = p->df;
	const char *nl;

	if (p->p >= p->end)
		return 0;
	/* every line counts until parse_lines finds it blank or a comment */
	GROW(df->keyed, df->nlines, p->cap_keyed);
	df->keyed[df->nlines++] = 1;
	nl = memchr(p->p, '\n', (size_t)(p->end - p->p));
	*s = p->p;
	*n = (size_t)((nl ? nl : p->end) - p->p);
	p->p = nl ? nl + 1 : p->end;
	p->lineno++;
	if (*n > DF_MAX_LINE) {
		p->line = p->lineno;
		return df_error(p, "line longer than %d bytes: Docker refuses it ('dockerfile line greater than max "
		                "allowed size of %d'); split it with continuation lines", DF_MAX_LINE, DF_MAX_LINE);
	}
	while (*n && (*s)[*n - 1] == '\r')
		(*n)--;
	return 1;
}

/* Here-document bodies start on the line after the instruction (continuations included), in marker order. */
int df_skip_heredocs(struct parser *p, const char *line)
{
	struct heredocs h = {{0}, NULL, 0};
	struct buf why = BUF_INIT;
	size_t i;
	int ret = -1;

	if (!strstr(line, "<<"))
		return 0;
	if (dockerword_heredocs(line, &h, &why) < 0) {
		df_error(p, "cannot read a here-document name: %s", why.data);
		goto out;
	}
	for (i = 0; i < h.names.n; i++) {
		const char *name = h.names.v[i], *s;
		size_t n;
		int r;

		for (;;) {
			if ((r = next_line(p, &s, &n)) <= 0) {
				if (r == 0)
					df_error(p, "unterminated heredoc: no line '%s' ends it; add one after its body", name);
				goto out;
			}
			while (h.strip[i] && n && *s == '\t')
				s++, n--;
			if (n == strlen(name) && memcmp(s, name, n) == 0)
				break;
		}
	}
	ret = 0;
out:
	heredocs_release(&h);
	buf_release(&why);
	return ret;
}

static int instruction(struct parser *p, char *line)
{
	struct dockerfile *df = p->df;
	struct flags fl = {{0}, {0}};
	char *rest = line + strcspn(line, " \t"), *end;
	char *name = xstrndup(line, (size_t)(rest - line)), *c;
	const char *args;
	size_t i, best = LEN(instructions), bestd = 3;
	int ret = 0;

	rest += strspn(rest, " \t");
	for (end = rest + strlen(rest); end > rest && (end[-1] == ' ' || end[-1] == '\t');)
		*--end = '\0';
	for (c = name; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	for (i = 0; i < LEN(instructions) && strcmp(name, instructions[i]) != 0; i++) {
		size_t d = edit_distance(name, instructions[i], 2);
		if (d < bestd)
			best = i, bestd = d;
	}
	if (i == LEN(instructions)) {
		for (c = name; *c; c++)
			*c = (char)toupper((unsigned char)*c);
		if (best < LEN(instructions)) {
			char *hint = xstrdup(instructions[best]);
			for (c = hint; *c; c++)
				*c = (char)toupper((unsigned char)*c);
			df_error(p, "unknown instruction '%s' (did you mean '%s'?)", name, hint);
			free(hint);
		} else {
			df_error(p, "unknown instruction '%s'", name);
		}
		free(name);
		return -1;
	}
	if (!df->nstages && strcmp(name, "arg") != 0 && strcmp(name, "from") != 0) {
		for (c = name; *c; c++)
			*c = (char)toupper((unsigned char)*c);
		df_error(p, "%s before the first FROM: only ARG may come before it", name);
		free(name);
		return -1;
	}
	args = dockerword_flags(rest, df->escape, &fl.name, &fl.val);
	ret = strcmp(name, "onbuild") == 0 ? df_onbuild(p, rest, line) : df_forms(p, name, args, line);
	if (ret < 0)
		goto out;
	if (strcmp(name, "from") == 0)
		ret = df_from(p, args, &fl);
	else if (strcmp(name, "copy") == 0 || strcmp(name, "add") == 0) {
		size_t before = df->nreads;
		const char *mode = df_flag(&fl, "chmod");
		ret = df_copy(p, args, &fl, name[0] == 'a');
		/* only an octal mode replaces the sources' modes; a symbolic one ("u+x") changes them */
		for (i = before; ret == 0 && mode && *mode && !mode[strspn(mode, "01234567")] && i < df->nreads; i++)
			df->reads[i].chmod = 1;
	}
	else if (strcmp(name, "run") == 0)
		ret = df_run(p, args, &fl);
	else if (strcmp(name, "arg") == 0)
		ret = df_arg(p, rest);
	else if (strcmp(name, "env") == 0)
		ret = df_env(p, rest);
	else if (strcmp(name, "workdir") == 0) {
		struct scope sc = df_stage_scope(p, NULL);
		char *dir = df_expand(p, &sc, rest);
		ret = dir ? 0 : -1;
		free(dir);
	}
	/* The rest (CMD, LABEL, ONBUILD, ...) read nothing from the context. ONBUILD runs in a child build. */
out:
	wordlist_release(&fl.name);
	wordlist_release(&fl.val);
	free(name);
	return ret;
}

/* directive: 1 when s[0..n) is a parser directive ("# escape=`"), 0 when it is a plain comment, -1 on error;
 * syntax_only: read only "# syntax=", as BuildKit reads the directives after a "#!" line to choose a frontend. */
static int directive(struct parser *p, const char *s, size_t n, int syntax_only)
{
	static const char *const known[] = {"syntax", "escape", "check"};
	const char *e = s + n, *name, *val;
	size_t nn, nv, i;

	for (s++; s < e && (*s == ' ' || *s == '\t'); s++)
		;
	name = s;
	if (s < e && isalpha((unsigned char)*s))
		while (s < e && isalnum((unsigned char)*s))
			s++;
	nn = (size_t)(s - name);
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	if (!nn || s == e || *s++ != '=')
		return 0;
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	for (val = s; e > val && (e[-1] == ' ' || e[-1] == '\t'); e--)
		;
	nv = (size_t)(e - val);
	for (i = 0; i < LEN(known) && !(strlen(known[i]) == nn && strncasecmp(name, known[i], nn) == 0); i++)
		;
	if (!nv || i == LEN(known))
		return 0; /* an unknown directive is a comment, and so ends the directives */
	if (syntax_only) {
		if (i == 0 && !p->df->syntax)
			p->df->syntax = xstrndup(val, nv);
		return 1;
	}
	p->line = p->lineno;
	if (p->seen & 1u << i)
		return df_error(p, "only one '%s' parser directive can be used", known[i]);
	p->seen |= 1u << i;
	if (i == 0) {
		p->df->syntax = xstrndup(val, nv);
	} else if (i == 1) {
		if (nv != 1 || (*val != '\\' && *val != '`'))
			return df_error(p, "invalid escape '%.*s': use '\\' or '`'", (int)nv, val);
		p->df->escape = *val;
	}
	return 1;
}

/* continues: whether line ends with the escape character (blanks may follow it); if so it is cut off there. An
 * escaped escape ("\\" at the end) does not continue the line, as in BuildKit. */
static int continues(const struct parser *p, struct buf *line)
{
	size_t e = line->len;
	char esc = p->df->escape;

	while (e && (line->data[e - 1] == ' ' || line->data[e - 1] == '\t'))
		e--;
	if (!e || line->data[e - 1] != esc || (e >= 2 && line->data[e - 2] == esc))
		return 0;
	line->len = e - 1;
	line->data[line->len] = '\0';
	return 1;
}

/* shebang_syntax: after a "#!" first line BuildKit still finds "# syntax=" among the comments that follow (to pick
 * the frontend), while its parser reads that line as a plain comment: record the syntax only. */
static void shebang_syntax(struct parser *p)
{
	struct parser q = *p;
	struct buf scratch = BUF_INIT; /* a line too long is reported by the real pass */
	const char *s;
	size_t n, k;

	q.err = &scratch;
	if (p->end - p->p >= 2 && memcmp(p->p, "#!", 2) == 0 && next_line(&q, &s, &n) > 0) {
		while (next_line(&q, &s, &n) > 0) {
			k = blanks(s, n);
			if (k >= n || s[k] != '#' || directive(&q, s + k, n - k, 1) != 1)
				break;
		}
	}
	buf_release(&scratch);
}

static int parse_lines(struct parser *p)
{
	struct buf line = BUF_INIT;
	const char *s;
	size_t n, k;
	int directives = 1, ret = 0, r;

	while (ret == 0 && (r = next_line(p, &s, &n)) != 0) {
		if (r < 0) {
			ret = -1;
			break;
		}
		k = blanks(s, n);
		if (k >= n) {
			directives = 0;
			p->df->keyed[p->lineno - 1] = 0;
			continue;
		}
		if (s[k] == '#') {
			if (directives && (ret = directive(p, s + k, n - k, 0)) != 0) {
				ret = ret < 0 ? -1 : 0;
			} else {
				directives = 0;
				p->df->keyed[p->lineno - 1] = 0;
			}
			continue;
		}
		directives = 0;
		p->line = p->lineno;
		buf_reset(&line);
		buf_add(&line, s + k, n - k);
		/* Comment and blank lines inside a continuation are dropped; the next line is joined as it is. */
		while (continues(p, &line)) {
			int more = 0;
			while (!more && (r = next_line(p, &s, &n)) > 0) {
				k = blanks(s, n);
				if (k < n && s[k] != '#') {
					buf_add(&line, s, n);
					more = 1;
				} else {
					p->df->keyed[p->lineno - 1] = 0;
				}
			}
			if (r < 0)
				ret = -1;
			if (!more)
				break;
		}
		if (ret == 0)
			ret = instruction(p, line.data);
	}
	buf_release(&line);
	return ret;
}

const char *dfread_kind_name(enum dfread_kind k)
{
	return k == DFREAD_COPY ? "COPY" : k == DFREAD_ADD ? "ADD" : "RUN --mount";
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_read(struct dfread *r)
{
	size_t i;

	free(r->src);
	for (i = 0; i < r->nexcl; i++)
		free(r->excl[i]);
	free(r->excl);
}

/* finish: pick the target, mark what it needs, and drop what it does not. */
static int finish(struct parser *p, const char *target)
{
	struct dockerfile *df = p->df;
	struct wordlist args = {0};
	size_t i, j, nstack = 0, *stack;

	if (!df->nstages) {
		buf_addf(p->err, "%s: no FROM instruction: a Dockerfile needs at least one stage", p->path);
		return -1;
	}
	if (df_resolve(p) < 0)
		return -1;
	df->target = df->nstages - 1;
	if (target) {
		size_t best = df->nstages, bestd = 3;
		for (i = 0; i < df->nstages; i++) {
			const char *nm = df->stages[i].name;
			size_t d;
			if (nm && strcasecmp(nm, target) == 0)
				break;
			if (nm && (d = edit_distance(nm, target, 2)) < bestd)
				best = i, bestd = d;
		}
		if (i == df->nstages) {
			buf_addf(p->err, "%s: target stage '%s' not found", p->path, target);
			if (best < df->nstages)
				buf_addf(p->err, " (did you mean '%s'?)", df->stages[best].name);
			return -1;
		}
		df->target = i;
	}
	stack = xcalloc(df->nstages, sizeof(*stack));
	df->stages[df->target].needed = 1;
	stack[nstack++] = df->target;
	while (nstack) {
		const struct pstage *ps = &p->ps[stack[--nstack]];
		for (j = 0; j < ps->ndeps; j++)
			if (!df->stages[ps->deps[j]].needed) {
				df->stages[ps->deps[j]].needed = 1;
				stack[nstack++] = ps->deps[j];
			}
	}
	free(stack);
	for (i = j = 0; i < df->nreads; i++) {
		if (df->stages[df->reads[i].stage].needed)
			df->reads[j++] = df->reads[i];
		else
			free_read(&df->reads[i]);
	}
	df->nreads = j;
	for (i = j = 0; i < df->nremotes; i++) {
		if (df->stages[df->remotes[i].stage].needed) {
			df->remotes[j++] = df->remotes[i];
		} else {
			free(df->remotes[i].url);
			free(df->remotes[i].checksum);
		}
	}
	df->nremotes = j;
	for (i = j = 0; i < df->nimages; i++) {
		if (df->stages[df->images[i].stage].needed)
			df->images[j++] = df->images[i];
		else
			free(df->images[i].ref);
	}
	df->nimages = j;
	for (i = j = 0; i < df->nsecrets; i++) {
		if (df->stages[df->secrets[i].stage].needed)
			df->secrets[j++] = df->secrets[i];
		else
			free(df->secrets[i].id);
	}
	df->nsecrets = j;
	for (i = 0; i < df->nstages; i++)
		for (j = 0; df->stages[i].needed && j < p->ps[i].used.n; j++)
			df_addnew(&args, p->ps[i].used.v[j]);
	if (args.n)
		qsort(args.v, args.n, sizeof(*args.v), cmp_str);
	df->args = args.v;
	df->nargs = args.n;
	return 0;
}

static void parser_release(struct parser *p)
{
	size_t i, j;

	for (i = 0; i < p->df->nstages; i++) {
		vars_release(&p->ps[i].env);
		wordlist_release(&p->ps[i].used);
		free(p->ps[i].deps);
		for (j = 0; j < p->ps[i].nrefs; j++)
			free(p->ps[i].refs[j].ref);
		free(p->ps[i].refs);
	}
	free(p->ps);
	vars_release(&p->global);
	wordlist_release(&p->refs);
}

struct dockerfile *dockerfile_parse(const char *path, const char *text, size_t len, const struct dfarg *args,
                                    size_t nargs, const char *target, struct buf *err)
{
	struct dockerfile *df = xcalloc(1, sizeof(*df));
	struct parser p;
	size_t i;
	int ret;

	memset(&p, 0, sizeof(p));
	df->path = xstrdup(path);
	df->escape = '\\';
	p.path = path;
	p.p = text;
	p.end = text + len;
	p.err = err;
	p.bargs = args;
	p.nbargs = nargs;
	p.df = df;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		p.p += 3;
	for (i = 0; i < LEN(platform_args); i++) {
		const struct dfarg *ba = df_build_arg(&p, platform_args[i]);
		if (ba)
			df_vars_set(&p.global, ba->name, ba->value);
	}
	if (memchr(text, '\0', len)) {
		buf_addf(err, "%s: NUL byte in the Dockerfile: is it a binary file?", path);
		ret = -1;
	} else {
		shebang_syntax(&p);
		ret = parse_lines(&p);
		if (ret == 0)
			ret = finish(&p, target);
	}
	parser_release(&p);
	if (ret < 0) {
		dockerfile_free(df);
		return NULL;
	}
	return df;
}

void dockerfile_free(struct dockerfile *df)
{
	size_t i;

	if (!df)
		return;
	for (i = 0; i < df->nstages; i++) {
		free(df->stages[i].name);
		free(df->stages[i].base);
		free(df->stages[i].platform);
	}
	free(df->stages);
	for (i = 0; i < df->nreads; i++)
		free_read(&df->reads[i]);
	free(df->reads);
	for (i = 0; i < df->nremotes; i++) {
		free(df->remotes[i].url);
		free(df->remotes[i].checksum);
	}
	free(df->remotes);
	for (i = 0; i < df->nimages; i++)
		free(df->images[i].ref);
	free(df->images);
	for (i = 0; i < df->nsecrets; i++)
		free(df->secrets[i].id);
	free(df->secrets);
	for (i = 0; i < df->nargs; i++)
		free(df->args[i]);
	free(df->args);
	free(df->syntax);
	free(df->path);
	free(df->keyed);
	free(df);
}

void dockerfile_dump(const struct dockerfile *df, struct buf *out)
{
	size_t i, j;

	if (df->syntax)
		buf_addf(out, "syntax '%s'\n", df->syntax);
	if (df->escape != '\\')
		buf_addf(out, "escape '%c'\n", df->escape);
	for (i = 0; i < df->nstages; i++) {
		const struct dfstage *st = &df->stages[i];
		buf_addf(out, "stage %zu", i);
		if (st->name)
			buf_addf(out, " '%s'", st->name);
		buf_addf(out, " line %d from ", st->line);
		if (st->base_stage >= 0)
			buf_addf(out, "stage %ld", st->base_stage);
		else
			buf_addf(out, "'%s'", st->base);
		if (st->platform)
			buf_addf(out, " platform '%s'", st->platform);
		buf_adds(out, st->needed ? "\n" : " unused\n");
	}
	buf_addf(out, "target %zu\n", df->target);
	for (i = 0; i < df->nreads; i++) {
		const struct dfread *r = &df->reads[i];
		buf_addf(out, "read stage %zu line %d %s '%s'%s%s", r->stage, r->line, dfread_kind_name(r->kind), r->src,
		         r->wildcard ? " wildcard" : "", r->chmod ? " chmod" : "");
		for (j = 0; j < r->nexcl; j++)
			buf_addf(out, " exclude '%s'", r->excl[j]);
		buf_addc(out, '\n');
	}
	for (i = 0; i < df->nremotes; i++) {
		const struct dfremote *r = &df->remotes[i];
		buf_addf(out, "remote stage %zu line %d '%s'%s", r->stage, r->line, r->url, r->git ? " git" : "");
		if (r->checksum)
			buf_addf(out, " checksum '%s'", r->checksum);
		buf_addc(out, '\n');
	}
	for (i = 0; i < df->nimages; i++) {
		const struct dfimage *im = &df->images[i];
		buf_addf(out, "image stage %zu line %d '%s'\n", im->stage, im->line, im->ref);
	}
	for (i = 0; i < df->nsecrets; i++)
		buf_addf(out, "secret stage %zu line %d '%s'\n", df->secrets[i].stage, df->secrets[i].line, df->secrets[i].id);
	for (i = 0; i < df->nargs; i++)
		buf_addf(out, "arg %s\n", df->args[i]);
}
