/* The autopilot link: one connection to the vehicle (tcp or udp, which
 * mavproxy dials itself and redials when it drops; or a serial fd the
 * supervisor opened), a thread that reads every frame through our codec
 * into the vehicle's state, our GCS HEARTBEAT at 1 Hz, and commands sent
 * per the MAVLink command protocol (COMMAND_LONG, resent up to 3 times
 * until its COMMAND_ACK). */
#ifndef AUTONOMY_MAVPROXY_LINK_H
#define AUTONOMY_MAVPROXY_LINK_H

#include <stdint.h>

#include "codec.h"
#include "settings.h"

/* A heartbeat older than this: the link counts as down. */
#define LINK_STALE_MS 3000
#define LINK_CMD_TRIES 3
#define LINK_CMD_WAIT_MS 1000

/* A copy of what the vehicle last said. */
struct vehicle {
	int connected;            /* the transport is up */
	char link_error[400];     /* why it is not, when not */
	int64_t heartbeat_age_ms; /* -1: never */
	int have_hb, have_sys, have_pos, have_gps;
	uint8_t sysid, compid;
	struct mav_heartbeat hb;
	struct mav_sys_status sys;
	struct mav_global_position_int pos;
	uint8_t fix_type, satellites;
	char statustext[MAV_STATUSTEXT_LEN + 1]; /* the last one */
};

/* fd: the serial device's descriptor, or -1 (tcp/udp: we dial). */
int link_init(const struct mav_endpoint *ep, int fd);
/* The reader thread: start once confined. */
int link_start(void);
void link_snapshot(struct vehicle *v);
int64_t link_now_ms(void);

/* Sends COMMAND_LONG (cmd, p[0..6]) to the vehicle and waits for its
 * COMMAND_ACK: 0 with *result and *tries, or -1 with err (no ACK after
 * LINK_CMD_TRIES sends, or the link is down). */
int link_command(uint16_t cmd, const float p[7], uint8_t *result, int *tries,
                 char *err, size_t errlen);
/* SET_POSITION_TARGET_GLOBAL_INT, relative altitude, position only. */
int link_goto(double lat, double lon, float alt_m, char *err, size_t errlen);

#endif
