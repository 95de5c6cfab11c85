#include "confine.h"

#include <cap-ng.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

int confine_no_new_privs(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		log_warn("prctl(PR_SET_NO_NEW_PRIVS)");
		return -1;
	}
	return 0;
}

int confine_drop_caps(void)
{
	if (capng_get_caps_process() < 0) {
		log_warnx("capng_get_caps_process failed");
		return -1;
	}
	if (capng_have_capabilities(CAPNG_SELECT_BOTH) == CAPNG_NONE)
		return 0;
	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_apply(CAPNG_SELECT_BOTH) < 0) {
		log_warnx("cannot drop capabilities");
		return -1;
	}
	return 0;
}

static int set_limit(int res, rlim_t v, const char *name)
{
	struct rlimit rl = {v, v};

	if (v == CONFINE_KEEP)
		return 0;
	if (setrlimit(res, &rl) < 0) {
		log_warn("setrlimit(%s)", name);
		return -1;
	}
	return 0;
}

int confine_rlimits(const struct confine_limits *lim)
{
	if (set_limit(RLIMIT_CORE, 0, "CORE") < 0 ||
	    set_limit(RLIMIT_NOFILE, lim->nofile, "NOFILE") < 0 ||
	    set_limit(RLIMIT_FSIZE, lim->fsize, "FSIZE") < 0)
		return -1;
	return 0;
}

#ifdef AUTONOMY_TEST_HOOKS
static void sigsys_report(int sig, siginfo_t *si, void *uc)
{
	char msg[128];
	const char *name;
	(void)sig;
	(void)uc;
	/* Debug only: resolving a name is not async-signal-safe, but the
	 * process is about to die anyway. */
	name =
	    seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, si->si_syscall);
	snprintf(msg, sizeof(msg), "autonomy[%s]: seccomp refused %s (%d)\n",
	         log_procname(), name ? name : "?", si->si_syscall);
	(void)!write(2, msg, strlen(msg));
	_exit(159);
}
#endif

scmp_filter_ctx confine_seccomp_new(void)
{
	uint32_t action = SCMP_ACT_KILL_PROCESS;
	scmp_filter_ctx ctx;

#ifdef AUTONOMY_TEST_HOOKS
	const char *trap = getenv("AUTONOMY_SECCOMP_TRAP");
	if (trap != NULL && strcmp(trap, "1") == 0) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = sigsys_report;
		sa.sa_flags = SA_SIGINFO;
		sigaction(SIGSYS, &sa, NULL);
		action = SCMP_ACT_TRAP;
	}
#endif
	if ((ctx = seccomp_init(action)) == NULL) {
		log_warnx("seccomp_init failed");
		return NULL;
	}
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) != 0 ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	                     SCMP_ACT_KILL_PROCESS) != 0) {
		log_warnx("seccomp attributes refused");
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}

int confine_seccomp_allow(scmp_filter_ctx ctx, const char *const *names,
                          size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int nr = seccomp_syscall_resolve_name(names[i]);
		int rc;
		if (nr == __NR_SCMP_ERROR) {
			log_warnx("seccomp: unknown syscall %s", names[i]);
			return -1;
		}
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0)) != 0) {
			log_warnx("seccomp: cannot allow %s: %s", names[i],
			          strerror(-rc));
			return -1;
		}
	}
	return 0;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

int confine_seccomp_nng_base(scmp_filter_ctx ctx)
{
	static const char *const base[] = {
	    /* I/O on descriptors we already hold */
	    "read", "write", "readv", "writev", "close", "fcntl", "lseek",
	    "fstat", "newfstatat", "pread64",
	    /* memory (mmap/mprotect: see the PROT_EXEC rules below) */
	    "brk", "munmap", "mremap", "madvise",
	    /* threads and their synchronisation */
	    "futex", "set_robust_list", "rseq", "sched_yield", "gettid",
	    "getpid", "rt_sigprocmask", "rt_sigreturn", "restart_syscall",
	    "sigaltstack", "exit", "exit_group",
	    /* nng's event loop */
	    "epoll_wait", "epoll_pwait", "epoll_ctl", "poll", "ppoll",
	    "eventfd2", "pipe2",
	    /* AF_UNIX traffic (socket() itself: AF_UNIX only, below) */
	    "connect", "accept", "accept4", "sendmsg", "recvmsg", "sendto",
	    "recvfrom", "getsockopt", "setsockopt", "getsockname",
	    "getpeername", "shutdown",
	    /* time and randomness */
	    "clock_gettime", "clock_nanosleep", "nanosleep", "gettimeofday",
	    "getrandom",
	    /* glibc: thread stacks and malloc arenas size themselves by the CPU
	     * mask (its /sys fallback is refused with EACCES, below) */
	    "sched_getaffinity"};
	int rc = 0;

	if (confine_seccomp_allow(ctx, base, N(base)) < 0)
		return -1;
	/* No new executable memory: an exploited helper cannot map shellcode
	 * it wrote, only reuse code already mapped. */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
	                       SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
	                       SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	/* nng names the threads it starts; no other prctl. */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
	                       SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME, 0));
	/* Threads yes, processes no. */
	rc |= seccomp_rule_add(
	    ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
	    SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
	rc |=
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	/* No new files after confinement. EACCES rather than a kill because
	 * glibc itself asks: malloc reads /sys/devices/system/cpu/online the
	 * first time a thread needs an arena, and copes with a refusal. */
	rc |=
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat), 0);
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(open), 0);
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
	                       SCMP_A0(SCMP_CMP_EQ, AF_UNIX, 0));
	if (rc != 0) {
		log_warnx("seccomp: cannot add base rules");
		return -1;
	}
	return 0;
}

int confine_seccomp_load(scmp_filter_ctx ctx)
{
	int rc = seccomp_load(ctx);

	seccomp_release(ctx);
	if (rc != 0) {
		log_warnx("seccomp_load: %s", strerror(-rc));
		return -1;
	}
	return 0;
}

scmp_filter_ctx confine_helper_begin(const struct confine_limits *lim,
                                     const char *const *extra, size_t n)
{
	scmp_filter_ctx ctx;

	signal(SIGXFSZ, SIG_IGN);
	if (confine_no_new_privs() < 0 || confine_drop_caps() < 0 ||
	    confine_rlimits(lim) < 0)
		return NULL;
	if ((ctx = confine_seccomp_new()) == NULL)
		return NULL;
	if (confine_seccomp_nng_base(ctx) < 0 ||
	    confine_seccomp_allow(ctx, extra, n) < 0) {
		log_warnx("cannot build the seccomp filter");
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}
