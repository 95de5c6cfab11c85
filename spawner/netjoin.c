/* The workload's network layer, spawner side. See netjoin.h. */
#include "netjoin.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helper.h"
#include "log.h"

int netjoin_check_fd(const char *arg, char *err, size_t errlen)
{
	struct stat ns, own;
	int fd = helper_parse_fd(arg), type;

	if (fd < 0)
		return errorf(err, errlen, "--netns-fd %s: not an fd number",
		              arg);
	if ((type = ioctl(fd, NS_GET_NSTYPE)) != CLONE_NEWNET)
		return errorf(err, errlen,
		              "--netns-fd %d: not a network namespace (%s)", fd,
		              type < 0 ? strerror(errno)
		                       : "another kind of namespace");
	/* Our own namespace is the host's: joining it would look like
	 * --net none and be the host's network. */
	if (fstat(fd, &ns) < 0 || stat("/proc/self/ns/net", &own) < 0)
		return errorf(err, errlen, "--netns-fd %d: stat: %s", fd,
		              strerror(errno));
	if (ns.st_dev == own.st_dev && ns.st_ino == own.st_ino)
		return errorf(err, errlen,
		              "--netns-fd %d: the spawner's own network "
		              "namespace (the host's), not the workload's",
		              fd);
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return errorf(err, errlen, "--netns-fd %d: %s", fd,
		              strerror(errno));
	return fd;
}

int netjoin_isolate_self(void)
{
	int host = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

	if (host < 0) {
		log_warn("cannot open our network namespace; staying in it");
		return -1;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		log_debug("unshare(CLONE_NEWNET): %s: the spawner stays on "
		          "the host's network",
		          strerror(errno));
		close(host);
		return -1;
	}
	return host;
}

int netjoin_prepare(const Autonomy__SpawnRequest *req, int netns_fd,
                    int host_fd, struct net_layer *n, char *err, size_t errlen)
{
	struct stat st;

	memset(n, 0, sizeof(*n));
	n->fd = -1;
	n->mode = req->net;
	n->source = req->net_source[0] ? req->net_source : "default";
	n->refused = req->net_refused;
	if (req->net != AUTONOMY__NET_MODE__NET_NONE) {
		/* A namespace we were given and would not use: the
		 * supervisor and this request disagree. */
		if (netns_fd >= 0)
			return errorf(
			    err, errlen,
			    "spawner: the request asks for the host's "
			    "network (%s) but the spawner holds a "
			    "network namespace for --net none; not "
			    "starting the workload",
			    n->source);
		n->fd = host_fd;
		return 0;
	}
	if (netns_fd < 0)
		return errorf(err, errlen,
		              "spawner: the request asks for a network "
		              "namespace of its own (%s) but the spawner was "
		              "given none (--netns-fd); not starting the "
		              "workload",
		              n->source);
	if (fstat(netns_fd, &st) < 0)
		return errorf(err, errlen, "spawner: --netns-fd: %s",
		              strerror(errno));
	snprintf(n->netns, sizeof(n->netns), "net:[%llu]",
	         (unsigned long long)st.st_ino);
	n->fd = netns_fd;
	return 0;
}

void netjoin_attrs(const struct net_layer *n, const char **kv)
{
	size_t k = 0;

	kv[k++] = "layer";
	kv[k++] = "net";
	kv[k++] = "mode";
	if (n->mode == AUTONOMY__NET_MODE__NET_NONE) {
		kv[k++] = "none";
		kv[k++] = "namespace";
		kv[k++] = "own network namespace: loopback only, no route "
		          "out; the runtime's listener is in it";
		kv[k++] = "netns";
		kv[k++] = n->netns;
	} else if (n->mode == AUTONOMY__NET_MODE__NET_LANDLOCK_ONLY) {
		kv[k++] = "landlock-only";
		kv[k++] = "namespace";
		kv[k++] = "none: the host's network (--net none asked, the "
		          "kernel refused it, --allow-landlock-only given)";
		kv[k++] = "reason";
		kv[k++] = n->refused;
	} else {
		kv[k++] = "host";
		kv[k++] = "namespace";
		kv[k++] = "none: the host's network";
	}
	kv[k++] = "source";
	kv[k++] = n->source;
	kv[k] = NULL;
}

int netjoin_apply(const struct net_layer *n)
{
	if (n->fd < 0)
		return 0;
	return setns(n->fd, CLONE_NEWNET);
}
