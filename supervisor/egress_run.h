/* The workload's egress proxy, supervisor side (--allow-host,
 * --egress-audit-log, --egress-max-body-bytes; docs/processes.md "The
 * workload's egress proxy"). Before anything starts (a bad value is a
 * usage error, nothing runs): each --allow-host entry is parsed with the
 * fetcher's own parser (fetcher/rules.h); the proxy's listener is made on
 * 127.0.0.1:0 inside the workload's network namespace (beside the
 * runtime's, netns.h) and handed to the fetcher with the config (a sealed
 * memfd) and the audit log (opened here: the fetcher opens no file). The
 * workload gets HTTP_PROXY / HTTPS_PROXY / ALL_PROXY (and the lower-case
 * forms) pointing at it, and NO_PROXY for its own loopback (the runtime's
 * URL). */
#ifndef AUTONOMY_EGRESS_RUN_H
#define AUTONOMY_EGRESS_RUN_H

#include <stddef.h>

#include "flags.h"
#include "netns.h"

#define EGRESS_ENV_N 8

struct egress_conf {
	int listen_fd; /* the proxy's listener in the workload's namespace */
	int config_fd; /* sealed memfd: "allow-host E", "max-body-bytes N" */
	int log_fd;    /* --egress-audit-log, or -1 */
	unsigned port; /* the listener's; 0: no proxy */
	char url[32];  /* http://127.0.0.1:PORT */
	char joined[4096]; /* for run.start: "a,b,..." */
	long max_body;
};

/* Nothing to do without --allow-host (ec->port stays 0). n is the
 * prepared network layer: the proxy needs its namespace (NET_NONE).
 * Call while the process has one thread (it enters the namespace for a
 * moment to make the listener). -1 with the message in err. */
int egress_prepare(const struct run_opts *o, const struct netns *n,
                   struct egress_conf *ec, char *err, size_t errlen);

/* Whether the workload variable e ("NAME=...") is one the proxy sets. */
int egress_env_is_ours(const char *e);

/* Appends the EGRESS_ENV_N allocated "NAME=value" strings at env[*k]. */
int egress_env(const struct egress_conf *ec, char **env, size_t *k);

void egress_conf_close(struct egress_conf *ec);

#endif
