/* mavproxy's configuration, prepared by the supervisor before anything
 * starts (a bad value is a usage error, nothing runs): --mavlink-endpoint
 * parsed with mavproxy's own parser (mavproxy/settings.h), the --policy
 * bundle's runtime.mavlink settings checked again and handed over in a
 * sealed memfd, and for a serial endpoint the device opened and set raw
 * here (mavproxy opens no file). */
#ifndef AUTONOMY_MAV_RUN_H
#define AUTONOMY_MAV_RUN_H

#include <stddef.h>

#include "bundle.h"
#include "flags.h"
#include "settings.h"

struct mav_conf {
	int on; /* --mavlink-endpoint given */
	struct mav_endpoint ep;
	int config_fd;     /* sealed memfd: runtime.mavlink (JSON, or null) */
	int link_fd;       /* serial: the device; else -1 */
	char fence[256];   /* for run.start and the panel */
	char interval[16]; /* min_command_interval_ms */
};

/* Nothing to do (o->mavlink_endpoint NULL): 0 with mc->on 0. */
int mav_prepare(const struct run_opts *o, const struct bundle *b,
                struct mav_conf *mc, char *err, size_t errlen);
void mav_conf_close(struct mav_conf *mc);

#endif
