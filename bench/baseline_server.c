/* baseline_server: the cheapest possible answer to POST /v1/tool, to put
 * the governed runtime's numbers in context. One epoll thread, HTTP/1.1
 * keep-alive, every complete request gets the same 200 JSON.
 *
 *   baseline_server [-p PORT]      (prints "port=N" once listening)
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BODY                                                                   \
	"{\"decision\":\"allow\",\"audit_id\":\"baseline\",\"kind\":"          \
	"\"tool.echo\",\"policy_ref\":\"none\",\"output\":{}}"

struct client {
	int fd;
	char buf[65536];
	size_t len;
};

static const char reply[] = "HTTP/1.1 200 OK\r\n"
                            "Content-Type: application/json\r\n"
                            "Content-Length: %zu\r\n\r\n%s";
static char response[512];
static size_t resplen;

/* Length of the first complete request in c->buf, 0 if incomplete, -1 if
 * it cannot be one. */
static long request_len(struct client *c)
{
	char *eoh, *p;
	long cl = 0;

	c->buf[c->len] = '\0';
	if ((eoh = strstr(c->buf, "\r\n\r\n")) == NULL)
		return c->len >= sizeof(c->buf) - 1 ? -1 : 0;
	for (p = strstr(c->buf, "\r\n"); p && p < eoh;
	     p = strstr(p + 2, "\r\n"))
		if (strncasecmp(p + 2, "Content-Length:", 15) == 0)
			cl = atol(p + 17);
	if (cl < 0 || (size_t)(eoh + 4 - c->buf) + (size_t)cl >= sizeof(c->buf))
		return -1;
	if (c->len < (size_t)(eoh + 4 - c->buf) + (size_t)cl)
		return 0;
	return (long)(eoh + 4 - c->buf) + cl;
}

static void client_close(struct client *c)
{
	close(c->fd);
	free(c);
}

static void client_read(struct client *c)
{
	for (;;) {
		ssize_t n = recv(c->fd, c->buf + c->len,
		                 sizeof(c->buf) - 1 - c->len, 0);
		long len;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			client_close(c);
			return;
		}
		c->len += (size_t)n;
		while ((len = request_len(c)) > 0) {
			/* small fixed answer: a blocking-free send fits */
			if (send(c->fd, response, resplen, MSG_NOSIGNAL) !=
			    (ssize_t)resplen) {
				client_close(c);
				return;
			}
			memmove(c->buf, c->buf + len, c->len - (size_t)len);
			c->len -= (size_t)len;
		}
		if (len < 0) {
			client_close(c);
			return;
		}
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	struct epoll_event ev, evs[256];
	int lfd, ep, one = 1, opt, port = 0;

	while ((opt = getopt(argc, argv, "p:")) != -1) {
		if (opt != 'p') {
			fprintf(stderr, "usage: baseline_server [-p PORT]\n");
			return 2;
		}
		port = atoi(optarg);
	}
	resplen = (size_t)snprintf(response, sizeof(response), reply,
	                           strlen(BODY), BODY);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 1024) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &sl) < 0) {
		perror("baseline_server: listen");
		return 1;
	}
	printf("port=%d\n", ntohs(sa.sin_port));
	fflush(stdout);
	ep = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == NULL) {
				int fd;
				while ((fd = accept4(lfd, NULL, NULL,
				                     SOCK_NONBLOCK)) >= 0) {
					struct client *c =
					    calloc(1, sizeof(*c));
					if (c == NULL) {
						close(fd);
						continue;
					}
					c->fd = fd;
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY,
					           &one, sizeof(one));
					ev.events = EPOLLIN;
					ev.data.ptr = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				}
				continue;
			}
			client_read(evs[i].data.ptr);
		}
	}
}
