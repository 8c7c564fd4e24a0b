/* image_lua: registers `image "name" { ... }` in a recipe's API. */
#ifndef SB_IMAGE_LUA_H
#define SB_IMAGE_LUA_H

struct recipe;

/* image_lua_open: add the image function to r's API. */
void image_lua_open(struct recipe *r);

#endif
