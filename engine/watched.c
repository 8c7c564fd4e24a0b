/* watched: the watched tree, a run's side (see watched.h). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "filecache.h"
#include "trust.h"
#include "util.h"
#include "watched.h"

void watched_init(struct watched *wt)
{
	memset(wt, 0, sizeof(*wt));
	wt->line = (struct buf)BUF_INIT;
}

void watched_release(struct watched *wt)
{
	if (wt->w)
		wt->w->ops->close(wt->w);
	wt->w = NULL;
	buf_release(&wt->line);
}

/* cache_id: "TOKEN INODE SIZE MTIME" of the stat cache the token goes with: a cache put back from elsewhere, or
 * rewritten by a run that did not keep the token, does not match. Nothing when the cache is missing. */
static void cache_id(struct buf *out, const char *cache_file, const char *token)
{
	struct stat st;

	if (stat(cache_file, &st) == 0)
		buf_addf(out, "%s %llu %lld %lld.%09ld\n", token, (unsigned long long)st.st_ino, (long long)st.st_size,
		         (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

void watched_ask(struct watched *wt, struct watcher *w, const char *token_file, const char *cache_file)
{
	struct buf id = BUF_INIT;
	struct stat st;
	size_t n;

	wt->w = w;
	if (!w || !getcwd(wt->path, sizeof(wt->path)) || stat(".", &st) < 0) {
		wt->w = NULL;
		if (w)
			w->ops->close(w);
		return;
	}
	wt->token_file = token_file;
	wt->cache_file = cache_file;
	if (read_file(token_file, &wt->line) == 0 && (n = strspn(wt->line.data, "0123456789abcdef-")) > 0 &&
	    n < sizeof(wt->token)) {
		snprintf(wt->token, sizeof(wt->token), "%.*s", (int)n, wt->line.data);
		cache_id(&id, cache_file, wt->token);
		if (!id.data || strncmp(id.data, wt->line.data, id.len) != 0)
			wt->token[0] = '\0';
	}
	buf_release(&id);
	wt->root.path = wt->path;
	wt->root.dev = (uint64_t)st.st_dev;
	wt->root.ino = (uint64_t)st.st_ino;
	wt->asked = w->ops->ask(w, &wt->root, wt->token) == 0;
}

void watched_answer(struct watched *wt, struct filecache *fc, const struct trust *t)
{
	struct watch_changes ch = {WATCH_ALL, BUF_INIT, "", 0};

	if (!wt->asked || wt->w->ops->answer(wt->w, &ch) < 0) {
		buf_release(&ch.paths);
		return;
	}
	wt->answered = 1;
	wt->kind = ch.kind;
	for (size_t i = 0; i < ch.paths.len; i++)
		wt->changed += ch.paths.data[i] == '\n';
	if (ch.token[0] && memchr(ch.token, '\0', sizeof(ch.token)))
		snprintf(wt->now, sizeof(wt->now), "%s", ch.token);
	wt->room = ch.room;
	wt->first = filecache_size(fc) == 0;
	/* "nothing changed" means something only against a token of its own */
	wt->clean = ch.kind == WATCH_NONE && wt->token[0];
	/* a cache bigger than the watcher's room holds a tree it would not take: noting what the walks stat is waste */
	if (wt->clean || (wt->now[0] && filecache_size(fc) <= wt->room))
		filecache_watch(fc, t, wt->clean);
	if (wt->token[0] && (ch.kind == WATCH_NONE || ch.kind == WATCH_PATHS)) {
		/* the walks kept with the token (the lines after its own), but those the paths listed may touch */
		const char *eol = memchr(wt->line.data, '\n', wt->line.len);
		if (eol)
			filecache_walks_load(fc, eol + 1, wt->line.len - (size_t)(eol + 1 - wt->line.data),
			                     ch.kind == WATCH_PATHS ? &ch.paths : NULL, t);
	}
	buf_release(&ch.paths);
}

void watched_record(struct watched *wt, struct filecache *fc)
{
	static const struct buf none = BUF_INIT;
	struct buf used = BUF_INIT;
	size_t stats, known, lines = 0;

	filecache_walk_stats(fc, &stats, &known);
	if (!wt->w || (wt->clean && !stats))
		return;
	if (!wt->asked) {
		/* no watcher answered: have one there for the runs after this one */
		if (stats)
			wt->w->ops->watch(wt->w, &wt->root, "", &none);
		return;
	}
	if (!wt->now[0] || !(filecache_watching(fc) & FILECACHE_NOTE))
		return;
	filecache_used(fc, &used);
	for (size_t i = 0; i < used.len; i++)
		lines += used.data[i] == '\n';
	if (wt->first) {
		/* the first run with this stat cache (a cold run): what it used is hardly watched yet, so no token can be
		 * recorded; the watcher is told to watch it for the runs after this one, and not waited for */
		if (lines <= wt->room)
			wt->w->ops->watch(wt->w, &wt->root, "", &used);
		wt->token[0] = '\0';
	} else if (lines <= wt->room && wt->w->ops->watch(wt->w, &wt->root, wt->now, &used) == 1) {
		filecache_mark_watched(fc);
		snprintf(wt->token, sizeof(wt->token), "%s", wt->now);
		wt->recorded = 1;
	} else {
		wt->token[0] = '\0'; /* the cache is saved with stat data the old token does not speak for */
	}
	buf_release(&used);
}

void watched_commit(struct watched *wt, const struct filecache *fc)
{
	struct buf id = BUF_INIT;

	if (!wt->asked || (!wt->recorded && !wt->clean && !wt->line.len))
		return;
	if (wt->token[0] && (wt->recorded || wt->clean)) {
		cache_id(&id, wt->cache_file, wt->token);
		if (id.len)
			filecache_walks(fc, &id);
	}
	if (!id.len) {
		if (wt->line.len)
			unlink(wt->token_file);
	} else if (!wt->line.data || strcmp(id.data, wt->line.data) != 0) {
		if (write_file_replace(wt->token_file, id.data, id.len) < 0)
			unlink(wt->token_file);
	}
	buf_release(&id);
}

void watched_stats(const struct watched *wt, const struct filecache *fc)
{
	size_t stats, known;
	char how[64];

	filecache_walk_stats(fc, &stats, &known);
	if (!wt->answered)
		snprintf(how, sizeof(how), "not asked");
	else if (wt->clean)
		snprintf(how, sizeof(how), "unchanged");
	else if (wt->kind == WATCH_PATHS)
		snprintf(how, sizeof(how), "changed: %zu path%s", wt->changed, wt->changed == 1 ? "" : "s");
	else
		snprintf(how, sizeof(how), "changed, or not watched yet");
	fprintf(stderr,
	        "sindri-build: stats: %zu stat calls in walks, %zu spared by the watched tree (%s), %zu walks taken "
	        "whole from its record\n",
	        stats, known, how, filecache_walks_taken(fc));
}

int watched_poll(struct watcher *w, const char *token_file, const char *cache_file, char *now, struct buf *paths)
{
	struct watch_changes ch = {WATCH_ALL, BUF_INIT, "", 0};
	struct watched wt;
	int ret = -1;

	now[0] = '\0';
	watched_init(&wt);
	watched_ask(&wt, w, token_file, cache_file);
	if (wt.asked && wt.w->ops->answer(wt.w, &ch) == 0) {
		snprintf(now, WATCH_TOKEN_MAX, "%s", ch.token);
		ret = !wt.token[0] || ch.kind != WATCH_NONE;
		if (ch.paths.len)
			buf_add(paths, ch.paths.data, ch.paths.len);
	}
	buf_release(&ch.paths);
	watched_release(&wt);
	return ret;
}
