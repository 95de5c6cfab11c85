/* toolsrv's confinement. The process that parses untrusted HTTP holds the
 * listener the supervisor bound, its accepted connections, and one
 * connected nng pipe to policyd; it cannot open files, exec, fork, or
 * create any socket at all (so it cannot connect out, nor dial walwriter
 * or the spawner, whose sockets share our uid). */
#include "toolsrv.h"

#include <errno.h>

#include "confine.h"
#include "log.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* On top of confine_seccomp_nng_base (I/O on held fds incl. recvfrom/
 * sendto and accept4 on the inherited listener, memory without
 * PROT_EXEC, threads with prctl(PR_SET_NAME) for MHD's thread names,
 * futexes, poll/epoll, AF_UNIX sockets, time; open/openat get EACCES): */
static const char *const toolsrv_syscalls[] = {
    /* signal dispositions, and the SIGTERM wait in main() */
    "rt_sigaction",
    "rt_sigtimedwait",
    /* libmicrohttpd's event loop, created when it starts (confined) */
    "epoll_create1",
};

/* The nng base list allows socket(AF_UNIX)+connect so a helper can dial;
 * toolsrv has dialed policyd already (main.c waits for the pipe), so a
 * second, stacked filter takes both away. The kernel applies every
 * filter and the strictest verdict wins. EPERM rather than a kill: if
 * policyd goes away nng's redial fails quietly and calls get 503. */
static int forbid_new_sockets(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int rc;

	if (ctx == NULL)
		return -1;
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 0);
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socketpair),
	                       0);
	rc |=
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(connect), 0);
	if (rc != 0) {
		log_warnx("seccomp: cannot build the socket filter");
		seccomp_release(ctx);
		return -1;
	}
	return confine_seccomp_load(ctx);
}

int sandbox_confine(void)
{
	struct confine_limits lim = {
	    /* a socket per connection, nng's pipes and pollers, slack */
	    .nofile = TOOLSRV_MAX_CONNECTIONS + 64,
	    .fsize = 0,
	};
	scmp_filter_ctx ctx =
	    confine_helper_begin(&lim, toolsrv_syscalls, N(toolsrv_syscalls));

	if (ctx == NULL)
		return -1;
	/* The socket filter goes first: once the allow-list is loaded,
	 * seccomp() itself is no longer allowed. */
	if (forbid_new_sockets() < 0) {
		seccomp_release(ctx);
		return -1;
	}
	return confine_seccomp_load(ctx);
}
