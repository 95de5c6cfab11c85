/* The workload egress proxy's parsers (--allow-host; docs/processes.md
 * "The workload's egress proxy"). Pure: no I/O, unit-tested
 * (tests/unit/test_proxy.c) and fuzzed (fetcher/fuzz_proxy.c).
 *
 * What the proxy accepts from the workload, and nothing else:
 *   - "CONNECT host:port HTTP/1.x": a tunnel (HTTPS is tunnelled, never
 *     intercepted); the port is required;
 *   - "METHOD http://host[:port]/path HTTP/1.x" (absolute form, plain
 *     HTTP only) with METHOD one of GET HEAD POST PUT DELETE PATCH
 *     OPTIONS, and a body framed by Content-Length or chunked.
 * Strict: CRLF line ends; the host parsed by common/url.c (a lowercase
 * name, a strict dotted quad, or a bracketed IPv6 address); header names
 * HTTP tokens, values printable ASCII or tab; no obs-fold, no space
 * before ':'; one Host (equal to the target's authority), one
 * Content-Length value, Transfer-Encoding "chunked" only and never with
 * Content-Length; bounded sizes. Anything else is refused with the HTTP
 * status to answer and why. */
#ifndef AUTONOMY_FETCHER_PROXY_PARSE_H
#define AUTONOMY_FETCHER_PROXY_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "url.h"

#define PROXY_HEAD_MAX 32768 /* request line and headers, CRLFs included */
#define PROXY_HEADERS_MAX 100
#define PROXY_HEADER_NAME_MAX 256
#define PROXY_METHOD_MAX 16
#define PROXY_RESPONSE_HEAD_MAX 65536
#define PROXY_ERR_MAX 256

enum proxy_kind { PROXY_CONNECT, PROXY_HTTP };
enum proxy_body { PROXY_BODY_NONE, PROXY_BODY_LENGTH, PROXY_BODY_CHUNKED };

struct proxy_header {
	const char *name; /* NUL-terminated, in the request's own copy */
	const char *value;
};

struct proxy_request {
	enum proxy_kind kind;
	char method[PROXY_METHOD_MAX + 1];
	int minor; /* HTTP/1.minor: 0 or 1 */
	/* The target: for CONNECT its authority, for HTTP its URL. */
	struct url u;
	size_t nh;
	struct proxy_header h[PROXY_HEADERS_MAX];
	enum proxy_body body;
	uint64_t content_length;
	int expect_continue;           /* "Expect: 100-continue" */
	char text[PROXY_HEAD_MAX + 1]; /* the head, NULs put in */
};

/* The length of the head at the start of data (through the empty line's
 * CRLF), 0 when more is needed, -1 when no head fits PROXY_HEAD_MAX. */
ssize_t proxy_head_len(const char *data, size_t len, size_t max);

/* Parses one request head of len bytes (proxy_head_len's). Returns 0, or
 * the HTTP status to refuse it with (400, 405, 417, 501, 505) with why
 * in err. */
int proxy_parse_request(const char *head, size_t len, struct proxy_request *r,
                        char *err, size_t errlen);

/* The value of header name (case-insensitive), the first one, or NULL. */
const char *proxy_header(const struct proxy_request *r, const char *name);

/* Whether a request header is hop-by-hop (not forwarded): Connection,
 * Proxy-Connection, Keep-Alive, Proxy-Authorization, Proxy-Authenticate,
 * TE, Trailer, Upgrade, Expect, Host (rewritten), or a name listed in
 * the request's Connection header. */
int proxy_hop_by_hop(const struct proxy_request *r, const char *name);

/* The head sent upstream for an HTTP request: origin form, the client's
 * HTTP version, Host from the target, the end-to-end headers, and
 * "Connection: close". Returns its length, or -1 when it does not fit. */
ssize_t proxy_upstream_head(const struct proxy_request *r, char *out,
                            size_t outlen);

/* ---- the upstream's response --------------------------------------- */

struct proxy_response {
	int status;
	int minor;
	size_t nh;
	struct proxy_header h[PROXY_HEADERS_MAX];
	int chunked;
	char text[PROXY_RESPONSE_HEAD_MAX + 1];
};

/* Parses a response head ("HTTP/1.x DDD reason" and headers; CRLF or LF
 * line ends, as servers send them). 0, or -1 with why in err. */
int proxy_parse_response(const char *head, size_t len, struct proxy_response *r,
                         char *err, size_t errlen);

/* The response head for the workload: the status line, the headers but
 * Connection / Keep-Alive / Proxy-Connection (and what Connection
 * names), then "Connection: close". Length, or -1 when it does not fit. */
ssize_t proxy_client_head(const struct proxy_response *r, char *out,
                          size_t outlen);

/* ---- chunked bodies ------------------------------------------------- */

struct chunk_dec {
	int state;
	uint64_t left;  /* data bytes left in the current chunk */
	unsigned ndig;  /* hex digits of the size line */
	size_t linelen; /* extension / trailer bytes so far */
	size_t trailer; /* trailer bytes in all */
};

/* Feeds n bytes of a chunked body. For every payload span data(arg, p,
 * k) is called (data may be NULL). Returns how many bytes belong to the
 * body (all n, or fewer when the body ends inside them: then
 * chunk_done() is true), or -1 when the framing is malformed. */
ssize_t chunk_feed(struct chunk_dec *d, const char *p, size_t n,
                   void (*data)(void *, const char *, size_t), void *arg);
int chunk_done(const struct chunk_dec *d);

/* ---- refusals ------------------------------------------------------- */

/* The whole response the proxy answers a refusal with: status, a
 * text/plain body naming why (and the audit id, when there is one),
 * Connection: close. Length written (truncated to fit). */
size_t proxy_refusal(int status, const char *why, const char *audit_id,
                     char *out, size_t outlen);

#endif
