#include "tool.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	enum mav_tool tool;
} tools[] = {
    {"status", MT_STATUS},     {"arm", MT_ARM},         {"disarm", MT_DISARM},
    {"set_mode", MT_SET_MODE}, {"takeoff", MT_TAKEOFF}, {"goto", MT_GOTO},
    {"land", MT_LAND},         {"rtl", MT_RTL},
};

/* The modes mavsim (and ArduCopter) know, by custom_mode number. */
static const struct {
	const char *name;
	uint32_t num;
} modes[] = {{"STABILIZE", 0}, {"AUTO", 3}, {"GUIDED", 4},
             {"LOITER", 5},    {"RTL", 6},  {"LAND", 9}};

const char *mav_mode_name(uint32_t custom_mode)
{
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (modes[i].num == custom_mode)
			return modes[i].name;
	return NULL;
}

static int errorf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int number(const json_t *p, const char *key, double lo, double hi,
                  double *out, const char *tool, char *err, size_t errlen)
{
	const json_t *v = json_object_get(p, key);

	if (v == NULL)
		return errorf(err, errlen,
		              "tool.mavlink.%s: params.%s is "
		              "required",
		              tool, key);
	if (!json_is_number(v) || !isfinite(json_number_value(v)) ||
	    json_number_value(v) < lo || json_number_value(v) > hi)
		return errorf(err, errlen,
		              "tool.mavlink.%s: params.%s must be a number in "
		              "%g..%g",
		              tool, key, lo, hi);
	*out = json_number_value(v);
	return 0;
}

/* Every key of p must be one of allowed (NULL-terminated). */
static int only_keys(const json_t *p, const char *const *allowed,
                     const char *tool, char *err, size_t errlen)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)p, k, v)
	{
		int ok = 0;
		for (const char *const *a = allowed; *a; a++)
			ok |= strcmp(k, *a) == 0;
		if (!ok)
			return errorf(
			    err, errlen,
			    "tool.mavlink.%s: unknown param \"%.64s\"", tool,
			    k);
	}
	return 0;
}

static int parse_params(json_t *p, struct mav_call *c, char *err, size_t errlen)
{
	static const char *const none[] = {NULL};
	static const char *const mode[] = {"mode", NULL};
	static const char *const takeoff[] = {"alt_m", NULL};
	static const char *const go[] = {"lat", "lon", "alt_m", NULL};
	const json_t *m;

	switch (c->tool) {
	case MT_SET_MODE:
		if (only_keys(p, mode, c->name, err, errlen) < 0)
			return -1;
		m = json_object_get(p, "mode");
		if (!json_is_string(m))
			return errorf(
			    err, errlen,
			    "tool.mavlink.set_mode: params.mode must "
			    "be a mode name (STABILIZE, AUTO, GUIDED, "
			    "LOITER, RTL, LAND)");
		for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
			if (strcmp(json_string_value(m), modes[i].name) == 0) {
				c->mode = modes[i].num;
				c->mode_name = modes[i].name;
				return 0;
			}
		return errorf(err, errlen,
		              "tool.mavlink.set_mode: unknown mode \"%.32s\" "
		              "(STABILIZE, AUTO, GUIDED, LOITER, RTL, LAND)",
		              json_string_value(m));
	case MT_TAKEOFF:
		return only_keys(p, takeoff, c->name, err, errlen) < 0 ||
		               number(p, "alt_m", 1, 10000, &c->alt_m, c->name,
		                      err, errlen) < 0
		           ? -1
		           : 0;
	case MT_GOTO:
		return only_keys(p, go, c->name, err, errlen) < 0 ||
		               number(p, "lat", -90, 90, &c->lat, c->name, err,
		                      errlen) < 0 ||
		               number(p, "lon", -180, 180, &c->lon, c->name,
		                      err, errlen) < 0 ||
		               number(p, "alt_m", 0, 10000, &c->alt_m, c->name,
		                      err, errlen) < 0
		           ? -1
		           : 0;
	default:
		return only_keys(p, none, c->name, err, errlen);
	}
}

int mav_call_parse(const char *kind, const char *params_json,
                   struct mav_call *c, int *unknown, char *err, size_t errlen)
{
	json_error_t je;
	json_t *p;
	int rc;

	memset(c, 0, sizeof(*c));
	*unknown = 0;
	if (strncmp(kind, "tool.mavlink.", 13) != 0)
		return *unknown = 1, errorf(err, errlen, "not a MAVLink tool");
	for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]); i++)
		if (strcmp(kind + 13, tools[i].name) == 0) {
			c->tool = tools[i].tool;
			c->name = tools[i].name;
		}
	if (c->name == NULL) {
		*unknown = 1;
		return errorf(err, errlen,
		              "%.128s: no such MAVLink tool (status, arm, "
		              "disarm, set_mode, takeoff, goto, land, rtl)",
		              kind);
	}
	p = json_loads(params_json, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(p)) {
		json_decref(p);
		return errorf(err, errlen, "params: not a JSON object");
	}
	rc = parse_params(p, c, err, errlen);
	json_decref(p);
	return rc;
}
