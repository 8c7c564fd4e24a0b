/* gitsrc_lua: registers `git_checkout{ url=, ref=, cache= }` and `git_clones(cache)` in a recipe's API. */
#ifndef SB_GITSRC_LUA_H
#define SB_GITSRC_LUA_H

struct recipe;

/* gitsrc_lua_open: add the git_checkout and git_clones functions to r's API. */
void gitsrc_lua_open(struct recipe *r);
/* gitsrc_lua_offline: in a read-only command, git_checkout fetches and writes nothing (gitsrc_peek). */
void gitsrc_lua_offline(struct recipe *r, int offline);

#endif
