#include "confine.h"

#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
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

/* Landlock, by number: Debian 12's kernel headers predate ABI 4. */
#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_RULE_PATH_BENEATH 1
#define LL_RULE_NET_PORT 2
#define LL_FS_WRITE_FILE (1ULL << 1)
#define LL_FS_READ_FILE (1ULL << 2)
#define LL_FS_READ_DIR (1ULL << 3)
#define LL_FS_MAKE_SOCK (1ULL << 9)
#define LL_FS_TRUNCATE (1ULL << 14)
#define LL_NET_BIND_TCP (1ULL << 0)
#define LL_NET_CONNECT_TCP (1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX (1ULL << 0)
#define LL_SCOPE_SIGNAL (1ULL << 1)

struct ll_ruleset_attr { /* struct landlock_ruleset_attr, ABI 6 */
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

struct ll_path_beneath { /* struct landlock_path_beneath_attr */
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

struct ll_net_port { /* struct landlock_net_port_attr */
	uint64_t allowed_access;
	uint64_t port;
};

/* Every file-system right of an ABI: 13 in ABI 1, REFER (2), TRUNCATE
 * (3), IOCTL_DEV (5). */
static uint64_t ll_fs_rights(int abi)
{
	uint64_t r = (1ULL << 13) - 1;

	if (abi >= 2)
		r |= 1ULL << 13;
	if (abi >= 3)
		r |= LL_FS_TRUNCATE;
	if (abi >= 5)
		r |= 1ULL << 15;
	return r;
}

static int ll_allow(int ruleset, const char *dir, uint64_t access)
{
	struct ll_path_beneath pb = {.allowed_access = access};
	int rc;

	if ((pb.parent_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		log_warn("landlock: %s", dir);
		return -1;
	}
	rc = (int)syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH,
	                  &pb, 0);
	if (rc < 0)
		log_warn("landlock: rule on %s", dir);
	close(pb.parent_fd);
	return rc;
}

static int ll_allow_connect(int ruleset, unsigned port)
{
	struct ll_net_port np = {.allowed_access = LL_NET_CONNECT_TCP,
	                         .port = port};

	if (syscall(SYS_landlock_add_rule, ruleset, LL_RULE_NET_PORT, &np, 0) <
	    0) {
		log_warn("landlock: connect rule for port %u", port);
		return -1;
	}
	return 0;
}

int confine_landlock(const char *rw_dir, const char *sock_dir, int *abi)
{
	return confine_landlock_net(rw_dir, sock_dir, NULL, 0, abi);
}

int confine_landlock_net(const char *rw_dir, const char *sock_dir,
                         const unsigned *ports, size_t nports, int *abi)
{
	struct ll_ruleset_attr ra = {0};
	size_t size = sizeof(ra.handled_access_fs);
	uint64_t rw = LL_FS_READ_FILE | LL_FS_WRITE_FILE | LL_FS_READ_DIR;
	int fd, rc;

	*abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0,
	                    LL_CREATE_RULESET_VERSION);
	if (*abi < 1) {
		log_debug("landlock: not in this kernel (%s); seccomp only",
		          strerror(errno));
		*abi = 0;
		return 0;
	}
	ra.handled_access_fs = ll_fs_rights(*abi);
	if (*abi >= 3)
		rw |= LL_FS_TRUNCATE;
	if (*abi >= 4) {
		ra.handled_access_net = LL_NET_BIND_TCP;
		if (nports != CONFINE_ANY_PORT)
			ra.handled_access_net |= LL_NET_CONNECT_TCP;
		size += sizeof(ra.handled_access_net);
	}
	if (*abi >= 6) {
		ra.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
		size += sizeof(ra.scoped);
	}
	if (confine_no_new_privs() < 0)
		return -1;
	if ((fd = (int)syscall(SYS_landlock_create_ruleset, &ra, size, 0)) <
	    0) {
		log_warn("landlock_create_ruleset (ABI %d)", *abi);
		return -1;
	}
	rc = (rw_dir != NULL && ll_allow(fd, rw_dir, rw) < 0) ||
	     (sock_dir != NULL && ll_allow(fd, sock_dir, LL_FS_MAKE_SOCK) < 0);
	for (size_t i = 0;
	     !rc && *abi >= 4 && nports != CONFINE_ANY_PORT && i < nports; i++)
		rc = ll_allow_connect(fd, ports[i]) < 0;
	if (!rc && syscall(SYS_landlock_restrict_self, fd, 0) < 0) {
		log_warn("landlock_restrict_self");
		rc = 1;
	}
	close(fd);
	return rc ? -1 : 0;
}

int confine_no_more_threads(void)
{
	return set_limit(RLIMIT_NPROC, 0, "NPROC");
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
	/* confine_no_more_threads(), called after the filter: only our own
	 * NPROC, which without CAP_SYS_RESOURCE can only go down. */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 2,
	                       SCMP_A0(SCMP_CMP_EQ, 0, 0),
	                       SCMP_A1(SCMP_CMP_EQ, RLIMIT_NPROC, 0));
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
	int rc;

#ifdef AUTONOMY_TEST_HOOKS
	/* Test builds only: leave seccomp out, so a test can show what the
	 * other layers (Landlock, uids, rlimits) stop on their own. */
	const char *off = getenv("AUTONOMY_TEST_NO_SECCOMP");
	if (off != NULL && strcmp(off, "1") == 0) {
		log_warnx("TEST HOOK: seccomp filter not loaded");
		seccomp_release(ctx);
		return 0;
	}
#endif
	rc = seccomp_load(ctx);
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
