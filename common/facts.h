/* The facts the runtime injects into context.runtime for tool.mavlink.*
 * (docs/processes.md): the run's environment and the vehicle's live
 * state. A call whose params name any of them is refused with a 400
 * before policy runs (toolsrv, and policyd again): an agent must not
 * even look like it supplies them. */
#ifndef AUTONOMY_FACTS_H
#define AUTONOMY_FACTS_H

#define RUNTIME_FACT_NAMES                                                     \
	"environment, armed_state, gps_fix, heartbeat_age_ms, sysid, "         \
	"current_mode"

#include <string.h>

/* 1 if key is one of RUNTIME_FACT_NAMES. Header-only: toolsrv and
 * policyd's parser (and its fuzzer) share it without a library. */
static inline int runtime_fact_name(const char *key)
{
	static const char *const names[] = {"environment", "armed_state",
	                                    "gps_fix",     "heartbeat_age_ms",
	                                    "sysid",       "current_mode"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(key, names[i]) == 0)
			return 1;
	return 0;
}

#endif
