/* walwriter's confinement. By the time this runs, the LMDB files are open
 * and the rep socket listens, so the process needs no new paths, no new
 * sockets other than accepted AF_UNIX ones, and never a new process:
 * no execve, fork or AF_INET below; open/openat get EACCES (confine.c),
 * so the only files walwriter can write are the LMDB ones it holds. */
#include "sandbox.h"

#include <malloc.h>
#include <sys/prctl.h>

#include "confine.h"
#include "log.h"
#include "wal.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const walwriter_syscalls[] = {
    /* LMDB commits: page writes, then the data sync that makes an append
     * durable (fdatasync; fsync/msync in LMDB's fallback paths). */
    "pwrite64",
    "pwritev",
    "fdatasync",
    "fsync",
    "msync",
    /* nng's ipc listener takes connections with accept(2), not accept4 */
    "accept",
    /* origin check: is the peer our parent (the supervisor)? */
    "getppid",
    /* main thread sleeps in sigwait() until the supervisor's SIGTERM */
    "rt_sigtimedwait",
};

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
/* Sanitizer builds (CI's ASan/UBSan unit runs) only: what the sanitizer
 * runtime itself calls inside a confined process. Never in release. */
static const char *const sanitizer_syscalls[] = {
    "sched_getaffinity",
};
#endif

int walwriter_confine(void)
{
	/* FSIZE bounds what a runaway writer can fill: the map size. The
	 * fds: LMDB's three, nng's pipes, and a handful of peers. */
	struct confine_limits lim = {.nofile = 256,
	                             .fsize = (rlim_t)WAL_MAP_SIZE};
	scmp_filter_ctx ctx;

	/* glibc sizes its malloc arena count from /sys/.../cpu/online the
	 * first time a thread needs a new arena: an openat we do not allow.
	 * A fixed limit means it never asks. (Sanitizer allocators refuse
	 * mallopt and never ask either.) */
	if (mallopt(M_ARENA_MAX, 4) != 1)
		log_debug("mallopt(M_ARENA_MAX) refused");
	if (confine_no_new_privs() < 0 || confine_drop_caps() < 0 ||
	    confine_rlimits(&lim) < 0)
		return -1;
	if ((ctx = confine_seccomp_new()) == NULL)
		return -1;
	if (confine_seccomp_nng_base(ctx) < 0 ||
	    confine_seccomp_allow(ctx, walwriter_syscalls,
	                          N(walwriter_syscalls)) < 0) {
		seccomp_release(ctx);
		return -1;
	}
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
	if (confine_seccomp_allow(ctx, sanitizer_syscalls,
	                          N(sanitizer_syscalls)) < 0) {
		seccomp_release(ctx);
		return -1;
	}
#endif
	/* nng names the threads it starts lazily; no other prctl. */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
	                     SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME, 0)) != 0) {
		seccomp_release(ctx);
		return -1;
	}
	return confine_seccomp_load(ctx);
}
