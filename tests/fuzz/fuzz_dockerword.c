/*
 * fuzz_dockerword: libFuzzer harness for the word-level readers of Dockerfile instructions: the first byte picks
 * substitution (with both escape characters), word splitting, flags, JSON arrays, here-document markers or the
 * CSV fields of RUN --mount; the rest is the text.
 * Build (clang 14): clang -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iengine -Idockerfile
 *   tests/fuzz/fuzz_dockerword.c engine/util.c dockerfile/{dockerfile,dfinstr,dockerword,dfjson,dockerignore,shpat,
 *   goregexp,goregexp_vm}.c -o fuzz_dockerword; run it on a copy of tests/fuzz/corpus/fuzz_dockerword/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dockerword.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *get(void *ctx, const char *name, size_t n)
{
	static const char *const vars[] = {"A=a/b/c.d", "E=", "W=x y\tz", "N=line\nnext", "U=\xc3\xa9t\xc3\xa9", NULL};
	const char *const *v;

	(void)ctx;
	for (v = vars; *v; v++)
		if (strncmp(*v, name, n) == 0 && (*v)[n] == '=')
			return *v + n + 1;
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wordenv env = {get, NULL};
	struct wordlist a = {0}, b = {0};
	struct heredocs h = {{0}, NULL, 0};
	struct buf out = BUF_INIT, why = BUF_INIT;
	const char *reason;
	char *s, *name;
	int strip, r;

	if (!size)
		return 0;
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0'; /* a string up to the first NUL, with an exact-size buffer */
	switch (data[0] % 7) {
	case 0:
	case 1:
		r = dockerword_expand(s, data[0] % 7 ? '`' : '\\', &env, &out, &why);
		if (r < 0 && !why.len)
			abort(); /* a refusal must say why */
		if (r == 0 && !out.data)
			abort();
		break;
	case 2:
		dockerword_split(s, '\\', data[0] & 8, &a);
		break;
	case 3:
		dockerword_flags(s, '`', &a, &b);
		if (a.n != b.n)
			abort();
		break;
	case 4:
		r = dockerword_json(s, &a, &reason);
		if (r != 1 && a.n)
			abort(); /* nothing is added unless it is a string array */
		break;
	case 5:
		if ((name = dockerword_heredoc(s, &strip)))
			free(name);
		if (dockerword_heredocs(s, &h, &why) < 0 && !why.len)
			abort();
		break;
	case 6:
		if (dockerword_csv(s, &a, &reason) == 0 && !a.n)
			abort(); /* a record has at least one field */
		break;
	}
	heredocs_release(&h);
	wordlist_release(&a);
	wordlist_release(&b);
	buf_release(&out);
	buf_release(&why);
	free(s);
	return 0;
}
