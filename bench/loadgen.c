/* loadgen: HTTP/1.1 keep-alive load against POST /v1/tool.
 *
 *   loadgen [-u URL] [-t TOKEN] [-c CONNS] [-d SECONDS] [-r RATE]
 *           [-T THREADS] [-k KIND[,KIND...]] [-p PARAMS_JSON] [-l LOG]
 *
 * URL and TOKEN default to $AUTONOMY_RUNTIME_URL / $AUTONOMY_RUNTIME_TOKEN
 * (what `autonomy run` gives its workload). Without -r every connection
 * keeps one call in flight (throughput). With -r calls are scheduled at
 * RATE per second regardless of answers, and latency is measured from
 * each call's scheduled time, so a stall shows up in p99 instead of
 * silently lowering the rate (no coordinated omission).
 *
 * Prints one line: calls, calls/s, p50/p99/max latency in microseconds,
 * non-200 answers, calls lost to connection errors.
 *
 * -k with several kinds cycles through them call by call (e.g.
 * tool.echo,tool.nope: allows and denies). -l LOG appends one line per
 * answer, written as it arrives (a kill -9 loses none that were written):
 *   SENT_NS DONE_NS STATUS AUDIT_ID [BODY]
 * (CLOCK_MONOTONIC; AUDIT_ID from X-Autonomy-Audit-Id or "-"; BODY, the
 * first 200 bytes of a non-200/403 answer's body), and one per call that
 * got no answer (refused, reset, closed):  SENT_NS DONE_NS ERR WHAT.
 * The fault tests (tests/integration/test_faults.py) match the audit ids
 * of every 200 and 403 against the WAL. Connections that fail are
 * reopened every 10 ms until the end, so the load goes on across faults. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ENV_KIND_MAX 128

struct conn {
	int fd;
	int busy;
	uint64_t t_retry; /* closed: when to try connecting again (ns) */
	unsigned next;    /* which request to send next (-k cycles) */
	unsigned cur;     /* the request in flight */
	uint64_t t_sched; /* when the call in flight was due (ns) */
	size_t sent;      /* bytes of the request sent */
	char in[16384];
	size_t inlen;
};

struct worker {
	pthread_t th;
	int nconns;
	struct conn *conns;
	double rate; /* this worker's share; 0: closed loop */
	uint32_t *lat;
	size_t nlat, caplat;
	uint64_t non200, errors;
};

static struct sockaddr_storage addr;
static socklen_t addrlen;
#define MAX_KINDS 8
static char request[MAX_KINDS][4096];
static size_t reqlen[MAX_KINDS];
static unsigned nreq;
static int logfd = -1;
static uint64_t t_start, t_end;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *msg)
{
	fprintf(stderr, "loadgen: %s\n", msg);
	exit(2);
}

static int conn_open(struct conn *c, int ep)
{
	struct epoll_event ev = {.events = EPOLLIN};
	int one = 1;

	c->fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		return -1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&addr, addrlen) < 0 &&
	    errno != EINPROGRESS) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	ev.data.ptr = c;
	epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
	c->busy = 0;
	c->inlen = 0;
	return 0;
}

/* One line per answer (or per call without one), written at once. */
static void log_line(const struct conn *c, const char *what)
{
	char line[512];
	int n;

	if (logfd < 0)
		return;
	n = snprintf(line, sizeof(line), "%llu %llu %s\n",
	             (unsigned long long)c->t_sched,
	             (unsigned long long)now_ns(), what);
	if (n > 0 && (size_t)n >= sizeof(line))
		n = sizeof(line) - 1, line[n - 1] = '\n';
	if (n > 0 && write(logfd, line, (size_t)n) != n)
		die("cannot write the log");
}

static void conn_reset(struct worker *w, struct conn *c, int ep,
                       const char *why)
{
	/* A connection closed while idle (the server's idle timeout: at
	 * a low rate the last connections wait long between calls) loses
	 * no call; it is reopened, not counted. */
	if (c->busy) {
		w->errors++;
		log_line(c, why);
	}
	c->busy = 0;
	if (c->fd >= 0)
		close(c->fd);
	if (conn_open(c, ep) < 0) {
		c->fd = -1;
		c->t_retry = now_ns() + 10000000;
	}
}

static void conn_send(struct worker *w, struct conn *c, uint64_t t_sched,
                      int ep)
{
	ssize_t n;

	c->busy = 1;
	c->t_sched = t_sched;
	c->sent = 0;
	c->cur = c->next;
	c->next = (c->next + 1) % nreq;
	while (c->sent < reqlen[c->cur]) {
		n = send(c->fd, request[c->cur] + c->sent,
		         reqlen[c->cur] - c->sent, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			/* rare with small requests: finish when writable */
			struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT,
			                         .data.ptr = c};
			epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
			return;
		}
		if (n <= 0) {
			conn_reset(w, c, ep, "ERR send");
			return;
		}
		c->sent += (size_t)n;
	}
}

static void record(struct worker *w, uint64_t ns)
{
	if (w->nlat == w->caplat) {
		w->caplat = w->caplat ? w->caplat * 2 : 65536;
		w->lat = realloc(w->lat, w->caplat * sizeof(*w->lat));
		if (w->lat == NULL)
			die("out of memory");
	}
	w->lat[w->nlat++] =
	    ns / 1000 > UINT32_MAX ? UINT32_MAX : (uint32_t)(ns / 1000);
}

/* A complete response in c->in? Returns its length, 0 if not yet, -1 if
 * it is not HTTP. */
static long parse_response(struct conn *c, int *status, char audit[64],
                           const char **body, long *bodylen)
{
	char *eoh, *p;
	long cl = -1;

	strcpy(audit, "-");
	c->in[c->inlen] = '\0';
	if ((eoh = strstr(c->in, "\r\n\r\n")) == NULL)
		return c->inlen >= sizeof(c->in) - 1 ? -1 : 0;
	if (sscanf(c->in, "HTTP/1.%*d %d", status) != 1)
		return -1;
	for (p = strstr(c->in, "\r\n"); p && p < eoh; p = strstr(p + 2, "\r\n"))
		if (strncasecmp(p + 2, "Content-Length:", 15) == 0)
			cl = atol(p + 17);
		else if (strncasecmp(p + 2, "X-Autonomy-Audit-Id:", 20) == 0)
			sscanf(p + 22, " %63[0-9a-fA-F-]", audit);
	if (cl < 0)
		return -1;
	if ((size_t)(eoh + 4 - c->in) + (size_t)cl > sizeof(c->in) - 1)
		return -1;
	if (c->inlen < (size_t)(eoh + 4 - c->in) + (size_t)cl)
		return 0;
	*body = eoh + 4;
	*bodylen = cl;
	return (long)(eoh + 4 - c->in) + cl;
}

static void conn_read(struct worker *w, struct conn *c, int ep)
{
	ssize_t n;
	long len, bodylen;
	int status;
	char audit[64], what[400];
	const char *body;

	for (;;) {
		n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen,
		         0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			conn_reset(w, c, ep,
			           n == 0 ? "ERR closed" : "ERR reset");
			return;
		}
		c->inlen += (size_t)n;
		len = parse_response(c, &status, audit, &body, &bodylen);
		if (len < 0) {
			conn_reset(w, c, ep, "ERR not-http");
			return;
		}
		if (len == 0)
			continue;
		if (!c->busy) {
			conn_reset(w, c, ep, "ERR unasked");
			return;
		}
		if (status != 200)
			w->non200++;
		if (status == 200 || status == 403)
			bodylen = 0;
		snprintf(what, sizeof(what), "%d %s %.*s", status, audit,
		         (int)(bodylen > 200 ? 200 : bodylen), body);
		for (char *q = what; *q; q++)
			if (*q == '\n' || *q == '\r')
				*q = ' ';
		log_line(c, what);
		record(w, now_ns() - c->t_sched);
		memmove(c->in, c->in + len, c->inlen - (size_t)len);
		c->inlen -= (size_t)len;
		c->busy = 0;
	}
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct epoll_event evs[64];
	int ep = epoll_create1(0);
	uint64_t issued = 0, t;

	if (ep < 0)
		die("epoll_create1");
	/* Wake when a call is due, not up to 50 us later. */
	(void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	for (int i = 0; i < w->nconns; i++)
		if (conn_open(&w->conns[i], ep) < 0)
			die("cannot connect");
	for (int i = 0; i < w->nconns; i++)
		w->conns[i].next = (unsigned)i % nreq;
	while ((t = now_ns()) < t_end) {
		struct timespec timeout = {0, 10000000};
		int n;
		for (int i = 0; i < w->nconns; i++) {
			struct conn *c = &w->conns[i];
			uint64_t due;
			if (c->fd < 0 && t >= c->t_retry &&
			    conn_open(c, ep) < 0) {
				c->fd = -1;
				c->t_retry = t + 10000000;
			}
			if (c->busy || c->fd < 0)
				continue;
			if (w->rate <= 0) {
				conn_send(w, c, t, ep);
				continue;
			}
			due = t_start +
			      (uint64_t)((double)issued * 1e9 / w->rate);
			if (due > t)
				break;
			conn_send(w, c, due, ep);
			issued++;
		}
		if (w->rate > 0) {
			uint64_t due = t_start + (uint64_t)((double)issued *
			                                    1e9 / w->rate);
			/* Sleep until exactly the next call is due
			 * (epoll_wait's whole milliseconds would spin through
			 * the last one: half a core taken from the system under
			 * test). */
			uint64_t d = due > t ? due - t : 0;
			timeout.tv_sec = (time_t)(d / 1000000000u);
			timeout.tv_nsec = (long)(d % 1000000000u);
		}
		n = epoll_pwait2(ep, evs, 64, &timeout, NULL);
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			if (evs[i].events & EPOLLOUT) {
				struct epoll_event ev = {.events = EPOLLIN,
				                         .data.ptr = c};
				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
				conn_send(w, c, c->t_sched, ep);
			}
			if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
				conn_read(w, c, ep);
		}
	}
	for (int i = 0; i < w->nconns; i++)
		if (w->conns[i].fd >= 0)
			close(w->conns[i].fd);
	close(ep);
	return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* http://HOST:PORT[/...] -> addr; only plain http. */
static void parse_url(const char *url)
{
	char host[256], port[16] = "80";
	const char *p, *end;
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;

	if (strncmp(url, "http://", 7) != 0)
		die("URL must start with http://");
	p = url + 7;
	end = p + strcspn(p, ":/");
	if ((size_t)(end - p) >= sizeof(host))
		die("URL host too long");
	snprintf(host, sizeof(host), "%.*s", (int)(end - p), p);
	if (*end == ':')
		snprintf(port, sizeof(port), "%.*s", (int)strcspn(end + 1, "/"),
		         end + 1);
	if (getaddrinfo(host, port, &hints, &ai) != 0)
		die("cannot resolve URL host");
	memcpy(&addr, ai->ai_addr, ai->ai_addrlen);
	addrlen = ai->ai_addrlen;
	freeaddrinfo(ai);
}

int main(int argc, char **argv)
{
	const char *url = getenv("AUTONOMY_RUNTIME_URL");
	const char *token = getenv("AUTONOMY_RUNTIME_TOKEN");
	const char *kinds = "tool.echo", *logpath = NULL;
	const char *params = "{\"msg\":\"bench\"}";
	int conns = 64, threads = 2, c;
	double secs = 10, rate = 0, elapsed;
	struct worker *w;
	uint32_t *all;
	size_t n = 0;
	uint64_t non200 = 0, errors = 0;
	char body[1024], kind[ENV_KIND_MAX];

	while ((c = getopt(argc, argv, "u:t:c:d:r:T:k:l:p:")) != -1) {
		switch (c) {
		case 'u':
			url = optarg;
			break;
		case 't':
			token = optarg;
			break;
		case 'c':
			conns = atoi(optarg);
			break;
		case 'd':
			secs = atof(optarg);
			break;
		case 'r':
			rate = atof(optarg);
			break;
		case 'T':
			threads = atoi(optarg);
			break;
		case 'k':
			kinds = optarg;
			break;
		case 'l':
			logpath = optarg;
			break;
		case 'p':
			params = optarg;
			break;
		default:
			die("usage: loadgen [-u URL] [-t TOKEN] [-c CONNS] "
			    "[-d SECONDS] [-r RATE] [-T THREADS] "
			    "[-k KIND[,KIND...]] [-p PARAMS_JSON] [-l LOG]");
		}
	}
	if (url == NULL || token == NULL)
		die("no URL/token: pass -u/-t or set AUTONOMY_RUNTIME_URL and "
		    "AUTONOMY_RUNTIME_TOKEN");
	if (conns < 1 || threads < 1 || secs <= 0 || rate < 0)
		die("-c, -T and -d must be positive");
	if (threads > conns)
		threads = conns;
	parse_url(url);
	if (logpath != NULL &&
	    (logfd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	                  0644)) < 0)
		die("cannot open the -l log");
	for (const char *k = kinds; *k != '\0' && nreq < MAX_KINDS;) {
		size_t kl = strcspn(k, ",");
		if (kl == 0 || kl >= sizeof(kind))
			die("-k: empty or over-long kind");
		snprintf(kind, sizeof(kind), "%.*s", (int)kl, k);
		if (snprintf(body, sizeof(body),
		             "{\"kind\":\"%s\",\"params\":%s}", kind,
		             params) >= (int)sizeof(body))
			die("-k/-p: the request body is over 1 KiB");
		reqlen[nreq] =
		    (size_t)snprintf(request[nreq], sizeof(request[nreq]),
		                     "POST /v1/tool HTTP/1.1\r\n"
		                     "Host: %s\r\n"
		                     "Authorization: Bearer %s\r\n"
		                     "Content-Type: application/json\r\n"
		                     "Content-Length: %zu\r\n\r\n%s",
		                     "127.0.0.1", token, strlen(body), body);
		nreq++;
		k += kl + (k[kl] == ',');
	}

	w = calloc((size_t)threads, sizeof(*w));
	t_start = now_ns();
	t_end = t_start + (uint64_t)(secs * 1e9);
	for (int i = 0; i < threads; i++) {
		w[i].nconns = conns / threads + (i < conns % threads);
		w[i].conns = calloc((size_t)w[i].nconns, sizeof(struct conn));
		w[i].rate = rate / threads;
		pthread_create(&w[i].th, NULL, worker_run, &w[i]);
	}
	for (int i = 0; i < threads; i++) {
		pthread_join(w[i].th, NULL);
		n += w[i].nlat;
	}
	elapsed = (double)(now_ns() - t_start) / 1e9;
	all = malloc((n ? n : 1) * sizeof(*all));
	n = 0;
	for (int i = 0; i < threads; i++) {
		memcpy(all + n, w[i].lat, w[i].nlat * sizeof(*all));
		n += w[i].nlat;
		non200 += w[i].non200;
		errors += w[i].errors;
	}
	qsort(all, n, sizeof(*all), cmp_u32);
	printf("calls=%zu secs=%.2f calls_per_s=%.0f p50_us=%u p99_us=%u "
	       "max_us=%u non200=%llu conn_errors=%llu conns=%d rate=%.0f\n",
	       n, elapsed, (double)n / elapsed, n ? all[n / 2] : 0,
	       n ? all[(size_t)((double)n * 0.99)] : 0, n ? all[n - 1] : 0,
	       (unsigned long long)non200, (unsigned long long)errors, conns,
	       rate);
	return n > 0 && non200 == 0 ? 0 : 1;
}
