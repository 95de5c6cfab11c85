/* The MAVLink codec: see codec.h for what it covers and what it does not.
 * Layouts are written out by hand from common.xml / minimal.xml in wire
 * order; the offsets in each pack/unpack pair are the spec's, and the
 * unit tests check them against the field lists and CRC_EXTRA values. */
#include "codec.h"

#include <string.h>

/* min_len: base fields (the v1 payload); max_len: with extensions. */
static const struct mav_msginfo msginfo[] = {
    {MAV_MSG_HEARTBEAT, "HEARTBEAT", 50, 9, 9},
    {MAV_MSG_SYS_STATUS, "SYS_STATUS", 124, 31, 43},
    {MAV_MSG_GPS_RAW_INT, "GPS_RAW_INT", 24, 30, 52},
    {MAV_MSG_GLOBAL_POSITION_INT, "GLOBAL_POSITION_INT", 104, 28, 28},
    {MAV_MSG_COMMAND_LONG, "COMMAND_LONG", 152, 33, 33},
    {MAV_MSG_COMMAND_ACK, "COMMAND_ACK", 143, 3, 10},
    {MAV_MSG_SET_POSITION_TARGET_GLOBAL_INT, "SET_POSITION_TARGET_GLOBAL_INT",
     5, 53, 53},
    {MAV_MSG_STATUSTEXT, "STATUSTEXT", 83, 51, 54},
};

#define NMSGINFO (sizeof(msginfo) / sizeof(msginfo[0]))

const struct mav_msginfo *mav_msginfo(uint32_t msgid)
{
	size_t i;

	for (i = 0; i < NMSGINFO; i++)
		if (msginfo[i].id == msgid)
			return &msginfo[i];
	return NULL;
}

const struct mav_msginfo *mav_msginfo_all(size_t *count)
{
	*count = NMSGINFO;
	return msginfo;
}

uint16_t mav_crc_accumulate(uint16_t crc, const uint8_t *data, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		uint8_t tmp = data[i] ^ (uint8_t)(crc & 0xff);

		tmp ^= (uint8_t)(tmp << 4);
		crc = (uint16_t)((crc >> 8) ^ ((uint16_t)tmp << 8) ^
		                 ((uint16_t)tmp << 3) ^ (tmp >> 4));
	}
	return crc;
}

/* The frame checksum: every byte after the start marker up to the end of
 * the payload, then the message's CRC_EXTRA. */
static uint16_t frame_crc(const uint8_t *frame, size_t hdr, size_t len,
                          uint8_t crc_extra)
{
	uint16_t crc = mav_crc_accumulate(0xffff, frame + 1, hdr - 1 + len);

	return mav_crc_accumulate(crc, &crc_extra, 1);
}

/* ---- the parser ---- */

void mav_parser_init(struct mav_parser *p)
{
	memset(p, 0, sizeof(*p));
}

size_t mav_parser_feed(struct mav_parser *p, const uint8_t *data, size_t len)
{
	size_t room = sizeof(p->buf) - p->have;
	size_t n = len < room ? len : room;

	memcpy(p->buf + p->have, data, n);
	p->have += n;
	return n;
}

static void drop(struct mav_parser *p, size_t n)
{
	memmove(p->buf, p->buf + n, p->have - n);
	p->have -= n;
}

/* Counts frames missing between this one and the sender's last. */
static void track_seq(struct mav_parser *p, const struct mav_frame *f)
{
	size_t i, slot = (size_t)(f->sysid ^ f->compid) % 8;

	for (i = 0; i < 8; i++) {
		if (p->last[i].used && p->last[i].sysid == f->sysid &&
		    p->last[i].compid == f->compid) {
			p->stats.seq_lost +=
			    (uint8_t)(f->seq - (uint8_t)(p->last[i].seq + 1));
			p->last[i].seq = f->seq;
			return;
		}
	}
	p->last[slot].used = 1;
	p->last[slot].sysid = f->sysid;
	p->last[slot].compid = f->compid;
	p->last[slot].seq = f->seq;
}

static void fill_frame(const uint8_t *b, size_t hdr, struct mav_frame *f)
{
	memset(f, 0, sizeof(*f));
	f->len = b[1];
	if (hdr == MAV_V2_HEADER) {
		f->version = 2;
		f->incompat_flags = b[2];
		f->compat_flags = b[3];
		f->seq = b[4];
		f->sysid = b[5];
		f->compid = b[6];
		f->msgid =
		    (uint32_t)b[7] | (uint32_t)b[8] << 8 | (uint32_t)b[9] << 16;
	} else {
		f->version = 1;
		f->seq = b[2];
		f->sysid = b[3];
		f->compid = b[4];
		f->msgid = b[5];
	}
	memcpy(f->payload, b + hdr, f->len);
}

/* Looks at the buffer head: 1 = a frame was delivered, 0 = need more
 * bytes, -1 = something was dropped (look again). */
static int parse_head(struct mav_parser *p, struct mav_frame *f)
{
	const uint8_t *b = p->buf;
	const struct mav_msginfo *info;
	size_t i = 0, hdr, len, total;
	uint32_t msgid;
	uint16_t crc;
	int sig = 0;

	while (i < p->have && b[i] != MAV_STX_V1 && b[i] != MAV_STX_V2)
		i++;
	if (i > 0) {
		p->stats.garbage += i;
		drop(p, i);
		return -1;
	}
	hdr = b[0] == MAV_STX_V2 ? MAV_V2_HEADER : MAV_V1_HEADER;
	if (p->have < 3)
		return 0;
	len = b[1];
	if (hdr == MAV_V2_HEADER) {
		if (b[2] & ~MAV_IFLAG_SIGNED) {
			/* Must discard, and its layout is unknowable: treat
			 * the marker as noise. */
			p->stats.bad_flags++;
			drop(p, 1);
			return -1;
		}
		sig = b[2] & MAV_IFLAG_SIGNED;
	}
	total = hdr + len + MAV_CHECKSUM + (sig ? MAV_SIGNATURE : 0);
	if (p->have < total)
		return 0;
	msgid = hdr == MAV_V2_HEADER ? (uint32_t)b[7] | (uint32_t)b[8] << 8 |
	                                   (uint32_t)b[9] << 16
	                             : b[5];
	info = mav_msginfo(msgid);
	if (info == NULL) {
		/* No CRC_EXTRA to check it with. Its boundary is believed
		 * only when the next frame's start marker follows it: then it
		 * is skipped whole, and bytes inside it (a frame tunnelled in
		 * its payload, say) are never read as frames. Otherwise the
		 * marker was noise, or a cut frame: rescan after it. */
		if (p->have < total + 1)
			return 0;
		if (b[total] == MAV_STX_V1 || b[total] == MAV_STX_V2) {
			p->stats.unknown++;
			drop(p, total);
		} else {
			p->stats.garbage++;
			drop(p, 1);
		}
		return -1;
	}
	crc = frame_crc(b, hdr, len, info->crc_extra);
	if (crc != (uint16_t)(b[hdr + len] | b[hdr + len + 1] << 8)) {
		/* Not a frame after all, or a damaged one: rescan from the
		 * next byte so a real frame inside it is not lost. */
		p->stats.bad_crc++;
		drop(p, 1);
		return -1;
	}
	if (sig) {
		p->stats.signed_dropped++;
		drop(p, total);
		return -1;
	}
	/* v1 carries the base fields (some senders add the extensions, as
	 * the reference C library accepts); v2 at least one byte (never
	 * truncated below it). A v2 frame longer than we know holds
	 * extensions newer than our definition: decoded without them. */
	if ((hdr == MAV_V1_HEADER &&
	     (len < info->min_len || len > info->max_len)) ||
	    (hdr == MAV_V2_HEADER && len == 0)) {
		p->stats.bad_len++;
		drop(p, total);
		return -1;
	}
	fill_frame(b, hdr, f);
	drop(p, total);
	p->stats.frames++;
	track_seq(p, f);
	return 1;
}

int mav_parser_next(struct mav_parser *p, struct mav_frame *f)
{
	int r;

	while (p->have > 0) {
		r = parse_head(p, f);
		if (r >= 0)
			return r;
	}
	return 0;
}

/* ---- the encoder ---- */

size_t mav_encode(struct mav_link *l, int version, uint32_t msgid,
                  const uint8_t *payload, size_t len, uint8_t *out,
                  size_t outlen)
{
	const struct mav_msginfo *info = mav_msginfo(msgid);
	size_t hdr, n, copy;
	uint16_t crc;

	if (info == NULL || len > MAV_PAYLOAD_MAX)
		return 0;
	if (version == 1) {
		if (msgid > 255)
			return 0;
		hdr = MAV_V1_HEADER;
		n = info->min_len;
	} else if (version == 2) {
		hdr = MAV_V2_HEADER;
		n = len;
		while (n > 1 && payload[n - 1] == 0)
			n--;
	} else {
		return 0;
	}
	if (hdr + n + MAV_CHECKSUM > outlen)
		return 0;
	out[1] = (uint8_t)n;
	if (version == 2) {
		out[0] = MAV_STX_V2;
		out[2] = 0; /* incompat: unsigned */
		out[3] = 0;
		out[4] = l->seq;
		out[5] = l->sysid;
		out[6] = l->compid;
		out[7] = (uint8_t)msgid;
		out[8] = (uint8_t)(msgid >> 8);
		out[9] = (uint8_t)(msgid >> 16);
	} else {
		out[0] = MAV_STX_V1;
		out[2] = l->seq;
		out[3] = l->sysid;
		out[4] = l->compid;
		out[5] = (uint8_t)msgid;
	}
	copy = len < n ? len : n;
	memcpy(out + hdr, payload, copy);
	memset(out + hdr + copy, 0, n - copy);
	crc = frame_crc(out, hdr, n, info->crc_extra);
	out[hdr + n] = (uint8_t)crc;
	out[hdr + n + 1] = (uint8_t)(crc >> 8);
	l->seq++;
	return hdr + n + MAV_CHECKSUM;
}

/* ---- little-endian fields ---- */

static void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
	put_u16(p, (uint16_t)v);
	put_u16(p + 2, (uint16_t)(v >> 16));
}

static void put_u64(uint8_t *p, uint64_t v)
{
	put_u32(p, (uint32_t)v);
	put_u32(p + 4, (uint32_t)(v >> 32));
}

static void put_f32(uint8_t *p, float v)
{
	uint32_t u;

	memcpy(&u, &v, sizeof(u));
	put_u32(p, u);
}

static uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)get_u16(p) | (uint32_t)get_u16(p + 2) << 16;
}

static uint64_t get_u64(const uint8_t *p)
{
	return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

static float get_f32(const uint8_t *p)
{
	uint32_t u = get_u32(p);
	float v;

	memcpy(&v, &u, sizeof(v));
	return v;
}

/* ---- the messages, in wire order ---- */

static void pack_heartbeat(const struct mav_heartbeat *m, uint8_t *p)
{
	put_u32(p + 0, m->custom_mode);
	p[4] = m->type;
	p[5] = m->autopilot;
	p[6] = m->base_mode;
	p[7] = m->system_status;
	p[8] = m->mavlink_version;
}

static void unpack_heartbeat(const uint8_t *p, struct mav_heartbeat *m)
{
	m->custom_mode = get_u32(p + 0);
	m->type = p[4];
	m->autopilot = p[5];
	m->base_mode = p[6];
	m->system_status = p[7];
	m->mavlink_version = p[8];
}

static void pack_sys_status(const struct mav_sys_status *m, uint8_t *p)
{
	int i;

	put_u32(p + 0, m->sensors_present);
	put_u32(p + 4, m->sensors_enabled);
	put_u32(p + 8, m->sensors_health);
	put_u16(p + 12, m->load);
	put_u16(p + 14, m->voltage_battery);
	put_u16(p + 16, (uint16_t)m->current_battery);
	put_u16(p + 18, m->drop_rate_comm);
	put_u16(p + 20, m->errors_comm);
	for (i = 0; i < 4; i++)
		put_u16(p + 22 + 2 * i, m->errors_count[i]);
	p[30] = (uint8_t)m->battery_remaining;
	put_u32(p + 31, m->sensors_present_extended);
	put_u32(p + 35, m->sensors_enabled_extended);
	put_u32(p + 39, m->sensors_health_extended);
}

static void unpack_sys_status(const uint8_t *p, struct mav_sys_status *m)
{
	int i;

	m->sensors_present = get_u32(p + 0);
	m->sensors_enabled = get_u32(p + 4);
	m->sensors_health = get_u32(p + 8);
	m->load = get_u16(p + 12);
	m->voltage_battery = get_u16(p + 14);
	m->current_battery = (int16_t)get_u16(p + 16);
	m->drop_rate_comm = get_u16(p + 18);
	m->errors_comm = get_u16(p + 20);
	for (i = 0; i < 4; i++)
		m->errors_count[i] = get_u16(p + 22 + 2 * i);
	m->battery_remaining = (int8_t)p[30];
	m->sensors_present_extended = get_u32(p + 31);
	m->sensors_enabled_extended = get_u32(p + 35);
	m->sensors_health_extended = get_u32(p + 39);
}

static void pack_gps_raw_int(const struct mav_gps_raw_int *m, uint8_t *p)
{
	put_u64(p + 0, m->time_usec);
	put_u32(p + 8, (uint32_t)m->lat);
	put_u32(p + 12, (uint32_t)m->lon);
	put_u32(p + 16, (uint32_t)m->alt);
	put_u16(p + 20, m->eph);
	put_u16(p + 22, m->epv);
	put_u16(p + 24, m->vel);
	put_u16(p + 26, m->cog);
	p[28] = m->fix_type;
	p[29] = m->satellites_visible;
	put_u32(p + 30, (uint32_t)m->alt_ellipsoid);
	put_u32(p + 34, m->h_acc);
	put_u32(p + 38, m->v_acc);
	put_u32(p + 42, m->vel_acc);
	put_u32(p + 46, m->hdg_acc);
	put_u16(p + 50, m->yaw);
}

static void unpack_gps_raw_int(const uint8_t *p, struct mav_gps_raw_int *m)
{
	m->time_usec = get_u64(p + 0);
	m->lat = (int32_t)get_u32(p + 8);
	m->lon = (int32_t)get_u32(p + 12);
	m->alt = (int32_t)get_u32(p + 16);
	m->eph = get_u16(p + 20);
	m->epv = get_u16(p + 22);
	m->vel = get_u16(p + 24);
	m->cog = get_u16(p + 26);
	m->fix_type = p[28];
	m->satellites_visible = p[29];
	m->alt_ellipsoid = (int32_t)get_u32(p + 30);
	m->h_acc = get_u32(p + 34);
	m->v_acc = get_u32(p + 38);
	m->vel_acc = get_u32(p + 42);
	m->hdg_acc = get_u32(p + 46);
	m->yaw = get_u16(p + 50);
}

static void pack_global_position_int(const struct mav_global_position_int *m,
                                     uint8_t *p)
{
	put_u32(p + 0, m->time_boot_ms);
	put_u32(p + 4, (uint32_t)m->lat);
	put_u32(p + 8, (uint32_t)m->lon);
	put_u32(p + 12, (uint32_t)m->alt);
	put_u32(p + 16, (uint32_t)m->relative_alt);
	put_u16(p + 20, (uint16_t)m->vx);
	put_u16(p + 22, (uint16_t)m->vy);
	put_u16(p + 24, (uint16_t)m->vz);
	put_u16(p + 26, m->hdg);
}

static void unpack_global_position_int(const uint8_t *p,
                                       struct mav_global_position_int *m)
{
	m->time_boot_ms = get_u32(p + 0);
	m->lat = (int32_t)get_u32(p + 4);
	m->lon = (int32_t)get_u32(p + 8);
	m->alt = (int32_t)get_u32(p + 12);
	m->relative_alt = (int32_t)get_u32(p + 16);
	m->vx = (int16_t)get_u16(p + 20);
	m->vy = (int16_t)get_u16(p + 22);
	m->vz = (int16_t)get_u16(p + 24);
	m->hdg = get_u16(p + 26);
}

static void pack_command_long(const struct mav_command_long *m, uint8_t *p)
{
	int i;

	for (i = 0; i < 7; i++)
		put_f32(p + 4 * i, m->param[i]);
	put_u16(p + 28, m->command);
	p[30] = m->target_system;
	p[31] = m->target_component;
	p[32] = m->confirmation;
}

static void unpack_command_long(const uint8_t *p, struct mav_command_long *m)
{
	int i;

	for (i = 0; i < 7; i++)
		m->param[i] = get_f32(p + 4 * i);
	m->command = get_u16(p + 28);
	m->target_system = p[30];
	m->target_component = p[31];
	m->confirmation = p[32];
}

static void pack_command_ack(const struct mav_command_ack *m, uint8_t *p)
{
	put_u16(p + 0, m->command);
	p[2] = m->result;
	p[3] = m->progress;
	put_u32(p + 4, (uint32_t)m->result_param2);
	p[8] = m->target_system;
	p[9] = m->target_component;
}

static void unpack_command_ack(const uint8_t *p, struct mav_command_ack *m)
{
	m->command = get_u16(p + 0);
	m->result = p[2];
	m->progress = p[3];
	m->result_param2 = (int32_t)get_u32(p + 4);
	m->target_system = p[8];
	m->target_component = p[9];
}

static void
pack_set_position_target(const struct mav_set_position_target_global_int *m,
                         uint8_t *p)
{
	put_u32(p + 0, m->time_boot_ms);
	put_u32(p + 4, (uint32_t)m->lat_int);
	put_u32(p + 8, (uint32_t)m->lon_int);
	put_f32(p + 12, m->alt);
	put_f32(p + 16, m->vx);
	put_f32(p + 20, m->vy);
	put_f32(p + 24, m->vz);
	put_f32(p + 28, m->afx);
	put_f32(p + 32, m->afy);
	put_f32(p + 36, m->afz);
	put_f32(p + 40, m->yaw);
	put_f32(p + 44, m->yaw_rate);
	put_u16(p + 48, m->type_mask);
	p[50] = m->target_system;
	p[51] = m->target_component;
	p[52] = m->coordinate_frame;
}

static void
unpack_set_position_target(const uint8_t *p,
                           struct mav_set_position_target_global_int *m)
{
	m->time_boot_ms = get_u32(p + 0);
	m->lat_int = (int32_t)get_u32(p + 4);
	m->lon_int = (int32_t)get_u32(p + 8);
	m->alt = get_f32(p + 12);
	m->vx = get_f32(p + 16);
	m->vy = get_f32(p + 20);
	m->vz = get_f32(p + 24);
	m->afx = get_f32(p + 28);
	m->afy = get_f32(p + 32);
	m->afz = get_f32(p + 36);
	m->yaw = get_f32(p + 40);
	m->yaw_rate = get_f32(p + 44);
	m->type_mask = get_u16(p + 48);
	m->target_system = p[50];
	m->target_component = p[51];
	m->coordinate_frame = p[52];
}

static void pack_statustext(const struct mav_statustext *m, uint8_t *p)
{
	p[0] = m->severity;
	/* Not NUL-terminated on the wire when all 50 bytes are text. */
	memcpy(p + 1, m->text, strnlen(m->text, MAV_STATUSTEXT_LEN));
	put_u16(p + 51, m->id);
	p[53] = m->chunk_seq;
}

static void unpack_statustext(const uint8_t *p, struct mav_statustext *m)
{
	m->severity = p[0];
	memcpy(m->text, p + 1, MAV_STATUSTEXT_LEN);
	m->text[MAV_STATUSTEXT_LEN] = '\0';
	m->id = get_u16(p + 51);
	m->chunk_seq = p[53];
}

size_t mav_msg_pack(const struct mav_msg *m, uint8_t payload[MAV_PAYLOAD_MAX])
{
	const struct mav_msginfo *info = mav_msginfo(m->id);

	if (info == NULL)
		return 0;
	memset(payload, 0, MAV_PAYLOAD_MAX);
	switch (m->id) {
	case MAV_MSG_HEARTBEAT:
		pack_heartbeat(&m->u.heartbeat, payload);
		break;
	case MAV_MSG_SYS_STATUS:
		pack_sys_status(&m->u.sys_status, payload);
		break;
	case MAV_MSG_GPS_RAW_INT:
		pack_gps_raw_int(&m->u.gps_raw_int, payload);
		break;
	case MAV_MSG_GLOBAL_POSITION_INT:
		pack_global_position_int(&m->u.global_position_int, payload);
		break;
	case MAV_MSG_COMMAND_LONG:
		pack_command_long(&m->u.command_long, payload);
		break;
	case MAV_MSG_COMMAND_ACK:
		pack_command_ack(&m->u.command_ack, payload);
		break;
	case MAV_MSG_SET_POSITION_TARGET_GLOBAL_INT:
		pack_set_position_target(&m->u.set_position_target, payload);
		break;
	case MAV_MSG_STATUSTEXT:
		pack_statustext(&m->u.statustext, payload);
		break;
	default:
		return 0;
	}
	return info->max_len;
}

int mav_msg_unpack(const struct mav_frame *f, struct mav_msg *m)
{
	/* f->payload is zero-filled past f->len: truncated fields and
	 * extensions the sender did not send read as zero. */
	const uint8_t *p = f->payload;

	memset(m, 0, sizeof(*m));
	m->id = f->msgid;
	switch (f->msgid) {
	case MAV_MSG_HEARTBEAT:
		unpack_heartbeat(p, &m->u.heartbeat);
		break;
	case MAV_MSG_SYS_STATUS:
		unpack_sys_status(p, &m->u.sys_status);
		break;
	case MAV_MSG_GPS_RAW_INT:
		unpack_gps_raw_int(p, &m->u.gps_raw_int);
		break;
	case MAV_MSG_GLOBAL_POSITION_INT:
		unpack_global_position_int(p, &m->u.global_position_int);
		break;
	case MAV_MSG_COMMAND_LONG:
		unpack_command_long(p, &m->u.command_long);
		break;
	case MAV_MSG_COMMAND_ACK:
		unpack_command_ack(p, &m->u.command_ack);
		break;
	case MAV_MSG_SET_POSITION_TARGET_GLOBAL_INT:
		unpack_set_position_target(p, &m->u.set_position_target);
		break;
	case MAV_MSG_STATUSTEXT:
		unpack_statustext(p, &m->u.statustext);
		break;
	default:
		return -1;
	}
	return 0;
}

size_t mav_msg_encode(struct mav_link *l, int version, const struct mav_msg *m,
                      uint8_t *out, size_t outlen)
{
	uint8_t payload[MAV_PAYLOAD_MAX];
	size_t len = mav_msg_pack(m, payload);

	if (len == 0)
		return 0;
	return mav_encode(l, version, m->id, payload, len, out, outlen);
}
