/* --image REF (spawner/image): OCI image layouts built here at test time
 * (tar layers written with libarchive, blobs named by their sha256,
 * index.json, manifest, config) and resolved into a cache directory; no
 * binary fixtures. Each safety rule of spawner/image/README.md has a
 * case: whiteouts and opaque directories, symlink escapes, "..",
 * absolute paths, digests, tags, platforms, plain root filesystems. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "image.h"
#include "layer.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_TAR "application/vnd.oci.image.layer.v1.tar"
#define MT_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define MT_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"

static char tmp[64];           /* the test's scratch directory */
static char layout[PATH_MAX];  /* tmp/layout */
static char cache[PATH_MAX];   /* tmp/cache */
static char outside[PATH_MAX]; /* tmp/outside: nothing may land here */

/* ---- writing images -------------------------------------------------- */

struct tentry {
	char type; /* d f l h c (char device) */
	const char *path;
	const char *data; /* file content, symlink or hard link target */
	mode_t mode;
};

struct membuf {
	unsigned char *p;
	size_t len, cap;
};

static la_ssize_t mb_write(struct archive *a, void *ctx, const void *data,
                           size_t n)
{
	struct membuf *mb = ctx;

	(void)a;
	if (mb->len + n > mb->cap) {
		mb->cap = (mb->len + n) * 2;
		mb->p = realloc(mb->p, mb->cap);
		assert_non_null(mb->p);
	}
	memcpy(mb->p + mb->len, data, n);
	mb->len += n;
	return (la_ssize_t)n;
}

static struct membuf tar_layer(const struct tentry *t, size_t n, const char *mt)
{
	struct archive *a = archive_write_new();
	struct membuf mb = {0};

	assert_int_equal(archive_write_set_format_pax_restricted(a),
	                 ARCHIVE_OK);
	if (strcmp(mt, MT_GZIP) == 0)
		assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
	else if (strcmp(mt, MT_ZSTD) == 0)
		assert_int_equal(archive_write_add_filter_zstd(a), ARCHIVE_OK);
	/* No zero padding after a compressed stream (zstd refuses it). */
	assert_int_equal(archive_write_set_bytes_in_last_block(a, 1),
	                 ARCHIVE_OK);
	assert_int_equal(archive_write_open(a, &mb, NULL, mb_write, NULL),
	                 ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		size_t len = 0;

		archive_entry_set_pathname(e, t[i].path);
		archive_entry_set_perm(e, t[i].mode ? t[i].mode : 0644);
		switch (t[i].type) {
		case 'd':
			archive_entry_set_filetype(e, AE_IFDIR);
			archive_entry_set_perm(e, t[i].mode ? t[i].mode : 0755);
			break;
		case 'f':
			archive_entry_set_filetype(e, AE_IFREG);
			len = t[i].data ? strlen(t[i].data) : 0;
			archive_entry_set_size(e, (la_int64_t)len);
			break;
		case 'l':
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_symlink(e, t[i].data);
			break;
		case 'h':
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_hardlink(e, t[i].data);
			archive_entry_set_size(e, 0);
			break;
		case 'c':
			archive_entry_set_filetype(e, AE_IFCHR);
			archive_entry_set_rdevmajor(e, 1);
			archive_entry_set_rdevminor(e, 3);
			break;
		}
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		if (len > 0)
			assert_int_equal(archive_write_data(a, t[i].data, len),
			                 (la_ssize_t)len);
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	return mb;
}

static void sha256_hex(const void *buf, size_t len, char *out)
{
	unsigned char md[32];
	unsigned int ml = 0;

	assert_int_equal(EVP_Digest(buf, len, md, &ml, EVP_sha256(), NULL), 1);
	strcpy(out, "sha256:");
	for (int i = 0; i < 32; i++)
		sprintf(out + 7 + 2 * i, "%02x", md[i]);
}

static void write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Writes buf as a blob of the layout in dir; its digest into digest. */
static void put_blob(const char *dir, const void *buf, size_t len, char *digest)
{
	char path[PATH_MAX * 2];

	sha256_hex(buf, len, digest);
	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", dir, digest + 7);
	write_file(path, buf, len);
}

/* A descriptor's JSON for a blob just put; extra: more members. */
static char *desc(const char *mt, const char *digest, size_t size,
                  const char *extra)
{
	char *s;

	assert_true(asprintf(&s,
	                     "{\"mediaType\":\"%s\",\"digest\":\"%s\","
	                     "\"size\":%zu%s%s}",
	                     mt, digest, size, extra ? "," : "",
	                     extra ? extra : "") > 0);
	return s;
}

static void new_layout(const char *dir)
{
	char p[PATH_MAX * 2];

	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(p, sizeof(p), "%s/blobs", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/blobs/sha256", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/oci-layout", dir);
	write_file(p, "{\"imageLayoutVersion\":\"1.0.0\"}", 30);
}

struct layer_spec {
	const struct tentry *t;
	size_t n;
	const char *mt;
};

static const char *default_config =
    "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{"
    "\"Env\":[\"PATH=/usr/bin:/bin\",\"LANG=C.UTF-8\"],"
    "\"Entrypoint\":[\"/bin/agent\"],\"Cmd\":[\"--serve\",\"x\"],"
    "\"WorkingDir\":\"/work\",\"User\":\"1000:1000\"},"
    "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";

/* Writes layers, config and manifest into dir's blobs; returns the
 * manifest's descriptor JSON (platform/annotations in extra). */
static char *put_image(const char *dir, const struct layer_spec *ls, size_t nl,
                       const char *config, const char *extra)
{
	char dg[80], *layers = strdup(""), *man, *d, *out;
	size_t mlen;

	for (size_t i = 0; i < nl; i++) {
		struct membuf mb = tar_layer(ls[i].t, ls[i].n, ls[i].mt);
		char *nlayers;

		put_blob(dir, mb.p, mb.len, dg);
		d = desc(ls[i].mt, dg, mb.len, NULL);
		assert_true(
		    asprintf(&nlayers, "%s%s%s", layers, i ? "," : "", d) > 0);
		free(layers);
		free(d);
		free(mb.p);
		layers = nlayers;
	}
	config = config ? config : default_config;
	put_blob(dir, config, strlen(config), dg);
	d = desc(MT_CONFIG, dg, strlen(config), NULL);
	assert_true(asprintf(&man,
	                     "{\"schemaVersion\":2,\"mediaType\":\"%s\","
	                     "\"config\":%s,\"layers\":[%s]}",
	                     MT_MANIFEST, d, layers) > 0);
	free(d);
	free(layers);
	mlen = strlen(man);
	put_blob(dir, man, mlen, dg);
	free(man);
	out = desc(MT_MANIFEST, dg, mlen, extra);
	return out;
}

static void put_index(const char *dir, const char *manifests)
{
	char p[PATH_MAX * 2], *idx;

	assert_true(asprintf(&idx,
	                     "{\"schemaVersion\":2,\"mediaType\":\"%s\","
	                     "\"manifests\":[%s]}",
	                     MT_INDEX, manifests) > 0);
	snprintf(p, sizeof(p), "%s/index.json", dir);
	write_file(p, idx, strlen(idx));
	free(idx);
}

/* One image with these layers as the layout's only manifest. */
static void simple_image(const struct layer_spec *ls, size_t nl)
{
	char *m;

	new_layout(layout);
	m = put_image(layout, ls, nl, NULL, NULL);
	put_index(layout, m);
	free(m);
}

/* ---- checking trees ------------------------------------------------- */

static int exists(const char *root, const char *rel)
{
	char p[PATH_MAX * 2];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	return lstat(p, &st) == 0;
}

static void assert_content(const char *root, const char *rel, const char *want)
{
	char p[PATH_MAX * 2], buf[256] = {0};
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "r");
	if (f == NULL)
		fail_msg("%s: %s", p, strerror(errno));
	assert_true(fread(buf, 1, sizeof(buf) - 1, f) < sizeof(buf));
	fclose(f);
	assert_string_equal(buf, want);
}

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* Nothing was left in the cache but finished trees (no .partial). */
static void assert_no_partial(void)
{
	char p[PATH_MAX * 2];
	DIR *d;
	struct dirent *e;

	snprintf(p, sizeof(p), "%s/v1", cache);
	if ((d = opendir(p)) == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (strstr(e->d_name, ".partial") != NULL)
			fail_msg("left behind: %s", e->d_name);
	closedir(d);
}

static struct image *resolve_ok(const char *ref)
{
	char err[1024] = "";
	struct image *img = image_resolve(ref, cache, NULL, err, sizeof(err));

	if (img == NULL)
		fail_msg("%s: %s", ref, err);
	return img;
}

/* Resolving ref fails with a message holding each of the strings. */
static void resolve_fails(const char *ref, ...)
{
	char err[1024] = "";
	struct image *img = image_resolve(ref, cache, NULL, err, sizeof(err));
	va_list ap;
	const char *want;

	if (img != NULL)
		fail_msg("%s: resolved to %s, expected a refusal", ref,
		         img->rootfs);
	va_start(ap, ref);
	while ((want = va_arg(ap, const char *)) != NULL)
		if (strstr(err, want) == NULL)
			fail_msg("%s: message \"%s\" lacks \"%s\"", ref, err,
			         want);
	va_end(ap);
	assert_no_partial();
	assert_int_equal(count_entries(outside), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/test_image.XXXXXX");
	assert_non_null(mkdtemp(tmp));
	snprintf(layout, sizeof(layout), "%s/layout", tmp);
	snprintf(cache, sizeof(cache), "%s/cache", tmp);
	snprintf(outside, sizeof(outside), "%s/outside", tmp);
	assert_int_equal(mkdir(outside, 0755), 0);
	return 0;
}

static int teardown(void **state)
{
	int fd = open("/tmp", O_RDONLY | O_DIRECTORY);

	(void)state;
	assert_int_equal(layer_remove_at(fd, tmp + 5, 0), 0);
	close(fd);
	return 0;
}

/* ---- cases ---------------------------------------------------------- */

static void test_whiteouts_and_opaque(void **state)
{
	static const struct tentry l1[] = {
	    {'d', "./", NULL, 0755},
	    {'d', "./usr/", NULL, 0},
	    {'d', "a/", NULL, 0},
	    {'f', "a/keep", "keep", 0},
	    {'f', "a/gone", "gone", 0},
	    {'d', "b/", NULL, 0},
	    {'f', "b/old1", "old", 0},
	    {'d', "b/sub/", NULL, 0},
	    {'f', "b/sub/old2", "old", 0},
	    {'f', "c", "c", 0},
	    {'f', "usr/suid", "s", 04755},
	    {'c', "dev/null", NULL, 0666},
	    {'l', "usr/link", "/etc/hostname", 0777},
	    {'h', "a/hard", "a/keep", 0},
	};
	static const struct tentry l2[] = {
	    {'f', "a/.wh.gone", "", 0},
	    {'f', "b/new", "new", 0},
	    {'d', "b/sub2/", NULL, 0},
	    {'f', "b/.wh..wh..opq", "", 0},
	    {'f', ".wh.c", "", 0},
	    {'f', "d", "d", 0},
	    {'f', ".wh.nothing-there", "", 0},
	};
	const struct layer_spec ls[] = {{l1, N(l1), MT_TAR},
	                                {l2, N(l2), MT_TAR}};
	struct image *img, *again;
	struct stat st, st2;
	char p[PATH_MAX * 2];
	int saw_suid = 0, saw_dev = 0;

	(void)state;
	simple_image(ls, N(ls));
	img = resolve_ok(layout);
	assert_int_equal(img->kind, IMAGE_OCI);
	assert_int_equal(img->cached, 0);
	assert_int_equal(img->n_layers, 2);
	assert_content(img->rootfs, "a/keep", "keep");
	assert_false(exists(img->rootfs, "a/gone"));
	assert_false(exists(img->rootfs, "a/.wh.gone"));
	assert_content(img->rootfs, "b/new", "new");
	assert_true(exists(img->rootfs, "b/sub2"));
	assert_false(exists(img->rootfs, "b/old1"));
	assert_false(exists(img->rootfs, "b/sub"));
	assert_false(exists(img->rootfs, "b/.wh..wh..opq"));
	assert_false(exists(img->rootfs, "c"));
	assert_content(img->rootfs, "d", "d");
	assert_false(exists(img->rootfs, "dev/null"));
	/* setuid stripped, link stored as written, hard link shared */
	snprintf(p, sizeof(p), "%s/usr/suid", img->rootfs);
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	{
		char l[64];

		snprintf(p, sizeof(p), "%s/usr/link", img->rootfs);
		assert_int_equal(readlink(p, l, sizeof(l)), 13);
	}
	snprintf(p, sizeof(p), "%s/a/keep", img->rootfs);
	assert_int_equal(stat(p, &st), 0);
	snprintf(p, sizeof(p), "%s/a/hard", img->rootfs);
	assert_int_equal(stat(p, &st2), 0);
	assert_true(st.st_ino == st2.st_ino);
	for (size_t i = 0; i < img->n_notes; i++) {
		saw_suid |= strstr(img->notes[i], "usr/suid: setuid") != NULL;
		saw_dev |= strstr(img->notes[i], "dev/null: a character "
		                                 "device (skipped)") != NULL;
	}
	assert_true(saw_suid);
	assert_true(saw_dev);
	/* the config, parsed */
	assert_int_equal(img->config.n_env, 2);
	assert_string_equal(img->config.env[1], "LANG=C.UTF-8");
	assert_int_equal(img->config.n_entrypoint, 1);
	assert_string_equal(img->config.entrypoint[0], "/bin/agent");
	assert_int_equal(img->config.n_cmd, 2);
	assert_string_equal(img->config.cmd[1], "x");
	assert_string_equal(img->config.working_dir, "/work");
	assert_string_equal(img->config.user, "1000:1000");
	assert_true(strstr(img->rootfs, img->manifest_digest + 7) != NULL);
	assert_no_partial();
	/* the second time, the cached tree */
	again = resolve_ok(layout);
	assert_int_equal(again->cached, 1);
	assert_string_equal(again->rootfs, img->rootfs);
	image_free(again);
	image_free(img);
}

static void test_symlink_escape(void **state)
{
	char target[PATH_MAX * 2];
	struct tentry l1[] = {
	    {'d', "usr/", NULL, 0},
	    {'l', "etc", target, 0777},
	    {'l', "rel", "../../../../../../outside", 0777},
	};
	static const struct tentry l2[] = {
	    {'f', "etc/passwd", "root::0:0::/:/bin/sh\n", 0},
	};
	static const struct tentry l3[] = {
	    {'f', "rel/x", "x", 0},
	};
	static const struct tentry l4[] = {
	    {'h', "h", "etc/passwd", 0},
	};
	struct layer_spec ls[] = {{l1, N(l1), MT_TAR}, {l2, N(l2), MT_TAR}};

	(void)state;
	snprintf(target, sizeof(target), "%s", outside);
	simple_image(ls, N(ls));
	resolve_fails(layout, "layer 2 (sha256:", "etc/passwd",
	              "passes through the symlink etc", NULL);

	teardown(NULL);
	setup(NULL);
	snprintf(target, sizeof(target), "%s", outside);
	ls[1] = (struct layer_spec){l3, N(l3), MT_TAR};
	simple_image(ls, N(ls));
	resolve_fails(layout, "rel/x", "symlink rel", NULL);

	teardown(NULL);
	setup(NULL);
	snprintf(target, sizeof(target), "%s", outside);
	ls[1] = (struct layer_spec){l4, N(l4), MT_TAR};
	simple_image(ls, N(ls));
	resolve_fails(layout, "h", "symlink etc", NULL);
}

/* A later layer's file replaces a lower layer's symlink: the link is
 * removed, never written through. */
static void test_file_replaces_symlink(void **state)
{
	char target[PATH_MAX * 2], victim[PATH_MAX * 2];
	struct tentry l1[] = {
	    {'d', "usr/", NULL, 0},
	    {'l', "f", target, 0777},
	};
	static const struct tentry l2[] = {
	    {'f', "f", "mine", 0},
	};
	const struct layer_spec ls[] = {{l1, N(l1), MT_TAR},
	                                {l2, N(l2), MT_TAR}};
	struct image *img;
	struct stat st;

	(void)state;
	snprintf(target, sizeof(target), "%s/victim", outside);
	snprintf(victim, sizeof(victim), "%s/victim", outside);
	simple_image(ls, N(ls));
	img = resolve_ok(layout);
	assert_content(img->rootfs, "f", "mine");
	assert_int_equal(lstat(victim, &st), -1);
	assert_int_equal(count_entries(outside), 0);
	image_free(img);
}

static void test_dotdot_and_absolute(void **state)
{
	static const struct tentry dd[] = {
	    {'d', "usr/", NULL, 0},
	    {'f', "usr/../../x", "x", 0},
	};
	static const struct tentry abs[] = {
	    {'f', "/etc/x", "x", 0},
	};
	const struct layer_spec l1[] = {{dd, N(dd), MT_TAR}};
	const struct layer_spec l2[] = {{abs, N(abs), MT_TAR}};

	(void)state;
	simple_image(l1, 1);
	resolve_fails(layout, "layer 1", "usr/../../x",
	              "\"..\" in the path (refused)", NULL);
	teardown(NULL);
	setup(NULL);
	simple_image(l2, 1);
	resolve_fails(layout, "/etc/x", "absolute path (refused)", NULL);
}

/* Corrupts one byte of the blob named by digest (same size). */
static void corrupt_blob(const char *digest)
{
	char p[PATH_MAX * 2];
	int fd;

	snprintf(p, sizeof(p), "%s/blobs/sha256/%s", layout, digest + 7);
	assert_true((fd = open(p, O_WRONLY)) >= 0);
	assert_int_equal(pwrite(fd, "Z", 1, 40), 1);
	close(fd);
}

static void test_wrong_digest(void **state)
{
	static const struct tentry t[] = {{'d', "usr/", NULL, 0},
	                                  {'f', "usr/x", "x", 0}};
	const struct layer_spec ls[] = {{t, N(t), MT_TAR}};
	struct membuf mb = tar_layer(t, N(t), MT_TAR);
	char dg[80];

	(void)state;
	sha256_hex(mb.p, mb.len, dg);
	free(mb.p);
	simple_image(ls, 1);
	corrupt_blob(dg);
	resolve_fails(layout, "layer 1", dg, "does not match its digest", NULL);

	/* the config blob */
	sha256_hex(default_config, strlen(default_config), dg);
	teardown(NULL);
	setup(NULL);
	simple_image(ls, 1);
	corrupt_blob(dg);
	resolve_fails(layout, "config", dg, "does not match its digest", NULL);
}

static void test_wrong_size(void **state)
{
	static const struct tentry t[] = {{'d', "usr/", NULL, 0}};
	const struct layer_spec ls[] = {{t, N(t), MT_TAR}};
	struct membuf mb = tar_layer(t, N(t), MT_TAR);
	char dg[80], p[PATH_MAX * 2];

	(void)state;
	sha256_hex(mb.p, mb.len, dg);
	free(mb.p);
	simple_image(ls, 1);
	snprintf(p, sizeof(p), "%s/blobs/sha256/%s", layout, dg + 7);
	assert_int_equal(truncate(p, 10), 0);
	resolve_fails(layout, dg, "10 bytes, its descriptor says", NULL);
	assert_int_equal(unlink(p), 0);
	resolve_fails(layout, dg, "No such file", NULL);
}

static void test_gzip_and_zstd(void **state)
{
	static const struct tentry t1[] = {{'d', "usr/", NULL, 0},
	                                   {'f', "usr/gz", "gzip", 0}};
	static const struct tentry t2[] = {{'f', "usr/zst", "zstd", 0}};
	const struct layer_spec ls[] = {{t1, N(t1), MT_GZIP},
	                                {t2, N(t2), MT_ZSTD}};
	struct image *img;

	(void)state;
	simple_image(ls, N(ls));
	img = resolve_ok(layout);
	assert_content(img->rootfs, "usr/gz", "gzip");
	assert_content(img->rootfs, "usr/zst", "zstd");
	image_free(img);
}

static void test_tags(void **state)
{
	static const struct tentry t1[] = {{'d', "usr/", NULL, 0},
	                                   {'f', "usr/v", "one", 0}};
	static const struct tentry t2[] = {{'d', "usr/", NULL, 0},
	                                   {'f', "usr/v", "two", 0}};
	const struct layer_spec l1[] = {{t1, N(t1), MT_TAR}};
	const struct layer_spec l2[] = {{t2, N(t2), MT_TAR}};
	char *m1, *m2, *both, ref[PATH_MAX * 2];
	struct image *img;

	(void)state;
	new_layout(layout);
	m1 = put_image(layout, l1, 1, NULL,
	               "\"annotations\":{\"org.opencontainers.image.ref.name\":"
	               "\"v1\"}");
	m2 = put_image(layout, l2, 1, NULL,
	               "\"annotations\":{\"org.opencontainers.image.ref.name\":"
	               "\"v2\"}");
	assert_true(asprintf(&both, "%s,%s", m1, m2) > 0);
	put_index(layout, both);
	free(m1);
	free(m2);
	free(both);

	snprintf(ref, sizeof(ref), "%s:v2", layout);
	img = resolve_ok(ref);
	assert_string_equal(img->tag, "v2");
	assert_content(img->rootfs, "usr/v", "two");
	image_free(img);
	snprintf(ref, sizeof(ref), "%s:v1", layout);
	img = resolve_ok(ref);
	assert_content(img->rootfs, "usr/v", "one");
	image_free(img);
	resolve_fails(layout, "2 images", "DIR:TAG", "tags: v1, v2", NULL);
	snprintf(ref, sizeof(ref), "%s:v3", layout);
	resolve_fails(ref, "no image tagged \"v3\"", "tags: v1, v2", NULL);
}

static void test_platforms(void **state)
{
	static const struct tentry arm[] = {{'d', "usr/", NULL, 0},
	                                    {'f', "usr/arch", "arm64", 0}};
	static const struct tentry amd[] = {{'d', "usr/", NULL, 0},
	                                    {'f', "usr/arch", "amd64", 0}};
	const struct layer_spec la[] = {{arm, N(arm), MT_TAR}};
	const struct layer_spec lb[] = {{amd, N(amd), MT_TAR}};
	char *ma, *mb, *mv, *idx, dg[80], *top;
	struct image *img;

	(void)state;
	new_layout(layout);
	ma = put_image(layout, la, 1,
	               "{\"architecture\":\"arm64\",\"os\":\"linux\"}",
	               "\"platform\":{\"os\":\"linux\","
	               "\"architecture\":\"arm64\"}");
	mv = put_image(layout, lb, 1, "{\"architecture\":\"amd64\"}",
	               "\"platform\":{\"os\":\"linux\",\"architecture\":"
	               "\"amd64\",\"variant\":\"v3\"}");
	mb = put_image(layout, lb, 1, NULL,
	               "\"platform\":{\"os\":\"linux\","
	               "\"architecture\":\"amd64\"}");
	assert_true(asprintf(&idx,
	                     "{\"schemaVersion\":2,\"manifests\":[%s,%s,%s]}",
	                     ma, mv, mb) > 0);
	put_blob(layout, idx, strlen(idx), dg);
	top = desc(MT_INDEX, dg, strlen(idx), NULL);
	put_index(layout, top);
	img = resolve_ok(layout);
	assert_content(img->rootfs, "usr/arch", "amd64");
	image_free(img);
	free(idx);
	free(top);

	/* no linux/amd64 at all */
	teardown(NULL);
	setup(NULL);
	new_layout(layout);
	free(ma);
	ma = put_image(layout, la, 1, NULL,
	               "\"platform\":{\"os\":\"linux\","
	               "\"architecture\":\"arm64\"}");
	assert_true(
	    asprintf(&idx, "{\"schemaVersion\":2,\"manifests\":[%s]}", ma) > 0);
	put_blob(layout, idx, strlen(idx), dg);
	top = desc(MT_INDEX, dg, strlen(idx), NULL);
	put_index(layout, top);
	resolve_fails(layout, "no image for linux/amd64", "it has: linux/arm64",
	              NULL);
	free(idx);
	free(top);
	free(ma);
	free(mb);
	free(mv);
}

static void test_plain_rootfs(void **state)
{
	char p[PATH_MAX * 2];
	struct image *img;

	(void)state;
	snprintf(p, sizeof(p), "%s/root", tmp);
	assert_int_equal(mkdir(p, 0755), 0);
	resolve_fails(p, "neither an OCI image layout",
	              "no bin/ or usr/ directory", NULL);
	snprintf(p, sizeof(p), "%s/root/usr", tmp);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/root/", tmp);
	img = resolve_ok(p);
	assert_int_equal(img->kind, IMAGE_ROOTFS_DIR);
	snprintf(p, sizeof(p), "%s/root", tmp);
	assert_string_equal(img->rootfs, p);
	assert_int_equal(img->config.n_cmd, 0);
	image_free(img);
	snprintf(p, sizeof(p), "%s/root:tag", tmp);
	resolve_fails(p, ":tag names an image in an OCI image layout", NULL);
	snprintf(p, sizeof(p), "%s/missing", tmp);
	resolve_fails(p, "missing: No such file", NULL);
	/* half a layout */
	snprintf(p, sizeof(p), "%s/root/index.json", tmp);
	write_file(p, "{}", 2);
	snprintf(p, sizeof(p), "%s/root", tmp);
	resolve_fails(p, "has index.json but no oci-layout", NULL);
}

static void test_entry_bound(void **state)
{
	static const struct tentry t[] = {{'d', "usr/", NULL, 0},
	                                  {'f', "usr/1", "1", 0},
	                                  {'f', "usr/2", "2", 0},
	                                  {'f', "usr/3", "3", 0}};
	const struct layer_spec ls[] = {{t, N(t), MT_TAR}};
	struct image_limits lim = image_default_limits;
	char err[512];

	(void)state;
	simple_image(ls, 1);
	lim.max_entries = 3;
	assert_null(image_resolve(layout, cache, &lim, err, sizeof(err)));
	assert_non_null(strstr(err, "more than 3 entries"));
	lim = image_default_limits;
	lim.max_unpacked_bytes = 2;
	assert_null(image_resolve(layout, cache, &lim, err, sizeof(err)));
	assert_non_null(strstr(err, "more than 2 bytes"));
	assert_no_partial();
}

static void test_parsers(void **state)
{
	struct image_config cfg;
	struct image_desc d, *layers;
	size_t n;
	char err[512];
	static const char *bad_cfg[] = {
	    "{\"config\":{\"Env\":[\"NOEQUALS\"]}}",
	    "{\"config\":{\"Cmd\":\"not an array\"}}",
	    "{\"config\":{\"User\":\"a\\u0000b\"}}",
	    "{\"config\":{\"Cmd\":[1]}}",
	    "[]",
	    "{\"config\":{},\"config\":{}}",
	};

	(void)state;
	for (size_t i = 0; i < N(bad_cfg); i++) {
		assert_int_equal(image_parse_config(bad_cfg[i],
		                                    strlen(bad_cfg[i]), "c",
		                                    &cfg, err, sizeof(err)),
		                 -1);
		image_config_free(&cfg);
	}
	assert_int_equal(image_parse_index("{\"schemaVersion\":1}", 19, "i",
	                                   NULL, 0, &d, err, sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "schemaVersion"));
	static const char bad_digest[] =
	    "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" MT_MANIFEST
	    "\",\"digest\":\"sha512:00\",\"size\":1}]}";
	assert_int_equal(image_parse_index(bad_digest, strlen(bad_digest), "i",
	                                   NULL, 0, &d, err, sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "manifests[0].digest"));
	static const char bad_layer[] =
	    "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" MT_CONFIG
	    "\",\"digest\":\"sha256:"
	    "0000000000000000000000000000000000000000000000000000000000000000"
	    "\",\"size\":1},\"layers\":[{\"mediaType\":\"text/plain\","
	    "\"digest\":\"sha256:"
	    "0000000000000000000000000000000000000000000000000000000000000000"
	    "\",\"size\":1}]}";
	assert_int_equal(image_parse_manifest(bad_layer, strlen(bad_layer), "m",
	                                      &d, &layers, &n, err,
	                                      sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "layers[0].mediaType"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_whiteouts_and_opaque, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_symlink_escape, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_file_replaces_symlink, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_dotdot_and_absolute, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_wrong_digest, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wrong_size, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gzip_and_zstd, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_tags, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_platforms, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_plain_rootfs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_entry_bound, setup, teardown),
	    cmocka_unit_test(test_parsers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
