/* The "System footprint" panel printed to stderr when a run ends. */
#ifndef AUTONOMY_FOOTPRINT_H
#define AUTONOMY_FOOTPRINT_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "flags.h"

struct footprint {
	const char *wal_dir;
	int wal_kept, wal_pinned;
	int stats_known;
	uint64_t records, allowed, denied;
	const char *helper_names[8];
	pid_t helper_pids[8];
	int nhelpers;
	const char *url;
	int url_in_netns;          /* --net none: the URL answers only there */
	const char *sandbox;       /* the workload's layers, one line */
	const char *policy_ref;    /* the bundle decisions were made with */
	const char *policy_digest; /* its sha256, NULL: embedded */
	double wall_s;
	int exit_code;
	const struct run_opts *opts;
};

void footprint_print(FILE *f, const struct footprint *fp);

#endif
