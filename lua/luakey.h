/* luakey: the key of a recipe's Lua function: its code and every value it can read, to any depth.
 *
 * A function is keyed by its bytecode (line numbers left out, so moving it in the file changes nothing), then by
 * each of its upvalues and each global it reads, each value walked to any depth: tables by their pairs in an order
 * that does not depend on the table's layout (keys by type and value), their metatables, shared and cyclic tables
 * as references to where they were met first, and functions met on the way the same way as the first. C functions,
 * userdata and light userdata are keyed by the name they have in Lua's libraries or the recipe API; any other one,
 * or a coroutine, cannot be keyed. */
#ifndef SB_LUAKEY_H
#define SB_LUAKEY_H

struct buf;
struct keyparts;
struct lua_State;

/* luakey_open: remember what keying needs before recipe code runs: the names of the values of Lua's libraries and
 * of the API table at api (their identities), and the global table's pristine metatable. */
void luakey_open(struct lua_State *L, int api);
/* luakey_parts: add to kp the parts of the n functions on top of the stack (popped), the ith named by roles[i]
 * ("run", "check"): "<role> function: code", then "<role> function: upvalue 'x'" and "... global 'x'" for each
 * value it reads. 0; 1 when a value cannot be keyed (why says which, and through what); -1 after printing an
 * error (out of memory). */
int luakey_parts(struct lua_State *L, int n, const char *const *roles, struct keyparts *kp, struct buf *why);

#endif
