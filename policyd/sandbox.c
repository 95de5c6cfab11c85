/* policyd's confinement. Once its sockets exist policyd only computes:
 * it decides, hashes, echoes and talks nng over AF_UNIX. So it drops
 * every capability, may not create or open files (FSIZE 0; open/openat
 * fail with EACCES in the base filter), may not exec or fork, and may
 * not open a non-unix socket.
 *
 * The seccomp allow-list is confine_seccomp_nng_base() (descriptor I/O,
 * memory without PROT_EXEC, threads but not processes, AF_UNIX sockets,
 * time, getrandom, and what nng 1.5 and glibc need in threads started
 * after confinement: accept, prctl(PR_SET_NAME), sched_getaffinity), plus
 * rt_sigtimedwait: the main thread sleeps in sigwait() until the
 * supervisor's SIGTERM. Nothing more.
 *
 * Everything else kills the process (SCMP_ACT_KILL_PROCESS): a policyd
 * that tries anything new is compromised, and the supervisor fails
 * closed when it dies. Before the filter, main() warms up what would
 * open files lazily (jansson's hash seed, glibc's malloc arenas). */
#include "sandbox.h"

#include "confine.h"
#include "log.h"

/* Few descriptors: the listener, its connections, the walwriter dial,
 * nng's pollers. */
#define POLICYD_NOFILE 256

static const char *const policyd_syscalls[] = {"rt_sigtimedwait"};

int policyd_sandbox(void)
{
	struct confine_limits lim = {.nofile = POLICYD_NOFILE, .fsize = 0};
	scmp_filter_ctx ctx = confine_helper_begin(
	    &lim, policyd_syscalls,
	    sizeof(policyd_syscalls) / sizeof(policyd_syscalls[0]));

	if (ctx == NULL)
		return -1;
	return confine_seccomp_load(ctx);
}
