/* json: JSON read through libyaml's parser (the writer is jsonwrite.c).
 *
 * JSON is almost YAML 1.2 flow syntax and libyaml 0.2.5 reads the Docker Engine API's answers, but trying it
 * showed these caveats. prepare() checks the JSON grammar itself and rewrites the text so libyaml reads it
 * exactly; the tree builder then types the scalars.
 *  - libyaml accepts far more than JSON: comments, trailing commas, single quotes, bare words, anchors, tags,
 *    YAML escapes (\x41, \a, \N, escaped line breaks), "---" documents, "[a: 1]" pairs. prepare() refuses them,
 *    so they are errors at the right position instead of surprising trees.
 *  - plain scalars have no type: null, true, 1e5, 0x1F and ~ all arrive as text. A double-quoted scalar is a
 *    JSON string; a plain one must be true, false, null or a number in JSON's grammar.
 *  - numbers stay text, so sizes above 2^53 stay exact (json_int parses the literal, not a double).
 *  - "\/" and "\u00e9" decode fine, but a \u escape of a UTF-16 surrogate is an error in YAML: a pair is
 *    rewritten as one \UXXXXXXXX escape, a lone surrogate as U+FFFD (what Go's decoder produces).
 *  - raw U+0085, U+2028 and U+2029 inside a string are YAML line breaks and get folded into spaces: they are
 *    rewritten as the escapes \N \L \P. libyaml's reader refuses raw U+007F..U+009F, U+FFFE and U+FFFF
 *    ("control characters are not allowed"), which JSON allows in strings: they become \x and \u escapes.
 *  - a tab before a top-level value ("cannot start any token") and a line break between a key and its ':'
 *    ("did not find expected ',' or '}'") break the parse: whitespace between tokens becomes spaces, and is
 *    dropped between a key and its ':'.
 *  - an implicit key may not span more than 1024 characters (YAML's simple-key limit), so long keys get YAML's
 *    explicit key indicator "? ". Long lines otherwise work: Docker answers in one line of hundreds of KB.
 *  - keys containing ':' are fine, because JSON keys are always quoted.
 *  - libyaml's marks count characters of the rewritten text; remap() turns them back into the caller's bytes.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "json.h"
#include "utf8.h"
#include "util.h"

/* Keys longer than this many input bytes get "? ": a rewrite turns one byte into at most four characters, so
 * a key of LONG_KEY bytes stays well under libyaml's 1024-character simple-key limit. */
#define LONG_KEY 200

/* From out offset `out` on, the rewritten text matches the input at offset `in` (until the next entry). */
struct remap {
	size_t out, in;
};

struct prep {
	const char *in;
	size_t n, i;
	struct buf out;
	struct remap *map;
	size_t nmap, capmap;
	size_t at;     /* input offset of the problem */
	char msg[160]; /* the problem */
	/* json_parse_members: the top-level members wanted (NULL-terminated), those read so far (a bit each), and
	 * the length of out once all of them were (0: not yet) */
	const char *const *want;
	unsigned long long seen;
	size_t cut;
};

static __attribute__((format(printf, 3, 4))) int bad(struct prep *p, size_t at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->msg, sizeof(p->msg), fmt, ap);
	va_end(ap);
	p->at = at;
	return -1;
}

static void mark(struct prep *p)
{
	GROW(p->map, p->nmap, p->capmap);
	p->map[p->nmap].out = p->out.len;
	p->map[p->nmap].in = p->i;
	p->nmap++;
}

/* emit: append n bytes standing for `consumed` input bytes; a length change starts a new remap entry. */
static void emit(struct prep *p, const char *s, size_t n, size_t consumed)
{
	buf_add(&p->out, s, n);
	p->i += consumed;
	if (n != consumed)
		mark(p);
}

static size_t remap(const struct prep *p, size_t out)
{
	size_t k = p->nmap - 1;

	/* The last entry with .out <= out (entry 0 has .out == 0); only errors need this, so a scan will do. */
	while (k > 0 && p->map[k].out > out)
		k--;
	out = p->map[k].in + (out - p->map[k].out);
	return out < p->n ? out : p->n;
}

static int hex4(const struct prep *p, size_t at, unsigned *v)
{
	static const char digits[] = "0123456789abcdef";
	const char *d;
	size_t k;

	*v = 0;
	for (k = at; k < at + 4; k++) {
		if (k >= p->n || !p->in[k] || !(d = strchr(digits, p->in[k] | 0x20)))
			return 0;
		*v = *v << 4 | (unsigned)(d - digits);
	}
	return 1;
}

static int prep_escape(struct prep *p)
{
	size_t at = p->i;
	unsigned hi, lo;
	char tmp[16];
	unsigned char e;

	if (at + 1 >= p->n)
		return bad(p, at, "unterminated string");
	e = (unsigned char)p->in[at + 1];
	switch (e) {
	case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
		emit(p, p->in + at, 2, 2);
		return 0;
	case 'u':
		break;
	default:
		if (e >= 0x20 && e < 0x7f)
			return bad(p, at, "invalid escape '\\%c' in a string", e);
		return bad(p, at, "invalid escape (backslash before byte 0x%02x) in a string", e);
	}
	if (!hex4(p, at + 2, &hi))
		return bad(p, at, "invalid \\u escape in a string (it takes 4 hex digits)");
	if (hi < 0xd800 || hi > 0xdfff) {
		emit(p, p->in + at, 6, 6);
		return 0;
	}
	if (hi <= 0xdbff && at + 12 <= p->n && p->in[at + 6] == '\\' && p->in[at + 7] == 'u' && hex4(p, at + 8, &lo) &&
	    lo >= 0xdc00 && lo <= 0xdfff) {
		snprintf(tmp, sizeof(tmp), "\\U%08X", 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00));
		emit(p, tmp, 10, 12);
		return 0;
	}
	emit(p, "\\uFFFD", 6, 6);
	return 0;
}

static int prep_string(struct prep *p, int key)
{
	size_t start = p->i, j, len;
	unsigned long cp;
	char tmp[16];

	if (key) {
		for (j = start + 1; j < p->n && p->in[j] != '"'; j++)
			if (p->in[j] == '\\')
				j++;
		if (j - start > LONG_KEY)
			emit(p, "? ", 2, 0);
	}
	emit(p, "\"", 1, 1);
	for (;;) {
		unsigned char c;

		for (j = p->i; j < p->n; j++) {
			c = (unsigned char)p->in[j];
			if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
				break;
		}
		emit(p, p->in + p->i, j - p->i, j - p->i);
		if (p->i >= p->n)
			return bad(p, start, "unterminated string");
		c = (unsigned char)p->in[p->i];
		if (c == '"') {
			emit(p, "\"", 1, 1);
			return 0;
		}
		if (c == '\\') {
			if (prep_escape(p) < 0)
				return -1;
			continue;
		}
		if (c < 0x20)
			return bad(p, p->i, "raw control character 0x%02x in a string (JSON needs an escape such as \\n)", c);
		if (c == 0x7f) {
			emit(p, "\\x7f", 4, 1);
			continue;
		}
		cp = utf8_decode(p->in + p->i, p->n - p->i, &len);
		if (len == 1) /* c is not ASCII: one byte is an invalid sequence */
			return bad(p, p->i, "invalid UTF-8 in a string");
		if (cp == 0x85)
			emit(p, "\\N", 2, len);
		else if (cp < 0xa0) {
			snprintf(tmp, sizeof(tmp), "\\x%02lx", cp);
			emit(p, tmp, 4, len);
		} else if (cp == 0x2028)
			emit(p, "\\L", 2, len);
		else if (cp == 0x2029)
			emit(p, "\\P", 2, len);
		else if (cp == 0xfffe || cp == 0xffff) {
			snprintf(tmp, sizeof(tmp), "\\u%04lX", cp);
			emit(p, tmp, 6, len);
		} else
			emit(p, p->in + p->i, len, len);
	}
}

static int is_word(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '+' ||
	       c == '-' || c == '_';
}

static int is_digit(const struct prep *p, size_t j)
{
	return j < p->n && p->in[j] >= '0' && p->in[j] <= '9';
}

static int prep_number(struct prep *p)
{
	size_t j = p->i;

	if (p->in[j] == '-')
		j++;
	if (j < p->n && p->in[j] == '0')
		j++;
	else if (is_digit(p, j))
		while (is_digit(p, j))
			j++;
	else
		return bad(p, p->i, "invalid number");
	if (j < p->n && p->in[j] == '.') {
		if (!is_digit(p, ++j))
			return bad(p, p->i, "invalid number (a digit must follow '.')");
		while (is_digit(p, j))
			j++;
	}
	if (j < p->n && (p->in[j] == 'e' || p->in[j] == 'E')) {
		j++;
		if (j < p->n && (p->in[j] == '+' || p->in[j] == '-'))
			j++;
		if (!is_digit(p, j))
			return bad(p, p->i, "invalid number (the exponent has no digits)");
		while (is_digit(p, j))
			j++;
	}
	if (j < p->n && is_word(p->in[j]))
		return bad(p, p->i, "invalid number");
	emit(p, p->in + p->i, j - p->i, j - p->i);
	return 0;
}

static int prep_word(struct prep *p)
{
	static const char *const words[] = {"true", "false", "null"};
	size_t j = p->i, k;

	while (j < p->n && is_word(p->in[j]))
		j++;
	for (k = 0; k < LEN(words); k++) {
		if (j - p->i == strlen(words[k]) && memcmp(p->in + p->i, words[k], j - p->i) == 0) {
			emit(p, p->in + p->i, j - p->i, j - p->i);
			return 0;
		}
	}
	return bad(p, p->i, "unexpected word '%.*s' (strings need double quotes; the literals are true, false, null)",
	           (int)(j - p->i > 40 ? 40 : j - p->i), p->in + p->i);
}

static int unexpected(struct prep *p, const char *expected)
{
	unsigned char c = (unsigned char)p->in[p->i];

	if (c > 0x20 && c < 0x7f)
		return bad(p, p->i, "unexpected '%c' (expected %s)", c, expected);
	return bad(p, p->i, "unexpected byte 0x%02x (expected %s)", c, expected);
}

/* wanted: the bit of the top-level member whose key starts at input offset at in p->want (its bytes as written: an
 * escaped spelling is not recognized, and then the member is read like any other); 0 when it is not wanted. */
static unsigned long long wanted(const struct prep *p, size_t at)
{
	size_t i;

	for (i = 0; p->want && p->want[i] && i < 64; i++) {
		size_t n = strlen(p->want[i]);
		if (at + n + 2 <= p->n && p->in[at + n + 1] == '"' && memcmp(p->in + at + 1, p->want[i], n) == 0)
			return 1ULL << i;
	}
	return 0;
}

/* prepare: check the JSON grammar of the input and write libyaml's version of it to p->out. With p->want, note in
 * p->cut where the top-level object holds every wanted member. */
static int prepare(struct prep *p)
{
	enum { VALUE, FIRST_VALUE, KEY, FIRST_KEY, COLON, COMMA, END } want = VALUE;
	char stack[JSON_MAX_DEPTH];
	size_t depth = 0, nwant = 0;
	unsigned long long member = 0; /* the bit of the top-level member being read */

	while (p->want && p->want[nwant] && nwant < 64)
		nwant++;
	/* RFC 8259 lets a parser ignore a byte order mark. */
	if (p->n >= 3 && memcmp(p->in, "\xef\xbb\xbf", 3) == 0)
		p->i = 3;
	mark(p);
	for (;;) {
		char c;

		while (p->i < p->n && strchr(" \t\n\r", p->in[p->i]) && p->in[p->i])
			emit(p, " ", want != COLON, 1);
		if (p->i >= p->n) {
			if (want == END)
				return 0;
			if (depth == 0)
				return bad(p, p->i, "no JSON value in the input");
			return bad(p, p->i, "unexpected end of input (an %s is not closed)",
			           stack[depth - 1] == '{' ? "object" : "array");
		}
		c = p->in[p->i];
		switch (want) {
		case END:
			return unexpected(p, "the end of the input after the JSON value");
		case COLON:
			if (c != ':')
				return unexpected(p, "':' after an object key");
			emit(p, ":", 1, 1);
			want = VALUE;
			continue;
		case COMMA:
			if (c == ',') {
				emit(p, ",", 1, 1);
				want = stack[depth - 1] == '{' ? KEY : VALUE;
				continue;
			}
			if (c == (stack[depth - 1] == '{' ? '}' : ']'))
				goto close;
			return unexpected(p, stack[depth - 1] == '{' ? "',' or '}'" : "',' or ']'");
		case FIRST_KEY:
			if (c == '}')
				goto close;
			/* fall through */
		case KEY:
			if (c != '"')
				return unexpected(p, "a double-quoted object key");
			if (depth == 1 && nwant && !p->cut)
				member = wanted(p, p->i);
			if (prep_string(p, 1) < 0)
				return -1;
			want = COLON;
			continue;
		case FIRST_VALUE:
			if (c == ']')
				goto close;
			/* fall through */
		case VALUE:
			break;
		}
		if (c == '{' || c == '[') {
			if (depth == JSON_MAX_DEPTH)
				return bad(p, p->i, "nesting deeper than %d levels", JSON_MAX_DEPTH);
			stack[depth++] = c;
			emit(p, &c, 1, 1);
			want = c == '{' ? FIRST_KEY : FIRST_VALUE;
			continue;
		}
		if ((c == '"' ? prep_string(p, 0)
		     : c == '-' || (c >= '0' && c <= '9') ? prep_number(p)
		     : c >= 'a' && c <= 'z' ? prep_word(p)
		     : unexpected(p, "a JSON value")) < 0)
			return -1;
		want = depth ? COMMA : END;
		goto ended;
close:
		emit(p, &c, 1, 1);
		depth--;
		want = depth ? COMMA : END;
ended:
		/* a member of the top-level object ended: was it the last one wanted? */
		if (depth == 1 && member && stack[0] == '{') {
			p->seen |= member;
			member = 0;
			if (p->seen == (nwant < 64 ? (1ULL << nwant) - 1 : ~0ULL))
				p->cut = p->out.len;
		}
	}
}

static struct json *node_new(enum json_type type)
{
	struct json *j = xcalloc(1, sizeof(*j));

	j->type = type;
	return j;
}

static void node_push(struct json *parent, struct json *child)
{
	GROW(parent->items, parent->n, parent->cap);
	parent->items[parent->n++] = child;
}

struct build {
	struct json *root;
	struct json *stack[JSON_MAX_DEPTH + 1];
	char *key[JSON_MAX_DEPTH + 1]; /* a member name waiting for its value, per open object */
	size_t depth;
};

/* scalar: the node for a scalar event; NULL for what prepare() should have refused. */
static struct json *scalar(const yaml_event_t *e)
{
	const char *v = (const char *)e->data.scalar.value;
	size_t n = e->data.scalar.length;
	struct json *j;

	if (e->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE)
		j = node_new(JSON_STRING);
	else if (e->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || n == 0)
		return NULL;
	else if (strcmp(v, "null") == 0)
		return node_new(JSON_NULL);
	else if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0) {
		j = node_new(JSON_BOOL);
		j->boolean = v[0] == 't';
		return j;
	} else if (v[0] == '-' || (v[0] >= '0' && v[0] <= '9'))
		j = node_new(JSON_NUMBER);
	else
		return NULL;
	j->str = xmalloc(n + 1);
	memcpy(j->str, v, n);
	j->str[n] = '\0';
	j->len = n;
	return j;
}

/* on_event: grow the tree by one libyaml event; -1 when the event does not fit JSON (an internal error). */
static int on_event(struct build *b, const yaml_event_t *e)
{
	struct json *top = b->depth ? b->stack[b->depth - 1] : NULL, *j;
	char **key = b->depth ? &b->key[b->depth - 1] : NULL;

	switch (e->type) {
	case YAML_MAPPING_END_EVENT:
	case YAML_SEQUENCE_END_EVENT:
		if (!top || *key)
			return -1;
		b->depth--;
		return 0;
	case YAML_MAPPING_START_EVENT:
	case YAML_SEQUENCE_START_EVENT:
		j = node_new(e->type == YAML_MAPPING_START_EVENT ? JSON_OBJECT : JSON_ARRAY);
		break;
	case YAML_SCALAR_EVENT:
		if (top && top->type == JSON_OBJECT && !*key) {
			if (e->data.scalar.style != YAML_DOUBLE_QUOTED_SCALAR_STYLE)
				return -1;
			*key = xstrndup((const char *)e->data.scalar.value, e->data.scalar.length);
			return 0;
		}
		if (!(j = scalar(e)))
			return -1;
		break;
	case YAML_ALIAS_EVENT:
		return -1;
	default:
		return 0; /* stream and document boundaries */
	}
	if (!top && b->root) {
		json_free(j);
		return -1;
	}
	if (!top)
		b->root = j;
	else if (top->type == JSON_OBJECT) {
		j->key = *key;
		*key = NULL;
	}
	if (top)
		node_push(top, j);
	if (j->type == JSON_OBJECT || j->type == JSON_ARRAY) {
		if (b->depth > JSON_MAX_DEPTH)
			return -1;
		b->key[b->depth] = NULL;
		b->stack[b->depth++] = j;
	}
	return 0;
}

/* report: "line L, column C: msg" for input offset at, appended to err or printed when err is NULL. */
static void report(const struct prep *p, size_t at, const char *msg, struct buf *err)
{
	struct buf tmp = BUF_INIT;
	size_t line = 1, col = 1, k;

	for (k = 0; k < at && k < p->n; k++) {
		if (p->in[k] == '\n')
			line++, col = 1;
		else if (((unsigned char)p->in[k] & 0xc0) != 0x80)
			col++;
	}
	buf_addf(err ? err : &tmp, "line %zu, column %zu: %s", line, col, msg);
	if (!err)
		error("invalid JSON: %s", tmp.data);
	buf_release(&tmp);
}

/* out_offset: the byte offset in p->out of libyaml's mark index, which counts characters. */
static size_t out_offset(const struct prep *p, size_t chars)
{
	size_t k = 0;

	while (k < p->out.len && chars) {
		k++;
		while (k < p->out.len && ((unsigned char)p->out.data[k] & 0xc0) == 0x80)
			k++;
		chars--;
	}
	return k;
}

struct json *json_parse(const char *text, size_t len, struct buf *err)
{
	return json_parse_members(text, len, NULL, err);
}

struct json *json_parse_members(const char *text, size_t len, const char *const *want, struct buf *err)
{
	struct prep p = {0};
	struct build *b;
	struct json *root;
	yaml_parser_t yp;
	yaml_event_t e;
	char msg[200];
	int done = 0, ok = 1;
	size_t k, at;

	p.in = text;
	p.n = len;
	p.want = want;
	if (prepare(&p) < 0) {
		report(&p, p.at, p.msg, err);
		root = NULL;
		goto out;
	}
	/* All of it is valid JSON; libyaml (a few hundred instructions a byte) reads only up to the wanted members. */
	if (p.cut) {
		p.out.len = p.cut;
		buf_addc(&p.out, '}');
	}
	if (!yaml_parser_initialize(&yp))
		fatal("out of memory initializing the YAML parser");
	yaml_parser_set_input_string(&yp, (const unsigned char *)(p.out.data ? p.out.data : ""), p.out.len);
	b = xcalloc(1, sizeof(*b));
	while (!done) {
		if (!yaml_parser_parse(&yp, &e)) {
			if (yp.error == YAML_MEMORY_ERROR)
				fatal("out of memory parsing JSON");
			/* Reader errors carry a byte offset, scanner and parser errors a character mark. */
			at = yp.error == YAML_READER_ERROR ? yp.problem_offset : out_offset(&p, yp.problem_mark.index);
			snprintf(msg, sizeof(msg), "libyaml: %s", yp.problem ? yp.problem : "parse error");
			report(&p, remap(&p, at), msg, err);
			ok = 0;
			break;
		}
		done = e.type == YAML_STREAM_END_EVENT;
		if (on_event(b, &e) < 0) {
			report(&p, remap(&p, out_offset(&p, e.start_mark.index)),
			       "internal error: libyaml read the JSON differently than expected", err);
			ok = 0;
			done = 1;
		}
		yaml_event_delete(&e);
	}
	yaml_parser_delete(&yp);
	for (k = 0; k <= JSON_MAX_DEPTH; k++)
		free(b->key[k]);
	root = b->root;
	free(b);
	if (ok && !root) {
		report(&p, p.n, "no JSON value in the input", err);
		ok = 0;
	}
	if (!ok) {
		json_free(root);
		root = NULL;
	}
out:
	buf_release(&p.out);
	free(p.map);
	return root;
}

void json_free(struct json *j)
{
	size_t k;

	if (!j)
		return;
	for (k = 0; k < j->n; k++)
		json_free(j->items[k]);
	free(j->items);
	free(j->key);
	free(j->str);
	free(j);
}

static struct json *get_n(const struct json *obj, const char *key, size_t n)
{
	size_t k;

	if (!obj || obj->type != JSON_OBJECT)
		return NULL;
	for (k = obj->n; k-- > 0;) {
		const struct json *m = obj->items[k];
		if (strncmp(m->key, key, n) == 0 && m->key[n] == '\0')
			return obj->items[k];
	}
	return NULL;
}

struct json *json_get(const struct json *obj, const char *key)
{
	return get_n(obj, key, strlen(key));
}

struct json *json_path(const struct json *j, const char *path)
{
	const char *s = path;

	while (j) {
		size_t n = strcspn(s, ".");
		if (j->type == JSON_ARRAY) {
			size_t idx = 0, k;
			if (n == 0)
				return NULL;
			for (k = 0; k < n; k++) {
				if (s[k] < '0' || s[k] > '9' || idx > (SIZE_MAX - 9) / 10)
					return NULL;
				idx = idx * 10 + (size_t)(s[k] - '0');
			}
			j = json_at(j, idx);
		} else {
			j = get_n(j, s, n);
		}
		if (!s[n])
			break;
		s += n + 1;
	}
	return (struct json *)j;
}

size_t json_len(const struct json *j)
{
	return j && (j->type == JSON_ARRAY || j->type == JSON_OBJECT) ? j->n : 0;
}

struct json *json_at(const struct json *j, size_t i)
{
	return i < json_len(j) ? j->items[i] : NULL;
}

const char *json_str(const struct json *j, const char *def)
{
	return j && j->type == JSON_STRING ? j->str : def;
}

double json_num(const struct json *j, double def)
{
	return j && j->type == JSON_NUMBER ? strtod(j->str, NULL) : def;
}

int64_t json_int(const struct json *j, int64_t def)
{
	char *end;
	long long v;
	double d;

	if (!j || j->type != JSON_NUMBER)
		return def;
	if (!strpbrk(j->str, ".eE")) {
		errno = 0;
		v = strtoll(j->str, &end, 10);
		return errno || *end ? def : (int64_t)v;
	}
	/* Exponent or fraction: through double, truncated, when the value fits. */
	d = strtod(j->str, NULL);
	if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
		return def;
	return (int64_t)trunc(d);
}

int json_bool(const struct json *j, int def)
{
	return j && j->type == JSON_BOOL ? j->boolean : def;
}

int json_is_null(const struct json *j)
{
	return !j || j->type == JSON_NULL;
}
