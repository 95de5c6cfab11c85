#include "config_fd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

int config_fd_open(const char *name)
{
	return memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
}

int config_fd_write(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int config_fd_write_rules(int fd, const char *keyword, const struct rules *rs,
                          char *joined, size_t len)
{
	size_t off = 0;

	for (size_t i = 0; i < rs->n; i++) {
		char line[RULE_TEXT_MAX + 32];
		int k = snprintf(line, sizeof(line), "%s %s\n", keyword,
		                 rs->r[i].text);
		if (config_fd_write(fd, line, (size_t)k) < 0)
			return -1;
		if (off < len)
			off += (size_t)snprintf(joined + off, len - off, "%s%s",
			                        i ? "," : "", rs->r[i].text);
	}
	return 0;
}

int config_fd_seal(int fd)
{
	if (lseek(fd, 0, SEEK_SET) != 0 ||
	    fcntl(fd, F_ADD_SEALS,
	          F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		return -1;
	return 0;
}

int config_fd_from(const char *name, const void *buf, size_t len)
{
	int fd = config_fd_open(name), e;

	if (fd < 0)
		return -1;
	if (config_fd_write(fd, buf, len) < 0 || config_fd_seal(fd) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}
