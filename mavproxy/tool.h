/* The tool.mavlink.* surface: a call's kind and params (JSON, from the
 * workload through policyd) parsed into one command. Pure: the unit tests
 * and the fuzzer drive it directly. */
#ifndef AUTONOMY_MAVPROXY_TOOL_H
#define AUTONOMY_MAVPROXY_TOOL_H

#include <stddef.h>
#include <stdint.h>

enum mav_tool {
	MT_STATUS,
	MT_ARM,
	MT_DISARM,
	MT_SET_MODE,
	MT_TAKEOFF,
	MT_GOTO,
	MT_LAND,
	MT_RTL,
};

struct mav_call {
	enum mav_tool tool;
	const char *name; /* "arm", ... */
	uint32_t mode;    /* set_mode: ArduCopter custom_mode */
	const char *mode_name;
	double lat, lon; /* goto */
	double alt_m;    /* takeoff, goto: metres above home */
};

/* 0, or -1 and err: the kind is not one of ours (*unknown set) or the
 * params are wrong for it. Params: status, arm, disarm, land, rtl: none;
 * set_mode {mode: "GUIDED"|...}; takeoff {alt_m}; goto {lat, lon, alt_m}.
 * Unknown params are refused. */
int mav_call_parse(const char *kind, const char *params_json,
                   struct mav_call *c, int *unknown, char *err, size_t errlen);

/* ArduCopter's custom_mode name ("GUIDED"), or NULL if not one we name. */
const char *mav_mode_name(uint32_t custom_mode);

#endif
