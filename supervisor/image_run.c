/* --image REF for `autonomy run`. See image_run.h.
 *
 * Who unpacks: an image layout is untrusted input down to its last tar
 * entry, and libarchive's decompressors and our JSON parsers see it. The
 * supervisor holds every privilege the run needs (it starts the helpers
 * and, as root, CAP_SYS_ADMIN for the spawner), so it does not parse a
 * layout itself: it forks a short-lived child, before any helper or
 * thread exists, which confines itself (no-new-privs; Landlock: reads
 * the layout and /usr, writes only the image cache, no TCP; a seccomp
 * deny-list: no exec, fork, socket, ptrace, mount or namespaces; as root
 * only CAP_CHOWN, CAP_DAC_OVERRIDE and CAP_FOWNER, to give files their
 * owners; no core) and only then reads index.json. It reports the digest
 * and root on a pipe; the supervisor believes neither: the root must be
 * the cache's path for that digest, a directory, no symlink. A root
 * filesystem directory is only stat'ed, never parsed, so it is resolved
 * here. */
#include "image_run.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <linux/openat2.h>
#include <openssl/evp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cap-ng.h>

#include "archive_dl.h"
#include "bundle_cache.h"
#include "log.h"
#include "mounts.h"

/* What the unpacking child reports (read to EOF by the supervisor). */
struct unpack_report {
	int ok;
	char err[1024];
	struct run_image img;
};

/* ---- where REF points ------------------------------------------------ */

/* DIR, or DIR of DIR:TAG (when REF itself is not there), as the image
 * library splits it. */
static void layout_dir(const char *ref, char *out, size_t len)
{
	const char *colon = strrchr(ref, ':');
	struct stat st;

	if (stat(ref, &st) == 0 || colon == NULL || colon[1] == '\0' ||
	    strchr(colon, '/') != NULL)
		snprintf(out, len, "%s", ref);
	else
		snprintf(out, len, "%.*s", (int)(colon - ref), ref);
}

static int is_layout(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	int yes;

	if (fd < 0)
		return 0;
	yes = fstatat(fd, "oci-layout", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	      fstatat(fd, "index.json", &st, AT_SYMLINK_NOFOLLOW) == 0;
	close(fd);
	return yes;
}

/* <--cache-dir or the bundle cache's default>/images, created 0700. */
static int cache_dir(const struct run_opts *o, char *out, size_t len, char *err,
                     size_t errlen)
{
	char base[PATH_MAX];

	if (o->cache_dir != NULL)
		snprintf(base, sizeof(base), "%s", o->cache_dir);
	else if (bundle_cache_default_dir(base, sizeof(base), err, errlen) < 0)
		return -1;
	if (snprintf(out, len, "%s/images", base) >= (int)len)
		return errorf(err, errlen, "%s: path too long", base);
	for (char *p = out + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(out, 0700) < 0 && errno != EEXIST)
			return errorf(err, errlen, "image cache %s: %s", out,
			              strerror(errno));
		*p = '/';
	}
	if (mkdir(out, 0700) < 0 && errno != EEXIST)
		return errorf(err, errlen, "image cache %s: %s", out,
		              strerror(errno));
	return 0;
}

/* ---- the unpacking child's confinement -------------------------------- */

struct ll_ruleset_attr { /* landlock_ruleset_attr, ABI 6 */
	__u64 handled_access_fs;
	__u64 handled_access_net;
	__u64 scoped;
};

static int ll_allow(int ruleset, const char *path, __u64 access)
{
	struct landlock_path_beneath_attr pb = {.allowed_access = access};
	int rc;

	if ((pb.parent_fd = open(path, O_PATH | O_CLOEXEC)) < 0)
		return -1;
	rc = (int)syscall(SYS_landlock_add_rule, ruleset,
	                  LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
	close(pb.parent_fd);
	return rc;
}

/* Reads the layout and /usr (libarchive's and libc's own files), writes
 * the image cache only; with ABI 4 no TCP bind or connect, with ABI 6 no
 * abstract unix sockets or signals out. A kernel without Landlock: the
 * seccomp list below still holds. */
static int confine_landlock(const char *layout, const char *cache)
{
	const __u64 read =
	    LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
	struct ll_ruleset_attr ra = {0};
	size_t size = sizeof(ra.handled_access_fs);
	int abi, fd, rc;

	abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0,
	                   LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 1)
		return 0;
	ra.handled_access_fs = (1ULL << 13) - 1;           /* ABI 1 */
	ra.handled_access_fs |= abi >= 2 ? 1ULL << 13 : 0; /* REFER */
	ra.handled_access_fs |= abi >= 3 ? 1ULL << 14 : 0; /* TRUNCATE */
	ra.handled_access_fs |= abi >= 5 ? 1ULL << 15 : 0; /* IOCTL_DEV */
	if (abi >= 4) {
		ra.handled_access_net = 3; /* BIND_TCP, CONNECT_TCP */
		size += sizeof(ra.handled_access_net);
	}
	if (abi >= 6) {
		ra.scoped = 3; /* ABSTRACT_UNIX_SOCKET, SIGNAL */
		size += sizeof(ra.scoped);
	}
	fd = (int)syscall(SYS_landlock_create_ruleset, &ra, size, 0);
	if (fd < 0)
		return -1;
	rc = ll_allow(fd, layout, read) < 0 || ll_allow(fd, "/usr", read) < 0 ||
	     ll_allow(fd, cache, ra.handled_access_fs) < 0 ||
	     syscall(SYS_landlock_restrict_self, fd, 0) < 0;
	close(fd);
	return rc ? -1 : 0;
}

/* Default allow (libarchive, zlib, zstd, jansson and OpenSSL make calls
 * no short allow-list would keep up with), these EPERM. */
static const char *const unpack_denied[] = {
    "execve",
    "execveat",
    "fork",
    "vfork",
    "clone",
    "clone3",
    "socket",
    "socketpair",
    "connect",
    "bind",
    "listen",
    "accept",
    "accept4",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "kill",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "unshare",
    "setns",
    "open_tree",
    "move_mount",
    "fsopen",
    "fsmount",
    "fspick",
    "mount_setattr",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "bpf",
    "keyctl",
    "add_key",
    "request_key",
    "perf_event_open",
    "open_by_handle_at",
    "userfaultfd",
};

static int confine_seccomp(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int rc = -1;

	if (ctx == NULL || seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	                                    SCMP_ACT_KILL_PROCESS) != 0)
		goto out;
	for (size_t i = 0; i < sizeof(unpack_denied) / sizeof(*unpack_denied);
	     i++) {
		int nr = seccomp_syscall_resolve_name(unpack_denied[i]);

		if (nr == __NR_SCMP_ERROR ||
		    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0) != 0)
			goto out;
	}
	rc = seccomp_load(ctx) == 0 ? 0 : -1;
out:
	seccomp_release(ctx);
	return rc;
}

/* As root: only what giving unpacked files their owners takes. */
static int confine_caps(void)
{
	if (geteuid() != 0)
		return 0;
	capng_clear(CAPNG_SELECT_CAPS);
	if (capng_updatev(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED,
	                  CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, -1) != 0)
		return -1;
	return capng_apply(CAPNG_SELECT_CAPS) == 0 ? 0 : -1;
}

static int unpack_confine(const char *layout, const char *cache, char *err,
                          size_t errlen)
{
	struct rlimit zero = {0, 0};

	if (setrlimit(RLIMIT_CORE, &zero) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return errorf(err, errlen, "no-new-privs: %s", strerror(errno));
	if (confine_landlock(layout, cache) < 0)
		return errorf(err, errlen, "Landlock: %s", strerror(errno));
	if (confine_caps() < 0)
		return errorf(err, errlen, "cannot drop capabilities");
	if (confine_seccomp() < 0)
		return errorf(err, errlen, "cannot load the seccomp filter");
	return 0;
}

/* ---- unpacking -------------------------------------------------------- */

static void fill_notes(const struct image *img, struct run_image *ri)
{
	ri->n_notes = img->n_notes + img->n_notes_dropped;
	for (size_t i = 0; i < img->n_notes && i < IMAGE_RUN_NOTES; i++)
		snprintf(ri->notes[i], sizeof(ri->notes[i]), "%s",
		         img->notes[i]);
}

/* The config's User, WorkingDir and Env into the report, or err: what
 * the supervisor cannot carry whole is refused, never cut short. */
static int fill_config(const struct image_config *c, struct run_image *ri,
                       char *err, size_t errlen)
{
	size_t off = 0;

	if (strlen(c->user) >= sizeof(ri->user))
		return errorf(err, errlen,
		              "image config User: longer than %d bytes",
		              IMAGE_RUN_USER - 1);
	if (c->working_dir[0] != '\0' &&
	    (c->working_dir[0] != '/' ||
	     strlen(c->working_dir) >= sizeof(ri->workdir)))
		return errorf(err, errlen,
		              "image config WorkingDir \"%.256s\": not an "
		              "absolute path (of at most %d bytes)",
		              c->working_dir, PATH_MAX - 1);
	if (c->n_env > IMAGE_RUN_ENV_MAX)
		return errorf(err, errlen,
		              "image config Env: %zu entries (at most %d are "
		              "taken)",
		              c->n_env, IMAGE_RUN_ENV_MAX);
	for (size_t i = 0; i < c->n_env; i++) {
		size_t n = strlen(c->env[i]) + 1;
		if (n > sizeof(ri->env) - off)
			return errorf(err, errlen,
			              "image config Env: more than %d bytes",
			              IMAGE_RUN_ENV_BYTES);
		memcpy(ri->env + off, c->env[i], n);
		off += n;
	}
	snprintf(ri->user, sizeof(ri->user), "%s", c->user);
	snprintf(ri->workdir, sizeof(ri->workdir), "%s", c->working_dir);
	ri->n_env = c->n_env;
	ri->env_len = off;
	return 0;
}

static noreturn void unpack_child(const char *ref, const char *layout,
                                  const char *cache, int fd)
{
	struct unpack_report rep;
	struct image *img = NULL;
	size_t off = 0;

	memset(&rep, 0, sizeof(rep));
	if (unpack_confine(layout, cache, rep.err, sizeof(rep.err)) == 0 &&
	    (img = image_resolve(ref, cache, NULL, rep.err, sizeof(rep.err))) !=
	        NULL) {
		rep.ok = fill_config(&img->config, &rep.img, rep.err,
		                     sizeof(rep.err)) == 0;
		rep.img.oci = img->kind == IMAGE_OCI;
		snprintf(rep.img.rootfs, sizeof(rep.img.rootfs), "%s",
		         img->rootfs);
		snprintf(rep.img.digest, sizeof(rep.img.digest), "%s",
		         img->manifest_digest);
		rep.img.cached = img->cached;
		rep.img.n_layers = img->n_layers;
		fill_notes(img, &rep.img);
	}
	while (off < sizeof(rep)) {
		ssize_t n = write(fd, (char *)&rep + off, sizeof(rep) - off);
		if (n <= 0)
			_exit(1);
		off += (size_t)n;
	}
	_exit(rep.ok ? 0 : 1);
}

static int read_report(int fd, struct unpack_report *rep)
{
	size_t off = 0;

	while (off < sizeof(*rep)) {
		ssize_t n = read(fd, (char *)rep + off, sizeof(*rep) - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

/* User and WorkingDir terminated, WorkingDir "" or absolute, Env as
 * many "NAME=value" as counted, filling env_len. */
static int check_config(const struct run_image *ri)
{
	size_t n = 0;

	if (memchr(ri->user, '\0', sizeof(ri->user)) == NULL ||
	    memchr(ri->workdir, '\0', sizeof(ri->workdir)) == NULL ||
	    (ri->workdir[0] != '\0' && ri->workdir[0] != '/') ||
	    ri->env_len > sizeof(ri->env) || ri->n_env > IMAGE_RUN_ENV_MAX ||
	    (ri->env_len > 0 && ri->env[ri->env_len - 1] != '\0'))
		return -1;
	for (size_t off = 0; off < ri->env_len; n++) {
		const char *e = ri->env + off;
		if (e[0] == '=' || strchr(e, '=') == NULL)
			return -1;
		off += strlen(e) + 1;
	}
	return n == ri->n_env ? 0 : -1;
}

const char *image_run_env(const struct run_image *ri, const char *e)
{
	size_t n = strcspn(e, "=");
	const char *found = NULL;

	for (size_t off = 0; off < ri->env_len;) {
		const char *v = ri->env + off;
		if (strncmp(v, e, n) == 0 && v[n] == '=')
			found = v;
		off += strlen(v) + 1;
	}
	return found;
}

/* The child's report, believed only as far as it checks out: the root is
 * <cache>/v1/<hex of the digest>, a directory reached without symlinks. */
static int check_report(const struct unpack_report *rep, const char *cache,
                        struct run_image *ri, char *err, size_t errlen)
{
	char want[PATH_MAX];

	if (!rep->img.oci || !image_digest_valid(rep->img.digest) ||
	    memchr(rep->img.rootfs, '\0', sizeof(rep->img.rootfs)) == NULL)
		return errorf(err, errlen,
		              "the unpacker's report is malformed");
	if (snprintf(want, sizeof(want), "%s/v1/%s", cache,
	             rep->img.digest + 7) >= (int)sizeof(want) ||
	    strcmp(want, rep->img.rootfs) != 0)
		return errorf(err, errlen,
		              "the unpacker reported %s, not the cache's %s",
		              rep->img.rootfs, want);
	if (check_config(&rep->img) < 0)
		return errorf(err, errlen,
		              "the unpacker's report of the image config is "
		              "malformed");
	*ri = rep->img;
	for (size_t i = 0; i < IMAGE_RUN_NOTES; i++)
		ri->notes[i][sizeof(ri->notes[i]) - 1] = '\0';
	return 0;
}

static int unpack_confined(const char *ref, const char *layout,
                           const char *cache, struct run_image *ri, char *err,
                           size_t errlen)
{
	struct unpack_report *rep = calloc(1, sizeof(*rep));
	unsigned char md[EVP_MAX_MD_SIZE];
	char why[1024];
	int pfd[2], st = 0, rc = -1, got;
	pid_t pid;

	if (rep == NULL)
		return errorf(err, errlen, "out of memory");
	/* OpenSSL reads its configuration once, on first use: here, not
	 * in the child, whose Landlock ruleset does not cover /etc. And
	 * libarchive is mapped here, so that the confined child loads no
	 * code. */
	EVP_Digest("", 0, md, NULL, EVP_sha256(), NULL);
	if (archive_dl_load("unpacking an image layer", why, sizeof(why)) < 0) {
		free(rep);
		return errorf(err, errlen, "--image %s: %s", ref, why);
	}
	if (pipe2(pfd, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		free(rep);
		return errorf(err, errlen, "cannot start the unpacker: %s",
		              strerror(errno));
	}
	if (pid == 0) {
		close(pfd[0]);
		unpack_child(ref, layout, cache, pfd[1]);
	}
	close(pfd[1]);
	got = read_report(pfd[0], rep) == 0;
	close(pfd[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!got || !WIFEXITED(st))
		errorf(err, errlen, "%s: the image unpacker %s", ref,
		       WIFSIGNALED(st) ? strsignal(WTERMSIG(st))
		                       : "sent no report");
	else if (!rep->ok || WEXITSTATUS(st) != 0)
		errorf(err, errlen, "%.1000s", rep->err);
	else
		rc = check_report(rep, cache, ri, err, errlen);
	free(rep);
	return rc;
}

/* ---- inside the root -------------------------------------------------- */

/* --ld-preload with --image names a file in the image: it must be a
 * regular file reached without leaving the image (no "..", no symlink
 * out of it, absolute ones included: RESOLVE_BENEATH). */
static int check_preload_in(int rootfd, const char *path, char *err,
                            size_t errlen)
{
	struct open_how how = {
	    .flags = O_PATH | O_CLOEXEC,
	    .resolve =
	        RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
	};
	struct stat st;
	int fd;

	while (*path == '/')
		path++;
	fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	if (fd < 0)
		return errorf(err, errlen,
		              "--ld-preload /%s: %s in the image%s", path,
		              strerror(errno),
		              errno == EXDEV ? " (it leaves the image through "
		                               "'..' or a symlink: give the "
		                               "file's own path in the image)"
		                             : "");
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return errorf(err, errlen,
		              "--ld-preload /%s: not a regular file in the "
		              "image (give the shim's .so)",
		              path);
	}
	close(fd);
	return 0;
}

/* The mount points the spawner will need (never created) and the flags'
 * paths, looked up in the root as the workload will see it. */
static int check_in_root(const struct run_opts *o, const char *ref,
                         const struct run_image *ri, char *err, size_t errlen)
{
	struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
	                       .resolve = RESOLVE_NO_SYMLINKS};
	static const char *const need[] = {"/proc", "/dev"};
	struct stat st;
	int fd, rc = 0;

	fd = (int)syscall(SYS_openat2, AT_FDCWD, ri->rootfs, &how, sizeof(how));
	if (fd < 0)
		return errorf(err, errlen, "--image %s: %s: %s", ref,
		              ri->rootfs, strerror(errno));
	for (size_t i = 0; rc == 0 && i < 2; i++)
		if (mounts_stat_in_root(fd, need[i], &st) < 0 ||
		    !S_ISDIR(st.st_mode))
			rc =
			    errorf(err, errlen,
			           "--image %s: %s has no %s directory (create "
			           "it empty: the workload's %s is mounted "
			           "there)",
			           ref, ri->rootfs, need[i], need[i]);
	if (rc == 0 && mounts_any(&o->mounts))
		rc = mounts_check_in(&o->mounts, fd, ri->rootfs, err, errlen);
	if (rc == 0 && o->ld_preload != NULL)
		rc = check_preload_in(fd, o->ld_preload, err, errlen);
	close(fd);
	return rc;
}

int image_run_prepare(const struct run_opts *o, struct run_image *ri, char *err,
                      size_t errlen)
{
	char layout[PATH_MAX], cache[PATH_MAX];
	struct image *img;

	memset(ri, 0, sizeof(*ri));
	layout_dir(o->image, layout, sizeof(layout));
	if (is_layout(layout)) {
		if (cache_dir(o, cache, sizeof(cache), err, errlen) < 0 ||
		    unpack_confined(o->image, layout, cache, ri, err, errlen) <
		        0)
			return -1;
		return check_in_root(o, o->image, ri, err, errlen);
	}
	/* Not a layout: a root filesystem, checked (stat only) by the
	 * library, or refused with REF named. */
	if ((img = image_resolve(o->image, NULL, NULL, err, errlen)) == NULL)
		return -1;
	snprintf(ri->rootfs, sizeof(ri->rootfs), "%s", img->rootfs);
	image_free(img);
	return check_in_root(o, o->image, ri, err, errlen);
}
