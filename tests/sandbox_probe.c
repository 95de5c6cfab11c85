/* The workload of tests/integration/test_sandbox.py: makes the calls the
 * workload sandbox must refuse, and the ordinary ones it must allow, and
 * prints one line per call, "NAME=0" or "NAME=EPERM" (the errno's name).
 *
 *   sandbox_probe CALL...
 *
 * Each call runs in a forked child, so one that succeeds (a new user
 * namespace, ptrace(TRACEME)) changes nothing for the next. Arguments
 * are chosen so that without a filter the call fails harmlessly with
 * another errno (mount: ENOENT, io_uring_setup: EINVAL, keyctl:
 * EOPNOTSUPP) or succeeds without touching the host (unshare, ptrace,
 * a raw socket): only EPERM is the sandbox's answer. write:PATH and
 * exec_in:DIR test the filesystem layer (EROFS, EACCES). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define I386_NR_UNSHARE 310

/* unshare through the i386 ABI (int $0x80): another syscall number,
 * another arch in the filter. */
static long unshare_i386(long flags)
{
#if defined(__x86_64__)
	long ret;

	__asm__ volatile("int $0x80"
	                 : "=a"(ret)
	                 : "a"(I386_NR_UNSHARE), "b"(flags)
	                 : "memory");
	if (ret < 0) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
#else
	(void)flags;
	errno = ENOSYS;
	return -1;
#endif
}

/* Copies /bin/true into dir and executes the copy: 0, or the errno of
 * the copy or of execve. */
static int exec_in(const char *dir)
{
	char path[512], buf[8192];
	int in, out, st;
	ssize_t n;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/autonomy-probe-true.%d", dir,
	         (int)getpid());
	if ((in = open("/bin/true", O_RDONLY)) < 0)
		return errno;
	if ((out = open(path, O_WRONLY | O_CREAT | O_EXCL, 0755)) < 0) {
		close(in);
		return errno;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			break;
	close(in);
	if (n != 0 || close(out) < 0)
		return EIO;
	if ((pid = fork()) < 0)
		return errno;
	if (pid == 0) {
		char *argv[] = {path, NULL};

		execv(path, argv);
		_exit(errno); /* errno values fit in an exit status */
	}
	if (waitpid(pid, &st, 0) < 0)
		return errno;
	unlink(path);
	return WIFEXITED(st) ? WEXITSTATUS(st) : EINTR;
}

/* The call named, in this process: 0 or an errno. */
static int probe(const char *name)
{
	if (strcmp(name, "unshare_user") == 0)
		return unshare(CLONE_NEWUSER) < 0 ? errno : 0;
	if (strcmp(name, "unshare_user_i386") == 0)
		return unshare_i386(CLONE_NEWUSER) < 0 ? errno : 0;
	if (strcmp(name, "mount") == 0)
		return mount("none", "/nonexistent-autonomy-probe", "tmpfs", 0,
		             NULL) < 0
		           ? errno
		           : 0;
	if (strcmp(name, "io_uring_setup") == 0)
		return syscall(SYS_io_uring_setup, 0, NULL) < 0 ? errno : 0;
	if (strcmp(name, "ptrace_traceme") == 0)
		return ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0 ? errno : 0;
	if (strcmp(name, "keyctl") == 0)
		return syscall(SYS_keyctl, -1L, 0L, 0L, 0L, 0L) < 0 ? errno : 0;
	if (strcmp(name, "raw_socket") == 0)
		return socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) < 0 ? errno : 0;
	if (strcmp(name, "write_tmp") == 0) {
		char path[64];
		int fd;

		snprintf(path, sizeof(path), "/tmp/autonomy-probe.%d",
		         (int)getpid());
		if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0)
			return errno;
		if (write(fd, "x", 1) != 1) {
			close(fd);
			return EIO;
		}
		close(fd);
		return unlink(path) < 0 ? errno : 0;
	}
	/* write:PATH creates PATH (and leaves it, for the test to look
	 * for on the host); exec_in:DIR copies /bin/true into DIR and runs
	 * it there (EACCES on a noexec mount). */
	if (strncmp(name, "write:", 6) == 0) {
		int fd = open(name + 6, O_WRONLY | O_CREAT | O_EXCL, 0644);

		if (fd < 0)
			return errno;
		if (write(fd, "x", 1) != 1) {
			close(fd);
			return EIO;
		}
		return close(fd) < 0 ? errno : 0;
	}
	/* read:PATH opens PATH for reading (ENOENT: not there). */
	if (strncmp(name, "read:", 5) == 0) {
		int fd = open(name + 5, O_RDONLY);

		return fd < 0 ? errno : close(fd) < 0 ? errno : 0;
	}
	if (strncmp(name, "exec_in:", 8) == 0)
		return exec_in(name + 8);
	if (strcmp(name, "fork") == 0) {
		pid_t pid = fork();
		int st;

		if (pid < 0)
			return errno;
		if (pid == 0)
			_exit(0);
		if (waitpid(pid, &st, 0) < 0)
			return errno;
		return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : ECHILD;
	}
	return ENOSYS;
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		int fds[2], err = -1;
		pid_t pid;

		if (pipe(fds) < 0 || (pid = fork()) < 0) {
			perror("sandbox_probe");
			return 2;
		}
		if (pid == 0) {
			err = probe(argv[i]);
			(void)!write(fds[1], &err, sizeof(err));
			_exit(0);
		}
		close(fds[1]);
		if (read(fds[0], &err, sizeof(err)) != sizeof(err))
			err = -1;
		close(fds[0]);
		waitpid(pid, NULL, 0);
		if (err < 0)
			printf("%s=LOST\n", argv[i]);
		else
			printf("%s=%s\n", argv[i],
			       err == 0 ? "0" : strerrorname_np(err));
	}
	return 0;
}
