/* tool.http_get on policyd's side (docs/processes.md): its params, the
 * facts its Cedar request carries, and the hops it sends the fetcher.
 * policyd is the policy layer for every hop, redirects included: the
 * fetcher answers a redirect with its Location, and policyd decides on
 * that URL (policy.allow / policy.deny, hop N) before the fetcher's
 * runtime layer decides again. */
#ifndef AUTONOMY_HTTPGET_H
#define AUTONOMY_HTTPGET_H

#include <jansson.h>
#include <stdint.h>

#include "envelope.h"
#include "policy.h"
#include "url.h"

/* timeout_ms is the budget of the whole call, every hop together: the
 * call must end inside toolsrv's bound for any call
 * (TOOLSRV_CALL_TIMEOUT_MS, 10 s), with room left for its WAL records,
 * or the workload would see a 503 for a fetch that then completes. */
#define HTTP_GET_DEFAULT_TIMEOUT_MS 5000
#define HTTP_GET_MAX_TIMEOUT_MS 8000
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
	uint64_t deadline_ms; /* CLOCK_MONOTONIC ms: parse + timeout_ms */
};

/* Parses params (the object toolsrv sent, which outlives g): endpoint
 * (required), headers (object of strings), timeout_ms (1..8000, default
 * 5000, for the whole call), max_bytes (1..262144, default 262144);
 * nothing else. Sets g->valid, or g->error. */
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
 * room for the headers); its timeout_ms is what is left of the call's
 * budget (at least 1 ms: a hop past the deadline times out at once). */
void http_get_request(const struct http_get *g, const char *audit_id,
                      Autonomy__HttpGetRequest *req, Autonomy__Attr *attrs,
                      Autonomy__Attr **ap);

#endif
