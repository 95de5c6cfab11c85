#include "sha256.h"

#include <nettle/sha2.h>

_Static_assert(SHA256_LEN == SHA256_DIGEST_SIZE, "SHA-256 is 32 bytes");

void sha256_of(const void *data, size_t len, uint8_t out[SHA256_LEN])
{
	struct sha256_ctx ctx;

	sha256_init(&ctx);
	sha256_update(&ctx, len, data);
	sha256_digest(&ctx, SHA256_LEN, out);
}

void sha256_of_concat(const void *a, size_t alen, const void *b, size_t blen,
                      uint8_t out[SHA256_LEN])
{
	struct sha256_ctx ctx;

	sha256_init(&ctx);
	sha256_update(&ctx, alen, a);
	sha256_update(&ctx, blen, b);
	sha256_digest(&ctx, SHA256_LEN, out);
}

void sha256_to_hex(const uint8_t md[SHA256_LEN], char out[SHA256_HEX_LEN])
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < SHA256_LEN; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 0xf];
	}
	out[2 * SHA256_LEN] = '\0';
}

void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN])
{
	uint8_t md[SHA256_LEN];

	sha256_of(data, len, md);
	sha256_to_hex(md, out);
}
