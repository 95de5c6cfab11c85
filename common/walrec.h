/* The WAL record's hash chain, shared by walwriter (which writes it) and
 * `autonomy wal verify` (which checks it).
 *
 * hash = SHA-256(prev_hash || canonical(record)), where canonical() is a
 * fixed, implementation-independent encoding (not protobuf, whose byte
 * form is not canonical across implementations):
 *   u64 seq (big-endian) | i64 time_ns (big-endian) |
 *   str audit_id | str kind | str origin | str tool |
 *   u32 n_attrs | n_attrs x (str key | str value)
 * with str = u32 length (big-endian) followed by the bytes. */
#ifndef AUTONOMY_WALREC_H
#define AUTONOMY_WALREC_H

#include <stddef.h>
#include <stdint.h>

#include "autonomy.pb-c.h"

#define WAL_HASH_LEN 32

typedef Autonomy__WalRecord WalRecord;

/* Computes the record's hash from prev (WAL_HASH_LEN bytes; all zero for
 * the first record) and its canonical bytes. 0 on success. */
int walrec_hash(const uint8_t prev[WAL_HASH_LEN], const WalRecord *rec,
                uint8_t out[WAL_HASH_LEN]);

/* The same hash, for many records in a row (`autonomy wal verify`): the
 * canonical buffer is made once and reused, so a record costs no
 * allocation. One hasher per thread. */
struct walrec_hasher;
struct walrec_hasher *walrec_hasher_new(void);
int walrec_hasher_hash(struct walrec_hasher *h,
                       const uint8_t prev[WAL_HASH_LEN], const WalRecord *rec,
                       uint8_t out[WAL_HASH_LEN]);
void walrec_hasher_free(struct walrec_hasher *h);

/* Canonical bytes into a malloc'd buffer (exposed for tests). */
int walrec_canonical(const WalRecord *rec, uint8_t **buf, size_t *len);

/* LMDB key for seq: 8 bytes big-endian, so keys sort by sequence. */
void walrec_key(uint64_t seq, uint8_t key[8]);
uint64_t walrec_key_seq(const uint8_t key[8]);

#endif
