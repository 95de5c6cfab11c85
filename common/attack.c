/* Test-hook "attacker code" (see attack.h). Built only with
 * -Dtest_hooks=true (common/meson.build); the guard below makes sure. */
#ifdef AUTONOMY_TEST_HOOKS
#include "attack.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

static const char *attack_rundir = "";

void attack_init(const char *rundir)
{
	attack_rundir = rundir;
}

static void say(const char *act, const char *what)
{
	char line[512];
	int n = snprintf(line, sizeof(line), "autonomy[%s]: attack %s%s\n",
	                 log_procname(), act, what);

	if (n > 0)
		(void)!write(2, line,
		             (size_t)n < sizeof(line) ? (size_t)n
		                                      : sizeof(line) - 1);
}

static const char *result(int rc)
{
	if (rc >= 0)
		return " = OK";
	return errno == EINPROGRESS ? " = EINPROGRESS" : NULL;
}

static int ipv4(const char *arg, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(arg, ':');

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (colon == NULL || (size_t)(colon - arg) >= sizeof(host))
		return -1;
	memcpy(host, arg, (size_t)(colon - arg));
	host[colon - arg] = '\0';
	sa->sin_port = htons((uint16_t)atoi(colon + 1));
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

static void *idle(void *arg)
{
	return arg;
}

/* One act; -1 with errno, or >= 0 when the kernel let it through. */
static int act(const char *name, const char *arg)
{
	struct sockaddr_in sa;
	int fd, rc;

	if (strcmp(name, "openw") == 0)
		return open(arg, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (strcmp(name, "openr") == 0)
		return open(arg, O_RDONLY | O_CLOEXEC);
	if (strcmp(name, "exec") == 0) {
		char *const argv[] = {(char *)arg, NULL}, *const envp[] = {
		                                              NULL};
		return execve(arg, argv, envp);
	}
	if (strcmp(name, "fork") == 0) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		return pid;
	}
	if (strcmp(name, "thread") == 0) {
		pthread_t t;
		if ((rc = pthread_create(&t, NULL, idle, NULL)) != 0) {
			errno = rc;
			return -1;
		}
		pthread_join(t, NULL);
		return 0;
	}
	if (strcmp(name, "ptrace") == 0)
		return (int)ptrace(PTRACE_ATTACH, getppid(), NULL, NULL);
	if (strcmp(name, "unix") == 0) {
		struct sockaddr_un un = {.sun_family = AF_UNIX};
		if (strlen(arg) >= sizeof(un.sun_path)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(un.sun_path, arg, strlen(arg) + 1);
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
			return -1;
		return connect(fd, (struct sockaddr *)&un, sizeof(un));
	}
	if (strcmp(name, "bind") == 0) {
		if (ipv4("127.0.0.1:0", &sa) < 0)
			return -1;
		sa.sin_port = htons((uint16_t)atoi(arg));
		if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
			return -1;
		return bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	}
	if (strcmp(name, "connect") == 0 || strcmp(name, "udp") == 0) {
		int udp = name[0] == 'u';
		if (ipv4(arg, &sa) < 0) {
			errno = EINVAL;
			return -1;
		}
		fd = socket(AF_INET,
		            (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK |
		                SOCK_CLOEXEC,
		            0);
		if (fd < 0)
			return -1;
		if (udp)
			return (int)sendto(fd, "x", 1, 0,
			                   (struct sockaddr *)&sa, sizeof(sa));
		return connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	}
	errno = EINVAL;
	return -1;
}

void attack_point(void)
{
	static atomic_int done;
	const char *spec = getenv("AUTONOMY_TEST_ATTACK");
	size_t nlen = strlen(log_procname());
	char *list, *save = NULL;

	if (spec == NULL || strncmp(spec, log_procname(), nlen) != 0 ||
	    spec[nlen] != ':' || atomic_exchange(&done, 1))
		return;
	if ((list = strdup(spec + nlen + 1)) == NULL)
		return;
	for (char *a = strtok_r(list, ",", &save); a != NULL;
	     a = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(a, '=');
		const char *arg = eq ? eq + 1 : "";
		const char *r;
		char err[64], path[512];
		int rc;

		if (strncmp(arg, "@/", 2) == 0) {
			snprintf(path, sizeof(path), "%s%s", attack_rundir,
			         arg + 1);
			arg = path;
		}

		say(a, ": trying");
		if (eq)
			*eq = '\0';
		rc = act(a, arg);
		if (eq)
			*eq = '=';
		if ((r = result(rc)) == NULL) {
			snprintf(err, sizeof(err), " = %s",
			         strerrorname_np(errno) ? strerrorname_np(errno)
			                                : "?");
			r = err;
		}
		say(a, r);
	}
	free(list);
}
#endif
