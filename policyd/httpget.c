#include "httpget.h"

#include <time.h>

#include <stdio.h>
#include <string.h>

static void bad(struct http_get *g, const char *fmt, const char *a)
{
	g->valid = 0;
	snprintf(g->error, sizeof(g->error), fmt, a);
}

static int bounded_int(const json_t *v, unsigned lo, unsigned hi, unsigned *out)
{
	json_int_t n;

	if (!json_is_integer(v))
		return -1;
	n = json_integer_value(v);
	if (n < (json_int_t)lo || n > (json_int_t)hi)
		return -1;
	*out = (unsigned)n;
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void http_get_parse(const json_t *params, struct http_get *g)
{
	const char *k;
	json_t *v, *ep = json_object_get(params, "endpoint");
	char err[URL_ERR_MAX];

	memset(g, 0, sizeof(*g));
	g->timeout_ms = HTTP_GET_DEFAULT_TIMEOUT_MS;
	g->max_bytes = HTTP_GET_DEFAULT_MAX_BYTES;
	snprintf(g->hopno, sizeof(g->hopno), "0");
	g->valid = 1;
	json_object_foreach((json_t *)params, k, v)
	{
		if (strcmp(k, "endpoint") != 0 && strcmp(k, "headers") != 0 &&
		    strcmp(k, "timeout_ms") != 0 && strcmp(k, "max_bytes") != 0)
			return bad(g,
			           "tool.http_get: unknown param \"%.64s\" "
			           "(endpoint, headers, timeout_ms, max_bytes)",
			           k);
	}
	if (!json_is_string(ep))
		return bad(g, "tool.http_get: %s",
		           "endpoint (a http:// or https:// URL) is required");
	if (url_parse(json_string_value(ep), &g->u, err, sizeof(err)) < 0)
		return bad(g, "tool.http_get: endpoint: %s", err);
	snprintf(g->endpoint_host, sizeof(g->endpoint_host), "%s", g->u.host);
	if ((v = json_object_get(params, "timeout_ms")) != NULL &&
	    bounded_int(v, 1, HTTP_GET_MAX_TIMEOUT_MS, &g->timeout_ms) < 0)
		return bad(g, "tool.http_get: timeout_ms: %s",
		           "an integer from 1 to 8000 (the whole call, "
		           "redirects included)");
	g->deadline_ms = now_ms() + g->timeout_ms;
	if ((v = json_object_get(params, "max_bytes")) != NULL &&
	    bounded_int(v, 1, ENV_MAX_HTTP_BODY, &g->max_bytes) < 0)
		return bad(g, "tool.http_get: max_bytes: %s",
		           "an integer from 1 to 262144");
	if ((v = json_object_get(params, "headers")) == NULL)
		return;
	if (!json_is_object(v))
		return bad(g, "tool.http_get: headers: %s",
		           "an object of name: value strings");
	if (json_object_size(v) > HTTP_HEADERS_MAX)
		return bad(g, "tool.http_get: headers: %s", "more than 32");
	json_t *hv;
	json_object_foreach(v, k, hv)
	{
		if (!json_is_string(hv))
			return bad(g,
			           "tool.http_get: headers: %.64s: not a "
			           "string",
			           k);
		if (http_header_check(k, json_string_value(hv), err,
		                      sizeof(err)) < 0)
			return bad(g, "tool.http_get: %s", err);
		g->names[g->nhdr] = k;
		g->values[g->nhdr++] = json_string_value(hv);
	}
}

int http_get_facts(struct policy_request *req, const struct http_get *g)
{
	json_t *ctx = (json_t *)req->context, *res;
	const char *path = url_path(&g->u);
	size_t plen = strcspn(path, "?");

	res = json_pack("{s:s, s:s}", "type", "Host", "id", g->u.host);
	if (res == NULL)
		return -1;
	json_decref((json_t *)req->resource);
	req->resource = res;
	if (json_object_set_new(ctx, "url", json_string(g->u.canonical)) < 0 ||
	    json_object_set_new(ctx, "scheme", json_string(g->u.scheme)) < 0 ||
	    json_object_set_new(ctx, "host", json_string(g->u.host)) < 0 ||
	    json_object_set_new(ctx, "port", json_integer(g->u.port)) < 0 ||
	    json_object_set_new(ctx, "path", json_stringn(path, plen)) < 0 ||
	    json_object_set_new(ctx, "method", json_string("GET")) < 0)
		return -1;
	return 0;
}

int http_get_next_hop(struct http_get *g, const char *loc)
{
	char err[URL_ERR_MAX];
	size_t k = 0;

	if (url_parse(loc, &g->u, err, sizeof(err)) < 0)
		return -1;
	g->hop++;
	snprintf(g->hopno, sizeof(g->hopno), "%u", g->hop);
	if (strcmp(g->u.host, g->endpoint_host) == 0)
		return 0;
	for (size_t i = 0; i < g->nhdr; i++)
		if (!http_header_is_credential(g->names[i])) {
			g->names[k] = g->names[i];
			g->values[k++] = g->values[i];
		}
	g->nhdr = k;
	return 0;
}

void http_get_request(const struct http_get *g, const char *audit_id,
                      Autonomy__HttpGetRequest *req, Autonomy__Attr *attrs,
                      Autonomy__Attr **ap)
{
	autonomy__http_get_request__init(req);
	req->audit_id = (char *)audit_id;
	req->url = (char *)g->u.canonical;
	req->hop = g->hop;
	{
		uint64_t now = now_ms();
		req->timeout_ms =
		    g->deadline_ms > now ? (uint32_t)(g->deadline_ms - now) : 1;
	}
	req->max_bytes = g->max_bytes;
	for (size_t i = 0; i < g->nhdr; i++) {
		autonomy__attr__init(&attrs[i]);
		attrs[i].key = (char *)g->names[i];
		attrs[i].value = (char *)g->values[i];
		ap[i] = &attrs[i];
	}
	req->n_headers = g->nhdr;
	req->headers = ap;
}
