/* The image config's User against an image's /etc/passwd and /etc/group
 * (spawner/etcpasswd.h): Docker's forms, its defaults (gid 0 for a uid
 * without an entry, supplementary groups only without GROUP), and every
 * malformed line refused with its number. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "etcpasswd.h"

static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
                             "# comment\n"
                             "\n"
                             "app:x:1234:2345:the app:/home/app:/bin/sh\n"
                             "2000:x:3000:3000::/:/bin/sh\n"
                             "dup:x:7:7::/:\n"
                             "dup:x:8:8::/:\n"
                             "big:x:4000000000:1::/:\n"
                             "last:x:9:9::/:/bin/sh"; /* no '\n' */
static const char group[] = "root:x:0:\n"
                            "app:x:2345:\n"
                            "wheel:x:10:root,app\n"
                            "audio:x:29:app,\n"
                            "again:x:10:app\n"
                            "other:x:30:root\n"
                            "2000:x:40:\n";

static int resolve(const char *spec, struct etcpasswd_ids *ids, size_t *line)
{
	return etcpasswd_resolve(spec, passwd, strlen(passwd), group,
	                         strlen(group), ids, line);
}

static void test_name(void **state)
{
	struct etcpasswd_ids ids;
	size_t line;

	(void)state;
	assert_int_equal(resolve("app", &ids, &line), ETCPW_OK);
	assert_int_equal(ids.uid, 1234);
	assert_int_equal(ids.gid, 2345);
	/* wheel, audio; "again" repeats gid 10: once */
	assert_int_equal(ids.ngroups, 2);
	assert_int_equal(ids.groups[0], 10);
	assert_int_equal(ids.groups[1], 29);
	assert_int_equal(resolve("root", &ids, &line), ETCPW_OK);
	assert_int_equal(ids.uid, 0);
	assert_int_equal(ids.ngroups, 2); /* wheel, other */
	assert_int_equal(resolve("last", &ids, &line), ETCPW_OK);
	assert_int_equal(ids.uid, 9);
	assert_int_equal(ids.ngroups, 0);
	/* first match wins */
	assert_int_equal(resolve("dup", &ids, &line), ETCPW_OK);
	assert_int_equal(ids.uid, 7);
}

static void test_numeric(void **state)
{
	struct etcpasswd_ids ids;
	size_t line;

	(void)state;
	/* a uid with an entry: its gid and groups */
	assert_int_equal(resolve("1234", &ids, &line), ETCPW_OK);
	assert_int_equal(ids.gid, 2345);
	assert_int_equal(ids.ngroups, 2);
	/* numeric is always a uid, never the name "2000" */
	assert_int_equal(resolve("2000", &ids, &line), ETCPW_OK);
	assert_int_equal(ids.uid, 2000);
	assert_int_equal(ids.gid, 0);
	assert_int_equal(ids.ngroups, 0);
	/* without an entry: gid 0, no groups (Docker) */
	assert_int_equal(resolve("1000", &ids, &line), ETCPW_OK);
	assert_int_equal(ids.uid, 1000);
	assert_int_equal(ids.gid, 0);
	assert_int_equal(ids.ngroups, 0);
	assert_int_equal(resolve("1000:1000", &ids, &line), ETCPW_OK);
	assert_int_equal(ids.gid, 1000);
	assert_int_equal(resolve("1000:wheel", &ids, &line), ETCPW_OK);
	assert_int_equal(ids.gid, 10);
	/* GROUP given: no supplementary groups */
	assert_int_equal(resolve("app:audio", &ids, &line), ETCPW_OK);
	assert_int_equal(ids.uid, 1234);
	assert_int_equal(ids.gid, 29);
	assert_int_equal(ids.ngroups, 0);
	assert_int_equal(resolve("app:2000", &ids, &line), ETCPW_OK);
	assert_int_equal(ids.gid, 2000); /* a gid, not the group "2000" */
	assert_int_equal(resolve("0:0", &ids, &line), ETCPW_OK);
	assert_int_equal(ids.uid, 0);
	assert_int_equal(resolve("2147483647:2147483647", &ids, &line),
	                 ETCPW_OK);
	assert_int_equal(ids.uid, 2147483647u);
}

static void test_not_found_and_range(void **state)
{
	struct etcpasswd_ids ids;
	size_t line;

	(void)state;
	assert_int_equal(resolve("nosuch", &ids, &line), ETCPW_NO_USER);
	assert_int_equal(resolve("app:nosuch", &ids, &line), ETCPW_NO_GROUP);
	assert_int_equal(resolve("2147483648", &ids, &line), ETCPW_ID_RANGE);
	assert_int_equal(resolve("1:4294967295", &ids, &line), ETCPW_ID_RANGE);
	assert_int_equal(resolve("99999999999999999999", &ids, &line),
	                 ETCPW_ID_RANGE);
	/* an entry's own id past the range */
	assert_int_equal(resolve("big", &ids, &line), ETCPW_ID_RANGE);
	/* files absent: names fail, numbers stand */
	assert_int_equal(
	    etcpasswd_resolve("app", NULL, 0, NULL, 0, &ids, &line),
	    ETCPW_NO_PASSWD);
	assert_int_equal(
	    etcpasswd_resolve("5:6", NULL, 0, NULL, 0, &ids, &line), ETCPW_OK);
	assert_int_equal(ids.uid, 5);
	assert_int_equal(ids.gid, 6);
	assert_int_equal(etcpasswd_resolve("app:wheel", passwd, strlen(passwd),
	                                   NULL, 0, &ids, &line),
	                 ETCPW_NO_GROUP_FILE);
	assert_int_equal(etcpasswd_resolve("app", passwd, strlen(passwd), NULL,
	                                   0, &ids, &line),
	                 ETCPW_OK);
	assert_int_equal(ids.ngroups, 0);
}

static void test_spec(void **state)
{
	static const char *const bad[] = {
	    "",    ":",     "app:",  ":app", "a:b:c",      "a b",
	    "a,b", "\tapp", "app\n", "é",    "app:wh eel",
	};
	char longname[ETCPASSWD_MAX_NAME + 2];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_int_equal(etcpasswd_check_spec(bad[i]), ETCPW_SPEC);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(etcpasswd_check_spec(longname), ETCPW_SPEC);
	longname[ETCPASSWD_MAX_NAME] = '\0';
	assert_int_equal(etcpasswd_check_spec(longname), ETCPW_OK);
	assert_int_equal(etcpasswd_check_spec("app:wheel"), ETCPW_OK);
	assert_int_equal(etcpasswd_check_spec("-1"), ETCPW_OK); /* a name */
}

/* Each malformed file, with the line named. */
static void test_malformed(void **state)
{
	static const struct {
		const char *passwd, *group;
		int want;
		size_t line;
	} cases[] = {
	    {"app:x:1:1::/\n", "", ETCPW_PASSWD_LINE, 1}, /* 6 fields */
	    {"root:x:0:0::/:\napp:x:1:1::/:/bin/sh:x\n", "", ETCPW_PASSWD_LINE,
	     2},
	    {"app:x:-1:1::/:\n", "", ETCPW_PASSWD_LINE, 1},
	    {"app:x::1::/:\n", "", ETCPW_PASSWD_LINE, 1},
	    {"app:x:1:1a::/:\n", "", ETCPW_PASSWD_LINE, 1},
	    {"app:x:4294967296:1::/:\n", "", ETCPW_PASSWD_LINE, 1},
	    {":x:1:1::/:\n", "", ETCPW_PASSWD_LINE, 1},
	    {"a pp:x:1:1::/:\n", "", ETCPW_PASSWD_LINE, 1},
	    {"app:x:1:1::/:\r\n", "", ETCPW_OK, 0}, /* \r in the shell */
	    {"app:x:1:1\r::/:\n", "", ETCPW_PASSWD_LINE, 1},
	    /* past the match: the whole file is checked */
	    {"app:x:1:1::/:\n\nbad\n", "", ETCPW_PASSWD_LINE, 3},
	    {"app:x:1:1::/:\n", "g:x:1\n", ETCPW_GROUP_LINE, 1},
	    {"app:x:1:1::/:\n", "g:x:1:app:x\n", ETCPW_GROUP_LINE, 1},
	    {"app:x:1:1::/:\n", "ok:x:2:\ng:x:x:app\n", ETCPW_GROUP_LINE, 2},
	    {"app:x:1:1::/:\n", "g:x:1:a pp\n", ETCPW_GROUP_LINE, 1},
	    {"app:x:1:1::/:\n", "g:x:3000000000:app\n", ETCPW_ID_RANGE, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct etcpasswd_ids ids;
		size_t line = 99;
		int rc = etcpasswd_resolve(
		    "app", cases[i].passwd, strlen(cases[i].passwd),
		    cases[i].group, strlen(cases[i].group), &ids, &line);

		if (rc != cases[i].want || line != cases[i].line)
			fail_msg("case %zu: %d at line %zu, want %d at %zu", i,
			         rc, line, cases[i].want, cases[i].line);
	}
}

static void test_nul_and_group_bound(void **state)
{
	static const char nul[] = "app:x:1:1::/:\nx\0y:x:2:2::/:\n";
	static char many[64 * (ETCPASSWD_MAX_GROUPS + 2)];
	struct etcpasswd_ids ids;
	size_t line, off = 0;

	(void)state;
	assert_int_equal(etcpasswd_resolve("app", nul, sizeof(nul) - 1, NULL, 0,
	                                   &ids, &line),
	                 ETCPW_PASSWD_LINE);
	assert_int_equal(line, 2);
	for (int g = 0; g < ETCPASSWD_MAX_GROUPS; g++)
		off += (size_t)snprintf(many + off, sizeof(many) - off,
		                        "g%d:x:%d:app\n", g, 100 + g);
	assert_int_equal(etcpasswd_resolve("app", "app:x:1:1::/:\n", 14, many,
	                                   off, &ids, &line),
	                 ETCPW_OK);
	assert_int_equal(ids.ngroups, ETCPASSWD_MAX_GROUPS);
	snprintf(many + off, sizeof(many) - off, "one:x:99999:app\n");
	assert_int_equal(etcpasswd_resolve("app", "app:x:1:1::/:\n", 14, many,
	                                   strlen(many), &ids, &line),
	                 ETCPW_TOO_MANY_GROUPS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_name),
	    cmocka_unit_test(test_numeric),
	    cmocka_unit_test(test_not_found_and_range),
	    cmocka_unit_test(test_spec),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_nul_and_group_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
