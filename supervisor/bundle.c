/* Where bundles come from: a directory, a .tar (libarchive, read from
 * memory so the fuzz target drives the same code), the cache, or the
 * embedded demo policies; and the canonical tar they all hash to.
 *
 * Tar entries are untrusted names: each is normalized and checked before
 * anything else is looked at, and only the bundle's own members are
 * accepted. An unexpected entry is refused, not skipped: the digest
 * covers exactly what is loaded, so nothing rides along unseen. */
#include "fileio.h"
#include "bundle.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "archive_dl.h"
#include "bundle_cache.h"
#include "log.h"

#define UNEXPECTED_HINT                                                        \
	"a bundle holds manifest.json, policies/*.cedar and entities.json "    \
	"only"

void bundle_sha256(const void *buf, size_t len, char *out)
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	if (EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32)
		fatalx("EVP_Digest(sha256) failed");
	memcpy(out, "sha256:", 7);
	for (int i = 0; i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
}

/* ---- members collected from a source -------------------------------- */

struct members {
	struct bundle_member manifest, entities;
	struct bundle_member *pol;
	size_t npol;
	size_t total;
};

static void members_free(struct members *m)
{
	free(m->manifest.name);
	free(m->manifest.data);
	free(m->entities.name);
	free(m->entities.data);
	for (size_t i = 0; i < m->npol; i++) {
		free(m->pol[i].name);
		free(m->pol[i].data);
	}
	free(m->pol);
}

/* The slot for member name, or NULL with err when the name is not one a
 * bundle holds or is taken already. where prefixes messages. */
static struct bundle_member *member_slot(struct members *m, const char *name,
                                         const char *where, char *err,
                                         size_t errlen)
{
	struct bundle_member *s;

	if (strcmp(name, "manifest.json") == 0)
		s = &m->manifest;
	else if (strcmp(name, "entities.json") == 0)
		s = &m->entities;
	else if (strncmp(name, "policies/", 9) == 0 &&
	         strchr(name + 9, '/') == NULL && name[9] != '\0') {
		struct bundle_member *np;

		for (size_t i = 0; i < m->npol; i++)
			if (strcmp(m->pol[i].name, name) == 0)
				return errorf(err, errlen,
				              "%s%s: appears twice", where,
				              name),
				       NULL;
		if (m->npol == BUNDLE_MAX_POLICY_FILES)
			return errorf(err, errlen,
			              "%spolicies/: more than %d files", where,
			              BUNDLE_MAX_POLICY_FILES),
			       NULL;
		np = realloc(m->pol, (m->npol + 1) * sizeof(*np));
		if (np == NULL)
			return errorf(err, errlen, "out of memory"), NULL;
		m->pol = np;
		s = &m->pol[m->npol++];
		memset(s, 0, sizeof(*s));
	} else {
		return errorf(err, errlen,
		              "%s%s: unexpected file (" UNEXPECTED_HINT ")",
		              where, name),
		       NULL;
	}
	if (s->name != NULL)
		return errorf(err, errlen, "%s%s: appears twice", where, name),
		       NULL;
	if ((s->name = strdup(name)) == NULL)
		return errorf(err, errlen, "out of memory"), NULL;
	return s;
}

static size_t member_bound(const char *name)
{
	if (strcmp(name, "manifest.json") == 0)
		return BUNDLE_MAX_MANIFEST;
	if (strcmp(name, "entities.json") == 0)
		return BUNDLE_MAX_ENTITIES;
	return BUNDLE_MAX_POLICY_FILE;
}

/* Checks a member's size against its bound and the total before it is
 * read. */
static int size_ok(struct members *m, const char *name, size_t size,
                   const char *where, char *err, size_t errlen)
{
	if (size > member_bound(name))
		return errorf(err, errlen, "%s%s: %zu bytes, more than %zu",
		              where, name, size, member_bound(name));
	if (size > BUNDLE_MAX_TOTAL - m->total)
		return errorf(err, errlen,
		              "%s%s: the bundle is larger than %u bytes in all",
		              where, name, BUNDLE_MAX_TOTAL);
	m->total += size;
	return 0;
}

/* Validates the members and stamps the canonical digest. */
static struct bundle *finish(struct members *m, const char *where, char *err,
                             size_t errlen)
{
	struct bundle *b;
	void *tar;
	size_t len;

	if (m->manifest.name == NULL)
		return errorf(err, errlen,
		              "%smanifest.json: missing (" UNEXPECTED_HINT ")",
		              where),
		       NULL;
	b = bundle_from_members(&m->manifest, m->pol, m->npol,
	                        m->entities.name ? &m->entities : NULL, NULL,
	                        where, err, errlen);
	if (b == NULL)
		return NULL;
	if ((tar = bundle_canonical_tar(b, &len, err, errlen)) == NULL) {
		bundle_free(b);
		return NULL;
	}
	bundle_sha256(tar, len, b->digest);
	free(tar);
	return b;
}

/* ---- a directory ---------------------------------------------------- */

/* Reads regular file name (not a symlink) under dfd into m's slot. */
static int read_member_at(int dfd, const char *name, const char *rel,
                          struct members *m, const char *where, char *err,
                          size_t errlen)
{
	struct bundle_member *s;
	struct stat st;
	size_t got = 0;
	int fd;

	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return errorf(err, errlen, "%s%s: %s%s", where, rel,
		              strerror(errno),
		              errno == ELOOP ? " (a symlink: refused)" : "");
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return errorf(err, errlen, "%s%s: not a regular file", where,
		              rel);
	}
	if (size_ok(m, rel, (size_t)st.st_size, where, err, errlen) < 0 ||
	    (s = member_slot(m, rel, where, err, errlen)) == NULL) {
		close(fd);
		return -1;
	}
	if ((s->data = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return errorf(err, errlen, "out of memory");
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, s->data + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return errorf(err, errlen, "%s%s: %s", where, rel,
			              n < 0 ? strerror(errno)
			                    : "changed while being read");
		}
		got += (size_t)n;
	}
	s->data[got] = '\0';
	s->len = got;
	close(fd);
	return 0;
}

static int read_policies_dir(int dfd, struct members *m, const char *where,
                             char *err, size_t errlen)
{
	int pfd = openat(dfd, "policies",
	                 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d;
	struct dirent *e;
	char rel[BUNDLE_MAX_FILE_NAME + 16];
	int rc = 0;

	if (pfd < 0)
		return errorf(err, errlen, "%spolicies/: %s", where,
		              strerror(errno));
	if ((d = fdopendir(pfd)) == NULL) {
		close(pfd);
		return errorf(err, errlen, "%spolicies/: %s", where,
		              strerror(errno));
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (strlen(e->d_name) > BUNDLE_MAX_FILE_NAME) {
			rc = errorf(err, errlen,
			            "%spolicies/%.80s...: file name longer "
			            "than %d characters",
			            where, e->d_name, BUNDLE_MAX_FILE_NAME);
			break;
		}
		snprintf(rel, sizeof(rel), "policies/%s", e->d_name);
		if (bundle_check_policy_name(rel, err, errlen) < 0) {
			char msg[BUNDLE_ERR_MAX];
			snprintf(msg, sizeof(msg), "%s", err);
			rc = errorf(err, errlen, "%s%s (" UNEXPECTED_HINT ")",
			            where, msg);
			break;
		}
		rc = read_member_at(pfd, e->d_name, rel, m, where, err, errlen);
	}
	closedir(d);
	return rc;
}

struct bundle *bundle_load_dir(const char *dir, char *err, size_t errlen)
{
	struct members m = {0};
	struct bundle *b = NULL;
	char where[BUNDLE_ERR_MAX / 2];
	size_t dl = strlen(dir);
	struct dirent *e;
	DIR *d;
	int dfd, rc = 0;

	snprintf(where, sizeof(where), "%s%s", dir,
	         dl > 0 && dir[dl - 1] == '/' ? "" : "/");
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return errorf(err, errlen, "%s: %s", dir, strerror(errno)),
		       NULL;
	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return errorf(err, errlen, "%s: %s", dir, strerror(errno)),
		       NULL;
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = errorf(err, errlen, "%s%.200s: %s", where,
			            e->d_name, strerror(errno));
		} else if (strcmp(e->d_name, "policies") == 0) {
			rc =
			    S_ISDIR(st.st_mode)
			        ? read_policies_dir(dfd, &m, where, err, errlen)
			        : errorf(err, errlen,
			                 "%spolicies: not a directory%s", where,
			                 S_ISLNK(st.st_mode)
			                     ? " (a symlink: refused)"
			                     : "");
		} else if (strcmp(e->d_name, "manifest.json") == 0 ||
		           strcmp(e->d_name, "entities.json") == 0) {
			rc = read_member_at(dfd, e->d_name, e->d_name, &m,
			                    where, err, errlen);
		} else {
			rc = errorf(
			    err, errlen,
			    "%s%.200s: unexpected file (" UNEXPECTED_HINT ")",
			    where, e->d_name);
		}
	}
	closedir(d);
	if (rc == 0)
		b = finish(&m, where, err, errlen);
	members_free(&m);
	return b;
}

/* ---- a tar ---------------------------------------------------------- */

/* The entry's path as a bundle member: "./" prefixes dropped, refused
 * when it is absolute, climbs out, or is not normalized. Writes the
 * clean name into out. */
static int clean_path(const char *raw, char *out, size_t outlen,
                      const char *where, char *err, size_t errlen)
{
	const char *p = raw;
	size_t n;

	if (raw[0] == '/')
		return errorf(err, errlen,
		              "%s%.200s: absolute path in the tar (refused)",
		              where, raw);
	if (strchr(raw, '\\') != NULL)
		return errorf(err, errlen,
		              "%s%.200s: backslash in a path (refused)", where,
		              raw);
	while (strncmp(p, "./", 2) == 0)
		p += 2;
	if (strcmp(p, ".") == 0)
		p += 1;
	n = strlen(p);
	if (n > 0 && p[n - 1] == '/')
		n--; /* a directory's trailing slash */
	if (n >= outlen)
		return errorf(err, errlen, "%s%.200s...: path too long", where,
		              raw);
	memcpy(out, p, n);
	out[n] = '\0';
	for (const char *c = out; *c;) {
		size_t k = strcspn(c, "/");

		if (k == 2 && strncmp(c, "..", 2) == 0)
			return errorf(err, errlen,
			              "%s%.200s: path leaves the bundle "
			              "(refused)",
			              where, raw);
		if (k == 0 || (k == 1 && c[0] == '.'))
			return errorf(err, errlen,
			              "%s%.200s: not a normalized path "
			              "(refused)",
			              where, raw);
		c += k;
		if (*c == '/')
			c++;
	}
	return 0;
}

static const char *type_name(mode_t t)
{
	switch (t) {
	case AE_IFLNK:
		return "a symlink";
	case AE_IFCHR:
		return "a character device";
	case AE_IFBLK:
		return "a block device";
	case AE_IFIFO:
		return "a fifo";
	case AE_IFSOCK:
		return "a socket";
	default:
		return "not a regular file";
	}
}

/* One entry: checked, and a file's data read into its slot. */
static int tar_entry(struct archive *a, struct archive_entry *e,
                     struct members *m, char (*dirs)[16], int *ndirs,
                     const char *where, char *err, size_t errlen)
{
	const char *raw = archive_entry_pathname(e);
	char name[BUNDLE_MAX_FILE_NAME + 16];
	mode_t type = archive_entry_filetype(e);
	struct bundle_member *s;
	la_int64_t size;
	size_t got = 0;

	if (raw == NULL || raw[0] == '\0')
		return errorf(err, errlen, "%san entry without a path", where);
	if (clean_path(raw, name, sizeof(name), where, err, errlen) < 0)
		return -1;
	if (archive_entry_hardlink(e) != NULL)
		return errorf(err, errlen, "%s%.200s: a hard link (refused)",
		              where, raw);
	if (type == AE_IFDIR) {
		if (name[0] != '\0' && strcmp(name, "policies") != 0)
			return errorf(err, errlen,
			              "%s%.200s: unexpected directory "
			              "(" UNEXPECTED_HINT ")",
			              where, raw);
		/* only "" and "policies" pass, each once: *ndirs <= 2 */
		for (int i = 0; i < *ndirs; i++)
			if (strcmp(dirs[i], name) == 0)
				return errorf(err, errlen,
				              "%s%.200s: appears twice", where,
				              raw);
		memcpy(dirs[(*ndirs)++], name, strlen(name) + 1);
		return 0;
	}
	if (type != AE_IFREG)
		return errorf(err, errlen, "%s%.200s: %s (refused)", where, raw,
		              type_name(type));
	if (archive_entry_sparse_count(e) > 0)
		return errorf(err, errlen, "%s%.200s: a sparse file (refused)",
		              where, raw);
	size = archive_entry_size(e);
	if (!archive_entry_size_is_set(e) || size < 0)
		return errorf(err, errlen, "%s%.200s: no size", where, raw);
	if ((la_int64_t)member_bound(name) < size)
		return errorf(err, errlen, "%s%s: %lld bytes, more than %zu",
		              where, name, (long long)size, member_bound(name));
	if (size_ok(m, name, (size_t)size, where, err, errlen) < 0 ||
	    (s = member_slot(m, name, where, err, errlen)) == NULL)
		return -1;
	if ((s->data = malloc((size_t)size + 1)) == NULL)
		return errorf(err, errlen, "out of memory");
	while (got < (size_t)size) {
		la_ssize_t n =
		    archive_read_data(a, s->data + got, (size_t)size - got);

		if (n <= 0)
			return errorf(err, errlen, "%s%s: %s", where, name,
			              n < 0 ? archive_error_string(a)
			                    : "truncated");
		got += (size_t)n;
	}
	s->data[got] = '\0';
	s->len = got;
	return 0;
}

struct bundle *bundle_load_tar_mem(const void *buf, size_t len,
                                   const char *name, char *err, size_t errlen)
{
	struct archive *a;
	struct archive_entry *e;
	struct members m = {0};
	struct bundle *b = NULL;
	char where[BUNDLE_ERR_MAX / 2], dirs[2][16], why[1024];
	int ndirs = 0, rc = 0, count = 0, r;

	snprintf(where, sizeof(where), "%s: ", name);
	if (len > BUNDLE_MAX_TAR)
		return errorf(err, errlen, "%s: %zu bytes, more than %u", name,
		              len, BUNDLE_MAX_TAR),
		       NULL;
	if (len >= 2 && ((const unsigned char *)buf)[0] == 0x1f &&
	    ((const unsigned char *)buf)[1] == 0x8b)
		return errorf(err, errlen,
		              "%s: a compressed tar; bundles are plain .tar "
		              "files (autonomy bundle pack writes one)",
		              name),
		       NULL;
	if (archive_dl_load("reading a tar bundle", why, sizeof(why)) < 0)
		return errorf(err, errlen, "%s: %s", name, why), NULL;
	if ((a = archive_read_new()) == NULL)
		return errorf(err, errlen, "out of memory"), NULL;
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	if (archive_read_open_memory(a, buf, len) != ARCHIVE_OK) {
		errorf(err, errlen, "%s: %s", name, archive_error_string(a));
		archive_read_free(a);
		return NULL;
	}
	while (rc == 0) {
		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK) {
			const char *why = archive_error_string(a);
			rc = errorf(err, errlen, "%s: not a valid tar: %s",
			            name, why ? why : "unreadable header");
			break;
		}
		if (++count > BUNDLE_MAX_TAR_ENTRIES) {
			rc = errorf(err, errlen, "%s: more than %d entries",
			            name, BUNDLE_MAX_TAR_ENTRIES);
			break;
		}
		rc = tar_entry(a, e, &m, dirs, &ndirs, where, err, errlen);
	}
	archive_read_free(a);
	if (rc == 0 && count == 0)
		errorf(err, errlen, "%s: an empty tar", name);
	else if (rc == 0)
		b = finish(&m, where, err, errlen);
	members_free(&m);
	return b;
}

int bundle_read_file(const char *path, size_t max, int oflags, void **out,
                     size_t *len, char *err, size_t errlen)
{
	char *buf;

	if (read_regular_file_at(AT_FDCWD, path, oflags, max, path, &buf, len,
	                         err, errlen) < 0)
		return -1;
	*out = buf;
	return 0;
}

struct bundle *bundle_load_tar(const char *path, char *err, size_t errlen)
{
	struct bundle *b;
	void *buf;
	size_t len;

	if (bundle_read_file(path, BUNDLE_MAX_TAR, 0, &buf, &len, err, errlen) <
	    0)
		return NULL;
	b = bundle_load_tar_mem(buf, len, path, err, errlen);
	free(buf);
	return b;
}

/* ---- the canonical tar ---------------------------------------------- */

struct membuf {
	unsigned char *p;
	size_t len, cap;
};

static la_ssize_t membuf_write(struct archive *a, void *ctx, const void *data,
                               size_t n)
{
	struct membuf *mb = ctx;

	if (n > BUNDLE_MAX_TAR || mb->len > BUNDLE_MAX_TAR - n) {
		archive_set_error(a, EFBIG, "canonical tar too large");
		return -1;
	}
	if (mb->len + n > mb->cap) {
		size_t cap = mb->cap ? mb->cap : 16384;
		unsigned char *np;

		while (cap < mb->len + n)
			cap *= 2;
		if ((np = realloc(mb->p, cap)) == NULL) {
			archive_set_error(a, ENOMEM, "out of memory");
			return -1;
		}
		mb->p = np;
		mb->cap = cap;
	}
	memcpy(mb->p + mb->len, data, n);
	mb->len += n;
	return (la_ssize_t)n;
}

static int write_member(struct archive *a, const struct bundle_member *m)
{
	struct archive_entry *e = archive_entry_new();
	int rc = -1;

	if (e == NULL)
		return -1;
	archive_entry_set_pathname(e, m->name);
	archive_entry_set_size(e, (la_int64_t)m->len);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_mtime(e, 0, 0);
	if (archive_write_header(a, e) == ARCHIVE_OK &&
	    (m->len == 0 ||
	     archive_write_data(a, m->data, m->len) == (la_ssize_t)m->len))
		rc = 0;
	archive_entry_free(e);
	return rc;
}

void *bundle_canonical_tar(const struct bundle *b, size_t *len, char *err,
                           size_t errlen)
{
	struct archive *a;
	struct membuf mb = {0};
	int ok;

	if (archive_dl_load("computing a bundle's digest (its canonical tar)",
	                    err, errlen) < 0)
		return NULL;
	if ((a = archive_write_new()) == NULL)
		return errorf(err, errlen, "out of memory"), NULL;
	/* Names sort: entities.json < manifest.json < policies/... (the
	 * policies are kept sorted). */
	ok = archive_write_set_format_ustar(a) == ARCHIVE_OK &&
	     archive_write_add_filter_none(a) == ARCHIVE_OK &&
	     archive_write_open(a, &mb, NULL, membuf_write, NULL) == ARCHIVE_OK;
	if (ok && b->entities.data != NULL)
		ok = write_member(a, &b->entities) == 0;
	if (ok)
		ok = write_member(a, &b->manifest) == 0;
	for (size_t i = 0; ok && i < b->n_policies; i++)
		ok = write_member(a, &b->policies[i]) == 0;
	if (ok)
		ok = archive_write_close(a) == ARCHIVE_OK;
	if (!ok) {
		errorf(err, errlen, "writing the tar: %s",
		       archive_error_string(a) ? archive_error_string(a)
		                               : "failed");
		archive_write_free(a);
		free(mb.p);
		return NULL;
	}
	archive_write_free(a);
	*len = mb.len;
	return mb.p;
}

int bundle_write_file(const char *path, const void *buf, size_t len,
                      mode_t mode, char *err, size_t errlen)
{
	char tmp[4096];
	size_t off = 0;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >=
	    (int)sizeof(tmp))
		return errorf(err, errlen, "%s: path too long", path);
	if ((fd = mkstemp(tmp)) < 0)
		return errorf(err, errlen, "%s: %s", path, strerror(errno));
	while (off < len) {
		ssize_t n = write(fd, (const char *)buf + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		off += (size_t)n;
	}
	if (fchmod(fd, mode) < 0 || fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	errorf(err, errlen, "%s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}

int bundle_pack(const struct bundle *b, const char *path, char *err,
                size_t errlen)
{
	size_t len;
	void *tar = bundle_canonical_tar(b, &len, err, errlen);
	int rc;

	if (tar == NULL)
		return -1;
	rc = bundle_write_file(path, tar, len, 0644, err, errlen);
	free(tar);
	return rc;
}

/* ---- the embedded bundles ------------------------------------------- */

struct bundle *bundle_embedded(int mavlink, char *err, size_t errlen)
{
	static const char demo_manifest[] =
	    "{\n  \"kind\": \"bundle\",\n  \"schema_version\": \"1.0\",\n"
	    "  \"name\": \"demo\",\n  \"version\": \"0.1.0\",\n"
	    "  \"channel\": \"stable\",\n  \"min_adk_version\": \"0.1.0\",\n"
	    "  \"description\": \"the embedded demo policy: tool.echo and "
	    "tool.http_get, nothing else\"\n}\n";
	static const char mavlink_manifest[] =
	    "{\n  \"kind\": \"bundle\",\n  \"schema_version\": \"1.0\",\n"
	    "  \"name\": \"mavlink-demo\",\n  \"version\": \"0.1.0\",\n"
	    "  \"channel\": \"stable\",\n  \"min_adk_version\": \"0.1.0\",\n"
	    "  \"description\": \"the embedded MAVLink demo policy\",\n"
	    /* The default fence: 150 m around mavsim's home, 40 m up
	     * (docs/bundles.md); flights only in sitl, as the policy. */
	    "  \"runtime\": {\"mavlink\": {\n"
	    "    \"geofence\": {\"circle\": {\"lat\": 47.397742, "
	    "\"lon\": 8.545594, \"radius_m\": 150}, \"max_alt_m\": 40},\n"
	    "    \"min_command_interval_ms\": 100,\n"
	    "    \"flight_environments\": [\"sitl\"]\n  }}\n}\n";
	struct members m = {0};
	struct bundle *b = NULL;
	const char *mf = mavlink ? mavlink_manifest : demo_manifest;
	const char *text =
	    mavlink ? policy_mavlink_demo_cedar : policy_demo_cedar;
	size_t tlen =
	    mavlink ? policy_mavlink_demo_cedar_len : policy_demo_cedar_len;

	m.manifest.name = strdup("manifest.json");
	m.manifest.data = strdup(mf);
	m.manifest.len = strlen(mf);
	if ((m.pol = calloc(1, sizeof(*m.pol))) != NULL) {
		m.npol = 1;
		m.pol[0].name = strdup(mavlink ? "policies/mavlink_demo.cedar"
		                               : "policies/demo.cedar");
		m.pol[0].data = malloc(tlen + 1);
		if (m.pol[0].data != NULL) {
			memcpy(m.pol[0].data, text, tlen);
			m.pol[0].data[tlen] = '\0';
			m.pol[0].len = tlen;
		}
	}
	if (m.manifest.name == NULL || m.manifest.data == NULL ||
	    m.pol == NULL || m.pol[0].name == NULL || m.pol[0].data == NULL)
		errorf(err, errlen, "out of memory");
	else
		b = finish(&m, "<embedded>/", err, errlen);
	members_free(&m);
	return b;
}

/* ---- what --policy names -------------------------------------------- */

struct bundle *bundle_resolve(const char *arg, const char *cache_dir, char *err,
                              size_t errlen)
{
	if (strncmp(arg, "builtin:", 8) == 0) {
		if (strcmp(arg + 8, "demo") == 0)
			return bundle_embedded(0, err, errlen);
		if (strcmp(arg + 8, "mavlink-demo") == 0)
			return bundle_embedded(1, err, errlen);
		return errorf(err, errlen,
		              "%s: unknown builtin (builtin:demo, "
		              "builtin:mavlink-demo)",
		              arg),
		       NULL;
	}
	if (bundle_is_reference(arg))
		return bundle_cache_resolve(cache_dir, arg, err, errlen);
	return bundle_load_path(arg, err, errlen);
}

struct bundle *bundle_load_path(const char *arg, char *err, size_t errlen)
{
	struct stat st;

	if (stat(arg, &st) < 0)
		return errorf(err, errlen,
		              "%s: %s (not a bundle directory, a .tar, or a "
		              "reference name:version / name@sha256:<hex>)",
		              arg, strerror(errno)),
		       NULL;
	if (S_ISDIR(st.st_mode))
		return bundle_load_dir(arg, err, errlen);
	return bundle_load_tar(arg, err, errlen);
}
