/* sindriconf: a sindri.yaml read through libyaml's document API, then walked along the few paths we need. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "hash.h"
#include "sindriconf.h"
#include "util.h"

/* "<<" may name a mapping that has its own "<<", and an alias to an enclosing mapping makes that a cycle. */
#define MERGE_DEPTH 32

/* What a node is once plain scalars are resolved. */
enum kind { K_NULL, K_BOOL, K_INT, K_FLOAT, K_STR, K_LIST, K_MAP };

struct ctx {
	const char *path;
	const char *text;
	size_t len;
	yaml_document_t doc;
	struct buf *err;
	unsigned *searched; /* by node index: the lookup (its number) that searched that mapping already */
	unsigned lookups;
};

static struct sindriconf_pos pos_of(yaml_mark_t m)
{
	struct sindriconf_pos p = {m.line + 1, m.column + 1};

	return p;
}

/* fail_at: append "path:line:col: message" to the error buffer and return -1. */
__attribute__((format(printf, 3, 4))) static int fail_at(struct ctx *c, struct sindriconf_pos at, const char *fmt,
                                                         ...)
{
	va_list ap;
	int n;

	buf_addf(c->err, "%s:%zu:%zu: ", c->path, at.line, at.col);
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatal("sindriconf: bad format '%s'", fmt);
	buf_grow(c->err, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(c->err->data + c->err->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	c->err->len += (size_t)n;
	return -1;
}

/* fail: fail_at the node (or place) at libyaml mark m. */
#define fail(c, m, ...) fail_at((c), pos_of(m), __VA_ARGS__)

static yaml_node_t *node(struct ctx *c, int idx)
{
	return yaml_document_get_node(&c->doc, idx);
}

static const char *sval(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static int is_one_of(const char *s, size_t len, const char *const *words)
{
	for (; *words; words++)
		if (strlen(*words) == len && memcmp(s, *words, len) == 0)
			return 1;
	return 0;
}

/* bool_value: 1 or 0 for a YAML 1.1 boolean word, -1 for anything else. */
static int bool_value(const char *s, size_t len)
{
	static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", NULL};
	static const char *const no[] = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", NULL};

	if (is_one_of(s, len, yes))
		return 1;
	if (is_one_of(s, len, no))
		return 0;
	return -1;
}

static size_t span(const char *s, size_t len, const char *set)
{
	size_t i = 0;

	while (i < len && strchr(set, s[i]))
		i++;
	return i;
}

#define DIGITS "0123456789"

/* is_int: the YAML 1.2 core schema's integers: [-+]?[0-9]+, 0o[0-7]+, 0x[0-9a-fA-F]+. */
static int is_int(const char *s, size_t len)
{
	if (len > 2 && s[0] == '0' && s[1] == 'o')
		return span(s + 2, len - 2, "01234567") == len - 2;
	if (len > 2 && s[0] == '0' && s[1] == 'x')
		return span(s + 2, len - 2, DIGITS "abcdefABCDEF") == len - 2;
	if (len && (*s == '-' || *s == '+'))
		s++, len--;
	return len && span(s, len, DIGITS) == len;
}

/* is_float: the core schema's floats: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?, [-+]?.inf, .nan. */
static int is_float(const char *s, size_t len)
{
	static const char *const special[] = {".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN", NULL};
	size_t i = 0, whole, frac = 0, exp;

	if (is_one_of(s, len, special))
		return 1;
	if (len && (*s == '-' || *s == '+'))
		i++;
	if (len - i == 4 && is_one_of(s + i, 4, special) && s[i + 1] != 'n' && s[i + 1] != 'N')
		return 1;
	whole = span(s + i, len - i, DIGITS);
	i += whole;
	if (i < len && s[i] == '.') {
		i++;
		frac = span(s + i, len - i, DIGITS);
		i += frac;
	}
	if (!whole && !frac)
		return 0;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '-' || s[i] == '+'))
			i++;
		exp = span(s + i, len - i, DIGITS);
		if (!exp)
			return 0;
		i += exp;
	}
	return i == len;
}

/* at_mark: the text at a libyaml mark (whose index counts characters, not bytes), or NULL when it cannot be found. */
static const char *at_mark(const struct ctx *c, yaml_mark_t m)
{
	const char *p = c->text, *end = c->text + c->len;
	size_t line = 0, col = 0;

	if (c->len >= 2 && (!p[0] || !p[1]))
		return NULL; /* UTF-16: the bytes are not the characters libyaml counted */
	if (c->len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	for (; p < end && line < m.line; p++)
		if (*p == '\n' || (*p == '\r' && (p + 1 == end || p[1] != '\n')))
			line++;
	for (; p < end && col < m.column; col++)
		for (p++; p < end && ((unsigned char)*p & 0xC0) == 0x80; p++)
			;
	return p < end ? p : NULL;
}

/* explicit_tag: 1 when the node's properties (which its mark points at) include a tag, as in `&a !!str 3`. libyaml
 * gives an untagged scalar and one tagged !!str (or "!") the same tag, so only the text tells them apart. */
static int explicit_tag(const struct ctx *c, const yaml_node_t *n)
{
	const char *p = at_mark(c, n->start_mark), *end = c->text + c->len;

	if (p && *p == '&') {
		while (p < end && !strchr(" \t\r\n", *p))
			p++;
		while (p < end && strchr(" \t\r\n", *p))
			p++;
	}
	return p && p < end && *p == '!';
}

/* kind: what n is; plain scalars are resolved (see sindriconf.h), quoted ones are strings, explicit tags win. */
static enum kind kind(const struct ctx *c, const yaml_node_t *n)
{
	static const char *const nulls[] = {"~", "null", "Null", "NULL", NULL};
	const char *tag = (const char *)n->tag, *s;
	size_t len;

	if (n->type == YAML_MAPPING_NODE)
		return K_MAP;
	if (n->type == YAML_SEQUENCE_NODE)
		return K_LIST;
	if (tag && strcmp(tag, YAML_STR_TAG) != 0) {
		if (strcmp(tag, YAML_NULL_TAG) == 0)
			return K_NULL;
		if (strcmp(tag, YAML_BOOL_TAG) == 0)
			return K_BOOL;
		if (strcmp(tag, YAML_INT_TAG) == 0)
			return K_INT;
		if (strcmp(tag, YAML_FLOAT_TAG) == 0)
			return K_FLOAT;
		return K_STR;
	}
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || explicit_tag(c, n))
		return K_STR;
	s = sval(n);
	len = n->data.scalar.length;
	if (!len || is_one_of(s, len, nulls))
		return K_NULL;
	if (bool_value(s, len) >= 0)
		return K_BOOL;
	if (is_int(s, len))
		return K_INT;
	if (is_float(s, len))
		return K_FLOAT;
	return K_STR;
}

/* shown: len bytes of s escaped for a one-line message (\n, \t, \xNN) and cut on a character boundary, with "...",
 * to fit out (size >= 4). */
static const char *shown(const char *s, size_t len, char *out, size_t size)
{
	size_t o = 0, i = 0, n, plen;
	char piece[8];

	while (i < len) {
		unsigned char ch = (unsigned char)s[i];

		n = 1;
		if (ch == '\n')
			strcpy(piece, "\\n");
		else if (ch == '\t')
			strcpy(piece, "\\t");
		else if (ch < 0x20 || ch == 0x7f)
			snprintf(piece, sizeof(piece), "\\x%02x", ch);
		else {
			while (i + n < len && n < 4 && ((unsigned char)s[i + n] & 0xC0) == 0x80)
				n++;
			memcpy(piece, s + i, n);
			piece[n] = '\0';
		}
		plen = strlen(piece);
		if (o + plen + 4 > size) {
			memcpy(out + o, "...", 4);
			return out;
		}
		memcpy(out + o, piece, plen);
		o += plen;
		i += n;
	}
	out[o] = '\0';
	return out;
}

/* describe: "a mapping", "the number '3'", "the quoted string \"true\""... for messages, into out. */
static const char *describe(const struct ctx *c, const yaml_node_t *n, char *out, size_t size)
{
	const char *what, *quote = "'";
	char value[48];

	switch (kind(c, n)) {
	case K_MAP:
		return "a mapping";
	case K_LIST:
		return "a list";
	case K_NULL:
		return "an empty value";
	case K_BOOL:
		what = "the boolean";
		break;
	case K_INT:
	case K_FLOAT:
		what = "the number";
		break;
	default:
		what = "the string";
		if (n->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE)
			what = "the quoted string", quote = "\"";
		else if (n->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE)
			what = "the quoted string";
		break;
	}
	snprintf(out, size, "%s %s%s%s", what, quote, shown(sval(n), n->data.scalar.length, value, sizeof(value)), quote);
	return out;
}

static int scalar_is(const yaml_node_t *k, const char *s)
{
	return k->type == YAML_SCALAR_NODE && k->data.scalar.length == strlen(s) && memcmp(sval(k), s, strlen(s)) == 0;
}

static int is_merge_key(const yaml_node_t *k)
{
	if (k->type != YAML_SCALAR_NODE)
		return 0;
	if (k->tag && strcmp((const char *)k->tag, YAML_STR_TAG) != 0)
		return strcmp((const char *)k->tag, "tag:yaml.org,2002:merge") == 0;
	return k->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && scalar_is(k, "<<");
}

/* find: the value of key in mapping m, or NULL. Keys written in m win over those merged in with "<<" (in order);
 * a key written twice in m is an error. qual names the key in messages. Each mapping is searched once a lookup: one
 * merged in again (through another alias, or into itself) has not got the key either, and searching it again would
 * make a few lines of aliases cost 2^depth. */
static int find(struct ctx *c, yaml_node_t *m, const char *key, const char *qual, yaml_node_t **out, int depth)
{
	yaml_node_pair_t *p;
	yaml_node_t *k, *first = NULL, *v;
	yaml_node_item_t *it;
	size_t idx = (size_t)(m - c->doc.nodes.start);

	*out = NULL;
	if (depth == 0) {
		if (!c->searched)
			c->searched = xcalloc((size_t)(c->doc.nodes.top - c->doc.nodes.start), sizeof(*c->searched));
		c->lookups++;
	}
	if (c->searched[idx] == c->lookups)
		return 0;
	if (depth < MERGE_DEPTH) /* searched whole, its merges too */
		c->searched[idx] = c->lookups;
	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		k = node(c, p->key);
		if (!k || is_merge_key(k) || !scalar_is(k, key))
			continue;
		if (first)
			return fail(c, k->start_mark, "duplicate key '%s' (first at %zu:%zu); remove one of them", qual,
			            first->start_mark.line + 1, first->start_mark.column + 1);
		first = k;
		*out = node(c, p->value);
	}
	if (first || depth >= MERGE_DEPTH)
		return 0;
	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top && !*out; p++) {
		k = node(c, p->key);
		if (!k || !is_merge_key(k) || !(v = node(c, p->value)))
			continue;
		if (v->type == YAML_MAPPING_NODE) {
			if (find(c, v, key, qual, out, depth + 1) < 0)
				return -1;
			continue;
		}
		if (v->type != YAML_SEQUENCE_NODE)
			return fail(c, v->start_mark, "a merge key '<<' needs a mapping or a list of mappings; use '<<: *anchor'");
		for (it = v->data.sequence.items.start; it < v->data.sequence.items.top && !*out; it++) {
			yaml_node_t *src = node(c, *it);

			if (!src || src->type != YAML_MAPPING_NODE)
				return fail(c, src ? src->start_mark : v->start_mark,
				            "a merge key '<<' needs a mapping or a list of mappings; use '<<: [*a, *b]'");
			if (find(c, src, key, qual, out, depth + 1) < 0)
				return -1;
		}
	}
	return 0;
}

/* lookup: find, with an empty value counting as absent. */
static int lookup(struct ctx *c, yaml_node_t *m, const char *key, const char *qual, yaml_node_t **out)
{
	if (find(c, m, key, qual, out, 0) < 0)
		return -1;
	if (*out && kind(c, *out) == K_NULL)
		*out = NULL;
	return 0;
}

/* get_map: the mapping under key, or NULL when absent. */
static int get_map(struct ctx *c, yaml_node_t *m, const char *key, const char *qual, yaml_node_t **out)
{
	char what[80];

	if (lookup(c, m, key, qual, out) < 0)
		return -1;
	if (*out && (*out)->type != YAML_MAPPING_NODE)
		return fail(c, (*out)->start_mark, "'%s' must be a mapping, not %s; indent its keys under '%s:'", qual,
		            describe(c, *out, what, sizeof(what)), key);
	return 0;
}

/* get_str: the string under key (malloc'd into *out, position into *at), or nothing when absent. */
static int get_str(struct ctx *c, yaml_node_t *m, const char *key, const char *qual, char **out,
                   struct sindriconf_pos *at)
{
	yaml_node_t *v;
	char what[80];

	if (lookup(c, m, key, qual, &v) < 0)
		return -1;
	if (!v)
		return 0;
	if (kind(c, v) != K_STR)
		return fail(c, v->start_mark, "'%s' must be a string, not %s; %s", qual, describe(c, v, what, sizeof(what)),
		            v->type == YAML_SCALAR_NODE ? "put the value in quotes" : "give a single value");
	if (!v->data.scalar.length)
		return fail(c, v->start_mark, "'%s' is an empty string; give a value or remove the key", qual);
	if (memchr(sval(v), '\0', v->data.scalar.length))
		return fail(c, v->start_mark, "'%s' contains a NUL character; remove it", qual);
	*out = xstrndup(sval(v), v->data.scalar.length);
	*at = pos_of(v->start_mark);
	return 0;
}

/* get_bool: the boolean under key into *out (left alone when absent). */
static int get_bool(struct ctx *c, yaml_node_t *m, const char *key, const char *qual, int *out,
                    struct sindriconf_pos *at)
{
	yaml_node_t *v;
	char what[80];
	int b = -1;

	if (lookup(c, m, key, qual, &v) < 0)
		return -1;
	if (!v)
		return 0;
	if (v->type == YAML_SCALAR_NODE)
		b = bool_value(sval(v), v->data.scalar.length);
	if (kind(c, v) == K_BOOL && b >= 0) {
		*out = b;
		*at = pos_of(v->start_mark);
		return 0;
	}
	return fail(c, v->start_mark, "'%s' must be a boolean, not %s; write true or false%s", qual,
	            describe(c, v, what, sizeof(what)),
	            b >= 0 && v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ? " without quotes" : "");
}

static void add_extension(struct sindriconf *conf, char *name, struct sindriconf_pos at)
{
	size_t cap = conf->capextensions; /* extension_at runs alongside extensions, with the same capacity */

	GROW(conf->extensions, conf->nextensions, conf->capextensions);
	GROW(conf->extension_at, conf->nextensions, cap);
	conf->extensions[conf->nextensions] = name;
	conf->extension_at[conf->nextensions++] = at;
}

/* get_names: append the extension names of the list node to conf. */
static int get_names(struct ctx *c, yaml_node_t *list, const char *qual, struct sindriconf *conf)
{
	yaml_node_item_t *it;
	yaml_node_t *v;
	char what[80];
	size_t i = 0;

	for (it = list->data.sequence.items.start; it < list->data.sequence.items.top; it++, i++) {
		v = node(c, *it);
		if (kind(c, v) != K_STR)
			return fail(c, v->start_mark, "'%s' item %zu must be an extension name, not %s; write one name per item",
			            qual, i + 1, describe(c, v, what, sizeof(what)));
		if (!v->data.scalar.length || memchr(sval(v), '\0', v->data.scalar.length))
			return fail(c, v->start_mark, "'%s' item %zu is not a usable extension name; write a name such as 'github'",
			            qual, i + 1);
		add_extension(conf, xstrndup(sval(v), v->data.scalar.length), pos_of(v->start_mark));
	}
	return 0;
}

/* check_keys: the keys written in mapping m (prefix names it, "" at the top) against the keys Sindri reads there. A
 * key one edit from one of them (two from a key of six letters or more) is a typo that would be ignored: an error
 * naming the key meant. Any other key is left alone: the Sindri CLI, a newer one, or an anchor may use it. */
static int check_keys(struct ctx *c, yaml_node_t *m, const char *prefix, const char *const *known)
{
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(c, p->key);
		if (!k || k->type != YAML_SCALAR_NODE || is_merge_key(k) || is_one_of(sval(k), k->data.scalar.length, known))
			continue;
		const char *near = NULL;
		for (const char *const *w = known; *w && !near && k->data.scalar.length > 2; w++)
			if (edit_distance(sval(k), *w, 2) <= (strlen(*w) >= 6 ? 2u : 1u))
				near = *w;
		char name[80];
		if (near)
			return fail(c, k->start_mark, "unknown key '%s%s'; did you mean '%s'?", prefix,
			            shown(sval(k), k->data.scalar.length, name, sizeof(name)), near);
	}
	return 0;
}

/* read_extensions: the guide's list of names, or the CLI's {profile, active, additional}. */
static int read_extensions(struct ctx *c, yaml_node_t *root, struct sindriconf *conf)
{
	static const char *const lists[][2] = {{"active", "extensions.active"}, {"additional", "extensions.additional"}};
	yaml_node_t *ext, *v;
	char what[80];

	if (lookup(c, root, "extensions", "extensions", &ext) < 0)
		return -1;
	if (!ext)
		return 0;
	conf->extensions_at = pos_of(ext->start_mark);
	if (ext->type == YAML_SEQUENCE_NODE)
		return get_names(c, ext, "extensions", conf);
	if (ext->type != YAML_MAPPING_NODE)
		return fail(c, ext->start_mark,
		            "'extensions' must be a list of extension names or a mapping with 'active' and 'additional', "
		            "not %s; write 'extensions: [name, ...]'",
		            describe(c, ext, what, sizeof(what)));
	static const char *const keys[] = {"profile", "active", "additional", "autoInstall", NULL};
	if (check_keys(c, ext, "extensions.", keys) < 0 ||
	    get_str(c, ext, "profile", "extensions.profile", &conf->profile, &conf->profile_at) < 0)
		return -1;
	for (size_t i = 0; i < LEN(lists); i++) {
		if (lookup(c, ext, lists[i][0], lists[i][1], &v) < 0)
			return -1;
		if (!v)
			continue;
		if (v->type != YAML_SEQUENCE_NODE)
			return fail(c, v->start_mark, "'%s' must be a list of extension names, not %s; write '%s: [name, ...]'",
			            lists[i][1], describe(c, v, what, sizeof(what)), lists[i][0]);
		if (get_names(c, v, lists[i][1], conf) < 0)
			return -1;
	}
	return 0;
}

/* read_name: workspace.name (the guide) or name (the CLI); both may be given when they agree. */
static int read_name(struct ctx *c, yaml_node_t *root, struct sindriconf *conf)
{
	yaml_node_t *ws;
	char *top = NULL, a[80], b[80];
	struct sindriconf_pos top_at = {0, 0};

	static const char *const keys[] = {"name", NULL};
	if (get_map(c, root, "workspace", "workspace", &ws) < 0)
		return -1;
	if (ws && (check_keys(c, ws, "workspace.", keys) < 0 ||
	           get_str(c, ws, "name", "workspace.name", &conf->name, &conf->name_at) < 0))
		return -1;
	if (get_str(c, root, "name", "name", &top, &top_at) < 0)
		return -1;
	if (top && conf->name && strcmp(top, conf->name) != 0) {
		fail_at(c, top_at, "'name' is '%s' but 'workspace.name' (at %zu:%zu) is '%s'; keep one of them",
		        shown(top, strlen(top), a, sizeof(a)), conf->name_at.line, conf->name_at.col,
		        shown(conf->name, strlen(conf->name), b, sizeof(b)));
		free(top);
		return -1;
	}
	if (top && !conf->name) {
		conf->name = top;
		conf->name_at = top_at;
	} else {
		free(top);
	}
	if (!conf->name)
		return fail(c, root->start_mark, "no workspace name: set workspace.name (or name)");
	if (!sindriconf_valid_name(conf->name))
		return fail_at(c, conf->name_at,
		               "invalid workspace name '%s': it names the container, so it must match "
		               "[a-zA-Z0-9][a-zA-Z0-9_.-]*; use letters, digits, '_', '.' and '-'",
		               shown(conf->name, strlen(conf->name), a, sizeof(a)));
	return 0;
}

static int read_deployment(struct ctx *c, yaml_node_t *root, struct sindriconf *conf)
{
	static const char *const keys[] = {"provider", "image", "image_config", "resources", "volumes", "buildFromSource",
	                                   NULL};
	static const char *const bfs_keys[] = {"enabled", "gitRef", NULL};
	yaml_node_t *dep, *bfs;

	if (get_map(c, root, "deployment", "deployment", &dep) < 0)
		return -1;
	if (dep) {
		if (check_keys(c, dep, "deployment.", keys) < 0 ||
		    get_str(c, dep, "provider", "deployment.provider", &conf->provider, &conf->provider_at) < 0 ||
		    get_str(c, dep, "image", "deployment.image", &conf->image, &conf->image_at) < 0 ||
		    get_map(c, dep, "buildFromSource", "deployment.buildFromSource", &bfs) < 0)
			return -1;
		if (bfs && (check_keys(c, bfs, "deployment.buildFromSource.", bfs_keys) < 0 ||
		            get_bool(c, bfs, "enabled", "deployment.buildFromSource.enabled", &conf->from_source,
		                     &conf->from_source_at) < 0 ||
		            get_str(c, bfs, "gitRef", "deployment.buildFromSource.gitRef", &conf->git_ref,
		                    &conf->git_ref_at) < 0))
			return -1;
	}
	if (!conf->provider)
		conf->provider = xstrdup("docker");
	return 0;
}

static int read_conf(struct ctx *c, struct sindriconf *conf)
{
	yaml_node_t *root = yaml_document_get_root_node(&c->doc);
	struct sindriconf_pos start = {1, 1};
	char what[80];

	if (!root || kind(c, root) == K_NULL)
		return fail_at(c, start, "empty configuration; set workspace.name (or name) and deployment");
	if (root->type != YAML_MAPPING_NODE)
		return fail(c, root->start_mark,
		            "the top level must be a mapping, not %s; start with keys such as 'workspace:' and 'deployment:'",
		            describe(c, root, what, sizeof(what)));
	/* the guide's form and the CLI's: a misspelled 'deployment' would deploy the defaults */
	static const char *const keys[] = {"version",    "name",    "workspace", "deployment",
	                                   "extensions", "secrets", "providers", NULL};
	if (check_keys(c, root, "", keys) < 0 || read_name(c, root, conf) < 0 || read_deployment(c, root, conf) < 0 ||
	    read_extensions(c, root, conf) < 0)
		return -1;
	return 0;
}

/* offset_pos: line and column (in characters) of a byte offset, for reader errors, which carry no mark. */
static struct sindriconf_pos offset_pos(const struct ctx *c, size_t off)
{
	struct sindriconf_pos p = {1, 1};

	for (size_t i = 0; i < off && i < c->len; i++) {
		if (c->text[i] == '\n')
			p.line++, p.col = 1;
		else if (((unsigned char)c->text[i] & 0xC0) != 0x80)
			p.col++;
	}
	return p;
}

static int yaml_fail(struct ctx *c, const yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "unknown error", *hint = "fix the syntax here", *here;
	struct sindriconf_pos at = pos_of(p->problem_mark);

	if (p->error == YAML_MEMORY_ERROR)
		fatal("out of memory parsing '%s'", c->path);
	if (p->error == YAML_READER_ERROR) {
		at = offset_pos(c, p->problem_offset);
		if (p->problem_value >= 0)
			return fail_at(c, at, "invalid YAML: %s (byte 0x%02x); save the file as UTF-8 text", problem,
			               (unsigned)p->problem_value);
		return fail_at(c, at, "invalid YAML: %s; save the file as UTF-8 text", problem);
	}
	here = at_mark(c, p->problem_mark);
	if (here && *here == '\t')
		hint = "indent with spaces: YAML does not allow tabs there";
	if (p->context)
		return fail_at(c, at, "invalid YAML: %s (%s at %zu:%zu); %s", problem, p->context,
		               p->context_mark.line + 1, p->context_mark.column + 1, hint);
	return fail_at(c, at, "invalid YAML: %s; %s", problem, hint);
}

/* load_docs: the first document into c->doc (which the caller deletes on success); a second one is an error. */
static int load_docs(struct ctx *c)
{
	yaml_parser_t p;
	yaml_document_t next;
	yaml_node_t *root;
	int rc = 0;

	if (!yaml_parser_initialize(&p))
		fatal("out of memory parsing '%s'", c->path);
	yaml_parser_set_input_string(&p, (const unsigned char *)c->text, c->len);
	if (!yaml_parser_load(&p, &c->doc)) {
		/* yaml_parser_load deleted the document already */
		rc = yaml_fail(c, &p);
		yaml_parser_delete(&p);
		return rc;
	}
	if (!yaml_parser_load(&p, &next)) {
		rc = yaml_fail(c, &p);
	} else {
		root = yaml_document_get_root_node(&next);
		if (root && (root->type != YAML_SCALAR_NODE || kind(c, root) != K_NULL))
			rc = fail(c, next.start_mark, "a second YAML document starts here; keep one document per file");
		yaml_document_delete(&next);
	}
	yaml_parser_delete(&p);
	if (rc < 0)
		yaml_document_delete(&c->doc);
	return rc;
}

struct sindriconf *sindriconf_parse(const char *path, const char *text, size_t len, struct buf *err)
{
	struct ctx c;
	struct sindriconf *conf;
	int rc;

	memset(&c, 0, sizeof(c));
	c.path = path;
	c.text = text ? text : "";
	c.len = len;
	c.err = err;
	if (load_docs(&c) < 0)
		return NULL;
	conf = xcalloc(1, sizeof(*conf));
	conf->path = xstrdup(path);
	conf->hash = hash_bytes(c.text, len);
	rc = read_conf(&c, conf);
	free(c.searched);
	yaml_document_delete(&c.doc);
	if (rc < 0) {
		sindriconf_free(conf);
		return NULL;
	}
	return conf;
}

struct sindriconf *sindriconf_load(const char *path, struct buf *err)
{
	struct buf text = BUF_INIT;
	struct sindriconf *conf;

	if (read_file(path, &text) < 0) {
		if (errno == ENOENT)
			buf_addf(err, "no sindri.yaml '%s'; CONFIG= and --config name it from the project root: check the path",
			         path);
		else if (errno == EISDIR)
			buf_addf(err, "'%s' is a directory, not a sindri.yaml: CONFIG= and --config name the file", path);
		else
			buf_addf(err, "cannot read the sindri.yaml '%s': %s", path, strerror(errno));
		buf_release(&text);
		return NULL;
	}
	conf = sindriconf_parse(path, text.data, text.len, err);
	buf_release(&text);
	return conf;
}

void sindriconf_free(struct sindriconf *conf)
{
	if (!conf)
		return;
	for (size_t i = 0; i < conf->nextensions; i++)
		free(conf->extensions[i]);
	free(conf->extensions);
	free(conf->extension_at);
	free(conf->path);
	free(conf->name);
	free(conf->provider);
	free(conf->image);
	free(conf->git_ref);
	free(conf->profile);
	free(conf);
}

int sindriconf_valid_name(const char *s)
{
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

	if (!*s || !strchr(alnum, *s))
		return 0;
	for (s++; *s; s++)
		if (!strchr(alnum, *s) && !strchr("_.-", *s))
			return 0;
	return 1;
}
