/* dfinstr: what FROM, ARG, ENV, COPY, ADD and RUN mean for the stages, variables and context reads of a build, and
 * what BuildKit checks of every instruction's arguments. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dfparse.h"
#include "dockerignore.h"
#include "util.h"

static void add_image(struct parser *p, size_t stage, int line, const char *ref)
{
	struct dockerfile *df = p->df;
	struct dfimage *im;

	GROW(df->images, df->nimages, p->cap_images);
	im = &df->images[df->nimages++];
	im->stage = stage;
	im->line = line;
	im->ref = xstrdup(ref);
}

static void add_dep(struct pstage *ps, size_t stage)
{
	GROW(ps->deps, ps->ndeps, ps->cap);
	ps->deps[ps->ndeps++] = stage;
}

/* add_ref: the current stage reads from ref, which may name a stage defined further down. */
static int add_ref(struct parser *p, const char *what, const char *ref, int by_index)
{
	struct pstage *ps = &p->ps[p->df->nstages - 1];
	struct scope none = {NULL, NULL};
	char *v;
	int same;

	if (!*ref)
		return df_error(p, "%s needs a stage or an image", what);
	/* BuildKit resolves these before any variable has a value, so it refuses variables (and quotes) here. */
	if (!(v = df_expand(p, &none, ref)))
		return -1;
	same = strcmp(v, ref) == 0;
	free(v);
	if (!same)
		return df_error(p, "%s='%s': variables are not supported there; name a stage 'FROM <image with "
		                "global ARGs> AS alias' and use the alias", what, ref);
	GROW(ps->refs, ps->nrefs, ps->caprefs);
	ps->refs[ps->nrefs].ref = xstrdup(ref);
	ps->refs[ps->nrefs].line = p->line;
	ps->refs[ps->nrefs++].by_index = by_index;
	return 0;
}

/* cyclic: depth-first search for a stage reachable from itself; color 1 is "on the path", 2 "done". */
static int cyclic(const struct parser *p, size_t i, char *color)
{
	size_t j;

	color[i] = 1;
	for (j = 0; j < p->ps[i].ndeps; j++) {
		size_t d = p->ps[i].deps[j];
		if (color[d] == 1 || (color[d] == 0 && cyclic(p, d, color)))
			return 1;
	}
	color[i] = 2;
	return 0;
}

int df_resolve(struct parser *p)
{
	struct dockerfile *df = p->df;
	char *color;
	size_t i, j, k;

	for (i = 0; i < df->nstages; i++) {
		struct dfstage *st = &df->stages[i];
		struct pstage *ps = &p->ps[i];

		if (st->base_stage < 0 && strcasecmp(st->base, "scratch") != 0)
			add_image(p, i, st->line, st->base);
		for (j = 0; j < ps->nrefs; j++) {
			const struct stageref *r = &ps->refs[j];

			p->line = r->line;
			if (r->by_index && r->ref[strspn(r->ref, "0123456789")] == '\0') {
				unsigned long idx = strtoul(r->ref, NULL, 10);
				if (idx >= df->nstages)
					return df_error(p, "COPY --from=%s: there is no stage %s (stages count from 0)", r->ref,
					                r->ref);
				add_dep(ps, idx);
				continue;
			}
			for (k = 0; k < df->nstages; k++)
				if (df->stages[k].name && strcasecmp(df->stages[k].name, r->ref) == 0)
					break;
			if (k < df->nstages)
				add_dep(ps, k);
			else
				add_image(p, i, r->line, r->ref);
		}
	}
	color = xcalloc(df->nstages, 1);
	for (i = 0; i < df->nstages; i++) {
		if (!color[i] && cyclic(p, i, color)) {
			for (i = 0; i < df->nstages && color[i] != 1; i++)
				;
			p->line = df->stages[i].line;
			free(color);
			return df_error(p, "circular dependency: stage %zu%s%s%s reads from itself through --from", i,
			                df->stages[i].name ? " '" : "", df->stages[i].name ? df->stages[i].name : "",
			                df->stages[i].name ? "'" : "");
		}
	}
	free(color);
	return 0;
}

static int add_read(struct parser *p, enum dfread_kind kind, const char *raw, const struct wordlist *excl)
{
	struct dockerfile *df = p->df;
	const char *s = raw + strspn(raw, "/");
	struct dfread *r;
	char *src;
	size_t i;

	/* Sources are relative to the context root, "/" too; an empty one is the root (BuildKit joins the paths). */
	src = dockerignore_clean(*s ? s : ".");
	if (strcmp(src, "..") == 0 || str_has_prefix(src, "../")) {
		free(src);
		return df_error(p, "%s source '%s' is outside the build context: sources are relative to the "
		                "context root", dfread_kind_name(kind), raw);
	}
	if (kind != DFREAD_BIND && strpbrk(src, "*?[") && !dockerignore_pattern_ok(src)) {
		free(src);
		return df_error(p, "%s source '%s': syntax error in pattern, which Docker refuses (a '[' needs its ']' and "
		                "something in between); write '\\[' for a literal '['", dfread_kind_name(kind), raw);
	}
	GROW(df->reads, df->nreads, p->cap_reads);
	r = &df->reads[df->nreads++];
	memset(r, 0, sizeof(*r));
	r->stage = df->nstages - 1;
	r->line = p->line;
	r->kind = kind;
	r->src = src;
	r->wildcard = kind != DFREAD_BIND && strpbrk(src, "*?[") != NULL;
	if (excl && excl->n) {
		r->excl = xcalloc(excl->n, sizeof(*r->excl));
		for (i = 0; i < excl->n; i++)
			r->excl[i] = xstrdup(excl->v[i]);
		r->nexcl = excl->n;
	}
	return 0;
}

/* remote_kind: 2 for a git repository, 1 for another URL, 0 for a context path. */
static int remote_kind(const char *s)
{
	size_t m = strcspn(s, "#");

	if (str_has_prefix(s, "git@") || str_has_prefix(s, "git://") || str_has_prefix(s, "ssh://") ||
	    (strstr(s, "://") && m >= 4 && memcmp(s + m - 4, ".git", 4) == 0))
		return 2;
	return strncasecmp(s, "http://", 7) == 0 || strncasecmp(s, "https://", 8) == 0;
}

static void add_remote(struct parser *p, const char *url, const char *checksum, int git)
{
	struct dockerfile *df = p->df;
	struct dfremote *r;

	GROW(df->remotes, df->nremotes, p->cap_remotes);
	r = &df->remotes[df->nremotes++];
	r->stage = df->nstages - 1;
	r->line = p->line;
	r->url = xstrdup(url);
	r->checksum = checksum ? xstrdup(checksum) : NULL;
	r->git = git;
}

/* use_global: the current stage consumes global ARG name, and so the ones its default came from. */
static void use_global(struct parser *p, const char *name)
{
	struct pstage *ps = &p->ps[p->df->nstages - 1];
	const struct var *g = df_vars_get(&p->global, name, strlen(name));
	size_t i;

	if (!g)
		return;
	df_addnew(&ps->used, name);
	for (i = 0; i < g->deps.n; i++)
		df_addnew(&ps->used, g->deps.v[i]);
}

static int valid_stage_name(const char *s)
{
	if (!islower((unsigned char)*s))
		return 0;
	for (s++; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && !strchr("-_.", *s))
			return 0;
	return 1;
}

static struct dfstage *new_stage(struct parser *p)
{
	struct dockerfile *df = p->df;

	size_t cap = p->cap_stages; /* p->ps runs alongside df->stages, with the same capacity */

	GROW(df->stages, df->nstages, p->cap_stages);
	GROW(p->ps, df->nstages, cap);
	memset(&p->ps[df->nstages], 0, sizeof(*p->ps));
	memset(&df->stages[df->nstages], 0, sizeof(*df->stages));
	return &df->stages[df->nstages++];
}

int df_from(struct parser *p, const char *rest, struct flags *fl)
{
	struct dockerfile *df = p->df;
	struct scope sc = {&p->global, &p->refs};
	struct wordlist w = {0};
	char *base = NULL, *platform = NULL, *name = NULL, *c;
	const char *pl;
	struct dfstage *st;
	size_t i;
	int ret = -1;

	if (df_check_flags(p, "FROM", fl, "platform", "") < 0)
		return -1;
	dockerword_split(rest, df->escape, 0, &w);
	if (!(w.n == 1 || (w.n == 3 && strcasecmp(w.v[1], "as") == 0))) {
		df_error(p, "FROM takes 'image' or 'image AS name', not '%s'", rest);
		goto out;
	}
	/* FROM sees only the global ARGs. */
	wordlist_release(&p->refs);
	if (!(base = df_expand(p, &sc, w.v[0])))
		goto out;
	if ((pl = df_flag(fl, "platform")) && !(platform = df_expand(p, &sc, pl)))
		goto out;
	if (platform && !*platform) {
		/* An empty --platform (say, an unset $BUILDPLATFORM) is the default platform. */
		free(platform);
		platform = NULL;
	}
	if (!*base) {
		df_error(p, "FROM '%s' names no image: it expands to ''", w.v[0]);
		goto out;
	}
	if (w.n == 3) {
		name = xstrdup(w.v[2]);
		for (c = name; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		if (!valid_stage_name(name)) {
			df_error(p, "invalid stage name '%s': use a letter, then letters, digits, '-', '_' or '.'",
			         w.v[2]);
			goto out;
		}
		for (i = 0; i < df->nstages; i++)
			if (df->stages[i].name && strcmp(df->stages[i].name, name) == 0) {
				df_error(p, "duplicate stage name '%s' (first on line %d)", name, df->stages[i].line);
				goto out;
			}
	}
	st = new_stage(p);
	st->name = name, name = NULL;
	st->base = base, base = NULL;
	st->platform = platform, platform = NULL;
	st->line = p->line;
	st->base_stage = -1;
	for (i = 0; i + 1 < df->nstages; i++)
		if (df->stages[i].name && strcasecmp(df->stages[i].name, st->base) == 0)
			st->base_stage = (long)i;
	if (st->base_stage >= 0) {
		/* A stage built on another starts with its ENV, which lives on in the image config. */
		const struct vars *penv = &p->ps[st->base_stage].env;
		for (i = 0; i < penv->n; i++)
			df_vars_set(&p->ps[df->nstages - 1].env, penv->v[i].name, penv->v[i].value);
		add_dep(&p->ps[df->nstages - 1], (size_t)st->base_stage);
	}
	for (i = 0; i < p->refs.n; i++)
		use_global(p, p->refs.v[i]);
	ret = 0;
out:
	free(base);
	free(platform);
	free(name);
	wordlist_release(&w);
	return ret;
}

int df_arg(struct parser *p, const char *rest)
{
	struct dockerfile *df = p->df;
	int in_stage = df->nstages > 0;
	struct pstage *ps = in_stage ? &p->ps[df->nstages - 1] : NULL;
	struct wordlist w = {0};
	size_t i, j;
	int ret = -1;

	dockerword_split(rest, df->escape, 1, &w);
	if (!w.n)
		return df_error(p, "ARG needs a name, as in 'ARG NAME' or 'ARG NAME=default'");
	for (i = 0; i < w.n; i++) {
		const char *eq = strchr(w.v[i], '=');
		char *name = eq ? xstrndup(w.v[i], (size_t)(eq - w.v[i])) : xstrdup(w.v[i]);
		const struct dfarg *ba = df_build_arg(p, name);
		const struct var *g = NULL;
		struct scope sc = {&p->global, &p->refs};
		char *value = NULL;

		if (!*name) {
			free(name);
			df_error(p, "ARG name missing in '%s'", w.v[i]);
			goto out;
		}
		if (in_stage)
			sc = df_stage_scope(p, &p->refs);
		wordlist_release(&p->refs);
		/* A build arg wins over a default; an ARG without one in a stage takes the global ARG's value. */
		if (ba)
			value = xstrdup(ba->value);
		else if (eq && !(value = df_expand(p, &sc, eq + 1))) {
			free(name);
			goto out;
		} else if (!eq && in_stage && (g = df_vars_get(&p->global, name, strlen(name))) && g->value)
			value = xstrdup(g->value);
		if (in_stage) {
			/* Names are set one by one: "ARG A=1 B=$A" gives B "1". An ARG with no value changes nothing. */
			if (value)
				df_vars_set(&ps->env, name, value);
			df_addnew(&ps->used, name);
			if (g)
				use_global(p, name);
		} else {
			struct var *v = df_vars_set(&p->global, name, value);
			for (j = 0; !ba && j < p->refs.n; j++) {
				const struct var *d = df_vars_get(&p->global, p->refs.v[j], strlen(p->refs.v[j]));
				size_t k;
				if (!d || d == v)
					continue;
				df_addnew(&v->deps, d->name);
				for (k = 0; k < d->deps.n; k++)
					df_addnew(&v->deps, d->deps.v[k]);
			}
		}
		free(name);
		free(value);
	}
	ret = 0;
out:
	wordlist_release(&w);
	return ret;
}

int df_env(struct parser *p, const char *rest)
{
	struct wordlist w = {0}, names = {0}, values = {0};
	struct scope sc = df_stage_scope(p, NULL);
	struct pstage *ps = &p->ps[p->df->nstages - 1];
	size_t i;
	int ret = -1;

	dockerword_split(rest, p->df->escape, 1, &w);
	if (!w.n)
		return df_error(p, "ENV needs a name and a value, as in 'ENV NAME=value'");
	if (!strchr(w.v[0], '=')) {
		/* The old form "ENV NAME value with spaces" sets one variable to the rest of the line. */
		const char *v = rest + strlen(w.v[0]);
		v += strspn(v, " \t");
		if (!*v) {
			df_error(p, "ENV '%s' needs a value: use 'ENV %s=value'", w.v[0], w.v[0]);
			goto out;
		}
		wordlist_add(&names, w.v[0]);
		wordlist_add(&values, NULL);
		if (!(values.v[0] = df_expand(p, &sc, v)))
			goto out;
	} else {
		/* Every value is expanded before any is set: "ENV a=1 b=$a" gives b the older a. */
		for (i = 0; i < w.n; i++) {
			const char *eq = strchr(w.v[i], '=');
			if (!eq || eq == w.v[i]) {
				df_error(p, "ENV '%s' is not of the form name=value", w.v[i]);
				goto out;
			}
			wordlist_addn(&names, w.v[i], (size_t)(eq - w.v[i]));
			wordlist_add(&values, NULL);
			if (!(values.v[i] = df_expand(p, &sc, eq + 1)))
				goto out;
		}
	}
	for (i = 0; i < names.n; i++)
		df_vars_set(&ps->env, names.v[i], values.v[i]);
	ret = 0;
out:
	wordlist_release(&w);
	wordlist_release(&names);
	wordlist_release(&values);
	return ret;
}

int df_copy(struct parser *p, const char *rest, struct flags *fl, int add)
{
	struct dockerfile *df = p->df;
	const char *instr = add ? "ADD" : "COPY", *why, *f;
	struct scope sc = df_stage_scope(p, NULL);
	struct wordlist w = {0}, excl = {0};
	const char *from;
	char *checksum = NULL, *v = NULL;
	size_t i;
	int json = 0, ret = -1, strip;

	if (add && df_check_flags(p, instr, fl, "chown chmod link exclude checksum keep-git-dir unpack",
	                          "link keep-git-dir unpack") < 0)
		return -1;
	if (!add && df_check_flags(p, instr, fl, "from chown chmod link parents exclude", "link parents") < 0)
		return -1;
	/* '[' then '"' starts the JSON form; any other '[' is a glob class of the shell form. */
	if (rest[0] == '[' && rest[1 + strspn(rest + 1, " \t")] == '"') {
		if (dockerword_json(rest, &w, &why) != 1) {
			df_error(p, "%s has an %s JSON array '%s'", instr, why, rest);
			goto out;
		}
		json = 1;
	} else {
		dockerword_split(rest, df->escape, 0, &w);
	}
	if (w.n < 2) {
		df_error(p, "%s needs a source and a destination, as in '%s src /dest'", instr, instr);
		goto out;
	}
	if ((from = df_flag(fl, "from")) && add_ref(p, "COPY --from", from, 1) < 0)
		goto out;
	if ((f = df_flag(fl, "checksum")) && !(checksum = df_expand(p, &sc, f)))
		goto out;
	for (i = 0; i < fl->name.n; i++) {
		if (strcmp(fl->name.v[i], "exclude") != 0)
			continue;
		if (!(v = df_expand(p, &sc, fl->val.v[i])))
			goto out;
		wordlist_add(&excl, NULL);
		excl.v[excl.n - 1] = dockerignore_clean(v + strspn(v, "/"));
		free(v);
		v = NULL; /* freed again at out when every word is a heredoc */
	}
	for (i = 0; i < w.n; i++) {
		char *h = json ? NULL : dockerword_heredoc(w.v[i], &strip);
		int k;

		if (h) {
			free(h); /* inline content, not a context file */
			continue;
		}
		if (!(v = df_expand(p, &sc, w.v[i])))
			goto out;
		if (i + 1 < w.n && !from) {
			k = remote_kind(v);
			if (k && !add) {
				df_error(p, "COPY source '%s' is a URL: only ADD fetches from URLs", v);
				goto out;
			}
			if (k)
				add_remote(p, v, checksum, k == 2);
			else if (add_read(p, add ? DFREAD_ADD : DFREAD_COPY, v, &excl) < 0)
				goto out;
		}
		free(v);
		v = NULL;
	}
	ret = 0;
out:
	free(v);
	free(checksum);
	wordlist_release(&w);
	wordlist_release(&excl);
	return ret;
}

static const char *const mount_keys[] = {
	"sharing", "mode", "uid", "gid", "size", "env", "required",
};

/* add_secret: the current RUN step mounts the secret id (source=, else id=, else target's last part; BuildKit
 * refuses a secret mount with none of them). */
static int add_secret(struct parser *p, const char *source, const char *id, const char *target)
{
	struct dockerfile *df = p->df;
	const char *base = target ? strrchr(target, '/') : NULL;
	struct dfsecret *s;

	base = base ? base + 1 : target;
	if (source && *source && id && *id)
		return df_error(p, "RUN --mount=type=secret: both source and id can't be set; give the secret's name once, "
		                "as id=");
	if (source && *source)
		id = source;
	else if (!id || !*id)
		id = base;
	if (!id || !*id)
		return df_error(p, "RUN --mount=type=secret needs an id= or a target=, as in 'type=secret,id=NPM_TOKEN'");
	GROW(df->secrets, df->nsecrets, p->cap_secrets);
	s = &df->secrets[df->nsecrets++];
	s->stage = df->nstages - 1;
	s->line = p->line;
	s->id = xstrdup(id);
	return 0;
}

/* parse_mount: a RUN --mount spec ("type=bind,source=x,target=/y"): a bind of the context reads from it, a secret
 * is noted. Its fields are split first and their values expanded one by one, as BuildKit does. */
static int parse_mount(struct parser *p, const char *spec)
{
	struct scope sc = df_stage_scope(p, NULL);
	struct wordlist fields = {0};
	char *type = xstrdup("bind"), *source = NULL, *from = NULL, *v = NULL, *id = NULL, *target = NULL;
	const char *why;
	size_t i, k;
	int ret = -1;

	if (dockerword_csv(spec, &fields, &why) < 0) {
		df_error(p, "cannot read RUN --mount '%s': %s", spec, why);
		goto out;
	}
	for (i = 0; i < fields.n; i++) {
		char *key = fields.v[i], *eq = strchr(key, '=');

		if (!eq) {
			if (strcasecmp(key, "readonly") == 0 || strcasecmp(key, "ro") == 0 ||
			    strcasecmp(key, "readwrite") == 0 || strcasecmp(key, "rw") == 0 || strcasecmp(key, "required") == 0)
				continue;
			df_error(p, "RUN --mount field '%s' needs a value, as in 'type=bind,source=x,target=/x'", key);
			goto out;
		}
		*eq = '\0';
		if (strcasecmp(key, "from") == 0) {
			if (add_ref(p, "RUN --mount from", eq + 1, 0) < 0)
				goto out;
			free(from);
			from = xstrdup(eq + 1);
			continue;
		}
		if (!(v = df_expand(p, &sc, eq + 1)))
			goto out;
		if (strcasecmp(key, "type") == 0) {
			free(type), type = v;
		} else if (strcasecmp(key, "source") == 0 || strcasecmp(key, "src") == 0) {
			free(source), source = v;
		} else if (strcasecmp(key, "id") == 0) {
			free(id), id = v;
		} else if (strcasecmp(key, "target") == 0 || strcasecmp(key, "dst") == 0 ||
		           strcasecmp(key, "destination") == 0) {
			free(target), target = v;
		} else {
			for (k = 0; k < LEN(mount_keys) && strcasecmp(key, mount_keys[k]) != 0; k++)
				;
			free(v);
			v = NULL;
			if (k == LEN(mount_keys)) {
				df_error(p, "unknown RUN --mount option '%s'", key);
				goto out;
			}
		}
		v = NULL;
	}
	for (k = 0; type[k]; k++)
		type[k] = (char)tolower((unsigned char)type[k]);
	if (strcmp(type, "bind") != 0 && strcmp(type, "cache") != 0 && strcmp(type, "tmpfs") != 0 &&
	    strcmp(type, "secret") != 0 && strcmp(type, "ssh") != 0) {
		df_error(p, "unknown RUN --mount type '%s': use bind, cache, tmpfs, secret or ssh", type);
		goto out;
	}
	if (from && strcmp(type, "bind") != 0 && strcmp(type, "cache") != 0) {
		df_error(p, "RUN --mount type '%s' takes no from=", type);
		goto out;
	}
	ret = 0;
	/* A bind without from= mounts the build context, all of it unless source= narrows it. */
	if (!from && strcmp(type, "bind") == 0)
		ret = add_read(p, DFREAD_BIND, source ? source : "", NULL);
	else if (strcmp(type, "secret") == 0)
		ret = add_secret(p, source, id, target);
out:
	free(v);
	free(type);
	free(source);
	free(from);
	free(id);
	free(target);
	wordlist_release(&fields);
	return ret;
}

int df_run(struct parser *p, const char *rest, struct flags *fl)
{
	size_t i;

	(void)rest; /* the command reads nothing from the context; its here-documents are skipped already */
	if (df_check_flags(p, "RUN", fl, "mount network security", "") < 0)
		return -1;
	for (i = 0; i < fl->name.n; i++)
		if (strcmp(fl->name.v[i], "mount") == 0 && parse_mount(p, fl->val.v[i]) < 0)
			return -1;
	return 0;
}

/* json_args: 1 when args is the JSON form, 0 when it is the shell form; -1 after reporting a JSON array that
 * BuildKit refuses (an element that is not a string), for the instructions that take either form. */
static int json_args(struct parser *p, const char *args)
{
	struct wordlist w = {0};
	const char *why;
	int r;

	if (*args != '[')
		return 0;
	r = dockerword_json(args, &w, &why);
	wordlist_release(&w);
	if (r < 0)
		return df_error(p, "%s: '%s'", why, args);
	return r;
}

/* df_forms: what BuildKit checks of an instruction's arguments before they mean anything: a JSON array holds only
 * strings, HEALTHCHECK has a type; and the here-documents that ADD, COPY and RUN in the shell form open, whose
 * bodies follow line (the whole instruction line). name is lowercase, args what follows the flags. */
int df_forms(struct parser *p, const char *name, const char *args, const char *line)
{
	static const char *const either[] = {"add", "cmd", "copy", "entrypoint", "run", "shell", "volume"};
	size_t i, n;
	int json;

	if (strcmp(name, "healthcheck") == 0) {
		const char *cmd;

		n = strcspn(args, " \t");
		cmd = args + n + strspn(args + n, " \t");
		if (!n)
			return df_error(p, "HEALTHCHECK requires at least one argument: 'HEALTHCHECK CMD command' or "
			                "'HEALTHCHECK NONE'");
		if (n == 4 && strncasecmp(args, "none", 4) == 0)
			return *cmd ? df_error(p, "HEALTHCHECK NONE takes no arguments") : 0;
		if (n != 3 || strncasecmp(args, "cmd", 3) != 0)
			return df_error(p, "unknown type '%.*s' in HEALTHCHECK (try CMD)", (int)n, args);
		if (!*cmd)
			return df_error(p, "missing command after HEALTHCHECK CMD");
		return json_args(p, cmd) < 0 ? -1 : 0;
	}
	for (i = 0; i < LEN(either) && strcmp(name, either[i]) != 0; i++)
		;
	if (i == LEN(either))
		return 0;
	if ((json = json_args(p, args)) < 0)
		return -1;
	if (json || (strcmp(name, "add") != 0 && strcmp(name, "copy") != 0 && strcmp(name, "run") != 0))
		return 0;
	return df_skip_heredocs(p, line);
}

/* df_onbuild: ONBUILD's step runs in a child build and reads nothing here, but BuildKit reads its arguments and the
 * here-documents that follow this line. */
int df_onbuild(struct parser *p, const char *rest, const char *line)
{
	struct flags fl = {{0}, {0}};
	size_t n = strcspn(rest, " \t");
	char *sub = xstrndup(rest, n), *c;
	const char *args;
	int ret;

	for (c = sub; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	args = dockerword_flags(rest + n, p->df->escape, &fl.name, &fl.val);
	ret = df_forms(p, sub, args, line);
	free(sub);
	wordlist_release(&fl.name);
	wordlist_release(&fl.val);
	return ret;
}
