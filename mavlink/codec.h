/* Our MAVLink codec: v2 frames (v1 frames parsed too) for the handful of
 * messages the autopilot link and the simulated vehicle exchange.
 *
 * Written from the spec (mavlink.io serialization, common.xml and
 * minimal.xml), not generated: every layout below is the wire order
 * (fields stably sorted by type size, extension fields last in XML
 * order), and every CRC_EXTRA is checked by a unit test that derives it
 * from the XML field list.
 *
 * Three parts:
 *  - mav_parser: a byte stream in, whole CRC-checked frames out. Bounded
 *    (a frame is at most MAV_FRAME_MAX bytes; nothing else is buffered),
 *    resynchronises after garbage by rescanning from the byte after a
 *    failed start marker, counts what it drops. A frame of an id we do
 *    not know cannot be CRC-checked (no CRC_EXTRA): it is skipped whole
 *    when the next start marker follows it, else its marker is taken as
 *    noise; so it is held until one more byte arrives.
 *  - mav_encode: a message out as a v2 (or v1) frame, with our system and
 *    component ids and the link's sequence number; trailing zero bytes of
 *    a v2 payload truncated as the spec requires.
 *  - mav_msg_pack / mav_msg_unpack: the typed messages.
 *
 * Not done: message signing. Signed v2 frames are delimited correctly
 * (so the stream stays in sync) but dropped and counted, never delivered:
 * we cannot verify their signature, and a frame we cannot verify must not
 * look verified. */
#ifndef AUTONOMY_MAVLINK_CODEC_H
#define AUTONOMY_MAVLINK_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAV_STX_V1 0xFE
#define MAV_STX_V2 0xFD
#define MAV_V1_HEADER 6  /* stx len seq sys comp msgid */
#define MAV_V2_HEADER 10 /* stx len incompat compat seq sys comp id[3] */
#define MAV_CHECKSUM 2
#define MAV_SIGNATURE 13
#define MAV_PAYLOAD_MAX 255
#define MAV_FRAME_MAX                                                          \
	(MAV_V2_HEADER + MAV_PAYLOAD_MAX + MAV_CHECKSUM + MAV_SIGNATURE)
#define MAV_IFLAG_SIGNED 0x01

/* Message ids (common.xml / minimal.xml). */
enum mav_msgid {
	MAV_MSG_HEARTBEAT = 0,
	MAV_MSG_SYS_STATUS = 1,
	MAV_MSG_GPS_RAW_INT = 24,
	MAV_MSG_GLOBAL_POSITION_INT = 33,
	MAV_MSG_COMMAND_LONG = 76,
	MAV_MSG_COMMAND_ACK = 77,
	MAV_MSG_SET_POSITION_TARGET_GLOBAL_INT = 86,
	MAV_MSG_STATUSTEXT = 253,
};

/* The enum values the link and the simulator use (common.xml). */
enum {
	MAV_TYPE_QUADROTOR = 2,
	MAV_TYPE_GCS = 6,
	MAV_AUTOPILOT_ARDUPILOTMEGA = 3,
	MAV_AUTOPILOT_INVALID = 8,
	MAV_MODE_FLAG_CUSTOM_MODE_ENABLED = 1,
	MAV_MODE_FLAG_GUIDED_ENABLED = 8,
	MAV_MODE_FLAG_STABILIZE_ENABLED = 16,
	MAV_MODE_FLAG_SAFETY_ARMED = 128,
	MAV_STATE_STANDBY = 3,
	MAV_STATE_ACTIVE = 4,
	MAV_CMD_NAV_RETURN_TO_LAUNCH = 20,
	MAV_CMD_NAV_LAND = 21,
	MAV_CMD_NAV_TAKEOFF = 22,
	MAV_CMD_DO_SET_MODE = 176,
	MAV_CMD_COMPONENT_ARM_DISARM = 400,
	MAV_RESULT_ACCEPTED = 0,
	MAV_RESULT_TEMPORARILY_REJECTED = 1,
	MAV_RESULT_DENIED = 2,
	MAV_RESULT_UNSUPPORTED = 3,
	MAV_RESULT_FAILED = 4,
	GPS_FIX_TYPE_NO_FIX = 1,
	GPS_FIX_TYPE_3D_FIX = 3,
	MAV_FRAME_GLOBAL_INT = 5,
	MAV_FRAME_GLOBAL_RELATIVE_ALT_INT = 6,
	MAV_FRAME_GLOBAL_TERRAIN_ALT_INT = 11,
	MAV_SEVERITY_WARNING = 4,
	MAV_SEVERITY_INFO = 6,
};

/* What the codec knows of one message: its CRC_EXTRA and payload lengths
 * (min_len: the base fields, the v1 length; max_len: with extensions). */
struct mav_msginfo {
	uint32_t id;
	const char *name;
	uint8_t crc_extra;
	uint8_t min_len;
	uint8_t max_len;
};

/* NULL for a message this codec does not know. */
const struct mav_msginfo *mav_msginfo(uint32_t msgid);
/* Every known message, for tests: *count entries. */
const struct mav_msginfo *mav_msginfo_all(size_t *count);

/* CRC-16/MCRF4XX ("X.25" in the spec): start at 0xFFFF. */
uint16_t mav_crc_accumulate(uint16_t crc, const uint8_t *data, size_t len);

/* One frame as it came off the wire, CRC verified. payload holds len
 * bytes and is zero-filled up to MAV_PAYLOAD_MAX, so a truncated v2
 * payload reads as its zeros (the spec's rule) without bounds checks. */
struct mav_frame {
	uint8_t version; /* 1 or 2 */
	uint8_t incompat_flags;
	uint8_t compat_flags;
	uint8_t seq;
	uint8_t sysid;
	uint8_t compid;
	uint32_t msgid;
	uint8_t len;
	uint8_t payload[MAV_PAYLOAD_MAX];
};

struct mav_parser_stats {
	uint64_t frames;  /* delivered */
	uint64_t bad_crc; /* checksum mismatch (start byte dropped, rescan) */
	uint64_t bad_len; /* CRC fine but length impossible for the id */
	uint64_t unknown; /* well-delimited frame of an id we do not know */
	uint64_t signed_dropped; /* signed v2 frame: signing not supported */
	uint64_t bad_flags;      /* v2 incompat flag we do not understand */
	uint64_t garbage;        /* bytes skipped looking for a start marker */
	uint64_t seq_lost; /* frames missing by sequence number, per sender */
};

/* Streaming parser. Holds at most 2 * MAV_FRAME_MAX bytes. */
struct mav_parser {
	uint8_t buf[2 * MAV_FRAME_MAX];
	size_t have;
	struct mav_parser_stats stats;
	/* Last sequence number seen, per (sysid, compid) hashed into a small
	 * table: enough to count loss on a link with a few senders. */
	struct {
		uint8_t sysid, compid, seq, used;
	} last[8];
};

void mav_parser_init(struct mav_parser *p);
/* Takes up to len bytes into the parser; returns how many it took (at
 * least one whenever len > 0 and mav_parser_next has returned 0 since the
 * last feed). */
size_t mav_parser_feed(struct mav_parser *p, const uint8_t *data, size_t len);
/* 1 and *f filled when a whole valid frame is buffered, 0 when more bytes
 * are needed. Call until it returns 0 after every feed. */
int mav_parser_next(struct mav_parser *p, struct mav_frame *f);

/* The sending side of one link: who we are and the next sequence
 * number (wraps at 255, as the spec says). */
struct mav_link {
	uint8_t sysid;
	uint8_t compid;
	uint8_t seq;
};

/* Frames payload (len bytes, already in wire order) as message msgid.
 * version 2 truncates trailing zeros (never the first byte); version 1
 * sends min_len bytes and needs msgid < 256. Returns the frame length
 * written to out, or 0 if the id is unknown, the payload too long, or out
 * too small (MAV_FRAME_MAX always suffices). Advances l->seq on success. */
size_t mav_encode(struct mav_link *l, int version, uint32_t msgid,
                  const uint8_t *payload, size_t len, uint8_t *out,
                  size_t outlen);

/* The typed messages. Field names and units follow common.xml. */
struct mav_heartbeat {
	uint32_t custom_mode;
	uint8_t type;
	uint8_t autopilot;
	uint8_t base_mode;
	uint8_t system_status;
	uint8_t mavlink_version;
};

struct mav_sys_status {
	uint32_t sensors_present;
	uint32_t sensors_enabled;
	uint32_t sensors_health;
	uint16_t load;            /* d% */
	uint16_t voltage_battery; /* mV */
	int16_t current_battery;  /* cA */
	uint16_t drop_rate_comm;  /* c% */
	uint16_t errors_comm;
	uint16_t errors_count[4];
	int8_t battery_remaining; /* % */
	uint32_t sensors_present_extended;
	uint32_t sensors_enabled_extended;
	uint32_t sensors_health_extended;
};

struct mav_gps_raw_int {
	uint64_t time_usec;
	int32_t lat, lon; /* degE7 */
	int32_t alt;      /* mm MSL */
	uint16_t eph, epv;
	uint16_t vel; /* cm/s */
	uint16_t cog; /* cdeg */
	uint8_t fix_type;
	uint8_t satellites_visible;
	int32_t alt_ellipsoid;
	uint32_t h_acc, v_acc, vel_acc, hdg_acc;
	uint16_t yaw;
};

struct mav_global_position_int {
	uint32_t time_boot_ms;
	int32_t lat, lon;     /* degE7 */
	int32_t alt;          /* mm MSL */
	int32_t relative_alt; /* mm above home */
	int16_t vx, vy, vz;   /* cm/s, NED */
	uint16_t hdg;         /* cdeg, UINT16_MAX unknown */
};

struct mav_command_long {
	float param[7]; /* param1..param7 */
	uint16_t command;
	uint8_t target_system;
	uint8_t target_component;
	uint8_t confirmation;
};

struct mav_command_ack {
	uint16_t command;
	uint8_t result;
	uint8_t progress;
	int32_t result_param2;
	uint8_t target_system;
	uint8_t target_component;
};

struct mav_set_position_target_global_int {
	uint32_t time_boot_ms;
	int32_t lat_int, lon_int; /* degE7 */
	float alt;                /* m, per coordinate_frame */
	float vx, vy, vz;
	float afx, afy, afz;
	float yaw, yaw_rate;
	uint16_t type_mask;
	uint8_t target_system;
	uint8_t target_component;
	uint8_t coordinate_frame;
};

#define MAV_STATUSTEXT_LEN 50
struct mav_statustext {
	uint8_t severity;
	char
	    text[MAV_STATUSTEXT_LEN + 1]; /* NUL-terminated here, not on wire */
	uint16_t id;
	uint8_t chunk_seq;
};

struct mav_msg {
	uint32_t id; /* enum mav_msgid */
	union {
		struct mav_heartbeat heartbeat;
		struct mav_sys_status sys_status;
		struct mav_gps_raw_int gps_raw_int;
		struct mav_global_position_int global_position_int;
		struct mav_command_long command_long;
		struct mav_command_ack command_ack;
		struct mav_set_position_target_global_int set_position_target;
		struct mav_statustext statustext;
	} u;
};

/* Serialises m into payload (wire order, full max_len bytes); returns the
 * length or 0 for an unknown id. */
size_t mav_msg_pack(const struct mav_msg *m, uint8_t payload[MAV_PAYLOAD_MAX]);
/* Decodes a frame of a known id into *m; -1 for an unknown id. */
int mav_msg_unpack(const struct mav_frame *f, struct mav_msg *m);
/* mav_msg_pack then mav_encode. */
size_t mav_msg_encode(struct mav_link *l, int version, const struct mav_msg *m,
                      uint8_t *out, size_t outlen);

#endif
