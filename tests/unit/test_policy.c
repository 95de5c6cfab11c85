/* The policy seam over the Cedar engine (embedded policies, bundles'
 * policies and entities, the tool call -> Cedar request mapping), and the
 * parsers and tools policyd runs on an allowed call. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "params.h"
#include "policy.h"
#include "tools.h"

static void decide(const char *kind, struct policy_decision *d)
{
	struct policy_request req;
	json_t *params = json_object();

	assert_int_equal(
	    policy_request_for_tool(&req, kind, params, NULL, NULL), 0);
	assert_int_equal(policy_decide(policy_demo(), &req, d), 0);
	policy_request_clear(&req);
	json_decref(params);
}

static void test_demo_allows_echo_and_http_get(void **state)
{
	static const char *const kinds[] = {"tool.echo", "tool.http_get"};
	struct policy_decision d;
	(void)state;

	for (size_t i = 0; i < 2; i++) {
		decide(kinds[i], &d);
		assert_int_equal(d.effect, POLICY_ALLOW);
		assert_int_equal(d.n_policies, 1);
		assert_string_equal(d.policies[0], "demo-allow-tools");
		assert_string_equal(d.policy_ref, "demo@0.1.0");
		assert_int_equal(d.n_errors, 0);
		assert_string_equal(d.reason,
		                    "permitted by policy \"demo-allow-tools\"");
	}
}

static void test_demo_denies_everything_else(void **state)
{
	static const char *const kinds[] = {"tool.shell", "tool.echo2",
	                                    "tool.mavlink.arm", "tool",
	                                    "tool.http_get.x"};
	struct policy_decision d;
	char want[128];
	(void)state;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(*kinds); i++) {
		decide(kinds[i], &d);
		assert_int_equal(d.effect, POLICY_DENY);
		assert_int_equal(d.n_policies, 0);
		assert_string_equal(d.policy_ref, "demo@0.1.0");
		snprintf(want, sizeof(want),
		         "no policy permits Action::\"%s\" (default deny)",
		         kinds[i]);
		assert_string_equal(d.reason, want);
	}
}

static void test_malformed_request_denies(void **state)
{
	struct policy_decision d;
	json_t *action =
	    json_pack("{s:s,s:s}", "type", "Tool", "id", "tool.echo");
	json_t *obj = json_object();
	struct policy_request req = {obj, action, obj, obj, ""};
	(void)state;

	/* An action that is not an Action uid must not match "tool.echo". */
	assert_int_equal(policy_decide(policy_demo(), &req, &d), -1);
	assert_int_equal(d.effect, POLICY_DENY);
	assert_int_equal(d.n_policies, 0);
	assert_int_equal(d.n_errors, 1);
	json_decref(action);
	json_decref(obj);
}

/* One decision of set for kind with params (JSON text) and runtime. */
static int decide_in(const struct policy_set *set, const char *kind,
                     const char *params, const char *runtime,
                     struct policy_decision *d)
{
	struct policy_request req;
	json_t *p = json_loads(params, 0, NULL);
	json_t *rt = runtime ? json_loads(runtime, 0, NULL) : NULL;
	int rc;

	assert_non_null(p);
	assert_int_equal(policy_request_for_tool(&req, kind, p, "alice", rt),
	                 0);
	rc = policy_decide(set, &req, d);
	policy_request_clear(&req);
	json_decref(p);
	json_decref(rt);
	return rc;
}

static void test_request_mapping(void **state)
{
	struct policy_request req;
	json_t *p = json_loads("{\"a\":1,\"f\":2.5,\"n\":null,"
	                       "\"s\":[1,0.5,\"x\"],\"o\":{\"z\":null}}",
	                       0, NULL);
	json_t *rt = json_pack("{s:s}", "environment", "sitl");
	json_t *bad = json_pack("{s:{s:s}}", "runtime", "environment", "sitl");
	const json_t *c;
	char *text;
	(void)state;

	assert_int_equal(
	    policy_request_for_tool(&req, "tool.echo", p, "alice", rt), 0);
	text = json_dumps(req.principal, JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(text, "{\"id\":\"alice\",\"type\":\"Agent\"}");
	free(text);
	text = json_dumps(req.resource, JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(text, "{\"id\":\"tool.echo\",\"type\":\"Tool\"}");
	free(text);
	c = req.context;
	/* what Cedar cannot represent is left out, and named */
	text = json_dumps(c, JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(text, "{\"a\":1,\"o\":{},\"runtime\":{"
	                          "\"environment\":\"sitl\"},\"s\":[1,\"x\"]}");
	free(text);
	assert_string_equal(req.omitted, "f,n,s[1],o.z");
	policy_request_clear(&req);

	/* the agent cannot state the runtime's facts */
	assert_int_equal(
	    policy_request_for_tool(&req, "tool.echo", bad, "alice", NULL),
	    POLICY_REQ_RESERVED);
	json_decref(p);
	json_decref(rt);
	json_decref(bad);
}

static void test_mavlink_demo(void **state)
{
	const struct policy_set *m = policy_mavlink_demo();
	struct policy_decision d;
	(void)state;

	assert_string_equal(policy_set_ref(m), "mavlink-demo@0.1.0");
	decide_in(m, "tool.mavlink.status", "{}", "{\"environment\":\"real\"}",
	          &d);
	assert_int_equal(d.effect, POLICY_ALLOW);
	assert_string_equal(d.policies[0], "mavlink-telemetry");

	decide_in(m, "tool.mavlink.arm", "{}", "{\"environment\":\"sitl\"}",
	          &d);
	assert_int_equal(d.effect, POLICY_ALLOW);
	assert_string_equal(d.policies[0], "mavlink-sitl-flight");
	decide_in(m, "tool.mavlink.takeoff", "{\"alt_m\":10}",
	          "{\"environment\":\"sitl\"}", &d);
	assert_int_equal(d.effect, POLICY_ALLOW);

	/* not in simulation: no flying */
	decide_in(m, "tool.mavlink.arm", "{}", "{\"environment\":\"real\"}",
	          &d);
	assert_int_equal(d.effect, POLICY_DENY);
	assert_int_equal(d.n_policies, 0);
	/* no environment at all: the condition errors, still a deny */
	decide_in(m, "tool.mavlink.takeoff", "{}", NULL, &d);
	assert_int_equal(d.effect, POLICY_DENY);
	assert_int_equal(d.n_errors, 1);
	assert_non_null(strstr(d.errors[0], "mavlink-sitl-flight: "));

	decide_in(m, "tool.mavlink.land", "{}", "{\"environment\":\"real\"}",
	          &d);
	assert_int_equal(d.effect, POLICY_ALLOW);
	assert_string_equal(d.policies[0], "mavlink-recover");

	/* everything else is forbidden, not merely unpermitted */
	decide_in(m, "tool.echo", "{}", "{\"environment\":\"sitl\"}", &d);
	assert_int_equal(d.effect, POLICY_DENY);
	assert_string_equal(d.policies[0], "mavlink-forbid-other");
	assert_string_equal(d.reason,
	                    "forbidden by policy \"mavlink-forbid-other\"");
}

static void test_bundle_policies_and_entities(void **state)
{
	static const char ops[] =
	    "@id(\"ops-echo\")\n"
	    "permit (principal in Group::\"ops\", action == "
	    "Action::\"tool.echo\", resource)\n"
	    "when { context.n < 10 };\n";
	static const char deny[] = "forbid (principal, action, resource) when "
	                           "{ context has secret };\n";
	static const char ents[] =
	    "[{\"uid\":{\"type\":\"Agent\",\"id\":\"alice\"},\"attrs\":{},"
	    "\"parents\":[{\"type\":\"Group\",\"id\":\"ops\"}]},"
	    "{\"uid\":{\"type\":\"Group\",\"id\":\"ops\"},\"attrs\":{},"
	    "\"parents\":[]}]";
	struct policy_source src[] = {
	    {"policies/ops.cedar", ops, strlen(ops)},
	    {"policies/deny.cedar", deny, strlen(deny)}};
	struct policy_decision d;
	struct policy_set *set;
	char err[512];
	(void)state;

	set = policy_set_load("ops@1.2.0", src, 2, ents, strlen(ents), err,
	                      sizeof(err));
	assert_non_null(set);
	assert_int_equal(policy_set_count(set), 2);
	decide_in(set, "tool.echo", "{\"n\":3}", NULL, &d);
	assert_int_equal(d.effect, POLICY_ALLOW);
	assert_string_equal(d.policies[0], "ops-echo");
	assert_string_equal(d.policy_ref, "ops@1.2.0");
	decide_in(set, "tool.echo", "{\"n\":30}", NULL, &d);
	assert_int_equal(d.effect, POLICY_DENY);
	/* the second file's policy is policy1 (no @id) */
	decide_in(set, "tool.echo", "{\"n\":3,\"secret\":true}", NULL, &d);
	assert_int_equal(d.effect, POLICY_DENY);
	assert_string_equal(d.policies[0], "policy1");
	/* n missing: ops-echo errors (and is reported), default deny */
	decide_in(set, "tool.echo", "{}", NULL, &d);
	assert_int_equal(d.effect, POLICY_DENY);
	assert_int_equal(d.n_errors, 1);
	assert_non_null(strstr(d.errors[0], "ops-echo: "));
	policy_set_free(set);

	/* a syntax error names the file, line and column */
	src[1].text = "permit (principal, action, resource)\nwhen { 1 + };";
	src[1].len = strlen(src[1].text);
	assert_null(policy_set_load("x@1", src, 2, NULL, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "policies/deny.cedar:2:"));
	/* bad entities are named too */
	assert_null(policy_set_load("x@1", src, 1, "[{]", 3, err, sizeof(err)));
	assert_non_null(strstr(err, "entities.json"));
}

static void test_kind_syntax(void **state)
{
	(void)state;
	assert_true(params_kind_valid("tool.echo"));
	assert_true(params_kind_valid("tool.mavlink.arm_2"));
	assert_true(params_kind_valid("a.b"));
	assert_false(params_kind_valid("tool"));
	assert_false(params_kind_valid("Tool.echo"));
	assert_false(params_kind_valid("tool..echo"));
	assert_false(params_kind_valid("tool.echo."));
	assert_false(params_kind_valid(".tool.echo"));
	assert_false(params_kind_valid("1tool.echo"));
	assert_false(params_kind_valid("tool.Echo"));
	assert_false(params_kind_valid("tool.echo-x"));
	assert_false(params_kind_valid("tool.echo\n"));
	assert_false(params_kind_valid(""));
}

/* {"k":[[...]]} nested depth levels deep; returns its length. */
static int nested(char *buf, int depth)
{
	int n = 0;

	n += sprintf(buf, "{\"k\":");
	for (int i = 1; i < depth; i++)
		buf[n++] = '[';
	for (int i = 1; i < depth; i++)
		buf[n++] = ']';
	buf[n++] = '}';
	buf[n] = '\0';
	return n;
}

static void test_params_parse_bounds(void **state)
{
	char err[256], deep[300];
	json_t *v;
	int n = 0;
	(void)state;

	v = params_parse("{\"a\":[1,{\"b\":\"}]]\"}]}",
	                 strlen("{\"a\":[1,{\"b\":\"}]]\"}]}"), err,
	                 sizeof(err));
	assert_non_null(v);
	assert_int_equal(params_depth(v), 3);
	json_decref(v);

	assert_null(params_parse("{\"a\":1,\"a\":2}",
	                         strlen("{\"a\":1,\"a\":2}"), err,
	                         sizeof(err)));
	assert_null(params_parse("[1]", strlen("[1]"), err, sizeof(err)));
	assert_string_equal(err, "params are not a JSON object");
	assert_null(params_parse("{} x", strlen("{} x"), err, sizeof(err)));
	assert_null(params_parse("{\"a\":\"\\u0000\"}",
	                         strlen("{\"a\":\"\\u0000\"}"), err,
	                         sizeof(err)));

	/* 64 levels parse, 65 do not. */
	n = nested(deep, 64);
	v = params_parse(deep, n, err, sizeof(err));
	assert_non_null(v);
	assert_int_equal(params_depth(v), 64);
	json_decref(v);
	n = nested(deep, 65);
	assert_null(params_parse(deep, n, err, sizeof(err)));
	assert_string_equal(err, "params nest deeper than 64 levels");
}

static void test_echo_returns_params(void **state)
{
	struct tool_result r;
	json_t *p = json_pack("{s:s,s:[i,i]}", "msg", "hi", "n", 1, 2);
	(void)state;

	tool_run("tool.echo", p, &r);
	assert_int_equal(r.status, TOOL_OK);
	assert_string_equal(r.output_json, "{\"msg\":\"hi\",\"n\":[1,2]}");
	tool_result_clear(&r);
	json_decref(p);
}

static void test_echo_limits(void **state)
{
	struct tool_result r;
	json_t *p, *inner;
	char *big = malloc(TOOL_ECHO_MAX_BYTES + 1);
	(void)state;

	/* {"s":"aaa..."} of exactly 65536 bytes passes, one more fails. */
	memset(big, 'a', TOOL_ECHO_MAX_BYTES);
	big[TOOL_ECHO_MAX_BYTES - 8] = '\0';
	p = json_pack("{s:s}", "s", big);
	tool_run("tool.echo", p, &r);
	assert_int_equal(r.status, TOOL_OK);
	assert_int_equal(strlen(r.output_json), TOOL_ECHO_MAX_BYTES);
	tool_result_clear(&r);
	json_decref(p);
	big[TOOL_ECHO_MAX_BYTES - 8] = 'a';
	big[TOOL_ECHO_MAX_BYTES - 7] = '\0';
	p = json_pack("{s:s}", "s", big);
	tool_run("tool.echo", p, &r);
	assert_int_equal(r.status, TOOL_BAD_PARAMS);
	assert_null(r.output_json);
	assert_non_null(strstr(r.reason, "65536"));
	tool_result_clear(&r);
	json_decref(p);
	free(big);

	/* 16 levels pass, 17 do not. */
	p = json_object();
	inner = p;
	for (int i = 1; i < 16; i++) {
		json_t *next = json_object();
		json_object_set_new(inner, "k", next);
		inner = next;
	}
	tool_run("tool.echo", p, &r);
	assert_int_equal(r.status, TOOL_OK);
	tool_result_clear(&r);
	json_object_set_new(inner, "k", json_array());
	tool_run("tool.echo", p, &r);
	assert_int_equal(r.status, TOOL_BAD_PARAMS);
	assert_non_null(strstr(r.reason, "16"));
	tool_result_clear(&r);
	json_decref(p);
}

static void test_runtime_denies(void **state)
{
	struct tool_result r;
	json_t *p = json_object();
	(void)state;

	tool_run("tool.http_get", p, &r);
	assert_int_equal(r.status, TOOL_RUNTIME_DENY);
	assert_string_equal(r.reason, "tool.http_get runs in the fetcher");
	tool_result_clear(&r);
	tool_run("tool.mavlink.arm", p, &r);
	assert_int_equal(r.status, TOOL_RUNTIME_DENY);
	/* without a link (with one, mavproxy runs these) */
	assert_true(strncmp(r.reason, "mavlink not configured", 22) == 0);
	tool_result_clear(&r);
	tool_run("tool.nothing", p, &r);
	assert_int_equal(r.status, TOOL_RUNTIME_DENY);
	assert_string_equal(r.reason, "no runtime for tool.nothing");
	tool_result_clear(&r);
	json_decref(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_demo_allows_echo_and_http_get),
	    cmocka_unit_test(test_demo_denies_everything_else),
	    cmocka_unit_test(test_malformed_request_denies),
	    cmocka_unit_test(test_request_mapping),
	    cmocka_unit_test(test_mavlink_demo),
	    cmocka_unit_test(test_bundle_policies_and_entities),
	    cmocka_unit_test(test_kind_syntax),
	    cmocka_unit_test(test_params_parse_bounds),
	    cmocka_unit_test(test_echo_returns_params),
	    cmocka_unit_test(test_echo_limits),
	    cmocka_unit_test(test_runtime_denies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
