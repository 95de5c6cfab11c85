/* policyd's confinement. Once its sockets exist policyd only computes:
 * it decides, hashes, echoes and talks nng over AF_UNIX. So it drops
 * every capability, may not create or open files (FSIZE 0; open/openat
 * fail with EACCES in the base filter), may not exec or fork, and may
 * not open a non-unix socket.
 *
 * The seccomp allow-list is confine_seccomp_nng_base() (descriptor I/O,
 * memory without PROT_EXEC, threads but not processes, AF_UNIX sockets,
 * time, getrandom) plus the groups below, each with why:
 *
 *   group         calls                 why
 *   listener      accept                nng 1.5's ipc listener takes
 *                                       toolsrv's connection with
 *                                       accept(2), not accept4(2)
 *   threads       prctl(PR_SET_NAME)    nng starts (and names) threads
 *                 sched_getaffinity     lazily, after confinement; in
 *                                       them pthread_getattr_np (ASan,
 *                                       UBSan runtimes) reads our own
 *                                       CPU mask
 *
 * Everything else kills the process (SCMP_ACT_KILL_PROCESS): a policyd
 * that tries anything new is compromised, and the supervisor fails
 * closed when it dies. Before the filter, main() warms up what would
 * open files lazily (jansson's hash seed, OpenSSL's SHA-256). */
#include "sandbox.h"

#include <sys/prctl.h>

#include "confine.h"
#include "log.h"

/* Few descriptors: the listener, its connections, the walwriter dial,
 * nng's pollers. */
#define POLICYD_NOFILE 256

int policyd_sandbox(void)
{
	static const char *const extra[] = {"accept", "sched_getaffinity"};
	struct confine_limits lim = {.nofile = POLICYD_NOFILE, .fsize = 0};
	scmp_filter_ctx ctx;

	if (confine_no_new_privs() < 0 || confine_drop_caps() < 0 ||
	    confine_rlimits(&lim) < 0)
		return -1;
	if ((ctx = confine_seccomp_new()) == NULL)
		return -1;
	if (confine_seccomp_nng_base(ctx) < 0 ||
	    confine_seccomp_allow(ctx, extra, sizeof(extra) / sizeof(*extra)) <
	        0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
	                     SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME, 0)) != 0) {
		log_warnx("policyd: cannot build the seccomp filter");
		seccomp_release(ctx);
		return -1;
	}
	return confine_seccomp_load(ctx);
}
