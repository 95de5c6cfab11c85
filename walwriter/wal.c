#include "wal.h"

#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "sha256.h"

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

/* Checks one stored record against the chain so far: key, seq and the
 * hash fields' sizes here; link and hash in check_record(). 0 if it is
 * sound, else WAL_CORRUPT with err saying why. */
static int check_fields(const MDB_val *key, const WalRecord *rec,
                        uint64_t expect_seq, char *err, size_t errlen)
{
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
	return 0;
}

/* The fields, then the link (when prev is given) and the hash (with
 * hasher when given, else walrec_hash). */
static int check_record(const MDB_val *key, const WalRecord *rec,
                        uint64_t expect_seq, const uint8_t prev[WAL_HASH_LEN],
                        struct walrec_hasher *hasher, char *err, size_t errlen)
{
	uint8_t hash[WAL_HASH_LEN];
	char a[2 * WAL_HASH_LEN + 1], b[2 * WAL_HASH_LEN + 1];
	int rc;

	if ((rc = check_fields(key, rec, expect_seq, err, errlen)) != 0)
		return rc;
	if (prev != NULL &&
	    memcmp(rec->prev_hash.data, prev, WAL_HASH_LEN) != 0) {
		sha256_to_hex(rec->prev_hash.data, a);
		sha256_to_hex(prev, b);
		errorf(err, errlen,
		       "prev_hash %s does not link to the previous hash %s", a,
		       b);
		return WAL_CORRUPT;
	}
	if ((hasher ? walrec_hasher_hash(hasher, rec->prev_hash.data, rec, hash)
	            : walrec_hash(rec->prev_hash.data, rec, hash)) < 0) {
		errorf(err, errlen, "cannot compute hash");
		return -1;
	}
	if (memcmp(hash, rec->hash.data, WAL_HASH_LEN) != 0) {
		sha256_to_hex(rec->hash.data, a);
		sha256_to_hex(hash, b);
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
		if (check_record(&key, rec, 0, NULL, NULL, why, sizeof(why)) !=
		    0) {
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
	/* Only a writer needs the tail (and must refuse a broken one); a
	 * reader opens any WAL, so `wal verify` can name a bad last record
	 * instead of failing to open it. */
	if (mode == WAL_WRITE && load_tail(w, err, errlen) < 0) {
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

/* verify decodes every record into an arena that is emptied before the
 * next one: the same protobuf-c unpack (and so the same checks), without
 * a malloc and free per field. A record larger than the arena spills to
 * malloc'd blocks, freed with the arena. */
#define ARENA_BYTES (256 * 1024)

struct arena {
	size_t used;
	struct spill {
		struct spill *next;
		max_align_t data[];
	} * spill;
	max_align_t buf[ARENA_BYTES / sizeof(max_align_t)];
};

static void *arena_alloc(void *data, size_t size)
{
	struct arena *a = data;
	size_t need =
	    (size + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	struct spill *s;

	if (need >= size && need <= sizeof(a->buf) - a->used) {
		void *p = (char *)a->buf + a->used;
		a->used += need;
		return p;
	}
	if ((s = malloc(sizeof(*s) + size)) == NULL)
		return NULL;
	s->next = a->spill;
	a->spill = s;
	return s->data;
}

static void arena_free(void *data, void *p)
{
	(void)data; /* everything goes at arena_reset */
	(void)p;
}

static void arena_reset(struct arena *a)
{
	while (a->spill != NULL) {
		struct spill *next = a->spill->next;
		free(a->spill);
		a->spill = next;
	}
	a->used = 0;
}

/* wal_verify checks the chain in chunks: this thread reads CHUNK
 * records off the cursor (pointers into the map, valid for the read
 * transaction), VERIFY_THREADS workers each decode and check a slice
 * (key, seq, hash lengths, the hash recomputed from the stored prev_hash)
 * and this thread then walks the chunk in order, checking each link, so
 * the first bad record and the reason are those a one-by-one walk would
 * report. */
#define CHUNK 8192
#define VERIFY_THREADS 4

enum rec_state { REC_OK, REC_BAD_EARLY, REC_BAD_HASH, REC_FAIL };

struct verify_slot {
	MDB_val key, val;
	uint8_t prev[WAL_HASH_LEN], hash[WAL_HASH_LEN];
};

struct verify_worker {
	pthread_t th;
	struct verify_slot *slots;
	int joined;      /* ran on its own thread */
	size_t from, to; /* the slice [from, to) of the chunk */
	uint64_t base;   /* expected seq of slot 0 */
	size_t bad;      /* first slot not REC_OK, or to */
	enum rec_state state;
	char err[512];
	struct walrec_hasher *hasher;
	struct arena *arena;
};

/* Everything check_record() checks but the link, in its order; the hash
 * mismatch, which it checks after the link, is REC_BAD_HASH. */
static enum rec_state check_slot(struct verify_worker *vw,
                                 struct verify_slot *sl, uint64_t expect)
{
	ProtobufCAllocator alloc = {arena_alloc, arena_free, vw->arena};
	uint8_t hash[WAL_HASH_LEN];
	char a[2 * WAL_HASH_LEN + 1], b[2 * WAL_HASH_LEN + 1];
	WalRecord *rec;
	enum rec_state st = REC_OK;

	arena_reset(vw->arena);
	if ((rec = autonomy__wal_record__unpack(&alloc, sl->val.mv_size,
	                                        sl->val.mv_data)) == NULL) {
		errorf(vw->err, sizeof(vw->err), "record does not decode");
		return REC_BAD_EARLY;
	}
	if (check_fields(&sl->key, rec, expect, vw->err, sizeof(vw->err)) != 0)
		return REC_BAD_EARLY;
	memcpy(sl->prev, rec->prev_hash.data, WAL_HASH_LEN);
	memcpy(sl->hash, rec->hash.data, WAL_HASH_LEN);
	if (walrec_hasher_hash(vw->hasher, rec->prev_hash.data, rec, hash) <
	    0) {
		errorf(vw->err, sizeof(vw->err), "cannot compute hash");
		st = REC_FAIL;
	} else if (memcmp(hash, rec->hash.data, WAL_HASH_LEN) != 0) {
		sha256_to_hex(rec->hash.data, a);
		sha256_to_hex(hash, b);
		errorf(vw->err, sizeof(vw->err),
		       "hash mismatch: stored %s, computed %s", a, b);
		st = REC_BAD_HASH;
	}
	return st;
}

static void *verify_slice(void *arg)
{
	struct verify_worker *vw = arg;

	vw->bad = vw->to;
	vw->state = REC_OK;
	for (size_t i = vw->from; i < vw->to; i++) {
		enum rec_state st = check_slot(vw, &vw->slots[i], vw->base + i);
		if (st != REC_OK) {
			vw->bad = i;
			vw->state = st;
			break;
		}
	}
	arena_reset(vw->arena);
	return NULL;
}

int wal_verify(struct wal *w, uint64_t *nrecords, uint64_t *bad_seq, char *err,
               size_t errlen)
{
	uint8_t prev[WAL_HASH_LEN];
	uint64_t expect = 1;
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_cursor_op op = MDB_FIRST;
	struct verify_slot *slots = calloc(CHUNK, sizeof(*slots));
	struct verify_worker vw[VERIFY_THREADS];
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int nw = ncpu < 1                ? 1
	         : ncpu > VERIFY_THREADS ? VERIFY_THREADS
	                                 : (int)ncpu;
	int rc = 0, ret = 0, done = 0;

	*nrecords = 0;
	*bad_seq = 0;
	memcpy(prev, zero_hash, WAL_HASH_LEN);
	memset(vw, 0, sizeof(vw));
	for (int t = 0; t < nw; t++)
		if ((vw[t].arena = calloc(1, sizeof(struct arena))) == NULL ||
		    (vw[t].hasher = walrec_hasher_new()) == NULL)
			ret = -1;
	if (slots == NULL || ret != 0) {
		ret = errorf(err, errlen, "out of memory");
		goto out;
	}
	if (read_cursor(w, &txn, &cur, err, errlen) < 0) {
		ret = -1;
		goto out;
	}
	while (!done && ret == 0) {
		size_t n = 0, per;
		while (n < CHUNK &&
		       (rc = mdb_cursor_get(cur, &slots[n].key, &slots[n].val,
		                            op)) == 0) {
			op = MDB_NEXT;
			n++;
		}
		if (n < CHUNK)
			done = 1;
		per = (n + (size_t)nw - 1) / (size_t)nw;
		for (int t = 0; t < nw; t++) {
			vw[t].slots = slots;
			vw[t].base = expect;
			vw[t].from = (size_t)t * per < n ? (size_t)t * per : n;
			vw[t].to = vw[t].from + per < n ? vw[t].from + per : n;
			vw[t].joined =
			    t > 0 && vw[t].from < vw[t].to &&
			    pthread_create(&vw[t].th, NULL, verify_slice,
			                   &vw[t]) == 0;
		}
		for (int t = 0; t < nw; t++)
			if (!vw[t].joined) /* ours, or no thread to be had */
				verify_slice(&vw[t]);
		for (int t = 1; t < nw; t++)
			if (vw[t].joined)
				pthread_join(vw[t].th, NULL);
		/* In order: the slice's first bad record, else each link. */
		for (int t = 0; t < nw && ret == 0; t++) {
			for (size_t i = vw[t].from; i < vw[t].to; i++) {
				struct verify_slot *sl = &slots[i];
				char a[2 * WAL_HASH_LEN + 1],
				    b[2 * WAL_HASH_LEN + 1];
				*bad_seq = sl->key.mv_size == 8
				               ? walrec_key_seq(sl->key.mv_data)
				               : expect;
				if (i == vw[t].bad &&
				    vw[t].state != REC_BAD_HASH) {
					errorf(err, errlen, "%s", vw[t].err);
					ret = vw[t].state == REC_FAIL
					          ? -1
					          : WAL_CORRUPT;
					break;
				}
				if (memcmp(sl->prev, prev, WAL_HASH_LEN) != 0) {
					sha256_to_hex(sl->prev, a);
					sha256_to_hex(prev, b);
					ret = WAL_CORRUPT;
					errorf(err, errlen,
					       "prev_hash %s does not link to "
					       "the previous hash %s",
					       a, b);
					break;
				}
				if (i == vw[t].bad) {
					errorf(err, errlen, "%s", vw[t].err);
					ret = WAL_CORRUPT;
					break;
				}
				memcpy(prev, sl->hash, WAL_HASH_LEN);
				(*nrecords)++;
				expect++;
			}
		}
	}
	if (ret == 0 && rc != MDB_NOTFOUND)
		ret = errorf(err, errlen, "read: %s", mdb_strerror(rc));
	if (ret == 0)
		*bad_seq = 0;
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
out:
	for (int t = 0; t < nw; t++) {
		if (vw[t].arena != NULL)
			arena_reset(vw[t].arena);
		free(vw[t].arena);
		walrec_hasher_free(vw[t].hasher);
	}
	free(slots);
	return ret;
}
