/* Confinement every helper applies to itself before the first untrusted
 * byte: no-new-privs, no capabilities, rlimits, a Landlock ruleset and a
 * seccomp allow-list (docs/confinement.md has the reviewer's table).
 * Each helper's own list lives in <helper>/sandbox.c and calls these. */
#ifndef AUTONOMY_CONFINE_H
#define AUTONOMY_CONFINE_H

#include <seccomp.h>
#include <stddef.h>
#include <sys/resource.h>

#define CONFINE_KEEP ((rlim_t)-2)

struct confine_limits {
	rlim_t nofile; /* max open fds */
	rlim_t fsize;  /* largest file the helper may write; 0 for none */
};

int confine_no_new_privs(void);
/* Drops every capability, bounding set included (when we hold any). */
int confine_drop_caps(void);
/* Sets NOFILE and FSIZE as given, CORE to 0 always (a core file would
 * leak tokens and tool traffic). */
int confine_rlimits(const struct confine_limits *lim);

/* A Landlock ruleset handling every file-system right the kernel knows,
 * allowing only: rw_dir's files (when not NULL: read, write, truncate,
 * list; no create, remove, rename, exec) and making a socket in sock_dir
 * (when not NULL: the helper's own ipc listener). With ABI >= 4 TCP bind
 * and connect are handled with no port allowed; with ABI >= 6 the
 * abstract unix socket and signal scopes (nothing outside the helper's
 * own Landlock domain). Accepting on a listener it already holds stays
 * possible, and so does connecting to a pathname unix socket (Landlock
 * does not cover that: the directories' modes do, see run.c).
 *
 * landlock_restrict_self() binds the calling thread and the threads it
 * creates later, not the ones already running: so this runs before the
 * first nng socket (which starts nng's threads), unlike seccomp, which is
 * loaded with TSYNC. A kernel without Landlock: 0 and *abi = 0, logged
 * (seccomp still holds); any other failure is -1. */
int confine_landlock(const char *rw_dir, const char *sock_dir, int *abi);

/* confine_landlock() for the one helper that connects out (the
 * fetcher): with ABI >= 4, TCP bind stays refused and TCP connect is
 * allowed to ports[0..nports) only (Landlock's net rules are per port,
 * not per address), or to every port when nports is CONFINE_ANY_PORT
 * (connect then not handled). UDP is outside Landlock (up to ABI 7). */
#define CONFINE_ANY_PORT ((size_t)-1)
int confine_landlock_net(const char *rw_dir, const char *sock_dir,
                         const unsigned *ports, size_t nports, int *abi);

/* RLIMIT_NPROC 0: no new process or thread for the helper's uid. Called
 * once every thread the helper will ever have exists, just before it
 * reports ready. The kernel ignores NPROC for uid 0: this holds where
 * the helper runs under its own uid (the supervisor as root). */
int confine_no_more_threads(void);

/* A seccomp filter for the native arch only (other arches are killed),
 * default action SCMP_ACT_KILL_PROCESS: a confined helper that tries a
 * forbidden call is dead, not probing. Filters are applied to all threads
 * (TSYNC). Test builds (-Dtest_hooks=true) honour
 * AUTONOMY_SECCOMP_TRAP=1, which traps instead and names the syscall, to
 * debug an allow-list; release builds do not contain that code. */
scmp_filter_ctx confine_seccomp_new(void);

/* Allows each syscall by name; an unknown name is an error. */
int confine_seccomp_allow(scmp_filter_ctx ctx, const char *const *names,
                          size_t n);

/* What every nng helper needs once its sockets exist: memory without
 * PROT_EXEC, threads (clone with CLONE_THREAD only; clone3 gets ENOSYS
 * so glibc falls back to clone, whose flags we can inspect), futexes,
 * epoll, AF_UNIX sockets only, time, exit. open/openat fail with EACCES
 * (no new files once confined). */
int confine_seccomp_nng_base(scmp_filter_ctx ctx);

int confine_seccomp_load(scmp_filter_ctx ctx);

/* The prologue every nng helper runs, in this order: SIGXFSZ ignored
 * (under a small FSIZE a write to a regular file then fails with EFBIG
 * instead of killing us), no-new-privs, capabilities dropped, rlimits,
 * and a filter holding confine_seccomp_nng_base() plus extra[0..n)
 * (confine_landlock() ran earlier, before any thread).
 * The caller may add its own rules, then calls confine_seccomp_load().
 * NULL on failure (already logged). */
scmp_filter_ctx confine_helper_begin(const struct confine_limits *lim,
                                     const char *const *extra, size_t n);

#endif
