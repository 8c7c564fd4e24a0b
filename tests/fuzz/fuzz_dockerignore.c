/*
 * fuzz_dockerignore: libFuzzer harness for the .dockerignore reader and matcher. The input is an ignore file, then
 * a NUL, then paths one per line; the first byte picks the Docker version (odd: before 23.0). Every path is
 * matched against the file, and every pattern that is matched directly (without its regexp) is also matched with
 * the Go regexp Docker makes of it: the two must agree; a file in a directory the walk skips must be excluded.
 * Build (clang 14): clang -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iengine -Idockerfile
 *   tests/fuzz/fuzz_dockerignore.c engine/util.c dockerfile/{dockerfile,dfinstr,dockerword,dfjson,dockerignore,shpat,
 *   goregexp,goregexp_vm}.c -o fuzz_dockerignore; run it on a copy of tests/fuzz/corpus/fuzz_dockerignore/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dockerignore.h"
#include "goregexp.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nul = size ? memchr(data, '\0', size) : NULL;
	size_t ntext = nul ? (size_t)(nul - (const char *)data) : size, i;
	struct dockerignore ign;
	struct buf err = BUF_INIT;
	char *paths, *line, *save = NULL;
	int legacy = size && (data[0] & 1);

	dockerignore_init(&ign);
	dockerignore_set_api(&ign, legacy ? "1.41" : "1.44");
	if (dockerignore_parse(&ign, ".dockerignore", (const char *)data, ntext, &err) < 0) {
		if (!err.len)
			abort();
		goto out;
	}
	paths = xstrndup(nul ? nul + 1 : "", nul ? size - ntext - 1 : 0);
	struct dimemo memo = DIMEMO_INIT;
	for (line = strtok_r(paths, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		{
			/* a file in a directory the walk skips never reaches the builder */
			char *slash = strrchr(line, '/');
			int excluded = dockerignore_excludes(&ign, line);
			if (dockerignore_excludes_memo(&ign, line, &memo) != excluded)
				abort(); /* the verdicts remembered from the paths before disagree */
			if (slash && slash != line) {
				*slash = '\0';
				if (dockerignore_skips_dir(&ign, line) && !excluded)
					abort();
				*slash = '/';
			}
		}
		for (i = 0; i < ign.n; i++) {
			struct goregexp *re;
			char *expr;
			if (ign.v[i].kind != DI_GLOB)
				continue;
			expr = dockerignore_regexp(ign.v[i].pat, legacy);
			re = goregexp_compile(expr, &err);
			if (!re || goregexp_match(re, line) != dockerignore_match(ign.v[i].pat, line, legacy))
				abort(); /* the direct match and the regexp disagree */
			goregexp_free(re);
			free(expr);
		}
	}
	dimemo_release(&memo);
	free(paths);
out:
	dockerignore_release(&ign);
	buf_release(&err);
	return 0;
}
