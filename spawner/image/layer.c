/* One OCI layer (a tar, maybe gzip- or zstd-compressed) applied onto a
 * root directory we own (layer.h). The tar is untrusted: every entry's
 * path is normalized and refused when absolute or climbing out; every
 * directory on the way is opened from the root fd one component at a
 * time with O_NOFOLLOW, so a symlink - from this layer or a lower one -
 * is never followed; the final component is created with O_EXCL /
 * symlinkat / linkat after whatever stood there is removed, so nothing
 * is written through a link either. Whiteouts remove lower-layer content
 * only: the paths this layer wrote are kept in a set, and a whiteout or
 * an opaque marker spares them (OCI image-spec layer.md). README.md
 * lists the rules; each has a test in tests/unit/test_image.c. */
#include "layer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "archive_dl.h"
#include "log.h"

#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"
#define READ_CHUNK (128 * 1024)

int layer_compression(const char *mt)
{
	static const struct {
		const char *type;
		int comp;
	} known[] = {
	    {"application/vnd.oci.image.layer.v1.tar", LAYER_TAR},
	    {"application/vnd.oci.image.layer.v1.tar+gzip", LAYER_GZIP},
	    {"application/vnd.oci.image.layer.v1.tar+zstd", LAYER_ZSTD},
	    {"application/vnd.oci.image.layer.nondistributable.v1.tar",
	     LAYER_TAR},
	    {"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
	     LAYER_GZIP},
	    {"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
	     LAYER_ZSTD},
	    {"application/vnd.docker.image.rootfs.diff.tar.gzip", LAYER_GZIP},
	    {"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
	     LAYER_GZIP},
	};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(mt, known[i].type) == 0)
			return known[i].comp;
	return -1;
}

void image_note(struct image *img, const char *fmt, ...)
{
	char buf[512], **np;
	va_list ap;

	if (img->n_notes >= IMAGE_MAX_NOTES) {
		img->n_notes_dropped++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	np = realloc(img->notes, (img->n_notes + 1) * sizeof(*np));
	if (np == NULL) {
		img->n_notes_dropped++;
		return;
	}
	img->notes = np;
	if ((np[img->n_notes] = strdup(buf)) == NULL)
		img->n_notes_dropped++;
	else
		img->n_notes++;
}

/* ---- the paths this layer wrote ------------------------------------- */

/* At most this much memory for one layer's path set: with the entry
 * bound alone, 2M paths of 4 KiB would be 8 GiB. */
#define PATHSET_MAX_BYTES (256u * 1024 * 1024)

struct pathset {
	char **slot;
	size_t cap, n;
	size_t bytes; /* strings and slots, for PATHSET_MAX_BYTES */
};

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static int set_has(const struct pathset *ps, const char *p)
{
	if (ps->cap == 0)
		return 0;
	for (size_t i = fnv1a(p) & (ps->cap - 1); ps->slot[i];
	     i = (i + 1) & (ps->cap - 1))
		if (strcmp(ps->slot[i], p) == 0)
			return 1;
	return 0;
}

static int set_add(struct pathset *ps, const char *p)
{
	size_t i;

	if (set_has(ps, p))
		return 0;
	if (ps->bytes + strlen(p) + 1 + 2 * sizeof(char *) >
	    PATHSET_MAX_BYTES) {
		errno = EFBIG;
		return -1;
	}
	if (2 * (ps->n + 1) > ps->cap) {
		size_t cap = ps->cap ? 2 * ps->cap : 1024;
		char **ns = calloc(cap, sizeof(*ns));

		if (ns == NULL)
			return -1;
		for (size_t j = 0; j < ps->cap; j++) {
			if (ps->slot[j] == NULL)
				continue;
			for (i = fnv1a(ps->slot[j]) & (cap - 1); ns[i];
			     i = (i + 1) & (cap - 1))
				;
			ns[i] = ps->slot[j];
		}
		free(ps->slot);
		ps->bytes += (cap - ps->cap) * sizeof(char *);
		ps->slot = ns;
		ps->cap = cap;
	}
	for (i = fnv1a(p) & (ps->cap - 1); ps->slot[i];
	     i = (i + 1) & (ps->cap - 1))
		;
	if ((ps->slot[i] = strdup(p)) == NULL)
		return -1;
	ps->bytes += strlen(p) + 1;
	ps->n++;
	return 0;
}

static void set_free(struct pathset *ps)
{
	for (size_t i = 0; i < ps->cap; i++)
		free(ps->slot[i]);
	free(ps->slot);
}

/* ---- removing what stood there -------------------------------------- */

int layer_remove_at(int dirfd, const char *name, int depth)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	int fd, rc = 0;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dirfd, name, 0) < 0 && errno != ENOENT ? -1 : 0;
	if (depth > IMAGE_MAX_DEPTH + 1) {
		errno = ELOOP;
		return -1;
	}
	/* Our own directories are u+rwx; make sure before reading (a
	 * failure shows as the open's or unlink's error). */
	if (fchmodat(dirfd, name, (st.st_mode & 07777) | 0700, 0) < 0)
		log_debug("fchmodat %s: %s", name, strerror(errno));
	fd = openat(dirfd, name,
	            O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		rc = layer_remove_at(fd, de->d_name, depth + 1);
	}
	closedir(d);
	if (rc == 0 && unlinkat(dirfd, name, AT_REMOVEDIR) < 0 &&
	    errno != ENOENT)
		rc = -1;
	return rc;
}

/* ---- one layer ------------------------------------------------------ */

struct layer {
	struct unpack *u;
	struct archive *a;
	struct pathset wrote; /* paths this layer created or replaced */
	char where[160];      /* "layer 2 (sha256:...)" */
	/* the blob as read: hashed on the way through */
	int fd;
	EVP_MD_CTX *md;
	uint64_t read;
	unsigned char buf[READ_CHUNK];
};

static la_ssize_t blob_read(struct archive *a, void *ctx, const void **out)
{
	struct layer *l = ctx;
	ssize_t n;

	do
		n = read(l->fd, l->buf, sizeof(l->buf));
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		archive_set_error(a, errno, "reading the blob: %s",
		                  strerror(errno));
		return -1;
	}
	if (EVP_DigestUpdate(l->md, l->buf, (size_t)n) != 1)
		fatalx("EVP_DigestUpdate failed");
	l->read += (uint64_t)n;
	*out = l->buf;
	return n;
}

/* Normalizes an entry's path into out: "./" and empty components
 * dropped, a directory's trailing slash too. Refuses absolute paths,
 * "..", and paths too long or too deep. "" is the root itself. */
static int clean_path(const struct layer *l, const char *raw, char *out,
                      size_t outlen, char *err, size_t errlen)
{
	size_t o = 0;
	int depth = 0;

	if (raw == NULL || raw[0] == '\0')
		return errorf(err, errlen, "%s: an entry without a path",
		              l->where);
	if (raw[0] == '/')
		return errorf(err, errlen,
		              "%s: %.200s: absolute path (refused)", l->where,
		              raw);
	if (strlen(raw) >= outlen)
		return errorf(err, errlen,
		              "%s: %.200s...: path longer than %zu bytes",
		              l->where, raw, outlen - 1);
	for (const char *c = raw; *c;) {
		size_t k = strcspn(c, "/");

		if (k == 2 && c[0] == '.' && c[1] == '.')
			return errorf(
			    err, errlen,
			    "%s: %.200s: \"..\" in the path (refused)",
			    l->where, raw);
		if (k > 0 && !(k == 1 && c[0] == '.')) {
			if (++depth > IMAGE_MAX_DEPTH)
				return errorf(err, errlen,
				              "%s: %.200s...: deeper than %d "
				              "components",
				              l->where, raw, IMAGE_MAX_DEPTH);
			if (o > 0)
				out[o++] = '/';
			memcpy(out + o, c, k);
			o += k;
		}
		c += k;
		if (*c == '/')
			c++;
	}
	out[o] = '\0';
	return 0;
}

/* Opens directory path (clean, relative; "" is the root) from the root
 * fd, one component at a time, never following a symlink. create: make
 * missing directories (recorded as written by this layer). Returns the
 * fd, -1 with err, or -2 when a component is missing and !create. */
static int open_dir(struct layer *l, const char *path, int create,
                    const char *entry, char *err, size_t errlen)
{
	char sub[IMAGE_MAX_PATH + 1];
	int fd = dup(l->u->rootfd);
	size_t o = 0;

	if (fd < 0)
		return errorf(err, errlen, "%s: dup: %s", l->where,
		              strerror(errno));
	while (path[o]) {
		size_t k = strcspn(path + o, "/");
		char comp[IMAGE_MAX_PATH + 1];
		struct stat st;
		int next;

		memcpy(comp, path + o, k);
		comp[k] = '\0';
		memcpy(sub, path, o + k);
		sub[o + k] = '\0';
		next = openat(fd, comp,
		              O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && create) {
			if (mkdirat(fd, comp, 0755) < 0 ||
			    set_add(&l->wrote, sub) < 0) {
				int e = errno;
				close(fd);
				return errorf(err, errlen, "%s: %.200s: %s: %s",
				              l->where, entry, sub,
				              strerror(e));
			}
			next = openat(fd, comp,
			              O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			                  O_CLOEXEC);
		}
		if (next < 0) {
			int e = errno, lnk;

			lnk =
			    fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISLNK(st.st_mode);
			close(fd);
			if (e == ENOENT && !create)
				return -2;
			if (lnk)
				return errorf(err, errlen,
				              "%s: %.200s: passes through the "
				              "symlink %s (refused: links are "
				              "never followed while unpacking)",
				              l->where, entry, sub);
			return errorf(err, errlen, "%s: %.200s: %s: %s",
			              l->where, entry, sub,
			              e == ENOTDIR ? "not a directory"
			                           : strerror(e));
		}
		close(fd);
		fd = next;
		o += k;
		if (path[o] == '/')
			o++;
	}
	return fd;
}

/* Splits clean path p into its parent (in dir) and its last component. */
static const char *split(const char *p, char *dir)
{
	const char *slash = strrchr(p, '/');

	if (slash == NULL) {
		dir[0] = '\0';
		return p;
	}
	memcpy(dir, p, (size_t)(slash - p));
	dir[slash - p] = '\0';
	return slash + 1;
}

/* Removes what lower layers left under dirfd (= path): everything this
 * layer did not write; directories this layer wrote are cleared the same
 * way, inside. */
static int clear_lower(struct layer *l, int dirfd, const char *path, int depth,
                       char *err, size_t errlen)
{
	char child[IMAGE_MAX_PATH + 1];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd = dup(dirfd), rc = 0;

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return errorf(err, errlen, "%s: %s: %s", l->where, path,
		              strerror(errno));
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (snprintf(child, sizeof(child), "%s%s%s", path,
		             path[0] ? "/" : "",
		             de->d_name) >= (int)sizeof(child)) {
			rc = errorf(err, errlen, "%s: %s/...: path too long",
			            l->where, path);
			break;
		}
		if (!set_has(&l->wrote, child)) {
			if (layer_remove_at(fd, de->d_name, depth) < 0)
				rc = errorf(err, errlen, "%s: removing %s: %s",
				            l->where, child, strerror(errno));
		} else if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
		               0 &&
		           S_ISDIR(st.st_mode) && depth < IMAGE_MAX_DEPTH) {
			int sub = openat(fd, de->d_name,
			                 O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			                     O_CLOEXEC);

			if (sub < 0) {
				rc = errorf(err, errlen, "%s: %s: %s", l->where,
				            child, strerror(errno));
				break;
			}
			rc = clear_lower(l, sub, child, depth + 1, err, errlen);
			close(sub);
		}
	}
	closedir(d);
	return rc;
}

/* ".wh..wh..opq" in dir, or ".wh.NAME" for dir/NAME. */
static int whiteout(struct layer *l, const char *path, const char *dir,
                    const char *base, char *err, size_t errlen)
{
	const char *name = base + strlen(WH_PREFIX);
	char target[IMAGE_MAX_PATH + 1];
	struct stat st;
	int dfd, rc = 0;

	if (strcmp(base, WH_OPAQUE) == 0) {
		if ((dfd = open_dir(l, dir, 1, path, err, errlen)) < 0)
			return -1;
		rc = clear_lower(l, dfd, dir, 1, err, errlen);
		close(dfd);
		return rc;
	}
	if (strncmp(name, WH_PREFIX, strlen(WH_PREFIX)) == 0 ||
	    name[0] == '\0') {
		/* aufs bookkeeping (.wh..wh.plnk, ...): not content */
		image_note(l->u->img, "%s: %.200s: whiteout meta-entry skipped",
		           l->where, path);
		return 0;
	}
	if ((dfd = open_dir(l, dir, 0, path, err, errlen)) == -2)
		return 0; /* nothing below to hide */
	if (dfd < 0)
		return -1;
	snprintf(target, sizeof(target), "%s%s%s", dir, dir[0] ? "/" : "",
	         name);
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		/* absent: nothing to hide */
	} else if (!set_has(&l->wrote, target)) {
		if (layer_remove_at(dfd, name, 1) < 0)
			rc = errorf(err, errlen, "%s: %.200s: removing %s: %s",
			            l->where, path, target, strerror(errno));
	} else if (S_ISDIR(st.st_mode)) {
		/* written by this layer too: only the lower part goes */
		int sub = openat(
		    dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		rc = sub < 0 ? errorf(err, errlen, "%s: %s: %s", l->where,
		                      target, strerror(errno))
		             : clear_lower(l, sub, target, 1, err, errlen);
		if (sub >= 0)
			close(sub);
	}
	close(dfd);
	return rc;
}

static int write_data(struct layer *l, int fd, struct archive_entry *e,
                      const char *path, char *err, size_t errlen)
{
	const struct image_limits *lim = l->u->lim;
	la_int64_t size = archive_entry_size(e), off;
	const void *buf;
	size_t n;
	int r;

	if (size < 0 || (uint64_t)size > lim->max_unpacked_bytes - l->u->bytes)
		return errorf(err, errlen,
		              "%s: %.200s: the image unpacks to more than %llu "
		              "bytes",
		              l->where, path,
		              (unsigned long long)lim->max_unpacked_bytes);
	l->u->bytes += (uint64_t)size;
	while ((r = archive_read_data_block(l->a, &buf, &n, &off)) ==
	       ARCHIVE_OK) {
		if (off < 0 || (uint64_t)off > (uint64_t)size ||
		    n > (uint64_t)size - (uint64_t)off)
			return errorf(
			    err, errlen,
			    "%s: %.200s: data beyond the entry's size",
			    l->where, path);
		for (size_t w = 0; w < n;) {
			ssize_t k = pwrite(fd, (const char *)buf + w, n - w,
			                   off + (off_t)w);

			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				return errorf(err, errlen, "%s: %.200s: %s",
				              l->where, path,
				              k < 0 ? strerror(errno)
				                    : "short write");
			w += (size_t)k;
		}
	}
	if (r != ARCHIVE_EOF)
		return errorf(err, errlen, "%s: %.200s: %s", l->where, path,
		              archive_error_string(l->a)
		                  ? archive_error_string(l->a)
		                  : "unreadable data");
	if (ftruncate(fd, size) < 0) /* a sparse file's trailing hole */
		return errorf(err, errlen, "%s: %.200s: %s", l->where, path,
		              strerror(errno));
	return 0;
}

/* The entry's permissions as we apply them: setuid and setgid removed
 * (said once per entry). */
static mode_t entry_perm(struct layer *l, struct archive_entry *e,
                         const char *path)
{
	mode_t perm = archive_entry_perm(e) & 07777;

	if (perm & (S_ISUID | S_ISGID))
		image_note(l->u->img, "%s: %.200s: setuid/setgid bit removed",
		           l->where, path);
	return perm & ~(mode_t)(S_ISUID | S_ISGID);
}

static void entry_owner(struct layer *l, int dfd, const char *base,
                        struct archive_entry *e, const char *path)
{
	if (!l->u->chown)
		return;
	if (fchownat(dfd, base, (uid_t)archive_entry_uid(e),
	             (gid_t)archive_entry_gid(e), AT_SYMLINK_NOFOLLOW) < 0)
		image_note(l->u->img, "%s: %.200s: owner %lld:%lld not set: %s",
		           l->where, path, (long long)archive_entry_uid(e),
		           (long long)archive_entry_gid(e), strerror(errno));
}

static int hardlink(struct layer *l, int dfd, const char *base,
                    const char *path, const char *raw_target, char *err,
                    size_t errlen)
{
	char target[IMAGE_MAX_PATH + 1], tdir[IMAGE_MAX_PATH + 1];
	const char *tbase;
	struct stat st;
	int tfd, rc = 0;

	if (clean_path(l, raw_target, target, sizeof(target), err, errlen) < 0)
		return -1;
	if (target[0] == '\0' || strcmp(target, path) == 0)
		return errorf(
		    err, errlen, "%s: %.200s: a hard link to %s (refused)",
		    l->where, path, target[0] ? "itself" : "the root");
	tbase = split(target, tdir);
	if ((tfd = open_dir(l, tdir, 0, path, err, errlen)) == -2)
		return errorf(err, errlen,
		              "%s: %.200s: hard link to %s, which does not "
		              "exist",
		              l->where, path, target);
	if (tfd < 0)
		return -1;
	if (fstatat(tfd, tbase, &st, AT_SYMLINK_NOFOLLOW) < 0)
		rc = errorf(err, errlen,
		            "%s: %.200s: hard link to %s, which does not exist",
		            l->where, path, target);
	else if (S_ISDIR(st.st_mode))
		rc =
		    errorf(err, errlen,
		           "%s: %.200s: hard link to %s, a directory (refused)",
		           l->where, path, target);
	else if (layer_remove_at(dfd, base, 1) < 0 ||
	         linkat(tfd, tbase, dfd, base, 0) < 0)
		rc = errorf(err, errlen, "%s: %.200s: link to %s: %s", l->where,
		            path, target, strerror(errno));
	close(tfd);
	return rc;
}

static int entry(struct layer *l, struct archive_entry *e, char *err,
                 size_t errlen)
{
	char path[IMAGE_MAX_PATH + 1], dir[IMAGE_MAX_PATH + 1];
	const char *base, *raw = archive_entry_pathname(e);
	mode_t type = archive_entry_filetype(e);
	struct stat st;
	int dfd, fd, rc = 0;

	if (++l->u->entries > l->u->lim->max_entries)
		return errorf(
		    err, errlen, "%s: more than %llu entries in the image",
		    l->where, (unsigned long long)l->u->lim->max_entries);
	if (clean_path(l, raw, path, sizeof(path), err, errlen) < 0)
		return -1;
	if (path[0] == '\0')
		return 0; /* "./": the root itself, ours already */
	base = split(path, dir);
	if (strncmp(base, WH_PREFIX, strlen(WH_PREFIX)) == 0)
		return whiteout(l, path, dir, base, err, errlen);
	if (archive_entry_hardlink(e) == NULL &&
	    (type == AE_IFCHR || type == AE_IFBLK || type == AE_IFSOCK)) {
		image_note(l->u->img, "%s: %.200s: a %s (skipped)", l->where,
		           path,
		           type == AE_IFSOCK  ? "socket"
		           : type == AE_IFCHR ? "character device"
		                              : "block device");
		return 0;
	}
	if ((dfd = open_dir(l, dir, 1, path, err, errlen)) < 0)
		return -1;
	if (set_add(&l->wrote, path) < 0) {
		close(dfd);
		return errorf(err, errlen, "%s: %.200s: %s", l->where, path,
		              errno == EFBIG ? "more paths in one layer than "
		                               "we keep track of (refused)"
		                             : "out of memory");
	}
	if (archive_entry_hardlink(e) != NULL) {
		rc = hardlink(l, dfd, base, path, archive_entry_hardlink(e),
		              err, errlen);
		close(dfd);
		return rc;
	}
	switch (type) {
	case AE_IFDIR:
		/* A directory merges with one below; anything else there
		 * is replaced. u+rwx so unpacking (and removal) can write
		 * into it without privileges. */
		if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode)) {
			if (layer_remove_at(dfd, base, 1) < 0 ||
			    mkdirat(dfd, base, 0700) < 0) {
				rc = errorf(err, errlen, "%s: %.200s: %s",
				            l->where, path, strerror(errno));
				break;
			}
		}
		entry_owner(l, dfd, base, e, path);
		if (fchmodat(dfd, base, entry_perm(l, e, path) | 0700, 0) < 0)
			rc = errorf(err, errlen, "%s: %.200s: %s", l->where,
			            path, strerror(errno));
		break;
	case AE_IFREG:
		if (layer_remove_at(dfd, base, 1) < 0 ||
		    (fd = openat(dfd, base,
		                 O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		                     O_CLOEXEC | O_NOCTTY,
		                 0600)) < 0) {
			rc = errorf(err, errlen, "%s: %.200s: %s", l->where,
			            path, strerror(errno));
			break;
		}
		rc = write_data(l, fd, e, path, err, errlen);
		if (rc == 0 && l->u->chown &&
		    fchown(fd, (uid_t)archive_entry_uid(e),
		           (gid_t)archive_entry_gid(e)) < 0)
			image_note(l->u->img, "%s: %.200s: owner not set: %s",
			           l->where, path, strerror(errno));
		if (rc == 0 && fchmod(fd, entry_perm(l, e, path)) < 0)
			rc = errorf(err, errlen, "%s: %.200s: %s", l->where,
			            path, strerror(errno));
		close(fd);
		break;
	case AE_IFLNK:
		/* The target is stored as written: it is resolved later,
		 * inside the new root, never here. */
		if (archive_entry_symlink(e) == NULL ||
		    archive_entry_symlink(e)[0] == '\0') {
			rc = errorf(err, errlen,
			            "%s: %.200s: symlink without "
			            "a target",
			            l->where, path);
			break;
		}
		if (layer_remove_at(dfd, base, 1) < 0 ||
		    symlinkat(archive_entry_symlink(e), dfd, base) < 0) {
			rc = errorf(err, errlen, "%s: %.200s: %s", l->where,
			            path, strerror(errno));
			break;
		}
		entry_owner(l, dfd, base, e, path);
		break;
	case AE_IFIFO:
		if (layer_remove_at(dfd, base, 1) < 0 ||
		    mkfifoat(dfd, base, entry_perm(l, e, path)) < 0) {
			rc = errorf(err, errlen, "%s: %.200s: %s", l->where,
			            path, strerror(errno));
			break;
		}
		entry_owner(l, dfd, base, e, path);
		break;
	default:
		rc = errorf(err, errlen, "%s: %.200s: unknown entry type 0%o",
		            l->where, path, (unsigned)type);
	}
	close(dfd);
	return rc;
}

int layer_unpack(struct unpack *u, int blobfd, const struct image_desc *d,
                 size_t index, char *err, size_t errlen)
{
	struct layer *l = calloc(1, sizeof(*l));
	struct archive_entry *e;
	unsigned char md[32];
	unsigned int mdlen = 0;
	char hex[IMAGE_DIGEST_LEN + 1];
	int comp = layer_compression(d->media_type), rc = 0, r;

	if (l == NULL)
		return errorf(err, errlen, "out of memory");
	if (archive_dl_load("unpacking an image layer", err, errlen) < 0) {
		free(l);
		return -1;
	}
	l->u = u;
	l->fd = blobfd;
	snprintf(l->where, sizeof(l->where), "layer %zu (%s)", index,
	         d->digest);
	if ((l->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(l->md, EVP_sha256(), NULL) != 1)
		fatalx("EVP_DigestInit_ex(sha256) failed");
	if (comp < 0) {
		rc = errorf(err, errlen, "%s: media type %s: not a layer",
		            l->where, d->media_type);
		goto out;
	}
	if ((l->a = archive_read_new()) == NULL)
		fatalx("archive_read_new: out of memory");
	archive_read_support_format_tar(l->a);
	if (comp == LAYER_GZIP)
		archive_read_support_filter_gzip(l->a);
	else if (comp == LAYER_ZSTD)
		archive_read_support_filter_zstd(l->a);
	if (archive_read_open(l->a, l, NULL, blob_read, NULL) != ARCHIVE_OK) {
		rc = errorf(err, errlen, "%s: not a %s tar: %s", l->where,
		            comp == LAYER_GZIP   ? "gzip"
		            : comp == LAYER_ZSTD ? "zstd"
		                                 : "plain",
		            archive_error_string(l->a));
		goto out;
	}
	while (rc == 0) {
		r = archive_read_next_header(l->a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			const char *why = archive_error_string(l->a);
			rc = errorf(err, errlen, "%s: not a valid tar: %s",
			            l->where, why ? why : "unreadable header");
			break;
		}
		rc = entry(l, e, err, errlen);
	}
	if (rc < 0)
		goto out;
	/* The tar ends before the blob does (padding): the digest covers
	 * all of it, so read the rest through the hash too. */
	for (;;) {
		const void *p;
		la_ssize_t n = blob_read(l->a, l, &p);

		if (n < 0) {
			rc = errorf(err, errlen, "%s: %s", l->where,
			            strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
	}
	if (EVP_DigestFinal_ex(l->md, md, &mdlen) != 1 || mdlen != 32)
		fatalx("EVP_DigestFinal_ex failed");
	memcpy(hex, "sha256:", 7);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 7 + 2 * i, 3, "%02x", md[i]);
	if (l->read != d->size || strcmp(hex, d->digest) != 0)
		rc = errorf(err, errlen,
		            "%s: the blob changed while it was unpacked (now "
		            "%llu bytes, %s); refusing the image",
		            l->where, (unsigned long long)l->read, hex);
out:
	if (l->a != NULL)
		archive_read_free(l->a);
	EVP_MD_CTX_free(l->md);
	set_free(&l->wrote);
	free(l);
	return rc;
}
