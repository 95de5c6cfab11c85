/* What the egress proxy writes about each request:
 *   - the WAL (walwriter, origin fetcher): egress.allow (durable before
 *     the upstream connection is opened), egress.deny (durable before the
 *     refusal is answered), egress.end (after an allowed request: bytes
 *     each way, duration), all under one audit id per request;
 *   - with --egress-audit-log, one JSON line per request on the
 *     descriptor the supervisor opened: the request's and, for plain
 *     HTTP, the response's headers and bodies, each body cut at
 *     --egress-max-body-bytes, the values of Authorization,
 *     Proxy-Authorization, Cookie and Set-Cookie redacted.
 * egress_audit_json() is pure (unit-tested). */
#ifndef AUTONOMY_FETCHER_EGRESS_LOG_H
#define AUTONOMY_FETCHER_EGRESS_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "proxy_parse.h"

#define EGRESS_AUDIT_ID_LEN 37
#define EGRESS_REDACTED "[REDACTED]"

/* A body's first max bytes, and how many there were in all. */
struct capture {
	char *buf;
	size_t len, max;
	uint64_t total;
};

void capture_init(struct capture *c, size_t max);
void capture_add(struct capture *c, const char *p, size_t n);
void capture_free(struct capture *c);

/* Whether a header's value is a credential, redacted in the audit log. */
int egress_header_redacted(const char *name);

struct egress_audit {
	const char *audit_id;
	const char *decision; /* "allow" or "deny" */
	const char *reason;   /* deny: why; allow: "" or the upstream error */
	const char *method, *target, *host, *address, *rule;
	unsigned port;
	int tunnel;
	const struct proxy_request *req; /* NULL when it did not parse */
	const struct capture *req_body;
	const struct proxy_response *resp; /* NULL: none (tunnel, error) */
	const struct capture *resp_body;
	uint64_t bytes_up, bytes_down, duration_ms;
	int64_t time_ns;
};

/* One JSON line ending in '\n', malloc'd; NULL without memory. */
char *egress_audit_json(const struct egress_audit *a);

/* A new random audit id (UUID v4 text). -1 without randomness. */
int egress_audit_id(char out[EGRESS_AUDIT_ID_LEN]);

#endif
