/* recipe: the embedded Lua 5.4 state that evaluates recipe files into tasks of the engine's graph. */
#ifndef SB_RECIPE_H
#define SB_RECIPE_H

struct graph;
struct strv;
struct recipe;
struct lua_State;

/* recipe_new: a Lua state with the chosen libraries and the recipe API (task, default, var, pool, sb.*), adding
 * tasks to g. cmdvars holds the NAME=value operands of the command line. verbose adds tracebacks to errors. */
struct recipe *recipe_new(struct graph *g, const struct strv *cmdvars, int verbose);
/* recipe_load: run the recipe file at path (text only, chunk name "@path"). -1 after printing "file:line: ...". */
int recipe_load(struct recipe *r, const char *path);
/* recipe_var: the value of a variable as var() sees it (command line, then environment), or NULL. */
const char *recipe_var(const struct recipe *r, const char *name);
/* recipe_lua: the Lua state, for modules that register more of the API (image, cycles...). */
struct lua_State *recipe_lua(struct recipe *r);
/* recipe_graph: the graph tasks are added to. */
struct graph *recipe_graph(struct recipe *r);
/* recipe_free: close the Lua state. Free the graph after this: in-process tasks hold references into the state. */
void recipe_free(struct recipe *r);

#endif
