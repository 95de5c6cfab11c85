/* mavproxy's confinement. It holds the autopilot link (DESIGN.md §1) and
 * nothing else: once its sockets exist and its settings are read
 * (main.c), it drops every capability, may not create or open files
 * (FSIZE 0; open/openat fail with EACCES in the base filter), may not
 * exec or fork.
 *
 * Before this, main() applied its Landlock ruleset (no file at all, its
 * own socket to make, TCP connect only to the endpoint's port for a tcp
 * link and none otherwise, no TCP bind); NPROC 0 follows once its link
 * thread and workers exist. docs/confinement.md has the reviewer's table.
 *
 * On top of confine_seccomp_nng_base() (descriptor I/O, memory without
 * PROT_EXEC, threads but not processes, AF_UNIX sockets, connect, send/
 * recv, poll/epoll, time, getrandom):
 *   - socket(AF_INET, SOCK_STREAM) for a tcp link, socket(AF_INET,
 *     SOCK_DGRAM) for a udp one, to (re)dial the vehicle; nothing for a
 *     serial link (the supervisor opened the device). No bind;
 *   - rt_sigtimedwait (the main thread waits for SIGTERM).
 * Everything else kills the process; the supervisor then fails closed. */
#include "sandbox.h"

#include <sys/socket.h>

#include "confine.h"
#include "log.h"

#define MAVPROXY_NOFILE 64

static const char *const mavproxy_syscalls[] = {"rt_sigtimedwait"};

/* socket()'s type without SOCK_NONBLOCK / SOCK_CLOEXEC */
#define SOCK_TYPE_MASK 0xf

int mavproxy_sandbox(enum mav_link_kind link)
{
	struct confine_limits lim = {.nofile = MAVPROXY_NOFILE, .fsize = 0};
	scmp_filter_ctx ctx = confine_helper_begin(
	    &lim, mavproxy_syscalls,
	    sizeof(mavproxy_syscalls) / sizeof(mavproxy_syscalls[0]));
	int rc = 0;

	if (ctx == NULL)
		return -1;
	if (link != MAV_LINK_SERIAL)
		rc = seccomp_rule_add(
		    ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 2,
		    SCMP_A0(SCMP_CMP_EQ, AF_INET, 0),
		    SCMP_A1(SCMP_CMP_MASKED_EQ, SOCK_TYPE_MASK,
		            link == MAV_LINK_TCP ? SOCK_STREAM : SOCK_DGRAM));
	if (rc != 0) {
		log_warnx("seccomp: cannot add mavproxy's rules");
		seccomp_release(ctx);
		return -1;
	}
	return confine_seccomp_load(ctx);
}
