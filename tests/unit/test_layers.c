/* spawner/layers.c: the starter seccomp program compiled once ahead of
 * the requests (layers_warm_starter) is the one a request would compile
 * itself, instruction for instruction, with the same summary and flags;
 * each request gets a copy of its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "layers.h"

static void starter_request(Autonomy__SpawnRequest *sr, char **argv)
{
	autonomy__spawn_request__init(sr);
	sr->n_argv = 1;
	sr->argv = argv;
	sr->cwd = "";
	sr->seccomp_mode = AUTONOMY__SECCOMP_MODE__SECCOMP_STARTER;
	sr->net = AUTONOMY__NET_MODE__NET_HOST;
}

static void test_warm_starter_is_the_compiled_one(void **state)
{
	char *argv[] = {"/bin/true", NULL};
	Autonomy__SpawnRequest sr;
	struct workload_layers fresh, warm1, warm2;
	char err[512];

	(void)state;
	starter_request(&sr, argv);
	/* not warm yet: compiled for the request */
	assert_int_equal(layers_prepare(&sr, &fresh, err, sizeof(err)), 0);
	assert_true(fresh.seccomp_on);
	assert_true(fresh.prog.len > 10);

	assert_int_equal(layers_warm_starter(err, sizeof(err)), 0);
	assert_int_equal(layers_prepare(&sr, &warm1, err, sizeof(err)), 0);
	assert_int_equal(layers_prepare(&sr, &warm2, err, sizeof(err)), 0);
	assert_true(warm1.seccomp_on);
	assert_int_equal(warm1.prog.len, fresh.prog.len);
	assert_memory_equal(warm1.prog.filter, fresh.prog.filter,
	                    fresh.prog.len * sizeof(struct sock_filter));
	assert_int_equal(warm1.filter_flags, fresh.filter_flags);
	assert_int_equal(warm1.summary.n, fresh.summary.n);
	for (size_t i = 0; i < fresh.summary.n; i++) {
		assert_string_equal(warm1.summary.attr[i].key,
		                    fresh.summary.attr[i].key);
		assert_string_equal(warm1.summary.attr[i].value,
		                    fresh.summary.attr[i].value);
	}
	/* copies, not the cache itself: freeing one leaves the other */
	assert_ptr_not_equal(warm1.prog.filter, warm2.prog.filter);
	assert_ptr_equal(warm1.prog.filter, warm1.insns);
	layers_free(&warm1);
	assert_memory_equal(warm2.prog.filter, fresh.prog.filter,
	                    fresh.prog.len * sizeof(struct sock_filter));
	layers_free(&warm2);
	layers_free(&fresh);
}

static void test_none_stays_none_when_warm(void **state)
{
	char *argv[] = {"/bin/true", NULL};
	Autonomy__SpawnRequest sr;
	struct workload_layers l;
	char err[512];

	(void)state;
	assert_int_equal(layers_warm_starter(err, sizeof(err)), 0);
	starter_request(&sr, argv);
	sr.seccomp_mode = AUTONOMY__SECCOMP_MODE__SECCOMP_NONE;
	assert_int_equal(layers_prepare(&sr, &l, err, sizeof(err)), 0);
	assert_false(l.seccomp_on);
	assert_null(l.prog.filter);
	layers_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_warm_starter_is_the_compiled_one),
	    cmocka_unit_test(test_none_stays_none_when_warm),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
