/* A tiny shared object the shim tests dlopen (built twice, as
 * libpreload_testlib_a.so and libpreload_testlib_b.so). */
int preload_testlib_answer(void);

int preload_testlib_answer(void)
{
	return 42;
}
