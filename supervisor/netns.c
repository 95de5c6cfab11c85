/* The workload's network layer, supervisor side. See netns.h. */
#include "netns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "autonomy.pb-c.h"
#include "log.h"

/* What the namespace child reports: the step that failed (0: none, the
 * listener is attached) and its errno. */
enum ns_step { NS_DONE, NS_UNSHARE, NS_LOOPBACK, NS_LISTEN };
struct ns_report {
	int step;
	int err;
};

static const char *ns_step_name(int step)
{
	switch (step) {
	case NS_UNSHARE:
		return "unshare(CLONE_NEWNET)";
	case NS_LOOPBACK:
		return "bring up lo (SIOCSIFFLAGS IFF_UP)";
	case NS_LISTEN:
		return "listen on 127.0.0.1:0";
	}
	return "?";
}

/* A fresh namespace's lo is down: 127.0.0.1 would not answer. */
static int loopback_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = -1, e;

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, "lo", sizeof("lo"));
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

int netns_loopback_listener(void)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), e;

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 1024) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* The report, with fd attached (SCM_RIGHTS) when there is one. */
static void send_report(int sock, const struct ns_report *rep, int fd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} c;
	struct iovec iov = {(void *)rep, sizeof(*rep)};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *h;

	if (fd >= 0) {
		memset(&c, 0, sizeof(c));
		m.msg_control = c.buf;
		m.msg_controllen = sizeof(c.buf);
		h = CMSG_FIRSTHDR(&m);
		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = SCM_RIGHTS;
		h->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(h), &fd, sizeof(int));
	}
	(void)!sendmsg(sock, &m, MSG_NOSIGNAL);
}

/* The short-lived child: its own network namespace, lo up, the runtime's
 * listener in it, handed back; then it exits, and the listener (and the
 * namespace it pins) lives on in the parent. */
static noreturn void ns_child(int sock)
{
	struct ns_report rep = {NS_UNSHARE, 0};
	int fd = -1;

	if (unshare(CLONE_NEWNET) < 0)
		goto fail;
	rep.step = NS_LOOPBACK;
	if (loopback_up() < 0)
		goto fail;
	rep.step = NS_LISTEN;
	if ((fd = netns_loopback_listener()) < 0)
		goto fail;
	rep.step = NS_DONE;
	send_report(sock, &rep, fd);
	_exit(0);
fail:
	rep.err = errno;
	send_report(sock, &rep, -1);
	_exit(1);
}

/* Reads the child's report and the listener (*fd, -1 if none came).
 * -1 when no whole report arrived. */
static int recv_report(int sock, struct ns_report *rep, int *fd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} c;
	struct iovec iov = {rep, sizeof(*rep)};
	struct msghdr m = {.msg_iov = &iov,
	                   .msg_iovlen = 1,
	                   .msg_control = c.buf,
	                   .msg_controllen = sizeof(c.buf)};
	struct cmsghdr *h;
	ssize_t n;

	*fd = -1;
	do
		n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(*rep) || (m.msg_flags & MSG_CTRUNC))
		return -1;
	h = CMSG_FIRSTHDR(&m);
	if (h != NULL && h->cmsg_level == SOL_SOCKET &&
	    h->cmsg_type == SCM_RIGHTS && h->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(fd, CMSG_DATA(h), sizeof(int));
	return 0;
}

/* Runs ns_child and collects what it made. -1 (err set) when the child
 * could not run or report; else 0 with rep saying how far it got. */
static int run_ns_child(struct ns_report *rep, int *fd, char *err,
                        size_t errlen)
{
	int sp[2], rc, st;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return errorf(err, errlen, "--net none: socketpair: %s",
		              strerror(errno));
	if ((pid = fork()) < 0) {
		rc = errno;
		close(sp[0]);
		close(sp[1]);
		return errorf(err, errlen, "--net none: fork: %s",
		              strerror(rc));
	}
	if (pid == 0) {
		close(sp[0]);
		ns_child(sp[1]);
	}
	close(sp[1]);
	rc = recv_report(sp[0], rep, fd);
	close(sp[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (rc < 0)
		return errorf(err, errlen,
		              "--net none: the namespace child did not report");
	if (rep->step != NS_DONE && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	if (rep->step == NS_DONE && *fd < 0)
		return errorf(err, errlen,
		              "--net none: the namespace child sent no "
		              "listener");
	return 0;
}

/* The namespace as an fd for the spawner, taken from the listener
 * itself (SIOCGSKNS): by construction the namespace the runtime listens
 * in, with no /proc path to trust. */
static int listener_netns(int lfd, char *err, size_t errlen)
{
	int fd = ioctl(lfd, SIOCGSKNS);

	if (fd < 0)
		return errorf(err, errlen,
		              "--net none: cannot take the namespace from its "
		              "listener (SIOCGSKNS): %s",
		              strerror(errno));
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 ||
	    ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET) {
		close(fd);
		return errorf(err, errlen,
		              "--net none: SIOCGSKNS gave no network "
		              "namespace");
	}
	return fd;
}

static int make_netns(const struct run_opts *o, struct netns *n, char *err,
                      size_t errlen)
{
	struct ns_report rep = {0, 0};
	int lfd = -1;

	if (run_ns_child(&rep, &lfd, err, errlen) < 0)
		return -1;
	if (rep.step == NS_UNSHARE) {
		snprintf(n->refused, sizeof(n->refused),
		         "unshare(CLONE_NEWNET): %s", strerror(rep.err));
		if (o->allow_landlock_only) {
			n->mode = AUTONOMY__NET_MODE__NET_LANDLOCK_ONLY;
			return 0;
		}
		return errorf(err, errlen,
		              "%s: the kernel refuses the workload a network "
		              "namespace (%s: not root, or nested in a "
		              "container that forbids it). Run as root where "
		              "namespaces are allowed, give --net host, or "
		              "give --allow-landlock-only to run on the host's "
		              "network with the other layers (a reduced layer "
		              "set, recorded in the WAL)",
		              o->net_source, n->refused);
	}
	if (rep.step != NS_DONE)
		return errorf(err, errlen,
		              "%s: cannot set up the workload's network "
		              "namespace: %s: %s",
		              o->net_source, ns_step_name(rep.step),
		              strerror(rep.err));
	if ((n->ns_fd = listener_netns(lfd, err, errlen)) < 0) {
		close(lfd);
		return -1;
	}
	n->listen_fd = lfd;
	n->mode = AUTONOMY__NET_MODE__NET_NONE;
	return 0;
}

/* unshare(flags) in a throw-away child: 0, or the errno it failed with.
 * Nothing changes for us. */
static int probe_unshare(int flags)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return errno;
	if (pid == 0)
		_exit(unshare(flags) < 0
		          ? (errno > 0 && errno < 256 ? errno : EIO)
		          : 0);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : EIO;
}

/* The filesystem layers live in the workload's mount namespace: where
 * the kernel refuses one, a read-only root cannot be had at all, so
 * these flags are refused (--allow-landlock-only does not reduce them:
 * Landlock cannot make / read-only for writes it never sees denied). */
static int check_mount_ns(const struct run_opts *o, char *err, size_t errlen)
{
	int e = probe_unshare(CLONE_NEWNS);
	const char *flag = o->mounts.read_only_rootfs ? "--read-only-rootfs"
	                   : o->ntmpfs > 0            ? "--tmpfs"
	                                              : "--writable-mount";

	if (e == 0)
		return 0;
	return errorf(err, errlen,
	              "%s: the kernel refuses the workload a mount namespace "
	              "(unshare(CLONE_NEWNS): %s: nested in a container that "
	              "forbids it?); without one --read-only-rootfs, --tmpfs "
	              "and --writable-mount cannot be applied, so they are "
	              "refused, also with --allow-landlock-only. Drop them or "
	              "run where namespaces are allowed",
	              flag, strerror(e));
}

int netns_prepare(const struct run_opts *o, struct netns *n, char *err,
                  size_t errlen)
{
	n->mode = AUTONOMY__NET_MODE__NET_HOST;
	n->listen_fd = n->ns_fd = -1;
	n->refused[0] = '\0';
	if (mounts_any(&o->mounts) && check_mount_ns(o, err, errlen) < 0)
		return -1;
	if (o->net != RUN_NET_NONE)
		return 0;
	return make_netns(o, n, err, errlen);
}

void netns_warn(const struct run_opts *o, const struct netns *n)
{
	if (n->mode == AUTONOMY__NET_MODE__NET_LANDLOCK_ONLY)
		fprintf(stderr,
		        "autonomy run: WARNING: --allow-landlock-only: the "
		        "kernel refuses a network namespace (%s), so %s is "
		        "NOT applied: the workload runs on the host's network "
		        "with the other layers; connections are limited only "
		        "by the shim's allow-list and Landlock port rules, "
		        "where given. Recorded in the WAL (sandbox.layer "
		        "layer=net mode=landlock-only)\n",
		        n->refused, o->net_source);
	if (o->net == RUN_NET_HOST && o->net_flag != NULL &&
	    o->npreload_connect > 0)
		fprintf(stderr,
		        "autonomy run: WARNING: --net host with "
		        "--preload-connect-allowlist: addresses other than "
		        "loopback are enforced by the shim (and Landlock port "
		        "rules, where given) only, not by a network namespace; "
		        "recorded in the WAL\n");
	if (n->mode == AUTONOMY__NET_MODE__NET_NONE && o->net_flag == NULL &&
	    o->npreload_connect > 0)
		fprintf(stderr,
		        "autonomy run: note: --preload-connect-allowlist "
		        "implies --net none: the workload has only loopback, "
		        "so the listed addresses are not reachable from it; "
		        "give --net host to reach them (then the shim alone "
		        "enforces the list)\n");
}

int netns_take_listener(struct netns *n)
{
	int fd = n->listen_fd;

	n->listen_fd = -1;
	return fd;
}

void netns_close(struct netns *n)
{
	if (n->listen_fd >= 0)
		close(n->listen_fd);
	if (n->ns_fd >= 0)
		close(n->ns_fd);
	n->listen_fd = n->ns_fd = -1;
}
