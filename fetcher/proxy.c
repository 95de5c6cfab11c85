#include "proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "egress_log.h"
#include "egress_policy.h"
#include "log.h"
#include "proxy_parse.h"
#include "resolve.h"
#include "rules.h"
#include "runtime_rec.h"

#define HEAD_TIMEOUT_MS 30000    /* the request head, from accept */
#define CONNECT_TIMEOUT_MS 10000 /* the upstream connection */
#define IDLE_TIMEOUT_MS 300000   /* no byte either way */
#define RELAY_BUF (128 * 1024)
#define CONFIG_MAX (256 * 1024)

struct pworker {
	int id;
	pthread_t thread;
	nng_ctx wal;
};

static struct rules hosts;
static struct resolver *resolver;
static struct pworker workers[PROXY_WORKERS];
static int listen_fd = -1, log_fd = -1;
static size_t max_body = PROXY_MAX_BODY_DEFAULT;
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static int log_broken; /* under log_mu: a line could not be written */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- descriptor I/O with deadlines (sockets are non-blocking) ---------- */

static int wait_fd(int fd, short ev, int timeout_ms)
{
	struct pollfd p = {fd, ev, 0};
	int n;

	do
		n = poll(&p, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		errno = ETIMEDOUT;
	return n > 0 ? 0 : -1;
}

/* Up to n bytes: >0, 0 at EOF, -1 on error or timeout. */
static ssize_t read_some(int fd, char *b, size_t n, int timeout_ms)
{
	for (;;) {
		ssize_t k = read(fd, b, n);
		if (k >= 0)
			return k;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN || wait_fd(fd, POLLIN, timeout_ms) < 0)
			return -1;
	}
}

static int write_all(int fd, const char *b, size_t n, int timeout_ms)
{
	while (n > 0) {
		ssize_t k = send(fd, b, n, MSG_NOSIGNAL);
		if (k > 0) {
			b += k;
			n -= (size_t)k;
		} else if (k < 0 && errno == EINTR) {
			continue;
		} else if (k < 0 && errno == EAGAIN) {
			if (wait_fd(fd, POLLOUT, timeout_ms) < 0)
				return -1;
		} else {
			return -1;
		}
	}
	return 0;
}

/* ---- one connection ---------------------------------------------------- */

struct conn {
	struct pworker *w;
	int c, u; /* the workload's connection, upstream's */
	int64_t t0_ms, t0_ns;
	char audit_id[EGRESS_AUDIT_ID_LEN];
	char head[PROXY_HEAD_MAX];
	size_t have, head_len; /* bytes in head; the head's length */
	struct proxy_request *req;
	int parsed;
	struct proxy_response *resp;
	const struct rule *rule;
	char port[8], address[INET6_ADDRSTRLEN], path[2048];
	char reason[EGRESS_REASON_MAX];
	struct sockaddr_storage addr;
	uint64_t up, down, in; /* to upstream, to the workload, read */
	struct capture req_body, resp_body;
	int status; /* the response's, for plain HTTP */
};

static uint64_t elapsed_ms(const struct conn *k)
{
	return (uint64_t)(mono_ms() - k->t0_ms);
}

static void audit_line(struct conn *k, const char *decision)
{
	struct egress_audit a;
	char *line;
	int ok = 1;

	if (log_fd < 0)
		return;
	memset(&a, 0, sizeof(a));
	a.audit_id = k->audit_id;
	a.decision = decision;
	a.reason = k->reason;
	if (k->parsed) {
		a.req = k->req;
		a.method = k->req->method;
		a.target = k->req->kind == PROXY_CONNECT
		               ? k->req->u.canonical + strlen("http://")
		               : k->req->u.canonical;
		a.host = k->req->u.host;
		a.port = k->req->u.port;
		a.tunnel = k->req->kind == PROXY_CONNECT;
	}
	if (a.target != NULL && a.tunnel) {
		/* the authority without the trailing "/" */
		static __thread char auth[URL_HOST_MAX + 16];
		snprintf(auth, sizeof(auth), "%s", a.target);
		auth[strcspn(auth, "/")] = '\0';
		a.target = auth;
	}
	a.address = k->address;
	a.rule = k->rule ? k->rule->text : NULL;
	a.req_body = &k->req_body;
	a.resp = k->resp != NULL && k->status != 0 ? k->resp : NULL;
	a.resp_body = &k->resp_body;
	a.bytes_up = k->up;
	a.bytes_down = k->down;
	a.duration_ms = elapsed_ms(k);
	a.time_ns = k->t0_ns;
	if ((line = egress_audit_json(&a)) == NULL) {
		log_warnx("egress %s: cannot make the audit line", k->audit_id);
		ok = 0;
	}
	pthread_mutex_lock(&log_mu);
	if (ok && !log_broken) {
		size_t n = strlen(line), off = 0;
		while (off < n) {
			ssize_t w = write(log_fd, line + off, n - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				log_warnx("--egress-audit-log: write: %s; "
				          "every further request is refused",
				          strerror(errno));
				log_broken = 1;
				break;
			}
			off += (size_t)w;
		}
	} else if (!ok) {
		log_broken = 1;
	}
	pthread_mutex_unlock(&log_mu);
	free(line);
}

static int audit_log_broken(void)
{
	int b;

	pthread_mutex_lock(&log_mu);
	b = log_broken;
	pthread_mutex_unlock(&log_mu);
	return b;
}

/* The request's facts every record carries (what is known of them). */
static void rec_target(struct conn *k, struct runtime_rec *r)
{
	if (!k->parsed)
		return;
	runtime_rec_add(r, "method", k->req->method);
	runtime_rec_add(r, "host", k->req->u.host);
	runtime_rec_add(r, "port", k->port);
	if (k->req->kind == PROXY_HTTP)
		runtime_rec_add(r, "path", k->path);
}

/* egress.deny, durable, then the refusal; the connection is closed. */
static void deny(struct conn *k, int status)
{
	struct runtime_rec r = {.kind = "egress.deny"};
	char st[8], in[24], dur[24], err[256], resp[1024];
	size_t n;

	snprintf(st, sizeof(st), "%d", status);
	snprintf(in, sizeof(in), "%llu", (unsigned long long)k->have);
	snprintf(dur, sizeof(dur), "%llu", (unsigned long long)elapsed_ms(k));
	rec_target(k, &r);
	runtime_rec_add(&r, "reason", k->reason);
	runtime_rec_add(&r, "status", st);
	runtime_rec_add(&r, "bytes_in", in);
	runtime_rec_add(&r, "duration_ms", dur);
	if (runtime_rec_write(k->w->wal, k->audit_id, "egress", &r, err,
	                      sizeof(err)) < 0) {
		log_warnx("egress %s: egress.deny not recorded: %s",
		          k->audit_id, err);
		status = 503;
		snprintf(k->reason, sizeof(k->reason),
		         "the decision could not be recorded");
	}
	n = proxy_refusal(status, k->reason, k->audit_id, resp, sizeof(resp));
	(void)write_all(k->c, resp, n, 5000);
	k->down = n;
	audit_line(k, "deny");
}

/* Reads the head; 0, or -1 with the status to refuse with in *status
 * (0: the workload went away before a byte, nothing to record). */
static int read_head(struct conn *k, int *status)
{
	int64_t deadline = k->t0_ms + HEAD_TIMEOUT_MS;

	for (;;) {
		ssize_t hl = proxy_head_len(k->head, k->have, PROXY_HEAD_MAX);
		ssize_t n;
		int left = (int)(deadline - mono_ms());
		if (hl > 0) {
			k->head_len = (size_t)hl;
			return 0;
		}
		if (hl < 0) {
			*status = 431;
			snprintf(k->reason, sizeof(k->reason),
			         "the request head is larger than %d bytes",
			         PROXY_HEAD_MAX);
			return -1;
		}
		n = left > 0 ? read_some(k->c, k->head + k->have,
		                         sizeof(k->head) - k->have, left)
		             : (errno = ETIMEDOUT, -1);
		if (n > 0) {
			k->have += (size_t)n;
			continue;
		}
		if (n == 0 && k->have == 0) {
			*status = 0;
			return -1;
		}
		*status = n < 0 && errno == ETIMEDOUT ? 408 : 400;
		snprintf(k->reason, sizeof(k->reason), "%s",
		         *status == 408 ? "no whole request head within 30 s"
		                        : "the connection ended inside the "
		                          "request head");
		return -1;
	}
}

/* Resolves and checks; 0 with k->addr set, or -1 with the status. */
static int decide(struct conn *k, int *status)
{
	struct sockaddr_storage addrs[RESOLVE_MAX_ADDRS];
	int n = 1;
	char err[256];

	*status = 403;
	if ((k->rule = egress_match(&hosts, &k->req->u, k->reason,
	                            sizeof(k->reason))) == NULL)
		return -1;
	if (!egress_literal(&k->req->u, &addrs[0]) &&
	    (n = resolver_lookup(resolver, k->w->id, k->req->u.host, addrs,
	                         RESOLVE_MAX_ADDRS, err, sizeof(err))) < 0) {
		snprintf(k->reason, sizeof(k->reason), "%s", err);
		*status = 502;
		return -1;
	}
	if (egress_check_addrs(&hosts, k->rule, &k->req->u, addrs, (size_t)n,
	                       k->reason, sizeof(k->reason)) < 0)
		return -1;
	k->addr = addrs[0];
	if (k->addr.ss_family == AF_INET) {
		((struct sockaddr_in *)&k->addr)->sin_port =
		    htons((uint16_t)k->req->u.port);
		inet_ntop(AF_INET, &((struct sockaddr_in *)&k->addr)->sin_addr,
		          k->address, sizeof(k->address));
	} else {
		((struct sockaddr_in6 *)&k->addr)->sin6_port =
		    htons((uint16_t)k->req->u.port);
		inet_ntop(AF_INET6,
		          &((struct sockaddr_in6 *)&k->addr)->sin6_addr,
		          k->address, sizeof(k->address));
	}
	return 0;
}

/* The connection to the checked address, and no other. */
static int connect_upstream(struct conn *k)
{
	socklen_t len = k->addr.ss_family == AF_INET
	                    ? sizeof(struct sockaddr_in)
	                    : sizeof(struct sockaddr_in6);
	int fd = socket(k->addr.ss_family,
	                SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int e = 0, one = 1;
	socklen_t elen = sizeof(e);

	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&k->addr, len) < 0) {
		if (errno != EINPROGRESS ||
		    wait_fd(fd, POLLOUT, CONNECT_TIMEOUT_MS) < 0 ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) < 0 ||
		    e != 0) {
			if (e != 0)
				errno = e;
			e = errno;
			close(fd);
			errno = e;
			return -1;
		}
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	k->u = fd;
	return 0;
}

/* ---- CONNECT: both directions until both ends closed ------------------ */

struct pipe_dir {
	int from, to;
	char *buf;
	size_t off, len;
	int eof, shut;
	uint64_t *count;
};

static int tunnel(struct conn *k, char *err, size_t errlen)
{
	struct pipe_dir d[2] = {
	    {k->c, k->u, malloc(RELAY_BUF), 0, 0, 0, 0, &k->up},
	    {k->u, k->c, malloc(RELAY_BUF), 0, 0, 0, 0, &k->down}};
	int rc = -1;

	if (d[0].buf == NULL || d[1].buf == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	/* what followed the CONNECT head (a client hello sent early) */
	if (k->have > k->head_len) {
		d[0].len = k->have - k->head_len;
		memcpy(d[0].buf, k->head + k->head_len, d[0].len);
	}
	while (!(d[0].shut && d[1].shut)) {
		struct pollfd p[2] = {{k->c, 0, 0}, {k->u, 0, 0}};
		int n;
		for (int i = 0; i < 2; i++) {
			struct pollfd *src = &p[i], *dst = &p[1 - i];
			if (d[i].len > 0)
				dst->events |= POLLOUT;
			else if (!d[i].eof)
				src->events |= POLLIN;
		}
		do
			n = poll(p, 2, IDLE_TIMEOUT_MS);
		while (n < 0 && errno == EINTR);
		if (n <= 0) {
			snprintf(err, errlen, "idle for %d s",
			         IDLE_TIMEOUT_MS / 1000);
			goto out;
		}
		for (int i = 0; i < 2; i++) {
			struct pipe_dir *x = &d[i];
			if (x->len > 0) {
				ssize_t w = send(x->to, x->buf + x->off, x->len,
				                 MSG_NOSIGNAL);
				if (w < 0 && errno != EAGAIN &&
				    errno != EINTR) {
					snprintf(err, errlen, "%s: %s",
					         i ? "to the workload"
					           : "to upstream",
					         strerror(errno));
					goto out;
				}
				if (w > 0) {
					x->off += (size_t)w;
					x->len -= (size_t)w;
					*x->count += (uint64_t)w;
				}
				if (x->len == 0)
					x->off = 0;
			} else if (!x->eof) {
				ssize_t r = read(x->from, x->buf, RELAY_BUF);
				if (r < 0 && errno != EAGAIN &&
				    errno != EINTR) {
					if (errno == ECONNRESET) {
						x->eof = 1;
					} else {
						snprintf(err, errlen, "%s: %s",
						         i ? "from upstream"
						           : "from the "
						             "workload",
						         strerror(errno));
						goto out;
					}
				}
				if (r == 0)
					x->eof = 1;
				if (r > 0)
					x->len = (size_t)r;
			}
			if (x->eof && x->len == 0 && !x->shut) {
				shutdown(x->to, SHUT_WR);
				x->shut = 1;
			}
		}
	}
	rc = 0;
out:
	free(d[0].buf);
	free(d[1].buf);
	return rc;
}

/* ---- plain HTTP: one request, one response ----------------------------- */

static void capture_cb(void *arg, const char *p, size_t n)
{
	capture_add(arg, p, n);
}

/* Forwards the request body (what followed the head first). */
static int forward_body(struct conn *k, char *buf, char *err, size_t errlen)
{
	struct chunk_dec cd;
	uint64_t left = k->req->content_length;
	size_t n = k->have - k->head_len;
	const char *p = k->head + k->head_len;

	memset(&cd, 0, sizeof(cd));
	if (k->req->body == PROXY_BODY_NONE)
		return 0;
	for (;;) {
		size_t take = n;
		if (k->req->body == PROXY_BODY_LENGTH) {
			if ((uint64_t)take > left)
				take = (size_t)left;
			capture_add(&k->req_body, p, take);
			left -= take;
		} else if (take > 0) {
			ssize_t used =
			    chunk_feed(&cd, p, take, capture_cb, &k->req_body);
			if (used < 0) {
				snprintf(err, errlen,
				         "the request's chunked body is "
				         "malformed");
				return -1;
			}
			take = (size_t)used;
		}
		if (take > 0 && write_all(k->u, p, take, IDLE_TIMEOUT_MS) < 0) {
			snprintf(err, errlen, "to upstream: %s",
			         strerror(errno));
			return -1;
		}
		k->up += take;
		if (k->req->body == PROXY_BODY_LENGTH ? left == 0
		                                      : chunk_done(&cd))
			return 0;
		ssize_t r = read_some(k->c, buf, RELAY_BUF, IDLE_TIMEOUT_MS);
		if (r <= 0) {
			snprintf(err, errlen,
			         "the workload's request body ended early");
			return -1;
		}
		k->in += (uint64_t)r;
		p = buf;
		n = (size_t)r;
	}
}

/* The end of a response head in b[0..n) ("\n\n" or "\n\r\n"), or 0. */
static size_t response_head_len(const char *b, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (b[i] == '\n' &&
		    (b[i - 1] == '\n' ||
		     (i >= 2 && b[i - 1] == '\r' && b[i - 2] == '\n')))
			return i + 1;
	return 0;
}

/* Reads the response head (1xx heads passed on as they are), forwards
 * it rewritten, then the body: by Content-Length, chunked framing, or
 * until upstream closes. */
static int relay_response(struct conn *k, char *buf, char *err, size_t errlen)
{
	size_t have = 0, hl;
	char *out;
	ssize_t olen;
	const char *cl;
	uint64_t left = UINT64_MAX;
	struct chunk_dec cd;
	int body = 1;

	for (;;) {
		while ((hl = response_head_len(buf, have)) == 0) {
			ssize_t r;
			if (have == PROXY_RESPONSE_HEAD_MAX) {
				snprintf(err, errlen,
				         "upstream's response head is larger "
				         "than %d bytes",
				         PROXY_RESPONSE_HEAD_MAX);
				return 502;
			}
			r = read_some(k->u, buf + have,
			              PROXY_RESPONSE_HEAD_MAX - have,
			              IDLE_TIMEOUT_MS);
			if (r <= 0) {
				snprintf(err, errlen,
				         "upstream sent no response head "
				         "(%s)",
				         r == 0 ? "closed" : strerror(errno));
				return 502;
			}
			have += (size_t)r;
		}
		if (proxy_parse_response(buf, hl, k->resp, err, errlen) < 0)
			return 502;
		if (k->resp->status >= 200 || k->resp->status == 101)
			break;
		/* 1xx (100 Continue, 103 Early Hints): passed on */
		if (write_all(k->c, buf, hl, IDLE_TIMEOUT_MS) < 0)
			return -1;
		k->down += hl;
		memmove(buf, buf + hl, have - hl);
		have -= hl;
	}
	if (k->resp->status == 101) {
		snprintf(err, errlen,
		         "upstream switched protocols (Upgrade "
		         "is not proxied)");
		return 502;
	}
	k->status = k->resp->status;
	if ((out = malloc(PROXY_RESPONSE_HEAD_MAX + 64)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return 502;
	}
	olen = proxy_client_head(k->resp, out, PROXY_RESPONSE_HEAD_MAX + 64);
	if (olen < 0) {
		free(out);
		snprintf(err, errlen, "the response head does not fit");
		return 502;
	}
	if (write_all(k->c, out, (size_t)olen, IDLE_TIMEOUT_MS) < 0) {
		free(out);
		snprintf(err, errlen, "to the workload: %s", strerror(errno));
		return -1;
	}
	free(out);
	k->down += (uint64_t)olen;

	memset(&cd, 0, sizeof(cd));
	if (strcmp(k->req->method, "HEAD") == 0 || k->status == 204 ||
	    k->status == 304)
		body = 0;
	for (size_t i = 0; i < k->resp->nh; i++)
		if (strcasecmp(k->resp->h[i].name, "content-length") == 0 &&
		    !k->resp->chunked) {
			char *end;
			cl = k->resp->h[i].value;
			errno = 0;
			left = strtoull(cl, &end, 10);
			if (errno != 0 || *end != '\0' || end == cl) {
				snprintf(err, errlen,
				         "upstream's Content-Length is not a "
				         "number");
				return -1;
			}
		}
	/* the body bytes that came with the head, then the rest */
	size_t n = have - hl;
	char *p = buf + hl;
	while (body) {
		size_t take = n;
		if (k->resp->chunked) {
			ssize_t used =
			    chunk_feed(&cd, p, n, capture_cb, &k->resp_body);
			if (used < 0) {
				/* passed on as is: the workload's client
				 * judges the framing; only our copy ends */
				k->resp->chunked = 0;
				used = (ssize_t)n;
			}
			take = (size_t)used;
		} else {
			if ((uint64_t)take > left)
				take = (size_t)left;
			capture_add(&k->resp_body, p, take);
			left -= take;
		}
		if (take > 0 && write_all(k->c, p, take, IDLE_TIMEOUT_MS) < 0) {
			snprintf(err, errlen, "to the workload: %s",
			         strerror(errno));
			return -1;
		}
		k->down += take;
		if (k->resp->chunked ? chunk_done(&cd) : left == 0)
			break;
		ssize_t r = read_some(k->u, buf, RELAY_BUF, IDLE_TIMEOUT_MS);
		if (r == 0 && left == UINT64_MAX && !k->resp->chunked)
			break; /* the body ends where upstream closes */
		if (r <= 0) {
			snprintf(err, errlen, "upstream: the body ended early");
			return -1;
		}
		p = buf;
		n = (size_t)r;
	}
	return 0;
}

static int serve_http(struct conn *k, char *err, size_t errlen)
{
	char *buf = malloc(RELAY_BUF > PROXY_RESPONSE_HEAD_MAX
	                       ? RELAY_BUF
	                       : PROXY_RESPONSE_HEAD_MAX);
	char *head = malloc(PROXY_HEAD_MAX + 256);
	ssize_t hn;
	int rc = -1;

	k->resp = calloc(1, sizeof(*k->resp));
	if (buf == NULL || head == NULL || k->resp == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if ((hn = proxy_upstream_head(k->req, head, PROXY_HEAD_MAX + 256)) <
	    0) {
		snprintf(err, errlen, "the request head does not fit");
		goto out;
	}
	if (k->req->expect_continue &&
	    write_all(k->c, "HTTP/1.1 100 Continue\r\n\r\n", 25,
	              IDLE_TIMEOUT_MS) < 0) {
		snprintf(err, errlen, "to the workload: %s", strerror(errno));
		goto out;
	}
	if (write_all(k->u, head, (size_t)hn, IDLE_TIMEOUT_MS) < 0) {
		snprintf(err, errlen, "to upstream: %s", strerror(errno));
		goto out;
	}
	k->up += (uint64_t)hn;
	if (forward_body(k, buf, err, errlen) < 0)
		goto out;
	rc = relay_response(k, buf, err, errlen);
	if (rc > 0) {
		/* nothing was sent to the workload yet: say why */
		char resp[1024];
		size_t n =
		    proxy_refusal(rc, err, k->audit_id, resp, sizeof(resp));
		if (write_all(k->c, resp, n, 5000) == 0)
			k->down += n;
		rc = -1;
	}
out:
	free(buf);
	free(head);
	return rc;
}

/* egress.end: how it went. */
static void record_end(struct conn *k, const char *error)
{
	struct runtime_rec r = {.kind = "egress.end"};
	char up[24], down[24], dur[24], st[8], err[256];

	snprintf(up, sizeof(up), "%llu", (unsigned long long)k->up);
	snprintf(down, sizeof(down), "%llu", (unsigned long long)k->down);
	snprintf(dur, sizeof(dur), "%llu", (unsigned long long)elapsed_ms(k));
	rec_target(k, &r);
	runtime_rec_add(&r, "address", k->address);
	runtime_rec_add(&r, "bytes_up", up);
	runtime_rec_add(&r, "bytes_down", down);
	runtime_rec_add(&r, "duration_ms", dur);
	if (k->status != 0) {
		snprintf(st, sizeof(st), "%d", k->status);
		runtime_rec_add(&r, "status", st);
	}
	if (error != NULL && *error != '\0')
		runtime_rec_add(&r, "error", error);
	if (runtime_rec_write(k->w->wal, k->audit_id, "egress", &r, err,
	                      sizeof(err)) < 0)
		log_warnx("egress %s: egress.end not recorded: %s", k->audit_id,
		          err);
}

static void serve_conn(struct pworker *w, int c)
{
	struct conn *k = calloc(1, sizeof(*k));
	struct runtime_rec r = {.kind = "egress.allow"};
	char perr[PROXY_ERR_MAX], err[320] = "";
	int status;

	if (k == NULL || (k->req = malloc(sizeof(*k->req))) == NULL) {
		log_warnx("egress: out of memory");
		close(c);
		free(k);
		return;
	}
	k->w = w;
	k->c = c;
	k->u = -1;
	k->t0_ms = mono_ms();
	k->t0_ns = now_ns();
	capture_init(&k->req_body, max_body);
	capture_init(&k->resp_body, max_body);
	if (egress_audit_id(k->audit_id) < 0)
		fatalx("getrandom");

	if (read_head(k, &status) < 0) {
		if (status != 0)
			deny(k, status);
		goto out;
	}
	if ((status = proxy_parse_request(k->head, k->head_len, k->req, perr,
	                                  sizeof(perr))) != 0) {
		snprintf(k->reason, sizeof(k->reason), "%s", perr);
		deny(k, status);
		goto out;
	}
	k->parsed = 1;
	snprintf(k->port, sizeof(k->port), "%u", k->req->u.port);
	if (k->req->kind == PROXY_HTTP) {
		/* the path without the query (which may carry secrets) */
		const char *p = url_path(&k->req->u);
		snprintf(k->path, sizeof(k->path), "%.*s", (int)strcspn(p, "?"),
		         p);
	}
	if (audit_log_broken()) {
		snprintf(k->reason, sizeof(k->reason),
		         "the egress audit log cannot be written: every "
		         "request is refused");
		deny(k, 503);
		goto out;
	}
	if (decide(k, &status) < 0) {
		deny(k, status);
		goto out;
	}
	rec_target(k, &r);
	runtime_rec_add(&r, "address", k->address);
	runtime_rec_add(&r, "rule", k->rule->text);
	if (runtime_rec_write(w->wal, k->audit_id, "egress", &r, err,
	                      sizeof(err)) < 0) {
		/* no record, no connection */
		char resp[1024];
		size_t n;
		log_warnx("egress %s: egress.allow not recorded: %s",
		          k->audit_id, err);
		n = proxy_refusal(503, "the decision could not be recorded",
		                  k->audit_id, resp, sizeof(resp));
		(void)write_all(c, resp, n, 5000);
		goto out;
	}
	if (connect_upstream(k) < 0) {
		char resp[1024];
		size_t n;
		snprintf(err, sizeof(err), "connect %s port %u: %s", k->address,
		         k->req->u.port, strerror(errno));
		n = proxy_refusal(errno == ETIMEDOUT ? 504 : 502, err,
		                  k->audit_id, resp, sizeof(resp));
		if (write_all(c, resp, n, 5000) == 0)
			k->down = n;
	} else if (k->req->kind == PROXY_CONNECT) {
		static const char ok[] =
		    "HTTP/1.1 200 Connection established\r\n\r\n";
		if (write_all(c, ok, sizeof(ok) - 1, IDLE_TIMEOUT_MS) < 0)
			snprintf(err, sizeof(err), "to the workload: %s",
			         strerror(errno));
		else
			(void)tunnel(k, err, sizeof(err));
	} else {
		(void)serve_http(k, err, sizeof(err));
	}
	/* the workload has its answer before we write the end record */
	close(c);
	c = -1;
	if (k->u >= 0)
		close(k->u);
	k->u = -1;
	snprintf(k->reason, sizeof(k->reason), "%s", err);
	record_end(k, err);
	audit_line(k, "allow");
out:
	if (c >= 0)
		close(c);
	if (k->u >= 0)
		close(k->u);
	capture_free(&k->req_body);
	capture_free(&k->resp_body);
	free(k->resp);
	free(k->req);
	free(k);
}

static void *proxy_worker(void *arg)
{
	struct pworker *w = arg;

	for (;;) {
		int c = accept4(listen_fd, NULL, NULL,
		                SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (c < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM)
				usleep(100000);
			else if (errno != EINTR && errno != ECONNABORTED &&
			         errno != EAGAIN)
				fatal("egress proxy: accept");
			continue;
		}
		serve_conn(w, c);
	}
	return NULL;
}

/* ---- start-up ---------------------------------------------------------- */

static void load_config(int fd)
{
	char *text = malloc(CONFIG_MAX + 1), *save = NULL, err[320];
	size_t len = 0;
	ssize_t n;

	if (text == NULL)
		fatalx("egress config: out of memory");
	while ((n = read(fd, text + len, CONFIG_MAX - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fatal("egress config: fd %d", fd);
		len += (size_t)n;
		if (len == CONFIG_MAX)
			fatalx("egress config: over %d bytes", CONFIG_MAX);
	}
	close(fd);
	text[len] = '\0';
	if (strlen(text) != len)
		fatalx("egress config: a NUL byte");
	for (char *line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "allow-host ", 11) == 0) {
			if (rules_add(&hosts, line + 11, err, sizeof(err)) < 0)
				fatalx("egress config: allow-host %s", err);
		} else if (strncmp(line, "max-body-bytes ", 15) == 0) {
			char *end;
			unsigned long v = strtoul(line + 15, &end, 10);
			if (*end != '\0' || end == line + 15 ||
			    v > PROXY_MAX_BODY_MAX)
				fatalx("egress config: max-body-bytes %.32s",
				       line + 15);
			max_body = v;
		} else {
			fatalx("egress config: unknown line \"%.64s\"", line);
		}
	}
	free(text);
	if (hosts.n == 0)
		fatalx("egress config: no allow-host (the proxy exists "
		       "only with --allow-host)");
}

const struct rules *proxy_hosts(void)
{
	return &hosts;
}

void proxy_load(int lfd, int config_fd, int lgfd)
{
	int fl;

	load_config(config_fd);
	listen_fd = lfd;
	log_fd = lgfd;
	/* blocking accept in every worker: the kernel hands each
	 * connection to one of them */
	if ((fl = fcntl(lfd, F_GETFL)) < 0 ||
	    fcntl(lfd, F_SETFL, fl & ~O_NONBLOCK) < 0)
		fatal("--proxy-fd %d", lfd);
	if ((resolver = resolver_open(PROXY_WORKERS)) == NULL)
		fatalx("egress resolver: out of memory");
	log_debug("egress proxy: %zu allowed hosts, bodies logged up to %zu "
	          "bytes%s",
	          hosts.n, max_body, log_fd >= 0 ? "" : " (no audit log)");
}

void proxy_attach(nng_socket wal)
{
	int rv;

	for (int i = 0; i < PROXY_WORKERS; i++) {
		workers[i].id = i;
		if ((rv = nng_ctx_open(&workers[i].wal, wal)) != 0)
			fatalx("nng ctx: %s", nng_strerror(rv));
	}
}

void proxy_start(void)
{
	for (int i = 0; i < PROXY_WORKERS; i++)
		if (pthread_create(&workers[i].thread, NULL, proxy_worker,
		                   &workers[i]) != 0)
			fatalx("pthread_create");
}
