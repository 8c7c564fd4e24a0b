/* registry_lua: registers `registry_manifest(ref)` (does a registry have this image?) in a recipe's API. */
#ifndef SB_REGISTRY_LUA_H
#define SB_REGISTRY_LUA_H

struct recipe;

/* registry_lua_open: add the registry_manifest function to r's API. */
void registry_lua_open(struct recipe *r);

#endif
