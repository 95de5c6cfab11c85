/* What `--image REF` names, turned into a root filesystem directory
 * (DESIGN.md §5). REF is a directory: an OCI image layout (oci-layout +
 * index.json + blobs/sha256/), optionally as DIR:tag, or a root
 * filesystem used as is. An image's layers are verified against their
 * digests and unpacked, in order, into a cache directory keyed by the
 * manifest digest; nothing in a layer can write outside that directory.
 * README.md beside this file states every rule. Nothing here creates
 * namespaces or mounts: the spawner does that with image->rootfs. */
#ifndef AUTONOMY_IMAGE_H
#define AUTONOMY_IMAGE_H

#include <stddef.h>
#include <stdint.h>

/* Bounds on what an image may hold (and on the fuzzer's work). */
#define IMAGE_MAX_JSON (4u * 1024 * 1024) /* index, manifest, config */
#define IMAGE_MAX_LAYERS 128
#define IMAGE_MAX_DESCRIPTORS 1024 /* in one index */
#define IMAGE_MAX_INDEX_DEPTH 4    /* index -> index -> ... -> manifest */
#define IMAGE_MAX_STRINGS 4096     /* Env, Cmd, Entrypoint items */
#define IMAGE_MAX_STRING 65536     /* one of them */
#define IMAGE_MAX_PATH 4096        /* an entry's path */
#define IMAGE_MAX_DEPTH 256        /* an entry's path components */
#define IMAGE_MAX_NOTES 32         /* kept; the rest are counted */
#define IMAGE_DIGEST_LEN 71        /* "sha256:" + 64 hex */

/* Bounds on unpacking; image_default_limits holds the defaults. */
struct image_limits {
	uint64_t max_blob_bytes;     /* one layer blob, as stored */
	uint64_t max_unpacked_bytes; /* file data, all layers together */
	uint64_t max_entries;        /* tar entries, all layers together */
};
extern const struct image_limits image_default_limits;

/* A content descriptor (OCI image-spec descriptor.md), as far as we use
 * it. */
struct image_desc {
	char media_type[128];
	char digest[IMAGE_DIGEST_LEN + 1];
	uint64_t size;
	char ref_name[256]; /* org.opencontainers.image.ref.name, or "" */
	char os[32], arch[32], variant[32]; /* platform, or "" */
};

/* The parts of the image config the spawner will use (later): the
 * workload's defaults, as the image wrote them. Arrays may be empty;
 * strings are "" when unset. */
struct image_config {
	char **env; /* "NAME=value" */
	size_t n_env;
	char **entrypoint;
	size_t n_entrypoint;
	char **cmd;
	size_t n_cmd;
	char *working_dir;
	char *user;
	char os[32], arch[32]; /* "" when the config does not say */
};

enum image_kind {
	IMAGE_ROOTFS_DIR, /* REF was a root filesystem directory */
	IMAGE_OCI,        /* REF was an OCI image layout */
};

struct image {
	enum image_kind kind;
	char *rootfs; /* absolute path of the directory to use as / */
	char manifest_digest[IMAGE_DIGEST_LEN + 1]; /* IMAGE_OCI, else "" */
	char *tag;       /* the ref.name chosen, or NULL */
	int cached;      /* IMAGE_OCI: rootfs was unpacked before */
	size_t n_layers; /* unpacked (0 when cached) */
	struct image_config config;
	/* What unpacking skipped or changed and the user should hear of
	 * (device nodes, stripped setuid bits, ...): "layer N (digest):
	 * path: what". At most IMAGE_MAX_NOTES are kept. */
	char **notes;
	size_t n_notes;
	size_t n_notes_dropped;
};

/* Resolves REF (see above). cache_dir: where unpacked images live (NULL:
 * image_cache_default_dir()). lim: NULL for image_default_limits. On
 * error returns NULL with a message naming the file, blob, layer or entry
 * at fault in err. */
struct image *image_resolve(const char *ref, const char *cache_dir,
                            const struct image_limits *lim, char *err,
                            size_t errlen);
void image_free(struct image *img);

/* $XDG_CACHE_HOME/autonomy/images, else $HOME/.cache/autonomy/images. */
int image_cache_default_dir(char *out, size_t len, char *err, size_t errlen);

/* The parsers, one per JSON document; each bounds its input, takes bytes
 * (not NUL-terminated) and names where in the document it failed. where
 * prefixes messages ("index.json", "manifest sha256:..."). */

/* An image index (index.json or a nested index). Chooses the manifest:
 * with tag, the one whose ref.name annotation equals tag; without, the
 * only one (several: refused, listing their tags). platform != 0 (a
 * nested index): the one for linux/amd64 instead. */
int image_parse_index(const void *buf, size_t len, const char *where,
                      const char *tag, int platform, struct image_desc *out,
                      char *err, size_t errlen);

/* An image manifest: its config descriptor and its layers (at most
 * IMAGE_MAX_LAYERS; *layers allocated, free() it). */
int image_parse_manifest(const void *buf, size_t len, const char *where,
                         struct image_desc *config, struct image_desc **layers,
                         size_t *n_layers, char *err, size_t errlen);

/* An image config; fills cfg (image_config_free() it, even on error). */
int image_parse_config(const void *buf, size_t len, const char *where,
                       struct image_config *cfg, char *err, size_t errlen);
void image_config_free(struct image_config *cfg);

/* "sha256:<64 lowercase hex>". */
int image_digest_valid(const char *d);

#endif
