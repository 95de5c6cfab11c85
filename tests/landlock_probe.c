/* The workload of tests/integration/test_landlock.py: a STATIC binary
 * making raw system calls, so the LD_PRELOAD shim is never loaded into it
 * and none of its calls pass a libc wrapper the shim could interpose:
 * whatever it is refused comes from the kernel (the Landlock layer).
 *
 *   landlock_probe CALL...
 *
 * prints one line per call, "NAME=0" or "NAME=EACCES" (the errno's name):
 *   exec:PATH        execve(PATH) in a child (stdout to /dev/null): 0 when
 *                    it ran and exited 0, else the errno of execve
 *   memfd_exec       /bin/true copied into a memfd, execveat(AT_EMPTY_PATH)
 *   memfd_mfd_exec   memfd_create(MFD_EXEC): asks for an executable memfd
 *   memfd_chmod      fchmod(0755) of a plain memfd
 *   getpid           0 when the probe is pid 1 or 2 of its pid namespace
 *   memfd_lower      write 0 to /proc/sys/vm/memfd_noexec (an attacker
 *                    undoing the memfd backing)
 *   connect:PORT     TCP connect to 127.0.0.1:PORT
 *   connect_runtime  TCP connect to AUTONOMY_RUNTIME_URL's port
 *   read:PATH        open and read one byte
 *   write:PATH       create, write one byte, unlink */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Linux 6.3; Debian 12's headers are older. */
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

/* Runs execveat(dirfd, path, flags) in a child: 0 if the program ran and
 * exited 0, else the errno (which fits in an exit status). */
static int exec_child(int dirfd, const char *path, int flags)
{
	char *argv[] = {(char *)path, NULL};
	int st, null;
	pid_t pid = fork();

	if (pid < 0)
		return errno;
	if (pid == 0) {
		if ((null = open("/dev/null", O_WRONLY)) >= 0)
			dup2(null, STDOUT_FILENO);
		syscall(SYS_execveat, dirfd, path, argv, environ, flags);
		_exit(errno);
	}
	if (waitpid(pid, &st, 0) < 0)
		return errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : EINTR;
}

static int memfd_exec(void)
{
	char buf[8192];
	ssize_t n;
	int in, fd, rc;

	if ((fd = (int)syscall(SYS_memfd_create, "probe", 0)) < 0)
		return errno;
	if ((in = open("/bin/true", O_RDONLY)) < 0)
		return errno;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)n) != n)
			return EIO;
	close(in);
	rc = exec_child(fd, "", AT_EMPTY_PATH);
	close(fd);
	return rc;
}

static int memfd_flags(unsigned flags, int chmod_it)
{
	int fd = (int)syscall(SYS_memfd_create, "probe", flags), rc = 0;

	if (fd < 0)
		return errno;
	if (chmod_it && fchmod(fd, 0755) < 0)
		rc = errno;
	close(fd);
	return rc;
}

static int rw_value(const char *path, const char *v)
{
	int fd = open(path, O_WRONLY), rc = 0;

	if (fd < 0)
		return errno;
	if (write(fd, v, strlen(v)) < 0)
		rc = errno;
	close(fd);
	return rc;
}

static int connect_port(long port)
{
	struct sockaddr_in sa;
	int fd, rc = 0;

	if (port <= 0 || port > 65535)
		return EINVAL;
	fd = (int)syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return errno;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (syscall(SYS_connect, fd, &sa, sizeof(sa)) < 0)
		rc = errno;
	close(fd);
	return rc;
}

static int connect_runtime(void)
{
	const char *url = getenv("AUTONOMY_RUNTIME_URL"), *c;

	if (url == NULL || (c = strrchr(url, ':')) == NULL)
		return ENOENT;
	return connect_port(strtol(c + 1, NULL, 10));
}

static int rw(const char *path, int write_it)
{
	char c = 'x';
	int fd = write_it ? open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)
	                  : open(path, O_RDONLY);
	int rc = 0;

	if (fd < 0)
		return errno;
	if ((write_it ? write(fd, &c, 1) : read(fd, &c, 1)) != 1)
		rc = EIO;
	close(fd);
	if (write_it && unlink(path) < 0)
		rc = errno;
	return rc;
}

static int probe(const char *name)
{
	if (strncmp(name, "exec:", 5) == 0)
		return exec_child(AT_FDCWD, name + 5, 0);
	if (strcmp(name, "memfd_exec") == 0)
		return memfd_exec();
	if (strcmp(name, "memfd_mfd_exec") == 0)
		return memfd_flags(MFD_EXEC, 0);
	if (strcmp(name, "memfd_chmod") == 0)
		return memfd_flags(0, 1);
	if (strcmp(name, "memfd_lower") == 0)
		return rw_value("/proc/sys/vm/memfd_noexec", "0");
	if (strcmp(name, "getpid") == 0)
		return syscall(SYS_getpid) <= 2 ? 0 : ESRCH;
	if (strncmp(name, "connect:", 8) == 0)
		return connect_port(strtol(name + 8, NULL, 10));
	if (strcmp(name, "connect_runtime") == 0)
		return connect_runtime();
	if (strncmp(name, "read:", 5) == 0)
		return rw(name + 5, 0);
	if (strncmp(name, "write:", 6) == 0)
		return rw(name + 6, 1);
	return ENOSYS;
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		int err = probe(argv[i]);

		printf("%s=%s\n", argv[i],
		       err == 0 ? "0" : strerrorname_np(err));
		fflush(stdout);
	}
	return 0;
}
