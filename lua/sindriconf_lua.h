/* sindriconf_lua: registers `sindri_config(path)` in a recipe's API. */
#ifndef SB_SINDRICONF_LUA_H
#define SB_SINDRICONF_LUA_H

struct recipe;

/* sindriconf_lua_open: add the sindri_config function to r's API. */
void sindriconf_lua_open(struct recipe *r);

#endif
