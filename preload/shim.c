/* libautonomy_preload.so: the LD_PRELOAD layer of the workload sandbox.
 * Wraps the exec family, posix_spawn(p), system/popen, dlopen/dlmopen
 * and connect, and refuses (EPERM, one stderr line) what the allow-lists
 * in the environment do not name. The environment is read once, at
 * load; afterwards every list is read-only, so the wrappers need no
 * locks. The exec wrappers only use async-signal-safe calls (open,
 * readlink, fstat, access, write), as they may run after vfork. This
 * layer is bypassed by static binaries, raw syscalls and io_uring: the
 * kernel layers (seccomp, Landlock, namespaces) back it. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "allowlist.h"

#define EXPORT __attribute__((visibility("default")))

#define EXEC_VAR "AUTONOMY_PRELOAD_EXEC_ALLOWLIST"
#define DLOPEN_VAR "AUTONOMY_PRELOAD_DLOPEN_ALLOWLIST"
#define CONNECT_VAR "AUTONOMY_PRELOAD_CONNECT_ALLOWLIST"
#define AUDIT_VAR "AUTONOMY_PRELOAD_DLOPEN_AUDIT"
#define SHELL "/bin/sh" /* what glibc's system() and popen() run */

/* Static storage: parsed once, read-only afterwards. A category whose
 * variable is unset is not enforced; a malformed one is enforced with
 * an empty list (fail closed). */
static struct preload_paths exec_list, dlopen_list;
static struct preload_nets connect_list;
/* The identity of each exec entry's file at load: an exec of that very
 * file is allowed after one fstatat, without naming it through /proc. */
static struct {
	dev_t dev;
	ino_t ino;
	int known;
} exec_id[PRELOAD_MAX_ENTRIES];
static int exec_on, dlopen_on, connect_on, audit_on;

static int (*real_execve)(const char *, char *const[], char *const[]);
static int (*real_execveat)(int, const char *, char *const[], char *const[],
                            int);
static int (*real_fexecve)(int, char *const[], char *const[]);
static int (*real_execvpe)(const char *, char *const[], char *const[]);
static int (*real_posix_spawn)(pid_t *, const char *,
                               const posix_spawn_file_actions_t *,
                               const posix_spawnattr_t *, char *const[],
                               char *const[]);
static int (*real_posix_spawnp)(pid_t *, const char *,
                                const posix_spawn_file_actions_t *,
                                const posix_spawnattr_t *, char *const[],
                                char *const[]);
static int (*real_system)(const char *);
static FILE *(*real_popen)(const char *, const char *);
static void *(*real_dlopen)(const char *, int);
static void *(*real_dlmopen)(Lmid_t, const char *, int);
static char *(*real_dlerror)(void);
static int (*real_connect)(int, const struct sockaddr *, socklen_t);

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_done;

/* ---- output: one write(2) per line, no stdio, no malloc ---- */

struct line {
	char buf[PRELOAD_MAX_PATH * 4 + 256];
	size_t len;
};

static void line_put(struct line *l, const char *s)
{
	size_t n = strlen(s);

	if (n > sizeof(l->buf) - 2 - l->len)
		n = sizeof(l->buf) - 2 - l->len;
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

/* A name from the workload, with control bytes shown as '?' so it
 * cannot forge a second line. */
static void line_put_name(struct line *l, const char *s)
{
	for (; *s != '\0' && l->len < sizeof(l->buf) - 2; s++)
		l->buf[l->len++] =
		    ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
}

static void line_write(struct line *l)
{
	ssize_t n;
	size_t off = 0;

	l->buf[l->len++] = '\n';
	while (off < l->len) {
		n = write(STDERR_FILENO, l->buf + off, l->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		off += (size_t)n;
	}
}

static void say_denied(const char *call, const char *name, const char *var)
{
	struct line l = {.len = 0};
	int saved = errno;

	line_put(&l, "autonomy-preload: ");
	line_put(&l, call);
	line_put(&l, "(");
	line_put_name(&l, name);
	line_put(&l, ") denied by ");
	line_put(&l, var);
	line_write(&l);
	errno = saved;
}

/* ---- load ---- */

static void *next(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

static void load_paths(const char *var, struct preload_paths *l, int *on,
                       int dl)
{
	char err[PRELOAD_ERR_MAX];
	const char *v = getenv(var);
	struct line msg = {.len = 0};
	int r;

	if (v == NULL)
		return;
	*on = 1;
	r = dl ? preload_parse_dlopen_list(v, l, err, sizeof(err))
	       : preload_parse_exec_list(v, l, err, sizeof(err));
	if (r == 0)
		r = preload_paths_canonicalize(l, err, sizeof(err));
	if (r == 0)
		return;
	l->n = 0;
	line_put(&msg, "autonomy-preload: ");
	line_put(&msg, err);
	line_put(&msg, dl ? "; denying every dlopen" : "; denying every exec");
	line_write(&msg);
}

static void load(void)
{
	char err[PRELOAD_ERR_MAX];
	const char *v;
	struct line msg = {.len = 0};

	real_execve = next("execve");
	real_execveat = next("execveat");
	real_fexecve = next("fexecve");
	real_execvpe = next("execvpe");
	real_posix_spawn = next("posix_spawn");
	real_posix_spawnp = next("posix_spawnp");
	real_system = next("system");
	real_popen = next("popen");
	real_dlopen = next("dlopen");
	real_dlmopen = next("dlmopen");
	real_dlerror = next("dlerror");
	real_connect = next("connect");

	load_paths(EXEC_VAR, &exec_list, &exec_on, 0);
	for (size_t i = 0; i < exec_list.n; i++) {
		struct stat st;

		if (stat(exec_list.canon[i], &st) == 0 && S_ISREG(st.st_mode)) {
			exec_id[i].dev = st.st_dev;
			exec_id[i].ino = st.st_ino;
			exec_id[i].known = 1;
		}
	}
	load_paths(DLOPEN_VAR, &dlopen_list, &dlopen_on, 1);
	if ((v = getenv(CONNECT_VAR)) != NULL) {
		connect_on = 1;
		if (preload_parse_connect_list(v, &connect_list, err,
		                               sizeof(err)) != 0) {
			connect_list.n = 0;
			line_put(&msg, "autonomy-preload: ");
			line_put(&msg, err);
			line_put(&msg, "; denying every connect but "
			               "loopback and AF_UNIX");
			line_write(&msg);
		}
	}
	v = getenv(AUDIT_VAR);
	audit_on = v != NULL && strcmp(v, "1") == 0;
	__atomic_store_n(&init_done, 1, __ATOMIC_RELEASE);
}

__attribute__((constructor)) static void preload_init(void)
{
	pthread_once(&init_once, load);
}

/* A wrapper may run before our constructor (from another library's). */
static void ready(void)
{
	if (!__atomic_load_n(&init_done, __ATOMIC_ACQUIRE))
		pthread_once(&init_once, load);
}

/* ---- exec ---- */

/* The canonical path of the file open as fd, from /proc (the kernel's
 * own name for it, so symlinks and relative paths are resolved the way
 * the exec will see them). Returns 0 or -1. */
static int fd_path(int fd, char *out, size_t outlen)
{
	char proc[32] = "/proc/self/fd/", digits[12];
	size_t n = 0, off = strlen(proc);
	unsigned v = (unsigned)fd;
	ssize_t r;

	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n > 0)
		proc[off++] = digits[--n];
	proc[off] = '\0';
	r = readlink(proc, out, outlen - 1);
	if (r < 0 || (size_t)r >= outlen - 1)
		return -1;
	out[r] = '\0';
	return 0;
}

enum target { T_OK, T_MISSING, T_UNRESOLVED };

/* Open what an exec of (dirfd, path, atflags) would run, without
 * running it, and name it. T_MISSING: the exec would fail anyway (errno
 * set as it would be). T_UNRESOLVED: it exists but has no name we can
 * check (no /proc): denied. */
static enum target exec_target(int dirfd, const char *path, int atflags,
                               char *out, size_t outlen, int need_exec)
{
	struct stat st;
	int fd, r, saved;

	if (path[0] == '\0' && (atflags & AT_EMPTY_PATH))
		fd = dirfd;
	else if ((fd = openat(dirfd, path,
	                      O_PATH | O_CLOEXEC |
	                          ((atflags & AT_SYMLINK_NOFOLLOW) ? O_NOFOLLOW
	                                                           : 0))) < 0)
		return T_MISSING;
	if (need_exec && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
		if (fd != dirfd)
			close(fd);
		errno = EACCES;
		return T_MISSING;
	}
	r = fd_path(fd, out, outlen);
	saved = errno;
	if (fd != dirfd)
		close(fd);
	errno = saved;
	return r == 0 ? T_OK : T_UNRESOLVED;
}

/* The fast path: the file is one the list named at load. A file
 * replaced since then (a new inode at a listed path) takes the slow
 * path, which compares canonical names. *st: the file's identity, or
 * st_ino 0 when fstatat failed. */
static int exec_listed_file(int dirfd, const char *path, int atflags,
                            struct stat *st)
{
	size_t i;

	if (fstatat(dirfd, path, st,
	            atflags & (AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) != 0) {
		st->st_ino = 0;
		return 0;
	}
	for (i = 0; i < exec_list.n; i++)
		if (exec_id[i].known && exec_id[i].ino == st->st_ino &&
		    exec_id[i].dev == st->st_dev)
			return 1;
	return 0;
}

/* Files the slow path refused lately, so that a workload retrying one
 * pays an fstatat, not a name lookup through /proc, per refusal. Keyed
 * by inode AND ctime: a file renamed or linked onto a listed path (the
 * only way an unlisted inode becomes listed) has a new ctime, misses,
 * and is judged by name again. A stale or torn entry can only refuse,
 * never allow. Each slot is a seqlock (even: stable); writers take a
 * try-lock and skip caching when it is busy, so no caller ever waits:
 * the exec wrappers stay async-signal-safe. */
#define DENIED_SLOTS 8
static struct denied {
	unsigned seq;
	dev_t dev;
	ino_t ino;
	struct timespec ctime;
} denied[DENIED_SLOTS];
static unsigned denied_next;
static int denied_lock;

static int denied_same(const struct denied *d, const struct stat *st)
{
	return d->ino == st->st_ino && d->dev == st->st_dev &&
	       d->ctime.tv_sec == st->st_ctim.tv_sec &&
	       d->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

static int denied_lately(const struct stat *st)
{
	for (size_t i = 0; i < DENIED_SLOTS; i++) {
		struct denied *d = &denied[i], copy;
		unsigned seq = __atomic_load_n(&d->seq, __ATOMIC_ACQUIRE);
		if (seq == 0 || (seq & 1))
			continue;
		copy.dev = __atomic_load_n(&d->dev, __ATOMIC_RELAXED);
		copy.ino = __atomic_load_n(&d->ino, __ATOMIC_RELAXED);
		copy.ctime.tv_sec =
		    __atomic_load_n(&d->ctime.tv_sec, __ATOMIC_RELAXED);
		copy.ctime.tv_nsec =
		    __atomic_load_n(&d->ctime.tv_nsec, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&d->seq, __ATOMIC_RELAXED) == seq &&
		    denied_same(&copy, st))
			return 1;
	}
	return 0;
}

static void denied_note(const struct stat *st)
{
	struct denied *d;

	if (st->st_ino == 0 ||
	    __atomic_exchange_n(&denied_lock, 1, __ATOMIC_ACQUIRE))
		return;
	d = &denied[denied_next++ % DENIED_SLOTS];
	__atomic_store_n(&d->seq, d->seq | 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&d->dev, st->st_dev, __ATOMIC_RELAXED);
	__atomic_store_n(&d->ino, st->st_ino, __ATOMIC_RELAXED);
	__atomic_store_n(&d->ctime.tv_sec, st->st_ctim.tv_sec,
	                 __ATOMIC_RELAXED);
	__atomic_store_n(&d->ctime.tv_nsec, st->st_ctim.tv_nsec,
	                 __ATOMIC_RELAXED);
	__atomic_store_n(&d->seq, (d->seq | 1) + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&denied_lock, 0, __ATOMIC_RELEASE);
}

/* 0 if the exec may go ahead; else -1 with errno (EPERM when denied,
 * after the stderr line). shown is the path as the caller gave it. */
static int exec_check(int dirfd, const char *path, int atflags,
                      const char *shown)
{
	char canon[PATH_MAX];
	struct stat st;

	ready();
	if (!exec_on)
		return 0;
	if (path == NULL) {
		errno = EFAULT;
		return -1;
	}
	st.st_ino = 0;
	if (exec_list.n > 0 && exec_listed_file(dirfd, path, atflags, &st))
		return 0;
	if (exec_list.n > 0 && shown[0] != '\0' && st.st_ino != 0 &&
	    denied_lately(&st))
		goto deny;
	if (exec_list.n > 0) {
		switch (exec_target(dirfd, path, atflags, canon, sizeof(canon),
		                    0)) {
		case T_MISSING:
			return -1;
		case T_OK:
			if (preload_exec_allowed(&exec_list, canon))
				return 0;
			denied_note(&st);
			if (shown[0] == '\0')
				shown = canon;
			break;
		case T_UNRESOLVED:
			break;
		}
	}
deny:
	say_denied("execve", shown, EXEC_VAR);
	errno = EPERM;
	return -1;
}

static int checked_execve(const char *path, char *const argv[],
                          char *const envp[])
{
	if (exec_check(AT_FDCWD, path, 0, path) != 0)
		return -1;
	if (real_execve == NULL) {
		errno = ENOSYS;
		return -1;
	}
	return real_execve(path, argv, envp);
}

static int argv_count(char *const argv[])
{
	int n = 0;

	while (argv != NULL && argv[n] != NULL && n < INT_MAX - 3)
		n++;
	return n;
}

/* glibc's execvp runs a file the kernel refuses as ENOEXEC with
 * /bin/sh; so do we, and /bin/sh must be allowed too. */
static int exec_script(const char *path, char *const argv[], char *const envp[])
{
	int argc = argv_count(argv), i;
	char *nargv[argc + 2];

	nargv[0] = (char *)SHELL;
	nargv[1] = (char *)path;
	for (i = 1; i < argc; i++)
		nargv[i + 1] = argv[i];
	nargv[argc < 1 ? 2 : argc + 1] = NULL;
	return checked_execve(SHELL, nargv, envp);
}

static int execve_or_script(const char *path, char *const argv[],
                            char *const envp[])
{
	checked_execve(path, argv, envp);
	if (errno == ENOEXEC)
		return exec_script(path, argv, envp);
	return -1;
}

/* The PATH search of glibc's execvpe, with each candidate checked
 * before it runs. spawn_out non-NULL: only find the file (posix_spawnp),
 * copy it there and return 0. */
static int search_path(const char *file, char *const argv[], char *const envp[],
                       char *spawn_out, size_t outlen)
{
	char cand[PATH_MAX], canon[PATH_MAX];
	const char *p, *e, *path;
	size_t flen = strlen(file), dlen;
	int got_eacces = 0;

	if (file[0] == '\0') {
		errno = ENOENT;
		return -1;
	}
	if (strchr(file, '/') != NULL) {
		if (spawn_out == NULL)
			return execve_or_script(file, argv, envp);
		if (flen >= outlen) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(spawn_out, file, flen + 1);
		return 0;
	}
	if (flen > NAME_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((path = getenv("PATH")) == NULL)
		path = "/bin:/usr/bin";
	for (p = path;; p = e + 1) {
		e = strchrnul(p, ':');
		dlen = (size_t)(e - p);
		if (dlen + 1 + flen + 1 > sizeof(cand))
			goto next;
		memcpy(cand, p, dlen);
		cand[dlen] = '/';
		memcpy(cand + dlen + (dlen > 0), file, flen + 1);
		if (exec_target(AT_FDCWD, cand, 0, canon, sizeof(canon), 1) ==
		        T_MISSING ||
		    access(cand, X_OK) != 0) {
			if (errno == EACCES)
				got_eacces = 1;
			else if (errno != ENOENT && errno != ENOTDIR &&
			         errno != ESTALE && errno != ENODEV &&
			         errno != ETIMEDOUT)
				return -1;
			goto next;
		}
		if (spawn_out != NULL) {
			if (strlen(cand) >= outlen) {
				errno = ENAMETOOLONG;
				return -1;
			}
			memcpy(spawn_out, cand, strlen(cand) + 1);
			return 0;
		}
		execve_or_script(cand, argv, envp);
		if (errno == EACCES)
			got_eacces = 1;
		else if (errno != ENOENT && errno != ENOTDIR &&
		         errno != ESTALE && errno != ENODEV &&
		         errno != ETIMEDOUT)
			return -1;
	next:
		if (*e == '\0')
			break;
	}
	errno = got_eacces ? EACCES : ENOENT;
	return -1;
}

EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	return checked_execve(path, argv, envp);
}

EXPORT int execv(const char *path, char *const argv[])
{
	return checked_execve(path, argv, environ);
}

EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	ready();
	if (!exec_on && real_execvpe != NULL)
		return real_execvpe(file, argv, envp);
	return search_path(file, argv, envp, NULL, 0);
}

EXPORT int execvp(const char *file, char *const argv[])
{
	return execvpe(file, argv, environ);
}

EXPORT int execveat(int dirfd, const char *path, char *const argv[],
                    char *const envp[], int flags)
{
	if (exec_check(dirfd, path, flags, path) != 0)
		return -1;
	if (real_execveat != NULL)
		return real_execveat(dirfd, path, argv, envp, flags);
	return (int)syscall(SYS_execveat, dirfd, path, argv, envp, flags);
}

EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	if (exec_check(fd, "", AT_EMPTY_PATH, "") != 0)
		return -1;
	if (real_fexecve == NULL) {
		errno = ENOSYS;
		return -1;
	}
	return real_fexecve(fd, argv, envp);
}

/* The variadic forms collect their arguments on the stack, as glibc
 * does, and go through the checked forms above. */
#define COLLECT_ARGS(arg0, ap, argv, argc)                                     \
	int argc = 1;                                                          \
	va_start(ap, arg0);                                                    \
	while (va_arg(ap, char *) != NULL)                                     \
		if (++argc == INT_MAX) {                                       \
			va_end(ap);                                            \
			errno = E2BIG;                                         \
			return -1;                                             \
		}                                                              \
	va_end(ap);                                                            \
	char *argv[argc + 1];                                                  \
	va_start(ap, arg0);                                                    \
	argv[0] = (char *)arg0;                                                \
	for (int i_ = 1; i_ <= argc; i_++)                                     \
		argv[i_] = va_arg(ap, char *);

EXPORT int execl(const char *path, const char *arg, ...)
{
	va_list ap;

	COLLECT_ARGS(arg, ap, argv, argc);
	va_end(ap);
	return checked_execve(path, argv, environ);
}

EXPORT int execle(const char *path, const char *arg, ...)
{
	va_list ap;
	char *const *envp;

	COLLECT_ARGS(arg, ap, argv, argc);
	envp = va_arg(ap, char *const *);
	va_end(ap);
	return checked_execve(path, argv, envp);
}

EXPORT int execlp(const char *file, const char *arg, ...)
{
	va_list ap;

	COLLECT_ARGS(arg, ap, argv, argc);
	va_end(ap);
	return execvpe(file, argv, environ);
}

EXPORT int posix_spawn(pid_t *pid, const char *path,
                       const posix_spawn_file_actions_t *fa,
                       const posix_spawnattr_t *attr, char *const argv[],
                       char *const envp[])
{
	int saved = errno, r;

	if (exec_check(AT_FDCWD, path, 0, path) != 0) {
		r = errno;
		errno = saved;
		return r;
	}
	if (real_posix_spawn == NULL)
		return ENOSYS;
	return real_posix_spawn(pid, path, fa, attr, argv, envp);
}

EXPORT int posix_spawnp(pid_t *pid, const char *file,
                        const posix_spawn_file_actions_t *fa,
                        const posix_spawnattr_t *attr, char *const argv[],
                        char *const envp[])
{
	char found[PATH_MAX];
	int saved = errno, r;

	ready();
	if (!exec_on)
		return real_posix_spawnp != NULL
		           ? real_posix_spawnp(pid, file, fa, attr, argv, envp)
		           : ENOSYS;
	if (search_path(file, argv, envp, found, sizeof(found)) != 0) {
		r = errno;
		errno = saved;
		return r;
	}
	/* Spawn the very path that was checked, not a second search. */
	return posix_spawn(pid, found, fa, attr, argv, envp);
}

/* glibc runs both through an internal posix_spawn of /bin/sh, which no
 * wrapper sees; check the shell here. */
EXPORT int system(const char *cmd)
{
	if (cmd != NULL && exec_check(AT_FDCWD, SHELL, 0, SHELL) != 0)
		return -1;
	return real_system != NULL ? real_system(cmd) : -1;
}

EXPORT FILE *popen(const char *cmd, const char *mode)
{
	if (exec_check(AT_FDCWD, SHELL, 0, SHELL) != 0)
		return NULL;
	return real_popen != NULL ? real_popen(cmd, mode) : NULL;
}

/* ---- dlopen ---- */

/* dlerror() after a denial says why; the loader's own error state is
 * cleared when we report ours. */
static __thread char dl_denied[PRELOAD_MAX_PATH + 128];
static __thread int dl_denied_pending;

static void audit(const char *file, int flags, const char *result)
{
	static const char hex[] = "0123456789abcdef";
	struct line l = {.len = 0};
	char fl[16];
	unsigned v = (unsigned)flags;
	int i, n = 0;

	line_put(&l, "autonomy-preload-audit: dlopen(filename=");
	if (file == NULL) {
		line_put(&l, "NULL");
	} else {
		const unsigned char *s = (const unsigned char *)file;

		l.buf[l.len++] = '"';
		for (; *s != '\0' && l.len < sizeof(l.buf) - 80; s++) {
			if (*s == '"' || *s == '\\') {
				l.buf[l.len++] = '\\';
				l.buf[l.len++] = (char)*s;
			} else if (*s < 0x20 || *s >= 0x7f) {
				l.buf[l.len++] = '\\';
				l.buf[l.len++] = 'x';
				l.buf[l.len++] = hex[*s >> 4];
				l.buf[l.len++] = hex[*s & 15];
			} else
				l.buf[l.len++] = (char)*s;
		}
		l.buf[l.len++] = '"';
	}
	line_put(&l, ", flags=0x");
	do
		fl[n++] = hex[v & 15];
	while ((v >>= 4) != 0);
	for (i = n - 1; i >= 0; i--)
		l.buf[l.len++] = fl[i];
	line_put(&l, ", result=");
	line_put(&l, result);
	line_put(&l, ")");
	line_write(&l);
}

static int dlopen_check(const char *file)
{
	char canon[PATH_MAX];

	if (!dlopen_on || file == NULL)
		return 1;
	if (strchr(file, '/') == NULL)
		return preload_dlopen_allowed(&dlopen_list, file);
	/* A path: compare the file it names; one that does not resolve
	 * must be listed as written (and will then fail to load). */
	if (exec_target(AT_FDCWD, file, 0, canon, sizeof(canon), 0) == T_OK)
		return preload_exec_allowed(&dlopen_list, canon);
	return preload_exec_allowed(&dlopen_list, file);
}

static void *dl_common(int m, Lmid_t lmid, const char *file, int flags)
{
	void *h;
	struct line l = {.len = 0};

	ready();
	if (!dlopen_check(file)) {
		say_denied("dlopen", file, DLOPEN_VAR);
		line_put(&l, "autonomy-preload: dlopen(");
		line_put_name(&l, file);
		line_put(&l, ") denied by " DLOPEN_VAR);
		l.buf[l.len < sizeof(dl_denied) ? l.len
		                                : sizeof(dl_denied) - 1] = '\0';
		memcpy(dl_denied, l.buf, sizeof(dl_denied));
		dl_denied_pending = 1;
		if (audit_on)
			audit(file, flags, "denied");
		errno = EPERM;
		return NULL;
	}
	if (m)
		h = real_dlmopen != NULL ? real_dlmopen(lmid, file, flags)
		                         : NULL;
	else
		h = real_dlopen != NULL ? real_dlopen(file, flags) : NULL;
	if (h == NULL)
		dl_denied_pending = 0;
	if (audit_on)
		audit(file, flags, h != NULL ? "loaded" : "load_failed");
	return h;
}

EXPORT void *dlopen(const char *file, int flags)
{
	return dl_common(0, LM_ID_BASE, file, flags);
}

EXPORT void *dlmopen(Lmid_t lmid, const char *file, int flags)
{
	return dl_common(1, lmid, file, flags);
}

EXPORT char *dlerror(void)
{
	ready();
	if (dl_denied_pending) {
		dl_denied_pending = 0;
		if (real_dlerror != NULL)
			(void)real_dlerror();
		return dl_denied;
	}
	return real_dlerror != NULL ? real_dlerror() : NULL;
}

/* ---- connect ---- */

static void say_connect_denied(const struct sockaddr *sa, socklen_t len)
{
	char addr[INET6_ADDRSTRLEN + 16], port[8];
	char *p = addr;
	unsigned v = 0;
	size_t n = 0;
	char digits[8];

	if (sa != NULL && sa->sa_family == AF_INET &&
	    len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const void *)sa;

		inet_ntop(AF_INET, &in->sin_addr, addr, sizeof(addr));
		p = addr + strlen(addr);
		v = ntohs(in->sin_port);
	} else if (sa != NULL && sa->sa_family == AF_INET6 &&
	           len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		addr[0] = '[';
		inet_ntop(AF_INET6, &in6->sin6_addr, addr + 1,
		          sizeof(addr) - 1);
		p = addr + strlen(addr);
		*p++ = ']';
		v = ntohs(in6->sin6_port);
	} else {
		/* Another family, or a short address: name the family. */
		memcpy(addr, "af=", 3);
		p = addr + 3;
		v = sa != NULL && len >= (socklen_t)sizeof(sa_family_t)
		        ? sa->sa_family
		        : 0;
		do
			digits[n++] = (char)('0' + v % 10);
		while ((v /= 10) != 0);
		while (n > 0)
			*p++ = digits[--n];
		*p = '\0';
		say_denied("connect", addr, CONNECT_VAR);
		return;
	}
	port[0] = ':';
	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	for (size_t i = 1; n > 0; i++)
		port[i] = digits[--n], port[i + 1] = '\0';
	memcpy(p, port, strlen(port) + 1);
	say_denied("connect", addr, CONNECT_VAR);
}

EXPORT int connect(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
	const struct sockaddr *sa = addr.__sockaddr__;

	ready();
	if (connect_on && !preload_connect_allowed(&connect_list, sa, len)) {
		say_connect_denied(sa, len);
		errno = EPERM;
		return -1;
	}
	if (real_connect == NULL) {
		errno = ENOSYS;
		return -1;
	}
	return real_connect(fd, sa, len);
}
