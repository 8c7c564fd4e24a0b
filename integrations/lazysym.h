/* lazysym: the dlopen/dlsym plumbing shared by lazycurl.c and lazygit.c (see lazylib.h). */
#ifndef SB_LAZYSYM_H
#define SB_LAZYSYM_H

struct lazylib {
	const char *name;    /* "curl" */
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
