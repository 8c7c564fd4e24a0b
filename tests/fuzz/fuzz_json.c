/*
 * fuzz_json: libFuzzer harness for the JSON reader (common/json.c). Whatever the bytes, json_parse returns a
 * tree or NULL with a message, without a sanitizer report; a tree it returns is written back, and what it wrote
 * must parse again and write back the same (the writer's output is the reader's input for Engine API bodies).
 * The first byte, when it is below 4, also asks json_parse_members for a few of an inspect answer's members.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* walk: touch every node through the accessors, as the Engine API callers do. */
static void walk(const struct json *j, int depth)
{
	size_t i;

	if (!j || depth > JSON_MAX_DEPTH + 1)
		return;
	(void)json_str(j, NULL);
	(void)json_num(j, 0);
	(void)json_int(j, 0);
	(void)json_bool(j, 0);
	(void)json_is_null(j);
	for (i = 0; i < json_len(j); i++) {
		const struct json *c = json_at(j, i);
		if (c && c->key)
			(void)json_get(j, c->key);
		walk(c, depth + 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const want[] = {"Id", "RepoTags", "Config", NULL};
	struct buf err = BUF_INIT, out = BUF_INIT, again = BUF_INIT;
	struct json *j, *k;

	/* a copy of exactly size bytes, so a read past the end is an ASan report */
	char *text = malloc(size ? size : 1);
	memcpy(text, data, size);
	if (size && data[0] < 4)
		j = json_parse_members(text + 1, size - 1, want, &err);
	else
		j = json_parse(text, size, &err);
	if (!j) {
		if (!err.len) {
			fprintf(stderr, "json_parse failed without a message\n");
			abort();
		}
		goto out;
	}
	walk(j, 0);
	(void)json_path(j, "Config.Labels");
	(void)json_path(j, "RepoTags.0");
	json_write(&out, j);
	buf_reset(&err);
	k = json_parse(out.data, out.len, &err);
	if (!k) {
		fprintf(stderr, "json_write wrote what json_parse refuses: %s\n%s\n", err.data, out.data);
		abort();
	}
	json_write(&again, k);
	if (again.len != out.len || memcmp(again.data, out.data, out.len) != 0) {
		fprintf(stderr, "json_write is not stable:\n%s\n%s\n", out.data, again.data);
		abort();
	}
	json_free(k);
out:
	json_free(j);
	buf_release(&err);
	buf_release(&out);
	buf_release(&again);
	free(text);
	return 0;
}
