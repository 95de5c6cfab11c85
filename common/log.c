#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *procname = "autonomy";
static int debug_on = -1;

void log_init(const char *name)
{
	procname = name;
	debug_on = getenv("AUTONOMY_DEBUG") != NULL;
}

const char *log_procname(void)
{
	return procname;
}

static void vlog(const char *level, const char *fmt, va_list ap, int with_errno)
{
	char msg[1024];
	int saved = errno;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno)
		fprintf(stderr, "autonomy[%s]: %s%s: %s\n", procname, level,
		        msg, strerror(saved));
	else
		fprintf(stderr, "autonomy[%s]: %s%s\n", procname, level, msg);
	errno = saved;
}

void log_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog("", fmt, ap, 1);
	va_end(ap);
}

void log_warnx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog("", fmt, ap, 0);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog("", fmt, ap, 0);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	struct timespec ts;
	char level[48];
	va_list ap;

	if (debug_on < 0)
		debug_on = getenv("AUTONOMY_DEBUG") != NULL;
	if (!debug_on)
		return;
	/* The monotonic clock, the same in every process of a run: the
	 * helpers' lines can be put on one timeline. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(level, sizeof(level), "debug: [%lld.%06ld] ",
	         (long long)ts.tv_sec, ts.tv_nsec / 1000);
	va_start(ap, fmt);
	vlog(level, fmt, ap, 0);
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog("fatal: ", fmt, ap, 1);
	va_end(ap);
	exit(70);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog("fatal: ", fmt, ap, 0);
	va_end(ap);
	exit(70);
}

int errorf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

int usage_errorf(const char *prefix, const char *usage, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prefix);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fputs(usage, stderr);
	return 64;
}
