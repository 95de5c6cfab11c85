/* The workload's filesystem layer (DESIGN.md §5): --read-only-rootfs,
 * --tmpfs and --writable-mount. Parsed and checked the same way by the
 * supervisor, which refuses a bad entry before anything starts, and by
 * the spawner, which never trusts the supervisor's parse. */
#ifndef AUTONOMY_MOUNTS_H
#define AUTONOMY_MOUNTS_H

#include <stddef.h>

#define MOUNTS_MAX_TMPFS 16
#define MOUNTS_MAX_WRITABLE 16
#define MOUNTS_MAX_PATH 1024 /* each path, NUL included */
/* Every tmpfs: at most 64 MiB of the host's memory, world-writable with
 * the sticky bit (like /tmp). */
#define MOUNTS_TMPFS_DATA "size=64m,mode=1777"

struct tmpfs_mount {
	char path[MOUNTS_MAX_PATH];
	int exec; /* PATH:exec; else noexec */
};

struct writable_mount {
	char host[MOUNTS_MAX_PATH];
	char container[MOUNTS_MAX_PATH];
	int read_only; /* HOST:CONTAINER:ro */
};

struct mount_plan {
	int read_only_rootfs;
	size_t ntmpfs;
	struct tmpfs_mount tmpfs[MOUNTS_MAX_TMPFS];
	size_t nwritable;
	struct writable_mount writable[MOUNTS_MAX_WRITABLE];
};

/* One --tmpfs value: PATH[:exec][,PATH[:exec]...], each absolute with no
 * ".." component. Adds its entries to p. -1 with the flag and the entry
 * at fault in err. */
int mounts_add_tmpfs(struct mount_plan *p, const char *value, char *err,
                     size_t errlen);

/* One --writable-mount value: HOST:CONTAINER[:ro|:rw] (rw by default),
 * both absolute with no ".." component. */
int mounts_add_writable(struct mount_plan *p, const char *value, char *err,
                        size_t errlen);

/* Once every flag is in: no mount point given twice or nested in
 * another, every HOST exists, every mount point exists (they are never
 * created: on the host's root that would be a change to the host, and a
 * read-only root cannot take one) and is of the HOST's kind (directory
 * or not); a tmpfs goes on a directory. -1 with the entry in err. */
int mounts_check(const struct mount_plan *p, char *err, size_t errlen);

/* mounts_check() with --image: the mount points are looked up inside
 * the root filesystem open at rootfd (named root in messages), as the
 * workload will see them; HOST stays a host path. */
int mounts_check_in(const struct mount_plan *p, int rootfd, const char *root,
                    char *err, size_t errlen);

/* stat(2) of path resolved inside the tree at rootfd as if it were /
 * (openat2 RESOLVE_IN_ROOT: ".." and symlinks, absolute ones too, never
 * leave it; no magic links, no other mount crossed); plain stat() when
 * rootfd < 0. -1 with errno. */
struct stat;
int mounts_stat_in_root(int rootfd, const char *path, struct stat *st);

/* Whether any of the three flags was given (a mount namespace needed). */
int mounts_any(const struct mount_plan *p);

#endif
