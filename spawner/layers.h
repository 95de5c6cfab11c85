/* The workload's mount, seccomp and capability layers (DESIGN.md §5), built by
 * the spawner from a SpawnRequest. Everything that allocates, parses or
 * compiles happens in layers_prepare(), in the spawner before fork; the
 * child only runs layers_apply(), which makes system calls and nothing
 * else (async-signal-safe: the spawner has nng's threads). */
#ifndef AUTONOMY_SPAWNER_LAYERS_H
#define AUTONOMY_SPAWNER_LAYERS_H

#include <linux/capability.h>
#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

#include "autonomy.pb-c.h"
#include "landlock.h"
#include "mounts.h"
#include "profile.h"
#include "rootfs.h"

/* What layers_apply() was doing when it failed (for the spawner's
 * message). */
enum layer_stage {
	LAYER_BOUNDING = 1,  /* PR_CAPBSET_DROP */
	LAYER_AMBIENT,       /* PR_CAP_AMBIENT_LOWER */
	LAYER_CAPSET,        /* capset */
	LAYER_NNP,           /* PR_SET_NO_NEW_PRIVS */
	LAYER_SECCOMP,       /* seccomp(SECCOMP_SET_MODE_FILTER) */
	LAYER_MOUNT_NS,      /* unshare(CLONE_NEWNS) */
	LAYER_MOUNT_PRIVATE, /* / and below MS_PRIVATE */
	LAYER_ROOT_RDONLY,   /* mount_setattr(/, AT_RECURSIVE, RDONLY) */
	LAYER_TMPFS,         /* mount(tmpfs), entry = its index */
	LAYER_BIND,          /* move_mount(HOST's tree), entry = its index */
	LAYER_LANDLOCK,      /* landlock_restrict_self */
};

struct workload_layers {
	/* --image: the workload's own root and namespaces (rootfs.h), or
	 * NULL. With it the mount layers apply inside the new root. */
	struct image_root *image;
	/* mounts: --read-only-rootfs, --tmpfs, --writable-mount, or NULL
	 * (then no mount namespace) */
	struct mount_plan *mounts;
	/* each --writable-mount's HOST as a detached copy of its mount
	 * (open_tree OPEN_TREE_CLONE, made read-only for :ro), -1 if none */
	int bind_fd[MOUNTS_MAX_WRITABLE];
	/* seccomp: the compiled profile as a BPF program, or none */
	int seccomp_on;
	struct sock_filter *insns;
	struct sock_fprog prog;
	unsigned filter_flags; /* SECCOMP_FILTER_FLAG_LOG, from "flags" */
	struct seccomp_summary summary;
	/* capabilities: --cap-drop, or none given */
	int caps_on;
	uint64_t drop_asked; /* as parsed (CAPDROP_ALL for ALL) */
	uint64_t drop;       /* limited to the running kernel's caps */
	int last_cap;        /* highest cap the kernel knows */
	int drop_bounding;   /* we hold CAP_SETPCAP: the bounding set
	                        can be lowered */
	uint64_t bounding;   /* the workload's bounding set */
	struct __user_cap_data_struct caps[2]; /* for capset */
	/* Landlock: with the exec / connect allow-lists (landlock.h) */
	struct landlock_layer landlock;
	/* The exec allow-list's backing where Landlock does not look:
	 * vm.memfd_noexec=2 in the workload's pid namespace, so a memfd
	 * cannot be made executable (no fileless exec). */
	int memfd_noexec;
	/* A pid namespace of the workload's own under a tiny init
	 * (rootfs_init): with --image, or for memfd_noexec (the sysctl is
	 * per pid namespace). */
	int pidns;
};

/* In the child, pid 1 of its new pid namespace, before its other
 * layers: vm.memfd_noexec=2 for the namespace. System calls only. -1
 * with errno set. */
int layers_apply_memfd_noexec(void);

/* Parses the request's settings again (never trusting the supervisor's
 * parse) and prepares every layer. -1 with the reason in err. */
/* Compiles the starter seccomp profile once, ahead of any request, so a
 * run with the default profile copies it instead of compiling it (a
 * failure here only means each request compiles it itself). Once: a
 * second call does nothing. */
int layers_warm_starter(char *err, size_t errlen);

int layers_prepare(const Autonomy__SpawnRequest *req, struct workload_layers *l,
                   char *err, size_t errlen);

/* In the child between fork and exec, first of all (before its chdir, so
 * that the workload's cwd is looked up in its own tree): its own mount
 * namespace, / private, / read-only (recursively), the tmpfs mounts, the
 * writable mounts. System calls only. -1 with errno set, *stage saying
 * which step failed and *entry which tmpfs or writable mount. */
int layers_apply_mounts(const struct workload_layers *l, int *stage,
                        int *entry);

/* In the child between fork and exec, as its last steps: capabilities
 * dropped (bounding, ambient, then effective/permitted/inheritable),
 * no-new-privs, the Landlock ruleset, then the seccomp filter. System calls
 * only. -1 with errno set and *stage saying which step failed. */
int layers_apply(const struct workload_layers *l, int *stage);

const char *layer_stage_name(int stage);

void layers_free(struct workload_layers *l);

#endif
