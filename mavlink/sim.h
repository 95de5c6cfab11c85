/* A simulated vehicle for the autopilot link: an ArduCopter-like
 * multirotor that speaks the messages of codec.h. No I/O here (mavsim.c
 * owns the sockets): messages in, messages out, and a clock the caller
 * advances, so tests step it deterministically.
 *
 * Modes are ArduCopter's custom_mode numbers (HEARTBEAT.custom_mode,
 * MAV_CMD_DO_SET_MODE param2 with base_mode flag CUSTOM_MODE_ENABLED):
 *   0 STABILIZE (boot mode)  3 AUTO (no mission: holds)  4 GUIDED
 *   5 LOITER                 6 RTL                       9 LAND
 * Behaviour, as in mavlink/README.md:
 *  - GPS: no fix (fix_type 1, 0 satellites) for warmup_ms after boot,
 *    then a 3D fix (fix_type 3, 10 satellites).
 *  - Arm (MAV_CMD_COMPONENT_ARM_DISARM p1=1): TEMPORARILY_REJECTED without
 *    a 3D fix, DENIED in RTL/LAND/AUTO. Disarm (p1=0): DENIED in flight
 *    unless p2=21196 (force).
 *  - Takeoff (MAV_CMD_NAV_TAKEOFF p7=altitude above home, m): only armed,
 *    on the ground and in GUIDED; climbs at climb_rate.
 *  - Goto (SET_POSITION_TARGET_GLOBAL_INT, frames 5/6/11, position bits
 *    not ignored): only in GUIDED and airborne; flies at speed
 *    horizontally, climb_rate vertically. Ignored otherwise (the protocol
 *    has no ack for it), with a STATUSTEXT saying why.
 *  - Land (MAV_CMD_NAV_LAND, or mode LAND): descends at descent_rate,
 *    disarms on the ground.
 *  - RTL (MAV_CMD_NAV_RETURN_TO_LAUNCH, or mode RTL): climbs to rtl_alt if
 *    lower, flies home, lands, disarms.
 *  - Every COMMAND_LONG addressed to us (or broadcast) gets a COMMAND_ACK;
 *    commands we do not implement get MAV_RESULT_UNSUPPORTED.
 *  - HEARTBEAT at 1 Hz; GLOBAL_POSITION_INT, GPS_RAW_INT, SYS_STATUS at
 *    4 Hz (simulated time). */
#ifndef AUTONOMY_MAVLINK_SIM_H
#define AUTONOMY_MAVLINK_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"

enum sim_mode {
	SIM_MODE_STABILIZE = 0,
	SIM_MODE_AUTO = 3,
	SIM_MODE_GUIDED = 4,
	SIM_MODE_LOITER = 5,
	SIM_MODE_RTL = 6,
	SIM_MODE_LAND = 9,
};

struct sim_config {
	uint8_t sysid, compid;
	double home_lat, home_lon; /* degrees */
	float home_alt;            /* m MSL */
	uint32_t warmup_ms;        /* until the GPS has a 3D fix */
	float climb_rate;          /* m/s */
	float descent_rate;        /* m/s */
	float speed;               /* m/s horizontal */
	float rtl_alt;             /* m above home */
};

enum sim_phase {
	SIM_GROUND,
	SIM_TAKEOFF,
	SIM_HOLD,
	SIM_GOTO,
	SIM_LANDING,
	SIM_RTL_CLIMB,
	SIM_RTL_RETURN,
};

#define SIM_TEXTS 4

struct sim_vehicle {
	struct sim_config cfg;
	uint64_t now_ms;
	uint32_t mode;
	bool armed;
	enum sim_phase phase;
	double lat, lon;   /* degrees */
	float alt;         /* m above home */
	float vn, ve, vd;  /* m/s, NED, of the last step */
	uint16_t heading;  /* cdeg, direction of the last horizontal move */
	double tlat, tlon; /* target of TAKEOFF/GOTO/RTL */
	float talt;
	uint8_t battery;   /* % */
	uint64_t armed_ms; /* time spent armed, drains the battery */
	uint64_t next_heartbeat, next_telemetry;
	struct mav_statustext texts[SIM_TEXTS];
	size_t ntexts;
};

void sim_config_default(struct sim_config *c);
void sim_init(struct sim_vehicle *v, const struct sim_config *c);
/* Advances simulated time by ms, in fixed 10 ms steps. */
void sim_advance(struct sim_vehicle *v, uint64_t ms);
bool sim_gps_fixed(const struct sim_vehicle *v);
bool sim_airborne(const struct sim_vehicle *v);

/* One message from the link, sent by (sysid, compid). Returns 1 and
 * fills *reply when a reply is owed (the COMMAND_ACK of a COMMAND_LONG),
 * 0 otherwise. */
int sim_handle(struct sim_vehicle *v, const struct mav_msg *m, uint8_t sysid,
               uint8_t compid, struct mav_msg *reply);

/* The messages due at the current time (heartbeat, telemetry, queued
 * status texts), at most max; returns how many were written to out. */
size_t sim_due(struct sim_vehicle *v, struct mav_msg *out, size_t max);

/* The messages themselves, for tests and for sim_due. */
void sim_heartbeat(const struct sim_vehicle *v, struct mav_msg *m);
void sim_global_position(const struct sim_vehicle *v, struct mav_msg *m);
void sim_gps_raw(const struct sim_vehicle *v, struct mav_msg *m);
void sim_sys_status(const struct sim_vehicle *v, struct mav_msg *m);

#endif
