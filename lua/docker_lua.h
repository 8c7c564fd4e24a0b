/* docker_lua: the `docker` table of the recipe API, docker/dockerapi for recipes.
 *
 * Every docker.* function returns its result, or nil and a message when the engine cannot do it (dockerapi has
 * then printed the full reason); lookups and removals return false and "<kind> 'name' not found" when the
 * engine answers 404. Wrong argument types raise. JSON answers become tables: objects with string keys, arrays
 * as sequences, integer literals that fit as integers, other numbers as floats; null is nil in an object and
 * docker.null (a light userdata) in an array, so lengths stay right. The client is opened on first use
 * ($DOCKER_HOST or the default address) and closed with the Lua state. */
#ifndef SB_DOCKER_LUA_H
#define SB_DOCKER_LUA_H

struct recipe;

/* docker_lua_open: add the docker table to r's API. */
void docker_lua_open(struct recipe *r);

struct docker;
struct lua_State;
/* docker_lua_client: the recipe's shared engine client (opened, not yet contacted), so every part of a run talks to
 * the engine over one connection; NULL when the address cannot be used (said already). Owned by the Lua state. */
struct docker *docker_lua_client(struct lua_State *L);
/* docker_lua_peek: the shared client if this run opened one, else NULL; never opens one. */
struct docker *docker_lua_peek(struct lua_State *L);

#endif
