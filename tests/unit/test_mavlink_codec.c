/* mavlink/codec.c: layouts and CRC_EXTRA derived from the spec's field
 * lists, known-answer frames, round trips of every message in v1 and v2,
 * truncation, and the parser on hostile streams (garbage, splits, bad
 * lengths, bad CRCs, unknown ids, signed frames, sequence gaps). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

/* ---- CRC_EXTRA and lengths, derived from the XML ---- */

struct spec_field {
	const char *type; /* as in the XML, without the array suffix */
	const char *name;
	int array; /* 0: not an array */
	int ext;   /* after <extensions/> */
};

struct spec_msg {
	const char *name;
	uint32_t id;
	struct spec_field f[20];
};

/* Field lists in XML declaration order, copied from common.xml and
 * minimal.xml (the spec), not from our layouts. */
static const struct spec_msg spec[] = {
    {"HEARTBEAT",
     0,
     {{"uint8_t", "type", 0, 0},
      {"uint8_t", "autopilot", 0, 0},
      {"uint8_t", "base_mode", 0, 0},
      {"uint32_t", "custom_mode", 0, 0},
      {"uint8_t", "system_status", 0, 0},
      /* uint8_t_mavlink_version: hashed as uint8_t */
      {"uint8_t", "mavlink_version", 0, 0}}},
    {"SYS_STATUS",
     1,
     {{"uint32_t", "onboard_control_sensors_present", 0, 0},
      {"uint32_t", "onboard_control_sensors_enabled", 0, 0},
      {"uint32_t", "onboard_control_sensors_health", 0, 0},
      {"uint16_t", "load", 0, 0},
      {"uint16_t", "voltage_battery", 0, 0},
      {"int16_t", "current_battery", 0, 0},
      {"int8_t", "battery_remaining", 0, 0},
      {"uint16_t", "drop_rate_comm", 0, 0},
      {"uint16_t", "errors_comm", 0, 0},
      {"uint16_t", "errors_count1", 0, 0},
      {"uint16_t", "errors_count2", 0, 0},
      {"uint16_t", "errors_count3", 0, 0},
      {"uint16_t", "errors_count4", 0, 0},
      {"uint32_t", "onboard_control_sensors_present_extended", 0, 1},
      {"uint32_t", "onboard_control_sensors_enabled_extended", 0, 1},
      {"uint32_t", "onboard_control_sensors_health_extended", 0, 1}}},
    {"GPS_RAW_INT",
     24,
     {{"uint64_t", "time_usec", 0, 0},
      {"uint8_t", "fix_type", 0, 0},
      {"int32_t", "lat", 0, 0},
      {"int32_t", "lon", 0, 0},
      {"int32_t", "alt", 0, 0},
      {"uint16_t", "eph", 0, 0},
      {"uint16_t", "epv", 0, 0},
      {"uint16_t", "vel", 0, 0},
      {"uint16_t", "cog", 0, 0},
      {"uint8_t", "satellites_visible", 0, 0},
      {"int32_t", "alt_ellipsoid", 0, 1},
      {"uint32_t", "h_acc", 0, 1},
      {"uint32_t", "v_acc", 0, 1},
      {"uint32_t", "vel_acc", 0, 1},
      {"uint32_t", "hdg_acc", 0, 1},
      {"uint16_t", "yaw", 0, 1}}},
    {"GLOBAL_POSITION_INT",
     33,
     {{"uint32_t", "time_boot_ms", 0, 0},
      {"int32_t", "lat", 0, 0},
      {"int32_t", "lon", 0, 0},
      {"int32_t", "alt", 0, 0},
      {"int32_t", "relative_alt", 0, 0},
      {"int16_t", "vx", 0, 0},
      {"int16_t", "vy", 0, 0},
      {"int16_t", "vz", 0, 0},
      {"uint16_t", "hdg", 0, 0}}},
    {"COMMAND_LONG",
     76,
     {{"uint8_t", "target_system", 0, 0},
      {"uint8_t", "target_component", 0, 0},
      {"uint16_t", "command", 0, 0},
      {"uint8_t", "confirmation", 0, 0},
      {"float", "param1", 0, 0},
      {"float", "param2", 0, 0},
      {"float", "param3", 0, 0},
      {"float", "param4", 0, 0},
      {"float", "param5", 0, 0},
      {"float", "param6", 0, 0},
      {"float", "param7", 0, 0}}},
    {"COMMAND_ACK",
     77,
     {{"uint16_t", "command", 0, 0},
      {"uint8_t", "result", 0, 0},
      {"uint8_t", "progress", 0, 1},
      {"int32_t", "result_param2", 0, 1},
      {"uint8_t", "target_system", 0, 1},
      {"uint8_t", "target_component", 0, 1}}},
    {"SET_POSITION_TARGET_GLOBAL_INT",
     86,
     {{"uint32_t", "time_boot_ms", 0, 0},
      {"uint8_t", "target_system", 0, 0},
      {"uint8_t", "target_component", 0, 0},
      {"uint8_t", "coordinate_frame", 0, 0},
      {"uint16_t", "type_mask", 0, 0},
      {"int32_t", "lat_int", 0, 0},
      {"int32_t", "lon_int", 0, 0},
      {"float", "alt", 0, 0},
      {"float", "vx", 0, 0},
      {"float", "vy", 0, 0},
      {"float", "vz", 0, 0},
      {"float", "afx", 0, 0},
      {"float", "afy", 0, 0},
      {"float", "afz", 0, 0},
      {"float", "yaw", 0, 0},
      {"float", "yaw_rate", 0, 0}}},
    {"STATUSTEXT",
     253,
     {{"uint8_t", "severity", 0, 0},
      {"char", "text", 50, 0},
      {"uint16_t", "id", 0, 1},
      {"uint8_t", "chunk_seq", 0, 1}}},
};

static int type_size(const char *t)
{
	if (strstr(t, "64") != NULL || strcmp(t, "double") == 0)
		return 8;
	if (strstr(t, "32") != NULL || strcmp(t, "float") == 0)
		return 4;
	if (strstr(t, "16") != NULL)
		return 2;
	return 1;
}

static uint16_t crc_str(uint16_t crc, const char *s)
{
	return mav_crc_accumulate(crc, (const uint8_t *)s, strlen(s));
}

/* The generator's message_checksum() (serialization.md), over the wire
 * order: base fields stably sorted by type size, extensions excluded. */
static void derive(const struct spec_msg *m, uint8_t *extra, int *min_len,
                   int *max_len)
{
	uint16_t crc = crc_str(0xffff, m->name);
	int size, i, n;

	crc = crc_str(crc, " ");
	*min_len = *max_len = 0;
	for (size = 8; size >= 1; size /= 2) {
		for (i = 0; i < 20 && m->f[i].type != NULL; i++) {
			const struct spec_field *f = &m->f[i];
			uint8_t alen = (uint8_t)f->array;

			if (f->ext || type_size(f->type) != size)
				continue;
			crc = crc_str(crc, f->type);
			crc = crc_str(crc, " ");
			crc = crc_str(crc, f->name);
			crc = crc_str(crc, " ");
			if (f->array)
				crc = mav_crc_accumulate(crc, &alen, 1);
			*min_len +=
			    type_size(f->type) * (f->array ? f->array : 1);
		}
	}
	*max_len = *min_len;
	for (i = 0, n = 0; i < 20 && m->f[i].type != NULL; i++)
		if (m->f[i].ext)
			n += type_size(m->f[i].type) *
			     (m->f[i].array ? m->f[i].array : 1);
	*max_len += n;
	*extra = (uint8_t)((crc & 0xff) ^ (crc >> 8));
}

static void test_crc_check_value(void **state)
{
	(void)state;
	/* CRC-16/MCRF4XX catalogue check value. */
	assert_int_equal(
	    mav_crc_accumulate(0xffff, (const uint8_t *)"123456789", 9),
	    0x6F91);
}

static void test_crc_extra_per_message(void **state)
{
	const struct mav_msginfo *info;
	size_t i, n;
	uint8_t extra;
	int min_len, max_len;

	(void)state;
	mav_msginfo_all(&n);
	assert_int_equal(n, sizeof(spec) / sizeof(spec[0]));
	for (i = 0; i < n; i++) {
		info = mav_msginfo(spec[i].id);
		assert_non_null(info);
		assert_string_equal(info->name, spec[i].name);
		derive(&spec[i], &extra, &min_len, &max_len);
		if (extra != info->crc_extra || min_len != info->min_len ||
		    max_len != info->max_len)
			fail_msg("%s: derived extra %u len %d..%d, table %u "
			         "%u..%u",
			         spec[i].name, extra, min_len, max_len,
			         info->crc_extra, info->min_len, info->max_len);
	}
	/* The values published with the spec's generated tables. */
	assert_int_equal(mav_msginfo(0)->crc_extra, 50);
	assert_int_equal(mav_msginfo(1)->crc_extra, 124);
	assert_int_equal(mav_msginfo(24)->crc_extra, 24);
	assert_int_equal(mav_msginfo(33)->crc_extra, 104);
	assert_int_equal(mav_msginfo(76)->crc_extra, 152);
	assert_int_equal(mav_msginfo(77)->crc_extra, 143);
	assert_int_equal(mav_msginfo(86)->crc_extra, 5);
	assert_int_equal(mav_msginfo(253)->crc_extra, 83);
	assert_null(mav_msginfo(2));
}

/* ---- helpers ---- */

/* Parses a whole buffer; returns the number of frames (up to max). */
static size_t parse_all(struct mav_parser *p, const uint8_t *buf, size_t len,
                        struct mav_frame *out, size_t max)
{
	struct mav_frame f;
	size_t n = 0, k;

	while (len > 0) {
		k = mav_parser_feed(p, buf, len);
		assert_true(k > 0);
		buf += k;
		len -= k;
		while (mav_parser_next(p, &f) == 1) {
			if (n < max)
				out[n] = f;
			n++;
		}
	}
	return n;
}

/* A frame with an arbitrary header and a correct CRC for crc_extra. */
static size_t craft(uint8_t *out, int version, uint8_t len, uint8_t iflags,
                    uint32_t msgid, const uint8_t *payload, uint8_t extra)
{
	size_t hdr = version == 2 ? MAV_V2_HEADER : MAV_V1_HEADER;
	uint16_t crc;

	if (version == 2) {
		uint8_t h[] = {MAV_STX_V2,
		               len,
		               iflags,
		               0,
		               0,
		               1,
		               1,
		               (uint8_t)msgid,
		               (uint8_t)(msgid >> 8),
		               (uint8_t)(msgid >> 16)};
		memcpy(out, h, sizeof(h));
	} else {
		uint8_t h[] = {MAV_STX_V1, len, 0, 1, 1, (uint8_t)msgid};
		memcpy(out, h, sizeof(h));
	}
	memcpy(out + hdr, payload, len);
	crc = mav_crc_accumulate(0xffff, out + 1, hdr - 1 + len);
	crc = mav_crc_accumulate(crc, &extra, 1);
	out[hdr + len] = (uint8_t)crc;
	out[hdr + len + 1] = (uint8_t)(crc >> 8);
	return hdr + len + 2;
}

static size_t heartbeat_frame(struct mav_link *l, int version, uint8_t *out)
{
	struct mav_msg m;

	memset(&m, 0, sizeof(m));
	m.id = MAV_MSG_HEARTBEAT;
	m.u.heartbeat.type = MAV_TYPE_QUADROTOR;
	m.u.heartbeat.autopilot = MAV_AUTOPILOT_ARDUPILOTMEGA;
	m.u.heartbeat.custom_mode = 4;
	m.u.heartbeat.mavlink_version = 3;
	return mav_msg_encode(l, version, &m, out, MAV_FRAME_MAX);
}

/* ---- known answers ---- */

/* A v1 HEARTBEAT captured from a real ArduCopter link (published in a
 * MAVLink write-up): seq 0x4E, sys 1, comp 1, quadrotor, ArduPilot,
 * base_mode 0x51, ACTIVE, version 3; its CRC checks with CRC_EXTRA 50. */
static const uint8_t v1_heartbeat[] = {0xFE, 0x09, 0x4E, 0x01, 0x01, 0x00,
                                       0x00, 0x00, 0x00, 0x00, 0x02, 0x03,
                                       0x51, 0x04, 0x03, 0x1C, 0x7F};

static void test_known_v1_heartbeat(void **state)
{
	struct mav_link l = {.sysid = 1, .compid = 1, .seq = 0x4E};
	struct mav_parser p;
	struct mav_frame f;
	struct mav_msg m;
	uint8_t out[MAV_FRAME_MAX];

	(void)state;
	mav_parser_init(&p);
	assert_int_equal(
	    parse_all(&p, v1_heartbeat, sizeof(v1_heartbeat), &f, 1), 1);
	assert_int_equal(f.version, 1);
	assert_int_equal(f.seq, 0x4E);
	assert_int_equal(mav_msg_unpack(&f, &m), 0);
	assert_int_equal(m.u.heartbeat.type, 2);
	assert_int_equal(m.u.heartbeat.autopilot, 3);
	assert_int_equal(m.u.heartbeat.base_mode, 0x51);
	assert_int_equal(m.u.heartbeat.system_status, 4);
	assert_int_equal(m.u.heartbeat.mavlink_version, 3);
	assert_int_equal(mav_msg_encode(&l, 1, &m, out, sizeof(out)),
	                 sizeof(v1_heartbeat));
	assert_memory_equal(out, v1_heartbeat, sizeof(v1_heartbeat));
}

/* v2 frames worked out from the spec's packet layout with a separate
 * (Python) CRC and confirmed byte for byte with node-mavlink 2.3.0. */
static const uint8_t v2_heartbeat[] = {
    0xfd, 0x09, 0x00, 0x00, 0x07, 0x01, 0x01, 0x00, 0x00, 0x00, 0x04,
    0x00, 0x00, 0x00, 0x02, 0x03, 0x99, 0x04, 0x03, 0x39, 0xc2};
/* COMMAND_ACK(400, ACCEPTED), no extensions: truncated to 2 bytes. */
static const uint8_t v2_ack_truncated[] = {0xfd, 0x02, 0x00, 0x00, 0xc8,
                                           0x01, 0x01, 0x4d, 0x00, 0x00,
                                           0x90, 0x01, 0xde, 0x05};

static void test_known_v2_frames(void **state)
{
	struct mav_link l = {.sysid = 1, .compid = 1, .seq = 7};
	uint8_t out[MAV_FRAME_MAX];
	struct mav_parser p;
	struct mav_frame f;
	struct mav_msg m;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.id = MAV_MSG_HEARTBEAT;
	m.u.heartbeat.type = 2;
	m.u.heartbeat.autopilot = 3;
	m.u.heartbeat.base_mode = 0x99;
	m.u.heartbeat.custom_mode = 4;
	m.u.heartbeat.system_status = 4;
	m.u.heartbeat.mavlink_version = 3;
	assert_int_equal(mav_msg_encode(&l, 2, &m, out, sizeof(out)),
	                 sizeof(v2_heartbeat));
	assert_memory_equal(out, v2_heartbeat, sizeof(v2_heartbeat));

	memset(&m, 0, sizeof(m));
	m.id = MAV_MSG_COMMAND_ACK;
	m.u.command_ack.command = MAV_CMD_COMPONENT_ARM_DISARM;
	l.seq = 200;
	assert_int_equal(mav_msg_encode(&l, 2, &m, out, sizeof(out)),
	                 sizeof(v2_ack_truncated));
	assert_memory_equal(out, v2_ack_truncated, sizeof(v2_ack_truncated));

	mav_parser_init(&p);
	assert_int_equal(
	    parse_all(&p, v2_ack_truncated, sizeof(v2_ack_truncated), &f, 1),
	    1);
	assert_int_equal(f.len, 2);
	assert_int_equal(mav_msg_unpack(&f, &m), 0);
	assert_int_equal(m.u.command_ack.command, 400);
	assert_int_equal(m.u.command_ack.result, 0);
	assert_int_equal(m.u.command_ack.target_system, 0);
}

/* ---- round trips ---- */

static void sample_msg(uint32_t id, struct mav_msg *m)
{
	uint8_t *raw = (uint8_t *)&m->u;
	size_t i;

	memset(m, 0, sizeof(*m));
	m->id = id;
	/* Distinct non-zero bytes everywhere, then fix the floats and the
	 * text so they compare as values. */
	for (i = 0; i < sizeof(m->u); i++)
		raw[i] = (uint8_t)(i * 7 + id + 1) | 1;
	if (id == MAV_MSG_COMMAND_LONG)
		for (i = 0; i < 7; i++)
			m->u.command_long.param[i] = 1.5f * (float)i - 3.25f;
	if (id == MAV_MSG_SET_POSITION_TARGET_GLOBAL_INT) {
		struct mav_set_position_target_global_int *s =
		    &m->u.set_position_target;
		s->alt = 12.5f;
		s->vx = -1;
		s->vy = 2;
		s->vz = -3;
		s->afx = 0.25f;
		s->afy = -0.5f;
		s->afz = 9.75f;
		s->yaw = 3.14159f;
		s->yaw_rate = -0.1f;
	}
	if (id == MAV_MSG_STATUSTEXT)
		snprintf(m->u.statustext.text, sizeof(m->u.statustext.text),
		         "PreArm: Need 3D Fix");
}

/* Packs both messages and compares the payload bytes: all fields. */
static void assert_same_msg(const struct mav_msg *a, const struct mav_msg *b,
                            size_t len)
{
	uint8_t pa[MAV_PAYLOAD_MAX], pb[MAV_PAYLOAD_MAX];

	assert_int_equal(a->id, b->id);
	mav_msg_pack(a, pa);
	mav_msg_pack(b, pb);
	assert_memory_equal(pa, pb, len);
}

static void test_round_trip_every_message(void **state)
{
	struct mav_link l = {.sysid = 250, .compid = 190};
	const struct mav_msginfo *all;
	uint8_t out[MAV_FRAME_MAX], payload[MAV_PAYLOAD_MAX];
	struct mav_msg m, back, v1want;
	struct mav_parser p;
	struct mav_frame f;
	size_t n, i, len;
	int version;

	(void)state;
	all = mav_msginfo_all(&n);
	for (i = 0; i < n; i++) {
		for (version = 1; version <= 2; version++) {
			sample_msg(all[i].id, &m);
			len = mav_msg_encode(&l, version, &m, out, sizeof(out));
			assert_true(len > 0);
			mav_parser_init(&p);
			assert_int_equal(parse_all(&p, out, len, &f, 1), 1);
			assert_int_equal(f.version, version);
			assert_int_equal(f.msgid, all[i].id);
			assert_int_equal(f.sysid, 250);
			assert_int_equal(f.compid, 190);
			assert_int_equal(mav_msg_unpack(&f, &back), 0);
			if (version == 2) {
				assert_same_msg(&m, &back, all[i].max_len);
				continue;
			}
			/* v1: base fields survive, extensions read zero. */
			assert_int_equal(f.len, all[i].min_len);
			mav_msg_pack(&m, payload);
			memset(payload + all[i].min_len, 0,
			       MAV_PAYLOAD_MAX - all[i].min_len);
			memcpy(f.payload, payload, MAV_PAYLOAD_MAX);
			mav_msg_unpack(&f, &v1want);
			assert_same_msg(&v1want, &back, all[i].max_len);
		}
	}
	assert_int_equal(mav_msginfo(MAV_MSG_STATUSTEXT)->max_len, 54);
}

static void test_statustext_full_length(void **state)
{
	struct mav_link l = {.sysid = 1, .compid = 1};
	uint8_t out[MAV_FRAME_MAX];
	struct mav_parser p;
	struct mav_frame f;
	struct mav_msg m, back;
	size_t len;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.id = MAV_MSG_STATUSTEXT;
	memset(m.u.statustext.text, 'x', MAV_STATUSTEXT_LEN);
	len = mav_msg_encode(&l, 2, &m, out, sizeof(out));
	assert_true(len > 0);
	mav_parser_init(&p);
	assert_int_equal(parse_all(&p, out, len, &f, 1), 1);
	assert_int_equal(f.len, 51); /* no NUL on the wire, no extensions */
	mav_msg_unpack(&f, &back);
	assert_int_equal(strlen(back.u.statustext.text), MAV_STATUSTEXT_LEN);
}

/* ---- truncation ---- */

static void test_truncation(void **state)
{
	struct mav_link l = {.sysid = 1, .compid = 1};
	uint8_t out[MAV_FRAME_MAX];
	struct mav_parser p;
	struct mav_frame f;
	struct mav_msg m, back;

	(void)state;
	/* GLOBAL_POSITION_INT with vz = hdg = 0: its last 4 bytes go. */
	memset(&m, 0, sizeof(m));
	m.id = MAV_MSG_GLOBAL_POSITION_INT;
	m.u.global_position_int.lat = 473977420;
	m.u.global_position_int.vy = -5;
	assert_int_equal(mav_msg_encode(&l, 2, &m, out, sizeof(out)),
	                 MAV_V2_HEADER + 24 + 2);
	assert_int_equal(out[1], 24);
	mav_parser_init(&p);
	assert_int_equal(parse_all(&p, out, MAV_V2_HEADER + 24 + 2, &f, 1), 1);
	mav_msg_unpack(&f, &back);
	assert_int_equal(back.u.global_position_int.lat, 473977420);
	assert_int_equal(back.u.global_position_int.vy, -5);
	assert_int_equal(back.u.global_position_int.hdg, 0);

	/* All zeros: the first byte is never truncated. */
	memset(&m, 0, sizeof(m));
	m.id = MAV_MSG_HEARTBEAT;
	assert_int_equal(mav_msg_encode(&l, 2, &m, out, sizeof(out)),
	                 MAV_V2_HEADER + 1 + 2);
	assert_int_equal(out[1], 1);

	/* v1 never truncates. */
	assert_int_equal(mav_msg_encode(&l, 1, &m, out, sizeof(out)),
	                 MAV_V1_HEADER + 9 + 2);

	/* A non-compliant untruncated v2 frame is still accepted. */
	{
		uint8_t payload[MAV_PAYLOAD_MAX] = {0};
		uint8_t frame[MAV_FRAME_MAX];
		size_t n = craft(frame, 2, 28, 0, MAV_MSG_GLOBAL_POSITION_INT,
		                 payload, 104);

		mav_parser_init(&p);
		assert_int_equal(parse_all(&p, frame, n, &f, 1), 1);
		assert_int_equal(f.len, 28);
	}
}

/* ---- the parser on hostile streams ---- */

static void test_garbage_resync(void **state)
{
	struct mav_link l = {.sysid = 1, .compid = 1};
	uint8_t stream[2048], frame[MAV_FRAME_MAX];
	struct mav_frame got[4];
	struct mav_parser p;
	size_t n = 0, len, i;

	(void)state;
	/* Noise with start markers, a plausible v2 header (known id, bad
	 * CRC) and one naming an id we do not know. */
	static const uint8_t noise[] = {
	    0x00, 0xFD, 0x09, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00, 0x00,
	    0x00, 0xFE, 0x09, 0x05, 0x01, 0x01, 0x00, 0x33, 0xFD, 0x02,
	    0x00, 0x00, 0x00, 0x01, 0x01, 0x55, 0x66, 0x77, 0xAA};
	memcpy(stream + n, noise, sizeof(noise));
	n += sizeof(noise);
	len = heartbeat_frame(&l, 2, frame);
	memcpy(stream + n, frame, len);
	n += len;
	for (i = 0; i < 300; i++)
		stream[n++] = (uint8_t)(i * 31 + 7);
	len = heartbeat_frame(&l, 1, frame);
	memcpy(stream + n, frame, len);
	n += len;
	/* A frame cut short, then a whole one: the cut one's header names
	 * an id made of the whole one's first bytes; the rescan finds it. */
	len = heartbeat_frame(&l, 2, frame);
	memcpy(stream + n, frame, 8);
	n += 8;
	memcpy(stream + n, frame, len);
	n += len;

	mav_parser_init(&p);
	assert_int_equal(parse_all(&p, stream, n, got, 4), 3);
	assert_int_equal(got[0].version, 2);
	assert_int_equal(got[1].version, 1);
	assert_int_equal(got[2].version, 2);
	assert_int_equal(p.stats.frames, 3);
	assert_true(p.stats.garbage > 0);
	assert_true(p.have < MAV_FRAME_MAX);
}

static void test_frame_split_across_feeds(void **state)
{
	struct mav_link l = {.sysid = 1, .compid = 1};
	uint8_t frame[MAV_FRAME_MAX];
	struct mav_parser p;
	struct mav_frame f;
	struct mav_msg m;
	size_t len, cut, i;
	int got;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.id = MAV_MSG_STATUSTEXT;
	snprintf(m.u.statustext.text, sizeof(m.u.statustext.text),
	         "split me anywhere");
	len = mav_msg_encode(&l, 2, &m, frame, sizeof(frame));
	for (cut = 0; cut <= len; cut++) {
		mav_parser_init(&p);
		assert_int_equal(mav_parser_feed(&p, frame, cut), cut);
		got = mav_parser_next(&p, &f);
		assert_int_equal(got, cut == len ? 1 : 0);
		assert_int_equal(mav_parser_feed(&p, frame + cut, len - cut),
		                 len - cut);
		if (cut < len)
			assert_int_equal(mav_parser_next(&p, &f), 1);
		assert_int_equal(mav_parser_next(&p, &f), 0);
		assert_string_equal((char *)f.payload + 1, "split me anywhere");
	}
	/* One byte at a time. */
	mav_parser_init(&p);
	for (i = 0, got = 0; i < len; i++) {
		mav_parser_feed(&p, frame + i, 1);
		got += mav_parser_next(&p, &f);
	}
	assert_int_equal(got, 1);
}

static void test_bad_lengths(void **state)
{
	uint8_t payload[MAV_PAYLOAD_MAX], frame[MAV_FRAME_MAX], big[300];
	struct mav_link l = {.sysid = 1, .compid = 1};
	struct mav_parser p;
	struct mav_frame f;
	struct mav_msg m;
	size_t n;

	(void)state;
	memset(payload, 0x11, sizeof(payload));
	/* v1 HEARTBEAT of 8 bytes (short) and 10 bytes (long), valid CRCs. */
	mav_parser_init(&p);
	n = craft(frame, 1, 8, 0, MAV_MSG_HEARTBEAT, payload, 50);
	assert_int_equal(parse_all(&p, frame, n, &f, 1), 0);
	n = craft(frame, 1, 10, 0, MAV_MSG_HEARTBEAT, payload, 50);
	assert_int_equal(parse_all(&p, frame, n, &f, 1), 0);
	assert_int_equal(p.stats.bad_len, 2);
	/* v2 of length 0. */
	n = craft(frame, 2, 0, 0, MAV_MSG_HEARTBEAT, payload, 50);
	assert_int_equal(parse_all(&p, frame, n, &f, 1), 0);
	assert_int_equal(p.stats.bad_len, 3);
	/* v2 longer than our definition (newer extensions): accepted,
	 * decoded without the extra bytes. */
	n = craft(frame, 2, 255, 0, MAV_MSG_COMMAND_ACK, payload, 143);
	assert_int_equal(parse_all(&p, frame, n, &f, 1), 1);
	assert_int_equal(f.len, 255);
	assert_int_equal(mav_msg_unpack(&f, &m), 0);
	assert_int_equal(m.u.command_ack.command, 0x1111);
	/* A length byte that lies (says 255, CRC of the real frame): waits
	 * for more bytes, then fails the CRC and resynchronises. */
	n = heartbeat_frame(&l, 2, frame);
	frame[1] = 255;
	memset(big, 0, sizeof(big));
	mav_parser_init(&p);
	assert_int_equal(parse_all(&p, frame, n, &f, 1), 0);
	assert_int_equal(parse_all(&p, big, sizeof(big), &f, 1), 0);
	assert_int_equal(p.stats.bad_crc, 1);
	n = heartbeat_frame(&l, 2, frame);
	assert_int_equal(parse_all(&p, frame, n, &f, 1), 1);

	/* The encoder refuses what cannot be framed. */
	assert_int_equal(
	    mav_encode(&l, 2, 0, payload, 256, frame, sizeof(frame)), 0);
	assert_int_equal(mav_encode(&l, 2, 0, payload, 9, frame, 12), 0);
	assert_int_equal(
	    mav_encode(&l, 2, 12345, payload, 9, frame, sizeof(frame)), 0);
	assert_int_equal(mav_encode(&l, 3, 0, payload, 9, frame, sizeof(frame)),
	                 0);
}

static void test_bad_crc_counted(void **state)
{
	struct mav_link l = {.sysid = 1, .compid = 1};
	uint8_t stream[2 * MAV_FRAME_MAX];
	struct mav_frame got[2];
	struct mav_parser p;
	size_t n, m;

	(void)state;
	n = heartbeat_frame(&l, 2, stream);
	stream[12] ^= 0x40; /* damage the payload */
	m = heartbeat_frame(&l, 2, stream + n);
	mav_parser_init(&p);
	assert_int_equal(parse_all(&p, stream, n + m, got, 2), 1);
	assert_int_equal(p.stats.bad_crc, 1);
	assert_int_equal(got[0].seq, 1);
	/* A wrong CRC_EXTRA (another definition of the message) fails too. */
	{
		uint8_t payload[MAV_PAYLOAD_MAX] = {1, 2, 3};

		n = craft(stream, 2, 9, 0, MAV_MSG_HEARTBEAT, payload, 51);
		assert_int_equal(parse_all(&p, stream, n, got, 2), 0);
		assert_int_equal(p.stats.bad_crc, 2);
	}
}

static void test_unknown_id_skipped_with_frame(void **state)
{
	struct mav_link l = {.sysid = 1, .compid = 1};
	uint8_t payload[MAV_PAYLOAD_MAX], stream[3 * MAV_FRAME_MAX];
	struct mav_frame got[2];
	struct mav_parser p;
	size_t n, hb;

	(void)state;
	/* An unknown message (id 9999) whose payload holds a whole valid
	 * HEARTBEAT frame: skipped as one frame, its payload not rescanned. */
	memset(payload, 0, sizeof(payload));
	hb = heartbeat_frame(&l, 2, payload + 5);
	n = craft(stream, 2, (uint8_t)(hb + 10), 0, 9999, payload, 0);
	n += heartbeat_frame(&l, 2, stream + n);
	/* And a v1 frame of an unknown id. */
	n += craft(stream + n, 1, 4, 0, 2, payload, 0);
	n += heartbeat_frame(&l, 1, stream + n);
	mav_parser_init(&p);
	assert_int_equal(parse_all(&p, stream, n, got, 2), 2);
	assert_int_equal(p.stats.unknown, 2);
	assert_int_equal(p.stats.bad_crc, 0);
	assert_int_equal(got[0].seq, 1);
	assert_int_equal(got[1].version, 1);
}

static void test_signed_and_flags(void **state)
{
	struct mav_link l = {.sysid = 1, .compid = 1};
	uint8_t payload[MAV_PAYLOAD_MAX] = {4, 0, 0, 0, 2, 3, 0, 0, 3};
	uint8_t stream[3 * MAV_FRAME_MAX];
	struct mav_frame got[2];
	struct mav_parser p;
	size_t n;

	(void)state;
	/* Signed: 13 signature bytes follow the CRC. Delimited, dropped. */
	n = craft(stream, 2, 9, MAV_IFLAG_SIGNED, MAV_MSG_HEARTBEAT, payload,
	          50);
	memset(stream + n, 0xFD, MAV_SIGNATURE); /* markers in the signature */
	n += MAV_SIGNATURE;
	/* An incompat flag we do not understand: must be discarded. */
	n += craft(stream + n, 2, 9, 0x02, MAV_MSG_HEARTBEAT, payload, 50);
	n += heartbeat_frame(&l, 2, stream + n);
	mav_parser_init(&p);
	assert_int_equal(parse_all(&p, stream, n, got, 2), 1);
	assert_int_equal(p.stats.signed_dropped, 1);
	assert_true(p.stats.bad_flags >= 1);
	assert_int_equal(got[0].incompat_flags, 0);
}

static void test_sequence_numbers(void **state)
{
	struct mav_link l = {.sysid = 7, .compid = 1, .seq = 254};
	struct mav_link other = {.sysid = 8, .compid = 1, .seq = 100};
	uint8_t stream[16 * 32];
	struct mav_frame got[8];
	struct mav_parser p;
	size_t n = 0;

	(void)state;
	n += heartbeat_frame(&l, 2, stream + n);     /* 254 */
	n += heartbeat_frame(&l, 2, stream + n);     /* 255 */
	n += heartbeat_frame(&other, 2, stream + n); /* another sender: 100 */
	n += heartbeat_frame(&l, 2, stream + n);     /* 0: wrapped, no loss */
	l.seq = 3;                                   /* 1 and 2 lost */
	n += heartbeat_frame(&l, 1, stream + n);
	n += heartbeat_frame(&other, 2, stream + n); /* 101 */
	assert_int_equal(l.seq, 4);
	mav_parser_init(&p);
	assert_int_equal(parse_all(&p, stream, n, got, 8), 6);
	assert_int_equal(got[0].seq, 254);
	assert_int_equal(got[1].seq, 255);
	assert_int_equal(got[3].seq, 0);
	assert_int_equal(got[4].seq, 3);
	assert_int_equal(p.stats.seq_lost, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_crc_check_value),
	    cmocka_unit_test(test_crc_extra_per_message),
	    cmocka_unit_test(test_known_v1_heartbeat),
	    cmocka_unit_test(test_known_v2_frames),
	    cmocka_unit_test(test_round_trip_every_message),
	    cmocka_unit_test(test_statustext_full_length),
	    cmocka_unit_test(test_truncation),
	    cmocka_unit_test(test_garbage_resync),
	    cmocka_unit_test(test_frame_split_across_feeds),
	    cmocka_unit_test(test_bad_lengths),
	    cmocka_unit_test(test_bad_crc_counted),
	    cmocka_unit_test(test_unknown_id_skipped_with_frame),
	    cmocka_unit_test(test_signed_and_flags),
	    cmocka_unit_test(test_sequence_numbers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
