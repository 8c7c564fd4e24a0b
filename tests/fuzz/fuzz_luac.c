/* fuzz_luac: the compiled-recipe loader (lua/luacache.c through recipe_load) fed any bytes as the kept chunk of a
 * recipe. Whatever the file holds, the recipe must load and declare exactly its own tasks: the shell command it
 * wrote, and a Lua function that still computes what its text says. A damaged chunk is compiled again from the text
 * (with a warning on stderr: run with -close_fd_mask=2 to keep the log small).
 *
 * FUZZ_LUAC_SEED=dir writes seeds there and exits: the sealed chunk this recipe compiles to, the same chunk without
 * its seal (the format before sealing) and the sealed chunk of another text. */
#include <errno.h>
#include <lua.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "graph.h"
#include "hash.h"
#include "luacache.h"
#include "recipe.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char recipe_text[] =
    "local word = \"hello-world\"\n"
    "task \"hello\" { run = \"echo hello-world\" }\n"
    "task \"fn\" { run = function() return word:upper() == \"HELLO-WORLD\" and #word == 11 end }\n"
    "default { \"hello\", \"fn\" }\n";
static const char other_text[] = "task \"other\" { run = \"echo other\" }\n";

static char dir[] = "/tmp/fuzz_luac.XXXXXX";
static char *file; /* the kept chunk of recipe_text */

static void cleanup(void)
{
	char *luac = xasprintf("%s/luac", dir), *lua = xasprintf("%s/sindri-build.lua", dir);

	if (file)
		unlink(file);
	unlink(lua);
	rmdir(luac);
	rmdir(dir);
	free(luac);
	free(lua);
}

/* load: load the recipe at path with the cache in luac/; abort unless it declares exactly what recipe_text says. */
static void load(const char *path, int check)
{
	struct graph g;
	struct strv vars = {0};
	struct recipe *r;
	struct task *t;

	graph_init(&g);
	r = recipe_new(&g, &vars, 0);
	recipe_set_bytecode_cache(r, "luac");
	if (recipe_load(r, path) != 0)
		abort();
	if (check) {
		if (g.ntasks != 2 || g.defaults.n != 2)
			abort();
		t = graph_find(&g, "hello");
		if (!t || t->run != RUN_SHELL || strcmp(t->shell, "echo hello-world") != 0)
			abort();
		t = graph_find(&g, "fn");
		if (!t || t->run != RUN_FUNC || !t->ops || t->ops->run(t) != 0)
			abort();
	}
	recipe_save_bytecode(r);
	recipe_free(r);
	graph_release(&g);
}

static void copy(const char *from, const char *to, size_t skip)
{
	struct buf b = BUF_INIT;

	if (read_file(from, &b) < 0 || b.len < skip || write_file_replace(to, b.data + skip, b.len - skip) < 0)
		fatal("cannot copy '%s' to '%s':", from, to);
	buf_release(&b);
}

static void seed(const char *out)
{
	char *to, *other;

	if (mkdir_p(out) < 0)
		fatal("cannot create '%s':", out);
	load("sindri-build.lua", 1);
	to = xasprintf("%s/sealed", out);
	copy(file, to, 0);
	free(to);
	to = xasprintf("%s/unsealed", out);
	copy(file, to, 36); /* the header line and the checksum */
	free(to);
	if (write_file_replace("other.lua", other_text, strlen(other_text)) < 0)
		fatal("cannot write 'other.lua':");
	load("other.lua", 0);
	other = luacache_file("luac", "other.lua", other_text, strlen(other_text));
	to = xasprintf("%s/foreign", out);
	copy(other, to, 0);
	unlink(other);
	unlink("other.lua");
	free(other);
	free(to);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *out = getenv("FUZZ_LUAC_SEED");
	char *abs = NULL;

	(void)argc;
	(void)argv;
	if (out && *out != '/') {
		char cwd[4096];
		if (!getcwd(cwd, sizeof(cwd)))
			fatal("cannot read the working directory:");
		abs = xasprintf("%s/%s", cwd, out);
		out = abs;
	}
	if (!mkdtemp(dir) || chdir(dir) < 0)
		fatal("cannot make a directory to fuzz in:");
	atexit(cleanup);
	if (write_file_replace("sindri-build.lua", recipe_text, strlen(recipe_text)) < 0 || mkdir_p("luac") < 0)
		fatal("cannot write the recipe:");
	file = luacache_file("luac", "sindri-build.lua", recipe_text, strlen(recipe_text));
	if (out) {
		seed(out);
		free(abs);
		exit(0);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (write_file_replace(file, data, size) < 0)
		fatal("cannot write '%s':", file);
	load("sindri-build.lua", 1);
	return 0;
}
