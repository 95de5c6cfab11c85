/* The workload's seccomp layer (spawner/seccomp): the starter profile and
 * the Docker/OCI JSON compiler. Every enforcement claim is proven by
 * loading the compiled filter in a forked child and making the call,
 * natively, through the i386 ABI (int $0x80) and through x32.
 *
 *   test_seccomp PATH/docker-seccomp-default.json */
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "profile.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define X32_BIT 0x40000000L

static const char *docker_path;

/* The capabilities Docker grants a container by default (no
 * CAP_SYS_ADMIN, CAP_SYS_PTRACE, ...), as the caller would pass them. */
static const uint64_t docker_caps =
    (1ULL << 0) | (1ULL << 1) | (1ULL << 3) | (1ULL << 4) | (1ULL << 5) |
    (1ULL << 6) | (1ULL << 7) | (1ULL << 8) | (1ULL << 10) | (1ULL << 13) |
    (1ULL << 18) | (1ULL << 27) | (1ULL << 29) | (1ULL << 31);

/* An i386 system call from this 64-bit process: int $0x80 enters the
 * kernel's compat table with the i386 numbers, as a 32-bit program
 * would. The kernel clears r8-r11 on that path. */
static long i386_call(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("int $0x80"
	                 : "=a"(ret)
	                 : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(-1L), "D"(-1L)
	                 : "memory", "r8", "r9", "r10", "r11");
	return (long)(int)ret;
}

static int i386_nr(const char *name)
{
	return seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86, name);
}

/* Runs fn in a child under the filter; returns the child's wait status.
 * fn returns 0 when every check held, else the failing line. */
static int run_confined(scmp_filter_ctx ctx, int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int rc = seccomp_load(ctx);
		if (rc != 0) {
			fprintf(stderr, "seccomp_load: %s\n", strerror(-rc));
			_exit(200);
		}
		/* _exit: no atexit handlers (LeakSanitizer) under the
		 * filter. */
		_exit(fn(arg));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void expect_clean_exit(int status)
{
	if (WIFSIGNALED(status))
		fail_msg("child killed by signal %d", WTERMSIG(status));
	if (WEXITSTATUS(status) != 0)
		fail_msg("a check in the confined child failed (exit %d; "
		         "the line is on stderr)",
		         WEXITSTATUS(status));
}

/* Line numbers above 255 would wrap in an exit status: report 1..255. */
#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "check failed at line %d: %s\n",       \
			        __LINE__, #cond);                              \
			return __LINE__ % 255 ? __LINE__ % 255 : 1;            \
		}                                                              \
	} while (0)

static scmp_filter_ctx compile_or_fail(const struct seccomp_profile *p)
{
	char err[512];
	scmp_filter_ctx ctx = seccomp_profile_compile(p, err, sizeof(err));

	if (ctx == NULL)
		fail_msg("%s", err);
	return ctx;
}

static struct seccomp_profile *parse_or_fail(const char *json,
                                             const struct seccomp_host *h)
{
	char err[512];
	struct seccomp_profile *p = seccomp_profile_parse_json(
	    json, strlen(json), "t.json", h, err, sizeof(err));

	if (p == NULL)
		fail_msg("%s", err);
	return p;
}

static struct seccomp_host host(uint64_t caps)
{
	struct seccomp_host h;

	assert_int_equal(seccomp_host_current(&h, caps), 0);
	return h;
}

/* Whether int $0x80 works here (IA32 emulation may be off). */
static int i386_probe(void *arg)
{
	(void)arg;
	return i386_call(i386_nr("getpid"), 0, 0, 0) == getpid() ? 0 : 1;
}

static int have_i386(void)
{
	static int known = -1;
	int status;
	pid_t pid;

	if (known >= 0)
		return known;
	fflush(NULL);
	if ((pid = fork()) == 0)
		_exit(i386_probe(NULL));
	waitpid(pid, &status, 0);
	known = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (!known)
		fprintf(stderr, "note: no IA32 emulation here; i386 checks "
		                "skipped\n");
	return known;
}

static const struct seccomp_rule *find_rule(const struct seccomp_profile *p,
                                            const char *name)
{
	for (size_t i = 0; i < p->n_rules; i++)
		if (strcmp(p->rules[i].name, name) == 0)
			return &p->rules[i];
	return NULL;
}

/* ---- starter profile ---------------------------------------------- */

/* The list issue 5 requires, each EPERM. */
static const char *const required[] = {
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "setns",
    "unshare",
    "kexec_load",
    "kexec_file_load",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "open_by_handle_at",
    "name_to_handle_at",
    "init_module",
    "finit_module",
    "delete_module",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "keyctl",
    "add_key",
    "request_key",
    "reboot",
    "swapon",
    "swapoff",
    "acct",
    "quotactl",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
};

static void test_starter_lists_required(void **state)
{
	struct seccomp_profile *p = seccomp_profile_starter();
	(void)state;

	assert_non_null(p);
	assert_int_equal(p->default_action, SCMP_ACT_ALLOW);
	for (size_t i = 0; i < N(required); i++) {
		const struct seccomp_rule *r = find_rule(p, required[i]);
		if (r == NULL)
			fail_msg("starter profile lacks %s", required[i]);
		assert_int_equal(r->action, SCMP_ACT_ERRNO(EPERM));
		assert_int_equal(r->n_args, 0);
		assert_non_null(r->why);
	}
	if (seccomp_arch_native() == SCMP_ARCH_X86_64) {
		assert_int_equal(p->n_arches, 2);
		assert_int_equal(p->arches[0], SCMP_ARCH_X86);
		assert_int_equal(p->arches[1], SCMP_ARCH_X32);
	}
	seccomp_profile_free(p);
}

/* Every unconditional starter rule, natively, with all arguments -1 (so
 * that, were the filter absent, each call would fail harmlessly with
 * EINVAL/EFAULT/EBADF instead of EPERM). */
static int starter_native_checks(void *arg)
{
	const struct seccomp_profile *p = arg;

	for (size_t i = 0; i < p->n_rules; i++) {
		const struct seccomp_rule *r = &p->rules[i];
		long rc;
		if (r->n_args != 0 || r->nr < 0)
			continue;
		errno = 0;
		rc = syscall(r->nr, -1L, -1L, -1L, -1L, -1L, -1L);
		if (rc != -1 || errno != (int)(r->action & 0xffff)) {
			fprintf(stderr, "%s: rc %ld errno %d\n", r->name, rc,
			        errno);
			return 2;
		}
	}
	return 0;
}

static int starter_named_checks(void *arg)
{
	struct io_uring_params iop;
	(void)arg;

	memset(&iop, 0, sizeof(iop));
	CHECK(unshare(CLONE_NEWUSER) == -1 && errno == EPERM);
	CHECK(unshare(CLONE_NEWNS) == -1 && errno == EPERM);
	CHECK(mount("none", "/tmp", "tmpfs", 0, NULL) == -1 && errno == EPERM);
	CHECK(syscall(SYS_io_uring_setup, 4, &iop) == -1 && errno == EPERM);
	CHECK(syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0) == -1 &&
	      errno == EPERM);
	CHECK(syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0) == -1 &&
	      errno == EPERM);
	CHECK(syscall(SYS_clone3, NULL, 0) == -1 && errno == ENOSYS);
	return 0;
}

static void *thread_main(void *arg)
{
	return arg;
}

/* What an ordinary program does still works under the starter. */
static int starter_positive_checks(void *arg)
{
	int pfd[2], status;
	pthread_t t;
	void *out = NULL;
	pid_t pid;
	char c;
	(void)arg;

	CHECK(syscall(SYS_getpid) == getpid());
	CHECK(pipe(pfd) == 0);
	CHECK(write(pfd[1], "x", 1) == 1);
	CHECK(read(pfd[0], &c, 1) == 1 && c == 'x');
	/* threads: glibc tries clone3 (ENOSYS) and falls back to clone */
	CHECK(pthread_create(&t, NULL, thread_main, &c) == 0);
	CHECK(pthread_join(t, &out) == 0 && out == &c);
	/* processes: fork, exec */
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", "exit 7", (char *)NULL);
		_exit(99);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7);
	return 0;
}

static int starter_i386_checks(void *arg)
{
	const struct seccomp_profile *p = arg;

	/* unshare is 310 on i386 (272 on x86_64): the rule is per arch */
	CHECK(i386_nr("unshare") == 310);
	CHECK(i386_call(310, CLONE_NEWUSER, 0, 0) == -EPERM);
	CHECK(i386_call(i386_nr("mount"), -1, -1, -1) == -EPERM);
	CHECK(i386_call(i386_nr("umount"), -1, -1, -1) == -EPERM);
	CHECK(i386_call(i386_nr("io_uring_setup"), 4, -1, 0) == -EPERM);
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct seccomp_rule *r = &p->rules[i];
		int nr = i386_nr(r->name);
		long rc;
		if (r->n_args != 0 || nr < 0)
			continue;
		rc = i386_call(nr, -1, -1, -1);
		if (rc != -(long)(r->action & 0xffff)) {
			fprintf(stderr, "i386 %s (%d): %ld\n", r->name, nr, rc);
			return 3;
		}
	}
	/* positive control */
	CHECK(i386_call(i386_nr("getpid"), 0, 0, 0) == getpid());
	return 0;
}

static int starter_x32_checks(void *arg)
{
	const struct seccomp_profile *p = arg;
	(void)p;

	/* x32 numbers are x86_64's with bit 30 set; the filter answers
	 * before the kernel looks (which may well lack x32: ENOSYS). */
	CHECK(seccomp_syscall_resolve_name_arch(SCMP_ARCH_X32, "unshare") ==
	      (X32_BIT | SYS_unshare));
	errno = 0;
	CHECK(syscall(X32_BIT | SYS_unshare, CLONE_NEWUSER) == -1 &&
	      errno == EPERM);
	CHECK(syscall(X32_BIT | SYS_mount, -1L, -1L, -1L, -1L, -1L) == -1 &&
	      errno == EPERM);
	CHECK(syscall(X32_BIT | SYS_io_uring_setup, 4, NULL) == -1 &&
	      errno == EPERM);
	return 0;
}

static void test_starter_enforced(void **state)
{
	struct seccomp_profile *p = seccomp_profile_starter();
	scmp_filter_ctx ctx;
	(void)state;

	assert_non_null(p);
	ctx = compile_or_fail(p);
	expect_clean_exit(run_confined(ctx, starter_named_checks, NULL));
	expect_clean_exit(run_confined(ctx, starter_native_checks, p));
	expect_clean_exit(run_confined(ctx, starter_positive_checks, NULL));
	if (seccomp_arch_native() == SCMP_ARCH_X86_64) {
		if (have_i386())
			expect_clean_exit(
			    run_confined(ctx, starter_i386_checks, p));
		expect_clean_exit(run_confined(ctx, starter_x32_checks, p));
	}
	seccomp_release(ctx);
	seccomp_profile_free(p);
}

static void test_starter_summary(void **state)
{
	struct seccomp_profile *p = seccomp_profile_starter();
	struct seccomp_summary s;
	(void)state;

	seccomp_profile_summarize(p, &s);
	assert_int_equal(s.n, SECCOMP_SUMMARY_ATTRS);
	assert_string_equal(s.attr[0].key, "profile");
	assert_string_equal(s.attr[0].value, "starter");
	assert_string_equal(s.attr[1].value, "embedded");
	assert_string_equal(s.attr[2].key, "default_action");
	assert_string_equal(s.attr[2].value, "SCMP_ACT_ALLOW");
	assert_int_equal(atoi(s.attr[3].value), (int)p->n_rules);
	assert_string_equal(s.attr[4].key, "arches");
	if (seccomp_arch_native() == SCMP_ARCH_X86_64)
		assert_string_equal(s.attr[4].value, "x86_64,x86,x32");
	assert_string_equal(s.attr[5].value, "SCMP_ACT_KILL_PROCESS");
	seccomp_profile_free(p);
}

/* ---- JSON: refusals ----------------------------------------------- */

static const struct {
	const char *json;
	const char *message;
} malformed[] = {
    {"", "t.json:1:0: "},
    {"{} x", "t.json:1:4: end of file expected"},
    {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"defaultAction\":"
     "\"SCMP_ACT_ALLOW\"}",
     "duplicate object key"},
    {"[]", "t.json: a seccomp profile is a JSON object, not an array"},
    {"{}", "t.json: defaultAction is required"},
    {"{\"defaultAction\":\"SCMP_ACT_BOGUS\"}",
     "t.json: defaultAction \"SCMP_ACT_BOGUS\" is not a seccomp action"},
    {"{\"defaultAction\":1}",
     "t.json: defaultAction must be a string, not an integer"},
    {"{\"defaultAction\":\"SCMP_ACT_NOTIFY\"}",
     "t.json: defaultAction SCMP_ACT_NOTIFY is not supported"},
    {"{\"defaultAction\":\"SCMP_ACT_TRACE\"}",
     "t.json: defaultAction SCMP_ACT_TRACE is not supported"},
    {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"defaultErrnoRet\":1}",
     "t.json: defaultErrnoRet applies to SCMP_ACT_ERRNO only"},
    {"{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":5000}",
     "t.json: defaultErrnoRet 5000 is out of range 0..4095"},
    {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"bogus\":1}",
     "t.json: unknown field \"bogus\""},
    {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/x\"}",
     "t.json: listenerPath is not supported"},
    {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":"
     "[\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"]}",
     "t.json: flags[0]: SECCOMP_FILTER_FLAG_SPEC_ALLOW is refused"},
    {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":"
     "[\"SCMP_ARCH_PDP11\"]}",
     "t.json: architectures[0]: \"SCMP_ARCH_PDP11\" is not an "
     "architecture libseccomp knows"},
    {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":"
     "[\"SCMP_ARCH_X86\"],\"archMap\":[{\"architecture\":"
     "\"SCMP_ARCH_X86_64\"}]}",
     "t.json: has both architectures and archMap"},
    {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"archMap\":[{\"architecture\":"
     "\"SCMP_ARCH_X86_64\",\"subArchitectures\":[\"SCMP_ARCH_X87\"]}]}",
     "t.json: archMap[0].subArchitectures[0]: \"SCMP_ARCH_X87\" is not an "
     "architecture libseccomp knows"},
    {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":{}}",
     "t.json: syscalls must be an array, not an object"},
    {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[\"mount\"]}",
     "t.json: syscalls[0]: must be an object, not a string"},
    {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
     "[\"mount\",\"foo\"],\"action\":\"SCMP_ACT_ERRNO\"}]}",
     "t.json: syscalls[0].names[1]: \"foo\" is not a known syscall"},
    {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
     "[\"mount\"],\"action\":\"SCMP_ACT_ERRNO\"},{\"names\":[\"read\","
     "\"write\",\"close\",\"mseal_typo\"],\"action\":\"SCMP_ACT_LOG\"}]}",
     "t.json: syscalls[1].names[3]: \"mseal_typo\" is not a known "
     "syscall"},
    {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"name\":"
     "\"foo\",\"action\":\"SCMP_ACT_ERRNO\"}]}",
     "t.json: syscalls[0].name: \"foo\" is not a known syscall"},
    {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[1],"
     "\"action\":\"SCMP_ACT_ERRNO\"}]}",
     "t.json: syscalls[0].names[0]: must be a string, not an integer"},
    {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[],"
     "\"action\":\"SCMP_ACT_ERRNO\"}]}",
     "t.json: syscalls[0]: names must be a non-empty array"},
    {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"name\":"
     "\"mount\",\"names\":[\"mount\"],\"action\":\"SCMP_ACT_ERRNO\"}]}",
     "t.json: syscalls[0]: has both name and names"},
    {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
     "[\"mount\"]}]}",
     "t.json: syscalls[0]: action is required"},
    {"{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":"
     "[\"read\"],\"action\":\"SCMP_ACT_ALLOW\",\"errnoRet\":1}]}",
     "t.json: syscalls[0]: errnoRet applies to SCMP_ACT_ERRNO only"},
    {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
     "[\"mount\"],\"action\":\"SCMP_ACT_ERRNO\",\"why\":\"x\"}]}",
     "t.json: syscalls[0]: unknown field \"why\""},
    {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
     "[\"personality\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":"
     "6,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}",
     "t.json: syscalls[0].args[0]: index 6 is out of range 0..5"},
    {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
     "[\"personality\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":"
     "0,\"value\":1,\"op\":\"SCMP_CMP_XX\"}]}]}",
     "t.json: syscalls[0].args[0]: op \"SCMP_CMP_XX\" is not a comparison"},
    {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
     "[\"personality\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":"
     "0,\"value\":-1,\"op\":\"SCMP_CMP_EQ\"}]}]}",
     "t.json: syscalls[0].args[0]: value -1 is out of range"},
    {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
     "[\"personality\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":"
     "0,\"value\":1.5,\"op\":\"SCMP_CMP_EQ\"}]}]}",
     "t.json: syscalls[0].args[0]: value must be an integer, not a number "
     "with a fraction"},
    {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
     "[\"personality\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":"
     "0,\"value\":18446744073709551615,\"op\":\"SCMP_CMP_EQ\"}]}]}",
     "t.json:1:"},
    {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
     "[\"personality\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":"
     "0,\"op\":\"SCMP_CMP_EQ\"}]}]}",
     "t.json: syscalls[0].args[0]: value is required"},
    {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
     "[\"personality\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":"
     "0,\"value\":1,\"op\":\"SCMP_CMP_GT\"},{\"index\":0,\"value\":5,"
     "\"op\":\"SCMP_CMP_LT\"}]}]}",
     "t.json: syscalls[0].args[1]: argument 0 is already tested"},
    {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
     "[\"mount\"],\"action\":\"SCMP_ACT_ERRNO\",\"includes\":{\"caps\":"
     "[\"CAP_SYS_ADMN\"]}}]}",
     "t.json: syscalls[0].includes.caps[0]: \"CAP_SYS_ADMN\" is not a "
     "capability"},
    {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
     "[\"mount\"],\"action\":\"SCMP_ACT_ERRNO\",\"includes\":{\"caps\":"
     "[\"cap_sys_admin\"]}}]}",
     "t.json: syscalls[0].includes.caps[0]: \"cap_sys_admin\" is not a "
     "capability"},
    {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
     "[\"mount\"],\"action\":\"SCMP_ACT_ERRNO\",\"excludes\":{\"arches\":"
     "[\"amd46\"]}}]}",
     "t.json: syscalls[0].excludes.arches[0]: \"amd46\" is not an "
     "architecture name"},
    {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
     "[\"mount\"],\"action\":\"SCMP_ACT_ERRNO\",\"includes\":{\"minKernel\":"
     "\"four\"}}]}",
     "t.json: syscalls[0].includes.minKernel: must be a kernel version"},
    {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
     "[\"mount\"],\"action\":\"SCMP_ACT_ERRNO\",\"excludes\":{\"kernel\":"
     "\"4.8\"}}]}",
     "t.json: syscalls[0].excludes: unknown field \"kernel\""},
    {"{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":"
     "[\"mount\"],\"action\":\"SCMP_ACT_ALLOW\"},{\"names\":[\"read\","
     "\"mount\"],\"action\":\"SCMP_ACT_KILL_PROCESS\"}]}",
     "t.json: syscalls[0].names[0]: \"mount\" is SCMP_ACT_ALLOW without "
     "conditions, but syscalls[1].names[1] makes it SCMP_ACT_KILL_PROCESS"},
};

static void test_json_malformed(void **state)
{
	struct seccomp_host h = host(0);
	(void)state;

	for (size_t i = 0; i < N(malformed); i++) {
		char err[512] = "";
		struct seccomp_profile *p = seccomp_profile_parse_json(
		    malformed[i].json, strlen(malformed[i].json), "t.json", &h,
		    err, sizeof(err));
		if (p != NULL)
			fail_msg("malformed[%zu] accepted: %s", i,
			         malformed[i].json);
		if (strstr(err, malformed[i].message) == NULL)
			fail_msg("malformed[%zu]: want \"%s\" in \"%s\"", i,
			         malformed[i].message, err);
	}
}

/* ---- JSON: what is accepted, and enforced ------------------------- */

static int personality_checks(void *arg)
{
	(void)arg;
	/* 0xffffffff only queries the persona; it is the one denied */
	CHECK(personality(0xffffffff) == -1 && errno == EPERM);
	CHECK(personality(PER_LINUX) == 0 || errno == 0);
	CHECK(personality(PER_LINUX) != -1);
	return 0;
}

static void test_json_args_rule(void **state)
{
	struct seccomp_host h = host(0);
	struct seccomp_profile *p = parse_or_fail(
	    "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{"
	    "\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ERRNO\","
	    "\"args\": [{\"index\": 0, \"value\": 4294967295,"
	    " \"op\": \"SCMP_CMP_EQ\"}]}]}",
	    &h);
	scmp_filter_ctx ctx = compile_or_fail(p);
	(void)state;

	assert_int_equal(p->n_rules, 1);
	assert_int_equal(p->rules[0].action, SCMP_ACT_ERRNO(EPERM));
	expect_clean_exit(run_confined(ctx, personality_checks, NULL));
	seccomp_release(ctx);
	seccomp_profile_free(p);
}

static int masked_checks(void *arg)
{
	(void)arg;
	/* deny umask when (mask & 0700) == 0700: 0777 and 0700 refused,
	 * 022 allowed */
	CHECK(syscall(SYS_umask, 0777) == -1 && errno == EACCES);
	CHECK(syscall(SYS_umask, 0700) == -1 && errno == EACCES);
	CHECK(syscall(SYS_umask, 022) != -1);
	return 0;
}

static void test_json_masked_eq(void **state)
{
	struct seccomp_host h = host(0);
	struct seccomp_profile *p = parse_or_fail(
	    "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{"
	    "\"names\": [\"umask\"], \"action\": \"SCMP_ACT_ERRNO\","
	    "\"errnoRet\": 13, \"args\": [{\"index\": 0, \"value\": 448,"
	    " \"valueTwo\": 448, \"op\": \"SCMP_CMP_MASKED_EQ\"}]}]}",
	    &h);
	scmp_filter_ctx ctx = compile_or_fail(p);
	(void)state;

	expect_clean_exit(run_confined(ctx, masked_checks, NULL));
	seccomp_release(ctx);
	seccomp_profile_free(p);
}

/* socketcall: a rule written for connect also stops a 32-bit connect,
 * by the direct i386 call (362) and by socketcall(SYS_CONNECT). */
static int socketcall_checks(void *arg)
{
	(void)arg;
	CHECK(connect(-1, NULL, 0) == -1 && errno == EPERM);
	/* libseccomp names i386 connect by its socketcall pseudo number;
	 * the direct call (since Linux 4.3) is 362 */
	CHECK(i386_nr("connect") < 0);
	CHECK(i386_call(362, -1, 0, 0) == -EPERM);
	CHECK(i386_call(i386_nr("socketcall"), 3 /* SYS_CONNECT */, 0, 0) ==
	      -EPERM);
	/* positive control: socketcall(SYS_SOCKET) reaches the kernel,
	 * which cannot read the (null) argument block */
	CHECK(i386_call(i386_nr("socketcall"), 1 /* SYS_SOCKET */, 0, 0) ==
	      -EFAULT);
	return 0;
}

static void test_json_socketcall(void **state)
{
	struct seccomp_host h = host(0);
	struct seccomp_profile *p;
	scmp_filter_ctx ctx;
	(void)state;

	if (seccomp_arch_native() != SCMP_ARCH_X86_64 || !have_i386())
		skip();
	p = parse_or_fail(
	    "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": "
	    "[\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"],"
	    "\"syscalls\": [{\"names\": [\"connect\"], "
	    "\"action\": \"SCMP_ACT_ERRNO\"}]}",
	    &h);
	ctx = compile_or_fail(p);
	expect_clean_exit(run_confined(ctx, socketcall_checks, NULL));
	seccomp_release(ctx);
	seccomp_profile_free(p);
}

static int badarch_check(void *arg)
{
	(void)arg;
	i386_call(i386_nr("getpid"), 0, 0, 0);
	return 1; /* not reached: killed */
}

static int badarch_x32_check(void *arg)
{
	(void)arg;
	syscall(X32_BIT | SYS_getpid);
	return 1;
}

/* A profile that lists only x86_64: the other ABIs are killed. */
static void test_json_unlisted_arch_killed(void **state)
{
	struct seccomp_host h = host(0);
	struct seccomp_profile *p;
	scmp_filter_ctx ctx;
	int status;
	(void)state;

	if (seccomp_arch_native() != SCMP_ARCH_X86_64)
		skip();
	p = parse_or_fail("{\"defaultAction\": \"SCMP_ACT_ALLOW\", "
	                  "\"architectures\": [\"SCMP_ARCH_X86_64\"]}",
	                  &h);
	assert_int_equal(p->n_arches, 0);
	ctx = compile_or_fail(p);
	if (have_i386()) {
		status = run_confined(ctx, badarch_check, NULL);
		assert_true(WIFSIGNALED(status));
		assert_int_equal(WTERMSIG(status), SIGSYS);
	}
	status = run_confined(ctx, badarch_x32_check, NULL);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
	seccomp_release(ctx);
	seccomp_profile_free(p);
}

/* includes/excludes as Docker evaluates them. */
static void test_json_includes_excludes(void **state)
{
	static const char json[] =
	    "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": ["
	    "{\"names\": [\"mount\"], \"action\": \"SCMP_ACT_ALLOW\","
	    " \"includes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}},"
	    "{\"names\": [\"reboot\"], \"action\": \"SCMP_ACT_ALLOW\","
	    " \"includes\": {\"caps\": [\"CAP_SYS_ADMIN\", \"CAP_SYS_BOOT\"]}},"
	    "{\"names\": [\"clone3\"], \"action\": \"SCMP_ACT_ERRNO\","
	    " \"errnoRet\": 38, \"excludes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}},"
	    "{\"names\": [\"arch_prctl\"], \"action\": \"SCMP_ACT_ALLOW\","
	    " \"includes\": {\"arches\": [\"amd64\", \"x32\"]}},"
	    "{\"names\": [\"set_tls\"], \"action\": \"SCMP_ACT_ALLOW\","
	    " \"includes\": {\"arches\": [\"arm\", \"arm64\"]}},"
	    "{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\","
	    " \"includes\": {\"minKernel\": \"4.8\"}},"
	    "{\"names\": [\"write\"], \"action\": \"SCMP_ACT_ALLOW\","
	    " \"includes\": {\"minKernel\": \"999.0\"}},"
	    "{\"names\": [\"close\"], \"action\": \"SCMP_ACT_ALLOW\","
	    " \"excludes\": {\"minKernel\": \"4.8\"}},"
	    "{\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_ALLOW\","
	    " \"excludes\": {\"arches\": [\"amd64\"]}},"
	    "{\"names\": [\"getppid\"], \"action\": \"SCMP_ACT_ERRNO\"}"
	    "]}";
	struct seccomp_host none = host(0);
	struct seccomp_host admin = host(1ULL << 21 /* CAP_SYS_ADMIN */);
	struct seccomp_profile *p;
	(void)state;

	if (seccomp_arch_native() != SCMP_ARCH_X86_64)
		skip();
	p = parse_or_fail(json, &none);
	assert_null(find_rule(p, "mount"));
	assert_null(find_rule(p, "reboot"));
	assert_non_null(find_rule(p, "clone3"));
	assert_int_equal(find_rule(p, "clone3")->action, SCMP_ACT_ERRNO(38));
	assert_non_null(find_rule(p, "arch_prctl"));
	assert_null(find_rule(p, "set_tls"));
	assert_non_null(find_rule(p, "read"));
	assert_null(find_rule(p, "write"));
	assert_null(find_rule(p, "close"));
	assert_null(find_rule(p, "getpid"));
	/* same as the default: dropped, counted */
	assert_null(find_rule(p, "getppid"));
	assert_int_equal(p->n_default, 1);
	assert_int_equal(p->n_dropped, 6);
	seccomp_profile_free(p);

	p = parse_or_fail(json, &admin);
	assert_non_null(find_rule(p, "mount"));
	assert_null(find_rule(p, "reboot")); /* needs both caps */
	assert_null(find_rule(p, "clone3"));
	seccomp_profile_free(p);
}

/* A name known on some arch only (chown32: i386) is kept; libseccomp
 * puts it where it exists. */
static int chown32_checks(void *arg)
{
	(void)arg;
	CHECK(i386_call(i386_nr("chown32"), 0, -1, -1) == -EPERM);
	/* the native chown is untouched (EFAULT: null path) */
	CHECK(syscall(SYS_chown, NULL, -1, -1) == -1 && errno == EFAULT);
	return 0;
}

static void test_json_arch_specific_name(void **state)
{
	struct seccomp_host h = host(0);
	struct seccomp_profile *p;
	scmp_filter_ctx ctx;
	(void)state;

	if (seccomp_arch_native() != SCMP_ARCH_X86_64)
		skip();
	p = parse_or_fail(
	    "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": "
	    "[\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"],"
	    "\"syscalls\": [{\"names\": [\"chown32\", \"set_tls\"], "
	    "\"action\": \"SCMP_ACT_ERRNO\"}]}",
	    &h);
	assert_true(p->rules[0].nr < 0); /* pseudo number natively */
	ctx = compile_or_fail(p);
	if (have_i386())
		expect_clean_exit(run_confined(ctx, chown32_checks, NULL));
	seccomp_release(ctx);
	seccomp_profile_free(p);
}

/* ---- Docker's own default profile ---------------------------------- */

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		fail_msg("%s: %s", path, strerror(errno));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static int docker_checks(void *arg)
{
	int pfd[2], status;
	pthread_t t;
	void *out = NULL;
	pid_t pid;
	char c;
	(void)arg;

	/* denied: the default (ERRNO 1 = EPERM) */
	CHECK(unshare(CLONE_NEWUSER) == -1 && errno == EPERM);
	CHECK(mount("none", "/tmp", "tmpfs", 0, NULL) == -1 && errno == EPERM);
	CHECK(syscall(SYS_kexec_load, -1L, -1L, -1L, -1L) == -1 &&
	      errno == EPERM);
	CHECK(syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0) == -1 &&
	      errno == EPERM);
	CHECK(syscall(SYS_clone3, NULL, 0) == -1 && errno == ENOSYS);
	/* personality: only the listed personas */
	CHECK(personality(0x0008) != -1);
	CHECK(personality(0x0400000) == -1 && errno == EPERM);
	CHECK(personality(PER_LINUX) != -1);
	/* a normal program works: pipes, threads, fork, exec */
	CHECK(pipe(pfd) == 0 && write(pfd[1], "y", 1) == 1);
	CHECK(read(pfd[0], &c, 1) == 1 && c == 'y');
	CHECK(pthread_create(&t, NULL, thread_main, &c) == 0);
	CHECK(pthread_join(t, &out) == 0 && out == &c);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c",
		      "x=$(echo hello); [ \"$x\" = hello ] && exit 5",
		      (char *)NULL);
		_exit(99);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 5);
	return 0;
}

static int docker_compat_checks(void *arg)
{
	(void)arg;
	if (have_i386()) {
		CHECK(i386_call(310 /* unshare */, CLONE_NEWUSER, 0, 0) ==
		      -EPERM);
		CHECK(i386_call(i386_nr("getpid"), 0, 0, 0) == getpid());
	}
	CHECK(syscall(X32_BIT | SYS_unshare, CLONE_NEWUSER) == -1 &&
	      errno == EPERM);
	return 0;
}

static void test_docker_default(void **state)
{
	struct seccomp_host h = host(docker_caps);
	struct seccomp_profile *p;
	struct seccomp_summary s;
	scmp_filter_ctx ctx;
	size_t len;
	char *text = slurp(docker_path, &len), err[512];
	(void)state;

	p = seccomp_profile_parse_json(text, len, docker_path, &h, err,
	                               sizeof(err));
	if (p == NULL)
		fail_msg("%s", err);
	assert_int_equal(p->default_action, SCMP_ACT_ERRNO(1));
	assert_null(find_rule(p, "mount"));
	/* minKernel 4.8: every kernel we run on */
	assert_non_null(find_rule(p, "ptrace"));
	assert_non_null(find_rule(p, "read"));
	assert_non_null(find_rule(p, "clone3"));
	if (seccomp_arch_native() == SCMP_ARCH_X86_64) {
		assert_int_equal(p->n_arches, 2);
		seccomp_profile_summarize(p, &s);
		assert_string_equal(s.attr[4].value, "x86_64,x86,x32");
		assert_string_equal(s.attr[0].value,
		                    "docker-seccomp-default.json");
	}
	ctx = compile_or_fail(p);
	expect_clean_exit(run_confined(ctx, docker_checks, NULL));
	if (seccomp_arch_native() == SCMP_ARCH_X86_64)
		expect_clean_exit(
		    run_confined(ctx, docker_compat_checks, NULL));
	seccomp_release(ctx);
	seccomp_profile_free(p);

	/* With CAP_SYS_ADMIN the profile allows mount, as in Docker. */
	h.caps |= 1ULL << 21;
	p = seccomp_profile_parse_json(text, len, docker_path, &h, err,
	                               sizeof(err));
	if (p == NULL)
		fail_msg("%s", err);
	assert_non_null(find_rule(p, "mount"));
	seccomp_profile_free(p);
	free(text);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_starter_lists_required),
	    cmocka_unit_test(test_starter_enforced),
	    cmocka_unit_test(test_starter_summary),
	    cmocka_unit_test(test_json_malformed),
	    cmocka_unit_test(test_json_args_rule),
	    cmocka_unit_test(test_json_masked_eq),
	    cmocka_unit_test(test_json_socketcall),
	    cmocka_unit_test(test_json_unlisted_arch_killed),
	    cmocka_unit_test(test_json_includes_excludes),
	    cmocka_unit_test(test_json_arch_specific_name),
	    cmocka_unit_test(test_docker_default),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: %s docker-seccomp-default.json\n",
		        argv[0]);
		return 2;
	}
	docker_path = argv[1];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
