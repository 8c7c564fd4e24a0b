/* jsonwrite: JSON written into a struct buf, a token at a time or a whole tree. */
#include <stdint.h>
#include <string.h>

#include "json.h"
#include "utf8.h"
#include "util.h"

/* sep: a ',' when the text so far ends with a complete value ("...", }, ], a digit, true/false/null). */
static void sep(struct buf *b)
{
	char c;

	if (!b->len)
		return;
	c = b->data[b->len - 1];
	if (c == '"' || c == '}' || c == ']' || (c >= '0' && c <= '9') || c == 'e' || c == 'l')
		buf_addc(b, ',');
}

void json_open(struct buf *b, char bracket)
{
	sep(b);
	buf_addc(b, bracket);
}

void json_close(struct buf *b, char bracket)
{
	buf_addc(b, bracket);
}

void json_add_key(struct buf *b, const char *key)
{
	json_add_str(b, key);
	buf_addc(b, ':');
}

void json_add_str(struct buf *b, const char *s)
{
	json_add_strn(b, s, strlen(s));
}

void json_add_strn(struct buf *b, const char *s, size_t n)
{
	size_t i = 0, len;

	sep(b);
	buf_addc(b, '"');
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"': buf_adds(b, "\\\""); break;
		case '\\': buf_adds(b, "\\\\"); break;
		case '\n': buf_adds(b, "\\n"); break;
		case '\t': buf_adds(b, "\\t"); break;
		case '\r': buf_adds(b, "\\r"); break;
		case '\b': buf_adds(b, "\\b"); break;
		case '\f': buf_adds(b, "\\f"); break;
		default:
			if (c < 0x20) {
				buf_addf(b, "\\u%04x", c);
			} else if (c < 0x80) {
				buf_addc(b, (char)c);
			} else {
				utf8_decode(s + i, n - i, &len);
				if (len > 1) { /* a valid sequence, as it is */
					buf_add(b, s + i, len);
					i += len;
					continue;
				}
				buf_adds(b, "\\ufffd");
			}
		}
		i++;
	}
	buf_addc(b, '"');
}

void json_add_int(struct buf *b, int64_t v)
{
	sep(b);
	buf_addf(b, "%lld", (long long)v);
}

void json_add_bool(struct buf *b, int v)
{
	sep(b);
	buf_adds(b, v ? "true" : "false");
}

void json_add_null(struct buf *b)
{
	sep(b);
	buf_adds(b, "null");
}

void json_write(struct buf *b, const struct json *j)
{
	size_t k;

	switch (j ? j->type : JSON_NULL) {
	case JSON_NULL:
		json_add_null(b);
		break;
	case JSON_BOOL:
		json_add_bool(b, j->boolean);
		break;
	case JSON_NUMBER:
		sep(b);
		buf_add(b, j->str, j->len);
		break;
	case JSON_STRING:
		json_add_strn(b, j->str, j->len);
		break;
	case JSON_ARRAY:
	case JSON_OBJECT:
		json_open(b, j->type == JSON_ARRAY ? '[' : '{');
		for (k = 0; k < j->n; k++) {
			if (j->type == JSON_OBJECT)
				json_add_key(b, j->items[k]->key);
			json_write(b, j->items[k]);
		}
		json_close(b, j->type == JSON_ARRAY ? ']' : '}');
		break;
	}
}
