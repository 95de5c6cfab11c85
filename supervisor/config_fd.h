/* What the supervisor hands a helper to read (--config-fd, policyd's
 * bundle): an anonymous file (memfd) written here, then rewound and
 * sealed, so the helper reads exactly what was checked here and nobody
 * can change it afterwards. The helper opens no file. */
#ifndef AUTONOMY_CONFIG_FD_H
#define AUTONOMY_CONFIG_FD_H

#include <stddef.h>

#include "rules.h"

/* A new close-on-exec memfd that can be sealed; -1 with errno. */
int config_fd_open(const char *name);

/* Writes all of buf; -1 with errno (the fd stays open). */
int config_fd_write(int fd, const void *buf, size_t len);

/* Writes "KEYWORD ENTRY" lines, one per entry of rs (as given, in
 * order), and their text joined with commas into joined (for run.start;
 * cut short at len). -1 with errno. */
int config_fd_write_rules(int fd, const char *keyword, const struct rules *rs,
                          char *joined, size_t len);

/* Rewinds fd and seals it against writing, growing, shrinking and new
 * seals; -1 with errno (the fd stays open). */
int config_fd_seal(int fd);

/* The three above for one buffer: the sealed fd, or -1 with errno. */
int config_fd_from(const char *name, const void *buf, size_t len);

#endif
