/* registry_lua: registers `registry_manifest(ref)` (does a registry have this image?) and `registry_labels(ref)`
 * (its labels, read from the registry) in a recipe's API. */
#ifndef SB_REGISTRY_LUA_H
#define SB_REGISTRY_LUA_H

struct recipe;

/* registry_lua_open: add the registry_manifest and registry_labels functions to r's API. */
void registry_lua_open(struct recipe *r);

#endif
