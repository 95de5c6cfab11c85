/* The workload egress proxy's pure pieces: the request parser (CONNECT,
 * absolute-form HTTP, headers, Host, framing), the head sent upstream,
 * the response parser and the head sent back, the chunked decoder, the
 * egress decision (allowed hosts and ports, every address checked, v4 and
 * v6 incl. IPv4-mapped, exact allows), refusal responses, and the audit
 * log's JSON line (credentials redacted, bodies bounded). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egress_log.h"
#include "egress_policy.h"
#include "proxy_parse.h"
#include "rules.h"

static struct proxy_request req;

static int parse(const char *head, char *err, size_t errlen)
{
	return proxy_parse_request(head, strlen(head), &req, err, errlen);
}

static void accepted(const char *head)
{
	char err[PROXY_ERR_MAX] = "";
	int rc = parse(head, err, sizeof(err));

	if (rc != 0)
		fail_msg("refused (%d: %s): %s", rc, err, head);
}

static void refused(const char *head, int status, const char *needle)
{
	char err[PROXY_ERR_MAX] = "";
	int rc = parse(head, err, sizeof(err));

	if (rc != status)
		fail_msg("%d (want %d, %s): %s", rc, status, err, head);
	if (strstr(err, needle) == NULL)
		fail_msg("\"%s\" lacks \"%s\": %s", err, needle, head);
}

static void head_len(void **state)
{
	(void)state;
	assert_int_equal(proxy_head_len("GET / HTTP/1.1\r\n", 16, 100), 0);
	assert_int_equal(proxy_head_len("GET / HTTP/1.1\r\n\r\nBODY", 22, 100),
	                 18);
	assert_int_equal(proxy_head_len("GET / HTTP/1.1\n\n", 16, 100), 0);
	assert_int_equal(proxy_head_len("xxxxxxxxxx", 10, 10), -1);
}

static void connect_requests(void **state)
{
	(void)state;
	accepted("CONNECT example.com:443 HTTP/1.1\r\nHost: "
	         "example.com:443\r\n\r\n");
	assert_int_equal(req.kind, PROXY_CONNECT);
	assert_string_equal(req.u.host, "example.com");
	assert_int_equal(req.u.port, 443);
	accepted("CONNECT Example.COM.:8443 HTTP/1.0\r\n\r\n");
	assert_string_equal(req.u.host, "example.com");
	assert_int_equal(req.minor, 0);
	accepted("CONNECT 10.200.0.2:9000 HTTP/1.1\r\n\r\n");
	assert_int_equal(req.u.host_kind, URL_HOST_IPV4);
	accepted("CONNECT [::ffff:127.0.0.1]:443 HTTP/1.1\r\n\r\n");
	assert_int_equal(req.u.host_kind, URL_HOST_IPV6);
	assert_string_equal(req.u.host, "::ffff:127.0.0.1");

	refused("CONNECT example.com HTTP/1.1\r\n\r\n", 400, "port");
	refused("CONNECT example.com:0 HTTP/1.1\r\n\r\n", 400, "port");
	refused("CONNECT example.com:65536 HTTP/1.1\r\n\r\n", 400, "port");
	refused("CONNECT user@example.com:443 HTTP/1.1\r\n\r\n", 400,
	        "authority");
	refused("CONNECT 127.1:443 HTTP/1.1\r\n\r\n", 400, "dotted quad");
	refused("CONNECT 0x7f.0.0.1:443 HTTP/1.1\r\n\r\n", 400, "authority");
	refused("CONNECT [fe80::1%eth0]:443 HTTP/1.1\r\n\r\n", 400,
	        "authority");
	refused("CONNECT example.com:443 HTTP/1.1\r\nHost: other.com:443\r\n"
	        "\r\n",
	        400, "differs");
	refused("CONNECT example.com:443 HTTP/1.1\r\nContent-Length: 5\r\n"
	        "\r\n",
	        400, "body");
}

static void http_requests(void **state)
{
	(void)state;
	accepted("GET http://Example.com/a/../b?q=1 HTTP/1.1\r\n"
	         "Host: example.com\r\nAccept: */*\r\n\r\n");
	assert_int_equal(req.kind, PROXY_HTTP);
	assert_string_equal(req.u.canonical, "http://example.com/b?q=1");
	assert_int_equal(req.u.port, 80);
	assert_int_equal(req.body, PROXY_BODY_NONE);
	assert_int_equal(req.nh, 2);
	assert_string_equal(proxy_header(&req, "accept"), "*/*");

	accepted("POST http://example.com:8080/x HTTP/1.1\r\n"
	         "Host: example.com:8080\r\nContent-Length: 12\r\n"
	         "Content-Length: 12\r\n\r\n");
	assert_int_equal(req.body, PROXY_BODY_LENGTH);
	assert_int_equal(req.content_length, 12);
	accepted("PUT http://example.com/x HTTP/1.1\r\nHost: example.com\r\n"
	         "Transfer-Encoding: Chunked\r\nExpect: 100-continue\r\n\r\n");
	assert_int_equal(req.body, PROXY_BODY_CHUNKED);
	assert_true(req.expect_continue);
	/* HTTP/1.0 may omit Host */
	accepted("GET http://example.com/ HTTP/1.0\r\n\r\n");
	/* OWS around values is not part of them */
	accepted("GET http://example.com/ HTTP/1.1\r\nHost:example.com\r\n"
	         "X-A:  v  \r\n\r\n");
	assert_string_equal(proxy_header(&req, "x-a"), "v");

	refused("GET /path HTTP/1.1\r\nHost: example.com\r\n\r\n", 400,
	        "not a proxy request");
	refused("GET https://example.com/ HTTP/1.1\r\nHost: example.com\r\n"
	        "\r\n",
	        400, "use CONNECT");
	refused("GET ftp://example.com/ HTTP/1.1\r\n\r\n", 400, "http://");
	refused("TRACE http://example.com/ HTTP/1.1\r\nHost: example.com\r\n"
	        "\r\n",
	        405, "TRACE");
	refused("get http://example.com/ HTTP/1.1\r\n\r\n", 400, "upper");
	refused("GET http://example.com/ HTTP/2.0\r\n\r\n", 505, "HTTP/1.0");
	refused("GET  http://example.com/ HTTP/1.1\r\n\r\n", 400,
	        "request line");
	refused("GET http://example.com/ HTTP/1.1\r\n\r\n", 400,
	        "Host: missing");
	refused("GET http://example.com/ HTTP/1.1\r\nHost: evil.com\r\n\r\n",
	        400, "differs");
	refused("GET http://example.com/ HTTP/1.1\r\nHost: example.com:81\r\n"
	        "\r\n",
	        400, "differs");
	refused("GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n"
	        "Host: example.com\r\n\r\n",
	        400, "more than one");
	refused("POST http://example.com/ HTTP/1.1\r\nHost: example.com\r\n"
	        "Content-Length: 1\r\nContent-Length: 2\r\n\r\n",
	        400, "two different");
	refused("POST http://example.com/ HTTP/1.1\r\nHost: example.com\r\n"
	        "Content-Length: -1\r\n\r\n",
	        400, "digits");
	refused("POST http://example.com/ HTTP/1.1\r\nHost: example.com\r\n"
	        "Content-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
	        400, "together");
	refused("POST http://example.com/ HTTP/1.1\r\nHost: example.com\r\n"
	        "Transfer-Encoding: gzip, chunked\r\n\r\n",
	        501, "chunked");
	refused("POST http://example.com/ HTTP/1.0\r\n"
	        "Transfer-Encoding: chunked\r\n\r\n",
	        400, "HTTP/1.0");
	refused("GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n"
	        "Expect: magic\r\n\r\n",
	        417, "100-continue");
	refused("GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n"
	        " folded\r\n\r\n",
	        400, "obs-fold");
	refused("GET http://example.com/ HTTP/1.1\r\nHost : example.com\r\n"
	        "\r\n",
	        400, "token");
	refused("GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n"
	        "X: a\x01"
	        "b\r\n\r\n",
	        400, "printable");
	refused("GET http://example.com/ HTTP/1.1\nHost: example.com\r\n\r\n",
	        400, "CRLF");
	refused("GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n"
	        "\r\nX",
	        400, "empty line");
}

static void too_many_headers(void **state)
{
	char *h = malloc(PROXY_HEAD_MAX);
	size_t off;
	char err[PROXY_ERR_MAX] = "";

	(void)state;
	off =
	    (size_t)sprintf(h, "GET http://a.com/ HTTP/1.1\r\nHost: a.com\r\n");
	for (int i = 0; i < PROXY_HEADERS_MAX; i++)
		off += (size_t)sprintf(h + off, "X-%d: v\r\n", i);
	off += (size_t)sprintf(h + off, "\r\n");
	assert_int_equal(proxy_parse_request(h, off, &req, err, sizeof(err)),
	                 431);
	free(h);
}

static void upstream_head(void **state)
{
	char out[4096];
	ssize_t n;

	(void)state;
	accepted("POST http://example.com:8080/a?b=1 HTTP/1.1\r\n"
	         "Host: example.com:8080\r\nProxy-Connection: keep-alive\r\n"
	         "Proxy-Authorization: Basic eA==\r\nConnection: X-Hop\r\n"
	         "X-Hop: 1\r\nKeep-Alive: 5\r\nAuthorization: Bearer t\r\n"
	         "Content-Length: 3\r\nExpect: 100-continue\r\n\r\n");
	n = proxy_upstream_head(&req, out, sizeof(out));
	assert_true(n > 0);
	assert_string_equal(out, "POST /a?b=1 HTTP/1.1\r\n"
	                         "Host: example.com:8080\r\n"
	                         "Authorization: Bearer t\r\n"
	                         "Content-Length: 3\r\n"
	                         "Connection: close\r\n\r\n");
	assert_int_equal(proxy_upstream_head(&req, out, 20), -1);
	accepted("GET http://[2001:db8::1]/ HTTP/1.0\r\n\r\n");
	n = proxy_upstream_head(&req, out, sizeof(out));
	assert_string_equal(out, "GET / HTTP/1.0\r\nHost: [2001:db8::1]\r\n"
	                         "Connection: close\r\n\r\n");
}

static void responses(void **state)
{
	static struct proxy_response r;
	const char *h = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
	                "Connection: keep-alive, X-Drop\r\nX-Drop: 1\r\n"
	                "Keep-Alive: timeout=5\r\nTransfer-Encoding: "
	                "chunked\r\nSet-Cookie: a=b\r\n\r\n";
	char out[1024], err[PROXY_ERR_MAX];

	(void)state;
	assert_int_equal(
	    proxy_parse_response(h, strlen(h), &r, err, sizeof(err)), 0);
	assert_int_equal(r.status, 200);
	assert_true(r.chunked);
	assert_true(proxy_client_head(&r, out, sizeof(out)) > 0);
	assert_string_equal(out,
	                    "HTTP/1.1 200 OK\r\nContent-Type: "
	                    "text/plain\r\nTransfer-Encoding: chunked\r\n"
	                    "Set-Cookie: a=b\r\nConnection: close\r\n\r\n");
	h = "HTTP/1.0 404\nX: y\n\n";
	assert_int_equal(
	    proxy_parse_response(h, strlen(h), &r, err, sizeof(err)), 0);
	assert_int_equal(r.status, 404);
	proxy_client_head(&r, out, sizeof(out));
	assert_string_equal(out, "HTTP/1.0 404\r\nX: y\r\nConnection: "
	                         "close\r\n\r\n");
	h = "HTTP/2 200 OK\r\n\r\n";
	assert_int_equal(
	    proxy_parse_response(h, strlen(h), &r, err, sizeof(err)), -1);
	h = "HTTP/1.1 200 OK\r\nNo colon\r\n\r\n";
	assert_int_equal(
	    proxy_parse_response(h, strlen(h), &r, err, sizeof(err)), -1);
}

struct sink {
	char buf[256];
	size_t n;
};

static void sink_cb(void *arg, const char *p, size_t n)
{
	struct sink *s = arg;

	memcpy(s->buf + s->n, p, n);
	s->n += n;
}

static void chunked(void **state)
{
	const char *body = "4\r\nWiki\r\n5;ext=1\r\npedia\r\nE\r\n in\r\n\r\n"
	                   "chunks.\r\n0\r\nTrailer: x\r\n\r\nNEXT";
	struct chunk_dec d;
	struct sink s;
	size_t len = strlen(body);

	(void)state;
	/* whole, then byte by byte: same payload, same end */
	memset(&d, 0, sizeof(d));
	memset(&s, 0, sizeof(s));
	assert_int_equal(chunk_feed(&d, body, len, sink_cb, &s),
	                 (ssize_t)(len - 4));
	assert_true(chunk_done(&d));
	assert_int_equal(s.n, 23);
	assert_memory_equal(s.buf, "Wikipedia in\r\n\r\nchunks.", 23);
	memset(&d, 0, sizeof(d));
	memset(&s, 0, sizeof(s));
	for (size_t i = 0; i < len - 4; i++)
		assert_int_equal(chunk_feed(&d, body + i, 1, sink_cb, &s), 1);
	assert_true(chunk_done(&d));
	assert_int_equal(s.n, 23);

	const char *bad[] = {"x\r\n",          "4\nWiki",
	                     "4\r\nWikiX\r\n", "1234567890abcdef0\r\n",
	                     ";\r\n",          "0\r\nbad\nline\r\n\r\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&d, 0, sizeof(d));
		assert_int_equal(
		    chunk_feed(&d, bad[i], strlen(bad[i]), NULL, NULL), -1);
	}
}

static struct rules rs;

static void allow(const char *e)
{
	char err[320];

	if (rules_add(&rs, e, err, sizeof(err)) != 0)
		fail_msg("%s: %s", e, err);
}

static struct url target(const char *authority)
{
	struct url u;
	char url[300], err[URL_ERR_MAX];

	snprintf(url, sizeof(url), "http://%s/", authority);
	if (url_parse(url, &u, err, sizeof(err)) != 0)
		fail_msg("%s: %s", url, err);
	return u;
}

static struct sockaddr_storage addr(const char *text)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, text, &((struct sockaddr_in *)&ss)->sin_addr))
		ss.ss_family = AF_INET;
	else if (inet_pton(AF_INET6, text,
	                   &((struct sockaddr_in6 *)&ss)->sin6_addr))
		ss.ss_family = AF_INET6;
	else
		fail_msg("%s", text);
	return ss;
}

/* The decision for authority resolving to the given addresses: NULL
 * when allowed, else the reason. */
static const char *decide(const char *authority, const char *a1, const char *a2)
{
	static char reason[EGRESS_REASON_MAX];
	struct url u = target(authority);
	struct sockaddr_storage as[2];
	const struct rule *m = egress_match(&rs, &u, reason, sizeof(reason));
	size_t n = 0;

	if (m == NULL)
		return reason;
	if (a1 == NULL) {
		assert_int_equal(egress_literal(&u, &as[0]), 1);
		n = 1;
	} else {
		as[n++] = addr(a1);
		if (a2 != NULL)
			as[n++] = addr(a2);
	}
	if (egress_check_addrs(&rs, m, &u, as, n, reason, sizeof(reason)) < 0)
		return reason;
	return NULL;
}

#define ALLOWED(...) assert_null(decide(__VA_ARGS__))
#define DENIED(needle, ...)                                                    \
	do {                                                                   \
		const char *why_ = decide(__VA_ARGS__);                        \
		assert_non_null(why_);                                         \
		if (strstr(why_, needle) == NULL)                              \
			fail_msg("\"%s\" lacks \"%s\"", why_, needle);         \
	} while (0)

static void decisions(void **state)
{
	(void)state;
	memset(&rs, 0, sizeof(rs));
	allow("api.example.com:443");
	allow("*.cdn.example.com");
	allow("intranet.test");
	allow("10.200.0.2:8080");

	/* hosts and ports */
	ALLOWED("api.example.com:443", "93.184.216.34", NULL);
	DENIED("not an allowed host", "api.example.com:80", "93.184.216.34",
	       NULL);
	DENIED("not an allowed host", "example.com:443", "93.184.216.34", NULL);
	ALLOWED("a.cdn.example.com:8443", "93.184.216.34", NULL);
	DENIED("not an allowed host", "cdn.example.com:443", "93.184.216.34",
	       NULL);
	/* a wildcard never reaches inside, in any spelling */
	DENIED("loopback", "a.cdn.example.com:443", "127.0.0.1", NULL);
	DENIED("private", "a.cdn.example.com:443", "93.184.216.34", "10.1.2.3");
	DENIED("link-local", "a.cdn.example.com:443", "169.254.169.254", NULL);
	DENIED("multicast", "a.cdn.example.com:443", "224.0.0.1", NULL);
	DENIED("unspecified", "a.cdn.example.com:443", "0.0.0.0", NULL);
	DENIED("loopback", "a.cdn.example.com:443", "::1", NULL);
	DENIED("loopback", "a.cdn.example.com:443", "::ffff:127.0.0.1", NULL);
	DENIED("private", "a.cdn.example.com:443", "::ffff:192.168.1.1", NULL);
	DENIED("unique local", "a.cdn.example.com:443", "fd00::1", NULL);
	DENIED("link-local", "a.cdn.example.com:443", "fe80::1", NULL);
	DENIED("multicast", "a.cdn.example.com:443", "ff02::1", NULL);
	DENIED("unspecified", "a.cdn.example.com:443", "::", NULL);
	ALLOWED("a.cdn.example.com:443", "2606:2800:220:1::1", NULL);
	/* an exact entry allows its host's inside addresses */
	ALLOWED("intranet.test:8080", "10.200.0.2", NULL);
	/* an address literal: allowed only when named (with its port) */
	ALLOWED("10.200.0.2:8080", NULL, NULL);
	DENIED("not an allowed host", "10.200.0.2:9000", NULL, NULL);
	DENIED("not an allowed host", "127.0.0.1:8080", NULL, NULL);
	DENIED("not an allowed host", "[::ffff:10.200.0.2]:8080", NULL, NULL);
	DENIED("not an allowed host", "[::1]:8080", NULL, NULL);
}

static void refusal_response(void **state)
{
	char out[1024], *body;

	(void)state;
	size_t n =
	    proxy_refusal(403, "x is not allowed", "id-1", out, sizeof(out));
	assert_int_equal(strlen(out), n);
	assert_non_null(strstr(out, "HTTP/1.1 403 Forbidden\r\n"));
	assert_non_null(strstr(out, "X-Autonomy-Audit-Id: id-1\r\n"));
	assert_non_null(body = strstr(out, "\r\n\r\n"));
	body += 4;
	char want[64];
	snprintf(want, sizeof(want), "Content-Length: %zu\r\n", strlen(body));
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(body, "x is not allowed (audit id id-1)\n"));
	n = proxy_refusal(400, "bad", NULL, out, sizeof(out));
	assert_null(strstr(out, "Audit-Id"));
}

static void audit_json(void **state)
{
	static struct proxy_response resp;
	struct capture qb, rb;
	struct egress_audit a;
	const char *rh = "HTTP/1.1 200 OK\r\nSet-Cookie: sid=server-secret\r\n"
	                 "X-Ok: 1\r\n\r\n";
	char err[PROXY_ERR_MAX], *line;
	json_t *j, *v;
	json_error_t je;

	(void)state;
	accepted("POST http://a.com/p HTTP/1.1\r\nHost: a.com\r\n"
	         "Authorization: Bearer client-secret\r\nCookie: c=secret2\r\n"
	         "Proxy-Authorization: Basic c2VjcmV0\r\nX-Keep: visible\r\n"
	         "Content-Length: 10\r\n\r\n");
	assert_int_equal(
	    proxy_parse_response(rh, strlen(rh), &resp, err, sizeof(err)), 0);
	capture_init(&qb, 4);
	capture_add(&qb, "0123456789", 10);
	capture_init(&rb, 100);
	capture_add(&rb, "\xff\xfe", 2);
	memset(&a, 0, sizeof(a));
	a.audit_id = "id";
	a.decision = "allow";
	a.method = "POST";
	a.target = "http://a.com/p";
	a.host = "a.com";
	a.port = 80;
	a.req = &req;
	a.req_body = &qb;
	a.resp = &resp;
	a.resp_body = &rb;
	a.bytes_up = 123;
	line = egress_audit_json(&a);
	assert_non_null(line);
	assert_int_equal(line[strlen(line) - 1], '\n');
	assert_null(strchr(line, '\n') + 1 == line + strlen(line)
	                ? NULL
	                : "more than one line");
	assert_null(strstr(line, "secret"));
	assert_null(strstr(line, "c2VjcmV0"));
	assert_non_null(strstr(line, "visible"));
	j = json_loads(line, 0, &je);
	assert_non_null(j);
	v = json_object_get(json_object_get(j, "request"), "body");
	assert_string_equal(json_string_value(v), "0123");
	assert_true(json_is_true(
	    json_object_get(json_object_get(j, "request"), "body_truncated")));
	assert_int_equal(json_integer_value(json_object_get(
	                     json_object_get(j, "request"), "body_bytes")),
	                 10);
	v = json_object_get(json_object_get(j, "response"), "body_base64");
	assert_string_equal(json_string_value(v), "//4=");
	v = json_array_get(
	    json_object_get(json_object_get(j, "response"), "headers"), 0);
	assert_string_equal(json_string_value(json_array_get(v, 1)),
	                    EGRESS_REDACTED);
	assert_int_equal(json_integer_value(json_object_get(j, "bytes_up")),
	                 123);
	json_decref(j);
	free(line);
	capture_free(&qb);
	capture_free(&rb);
	/* max 0: headers only */
	capture_init(&qb, 0);
	capture_add(&qb, "abc", 3);
	assert_int_equal(qb.len, 0);
	assert_int_equal(qb.total, 3);
	capture_free(&qb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(head_len),
	    cmocka_unit_test(connect_requests),
	    cmocka_unit_test(http_requests),
	    cmocka_unit_test(too_many_headers),
	    cmocka_unit_test(upstream_head),
	    cmocka_unit_test(responses),
	    cmocka_unit_test(chunked),
	    cmocka_unit_test(decisions),
	    cmocka_unit_test(refusal_response),
	    cmocka_unit_test(audit_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
