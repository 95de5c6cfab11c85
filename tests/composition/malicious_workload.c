/* The workload of tests/composition/test_composition.py: a deliberately
 * malicious program that tries, one after the other, every way out of the
 * workload sandbox the layers are meant to close, and three ordinary
 * things that must keep working. It prints exactly one line per attempt:
 *
 *   WORKLOAD_START
 *   VECTOR name: DENIED ERRNAME      refused; ERRNAME is the errno's name
 *   VECTOR name: ALLOWED             it got through
 *   VECTOR name: ERROR ERRNAME       a setup step failed (not an answer)
 *   POSITIVE name: OK | FAILED ERRNAME
 *   WORKLOAD_END
 *
 * and never dies of an attempt: each one that could take the process
 * with it runs in a forked child. Every network attempt goes to
 * 192.0.2.1 (TEST-NET-1) and is non-blocking, so a connect that gets
 * through reports ALLOWED at once (EINPROGRESS) instead of waiting for a
 * peer that is not there. tests/composition/README.md says which layer
 * stops each vector.
 *
 *   malicious_workload --static-probe PATH --unlisted-lib PATH
 *                      --host-dir DIR [--unlisted-exec PATH]
 *                      [--listed-exec PATH] [--lower-memfd-noexec]
 *
 * --lower-memfd-noexec first tries to write 0 to vm.memfd_noexec, as an
 * attacker would: the sysctl belongs to the writer's pid namespace, so
 * give it only where that is not the host's (the test runs everything in
 * a pid namespace of its own, whose floor is the host's value). */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U /* Linux 6.3 */
#endif

#define TEST_NET_1 "192.0.2.1"
#define UNLISTED_TCP_PORT 80 /* must not be in the connect allow-list */
#define UDP_PORT 53

extern char **environ;

struct options {
	const char *unlisted_exec;
	const char *listed_exec;
	const char *static_probe;
	const char *unlisted_lib;
	const char *host_dir;
	int lower_memfd_noexec;
};

/* A result: 0 = it got through, > 0 = refused with that errno, < 0 = a
 * setup step failed with -errno (the attempt never happened). */
static const char *errname(int err)
{
	const char *s = strerrorname_np(err);

	return s != NULL ? s : "UNKNOWN";
}

static void vector(const char *name, int rc)
{
	if (rc == 0)
		printf("VECTOR %s: ALLOWED\n", name);
	else if (rc > 0)
		printf("VECTOR %s: DENIED %s\n", name, errname(rc));
	else
		printf("VECTOR %s: ERROR %s\n", name, errname(-rc));
	fflush(stdout);
}

static void positive(const char *name, int rc)
{
	if (rc == 0)
		printf("POSITIVE %s: OK\n", name);
	else
		printf("POSITIVE %s: FAILED %s\n", name,
		       errname(rc < 0 ? -rc : rc));
	fflush(stdout);
}

enum exec_how { EXEC_LIBC, EXEC_RAW_EXECVEAT, EXEC_FEXECVE };

/* Runs one exec in a child with stdout on out_fd (-1: /dev/null).
 * Returns 0 if the program ran and exited 0, the exec's errno if it was
 * refused (sent back on a close-on-exec pipe, so a program that runs
 * cannot be mistaken for a refusal), -ECHILD if it ran and failed. */
static int exec_child(enum exec_how how, const char *path, int fd,
                      char *const argv[], int out_fd)
{
	int p[2], err = 0, st;
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	if ((pid = fork()) < 0) {
		err = errno;
		close(p[0]);
		close(p[1]);
		return -err;
	}
	if (pid == 0) {
		int out = out_fd >= 0 ? out_fd : open("/dev/null", O_WRONLY);

		close(p[0]);
		if (out >= 0)
			dup2(out, STDOUT_FILENO);
		switch (how) {
		case EXEC_LIBC:
			execv(path, argv);
			break;
		case EXEC_RAW_EXECVEAT:
			syscall(SYS_execveat, fd, "", argv, environ,
			        AT_EMPTY_PATH);
			break;
		case EXEC_FEXECVE:
			fexecve(fd, argv, environ);
			break;
		}
		err = errno;
		(void)!write(p[1], &err, sizeof(err));
		_exit(127);
	}
	close(p[1]);
	do
		n = read(p[0], &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (n == (ssize_t)sizeof(err))
		return err > 0 ? err : -EPROTO;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -ECHILD;
}

/* execve of a file the allow-list does not name (the shim's job). */
static int execve_unlisted(const struct options *o)
{
	char *argv[] = {(char *)o->unlisted_exec, "x", NULL};

	return exec_child(EXEC_LIBC, o->unlisted_exec, -1, argv, -1);
}

static int dlopen_unlisted(const struct options *o)
{
	void *h;

	errno = 0;
	if ((h = dlopen(o->unlisted_lib, RTLD_NOW | RTLD_LOCAL)) != NULL) {
		dlclose(h);
		return 0;
	}
	return errno != 0 ? errno : -ENOENT;
}

static void test_net_1(struct sockaddr_in *sa, int port)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, TEST_NET_1, &sa->sin_addr);
}

/* A non-blocking TCP connect to TEST-NET-1: through libc's connect (the
 * shim's wrapper) or the raw system call (past it). */
static int connect_test_net(int raw)
{
	struct sockaddr_in sa;
	int fd, rc, err = 0;

	test_net_1(&sa, UNLISTED_TCP_PORT);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (raw)
		rc = (int)syscall(SYS_connect, fd, &sa, sizeof(sa));
	else
		rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (rc < 0 && errno != EINPROGRESS)
		err = errno;
	close(fd);
	return err;
}

static int mount_seccomp(void)
{
	const char *dir = "/tmp/composition-mnt";

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	/* on the workload's own /tmp tmpfs, in its own mount namespace */
	if (mount("none", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	          "size=64k") < 0)
		return errno;
	umount2(dir, MNT_DETACH);
	return 0;
}

static int raw_socket_cap(void)
{
	int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);

	if (fd < 0)
		return errno;
	close(fd); /* nothing is sent */
	return 0;
}

/* A file on the host's root filesystem (the test's directory; it checks
 * on the host and removes it). */
static int root_write_rofs(const struct options *o)
{
	char path[4096];
	int fd, err = 0;

	if (snprintf(path, sizeof(path), "%s/root-write", o->host_dir) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) <
	    0)
		return errno;
	if (write(fd, "x", 1) != 1)
		err = errno != 0 ? errno : EIO;
	close(fd);
	return err;
}

static int errno_by_name(const char *name)
{
	for (int e = 1; e < 4096; e++) {
		const char *s = strerrorname_np(e);

		if (s != NULL && strcmp(s, name) == 0)
			return e;
	}
	return -EPROTO;
}

/* The static probe (listed, so the shim lets us exec it) makes a raw
 * execve of the unlisted file: the shim is not in a static binary. It
 * prints "exec:PATH=0" or "exec:PATH=ERRNAME" (tests/landlock_probe.c). */
static int static_exec_bypass(const struct options *o)
{
	char arg[4200], out[4400], *eq, *nl;
	char *argv[] = {(char *)o->static_probe, arg, NULL};
	int p[2], rc;
	size_t len = 0;
	ssize_t n;

	snprintf(arg, sizeof(arg), "exec:%s", o->unlisted_exec);
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	rc = exec_child(EXEC_LIBC, o->static_probe, -1, argv, p[1]);
	close(p[1]);
	while (len < sizeof(out) - 1 &&
	       (n = read(p[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)n;
	close(p[0]);
	out[len] = '\0';
	if (rc != 0) /* the probe itself did not run: not the vector */
		return rc > 0 ? -rc : rc;
	if ((nl = strchr(out, '\n')) != NULL)
		*nl = '\0';
	if (strncmp(out, arg, strlen(arg)) != 0 ||
	    (eq = out + strlen(arg))[0] != '=')
		return -EPROTO;
	return strcmp(eq + 1, "0") == 0 ? 0 : errno_by_name(eq + 1);
}

static int io_uring_bypass(void)
{
	struct io_uring_params p;
	int fd;

	memset(&p, 0, sizeof(p));
	if ((fd = (int)syscall(SYS_io_uring_setup, 4, &p)) < 0)
		return errno;
	close(fd); /* a second system-call interface, past seccomp */
	return 0;
}

/* Copies the file at path into fd. */
static int copy_into(const char *path, int fd)
{
	char buf[16384];
	ssize_t n;
	int in = open(path, O_RDONLY | O_CLOEXEC), err = 0;

	if (in < 0)
		return -errno;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)n) != n) {
			err = -(errno != 0 ? errno : EIO);
			break;
		}
	if (n < 0)
		err = -errno;
	close(in);
	return err;
}

static void lower_memfd_noexec(void)
{
	int fd = open("/proc/sys/vm/memfd_noexec", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	(void)!write(fd, "0", 1);
	close(fd);
}

static void keep_first(int *first, int rc)
{
	if (*first == 0 && rc != 0)
		*first = rc;
}

/* Code that is in no file: a memfd holding a copy of a listed program.
 * Landlock never sees it (a kernel-internal mount), so the backing is
 * vm.memfd_noexec=2: a plain memfd comes sealed non-executable and
 * MFD_EXEC is refused. Tries a plain memfd (fchmod 0755 first, an
 * attempt: refused on a sealed one), run by a raw execveat and by libc's
 * fexecve, then MFD_EXEC; ALLOWED if any ran, else the first refusal. */
static int memfd_exec_bypass(const struct options *o)
{
	char *argv[] = {(char *)o->listed_exec, NULL};
	int fd, rc, first = 0;

	if (o->lower_memfd_noexec)
		lower_memfd_noexec();
	if ((fd = memfd_create("composition", 0)) < 0) {
		keep_first(&first, errno);
	} else {
		if ((rc = copy_into(o->listed_exec, fd)) < 0) {
			close(fd);
			return rc;
		}
		(void)fchmod(fd, 0755);
		rc = exec_child(EXEC_RAW_EXECVEAT, NULL, fd, argv, -1);
		if (rc == 0)
			goto ran;
		keep_first(&first, rc);
		rc = exec_child(EXEC_FEXECVE, NULL, fd, argv, -1);
		if (rc == 0)
			goto ran;
		keep_first(&first, rc);
		close(fd);
	}
	if ((fd = memfd_create("composition-exec", MFD_EXEC)) < 0)
		return first != 0 ? first : errno;
	if ((rc = copy_into(o->listed_exec, fd)) < 0) {
		close(fd);
		return first != 0 ? first : rc;
	}
	rc = exec_child(EXEC_RAW_EXECVEAT, NULL, fd, argv, -1);
	if (rc == 0)
		goto ran;
	close(fd);
	keep_first(&first, rc);
	return first;
ran:
	close(fd);
	return 0;
}

/* sendto on an unconnected UDP socket: no connect for the shim to see. */
static int udp_sendto_bypass(void)
{
	struct sockaddr_in sa;
	int fd, err = 0;

	test_net_1(&sa, UDP_PORT);
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	if (sendto(fd, "x", 1, MSG_DONTWAIT, (struct sockaddr *)&sa,
	           sizeof(sa)) != 1)
		err = errno != 0 ? errno : EIO;
	close(fd);
	return err;
}

/* Attaches to a process of its own (a child), the least a tracer needs:
 * from there it could read and steer any process it can reach. */
static int ptrace_attach(void)
{
	int err = 0, st;
	pid_t pid;

	fflush(NULL);
	if ((pid = fork()) < 0)
		return -errno;
	if (pid == 0) {
		for (;;)
			pause();
	}
	if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) < 0)
		err = errno;
	else if (waitpid(pid, &st, __WALL) == pid)
		ptrace(PTRACE_DETACH, pid, NULL, NULL);
	kill(pid, SIGKILL);
	while (waitpid(pid, &st, __WALL) < 0 && errno == EINTR)
		;
	return err;
}

static int tmpfs_write(void)
{
	char path[64], c = 0;
	int fd, err = 0;

	snprintf(path, sizeof(path), "/tmp/composition-write.%d",
	         (int)getpid());
	if ((fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return errno;
	if (write(fd, "x", 1) != 1 || pread(fd, &c, 1, 0) != 1 || c != 'x')
		err = errno != 0 ? errno : EIO;
	close(fd);
	if (unlink(path) < 0 && err == 0)
		err = errno;
	return err;
}

/* GET /v1/health on AUTONOMY_RUNTIME_URL (http://127.0.0.1:PORT): the
 * runtime's listener, in the workload's network namespace and the one
 * loopback port Landlock's connect rule grants besides the list. */
static int loopback_passthrough(void)
{
	const char *url = getenv("AUTONOMY_RUNTIME_URL"), *colon;
	const char req[] = "GET /v1/health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
	struct timeval tv = {.tv_sec = 10};
	struct sockaddr_in sa;
	char resp[64];
	size_t len = 0;
	ssize_t n;
	long port;
	int fd, err = 0;

	if (url == NULL || strncmp(url, "http://127.0.0.1:", 17) != 0 ||
	    (colon = strrchr(url, ':')) == NULL)
		return ENOENT;
	port = strtol(colon + 1, NULL, 10);
	if (port <= 0 || port > 65535)
		return EINVAL;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    write(fd, req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1) {
		err = errno != 0 ? errno : EIO;
		goto out;
	}
	while (len < sizeof(resp) - 1 &&
	       (n = read(fd, resp + len, sizeof(resp) - 1 - len)) > 0)
		len += (size_t)n;
	resp[len] = '\0';
	/* "HTTP/1.x 200 " */
	if (len < 13 || strncmp(resp, "HTTP/1.", 7) != 0 ||
	    strncmp(resp + 8, " 200 ", 5) != 0)
		err = EBADMSG;
out:
	close(fd);
	return err;
}

static int allowlisted_exec(const struct options *o)
{
	char *argv[] = {(char *)o->listed_exec, NULL};

	return exec_child(EXEC_LIBC, o->listed_exec, -1, argv, -1);
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
	    {"unlisted-exec", required_argument, NULL, 'u'},
	    {"listed-exec", required_argument, NULL, 'l'},
	    {"static-probe", required_argument, NULL, 's'},
	    {"unlisted-lib", required_argument, NULL, 'd'},
	    {"host-dir", required_argument, NULL, 'h'},
	    {"lower-memfd-noexec", no_argument, NULL, 'm'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	*o = (struct options){.unlisted_exec = "/bin/echo",
	                      .listed_exec = "/usr/bin/true"};
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'u':
			o->unlisted_exec = optarg;
			break;
		case 'l':
			o->listed_exec = optarg;
			break;
		case 's':
			o->static_probe = optarg;
			break;
		case 'd':
			o->unlisted_lib = optarg;
			break;
		case 'h':
			o->host_dir = optarg;
			break;
		case 'm':
			o->lower_memfd_noexec = 1;
			break;
		default:
			return -1;
		}
	}
	if (optind != argc || o->static_probe == NULL ||
	    o->unlisted_lib == NULL || o->host_dir == NULL)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct options o;

	if (parse_options(argc, argv, &o) < 0) {
		fprintf(stderr,
		        "usage: malicious_workload --static-probe PATH "
		        "--unlisted-lib PATH --host-dir DIR [--unlisted-exec "
		        "PATH] [--listed-exec PATH] [--lower-memfd-noexec]\n");
		return 64;
	}
	signal(SIGPIPE, SIG_IGN);
	printf("WORKLOAD_START\n");
	fflush(stdout);
	vector("execve_unlisted", execve_unlisted(&o));
	vector("dlopen_unlisted", dlopen_unlisted(&o));
	vector("connect_unlisted", connect_test_net(0));
	vector("mount_seccomp", mount_seccomp());
	vector("raw_socket_cap", raw_socket_cap());
	vector("root_write_rofs", root_write_rofs(&o));
	vector("static_exec_bypass", static_exec_bypass(&o));
	vector("raw_syscall_connect_bypass", connect_test_net(1));
	vector("io_uring_bypass", io_uring_bypass());
	vector("memfd_exec_bypass", memfd_exec_bypass(&o));
	vector("udp_sendto_bypass", udp_sendto_bypass());
	vector("ptrace_attach", ptrace_attach());
	positive("tmpfs_write", tmpfs_write());
	positive("loopback_passthrough", loopback_passthrough());
	positive("allowlisted_exec", allowlisted_exec(&o));
	printf("WORKLOAD_END\n");
	fflush(stdout);
	return 0;
}
