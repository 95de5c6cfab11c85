/* The workload's mount, seccomp and capability layers. See layers.h; the
 * seccomp profiles themselves are in seccomp/ (README.md). */
#include "layers.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "capdrop.h"
#include "log.h"

/* The highest capability the running kernel knows: PR_CAPBSET_READ says
 * EINVAL past it. No file is read (/proc/sys/kernel/cap_last_cap). */
static int kernel_last_cap(void)
{
	int c = 0;

	while (c < 63 && prctl(PR_CAPBSET_READ, c + 1, 0, 0, 0) >= 0)
		c++;
	return c;
}

static int caps_prepare(const Autonomy__SpawnRequest *req,
                        struct workload_layers *l, char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	uint64_t all;

	for (size_t i = 0; i < req->n_cap_drop; i++)
		if (capdrop_parse(req->cap_drop[i], &l->drop_asked, err,
		                  errlen) < 0)
			return -1;
	l->last_cap = kernel_last_cap();
	all = l->last_cap >= 63 ? UINT64_MAX : (1ULL << (l->last_cap + 1)) - 1;
	l->drop = l->drop_asked & all;
	l->caps_on = req->n_cap_drop > 0;
	for (int c = 0; c <= l->last_cap; c++)
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1)
			l->bounding |= 1ULL << c;
	if (syscall(SYS_capget, &hdr, l->caps) < 0) {
		snprintf(err, errlen, "spawner: capget: %s", strerror(errno));
		return -1;
	}
	if (!l->caps_on)
		return 0;
	/* Without CAP_SETPCAP the bounding set cannot be lowered; then
	 * no-new-privs (always set) is what keeps exec from granting a
	 * dropped cap (set-id and file caps are ignored under it). */
	l->drop_bounding = (l->caps[CAP_TO_INDEX(CAP_SETPCAP)].effective &
	                    CAP_TO_MASK(CAP_SETPCAP)) != 0;
	if (l->drop_bounding)
		l->bounding &= ~l->drop;
	for (int i = 0; i < 2; i++) {
		uint32_t keep = (uint32_t) ~(l->drop >> (32 * i));
		l->caps[i].effective &= keep;
		l->caps[i].permitted &= keep;
		l->caps[i].inheritable &= keep;
	}
	return 0;
}

/* The filter as BPF instructions, exported now: seccomp_load() in the
 * child would allocate (it generates the program on load). */
static int seccomp_export(scmp_filter_ctx ctx, struct workload_layers *l,
                          char *err, size_t errlen)
{
	int fd = memfd_create("seccomp-bpf", MFD_CLOEXEC);
	off_t size;
	int rc;

	if (fd < 0) {
		snprintf(err, errlen, "spawner: memfd_create: %s",
		         strerror(errno));
		return -1;
	}
	if ((rc = seccomp_export_bpf(ctx, fd)) != 0) {
		snprintf(err, errlen, "spawner: seccomp_export_bpf: %s",
		         strerror(-rc));
		goto fail;
	}
	size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || size % (off_t)sizeof(struct sock_filter) != 0 ||
	    size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS) {
		snprintf(err, errlen,
		         "spawner: the seccomp filter has %lld bytes (at most "
		         "%d instructions fit)",
		         (long long)size, BPF_MAXINSNS);
		goto fail;
	}
	if ((l->insns = malloc((size_t)size)) == NULL ||
	    pread(fd, l->insns, (size_t)size, 0) != (ssize_t)size) {
		snprintf(err, errlen,
		         "spawner: cannot read the exported "
		         "seccomp filter");
		goto fail;
	}
	close(fd);
	l->prog.len =
	    (unsigned short)(size / (off_t)sizeof(struct sock_filter));
	l->prog.filter = l->insns;
	return 0;
fail:
	close(fd);
	return -1;
}

/* Compiles p into l's program (and its summary and flags). */
static int seccomp_compile_into(struct seccomp_profile *p,
                                struct workload_layers *l, char *err,
                                size_t errlen)
{
	scmp_filter_ctx ctx = seccomp_profile_compile(p, err, errlen);
	int rc;

	if (ctx == NULL)
		return -1;
	seccomp_profile_summarize(p, &l->summary);
	l->filter_flags = p->log_flag ? SECCOMP_FILTER_FLAG_LOG : 0;
	rc = seccomp_export(ctx, l, err, errlen);
	seccomp_release(ctx);
	return rc;
}

/* The starter profile's program, compiled once by layers_warm_starter()
 * before the first request: it is the same in every run, and compiling
 * it cost ~0.4 ms of each run's start-up. */
static struct workload_layers starter;
static int starter_ready;

int layers_warm_starter(char *err, size_t errlen)
{
	struct seccomp_profile *p;
	int rc;

	if (starter_ready)
		return 0; /* once: the program never changes */
	if ((p = seccomp_profile_starter()) == NULL) {
		snprintf(err, errlen, "spawner: out of memory");
		return -1;
	}
	rc = seccomp_compile_into(p, &starter, err, errlen);
	seccomp_profile_free(p);
	if (rc < 0) {
		free(starter.insns);
		memset(&starter, 0, sizeof(starter));
	}
	starter_ready = rc == 0;
	return rc;
}

/* l gets its own copy of the warm starter program. */
static int seccomp_starter_copy(struct workload_layers *l, char *err,
                                size_t errlen)
{
	size_t size = starter.prog.len * sizeof(struct sock_filter);

	if ((l->insns = malloc(size)) == NULL) {
		snprintf(err, errlen, "spawner: out of memory");
		return -1;
	}
	memcpy(l->insns, starter.insns, size);
	l->prog.len = starter.prog.len;
	l->prog.filter = l->insns;
	l->summary = starter.summary;
	l->filter_flags = starter.filter_flags;
	return 0;
}

static int seccomp_prepare(const Autonomy__SpawnRequest *req,
                           struct workload_layers *l, char *err, size_t errlen)
{
	struct seccomp_profile *p;
	struct seccomp_host host;
	uint64_t caps;
	int rc;

	if (req->seccomp_mode == AUTONOMY__SECCOMP_MODE__SECCOMP_NONE)
		return 0;
	if (req->seccomp_mode == AUTONOMY__SECCOMP_MODE__SECCOMP_STARTER) {
		/* compiled once (now, if the spawner's start could not) */
		if (layers_warm_starter(err, errlen) < 0 ||
		    seccomp_starter_copy(l, err, errlen) < 0)
			return -1;
		l->seccomp_on = 1;
		return 0;
	}
	/* The workload's caps, as includes/excludes.caps see them: ours
	 * less --cap-drop (the supervisor did the same). */
	caps = (uint64_t)l->caps[1].effective << 32 | l->caps[0].effective;
	if (seccomp_host_current(&host, caps) < 0) {
		snprintf(err, errlen,
		         "spawner: cannot read the kernel release");
		return -1;
	}
	p = seccomp_profile_parse_json(
	    req->seccomp_profile_json, strlen(req->seccomp_profile_json),
	    req->seccomp_profile_path, &host, err, errlen);
	if (p == NULL)
		return -1;
	rc = seccomp_compile_into(p, l, err, errlen);
	seccomp_profile_free(p);
	if (rc == 0)
		l->seccomp_on = 1;
	return rc;
}

/* The filesystem layer: the request's values parsed and checked again,
 * and each --writable-mount's HOST taken now, as a detached copy of its
 * mount (open_tree), so the child only attaches it (move_mount). HOST is
 * looked up once, here, in the spawner's tree: not in the child's, where
 * a tmpfs or another writable mount could already lie over it. */
static int mounts_prepare(const Autonomy__SpawnRequest *req,
                          struct workload_layers *l, char *err, size_t errlen)
{
	struct mount_plan *p;

	if (!req->read_only_rootfs && req->n_tmpfs == 0 &&
	    req->n_writable_mounts == 0)
		return 0;
	if ((p = l->mounts = calloc(1, sizeof(*p))) == NULL)
		return errorf(err, errlen, "spawner: out of memory");
	p->read_only_rootfs = req->read_only_rootfs;
	for (size_t i = 0; i < req->n_tmpfs; i++)
		if (mounts_add_tmpfs(p, req->tmpfs[i], err, errlen) < 0)
			return -1;
	for (size_t i = 0; i < req->n_writable_mounts; i++)
		if (mounts_add_writable(p, req->writable_mounts[i], err,
		                        errlen) < 0)
			return -1;
	/* With --image the mount points are the image's. */
	if (mounts_check_in(p, l->image ? l->image->rootfd : -1,
	                    l->image ? l->image->rootfs : NULL, err,
	                    errlen) < 0)
		return -1;
	/* A mount namespace of its own needs CAP_SYS_ADMIN; without it
	 * the flags would look applied and not be. */
	if (!(caps_effective() & (1ULL << CAP_SYS_ADMIN)))
		return errorf(err, errlen,
		              "spawner: --read-only-rootfs, --tmpfs and "
		              "--writable-mount need CAP_SYS_ADMIN (a mount "
		              "namespace for the workload); run as root");
	/* mount_setattr is Linux 5.12; the child would fail on it later. */
	if (p->read_only_rootfs && mount_setattr(-1, "", 0, NULL, 0) < 0 &&
	    errno == ENOSYS)
		return errorf(err, errlen,
		              "spawner: --read-only-rootfs needs "
		              "mount_setattr(2) (Linux 5.12 or later)");
	for (size_t i = 0; i < p->nwritable; i++) {
		const struct writable_mount *w = &p->writable[i];
		struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
		int fd = open_tree(AT_FDCWD, w->host,
		                   OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);

		if (fd < 0)
			return errorf(err, errlen,
			              "spawner: --writable-mount %s:%s: cannot "
			              "take HOST (open_tree): %s",
			              w->host, w->container, strerror(errno));
		l->bind_fd[i] = fd;
		/* :rw leaves the HOST mount's own flags: a HOST on a
		 * read-only mount stays read-only. */
		if (w->read_only &&
		    mount_setattr(fd, "", AT_EMPTY_PATH, &ro, sizeof(ro)) < 0)
			return errorf(
			    err, errlen,
			    "spawner: --writable-mount %s:%s:ro: cannot "
			    "make it read-only (mount_setattr): %s",
			    w->host, w->container, strerror(errno));
	}
	return 0;
}

int layers_prepare(const Autonomy__SpawnRequest *req, struct workload_layers *l,
                   char *err, size_t errlen)
{
	memset(l, 0, sizeof(*l));
	for (size_t i = 0; i < MOUNTS_MAX_WRITABLE; i++)
		l->bind_fd[i] = -1;
	landlock_init(&l->landlock);
	/* caps before seccomp: a JSON profile's includes.caps depend on
	 * them */
	if (rootfs_prepare(req, &l->image, err, errlen) < 0 ||
	    mounts_prepare(req, l, err, errlen) < 0 ||
	    caps_prepare(req, l, err, errlen) < 0 ||
	    seccomp_prepare(req, l, err, errlen) < 0 ||
	    landlock_prepare(req, &l->landlock, err, errlen) < 0) {
		layers_free(l);
		return -1;
	}
	l->memfd_noexec = l->landlock.exec_on;
	l->pidns = l->image != NULL || l->memfd_noexec;
	return 0;
}

int layers_apply_memfd_noexec(void)
{
	int fd = open(LANDLOCK_MEMFD_SYSCTL, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	/* The kernel takes the writer's pid namespace: ours alone. */
	n = write(fd, "2", 1);
	close(fd);
	if (n != 1) {
		if (n >= 0)
			errno = EIO;
		return -1;
	}
	return 0;
}

int layers_apply_mounts(const struct workload_layers *l, int *stage, int *entry)
{
	const struct mount_plan *p = l->mounts;
	struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};

	if (p == NULL)
		return 0;
	/* --image: rootfs_enter() made the namespace, / is the image's. */
	*stage = LAYER_MOUNT_NS;
	if (l->image == NULL && unshare(CLONE_NEWNS) < 0)
		return -1;
	/* Nothing below propagates back to the host's mounts. */
	*stage = LAYER_MOUNT_PRIVATE;
	if (l->image == NULL &&
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -1;
	/* Every mount of the tree at once (/proc, /dev, /dev/shm too),
	 * before our own mounts exist, so they keep their flags. */
	if (p->read_only_rootfs) {
		*stage = LAYER_ROOT_RDONLY;
		if (mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &ro,
		                  sizeof(ro)) < 0)
			return -1;
	}
	*stage = LAYER_TMPFS;
	for (size_t i = 0; i < p->ntmpfs; i++) {
		unsigned long fl = MS_NOSUID | MS_NODEV;

		if (!p->tmpfs[i].exec)
			fl |= MS_NOEXEC;
		*entry = (int)i;
		if (mount("tmpfs", p->tmpfs[i].path, "tmpfs", fl,
		          MOUNTS_TMPFS_DATA) < 0)
			return -1;
	}
	*stage = LAYER_BIND;
	for (size_t i = 0; i < p->nwritable; i++) {
		*entry = (int)i;
		if (move_mount(l->bind_fd[i], "", AT_FDCWD,
		               p->writable[i].container,
		               MOVE_MOUNT_F_EMPTY_PATH) < 0)
			return -1;
	}
	return 0;
}

int layers_apply(const struct workload_layers *l, int *stage)
{
	if (l->caps_on) {
		struct __user_cap_header_struct hdr = {
		    _LINUX_CAPABILITY_VERSION_3, 0};
		struct __user_cap_data_struct caps[2];

		/* Bounding first: lowering it needs CAP_SETPCAP, which the
		 * capset below may drop. For a root workload this is the
		 * set that matters: exec gives root its bounding set. */
		for (int c = 0; c <= l->last_cap; c++) {
			if (!(l->drop & (1ULL << c)))
				continue;
			*stage = LAYER_BOUNDING;
			if (l->drop_bounding &&
			    prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1 &&
			    prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
				return -1;
			*stage = LAYER_AMBIENT;
			if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, c, 0,
			          0) < 0 &&
			    errno != EINVAL)
				return -1;
		}
		*stage = LAYER_CAPSET;
		memcpy(caps, l->caps, sizeof(caps));
		if (syscall(SYS_capset, &hdr, caps) < 0)
			return -1;
	}
	*stage = LAYER_NNP;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	/* After no-new-privs (restrict_self needs it without
	 * CAP_SYS_ADMIN), before a profile that could deny it. */
	*stage = LAYER_LANDLOCK;
	if (landlock_apply(&l->landlock) < 0)
		return -1;
	if (l->seccomp_on) {
		/* Last: the starter denies calls the steps above use. */
		*stage = LAYER_SECCOMP;
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
		            l->filter_flags, &l->prog) < 0)
			return -1;
	}
	return 0;
}

const char *layer_stage_name(int stage)
{
	switch (stage) {
	case LAYER_BOUNDING:
		return "drop from the capability bounding set";
	case LAYER_AMBIENT:
		return "lower the ambient capabilities";
	case LAYER_CAPSET:
		return "set the capabilities (capset)";
	case LAYER_NNP:
		return "set no_new_privs";
	case LAYER_SECCOMP:
		return "load the seccomp filter";
	case LAYER_MOUNT_NS:
		return "make its mount namespace (unshare CLONE_NEWNS)";
	case LAYER_MOUNT_PRIVATE:
		return "make / private (MS_REC|MS_PRIVATE)";
	case LAYER_ROOT_RDONLY:
		return "make / read-only (mount_setattr AT_RECURSIVE)";
	case LAYER_TMPFS:
		return "mount a tmpfs on --tmpfs";
	case LAYER_BIND:
		return "attach --writable-mount (move_mount)";
	case LAYER_LANDLOCK:
		return "restrict itself with the Landlock ruleset";
	}
	return "apply the sandbox";
}

void layers_free(struct workload_layers *l)
{
	for (size_t i = 0; i < MOUNTS_MAX_WRITABLE; i++) {
		if (l->bind_fd[i] >= 0)
			close(l->bind_fd[i]);
		l->bind_fd[i] = -1;
	}
	free(l->mounts);
	l->mounts = NULL;
	rootfs_free(l->image);
	l->image = NULL;
	free(l->insns);
	l->insns = NULL;
	l->prog.filter = NULL;
	l->seccomp_on = 0;
	landlock_free(&l->landlock);
}
