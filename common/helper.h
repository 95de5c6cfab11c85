/* Start-up mechanics every helper binary shares: the command line the
 * supervisor gives it (--rundir, --ready-fd) and the one-byte "ready"
 * report it sends once it is confined and serving; and the worker loop
 * of a helper that serves policyd alone (the fetcher, mavproxy). */
#ifndef AUTONOMY_HELPER_H
#define AUTONOMY_HELPER_H

#include "ipc.h"

/* Parses a non-negative decimal fd number; -1 if s is not one. */
int helper_parse_fd(const char *s);

/* Writes the ready byte on fd and closes it. The supervisor waits for
 * this from every helper before it starts the workload. */
void helper_ready(int fd);

/* Parses the command line of a helper that takes only the common flags,
 * `--rundir DIR --ready-fd N`; anything else prints the usage and exits
 * 64. */
void helper_parse_args(int argc, char **argv, const char **rundir,
                       int *ready_fd);

/* Common process set-up: names the log, ignores SIGPIPE (a client that
 * went away is an error return, not a death). */
void helper_init(const char *name);

/* Serves requests on ctx until its socket is closed: only from
 * client_pid, and only with a body of the case want; anything else is
 * answered with an Error naming who serves what ("the fetcher serves
 * HttpGetRequest only"). serve answers the rest on ctx; req is freed
 * when it returns. */
void helper_serve(nng_ctx ctx, int client_pid, const char *who,
                  Autonomy__Envelope__BodyCase want, const char *what,
                  void (*serve)(void *arg, const Envelope *req), void *arg);

#endif
