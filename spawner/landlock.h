/* The workload's Landlock layer (DESIGN.md §5): the kernel-side backing of
 * the shim's exec and connect allow-lists, which static binaries, raw
 * system calls and io_uring bypass.
 *
 * --preload-exec-allowlist: a ruleset handling LANDLOCK_ACCESS_FS_EXECUTE
 * only (reads and writes are not touched), granting it on each listed
 * file, on the workload's own command (argv[0] as the request's PATH
 * finds it) and on what those need to start: the ELF interpreter of each
 * (PT_INTERP) and, for a `#!` script, its interpreter, recursively.
 * --preload-connect-allowlist: the same ruleset handles
 * LANDLOCK_ACCESS_NET_CONNECT_TCP (ABI 4), allowing the entries' ports
 * and the runtime's (AUTONOMY_RUNTIME_URL). Landlock rules are per port,
 * not per address: the address part is the shim's (and the network
 * namespace's). A `*` port cannot be expressed: net is then not handled.
 *
 * The spawner opens, parses and builds the whole ruleset before fork
 * (landlock_prepare); the child only calls landlock_restrict_self. */
#ifndef AUTONOMY_SPAWNER_LANDLOCK_H
#define AUTONOMY_SPAWNER_LANDLOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "autonomy.pb-c.h"

/* Files granted EXECUTE: the listed ones (at most 256, the shim's bound),
 * argv[0] and their interpreters. */
#define LANDLOCK_MAX_GRANTS 1024
/* The connect entries' ports (256 at most) and the runtime's. */
#define LANDLOCK_MAX_PORTS 257
/* Nested `#!` interpreters followed; the kernel stops at 4 too
 * (BINPRM_MAX_RECURSION). */
#define LANDLOCK_MAX_SCRIPT_DEPTH 4
/* ABI 4 (Linux 6.7) added LANDLOCK_ACCESS_NET_CONNECT_TCP. */
#define LANDLOCK_ABI_NET 4
/* Landlock never checks memfd files (a kernel-internal mount): an exec
 * allow-list is backed there by this sysctl, set to 2 in the workload's
 * own pid namespace (layers.h: memfd_noexec). */
#define LANDLOCK_MEMFD_SYSCTL "/proc/sys/vm/memfd_noexec"

struct landlock_grant {
	char *path;      /* as named (listed, found on PATH, PT_INTERP) */
	const char *why; /* "listed", "argv[0]", "interpreter" */
	dev_t dev;       /* the file the rule is on */
	ino_t ino;
};

struct landlock_layer {
	int on;      /* an allow-list asked for it: recorded */
	int abi;     /* the kernel's Landlock ABI */
	int exec_on; /* the ruleset handles EXECUTE */
	int net_on;  /* the ruleset handles CONNECT_TCP */
	int connect_asked;
	const char *net_off; /* why not, with a connect allow-list */
	struct landlock_grant *grant;
	size_t ngrants;
	uint16_t port[LANDLOCK_MAX_PORTS];
	size_t nports;
	int ruleset_fd; /* built before fork; -1 when nothing is handled */
};

/* The kernel's Landlock ABI version (>= 1), or -errno: ENOSYS when the
 * kernel has no Landlock, EOPNOTSUPP when it is built in but not
 * enabled (the lsm= boot parameter). */
int landlock_abi(void);

/* What the allow-list flags (values as given) ask of the kernel,
 * checked by the supervisor before any side effect and again by the
 * spawner: each exec entry an existing regular file, the Landlock ABI
 * they need present. -1 with a message naming the flag, the entry or the
 * missing kernel feature (and --no-landlock) in err. */
int landlock_check(const char *const *exec, size_t nexec,
                   const char *const *connect, size_t nconnect, char *err,
                   size_t errlen);

void landlock_init(struct landlock_layer *l);

/* Parses the request's landlock_exec / landlock_connect again (never
 * trusting the supervisor), opens every file to grant, reads their
 * interpreters, and builds the ruleset. -1 with the reason in err. */
int landlock_prepare(const Autonomy__SpawnRequest *req,
                     struct landlock_layer *l, char *err, size_t errlen);

/* In the child, after no-new-privs and before the seccomp filter: the
 * only system call is landlock_restrict_self. -1 with errno set. */
int landlock_apply(const struct landlock_layer *l);

/* The sandbox.layer record's attributes (key, value, ..., NULL) into kv
 * (room for max entries, NULL included); the values live in buf. */
void landlock_attrs(const struct landlock_layer *l, const char **kv, size_t max,
                    char *buf, size_t buflen);

void landlock_free(struct landlock_layer *l);

#endif
