/* The fetcher's confinement. It is the one helper that reaches the
 * network (DESIGN.md §1), and nothing else: once its sockets exist and
 * its CA store, /etc/hosts and /etc/resolv.conf are read (main.c), it
 * drops every capability, may not create or open files (FSIZE 0;
 * open/openat fail with EACCES in the base filter), may not exec or fork.
 *
 * Before this, main() applied its Landlock ruleset (no file at all, its
 * own socket to make, TCP connect only to the allowed domains' ports,
 * no TCP bind); NPROC 0 follows once its workers exist. docs/
 * confinement.md has the reviewer's table.
 *
 * On top of confine_seccomp_nng_base() (descriptor I/O, memory without
 * PROT_EXEC, threads but not processes, AF_UNIX sockets, connect, send/
 * recv, poll/epoll, time, getrandom):
 *   - socket(AF_INET / AF_INET6) of type SOCK_STREAM (the fetch) or
 *     SOCK_DGRAM (the resolver's queries), only when some domain is
 *     allowed: with none, every tool.http_get is refused before any
 *     connection, so the fetcher holds no network right at all. No bind
 *     (not in the list: the fetcher never listens on the network);
 *   - socketpair(AF_UNIX) (libcurl's wake-up pair), sendmmsg (the
 *     resolver sends its A and AAAA queries together), rt_sigtimedwait
 *     (the main thread waits for SIGTERM).
 * Everything else kills the process; the supervisor then fails closed. */
#include "sandbox.h"

#include <sys/resource.h>
#include <sys/socket.h>

#include "confine.h"
#include "log.h"

#define FETCHER_NOFILE 1024

static const char *const fetcher_syscalls[] = {"rt_sigtimedwait", "sendmmsg"};

/* socket()'s type without SOCK_NONBLOCK / SOCK_CLOEXEC */
#define SOCK_TYPE_MASK 0xf

int fetcher_sandbox(int net, int audit_log)
{
	static const int family[] = {AF_INET, AF_INET6};
	static const int type[] = {SOCK_STREAM, SOCK_DGRAM};
	/* The egress audit log is the one file it writes (a descriptor the
	 * supervisor opened; open/openat stay refused), so FSIZE is lifted
	 * only with it. */
	struct confine_limits lim = {.nofile = FETCHER_NOFILE,
	                             .fsize = audit_log ? RLIM_INFINITY : 0};
	scmp_filter_ctx ctx = confine_helper_begin(
	    &lim, fetcher_syscalls,
	    sizeof(fetcher_syscalls) / sizeof(fetcher_syscalls[0]));
	int rc = 0;

	if (ctx == NULL)
		return -1;
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socketpair), 1,
	                       SCMP_A0(SCMP_CMP_EQ, AF_UNIX, 0));
	for (size_t f = 0; net && f < 2; f++)
		for (size_t t = 0; t < 2; t++)
			rc |= seccomp_rule_add(
			    ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 2,
			    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)family[f], 0),
			    SCMP_A1(SCMP_CMP_MASKED_EQ, SOCK_TYPE_MASK,
			            (scmp_datum_t)type[t]));
	if (rc != 0) {
		log_warnx("seccomp: cannot add the fetcher's rules");
		seccomp_release(ctx);
		return -1;
	}
	return confine_seccomp_load(ctx);
}
