/* The simulated vehicle: see sim.h for its modes and behaviour. Flat-earth
 * kinematics around home, no attitude, no wind: enough for a GCS, the
 * mavproxy layer and its tests to see a vehicle arm, climb, fly to a
 * point and come back. */
#include "sim.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define STEP_MS 10
#define M_PER_DEG 111319.49079327357 /* WGS84 equatorial radius * pi/180 */
#define FORCE_DISARM 21196.0f
#define TYPEMASK_X_IGNORE 0x1
#define TYPEMASK_Y_IGNORE 0x2
#define TYPEMASK_Z_IGNORE 0x4

void sim_config_default(struct sim_config *c)
{
	memset(c, 0, sizeof(*c));
	c->sysid = 1;
	c->compid = 1;
	c->home_lat = 47.397742; /* a field, as good as any */
	c->home_lon = 8.545594;
	c->home_alt = 488.0f;
	c->warmup_ms = 3000;
	c->climb_rate = 2.5f;
	c->descent_rate = 1.5f;
	c->speed = 5.0f;
	c->rtl_alt = 15.0f;
}

void sim_init(struct sim_vehicle *v, const struct sim_config *c)
{
	memset(v, 0, sizeof(*v));
	v->cfg = *c;
	v->mode = SIM_MODE_STABILIZE;
	v->phase = SIM_GROUND;
	v->lat = c->home_lat;
	v->lon = c->home_lon;
	v->battery = 100;
}

bool sim_gps_fixed(const struct sim_vehicle *v)
{
	return v->now_ms >= v->cfg.warmup_ms;
}

bool sim_airborne(const struct sim_vehicle *v)
{
	return v->phase != SIM_GROUND;
}

static void say(struct sim_vehicle *v, uint8_t severity, const char *text)
{
	struct mav_statustext *t;

	if (v->ntexts == SIM_TEXTS)
		return; /* nobody is reading: drop rather than grow */
	t = &v->texts[v->ntexts++];
	memset(t, 0, sizeof(*t));
	t->severity = severity;
	snprintf(t->text, sizeof(t->text), "%s", text);
}

/* ---- kinematics ---- */

/* Moves one step towards (tlat, tlon, talt); true once there. */
static bool fly_towards(struct sim_vehicle *v, double tlat, double tlon,
                        float talt, float dt)
{
	double dn = (tlat - v->lat) * M_PER_DEG;
	double de = (tlon - v->lon) * M_PER_DEG * cos(v->lat * M_PI / 180.0);
	double dist = sqrt(dn * dn + de * de);
	double hstep = v->cfg.speed * dt;
	float dz = talt - v->alt;
	float rate = dz > 0 ? v->cfg.climb_rate : v->cfg.descent_rate;
	float vstep = rate * dt;

	if (dist <= hstep) {
		v->vn = (float)(dn / dt);
		v->ve = (float)(de / dt);
		v->lat = tlat;
		v->lon = tlon;
	} else {
		double f = hstep / dist;

		v->vn = (float)(dn * f / dt);
		v->ve = (float)(de * f / dt);
		v->lat += (tlat - v->lat) * f;
		v->lon += (tlon - v->lon) * f;
	}
	if (dist > 0.01) {
		double h = atan2(de, dn) * 180.0 / M_PI;

		v->heading = (uint16_t)(fmod(h + 360.0, 360.0) * 100.0);
	}
	if (fabsf(dz) <= vstep) {
		v->vd = -dz / dt;
		v->alt = talt;
	} else {
		v->vd = dz > 0 ? -rate : rate;
		v->alt += dz > 0 ? vstep : -vstep;
	}
	return dist <= hstep && v->alt == talt;
}

static void touch_down(struct sim_vehicle *v)
{
	v->alt = 0;
	v->vn = v->ve = v->vd = 0;
	v->phase = SIM_GROUND;
	if (v->armed) {
		v->armed = false;
		say(v, MAV_SEVERITY_INFO, "Landed: disarming");
	}
}

static void step(struct sim_vehicle *v, float dt)
{
	v->vn = v->ve = v->vd = 0;
	switch (v->phase) {
	case SIM_GROUND:
		/* Armed on the ground in LAND or RTL: already home. */
		if (v->armed &&
		    (v->mode == SIM_MODE_LAND || v->mode == SIM_MODE_RTL))
			touch_down(v);
		break;
	case SIM_TAKEOFF:
	case SIM_GOTO:
		if (fly_towards(v, v->tlat, v->tlon, v->talt, dt))
			v->phase = SIM_HOLD;
		break;
	case SIM_HOLD:
		break;
	case SIM_LANDING:
		if (fly_towards(v, v->lat, v->lon, 0, dt))
			touch_down(v);
		break;
	case SIM_RTL_CLIMB:
		if (fly_towards(v, v->lat, v->lon, v->talt, dt))
			v->phase = SIM_RTL_RETURN;
		break;
	case SIM_RTL_RETURN:
		if (fly_towards(v, v->cfg.home_lat, v->cfg.home_lon, v->talt,
		                dt))
			v->phase = SIM_LANDING;
		break;
	}
	if (v->armed) {
		v->armed_ms += STEP_MS;
		/* 1 % a minute: a long demo still flies. */
		v->battery = (uint8_t)(100 - (v->armed_ms / 60000 > 100
		                                  ? 100
		                                  : v->armed_ms / 60000));
	}
}

void sim_advance(struct sim_vehicle *v, uint64_t ms)
{
	uint64_t end = v->now_ms + ms;

	while (v->now_ms + STEP_MS <= end) {
		v->now_ms += STEP_MS;
		step(v, STEP_MS / 1000.0f);
	}
	v->now_ms = end;
}

/* ---- commands ---- */

/* Enters a mode; what the vehicle does next depends on where it is. */
static void enter_mode(struct sim_vehicle *v, uint32_t mode)
{
	v->mode = mode;
	if (!sim_airborne(v))
		return;
	switch (mode) {
	case SIM_MODE_LAND:
		v->phase = SIM_LANDING;
		break;
	case SIM_MODE_RTL:
		v->talt = v->alt > v->cfg.rtl_alt ? v->alt : v->cfg.rtl_alt;
		v->phase = SIM_RTL_CLIMB;
		break;
	default:
		/* GUIDED, LOITER, AUTO without a mission, STABILIZE without a
		 * pilot: hold where it is. */
		v->phase = SIM_HOLD;
		break;
	}
}

static bool known_mode(uint32_t mode)
{
	return mode == SIM_MODE_STABILIZE || mode == SIM_MODE_AUTO ||
	       mode == SIM_MODE_GUIDED || mode == SIM_MODE_LOITER ||
	       mode == SIM_MODE_RTL || mode == SIM_MODE_LAND;
}

static uint8_t cmd_arm_disarm(struct sim_vehicle *v,
                              const struct mav_command_long *c)
{
	if (c->param[0] == 1.0f) {
		if (v->armed)
			return MAV_RESULT_ACCEPTED;
		if (!sim_gps_fixed(v)) {
			say(v, MAV_SEVERITY_WARNING, "PreArm: Need 3D Fix");
			return MAV_RESULT_TEMPORARILY_REJECTED;
		}
		if (v->mode == SIM_MODE_RTL || v->mode == SIM_MODE_LAND ||
		    v->mode == SIM_MODE_AUTO) {
			say(v, MAV_SEVERITY_WARNING, "Arm: Mode not armable");
			return MAV_RESULT_DENIED;
		}
		v->armed = true;
		say(v, MAV_SEVERITY_INFO, "Arming motors");
		return MAV_RESULT_ACCEPTED;
	}
	if (c->param[0] == 0.0f) {
		if (!v->armed)
			return MAV_RESULT_ACCEPTED;
		if (sim_airborne(v) && c->param[1] != FORCE_DISARM) {
			say(v, MAV_SEVERITY_WARNING,
			    "Disarm: vehicle is flying");
			return MAV_RESULT_DENIED;
		}
		v->armed = false;
		if (sim_airborne(v))
			v->phase = SIM_LANDING; /* falls; lands disarmed */
		say(v, MAV_SEVERITY_INFO, "Disarming motors");
		return MAV_RESULT_ACCEPTED;
	}
	return MAV_RESULT_DENIED;
}

static uint8_t cmd_set_mode(struct sim_vehicle *v,
                            const struct mav_command_long *c)
{
	uint32_t mode = (uint32_t)c->param[1];

	if (!((uint32_t)c->param[0] & MAV_MODE_FLAG_CUSTOM_MODE_ENABLED) ||
	    c->param[1] < 0 || (float)mode != c->param[1] || !known_mode(mode))
		return MAV_RESULT_DENIED;
	enter_mode(v, mode);
	return MAV_RESULT_ACCEPTED;
}

static uint8_t cmd_takeoff(struct sim_vehicle *v,
                           const struct mav_command_long *c)
{
	float alt = c->param[6];

	if (!v->armed) {
		say(v, MAV_SEVERITY_WARNING, "Takeoff: not armed");
		return MAV_RESULT_DENIED;
	}
	if (v->mode != SIM_MODE_GUIDED) {
		say(v, MAV_SEVERITY_WARNING, "Takeoff: needs GUIDED");
		return MAV_RESULT_DENIED;
	}
	if (sim_airborne(v))
		return MAV_RESULT_DENIED;
	if (!isfinite(alt) || alt <= 0 || alt > 1000)
		return MAV_RESULT_DENIED;
	v->tlat = v->lat;
	v->tlon = v->lon;
	v->talt = alt;
	v->phase = SIM_TAKEOFF;
	return MAV_RESULT_ACCEPTED;
}

static uint8_t run_command(struct sim_vehicle *v,
                           const struct mav_command_long *c)
{
	switch (c->command) {
	case MAV_CMD_COMPONENT_ARM_DISARM:
		return cmd_arm_disarm(v, c);
	case MAV_CMD_DO_SET_MODE:
		return cmd_set_mode(v, c);
	case MAV_CMD_NAV_TAKEOFF:
		return cmd_takeoff(v, c);
	case MAV_CMD_NAV_LAND:
		enter_mode(v, SIM_MODE_LAND);
		return MAV_RESULT_ACCEPTED;
	case MAV_CMD_NAV_RETURN_TO_LAUNCH:
		enter_mode(v, SIM_MODE_RTL);
		return MAV_RESULT_ACCEPTED;
	default:
		return MAV_RESULT_UNSUPPORTED;
	}
}

static void goto_target(struct sim_vehicle *v,
                        const struct mav_set_position_target_global_int *t)
{
	float alt = t->alt;

	if (v->mode != SIM_MODE_GUIDED || !v->armed || !sim_airborne(v)) {
		say(v, MAV_SEVERITY_WARNING, "Goto: needs GUIDED and airborne");
		return;
	}
	if (t->type_mask & (TYPEMASK_X_IGNORE | TYPEMASK_Y_IGNORE)) {
		say(v, MAV_SEVERITY_WARNING, "Goto: position targets only");
		return;
	}
	if (t->coordinate_frame == MAV_FRAME_GLOBAL_INT)
		alt -= v->cfg.home_alt;
	else if (t->coordinate_frame != MAV_FRAME_GLOBAL_RELATIVE_ALT_INT &&
	         t->coordinate_frame != MAV_FRAME_GLOBAL_TERRAIN_ALT_INT) {
		say(v, MAV_SEVERITY_WARNING, "Goto: unsupported frame");
		return;
	}
	if (t->type_mask & TYPEMASK_Z_IGNORE)
		alt = v->alt;
	if (t->lat_int < -900000000 || t->lat_int > 900000000 ||
	    t->lon_int < -1800000000 || t->lon_int > 1800000000 ||
	    !isfinite(alt) || alt < 0) {
		say(v, MAV_SEVERITY_WARNING, "Goto: bad target");
		return;
	}
	v->tlat = t->lat_int / 1e7;
	v->tlon = t->lon_int / 1e7;
	v->talt = alt;
	v->phase = SIM_GOTO;
}

static bool for_us(const struct sim_vehicle *v, uint8_t sys, uint8_t comp)
{
	return (sys == 0 || sys == v->cfg.sysid) &&
	       (comp == 0 || comp == v->cfg.compid);
}

int sim_handle(struct sim_vehicle *v, const struct mav_msg *m, uint8_t sysid,
               uint8_t compid, struct mav_msg *reply)
{
	const struct mav_command_long *c = &m->u.command_long;
	const struct mav_set_position_target_global_int *t =
	    &m->u.set_position_target;

	switch (m->id) {
	case MAV_MSG_COMMAND_LONG:
		if (!for_us(v, c->target_system, c->target_component))
			return 0;
		memset(reply, 0, sizeof(*reply));
		reply->id = MAV_MSG_COMMAND_ACK;
		reply->u.command_ack.command = c->command;
		reply->u.command_ack.result = run_command(v, c);
		reply->u.command_ack.target_system = sysid;
		reply->u.command_ack.target_component = compid;
		return 1;
	case MAV_MSG_SET_POSITION_TARGET_GLOBAL_INT:
		if (for_us(v, t->target_system, t->target_component))
			goto_target(v, t);
		return 0;
	default:
		return 0; /* heartbeats of the GCS and the like */
	}
}

/* ---- telemetry ---- */

void sim_heartbeat(const struct sim_vehicle *v, struct mav_msg *m)
{
	struct mav_heartbeat *h = &m->u.heartbeat;

	memset(m, 0, sizeof(*m));
	m->id = MAV_MSG_HEARTBEAT;
	h->type = MAV_TYPE_QUADROTOR;
	h->autopilot = MAV_AUTOPILOT_ARDUPILOTMEGA;
	h->base_mode =
	    MAV_MODE_FLAG_CUSTOM_MODE_ENABLED | MAV_MODE_FLAG_STABILIZE_ENABLED;
	if (v->mode == SIM_MODE_GUIDED)
		h->base_mode |= MAV_MODE_FLAG_GUIDED_ENABLED;
	if (v->armed)
		h->base_mode |= MAV_MODE_FLAG_SAFETY_ARMED;
	h->custom_mode = v->mode;
	h->system_status = v->armed ? MAV_STATE_ACTIVE : MAV_STATE_STANDBY;
	h->mavlink_version = 3;
}

void sim_global_position(const struct sim_vehicle *v, struct mav_msg *m)
{
	struct mav_global_position_int *g = &m->u.global_position_int;

	memset(m, 0, sizeof(*m));
	m->id = MAV_MSG_GLOBAL_POSITION_INT;
	g->time_boot_ms = (uint32_t)v->now_ms;
	g->lat = (int32_t)lround(v->lat * 1e7);
	g->lon = (int32_t)lround(v->lon * 1e7);
	g->alt = (int32_t)lroundf((v->cfg.home_alt + v->alt) * 1000.0f);
	g->relative_alt = (int32_t)lroundf(v->alt * 1000.0f);
	g->vx = (int16_t)lroundf(v->vn * 100.0f);
	g->vy = (int16_t)lroundf(v->ve * 100.0f);
	g->vz = (int16_t)lroundf(v->vd * 100.0f);
	g->hdg = v->heading;
}

void sim_gps_raw(const struct sim_vehicle *v, struct mav_msg *m)
{
	struct mav_gps_raw_int *g = &m->u.gps_raw_int;
	bool fix = sim_gps_fixed(v);

	memset(m, 0, sizeof(*m));
	m->id = MAV_MSG_GPS_RAW_INT;
	g->time_usec = v->now_ms * 1000;
	g->fix_type = fix ? GPS_FIX_TYPE_3D_FIX : GPS_FIX_TYPE_NO_FIX;
	g->satellites_visible = fix ? 10 : 0;
	g->eph = fix ? 121 : UINT16_MAX;
	g->epv = fix ? 200 : UINT16_MAX;
	if (fix) {
		g->lat = (int32_t)lround(v->lat * 1e7);
		g->lon = (int32_t)lround(v->lon * 1e7);
		g->alt = (int32_t)lroundf((v->cfg.home_alt + v->alt) * 1000.0f);
		g->vel = (uint16_t)lroundf(
		    sqrtf(v->vn * v->vn + v->ve * v->ve) * 100.0f);
		g->cog = v->heading;
	}
}

void sim_sys_status(const struct sim_vehicle *v, struct mav_msg *m)
{
	/* MAV_SYS_STATUS_SENSOR: gyro, accel, mag, baro, GPS, battery. */
	const uint32_t sensors = 0x1 | 0x2 | 0x4 | 0x8 | 0x20 | 0x2000000;
	struct mav_sys_status *s = &m->u.sys_status;

	memset(m, 0, sizeof(*m));
	m->id = MAV_MSG_SYS_STATUS;
	s->sensors_present = sensors;
	s->sensors_enabled = sensors;
	s->sensors_health = sim_gps_fixed(v) ? sensors : sensors & ~0x20u;
	s->load = 250;
	s->voltage_battery = (uint16_t)(11100 + 15 * v->battery);
	s->current_battery = v->armed ? 1500 : 50;
	s->battery_remaining = (int8_t)v->battery;
}

size_t sim_due(struct sim_vehicle *v, struct mav_msg *out, size_t max)
{
	size_t n = 0, i;

	if (n < max && v->now_ms >= v->next_heartbeat) {
		sim_heartbeat(v, &out[n++]);
		v->next_heartbeat = v->now_ms - v->now_ms % 1000 + 1000;
	}
	if (n + 3 <= max && v->now_ms >= v->next_telemetry) {
		sim_global_position(v, &out[n++]);
		sim_gps_raw(v, &out[n++]);
		sim_sys_status(v, &out[n++]);
		v->next_telemetry = v->now_ms - v->now_ms % 250 + 250;
	}
	for (i = 0; i < v->ntexts && n < max; i++) {
		memset(&out[n], 0, sizeof(out[n]));
		out[n].id = MAV_MSG_STATUSTEXT;
		out[n++].u.statustext = v->texts[i];
	}
	memmove(v->texts, v->texts + i, (v->ntexts - i) * sizeof(v->texts[0]));
	v->ntexts -= i;
	return n;
}
