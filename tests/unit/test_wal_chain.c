/* The WAL's hash chain through walwriter/wal.c, and `autonomy wal`
 * (wal_cmd_main) on top of it: append and verify, tampering named by
 * seq, reopening continues the chain, the empty WAL, exit codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wal.h"
#include "wal_cmd.h"

struct fixture {
	char dir[64];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->dir, "/tmp/test_wal_chain.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char path[128];

	snprintf(path, sizeof(path), "%s/data.mdb", f->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/lock.mdb", f->dir);
	unlink(path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Appends n records (kind "run.start", attr i=<k>) in one transaction. */
static void append_n(struct wal *w, size_t n, int64_t t)
{
	struct wal_entry *e = calloc(n, sizeof(*e));
	struct wal_entry **pe = calloc(n, sizeof(*pe));
	Autonomy__Attr *attr = calloc(n, sizeof(*attr));
	Autonomy__Attr **pattr = calloc(n, sizeof(*pattr));
	char(*val)[24] = calloc(n, sizeof(*val));
	char err[256];

	assert_true(e && pe && attr && pattr && val);
	for (size_t i = 0; i < n; i++) {
		autonomy__wal_record__init(&e[i].rec);
		autonomy__attr__init(&attr[i]);
		snprintf(val[i], sizeof(val[i]), "%zu", i);
		attr[i].key = "i";
		attr[i].value = val[i];
		pattr[i] = &attr[i];
		e[i].rec.audit_id = "a-1";
		e[i].rec.kind = "run.start";
		e[i].rec.origin = "supervisor";
		e[i].rec.tool = "";
		e[i].rec.n_attrs = 1;
		e[i].rec.attrs = &pattr[i];
		pe[i] = &e[i];
	}
	assert_int_equal(wal_append(w, pe, n, t, err, sizeof(err)), 0);
	for (size_t i = 1; i < n; i++) {
		assert_int_equal(e[i].rec.seq, e[i - 1].rec.seq + 1);
		assert_memory_equal(e[i].prev_hash, e[i - 1].hash,
		                    WAL_HASH_LEN);
	}
	free(e);
	free(pe);
	free(attr);
	free(pattr);
	free(val);
}

static void expect_verify(const char *dir, int want_rc, uint64_t want_n,
                          uint64_t want_bad)
{
	struct wal *w;
	uint64_t n, bad;
	char err[512];
	int rc;

	assert_int_equal(wal_open(&w, dir, WAL_READ, err, sizeof(err)), 0);
	rc = wal_verify(w, &n, &bad, err, sizeof(err));
	wal_close(w);
	if (rc != want_rc || (rc == 0 && n != want_n) ||
	    (rc == WAL_CORRUPT && bad != want_bad))
		fail_msg("verify: rc %d n %llu bad %llu (%s); wanted rc %d n "
		         "%llu bad %llu",
		         rc, (unsigned long long)n, (unsigned long long)bad,
		         err, want_rc, (unsigned long long)want_n,
		         (unsigned long long)want_bad);
}

/* Runs wal_cmd_main with stdout captured into out (NUL-terminated). */
static int run_cmd(char *out, size_t outlen, int argc, ...)
{
	char *argv[16];
	char tmpl[] = "/tmp/test_wal_cmd_out.XXXXXX";
	va_list ap;
	int fd, saved, rc;
	ssize_t n;

	assert_true(argc < 16);
	va_start(ap, argc);
	for (int i = 0; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	argv[argc] = NULL;
	fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	unlink(tmpl);
	fflush(stdout);
	saved = dup(1);
	dup2(fd, 1);
	rc = wal_cmd_main(argc, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	n = pread(fd, out, outlen - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	return rc;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_empty_wal(void **state)
{
	struct fixture *f = *state;
	struct wal *w;
	char err[256], out[256];

	assert_int_equal(wal_open(&w, f->dir, WAL_WRITE, err, sizeof(err)), 0);
	assert_int_equal(wal_last_seq(w), 0);
	wal_close(w);
	expect_verify(f->dir, 0, 0, 0);
	assert_int_equal(
	    run_cmd(out, sizeof(out), 4, "wal", "verify", "--dir", f->dir), 0);
	assert_string_equal(out, "OK 0 records\n");
}

static void test_append_and_verify(void **state)
{
	struct fixture *f = *state;
	struct wal *w;
	char err[256];

	assert_int_equal(wal_open(&w, f->dir, WAL_WRITE, err, sizeof(err)), 0);
	append_n(w, 3, 1000);
	append_n(w, 1, 2000);
	append_n(w, 4, 3000);
	assert_int_equal(wal_last_seq(w), 8);
	/* Readers see committed records while the writer is open. */
	expect_verify(f->dir, 0, 8, 0);
	wal_close(w);
	expect_verify(f->dir, 0, 8, 0);
}

/* Flips one bit at offset off of seq's stored value (off < 0: returns
 * the value's length without touching it). */
static size_t flip_value(const char *dir, uint64_t seq, long off)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	uint8_t k[8], *copy;
	MDB_val key = {8, k}, val;
	size_t len;

	walrec_key(seq, k);
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_mapsize(env, WAL_MAP_SIZE), 0);
	assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, NULL, 0, &dbi), 0);
	assert_int_equal(mdb_get(txn, dbi, &key, &val), 0);
	len = val.mv_size;
	if (off >= 0) {
		copy = malloc(len);
		memcpy(copy, val.mv_data, len);
		copy[off] ^= 0x01;
		val.mv_data = copy;
		assert_int_equal(mdb_put(txn, dbi, &key, &val, 0), 0);
		free(copy);
	}
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	return len;
}

static void test_flipped_byte_names_seq(void **state)
{
	struct fixture *f = *state;
	struct wal *w;
	char err[256], out[1024];
	size_t len;

	assert_int_equal(wal_open(&w, f->dir, WAL_WRITE, err, sizeof(err)), 0);
	append_n(w, 5, 12345);
	wal_close(w);

	/* Every single-bit flip anywhere in record 3 is caught at seq 3. */
	len = flip_value(f->dir, 3, -1);
	for (size_t off = 0; off < len; off++) {
		flip_value(f->dir, 3, (long)off);
		expect_verify(f->dir, WAL_CORRUPT, 0, 3);
		flip_value(f->dir, 3, (long)off);
	}
	expect_verify(f->dir, 0, 5, 0);

	flip_value(f->dir, 3, (long)len / 2);
	assert_int_equal(
	    run_cmd(out, sizeof(out), 4, "wal", "verify", "--dir", f->dir), 1);
	assert_non_null(strstr(out, "seq 3"));
	flip_value(f->dir, 3, (long)len / 2);

	/* A broken tail is refused by the writer: appending would bury it.
	 * verify names it like any other bad record (exit 1, not 2). */
	flip_value(f->dir, 5, (long)len / 2);
	assert_int_equal(wal_open(&w, f->dir, WAL_WRITE, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "seq 5"));
	expect_verify(f->dir, WAL_CORRUPT, 0, 5);
	assert_int_equal(
	    run_cmd(out, sizeof(out), 4, "wal", "verify", "--dir", f->dir), 1);
	assert_non_null(strstr(out, "BAD seq 5"));
}

static void test_deleted_record_is_a_gap(void **state)
{
	struct fixture *f = *state;
	struct wal *w;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	uint8_t k[8];
	MDB_val key = {8, k};
	char err[256];

	assert_int_equal(wal_open(&w, f->dir, WAL_WRITE, err, sizeof(err)), 0);
	append_n(w, 5, 1);
	wal_close(w);
	walrec_key(3, k);
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_mapsize(env, WAL_MAP_SIZE), 0);
	assert_int_equal(mdb_env_open(env, f->dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, NULL, 0, &dbi), 0);
	assert_int_equal(mdb_del(txn, dbi, &key, NULL), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	expect_verify(f->dir, WAL_CORRUPT, 0, 4);
}

/* verify works in chunks of 8192 records, each split between threads:
 * a bad record anywhere (slice and chunk edges included) is still the
 * first one named, with exactly the records before it counted, and two
 * bad records name the first. */
static void test_large_wal_names_first_bad(void **state)
{
	static const uint64_t at[] = {1,    2,    4096,  4097, 8192,
	                              8193, 8194, 12289, 20000};
	struct fixture *f = *state;
	struct wal *w;
	uint64_t n, bad;
	char err[512];
	size_t len;

	assert_int_equal(wal_open(&w, f->dir, WAL_WRITE, err, sizeof(err)), 0);
	append_n(w, 20000, 7);
	wal_close(w);
	expect_verify(f->dir, 0, 20000, 0);
	for (size_t i = 0; i < sizeof(at) / sizeof(*at); i++) {
		len = flip_value(f->dir, at[i], -1);
		flip_value(f->dir, at[i], (long)len / 2);
		if (i + 1 < sizeof(at) / sizeof(*at)) /* a later one too */
			flip_value(f->dir, at[i + 1], (long)len / 2);
		assert_int_equal(
		    wal_open(&w, f->dir, WAL_READ, err, sizeof(err)), 0);
		assert_int_equal(wal_verify(w, &n, &bad, err, sizeof(err)),
		                 WAL_CORRUPT);
		wal_close(w);
		assert_int_equal(bad, at[i]);
		assert_int_equal(n, at[i] - 1);
		flip_value(f->dir, at[i], (long)len / 2);
		if (i + 1 < sizeof(at) / sizeof(*at))
			flip_value(f->dir, at[i + 1], (long)len / 2);
	}
	expect_verify(f->dir, 0, 20000, 0);
}

static void test_reopen_continues_chain(void **state)
{
	struct fixture *f = *state;
	struct wal *w;
	char err[256];

	assert_int_equal(wal_open(&w, f->dir, WAL_WRITE, err, sizeof(err)), 0);
	append_n(w, 3, 10);
	wal_close(w);
	assert_int_equal(wal_open(&w, f->dir, WAL_WRITE, err, sizeof(err)), 0);
	assert_int_equal(wal_last_seq(w), 3);
	append_n(w, 2, 20);
	assert_int_equal(wal_last_seq(w), 5);
	wal_close(w);
	/* verify checks seq 4's prev_hash against seq 3's hash. */
	expect_verify(f->dir, 0, 5, 0);
}

static void test_wal_cmd(void **state)
{
	struct fixture *f = *state;
	struct wal *w;
	char err[256], out[8192], path[128];
	struct stat st;

	/* Not a WAL: an empty directory, and no lock.mdb left behind. */
	assert_int_equal(
	    run_cmd(out, sizeof(out), 4, "wal", "verify", "--dir", f->dir), 2);
	snprintf(path, sizeof(path), "%s/lock.mdb", f->dir);
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(run_cmd(out, sizeof(out), 4, "wal", "inspect", "--dir",
	                         "/nonexistent/wal"),
	                 2);
	/* Usage errors. */
	assert_int_equal(run_cmd(out, sizeof(out), 2, "wal", "verify"), 64);
	assert_int_equal(run_cmd(out, sizeof(out), 5, "wal", "verify", "--dir",
	                         f->dir, "--bogus"),
	                 64);
	assert_int_equal(run_cmd(out, sizeof(out), 5, "wal", "verify", "--dir",
	                         f->dir, "--json"),
	                 64);
	assert_int_equal(
	    run_cmd(out, sizeof(out), 3, "wal", "inspect", "--dir"), 64);
	assert_int_equal(run_cmd(out, sizeof(out), 2, "wal", "frobnicate"), 64);
	assert_int_equal(run_cmd(out, sizeof(out), 1, "wal"), 64);

	assert_int_equal(wal_open(&w, f->dir, WAL_WRITE, err, sizeof(err)), 0);
	append_n(w, 3, 1700000000123456789LL);
	wal_close(w);
	assert_int_equal(
	    run_cmd(out, sizeof(out), 4, "wal", "verify", "--dir", f->dir), 0);
	assert_string_equal(out, "OK 3 records\n");

	assert_int_equal(run_cmd(out, sizeof(out), 5, "wal", "inspect", "--dir",
	                         f->dir, "--json"),
	                 0);
	assert_int_equal(count_lines(out), 3);
	assert_non_null(strstr(out, "\"seq\":1,"));
	assert_non_null(strstr(out, "\"time\":\"2023-11-14T22:13:20.123Z\""));
	assert_non_null(strstr(out, "\"attrs\":{\"i\":\"2\"}"));
	assert_null(strstr(out, "\"seq\":4,"));

	/* Table: a header plus one row per record. */
	assert_int_equal(
	    run_cmd(out, sizeof(out), 4, "wal", "inspect", "--dir", f->dir), 0);
	assert_int_equal(count_lines(out), 4);
	assert_non_null(strstr(out, "2023-11-14T22:13:20.123Z"));
	assert_non_null(strstr(out, "i=1"));

	/* Filters. */
	assert_int_equal(run_cmd(out, sizeof(out), 7, "wal", "inspect", "--dir",
	                         f->dir, "--json", "--kind", "run.end"),
	                 0);
	assert_int_equal(count_lines(out), 0);
	assert_int_equal(run_cmd(out, sizeof(out), 6, "wal", "inspect", "--dir",
	                         f->dir, "--json", "--audit-id=a-1"),
	                 0);
	assert_int_equal(count_lines(out), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_empty_wal, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_append_and_verify, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_flipped_byte_names_seq, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_deleted_record_is_a_gap, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_large_wal_names_first_bad,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reopen_continues_chain, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_wal_cmd, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
