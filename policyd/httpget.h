/* tool.http_get on policyd's side (docs/processes.md): its params, the
 * facts its Cedar request carries, and the hops it sends the fetcher.
 * policyd is the policy layer for every hop, redirects included: the
 * fetcher answers a redirect with its Location, and policyd decides on
 * that URL (policy.allow / policy.deny, hop N) before the fetcher's
 * runtime layer decides again. */
#ifndef AUTONOMY_HTTPGET_H
#define AUTONOMY_HTTPGET_H

#include <jansson.h>

#include "envelope.h"
#include "policy.h"
#include "url.h"

#define HTTP_GET_DEFAULT_TIMEOUT_MS 10000
#define HTTP_GET_DEFAULT_MAX_BYTES ENV_MAX_HTTP_BODY

struct http_get {
	int valid; /* params valid; else error says why (400) */
	char error[320];
	struct url u; /* this hop's URL */
	unsigned hop; /* 0: the endpoint */
	char endpoint_host[URL_HOST_MAX + 1];
	char hopno[8];
	size_t nhdr;
	const char *names[HTTP_HEADERS_MAX], *values[HTTP_HEADERS_MAX];
	unsigned timeout_ms, max_bytes;
};

/* Parses params (the object toolsrv sent, which outlives g): endpoint
 * (required), headers (object of strings), timeout_ms (1..60000, default
 * 10000), max_bytes (1..262144, default 262144); nothing else. Sets
 * g->valid, or g->error. */
void http_get_parse(const json_t *params, struct http_get *g);

/* The hop's facts in the Cedar request: resource Host::"<host>", and
 * context url, scheme, host, port, path (without the query), method
 * "GET" (overriding params of those names). -1 without memory. */
int http_get_facts(struct policy_request *req, const struct http_get *g);

/* Moves g to the redirect target (the fetcher's canonical Location).
 * Credentials (Authorization, Cookie) stay with the endpoint's host.
 * -1 if loc does not parse (the fetcher parsed it already). */
int http_get_next_hop(struct http_get *g, const char *loc);

/* The hop as an HttpGetRequest (borrowing g's strings; attrs/ap give
 * room for the headers). */
void http_get_request(const struct http_get *g, const char *audit_id,
                      Autonomy__HttpGetRequest *req, Autonomy__Attr *attrs,
                      Autonomy__Attr **ap);

#endif
