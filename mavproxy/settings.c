#include "settings.h"

#include <arpa/inet.h>
#include <math.h>
#include <ctype.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define EARTH_RADIUS_M 6371000.0

static int errorf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int mav_env_bit(const char *env)
{
	if (strcmp(env, "sitl") == 0)
		return MAV_ENV_SITL;
	if (strcmp(env, "real") == 0)
		return MAV_ENV_REAL;
	return 0;
}

/* A JSON number (integer or real) within [lo, hi]. */
static int number_in(const json_t *v, double lo, double hi, double *out)
{
	if (!json_is_number(v))
		return -1;
	*out = json_number_value(v);
	return isfinite(*out) && *out >= lo && *out <= hi ? 0 : -1;
}

static int parse_circle(const json_t *c, struct mav_settings *s, char *err,
                        size_t errlen)
{
	const char *k;
	json_t *v;

	if (!json_is_object(c))
		return errorf(err, errlen,
		              "runtime.mavlink.geofence.circle: must be an "
		              "object {lat, lon, radius_m}");
	json_object_foreach((json_t *)c, k, v)
	{
		if (strcmp(k, "lat") != 0 && strcmp(k, "lon") != 0 &&
		    strcmp(k, "radius_m") != 0)
			return errorf(err, errlen,
			              "runtime.mavlink.geofence.circle.%.64s: "
			              "unknown field (lat, lon, radius_m)",
			              k);
	}
	if (number_in(json_object_get(c, "lat"), -90, 90, &s->lat) < 0)
		return errorf(err, errlen,
		              "runtime.mavlink.geofence.circle."
		              "lat: a number in -90..90");
	if (number_in(json_object_get(c, "lon"), -180, 180, &s->lon) < 0)
		return errorf(err, errlen,
		              "runtime.mavlink.geofence.circle."
		              "lon: a number in -180..180");
	if (number_in(json_object_get(c, "radius_m"), 1, 100000, &s->radius_m) <
	    0)
		return errorf(err, errlen,
		              "runtime.mavlink.geofence.circle."
		              "radius_m: a number in 1..100000");
	s->fence = MAV_FENCE_CIRCLE;
	return 0;
}

static int parse_polygon(const json_t *p, struct mav_settings *s, char *err,
                         size_t errlen)
{
	size_t i;
	json_t *pt;

	if (!json_is_array(p) || json_array_size(p) < 3 ||
	    json_array_size(p) > MAV_FENCE_MAX_POINTS)
		return errorf(err, errlen,
		              "runtime.mavlink.geofence.polygon: an array of "
		              "3 to %d [lat, lon] vertices",
		              MAV_FENCE_MAX_POINTS);
	json_array_foreach(p, i, pt)
	{
		if (!json_is_array(pt) || json_array_size(pt) != 2 ||
		    number_in(json_array_get(pt, 0), -90, 90, &s->poly[i][0]) <
		        0 ||
		    number_in(json_array_get(pt, 1), -180, 180,
		              &s->poly[i][1]) < 0)
			return errorf(err, errlen,
			              "runtime.mavlink.geofence.polygon[%zu]: "
			              "must be [lat, lon] (-90..90, -180..180)",
			              i);
	}
	s->npoly = json_array_size(p);
	s->fence = MAV_FENCE_POLYGON;
	return 0;
}

static int parse_fence(const json_t *g, struct mav_settings *s, char *err,
                       size_t errlen)
{
	const json_t *c, *p;
	const char *k;
	json_t *v;

	if (!json_is_object(g))
		return errorf(err, errlen,
		              "runtime.mavlink.geofence: must be "
		              "an object");
	json_object_foreach((json_t *)g, k, v)
	{
		if (strcmp(k, "circle") != 0 && strcmp(k, "polygon") != 0 &&
		    strcmp(k, "max_alt_m") != 0)
			return errorf(err, errlen,
			              "runtime.mavlink.geofence.%.64s: unknown "
			              "field (circle or polygon, max_alt_m)",
			              k);
	}
	c = json_object_get(g, "circle");
	p = json_object_get(g, "polygon");
	if ((c == NULL) == (p == NULL))
		return errorf(err, errlen,
		              "runtime.mavlink.geofence: give exactly one of "
		              "circle and polygon");
	if ((c ? parse_circle(c, s, err, errlen)
	       : parse_polygon(p, s, err, errlen)) < 0)
		return -1;
	if (number_in(json_object_get(g, "max_alt_m"), 1, 10000,
	              &s->max_alt_m) < 0)
		return errorf(err, errlen,
		              "runtime.mavlink.geofence.max_alt_m: required, "
		              "metres above home in 1..10000");
	return 0;
}

int mav_settings_parse(const json_t *obj, struct mav_settings *s, char *err,
                       size_t errlen)
{
	const char *k;
	json_t *v;

	memset(s, 0, sizeof(*s));
	if (obj == NULL)
		return 0;
	if (!json_is_object(obj))
		return errorf(err, errlen,
		              "runtime.mavlink: must be an object");
	json_object_foreach((json_t *)obj, k, v)
	{
		if (strcmp(k, "geofence") == 0) {
			if (parse_fence(v, s, err, errlen) < 0)
				return -1;
		} else if (strcmp(k, "min_command_interval_ms") == 0) {
			if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			    json_integer_value(v) > MAV_INTERVAL_MAX_MS)
				return errorf(
				    err, errlen,
				    "runtime.mavlink.min_command_"
				    "interval_ms: an integer in 0..%d",
				    MAV_INTERVAL_MAX_MS);
			s->min_interval_ms = (unsigned)json_integer_value(v);
		} else if (strcmp(k, "flight_environments") == 0) {
			size_t i;
			json_t *e;
			if (!json_is_array(v) || json_array_size(v) == 0)
				return errorf(err, errlen,
				              "runtime.mavlink.flight_"
				              "environments: a non-empty array "
				              "of \"sitl\", \"real\"");
			json_array_foreach(v, i, e)
			{
				int bit =
				    json_is_string(e)
				        ? mav_env_bit(json_string_value(e))
				        : 0;
				if (bit == 0)
					return errorf(
					    err, errlen,
					    "runtime.mavlink.flight_"
					    "environments[%zu]: \"sitl\" or "
					    "\"real\"",
					    i);
				s->flight_envs |= bit;
			}
		} else {
			return errorf(err, errlen,
			              "runtime.mavlink.%.64s: unknown field "
			              "(geofence, min_command_interval_ms, "
			              "flight_environments)",
			              k);
		}
	}
	return 0;
}

int mav_fence_contains(const struct mav_settings *s, double lat, double lon,
                       double *dist_m)
{
	int inside = 0;

	*dist_m = 0;
	if (s->fence == MAV_FENCE_CIRCLE) {
		/* equirectangular: metres-accurate at fence scales */
		double rad = M_PI / 180.0;
		double dy = (lat - s->lat) * rad * EARTH_RADIUS_M;
		double dx =
		    (lon - s->lon) * rad * EARTH_RADIUS_M * cos(s->lat * rad);
		*dist_m = sqrt(dx * dx + dy * dy);
		return *dist_m <= s->radius_m;
	}
	if (s->fence != MAV_FENCE_POLYGON)
		return 0;
	/* even-odd ray casting in the lat/lon plane */
	for (size_t i = 0, j = s->npoly - 1; i < s->npoly; j = i++) {
		double yi = s->poly[i][0], xi = s->poly[i][1];
		double yj = s->poly[j][0], xj = s->poly[j][1];
		if ((yi > lat) != (yj > lat) &&
		    lon < (xj - xi) * (lat - yi) / (yj - yi) + xi)
			inside = !inside;
	}
	return inside;
}

static const unsigned bauds[] = {9600,   19200,  38400,  57600,  115200,
                                 230400, 460800, 500000, 921600, 1500000};

int mav_endpoint_parse(const char *text, struct mav_endpoint *e, char *err,
                       size_t errlen)
{
	const char *rest, *colon;
	char *end;
	unsigned long n;
	struct in_addr a;
	size_t hl;

	memset(e, 0, sizeof(*e));
	if (strlen(text) >= sizeof(e->text))
		return errorf(err, errlen, "too long");
	snprintf(e->text, sizeof(e->text), "%s", text);
	if (strncmp(text, "serial:", 7) == 0) {
		rest = text + 7;
		colon = strrchr(rest, ':');
		if (strncmp(rest, "/dev/", 5) != 0 || colon == NULL ||
		    strstr(rest, "/../") != NULL || strstr(rest, "/./") != NULL)
			return errorf(
			    err, errlen,
			    "\"%.80s\": expected serial:/dev/PATH:BAUD", text);
		n = strtoul(colon + 1, &end, 10);
		if (*end != '\0' || !isdigit((unsigned char)colon[1]))
			return errorf(err, errlen,
			              "\"%.80s\": BAUD must be a "
			              "number",
			              text);
		for (size_t i = 0; i < sizeof(bauds) / sizeof(bauds[0]); i++)
			if (bauds[i] == n)
				e->baud = (unsigned)n;
		if (e->baud == 0)
			return errorf(
			    err, errlen,
			    "\"%.80s\": BAUD %lu not supported (9600, "
			    "19200, 38400, 57600, 115200, 230400, "
			    "460800, 500000, 921600, 1500000)",
			    text, n);
		memcpy(e->path, rest, (size_t)(colon - rest));
		e->kind = MAV_LINK_SERIAL;
		return 0;
	}
	if (strncmp(text, "tcp:", 4) == 0)
		e->kind = MAV_LINK_TCP;
	else if (strncmp(text, "udp:", 4) == 0)
		e->kind = MAV_LINK_UDP;
	else
		return errorf(err, errlen,
		              "\"%.80s\": expected tcp:HOST:PORT, "
		              "udp:HOST:PORT or serial:/dev/PATH:BAUD",
		              text);
	rest = text + 4;
	colon = strrchr(rest, ':');
	hl = colon ? (size_t)(colon - rest) : 0;
	if (colon == NULL || hl == 0 || hl >= sizeof(e->host))
		return errorf(err, errlen, "\"%.80s\": expected %.3s:HOST:PORT",
		              text, text);
	memcpy(e->host, rest, hl);
	if (inet_pton(AF_INET, e->host, &a) != 1)
		return errorf(err, errlen,
		              "\"%.80s\": HOST must be an IPv4 address "
		              "(names are not resolved)",
		              text);
	n = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || !isdigit((unsigned char)colon[1]) || n < 1 ||
	    n > 65535)
		return errorf(err, errlen, "\"%.80s\": PORT must be 1..65535",
		              text);
	e->port = (unsigned)n;
	return 0;
}
