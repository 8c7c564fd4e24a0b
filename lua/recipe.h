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
/* recipe_set_bytecode_cache: keep the compiled chunks of recipe files in dir (the state dir's luac/), so that a
 * run loads them instead of compiling the text again. recipe_save_bytecode writes the chunks compiled this run
 * (a read-only command does not call it): 0, or -1 when they cannot be written (a slower next run, no error). */
void recipe_set_bytecode_cache(struct recipe *r, const char *dir);
int recipe_save_bytecode(struct recipe *r);

/* recipe_load: run the recipe file at path (its text, or its chunk from the bytecode cache; chunk name "@path"),
 * then check that every pool a task names is declared. -1 after printing "file:line: ...". */
int recipe_load(struct recipe *r, const char *path);
/* recipe_defn_values: append to each Lua task's definition the digest of its functions and what they read now, for
 * -t ninja, which puts definitions in its commands so that a recipe computing other values reruns those edges
 * (a key has these as parts of its own, computed when it is). */
void recipe_defn_values(struct recipe *r);
/* recipe_set_engine_check: fn says whether the Docker engine answers (0, or -1 after printing why), for the
 * preflight of tasks declared with engine = true. */
void recipe_set_engine_check(struct recipe *r, int (*fn)(struct lua_State *L));
/* recipe_var: the value of a variable as var() sees it (command line, then environment), or NULL. */
const char *recipe_var(const struct recipe *r, const char *name);
/* recipe_lua: the Lua state, for modules that register more of the API (image, cycles...). */
struct lua_State *recipe_lua(struct recipe *r);
/* recipe_graph: the graph tasks are added to. */
struct graph *recipe_graph(struct recipe *r);
/* For modules that add to the API (lua/image.c, ...). Functions registered with recipe_register get the recipe as
 * upvalue 1; recipe_of reads it back inside them. */
struct buf;
struct task;
/* recipe_register: add fn to the API under name (a global that recipes cannot reassign). */
void recipe_register(struct recipe *r, const char *name, int (*fn)(struct lua_State *L));
/* recipe_of: the recipe of an API function registered with recipe_register. */
struct recipe *recipe_of(struct lua_State *L);
/* recipe_newguard: push a zeroed userdata of size bytes whose metatable tname has __gc = gc: the owner of C
 * memory while Lua may raise (gc frees what it holds). */
void *recipe_newguard(struct lua_State *L, size_t size, const char *tname, int (*gc)(struct lua_State *L));
/* recipe_newtask: a new task owned by a guard userdata pushed on the stack (freed if a Lua error comes first); its
 * where is the calling line. */
struct task *recipe_newtask(struct lua_State *L, const char *name);
/* recipe_addtask: hand the guarded task at stack index guard to the graph (raises on a duplicate name). */
void recipe_addtask(struct lua_State *L, int guard);
/* recipe_optbool: field of table idx as true (1) or false/nil (0); raises "<kind> 'name': field 'f' must be true or
 * false" for another type. */
int recipe_optbool(struct lua_State *L, int idx, const char *kind, const char *name, const char *field);
/* recipe_check_fields: raise "<kind> 'name': unknown field 'x' (known: ...)" for a key of table idx not in fields. */
void recipe_check_fields(struct lua_State *L, int idx, const char *kind, const char *name, const char *const *fields);
/* recipe_common: read the fields every task kind shares (desc deps inputs exclude env vars outputs always alias pool
 * secrets), raising on an output outside the project or a bad secret name. */
void recipe_common(struct lua_State *L, int idx, struct task *t);
/* recipe_warn_secretish: warn "file:line: <kind> 'task': <what> 'NAME' looks like a secret; declare it with
 * secrets = { "NAME" }<how> (<why>)" when name looks secret (secret_name_like) and is not among t's secrets. */
void recipe_warn_secretish(const struct task *t, const char *kind, const char *what, const char *name,
                           const char *how, const char *why);
/* recipe_defn_common: append the keyed common fields to a definition text. */
void recipe_defn_common(struct buf *defn, const struct task *t);
/* recipe_strings: read a string or a list of strings at idx into sv, raising a message naming task and field. */
void recipe_strings(struct lua_State *L, int idx, const char *task, const char *field, struct strv *sv);
struct state;
struct keyenv;
struct build_opts;
/* recipe_set_path: set package.path, where require finds Lua modules ("dir/?.lua;..."). */
void recipe_set_path(struct recipe *r, const char *path);
/* recipe_set_build: what sb.build and sb.outdated use while a build runs (NULL st: not building). */
void recipe_set_build(struct recipe *r, struct state *st, const struct keyenv *ke, const struct build_opts *o);
/* recipe_set_trust: the run's stretches (engine/trust.h), which sb.run, sb.capture, sb.build and sb.outdated move on
 * and the modules that keep what they read from outside (the docker table) consult; recipe_trust reads it back. */
struct trust;
void recipe_set_trust(struct recipe *r, struct trust *t);
struct trust *recipe_trust(struct recipe *r);
/* recipe_plan: a build_opts plan hook (arg: the recipe): call t's plan function, which prints what a run of t would
 * do, when it has one; a failing plan function is reported and ignored. */
void recipe_plan(struct task *t, void *arg);
/* recipe_explain_current: -t explain's lines under an up-to-date task (arg: the recipe): what its explain function
 * returns (why it is current, what it rests on), each line indented; nothing when it has none. */
void recipe_explain_current(struct task *t, void *arg);
/* recipe_set_stock: the stock recipes are in dir: without verbose, an error's places in them ("cycles.lua:42: ")
 * are left out, since the user did not write those lines. */
void recipe_set_stock(struct recipe *r, const char *dir, int verbose);
/* recipe_vars_read: every variable a var() call asked for, as "NAME=default" (a string default) or "NAME", in the
 * order asked (repeats included). */
const struct strv *recipe_vars_read(const struct recipe *r);
/* recipe_free: close the Lua state. Free the graph after this: in-process tasks hold references into the state. */
void recipe_free(struct recipe *r);

#endif
