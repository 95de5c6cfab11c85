/* libautonomy_preload.so in real processes: each test runs this binary
 * again as a probe (`--probe ACTION ARGS`) with LD_PRELOAD=<the shim>
 * and an allow-list in its environment, and checks what the probe saw
 * (errno, dlerror, exit status) and the exact stderr lines.
 * Usage: test_preload_shim SHIM.so LIB_A.so LIB_B.so */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <spawn.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "derive.h"

static char shim[PATH_MAX], lib_a[PATH_MAX], lib_b[PATH_MAX];
static char tmpdir[] = "/tmp/preload-test-XXXXXX";

#define DENY_EXEC(p)                                                           \
	"autonomy-preload: execve(" p                                          \
	") denied by AUTONOMY_PRELOAD_EXEC_ALLOWLIST\n"

/* ---- the probe: runs under the shim ---- */

static int probe(int argc, char **argv)
{
	const char *what = argv[0];
	char *args[] = {(char *)"probe-child", NULL};
	pid_t pid;
	int r, st;

	if (argc < 2)
		return 2;
	if (strcmp(what, "execve") == 0)
		execve(argv[1], args, environ);
	else if (strcmp(what, "execv") == 0)
		execv(argv[1], args);
	else if (strcmp(what, "execl") == 0)
		execl(argv[1], "probe-child", (char *)NULL);
	else if (strcmp(what, "execle") == 0)
		execle(argv[1], "probe-child", (char *)NULL, environ);
	else if (strcmp(what, "execvp") == 0)
		execvp(argv[1], args);
	else if (strcmp(what, "execlp") == 0)
		execlp(argv[1], "probe-child", (char *)NULL);
	else if (strcmp(what, "execveat") == 0)
		execveat(AT_FDCWD, argv[1], args, environ, 0);
	else if (strcmp(what, "fexecve") == 0) {
		int fd = open(argv[1], O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			return 4;
		fexecve(fd, args, environ);
	} else if (strcmp(what, "execve-retry-rename") == 0 && argc >= 3) {
		/* Refused twice (the second from the shim's cache of refused
		 * files), then renamed onto a listed path: it must run. */
		for (int i = 0; i < 2; i++) {
			execve(argv[1], args, environ);
			dprintf(1, "errno=%d\n", errno);
		}
		if (rename(argv[1], argv[2]) != 0)
			return 7;
		execve(argv[2], args, environ);
	} else if (strcmp(what, "vfork-execve") == 0) {
		/* The exec wrapper must work in a vfork child. */
		if ((pid = vfork()) == 0) {
			execve(argv[1], args, environ);
			_exit(errno == EPERM ? 51 : 52);
		}
		waitpid(pid, &st, 0);
		dprintf(1, "status=%d\n", WEXITSTATUS(st));
		return 0;
	} else if (strcmp(what, "spawn") == 0 || strcmp(what, "spawnp") == 0) {
		r = what[5] == 'p'
		        ? posix_spawnp(&pid, argv[1], NULL, NULL, args, environ)
		        : posix_spawn(&pid, argv[1], NULL, NULL, args, environ);
		dprintf(1, "spawn=%d\n", r);
		if (r == 0 && waitpid(pid, &st, 0) == pid)
			dprintf(1, "status=%d\n", WEXITSTATUS(st));
		return 0;
	} else if (strcmp(what, "system") == 0) {
		r = system(argv[1]);
		dprintf(1, "system=%d errno=%d\n",
		        r == -1 ? -1 : WEXITSTATUS(r), r == -1 ? errno : 0);
		return 0;
	} else if (strcmp(what, "dlopen") == 0 ||
	           strcmp(what, "dlmopen") == 0) {
		void *h = what[2] == 'm'
		              ? dlmopen(LM_ID_NEWLM, argv[1], RTLD_NOW)
		              : dlopen(argv[1], RTLD_NOW);
		int e = errno;
		int (*answer)(void);

		if (h == NULL) {
			const char *why = dlerror();

			dprintf(1, "handle=NULL errno=%d dlerror=%s\n", e,
			        why ? why : "(none)");
			return 0;
		}
		answer = (int (*)(void))dlsym(h, "preload_testlib_answer");
		dprintf(1, "answer=%d\n", answer ? answer() : -1);
		return 0;
	} else if (strncmp(what, "connect", 7) == 0 && argc >= 3) {
		/* connect-netns: in a fresh network namespace (only a down
		 * loopback), so nothing can leave the machine even if the
		 * shim let it through. */
		union {
			struct sockaddr sa;
			struct sockaddr_in in;
			struct sockaddr_in6 in6;
		} a;
		socklen_t len;
		int fd;

		memset(&a, 0, sizeof(a));
		if (strcmp(what, "connect-netns") == 0 &&
		    unshare(CLONE_NEWNET) != 0)
			dprintf(1, "no-netns errno=%d\n", errno);
		if (inet_pton(AF_INET, argv[1], &a.in.sin_addr) == 1) {
			a.in.sin_family = AF_INET;
			a.in.sin_port = htons((uint16_t)atoi(argv[2]));
			len = sizeof(a.in);
		} else if (inet_pton(AF_INET6, argv[1], &a.in6.sin6_addr) ==
		           1) {
			a.in6.sin6_family = AF_INET6;
			a.in6.sin6_port = htons((uint16_t)atoi(argv[2]));
			len = sizeof(a.in6);
		} else
			return 5;
		fd = socket(a.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (fd < 0)
			return 6;
		r = connect(fd, &a.sa, len);
		dprintf(1, "connect=%d errno=%d\n", r, r ? errno : 0);
		return 0;
	} else if (strcmp(what, "unix") == 0) {
		struct sockaddr_un un = {.sun_family = AF_UNIX};
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);

		snprintf(un.sun_path, sizeof(un.sun_path), "%s", argv[1]);
		r = connect(fd, (struct sockaddr *)&un, sizeof(un));
		dprintf(1, "connect=%d errno=%d\n", r, r ? errno : 0);
		return 0;
	} else
		return 2;
	dprintf(1, "errno=%d\n", errno);
	return 3;
}

/* ---- the test side ---- */

struct result {
	int status; /* exit status, or 128 + signal */
	char out[8192], err[16384];
};

static void read_all(int fd, char *buf, size_t cap)
{
	ssize_t n = pread(fd, buf, cap - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

/* Run `self --probe ARGS...` with LD_PRELOAD=shim and env (NULL
 * terminated "K=V" strings). */
static void run(struct result *r, const char *const *env, ...)
{
	char *argv[16], *envp[16];
	const char *a;
	va_list ap;
	int n = 0, m = 0, out, err, st;
	char preload[PATH_MAX + 16];
	pid_t pid;

	argv[n++] = (char *)"test_preload_shim";
	argv[n++] = (char *)"--probe";
	va_start(ap, env);
	while ((a = va_arg(ap, const char *)) != NULL && n < 15)
		argv[n++] = (char *)a;
	va_end(ap);
	argv[n] = NULL;
	/* The test's variables first: getenv() finds the first PATH. */
	while (env != NULL && *env != NULL && m < 12)
		envp[m++] = (char *)*env++;
	snprintf(preload, sizeof(preload), "LD_PRELOAD=%s", shim);
	envp[m++] = preload;
	envp[m++] = (char *)"PATH=/usr/bin:/bin";
	/* Sanitizer builds: the shim is not the first library. */
	envp[m++] = (char *)"ASAN_OPTIONS=verify_asan_link_order=0:"
	                    "detect_leaks=0";
	envp[m] = NULL;
	out = memfd_create("out", MFD_CLOEXEC);
	err = memfd_create("err", MFD_CLOEXEC);
	assert_true(out >= 0 && err >= 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(out, 1);
		dup2(err, 2);
		execve("/proc/self/exe", argv, envp);
		_exit(99);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	read_all(out, r->out, sizeof(r->out));
	read_all(err, r->err, sizeof(r->err));
}

#define ENV(...) ((const char *const[]){__VA_ARGS__, NULL})

static void expect(const struct result *r, int status, const char *out,
                   const char *err)
{
	if (r->status != status || strcmp(r->out, out) != 0 ||
	    strcmp(r->err, err) != 0)
		fail_msg("status %d (want %d)\nstdout: [%s] (want [%s])\n"
		         "stderr: [%s] (want [%s])",
		         r->status, status, r->out, out, r->err, err);
}

static void exec_unset_allows_everything(void **state)
{
	struct result r;
	(void)state;

	run(&r, NULL, "execve", "/usr/bin/false", NULL);
	expect(&r, 1, "", "");
	run(&r, NULL, "execvp", "true", NULL);
	expect(&r, 0, "", "");
}

static void execve_denies_unlisted_allows_listed(void **state)
{
	static const char *const forms[] = {"execve", "execv", "execl",
	                                    "execle", "execveat"};
	const char *const *env = ENV("AUTONOMY_PRELOAD_EXEC_ALLOWLIST="
	                             "/usr/bin/true:/usr/bin/env");
	struct result r;
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		run(&r, env, forms[i], "/usr/bin/false", NULL);
		expect(&r, 3, "errno=1\n", DENY_EXEC("/usr/bin/false"));
		run(&r, env, forms[i], "/usr/bin/true", NULL);
		expect(&r, 0, "", "");
	}
	/* fexecve names the file behind the descriptor. */
	run(&r, env, "fexecve", "/usr/bin/false", NULL);
	expect(&r, 3, "errno=1\n", DENY_EXEC("/usr/bin/false"));
	run(&r, env, "fexecve", "/usr/bin/true", NULL);
	expect(&r, 0, "", "");
	/* After vfork, in the child. */
	run(&r, env, "vfork-execve", "/usr/bin/false", NULL);
	expect(&r, 0, "status=51\n", DENY_EXEC("/usr/bin/false"));
	/* A missing file fails as it would without the shim. */
	run(&r, env, "execve", "/nonexistent/x", NULL);
	expect(&r, 3, "errno=2\n", "");
}

static void exec_compares_the_file_not_the_name(void **state)
{
	char link[PATH_MAX], listed[PATH_MAX + 64], deny[PATH_MAX + 128];
	struct result r;
	(void)state;

	/* A symlink to a listed file runs; a listed symlink allows its
	 * target; a relative path resolves from the cwd. */
	snprintf(link, sizeof(link), "%s/truelink", tmpdir);
	unlink(link);
	assert_int_equal(symlink("/usr/bin/true", link), 0);
	run(&r, ENV("AUTONOMY_PRELOAD_EXEC_ALLOWLIST=/usr/bin/true"), "execve",
	    link, NULL);
	expect(&r, 0, "", "");
	snprintf(listed, sizeof(listed), "AUTONOMY_PRELOAD_EXEC_ALLOWLIST=%s",
	         link);
	run(&r, ENV(listed), "execve", "/usr/bin/true", NULL);
	expect(&r, 0, "", "");
	run(&r, ENV(listed), "execve", "/usr/bin/false", NULL);
	expect(&r, 3, "errno=1\n", DENY_EXEC("/usr/bin/false"));
	/* A symlink to an unlisted file is denied, named as given. */
	snprintf(link, sizeof(link), "%s/falselink", tmpdir);
	unlink(link);
	assert_int_equal(symlink("/usr/bin/false", link), 0);
	run(&r, ENV("AUTONOMY_PRELOAD_EXEC_ALLOWLIST=/usr/bin/true"), "execve",
	    link, NULL);
	snprintf(deny, sizeof(deny), DENY_EXEC("%s"), link);
	expect(&r, 3, "errno=1\n", deny);
}

static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC), out;
	ssize_t n;

	assert_true(in >= 0);
	unlink(to);
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	assert_true(out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	assert_int_equal(n, 0);
	close(in);
	close(out);
}

/* The shim remembers files it refused (so a retry costs no name lookup
 * through /proc); a refused file renamed onto a listed path is a
 * different file to it (its ctime changed) and runs. */
static void exec_refusal_cache_follows_renames(void **state)
{
	char unlisted[PATH_MAX], listed[PATH_MAX], env[PATH_MAX + 64],
	    deny[2 * PATH_MAX + 256];
	struct result r;
	(void)state;

	snprintf(unlisted, sizeof(unlisted), "%s/unlisted-true", tmpdir);
	snprintf(listed, sizeof(listed), "%s/listed", tmpdir);
	copy_file("/usr/bin/true", unlisted);
	copy_file("/usr/bin/false", listed); /* listed at load, replaced */
	snprintf(env, sizeof(env), "AUTONOMY_PRELOAD_EXEC_ALLOWLIST=%s",
	         listed);
	run(&r, ENV(env), "execve-retry-rename", unlisted, listed, NULL);
	snprintf(deny, sizeof(deny), DENY_EXEC("%s") DENY_EXEC("%s"), unlisted,
	         unlisted);
	expect(&r, 0, "errno=1\nerrno=1\n", deny);
}

static void execvp_resolves_path_first(void **state)
{
	char path[PATH_MAX + 16], link[PATH_MAX], deny[PATH_MAX + 128];
	const char *list = "AUTONOMY_PRELOAD_EXEC_ALLOWLIST=/usr/bin/true";
	struct result r;
	(void)state;

	run(&r, ENV(list), "execvp", "true", NULL);
	expect(&r, 0, "", "");
	run(&r, ENV(list), "execlp", "true", NULL);
	expect(&r, 0, "", "");
	run(&r, ENV(list), "execvp", "false", NULL);
	expect(&r, 3, "errno=1\n", DENY_EXEC("/usr/bin/false"));
	run(&r, ENV(list), "execvp", "no-such-command-here", NULL);
	expect(&r, 3, "errno=2\n", "");
	/* An earlier PATH entry shadows /usr/bin/true with false: the
	 * check sees the file libc would run, and says which. */
	snprintf(link, sizeof(link), "%s/true", tmpdir);
	unlink(link);
	assert_int_equal(symlink("/usr/bin/false", link), 0);
	snprintf(path, sizeof(path), "PATH=%s:/usr/bin", tmpdir);
	run(&r, ENV(list, path), "execvp", "true", NULL);
	snprintf(deny, sizeof(deny), DENY_EXEC("%s"), link);
	expect(&r, 3, "errno=1\n", deny);
	unlink(link);
}

static void posix_spawn_checked(void **state)
{
	const char *list = "AUTONOMY_PRELOAD_EXEC_ALLOWLIST=/usr/bin/true";
	struct result r;
	(void)state;

	run(&r, ENV(list), "spawn", "/usr/bin/false", NULL);
	expect(&r, 0, "spawn=1\n", DENY_EXEC("/usr/bin/false"));
	run(&r, ENV(list), "spawn", "/usr/bin/true", NULL);
	expect(&r, 0, "spawn=0\nstatus=0\n", "");
	run(&r, ENV(list), "spawnp", "false", NULL);
	expect(&r, 0, "spawn=1\n", DENY_EXEC("/usr/bin/false"));
	run(&r, ENV(list), "spawnp", "true", NULL);
	expect(&r, 0, "spawn=0\nstatus=0\n", "");
	/* system() runs /bin/sh, which is not listed. */
	run(&r, ENV(list), "system", "exit 7", NULL);
	expect(&r, 0, "system=-1 errno=1\n", DENY_EXEC("/bin/sh"));
	run(&r, ENV("AUTONOMY_PRELOAD_EXEC_ALLOWLIST=/bin/sh"), "system",
	    "exit 7", NULL);
	expect(&r, 0, "system=7 errno=0\n", "");
}

static void malformed_exec_list_fails_closed(void **state)
{
	struct result r;
	(void)state;

	run(&r, ENV("AUTONOMY_PRELOAD_EXEC_ALLOWLIST=/usr/bin/true:true"),
	    "execve", "/usr/bin/true", NULL);
	expect(&r, 3, "errno=1\n",
	       "autonomy-preload: AUTONOMY_PRELOAD_EXEC_ALLOWLIST: entry 2 "
	       "\"true\" is not absolute (write the canonical absolute "
	       "path); denying every exec\n" DENY_EXEC("/usr/bin/true"));
}

static void dlopen_checked(void **state)
{
	char list[PATH_MAX + 64], out[PATH_MAX + 256], err[PATH_MAX + 128];
	struct result r;
	(void)state;

	snprintf(list, sizeof(list), "AUTONOMY_PRELOAD_DLOPEN_ALLOWLIST=%s",
	         lib_a);
	run(&r, ENV(list), "dlopen", lib_a, NULL);
	expect(&r, 0, "answer=42\n", "");
	run(&r, ENV(list), "dlmopen", lib_a, NULL);
	expect(&r, 0, "answer=42\n", "");
	snprintf(err, sizeof(err),
	         "autonomy-preload: dlopen(%s) denied by "
	         "AUTONOMY_PRELOAD_DLOPEN_ALLOWLIST",
	         lib_b);
	snprintf(out, sizeof(out), "handle=NULL errno=1 dlerror=%s\n", err);
	strcat(err, "\n");
	run(&r, ENV(list), "dlopen", lib_b, NULL);
	expect(&r, 0, out, err);
	run(&r, ENV(list), "dlmopen", lib_b, NULL);
	expect(&r, 0, out, err);
	/* A bare name must be listed as such. */
	run(&r, ENV(list), "dlopen", "libpreload_testlib_b.so", NULL);
	expect(&r, 0,
	       "handle=NULL errno=1 dlerror=autonomy-preload: "
	       "dlopen(libpreload_testlib_b.so) denied by "
	       "AUTONOMY_PRELOAD_DLOPEN_ALLOWLIST\n",
	       "autonomy-preload: dlopen(libpreload_testlib_b.so) denied by "
	       "AUTONOMY_PRELOAD_DLOPEN_ALLOWLIST\n");
	/* Unset: anything loads. */
	run(&r, NULL, "dlopen", lib_b, NULL);
	expect(&r, 0, "answer=42\n", "");
}

static void dlopen_audit_and_derive(void **state)
{
	char list[PATH_MAX + 64], want[3 * PATH_MAX], log[PATH_MAX + 32];
	char *argv[] = {(char *)"derive-allowlist", log, NULL};
	struct result r;
	FILE *f;
	int fd, saved;
	(void)state;

	run(&r, ENV("AUTONOMY_PRELOAD_DLOPEN_AUDIT=1"), "dlopen", lib_a, NULL);
	snprintf(want, sizeof(want),
	         "autonomy-preload-audit: dlopen(filename=\"%s\", flags=0x2, "
	         "result=loaded)\n",
	         lib_a);
	expect(&r, 0, "answer=42\n", want);
	run(&r, ENV("AUTONOMY_PRELOAD_DLOPEN_AUDIT=1"), "dlopen",
	    "/nonexistent/x.so", NULL);
	assert_non_null(strstr(r.err, "autonomy-preload-audit: "
	                              "dlopen(filename=\"/nonexistent/x.so\", "
	                              "flags=0x2, result=load_failed)\n"));
	snprintf(list, sizeof(list), "AUTONOMY_PRELOAD_DLOPEN_ALLOWLIST=%s",
	         lib_a);
	run(&r, ENV("AUTONOMY_PRELOAD_DLOPEN_AUDIT=1", list), "dlopen", lib_b,
	    NULL);
	snprintf(want, sizeof(want),
	         "autonomy-preload: dlopen(%s) denied by "
	         "AUTONOMY_PRELOAD_DLOPEN_ALLOWLIST\n"
	         "autonomy-preload-audit: dlopen(filename=\"%s\", flags=0x2, "
	         "result=denied)\n",
	         lib_b, lib_b);
	assert_string_equal(r.err, want);

	/* derive-allowlist over a log with both libraries loaded, twice,
	 * among other lines: sorted, unique, loaded only. */
	snprintf(log, sizeof(log), "%s/audit.log", tmpdir);
	f = fopen(log, "w");
	assert_non_null(f);
	for (int i = 0; i < 2; i++) {
		run(&r, ENV("AUTONOMY_PRELOAD_DLOPEN_AUDIT=1"), "dlopen",
		    i ? lib_a : lib_b, NULL);
		fputs(r.err, f);
		fputs("unrelated line\n", f);
		run(&r, ENV("AUTONOMY_PRELOAD_DLOPEN_AUDIT=1"), "dlopen",
		    "/nonexistent/x.so", NULL);
		fputs(r.err, f);
	}
	fclose(f);
	fd = memfd_create("derive", 0);
	fflush(stdout);
	saved = dup(1);
	dup2(fd, 1);
	assert_int_equal(preload_derive_main(2, argv), 0);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	read_all(fd, r.out, sizeof(r.out));
	snprintf(want, sizeof(want), "%s\n%s\n", lib_a, lib_b);
	assert_string_equal(r.out, want);
}

static void connect_checked(void **state)
{
	const char *list =
	    "AUTONOMY_PRELOAD_CONNECT_ALLOWLIST=198.51.100.0/24:443";
	struct sockaddr_in in = {.sin_family = AF_INET};
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	socklen_t len = sizeof(in);
	char port[8];
	struct result r;
	int lfd, ufd;
	(void)state;

	/* TEST-NET-1, in a fresh network namespace: denied before the
	 * real connect. */
	run(&r, ENV(list), "connect-netns", "192.0.2.1", "80", NULL);
	expect(&r, 0, "connect=-1 errno=1\n",
	       "autonomy-preload: connect(192.0.2.1:80) denied by "
	       "AUTONOMY_PRELOAD_CONNECT_ALLOWLIST\n");
	run(&r, ENV(list), "connect-netns", "2001:db8::1", "443", NULL);
	expect(&r, 0, "connect=-1 errno=1\n",
	       "autonomy-preload: connect([2001:db8::1]:443) denied by "
	       "AUTONOMY_PRELOAD_CONNECT_ALLOWLIST\n");
	run(&r, ENV(list), "connect-netns", "::ffff:192.0.2.1", "80", NULL);
	expect(&r, 0, "connect=-1 errno=1\n",
	       "autonomy-preload: connect([::ffff:192.0.2.1]:80) denied by "
	       "AUTONOMY_PRELOAD_CONNECT_ALLOWLIST\n");
	/* Listed: the real connect runs (and, with no route in the empty
	 * namespace, fails on its own). */
	run(&r, ENV(list), "connect-netns", "198.51.100.9", "443", NULL);
	assert_int_equal(r.status, 0);
	assert_null(strstr(r.out, "errno=1\n"));
	assert_string_equal(r.err, "");

	/* A loopback listener is always reachable, with any list. */
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&in, sizeof(in)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&in, &len), 0);
	snprintf(port, sizeof(port), "%u", ntohs(in.sin_port));
	run(&r, ENV("AUTONOMY_PRELOAD_CONNECT_ALLOWLIST="), "connect",
	    "127.0.0.1", port, NULL);
	assert_int_equal(r.status, 0);
	if (strcmp(r.out, "connect=0 errno=0\n") != 0 &&
	    strcmp(r.out, "connect=-1 errno=115\n") != 0)
		fail_msg("loopback connect: %s", r.out);
	assert_string_equal(r.err, "");
	close(lfd);

	/* AF_UNIX passes. */
	snprintf(un.sun_path, sizeof(un.sun_path), "%s/sock", tmpdir);
	unlink(un.sun_path);
	ufd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(ufd, (struct sockaddr *)&un, sizeof(un)), 0);
	assert_int_equal(listen(ufd, 4), 0);
	run(&r, ENV("AUTONOMY_PRELOAD_CONNECT_ALLOWLIST="), "unix", un.sun_path,
	    NULL);
	expect(&r, 0, "connect=0 errno=0\n", "");
	close(ufd);
	unlink(un.sun_path);

	/* A malformed list: said once, then loopback/AF_UNIX only. */
	run(&r, ENV("AUTONOMY_PRELOAD_CONNECT_ALLOWLIST=example.com:443"),
	    "connect-netns", "192.0.2.1", "443", NULL);
	expect(&r, 0, "connect=-1 errno=1\n",
	       "autonomy-preload: AUTONOMY_PRELOAD_CONNECT_ALLOWLIST: entry 1 "
	       "\"example.com:443\" has no valid IPv4 address (host names "
	       "are not allowed) (expected a.b.c.d[/len]:port or "
	       "[v6[/len]]:port, port a number or *); denying every connect "
	       "but loopback and AF_UNIX\n"
	       "autonomy-preload: connect(192.0.2.1:443) denied by "
	       "AUTONOMY_PRELOAD_CONNECT_ALLOWLIST\n");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(exec_unset_allows_everything),
	    cmocka_unit_test(execve_denies_unlisted_allows_listed),
	    cmocka_unit_test(exec_compares_the_file_not_the_name),
	    cmocka_unit_test(exec_refusal_cache_follows_renames),
	    cmocka_unit_test(execvp_resolves_path_first),
	    cmocka_unit_test(posix_spawn_checked),
	    cmocka_unit_test(malformed_exec_list_fails_closed),
	    cmocka_unit_test(dlopen_checked),
	    cmocka_unit_test(dlopen_audit_and_derive),
	    cmocka_unit_test(connect_checked),
	};
	int r;

	if (argc >= 2 && strcmp(argv[1], "--probe") == 0)
		return probe(argc - 2, argv + 2);
	if (argc != 4 || realpath(argv[1], shim) == NULL ||
	    realpath(argv[2], lib_a) == NULL ||
	    realpath(argv[3], lib_b) == NULL) {
		fprintf(stderr, "usage: test_preload_shim SHIM.so LIB_A.so "
		                "LIB_B.so\n");
		return 2;
	}
	if (mkdtemp(tmpdir) == NULL)
		return 2;
	r = cmocka_run_group_tests(tests, NULL, NULL);
	{
		char cmd[PATH_MAX];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			r = r ? r : 1;
	}
	return r;
}
