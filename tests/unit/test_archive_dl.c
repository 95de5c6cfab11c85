/* common/archive_dl.c: libarchive loaded at first need. Built twice:
 * against the real library (linked here too, so the table can be
 * compared with the linker's own addresses), and with ARCHIVE_DL_SONAME
 * naming a library that does not exist, for the failure. The tar code
 * through the table is tested by test_bundle and test_image. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The table's members by name; archive_*() are libarchive's own. */
#define ARCHIVE_DL_TABLE
#include "archive_dl.h"

#ifndef ARCHIVE_DL_SONAME

#define THREADS 8

static void *load_in_thread(void *arg)
{
	char *err = arg;

	return (void *)(intptr_t)archive_dl_load("a test", err, 256);
}

/* The first load, from several threads at once: each sees it done. */
static void first_load_from_threads(void **state)
{
	pthread_t t[THREADS];
	char err[THREADS][256];
	(void)state;

	assert_null((void *)archive_dl.archive_read_new);
	for (int i = 0; i < THREADS; i++) {
		err[i][0] = '\0';
		assert_int_equal(
		    pthread_create(&t[i], NULL, load_in_thread, err[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		void *rc;

		assert_int_equal(pthread_join(t[i], &rc), 0);
		assert_int_equal((intptr_t)rc, 0);
		assert_string_equal(err[i], "");
	}
	assert_non_null((void *)archive_dl.archive_read_new);
}

/* Every entry is the function the linker bound for this test: the same
 * library, all of it. */
static void table_is_libarchive(void **state)
{
	char err[256] = "";
	(void)state;

	assert_int_equal(archive_dl_load("a test", err, sizeof(err)), 0);
#define SAME(name) assert_ptr_equal((void *)archive_dl.name, (void *)name);
	ARCHIVE_DL_FUNCS(SAME)
#undef SAME
	assert_int_equal(archive_dl_load("a test", err, sizeof(err)), 0);
	assert_string_equal(err, "");
}

/* Read-only once loaded, like the GOT entries it stands for: the
 * mapping holding the table, as /proc/self/maps shows it. */
static void table_is_read_only(void **state)
{
	uintptr_t at = (uintptr_t)&archive_dl, lo, hi;
	char line[512], perms[8] = "";
	FILE *f;
	int found = 0;
	(void)state;

	if (sysconf(_SC_PAGESIZE) != ARCHIVE_DL_PAGE)
		skip();
	assert_int_equal(archive_dl_load("a test", NULL, 0), 0);
	assert_int_equal(at % ARCHIVE_DL_PAGE, 0);
	assert_non_null(f = fopen("/proc/self/maps", "r"));
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 &&
		        lo <= at && at < hi;
	fclose(f);
	assert_true(found);
	assert_string_equal(perms, "r--p");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(first_load_from_threads),
	    cmocka_unit_test(table_is_libarchive),
	    cmocka_unit_test(table_is_read_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

#else /* ARCHIVE_DL_SONAME: a library that is not there */

static void expect_refused(const char *need)
{
	char err[1024] = "", want[256];

	assert_int_equal(archive_dl_load(need, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ARCHIVE_DL_SONAME " cannot be loaded ("));
	assert_non_null(strstr(err, "cannot open shared object file"));
	snprintf(want, sizeof(want),
	         "): %s needs it; install the libarchive13 package", need);
	assert_true(strlen(err) > strlen(want));
	assert_string_equal(err + strlen(err) - strlen(want), want);
}

/* Named with what needed it and what to do; nothing in the table; the
 * same answer every time. */
static void missing_library_refused(void **state)
{
	(void)state;

	expect_refused("reading a tar bundle");
	expect_refused("unpacking an image layer");
#define UNSET(name) assert_null((void *)archive_dl.name);
	ARCHIVE_DL_FUNCS(UNSET)
#undef UNSET
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(missing_library_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

#endif
