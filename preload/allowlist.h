/* Parsers and matchers for the LD_PRELOAD shim's three allow-lists
 * (AUTONOMY_PRELOAD_{EXEC,DLOPEN,CONNECT}_ALLOWLIST). Pure code: no
 * allocation, no interposition, so the supervisor can refuse a malformed
 * flag before any side effect, the fuzzer can drive it, and the shim can
 * keep the parsed lists in static storage. See preload/README.md. */
#ifndef AUTONOMY_PRELOAD_ALLOWLIST_H
#define AUTONOMY_PRELOAD_ALLOWLIST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define PRELOAD_MAX_ENTRIES 256
#define PRELOAD_MAX_LIST_LEN 65536 /* bytes in one env value */
#define PRELOAD_MAX_PATH 4095      /* bytes in one path entry */
#define PRELOAD_ERR_MAX 256

/* Exec and dlopen lists. path[i] is the entry as written; canon[i] is
 * what the matcher compares with: the entry itself until
 * preload_paths_canonicalize() resolves it (symlinks, e.g. /bin/sh ->
 * /usr/bin/dash). */
struct preload_paths {
	size_t n;
	const char *path[PRELOAD_MAX_ENTRIES];
	const char *canon[PRELOAD_MAX_ENTRIES];
	char buf[PRELOAD_MAX_LIST_LEN + 1];
	char cbuf[PRELOAD_MAX_LIST_LEN + PRELOAD_MAX_PATH + 1];
};

struct preload_net {
	int family;       /* AF_INET or AF_INET6 (v4-mapped stored as v4) */
	uint8_t addr[16]; /* network order; 4 bytes used for AF_INET */
	unsigned prefix;  /* 0..32 or 0..128 */
	int port;         /* 0..65535, or -1 for `*` */
};

struct preload_nets {
	size_t n;
	struct preload_net e[PRELOAD_MAX_ENTRIES];
};

/* `:`-joined absolute paths, each without `.`/`..`/empty components or
 * a trailing slash. "" is a valid, empty list (deny every exec). Returns
 * 0, or -1 with err naming the bad entry. */
int preload_parse_exec_list(const char *s, struct preload_paths *out, char *err,
                            size_t errlen);

/* As the exec list, but an entry may also be a bare file name without
 * any slash ("libfoo.so.1"): it matches dlopen("libfoo.so.1") exactly. */
int preload_parse_dlopen_list(const char *s, struct preload_paths *out,
                              char *err, size_t errlen);

/* `,`-joined `a.b.c.d:port`, `a.b.c.d/len:port`, `[v6]:port`,
 * `[v6/len]:port`; port is 0..65535 or `*`. No host names, no host bits
 * beyond the prefix. "" is a valid, empty list (loopback only). */
int preload_parse_connect_list(const char *s, struct preload_nets *out,
                               char *err, size_t errlen);

/* Replace canon[i] by realpath(path[i]) where that resolves (an entry
 * that does not exist stays as written). Not async-signal-safe: call
 * once at load. Returns 0, or -1 with err if the results do not fit. */
int preload_paths_canonicalize(struct preload_paths *l, char *err,
                               size_t errlen);

/* canonical: the canonical absolute path of the file to execute. */
int preload_exec_allowed(const struct preload_paths *l, const char *canonical);

/* name: the string passed to dlopen (a bare name) or, for a name with a
 * slash, the canonical path of the file. NULL (the main program) is
 * always allowed. */
int preload_dlopen_allowed(const struct preload_paths *l, const char *name);

/* 1 if sa may be connected to: AF_UNIX and AF_UNSPEC always, loopback
 * (127/8, ::1, ::ffff:127.0.0.0/104) always, other AF_INET/AF_INET6
 * addresses when an entry matches, anything else never. */
int preload_connect_allowed(const struct preload_nets *l,
                            const struct sockaddr *sa, socklen_t len);

#endif
