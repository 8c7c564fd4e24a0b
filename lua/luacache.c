/* luacache: the compiled-recipe cache (see luacache.h). Lua does not verify binary chunks, and a flipped byte in one
 * can crash the process or run another command, so a chunk is loaded only when its checksum says it is exactly
 * what this Lua compiled from this very source. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hash.h"
#include "luacache.h"
#include "util.h"

#define MAGIC "sindri-build luac 1\n"
#define MAGIC_LEN (sizeof(MAGIC) - 1)
#define SUM_LEN 16

/* A chunk compiled from source this run, to be written by luacache_save. */
struct compiled {
	char *file;
	struct buf sealed;
};

struct luacache {
	char *dir;
	struct compiled *v;
	size_t n, cap;
};

struct luacache *luacache_new(const char *dir)
{
	struct luacache *c = xcalloc(1, sizeof(*c));

	c->dir = xstrdup(dir);
	return c;
}

static void drop_compiled(struct luacache *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].file);
		buf_release(&c->v[i].sealed);
	}
	c->n = 0;
}

void luacache_free(struct luacache *c)
{
	if (!c)
		return;
	drop_compiled(c);
	free(c->v);
	free(c->dir);
	free(c);
}

struct hash128 luacache_source(const char *path, const char *text, size_t n)
{
	struct hasher h;

	hasher_init(&h);
	hasher_addstr(&h, LUA_RELEASE);
	hasher_addstr(&h, path);
	hasher_addu64(&h, n);
	hasher_add(&h, text, n);
	return hasher_final(&h);
}

char *luacache_file(const char *dir, const char *path, const char *text, size_t n)
{
	struct hash128 src = luacache_source(path, text, n);
	char hex[HASH_HEX_LEN + 1];

	hash_hex(&src, hex);
	return xasprintf("%s/%s", dir, hex);
}

static struct hash128 checksum(const struct hash128 *src, const void *chunk, size_t n)
{
	struct hasher h;

	hasher_init(&h);
	hasher_add(&h, MAGIC, MAGIC_LEN);
	hasher_addstr(&h, LUA_RELEASE);
	hasher_addhash(&h, src);
	hasher_addu64(&h, n);
	hasher_add(&h, chunk, n);
	return hasher_final(&h);
}

static void put_sum(unsigned char *p, const struct hash128 *d)
{
	for (int i = 0; i < 8; i++) {
		p[i] = (unsigned char)(d->lo >> (8 * i));
		p[8 + i] = (unsigned char)(d->hi >> (8 * i));
	}
}

void luacache_seal(struct buf *out, const struct hash128 *src, const void *chunk, size_t n)
{
	struct hash128 d = checksum(src, chunk, n);
	unsigned char sum[SUM_LEN];

	put_sum(sum, &d);
	buf_add(out, MAGIC, MAGIC_LEN);
	buf_add(out, sum, SUM_LEN);
	buf_add(out, chunk, n);
}

int luacache_unseal(const void *data, size_t n, const struct hash128 *src, const void **chunk, size_t *len,
                    const char **why)
{
	const unsigned char *p = data;
	unsigned char sum[SUM_LEN];
	struct hash128 d;

	if (n < MAGIC_LEN + SUM_LEN || memcmp(p, MAGIC, MAGIC_LEN) != 0) {
		*why = "not a sealed chunk of this version";
		return -1;
	}
	d = checksum(src, p + MAGIC_LEN + SUM_LEN, n - MAGIC_LEN - SUM_LEN);
	put_sum(sum, &d);
	if (memcmp(sum, p + MAGIC_LEN, SUM_LEN) != 0) {
		*why = "damaged, or not compiled from this recipe by this Lua (checksum mismatch)";
		return -1;
	}
	*chunk = p + MAGIC_LEN + SUM_LEN;
	*len = n - MAGIC_LEN - SUM_LEN;
	return 0;
}

static int dump_to_buf(lua_State *L, const void *p, size_t n, void *arg)
{
	(void)L;
	buf_add(arg, p, n);
	return 0;
}

/* keep: remember the chunk just compiled (on top of the stack) for luacache_save. */
static void keep(struct luacache *c, lua_State *L, char *file, const struct hash128 *src)
{
	struct buf code = BUF_INIT;
	struct compiled *k;

	/* debug information is kept: error lines are those of the text */
	lua_dump(L, dump_to_buf, &code, 0);
	GROW(c->v, c->n, c->cap);
	k = &c->v[c->n++];
	k->file = file;
	k->sealed = (struct buf)BUF_INIT;
	luacache_seal(&k->sealed, src, code.data ? code.data : "", code.len);
	buf_release(&code);
}

int luacache_load(struct luacache *c, lua_State *L, const char *path, const char *text, size_t n)
{
	char *chunkname = xasprintf("@%s", path), *file = NULL;
	struct hash128 src = {0, 0};
	int rc;

	if (c) {
		struct buf b = BUF_INIT;
		const void *chunk;
		const char *why = NULL;
		size_t len;

		src = luacache_source(path, text, n);
		file = luacache_file(c->dir, path, text, n);
		if (read_file(file, &b) == 0) {
			if (luacache_unseal(b.data ? b.data : "", b.len, &src, &chunk, &len, &why) == 0) {
				/* sealed by us for this text; Lua refusing it still means compiling again, not an error */
				if (luaL_loadbufferx(L, chunk, len, chunkname, "b") == LUA_OK) {
					buf_release(&b);
					free(file);
					free(chunkname);
					return LUA_OK;
				}
				lua_pop(L, 1);
				why = "refused by this Lua";
			}
			warn("compiled recipe '%s' is %s; compiling '%s' again", file, why, path);
		} else if (errno != ENOENT) {
			warn("cannot read compiled recipe '%s' (%s); compiling '%s' again", file, strerror(errno), path);
		}
		buf_release(&b);
	}
	rc = luaL_loadbufferx(L, text, n, chunkname, "t");
	free(chunkname);
	if (rc == LUA_OK && c)
		keep(c, L, file, &src);
	else
		free(file);
	return rc;
}

/* prune: chunks written more than a week ago go (an edit leaves its old chunk behind); one still in use is
 * compiled again by the next run that writes. */
static void prune(const char *dir)
{
	DIR *d = opendir(dir);
	time_t old = time(NULL) - 7 * 24 * 3600;
	struct dirent *e;
	struct stat st;

	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) && st.st_mtime < old)
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
}

int luacache_save(struct luacache *c)
{
	int ret = 0;

	if (!c || !c->n)
		return 0;
	if (mkdir_private(c->dir) < 0)
		ret = -1;
	else
		prune(c->dir);
	for (size_t i = 0; i < c->n && ret == 0; i++)
		if (write_file_replace(c->v[i].file, c->v[i].sealed.data, c->v[i].sealed.len) < 0)
			ret = -1;
	drop_compiled(c);
	return ret;
}
