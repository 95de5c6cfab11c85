/* Authorization, entities, templates and links, requests and bounds:
 * default deny, forbid wins, errors reported by policy id, the entity
 * JSON the reference accepts and refuses, `in` through the hierarchy.
 * Expected outcomes were checked against cedar-wasm 4.5.0. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_cedar_util.h"

#define ANY "permit(principal, action, resource);"

static void answer(const char *policies, const char *entities,
                   const char *context, int allow, const char *reasons,
                   const char *errors)
{
	struct tc_answer a;

	tc_authorize(policies, entities, context, &a);
	if (a.status != 0)
		fail_msg("not answered (%d): %s", a.status, a.diag);
	if (a.allow != allow || strcmp(a.reasons, reasons) != 0 ||
	    strcmp(a.errors, errors) != 0)
		fail_msg(
		    "got %s [%s] errors [%s] (%s), expected %s [%s] errors "
		    "[%s]\n  policies: %s",
		    a.allow ? "allow" : "deny", a.reasons, a.errors, a.messages,
		    allow ? "allow" : "deny", reasons, errors, policies);
}

static void refused(const char *entities, const char *context, int status,
                    const char *what)
{
	struct tc_answer a;

	tc_authorize(ANY, entities, context, &a);
	if (a.status != status)
		fail_msg("status %d (%s), expected %d", a.status, a.diag,
		         status);
	if (what != NULL && strstr(a.diag, what) == NULL)
		fail_msg("diagnostic \"%s\" does not say \"%s\"", a.diag, what);
}

static void test_decision_rules(void **state)
{
	(void)state;
	answer("", NULL, NULL, 0, "", ""); /* default deny */
	answer(ANY, NULL, NULL, 1, "policy0", "");
	answer(ANY ANY, NULL, NULL, 1, "policy0,policy1", "");
	answer(ANY "forbid(principal, action, resource);", NULL, NULL, 0,
	       "policy1", "");
	answer("forbid(principal, action, resource) when { false };" ANY, NULL,
	       NULL, 1, "policy1", "");
	/* an erroring policy does not apply, whatever its effect */
	answer(ANY "forbid(principal, action, resource) when { 1 + true };",
	       NULL, NULL, 1, "policy0", "policy1");
	answer("permit(principal, action, resource) when { context.x };", NULL,
	       NULL, 0, "", "policy0");
	/* unless */
	answer("permit(principal, action, resource) unless { false };", NULL,
	       NULL, 1, "policy0", "");
	answer("permit(principal, action, resource) unless { 1 };", NULL, NULL,
	       0, "", "policy0");
	/* conditions in order: a false one stops before an erroring one */
	answer("permit(principal, action, resource) when { false } when { 1 };",
	       NULL, NULL, 0, "", "");
	answer("permit(principal, action, resource) when { 1 } when { false };",
	       NULL, NULL, 0, "", "policy0");
	/* a scope that does not match stops before the conditions */
	answer(
	    "permit(principal == User::\"bob\", action, resource) when { 1 };",
	    NULL, NULL, 0, "", "");
}

static void test_scopes(void **state)
{
	const char *e = "[{\"uid\": {\"type\": \"User\", \"id\": \"alice\"}, "
	                "\"attrs\": {}, \"parents\": [{\"type\": \"Group\", "
	                "\"id\": \"g\"}]},"
	                "{\"uid\": {\"type\": \"Group\", \"id\": \"g\"}, "
	                "\"attrs\": {}, \"parents\": [{\"type\": \"Group\", "
	                "\"id\": \"root\"}]},"
	                "{\"uid\": {\"type\": \"Action\", \"id\": \"view\"}, "
	                "\"attrs\": {}, \"parents\": [{\"type\": \"Action\", "
	                "\"id\": \"read\"}]}]";
	(void)state;

	answer(
	    "permit(principal == User::\"alice\", action == Action::\"view\","
	    " resource == Photo::\"p\");",
	    e, NULL, 1, "policy0", "");
	answer(
	    "permit(principal in Group::\"root\", action in Action::\"read\","
	    " resource in Photo::\"p\");",
	    e, NULL, 1, "policy0", "");
	answer("permit(principal is User, action in [Action::\"x\", "
	       "Action::\"read\"], resource is Photo);",
	       e, NULL, 1, "policy0", "");
	answer("permit(principal is User in Group::\"g\", action, resource is "
	       "Photo in Photo::\"p\");",
	       e, NULL, 1, "policy0", "");
	answer("permit(principal is Group in Group::\"g\", action, resource);",
	       e, NULL, 0, "", "");
	answer("permit(principal, action in [], resource);", e, NULL, 0, "",
	       "");
	answer("permit(principal in Group::\"nope\", action, resource);", e,
	       NULL, 0, "", "");
	answer("permit(principal, action == Ns::Action::\"view\", resource);",
	       e, NULL, 0, "", "");
}

static const char *const chain =
    "[{\"uid\": {\"type\": \"U\", \"id\": \"a\"}, \"attrs\": {}, \"parents\": "
    "[{\"type\": \"G\", \"id\": \"b\"}, {\"type\": \"G\", \"id\": \"x\"}]},"
    " {\"uid\": {\"type\": \"G\", \"id\": \"b\"}, \"attrs\": {}, \"parents\": "
    "[{\"type\": \"G\", \"id\": \"c\"}]},"
    " {\"uid\": {\"type\": \"G\", \"id\": \"c\"}, \"attrs\": {}, \"parents\": "
    "[{\"type\": \"G\", \"id\": \"d\"}, {\"type\": \"G\", \"id\": "
    "\"ghost\"}]},"
    " {\"uid\": {\"type\": \"G\", \"id\": \"x\"}, \"attrs\": {}, \"parents\": "
    "[{\"type\": \"G\", \"id\": \"d\"}]},"
    " {\"uid\": {\"type\": \"G\", \"id\": \"d\"}, \"attrs\": {}, \"parents\": "
    "[]}]";

static void test_in_is_transitive(void **state)
{
	(void)state;
	assert_int_equal(tc_eval("U::\"a\" in G::\"b\"", chain, NULL), TC_TRUE);
	assert_int_equal(tc_eval("U::\"a\" in G::\"c\"", chain, NULL), TC_TRUE);
	assert_int_equal(tc_eval("U::\"a\" in G::\"d\"", chain, NULL), TC_TRUE);
	/* a parent that is not itself an entity still counts */
	assert_int_equal(tc_eval("U::\"a\" in G::\"ghost\"", chain, NULL),
	                 TC_TRUE);
	assert_int_equal(tc_eval("G::\"b\" in G::\"ghost\"", chain, NULL),
	                 TC_TRUE);
	assert_int_equal(tc_eval("G::\"x\" in G::\"c\"", chain, NULL),
	                 TC_FALSE);
	assert_int_equal(tc_eval("G::\"d\" in U::\"a\"", chain, NULL),
	                 TC_FALSE);
	assert_int_equal(tc_eval("G::\"ghost\" in G::\"d\"", chain, NULL),
	                 TC_FALSE);
}

/* G::"0" in G::"1" in ... G::"n-1" */
static char *chain_of(int n)
{
	char *e = malloc((size_t)n * 120 + 16), *p = e;

	p += sprintf(p, "[");
	for (int i = 0; i < n; i++) {
		p += sprintf(p,
		             "%s{\"uid\": {\"type\": \"G\", \"id\": \"%d\"}, "
		             "\"attrs\": {}, \"parents\": [",
		             i > 0 ? "," : "", i);
		if (i + 1 < n)
			p += sprintf(p, "{\"type\": \"G\", \"id\": \"%d\"}",
			             i + 1);
		p += sprintf(p, "]}");
	}
	sprintf(p, "]");
	return e;
}

static void test_deep_hierarchy(void **state)
{
	/* the ancestor computation is iterative: a 2500-deep chain loads */
	char *e = chain_of(2500);
	(void)state;

	assert_int_equal(tc_eval("G::\"0\" in G::\"2499\"", e, NULL), TC_TRUE);
	assert_int_equal(tc_eval("G::\"1250\" in G::\"2499\"", e, NULL),
	                 TC_TRUE);
	assert_int_equal(tc_eval("G::\"2499\" in G::\"0\"", e, NULL), TC_FALSE);
	free(e);
	/* 3000 deep is 4.5 million ancestor links: over the bound */
	e = chain_of(3000);
	assert_int_equal(tc_eval("true", e, NULL), TC_LOAD);
	free(e);
}

static void test_entity_json(void **state)
{
	(void)state;
	/* both uid forms, tags optional, unknown fields ignored */
	assert_int_equal(
	    tc_eval("User::\"a\".n == 1 && User::\"a\" in G::\"g\"",
	            "[{\"uid\": {\"__entity\": {\"type\": \"User\", \"id\": "
	            "\"a\"}}, \"attrs\": {\"n\": 1}, \"parents\": "
	            "[{\"__entity\": {\"type\": \"G\", \"id\": \"g\"}}], "
	            "\"extra\": 1}]",
	            NULL),
	    TC_TRUE);
	/* attribute escapes */
	assert_int_equal(
	    tc_eval("principal.e == User::\"b\" && principal.i == "
	            "ip(\"1.2.3.4\") && principal.r.id == \"b\"",
	            "[{\"uid\": {\"type\": \"User\", \"id\": \"alice\"}, "
	            "\"attrs\": {\"e\": {\"__entity\": {\"type\": \"User\", "
	            "\"id\": \"b\"}}, \"i\": {\"__extn\": {\"fn\": \"ip\", "
	            "\"arg\": \"1.2.3.4\"}}, \"r\": {\"type\": \"User\", "
	            "\"id\": \"b\"}}, \"parents\": []}]",
	            NULL),
	    TC_TRUE);
	/* an escape with another key beside it is a plain record */
	assert_int_equal(
	    tc_eval("context.a.x == 1 && context.a has __entity", NULL,
	            "{\"a\": {\"__entity\": {\"type\": \"User\", \"id\": "
	            "\"b\"}, \"x\": 1}}"),
	    TC_TRUE);
	assert_int_equal(tc_eval("context.a has __extn", NULL,
	                         "{\"a\": {\"__extn\": {\"fn\": \"ip\"}}}"),
	                 TC_TRUE);
	/* __extn calls any extension function with one argument */
	assert_int_equal(
	    tc_eval("context.a", NULL,
	            "{\"a\": {\"__extn\": {\"fn\": \"isIpv4\", \"arg\": "
	            "{\"__extn\": {\"fn\": \"ip\", \"arg\": \"1.2.3.4\"}}}}}"),
	    TC_TRUE);
	/* two identical entries are one entity */
	assert_int_equal(
	    tc_eval(
	        "User::\"a\".n == 1",
	        "[{\"uid\": {\"type\": \"User\", \"id\": \"a\"}, \"attrs\": "
	        "{\"n\": 1}, \"parents\": [{\"type\": \"G\", \"id\": "
	        "\"g\"}, {\"type\": \"G\", \"id\": \"g\"}]},"
	        " {\"uid\": {\"type\": \"User\", \"id\": \"a\"}, \"attrs\": "
	        "{\"n\": 1}, \"parents\": [{\"type\": \"G\", \"id\": "
	        "\"g\"}]}]",
	        NULL),
	    TC_TRUE);
}

static void test_entity_refusals(void **state)
{
	(void)state;
	refused("{}", NULL, -2, "array");
	refused("[1]", NULL, -2, "object");
	refused("[{\"attrs\": {}, \"parents\": []}]", NULL, -2, "uid");
	refused(
	    "[{\"uid\": {\"type\": \"U\", \"id\": \"a\"}, \"parents\": []}]",
	    NULL, -2, "attrs");
	refused("[{\"uid\": {\"type\": \"U\", \"id\": \"a\"}, \"attrs\": {}}]",
	        NULL, -2, "parents");
	refused(
	    "[{\"uid\": {\"type\": \"U\", \"id\": \"a\"}, \"attrs\": {\"n\": "
	    "1}, \"parents\": []}, {\"uid\": {\"type\": \"U\", \"id\": "
	    "\"a\"}, \"attrs\": {\"n\": 2}, \"parents\": []}]",
	    NULL, -2, "duplicate");
	refused("[{\"uid\": {\"type\": \"U\", \"id\": \"a\"}, \"attrs\": {}, "
	        "\"parents\": [{\"type\": \"U\", \"id\": \"a\"}]}]",
	        NULL, -2, "cycle");
	refused("[{\"uid\": {\"type\": \"U\", \"id\": \"a\"}, \"attrs\": {}, "
	        "\"parents\": [{\"type\": \"U\", \"id\": \"b\"}]},"
	        " {\"uid\": {\"type\": \"U\", \"id\": \"b\"}, \"attrs\": {}, "
	        "\"parents\": [{\"type\": \"U\", \"id\": \"c\"}]},"
	        " {\"uid\": {\"type\": \"U\", \"id\": \"c\"}, \"attrs\": {}, "
	        "\"parents\": [{\"type\": \"U\", \"id\": \"a\"}]}]",
	        NULL, -2, "cycle");
	/* an action's parents must be actions */
	refused("[{\"uid\": {\"type\": \"Ns::Action\", \"id\": \"a\"}, "
	        "\"attrs\": {}, \"parents\": [{\"type\": \"User\", \"id\": "
	        "\"u\"}]}]",
	        NULL, -2, "non-action parent");
	assert_int_equal(
	    tc_eval("Action::\"a\" in Ns::Action::\"b\" && User::\"u\" in "
	            "Action::\"a\"",
	            "[{\"uid\": {\"type\": \"Action\", \"id\": \"a\"}, "
	            "\"attrs\": {}, \"parents\": [{\"type\": \"Ns::Action\", "
	            "\"id\": \"b\"}]}, {\"uid\": {\"type\": \"User\", \"id\": "
	            "\"u\"}, \"attrs\": {}, \"parents\": [{\"type\": "
	            "\"Action\", \"id\": \"a\"}]}]",
	            NULL),
	    TC_TRUE);
	refused(
	    "[{\"uid\": {\"type\": \"Bad Type\", \"id\": \"a\"}, \"attrs\": "
	    "{}, \"parents\": []}]",
	    NULL, -2, "type name");
	refused("[{\"uid\": {\"type\": \"if\", \"id\": \"a\"}, \"attrs\": {}, "
	        "\"parents\": []}]",
	        NULL, -2, "type name");
	refused("[{\"uid\": {\"type\": \"__cedar::X\", \"id\": \"a\"}, "
	        "\"attrs\": {}, \"parents\": []}]",
	        NULL, -2, "type name");
	refused(
	    "[{\"uid\": {\"type\": \"U\", \"id\": \"a\"}, \"attrs\": {\"x\": "
	    "null}, \"parents\": []}]",
	    NULL, -2, "null");
	refused(
	    "[{\"uid\": {\"type\": \"U\", \"id\": \"a\"}, \"attrs\": {\"x\": "
	    "1.5}, \"parents\": []}]",
	    NULL, -2, "integer");
	refused(
	    "[{\"uid\": {\"type\": \"U\", \"id\": \"a\"}, \"attrs\": {\"x\": "
	    "{\"__extn\": {\"fn\": \"ip\", \"arg\": \"bad\"}}}, "
	    "\"parents\": []}]",
	    NULL, -2, "IP");
	refused(
	    "[{\"uid\": {\"type\": \"U\", \"id\": \"a\"}, \"attrs\": {\"x\": "
	    "{\"__extn\": {\"fn\": \"nope\", \"arg\": \"x\"}}}, "
	    "\"parents\": []}]",
	    NULL, -2, "does not exist");
	refused(
	    "[{\"uid\": {\"type\": \"U\", \"id\": \"a\"}, \"attrs\": {\"x\": "
	    "{\"__expr\": \"1\"}}, \"parents\": []}]",
	    NULL, -2, "__expr");
	/* the context */
	refused(NULL, "{\"a\": null}", -3, "null");
	refused(NULL, "{\"__entity\": {\"type\": \"U\", \"id\": \"a\"}}", -3,
	        "record");
	refused(NULL, "[1]", -3, "record");
}

static void test_requests(void **state)
{
	struct tc_answer a;
	(void)state;

	tc_authorize_req(ANY, NULL, "{\"type\": \"U\"}",
	                 "{\"type\": \"Action\", \"id\": \"v\"}",
	                 "{\"type\": \"R\", \"id\": \"r\"}", NULL, &a);
	assert_int_equal(a.status, -3);
	assert_non_null(strstr(a.diag, "principal"));
	tc_authorize_req(ANY, NULL, "{\"type\": \"U\", \"id\": \"u\"}",
	                 "{\"type\": \"Bad Name\", \"id\": \"v\"}",
	                 "{\"type\": \"R\", \"id\": \"r\"}", NULL, &a);
	assert_int_equal(a.status, -3);
	assert_non_null(strstr(a.diag, "action"));
	tc_authorize_req("permit(principal == U::\"u\", action, resource == "
	                 "R::\"r\");",
	                 NULL,
	                 "{\"__entity\": {\"type\": \"U\", \"id\": \"u\"}}",
	                 "{\"type\": \"Action\", \"id\": \"v\"}",
	                 "{\"type\": \"R\", \"id\": \"r\"}", NULL, &a);
	assert_int_equal(a.status, 0);
	assert_true(a.allow);
}

static void test_templates_and_links(void **state)
{
	struct cedar_policy_set *ps = cedar_policy_set_new();
	struct cedar_authorizer *az = cedar_authorizer_new();
	struct cedar_diag d;
	struct cedar_response r;
	const char *stat =
	    "permit(principal, action, resource) when { false };";
	const char *tpl = "@id(\"by-owner\") permit(principal == ?principal, "
	                  "action, resource in ?resource) when { "
	                  "context.ok };";
	const char *tpl2 = "forbid(principal in ?principal, action, resource);";
	json_t *alice = json_pack("{ss ss}", "type", "User", "id", "alice");
	json_t *bob =
	    json_pack("{s{ss ss}}", "__entity", "type", "User", "id", "bob");
	json_t *photo = json_pack("{ss ss}", "type", "Photo", "id", "p");
	json_t *act = json_pack("{ss ss}", "type", "Action", "id", "view");
	json_t *ctx = json_pack("{sb}", "ok", 1);
	json_t *bad_ctx = json_pack("{si}", "ok", 1);
	struct cedar_request req = {alice, act, photo, ctx};
	(void)state;

	assert_int_equal(
	    cedar_policy_set_parse(ps, "s", stat, strlen(stat), 0, &d), 0);
	assert_int_equal(
	    cedar_policy_set_add_template(ps, "t1", "t1", tpl, strlen(tpl), &d),
	    0);
	assert_int_equal(cedar_policy_set_add_template(ps, "t2", "t2", tpl2,
	                                               strlen(tpl2), &d),
	                 0);
	/* templates are not policies until linked */
	assert_int_equal(cedar_policy_count(ps), 1);
	assert_int_equal(
	    cedar_policy_set_link(ps, "t1", "L1", alice, photo, &d), 0);
	assert_int_equal(cedar_policy_set_link(ps, "t1", "L2", bob, photo, &d),
	                 0);
	assert_int_equal(cedar_policy_count(ps), 3);
	assert_string_equal(cedar_policy_id(ps, 1), "L1");
	assert_string_equal(cedar_policy_annotation(ps, 1, "id"), "by-owner");

	assert_int_equal(cedar_authorize(az, ps, NULL, &req, &r, &d), 0);
	assert_int_equal(r.decision, CEDAR_ALLOW);
	assert_int_equal(r.n_reasons, 1);
	assert_string_equal(cedar_policy_id(ps, r.reasons[0]), "L1");
	/* an error in a link is reported under the link's id */
	req.context = bad_ctx;
	assert_int_equal(cedar_authorize(az, ps, NULL, &req, &r, &d), 0);
	assert_int_equal(r.decision, CEDAR_DENY);
	assert_int_equal(r.n_errors, 1);
	assert_string_equal(cedar_policy_id(ps, r.errors[0].policy), "L1");
	assert_non_null(strstr(r.errors[0].message, "type error"));
	req.context = ctx;
	/* a forbid link wins */
	assert_int_equal(cedar_policy_set_link(ps, "t2", "L3", alice, NULL, &d),
	                 0);
	assert_int_equal(cedar_authorize(az, ps, NULL, &req, &r, &d), 0);
	assert_int_equal(r.decision, CEDAR_DENY);
	assert_int_equal(r.n_reasons, 1);
	assert_string_equal(cedar_policy_id(ps, r.reasons[0]), "L3");

	/* refusals */
	assert_int_equal(
	    cedar_policy_set_link(ps, "t1", "L1", alice, photo, &d),
	    -1); /* duplicate link id */
	assert_non_null(strstr(d.msg, "conflicts"));
	assert_int_equal(
	    cedar_policy_set_link(ps, "t1", "policy0", alice, photo, &d), -1);
	assert_int_equal(
	    cedar_policy_set_link(ps, "t1", "t2", alice, photo, &d),
	    -1); /* a template's id */
	assert_int_equal(
	    cedar_policy_set_link(ps, "t9", "L9", alice, photo, &d), -1);
	assert_non_null(strstr(d.msg, "failed to find"));
	assert_int_equal(cedar_policy_set_link(ps, "t1", "L9", alice, NULL, &d),
	                 -1);
	assert_non_null(strstr(d.msg, "?resource"));
	assert_int_equal(
	    cedar_policy_set_link(ps, "t2", "L9", alice, photo, &d), -1);
	assert_int_equal(
	    cedar_policy_set_link(ps, "policy0", "L9", NULL, NULL, &d),
	    -1); /* a static policy is not a template */
	assert_int_equal(cedar_policy_set_add_template(ps, "t3", "t3", stat,
	                                               strlen(stat), &d),
	                 -1);
	assert_non_null(strstr(d.msg, "static policy"));
	assert_int_equal(
	    cedar_policy_set_add_template(ps, "t1", "t1", tpl, strlen(tpl), &d),
	    -1); /* duplicate template id */
	assert_int_equal(
	    cedar_policy_set_add_template(ps, "t4", "t4", "", 0, &d), -1);
	assert_int_equal(cedar_policy_count(ps), 4);

	json_decref(alice);
	json_decref(bob);
	json_decref(photo);
	json_decref(act);
	json_decref(ctx);
	json_decref(bad_ctx);
	cedar_authorizer_free(az);
	cedar_policy_set_free(ps);
}

static void test_step_bound(void **state)
{
	/* work that grows with data: set equality over a large context set,
	 * done many times, hits the step bound and is an error */
	size_t n = 60000;
	char *ctx = malloc(n * 8 + 32), *p = ctx;
	char *pol = malloc(200000), *q = pol;
	struct tc_answer a;
	(void)state;

	p += sprintf(p, "{\"s\": [");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s%zu", i > 0 ? "," : "", i);
	sprintf(p, "]}");
	q += sprintf(q, "permit(principal, action, resource) when { true");
	for (int i = 0; i < 40; i++)
		q += sprintf(q, " && context.s.containsAll(context.s)");
	sprintf(q, " };");
	tc_authorize(pol, NULL, ctx, &a);
	assert_int_equal(a.status, 0);
	assert_false(a.allow);
	assert_string_equal(a.errors, "policy0");
	assert_non_null(strstr(a.messages, "step limit"));
	free(pol);
	free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decision_rules),
	    cmocka_unit_test(test_scopes),
	    cmocka_unit_test(test_in_is_transitive),
	    cmocka_unit_test(test_deep_hierarchy),
	    cmocka_unit_test(test_entity_json),
	    cmocka_unit_test(test_entity_refusals),
	    cmocka_unit_test(test_requests),
	    cmocka_unit_test(test_templates_and_links),
	    cmocka_unit_test(test_step_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
