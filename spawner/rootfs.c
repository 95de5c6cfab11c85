/* --image: the workload's own root, namespaces and pid 1. See rootfs.h;
 * docs/processes.md ("The workload's image layer") has the steps and why. */
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capdrop.h"
#include "etcpasswd.h"
#include "log.h"
#include "mounts.h"

static const char *const dev_names[ROOTFS_NDEV] = {"null",   "zero",    "full",
                                                   "random", "urandom", "tty"};
static const char *const dev_paths[ROOTFS_NDEV] = {
    "/dev/null",   "/dev/zero",    "/dev/full",
    "/dev/random", "/dev/urandom", "/dev/tty"};
/* The usual links of a /dev (bash's process substitution uses /dev/fd). */
static const char *const dev_links[][2] = {
    {"/proc/self/fd", "/dev/fd"},
    {"/proc/self/fd/0", "/dev/stdin"},
    {"/proc/self/fd/1", "/dev/stdout"},
    {"/proc/self/fd/2", "/dev/stderr"},
};

/* The signals pid 1 passes on to the workload: the ones the supervisor
 * forwards. */
static const int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT};
#define NFORWARDED (sizeof(forwarded) / sizeof(forwarded[0]))

/* ---- before fork: the request checked again ------------------------- */

/* An absolute path without ".", ".." or empty components and without a
 * trailing '/': the supervisor sends realpath()'s form. */
static int canonical(const char *p)
{
	size_t n = strlen(p);

	if (p[0] != '/' || n < 2 || n >= PATH_MAX || p[n - 1] == '/' ||
	    strstr(p, "//") != NULL || strstr(p, "/./") != NULL ||
	    strstr(p, "/../") != NULL)
		return 0;
	return !(n >= 2 && strcmp(p + n - 2, "/.") == 0) &&
	       !(n >= 3 && strcmp(p + n - 3, "/..") == 0);
}

static int digest_valid(const char *d)
{
	if (strncmp(d, "sha256:", 7) != 0 || strlen(d) != 71)
		return 0;
	return strspn(d + 7, "0123456789abcdef") == 64;
}

/* The image config's User and WorkingDir: an image layout's only (a
 * root filesystem directory has no config), User in a form the child's
 * parser takes, WorkingDir absolute. The child looks both up in the
 * image. */
static int config_fields(const Autonomy__SpawnRequest *req,
                         struct image_root *r, char *err, size_t errlen)
{
	int e;

	r->user = req->image_user;
	r->workdir = req->image_workdir;
	if (!r->oci && (r->user[0] != '\0' || r->workdir[0] != '\0'))
		return errorf(err, errlen,
		              "spawner: --image %s: a root filesystem "
		              "directory has no image config (User, "
		              "WorkingDir)",
		              req->image_ref);
	if (r->user[0] != '\0' &&
	    (e = etcpasswd_check_spec(r->user)) != ETCPW_OK)
		return errorf(err, errlen,
		              "spawner: --image %s: image config User "
		              "\"%.*s\": %s",
		              req->image_ref, ETCPASSWD_MAX_SPEC, r->user,
		              etcpasswd_error_text(e));
	if (r->workdir[0] != '\0' &&
	    (r->workdir[0] != '/' || strlen(r->workdir) >= PATH_MAX))
		return errorf(err, errlen,
		              "spawner: --image %s: image config WorkingDir "
		              "\"%.256s\" is not an absolute path",
		              req->image_ref, r->workdir);
	return 0;
}

/* kind, digest and path agree: an unpacked image lives in the cache
 * under its manifest digest's hex. */
static int check_fields(const Autonomy__SpawnRequest *req, struct image_root *r,
                        char *err, size_t errlen)
{
	const char *base;

	if (req->image_ref[0] == '\0')
		return errorf(err, errlen, "spawner: --image: no REF given");
	if (!canonical(req->image_rootfs))
		return errorf(
		    err, errlen,
		    "spawner: --image %s: root %s is not an absolute, "
		    "canonical path",
		    req->image_ref, req->image_rootfs);
	r->oci = strcmp(req->image_kind, "oci-layout") == 0;
	if (!r->oci && strcmp(req->image_kind, "rootfs") != 0)
		return errorf(err, errlen,
		              "spawner: --image %s: kind \"%s\" unknown "
		              "(oci-layout or rootfs)",
		              req->image_ref, req->image_kind);
	base = strrchr(req->image_rootfs, '/') + 1;
	if (r->oci && (!digest_valid(req->image_digest) ||
	               strcmp(base, req->image_digest + 7) != 0))
		return errorf(err, errlen,
		              "spawner: --image %s: digest \"%s\" is not the "
		              "sha256 of the unpacked image %s",
		              req->image_ref, req->image_digest,
		              req->image_rootfs);
	if (!r->oci && req->image_digest[0] != '\0')
		return errorf(err, errlen,
		              "spawner: --image %s: a root filesystem "
		              "directory has no digest",
		              req->image_ref);
	if (config_fields(req, r, err, errlen) < 0)
		return -1;
	snprintf(r->rootfs, sizeof(r->rootfs), "%s", req->image_rootfs);
	r->ref = req->image_ref;
	r->kind = req->image_kind;
	r->digest = req->image_digest;
	return 0;
}

/* The root: a directory reached without any symlink on the way (so the
 * child's path-based mount binds what was checked here), holding the
 * mount points /proc and /dev (never created: an image's tree is not
 * ours to change). */
static int open_root(struct image_root *r, char *err, size_t errlen)
{
	struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
	                       .resolve = RESOLVE_NO_SYMLINKS};
	static const char *const need[] = {"/proc", "/dev"};
	struct stat st;

	r->rootfd =
	    (int)syscall(SYS_openat2, AT_FDCWD, r->rootfs, &how, sizeof(how));
	if (r->rootfd < 0)
		return errorf(err, errlen,
		              "spawner: --image %s: root %s: %s (a directory, "
		              "no symlink on the way)",
		              r->ref, r->rootfs, strerror(errno));
	for (size_t i = 0; i < 2; i++)
		if (mounts_stat_in_root(r->rootfd, need[i], &st) < 0 ||
		    !S_ISDIR(st.st_mode))
			return errorf(err, errlen,
			              "spawner: --image %s: the image has no "
			              "%s directory (the mount point of the "
			              "workload's %s)",
			              r->ref, need[i], need[i]);
	return 0;
}

/* Each host device as a detached copy of its mount, attached in the
 * child's /dev after pivot_root, when the host's /dev is gone. */
static int take_devices(struct image_root *r, char *err, size_t errlen)
{
	size_t off = 0;

	for (int i = 0; i < ROOTFS_NDEV; i++) {
		struct stat st;
		int fd = open_tree(AT_FDCWD, dev_paths[i],
		                   OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);

		if (fd < 0 && i == ROOTFS_NDEV - 1)
			continue; /* no /dev/tty on this host: none inside */
		if (fd < 0)
			return errorf(
			    err, errlen,
			    "spawner: --image: cannot take the host's "
			    "%s (open_tree): %s",
			    dev_paths[i], strerror(errno));
		r->dev_fd[i] = fd;
		if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode))
			return errorf(
			    err, errlen,
			    "spawner: --image: the host's %s is not a "
			    "character device",
			    dev_paths[i]);
		off += (size_t)snprintf(r->devs + off, sizeof(r->devs) - off,
		                        "%s%s", off ? "," : "", dev_names[i]);
	}
	snprintf(r->dev_attr, sizeof(r->dev_attr),
	         "tmpfs, read-only: %s bound from the host; fd,stdin,stdout,"
	         "stderr links; /dev/shm tmpfs nosuid,nodev,noexec,%s",
	         r->devs, MOUNTS_TMPFS_DATA);
	return 0;
}

int rootfs_prepare(const Autonomy__SpawnRequest *req, struct image_root **out,
                   char *err, size_t errlen)
{
	struct image_root *r;

	*out = NULL;
	if (req->image_rootfs[0] == '\0') {
		if (req->image_ref[0] || req->image_kind[0] ||
		    req->image_digest[0] || req->image_user[0] ||
		    req->image_workdir[0])
			return errorf(err, errlen,
			              "spawner: image_ref/kind/digest/user/"
			              "workdir given without image_rootfs");
		return 0;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return errorf(err, errlen, "spawner: out of memory");
	r->rootfd = -1;
	for (int i = 0; i < ROOTFS_NDEV; i++)
		r->dev_fd[i] = -1;
	*out = r;
	if (check_fields(req, r, err, errlen) < 0)
		return -1;
	/* New namespaces, mounts and pivot_root need it; without it
	 * --image would look applied and not be. */
	if (!(caps_effective() & (1ULL << CAP_SYS_ADMIN)))
		return errorf(err, errlen,
		              "spawner: --image needs CAP_SYS_ADMIN (the "
		              "workload's namespaces and root); run as root");
	if (mount_setattr(-1, "", 0, NULL, 0) < 0 && errno == ENOSYS)
		return errorf(err, errlen,
		              "spawner: --image needs mount_setattr(2) (Linux "
		              "5.12 or later)");
	if (open_root(r, err, errlen) < 0 || take_devices(r, err, errlen) < 0)
		return -1;
	return 0;
}

void rootfs_free(struct image_root *r)
{
	if (r == NULL)
		return;
	if (r->rootfd >= 0)
		close(r->rootfd);
	for (int i = 0; i < ROOTFS_NDEV; i++)
		if (r->dev_fd[i] >= 0)
			close(r->dev_fd[i]);
	free(r);
}

/* ---- in the child: system calls only -------------------------------- */

pid_t rootfs_clone(int image)
{
	struct clone_args ca = {
	    .flags = CLONE_NEWPID |
	             (image ? CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS : 0),
	    .exit_signal = SIGCHLD,
	};

	return (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
}

/* The new root as a mount of its own (pivot_root needs one), nosuid and
 * nodev, read-only for an image from the cache (what the next run gets
 * must not be the workload's to change), then pivot_root and the old
 * root detached: nothing of the host's tree stays reachable. */
static int enter_root(const struct image_root *r, int *stage)
{
	struct mount_attr attr = {.attr_set =
	                              MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV};

	*stage = ROOTFS_PRIVATE;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -1;
	/* Not MS_REC: mounts below the directory on the host are not
	 * part of the image. */
	*stage = ROOTFS_BIND;
	if (mount(r->rootfs, r->rootfs, NULL, MS_BIND, NULL) < 0)
		return -1;
	*stage = ROOTFS_ATTR;
	if (r->oci)
		attr.attr_set |= MOUNT_ATTR_RDONLY;
	if (mount_setattr(AT_FDCWD, r->rootfs, 0, &attr, sizeof(attr)) < 0)
		return -1;
	/* pivot_root(".", "."): the old root ends up on top of the new
	 * one, and is detached from there (pivot_root(2)). */
	*stage = ROOTFS_PIVOT;
	if (chdir(r->rootfs) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 ||
	    umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		return -1;
	return 0;
}

/* /dev: a small tmpfs with the host's devices bound in, the usual links,
 * a /dev/shm tmpfs, then read-only (no device node can be made there,
 * and CAP_MKNOD aside, nothing else is wanted). */
static int make_dev(const struct image_root *r, int *stage, int *entry)
{
	struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};

	*stage = ROOTFS_DEV;
	if (mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC,
	          "mode=755,size=64k") < 0)
		return -1;
	for (size_t i = 0; i < sizeof(dev_links) / sizeof(dev_links[0]); i++)
		if (symlink(dev_links[i][0], dev_links[i][1]) < 0)
			return -1;
	*stage = ROOTFS_DEV_NODE;
	for (int i = 0; i < ROOTFS_NDEV; i++) {
		int fd;

		if (r->dev_fd[i] < 0)
			continue;
		*entry = i;
		fd = open(dev_paths[i], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		          0666);
		if (fd < 0)
			return -1;
		close(fd);
		if (move_mount(r->dev_fd[i], "", AT_FDCWD, dev_paths[i],
		               MOVE_MOUNT_F_EMPTY_PATH) < 0)
			return -1;
	}
	*stage = ROOTFS_DEV_SHM;
	if (mkdir("/dev/shm", 01777) < 0 ||
	    mount("tmpfs", "/dev/shm", "tmpfs",
	          MS_NOSUID | MS_NODEV | MS_NOEXEC, MOUNTS_TMPFS_DATA) < 0)
		return -1;
	*stage = ROOTFS_DEV_RDONLY;
	return mount_setattr(AT_FDCWD, "/dev", 0, &ro, sizeof(ro));
}

int rootfs_enter(const struct image_root *r, int *stage, int *entry)
{
	static const char host[] = ROOTFS_HOSTNAME;

	if (enter_root(r, stage) < 0)
		return -1;
	/* Ours is pid 1 of the new pid namespace: this proc shows only the
	 * workload's processes. */
	*stage = ROOTFS_PROC;
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	          NULL) < 0)
		return -1;
	if (make_dev(r, stage, entry) < 0)
		return -1;
	*stage = ROOTFS_HOSTNAME_SET;
	return sethostname(host, sizeof(host) - 1);
}

static volatile sig_atomic_t init_child;

static void init_forward(int sig)
{
	int saved = errno;

	if (init_child > 0)
		kill((pid_t)init_child, sig);
	errno = saved;
}

static void set_forwarding(void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART;
	sigfillset(&sa.sa_mask);
	for (size_t i = 0; i < NFORWARDED; i++)
		sigaction(forwarded[i], &sa, NULL);
}

/* pid 1 keeps nothing it does not need while the workload runs: no fd,
 * no capability but CAP_KILL (to signal a workload that changed its
 * uid), not dumpable (no ptrace, no /proc/1/fd for the workload). */
static int init_confine(void)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct caps[2];

	memset(caps, 0, sizeof(caps));
	caps[CAP_TO_INDEX(CAP_KILL)].effective = CAP_TO_MASK(CAP_KILL);
	caps[CAP_TO_INDEX(CAP_KILL)].permitted = CAP_TO_MASK(CAP_KILL);
	close_range(3, ~0U, 0);
	/* What `ps` in the image shows for pid 1 (else "spawner"). */
	prctl(PR_SET_NAME, "autonomy-init", 0, 0, 0);
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_capset, &hdr, caps) < 0)
		return -1;
	return 0;
}

/* A raw clone3: glibc's fork() would take malloc's locks, which one of
 * the spawner's threads may have held when we were cloned. */
static pid_t raw_fork(void)
{
	struct clone_args ca = {.exit_signal = SIGCHLD};

	return (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
}

static noreturn void init_loop(pid_t workload)
{
	for (;;) {
		int st;
		pid_t w = waitpid(-1, &st, 0);

		if (w < 0 && errno != EINTR)
			_exit(127); /* no child left: cannot happen */
		if (w != workload)
			continue; /* an orphan of the namespace, reaped */
		/* Our exit takes the rest of the namespace with it
		 * (SIGKILL from the kernel). */
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	}
}

/* A raw clone3 into a new pid namespace: the child is its pid 1. */
static pid_t raw_fork_pidns(void)
{
	struct clone_args ca = {.flags = CLONE_NEWPID, .exit_signal = SIGCHLD};

	return (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
}

int rootfs_init(int errfd, int nested)
{
	sigset_t block, none;
	pid_t pid;

	sigemptyset(&block);
	for (size_t i = 0; i < NFORWARDED; i++)
		sigaddset(&block, forwarded[i]);
	/* Held until the workload's pid is known, then forwarded. A
	 * signal blocked is queued even for a namespace's pid 1 that has
	 * no handler yet (only an unblocked one is dropped). */
	sigprocmask(SIG_BLOCK, &block, NULL);
	set_forwarding(init_forward);
	/* nested: first a child in a pid namespace below ours, pid 1 there
	 * with our handlers and mask; it forks the workload. */
	if ((pid = nested ? raw_fork_pidns() : raw_fork()) < 0)
		return -1;
	if (pid == 0 && nested) {
		if ((pid = raw_fork()) < 0)
			_exit(127);
	}
	if (pid == 0) {
		set_forwarding(SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		return 0;
	}
	init_child = pid;
	close(errfd); /* the workload's exec now ends the report */
	if (init_confine() < 0) {
		kill(pid, SIGKILL);
		_exit(127);
	}
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	init_loop(pid);
}

void rootfs_record(const struct image_root *r, const char *kv[ROOTFS_RECORD_KV])
{
	size_t n = 0;

	kv[n++] = "layer";
	kv[n++] = "image";
	kv[n++] = "ref";
	kv[n++] = r->ref;
	kv[n++] = "kind";
	kv[n++] = r->kind;
	if (r->oci) {
		kv[n++] = "digest";
		kv[n++] = r->digest;
	}
	kv[n++] = "rootfs";
	kv[n++] = r->rootfs;
	kv[n++] = "root";
	kv[n++] = r->oci ? "read-only (the image cache), nosuid,nodev"
	                 : "nosuid,nodev (read-only with --read-only-rootfs)";
	kv[n++] = "namespaces";
	kv[n++] = "mount,pid,ipc,uts (network: the host's)";
	kv[n++] = "pid1";
	kv[n++] = "init: forwards SIGTERM,SIGINT,SIGHUP,SIGQUIT to the "
	          "workload, reaps, exits with its status (128+N for signal "
	          "N); no fds, only CAP_KILL, not dumpable";
	kv[n++] = "proc";
	kv[n++] = "/proc of the workload's pid namespace, nosuid,nodev,noexec";
	kv[n++] = "dev";
	kv[n++] = r->dev_attr;
	kv[n++] = "hostname";
	kv[n++] = ROOTFS_HOSTNAME;
	kv[n++] = "old_root";
	kv[n++] = "pivot_root, then detached (umount2 MNT_DETACH)";
	kv[n++] = "user";
	kv[n++] = r->user[0] ? r->user : "root (no User in the image config)";
	if (r->user[0]) {
		kv[n++] = "user_switch";
		kv[n++] = "names looked up in the image's /etc/passwd and "
		          "/etc/group once inside its root, before the "
		          "mounts; in the workload's process: setgroups "
		          "(the user's groups in /etc/group unless User "
		          "names a group), setresgid, setresuid, checked "
		          "with getresuid/getresgid/getgroups, before the "
		          "capability, no_new_privs, Landlock and seccomp "
		          "layers (exec as a uid other than 0 keeps no "
		          "capability)";
	}
	kv[n++] = "workdir";
	kv[n++] = r->workdir[0] ? r->workdir
	                        : "/ (no WorkingDir in the image config)";
	kv[n] = NULL;
}

const char *rootfs_stage_name(int stage)
{
	switch (stage) {
	case ROOTFS_PRIVATE:
		return "make / private (MS_REC|MS_PRIVATE)";
	case ROOTFS_BIND:
		return "bind the image's root onto itself";
	case ROOTFS_ATTR:
		return "make the image's root nosuid,nodev (mount_setattr)";
	case ROOTFS_PIVOT:
		return "pivot_root into the image and detach the old root";
	case ROOTFS_PROC:
		return "mount proc on /proc";
	case ROOTFS_DEV:
		return "mount the tmpfs on /dev";
	case ROOTFS_DEV_NODE:
		return "bind a host device into /dev";
	case ROOTFS_DEV_SHM:
		return "mount the tmpfs on /dev/shm";
	case ROOTFS_DEV_RDONLY:
		return "make /dev read-only";
	case ROOTFS_HOSTNAME_SET:
		return "set the hostname (sethostname)";
	case ROOTFS_INIT_FORK:
		return "fork the workload from pid 1";
	}
	return "enter the image";
}

const char *rootfs_dev_name(int entry)
{
	return entry >= 0 && entry < ROOTFS_NDEV ? dev_paths[entry] : "";
}
