/* watchmode: -w/--watch (see watchmode.h). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"
#include "util.h"
#include "watched.h"
#include "watcher.h"
#include "watchmode.h"

#define POLL_MS 100     /* how often the watcher is asked between builds */
#define QUIET_MS 200    /* a change is built once nothing more changed for this long (a checkout of many files) */
#define SETTLE_BUILDS 5 /* builds in a row that may end without a token before watching is given up */

/* build: one build, as the command line asked for it without -w (with quiet, -q too); its exit status (128 + n for
 * a signal). */
static int build(int argc, char **argv, const char *dir, int quiet)
{
	char **av = xcalloc((size_t)argc + 3, sizeof(*av));
	char flag[] = "--in-watch", q[] = "-q";
	struct spawnopts so = {"/proc/self/exe", {PROC_INHERIT, PROC_INHERIT, PROC_INHERIT}, dir, 0, 0};
	pid_t pid;
	int rc, st;

	int n = 0;
	av[n++] = argv[0];
	av[n++] = flag;
	if (quiet)
		av[n++] = q; /* before the command line's own words, which may end in "--" and targets */
	for (int i = 1; i < argc; i++)
		av[n++] = argv[i];
	rc = proc_start(&pid, av, &so);
	free(av);
	if (rc != 0)
		return error("cannot run a build: %s", strerror(rc)), 2;
	/* ^C from the terminal reaches the build too (same process group); a SIGTERM sent to us alone is passed on */
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			return 2;
		if (signals_caught() && signals_caught() != SIGINT)
			kill(pid, signals_caught());
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* recipe_changed: the recipe file is not what it was at *was (updated). */
static int recipe_changed(const char *file, struct stat *was)
{
	struct stat st;
	int changed;

	if (stat(file, &st) < 0)
		memset(&st, 0, sizeof(st));
	changed = st.st_ino != was->st_ino || st.st_size != was->st_size ||
	          st.st_mtim.tv_sec != was->st_mtim.tv_sec || st.st_mtim.tv_nsec != was->st_mtim.tv_nsec ||
	          st.st_ctim.tv_sec != was->st_ctim.tv_sec || st.st_ctim.tv_nsec != was->st_ctim.tv_nsec;
	*was = st;
	return changed;
}

/* pause_ms: sleep, or return 1 at once when a signal came. */
static int pause_ms(int ms)
{
	struct pollfd pf = {-1, 0, 0};

	if (signals_caught())
		return 1;
	poll(&pf, 0, ms);
	return signals_caught() != 0;
}

/* say_changed: the status line for what changed: the first paths, and how many more. */
static void say_changed(const struct buf *paths, int recipe)
{
	const char *p = paths->data ? paths->data : "", *end = p + paths->len;
	struct buf line = BUF_INIT;
	size_t n = 0;

	for (; p < end; n++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl ? nl : end) - p);
		if (n < 3)
			buf_addf(&line, "%s%.*s", n ? ", " : "", (int)len, p);
		p += len + 1;
	}
	if (n > 3)
		buf_addf(&line, " and %zu more", n - 3);
	if (recipe)
		fprintf(stderr, "sindri-build: the recipe changed; building again\n");
	else
		fprintf(stderr, "sindri-build: changed: %s; building again\n", n ? line.data : "the inputs");
	buf_release(&line);
}

/* wait_change: wait until what the last build read changed and then stayed quiet for QUIET_MS; 1 then, 0 when a
 * signal came, -1 when no watcher answers. */
static int wait_change(const struct watchmode *wm, struct stat *recipe)
{
	char now[WATCH_TOKEN_MAX], last[WATCH_TOKEN_MAX] = "";
	struct buf paths = BUF_INIT;
	int seen = 0, quiet = 0, rc = 0, by_recipe = 0;

	for (;;) {
		int r = recipe_changed(wm->recipe_file, recipe);
		buf_reset(&paths); /* each answer lists every change since the token */
		int k = watched_poll(watch_client(), wm->token_file, wm->cache_file, now, &paths);
		if (k < 0) {
			rc = -1;
			break;
		}
		by_recipe |= r;
		if (!seen && (k || r))
			seen = 1;
		else if (seen && !r && strcmp(now, last) == 0)
			quiet += POLL_MS;
		else if (seen)
			quiet = 0;
		snprintf(last, sizeof(last), "%s", now);
		if (seen && quiet >= QUIET_MS) {
			say_changed(&paths, by_recipe);
			rc = 1;
			break;
		}
		if (pause_ms(POLL_MS))
			break;
	}
	buf_release(&paths);
	return rc;
}

int watchmode_run(int argc, char **argv, const struct watchmode *wm)
{
	struct stat recipe;
	int rc = 0, unsettled = 0;
	struct watcher *w = watch_client();

	if (!w)
		return error("-w needs the file watcher, which SINDRI_BUILD_WATCH=0 or SINDRI_BUILD_SERVER=0 turns off"), 2;
	w->ops->close(w);
	if (watch_ensure() < 0)
		return error("-w: no file watcher can be started (XDG_RUNTIME_DIR, else TMPDIR or /tmp, must allow a "
		             "directory of mode 0700 that is yours)"), 2;
	signals_install();
	recipe_changed(wm->recipe_file, &recipe);
	for (int first = 1;; first = 0) {
		/* a build that follows one which could not record a token is quiet unless it fails */
		rc = build(argc, argv, wm->start_dir, unsettled > 0);
		if (signals_caught())
			break;
		/* a usage or recipe error (said above) read no inputs to watch: building again cannot help */
		if (rc == 2 && first)
			return 2;
		if (rc == 2) {
			fprintf(stderr, "sindri-build: waiting for the recipe to change (^C ends)\n");
			while (!recipe_changed(wm->recipe_file, &recipe))
				if (pause_ms(POLL_MS))
					return 128 + signals_caught();
			unsettled = 0;
			continue;
		}
		/* a build records a token only when what it read was watched before it began and nothing changed while
		 * it ran (a first build, new inputs, an edit during the build): then build again, which finds any such
		 * edit, until one does */
		char now[WATCH_TOKEN_MAX];
		struct buf none = BUF_INIT;
		int k = watched_poll(watch_client(), wm->token_file, wm->cache_file, now, &none);
		buf_release(&none);
		if (k != 0 && ++unsettled < SETTLE_BUILDS)
			continue;
		if (k != 0)
			return error("-w: %d builds in a row could not vouch for what they read: a task writes into its own "
			             "inputs (give its outputs a place outside them), or the file system is one inotify does not "
			             "see whole, or the tree has more files than the watcher may watch (docs/design.md, \"The "
			             "watched tree\")", SETTLE_BUILDS), 2;
		unsettled = 0;
		fprintf(stderr, "sindri-build: watching for changes (^C ends)\n");
		if (wait_change(wm, &recipe) <= 0)
			break;
	}
	if (signals_caught())
		return 128 + signals_caught();
	return rc;
}
