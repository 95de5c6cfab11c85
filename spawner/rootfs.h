/* --image: the workload's own root (DESIGN.md §5). The supervisor resolved
 * REF to a directory (an unpacked OCI image in the cache, or a root
 * filesystem directory); the spawner checks it again (rootfs_prepare,
 * before fork) and the child makes it the workload's / in new mount, pid,
 * ipc and uts namespaces (rootfs_enter), then becomes the pid namespace's
 * init (rootfs_init). The child only makes system calls: the spawner has
 * nng's threads. */
#ifndef AUTONOMY_SPAWNER_ROOTFS_H
#define AUTONOMY_SPAWNER_ROOTFS_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "autonomy.pb-c.h"

/* The host devices bound into the workload's /dev; the last one
 * (tty) is optional (a host without it gets a /dev without it). */
#define ROOTFS_NDEV 6
#define ROOTFS_HOSTNAME "autonomy"

/* What rootfs_enter() was doing when it failed. */
enum rootfs_stage {
	ROOTFS_PRIVATE = 1, /* / and below MS_PRIVATE */
	ROOTFS_BIND,        /* the root bound onto itself */
	ROOTFS_ATTR,        /* nosuid,nodev (and ro) on the new root */
	ROOTFS_PIVOT,       /* chdir, pivot_root, detach the old root */
	ROOTFS_PROC,        /* a fresh proc on /proc */
	ROOTFS_DEV,         /* the tmpfs on /dev */
	ROOTFS_DEV_NODE,    /* a host device bound into /dev, entry = which */
	ROOTFS_DEV_SHM,     /* the tmpfs on /dev/shm */
	ROOTFS_DEV_RDONLY,  /* /dev read-only once populated */
	ROOTFS_HOSTNAME_SET,
	ROOTFS_INIT_FORK, /* pid 1 forking the workload */
};

struct image_root {
	char rootfs[PATH_MAX];           /* absolute, a directory, no symlink */
	const char *ref, *kind, *digest; /* the request's, for the WAL */
	/* The image config's User (imageuser.h) and WorkingDir, as the
	 * request gives them: "" when the config has none. */
	const char *user, *workdir;
	int oci;    /* an unpacked image: the cache, mounted read-only */
	int rootfd; /* O_PATH of rootfs: mount points are checked in it */
	int dev_fd[ROOTFS_NDEV]; /* host devices, detached (open_tree) */
	char devs[64]; /* the names bound, for the WAL ("null,zero,...") */
	char dev_attr[256];
};

/* The request's image fields, checked again (never trusting the
 * supervisor): *out NULL without --image, else allocated. -1 with the
 * reason in err. */
int rootfs_prepare(const Autonomy__SpawnRequest *req, struct image_root **out,
                   char *err, size_t errlen);
void rootfs_free(struct image_root *r);

/* clone3() into a new pid namespace, and with image also new mount, ipc
 * and uts namespaces: like fork(), 0 in the child, which is pid 1 of its
 * pid namespace. */
pid_t rootfs_clone(int image);

/* In the child, first (before the mount layers, which then apply inside
 * the new root): / private, the root bound onto itself (read-only for an
 * image from the cache), pivot_root, the old root detached, /proc, a
 * minimal /dev, the hostname. System calls only. -1 with errno, *stage
 * and *entry set. */
int rootfs_enter(const struct image_root *r, int *stage, int *entry);

/* In the child, once the mount layers are in place: forks the workload
 * and returns 0 in it (with default signal dispositions and an empty
 * mask). The caller (pid 1) never returns: it forwards SIGTERM, SIGINT,
 * SIGHUP and SIGQUIT to the workload, reaps every process of the
 * namespace, and exits with the workload's status (128+N when it was
 * killed by signal N: pid 1 cannot die of a signal it sends itself).
 * errfd is closed in pid 1, so the exec pipe reports the workload's exec.
 * nested: the workload lives one pid namespace further down, under a
 * second such init (pid 1 there): a per-namespace setting made by the
 * caller (vm.memfd_noexec) is then its parent's, which it cannot lower.
 * -1 with errno when the fork fails. */
int rootfs_init(int errfd, int nested);

/* The sandbox.layer record (layer=image) as key, value, ..., NULL in kv
 * (ROOTFS_RECORD_KV slots): what the child will do, written before the
 * fork. The values point into r. */
#define ROOTFS_RECORD_KV 31
void rootfs_record(const struct image_root *r,
                   const char *kv[ROOTFS_RECORD_KV]);

const char *rootfs_stage_name(int stage);

/* The host device an entry of ROOTFS_DEV_NODE is, or "". */
const char *rootfs_dev_name(int entry);

#endif
