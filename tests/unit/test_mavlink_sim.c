/* mavlink/sim.c: the simulated vehicle, stepped deterministically.
 * Arming needs a fix, takeoff needs arming, goto reaches its target,
 * land and RTL disarm on the ground, every command is acknowledged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "sim.h"

#define GCS_SYS 255
#define GCS_COMP 190

static struct sim_vehicle v;

static int setup(void **state)
{
	struct sim_config c;

	(void)state;
	sim_config_default(&c);
	sim_init(&v, &c);
	return 0;
}

/* Sends COMMAND_LONG to the vehicle; returns the MAV_RESULT of its ack. */
static int command(uint16_t cmd, float p1, float p2, float p7)
{
	struct mav_msg m, ack;

	memset(&m, 0, sizeof(m));
	m.id = MAV_MSG_COMMAND_LONG;
	m.u.command_long.command = cmd;
	m.u.command_long.target_system = 1;
	m.u.command_long.target_component = 1;
	m.u.command_long.param[0] = p1;
	m.u.command_long.param[1] = p2;
	m.u.command_long.param[6] = p7;
	assert_int_equal(sim_handle(&v, &m, GCS_SYS, GCS_COMP, &ack), 1);
	assert_int_equal(ack.id, MAV_MSG_COMMAND_ACK);
	assert_int_equal(ack.u.command_ack.command, cmd);
	assert_int_equal(ack.u.command_ack.target_system, GCS_SYS);
	assert_int_equal(ack.u.command_ack.target_component, GCS_COMP);
	return ack.u.command_ack.result;
}

static int set_mode(uint32_t mode)
{
	return command(MAV_CMD_DO_SET_MODE, MAV_MODE_FLAG_CUSTOM_MODE_ENABLED,
	               (float)mode, 0);
}

static void go_to(double lat, double lon, float alt, uint8_t frame)
{
	struct mav_msg m, reply;

	memset(&m, 0, sizeof(m));
	m.id = MAV_MSG_SET_POSITION_TARGET_GLOBAL_INT;
	m.u.set_position_target.target_system = 1;
	m.u.set_position_target.target_component = 1;
	m.u.set_position_target.coordinate_frame = frame;
	m.u.set_position_target.type_mask = 0x0ff8; /* position only */
	m.u.set_position_target.lat_int = (int32_t)lround(lat * 1e7);
	m.u.set_position_target.lon_int = (int32_t)lround(lon * 1e7);
	m.u.set_position_target.alt = alt;
	assert_int_equal(sim_handle(&v, &m, GCS_SYS, GCS_COMP, &reply), 0);
}

static bool armed_in_heartbeat(void)
{
	struct mav_msg hb;

	sim_heartbeat(&v, &hb);
	return hb.u.heartbeat.base_mode & MAV_MODE_FLAG_SAFETY_ARMED;
}

/* Armed and hovering at alt in GUIDED. */
static void fly_to_altitude(float alt)
{
	sim_advance(&v, v.cfg.warmup_ms);
	assert_int_equal(set_mode(SIM_MODE_GUIDED), MAV_RESULT_ACCEPTED);
	assert_int_equal(command(MAV_CMD_COMPONENT_ARM_DISARM, 1, 0, 0),
	                 MAV_RESULT_ACCEPTED);
	assert_int_equal(command(MAV_CMD_NAV_TAKEOFF, 0, 0, alt),
	                 MAV_RESULT_ACCEPTED);
	sim_advance(&v, (uint64_t)(alt / v.cfg.climb_rate * 1000) + 500);
	assert_true(fabsf(v.alt - alt) < 0.01f);
}

static void test_arming_refused_without_fix(void **state)
{
	struct mav_msg gps;

	(void)state;
	sim_gps_raw(&v, &gps);
	assert_int_equal(gps.u.gps_raw_int.fix_type, GPS_FIX_TYPE_NO_FIX);
	assert_int_equal(command(MAV_CMD_COMPONENT_ARM_DISARM, 1, 0, 0),
	                 MAV_RESULT_TEMPORARILY_REJECTED);
	assert_false(v.armed);
	assert_false(armed_in_heartbeat());
	/* The GCS is told why. */
	assert_int_equal(v.ntexts, 1);
	assert_string_equal(v.texts[0].text, "PreArm: Need 3D Fix");

	sim_advance(&v, v.cfg.warmup_ms);
	sim_gps_raw(&v, &gps);
	assert_int_equal(gps.u.gps_raw_int.fix_type, GPS_FIX_TYPE_3D_FIX);
	assert_true(gps.u.gps_raw_int.satellites_visible >= 6);
	assert_int_equal(command(MAV_CMD_COMPONENT_ARM_DISARM, 1, 0, 0),
	                 MAV_RESULT_ACCEPTED);
	assert_true(armed_in_heartbeat());
	/* Disarm on the ground. */
	assert_int_equal(command(MAV_CMD_COMPONENT_ARM_DISARM, 0, 0, 0),
	                 MAV_RESULT_ACCEPTED);
	assert_false(v.armed);
}

static void test_takeoff_refused_unless_armed(void **state)
{
	(void)state;
	sim_advance(&v, v.cfg.warmup_ms);
	assert_int_equal(set_mode(SIM_MODE_GUIDED), MAV_RESULT_ACCEPTED);
	assert_int_equal(command(MAV_CMD_NAV_TAKEOFF, 0, 0, 10),
	                 MAV_RESULT_DENIED);
	sim_advance(&v, 5000);
	assert_true(v.alt == 0);
	/* Armed but not in GUIDED: refused too. */
	assert_int_equal(set_mode(SIM_MODE_LOITER), MAV_RESULT_ACCEPTED);
	assert_int_equal(command(MAV_CMD_COMPONENT_ARM_DISARM, 1, 0, 0),
	                 MAV_RESULT_ACCEPTED);
	assert_int_equal(command(MAV_CMD_NAV_TAKEOFF, 0, 0, 10),
	                 MAV_RESULT_DENIED);
	/* A nonsense altitude. */
	assert_int_equal(set_mode(SIM_MODE_GUIDED), MAV_RESULT_ACCEPTED);
	assert_int_equal(command(MAV_CMD_NAV_TAKEOFF, 0, 0, NAN),
	                 MAV_RESULT_DENIED);
	assert_int_equal(command(MAV_CMD_NAV_TAKEOFF, 0, 0, -5),
	                 MAV_RESULT_DENIED);
}

static void test_takeoff_climbs_at_rate(void **state)
{
	(void)state;
	sim_advance(&v, v.cfg.warmup_ms);
	assert_int_equal(set_mode(SIM_MODE_GUIDED), MAV_RESULT_ACCEPTED);
	assert_int_equal(command(MAV_CMD_COMPONENT_ARM_DISARM, 1, 0, 0),
	                 MAV_RESULT_ACCEPTED);
	assert_int_equal(command(MAV_CMD_NAV_TAKEOFF, 0, 0, 10),
	                 MAV_RESULT_ACCEPTED);
	sim_advance(&v, 2000);
	assert_true(fabsf(v.alt - 2 * v.cfg.climb_rate) < 0.05f);
	sim_advance(&v, 3000);
	assert_true(fabsf(v.alt - 10) < 0.01f);
	assert_int_equal(v.phase, SIM_HOLD);
	/* Airborne: a second takeoff and a plain disarm are refused. */
	assert_int_equal(command(MAV_CMD_NAV_TAKEOFF, 0, 0, 20),
	                 MAV_RESULT_DENIED);
	assert_int_equal(command(MAV_CMD_COMPONENT_ARM_DISARM, 0, 0, 0),
	                 MAV_RESULT_DENIED);
	assert_true(v.armed);
}

static void test_goto_reaches_target(void **state)
{
	struct mav_msg gpi;
	double tlat = v.cfg.home_lat + 100.0 / 111319.49; /* 100 m north */
	double tlon = v.cfg.home_lon;

	(void)state;
	fly_to_altitude(10);
	go_to(tlat, tlon, 20, MAV_FRAME_GLOBAL_RELATIVE_ALT_INT);
	assert_int_equal(v.phase, SIM_GOTO);
	sim_advance(&v, 10000); /* half way at 5 m/s */
	sim_global_position(&v, &gpi);
	assert_true(gpi.u.global_position_int.vx > 400); /* ~5 m/s north */
	assert_true(v.lat > v.cfg.home_lat && v.lat < tlat);
	sim_advance(&v, 11000);
	sim_global_position(&v, &gpi);
	assert_int_equal(gpi.u.global_position_int.lat, lround(tlat * 1e7));
	assert_int_equal(gpi.u.global_position_int.lon, lround(tlon * 1e7));
	assert_int_equal(gpi.u.global_position_int.relative_alt, 20000);
	assert_int_equal(v.phase, SIM_HOLD);

	/* An MSL target (frame GLOBAL_INT): home_alt + 15 is 15 m up. */
	go_to(v.cfg.home_lat, v.cfg.home_lon, v.cfg.home_alt + 15,
	      MAV_FRAME_GLOBAL_INT);
	sim_advance(&v, 30000);
	assert_true(fabsf(v.alt - 15) < 0.01f);
	assert_true(fabs(v.lat - v.cfg.home_lat) < 1e-9);
}

static void test_goto_ignored_unless_guided(void **state)
{
	double lat;

	(void)state;
	fly_to_altitude(10);
	lat = v.lat;
	assert_int_equal(set_mode(SIM_MODE_LOITER), MAV_RESULT_ACCEPTED);
	v.ntexts = 0;
	go_to(lat + 0.001, v.lon, 10, MAV_FRAME_GLOBAL_RELATIVE_ALT_INT);
	sim_advance(&v, 5000);
	assert_true(v.lat == lat);
	assert_int_equal(v.ntexts, 1);
	/* On the ground in GUIDED: ignored too. */
	setup(NULL);
	sim_advance(&v, v.cfg.warmup_ms);
	assert_int_equal(set_mode(SIM_MODE_GUIDED), MAV_RESULT_ACCEPTED);
	go_to(v.lat + 0.001, v.lon, 10, MAV_FRAME_GLOBAL_RELATIVE_ALT_INT);
	sim_advance(&v, 5000);
	assert_true(v.lat == v.cfg.home_lat);
}

static void test_land_disarms_at_ground(void **state)
{
	(void)state;
	fly_to_altitude(9);
	assert_int_equal(command(MAV_CMD_NAV_LAND, 0, 0, 0),
	                 MAV_RESULT_ACCEPTED);
	sim_advance(&v, 3000);
	assert_true(v.armed);
	assert_true(fabsf(v.alt - (9 - 3 * v.cfg.descent_rate)) < 0.05f);
	sim_advance(&v, 4000);
	assert_true(v.alt == 0);
	assert_false(v.armed);
	assert_false(armed_in_heartbeat());
	assert_int_equal(v.mode, SIM_MODE_LAND);
}

static void test_rtl_returns_home(void **state)
{
	double tlat = v.cfg.home_lat + 0.0005;

	(void)state;
	fly_to_altitude(5);
	go_to(tlat, v.cfg.home_lon, 5, MAV_FRAME_GLOBAL_RELATIVE_ALT_INT);
	sim_advance(&v, 20000);
	assert_true(fabs(v.lat - tlat) < 1e-9);
	assert_int_equal(command(MAV_CMD_NAV_RETURN_TO_LAUNCH, 0, 0, 0),
	                 MAV_RESULT_ACCEPTED);
	sim_advance(&v, 4500); /* climbs to rtl_alt first */
	assert_true(fabsf(v.alt - v.cfg.rtl_alt) < 0.01f);
	sim_advance(&v, 60000);
	assert_true(fabs(v.lat - v.cfg.home_lat) < 1e-9);
	assert_true(v.alt == 0);
	assert_false(v.armed);
}

static void test_modes_and_acks(void **state)
{
	struct mav_msg m, ack, hb;

	(void)state;
	assert_int_equal(set_mode(SIM_MODE_GUIDED), MAV_RESULT_ACCEPTED);
	sim_heartbeat(&v, &hb);
	assert_int_equal(hb.u.heartbeat.custom_mode, SIM_MODE_GUIDED);
	assert_true(hb.u.heartbeat.base_mode & MAV_MODE_FLAG_GUIDED_ENABLED);
	assert_int_equal(hb.u.heartbeat.type, MAV_TYPE_QUADROTOR);
	assert_int_equal(hb.u.heartbeat.autopilot, MAV_AUTOPILOT_ARDUPILOTMEGA);
	assert_int_equal(set_mode(2), MAV_RESULT_DENIED); /* ALT_HOLD: no */
	assert_int_equal(command(MAV_CMD_DO_SET_MODE, 0, 4, 0),
	                 MAV_RESULT_DENIED); /* no custom-mode flag */
	assert_int_equal(v.mode, SIM_MODE_GUIDED);
	assert_int_equal(command(MAV_CMD_COMPONENT_ARM_DISARM, 7, 0, 0),
	                 MAV_RESULT_DENIED);
	assert_int_equal(command(511, 0, 0, 0), MAV_RESULT_UNSUPPORTED);
	/* Not for us: no ack. Broadcast: ack. */
	memset(&m, 0, sizeof(m));
	m.id = MAV_MSG_COMMAND_LONG;
	m.u.command_long.command = MAV_CMD_NAV_LAND;
	m.u.command_long.target_system = 2;
	assert_int_equal(sim_handle(&v, &m, GCS_SYS, GCS_COMP, &ack), 0);
	m.u.command_long.target_system = 0;
	assert_int_equal(sim_handle(&v, &m, GCS_SYS, GCS_COMP, &ack), 1);
	/* Arming is refused in LAND. */
	sim_advance(&v, v.cfg.warmup_ms);
	assert_int_equal(command(MAV_CMD_COMPONENT_ARM_DISARM, 1, 0, 0),
	                 MAV_RESULT_DENIED);
}

static void test_telemetry_rates(void **state)
{
	struct mav_msg out[16];
	size_t n, i, t;
	int hb = 0, gpi = 0, gps = 0, sys = 0;

	(void)state;
	for (t = 0; t < 5000; t += 10) {
		n = sim_due(&v, out, 16);
		for (i = 0; i < n; i++) {
			hb += out[i].id == MAV_MSG_HEARTBEAT;
			gpi += out[i].id == MAV_MSG_GLOBAL_POSITION_INT;
			gps += out[i].id == MAV_MSG_GPS_RAW_INT;
			sys += out[i].id == MAV_MSG_SYS_STATUS;
		}
		sim_advance(&v, 10);
	}
	assert_int_equal(hb, 5);
	assert_int_equal(gpi, 20);
	assert_int_equal(gps, 20);
	assert_int_equal(sys, 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_arming_refused_without_fix, setup),
	    cmocka_unit_test_setup(test_takeoff_refused_unless_armed, setup),
	    cmocka_unit_test_setup(test_takeoff_climbs_at_rate, setup),
	    cmocka_unit_test_setup(test_goto_reaches_target, setup),
	    cmocka_unit_test_setup(test_goto_ignored_unless_guided, setup),
	    cmocka_unit_test_setup(test_land_disarms_at_ground, setup),
	    cmocka_unit_test_setup(test_rtl_returns_home, setup),
	    cmocka_unit_test_setup(test_modes_and_acks, setup),
	    cmocka_unit_test_setup(test_telemetry_rates, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
