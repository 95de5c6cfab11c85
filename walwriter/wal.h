/* The WAL directory: an LMDB environment whose main database maps
 * key = 8-byte big-endian seq (walrec_key) to value = a packed
 * Autonomy__WalRecord chained by walrec_hash() (common/walrec.h).
 *
 * walwriter opens it WAL_WRITE and is the only writer; `autonomy wal`
 * opens it WAL_READ (MDB_RDONLY), which is safe while walwriter runs. */
#ifndef AUTONOMY_WAL_H
#define AUTONOMY_WAL_H

#include <stddef.h>
#include <stdint.h>

#include "walrec.h"

/* Address space reserved for the map, and so the largest WAL file. LMDB
 * only grows the file as pages are written. */
#define WAL_MAP_SIZE ((size_t)4 << 30)

enum wal_mode { WAL_READ, WAL_WRITE };

/* Return codes of the reading functions besides 0 (-1: cannot read). */
#define WAL_CORRUPT 1

struct wal;

/* Opens the WAL in dir (which must exist). WAL_WRITE creates the LMDB
 * files if missing, reads the last record and checks its hash so appends
 * continue the chain; a WAL whose tail does not verify is refused.
 * WAL_READ refuses a directory that holds no data.mdb ("not a WAL"),
 * but not a broken tail: wal_verify() names that.
 * 0 on success, else -1 with why in err. */
int wal_open(struct wal **w, const char *dir, enum wal_mode mode, char *err,
             size_t errlen);
void wal_close(struct wal *w);

/* Seq of the last record (0 for an empty WAL) as known to this handle
 * (a WAL_WRITE one: a reader does not load the tail). */
uint64_t wal_last_seq(const struct wal *w);

/* One record to append. The caller fills rec's audit_id, kind, origin,
 * tool and attrs; wal_append() sets seq, time_ns, prev_hash and hash
 * (pointing into this struct's arrays). */
struct wal_entry {
	WalRecord rec;
	uint8_t prev_hash[WAL_HASH_LEN];
	uint8_t hash[WAL_HASH_LEN];
};

/* Appends n entries in ONE write transaction: one commit, one sync.
 * time_ns (CLOCK_REALTIME) is stamped on every entry. Returns 0 once the
 * transaction is durable; on any failure nothing was appended, the
 * chain head is unchanged and -1 is returned with why in err. */
int wal_append(struct wal *w, struct wal_entry *const *entries, size_t n,
               int64_t time_ns, char *err, size_t errlen);

/* Calls fn for every record in seq order, inside one read transaction
 * (a consistent snapshot). fn returns 0 to go on, anything else to stop
 * (wal_foreach then returns that value). A value that does not decode
 * stops the walk with WAL_CORRUPT and err naming the seq. */
typedef int (*wal_visit_fn)(uint64_t key_seq, const WalRecord *rec, void *arg);
int wal_foreach(struct wal *w, wal_visit_fn fn, void *arg, char *err,
                size_t errlen);

/* Walks the whole chain (in chunks, decoded and hashed on up to four
 * threads; the result is the one-by-one walk's): every key is 8 bytes and
 * equals its record's seq, seqs run 1, 2, 3..., every prev_hash is the previous
 * record's hash (zeros first) and every hash recomputes. Returns 0 with
 * *nrecords set, WAL_CORRUPT with *bad_seq and err saying what is wrong with
 * the first bad record, or -1 if the WAL cannot be read. */
int wal_verify(struct wal *w, uint64_t *nrecords, uint64_t *bad_seq, char *err,
               size_t errlen);

#endif
