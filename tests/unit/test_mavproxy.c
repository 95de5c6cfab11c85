/* mavproxy's pure parts: runtime.mavlink settings, the geofence, the
 * --mavlink-endpoint parser and the tool.mavlink.* params. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <string.h>

#include "settings.h"
#include "tool.h"

static int parse(const char *text, struct mav_settings *s, char *err)
{
	json_error_t je;
	json_t *j = json_loads(text, 0, &je);
	int rc;

	assert_non_null(j);
	rc = mav_settings_parse(j, s, err, 256);
	json_decref(j);
	return rc;
}

static void test_settings(void **state)
{
	struct mav_settings s;
	char err[256];
	double d;

	(void)state;
	assert_int_equal(
	    parse("{\"geofence\": {\"circle\": {\"lat\": 47.397742, \"lon\": "
	          "8.545594, \"radius_m\": 100}, \"max_alt_m\": 30}, "
	          "\"min_command_interval_ms\": 250, \"flight_environments\": "
	          "[\"sitl\"]}",
	          &s, err),
	    0);
	assert_int_equal(s.fence, MAV_FENCE_CIRCLE);
	assert_int_equal(s.min_interval_ms, 250);
	assert_int_equal(s.flight_envs, MAV_ENV_SITL);
	assert_true(mav_fence_contains(&s, 47.397742, 8.545594, &d));
	/* ~89 m north: inside; ~133 m north: outside */
	assert_true(mav_fence_contains(&s, 47.3985, 8.545594, &d));
	assert_false(mav_fence_contains(&s, 47.3989, 8.545594, &d));
	assert_true(d > 120 && d < 140);

	assert_int_equal(
	    parse("{\"geofence\": {\"polygon\": [[0,0],[0,1],[1,1],[1,0]], "
	          "\"max_alt_m\": 10}}",
	          &s, err),
	    0);
	assert_true(mav_fence_contains(&s, 0.5, 0.5, &d));
	assert_false(mav_fence_contains(&s, 1.5, 0.5, &d));

	assert_int_equal(parse("{\"geofence\": {\"circle\": {\"lat\": 1, "
	                       "\"lon\": 1, \"radius_m\": 5}}}",
	                       &s, err),
	                 -1);
	assert_non_null(strstr(err, "max_alt_m"));
	assert_int_equal(parse("{\"fence\": {}}", &s, err), -1);
	assert_non_null(strstr(err, "runtime.mavlink.fence: unknown"));
	assert_int_equal(parse("{\"geofence\": {\"circle\": {\"lat\": 91, "
	                       "\"lon\": 1, \"radius_m\": 5}, \"max_alt_m\": "
	                       "5}}",
	                       &s, err),
	                 -1);
	assert_int_equal(
	    parse("{\"flight_environments\": [\"moon\"]}", &s, err), -1);
	assert_int_equal(parse("{\"min_command_interval_ms\": -1}", &s, err),
	                 -1);
	/* no fence: nothing is inside */
	assert_int_equal(mav_settings_parse(NULL, &s, err, 256), 0);
	assert_false(mav_fence_contains(&s, 0, 0, &d));
}

static void test_endpoint(void **state)
{
	struct mav_endpoint e;
	char err[256];

	(void)state;
	assert_int_equal(
	    mav_endpoint_parse("tcp:127.0.0.1:5760", &e, err, sizeof(err)), 0);
	assert_int_equal(e.kind, MAV_LINK_TCP);
	assert_int_equal(e.port, 5760);
	assert_int_equal(
	    mav_endpoint_parse("udp:10.0.0.2:14550", &e, err, sizeof(err)), 0);
	assert_int_equal(e.kind, MAV_LINK_UDP);
	assert_int_equal(mav_endpoint_parse("serial:/dev/ttyACM0:57600", &e,
	                                    err, sizeof(err)),
	                 0);
	assert_string_equal(e.path, "/dev/ttyACM0");
	assert_int_equal(e.baud, 57600);
	static const char *const bad[] = {"tcp:localhost:5760",
	                                  "tcp:127.0.0.1:0",
	                                  "tcp:127.0.0.1:70000",
	                                  "tcp:127.0.0.1",
	                                  "tcp:127.0.0.1:+5",
	                                  "udp::5",
	                                  "http://x",
	                                  "serial:/dev/ttyS0",
	                                  "serial:/dev/ttyS0:1",
	                                  "serial:tty:57600",
	                                  "serial:/dev/../x:9600",
	                                  "tcp:127.0.0.1:-1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(
		    mav_endpoint_parse(bad[i], &e, err, sizeof(err)), -1);
}

static void test_calls(void **state)
{
	struct mav_call c;
	char err[256];
	int unknown;

	(void)state;
	assert_int_equal(mav_call_parse("tool.mavlink.status", "{}", &c,
	                                &unknown, err, sizeof(err)),
	                 0);
	assert_int_equal(c.tool, MT_STATUS);
	assert_int_equal(mav_call_parse("tool.mavlink.goto",
	                                "{\"lat\": 47.1, \"lon\": 8, "
	                                "\"alt_m\": 10}",
	                                &c, &unknown, err, sizeof(err)),
	                 0);
	assert_true(c.lat > 47.09 && c.lon == 8 && c.alt_m == 10);
	assert_int_equal(mav_call_parse("tool.mavlink.set_mode",
	                                "{\"mode\": \"GUIDED\"}", &c, &unknown,
	                                err, sizeof(err)),
	                 0);
	assert_int_equal(c.mode, 4);
	assert_int_equal(mav_call_parse("tool.mavlink.set_mode",
	                                "{\"mode\": \"FLIP\"}", &c, &unknown,
	                                err, sizeof(err)),
	                 -1);
	assert_false(unknown);
	assert_int_equal(mav_call_parse("tool.mavlink.takeoff", "{}", &c,
	                                &unknown, err, sizeof(err)),
	                 -1);
	assert_int_equal(mav_call_parse("tool.mavlink.arm", "{\"force\": 1}",
	                                &c, &unknown, err, sizeof(err)),
	                 -1);
	assert_int_equal(mav_call_parse("tool.mavlink.goto",
	                                "{\"lat\": 147, \"lon\": 8, "
	                                "\"alt_m\": 10}",
	                                &c, &unknown, err, sizeof(err)),
	                 -1);
	assert_int_equal(mav_call_parse("tool.mavlink.selfdestruct", "{}", &c,
	                                &unknown, err, sizeof(err)),
	                 -1);
	assert_true(unknown);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_settings),
	    cmocka_unit_test(test_endpoint),
	    cmocka_unit_test(test_calls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
