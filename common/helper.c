#include "helper.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "attack.h"
#include "log.h"

int helper_parse_fd(const char *s)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0 || v > INT_MAX)
		return -1;
	return (int)v;
}

void helper_ready(int fd)
{
	ssize_t n;

	do
		n = write(fd, "R", 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		fatal("ready fd %d", fd);
	close(fd);
}

void helper_init(const char *name)
{
	log_init(name);
	signal(SIGPIPE, SIG_IGN);
}

void helper_parse_args(int argc, char **argv, const char **rundir,
                       int *ready_fd)
{
	static const struct option opts[] = {
	    {"rundir", required_argument, NULL, 'r'},
	    {"ready-fd", required_argument, NULL, 'f'},
	    {NULL, 0, NULL, 0},
	};
	int ch;

	*rundir = NULL;
	*ready_fd = -1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'r')
			*rundir = optarg;
		else if (ch == 'f' &&
		         (*ready_fd = helper_parse_fd(optarg)) >= 0)
			continue;
		else
			break;
	}
	if (ch != -1 || optind != argc || *rundir == NULL || *ready_fd < 0) {
		fprintf(stderr, "usage: %s --rundir DIR --ready-fd N\n",
		        log_procname());
		exit(64);
	}
}

void helper_serve(nng_ctx ctx, int client_pid, const char *who,
                  Autonomy__Envelope__BodyCase want, const char *what,
                  void (*serve)(void *arg, const Envelope *req), void *arg)
{
	char err[256];

	for (;;) {
		Envelope *env;
		int pid, closed;

		if (ipc_recv(ctx, &env, &pid, &closed, err, sizeof(err)) < 0) {
			if (closed)
				return;
			log_warnx("request from pid %d: %s", pid, err);
			ipc_reply_error(ctx, err);
			continue;
		}
		attack_point(); /* test builds only: attack.h */
		if (pid != client_pid) {
			log_warnx("request from pid %d refused: %s serves "
			          "policyd (pid %d) only",
			          pid, who, client_pid);
			snprintf(err, sizeof(err), "%s serves policyd only",
			         who);
			ipc_reply_error(ctx, err);
		} else if (env->body_case != want) {
			snprintf(err, sizeof(err), "%s serves %s only", who,
			         what);
			ipc_reply_error(ctx, err);
		} else {
			serve(arg, env);
		}
		envelope_free(env);
	}
}
