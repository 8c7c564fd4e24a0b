/* http: one libcurl handle set up the same way for every client. */
#include <string.h>

#include "http.h"

/* on_progress: libcurl's progress callback (called at least once a second): nonzero ends the transfer. */
static int on_progress(void *stop, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	return *(volatile int *)stop != 0;
}

CURL *http_open(char *errbuf, curl_write_callback body, curl_write_callback header, int direct, volatile int *stop)
{
	CURL *c;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return NULL;
	if (!(c = curl_easy_init())) {
		curl_global_cleanup();
		return NULL;
	}
	errbuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "sindri-build");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header);
	/* an Authorization header must never be carried to another host */
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
	/* http_proxy in the environment must not divert requests meant for this machine */
	if (direct)
		curl_easy_setopt(c, CURLOPT_PROXY, "");
	if (stop) {
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)stop);
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	}
	return c;
}

void http_close(CURL *c)
{
	if (!c)
		return;
	curl_easy_cleanup(c);
	curl_global_cleanup();
}

void http_done(CURL *c, struct curl_slist *hdrs, int wipe)
{
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, NULL);
	curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	for (struct curl_slist *h = wipe ? hdrs : NULL; h; h = h->next)
		explicit_bzero(h->data, strlen(h->data));
	curl_slist_free_all(hdrs);
}
