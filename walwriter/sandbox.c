/* walwriter's confinement. By the time this runs, the LMDB files are open
 * and the rep socket listens, so the process needs no new paths, no new
 * sockets other than accepted AF_UNIX ones, and never a new process:
 * no execve, fork or AF_INET below; open/openat get EACCES (confine.c),
 * so the only files walwriter can write are the LMDB ones it holds. */
#include "sandbox.h"

#include <malloc.h>

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
    /* origin check: is the peer our parent (the supervisor)? */
    "getppid",
    /* main thread sleeps in sigwait() until the supervisor's SIGTERM */
    "rt_sigtimedwait",
};

int walwriter_confine(void)
{
	/* FSIZE bounds what a runaway writer can fill: the map size. The
	 * fds: LMDB's three, nng's pipes, and a handful of peers. */
	struct confine_limits lim = {.nofile = 256,
	                             .fsize = (rlim_t)WAL_MAP_SIZE};
	scmp_filter_ctx ctx;

	/* A fixed malloc arena count: glibc then never sizes it from
	 * /sys/.../cpu/online (refused with EACCES once confined) in the
	 * threads nng starts later. Sanitizer allocators refuse mallopt. */
	if (mallopt(M_ARENA_MAX, 4) != 1)
		log_debug("mallopt(M_ARENA_MAX) refused");
	if ((ctx = confine_helper_begin(&lim, walwriter_syscalls,
	                                N(walwriter_syscalls))) == NULL)
		return -1;
	return confine_seccomp_load(ctx);
}
