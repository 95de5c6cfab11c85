/* The workload's network layer, spawner side (docs/processes.md "The
 * workload's network layer"). The supervisor makes the namespace for
 * --net none (supervisor/netns.c) and hands it over as --netns-fd; the
 * spawner checks the fd once, matches each SpawnRequest's mode against
 * it (never trusting the supervisor: NET_NONE without a namespace, or a
 * namespace for another mode, is refused), and the workload child joins
 * it first, before its other layers. */
#ifndef AUTONOMY_SPAWNER_NETJOIN_H
#define AUTONOMY_SPAWNER_NETJOIN_H

#include <stddef.h>

#include "autonomy.pb-c.h"

struct net_layer {
	int mode;            /* AUTONOMY__NET_MODE__NET_* */
	int fd;              /* the namespace to join (not owned): NET_NONE's,
	                        else the host's when the spawner left it; -1:
	                        stay in the spawner's */
	char netns[40];      /* NET_NONE: "net:[INODE]", for the WAL */
	const char *source;  /* the request's net_source */
	const char *refused; /* NET_LANDLOCK_ONLY: the request's net_refused */
};

/* --netns-fd's value: a network namespace other than the spawner's own
 * (that would be the host's, and --net none would not be), made CLOEXEC.
 * The fd, or -1 with why in err. */
int netjoin_check_fd(const char *arg, char *err, size_t errlen);

/* The spawner's own network (issue 6): an empty namespace of its own (no
 * interface up, no route), so nothing the spawner itself does reaches a
 * network. Called before nng starts any thread (a network namespace is
 * per thread, and threads inherit it). Returns the host's namespace,
 * which every workload joins back unless it has --net none's, or -1
 * where the kernel refuses a namespace (not root; a container's
 * seccomp): the spawner then stays on the host's network, as said in
 * the debug log and docs/confinement.md. Its ipc sockets are pathname
 * unix sockets, which work across network namespaces. */
int netjoin_isolate_self(void);

/* The request's network mode against the spawner's namespace (netns_fd,
 * -1 if none); host_fd is netjoin_isolate_self()'s. -1 with why in err. */
int netjoin_prepare(const Autonomy__SpawnRequest *req, int netns_fd,
                    int host_fd, struct net_layer *n, char *err, size_t errlen);

/* The layer's sandbox.layer attributes into kv (key, value, ...,
 * NULL); kv has room for NETJOIN_ATTRS pairs and the NULL. */
#define NETJOIN_ATTRS 6
void netjoin_attrs(const struct net_layer *n, const char **kv);

/* In the child between fork and exec, before its other layers:
 * setns(CLONE_NEWNET) into n->fd (NET_NONE's namespace, or the host's).
 * System calls only. -1 with errno. */
int netjoin_apply(const struct net_layer *n);

#endif
