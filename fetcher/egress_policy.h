/* The egress proxy's decision (--allow-host), pure so that it is
 * unit-tested without a network: the target host and port must match an
 * --allow-host entry (the grammar and matching of --allow-domain,
 * fetcher/rules.h: exact first, then "*." wildcards, which never match
 * an address; no port = any port), and every address the name resolves
 * to must pass the same address checks as tool.http_get's (loopback,
 * private, link-local, multicast, unspecified, reserved, v4 and v6,
 * IPv4-mapped judged by the IPv4 inside) unless the host matched an exact
 * entry or an exact entry names that IPv4 address. */
#ifndef AUTONOMY_FETCHER_EGRESS_POLICY_H
#define AUTONOMY_FETCHER_EGRESS_POLICY_H

#include <stddef.h>
#include <sys/socket.h>

#include "rules.h"
#include "url.h"

#define EGRESS_REASON_MAX 512

/* The entry allowing u's host and port, or NULL with why in reason. */
const struct rule *egress_match(const struct rules *rs, const struct url *u,
                                char *reason, size_t len);

/* 0 when every one of the n addresses may be connected to for u
 * (allowed by m); else -1 with why in reason. */
int egress_check_addrs(const struct rules *rs, const struct rule *m,
                       const struct url *u,
                       const struct sockaddr_storage *addrs, size_t n,
                       char *reason, size_t len);

/* u's host as an address when it is a literal (1), else 0. */
int egress_literal(const struct url *u, struct sockaddr_storage *out);

#endif
