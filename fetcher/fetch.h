/* One hop of tool.http_get with libcurl, once both layers have allowed
 * it: the URL exactly as decided (common/url.h canonical form), the
 * connection pinned to the address the runtime layer checked, no
 * redirect followed (policyd drives the hops), no proxy, no cookies, no
 * decompression, TLS verified against the CA store loaded at start. */
#ifndef AUTONOMY_FETCHER_FETCH_H
#define AUTONOMY_FETCHER_FETCH_H

#include <stddef.h>
#include <sys/socket.h>

#include "url.h"

/* Before confinement: curl and OpenSSL initialised, the CA store read
 * (pem: the --ca-file bytes; NULL: the system store) when with_tls; a
 * fetcher with no allowed domain never fetches (its runtime layer denies
 * every hop), so it skips the store (tens of milliseconds of start-up),
 * and a TLS handshake without one fails (on_ssl_ctx). -1 on error. */
int fetch_init(const char *pem, size_t pem_len, int with_tls, char *err,
               size_t errlen);

struct fetch_worker; /* one per thread: its curl handle and last pin */
struct fetch_worker *fetch_worker_new(void);

struct fetch_hop {
	const struct url *u;
	const char *const *hdr_names, *const *hdr_values;
	size_t nhdr;
	unsigned timeout_ms, max_bytes;
	struct sockaddr_storage addr; /* the checked address (port unset) */
};

struct fetch_out {
	char *output_json; /* malloc'd: {"url", "status", "headers", "body"
	                      or "body_base64", "truncated"[, "error"]} */
	long status;       /* 0: no response (error says why) */
	char location[URL_MAX + 1]; /* a 3xx's Location, absolute (resolved
	                               against the hop's URL), or "" */
	char address[64];           /* what was connected to */
};

/* 0 (out filled; a transport error is still an output with "error"),
 * -1 when out of memory. */
int fetch_run(struct fetch_worker *w, const struct fetch_hop *h,
              struct fetch_out *out);

#endif
