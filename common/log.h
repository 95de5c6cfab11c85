/* Logging in the OpenBSD style: fatal()/fatalx() for impossible states,
 * log_warn()/log_warnx() for the rest. Everything goes to stderr with the
 * process name, so a reviewer reading a run's output knows who spoke. */
#ifndef AUTONOMY_LOG_H
#define AUTONOMY_LOG_H

#include <stddef.h>
#include <stdnoreturn.h>

void log_init(const char *procname);
const char *log_procname(void);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void fatalx(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Writes a message into err (when err is not NULL) for the caller to
 * report, and returns -1: `return errorf(err, len, "bad %s", x);`. */
/* A command-line usage error: "PREFIX: message", then the usage text, on
 * stderr; returns 64 (EX_USAGE): `return usage_errorf(P, U, "...", x);`. */
int usage_errorf(const char *prefix, const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

int errorf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
