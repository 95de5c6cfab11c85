/* spawner/layers.c: the starter seccomp program compiled once
 * (layers_warm_starter, ahead of the requests or at the first) is the
 * starter profile's own compile, instruction for instruction, with the
 * same summary and flags; each request gets a copy of its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

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

/* The reference: the starter profile compiled and exported here,
 * without layers.c. */
struct reference {
	struct sock_filter *insns;
	size_t len;
	unsigned filter_flags;
	struct seccomp_summary summary;
};

static void reference_compile(struct reference *r)
{
	struct seccomp_profile *p = seccomp_profile_starter();
	char err[512];
	scmp_filter_ctx ctx;
	off_t size;
	int fd = memfd_create("reference", MFD_CLOEXEC);

	assert_non_null(p);
	assert_true(fd >= 0);
	ctx = seccomp_profile_compile(p, err, sizeof(err));
	assert_non_null(ctx);
	assert_int_equal(seccomp_export_bpf(ctx, fd), 0);
	size = lseek(fd, 0, SEEK_END);
	assert_true(size > 0);
	r->insns = malloc((size_t)size);
	assert_non_null(r->insns);
	assert_int_equal(pread(fd, r->insns, (size_t)size, 0), size);
	r->len = (size_t)size / sizeof(struct sock_filter);
	r->filter_flags = p->log_flag ? SECCOMP_FILTER_FLAG_LOG : 0;
	seccomp_profile_summarize(p, &r->summary);
	seccomp_release(ctx);
	seccomp_profile_free(p);
	close(fd);
}

static void test_warm_starter_is_the_compiled_one(void **state)
{
	char *argv[] = {"/bin/true", NULL};
	Autonomy__SpawnRequest sr;
	struct reference fresh;
	struct workload_layers warm1, warm2;
	char err[512];

	(void)state;
	reference_compile(&fresh);
	assert_true(fresh.len > 10);
	starter_request(&sr, argv);
	/* the first request warms it when the spawner's start did not */
	assert_int_equal(layers_prepare(&sr, &warm1, err, sizeof(err)), 0);
	assert_int_equal(layers_prepare(&sr, &warm2, err, sizeof(err)), 0);
	assert_int_equal(layers_warm_starter(err, sizeof(err)), 0);
	assert_true(warm1.seccomp_on);
	assert_int_equal(warm1.prog.len, fresh.len);
	assert_memory_equal(warm1.prog.filter, fresh.insns,
	                    fresh.len * sizeof(struct sock_filter));
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
	assert_memory_equal(warm2.prog.filter, fresh.insns,
	                    fresh.len * sizeof(struct sock_filter));
	layers_free(&warm2);
	free(fresh.insns);
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
