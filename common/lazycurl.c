/* lazycurl: the libcurl functions docker/ and registry/ call, forwarded to libcurl loaded on first use (see lazylib.h). */
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>
#include <stdarg.h>

#include "lazylib.h"
#include "util.h"

#ifndef SB_LIBCURL_SONAME
#define SB_LIBCURL_SONAME "libcurl.so.4"
#endif

struct lazylib lazy_curl = {SB_LIBCURL_SONAME, "libcurl4", NULL};

#define CURLFN(name) LAZYFN(lazy_curl, name)

CURLcode curl_global_init(long flags)
{
	return CURLFN(curl_global_init)(flags);
}

void curl_global_cleanup(void)
{
	/* never loaded, nothing to clean up: do not load the library just for this */
	if (lazy_curl.handle)
		CURLFN(curl_global_cleanup)();
}

CURL *curl_easy_init(void)
{
	return CURLFN(curl_easy_init)();
}

void curl_easy_cleanup(CURL *c)
{
	CURLFN(curl_easy_cleanup)(c);
}

CURLcode curl_easy_perform(CURL *c)
{
	return CURLFN(curl_easy_perform)(c);
}

const char *curl_easy_strerror(CURLcode code)
{
	return CURLFN(curl_easy_strerror)(code);
}

struct curl_slist *curl_slist_append(struct curl_slist *list, const char *s)
{
	return CURLFN(curl_slist_append)(list, s);
}

void curl_slist_free_all(struct curl_slist *list)
{
	CURLFN(curl_slist_free_all)(list);
}

/* The option number says the type of the one argument that follows (curl.h's CURLOPTTYPE_* ranges). */
CURLcode curl_easy_setopt(CURL *c, CURLoption opt, ...)
{
	CURLcode (*fn)(CURL *, CURLoption, ...) = CURLFN(curl_easy_setopt);
	CURLcode r;
	va_list ap;

	va_start(ap, opt);
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		r = fn(c, opt, va_arg(ap, long));
	else if (opt < CURLOPTTYPE_FUNCTIONPOINT)
		r = fn(c, opt, va_arg(ap, void *));
	else if (opt < CURLOPTTYPE_OFF_T)
		r = fn(c, opt, va_arg(ap, void (*)(void)));
	else if (opt < CURLOPTTYPE_BLOB)
		r = fn(c, opt, va_arg(ap, curl_off_t));
	else
		r = fn(c, opt, va_arg(ap, void *));
	va_end(ap);
	return r;
}

/* Every CURLINFO takes a pointer to where the answer goes. */
CURLcode curl_easy_getinfo(CURL *c, CURLINFO info, ...)
{
	CURLcode (*fn)(CURL *, CURLINFO, ...) = CURLFN(curl_easy_getinfo);
	CURLcode r;
	va_list ap;

	va_start(ap, info);
	r = fn(c, info, va_arg(ap, void *));
	va_end(ap);
	return r;
}
