/* The bundle cache: an OCI image-layout directory (bundle_cache.h).
 * Writers hold an exclusive flock on the cache directory; every file is
 * replaced atomically, so a reader sees the old or the new index, never
 * half of one. Blobs are never trusted by name: each read is hashed and
 * compared with the digest that named it. */
#include "bundle_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "log.h"

#define REF_ANNOTATION "org.opencontainers.image.ref.name"
#define MEDIA_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MEDIA_INDEX "application/vnd.oci.image.index.v1+json"

int bundle_cache_default_dir(char *out, size_t len, char *err, size_t errlen)
{
	const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	int n;

	/* The XDG spec: a relative $XDG_DATA_HOME is invalid, ignore it. */
	if (xdg != NULL && xdg[0] == '/')
		n = snprintf(out, len, "%s/autonomy/cache", xdg);
	else if (home != NULL && home[0] == '/')
		n = snprintf(out, len, "%s/.local/share/autonomy/cache", home);
	else
		return errorf(err, errlen,
		              "no cache directory: set XDG_DATA_HOME or HOME, "
		              "or pass --cache-dir DIR");
	if (n < 0 || (size_t)n >= len)
		return errorf(err, errlen, "cache directory path too long");
	return 0;
}

static int hex64(const char *s)
{
	if (strlen(s) != 64)
		return 0;
	for (int i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int digest_valid(const char *d)
{
	return d != NULL && strncmp(d, "sha256:", 7) == 0 && hex64(d + 7);
}

/* Splits a reference into name and (version or digest). */
static int split_ref(const char *arg, char *name, char *version, char *digest)
{
	const char *at = strchr(arg, '@'), *colon = strchr(arg, ':');
	const char *sep = at ? at : colon;
	size_t n;

	if (sep == NULL || (n = (size_t)(sep - arg)) == 0 ||
	    n > BUNDLE_NAME_MAX)
		return -1;
	memcpy(name, arg, n);
	name[n] = '\0';
	if (bundle_check_name(name, NULL, 0) < 0)
		return -1;
	version[0] = digest[0] = '\0';
	if (at != NULL) {
		if (!digest_valid(at + 1))
			return -1;
		snprintf(digest, BUNDLE_DIGEST_LEN + 1, "%s", at + 1);
		return 0;
	}
	if (strlen(colon + 1) > BUNDLE_VERSION_MAX ||
	    bundle_check_version(colon + 1, NULL, 0) < 0)
		return -1;
	snprintf(version, BUNDLE_VERSION_MAX + 1, "%s", colon + 1);
	return 0;
}

int bundle_is_reference(const char *arg)
{
	char name[BUNDLE_NAME_MAX + 1], version[BUNDLE_VERSION_MAX + 1],
	    digest[BUNDLE_DIGEST_LEN + 1];

	return split_ref(arg, name, version, digest) == 0;
}

/* ---- blobs ---------------------------------------------------------- */

struct cache {
	char dir[4096];
};

static int cache_open(struct cache *c, const char *dir, char *err,
                      size_t errlen)
{
	if (dir != NULL) {
		if (snprintf(c->dir, sizeof(c->dir), "%s", dir) >=
		    (int)sizeof(c->dir))
			return errorf(err, errlen, "--cache-dir: too long");
		return 0;
	}
	return bundle_cache_default_dir(c->dir, sizeof(c->dir), err, errlen);
}

static int cache_path(const struct cache *c, char *out, size_t len,
                      const char *rel)
{
	return snprintf(out, len, "%s/%s", c->dir, rel) < (int)len ? 0 : -1;
}

static int blob_path(const struct cache *c, const char *digest, char *out,
                     size_t len)
{
	return snprintf(out, len, "%s/blobs/sha256/%s", c->dir, digest + 7) <
	               (int)len
	           ? 0
	           : -1;
}

/* Reads blob digest (at most max bytes; size, if >= 0, must match) and
 * checks its hash. */
static int blob_read(const struct cache *c, const char *digest, long long size,
                     size_t max, void **out, size_t *len, char *err,
                     size_t errlen)
{
	char path[4200], got[BUNDLE_DIGEST_LEN + 1];

	if (!digest_valid(digest))
		return errorf(err, errlen,
		              "cache %s: a descriptor names an invalid digest "
		              "\"%.80s\"",
		              c->dir, digest ? digest : "(none)");
	if (blob_path(c, digest, path, sizeof(path)) < 0)
		return errorf(err, errlen, "cache %s: path too long", c->dir);
	if (bundle_read_file(path, max, O_NOFOLLOW, out, len, err, errlen) < 0)
		return -1;
	bundle_sha256(*out, *len, got);
	if (strcmp(got, digest) != 0 ||
	    (size >= 0 && (long long)*len != size)) {
		free(*out);
		*out = NULL;
		return errorf(err, errlen,
		              "cache %s: blob %s does not match its digest "
		              "(%s): the cache was modified; refusing it "
		              "(re-import the bundle)",
		              c->dir, digest,
		              strcmp(got, digest) != 0 ? "content changed"
		                                       : "size differs");
	}
	return 0;
}

/* Stores buf as a blob unless an intact copy is there. */
static int blob_put(const struct cache *c, const void *buf, size_t len,
                    char *digest, char *err, size_t errlen)
{
	char path[4200];
	void *old;
	size_t olen;

	bundle_sha256(buf, len, digest);
	if (blob_path(c, digest, path, sizeof(path)) < 0)
		return errorf(err, errlen, "cache %s: path too long", c->dir);
	if (blob_read(c, digest, (long long)len, len, &old, &olen, NULL, 0) ==
	    0) {
		free(old);
		return 0;
	}
	return bundle_write_file(path, buf, len, 0644, err, errlen);
}

static json_t *blob_json(const struct cache *c, const char *digest,
                         long long size, char *err, size_t errlen)
{
	json_error_t je;
	json_t *j;
	void *buf;
	size_t len;

	if (blob_read(c, digest, size, BUNDLE_MAX_BLOB_JSON, &buf, &len, err,
	              errlen) < 0)
		return NULL;
	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	free(buf);
	if (j == NULL || !json_is_object(j)) {
		json_decref(j);
		return errorf(err, errlen,
		              "cache %s: blob %s: not a JSON "
		              "object",
		              c->dir, digest),
		       NULL;
	}
	return j;
}

/* ---- index.json ----------------------------------------------------- */

/* The index, or an empty one when the cache does not exist yet. */
static json_t *index_load(const struct cache *c, char *err, size_t errlen)
{
	char path[4200];
	json_error_t je;
	json_t *idx, *m;
	void *buf;
	size_t len;

	if (cache_path(c, path, sizeof(path), "index.json") < 0)
		return errorf(err, errlen, "cache %s: path too long", c->dir),
		       NULL;
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2,
		                 "mediaType", MEDIA_INDEX, "manifests");
	if (bundle_read_file(path, BUNDLE_MAX_INDEX, O_NOFOLLOW, &buf, &len,
	                     err, errlen) < 0)
		return NULL;
	idx = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	free(buf);
	if (idx == NULL)
		return errorf(err, errlen, "%s:%d:%d: %s", path, je.line,
		              je.column, je.text),
		       NULL;
	m = json_object_get(idx, "manifests");
	if (!json_is_object(idx) ||
	    json_integer_value(json_object_get(idx, "schemaVersion")) != 2 ||
	    !json_is_array(m)) {
		json_decref(idx);
		return errorf(err, errlen,
		              "%s: not an OCI image index (schemaVersion 2 "
		              "with a manifests array)",
		              path),
		       NULL;
	}
	return idx;
}

static const char *entry_ref(const json_t *e)
{
	return json_string_value(
	    json_object_get(json_object_get(e, "annotations"), REF_ANNOTATION));
}

/* The manifest of index entry e, verified, and its layer descriptor. */
static json_t *entry_manifest(const struct cache *c, const json_t *e,
                              const json_t **layer, const json_t **config,
                              char *err, size_t errlen)
{
	const json_t *size = json_object_get(e, "size");
	json_t *m, *layers;

	m = blob_json(c, json_string_value(json_object_get(e, "digest")),
	              json_is_integer(size) ? json_integer_value(size) : -1,
	              err, errlen);
	if (m == NULL)
		return NULL;
	layers = json_object_get(m, "layers");
	*config = json_object_get(m, "config");
	if (!json_is_array(layers) || json_array_size(layers) != 1 ||
	    !json_is_object(*config) ||
	    strcmp(json_string_value(
	               json_object_get(json_array_get(layers, 0), "mediaType"))
	               ?: "",
	           BUNDLE_MEDIA_LAYER) != 0) {
		json_decref(m);
		return errorf(err, errlen,
		              "cache %s: %s is not an autonomy bundle manifest "
		              "(one layer of %s)",
		              c->dir, entry_ref(e) ?: "an entry",
		              BUNDLE_MEDIA_LAYER),
		       NULL;
	}
	*layer = json_array_get(layers, 0);
	return m;
}

static const char *desc_digest(const json_t *d)
{
	return json_string_value(json_object_get(d, "digest"));
}

static long long desc_size(const json_t *d)
{
	const json_t *s = json_object_get(d, "size");

	return json_is_integer(s) ? json_integer_value(s) : -1;
}

/* ---- resolve -------------------------------------------------------- */

static struct bundle *load_entry(const struct cache *c, const json_t *e,
                                 const char *ref, char *err, size_t errlen)
{
	const json_t *layer, *config;
	json_t *m = entry_manifest(c, e, &layer, &config, err, errlen);
	struct bundle *b;
	char where[BUNDLE_ERR_MAX / 2];
	void *tar;
	size_t len;

	if (m == NULL)
		return NULL;
	if (blob_read(c, desc_digest(layer), desc_size(layer), BUNDLE_MAX_TAR,
	              &tar, &len, err, errlen) < 0) {
		json_decref(m);
		return NULL;
	}
	snprintf(where, sizeof(where), "cache %s", ref);
	b = bundle_load_tar_mem(tar, len, where, err, errlen);
	free(tar);
	if (b != NULL && strcmp(b->digest, desc_digest(layer)) != 0) {
		errorf(err, errlen,
		       "cache %s: %s: the layer is not a canonical bundle tar "
		       "(%s != %s): refusing it (re-import the bundle)",
		       c->dir, ref, b->digest, desc_digest(layer));
		bundle_free(b);
		b = NULL;
	}
	json_decref(m);
	return b;
}

struct bundle *bundle_cache_resolve(const char *cache_dir, const char *ref,
                                    char *err, size_t errlen)
{
	char name[BUNDLE_NAME_MAX + 1], version[BUNDLE_VERSION_MAX + 1],
	    digest[BUNDLE_DIGEST_LEN + 1], want[BUNDLE_NAME_MAX + 72];
	struct cache c;
	struct bundle *b = NULL;
	json_t *idx, *e;
	size_t i;
	int same;

	if (split_ref(ref, name, version, digest) < 0)
		return errorf(err, errlen,
		              "%s: not a reference (name:version or "
		              "name@sha256:<64 hex>)",
		              ref),
		       NULL;
	if (cache_open(&c, cache_dir, err, errlen) < 0 ||
	    (idx = index_load(&c, err, errlen)) == NULL)
		return NULL;
	snprintf(want, sizeof(want), "%s:%s", name, version);
	json_array_foreach(json_object_get(idx, "manifests"), i, e)
	{
		const char *r = entry_ref(e);
		const json_t *layer, *config;
		json_t *m;

		if (r == NULL)
			continue;
		if (version[0] != '\0') {
			if (strcmp(r, want) != 0)
				continue;
		} else {
			/* name@sha256: the entry of that name whose layer
			 * (the bundle) has that digest */
			if (strncmp(r, name, strlen(name)) != 0 ||
			    r[strlen(name)] != ':')
				continue;
			m = entry_manifest(&c, e, &layer, &config, err, errlen);
			if (m == NULL)
				goto out;
			same = strcmp(desc_digest(layer) ?: "", digest) == 0;
			json_decref(m);
			if (!same)
				continue;
		}
		if ((b = load_entry(&c, e, ref, err, errlen)) == NULL)
			goto out;
		if (strcmp(b->name, name) != 0 ||
		    (version[0] && strcmp(b->version, version) != 0)) {
			errorf(err, errlen,
			       "cache %s: %s holds %s, not what its reference "
			       "says: refusing it",
			       c.dir, ref, b->policy_ref);
			bundle_free(b);
			b = NULL;
		}
		goto out;
	}
	errorf(err, errlen,
	       "%s: not in the cache %s (autonomy bundle import FILE.tar; "
	       "autonomy bundle ls)",
	       ref, c.dir);
out:
	json_decref(idx);
	return b;
}

/* ---- import --------------------------------------------------------- */

static int mkdirs(const char *path, char *err, size_t errlen)
{
	char p[4096];
	size_t n = strlen(path);

	if (n >= sizeof(p))
		return errorf(err, errlen, "%s: path too long", path);
	memcpy(p, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return errorf(err, errlen, "%s: %s", p,
			              strerror(errno));
		p[i] = path[i];
	}
	return 0;
}

static int put_json(const struct cache *c, json_t *j, char *digest,
                    size_t *size, char *err, size_t errlen)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	int rc;

	if (s == NULL)
		return errorf(err, errlen, "out of memory");
	*size = strlen(s);
	rc = blob_put(c, s, *size, digest, err, errlen);
	free(s);
	return rc;
}

static json_t *descriptor(const char *media, const char *digest, size_t size)
{
	return json_pack("{s:s, s:s, s:I}", "mediaType", media, "digest",
	                 digest, "size", (json_int_t)size);
}

/* Writes the tar, config and manifest blobs; fills the manifest's
 * descriptor. */
static int put_bundle(const struct cache *c, const struct bundle *b,
                      char *mdigest, size_t *msize, char *err, size_t errlen)
{
	char ldigest[BUNDLE_DIGEST_LEN + 1], cdigest[BUNDLE_DIGEST_LEN + 1],
	    title[BUNDLE_NAME_MAX + BUNDLE_VERSION_MAX + 8];
	json_t *config, *manifest, *layer;
	size_t len, csize;
	void *tar = bundle_canonical_tar(b, &len, err, errlen);
	int rc = -1;

	if (tar == NULL)
		return -1;
	if (blob_put(c, tar, len, ldigest, err, errlen) < 0) {
		free(tar);
		return -1;
	}
	free(tar);
	if (strcmp(ldigest, b->digest) != 0)
		return errorf(err, errlen,
		              "internal: canonical tar %s != bundle digest %s",
		              ldigest, b->digest);
	config =
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "name", b->name,
	              "version", b->version, "channel", b->channel,
	              "schema_version", b->schema_version, "min_adk_version",
	              b->min_adk_version, "policy_ref", b->policy_ref);
	if (config == NULL ||
	    put_json(c, config, cdigest, &csize, err, errlen) < 0) {
		json_decref(config);
		return config ? -1 : errorf(err, errlen, "out of memory");
	}
	json_decref(config);
	snprintf(title, sizeof(title), "%s-%s.tar", b->name, b->version);
	layer = descriptor(BUNDLE_MEDIA_LAYER, ldigest, len);
	json_object_set_new(
	    layer, "annotations",
	    json_pack("{s:s}", "org.opencontainers.image.title", title));
	manifest = json_pack(
	    "{s:i, s:s, s:s, s:o, s:[o], s:{s:s, s:s}}", "schemaVersion", 2,
	    "mediaType", MEDIA_MANIFEST, "artifactType", BUNDLE_MEDIA_ARTIFACT,
	    "config", descriptor(BUNDLE_MEDIA_CONFIG, cdigest, csize), "layers",
	    layer, "annotations", "org.opencontainers.image.title", b->name,
	    "org.opencontainers.image.version", b->version);
	if (manifest == NULL)
		return errorf(err, errlen, "out of memory");
	rc = put_json(c, manifest, mdigest, msize, err, errlen);
	json_decref(manifest);
	return rc;
}

int bundle_cache_import(const char *cache_dir, const struct bundle *b,
                        char *old_digest, char *err, size_t errlen)
{
	char path[4200], mdigest[BUNDLE_DIGEST_LEN + 1],
	    ref[BUNDLE_NAME_MAX + BUNDLE_VERSION_MAX + 2];
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	struct cache c;
	json_t *idx = NULL, *manifests, *entry, *e;
	size_t msize, i;
	int dfd = -1, rc = -1, at = -1;
	char *s;

	if (cache_open(&c, cache_dir, err, errlen) < 0 ||
	    cache_path(&c, path, sizeof(path), "blobs/sha256") < 0 ||
	    mkdirs(path, err, errlen) < 0)
		return -1;
	if ((dfd = open(c.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return errorf(err, errlen, "%s: %s", c.dir, strerror(errno));
	if (flock(dfd, LOCK_EX) < 0) {
		errorf(err, errlen, "%s: lock: %s", c.dir, strerror(errno));
		goto out;
	}
	cache_path(&c, path, sizeof(path), "oci-layout");
	if (access(path, F_OK) < 0 &&
	    bundle_write_file(path, layout, strlen(layout), 0644, err, errlen) <
	        0)
		goto out;
	if (put_bundle(&c, b, mdigest, &msize, err, errlen) < 0 ||
	    (idx = index_load(&c, err, errlen)) == NULL)
		goto out;
	snprintf(ref, sizeof(ref), "%s:%s", b->name, b->version);
	manifests = json_object_get(idx, "manifests");
	json_array_foreach(manifests, i, e)
	{
		const char *r = entry_ref(e);

		if (r != NULL && strcmp(r, ref) == 0)
			at = (int)i;
	}
	if (at >= 0) {
		const json_t *old = json_array_get(manifests, (size_t)at);
		const json_t *layer, *config;
		json_t *m;

		if (strcmp(desc_digest(old) ?: "", mdigest) == 0) {
			rc = BUNDLE_IMPORT_SAME;
			goto out;
		}
		/* Name the bundle the ref held; a damaged old entry is
		 * replaced all the same. */
		m = entry_manifest(&c, old, &layer, &config, NULL, 0);
		snprintf(old_digest, BUNDLE_DIGEST_LEN + 1, "%s",
		         m ? desc_digest(layer) ?: "?" : "(unreadable)");
		json_decref(m);
	}
	entry = descriptor(MEDIA_MANIFEST, mdigest, msize);
	json_object_set_new(entry, "artifactType",
	                    json_string(BUNDLE_MEDIA_ARTIFACT));
	json_object_set_new(entry, "annotations",
	                    json_pack("{s:s}", REF_ANNOTATION, ref));
	if (at >= 0)
		json_array_set_new(manifests, (size_t)at, entry);
	else
		json_array_append_new(manifests, entry);
	if ((s = json_dumps(idx, JSON_INDENT(2) | JSON_SORT_KEYS)) == NULL) {
		errorf(err, errlen, "out of memory");
		goto out;
	}
	cache_path(&c, path, sizeof(path), "index.json");
	rc = bundle_write_file(path, s, strlen(s), 0644, err, errlen);
	free(s);
	if (rc == 0)
		rc = at >= 0 ? BUNDLE_IMPORT_REPLACED : BUNDLE_IMPORT_NEW;
out:
	json_decref(idx);
	close(dfd); /* releases the lock */
	return rc;
}

/* ---- list ----------------------------------------------------------- */

static int cmp_entry(const void *a, const void *b)
{
	const struct bundle_cache_entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->version, y->version);
}

int bundle_cache_list(const char *cache_dir, struct bundle_cache_entry **out,
                      size_t *n, char *err, size_t errlen)
{
	struct cache c;
	json_t *idx, *manifests, *e;
	struct bundle_cache_entry *v;
	size_t i;

	*out = NULL;
	*n = 0;
	if (cache_open(&c, cache_dir, err, errlen) < 0 ||
	    (idx = index_load(&c, err, errlen)) == NULL)
		return -1;
	manifests = json_object_get(idx, "manifests");
	if ((v = calloc(json_array_size(manifests) + 1, sizeof(*v))) == NULL) {
		json_decref(idx);
		return errorf(err, errlen, "out of memory");
	}
	json_array_foreach(manifests, i, e)
	{
		const char *r = entry_ref(e);
		struct bundle_cache_entry *x = &v[*n];
		const json_t *layer, *config;
		json_t *m, *cfg;
		const char *colon;
		void *tar;
		size_t len;

		if (r == NULL || (colon = strchr(r, ':')) == NULL ||
		    strcmp(json_string_value(json_object_get(e, "artifactType"))
		               ?: "",
		           BUNDLE_MEDIA_ARTIFACT) != 0)
			continue; /* not ours: other artifacts may share */
		(*n)++;
		snprintf(x->name, sizeof(x->name), "%.*s", (int)(colon - r), r);
		snprintf(x->version, sizeof(x->version), "%s", colon + 1);
		m = entry_manifest(&c, e, &layer, &config, x->problem,
		                   sizeof(x->problem));
		if (m == NULL)
			continue;
		snprintf(x->digest, sizeof(x->digest), "%s",
		         desc_digest(layer) ?: "");
		if (blob_read(&c, desc_digest(layer), desc_size(layer),
		              BUNDLE_MAX_TAR, &tar, &len, x->problem,
		              sizeof(x->problem)) == 0)
			free(tar);
		cfg = blob_json(&c, desc_digest(config), desc_size(config),
		                x->problem, sizeof(x->problem));
		if (cfg != NULL)
			snprintf(
			    x->channel, sizeof(x->channel), "%s",
			    json_string_value(json_object_get(cfg, "channel"))
			        ?: "?");
		json_decref(cfg);
		json_decref(m);
	}
	json_decref(idx);
	qsort(v, *n, sizeof(*v), cmp_entry);
	*out = v;
	return 0;
}
