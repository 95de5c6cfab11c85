/* The MAVLink runtime layer's settings: a bundle manifest's
 * runtime.mavlink (docs/bundles.md). One parser, used by the bundle
 * validator (supervisor, policyd) and by mavproxy, which parses the same
 * JSON again from its config fd.
 *
 *   "mavlink": {
 *     "geofence": {"circle": {"lat": 47.3977, "lon": 8.5456,
 *                             "radius_m": 150},
 *                  -- or "polygon": [[lat, lon], ...] (3..64 vertices)
 *                  "max_alt_m": 40},
 *     "min_command_interval_ms": 200,
 *     "flight_environments": ["sitl"]
 *   }
 *
 * Unknown keys are refused: a security setting is never half understood.
 * Without a geofence every takeoff and goto is refused (fail closed). */
#ifndef AUTONOMY_MAVPROXY_SETTINGS_H
#define AUTONOMY_MAVPROXY_SETTINGS_H

#include <jansson.h>
#include <stddef.h>

#define MAV_FENCE_MAX_POINTS 64
#define MAV_INTERVAL_MAX_MS 60000
#define MAV_ENV_SITL 1
#define MAV_ENV_REAL 2

enum mav_fence_kind { MAV_FENCE_NONE, MAV_FENCE_CIRCLE, MAV_FENCE_POLYGON };

struct mav_settings {
	enum mav_fence_kind fence;
	double lat, lon, radius_m; /* circle */
	size_t npoly;              /* polygon: vertices, lat/lon degrees */
	double poly[MAV_FENCE_MAX_POINTS][2];
	double max_alt_m; /* above home; with a fence, required */
	unsigned min_interval_ms;
	int flight_envs; /* MAV_ENV_* bits; 0: any environment */
};

/* obj may be NULL (no settings: no fence, no interval, any
 * environment). -1 with err naming the field (under "runtime.mavlink"). */
int mav_settings_parse(const json_t *obj, struct mav_settings *s, char *err,
                       size_t errlen);

/* 1 when (lat, lon) is inside the fence, 0 outside or with no fence.
 * *dist_m: for a circle, the distance from its centre (else 0). */
int mav_fence_contains(const struct mav_settings *s, double lat, double lon,
                       double *dist_m);

/* --mavlink-endpoint: tcp:HOST:PORT | udp:HOST:PORT (HOST an IPv4
 * address: no name is resolved, nothing to spoof) | serial:/dev/PATH:BAUD
 * (the supervisor opens the device and hands mavproxy the fd). */
enum mav_link_kind { MAV_LINK_TCP, MAV_LINK_UDP, MAV_LINK_SERIAL };
#define MAV_ENDPOINT_MAX 256
struct mav_endpoint {
	enum mav_link_kind kind;
	char text[MAV_ENDPOINT_MAX]; /* as given */
	char host[16];               /* tcp/udp: dotted quad */
	unsigned port;               /* tcp/udp: 1..65535 */
	char path[MAV_ENDPOINT_MAX]; /* serial */
	unsigned baud;               /* serial */
};
int mav_endpoint_parse(const char *text, struct mav_endpoint *e, char *err,
                       size_t errlen);

/* "sitl" -> MAV_ENV_SITL, "real" -> MAV_ENV_REAL, else 0. */
int mav_env_bit(const char *env);

#endif
