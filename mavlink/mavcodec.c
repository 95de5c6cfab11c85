/* mavcodec: the codec as a filter, so another implementation can check it
 * (tests/mavlink/interop.py against node-mavlink).
 *   mavcodec decode            frames on stdin -> one JSON line per frame
 *                              on stdout, then {"stats": ...}
 *   mavcodec sample N SEED V   N pseudo-random messages of every kind as
 *                              v(V) frames on stdout, their values as JSON
 *                              lines on stderr
 * JSON field names are the spec's (common.xml), not our struct's. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

static void print_text(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void print_fields(FILE *out, const struct mav_msg *m)
{
	const struct mav_heartbeat *hb = &m->u.heartbeat;
	const struct mav_sys_status *ss = &m->u.sys_status;
	const struct mav_gps_raw_int *gr = &m->u.gps_raw_int;
	const struct mav_global_position_int *gp = &m->u.global_position_int;
	const struct mav_command_long *cl = &m->u.command_long;
	const struct mav_command_ack *ca = &m->u.command_ack;
	const struct mav_set_position_target_global_int *sp =
	    &m->u.set_position_target;
	const struct mav_statustext *st = &m->u.statustext;
	int i;

	switch (m->id) {
	case MAV_MSG_HEARTBEAT:
		fprintf(out,
		        "\"type\":%u,\"autopilot\":%u,\"base_mode\":%u,"
		        "\"custom_mode\":%" PRIu32 ",\"system_status\":%u,"
		        "\"mavlink_version\":%u",
		        hb->type, hb->autopilot, hb->base_mode, hb->custom_mode,
		        hb->system_status, hb->mavlink_version);
		break;
	case MAV_MSG_SYS_STATUS:
		fprintf(out,
		        "\"onboard_control_sensors_present\":%" PRIu32
		        ",\"onboard_control_sensors_enabled\":%" PRIu32
		        ",\"onboard_control_sensors_health\":%" PRIu32
		        ",\"load\":%u,\"voltage_battery\":%u,"
		        "\"current_battery\":%d,\"battery_remaining\":%d,"
		        "\"drop_rate_comm\":%u,\"errors_comm\":%u",
		        ss->sensors_present, ss->sensors_enabled,
		        ss->sensors_health, ss->load, ss->voltage_battery,
		        ss->current_battery, ss->battery_remaining,
		        ss->drop_rate_comm, ss->errors_comm);
		for (i = 0; i < 4; i++)
			fprintf(out, ",\"errors_count%d\":%u", i + 1,
			        ss->errors_count[i]);
		fprintf(out,
		        ",\"onboard_control_sensors_present_extended\":%" PRIu32
		        ",\"onboard_control_sensors_enabled_extended\":%" PRIu32
		        ",\"onboard_control_sensors_health_extended\":%" PRIu32,
		        ss->sensors_present_extended,
		        ss->sensors_enabled_extended,
		        ss->sensors_health_extended);
		break;
	case MAV_MSG_GPS_RAW_INT:
		fprintf(out,
		        "\"time_usec\":\"%" PRIu64 "\",\"fix_type\":%u,"
		        "\"lat\":%" PRId32 ",\"lon\":%" PRId32
		        ",\"alt\":%" PRId32 ",\"eph\":%u,\"epv\":%u,\"vel\":%u,"
		        "\"cog\":%u,\"satellites_visible\":%u,"
		        "\"alt_ellipsoid\":%" PRId32 ",\"h_acc\":%" PRIu32
		        ",\"v_acc\":%" PRIu32 ",\"vel_acc\":%" PRIu32
		        ",\"hdg_acc\":%" PRIu32 ",\"yaw\":%u",
		        gr->time_usec, gr->fix_type, gr->lat, gr->lon, gr->alt,
		        gr->eph, gr->epv, gr->vel, gr->cog,
		        gr->satellites_visible, gr->alt_ellipsoid, gr->h_acc,
		        gr->v_acc, gr->vel_acc, gr->hdg_acc, gr->yaw);
		break;
	case MAV_MSG_GLOBAL_POSITION_INT:
		fprintf(out,
		        "\"time_boot_ms\":%" PRIu32 ",\"lat\":%" PRId32
		        ",\"lon\":%" PRId32 ",\"alt\":%" PRId32
		        ",\"relative_alt\":%" PRId32
		        ",\"vx\":%d,\"vy\":%d,\"vz\":%d,\"hdg\":%u",
		        gp->time_boot_ms, gp->lat, gp->lon, gp->alt,
		        gp->relative_alt, gp->vx, gp->vy, gp->vz, gp->hdg);
		break;
	case MAV_MSG_COMMAND_LONG:
		fprintf(out,
		        "\"target_system\":%u,\"target_component\":%u,"
		        "\"command\":%u,\"confirmation\":%u",
		        cl->target_system, cl->target_component, cl->command,
		        cl->confirmation);
		for (i = 0; i < 7; i++)
			fprintf(out, ",\"param%d\":%.9g", i + 1,
			        (double)cl->param[i]);
		break;
	case MAV_MSG_COMMAND_ACK:
		fprintf(out,
		        "\"command\":%u,\"result\":%u,\"progress\":%u,"
		        "\"result_param2\":%" PRId32
		        ",\"target_system\":%u,\"target_component\":%u",
		        ca->command, ca->result, ca->progress,
		        ca->result_param2, ca->target_system,
		        ca->target_component);
		break;
	case MAV_MSG_SET_POSITION_TARGET_GLOBAL_INT:
		fprintf(out,
		        "\"time_boot_ms\":%" PRIu32 ",\"target_system\":%u,"
		        "\"target_component\":%u,\"coordinate_frame\":%u,"
		        "\"type_mask\":%u,\"lat_int\":%" PRId32
		        ",\"lon_int\":%" PRId32 ",\"alt\":%.9g,\"vx\":%.9g,"
		        "\"vy\":%.9g,\"vz\":%.9g,\"afx\":%.9g,\"afy\":%.9g,"
		        "\"afz\":%.9g,\"yaw\":%.9g,\"yaw_rate\":%.9g",
		        sp->time_boot_ms, sp->target_system,
		        sp->target_component, sp->coordinate_frame,
		        sp->type_mask, sp->lat_int, sp->lon_int,
		        (double)sp->alt, (double)sp->vx, (double)sp->vy,
		        (double)sp->vz, (double)sp->afx, (double)sp->afy,
		        (double)sp->afz, (double)sp->yaw, (double)sp->yaw_rate);
		break;
	case MAV_MSG_STATUSTEXT:
		fprintf(out, "\"severity\":%u,\"text\":", st->severity);
		print_text(out, st->text);
		fprintf(out, ",\"id\":%u,\"chunk_seq\":%u", st->id,
		        st->chunk_seq);
		break;
	}
}

static void print_msg(FILE *out, const struct mav_frame *f,
                      const struct mav_msg *m)
{
	fprintf(out, "{\"name\":\"%s\",\"id\":%" PRIu32,
	        mav_msginfo(m->id)->name, m->id);
	if (f != NULL)
		fprintf(out, ",\"v\":%u,\"seq\":%u,\"sys\":%u,\"comp\":%u",
		        f->version, f->seq, f->sysid, f->compid);
	fputs(",\"fields\":{", out);
	print_fields(out, m);
	fputs("}}\n", out);
}

static int decode(void)
{
	struct mav_parser p;
	struct mav_frame f;
	struct mav_msg m;
	uint8_t buf[4096];
	size_t n, off, k;

	mav_parser_init(&p);
	while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0) {
		for (off = 0; off < n; off += k) {
			k = mav_parser_feed(&p, buf + off, n - off);
			while (mav_parser_next(&p, &f) == 1)
				if (mav_msg_unpack(&f, &m) == 0)
					print_msg(stdout, &f, &m);
		}
	}
	printf("{\"stats\":{\"frames\":%" PRIu64 ",\"bad_crc\":%" PRIu64
	       ",\"bad_len\":%" PRIu64 ",\"unknown\":%" PRIu64
	       ",\"garbage\":%" PRIu64 ",\"seq_lost\":%" PRIu64 "}}\n",
	       p.stats.frames, p.stats.bad_crc, p.stats.bad_len,
	       p.stats.unknown, p.stats.garbage, p.stats.seq_lost);
	return 0;
}

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: reproducible from the seed, good enough for values. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static float rnd_float(void)
{
	return (float)((int32_t)rnd()) / 1024.0f;
}

/* Random values in every field; a few zeros so truncation happens. */
static void random_msg(uint32_t id, struct mav_msg *m)
{
	uint8_t *raw = (uint8_t *)&m->u;
	size_t i, len;

	memset(m, 0, sizeof(*m));
	m->id = id;
	for (i = 0; i < sizeof(m->u); i++)
		raw[i] = (uint8_t)(rnd() % 4 == 0 ? 0 : rnd());
	switch (id) {
	case MAV_MSG_COMMAND_LONG:
		for (i = 0; i < 7; i++)
			m->u.command_long.param[i] = rnd_float();
		break;
	case MAV_MSG_SET_POSITION_TARGET_GLOBAL_INT: {
		struct mav_set_position_target_global_int *s =
		    &m->u.set_position_target;
		s->alt = rnd_float();
		s->vx = rnd_float();
		s->vy = rnd_float();
		s->vz = rnd_float();
		s->afx = rnd_float();
		s->afy = rnd_float();
		s->afz = 0; /* a trailing zero float */
		s->yaw = rnd_float();
		s->yaw_rate = rnd_float();
		break;
	}
	case MAV_MSG_STATUSTEXT:
		len = rnd() % (MAV_STATUSTEXT_LEN + 1);
		memset(m->u.statustext.text, 0, sizeof(m->u.statustext.text));
		for (i = 0; i < len; i++)
			m->u.statustext.text[i] = (char)(' ' + rnd() % 94);
		break;
	}
	if (rnd() % 8 == 0) /* an all-extensions-zero message */
		switch (id) {
		case MAV_MSG_COMMAND_ACK:
			m->u.command_ack.progress = 0;
			m->u.command_ack.result_param2 = 0;
			m->u.command_ack.target_system = 0;
			m->u.command_ack.target_component = 0;
			break;
		case MAV_MSG_STATUSTEXT:
			m->u.statustext.id = 0;
			m->u.statustext.chunk_seq = 0;
			break;
		}
}

static void strip_extensions(struct mav_msg *m)
{
	/* What a v1 frame carries: the base fields only. */
	uint8_t payload[MAV_PAYLOAD_MAX];
	struct mav_frame f;

	memset(&f, 0, sizeof(f));
	mav_msg_pack(m, payload);
	f.msgid = m->id;
	f.len = mav_msginfo(m->id)->min_len;
	memcpy(f.payload, payload, f.len);
	mav_msg_unpack(&f, m);
}

static int sample(long count, unsigned long long seed, int version)
{
	struct mav_link l = {.sysid = 42, .compid = 191};
	const struct mav_msginfo *all;
	uint8_t frame[MAV_FRAME_MAX];
	struct mav_msg m;
	size_t n, i, len;
	long k;

	rng_state = seed ? seed : 1;
	all = mav_msginfo_all(&n);
	for (k = 0; k < count; k++) {
		for (i = 0; i < n; i++) {
			random_msg(all[i].id, &m);
			if (version == 1)
				strip_extensions(&m);
			len = mav_msg_encode(&l, version, &m, frame,
			                     sizeof(frame));
			if (len == 0 || fwrite(frame, 1, len, stdout) != len)
				return 1;
			print_msg(stderr, NULL, &m);
		}
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "decode") == 0)
		return decode();
	if (argc == 5 && strcmp(argv[1], "sample") == 0)
		return sample(strtol(argv[2], NULL, 10),
		              strtoull(argv[3], NULL, 10),
		              strcmp(argv[4], "1") == 0 ? 1 : 2);
	fputs("usage: mavcodec decode < frames\n"
	      "       mavcodec sample COUNT SEED VERSION > frames 2> json\n",
	      stderr);
	return 64;
}
