/* mavsim: the simulated vehicle (sim.c) on a real link, for the mavproxy
 * helper, the demo and the interop tests. One endpoint:
 *   tcp:ADDR:PORT   listens; one GCS connection at a time
 *   udp:ADDR:PORT   binds; talks to whoever sent the last datagram
 *   serial:PATH     a tty (a pty in the tests), set raw
 * PORT 0 picks a free port. The endpoint actually in use is printed on
 * stdout as "mavsim: listening on tcp:127.0.0.1:PORT" before anything
 * else happens, so a test can read it.
 * --speedup F runs simulated time F times faster than the wall clock (the
 * physics steps are fixed, 10 ms of simulated time each). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "log.h"
#include "sim.h"

#define PREFIX "mavsim"
#define USAGE                                                                  \
	"usage: mavsim [--speedup F] [--warmup SECONDS] [--sysid N]\n"         \
	"              [--home LAT,LON,ALT] ENDPOINT\n"                        \
	"ENDPOINT: tcp:ADDR:PORT | udp:ADDR:PORT | serial:PATH (PORT 0: "      \
	"any)\n"

enum link_kind { LINK_TCP, LINK_UDP, LINK_SERIAL };

struct link {
	enum link_kind kind;
	int listen_fd; /* tcp */
	int fd;        /* the connection, the udp socket, or the tty */
	struct sockaddr_in peer; /* udp: where replies go */
	int has_peer;
	struct mav_parser parser;
	struct mav_link tx;
};

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int parse_addr(const char *spec, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(spec, ':');
	char *end;
	long port;

	if (colon == NULL || (size_t)(colon - spec) >= sizeof(host))
		return -1;
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || end == colon + 1 || port < 0 || port > 65535)
		return -1;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

static void announce(const char *scheme, int fd)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	char host[INET_ADDRSTRLEN];

	if (getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
		fatal("getsockname");
	inet_ntop(AF_INET, &sa.sin_addr, host, sizeof(host));
	printf("mavsim: listening on %s:%s:%u\n", scheme, host,
	       ntohs(sa.sin_port));
	fflush(stdout);
}

static void open_socket(struct link *l, const char *spec, int type)
{
	struct sockaddr_in sa;
	int one = 1;
	int fd;

	if (parse_addr(spec, &sa) != 0)
		fatalx("endpoint %s: want ADDR:PORT with a numeric IPv4 "
		       "address",
		       spec);
	fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fatal("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		fatal("bind %s", spec);
	if (type == SOCK_STREAM) {
		if (listen(fd, 1) != 0)
			fatal("listen");
		l->listen_fd = fd;
		announce("tcp", fd);
	} else {
		l->fd = fd;
		announce("udp", fd);
	}
}

static void open_serial(struct link *l, const char *path)
{
	struct termios t;

	l->fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (l->fd < 0)
		fatal("open %s", path);
	if (isatty(l->fd)) {
		if (tcgetattr(l->fd, &t) != 0)
			fatal("tcgetattr %s", path);
		cfmakeraw(&t);
		cfsetspeed(&t, B115200);
		if (tcsetattr(l->fd, TCSANOW, &t) != 0)
			fatal("tcsetattr %s", path);
	}
	printf("mavsim: listening on serial:%s\n", path);
	fflush(stdout);
}

static void open_link(struct link *l, const char *endpoint)
{
	l->listen_fd = -1;
	l->fd = -1;
	if (strncmp(endpoint, "tcp:", 4) == 0) {
		l->kind = LINK_TCP;
		open_socket(l, endpoint + 4, SOCK_STREAM);
	} else if (strncmp(endpoint, "udp:", 4) == 0) {
		l->kind = LINK_UDP;
		open_socket(l, endpoint + 4, SOCK_DGRAM);
	} else if (strncmp(endpoint, "serial:", 7) == 0) {
		l->kind = LINK_SERIAL;
		open_serial(l, endpoint + 7);
	} else {
		fatalx("endpoint %s: want tcp:ADDR:PORT, udp:ADDR:PORT or "
		       "serial:PATH",
		       endpoint);
	}
}

/* Telemetry is lossy by nature: a peer that does not read loses frames,
 * it never stalls the vehicle. */
static void send_frame(struct link *l, const uint8_t *buf, size_t len)
{
	ssize_t n;

	if (l->fd < 0 || (l->kind == LINK_UDP && !l->has_peer))
		return;
	if (l->kind == LINK_UDP)
		n = sendto(l->fd, buf, len, MSG_DONTWAIT,
		           (struct sockaddr *)&l->peer, sizeof(l->peer));
	else if (l->kind == LINK_TCP)
		n = send(l->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	else
		n = write(l->fd, buf, len);
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
		log_debug("send: %s", strerror(errno));
}

static void send_msg(struct link *l, const struct mav_msg *m)
{
	uint8_t frame[MAV_FRAME_MAX];
	size_t len = mav_msg_encode(&l->tx, 2, m, frame, sizeof(frame));

	if (len == 0)
		fatalx("cannot encode message %u", m->id);
	send_frame(l, frame, len);
}

static void handle_bytes(struct link *l, struct sim_vehicle *v,
                         const uint8_t *buf, size_t len)
{
	struct mav_frame f;
	struct mav_msg m, reply;
	size_t n;

	while (len > 0) {
		n = mav_parser_feed(&l->parser, buf, len);
		buf += n;
		len -= n;
		while (mav_parser_next(&l->parser, &f) == 1) {
			if (mav_msg_unpack(&f, &m) != 0)
				continue;
			if (sim_handle(v, &m, f.sysid, f.compid, &reply))
				send_msg(l, &reply);
		}
	}
}

static void drop_connection(struct link *l)
{
	close(l->fd);
	l->fd = -1;
	mav_parser_init(&l->parser);
}

/* Waits up to 10 ms for bytes and hands them to the vehicle. */
static void serve_once(struct link *l, struct sim_vehicle *v)
{
	struct pollfd pfd = {.events = POLLIN};
	socklen_t slen = sizeof(l->peer);
	uint8_t buf[4096];
	ssize_t n;

	pfd.fd = l->kind == LINK_TCP && l->fd < 0 ? l->listen_fd : l->fd;
	if (poll(&pfd, 1, 10) <= 0 || !(pfd.revents & (POLLIN | POLLHUP)))
		return;
	if (pfd.fd == l->listen_fd) {
		l->fd = accept4(l->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (l->fd < 0)
			log_warn("accept");
		return;
	}
	if (l->kind == LINK_UDP) {
		n = recvfrom(l->fd, buf, sizeof(buf), 0,
		             (struct sockaddr *)&l->peer, &slen);
		if (n > 0)
			l->has_peer = 1;
	} else {
		n = read(l->fd, buf, sizeof(buf));
	}
	if (n > 0)
		handle_bytes(l, v, buf, (size_t)n);
	else if (l->kind == LINK_SERIAL && n < 0 && errno == EIO)
		usleep(10000); /* the other end of the pty is not open */
	else if (l->kind == LINK_TCP &&
	         (n == 0 || (errno != EAGAIN && errno != EINTR)))
		drop_connection(l);
}

static int parse_double(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return errno == 0 && end != s && *end == '\0' && isfinite(*out) ? 0
	                                                                : -1;
}

static int parse_home(const char *s, struct sim_config *c)
{
	double lat, lon, alt;
	char extra;

	if (sscanf(s, "%lf,%lf,%lf%c", &lat, &lon, &alt, &extra) != 3 ||
	    fabs(lat) > 90 || fabs(lon) > 180 || !isfinite(alt))
		return -1;
	c->home_lat = lat;
	c->home_lon = lon;
	c->home_alt = (float)alt;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"speedup", required_argument, NULL, 's'},
	    {"warmup", required_argument, NULL, 'w'},
	    {"sysid", required_argument, NULL, 'i'},
	    {"home", required_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct sim_config cfg;
	struct sim_vehicle v;
	struct mav_msg due[8];
	struct link l;
	double speedup = 1, d, last, carry_ms = 0, t;
	size_t i, n;
	int ch;

	log_init("mavsim");
	sim_config_default(&cfg);
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			if (parse_double(optarg, &speedup) != 0 ||
			    speedup <= 0 || speedup > 1000)
				return usage_errorf(
				    PREFIX, USAGE,
				    "--speedup %s: want a number "
				    "in (0, 1000]",
				    optarg);
			break;
		case 'w':
			if (parse_double(optarg, &d) != 0 || d < 0 || d > 3600)
				return usage_errorf(PREFIX, USAGE,
				                    "--warmup %s: want seconds "
				                    "in [0, 3600]",
				                    optarg);
			cfg.warmup_ms = (uint32_t)(d * 1000);
			break;
		case 'i':
			if (parse_double(optarg, &d) != 0 || d < 1 || d > 255 ||
			    d != floor(d))
				return usage_errorf(PREFIX, USAGE,
				                    "--sysid %s: want 1..255",
				                    optarg);
			cfg.sysid = (uint8_t)d;
			break;
		case 'h':
			if (parse_home(optarg, &cfg) != 0)
				return usage_errorf(
				    PREFIX, USAGE,
				    "--home %s: want LAT,LON,ALT", optarg);
			break;
		default:
			return usage_errorf(PREFIX, USAGE, "unknown option");
		}
	}
	if (optind != argc - 1)
		return usage_errorf(PREFIX, USAGE, "want one ENDPOINT");
	signal(SIGPIPE, SIG_IGN);

	memset(&l, 0, sizeof(l));
	mav_parser_init(&l.parser);
	l.tx.sysid = cfg.sysid;
	l.tx.compid = cfg.compid;
	open_link(&l, argv[optind]);
	sim_init(&v, &cfg);

	last = now_seconds();
	for (;;) {
		serve_once(&l, &v);
		t = now_seconds();
		carry_ms += (t - last) * 1000.0 * speedup;
		last = t;
		if (carry_ms >= 1) {
			sim_advance(&v, (uint64_t)carry_ms);
			carry_ms -= floor(carry_ms);
		}
		n = sim_due(&v, due, sizeof(due) / sizeof(due[0]));
		for (i = 0; i < n; i++)
			send_msg(&l, &due[i]);
	}
}
