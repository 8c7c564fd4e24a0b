/* lazylib: loading a library on first use and finding its symbols. */
#include <dlfcn.h>
#include <string.h>

#include "lazylib.h"
#include "util.h"

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
