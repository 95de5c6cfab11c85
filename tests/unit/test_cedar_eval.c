/* Evaluation: every operator's result and its error cases, short-circuit,
 * overflow, `like`, `has`, tags and the extension functions, each as the
 * condition of one permit policy (true, false, or an error that makes the
 * policy not apply). Expected outcomes were checked against cedar-wasm
 * 4.5.0. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_cedar_util.h"

static const char *const ents =
    "[{\"uid\": {\"type\": \"User\", \"id\": \"alice\"},"
    "  \"attrs\": {\"age\": 30, \"name\": \"Alice\","
    "             \"r\": {\"x\": {\"y\": 2}, \"n\": 1},"
    "             \"friend\": {\"__entity\": {\"type\": \"User\", \"id\": "
    "\"bob\"}},"
    "             \"ips\": [{\"__extn\": {\"fn\": \"ip\", \"arg\": "
    "\"10.0.0.1\"}}]},"
    "  \"parents\": [{\"type\": \"Group\", \"id\": \"staff\"}],"
    "  \"tags\": {\"level\": 3}},"
    " {\"uid\": {\"type\": \"User\", \"id\": \"bob\"}, \"attrs\": {\"name\": "
    "\"Bob\"},"
    "  \"parents\": []},"
    " {\"uid\": {\"type\": \"Group\", \"id\": \"staff\"}, \"attrs\": {},"
    "  \"parents\": [{\"type\": \"Group\", \"id\": \"all\"}]}]";

static const char *const ctx =
    "{\"n\": 5, \"s\": \"hello\", \"set\": [1, \"a\"], \"rec\": {\"k\": true},"
    " \"max\": 9223372036854775807, \"min\": -9223372036854775808}";

static void expect(const char *expr, int want, int line)
{
	int got = tc_eval(expr, ents, ctx);

	if (got != want)
		fail_msg("line %d: `%s` gave %d, expected %d", line, expr, got,
		         want);
}

#define T(e) expect(e, TC_TRUE, __LINE__)
#define F(e) expect(e, TC_FALSE, __LINE__)
#define E(e) expect(e, TC_ERROR, __LINE__)

static void test_booleans_and_short_circuit(void **state)
{
	(void)state;
	T("true && !false");
	F("true && false");
	T("false || true");
	/* the right side is not evaluated once the answer is known */
	F("false && 1");
	F("false && principal.nope");
	T("true || 1");
	T("true || context.nope.nope");
	/* but a non-bool on the left, or a needed right side, is an error */
	E("1 && true");
	E("true && 1");
	E("false || 1");
	E("1 || true");
	E("!1");
	/* conditions are and-ed in order */
	T("if context.n > 3 then true else 1");
	E("if 1 then true else false");
	T("if false then principal.nope else true");
	E("(if true then \"a\" else 1)");
}

static void test_equality(void **state)
{
	(void)state;
	T("1 == 1");
	F("1 == \"1\"");
	F("true == 1");
	T("[1, 2] == [2, 1, 1]");
	T("{a: [1, {b: 2}]} == {a: [{b: 2}, 1]}");
	F("{a: 1} == {a: 1, b: 2}");
	T("[] == []");
	F("[] == {}");
	T("User::\"alice\" == principal");
	F("User::\"alice\" == Group::\"alice\"");
	T("A::B::\"x\" != A::\"x\"");
	T("decimal(\"1.0\") == decimal(\"1.0000\")");
	F("decimal(\"1.0\") == 1");
	T("ip(\"10.0.0.1\") == ip(\"10.0.0.1/32\")");
	F("ip(\"10.0.0.1/24\") == ip(\"10.0.0.0/24\")");
	T("duration(\"1h\") == duration(\"60m\")");
	F("duration(\"0ms\") == datetime(\"1970-01-01\")");
	T("datetime(\"2024-01-01T01:00:00+0100\") == datetime(\"2024-01-01\")");
	T("context == {n: 5, s: \"hello\", set: [\"a\", 1], rec: {k: true}, "
	  "max: 9223372036854775807, min: -9223372036854775808}");
	T("context.n != 4");
	/* equality never errors, even across types */
	F("principal == context");
}

static void test_comparison(void **state)
{
	(void)state;
	T("1 < 2 && 2 <= 2 && 3 > 2 && 3 >= 3");
	F("2 < 1");
	T("datetime(\"2020-01-01\") < datetime(\"2021-01-01\")");
	T("duration(\"1h\") <= duration(\"2h\")");
	T("-9223372036854775808 < 9223372036854775807");
	E("\"a\" < \"b\"");
	E("1 < \"a\"");
	E("decimal(\"1.0\") < decimal(\"2.0\")");
	E("datetime(\"2020-01-01\") < duration(\"1h\")");
	E("ip(\"1.1.1.1\") < ip(\"1.1.1.2\")");
	E("true > false");
}

static void test_arithmetic_and_overflow(void **state)
{
	(void)state;
	T("1 + 2 * 3 == 7");
	T("(1 + 2) * 3 == 9");
	T("10 - 2 - 3 == 5");
	T("-context.n == -5");
	T("--5 == 5");
	T("context.max + 0 == 9223372036854775807");
	T("context.min + 1 < 0");
	T("-9223372036854775807 - 1 == context.min");
	E("context.max + 1 == 0");
	E("context.min - 1 == 0");
	E("context.max * 2 == 0");
	E("context.min * -1 == 0");
	E("-context.min == 0");
	E("--9223372036854775808 == 0");
	/* an overflow in the middle of a chain is an error, even if later
	 * terms would bring it back */
	E("context.max + 1 - 1 == context.max");
	E("1 + true");
	E("\"a\" + \"b\" == \"ab\"");
	E("-\"a\"");
	E("-true");
}

static void test_in(void **state)
{
	(void)state;
	T("principal in Group::\"staff\"");
	T("principal in Group::\"all\""); /* transitive */
	T("principal in principal");
	F("Group::\"all\" in principal");
	T("principal in [Group::\"x\", Group::\"all\"]");
	F("principal in []");
	F("User::\"nobody\" in Group::\"all\"");
	T("User::\"nobody\" in User::\"nobody\"");
	E("principal in [Group::\"all\", 1]"); /* every element must be an
	                                          entity */
	E("principal in [1]");
	E("1 in [1]");
	E("principal in 1");
	E("principal in {}");
	T("principal is User in Group::\"all\"");
	F("principal is Group in Group::\"all\"");
	/* is-in stops when the type does not match */
	F("principal is Group in 1");
	E("principal is User in 1");
	E("1 is User");
	T("A::B::\"x\" is A::B");
	F("A::B::\"x\" is B");
}

static void test_attributes_and_has(void **state)
{
	(void)state;
	T("principal.age == 30");
	T("principal[\"name\"] == \"Alice\"");
	T("principal.friend.name == \"Bob\"");
	T("principal.r.x.y == 2");
	E("principal.nope");
	E("context.nope");
	E("User::\"nobody\".name == \"x\""); /* entity does not exist */
	E("principal.age.x");
	E("true.x");
	T("principal has age");
	F("principal has nope");
	F("User::\"nobody\" has name"); /* no error for has */
	T("principal has r.x.y");
	F("principal has r.x.z");
	F("principal has nope.x"); /* stops at the first missing step */
	E("principal has age.x");  /* age is a long */
	E("1 has x");
	T("context has \"s\"");
	T("{\"a b\": 1} has \"a b\"");
	F("{} has a");
	T("context.rec[\"k\"]");
}

static void test_like(void **state)
{
	(void)state;
	T("context.s like \"h*o\"");
	T("context.s like \"*\"");
	T("context.s like \"**\"");
	T("context.s like \"hello*\"");
	T("context.s like \"*hello\"");
	T("context.s like \"*ll*\"");
	F("context.s like \"*ll*ll*\"");
	F("context.s like \"h?llo\"");
	F("context.s like \"hell\"");
	T("\"\" like \"\"");
	T("\"\" like \"*\"");
	F("\"a\" like \"\"");
	T("\"a*b\" like \"a\\*b\"");
	F("\"axb\" like \"a\\*b\"");
	/* a star written as an escape other than \* is a wildcard */
	T("\"axb\" like \"a\\u{2a}b\"");
	T("\"axb\" like \"a\\x2ab\"");
	T("\"日本語\" like \"日*\"");
	T("\"日本語\" like \"*本*\"");
	T("\"\\u{1F600}x\" like \"*x\"");
	T("\"aXbXc\" like \"a*b*c\"");
	F("\"abcab\" like \"*abc\"");
	T("\"abab\" like \"*ab\"");
	T("\"aa\" like \"a*a\"");
	F("\"a\" like \"a*a\"");
	E("1 like \"*\"");
}

static void test_sets(void **state)
{
	(void)state;
	T("context.set.contains(\"a\")");
	F("context.set.contains(2)");
	T("[[1, 2]].contains([2, 1])");
	T("context.set.containsAll([1])");
	T("[1, 2].containsAll([])");
	F("[1].containsAll([1, 2])");
	T("context.set.containsAny([2, \"a\"])");
	F("[].containsAny([])");
	T("[].isEmpty()");
	F("[1].isEmpty()");
	E("1.contains(1)");
	E("[1].containsAll(1)");
	E("[1].containsAny(\"a\")");
	E("principal.isEmpty()");
	/* an element that errors makes the set an error */
	E("[1, principal.nope].isEmpty()");
	T("[ip(\"1.2.3.4\"), ip(\"1.2.3.4/32\")] == [ip(\"1.2.3.4\")]");
	T("[decimal(\"1.0\"), "
	  "decimal(\"1.00\")].containsAll([decimal(\"1.000\")])");
	T("principal.ips.contains(ip(\"10.0.0.1\"))");
}

static void test_tags(void **state)
{
	(void)state;
	T("principal.hasTag(\"level\")");
	F("principal.hasTag(\"nope\")");
	F("User::\"nobody\".hasTag(\"level\")");
	T("principal.getTag(\"level\") == 3");
	E("principal.getTag(\"nope\")");
	E("User::\"nobody\".getTag(\"level\")");
	E("context.getTag(\"x\")");
	E("principal.getTag(1)");
	E("principal.hasTag(1)");
}

static void test_extensions(void **state)
{
	(void)state;
	T("decimal(\"1.5\").lessThan(decimal(\"2.0\"))");
	E("decimal(\"2\") == decimal(\"2.0\")"); /* a dot is required */
	T("decimal(\"-1.5\").lessThanOrEqual(decimal(\"-1.5\"))");
	T("decimal(\"2.0\").greaterThan(decimal(\"1.9999\"))");
	T("decimal(\"2.0\").greaterThanOrEqual(decimal(\"2.00\"))");
	E("decimal(\"1.23456\") == decimal(\"1\")");
	E("decimal(\"x\")");
	E("decimal(1)");
	E("1.lessThan(2)");
	E("decimal(\"1.0\").lessThan(1)");
	T("ip(\"10.0.0.1\").isIpv4() && ip(\"::1\").isIpv6()");
	T("ip(\"127.0.0.1\").isLoopback() && ip(\"::1\").isLoopback()");
	T("ip(\"224.0.0.1\").isMulticast()");
	T("ip(\"10.0.0.1\").isInRange(ip(\"10.0.0.0/8\"))");
	F("ip(\"10.0.0.0/8\").isInRange(ip(\"10.0.0.0/16\"))");
	E("ip(\"bad\")");
	E("ip(\"1.2.3.4\", \"x\")"); /* arity: a runtime error */
	E("ip()");
	E("ip(\"1.2.3.4\").isIpv4(1)");
	E("ip(\"1.2.3.4\").isInRange(\"1.0.0.0/8\")");
	T("datetime(\"2024-01-01\").offset(duration(\"1d\")) == "
	  "datetime(\"2024-01-02\")");
	T("datetime(\"2024-01-02\").durationSince(datetime(\"2024-01-01\")) == "
	  "duration(\"1d\")");
	T("datetime(\"2024-01-02T05:00:00Z\").toDate() == "
	  "datetime(\"2024-01-02\")");
	T("datetime(\"2024-01-02T05:00:00Z\").toTime() == duration(\"5h\")");
	T("duration(\"90m\").toHours() == 1");
	T("duration(\"-90m\").toHours() == -1");
	T("duration(\"1d2h3m4s5ms\").toMilliseconds() == 93784005");
	T("duration(\"2m\").toSeconds() == 120 && duration(\"2h\").toMinutes() "
	  "== "
	  "120 && duration(\"48h\").toDays() == 2");
	E("datetime(\"2024-13-01\")");
	E("duration(\"1x\")");
	E("datetime(\"2024-01-01\").offset(datetime(\"2024-01-01\"))");
	E("duration(\"1h\").toDate()");
	E("datetime(\"2024-01-01\").lessThan(datetime(\"2025-01-01\"))");
	/* an extension value from the entity store */
	T("principal.ips == [ip(\"10.0.0.1\")]");
}

static void test_records_and_sets_built_at_runtime(void **state)
{
	(void)state;
	T("{a: context.n, b: [context.s]} == {b: [\"hello\"], a: 5}");
	T("{a: context.n}.a == 5");
	E("{a: principal.nope}.a");
	T("[context.n, 5, 5] == [5]");
	T("[principal, User::\"alice\"].contains(principal)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_booleans_and_short_circuit),
	    cmocka_unit_test(test_equality),
	    cmocka_unit_test(test_comparison),
	    cmocka_unit_test(test_arithmetic_and_overflow),
	    cmocka_unit_test(test_in),
	    cmocka_unit_test(test_attributes_and_has),
	    cmocka_unit_test(test_like),
	    cmocka_unit_test(test_sets),
	    cmocka_unit_test(test_tags),
	    cmocka_unit_test(test_extensions),
	    cmocka_unit_test(test_records_and_sets_built_at_runtime),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
