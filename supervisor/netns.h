/* The workload's network layer, supervisor side (--net,
 * --allow-landlock-only; docs/processes.md "The workload's network
 * layer"). For --net none the supervisor, before any helper or thread
 * exists, forks a short-lived child that makes a network namespace,
 * brings its loopback up and listens on 127.0.0.1:0 there. The listener
 * goes to toolsrv like the host's one would (--listen-fd), the
 * namespace to the spawner (--netns-fd), whose workload child joins it.
 * So AUTONOMY_RUNTIME_URL answers inside the workload's namespace and
 * nowhere else. */
#ifndef AUTONOMY_NETNS_H
#define AUTONOMY_NETNS_H

#include <stddef.h>

#include "flags.h"

struct netns {
	int mode;          /* AUTONOMY__NET_MODE__NET_*, for the SpawnRequest */
	int listen_fd;     /* NET_NONE: the runtime's listener, inside the
	                      namespace; -1 once taken or otherwise */
	int ns_fd;         /* NET_NONE: the namespace, for the spawner; -1
	                      otherwise */
	char refused[256]; /* NET_LANDLOCK_ONLY: the kernel's refusal */
};

/* Before any side effect: makes the namespace for --net none, or, where
 * the kernel refuses one, sets NET_LANDLOCK_ONLY when
 * --allow-landlock-only was given and fails naming it otherwise. Refuses
 * the filesystem flags when the kernel refuses a mount namespace
 * (--allow-landlock-only does not cover a read-only root). Forks; call
 * while the process has one thread. -1 with the message in err. */
int netns_prepare(const struct run_opts *o, struct netns *n, char *err,
                  size_t errlen);

/* The WARNINGs the network settings call for (a reduced layer set, a
 * connect allow-list on the host's network), on stderr. */
void netns_warn(const struct run_opts *o, const struct netns *n);

/* The listener for toolsrv (NET_NONE), handed over once: the caller
 * owns it. -1 when there is none (make one on the host). */
int netns_take_listener(struct netns *n);

/* A TCP listener on 127.0.0.1:0 in the caller's network namespace
 * (CLOEXEC), or -1 with errno set. */
int netns_loopback_listener(void);

void netns_close(struct netns *n);

#endif
