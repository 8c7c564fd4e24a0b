/* image_lua: registers `image "name" { ... }` in a recipe's API. */
#ifndef SB_IMAGE_LUA_H
#define SB_IMAGE_LUA_H

struct recipe;

/* image_lua_open: add the image function to r's API. */
void image_lua_open(struct recipe *r);
/* image_lua_ask_ahead: whether defining an image task asks the engine helper ahead for what deciding it will need
 * (images_warm); on for runs that decide tasks, off (the default) for tools that never ask the engine. */
void image_lua_ask_ahead(int on);

#endif
