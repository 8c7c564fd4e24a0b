/* json: read JSON text into a small owned tree (through libyaml's parser), and write JSON into a struct buf.
 *
 * Ownership: json_parse returns a tree the caller frees with json_free; every other json_* function borrows
 * its arguments and never frees them. Pointers into a tree (nodes, strings) live until json_free of its root.
 * Accessors accept NULL and nodes of the wrong type and then return their default, so lookups chain:
 * json_str(json_path(inspect, "Config.User"), "root").
 *
 * Reading is strict RFC 8259 JSON even where YAML would accept more; see json.c for what libyaml gets wrong
 * on its own and how the text is prepared for it. */
#ifndef SB_JSON_H
#define SB_JSON_H

#include <stddef.h>
#include <stdint.h>

struct buf;

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

/* Nesting deeper than this is refused, so neither parsing nor json_free can exhaust the stack. */
#define JSON_MAX_DEPTH 512

struct json {
	enum json_type type;
	int boolean;         /* JSON_BOOL: 0 or 1 */
	char *key;           /* member name when the parent is an object, else NULL (a "\u0000" in it ends it) */
	char *str;           /* JSON_STRING: the decoded value; JSON_NUMBER: the literal as written; NUL-terminated */
	size_t len;          /* bytes in str (a string may contain "\u0000") */
	struct json **items; /* JSON_ARRAY elements or JSON_OBJECT members, in document order */
	size_t n, cap;       /* items used and allocated */
};

/* json_parse: parse len bytes of text; NULL on malformed input, with "line L, column C: problem" appended to err
 * (or printed with error() when err is NULL). */
struct json *json_parse(const char *text, size_t len, struct buf *err);
/* json_parse_members: json_parse for a top-level object of which only the members named in want (NULL-terminated)
 * are needed: libyaml reads the text only up to the end of the first place where all of them have been, so the tree
 * may lack the members after them, a repeated one included (the whole text is still checked to be JSON). Every
 * member is read when want is NULL or one of them is missing. An engine answer puts its small fields first: an
 * image's "Id" is the first of some 1.5 KB. */
struct json *json_parse_members(const char *text, size_t len, const char *const *want, struct buf *err);
/* json_free: free a tree returned by json_parse (NULL is fine). */
void json_free(struct json *j);

/* json_get: the member key of an object (the last one if the key repeats, as Go's decoder does), or NULL. */
struct json *json_get(const struct json *obj, const char *key);
/* json_path: follow dot-separated member names and array indexes ("RepoTags.0"); keys holding dots need json_get. */
struct json *json_path(const struct json *j, const char *path);
/* json_len: elements of an array or members of an object; 0 for anything else. */
size_t json_len(const struct json *j);
/* json_at: element (or member) i of an array (or object), or NULL when out of range. */
struct json *json_at(const struct json *j, size_t i);

/* json_str: the value of a string node, else def. */
const char *json_str(const struct json *j, const char *def);
/* json_num: a number node as a double, else def. */
double json_num(const struct json *j, double def);
/* json_int: a number node as an exact int64 (integer literals are not rounded through double), else def. */
int64_t json_int(const struct json *j, int64_t def);
/* json_bool: a true/false node as 1/0, else def. */
int json_bool(const struct json *j, int def);
/* json_is_null: 1 for a JSON null node and for a missing node (NULL). */
int json_is_null(const struct json *j);

/* Writing: each call appends one token to b and puts the ',' before it when the previous token ended a value,
 * so a body is written as json_open(b,'{'); json_add_key(b,"Image"); json_add_str(b,img); json_close(b,'}'). */
/* json_open: start an object ('{') or array ('['). */
void json_open(struct buf *b, char bracket);
/* json_close: end an object ('}') or array (']'). */
void json_close(struct buf *b, char bracket);
/* json_add_key: an object member name followed by ':'. */
void json_add_key(struct buf *b, const char *key);
/* json_add_str: a quoted string; control characters and invalid UTF-8 (as U+FFFD) are escaped. */
void json_add_str(struct buf *b, const char *s);
/* json_add_strn: like json_add_str for n bytes that may contain NUL. */
void json_add_strn(struct buf *b, const char *s, size_t n);
/* json_add_int: an integer. */
void json_add_int(struct buf *b, int64_t v);
/* json_add_bool: true or false. */
void json_add_bool(struct buf *b, int v);
/* json_add_null: null. */
void json_add_null(struct buf *b);
/* json_write: a whole tree, compactly (numbers keep their literal text). */
void json_write(struct buf *b, const struct json *j);

#endif
