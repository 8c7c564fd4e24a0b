/* tnet.h: helpers the integration tests share: capture what a client prints to stderr, time a call, listen on a
 * free loopback port, read an HTTP request. Included by the test files that need them; everything is static inline. */
#ifndef SB_TNET_H
#define SB_TNET_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

static int saved_stderr = -1;
static FILE *captured;

/* capture_begin/capture_end: collect what the client prints to stderr (its error messages). */
static inline void capture_begin(void)
{
	fflush(stderr);
	captured = tmpfile();
	saved_stderr = dup(2);
	dup2(fileno(captured), 2);
}

static inline char *capture_end(void)
{
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;

	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	rewind(captured);
	while ((n = fread(chunk, 1, sizeof(chunk), captured)) > 0)
		buf_add(&b, chunk, n);
	fclose(captured);
	buf_adds(&b, "");
	return buf_detach(&b);
}

static inline double seconds_since(int64_t start)
{
	return (double)(mono_ns() - start) / 1e9;
}

/* listener: a TCP socket listening on a free loopback port. */
static inline int listener(int *port)
{
	struct sockaddr_in sa = {0};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		fatal("cannot listen on a loopback port:");
	*port = ntohs(sa.sin_port);
	return fd;
}

/* read_request: read one HTTP request from fd into req: the head, then Content-Length bytes of body. Returns the
 * length of the head (0 when the peer closed before a whole head). Offsets, because buf_add moves the data. */
static inline size_t read_request(int fd, struct buf *req)
{
	char chunk[4096], *end, *cl;
	size_t head = 0, want = 0;
	ssize_t n;

	while (!head || req->len < head + want) {
		if ((n = read(fd, chunk, sizeof(chunk))) <= 0)
			break;
		buf_add(req, chunk, (size_t)n);
		if (!head && (end = strstr(req->data, "\r\n\r\n"))) {
			head = (size_t)(end - req->data) + 4;
			cl = strcasestr(req->data, "\r\nContent-Length:");
			want = cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0;
		}
	}
	return head;
}

#endif
