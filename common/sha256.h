/* SHA-256 as the helpers use it: the WAL hash chain (walrec.h) and
 * policyd's params/output digests. Backed by GNU Nettle, not OpenSSL's
 * libcrypto: Nettle loads in a fraction of the time and needs no set-up
 * before the first hash (OpenSSL 3 reads its config and loads providers
 * then, which walwriter and policyd used to pay on every start-up).
 *
 * The names avoid Nettle's own (sha256_init, sha256_digest, ...), which
 * its sha2.h defines as macros. */
#ifndef AUTONOMY_SHA256_H
#define AUTONOMY_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32
#define SHA256_HEX_LEN (2 * SHA256_LEN + 1) /* lowercase hex + NUL */

/* out = SHA-256(data). */
void sha256_of(const void *data, size_t len, uint8_t out[SHA256_LEN]);

/* out = SHA-256(a || b), without copying the two into one buffer. */
void sha256_of_concat(const void *a, size_t alen, const void *b, size_t blen,
                      uint8_t out[SHA256_LEN]);

/* out = the lowercase hex of SHA-256(data). */
void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN]);

/* out = the lowercase hex of a digest. */
void sha256_to_hex(const uint8_t md[SHA256_LEN], char out[SHA256_HEX_LEN]);

#endif
