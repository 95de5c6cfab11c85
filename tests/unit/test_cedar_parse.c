/* The Cedar parser: what it accepts, what it refuses and where it says
 * the fault is (file:line:col). Expected outcomes were checked against
 * the reference, cedar-wasm 4.5.0. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_cedar_util.h"

static void accepts(const char *text)
{
	char diag[CEDAR_DIAG_MAX];

	if (tc_parse(text, diag, sizeof(diag)) != 0)
		fail_msg("refused: %s\n  text: %s", diag, text);
}

/* Refused, and the diagnostic starts with where and contains what. */
static void refuses(const char *text, const char *where, const char *what)
{
	char diag[CEDAR_DIAG_MAX];

	if (tc_parse(text, diag, sizeof(diag)) == 0)
		fail_msg("accepted: %s", text);
	if (where != NULL && strncmp(diag, where, strlen(where)) != 0)
		fail_msg("diagnostic \"%s\" does not start with \"%s\"", diag,
		         where);
	if (what != NULL && strstr(diag, what) == NULL)
		fail_msg("diagnostic \"%s\" does not say \"%s\"", diag, what);
}

#define P(cond) "permit(principal, action, resource) when { " cond " };"

static void test_scope_forms(void **state)
{
	(void)state;
	accepts("permit(principal, action, resource);");
	accepts("forbid(principal, action, resource);");
	accepts("permit(principal == User::\"a\", action == Action::\"v\", "
	        "resource == Photo::\"p\");");
	accepts("permit(principal in Group::\"g\", action in "
	        "[Action::\"a\", Ns::Action::\"b\"], resource in F::\"f\");");
	accepts("permit(principal is User, action in Action::\"a\", "
	        "resource is A::B in A::B::\"x\");");
	accepts("permit(principal, action in [], resource);");
	accepts("permit(principal == (User::\"a\"), action, resource);");
	accepts("permit(principal, action, resource,);"); /* trailing comma */
	accepts("permit(principal is principal, action, resource);");
	accepts("");
	accepts("// only a comment\n");
}

static void test_scope_refusals(void **state)
{
	(void)state;
	refuses("permit(principal, action == User::\"x\", resource);",
	        "test.cedar:1:29:", "type `Action`");
	refuses("permit(principal, action is Action, resource);",
	        "test.cedar:1:26:", "action scope");
	refuses("permit(principal in [User::\"a\"], action, resource);",
	        "test.cedar:1:21:", "set of entity uids");
	refuses("permit(principal, action == [Action::\"a\"], resource);",
	        "test.cedar:1:29:", "set of entity uids");
	refuses("permit(principal is User == User::\"a\", action, resource);",
	        "test.cedar:1:26:", "`==`");
	refuses("permit(principal < User::\"a\", action, resource);",
	        "test.cedar:1:18:", "invalid operator");
	refuses("permit(principal: User, action, resource);",
	        "test.cedar:1:17:", ":");
	refuses("permit(action, principal, resource);",
	        "test.cedar:1:8:", "principal");
	refuses("permit(principal, action);", "test.cedar:1:25:", "resource");
	refuses("permit(principal, action, resource, context);",
	        "test.cedar:1:37:", "extra element");
	refuses("permit(principal is \"User\", action, resource);",
	        "test.cedar:1:21:", "entity type name");
	refuses("permit(principal is User::\"x\", action, resource);",
	        "test.cedar:1:21:", "entity type name");
	refuses("permit(principal == ?resource, action, resource);",
	        "test.cedar:1:21:", "?resource");
	refuses("permit(principal, action, resource) foo { true };",
	        "test.cedar:1:37:", "condition");
	refuses("Permit(principal, action, resource);",
	        "test.cedar:1:1:", "effect");
	refuses("permit(principal, action, resource) when {};",
	        "test.cedar:1:37:", "empty");
	refuses("permit(principal, action, resource)",
	        "test.cedar:1:36:", "end of input");
	refuses("permit(principal, action, resource);;",
	        "test.cedar:1:37:", NULL);
}

static void test_annotations_and_ids(void **state)
{
	struct cedar_policy_set *ps = cedar_policy_set_new();
	struct cedar_diag d;
	const char *t1 = "@id(\"first\") @note permit(principal, action, "
	                 "resource);\nforbid(principal, action, resource);";
	const char *t2 =
	    "@id(\"x\\u{41}\") permit(principal, action, resource);";
	(void)state;

	assert_int_equal(cedar_policy_set_parse(ps, "a", t1, strlen(t1), 0, &d),
	                 0);
	assert_int_equal(cedar_policy_set_parse(ps, "b", t2, strlen(t2), 0, &d),
	                 0);
	assert_int_equal(cedar_policy_count(ps), 3);
	/* positional ids continue across calls; @id does not rename */
	assert_string_equal(cedar_policy_id(ps, 0), "policy0");
	assert_string_equal(cedar_policy_id(ps, 1), "policy1");
	assert_string_equal(cedar_policy_id(ps, 2), "policy2");
	assert_string_equal(cedar_policy_annotation(ps, 0, "id"), "first");
	assert_string_equal(cedar_policy_annotation(ps, 0, "note"), "");
	assert_null(cedar_policy_annotation(ps, 1, "id"));
	assert_string_equal(cedar_policy_name(ps, 0), "first");
	assert_string_equal(cedar_policy_name(ps, 1), "policy1");
	assert_string_equal(cedar_policy_name(ps, 2), "xA");
	assert_false(cedar_policy_is_forbid(ps, 0));
	assert_true(cedar_policy_is_forbid(ps, 1));
	cedar_policy_set_free(ps);

	accepts("@if(\"reserved words are fine as keys\") permit(principal, "
	        "action, resource);");
	refuses("@id(\"a\") @id(\"b\") permit(principal, action, resource);",
	        "test.cedar:1:11:", "duplicate annotation");
	refuses("@id(x) permit(principal, action, resource);",
	        "test.cedar:1:5:", "string literal");
	refuses("@a::b(\"x\") permit(principal, action, resource);",
	        "test.cedar:1:3:", NULL);
	refuses("@id(\"\\q\") permit(principal, action, resource);",
	        "test.cedar:1:5:", "escape");
}

static void test_parse_is_all_or_nothing(void **state)
{
	struct cedar_policy_set *ps = cedar_policy_set_new();
	struct cedar_diag d;
	const char *good = "permit(principal, action, resource);";
	const char *bad = "permit(principal, action, resource);\nforbid(oops";
	(void)state;

	assert_int_equal(
	    cedar_policy_set_parse(ps, "g", good, strlen(good), 0, &d), 0);
	assert_int_equal(
	    cedar_policy_set_parse(ps, "b", bad, strlen(bad), 0, &d), -1);
	assert_non_null(strstr(d.msg, "b:2:8:"));
	assert_int_equal(cedar_policy_count(ps), 1);
	/* the failed call handed out no ids */
	assert_int_equal(
	    cedar_policy_set_parse(ps, "g", good, strlen(good), 0, &d), 0);
	assert_string_equal(cedar_policy_id(ps, 1), "policy1");
	cedar_policy_set_free(ps);
}

static void test_positions(void **state)
{
	(void)state;
	refuses("permit(principal, action, resource)\nwhen { foo };",
	        "test.cedar:2:8:", "invalid variable");
	/* columns count characters, not bytes */
	refuses("permit(principal, action, resource) when { \"日本\" == bar };",
	        "test.cedar:1:52:", "invalid variable");
	refuses("permit(principal, action, resource) when {\n  1 < 2 < 3 };",
	        "test.cedar:2:9:", "relational");
	refuses("permit(principal, action, resource) when { 1 # 2 };",
	        "test.cedar:1:46:", "invalid token");
	refuses("permit(principal, action, resource) when { \"abc };",
	        "test.cedar:1:44:", "invalid token");
	refuses("\n\n   permit(principal, action, resource) when { x.y };",
	        "test.cedar:3:47:", "invalid variable");
}

static void test_operators_and_precedence(void **state)
{
	(void)state;
	accepts(P("1 + 2 * 3 - -4 == 11 && !false || true"));
	accepts(P("if true then 1 else 2 == 1"));
	accepts(P("(if true then 1 else 2) == 1"));
	accepts(P("!!!!true"));
	accepts(P("----1 == 1"));
	accepts(P("context has a.b.c"));
	accepts(P("context has \"a b\""));
	accepts(P("principal is User in Group::\"g\""));
	accepts(P("[1, 2,] == [1, 2] && {a: 1,} == {a: 1}"));
	accepts(P("context[\"a\"].b.contains(1)"));
	accepts(P("ip(\"1.2.3.4\").isInRange(ip(\"1.0.0.0/8\"))"));
	accepts(P("Ns::Type::\"id\" in [A::\"b\"]"));
	accepts(P("{principal: 1, permit: 2}.permit == 2"));
	refuses(P("!!!!!true"), "test.cedar:1:44:", "4");
	refuses(P("-----1 == 1"), "test.cedar:1:44:", "4");
	refuses(P("!-1"), "test.cedar:1:45:", NULL);
	refuses(P("1 < 2 < 3"), "test.cedar:1:50:", "relational");
	refuses(P("1 == 1 == true"), NULL, "relational");
	refuses(P("1 / 2"), "test.cedar:1:46:", "division");
	refuses(P("1 % 2"), "test.cedar:1:46:", "modulo");
	refuses(P("1 = 2"), "test.cedar:1:46:", "'=='");
	refuses(P("true && if true then true else false"),
	        "test.cedar:1:52:", NULL);
	refuses(P("\"a\" like \"a\" like \"a\""), NULL, NULL);
	refuses(P("\"a\" like (\"a\")"), "test.cedar:1:54:", "pattern");
	refuses(P("context has (\"a\")"), NULL, "`has`");
	refuses(P("context has a::b"), NULL, "`has`");
	refuses(P("context has a[\"b\"]"), NULL, "`has`");
	refuses(P("context has \"a\".b"), NULL, "`has`");
}

static void test_reserved_and_names(void **state)
{
	(void)state;
	refuses(P("context.if"), "test.cedar:1:52:", "reserved");
	refuses(P("context has is"), NULL, "reserved");
	refuses(P("context has a.true"), NULL, "reserved");
	refuses(P("{then: 1}"), NULL, "reserved");
	refuses(P("{if: 1}"), "test.cedar:1:45:", "reserved");
	refuses(P("principal is in"), NULL, NULL);
	refuses(P("X::in::\"a\" == principal"), NULL, "reserved");
	refuses(P("__cedar::X::\"a\" == principal"), NULL, "__cedar");
	refuses(P("principal is X::__cedar"), NULL, "__cedar");
	accepts(P("principal is X::__cedarx"));
	refuses(P("{a: 1, a: 2} == {}"), "test.cedar:1:51:", "duplicate key");
	refuses(P("{a::b: 1}"), NULL, "namespace");
	refuses(P("{User::\"a\": 1}"), NULL, "attribute");
	refuses(P("context[principal]"), NULL, "string literal");
	refuses(P("principal(1)"), NULL, "variables");
	accepts(P("(principal)")); /* a type error when evaluated */
	refuses(P("principal is (User)"), NULL, "variable");
	refuses(P("User::{a: 1} == principal"), NULL, "entity literal");
}

static void test_calls(void **state)
{
	(void)state;
	refuses(P("foo(1)"), "test.cedar:1:44:", "not a valid function");
	refuses(P("ipaddr::ip(\"1.2.3.4\")"), NULL, "not a valid function");
	refuses(P("\"x\".ip()"), NULL, "function, not a method");
	refuses(P("isIpv4(ip(\"1.2.3.4\"))"), NULL, "method, not a function");
	refuses(P("context.foo()"), NULL, "not a valid method");
	refuses(P("[1].contains()"), "test.cedar:1:48:", "exactly 1");
	refuses(P("[1].contains(1, 2)"), NULL, "exactly 1");
	refuses(P("[].isEmpty(1)"), NULL, "exactly 0");
	refuses(P("principal.getTag()"), NULL, "exactly 1");
	refuses(P("decimal(\"1.0\")()"), NULL, "function calls");
	refuses(P("[1](2)"), NULL, "function calls");
	/* extension arity is a runtime error, not a parse error */
	accepts(P("ip(\"1.2.3.4\", \"x\") == ip(\"1.2.3.4\")"));
	accepts(P("ip()"));
}

static void test_literals(void **state)
{
	(void)state;
	accepts(P("-9223372036854775808 < 0"));
	accepts(P("- 9223372036854775808 < 0"));
	accepts(P("9223372036854775807 > 0"));
	accepts(P("007 == 7"));
	refuses(P("9223372036854775808 > 0"), "test.cedar:1:44:", "too large");
	refuses(P("-(9223372036854775808) < 0"), NULL, "too large");
	refuses(P("-9223372036854775808.foo"), NULL, "too large");
	refuses(P("18446744073709551616 == 0"), NULL, "integer");
	refuses(P("1.5 == 1"), NULL, NULL);
	accepts(P("\"\\n\\r\\t\\\\\\0\\'\\\"\" != \"\""));
	accepts(P("\"\\x41\\x7f\" == \"A\\u{7f}\""));
	accepts(P("\"\\u{1F600}\\u{000041}\\u{1_0}\" != \"\""));
	refuses(P("\"\\x80\" == \"\""), "test.cedar:1:44:", "escape");
	refuses(P("\"\\x4\" == \"\""), NULL, "escape");
	refuses(P("\"\\u0041\" == \"\""), NULL, "escape");
	refuses(P("\"\\u{}\" == \"\""), NULL, "escape");
	refuses(P("\"\\u{_1}\" == \"\""), NULL, "escape");
	refuses(P("\"\\u{0000041}\" == \"\""), NULL, "escape");
	refuses(P("\"\\u{110000}\" == \"\""), NULL, "escape");
	refuses(P("\"\\u{D800}\" == \"\""), NULL, "escape");
	refuses(P("\"\\q\" == \"\""), NULL, "escape");
	refuses(P("\"a\rb\" == \"\""), NULL, "carriage return");
	refuses(P("\"a\\\nb\" == \"\""), NULL, "invalid token");
	/* \* is only an escape inside a like pattern */
	accepts(P("\"a*\" like \"a\\*\""));
	refuses(P("\"a\\*\" == \"a*\""), "test.cedar:1:44:", "escape");
	refuses(P("{\"a\\*\": 1} has a"), NULL, "escape");
	refuses(P("context[\"\\*\"]"), NULL, "escape");
	accepts(P("\"a\nb\" == \"a\\nb\"")); /* a raw newline is fine */
}

static void test_slots(void **state)
{
	(void)state;
	accepts("permit(principal == ?principal, action, resource in "
	        "?resource);");
	accepts("permit(principal is User in ?principal, action, resource);");
	refuses(P("?principal == principal"), "test.cedar:1:44:", "slot");
	refuses("permit(principal, action == ?principal, resource);",
	        "test.cedar:1:29:", "slot");
	refuses("permit(principal in ?foo, action, resource);",
	        "test.cedar:1:21:", "?foo");
	refuses(P("?"), NULL, "invalid token");
}

static void test_static_only_refuses_templates(void **state)
{
	struct cedar_policy_set *ps = cedar_policy_set_new();
	struct cedar_diag d;
	const char *t = "permit(principal, action, resource);\n"
	                "permit(principal == ?principal, action, resource);";
	(void)state;

	assert_int_equal(cedar_policy_set_parse(ps, "s", t, strlen(t),
	                                        CEDAR_PARSE_STATIC_ONLY, &d),
	                 -1);
	assert_non_null(strstr(d.msg, "template"));
	assert_int_equal(cedar_policy_count(ps), 0);
	/* without the flag the template is kept, not evaluated */
	assert_int_equal(cedar_policy_set_parse(ps, "s", t, strlen(t), 0, &d),
	                 0);
	assert_int_equal(cedar_policy_count(ps), 1);
	cedar_policy_set_free(ps);
}

static char *repeat(const char *open, const char *mid, const char *close, int n)
{
	size_t len = strlen(open) * n + strlen(mid) + strlen(close) * n + 200;
	char *s = malloc(len), *p = s;

	p += sprintf(p, "permit(principal, action, resource) when { ");
	for (int i = 0; i < n; i++)
		p += sprintf(p, "%s", open);
	p += sprintf(p, "%s", mid);
	for (int i = 0; i < n; i++)
		p += sprintf(p, "%s", close);
	sprintf(p, " };");
	return s;
}

static void test_bounds(void **state)
{
	char *s;
	char diag[CEDAR_DIAG_MAX];
	(void)state;

	s = repeat("(", "true", ")", CEDAR_MAX_NESTING - 2);
	accepts(s);
	free(s);
	s = repeat("(", "true", ")", CEDAR_MAX_NESTING + 1);
	refuses(s, "test.cedar:1:", "nested too deeply");
	free(s);
	s = repeat("[", "1", "]", 100000);
	refuses(s, "test.cedar:1:", "nested too deeply");
	free(s);
	/* a long access chain is deep without any parentheses */
	s = repeat("", "context", ".a", CEDAR_MAX_AST_DEPTH + 5);
	refuses(s, "test.cedar:1:", "nested too deeply");
	free(s);
	/* long flat chains are not deep */
	s = repeat("true && ", "true", "", 20000);
	accepts(s);
	free(s);
	s = repeat("1 + ", "1", "", 20000);
	accepts(s);
	free(s);
	/* wide records: duplicate keys found without pairwise compares */
	{
		char *t = malloc(60000 * 12 + 100), *q = t;

		q += sprintf(q, "permit(principal, action, resource) when { {");
		for (int i = 0; i < 60000; i++)
			q += sprintf(q, "k%d: 1, ", i);
		sprintf(q, "k7: 2} has k7 };");
		refuses(t, "test.cedar:1:", "duplicate key `k7`");
		free(t);
	}
	/* annotations are few */
	{
		char *t = malloc(2000 * 12 + 100), *q = t;

		for (int i = 0; i < 1025; i++)
			q += sprintf(q, "@a%d ", i);
		sprintf(q, "permit(principal, action, resource);");
		refuses(t, "test.cedar:1:", "too many annotations");
		free(t);
	}
	/* too much text */
	s = malloc(CEDAR_MAX_POLICY_TEXT + 2);
	memset(s, ' ', CEDAR_MAX_POLICY_TEXT + 1);
	s[CEDAR_MAX_POLICY_TEXT + 1] = '\0';
	assert_int_equal(tc_parse(s, diag, sizeof(diag)), -1);
	assert_non_null(strstr(diag, "too large"));
	free(s);
}

static void test_whitespace_and_comments(void **state)
{
	(void)state;
	accepts("permit(principal,action,resource)\xc2\xa0when{true};");
	accepts("permit(principal,action,resource)\xe2\x80\xa8when{true};");
	accepts("permit(principal,action,resource)\xe3\x80\x80when{true};");
	accepts("permit(principal,action,resource)\vwhen{true};");
	accepts("permit(principal,action,resource) when{true}; //x\r"
	        "permit(principal,action,resource);");
	accepts("permit(principal,action,resource) when { true // }\n};");
	/* a zero-width space and a BOM are not whitespace */
	refuses("permit(principal,action,resource)\xe2\x80\x8bwhen{true};",
	        "test.cedar:1:34:", "invalid token");
	refuses("\xef\xbb\xbfpermit(principal,action,resource);",
	        "test.cedar:1:1:", "invalid token");
	refuses("permit(principal,action,resource); /* no */", NULL, NULL);
	refuses("permit(principal,action,resource) when { \xff };", NULL,
	        "UTF-8");
}

/* cedar_parse_uid: one entity uid, by the policy lexer's rules. */
static void test_parse_uid(void **state)
{
	static const char ok[] =
	    " Ns::Sub::User::\"q\\\"uote\\u{e9}\\0\" // c\n";
	static const char *const bad[][2] = {
	    {"User:\"a\"", "uid:1:1: "},
	    {"User::\"a\" x", "uid:1:11: "},
	    {"User::\"a\\q\"", "not a valid escape"},
	    {"principal", "expected an entity uid"},
	    {"if::\"a\"", "reserved"},
	    {"__cedar::T::\"a\"", "__cedar"},
	    {"", "uid:1:1: "},
	};
	struct cedar_diag d;
	json_t *u;
	(void)state;

	u = cedar_parse_uid("uid", ok, strlen(ok), &d);
	assert_non_null(u);
	assert_string_equal(json_string_value(json_object_get(u, "type")),
	                    "Ns::Sub::User");
	/* q"uote, e-acute, NUL: 9 bytes, the NUL kept */
	assert_int_equal(json_string_length(json_object_get(u, "id")), 9);
	assert_memory_equal(json_string_value(json_object_get(u, "id")),
	                    "q\"uote\xc3\xa9\0", 9);
	json_decref(u);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		u = cedar_parse_uid("uid", bad[i][0], strlen(bad[i][0]), &d);
		if (u != NULL)
			fail_msg("accepted %s", bad[i][0]);
		if (strstr(d.msg, bad[i][1]) == NULL)
			fail_msg("%s: %s (want %s)", bad[i][0], d.msg,
			         bad[i][1]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_uid),
	    cmocka_unit_test(test_scope_forms),
	    cmocka_unit_test(test_scope_refusals),
	    cmocka_unit_test(test_annotations_and_ids),
	    cmocka_unit_test(test_parse_is_all_or_nothing),
	    cmocka_unit_test(test_positions),
	    cmocka_unit_test(test_operators_and_precedence),
	    cmocka_unit_test(test_reserved_and_names),
	    cmocka_unit_test(test_calls),
	    cmocka_unit_test(test_literals),
	    cmocka_unit_test(test_slots),
	    cmocka_unit_test(test_static_only_refuses_templates),
	    cmocka_unit_test(test_bounds),
	    cmocka_unit_test(test_whitespace_and_comments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
