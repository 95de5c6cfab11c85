/* Inside spawner/image: unpacking one layer blob into a root directory
 * (layer.c), shared by image.c, the tests and the fuzz target. */
#ifndef AUTONOMY_IMAGE_LAYER_H
#define AUTONOMY_IMAGE_LAYER_H

#include <stddef.h>
#include <stdint.h>

#include "image.h"

enum layer_compression {
	LAYER_TAR,
	LAYER_GZIP,
	LAYER_ZSTD,
};

/* The compression a layer media type names, or -1 when it is not a
 * layer type we unpack. */
int layer_compression(const char *media_type);
int image_is_index_type(const char *media_type);
int image_is_manifest_type(const char *media_type);

/* What unpacking all of an image's layers shares. */
struct unpack {
	int rootfd; /* the .partial directory, O_DIRECTORY */
	const struct image_limits *lim;
	uint64_t bytes, entries; /* so far, all layers */
	int chown;               /* we are root: apply the entries' ids */
	struct image *img;       /* notes go here */
};

/* Unpacks layer number `index` (1-based, for messages) read from blobfd
 * (at offset 0) into u->rootfd, hashing what it reads: the blob must
 * still match d's digest and size at the end, or the call fails (the
 * caller then discards the directory). */
int layer_unpack(struct unpack *u, int blobfd, const struct image_desc *d,
                 size_t index, char *err, size_t errlen);

/* Removes name under dirfd (a tree when it is a directory), never
 * following symlinks. ENOENT is success. */
int layer_remove_at(int dirfd, const char *name, int depth);

void image_note(struct image *img, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
