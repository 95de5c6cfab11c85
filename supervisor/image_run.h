/* `autonomy run --image REF`: REF resolved to the directory the spawner
 * makes the workload's / (docs/processes.md, "The workload's image
 * layer"). Runs before any helper, thread or runtime directory exists. */
#ifndef AUTONOMY_IMAGE_RUN_H
#define AUTONOMY_IMAGE_RUN_H

#include <limits.h>
#include <stddef.h>

#include "flags.h"
#include "image.h"

#define IMAGE_RUN_NOTES 8 /* unpacking notes shown; the rest counted */
/* What of the image config reaches the workload (oci only): its User as
 * given (the spawner resolves it in the image), its WorkingDir, and its
 * Env, at most these many entries and bytes (an image past them is
 * refused, not cut short). */
#define IMAGE_RUN_USER 514 /* "user:group", each at most 256 bytes */
#define IMAGE_RUN_ENV_MAX 256
#define IMAGE_RUN_ENV_BYTES 65536

struct run_image {
	int oci;               /* an OCI image layout, else rootfs */
	char rootfs[PATH_MAX]; /* the directory to use as / */
	char digest[IMAGE_DIGEST_LEN + 1]; /* oci: the manifest's */
	int cached;                        /* oci: unpacked by an earlier run */
	size_t n_layers;                   /* oci: unpacked now */
	size_t n_notes;                    /* what unpacking skipped/changed */
	char notes[IMAGE_RUN_NOTES][256];
	char user[IMAGE_RUN_USER];     /* "": none (root) */
	char workdir[PATH_MAX];        /* "": none (/) */
	size_t n_env;                  /* entries in env */
	size_t env_len;                /* bytes of env used */
	char env[IMAGE_RUN_ENV_BYTES]; /* "NAME=value\0" each */
};

/* The image config's Env entry setting NAME (of "NAME=..." e), or NULL;
 * the last one when it sets it twice. */
const char *image_run_env(const struct run_image *ri, const char *e);

/* Resolves --image REF: a directory with oci-layout and index.json is an
 * image layout, unpacked (unless already in the cache) by a confined,
 * short-lived child into <cache>/images/v1/<digest hex>; any other
 * directory is a root filesystem used as is; anything else is refused.
 * Then checks the --tmpfs/--writable-mount mount points and the
 * --ld-preload file inside that root. -1 with err naming REF or the flag
 * at fault. */
int image_run_prepare(const struct run_opts *o, struct run_image *ri, char *err,
                      size_t errlen);

#endif
