/* lazylib: loading a library on first use and finding its symbols. */
#include <dlfcn.h>
#include <string.h>

#include "lazylib.h"
#include "lazysym.h"
#include "util.h"

extern struct lazylib lazy_curl, lazy_git;

lazyfn_t lazyfn(struct lazylib *lib, const char *name)
{
	lazyfn_t fn;
	void *p;

	if (!lib->handle) {
		lib->handle = dlopen(lib->soname, RTLD_LAZY | RTLD_LOCAL);
		if (!lib->handle)
			fatal("cannot load %s: %s; install the %s package", lib->soname, dlerror(), lib->package);
	}
	p = dlsym(lib->handle, name);
	if (!p)
		fatal("%s has no '%s': %s; sindri-build was built against another version", lib->soname, name, dlerror());
	/* dlsym returns an object pointer; POSIX guarantees it converts to a function pointer */
	memcpy(&fn, &p, sizeof(fn));
	return fn;
}

int lazylib_loaded(const char *name)
{
	if (strcmp(name, "curl") == 0)
		return lazy_curl.handle != NULL;
	if (strcmp(name, "git2") == 0)
		return lazy_git.handle != NULL;
	return 0;
}
