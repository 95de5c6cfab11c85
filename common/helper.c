#include "helper.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

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
