/*
 * fuzz_sindriconf: libFuzzer harness for the sindri.yaml reader (config/sindriconf.c). Whatever the bytes,
 * sindriconf_parse returns a config or NULL with one message line, without a sanitizer report; a config it returns
 * has the fields its header promises (a valid container name, a provider) and can be dumped.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sindriconf.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf err = BUF_INIT, dump = BUF_INIT;
	struct sindriconf *conf;
	size_t i;

	/* a copy of exactly size bytes, so a read past the end is an ASan report */
	char *text = malloc(size ? size : 1);
	memcpy(text, data, size);
	conf = sindriconf_parse("sindri.yaml", text, size, &err);
	if (!conf) {
		if (!err.len || memchr(err.data, '\n', err.len - 1)) {
			fprintf(stderr, "sindriconf_parse failed without one message line: '%s'\n", err.data ? err.data : "");
			abort();
		}
		goto out;
	}
	if (!conf->name || !sindriconf_valid_name(conf->name) || !conf->provider) {
		fprintf(stderr, "sindriconf_parse returned an invalid name or no provider\n");
		abort();
	}
	for (i = 0; i < conf->nextensions; i++)
		if (!conf->extensions[i]) {
			fprintf(stderr, "extension %zu is NULL\n", i);
			abort();
		}
	sindriconf_dump(conf, &dump);
out:
	sindriconf_free(conf);
	buf_release(&err);
	buf_release(&dump);
	free(text);
	return 0;
}
