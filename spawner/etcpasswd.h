/* An image config's User ("user[:group]", Docker's forms) resolved
 * against the image's own /etc/passwd and /etc/group (docs/processes.md,
 * "The workload's image layer"). The files are the image's, untrusted:
 * every line is checked, a malformed one fails the whole lookup. Pure
 * functions on caller-given bytes: no allocation, no system call, so
 * the spawner's child (between fork and exec, with nng's threads left
 * behind) can call them. fuzz_etcpasswd.c fuzzes them. */
#ifndef AUTONOMY_SPAWNER_ETCPASSWD_H
#define AUTONOMY_SPAWNER_ETCPASSWD_H

#include <stddef.h>
#include <stdint.h>

#define ETCPASSWD_MAX_FILE (256 * 1024) /* /etc/passwd, /etc/group */
#define ETCPASSWD_MAX_NAME 256          /* a user or group name */
#define ETCPASSWD_MAX_SPEC (2 * ETCPASSWD_MAX_NAME + 1)
#define ETCPASSWD_MAX_GROUPS 256     /* supplementary groups of one user */
#define ETCPASSWD_MAX_ID 2147483647u /* Docker's (runc's) upper bound */

enum etcpasswd_error {
	ETCPW_OK = 0,
	ETCPW_SPEC,            /* User is not USER or USER:GROUP */
	ETCPW_ID_RANGE,        /* a uid or gid past ETCPASSWD_MAX_ID */
	ETCPW_NO_PASSWD,       /* a user name, and no /etc/passwd */
	ETCPW_NO_USER,         /* the user name is not in /etc/passwd */
	ETCPW_NO_GROUP_FILE,   /* a group name, and no /etc/group */
	ETCPW_NO_GROUP,        /* the group name is not in /etc/group */
	ETCPW_PASSWD_LINE,     /* /etc/passwd malformed at *line */
	ETCPW_GROUP_LINE,      /* /etc/group malformed at *line */
	ETCPW_TOO_MANY_GROUPS, /* more than ETCPASSWD_MAX_GROUPS */
	/* Reading the files (spawner/imageuser.c), not parsing them. */
	ETCPW_PASSWD_READ, /* errno says why */
	ETCPW_GROUP_READ,
	ETCPW_PASSWD_BIG, /* larger than ETCPASSWD_MAX_FILE */
	ETCPW_GROUP_BIG,
	ETCPW_PASSWD_TYPE, /* not a regular file */
	ETCPW_GROUP_TYPE,
};

struct etcpasswd_ids {
	uint32_t uid, gid;
	size_t ngroups; /* supplementary, in /etc/group's order */
	uint32_t groups[ETCPASSWD_MAX_GROUPS];
};

/* User's form alone, before any file is read: ETCPW_OK, ETCPW_SPEC or
 * ETCPW_ID_RANGE. "" is not a spec (no User: the caller keeps root). */
int etcpasswd_check_spec(const char *spec);

/* Resolves spec as Docker does: USER numeric is a uid (its passwd entry,
 * if any, gives the gid, else gid 0), otherwise a name that must be in
 * /etc/passwd; GROUP numeric is a gid, otherwise a name that must be in
 * /etc/group. Without GROUP, a user found in /etc/passwd gets the groups
 * that list its name as supplementary groups; with GROUP, none. First
 * match wins. passwd or group NULL: that file does not exist. Returns
 * ETCPW_OK with *ids filled, or an error (*line: the malformed line,
 * 1-based, for ETCPW_*_LINE). */
int etcpasswd_resolve(const char *spec, const char *passwd, size_t plen,
                      const char *group, size_t glen, struct etcpasswd_ids *ids,
                      size_t *line);

/* What went wrong, for a message ("no such user in the image's
 * /etc/passwd"). */
const char *etcpasswd_error_text(int e);

#endif
