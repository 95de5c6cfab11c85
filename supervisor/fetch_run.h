/* The fetcher's configuration, prepared by the supervisor before anything
 * starts (a bad value is a usage error, nothing runs): the allowed
 * domains (--allow-domain, then the --policy bundle's
 * runtime.allowed_domains, each parsed with the fetcher's own parser,
 * fetcher/rules.h) and the --ca-file CA store (read and parsed as PEM
 * here, handed over as an open descriptor: the fetcher opens no file). */
#ifndef AUTONOMY_FETCH_RUN_H
#define AUTONOMY_FETCH_RUN_H

#include <stddef.h>

#include "bundle.h"
#include "flags.h"

struct fetch_conf {
	int config_fd;     /* sealed memfd: "allow-domain ENTRY" lines */
	int ca_fd;         /* --ca-file, or -1: the system store */
	size_t n;          /* allowed domains, merged */
	char joined[4096]; /* for run.start: "a,b,..." or "none (...)" */
};

int fetch_prepare(const struct run_opts *o, const struct bundle *b,
                  struct fetch_conf *fc, char *err, size_t errlen);
void fetch_conf_close(struct fetch_conf *fc);

#endif
