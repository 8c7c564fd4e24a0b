/* luaproc: os.execute and io.popen through proc_start (luaproc.h). They return what Lua's own return. */
#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "luaproc.h"
#include "proc.h"

/* A pipe to a shell: a file handle the io library knows (luaL_Stream comes first) and the shell to wait for. */
struct pstream {
	luaL_Stream s;
	pid_t pid;
};

/* sh_start: start "/bin/sh -c cmd" with the given stdin and stdout; 0 with *pid set, or an errno value. */
static int sh_start(pid_t *pid, const char *cmd, int in, int out)
{
	char *argv[] = {(char *)"/bin/sh", (char *)"-c", (char *)cmd, NULL};
	struct spawnopts o = {NULL, {in, out, PROC_INHERIT}, NULL, 0, 0};

	return proc_start(pid, argv, &o);
}

/* wait_status: the wait status of pid, errno 0; -1 with errno set when it cannot be had. */
static int wait_status(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	errno = 0; /* luaL_execresult reads a nonzero status with errno set as a failure to wait */
	return st;
}

static int os_execute(lua_State *L)
{
	const char *cmd = luaL_optstring(L, 1, NULL);
	pid_t pid;
	int err;

	if (!cmd) {
		lua_pushboolean(L, access("/bin/sh", X_OK) == 0);
		return 1;
	}
	if ((err = sh_start(&pid, cmd, PROC_INHERIT, PROC_INHERIT)) != 0) {
		errno = err;
		return luaL_fileresult(L, 0, NULL);
	}
	return luaL_execresult(L, wait_status(pid));
}

/* pstream_close: the closef of a pipe to a shell: close it and wait for the shell. */
static int pstream_close(lua_State *L)
{
	struct pstream *p = luaL_checkudata(L, 1, LUA_FILEHANDLE);

	fclose(p->s.f);
	return luaL_execresult(L, wait_status(p->pid));
}

static int io_popen(lua_State *L)
{
	const char *cmd = luaL_checkstring(L, 1);
	const char *mode = luaL_optstring(L, 2, "r");
	struct pstream *p;
	int fds[2], rd, err;

	luaL_argcheck(L, (mode[0] == 'r' || mode[0] == 'w') && mode[1] == '\0', 2, "invalid mode");
	rd = mode[0] == 'r';
	p = lua_newuserdatauv(L, sizeof(*p), 0);
	p->s.f = NULL;
	p->s.closef = NULL; /* closed until the shell runs */
	luaL_setmetatable(L, LUA_FILEHANDLE);
	if (pipe2(fds, O_CLOEXEC) < 0)
		return luaL_fileresult(L, 0, cmd);
	/* ours is fds[0] for reading the shell's stdout, fds[1] for writing its stdin */
	err = sh_start(&p->pid, cmd, rd ? PROC_INHERIT : fds[0], rd ? fds[1] : PROC_INHERIT);
	close(fds[rd]);
	if (err == 0 && !(p->s.f = fdopen(fds[!rd], mode))) {
		err = errno;
		close(fds[!rd]);
		wait_status(p->pid);
	} else if (err != 0) {
		close(fds[!rd]);
	}
	if (err != 0) {
		errno = err;
		return luaL_fileresult(L, 0, cmd);
	}
	p->s.closef = pstream_close;
	return 1;
}

void luaproc_open(lua_State *L)
{
	lua_getglobal(L, LUA_OSLIBNAME);
	lua_pushcfunction(L, os_execute);
	lua_setfield(L, -2, "execute");
	lua_getglobal(L, LUA_IOLIBNAME);
	lua_pushcfunction(L, io_popen);
	lua_setfield(L, -2, "popen");
	lua_pop(L, 2);
}
