#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

int read_regular_file_at(int dfd, const char *name, int oflags, size_t max,
                         const char *what, char **out, size_t *len, char *err,
                         size_t errlen)
{
	struct stat st;
	size_t got = 0;
	char *buf;
	int fd;

	errno = 0;
	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | oflags);

	if (fd < 0) {
		int e = errno;
		errorf(err, errlen, "%s: %s", what, strerror(e));
		errno = e;
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return errorf(err, errlen, "%s: not a regular file", what);
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return errorf(err, errlen, "%s: %lld bytes, more than %zu",
		              what, (long long)st.st_size, max);
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return errorf(err, errlen, "out of memory");
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			close(fd);
			return errorf(err, errlen, "%s: %s", what,
			              n < 0 ? strerror(errno)
			                    : "changed while being read");
		}
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return 0;
}
