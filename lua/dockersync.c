/* dockersync: the recipe API's live sync into a running container (docker.put_files, docker.exec), the diff of an
 * image's recorded inputs against the working tree (docker.live_diff), and the record of what was synced
 * (docker.live_record), kept under the state directory so that no run reports a synced container as current. */
#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctxtar.h"
#include "docker_lua.h"
#include "dockerapi.h"
#include "dockersync_lua.h"
#include "graph.h"
#include "hash.h"
#include "key.h"
#include "recipe.h"
#include "recipeint.h"
#include "state.h"
#include "util.h"

/* fail: nil and a message, as every docker.* function answers what the engine could not do. */
static int fail(lua_State *L, const char *msg, const char *subject)
{
	lua_pushnil(L);
	lua_pushfstring(L, "%s '%s' (the reason is printed above)", msg, subject);
	return 2;
}

/* add_entry: one file of the tar, read from src (not followed when a symlink), named name in the tar, with the
 * mode mode of a file (-1: its own); 0, or -1 after printing an error. */
static int add_entry(struct ctxsink *s, const char *src, const char *name, long mode)
{
	struct stat st;
	struct buf data = BUF_INIT;
	int ret;

	if (lstat(src, &st) < 0)
		return error("cannot sync '%s':", src);
	if (S_ISDIR(st.st_mode))
		return ctxsink_entry(s, name, 'd', st.st_mode & 07777, st.st_mtime, 0, NULL);
	if (S_ISLNK(st.st_mode)) {
		if (read_link(AT_FDCWD, src, &data) < 0)
			return error("cannot read the symlink '%s':", src);
		ret = ctxsink_entry(s, name, 'l', st.st_mode & 07777, st.st_mtime, 0, data.data);
		buf_release(&data);
		return ret;
	}
	if (!S_ISREG(st.st_mode))
		return error("cannot sync '%s': not a file, directory or symlink", src);
	if (read_file(src, &data) < 0)
		return error("cannot read '%s':", src);
	ret = ctxsink_entry(s, name, 'f', mode >= 0 ? (uint32_t)mode & 07777 : st.st_mode & 07777, st.st_mtime, data.len,
	                    NULL);
	if (ret == 0 && data.len)
		ret = ctxsink_data(s, data.data, data.len);
	if (ret == 0)
		ret = ctxsink_end(s);
	buf_release(&data);
	return ret;
}

/* tar_of: the tar of the files at idx (a list of {src = local path, to = absolute container path, mode = a file's
 * mode instead of its own}), its names
 * relative to "/", in *tar, written through a temporary file in dir; 0, or -1 after printing an error. */
static int tar_of(lua_State *L, int idx, const char *dir, struct buf *tar)
{
	char *path = xasprintf("%s/sync-tar.XXXXXX", dir);
	int fd = mkstemp(path), ok = 1;
	struct ctxsink *s;

	if (fd < 0) {
		error("cannot make a temporary file '%s' for the tar:", path);
		free(path);
		return -1;
	}
	s = ctxsink_tar(fd);
	for (lua_Integer i = 1, n = luaL_len(L, idx); ok && i <= n; i++) {
		lua_geti(L, idx, i);
		lua_getfield(L, -1, "src");
		lua_getfield(L, -2, "to");
		lua_getfield(L, -3, "mode");
		lua_getfield(L, -4, "data");
		const char *src = lua_tostring(L, -4), *to = lua_tostring(L, -3), *data = lua_tostring(L, -1);
		long mode = lua_isinteger(L, -2) ? (long)lua_tointeger(L, -2) : -1;
		size_t len = data ? lua_rawlen(L, -1) : 0;
		if ((!src && !data) || !to || to[0] != '/' || !to[1])
			ok = error("docker.put_files: item %d needs src (or data) and an absolute path 'to'", (int)i) == 0;
		else if (data)
			ok = ctxsink_entry(s, to + 1, 'f', mode >= 0 ? (uint32_t)mode & 07777 : 0644, (int64_t)time(NULL), len,
			                   NULL) == 0 && (!len || ctxsink_data(s, data, len) == 0) && ctxsink_end(s) == 0;
		else
			ok = add_entry(s, src, to + 1, mode) == 0;
		lua_pop(L, 5);
	}
	ok = ctxsink_finish(s, ok) == 0 && ok;
	close(fd);
	if (ok && read_file(path, tar) < 0)
		ok = error("cannot read the tar '%s' back:", path) == 0;
	unlink(path);
	free(path);
	return ok ? 0 : -1;
}

/* docker.put_files(container, { {src=, to=, mode=}, ... }): copy local files into a running container at absolute
 * paths, keeping each one's kind (file, directory, symlink) and mode (a file's mode is mode when given; an item
 * with data = "bytes" instead of src is a file of those bytes, mode 0644 unless given), in one archive upload; true, or nil and
 * a message. */
static int l_put_files(lua_State *L)
{
	struct recipe *r = recipe_of(L);
	const char *id = luaL_checkstring(L, 1);
	struct docker *d;
	struct buf tar = BUF_INIT;
	int rc;

	luaL_checktype(L, 2, LUA_TTABLE);
	if (tar_of(L, 2, r->ke && r->ke->tmpdir ? r->ke->tmpdir : (getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp"), &tar) < 0)
		return fail(L, "cannot make the archive for container", id);
	if (!(d = docker_lua_client(L))) {
		buf_release(&tar);
		return fail(L, "no engine for container", id);
	}
	rc = docker_container_put_archive(d, id, "/", &tar);
	buf_release(&tar);
	if (rc == DOCKER_NOT_FOUND) {
		lua_pushnil(L);
		lua_pushfstring(L, "container '%s' not found", id);
		return 2;
	}
	if (rc < 0)
		return fail(L, "cannot copy files into container", id);
	lua_pushboolean(L, 1);
	return 1;
}

/* docker.exec(container, {argv...}, {user=}): run a command (never through a shell) in a running container and
 * wait for it: its exit status and output (stdout and stderr), or nil and a message. */
static int l_exec(lua_State *L)
{
	const char *id = luaL_checkstring(L, 1), *user = NULL;
	const char **argv;
	lua_Integer n;
	struct docker *d;
	struct buf out = BUF_INIT;
	int status, rc;

	luaL_checktype(L, 2, LUA_TTABLE);
	n = luaL_len(L, 2);
	if (n < 1)
		return luaL_argerror(L, 2, "empty command");
	if (lua_type(L, 3) == LUA_TTABLE && lua_getfield(L, 3, "user") != LUA_TNIL)
		user = luaL_checkstring(L, -1);
	argv = lua_newuserdatauv(L, ((size_t)n + 1) * sizeof(*argv), 0);
	luaL_checkstack(L, (int)n + 2, "too many command arguments");
	for (lua_Integer i = 1; i <= n; i++) {
		lua_geti(L, 2, i); /* stays on the stack: argv's pointers stay valid */
		if (!lua_isstring(L, -1))
			return luaL_error(L, "command item %d is a %s, not a string", (int)i, luaL_typename(L, -1));
		argv[i - 1] = lua_tostring(L, -1);
	}
	argv[n] = NULL;
	if (!(d = docker_lua_client(L)))
		return fail(L, "no engine for container", id);
	rc = docker_exec(d, id, argv, user, &out, &status);
	if (rc != 0) {
		buf_release(&out);
		if (rc == DOCKER_NOT_FOUND) {
			lua_pushnil(L);
			lua_pushfstring(L, "container '%s' not found", id);
			return 2;
		}
		return fail(L, "cannot run a command in container", id);
	}
	lua_pushinteger(L, status);
	lua_pushlstring(L, out.data ? out.data : "", out.len);
	buf_release(&out);
	return 2;
}

/* What docker.live_diff gathers: the parts other than context entries that differ (old and now), and the context
 * paths changed (with the digest of each entry now) and removed. */
struct diff_arg {
	struct keyparts *oo, *no;
	struct strv changed, hashes, removed;
};

static void diff_one(const struct keyparts *old, size_t i, const struct keyparts *now, size_t j, void *arg)
{
	struct diff_arg *da = arg;
	const char *name = j != KEYPARTS_NONE ? keyparts_name(now, j) : keyparts_name(old, i);
	char hex[HASH_HEX_LEN + 1];

	if (!str_has_prefix(name, "ctx:")) {
		if (i != KEYPARTS_NONE)
			keyparts_add(da->oo, name, &old->v[i].h, keyparts_value(old, i));
		if (j != KEYPARTS_NONE)
			keyparts_add(da->no, name, &now->v[j].h, keyparts_value(now, j));
	} else if (j == KEYPARTS_NONE) {
		strv_push(&da->removed, name + 4);
	} else {
		strv_push(&da->changed, name + 4);
		hash_hex(&now->v[j].h, hex);
		strv_push(&da->hashes, hex);
	}
}

/* push_list: the strings of sv as a Lua list, set as field name of the table on top. */
static void push_list(lua_State *L, const struct strv *sv, const char *name)
{
	lua_createtable(L, (int)sv->n, 0);
	for (size_t i = 0; i < sv->n; i++) {
		lua_pushstring(L, sv->v[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_setfield(L, -2, name);
}

/* docker.path_exists(container, path): true when path exists in the container (running or stopped), false when it
 * does not (or there is no such container), nil and a message when the engine cannot say. */
static int l_path_exists(lua_State *L)
{
	const char *id = luaL_checkstring(L, 1), *path = luaL_checkstring(L, 2);
	struct docker *d = docker_lua_client(L);
	int rc;

	if (!d)
		return fail(L, "no engine for container", id);
	rc = docker_container_path_exists(d, id, path);
	if (rc < 0)
		return fail(L, "cannot look into container", id);
	lua_pushboolean(L, rc == 0);
	return 1;
}

/* docker.live_diff(task, key): how the working tree differs from the image task's inputs as recorded by the run
 * that built the image with key (32 hex digits; sb.key(task) must have computed the task's key now): a table with
 * changed (context paths added or modified), hashes (changed path -> the digest of its entry now, kind, mode and
 * content), removed (context paths gone), now (the task's key now) and other (lines naming every other
 * part that differs: the Dockerfile's instructions, build args, bases, the recipe), or nil and why when the state
 * holds no record whose parts give that key (the image was built elsewhere, or rebuilt since). */
static int l_live_diff(lua_State *L)
{
	struct recipe *r = recipe_of(L);
	const char *name = luaL_checkstring(L, 1), *want = luaL_checkstring(L, 2);
	struct task *t = graph_find(r->g, name);
	struct keyparts *old = NULL, *oo, *no;
	struct buf blob = BUF_INIT, lines = BUF_INIT;
	char hex[HASH_HEX_LEN + 1];
	struct hash128 h;

	if (!t || !t->parts)
		return luaL_error(L, "docker.live_diff: task '%s' has no key yet: call sb.key first", name);
	if (!r->st)
		return luaL_error(L, "docker.live_diff can only be called by a task while it runs");
	if (t->folded && task_key(t, r->ke) < 0) /* its input files one by one, not their digest */
		return luaL_error(L, "docker.live_diff: task '%s' cannot be keyed", name);
	if (state_get_blob(r->st, t->name, &blob) == 0)
		old = keyparts_decode(blob.data, blob.len);
	buf_release(&blob);
	if (old) {
		/* the recorded parts are those of this image only when they digest to the key it carries */
		h = keyparts_digest(old);
		hash_hex(&h, hex);
	}
	if (!old || strcmp(hex, want) != 0) {
		keyparts_free(old);
		lua_pushnil(L);
		lua_pushfstring(L, "the inputs of image key %s are not recorded here (it was built elsewhere, or '%s' "
		                   "ran since)", want, name);
		return 2;
	}
	oo = keyparts_new();
	no = keyparts_new();
	struct diff_arg da = {oo, no, {0}, {0}, {0}};
	keyparts_diff(old, t->parts, diff_one, &da);
	keyparts_explain(oo, no, &lines, 20);
	keyparts_free(oo);
	keyparts_free(no);
	keyparts_free(old);
	lua_createtable(L, 0, 6);
	push_list(L, &da.changed, "changed");
	push_list(L, &da.removed, "removed");
	lua_createtable(L, 0, (int)da.changed.n);
	for (size_t i = 0; i < da.changed.n; i++) {
		lua_pushstring(L, da.hashes.v[i]);
		lua_setfield(L, -2, da.changed.v[i]);
	}
	lua_setfield(L, -2, "hashes");
	strv_release(&da.changed);
	strv_release(&da.removed);
	strv_release(&da.hashes);
	if (lines.len) {
		lua_pushlstring(L, lines.data, lines.len);
		lua_setfield(L, -2, "other");
	}
	buf_release(&lines);
	hash_hex(&t->key, hex);
	lua_pushstring(L, hex);
	lua_setfield(L, -2, "now");
	return 1;
}

/* record_path: where the live-sync record of a deployment lives: <state dir>/live/<name>. */
static char *record_path(lua_State *L, struct recipe *r, const char *name, int mk)
{
	char *dir;

	if (!r->st)
		luaL_error(L, "docker.live_record can only be called by a task while it runs");
	if (!*name || strchr(name, '/') || name[0] == '.')
		luaL_error(L, "docker.live_record: '%s' is not a deployment name", name);
	dir = xasprintf("%s/live", state_dir(r->st));
	if (mk && mkdir(dir, 0700) < 0 && errno != EEXIST)
		error("cannot create directory '%s':", dir);
	free(dir);
	return xasprintf("%s/live/%s", state_dir(r->st), name);
}

/* docker.live_record(name [, text]): the live-sync record of deployment name (nil when none); with text, replace it
 * durably (written, synced to disk, renamed: a crash leaves the old record or the new one), or with false remove
 * it; returns true then, or nil and a message. Writing in a dry run or a read-only tool raises. */
static int l_live_record(lua_State *L)
{
	struct recipe *r = recipe_of(L);
	const char *name = luaL_checkstring(L, 1);
	struct buf b = BUF_INIT;
	int write = !lua_isnone(L, 2);
	char *path;
	int rc;

	if (write && r->ke && r->ke->readonly)
		return luaL_error(L, "docker.live_record: a dry run or read-only tool cannot write the record of '%s'", name);
	path = record_path(L, r, name, write);
	if (!write) {
		rc = read_file(path, &b);
		free(path);
		if (rc < 0)
			lua_pushnil(L);
		else
			lua_pushlstring(L, b.data ? b.data : "", b.len);
		buf_release(&b);
		return 1;
	}
	if (lua_toboolean(L, 2))
		rc = write_file_atomic(path, lua_tostring(L, 2), lua_rawlen(L, 2));
	else
		rc = unlink(path) < 0 && errno != ENOENT ? -1 : 0;
	if (rc < 0) {
		error("cannot write the live-sync record '%s':", path);
		free(path);
		return fail(L, "cannot record the sync of", name);
	}
	free(path);
	lua_pushboolean(L, 1);
	return 1;
}

static const luaL_Reg sync_lib[] = {
	{"put_files", l_put_files}, {"exec", l_exec}, {"path_exists", l_path_exists}, {"live_diff", l_live_diff},
	{"live_record", l_live_record},
	{NULL, NULL},
};

void dockersync_lua_add(struct lua_State *L, struct recipe *r)
{
	lua_pushlightuserdata(L, r);
	luaL_setfuncs(L, sync_lib, 1);
}
