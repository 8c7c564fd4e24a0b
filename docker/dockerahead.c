/* dockerahead: what a run asked the engine ahead before anything it did could change the engine (the inspects of
 * its first image tasks), kept in the project's state for the next run, which sends them with the version ping,
 * before its recipe loads (dockerapi.h: docker_ahead_replay, docker_ahead_save).
 *
 * The file is a hint: "sindri-build ahead 1" then one versioned GET path a line. A request read from it is only
 * sent ahead; its answer stands for a request the run itself makes for the same path in the same stretch, exactly
 * as an answer an image task asks ahead for does (dockerapi.c's kept answers), and is dropped otherwise. So a
 * stale, damaged or foreign list costs at most the engine's answers to a few GETs, never a wrong one. */
#include <string.h>
#include <unistd.h>

#include "dockerint.h"

#define HEADER "sindri-build ahead 1"

/* plausible: a path an image task asks ahead for: /vX.Y/images/REF/json, printable, no space. */
static int plausible(const char *p, size_t n)
{
	if (n < 16 || n > 1024 || strncmp(p, "/v", 2) != 0 || memcmp(p + n - 5, "/json", 5) != 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] <= ' ' || p[i] == 0x7f)
			return 0;
	const char *img = memmem(p, n, "/images/", 8);
	return img != NULL;
}

void docker_ahead_replay(struct docker *d, const char *file)
{
	struct buf b = BUF_INIT;
	size_t hl = strlen(HEADER);

	if (read_file(file, &b) < 0 || b.len < hl + 1 || memcmp(b.data, HEADER "\n", hl + 1) != 0) {
		buf_release(&b);
		return;
	}
	for (char *p = b.data + hl + 1, *nl; *p && (nl = strchr(p, '\n')) && d->replayed.n < DOCKER_AHEAD_MAX; p = nl + 1) {
		*nl = '\0';
		if (!plausible(p, (size_t)(nl - p)))
			continue;
		strv_push(&d->replayed, p);
		docker_send_ahead(d, p);
	}
	buf_release(&b);
}

void docker_ahead_save(struct docker *d, const char *file)
{
	struct buf b = BUF_INIT;
	size_t i;

	if (!d || !d->helper_tried)
		return;
	for (i = 0; i < d->asked_first.n && i < d->replayed.n; i++)
		if (strcmp(d->asked_first.v[i], d->replayed.v[i]) != 0)
			break;
	if (i == d->asked_first.n && i == d->replayed.n)
		return; /* the same list: nothing to write (a no-op writes nothing) */
	if (!d->asked_first.n) {
		unlink(file);
		return;
	}
	buf_adds(&b, HEADER "\n");
	for (i = 0; i < d->asked_first.n; i++)
		buf_addf(&b, "%s\n", d->asked_first.v[i]);
	if (write_file_replace(file, b.data, b.len) < 0)
		warn("cannot write '%s' (what the next run asks the engine first); it asks later instead:", file);
	buf_release(&b);
}
