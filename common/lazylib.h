/* lazylib: libcurl and libgit2 are loaded with dlopen on first use instead of at start-up.
 *
 * Linked normally, the two libraries and the ~40 libraries they pull in cost every run about 5 ms of dynamic
 * loading, more than a whole no-op build of 600 files. lazycurl.c and lazygit.c define each function the
 * subsystems call, with the library's own prototype (checked against its header), and forwards the call to the
 * real function found with dlsym. The binary therefore links neither library; a run that talks to no Docker engine,
 * registry or git repository never loads them. A library that cannot be loaded when first needed is a fatal error
 * naming the library and the package to install, as a missing library at start-up would have been. */
#ifndef SB_LAZYLIB_H
#define SB_LAZYLIB_H

struct lazylib {
	const char *soname;  /* what dlopen loads */
	const char *package; /* what to install when it is missing */
	void *handle;
};

typedef void (*lazyfn_t)(void);

/* lazyfn: the function name in lib, loading lib first; dies naming the library when it cannot. */
lazyfn_t lazyfn(struct lazylib *lib, const char *name);

/* LAZYFN: the real function behind one of ours, with its own type. */
#define LAZYFN(lib, name) ((__typeof__(&name))lazyfn(&(lib), #name))

#endif
