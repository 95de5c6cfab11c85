/* Confinement every helper applies to itself before the first untrusted
 * byte: no-new-privs, no capabilities, rlimits, and a seccomp allow-list.
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
 * and a filter holding confine_seccomp_nng_base() plus extra[0..n).
 * The caller may add its own rules, then calls confine_seccomp_load().
 * NULL on failure (already logged). */
scmp_filter_ctx confine_helper_begin(const struct confine_limits *lim,
                                     const char *const *extra, size_t n);

#endif
