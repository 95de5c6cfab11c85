/* The workload's egress proxy (--allow-host; docs/processes.md "The
 * workload's egress proxy"). The supervisor makes its listener inside the
 * workload's network namespace (127.0.0.1, beside the runtime's) and
 * hands it over (--proxy-fd); the workload gets HTTP_PROXY / HTTPS_PROXY
 * / ALL_PROXY pointing at it and has no other route out. PROXY_WORKERS
 * threads accept on it; each serves one connection at a time: reads and
 * parses the request (proxy_parse.h), decides (egress_policy.h: allowed
 * host and port, resolve, every address checked), writes egress.allow or
 * egress.deny and waits for it to be durable, then connects to the
 * checked address (pinned: no second lookup) and tunnels (CONNECT) or
 * forwards one request (absolute-form HTTP, Connection: close); then
 * egress.end (bytes each way, duration) and, with --egress-audit-log, a
 * JSON line (egress_log.h). */
#ifndef AUTONOMY_FETCHER_PROXY_H
#define AUTONOMY_FETCHER_PROXY_H

#include <nng/nng.h>
#include <stddef.h>

#define PROXY_WORKERS 32
#define PROXY_MAX_BODY_DEFAULT 32768
#define PROXY_MAX_BODY_MAX (16 * 1024 * 1024)

struct rules;

/* Before confinement (before Landlock, which leaves the fetcher no file):
 * reads the egress config from config_fd ("allow-host ENTRY" and
 * "max-body-bytes N" lines; anything else is fatal) and opens the
 * resolver (/etc/hosts, /etc/resolv.conf). listen_fd is the listener,
 * log_fd the audit log or -1. Fatal on any error: the fetcher never
 * serves a proxy it could not set up. */
void proxy_load(int listen_fd, int config_fd, int log_fd);

/* The allowed hosts (for the fetcher's Landlock connect ports). */
const struct rules *proxy_hosts(void);

/* Once the walwriter socket exists: one context per worker. */
void proxy_attach(nng_socket wal);

/* After confinement: starts the workers. */
void proxy_start(void);

#endif
