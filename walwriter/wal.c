#include "wal.h"

#include <errno.h>
#include <lmdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"

struct wal {
	MDB_env *env;
	MDB_dbi dbi;
	enum wal_mode mode;
	uint64_t last_seq;
	uint8_t last_hash[WAL_HASH_LEN];
#ifdef AUTONOMY_TEST_HOOKS
	uint64_t fail_at_seq; /* a commit reaching this seq fails */
#endif
};

static const uint8_t zero_hash[WAL_HASH_LEN];

/* Checks one stored record against the chain so far: key, seq, link and
 * hash. 0 if it is sound, else WAL_CORRUPT with err saying why. */
static int check_record(const MDB_val *key, const WalRecord *rec,
                        uint64_t expect_seq, const uint8_t prev[WAL_HASH_LEN],
                        char *err, size_t errlen)
{
	uint8_t hash[WAL_HASH_LEN];
	char a[2 * WAL_HASH_LEN + 1], b[2 * WAL_HASH_LEN + 1];
	uint64_t kseq;

	if (key->mv_size != 8) {
		errorf(err, errlen, "key of %zu bytes, not 8", key->mv_size);
		return WAL_CORRUPT;
	}
	kseq = walrec_key_seq(key->mv_data);
	if (expect_seq != 0 && kseq != expect_seq) {
		errorf(err, errlen, "sequence gap: expected seq %llu",
		       (unsigned long long)expect_seq);
		return WAL_CORRUPT;
	}
	if (rec->seq != kseq) {
		errorf(err, errlen, "record says seq %llu under key %llu",
		       (unsigned long long)rec->seq, (unsigned long long)kseq);
		return WAL_CORRUPT;
	}
	if (rec->prev_hash.len != WAL_HASH_LEN ||
	    rec->hash.len != WAL_HASH_LEN) {
		errorf(err, errlen, "hash fields of %zu/%zu bytes, not %d",
		       rec->prev_hash.len, rec->hash.len, WAL_HASH_LEN);
		return WAL_CORRUPT;
	}
	if (prev != NULL &&
	    memcmp(rec->prev_hash.data, prev, WAL_HASH_LEN) != 0) {
		walrec_hex(rec->prev_hash.data, WAL_HASH_LEN, a);
		walrec_hex(prev, WAL_HASH_LEN, b);
		errorf(err, errlen,
		       "prev_hash %s does not link to the previous hash %s", a,
		       b);
		return WAL_CORRUPT;
	}
	if (walrec_hash(rec->prev_hash.data, rec, hash) < 0) {
		errorf(err, errlen, "cannot compute hash");
		return -1;
	}
	if (memcmp(hash, rec->hash.data, WAL_HASH_LEN) != 0) {
		walrec_hex(rec->hash.data, WAL_HASH_LEN, a);
		walrec_hex(hash, WAL_HASH_LEN, b);
		errorf(err, errlen, "hash mismatch: stored %s, computed %s", a,
		       b);
		return WAL_CORRUPT;
	}
	return 0;
}

static WalRecord *decode(const MDB_val *val)
{
	return autonomy__wal_record__unpack(NULL, val->mv_size, val->mv_data);
}

/* A read-only transaction and a cursor on the records; the caller closes
 * the cursor and aborts the transaction. */
static int read_cursor(struct wal *w, MDB_txn **txn, MDB_cursor **cur,
                       char *err, size_t errlen)
{
	int rc;

	if ((rc = mdb_txn_begin(w->env, NULL, MDB_RDONLY, txn)) != 0)
		return errorf(err, errlen, "read transaction: %s",
		              mdb_strerror(rc));
	if ((rc = mdb_cursor_open(*txn, w->dbi, cur)) != 0) {
		mdb_txn_abort(*txn);
		return errorf(err, errlen, "cursor: %s", mdb_strerror(rc));
	}
	return 0;
}

/* Reads the last record so appends continue the chain; refuses a tail
 * that does not verify (appending to a broken chain would hide it). */
static int load_tail(struct wal *w, char *err, size_t errlen)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val key, val;
	WalRecord *rec;
	int rc;

	if (read_cursor(w, &txn, &cur, err, errlen) < 0)
		return -1;
	rc = mdb_cursor_get(cur, &key, &val, MDB_LAST);
	if (rc == MDB_NOTFOUND) {
		w->last_seq = 0;
		memset(w->last_hash, 0, WAL_HASH_LEN);
		mdb_cursor_close(cur);
		mdb_txn_abort(txn);
		return 0;
	}
	if (rc != 0) {
		mdb_cursor_close(cur);
		mdb_txn_abort(txn);
		return errorf(err, errlen, "last record: %s", mdb_strerror(rc));
	}
	if ((rec = decode(&val)) == NULL) {
		rc = errorf(err, errlen, "last record does not decode");
	} else {
		char why[256];
		if (check_record(&key, rec, 0, NULL, why, sizeof(why)) != 0) {
			rc = errorf(err, errlen, "last record (seq %llu): %s",
			            (unsigned long long)rec->seq, why);
		} else {
			w->last_seq = rec->seq;
			memcpy(w->last_hash, rec->hash.data, WAL_HASH_LEN);
			rc = 0;
		}
		autonomy__wal_record__free_unpacked(rec, NULL);
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return rc;
}

int wal_open(struct wal **wp, const char *dir, enum wal_mode mode, char *err,
             size_t errlen)
{
	struct wal *w;
	struct stat st;
	char path[4096];
	unsigned int flags = 0;
	MDB_txn *txn;
	int rc;

	*wp = NULL;
	if (stat(dir, &st) < 0)
		return errorf(err, errlen, "%s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return errorf(err, errlen, "%s: not a directory", dir);
	if (mode == WAL_READ) {
		/* Checked first: LMDB would otherwise leave a lock.mdb in
		 * whatever directory it was pointed at. */
		if ((size_t)snprintf(path, sizeof(path), "%s/data.mdb", dir) >=
		    sizeof(path))
			return errorf(err, errlen, "%s: path too long", dir);
		if (stat(path, &st) < 0)
			return errorf(
			    err, errlen,
			    "%s: not a WAL directory (no data.mdb: %s)", dir,
			    strerror(errno));
		flags = MDB_RDONLY;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return errorf(err, errlen, "out of memory");
	w->mode = mode;
	if ((rc = mdb_env_create(&w->env)) != 0) {
		free(w);
		return errorf(err, errlen, "mdb_env_create: %s",
		              mdb_strerror(rc));
	}
	/* Default sync: no MDB_NOSYNC/MDB_NOMETASYNC, so a commit that
	 * returned is on disk. */
	if ((rc = mdb_env_set_mapsize(w->env, WAL_MAP_SIZE)) == 0)
		rc = mdb_env_open(w->env, dir, flags, 0600);
	if (rc != 0 && mode == WAL_READ && (rc == EACCES || rc == EROFS)) {
		/* A WAL we may read but not lock (a copy, a read-only mount):
		 * no writer can be running there, so reading without the
		 * reader table is safe. */
		mdb_env_close(w->env);
		if ((rc = mdb_env_create(&w->env)) == 0)
			rc =
			    mdb_env_open(w->env, dir, flags | MDB_NOLOCK, 0600);
	}
	if (rc != 0) {
		mdb_env_close(w->env);
		free(w);
		if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH)
			return errorf(err, errlen,
			              "%s: not a WAL directory (%s)", dir,
			              mdb_strerror(rc));
		return errorf(err, errlen, "%s: %s", dir, mdb_strerror(rc));
	}
	if ((rc = mdb_txn_begin(w->env, NULL, flags, &txn)) != 0 ||
	    (rc = mdb_dbi_open(txn, NULL, 0, &w->dbi)) != 0 ||
	    (rc = mdb_txn_commit(txn)) != 0) {
		mdb_env_close(w->env);
		free(w);
		return errorf(err, errlen, "%s: %s", dir, mdb_strerror(rc));
	}
	if (load_tail(w, err, errlen) < 0) {
		char why[512];
		snprintf(why, sizeof(why), "%s", err ? err : "");
		wal_close(w);
		return errorf(err, errlen, "%s: %s", dir, why);
	}
#ifdef AUTONOMY_TEST_HOOKS
	{
		const char *s = getenv("AUTONOMY_TEST_WAL_FAIL_AT_SEQ");
		if (s != NULL && mode == WAL_WRITE)
			w->fail_at_seq = strtoull(s, NULL, 10);
	}
#endif
	*wp = w;
	return 0;
}

void wal_close(struct wal *w)
{
	if (w == NULL)
		return;
	mdb_env_close(w->env);
	free(w);
}

uint64_t wal_last_seq(const struct wal *w)
{
	return w->last_seq;
}

int wal_append(struct wal *w, struct wal_entry *const *entries, size_t n,
               int64_t time_ns, char *err, size_t errlen)
{
	uint8_t head[WAL_HASH_LEN];
	uint64_t seq = w->last_seq;
	MDB_txn *txn;
	int rc;

	if (w->mode != WAL_WRITE)
		return errorf(err, errlen, "WAL opened read-only");
	if (n == 0)
		return 0;
	memcpy(head, w->last_hash, WAL_HASH_LEN);
	if ((rc = mdb_txn_begin(w->env, NULL, 0, &txn)) != 0)
		return errorf(err, errlen, "write transaction: %s",
		              mdb_strerror(rc));
	for (size_t i = 0; i < n; i++) {
		struct wal_entry *e = entries[i];
		uint8_t kbuf[8];
		MDB_val key = {sizeof(kbuf), kbuf}, val;
		size_t len;

		e->rec.seq = ++seq;
		e->rec.time_ns = time_ns;
		memcpy(e->prev_hash, head, WAL_HASH_LEN);
		e->rec.prev_hash.data = e->prev_hash;
		e->rec.prev_hash.len = WAL_HASH_LEN;
		e->rec.hash.data = e->hash;
		e->rec.hash.len = WAL_HASH_LEN;
		if (walrec_hash(e->prev_hash, &e->rec, e->hash) < 0) {
			mdb_txn_abort(txn);
			return errorf(err, errlen, "seq %llu: cannot hash",
			              (unsigned long long)seq);
		}
		walrec_key(seq, kbuf);
		len = autonomy__wal_record__get_packed_size(&e->rec);
		/* Reserve the value in the page and pack straight into it. */
		val.mv_size = len;
		val.mv_data = NULL;
		rc = mdb_put(txn, w->dbi, &key, &val,
		             MDB_NOOVERWRITE | MDB_APPEND | MDB_RESERVE);
		if (rc != 0) {
			mdb_txn_abort(txn);
			return errorf(err, errlen, "seq %llu: put: %s",
			              (unsigned long long)seq,
			              mdb_strerror(rc));
		}
		autonomy__wal_record__pack(&e->rec, val.mv_data);
		memcpy(head, e->hash, WAL_HASH_LEN);
	}
#ifdef AUTONOMY_TEST_HOOKS
	if (w->fail_at_seq != 0 && seq >= w->fail_at_seq) {
		mdb_txn_abort(txn);
		return errorf(err, errlen, "commit: failed by test hook");
	}
#endif
	if ((rc = mdb_txn_commit(txn)) != 0)
		/* LMDB turns a short page write (a full disk, mid-write)
		 * into EIO; ENOSPC only when not a byte fit. */
		return errorf(err, errlen, "commit: %s%s", mdb_strerror(rc),
		              rc == EIO || rc == ENOSPC
		                  ? " (is the WAL's filesystem full?)"
		                  : "");
	w->last_seq = seq;
	memcpy(w->last_hash, head, WAL_HASH_LEN);
	return 0;
}

int wal_foreach(struct wal *w, wal_visit_fn fn, void *arg, char *err,
                size_t errlen)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val key, val;
	MDB_cursor_op op = MDB_FIRST;
	int rc, ret = 0;

	if (read_cursor(w, &txn, &cur, err, errlen) < 0)
		return -1;
	while ((rc = mdb_cursor_get(cur, &key, &val, op)) == 0) {
		WalRecord *rec;
		uint64_t kseq =
		    key.mv_size == 8 ? walrec_key_seq(key.mv_data) : 0;
		op = MDB_NEXT;
		if (key.mv_size != 8 || (rec = decode(&val)) == NULL) {
			errorf(err, errlen,
			       "seq %llu: record does not decode "
			       "(run `autonomy wal verify`)",
			       (unsigned long long)kseq);
			ret = WAL_CORRUPT;
			break;
		}
		ret = fn(kseq, rec, arg);
		autonomy__wal_record__free_unpacked(rec, NULL);
		if (ret != 0)
			break;
	}
	if (ret == 0 && rc != MDB_NOTFOUND)
		ret = errorf(err, errlen, "read: %s", mdb_strerror(rc));
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return ret;
}

int wal_verify(struct wal *w, uint64_t *nrecords, uint64_t *bad_seq, char *err,
               size_t errlen)
{
	uint8_t prev[WAL_HASH_LEN];
	uint64_t expect = 1;
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val key, val;
	MDB_cursor_op op = MDB_FIRST;
	int rc, ret = 0;

	*nrecords = 0;
	*bad_seq = 0;
	memcpy(prev, zero_hash, WAL_HASH_LEN);
	if (read_cursor(w, &txn, &cur, err, errlen) < 0)
		return -1;
	while ((rc = mdb_cursor_get(cur, &key, &val, op)) == 0) {
		WalRecord *rec;
		op = MDB_NEXT;
		if (key.mv_size == 8)
			*bad_seq = walrec_key_seq(key.mv_data);
		else
			*bad_seq = expect;
		if ((rec = decode(&val)) == NULL) {
			errorf(err, errlen, "record does not decode");
			ret = WAL_CORRUPT;
			break;
		}
		ret = check_record(&key, rec, expect, prev, err, errlen);
		if (ret == 0)
			memcpy(prev, rec->hash.data, WAL_HASH_LEN);
		autonomy__wal_record__free_unpacked(rec, NULL);
		if (ret != 0)
			break;
		(*nrecords)++;
		expect++;
	}
	if (ret == 0 && rc != MDB_NOTFOUND)
		ret = errorf(err, errlen, "read: %s", mdb_strerror(rc));
	if (ret == 0)
		*bad_seq = 0;
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return ret;
}
