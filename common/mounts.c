#include "mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"

/* Entries are quoted in messages up to this many bytes. */
#define SHOW 200

/* path[0..len) as an absolute path without ".", "" or ".." components
 * ("/a//b/./c/" -> "/a/b/c") into out, so that one mount point cannot
 * pass as two. what names the piece for the message ("path", "HOST"). */
static int normalize(const char *path, size_t len, char *out, const char *flag,
                     const char *entry, const char *what, char *err,
                     size_t errlen)
{
	size_t o = 0, i = 0;

	if (len == 0)
		return errorf(err, errlen, "%s %.*s: empty %s", flag, SHOW,
		              entry, what);
	if (path[0] != '/')
		return errorf(err, errlen,
		              "%s %.*s: %s %.*s is not an absolute path (give "
		              "/...)",
		              flag, SHOW, entry, what, (int)len, path);
	while (i < len) {
		size_t start, n;

		while (i < len && path[i] == '/')
			i++;
		start = i;
		while (i < len && path[i] != '/')
			i++;
		n = i - start;
		if (n == 0 || (n == 1 && path[start] == '.'))
			continue;
		if (n == 2 && path[start] == '.' && path[start + 1] == '.')
			return errorf(err, errlen,
			              "%s %.*s: %s has a \"..\" component "
			              "(give the path without it)",
			              flag, SHOW, entry, what);
		if (o + 1 + n >= MOUNTS_MAX_PATH)
			return errorf(
			    err, errlen, "%s %.*s...: %s longer than %d bytes",
			    flag, SHOW, entry, what, MOUNTS_MAX_PATH - 1);
		out[o++] = '/';
		memcpy(out + o, path + start, n);
		o += n;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return 0;
}

int mounts_add_tmpfs(struct mount_plan *p, const char *value, char *err,
                     size_t errlen)
{
	const char *s = value;

	for (;;) {
		size_t len = strcspn(s, ","), plen = len;
		const char *colon = memchr(s, ':', len);
		char entry[MOUNTS_MAX_PATH + 8];
		struct tmpfs_mount *t;

		snprintf(entry, sizeof(entry), "%.*s", (int)len, s);
		if (p->ntmpfs >= MOUNTS_MAX_TMPFS)
			return errorf(err, errlen,
			              "--tmpfs %.*s: more than %d tmpfs mounts",
			              SHOW, entry, MOUNTS_MAX_TMPFS);
		t = &p->tmpfs[p->ntmpfs];
		t->exec = 0;
		if (colon != NULL) {
			plen = (size_t)(colon - s);
			if (len - plen != 5 || strncmp(colon, ":exec", 5) != 0)
				return errorf(
				    err, errlen,
				    "--tmpfs %.*s: unknown option after "
				    "\":\" (give PATH or PATH:exec)",
				    SHOW, entry);
			t->exec = 1;
		}
		if (normalize(s, plen, t->path, "--tmpfs", entry, "path", err,
		              errlen) < 0)
			return -1;
		if (strcmp(t->path, "/") == 0)
			return errorf(
			    err, errlen,
			    "--tmpfs %.*s: cannot mount over / (give a "
			    "directory under it)",
			    SHOW, entry);
		p->ntmpfs++;
		if (s[len] == '\0')
			return 0;
		s += len + 1;
	}
}

int mounts_add_writable(struct mount_plan *p, const char *value, char *err,
                        size_t errlen)
{
	const char *c1 = strchr(value, ':'), *c2, *end;
	struct writable_mount *w;

	if (p->nwritable >= MOUNTS_MAX_WRITABLE)
		return errorf(err, errlen,
		              "--writable-mount %.*s: more than %d writable "
		              "mounts",
		              SHOW, value, MOUNTS_MAX_WRITABLE);
	w = &p->writable[p->nwritable];
	if (c1 == NULL)
		return errorf(err, errlen,
		              "--writable-mount %.*s: no CONTAINER path (give "
		              "HOST:CONTAINER[:ro|:rw])",
		              SHOW, value);
	c2 = strchr(c1 + 1, ':');
	end = c2 != NULL ? c2 : value + strlen(value);
	w->read_only = 0;
	if (c2 != NULL) {
		if (strcmp(c2, ":ro") == 0)
			w->read_only = 1;
		else if (strcmp(c2, ":rw") != 0)
			return errorf(
			    err, errlen,
			    "--writable-mount %.*s: the mode after the "
			    "second \":\" must be ro or rw (paths with "
			    "\":\" are not supported)",
			    SHOW, value);
	}
	if (normalize(value, (size_t)(c1 - value), w->host, "--writable-mount",
	              value, "HOST", err, errlen) < 0 ||
	    normalize(c1 + 1, (size_t)(end - c1 - 1), w->container,
	              "--writable-mount", value, "CONTAINER", err, errlen) < 0)
		return -1;
	if (strcmp(w->container, "/") == 0)
		return errorf(
		    err, errlen,
		    "--writable-mount %.*s: cannot mount over / (give "
		    "a directory under it)",
		    SHOW, value);
	p->nwritable++;
	return 0;
}

/* b is a, or lies under it. */
static int covers(const char *a, const char *b)
{
	size_t n = strlen(a);

	return strncmp(a, b, n) == 0 && (b[n] == '\0' || b[n] == '/');
}

/* The mount points in order: tmpfs first, then writable containers. */
static const char *target(const struct mount_plan *p, size_t i,
                          const char **flag)
{
	if (i < p->ntmpfs) {
		*flag = "--tmpfs";
		return p->tmpfs[i].path;
	}
	*flag = "--writable-mount";
	return p->writable[i - p->ntmpfs].container;
}

static const char *why_not_created(const struct mount_plan *p)
{
	return p->read_only_rootfs
	           ? "mount points are not created: the root is read-only"
	           : "mount points are not created: that would change the "
	             "host's filesystem";
}

int mounts_stat_in_root(int rootfd, const char *path, struct stat *st)
{
	struct open_how how = {
	    .flags = O_PATH | O_CLOEXEC,
	    .resolve =
	        RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
	};
	int fd, rc;

	if (rootfd < 0)
		return stat(path, st);
	if ((fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how))) <
	    0)
		return -1;
	rc = fstat(fd, st);
	close(fd);
	return rc;
}

int mounts_check(const struct mount_plan *p, char *err, size_t errlen)
{
	return mounts_check_in(p, -1, NULL, err, errlen);
}

int mounts_check_in(const struct mount_plan *p, int rootfd, const char *root,
                    char *err, size_t errlen)
{
	/* Named in messages: which tree the mount point was looked up in. */
	char in[MOUNTS_MAX_PATH + 32] = "";
	size_t n = p->ntmpfs + p->nwritable;
	struct stat st, hst;

	for (size_t i = 0; i < n; i++) {
		const char *fi, *a = target(p, i, &fi);

		for (size_t j = i + 1; j < n; j++) {
			const char *fj, *b = target(p, j, &fj);

			if (strcmp(a, b) == 0)
				return errorf(
				    err, errlen,
				    "%s %.*s and %s %.*s: the same mount "
				    "point given twice",
				    fi, SHOW, a, fj, SHOW, b);
			if (covers(a, b) || covers(b, a))
				return errorf(
				    err, errlen,
				    "%s %.*s and %s %.*s: one mount "
				    "point lies inside the other (nested "
				    "mounts are not supported)",
				    fi, SHOW, a, fj, SHOW, b);
		}
	}
	if (root != NULL)
		snprintf(in, sizeof(in), " in the image %.*s", SHOW, root);
	for (size_t i = 0; i < p->ntmpfs; i++) {
		const char *path = p->tmpfs[i].path;

		if (mounts_stat_in_root(rootfd, path, &st) < 0)
			return errorf(err, errlen,
			              "--tmpfs %.*s: the mount point does not "
			              "exist%s: %s (%s)",
			              SHOW, path, in, strerror(errno),
			              why_not_created(p));
		if (!S_ISDIR(st.st_mode))
			return errorf(err, errlen,
			              "--tmpfs %.*s: not a directory", SHOW,
			              path);
	}
	for (size_t i = 0; i < p->nwritable; i++) {
		const struct writable_mount *w = &p->writable[i];

		if (stat(w->host, &hst) < 0)
			return errorf(
			    err, errlen,
			    "--writable-mount %.*s:%.*s: HOST %.*s: %s", SHOW,
			    w->host, SHOW, w->container, SHOW, w->host,
			    strerror(errno));
		if (mounts_stat_in_root(rootfd, w->container, &st) < 0)
			return errorf(
			    err, errlen,
			    "--writable-mount %.*s:%.*s: the mount point "
			    "CONTAINER %.*s does not exist%s: %s (%s)",
			    SHOW, w->host, SHOW, w->container, SHOW,
			    w->container, in, strerror(errno),
			    why_not_created(p));
		if (S_ISDIR(st.st_mode) != S_ISDIR(hst.st_mode))
			return errorf(
			    err, errlen,
			    "--writable-mount %.*s:%.*s: HOST is %s but "
			    "CONTAINER is %s (give two directories or "
			    "two files)",
			    SHOW, w->host, SHOW, w->container,
			    S_ISDIR(hst.st_mode) ? "a directory"
			                         : "not a directory",
			    S_ISDIR(st.st_mode) ? "a directory"
			                        : "not a directory");
	}
	return 0;
}

int mounts_any(const struct mount_plan *p)
{
	return p->read_only_rootfs || p->ntmpfs > 0 || p->nwritable > 0;
}
