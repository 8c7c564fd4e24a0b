/*
 * fuzz_state: libFuzzer harness for the two files a run loads from .sindri-build/: the task log (engine/state.c)
 * and the stat cache (engine/filecache.c). The input is written to a file in a fresh temporary state directory and
 * loaded the way a run loads it. The first byte chooses what: bit 0, the stat cache instead of the task log; bit 1,
 * fix up the checksums first (the log's per-frame ones, the cache's trailer) so that the fuzzer reaches the record
 * decoding behind them; bit 2, open the log for writing (which moves a bad file aside, cuts a torn tail and then
 * appends a record and a tombstone) or save the cache again. Bit 3 instead takes the rest as the walks kept with the
 * watcher's token (filecache_walks_load: the record lines, then after a NUL the changed paths), and checks that what
 * it keeps reads back the same. Whatever the bytes: no sanitizer report, no exit.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "filecache.h"
#include "state.h"
#include "trust.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* fix_log: give every frame after the 8-byte header the checksum state.c expects, as far as the lengths allow. */
static void fix_log(unsigned char *p, size_t n)
{
	size_t off = 8;

	while (n >= off && n - off >= 8) {
		uint32_t len = get32(p + off);
		if (len > n - off - 8)
			break;
		put32(p + off + 4, (uint32_t)XXH3_64bits(p + off + 8, len));
		off += 8 + len;
	}
}

/* fix_cache: give the stat cache the trailer filecache.c expects (XXH64 of every byte before it). */
static void fix_cache(unsigned char *p, size_t n)
{
	uint64_t h;

	if (n < 8)
		return;
	h = XXH64(p, n - 8, 0);
	for (int i = 0; i < 8; i++)
		p[n - 8 + i] = (unsigned char)(h >> (8 * i));
}

/* each: every live record has a name that state_get finds. */
static void each(const struct taskrec *rec, void *arg)
{
	const struct state *s = arg;

	if (!rec->name || state_get(s, rec->name) == NULL)
		abort();
}

static void cleanup(void)
{
	static const char *const names[] = {"tasks", "tasks.bad", "lock", "filecache", "filecache.saved"};
	char path[128];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
}

static void remove_dir(void)
{
	cleanup();
	rmdir(dir);
}

static void fuzz_log(int write_mode)
{
	struct state *s = state_open(dir, write_mode ? STATE_WRITE | STATE_NOWAIT : 0);
	struct taskrec rec;

	if (!s)
		return;
	state_each(s, each, s);
	(void)state_get(s, "image");
	if (write_mode) {
		memset(&rec, 0, sizeof(rec));
		rec.name = "fuzz";
		rec.runs = 1;
		if (state_record(s, &rec) < 0 || !state_get(s, "fuzz"))
			abort();
		if (state_forget(s, "fuzz") < 0 || state_get(s, "fuzz"))
			abort();
	}
	state_close(s);
	/* what a write left behind must load again */
	if (write_mode) {
		s = state_open(dir, 0);
		if (!s)
			abort();
		state_close(s);
	}
}

static void fuzz_cache(const char *path, int save)
{
	struct filecache *fc = filecache_load(path);
	struct buf used = BUF_INIT;
	size_t hits, hashed;
	int rootfd;

	filecache_used(fc, &used);
	filecache_stats(fc, &hits, &hashed);
	if (save) {
		char *saved = xasprintf("%s/filecache.saved", dir);
		rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (rootfd >= 0) {
			filecache_mark_watched(fc);
			(void)filecache_save(fc, saved, rootfd);
			close(rootfd);
			filecache_free(filecache_load(saved));
		}
		free(saved);
	}
	buf_release(&used);
	filecache_free(fc);
}

/* fuzz_walks: the walk records p (n bytes; after a NUL, the changed paths) load, and what is kept loads back the same. */
static void fuzz_walks(const unsigned char *p, size_t n)
{
	const unsigned char *nul = memchr(p, '\0', n);
	char *missing = xasprintf("%s/none", dir);
	struct filecache *a = filecache_load(missing), *b = filecache_load(missing);
	struct trust t = TRUST_INIT;
	struct buf changed = BUF_INIT, once = BUF_INIT, twice = BUF_INIT;
	struct hash128 spec = {1, 2}, d;
	uint64_t count;

	if (nul)
		buf_add(&changed, nul + 1, n - (size_t)(nul + 1 - p));
	filecache_walks_load(a, (const char *)p, nul ? (size_t)(nul - p) : n, nul ? &changed : NULL, &t);
	(void)filecache_walk_get(a, &spec, &d, &count);
	filecache_walks(a, &once);
	filecache_walks_load(b, once.data ? once.data : "", once.len, NULL, &t);
	filecache_walks(b, &twice);
	if (once.len != twice.len || (once.len && memcmp(once.data, twice.data, once.len) != 0))
		abort();
	buf_release(&changed);
	buf_release(&once);
	buf_release(&twice);
	filecache_free(a);
	filecache_free(b);
	free(missing);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *p;
	char *path;
	int mode;

	if (!dir[0]) {
		const char *tmp = getenv("TMPDIR");
		snprintf(dir, sizeof(dir), "%s/sb-fuzz-state.XXXXXX", tmp && strlen(tmp) < 30 ? tmp : "/tmp");
		if (!mkdtemp(dir))
			abort();
		atexit(remove_dir);
	}
	if (!size)
		return 0;
	mode = data[0];
	if (mode & 8) {
		fuzz_walks(data + 1, size - 1);
		return 0;
	}
	p = malloc(size);
	memcpy(p, data + 1, size - 1);
	path = xasprintf("%s/%s", dir, mode & 1 ? "filecache" : "tasks");
	if (mode & 2) {
		if (mode & 1)
			fix_cache(p, size - 1);
		else
			fix_log(p, size - 1);
	}
	cleanup();
	if (write_file_atomic(path, p, size - 1) < 0)
		abort();
	if (mode & 1)
		fuzz_cache(path, mode & 4);
	else
		fuzz_log(mode & 4);
	cleanup();
	free(path);
	free(p);
	return 0;
}
