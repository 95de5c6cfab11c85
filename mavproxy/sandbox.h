#ifndef AUTONOMY_MAVPROXY_SANDBOX_H
#define AUTONOMY_MAVPROXY_SANDBOX_H

#include "settings.h"

/* Everything but Landlock (main.c, earlier) and NPROC (later). */
int mavproxy_sandbox(enum mav_link_kind link);

#endif
