/* mavraw: the raw autopilot link's round trip, for bench/mavlink.sh.
 *
 *   mavraw PORT N
 *
 * Connects to mavsim on 127.0.0.1:PORT with our codec, waits for its
 * HEARTBEAT, then sends N COMMAND_LONGs (MAV_CMD_DO_SET_MODE, STABILIZE:
 * accepted on the ground, changes nothing) one at a time and times each
 * until its COMMAND_ACK. Prints "raw N p50_us p99_us mean_us". */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Reads until a frame of msgid arrives; 0 or -1 (EOF). */
static int wait_for(int fd, struct mav_parser *p, uint32_t msgid,
                    struct mav_msg *m)
{
	struct mav_frame f;
	uint8_t buf[512];

	for (;;) {
		while (mav_parser_next(p, &f) == 1)
			if (f.msgid == msgid && mav_msg_unpack(&f, m) == 0)
				return 0;
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			return -1;
		for (size_t off = 0; off < (size_t)n;) {
			off += mav_parser_feed(p, buf + off, (size_t)n - off);
			while (mav_parser_next(p, &f) == 1)
				if (f.msgid == msgid &&
				    mav_msg_unpack(&f, m) == 0)
					return 0;
		}
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	struct mav_link tx = {.sysid = 255, .compid = 190};
	struct mav_parser p;
	struct mav_msg m, ack;
	uint8_t frame[MAV_FRAME_MAX];
	int fd, n, one = 1;
	double *t, sum = 0;

	if (argc != 3 || (n = atoi(argv[2])) <= 0) {
		fprintf(stderr, "usage: mavraw PORT N\n");
		return 64;
	}
	sa.sin_port = htons((uint16_t)atoi(argv[1]));
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("mavraw: connect");
		return 1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	mav_parser_init(&p);
	if (wait_for(fd, &p, MAV_MSG_HEARTBEAT, &m) < 0)
		return 1;
	if ((t = calloc((size_t)n, sizeof(*t))) == NULL)
		return 1;
	memset(&m, 0, sizeof(m));
	m.id = MAV_MSG_COMMAND_LONG;
	m.u.command_long.command = MAV_CMD_DO_SET_MODE;
	m.u.command_long.param[0] = MAV_MODE_FLAG_CUSTOM_MODE_ENABLED;
	m.u.command_long.target_system = 1;
	m.u.command_long.target_component = 1;
	for (int i = 0; i < n; i++) {
		size_t len = mav_msg_encode(&tx, 2, &m, frame, sizeof(frame));
		double t0 = now_us();
		if (write(fd, frame, len) != (ssize_t)len ||
		    wait_for(fd, &p, MAV_MSG_COMMAND_ACK, &ack) < 0)
			return 1;
		t[i] = now_us() - t0;
		sum += t[i];
	}
	qsort(t, (size_t)n, sizeof(*t), cmp);
	printf("raw %d %.0f %.0f %.0f\n", n, t[n / 2], t[n * 99 / 100],
	       sum / n);
	return 0;
}
