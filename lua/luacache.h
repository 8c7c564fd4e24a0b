/* luacache: compiled recipe chunks kept between runs in the state dir's luac/, each sealed with a checksum, so
 * that a damaged or foreign file is compiled again from the text instead of being run. */
#ifndef SB_LUACACHE_H
#define SB_LUACACHE_H

#include <stddef.h>

struct buf;
struct hash128;
struct lua_State;
struct luacache;

/* luacache_new: a cache kept in dir (created by luacache_save only). Free with luacache_free (NULL is fine). */
struct luacache *luacache_new(const char *dir);
void luacache_free(struct luacache *c);
/* luacache_file: the file in dir that keeps the chunk of the recipe file path whose text is text[0..n) (malloc'ed):
 * its name is the source's digest (luacache_source). */
char *luacache_file(const char *dir, const char *path, const char *text, size_t n);
/* luacache_source: the source's digest: XXH3-128 of the Lua release, the path and the text. */
struct hash128 luacache_source(const char *path, const char *text, size_t n);
/* luacache_load: push the chunk of the recipe file path, chunk name "@path" (LUA_OK): the one kept in c when it is
 * sound, else compiled from the text (a damaged or foreign file gets a one-line warning naming it), and then kept
 * for luacache_save; or push an error message (another status). c may be NULL: no cache. */
int luacache_load(struct luacache *c, struct lua_State *L, const char *path, const char *text, size_t n);
/* luacache_save: write the chunks compiled since the last save, each atomically (temp file, rename), after removing
 * chunks written more than a week ago. 0, or -1 when they cannot be written (a slower next run, no error). */
int luacache_save(struct luacache *c);
/* luacache_seal: append to out a kept file's bytes for chunk: a header line, the checksum (XXH3-128 over the header,
 * the Lua release, src and the chunk), then the chunk. */
void luacache_seal(struct buf *out, const struct hash128 *src, const void *chunk, size_t n);
/* luacache_unseal: 0 with *chunk, *len the chunk inside data when data was sealed for src by this Lua; -1 with why
 * ("damaged", ...) otherwise. */
int luacache_unseal(const void *data, size_t n, const struct hash128 *src, const void **chunk, size_t *len,
                    const char **why);

#endif
