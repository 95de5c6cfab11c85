/* --image REF resolved to a root filesystem directory (image.h).
 *
 * An OCI image layout is untrusted input: its files are opened from the
 * layout's directory fd without following symlinks, every blob is checked
 * against its descriptor's size and sha256 before it is used (JSON blobs
 * are hashed in memory, so what was checked is what is parsed; a layer is
 * hashed once before and again while it is unpacked), and the layers are
 * unpacked by layer.c into NAME.partial.XXXXXX under the cache, renamed
 * to NAME only when all of them applied: a half-unpacked image is never
 * used. README.md states the rules and the cache layout. */
#include "fileio.h"
#include "image.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "layer.h"
#include "log.h"

/* Bump when unpacking rules change: older trees are then not reused. */
#define CACHE_VERSION "v1"
#define OCI_LAYOUT_MAX 4096
#define BLOB_CHUNK (128 * 1024)

const struct image_limits image_default_limits = {
    .max_blob_bytes = 8ULL << 30,      /* 8 GiB */
    .max_unpacked_bytes = 32ULL << 30, /* 32 GiB */
    .max_entries = 2000000,
};

int image_cache_default_dir(char *out, size_t len, char *err, size_t errlen)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	int n;

	/* The XDG spec: a relative $XDG_CACHE_HOME is invalid, ignore it. */
	if (xdg != NULL && xdg[0] == '/')
		n = snprintf(out, len, "%s/autonomy/images", xdg);
	else if (home != NULL && home[0] == '/')
		n = snprintf(out, len, "%s/.cache/autonomy/images", home);
	else
		return errorf(err, errlen,
		              "no image cache directory: set XDG_CACHE_HOME or "
		              "HOME");
	if (n < 0 || (size_t)n >= len)
		return errorf(err, errlen, "image cache path too long");
	return 0;
}

void image_free(struct image *img)
{
	if (img == NULL)
		return;
	free(img->rootfs);
	free(img->tag);
	image_config_free(&img->config);
	for (size_t i = 0; i < img->n_notes; i++)
		free(img->notes[i]);
	free(img->notes);
	free(img);
}

/* ---- reading the layout --------------------------------------------- */

struct layout {
	const char *dir; /* as given, for messages */
	int fd;          /* the layout directory */
	int blobs;       /* blobs/sha256, or -1 */
};

/* Reads regular file name under dfd (not a symlink), at most max bytes,
 * NUL-terminated. */
static int read_small(int dfd, const char *name, size_t max, char **out,
                      size_t *len, const char *what, char *err, size_t errlen)
{
	size_t n;

	if (read_regular_file_at(dfd, name, O_NOFOLLOW, max, what, out, len,
	                         err, errlen) == 0)
		return 0;
	if (errno == ELOOP && (n = strlen(err)) < errlen)
		snprintf(err + n, errlen - n, " (a symlink: refused)");
	return -1;
}

static void hex_digest(EVP_MD_CTX *md, char *out)
{
	unsigned char h[32];
	unsigned int hl = 0;

	if (EVP_DigestFinal_ex(md, h, &hl) != 1 || hl != 32)
		fatalx("EVP_DigestFinal_ex failed");
	memcpy(out, "sha256:", 7);
	for (int i = 0; i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", h[i]);
}

static EVP_MD_CTX *md_new(void)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		fatalx("EVP_DigestInit_ex(sha256) failed");
	return md;
}

/* Opens the blob d names; its size must be d's. what names it. */
static int blob_open(const struct layout *lo, const struct image_desc *d,
                     const char *what, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	if (lo->blobs < 0)
		return errorf(err, errlen, "%s/blobs/sha256: missing", lo->dir);
	fd = openat(lo->blobs, d->digest + 7,
	            O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return errorf(err, errlen, "%s: blob %s: %s%s", what, d->digest,
		              strerror(errno),
		              errno == ELOOP ? " (a symlink: refused)" : "");
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return errorf(err, errlen, "%s: blob %s: not a regular file",
		              what, d->digest);
	}
	if ((uint64_t)st.st_size != d->size) {
		close(fd);
		return errorf(err, errlen,
		              "%s: blob %s: %lld bytes, its descriptor says "
		              "%llu (refused)",
		              what, d->digest, (long long)st.st_size,
		              (unsigned long long)d->size);
	}
	return fd;
}

static int digest_check(const char *got, const struct image_desc *d,
                        const char *what, char *err, size_t errlen)
{
	if (strcmp(got, d->digest) != 0)
		return errorf(err, errlen,
		              "%s: blob %s does not match its digest (its "
		              "content hashes to %s): refused",
		              what, d->digest, got);
	return 0;
}

/* A JSON blob, read into memory and checked there. */
static int blob_json(const struct layout *lo, const struct image_desc *d,
                     const char *what, char **out, size_t *len, char *err,
                     size_t errlen)
{
	char got[IMAGE_DIGEST_LEN + 1];
	EVP_MD_CTX *md;

	if (d->size > IMAGE_MAX_JSON)
		return errorf(err, errlen,
		              "%s: blob %s: %llu bytes, more "
		              "than %u",
		              what, d->digest, (unsigned long long)d->size,
		              IMAGE_MAX_JSON);
	if (lo->blobs < 0)
		return errorf(err, errlen, "%s/blobs/sha256: missing", lo->dir);
	{
		char name[160];
		snprintf(name, sizeof(name), "%s: blob %s", what, d->digest);
		if (read_small(lo->blobs, d->digest + 7, IMAGE_MAX_JSON, out,
		               len, name, err, errlen) < 0)
			return -1;
	}
	if (*len != d->size) {
		free(*out);
		return errorf(err, errlen,
		              "%s: blob %s: %zu bytes, its descriptor says "
		              "%llu (refused)",
		              what, d->digest, *len,
		              (unsigned long long)d->size);
	}
	md = md_new();
	if (EVP_DigestUpdate(md, *out, *len) != 1)
		fatalx("EVP_DigestUpdate failed");
	hex_digest(md, got);
	EVP_MD_CTX_free(md);
	if (digest_check(got, d, what, err, errlen) < 0) {
		free(*out);
		return -1;
	}
	return 0;
}

/* A layer blob: hashed end to end before anything reads it as a tar. */
static int blob_verify_fd(int fd, const struct image_desc *d, const char *what,
                          char *err, size_t errlen)
{
	char got[IMAGE_DIGEST_LEN + 1];
	unsigned char *buf = malloc(BLOB_CHUNK);
	EVP_MD_CTX *md;
	uint64_t total = 0;
	ssize_t n;

	if (buf == NULL)
		return errorf(err, errlen, "out of memory");
	md = md_new();

	while ((n = read(fd, buf, BLOB_CHUNK)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			EVP_MD_CTX_free(md);
			return errorf(err, errlen, "%s: blob %s: %s", what,
			              d->digest, strerror(errno));
		}
		if (EVP_DigestUpdate(md, buf, (size_t)n) != 1)
			fatalx("EVP_DigestUpdate failed");
		total += (uint64_t)n;
	}
	free(buf);
	hex_digest(md, got);
	EVP_MD_CTX_free(md);
	if (total != d->size)
		return errorf(err, errlen, "%s: blob %s: changed while read",
		              what, d->digest);
	if (digest_check(got, d, what, err, errlen) < 0)
		return -1;
	if (lseek(fd, 0, SEEK_SET) != 0)
		return errorf(err, errlen, "%s: blob %s: %s", what, d->digest,
		              strerror(errno));
	return 0;
}

/* oci-layout: {"imageLayoutVersion": "1.x.y"}. */
static int check_oci_layout(const struct layout *lo, char *err, size_t errlen)
{
	char what[PATH_MAX + 16], *buf;
	size_t len;
	json_t *root, *v;
	int rc = 0;

	snprintf(what, sizeof(what), "%s/oci-layout", lo->dir);
	if (read_small(lo->fd, "oci-layout", OCI_LAYOUT_MAX, &buf, &len, what,
	               err, errlen) < 0)
		return -1;
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
	v = json_object_get(root, "imageLayoutVersion");
	if (!json_is_string(v) || strncmp(json_string_value(v), "1.", 2) != 0)
		rc = errorf(err, errlen,
		            "%s: not {\"imageLayoutVersion\": \"1.0.0\"} (an "
		            "OCI image layout 1.x)",
		            what);
	json_decref(root);
	free(buf);
	return rc;
}

/* ---- the image ------------------------------------------------------ */

/* Follows index.json to the manifest, then reads it and the config.
 * Fills img's digest and config, returns the layers. */
static int read_image(struct layout *lo, const char *tag, struct image *img,
                      struct image_desc **layers, size_t *n_layers, char *err,
                      size_t errlen)
{
	char where[PATH_MAX + 160], *buf;
	struct image_desc d, cfg;
	size_t len;
	int rc;

	snprintf(where, sizeof(where), "%s/index.json", lo->dir);
	if (read_small(lo->fd, "index.json", IMAGE_MAX_JSON, &buf, &len, where,
	               err, errlen) < 0)
		return -1;
	rc = image_parse_index(buf, len, where, tag, 0, &d, err, errlen);
	free(buf);
	if (rc < 0)
		return -1;
	if (d.ref_name[0] && (img->tag = strdup(d.ref_name)) == NULL)
		return errorf(err, errlen, "out of memory");
	for (int depth = 0; image_is_index_type(d.media_type); depth++) {
		struct image_desc next;

		if (depth == IMAGE_MAX_INDEX_DEPTH)
			return errorf(
			    err, errlen,
			    "%s: image indexes nested more than %d deep", where,
			    IMAGE_MAX_INDEX_DEPTH);
		snprintf(where, sizeof(where), "%s: index %s", lo->dir,
		         d.digest);
		if (blob_json(lo, &d, where, &buf, &len, err, errlen) < 0)
			return -1;
		rc = image_parse_index(buf, len, where, NULL, 1, &next, err,
		                       errlen);
		free(buf);
		if (rc < 0)
			return -1;
		d = next;
	}
	snprintf(img->manifest_digest, sizeof(img->manifest_digest), "%s",
	         d.digest);
	snprintf(where, sizeof(where), "%s: manifest %s", lo->dir, d.digest);
	if (blob_json(lo, &d, where, &buf, &len, err, errlen) < 0)
		return -1;
	rc = image_parse_manifest(buf, len, where, &cfg, layers, n_layers, err,
	                          errlen);
	free(buf);
	if (rc < 0)
		return -1;
	snprintf(where, sizeof(where), "%s: config %s", lo->dir, cfg.digest);
	if (blob_json(lo, &cfg, where, &buf, &len, err, errlen) < 0)
		goto fail;
	rc = image_parse_config(buf, len, where, &img->config, err, errlen);
	free(buf);
	if (rc < 0)
		goto fail;
	if ((img->config.os[0] && strcmp(img->config.os, "linux") != 0) ||
	    (img->config.arch[0] && strcmp(img->config.arch, "amd64") != 0)) {
		errorf(err, errlen,
		       "%s: an image for %s/%s; this host runs linux/amd64",
		       where, img->config.os, img->config.arch);
		goto fail;
	}
	return 0;
fail:
	free(*layers);
	*layers = NULL;
	return -1;
}

static int mkdir_p(const char *path, char *err, size_t errlen)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return errorf(err, errlen, "%s: path too long", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return errorf(err, errlen, "%s: %s", buf,
			              strerror(errno));
		*p = '/';
	}
	if (mkdir(buf, 0700) < 0 && errno != EEXIST)
		return errorf(err, errlen, "%s: %s", buf, strerror(errno));
	return 0;
}

/* Removes our .partial tree (path, under the cache directory). */
static void discard(const char *path)
{
	char parent[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int dfd;

	snprintf(parent, sizeof(parent), "%.*s", (int)(slash - path), path);
	if ((dfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return;
	if (layer_remove_at(dfd, slash + 1, 0) < 0)
		log_warn("%s: left behind", path);
	close(dfd);
}

static int unpack_layers(const struct layout *lo, struct image *img,
                         const struct image_desc *layers, size_t n,
                         const char *cache_dir, const struct image_limits *lim,
                         char *err, size_t errlen)
{
	char dir[PATH_MAX], final[PATH_MAX], partial[PATH_MAX];
	char what[PATH_MAX + 32];
	struct stat st;
	struct unpack u = {
	    .rootfd = -1, .lim = lim, .img = img, .chown = geteuid() == 0};
	int rc = 0;

	if (snprintf(dir, sizeof(dir), "%s/" CACHE_VERSION, cache_dir) >=
	        (int)sizeof(dir) ||
	    snprintf(final, sizeof(final), "%s/%s", dir,
	             img->manifest_digest + 7) >= (int)sizeof(final) ||
	    snprintf(partial, sizeof(partial), "%s.partial.XXXXXX", final) >=
	        (int)sizeof(partial))
		return errorf(err, errlen, "%s: path too long", cache_dir);
	if (lstat(final, &st) == 0 && S_ISDIR(st.st_mode)) {
		img->cached = 1;
		return (img->rootfs = strdup(final))
		           ? 0
		           : errorf(err, errlen, "out of memory");
	}
	if (mkdir_p(dir, err, errlen) < 0)
		return -1;
	if (mkdtemp(partial) == NULL)
		return errorf(err, errlen, "%s: %s", partial, strerror(errno));
	if ((u.rootfd = open(partial, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	                                  O_CLOEXEC)) < 0) {
		rc = errorf(err, errlen, "%s: %s", partial, strerror(errno));
		goto out;
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		int fd;

		snprintf(what, sizeof(what), "%s: layer %zu", lo->dir, i + 1);
		if (layers[i].size > lim->max_blob_bytes) {
			rc = errorf(err, errlen,
			            "%s: blob %s: %llu bytes, more than %llu",
			            what, layers[i].digest,
			            (unsigned long long)layers[i].size,
			            (unsigned long long)lim->max_blob_bytes);
			break;
		}
		if ((fd = blob_open(lo, &layers[i], what, err, errlen)) < 0) {
			rc = -1;
			break;
		}
		rc = blob_verify_fd(fd, &layers[i], what, err, errlen);
		if (rc == 0)
			rc = layer_unpack(&u, fd, &layers[i], i + 1, err,
			                  errlen);
		close(fd);
	}
	/* The mount points of the workload's /proc and /dev, which an
	 * image may lack: the spawner never creates any (it mounts the
	 * cached tree read-only). One that exists stays as the image made
	 * it; the spawner checks it. */
	for (size_t i = 0; rc == 0 && i < 2; i++)
		if (mkdirat(u.rootfd, i ? "dev" : "proc", 0755) < 0 &&
		    errno != EEXIST)
			rc = errorf(err, errlen, "%s/%s: %s", partial,
			            i ? "dev" : "proc", strerror(errno));
	/* The tree is durable before it gets its final name. */
	if (rc == 0 && (fchmod(u.rootfd, 0755) < 0 || syncfs(u.rootfd) < 0))
		rc = errorf(err, errlen, "%s: %s", partial, strerror(errno));
	if (rc == 0 && rename(partial, final) < 0) {
		if (errno != EEXIST && errno != ENOTEMPTY)
			rc = errorf(err, errlen, "%s: %s", final,
			            strerror(errno));
		else
			img->cached = 1; /* another run finished first */
	}
	if (rc == 0) {
		img->n_layers = n;
		if ((img->rootfs = strdup(final)) == NULL)
			rc = errorf(err, errlen, "out of memory");
	}
out:
	if (u.rootfd >= 0)
		close(u.rootfd);
	if (rc < 0 || img->cached)
		discard(partial);
	return rc;
}

/* ---- a plain root filesystem ---------------------------------------- */

static int check_rootfs(const char *dir, int dfd, char *err, size_t errlen)
{
	struct stat st;
	int has_usr = fstatat(dfd, "usr", &st, 0) == 0 && S_ISDIR(st.st_mode);
	int has_bin = fstatat(dfd, "bin", &st, 0) == 0 && S_ISDIR(st.st_mode);

	/* fstatat follows "bin -> usr/bin" on purpose: the check is about
	 * what the workload will find, and the links are resolved within
	 * this directory's own tree only when they are relative; an
	 * absolute one pointing at the host's /usr would pass here and
	 * fail at exec time inside the new root. */
	if (!has_usr && !has_bin)
		return errorf(err, errlen,
		              "%s: neither an OCI image layout (no oci-layout "
		              "and index.json) nor a root filesystem (no bin/ "
		              "or usr/ directory)",
		              dir);
	return 0;
}

/* DIR, or DIR:tag when DIR is a directory and the whole is not. */
static int split_ref(const char *ref, char **dir, char **tag, char *err,
                     size_t errlen)
{
	const char *colon = strrchr(ref, ':');
	struct stat st;

	*tag = NULL;
	if (stat(ref, &st) == 0 || colon == NULL || colon[1] == '\0' ||
	    strchr(colon, '/') != NULL) {
		*dir = strdup(ref);
	} else {
		*dir = strndup(ref, (size_t)(colon - ref));
		*tag = strdup(colon + 1);
		if (*tag == NULL) {
			free(*dir);
			*dir = NULL;
		}
	}
	if (*dir == NULL)
		return errorf(err, errlen, "out of memory");
	return 0;
}

struct image *image_resolve(const char *ref, const char *cache_dir,
                            const struct image_limits *lim, char *err,
                            size_t errlen)
{
	struct image *img = calloc(1, sizeof(*img));
	struct layout lo = {.fd = -1, .blobs = -1};
	struct image_desc *layers = NULL;
	char cache[PATH_MAX], *dir = NULL, *tag = NULL;
	size_t n_layers = 0;
	struct stat st;
	int has_layout, has_index, ok = 0;

	if (img == NULL)
		return errorf(err, errlen, "out of memory"), NULL;
	if (lim == NULL)
		lim = &image_default_limits;
	if (split_ref(ref, &dir, &tag, err, errlen) < 0)
		goto out;
	lo.dir = dir;
	if ((lo.fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		errorf(err, errlen,
		       "--image %s: %s (an OCI image layout directory, "
		       "DIR:TAG, or a root filesystem directory)",
		       ref, strerror(errno));
		goto out;
	}
	has_layout =
	    fstatat(lo.fd, "oci-layout", &st, AT_SYMLINK_NOFOLLOW) == 0;
	has_index = fstatat(lo.fd, "index.json", &st, AT_SYMLINK_NOFOLLOW) == 0;
	if (has_layout != has_index) {
		errorf(err, errlen,
		       "%s: has %s but no %s: not a complete OCI image layout",
		       dir, has_layout ? "oci-layout" : "index.json",
		       has_layout ? "index.json" : "oci-layout");
		goto out;
	}
	if (!has_layout) {
		if (tag != NULL) {
			errorf(err, errlen,
			       "--image %s: :%s names an image in an OCI image "
			       "layout, and %s is not one",
			       ref, tag, dir);
			goto out;
		}
		if (check_rootfs(dir, lo.fd, err, errlen) < 0)
			goto out;
		img->kind = IMAGE_ROOTFS_DIR;
		if ((img->rootfs = realpath(dir, NULL)) == NULL) {
			errorf(err, errlen, "%s: %s", dir, strerror(errno));
			goto out;
		}
		if (image_parse_config("{}", 2, dir, &img->config, err,
		                       errlen) < 0)
			goto out;
		ok = 1;
		goto out;
	}
	img->kind = IMAGE_OCI;
	if (check_oci_layout(&lo, err, errlen) < 0)
		goto out;
	{
		int b = openat(lo.fd, "blobs",
		               O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (b >= 0) {
			lo.blobs = openat(b, "sha256",
			                  O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			                      O_CLOEXEC);
			close(b);
		}
	}
	if (read_image(&lo, tag, img, &layers, &n_layers, err, errlen) < 0)
		goto out;
	if (cache_dir == NULL) {
		if (image_cache_default_dir(cache, sizeof(cache), err, errlen) <
		    0)
			goto out;
		cache_dir = cache;
	}
	if (unpack_layers(&lo, img, layers, n_layers, cache_dir, lim, err,
	                  errlen) < 0)
		goto out;
	ok = 1;
out:
	if (lo.fd >= 0)
		close(lo.fd);
	if (lo.blobs >= 0)
		close(lo.blobs);
	free(layers);
	free(dir);
	free(tag);
	if (!ok) {
		image_free(img);
		return NULL;
	}
	return img;
}
