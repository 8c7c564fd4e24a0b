/* watchmode: -w/--watch: build the targets, then wait until what the build read changes, and build again, until ^C.
 *
 * Each build is a run of its own (this binary, the same command line, without -w), so a recipe edited meanwhile is
 * read again and every build is what a plain run would be. Between builds it asks the file watcher (the engine's
 * seam, engine/watched.h) what changed since the token the last build put on record, every POLL_MS, and builds again
 * once something did and nothing more changed for QUIET_MS (a checkout of many files is one build). A build that
 * could not record a token (the first, one that met new inputs, one during which an input changed) is followed at
 * once by another, which finds such a change. The recipe file is watched by its stat data.
 */
#ifndef SB_WATCHMODE_H
#define SB_WATCHMODE_H

struct watchmode {
	const char *recipe_file; /* the recipe, as -f named it */
	const char *token_file;  /* the watched tree's token on record (.sindri-build/watch) */
	const char *cache_file;  /* the stat cache it goes with */
	const char *start_dir;   /* where the command line was given: each build starts there (NULL: here) */
};

/* watchmode_run: the loop, for argv (which holds -w; each build runs it as `argv[0] --in-watch argv[1..]`, and
 * --in-watch makes a run ignore -w). Returns the last build's exit status, 128 + n when ended by signal n, or 2
 * when there is no watcher to ask. */
int watchmode_run(int argc, char **argv, const struct watchmode *wm);

#endif
