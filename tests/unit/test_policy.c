/* The demo rule through the policy_decide() seam, and the parsers and
 * tools policyd runs on an allowed call. */
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

	assert_int_equal(policy_request_for_tool(&req, kind, params), 0);
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
		         "no policy permits \"%s\" (default deny)", kinds[i]);
		assert_string_equal(d.reason, want);
	}
}

static void test_malformed_request_denies(void **state)
{
	struct policy_decision d;
	json_t *action =
	    json_pack("{s:s,s:s}", "type", "Tool", "id", "tool.echo");
	json_t *obj = json_object();
	struct policy_request req = {obj, action, obj, obj};
	(void)state;

	/* An action that is not an Action uid must not match "tool.echo". */
	assert_int_equal(policy_decide(policy_demo(), &req, &d), -1);
	assert_int_equal(d.effect, POLICY_DENY);
	assert_int_equal(d.n_policies, 0);
	assert_int_equal(d.n_errors, 1);
	json_decref(action);
	json_decref(obj);
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
	assert_string_equal(r.reason, "not implemented yet");
	tool_result_clear(&r);
	tool_run("tool.mavlink.arm", p, &r);
	assert_int_equal(r.status, TOOL_RUNTIME_DENY);
	assert_string_equal(r.reason, "no runtime for tool.mavlink.arm");
	tool_result_clear(&r);
	json_decref(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_demo_allows_echo_and_http_get),
	    cmocka_unit_test(test_demo_denies_everything_else),
	    cmocka_unit_test(test_malformed_request_denies),
	    cmocka_unit_test(test_kind_syntax),
	    cmocka_unit_test(test_params_parse_bounds),
	    cmocka_unit_test(test_echo_returns_params),
	    cmocka_unit_test(test_echo_limits),
	    cmocka_unit_test(test_runtime_denies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
