/* Whole small files, read safely. */
#ifndef AUTONOMY_FILEIO_H
#define AUTONOMY_FILEIO_H

#include <stddef.h>

/* Reads the regular file name (relative to dfd; AT_FDCWD for a plain
 * path) whole into a malloc'd buffer, NUL-terminated, of at most max
 * bytes. oflags are added to open()'s (e.g. O_NOFOLLOW). 0, or -1 with
 * err "WHAT: why"; errno is then open()'s error if open() failed (so a
 * caller can tell ELOOP, a symlink under O_NOFOLLOW), else not ELOOP. */
int read_regular_file_at(int dfd, const char *name, int oflags, size_t max,
                         const char *what, char **out, size_t *len, char *err,
                         size_t errlen);

#endif
