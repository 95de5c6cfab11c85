/* `autonomy run` flag parsing: the rules users rely on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "flags.h"

static int parse(int argc, char **argv, const char *env, struct run_opts *o,
                 char *err)
{
	return run_parse_flags(argc, argv, env, o, err, 256);
}

static void flags_stop_at_first_non_flag(void **state)
{
	char *v[] = {"run", "--keep", "sh", "-c", "--dir", "x", NULL};
	struct run_opts o;
	char err[256];
	(void)state;

	assert_int_equal(parse(6, v, NULL, &o, err), 0);
	assert_int_equal(o.keep, 1);
	assert_null(o.wal_dir);
	assert_int_equal(o.ncmd, 4);
	assert_string_equal(o.cmd[0], "sh");
	assert_string_equal(o.cmd[2], "--dir");
	/* --dir after the command went to the workload: flagged. */
	assert_int_equal(o.nmisplaced, 1);
	assert_string_equal(o.misplaced[0], "--dir");
}

static void flags_double_dash(void **state)
{
	char *v[] = {"run", "--dir", "/w", "--", "--keep", NULL};
	struct run_opts o;
	char err[256];
	(void)state;

	assert_int_equal(parse(5, v, NULL, &o, err), 0);
	assert_string_equal(o.wal_dir, "/w");
	assert_int_equal(o.keep, 0);
	assert_int_equal(o.ncmd, 1);
	assert_string_equal(o.cmd[0], "--keep");
	/* the command itself is never counted as a misplaced flag */
	assert_int_equal(o.nmisplaced, 0);
}

static void flags_dir_equals_form(void **state)
{
	char *v[] = {"run", "--dir=/a/b", "true", NULL};
	struct run_opts o;
	char err[256];
	(void)state;

	assert_int_equal(parse(3, v, NULL, &o, err), 0);
	assert_string_equal(o.wal_dir, "/a/b");
}

static void flags_flag_beats_env(void **state)
{
	char *v[] = {"run", "--dir", "/flag", "true", NULL};
	char *w[] = {"run", "true", NULL};
	struct run_opts o;
	char err[256];
	(void)state;

	assert_int_equal(parse(4, v, "/env", &o, err), 0);
	assert_string_equal(o.wal_dir, "/flag");
	assert_int_equal(o.wal_dir_from_env, 0);
	assert_int_equal(parse(2, w, "/env", &o, err), 0);
	assert_string_equal(o.wal_dir, "/env");
	assert_int_equal(o.wal_dir_from_env, 1);
	assert_int_equal(parse(2, w, "", &o, err), 0);
	assert_null(o.wal_dir);
}

static void flags_errors_name_the_flag(void **state)
{
	char *unknown[] = {"run", "--frobnicate", "true", NULL};
	char *nodir[] = {"run", "--dir", NULL};
	char *emptydir[] = {"run", "--dir=", "true", NULL};
	char *nocmd[] = {"run", "--keep", NULL};
	struct run_opts o;
	char err[256];
	(void)state;

	assert_int_equal(parse(3, unknown, NULL, &o, err), -1);
	assert_non_null(strstr(err, "--frobnicate"));
	assert_int_equal(parse(2, nodir, NULL, &o, err), -1);
	assert_non_null(strstr(err, "--dir"));
	assert_int_equal(parse(3, emptydir, NULL, &o, err), -1);
	assert_non_null(strstr(err, "--dir"));
	assert_int_equal(parse(2, nocmd, NULL, &o, err), -1);
	assert_non_null(strstr(err, "missing the command"));
}

static void flags_corrected_invocation(void **state)
{
	char *v[] = {"run",   "sh",  "-c",     "exit 7",
	             "--dir", "./w", "--keep", NULL};
	struct run_opts o;
	char err[256], buf[512];
	(void)state;

	assert_int_equal(parse(7, v, NULL, &o, err), 0);
	assert_int_equal(o.nmisplaced, 2);
	assert_int_equal(run_corrected_invocation(&o, buf, sizeof(buf)), 0);
	assert_string_equal(buf,
	                    "autonomy run --dir ./w --keep -- sh -c 'exit 7'");
}

static void flags_policy_and_cache_dir(void **state)
{
	char *v[] = {"run",  "--policy", "acme:1.0.0", "--cache-dir=/c",
	             "true", NULL};
	char *w[] = {"run", "--policy=./b.tar", "--", "sh", NULL};
	char *nopol[] = {"run", "--cache-dir", "/c", "true", NULL};
	char *empty[] = {"run", "--policy=", "true", NULL};
	char *missing[] = {"run", "--policy", NULL};
	struct run_opts o;
	char err[256];
	(void)state;

	assert_int_equal(parse(5, v, NULL, &o, err), 0);
	assert_string_equal(o.policy, "acme:1.0.0");
	assert_string_equal(o.cache_dir, "/c");
	assert_string_equal(o.cmd[0], "true");
	assert_int_equal(parse(4, w, NULL, &o, err), 0);
	assert_string_equal(o.policy, "./b.tar");
	assert_null(o.cache_dir);
	assert_string_equal(o.cmd[0], "sh");
	/* --cache-dir alone would silently do nothing */
	assert_int_equal(parse(4, nopol, NULL, &o, err), -1);
	assert_non_null(strstr(err, "--cache-dir"));
	assert_non_null(strstr(err, "--policy"));
	assert_int_equal(parse(3, empty, NULL, &o, err), -1);
	assert_non_null(strstr(err, "--policy needs a bundle"));
	assert_int_equal(parse(2, missing, NULL, &o, err), -1);
	assert_non_null(strstr(err, "--policy needs"));
}

static void flags_policy_misplaced(void **state)
{
	char *v[] = {"run",   "sh",          "x.sh", "--policy",
	             "b.tar", "--cache-dir", "/c",   NULL};
	struct run_opts o;
	char err[256], buf[512];
	(void)state;

	assert_int_equal(parse(7, v, NULL, &o, err), 0);
	assert_null(o.policy);
	assert_int_equal(o.nmisplaced, 2);
	assert_int_equal(run_corrected_invocation(&o, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "autonomy run --policy b.tar --cache-dir /c "
	                         "-- sh x.sh");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(flags_stop_at_first_non_flag),
	    cmocka_unit_test(flags_double_dash),
	    cmocka_unit_test(flags_dir_equals_form),
	    cmocka_unit_test(flags_flag_beats_env),
	    cmocka_unit_test(flags_errors_name_the_flag),
	    cmocka_unit_test(flags_corrected_invocation),
	    cmocka_unit_test(flags_policy_and_cache_dir),
	    cmocka_unit_test(flags_policy_misplaced),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
