#include "link.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define GCS_SYSID 255
#define GCS_COMPID 190 /* MAV_COMP_ID_MISSIONPLANNER */
#define REDIAL_MS 500
#define CONNECT_WAIT_MS 2000

static struct {
	struct mav_endpoint ep;
	struct sockaddr_in addr;
	pthread_mutex_t mu; /* everything below */
	pthread_cond_t ack_cv;
	int fd;
	struct mav_link tx;
	struct vehicle v;
	int64_t hb_at; /* when the last vehicle HEARTBEAT came */
	uint64_t ack_gen;
	uint16_t ack_cmd;
	uint8_t ack_result;
	pthread_t thread;
} L = {.mu = PTHREAD_MUTEX_INITIALIZER, .fd = -1};

int64_t link_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int link_init(const struct mav_endpoint *ep, int fd)
{
	pthread_condattr_t ca;

	L.ep = *ep;
	L.tx.sysid = GCS_SYSID;
	L.tx.compid = GCS_COMPID;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&L.ack_cv, &ca);
	snprintf(L.v.link_error, sizeof(L.v.link_error), "not connected yet");
	if (ep->kind == MAV_LINK_SERIAL) {
		L.fd = fd;
		L.v.connected = fd >= 0;
		return fd >= 0 ? 0 : -1;
	}
	memset(&L.addr, 0, sizeof(L.addr));
	L.addr.sin_family = AF_INET;
	L.addr.sin_port = htons((uint16_t)ep->port);
	return inet_pton(AF_INET, ep->host, &L.addr.sin_addr) == 1 ? 0 : -1;
}

/* Under L.mu. */
static void link_down(const char *why, int err)
{
	if (L.fd >= 0 && L.ep.kind != MAV_LINK_SERIAL) {
		close(L.fd);
		L.fd = -1;
	}
	L.v.connected = 0;
	snprintf(L.v.link_error, sizeof(L.v.link_error), "%.256s: %.64s%s%.64s",
	         L.ep.text, why, err ? ": " : "", err ? strerror(err) : "");
}

/* Dials the vehicle (tcp, udp). 0 connected, -1 not (retried later). */
static int link_dial(void)
{
	int type = L.ep.kind == MAV_LINK_TCP ? SOCK_STREAM : SOCK_DGRAM;
	int fd = socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), e;
	socklen_t elen = sizeof(e);
	struct pollfd pfd;

	if (fd < 0) {
		pthread_mutex_lock(&L.mu);
		link_down("socket", errno);
		pthread_mutex_unlock(&L.mu);
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&L.addr, sizeof(L.addr)) < 0) {
		if (errno != EINPROGRESS) {
			e = errno;
			goto fail;
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, CONNECT_WAIT_MS) != 1) {
			e = ETIMEDOUT;
			goto fail;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) < 0)
			e = errno;
		if (e != 0)
			goto fail;
	}
	/* small frames, each awaited: no Nagle (a 40 ms stall behind a
	 * delayed ACK otherwise) */
	if (L.ep.kind == MAV_LINK_TCP)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1},
		                 sizeof(int));
	pthread_mutex_lock(&L.mu);
	L.fd = fd;
	L.v.connected = 1;
	L.v.link_error[0] = '\0';
	pthread_mutex_unlock(&L.mu);
	log_debug("connected to %s", L.ep.text);
	return 0;
fail:
	close(fd);
	pthread_mutex_lock(&L.mu);
	link_down("connect", e);
	pthread_mutex_unlock(&L.mu);
	return -1;
}

/* Under L.mu: one message out. */
static int send_locked(const struct mav_msg *m)
{
	uint8_t buf[MAV_FRAME_MAX];
	size_t n = mav_msg_encode(&L.tx, 2, m, buf, sizeof(buf));
	ssize_t w;

	if (L.fd < 0 || !L.v.connected)
		return -1;
	if (n == 0)
		return -1;
	w = write(L.fd, buf, n);
	if (w == (ssize_t)n)
		return 0;
	if (L.ep.kind == MAV_LINK_TCP)
		link_down("send", w < 0 ? errno : EPIPE);
	return -1;
}

static void gcs_heartbeat(void)
{
	struct mav_msg m;

	memset(&m, 0, sizeof(m));
	m.id = MAV_MSG_HEARTBEAT;
	m.u.heartbeat.type = MAV_TYPE_GCS;
	m.u.heartbeat.autopilot = MAV_AUTOPILOT_INVALID;
	m.u.heartbeat.mavlink_version = 3;
	pthread_mutex_lock(&L.mu);
	send_locked(&m);
	pthread_mutex_unlock(&L.mu);
}

/* Under L.mu: what the vehicle said. Only the vehicle's own component
 * (the first heartbeat's sysid; autopilot component) updates the state. */
static void on_frame(const struct mav_frame *f)
{
	struct mav_msg m;

	if (mav_msg_unpack(f, &m) < 0)
		return;
	if (m.id == MAV_MSG_HEARTBEAT) {
		if (m.u.heartbeat.type == MAV_TYPE_GCS)
			return; /* another ground station, not the vehicle */
		if (L.v.have_hb && f->sysid != L.v.sysid)
			return;
		L.v.have_hb = 1;
		L.v.sysid = f->sysid;
		L.v.compid = f->compid;
		L.v.hb = m.u.heartbeat;
		L.hb_at = link_now_ms();
		return;
	}
	if (!L.v.have_hb || f->sysid != L.v.sysid)
		return;
	switch (m.id) {
	case MAV_MSG_SYS_STATUS:
		L.v.have_sys = 1;
		L.v.sys = m.u.sys_status;
		break;
	case MAV_MSG_GLOBAL_POSITION_INT:
		L.v.have_pos = 1;
		L.v.pos = m.u.global_position_int;
		break;
	case MAV_MSG_GPS_RAW_INT:
		L.v.have_gps = 1;
		L.v.fix_type = m.u.gps_raw_int.fix_type;
		L.v.satellites = m.u.gps_raw_int.satellites_visible;
		break;
	case MAV_MSG_COMMAND_ACK:
		L.ack_cmd = m.u.command_ack.command;
		L.ack_result = m.u.command_ack.result;
		L.ack_gen++;
		pthread_cond_broadcast(&L.ack_cv);
		break;
	case MAV_MSG_STATUSTEXT:
		snprintf(L.v.statustext, sizeof(L.v.statustext), "%s",
		         m.u.statustext.text);
		break;
	default:
		break;
	}
}

static void *link_main(void *arg)
{
	struct mav_parser p;
	struct mav_frame f;
	uint8_t buf[1024];
	int64_t last_gcs_hb = 0;

	(void)arg;
	mav_parser_init(&p);
	for (;;) {
		struct pollfd pfd;
		int fd;
		ssize_t n;

		pthread_mutex_lock(&L.mu);
		fd = L.fd;
		pthread_mutex_unlock(&L.mu);
		if (fd < 0) {
			if (L.ep.kind == MAV_LINK_SERIAL || link_dial() < 0) {
				struct timespec ts = {0, REDIAL_MS * 1000000L};
				nanosleep(&ts, NULL);
				continue;
			}
			mav_parser_init(&p);
			last_gcs_hb = 0;
			continue;
		}
		if (link_now_ms() - last_gcs_hb >= 1000) {
			/* also tells a udp vehicle where we are */
			gcs_heartbeat();
			last_gcs_hb = link_now_ms();
		}
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n <= 0) {
			int e = n < 0 ? errno : 0;
			if (n < 0 && (e == EINTR || e == EAGAIN))
				continue;
			/* udp: ECONNREFUSED from an ICMP answer; the vehicle
			 * may come back on the same socket */
			if (L.ep.kind == MAV_LINK_UDP && n < 0)
				continue;
			pthread_mutex_lock(&L.mu);
			link_down(n == 0 ? "the vehicle closed the connection"
			                 : "read",
			          e);
			if (L.ep.kind == MAV_LINK_SERIAL) {
				close(L.fd);
				L.fd = -1; /* a serial link is not redialled */
			}
			pthread_mutex_unlock(&L.mu);
			log_warnx("autopilot link down: %s", L.v.link_error);
			continue;
		}
		for (size_t off = 0; off < (size_t)n;) {
			off += mav_parser_feed(&p, buf + off, (size_t)n - off);
			pthread_mutex_lock(&L.mu);
			while (mav_parser_next(&p, &f) == 1)
				on_frame(&f);
			pthread_mutex_unlock(&L.mu);
		}
	}
	return NULL;
}

int link_start(void)
{
	return pthread_create(&L.thread, NULL, link_main, NULL) == 0 ? 0 : -1;
}

void link_snapshot(struct vehicle *v)
{
	pthread_mutex_lock(&L.mu);
	*v = L.v;
	v->heartbeat_age_ms = L.v.have_hb ? link_now_ms() - L.hb_at : -1;
	pthread_mutex_unlock(&L.mu);
}

int link_command(uint16_t cmd, const float p[7], uint8_t *result, int *tries,
                 char *err, size_t errlen)
{
	struct mav_msg m;

	memset(&m, 0, sizeof(m));
	m.id = MAV_MSG_COMMAND_LONG;
	memcpy(m.u.command_long.param, p, sizeof(m.u.command_long.param));
	m.u.command_long.command = cmd;
	pthread_mutex_lock(&L.mu);
	m.u.command_long.target_system = L.v.sysid;
	m.u.command_long.target_component = L.v.compid;
	for (int t = 0; t < LINK_CMD_TRIES; t++) {
		uint64_t gen = L.ack_gen;
		struct timespec until;
		int rc = 0;

		/* the command protocol: a resend carries confirmation+1 */
		m.u.command_long.confirmation = (uint8_t)t;
		if (send_locked(&m) < 0) {
			snprintf(err, errlen, "the autopilot link is down (%s)",
			         L.v.link_error[0] ? L.v.link_error
			                           : "cannot send");
			pthread_mutex_unlock(&L.mu);
			return -1;
		}
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += LINK_CMD_WAIT_MS / 1000;
		until.tv_nsec += (LINK_CMD_WAIT_MS % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (rc == 0 && !(L.ack_gen != gen && L.ack_cmd == cmd))
			rc = pthread_cond_timedwait(&L.ack_cv, &L.mu, &until);
		if (L.ack_gen != gen && L.ack_cmd == cmd) {
			*result = L.ack_result;
			*tries = t + 1;
			pthread_mutex_unlock(&L.mu);
			return 0;
		}
	}
	pthread_mutex_unlock(&L.mu);
	snprintf(err, errlen, "no COMMAND_ACK after %d tries (%d ms each)",
	         LINK_CMD_TRIES, LINK_CMD_WAIT_MS);
	return -1;
}

int link_goto(double lat, double lon, float alt_m, char *err, size_t errlen)
{
	struct mav_msg m;
	int rc;

	memset(&m, 0, sizeof(m));
	m.id = MAV_MSG_SET_POSITION_TARGET_GLOBAL_INT;
	m.u.set_position_target.lat_int = (int32_t)(lat * 1e7);
	m.u.set_position_target.lon_int = (int32_t)(lon * 1e7);
	m.u.set_position_target.alt = alt_m;
	/* position only: velocity, acceleration, yaw and yaw rate ignored */
	m.u.set_position_target.type_mask = 0x0ff8;
	m.u.set_position_target.coordinate_frame =
	    MAV_FRAME_GLOBAL_RELATIVE_ALT_INT;
	pthread_mutex_lock(&L.mu);
	m.u.set_position_target.target_system = L.v.sysid;
	m.u.set_position_target.target_component = L.v.compid;
	rc = send_locked(&m);
	if (rc < 0)
		snprintf(err, errlen, "the autopilot link is down (%s)",
		         L.v.link_error[0] ? L.v.link_error : "cannot send");
	pthread_mutex_unlock(&L.mu);
	return rc;
}
