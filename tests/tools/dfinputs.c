/*
 * dfinputs: print the build-context files an image task keys, one per line, for the differential test against the
 * real builder (tests/sh/t0016-reader-diff.sh): the Dockerfile read as dockerfile_parse reads it, the ignore file
 * as dockerignore_load finds and reads it, the files as dockerctx_inputs selects them.
 *   dfinputs [-a API] [-b NAME=VALUE]... [-l] [-t TARGET] CONTEXT DOCKERFILE
 * -a reads .dockerignore as the engine speaking that API version does (default: the newest reading); -l prints
 * each read's files apart, as "LINE<tab>DEST<tab>path" lines, DEST being where a COPY into a directory puts the
 * file (below the directory). Exit 0 with the files, or 1 with "error: what".
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dockerctx.h"
#include "dockerfile.h"
#include "dockerignore.h"
#include "fileset.h"
#include "util.h"

/* print_dest: where COPY r puts file path, relative to its destination directory: a directory's files (a source
 * or a wildcard match) below it, a file (a source or a match) by its base name. */
static void print_dest(const struct dfread *r, const char *path)
{
	size_t k = 1, n = strlen(r->src);
	const char *s, *end;

	if (strcmp(r->src, ".") == 0) {
		printf("%s", path);
		return;
	}
	if (r->wildcard) {
		/* the match: as many parts of path as the pattern has */
		for (s = r->src; (s = strchr(s, '/')); s++)
			k++;
		for (end = path; k > 0 && end; k--)
			end = strchr(end + (end != path), '/');
		n = end ? (size_t)(end - path) : strlen(path);
	}
	if (path[n] == '/')
		printf("%s", path + n + 1);
	else
		printf("%s", strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
}

int main(int argc, char **argv)
{
	struct dfarg args[64];
	size_t nargs = 0, i;
	const char *api = NULL, *target = NULL;
	struct buf text = BUF_INIT, err = BUF_INIT;
	struct dockerignore ign;
	struct dockerfile *df = NULL;
	struct ctxlist l;
	int c, fd, ret = 1, by_line = 0;

	while ((c = getopt(argc, argv, "a:b:lt:")) != -1) {
		if (c == 'l') {
			by_line = 1;
		} else if (c == 'a') {
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
			fprintf(stderr, "usage: dfinputs [-a API] [-b NAME=VALUE]... [-l] [-t TARGET] CONTEXT DOCKERFILE\n");
			return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: dfinputs [-a API] [-b NAME=VALUE]... [-l] [-t TARGET] CONTEXT DOCKERFILE\n");
		return 2;
	}
	dockerignore_init(&ign);
	dockerignore_set_api(&ign, api);
	ctxlist_init(&l);
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
	if (dockerctx_entries(df, fd, &ign, NULL, NULL, &l, &err) < 0) {
		printf("error: %s\n", err.data ? err.data : "?");
	} else if (!by_line) {
		for (i = 0; i < l.n; i++)
			if (S_ISREG(l.v[i].st.mode))
				printf("%s\n", l.v[i].path);
		ret = 0;
	} else {
		/* each read alone: the same parse, with the list of reads narrowed to one */
		struct dfread *all = df->reads;
		size_t n = df->nreads, j;
		ret = 0;
		for (i = 0; i < n && ret == 0; i++) {
			ctxlist_release(&l);
			ctxlist_init(&l);
			df->reads = &all[i], df->nreads = 1;
			if (dockerctx_entries(df, fd, &ign, NULL, NULL, &l, &err) < 0) {
				printf("error: %s\n", err.data ? err.data : "?");
				ret = 1;
			}
			for (j = 0; j < l.n; j++) {
				if (!S_ISREG(l.v[j].st.mode))
					continue;
				printf("%d\t", all[i].line);
				print_dest(&all[i], l.v[j].path);
				printf("\t%s\n", l.v[j].path);
			}
		}
		df->reads = all, df->nreads = n;
	}
	close(fd);
out:
	dockerfile_free(df);
	dockerignore_release(&ign);
	ctxlist_release(&l);
	buf_release(&text);
	buf_release(&err);
	return ret;
}
