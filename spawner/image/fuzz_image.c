/* libFuzzer target for spawner/image: the first byte chooses what the
 * rest is fed to: the index parser (with and without a tag, and in
 * platform mode), the manifest parser, the config parser, or the layer
 * unpacker (a plain or gzip tar, unpacked into a scratch directory that
 * is emptied after each input; the descriptor's digest is computed so
 * the tar code is reached). Built with -Dfuzz=true (clang):
 *   build-fuzz/spawner/image/fuzz_image -max_total_time=300 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "image.h"
#include "layer.h"

static char scratch[64];
static int scratch_fd = -1;

static void unpack(const uint8_t *data, size_t size, const char *mt)
{
	struct image img = {0};
	struct image_desc d = {0};
	struct image_limits lim = {.max_blob_bytes = 1 << 20,
	                           .max_unpacked_bytes = 1 << 20,
	                           .max_entries = 256};
	struct unpack u = {.lim = &lim, .img = &img, .chown = 0};
	unsigned char md[32];
	unsigned int ml = 0;
	char err[512];
	int fd;

	if (scratch_fd < 0) {
		snprintf(scratch, sizeof(scratch), "/tmp/fuzz_image.XXXXXX");
		if (mkdtemp(scratch) == NULL)
			abort();
		scratch_fd = open(scratch, O_RDONLY | O_DIRECTORY);
		if (scratch_fd < 0)
			abort();
	}
	if (mkdirat(scratch_fd, "root", 0700) < 0)
		abort();
	u.rootfd = openat(scratch_fd, "root", O_RDONLY | O_DIRECTORY);
	fd = memfd_create("layer", MFD_CLOEXEC);
	if (u.rootfd < 0 || fd < 0 || write(fd, data, size) != (ssize_t)size ||
	    lseek(fd, 0, SEEK_SET) != 0)
		abort();
	EVP_Digest(data, size, md, &ml, EVP_sha256(), NULL);
	strcpy(d.digest, "sha256:");
	for (int i = 0; i < 32; i++)
		snprintf(d.digest + 7 + 2 * i, 3, "%02x", md[i]);
	snprintf(d.media_type, sizeof(d.media_type), "%s", mt);
	d.size = size;
	(void)layer_unpack(&u, fd, &d, 1, err, sizeof(err));
	close(fd);
	close(u.rootfd);
	if (layer_remove_at(scratch_fd, "root", 0) < 0)
		abort();
	for (size_t i = 0; i < img.n_notes; i++)
		free(img.notes[i]);
	free(img.notes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct image_desc d, *layers = NULL;
	struct image_config cfg;
	size_t n = 0;
	char err[512];

	if (size < 1)
		return 0;
	switch (data[0] % 8) {
	case 0:
		(void)image_parse_index(data + 1, size - 1, "f", NULL, 0, &d,
		                        err, sizeof(err));
		break;
	case 1:
		(void)image_parse_index(data + 1, size - 1, "f", "latest", 0,
		                        &d, err, sizeof(err));
		break;
	case 2:
		(void)image_parse_index(data + 1, size - 1, "f", NULL, 1, &d,
		                        err, sizeof(err));
		break;
	case 3:
		(void)image_parse_manifest(data + 1, size - 1, "f", &d, &layers,
		                           &n, err, sizeof(err));
		free(layers);
		break;
	case 4:
		(void)image_parse_config(data + 1, size - 1, "f", &cfg, err,
		                         sizeof(err));
		image_config_free(&cfg);
		break;
	case 5:
		unpack(data + 1, size - 1,
		       "application/vnd.oci.image.layer.v1.tar");
		break;
	case 6:
		unpack(data + 1, size - 1,
		       "application/vnd.oci.image.layer.v1.tar+gzip");
		break;
	default:
		break;
	}
	return 0;
}
