/* toolsrv/request.c: the /v1/tool contract without sockets. Each test
 * drives one bullet of the contract (docs/processes.md, toolsrv brief)
 * through the same functions http.c uses, with a fake policyd. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "request.h"

static const struct tool_token token = {"s3cret-token", 12};
#define AUTH "Bearer s3cret-token"

/* ---- a fake policyd ---------------------------------------------------
 * It answers with whatever `canned` says, through a real pack/unpack so
 * the reply is exactly what ipc_call would hand us. */
struct fake {
	int mode; /* 0 ToolResponse, 1 Error envelope, 2 unreachable */
	Autonomy__ToolResponse resp;
	int calls;
	char kind[256];
	char params[4096];
};

static Envelope *fake_call(void *arg, const char *kind, const char *params_json,
                           char *err, size_t errlen)
{
	struct fake *f = arg;
	Envelope env = AUTONOMY__ENVELOPE__INIT;
	Autonomy__Error e = AUTONOMY__ERROR__INIT;
	uint8_t *buf;
	size_t len;
	Envelope *out;

	f->calls++;
	snprintf(f->kind, sizeof(f->kind), "%s", kind);
	snprintf(f->params, sizeof(f->params), "%s", params_json);
	if (f->mode == 2) {
		snprintf(err, errlen, "receive: Timed out");
		return NULL;
	}
	if (f->mode == 1) {
		e.message = "walwriter did not acknowledge";
		env.body_case = AUTONOMY__ENVELOPE__BODY_ERROR;
		env.error = &e;
	} else {
		env.body_case = AUTONOMY__ENVELOPE__BODY_TOOL_RESPONSE;
		env.tool_response = &f->resp;
	}
	assert_int_equal(envelope_pack(&env, &buf, &len), 0);
	out = envelope_unpack(buf, len, err, errlen);
	free(buf);
	return out;
}

static char *deny_policies[] = {"demo-forbid", "default-deny"};

static void fake_init(struct fake *f, Autonomy__Outcome o)
{
	Autonomy__ToolResponse r = AUTONOMY__TOOL_RESPONSE__INIT;

	memset(f, 0, sizeof(*f));
	r.outcome = o;
	r.audit_id = "0b7a5d2e-4c1f-4f7e-9a39-2f1d1c0e9b11";
	r.kind = "tool.echo";
	r.policy_ref = "demo@0.1.0";
	switch (o) {
	case AUTONOMY__OUTCOME__OUTCOME_ALLOW:
		r.output_json = "{\"msg\":\"hi\",\"n\":[1,2]}";
		break;
	case AUTONOMY__OUTCOME__OUTCOME_DENY:
		r.layer = "policy";
		r.reason = "forbidden by demo-forbid";
		r.n_policies = 2;
		r.policies = deny_policies;
		break;
	case AUTONOMY__OUTCOME__OUTCOME_BAD_PARAMS:
		r.error = "params.url: missing";
		break;
	default:
		r.audit_id = "";
		r.error = "walwriter gone";
		break;
	}
	f->resp = r;
}

static void handle(struct fake *f, const char *method, const char *url,
                   const char *authz, const char *body, struct http_reply *out)
{
	struct tool_backend be = {fake_call, f};

	memset(out, 0, sizeof(*out));
	request_handle(method, url, authz, body, body ? strlen(body) : 0,
	               &token, &be, out);
	assert_non_null(out->body);
}

static json_t *body_json(const struct http_reply *r)
{
	json_t *j = json_loads(r->body, 0, NULL);
	assert_non_null(j);
	assert_true(json_is_object(j));
	return j;
}

static const char *jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	assert_non_null(v);
	assert_true(json_is_string(v));
	return json_string_value(v);
}

/* An error reply: {"error": "..."} only, no decision, no audit id; the
 * message contains `needle`. */
static void assert_error_reply(const struct http_reply *r, unsigned status,
                               const char *needle)
{
	json_t *j;

	assert_int_equal(r->status, status);
	assert_string_equal(r->audit_id, "");
	j = body_json(r);
	assert_int_equal(json_object_size(j), 1);
	if (strstr(jstr(j, "error"), needle) == NULL)
		fail_msg("error \"%s\" does not mention \"%s\"",
		         jstr(j, "error"), needle);
	json_decref(j);
}

/* ---- kind, depth, token ---------------------------------------------- */

static void test_kind_pattern(void **state)
{
	char long_kind[REQUEST_MAX_KIND + 2];

	(void)state;
	assert_true(request_kind_valid("tool.echo"));
	assert_true(request_kind_valid("tool.mavlink.arm"));
	assert_true(request_kind_valid("a1_b.c_2.3"));
	assert_false(request_kind_valid(""));
	assert_false(request_kind_valid("tool"));
	assert_false(request_kind_valid("Tool.echo"));
	assert_false(request_kind_valid("1tool.echo"));
	assert_false(request_kind_valid("_tool.echo"));
	assert_false(request_kind_valid("tool."));
	assert_false(request_kind_valid(".tool"));
	assert_false(request_kind_valid("tool..echo"));
	assert_false(request_kind_valid("tool.ec-ho"));
	assert_false(request_kind_valid("tool.echo "));
	assert_false(request_kind_valid("tool.échо"));
	memset(long_kind, 'a', sizeof(long_kind));
	long_kind[1] = '.';
	long_kind[REQUEST_MAX_KIND] = '\0';
	assert_true(request_kind_valid(long_kind));
	long_kind[REQUEST_MAX_KIND] = 'a';
	long_kind[REQUEST_MAX_KIND + 1] = '\0';
	assert_false(request_kind_valid(long_kind));
}

static char *nested(int depth)
{
	/* {"kind":"tool.echo","params":{"a":[[...]]}} with `depth` levels
	 * in total, counting the outer object and params. */
	size_t n = (size_t)depth * 2 + 64;
	char *s = malloc(n), *p = s;
	int inner = depth - 2;

	p += sprintf(p, "{\"kind\":\"tool.echo\",\"params\":{\"a\":");
	for (int i = 0; i < inner; i++)
		*p++ = '[';
	for (int i = 0; i < inner; i++)
		*p++ = ']';
	strcpy(p, "}}");
	return s;
}

static void test_depth(void **state)
{
	char *ok = nested(REQUEST_MAX_DEPTH), *deep = nested(65);

	(void)state;
	assert_true(request_depth_ok(ok, strlen(ok), REQUEST_MAX_DEPTH));
	assert_false(request_depth_ok(deep, strlen(deep), REQUEST_MAX_DEPTH));
	/* brackets inside strings do not count */
	assert_true(request_depth_ok("{\"a\":\"[[[[\\\"[[[\"}", 16, 1));
	free(ok);
	free(deep);
}

static void test_token(void **state)
{
	(void)state;
	assert_true(request_token_ok(AUTH, &token));
	assert_true(request_token_ok("bearer s3cret-token", &token));
	assert_false(request_token_ok(NULL, &token));
	assert_false(request_token_ok("", &token));
	assert_false(request_token_ok("Bearer ", &token));
	assert_false(request_token_ok("Bearer s3cret-tokeN", &token));
	assert_false(request_token_ok("Bearer s3cret-toke", &token));
	assert_false(request_token_ok("Bearer s3cret-token2", &token));
	assert_false(request_token_ok("Basic s3cret-token", &token));
	assert_false(request_token_ok("Bearers3cret-token", &token));
	assert_false(request_token_ok("s3cret-token", &token));
}

/* ---- body parser -------------------------------------------------------- */

static void parse_ok(const char *body, const char *kind, const char *params)
{
	char err[256], *k, *p;

	assert_int_equal(
	    request_parse_body(body, strlen(body), &k, &p, err, sizeof(err)),
	    0);
	assert_string_equal(k, kind);
	assert_string_equal(p, params);
	free(k);
	free(p);
}

static void parse_fails(const char *body, size_t len, int status,
                        const char *needle)
{
	char err[256], *k, *p;

	assert_int_equal(
	    request_parse_body(body, len, &k, &p, err, sizeof(err)), status);
	assert_null(k);
	assert_null(p);
	if (strstr(err, needle) == NULL)
		fail_msg("\"%s\" does not mention \"%s\"", err, needle);
}
#define PARSE_FAILS(body, needle) parse_fails(body, strlen(body), 400, needle)

static void test_parse_valid(void **state)
{
	(void)state;
	parse_ok("{\"kind\":\"tool.echo\",\"params\":{\"msg\":\"hi\"}}",
	         "tool.echo", "{\"msg\":\"hi\"}");
	parse_ok(" {\"params\": {\"b\": 1, \"a\": [true, null]},"
	         " \"kind\": \"tool.http_get\"} ",
	         "tool.http_get", "{\"b\":1,\"a\":[true,null]}");
	/* params is optional */
	parse_ok("{\"kind\":\"tool.echo\"}", "tool.echo", "{}");
	/* numbers and unicode survive the round trip */
	parse_ok("{\"kind\":\"tool.echo\",\"params\":{\"x\":-1.5,"
	         "\"u\":\"\\u00e9\"}}",
	         "tool.echo", "{\"x\":-1.5,\"u\":\"\xc3\xa9\"}");
}

static void test_parse_depth_bound(void **state)
{
	char *ok = nested(REQUEST_MAX_DEPTH), *deep = nested(65);
	char err[256], *k, *p;

	(void)state;
	assert_int_equal(
	    request_parse_body(ok, strlen(ok), &k, &p, err, sizeof(err)), 0);
	free(k);
	free(p);
	parse_fails(deep, strlen(deep), 400, "deeper than 64");
	free(ok);
	free(deep);
}

static void test_parse_malformed(void **state)
{
	(void)state;
	parse_fails("", 0, 400, "empty body");
	PARSE_FAILS("{", "invalid JSON");
	PARSE_FAILS("{\"kind\":\"tool.echo\",}", "invalid JSON");
	PARSE_FAILS("{\"kind\":\"tool.echo\"} x", "invalid JSON");
	PARSE_FAILS("{\"kind\":\"tool.\\u0000echo\"}", "invalid JSON");
	PARSE_FAILS("\xff\xfe", "invalid JSON");
	PARSE_FAILS("[\"tool.echo\"]", "must be a JSON object");
	PARSE_FAILS("\"tool.echo\"", "invalid JSON");
	/* NUL inside the body is not JSON */
	parse_fails("{\"kind\":\"tool.echo\"}\0", 21, 400, "invalid JSON");
}

static void test_parse_types_and_fields(void **state)
{
	(void)state;
	PARSE_FAILS("{}", "missing field \"kind\"");
	PARSE_FAILS("{\"params\":{}}", "missing field \"kind\"");
	PARSE_FAILS("{\"kind\":7}", "\"kind\" must be a string");
	PARSE_FAILS("{\"kind\":null}", "\"kind\" must be a string");
	PARSE_FAILS("{\"kind\":\"tool.echo\",\"params\":[]}",
	            "\"params\" must be a JSON object");
	PARSE_FAILS("{\"kind\":\"tool.echo\",\"params\":\"x\"}",
	            "\"params\" must be a JSON object");
	PARSE_FAILS("{\"kind\":\"tool.echo\",\"params\":null}",
	            "\"params\" must be a JSON object");
	/* context.runtime is the runtime's to state, never the agent's */
	PARSE_FAILS("{\"kind\":\"tool.mavlink.arm\",\"params\":{\"runtime\":"
	            "{\"environment\":\"sitl\"}}}",
	            "params.runtime is reserved");
	PARSE_FAILS("{\"kind\":\"tool.echo\",\"params\":{\"runtime\":null}}",
	            "params.runtime is reserved");
	PARSE_FAILS("{\"kind\":\"tool.echo\",\"tool\":\"x\"}",
	            "unknown field \"tool\"");
	PARSE_FAILS("{\"kind\":\"tool.echo\",\"\\n\":1}", "unknown field");
	PARSE_FAILS("{\"kind\":\"tool.echo\",\"kind\":\"tool.exec\"}",
	            "duplicate");
	/* duplicates nested in params too */
	PARSE_FAILS("{\"kind\":\"tool.echo\",\"params\":{\"a\":1,\"a\":2}}",
	            "duplicate");
}

static void test_parse_kind(void **state)
{
	char body[512];
	char k128[REQUEST_MAX_KIND + 1], k129[REQUEST_MAX_KIND + 2];

	(void)state;
	PARSE_FAILS("{\"kind\":\"echo\"}", "must match");
	PARSE_FAILS("{\"kind\":\"Tool.Echo\"}", "must match");
	PARSE_FAILS("{\"kind\":\"tool..echo\"}", "must match");
	PARSE_FAILS("{\"kind\":\"\"}", "must match");
	memset(k128, 'a', sizeof(k128));
	k128[1] = '.';
	k128[REQUEST_MAX_KIND] = '\0';
	memcpy(k129, k128, REQUEST_MAX_KIND);
	k129[REQUEST_MAX_KIND] = 'a';
	k129[REQUEST_MAX_KIND + 1] = '\0';
	snprintf(body, sizeof(body), "{\"kind\":\"%s\"}", k128);
	parse_ok(body, k128, "{}");
	snprintf(body, sizeof(body), "{\"kind\":\"%s\"}", k129);
	PARSE_FAILS(body, "longer than 128");
}

static void test_parse_too_large(void **state)
{
	size_t n = REQUEST_MAX_BODY + 1;
	char *big = malloc(n);

	(void)state;
	memset(big, ' ', n);
	parse_fails(big, n, 413, "exceeds");
	free(big);
}

/* ---- rendering a ToolResponse ----------------------------------------- */

static void test_render_allow(void **state)
{
	struct fake f;
	struct http_reply r;
	json_t *j, *out;

	(void)state;
	fake_init(&f, AUTONOMY__OUTCOME__OUTCOME_ALLOW);
	handle(&f, "POST", "/v1/tool", AUTH,
	       "{\"kind\":\"tool.echo\",\"params\":{\"msg\":\"hi\"}}", &r);
	assert_int_equal(f.calls, 1);
	assert_string_equal(f.kind, "tool.echo");
	assert_string_equal(f.params, "{\"msg\":\"hi\"}");
	assert_int_equal(r.status, 200);
	assert_string_equal(r.audit_id, f.resp.audit_id);
	j = body_json(&r);
	assert_string_equal(jstr(j, "decision"), "allow");
	assert_string_equal(jstr(j, "audit_id"), f.resp.audit_id);
	assert_string_equal(jstr(j, "kind"), "tool.echo");
	assert_string_equal(jstr(j, "policy_ref"), "demo@0.1.0");
	out = json_object_get(j, "output");
	assert_true(json_is_object(out)); /* parsed back, not a string */
	assert_string_equal(jstr(out, "msg"), "hi");
	assert_int_equal(json_array_size(json_object_get(out, "n")), 2);
	assert_int_equal(json_object_size(j), 5);
	json_decref(j);
	http_reply_free(&r);
}

static void test_render_deny(void **state)
{
	struct fake f;
	struct http_reply r;
	json_t *j, *p;

	(void)state;
	fake_init(&f, AUTONOMY__OUTCOME__OUTCOME_DENY);
	handle(&f, "POST", "/v1/tool", AUTH, "{\"kind\":\"tool.echo\"}", &r);
	assert_int_equal(r.status, 403);
	assert_string_equal(r.audit_id, f.resp.audit_id);
	j = body_json(&r);
	assert_string_equal(jstr(j, "decision"), "deny");
	assert_string_equal(jstr(j, "audit_id"), f.resp.audit_id);
	assert_string_equal(jstr(j, "kind"), "tool.echo");
	assert_string_equal(jstr(j, "layer"), "policy");
	assert_string_equal(jstr(j, "reason"), "forbidden by demo-forbid");
	assert_string_equal(jstr(j, "policy_ref"), "demo@0.1.0");
	p = json_object_get(j, "policies");
	assert_int_equal(json_array_size(p), 2);
	assert_string_equal(json_string_value(json_array_get(p, 0)),
	                    "demo-forbid");
	assert_null(json_object_get(j, "output"));
	assert_null(json_object_get(j, "errors")); /* none: none shown */
	json_decref(j);
	http_reply_free(&r);

	/* a policy that errored is named in the 403 */
	{
		static char *errs[] = {"guard: attribute `x` not found"};
		fake_init(&f, AUTONOMY__OUTCOME__OUTCOME_DENY);
		f.resp.n_errors = 1;
		f.resp.errors = errs;
		handle(&f, "POST", "/v1/tool", AUTH, "{\"kind\":\"tool.echo\"}",
		       &r);
		assert_int_equal(r.status, 403);
		j = body_json(&r);
		p = json_object_get(j, "errors");
		assert_int_equal(json_array_size(p), 1);
		assert_string_equal(json_string_value(json_array_get(p, 0)),
		                    errs[0]);
		json_decref(j);
		http_reply_free(&r);
	}

	/* runtime layer too */
	fake_init(&f, AUTONOMY__OUTCOME__OUTCOME_DENY);
	f.resp.layer = "runtime";
	f.resp.n_policies = 0;
	handle(&f, "POST", "/v1/tool", AUTH, "{\"kind\":\"tool.echo\"}", &r);
	assert_int_equal(r.status, 403);
	j = body_json(&r);
	assert_string_equal(jstr(j, "layer"), "runtime");
	assert_true(json_is_array(json_object_get(j, "policies")));
	json_decref(j);
	http_reply_free(&r);
}

static void test_render_bad_params(void **state)
{
	struct fake f;
	struct http_reply r;
	json_t *j;

	(void)state;
	fake_init(&f, AUTONOMY__OUTCOME__OUTCOME_BAD_PARAMS);
	handle(&f, "POST", "/v1/tool", AUTH, "{\"kind\":\"tool.echo\"}", &r);
	assert_int_equal(r.status, 400);
	assert_string_equal(r.audit_id, f.resp.audit_id);
	j = body_json(&r);
	assert_string_equal(jstr(j, "decision"), "allow");
	assert_string_equal(jstr(j, "audit_id"), f.resp.audit_id);
	assert_string_equal(jstr(j, "kind"), "tool.echo");
	assert_string_equal(jstr(j, "policy_ref"), "demo@0.1.0");
	assert_string_equal(jstr(j, "error"), "params.url: missing");
	json_decref(j);
	http_reply_free(&r);
}

static void test_render_unavailable(void **state)
{
	struct fake f;
	struct http_reply r;

	(void)state;
	fake_init(&f, AUTONOMY__OUTCOME__OUTCOME_UNAVAILABLE);
	handle(&f, "POST", "/v1/tool", AUTH, "{\"kind\":\"tool.echo\"}", &r);
	assert_error_reply(&r, 503, "walwriter gone");
	http_reply_free(&r);

	fake_init(&f, AUTONOMY__OUTCOME__OUTCOME_ALLOW);
	f.mode = 1; /* Error envelope */
	handle(&f, "POST", "/v1/tool", AUTH, "{\"kind\":\"tool.echo\"}", &r);
	assert_error_reply(&r, 503, "did not acknowledge");
	http_reply_free(&r);

	f.mode = 2; /* unreachable / timeout */
	handle(&f, "POST", "/v1/tool", AUTH, "{\"kind\":\"tool.echo\"}", &r);
	assert_error_reply(&r, 503, "Timed out");
	http_reply_free(&r);
}

/* Replies that are not a clean decision for this call are never 200. */
static void test_render_fails_closed(void **state)
{
	struct fake f;
	struct http_reply r;

	(void)state;
	fake_init(&f, AUTONOMY__OUTCOME__OUTCOME_ALLOW);
	f.resp.output_json = "{not json";
	handle(&f, "POST", "/v1/tool", AUTH, "{\"kind\":\"tool.echo\"}", &r);
	assert_int_equal(r.status, 503);
	/* the decision exists in the WAL: its id is still given */
	assert_string_equal(r.audit_id, f.resp.audit_id);
	http_reply_free(&r);

	fake_init(&f, AUTONOMY__OUTCOME__OUTCOME_ALLOW);
	f.resp.kind = "tool.http_get";
	handle(&f, "POST", "/v1/tool", AUTH, "{\"kind\":\"tool.echo\"}", &r);
	assert_error_reply(&r, 503, "different kind");
	http_reply_free(&r);

	fake_init(&f, AUTONOMY__OUTCOME__OUTCOME_ALLOW);
	f.resp.audit_id = "bad id\r\nX-Evil: 1";
	handle(&f, "POST", "/v1/tool", AUTH, "{\"kind\":\"tool.echo\"}", &r);
	assert_error_reply(&r, 503, "audit id");
	http_reply_free(&r);

	fake_init(&f, AUTONOMY__OUTCOME__OUTCOME_DENY);
	f.resp.layer = "";
	handle(&f, "POST", "/v1/tool", AUTH, "{\"kind\":\"tool.echo\"}", &r);
	assert_int_equal(r.status, 503);
	http_reply_free(&r);

	fake_init(&f, AUTONOMY__OUTCOME__OUTCOME_ALLOW);
	f.resp.reason = "\xff\xfe not utf-8";
	f.resp.outcome = AUTONOMY__OUTCOME__OUTCOME_DENY;
	f.resp.layer = "policy";
	handle(&f, "POST", "/v1/tool", AUTH, "{\"kind\":\"tool.echo\"}", &r);
	assert_int_equal(r.status, 503);
	http_reply_free(&r);

	/* a stray envelope type */
	{
		Envelope e = AUTONOMY__ENVELOPE__INIT;
		Autonomy__Ack ack = AUTONOMY__ACK__INIT;
		e.body_case = AUTONOMY__ENVELOPE__BODY_ACK;
		e.ack = &ack;
		memset(&r, 0, sizeof(r));
		request_render(&e, NULL, "tool.echo", &r);
		assert_error_reply(&r, 503, "unexpected");
		http_reply_free(&r);
	}
}

/* ---- routing, auth, sizes --------------------------------------------- */

static void test_routing(void **state)
{
	struct fake f;
	struct http_reply r;

	(void)state;
	fake_init(&f, AUTONOMY__OUTCOME__OUTCOME_ALLOW);
	handle(&f, "POST", "/v1/tools", AUTH, "{\"kind\":\"tool.echo\"}", &r);
	assert_error_reply(&r, 404, "not found");
	http_reply_free(&r);
	handle(&f, "GET", "/", NULL, NULL, &r);
	assert_error_reply(&r, 404, "not found");
	http_reply_free(&r);

	handle(&f, "GET", "/v1/tool", AUTH, NULL, &r);
	assert_error_reply(&r, 405, "method");
	assert_string_equal(r.allow, "POST");
	http_reply_free(&r);
	handle(&f, "PUT", "/v1/tool", AUTH, "{\"kind\":\"tool.echo\"}", &r);
	assert_int_equal(r.status, 405);
	assert_string_equal(r.allow, "POST");
	http_reply_free(&r);

	/* health: no token needed */
	handle(&f, "GET", "/v1/health", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "{\"status\":\"ok\"}");
	assert_string_equal(r.audit_id, "");
	http_reply_free(&r);
	handle(&f, "POST", "/v1/health", NULL, NULL, &r);
	assert_int_equal(r.status, 405);
	assert_string_equal(r.allow, "GET");
	http_reply_free(&r);
	assert_int_equal(f.calls, 0);
}

static void test_auth(void **state)
{
	struct fake f;
	struct http_reply r;
	const char *bad[] = {NULL,
	                     "",
	                     "Bearer wrong",
	                     "Bearer s3cret-token ",
	                     "Basic czNjcmV0LXRva2Vu",
	                     "Bearer S3CRET-TOKEN"};

	(void)state;
	fake_init(&f, AUTONOMY__OUTCOME__OUTCOME_ALLOW);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		handle(&f, "POST", "/v1/tool", bad[i],
		       "{\"kind\":\"tool.echo\"}", &r);
		assert_error_reply(&r, 401, "token");
		assert_true(r.www_authenticate);
		http_reply_free(&r);
	}
	assert_int_equal(f.calls, 0);
}

static void test_bad_body_never_reaches_policyd(void **state)
{
	struct fake f;
	struct http_reply r;

	(void)state;
	fake_init(&f, AUTONOMY__OUTCOME__OUTCOME_ALLOW);
	handle(&f, "POST", "/v1/tool", AUTH, "{\"kind\":\"tool.echo\"", &r);
	assert_error_reply(&r, 400, "invalid JSON");
	http_reply_free(&r);
	handle(&f, "POST", "/v1/tool", AUTH, "{\"kind\":\"x\"}", &r);
	assert_error_reply(&r, 400, "must match");
	http_reply_free(&r);
	handle(&f, "POST", "/v1/tool", AUTH,
	       "{\"kind\":\"tool.echo\",\"extra\":1}", &r);
	assert_error_reply(&r, 400, "unknown field \"extra\"");
	http_reply_free(&r);
	assert_int_equal(f.calls, 0);
}

static void test_preflight_size(void **state)
{
	struct http_reply r;

	(void)state;
	memset(&r, 0, sizeof(r));
	/* declared too large: refused from the headers alone */
	assert_int_equal(request_preflight("POST", "/v1/tool", AUTH,
	                                   REQUEST_MAX_BODY + 1LL, &token, &r),
	                 0);
	assert_error_reply(&r, 413, "exceeds");
	http_reply_free(&r);
	/* at the limit, unknown (chunked) or small: read the body */
	assert_int_equal(request_preflight("POST", "/v1/tool", AUTH,
	                                   REQUEST_MAX_BODY, &token, &r),
	                 1);
	assert_int_equal(
	    request_preflight("POST", "/v1/tool", AUTH, -1, &token, &r), 1);
	/* auth is checked before size */
	assert_int_equal(request_preflight("POST", "/v1/tool", NULL,
	                                   REQUEST_MAX_BODY + 1LL, &token, &r),
	                 0);
	assert_int_equal(r.status, 401);
	http_reply_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kind_pattern),
	    cmocka_unit_test(test_depth),
	    cmocka_unit_test(test_token),
	    cmocka_unit_test(test_parse_valid),
	    cmocka_unit_test(test_parse_depth_bound),
	    cmocka_unit_test(test_parse_malformed),
	    cmocka_unit_test(test_parse_types_and_fields),
	    cmocka_unit_test(test_parse_kind),
	    cmocka_unit_test(test_parse_too_large),
	    cmocka_unit_test(test_render_allow),
	    cmocka_unit_test(test_render_deny),
	    cmocka_unit_test(test_render_bad_params),
	    cmocka_unit_test(test_render_unavailable),
	    cmocka_unit_test(test_render_fails_closed),
	    cmocka_unit_test(test_routing),
	    cmocka_unit_test(test_auth),
	    cmocka_unit_test(test_bad_body_never_reaches_policyd),
	    cmocka_unit_test(test_preflight_size),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
