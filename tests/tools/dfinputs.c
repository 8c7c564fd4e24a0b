/*
 * dfinputs: print the build-context files an image task keys, one per line, for the differential test against the
 * real builder (tests/sh/t0016-reader-diff.sh): the Dockerfile read as dockerfile_parse reads it, the ignore file
 * as dockerignore_load finds and reads it, the files as dockerctx_inputs selects them.
 *   dfinputs [-a API] [-b NAME=VALUE]... [-t TARGET] CONTEXT DOCKERFILE
 * -a reads .dockerignore as the engine speaking that API version does (default: the newest reading).
 * Exit 0 with the files, or 1 with "error: what" on stdout.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dockerctx.h"
#include "dockerfile.h"
#include "dockerignore.h"
#include "fileset.h"
#include "util.h"

int main(int argc, char **argv)
{
	struct dfarg args[64];
	size_t nargs = 0, i;
	const char *api = NULL, *target = NULL;
	struct buf text = BUF_INIT, err = BUF_INIT;
	struct dockerignore ign;
	struct dockerfile *df = NULL;
	struct fileset fs;
	int c, fd, ret = 1;

	while ((c = getopt(argc, argv, "a:b:t:")) != -1) {
		if (c == 'a') {
			api = optarg;
		} else if (c == 'b' && nargs < LEN(args)) {
			char *eq = strchr(optarg, '=');
			if (eq)
				*eq = '\0';
			args[nargs].name = optarg;
			args[nargs++].value = eq ? eq + 1 : NULL;
		} else if (c == 't') {
			target = optarg;
		} else {
			fprintf(stderr, "usage: dfinputs [-a API] [-b NAME=VALUE]... [-t TARGET] CONTEXT DOCKERFILE\n");
			return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: dfinputs [-a API] [-b NAME=VALUE]... [-t TARGET] CONTEXT DOCKERFILE\n");
		return 2;
	}
	dockerignore_init(&ign);
	dockerignore_set_api(&ign, api);
	fileset_init(&fs);
	if (read_file(argv[optind + 1], &text) < 0) {
		printf("error: cannot read '%s'\n", argv[optind + 1]);
		goto out;
	}
	df = dockerfile_parse(argv[optind + 1], text.data ? text.data : "", text.len, args, nargs, target, &err);
	if (!df || dockerignore_load(&ign, argv[optind + 1], argv[optind], &err) < 0) {
		printf("error: %s\n", err.data ? err.data : "?");
		goto out;
	}
	if ((fd = open(argv[optind], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		printf("error: cannot open the context '%s'\n", argv[optind]);
		goto out;
	}
	if (dockerctx_inputs(df, fd, &ign, NULL, NULL, &fs, &err) < 0) {
		printf("error: %s\n", err.data ? err.data : "?");
	} else {
		for (i = 0; i < fs.n; i++)
			printf("%s\n", fs.v[i].path);
		ret = 0;
	}
	close(fd);
out:
	dockerfile_free(df);
	dockerignore_release(&ign);
	fileset_release(&fs);
	buf_release(&text);
	buf_release(&err);
	return ret;
}
