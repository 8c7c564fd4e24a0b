/* http: the libcurl setup that the Docker engine client (docker/) and the registry client (registry/) share. */
#ifndef SB_HTTP_H
#define SB_HTTP_H

#include <curl/curl.h>

/* http_open: a libcurl handle, libcurl loaded and initialised first, that never uses signals, names itself
 * sindri-build, follows no redirect, speaks only http and https, leaves its error text in errbuf (CURL_ERROR_SIZE
 * bytes) and hands bodies to body and header lines to header (their data pointers are the caller's to set). direct:
 * no proxy from the environment (a local socket, a loopback address). stop (may be NULL): a request in flight is
 * abandoned, within a second, once *stop is set (CURLE_ABORTED_BY_CALLBACK), so ^C never waits for a slow peer.
 * NULL when libcurl cannot be initialised. Close with http_close. */
CURL *http_open(char *errbuf, curl_write_callback body, curl_write_callback header, int direct, volatile int *stop);
/* http_done: after a request on c: nothing of it may dangle in the handle once the caller frees it (headers, body,
 * method, where the body went; where header lines go is the caller's), the next request starts as a GET, and hdrs (the request's headers) is freed, wiped
 * first when it held a secret (wipe). */
void http_done(CURL *c, struct curl_slist *hdrs, int wipe);
/* http_close: free the handle and drop this user of libcurl (NULL is fine). */
void http_close(CURL *c);

#endif
