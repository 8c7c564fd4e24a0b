/* recipeint: what lua/recipe.c shares with the other parts of the recipe API (lua/taskfields.c, lua/sbapi.c,
 * lua/luatask.c), and with no other module. */
#ifndef SB_RECIPEINT_H
#define SB_RECIPEINT_H

#include <lua.h>

struct buf;
struct strv;
struct task;

/* registry tables of the tasks' plan and explain functions, by task name */
#define PLANS "sindri-build.plans"
#define EXPLAINS "sindri-build.explains"

struct recipe {
	lua_State *L;
	struct graph *g;
	const struct strv *cmdvars;
	int verbose;
	int keyable;          /* luakey_open has run */
	unsigned gen;         /* counts calls into Lua: values a function reads may have changed since */
	int (*engine)(lua_State *L); /* recipe_set_engine_check */
	struct luacache *luac; /* the bytecode cache (recipe_set_bytecode_cache), or NULL */
	char *stock;          /* the stock recipes' directory: their places are left out of messages (recipe_set_stock) */
	struct trust *trust;  /* the run's stretches (recipe_set_trust), or NULL */
	struct strv varsread; /* "NAME=default" (or "NAME") of every var() call, for completion (recipe_vars_read) */
	struct strv *loads;   /* the Lua files loaded (require, dofile, loadfile) go here while a run function runs */
	/* set while a build runs, for sb.build and sb.outdated */
	struct state *st;
	const struct keyenv *ke;
	const struct build_opts *opts;
};

/* recipe_words: recipe_strings for a command's words, where a number is taken as its text. */
void recipe_words(lua_State *L, int idx, const char *task, const char *field, struct strv *sv);
/* recipe_defn_list: append "field=<len>:<item> ..." to a definition text when sv is not empty. */
void recipe_defn_list(struct buf *b, const char *field, const struct strv *sv);
/* recipe_pcall: call the function below nargs arguments with the traceback handler; prints the error, -1. */
int recipe_pcall(struct recipe *r, int nargs, int nres);
/* luatask_attach: give t, defined by the table at index 1, its Lua run function (when t->run is RUN_FUNC), its
 * check function (check) and the engine preflight (engine) (lua/luatask.c). */
void luatask_attach(lua_State *L, struct recipe *r, struct task *t, int check, int engine);
/* sbapi_push: push the sb module, its functions with r as upvalue 1 (lua/sbapi.c). */
void sbapi_push(lua_State *L, struct recipe *r);

#endif
