/* common/sha256.c: the FIPS 180-2 test vectors, the two-buffer form
 * against the one-shot of the concatenation, the hex form, and the WAL
 * chain hash pinned to values computed from walrec.h's definition (with
 * Python's hashlib, and with the OpenSSL code this module replaced), so
 * a chain written before the switch still verifies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "sha256.h"
#include "walrec.h"

/* FIPS 180-2, appendix B: one block, and the 448-bit two-block message. */
static const char abc[] = "abc";
static const char abc_sha[] =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
static const char msg448[] =
    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
static const char msg448_sha[] =
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
static const char empty_sha[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

static void test_fips_vectors(void **state)
{
	char hex[SHA256_HEX_LEN];

	(void)state;
	assert_int_equal(strlen(msg448) * 8, 448);
	sha256_hex(abc, strlen(abc), hex);
	assert_string_equal(hex, abc_sha);
	sha256_hex(msg448, strlen(msg448), hex);
	assert_string_equal(hex, msg448_sha);
	sha256_hex("", 0, hex);
	assert_string_equal(hex, empty_sha);
}

static void test_digest_and_hex_agree(void **state)
{
	uint8_t md[SHA256_LEN];
	char hex[SHA256_HEX_LEN];

	(void)state;
	sha256_of(abc, strlen(abc), md);
	assert_int_equal(md[0], 0xba);
	assert_int_equal(md[SHA256_LEN - 1], 0xad);
	sha256_to_hex(md, hex);
	assert_string_equal(hex, abc_sha);
	assert_int_equal(strlen(hex), SHA256_HEX_LEN - 1);
}

/* Every split of the message, including the empty halves; a message
 * over two blocks so some splits fall across a block boundary. */
static void test_concat_equals_one_shot(void **state)
{
	uint8_t msg[200], whole[SHA256_LEN], parts[SHA256_LEN];
	char hex[SHA256_HEX_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7 + 3);
	sha256_of(msg, sizeof(msg), whole);
	for (size_t cut = 0; cut <= sizeof(msg); cut++) {
		sha256_of_concat(msg, cut, msg + cut, sizeof(msg) - cut, parts);
		assert_memory_equal(parts, whole, SHA256_LEN);
	}
	for (size_t cut = 0; cut <= strlen(msg448); cut++) {
		sha256_of_concat(msg448, cut, msg448 + cut,
		                 strlen(msg448) - cut, parts);
		sha256_to_hex(parts, hex);
		assert_string_equal(hex, msg448_sha);
	}
}

/* Two chained records: hash = SHA-256(prev || canonical(record)). */
static void test_wal_chain_pinned(void **state)
{
	static const char h1_hex[] =
	    "82fdd2199ebe42f420bd8b1ea4abaa41a03bd344c2e2e7a798508d52ecd38593";
	static const char h2_hex[] =
	    "156732640f43dea276ad9cf29ccf85bcdfefc9bba26029e173c765a968b3b1db";
	char params_sha[SHA256_HEX_LEN], hex[SHA256_HEX_LEN];
	uint8_t prev[WAL_HASH_LEN], h1[WAL_HASH_LEN], h2[WAL_HASH_LEN];
	Autonomy__Attr a1 = AUTONOMY__ATTR__INIT, a2 = AUTONOMY__ATTR__INIT;
	Autonomy__Attr *attrs[] = {&a1, &a2};
	WalRecord r1 = AUTONOMY__WAL_RECORD__INIT;
	WalRecord r2 = AUTONOMY__WAL_RECORD__INIT;
	struct walrec_hasher *h;

	(void)state;
	for (size_t i = 0; i < sizeof(prev); i++)
		prev[i] = (uint8_t)i;
	for (size_t i = 0; i < SHA256_HEX_LEN - 1; i++)
		params_sha[i] = i % 2 ? 'b' : 'a';
	params_sha[SHA256_HEX_LEN - 1] = '\0';
	a1.key = "params_sha256";
	a1.value = params_sha;
	a2.key = "params_bytes";
	a2.value = "12";
	r1.seq = 1;
	r1.time_ns = 1700000000123456789LL;
	r1.audit_id = "0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a";
	r1.kind = "policy.allow";
	r1.origin = "policyd";
	r1.tool = "tool.echo";
	r1.n_attrs = 2;
	r1.attrs = attrs;
	r2.seq = 2;
	r2.time_ns = -5;
	r2.audit_id = "";
	r2.kind = "run.end";
	r2.origin = "supervisor";
	r2.tool = "";

	assert_int_equal(walrec_hash(prev, &r1, h1), 0);
	sha256_to_hex(h1, hex);
	assert_string_equal(hex, h1_hex);
	assert_int_equal(walrec_hash(h1, &r2, h2), 0);
	sha256_to_hex(h2, hex);
	assert_string_equal(hex, h2_hex);

	/* the reusing hasher (`autonomy wal verify`) agrees */
	assert_non_null(h = walrec_hasher_new());
	memset(h1, 0, sizeof(h1));
	assert_int_equal(walrec_hasher_hash(h, prev, &r1, h1), 0);
	sha256_to_hex(h1, hex);
	assert_string_equal(hex, h1_hex);
	assert_int_equal(walrec_hasher_hash(h, h1, &r2, h2), 0);
	sha256_to_hex(h2, hex);
	assert_string_equal(hex, h2_hex);
	walrec_hasher_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fips_vectors),
	    cmocka_unit_test(test_digest_and_hex_agree),
	    cmocka_unit_test(test_concat_equals_one_shot),
	    cmocka_unit_test(test_wal_chain_pinned),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
