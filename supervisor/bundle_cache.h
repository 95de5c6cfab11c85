/* The local managed bundle cache (docs/bundles.md): an OCI image-layout
 * directory, $XDG_DATA_HOME/autonomy/cache by default.
 *
 *   oci-layout                   {"imageLayoutVersion": "1.0.0"}
 *   index.json                   one manifest per name:version, annotated
 *                                org.opencontainers.image.ref.name
 *   blobs/sha256/<hex>           the manifests, configs and bundle tars
 *
 * A bundle is an OCI artifact: a manifest (artifactType
 * application/vnd.autonomy.bundle.v1) whose config is a small JSON of
 * the bundle's fields and whose single layer is the bundle's canonical
 * tar; the layer's digest is the bundle's digest. Every blob read is
 * checked against its digest (a mismatch is refused as tampering), and
 * the tar is validated in full like any other bundle. */
#ifndef AUTONOMY_BUNDLE_CACHE_H
#define AUTONOMY_BUNDLE_CACHE_H

#include <stddef.h>
#include <sys/types.h>

#include "bundle.h"

#define BUNDLE_MEDIA_ARTIFACT "application/vnd.autonomy.bundle.v1"
#define BUNDLE_MEDIA_CONFIG "application/vnd.autonomy.bundle.config.v1+json"
#define BUNDLE_MEDIA_LAYER "application/vnd.autonomy.bundle.layer.v1.tar"
#define BUNDLE_MAX_INDEX (4u << 20)      /* index.json */
#define BUNDLE_MAX_BLOB_JSON (64u << 10) /* a manifest or config blob */

/* $XDG_DATA_HOME/autonomy/cache, else ~/.local/share/autonomy/cache. */
int bundle_cache_default_dir(char *out, size_t len, char *err, size_t errlen);

/* "name:version" or "name@sha256:<64 hex>" (name and version by the
 * manifest's rules). */
int bundle_is_reference(const char *arg);

/* Loads the bundle ref names from the cache (cache_dir NULL: the
 * default), every blob verified. */
struct bundle *bundle_cache_resolve(const char *cache_dir, const char *ref,
                                    char *err, size_t errlen);

/* bundle_cache_import() results. */
#define BUNDLE_IMPORT_NEW 0
#define BUNDLE_IMPORT_SAME 1     /* name:version already held this */
#define BUNDLE_IMPORT_REPLACED 2 /* name:version pointed elsewhere */

/* Stores a validated bundle under name:version (creating the cache if
 * needed). On REPLACED, old_digest (BUNDLE_DIGEST_LEN + 1) gets the
 * bundle digest the ref had. -1 on error. */
int bundle_cache_import(const char *cache_dir, const struct bundle *b,
                        char *old_digest, char *err, size_t errlen);

struct bundle_cache_entry {
	char name[BUNDLE_NAME_MAX + 1];
	char version[BUNDLE_VERSION_MAX + 1];
	char channel[BUNDLE_CHANNEL_MAX + 1];
	char digest[BUNDLE_DIGEST_LEN + 1]; /* the bundle's (layer) digest */
	char problem[256]; /* non-empty: this entry failed verification */
};

/* The cache's bundles, sorted by name then version. A missing cache is
 * an empty list. *out is malloc'd. */
int bundle_cache_list(const char *cache_dir, struct bundle_cache_entry **out,
                      size_t *n, char *err, size_t errlen);

/* File helpers shared by bundle.c and bundle_cache.c. bundle_read_file:
 * a regular file of at most max bytes (oflags added to open(): e.g.
 * O_NOFOLLOW), NUL-terminated. bundle_write_file: atomically (temporary
 * file, fsync, rename). */
int bundle_read_file(const char *path, size_t max, int oflags, void **out,
                     size_t *len, char *err, size_t errlen);
int bundle_write_file(const char *path, const void *buf, size_t len,
                      mode_t mode, char *err, size_t errlen);

#endif
