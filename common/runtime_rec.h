/* The records a helper's runtime layer writes to the WAL under a call's
 * audit id (runtime.allow / runtime.deny; the fetcher's egress proxy its
 * egress.*), each durable before the helper acts on it. */
#ifndef AUTONOMY_RUNTIME_REC_H
#define AUTONOMY_RUNTIME_REC_H

#include <stddef.h>

#include "ipc.h"

#define RUNTIME_REC_ATTRS_MAX 12

/* tool.http_get's AllowedDomains layer with no domain at all: the
 * fetcher's reason, and policyd's in a run without a fetcher. */
#define RUNTIME_NO_DOMAINS_REASON                                              \
	"no allowed domains are configured: every tool.http_get is refused "   \
	"until some are (--allow-domain HOST[:PORT], or "                      \
	"runtime.allowed_domains in the bundle's manifest)"

/* The strings are borrowed: they must outlive runtime_rec_write. */
struct runtime_rec {
	const char *kind;
	size_t n;
	Autonomy__Attr a[RUNTIME_REC_ATTRS_MAX];
	Autonomy__Attr *ap[RUNTIME_REC_ATTRS_MAX];
};

/* Adds one attribute; more than RUNTIME_REC_ATTRS_MAX is fatal (a defect
 * of the caller's, never of its input). */
void runtime_rec_add(struct runtime_rec *r, const char *key, const char *value);

/* Appends r under audit_id and tool on wal (a context on walwriter's
 * socket) and waits until it is durable: 0, or -1 with why in err. */
int runtime_rec_write(nng_ctx wal, const char *audit_id, const char *tool,
                      const struct runtime_rec *r, char *err, size_t errlen);

#endif
