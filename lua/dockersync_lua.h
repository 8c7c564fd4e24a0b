/* dockersync_lua: the live-sync functions of the docker table (lua/dockersync.c): docker.put_files, docker.exec,
 * docker.live_diff and docker.live_record. */
#ifndef SB_DOCKERSYNC_LUA_H
#define SB_DOCKERSYNC_LUA_H

struct lua_State;
struct recipe;

/* dockersync_lua_add: add the live-sync functions, with r as their upvalue, to the table on top of L's stack. */
void dockersync_lua_add(struct lua_State *L, struct recipe *r);

#endif
