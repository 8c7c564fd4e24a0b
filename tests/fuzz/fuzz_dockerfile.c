/*
 * fuzz_dockerfile: libFuzzer harness for the Dockerfile reader. The input is a Dockerfile; it is parsed (with two
 * build args and, when the input's first byte is odd, the target stage "build") and dumped. Sanitizers find the
 * memory errors; the checks below the invariants every parse must keep.
 * Build (clang 14): clang -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iengine -Idockerfile
 *   tests/fuzz/fuzz_dockerfile.c engine/util.c dockerfile/{dockerfile,dfinstr,dockerword,dfjson,dockerignore,shpat,
 *   goregexp,goregexp_vm}.c -o fuzz_dockerfile; run it on a copy of tests/fuzz/corpus/fuzz_dockerfile/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dockerfile.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct dfarg args[] = {{"BASE", "alpine:3"}, {"TARGETARCH", "amd64"}};
	struct buf err = BUF_INIT, dump = BUF_INIT;
	/* an exact-size copy: any read past the text is caught */
	char *text = malloc(size ? size : 1);
	struct dockerfile *df;
	size_t i;

	if (!text)
		return 0;
	memcpy(text, data, size);
	df = dockerfile_parse("Dockerfile", text, size, args, 2, size && (data[0] & 1) ? "build" : NULL, &err);
	if (df) {
		dockerfile_dump(df, &dump);
		if (df->nstages == 0 || df->target >= df->nstages)
			abort();
		for (i = 0; i < df->nreads; i++)
			if (!df->reads[i].src || df->reads[i].src[0] == '/' || strncmp(df->reads[i].src, "../", 3) == 0 ||
			    strcmp(df->reads[i].src, "..") == 0)
				abort(); /* a read outside the context */
	} else if (!err.len) {
		abort(); /* a refusal must say why */
	}
	dockerfile_free(df);
	buf_release(&err);
	buf_release(&dump);
	free(text);
	return 0;
}
