/* common/envelope.c: the one parser every helper runs on bytes from
 * another process. Round trips, version, body, bounds, garbage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "envelope.h"

/* Packs env as is (version included, unlike envelope_pack) and unpacks. */
static Envelope *raw_round_trip(const Envelope *env, char *err, size_t len)
{
	size_t n = autonomy__envelope__get_packed_size(env);
	uint8_t *buf = malloc(n ? n : 1);
	Envelope *out;

	assert_non_null(buf);
	autonomy__envelope__pack(env, buf);
	out = envelope_unpack(buf, n, err, len);
	free(buf);
	return out;
}

static void expect_refused(const Envelope *env, const char *why)
{
	char err[256] = "";
	Envelope *out = raw_round_trip(env, err, sizeof(err));

	if (out != NULL) {
		envelope_free(out);
		fail_msg("accepted; wanted refusal for: %s", why);
	}
	if (strstr(err, why) == NULL)
		fail_msg("refused with \"%s\"; wanted \"%s\"", err, why);
}

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void test_round_trip(void **state)
{
	Envelope env = AUTONOMY__ENVELOPE__INIT, *out;
	Autonomy__WalAppend a = AUTONOMY__WAL_APPEND__INIT;
	Autonomy__Attr at[2] = {AUTONOMY__ATTR__INIT, AUTONOMY__ATTR__INIT};
	Autonomy__Attr *pat[2] = {&at[0], &at[1]};
	uint8_t *buf;
	size_t len;
	char err[256];

	(void)state;
	a.audit_id = "0b7a7f8e-8a43-4a53-9d41-5d4c3b2a1f00";
	a.kind = "policy.allow";
	a.tool = "tool.echo";
	at[0].key = "policy";
	at[0].value = "demo@0.1.0";
	at[1].key = "empty";
	at[1].value = "";
	a.n_attrs = 2;
	a.attrs = pat;
	env.version = 99; /* envelope_pack sets the version */
	env.body_case = AUTONOMY__ENVELOPE__BODY_WAL_APPEND;
	env.wal_append = &a;
	assert_int_equal(envelope_pack(&env, &buf, &len), 0);
	assert_int_equal(env.version, ENVELOPE_VERSION);
	out = envelope_unpack(buf, len, err, sizeof(err));
	free(buf);
	assert_non_null(out);
	assert_int_equal(out->version, ENVELOPE_VERSION);
	assert_int_equal(out->body_case, AUTONOMY__ENVELOPE__BODY_WAL_APPEND);
	assert_string_equal(out->wal_append->audit_id, a.audit_id);
	assert_string_equal(out->wal_append->kind, "policy.allow");
	assert_string_equal(out->wal_append->tool, "tool.echo");
	assert_int_equal(out->wal_append->n_attrs, 2);
	assert_string_equal(out->wal_append->attrs[0]->key, "policy");
	assert_string_equal(out->wal_append->attrs[0]->value, "demo@0.1.0");
	assert_string_equal(out->wal_append->attrs[1]->value, "");
	assert_string_equal(envelope_body_name(out), "WalAppend");
	envelope_free(out);
}

static void test_round_trip_at_bounds(void **state)
{
	Envelope env = AUTONOMY__ENVELOPE__INIT, *out;
	Autonomy__WalAppend a = AUTONOMY__WAL_APPEND__INIT;
	Autonomy__Attr at[ENV_MAX_ATTRS], *pat[ENV_MAX_ATTRS];
	char *kind = repeat('k', ENV_MAX_KIND);
	char *id = repeat('i', ENV_MAX_AUDIT_ID);
	char *key = repeat('K', ENV_MAX_ATTR_KEY);
	char *val = repeat('v', ENV_MAX_ATTR_VALUE);
	char err[256];

	(void)state;
	for (int i = 0; i < ENV_MAX_ATTRS; i++) {
		autonomy__attr__init(&at[i]);
		at[i].key = key;
		at[i].value = val;
		pat[i] = &at[i];
	}
	a.kind = kind;
	a.audit_id = id;
	a.tool = kind;
	a.n_attrs = ENV_MAX_ATTRS;
	a.attrs = pat;
	env.version = ENVELOPE_VERSION;
	env.body_case = AUTONOMY__ENVELOPE__BODY_WAL_APPEND;
	env.wal_append = &a;
	out = raw_round_trip(&env, err, sizeof(err));
	if (out == NULL)
		fail_msg("at-bound append refused: %s", err);
	assert_int_equal(out->wal_append->n_attrs, ENV_MAX_ATTRS);
	envelope_free(out);
	free(kind);
	free(id);
	free(key);
	free(val);
}

static void test_version_mismatch(void **state)
{
	Envelope env = AUTONOMY__ENVELOPE__INIT;
	Autonomy__Ack ack = AUTONOMY__ACK__INIT;

	(void)state;
	env.body_case = AUTONOMY__ENVELOPE__BODY_ACK;
	env.ack = &ack;
	env.version = 2;
	expect_refused(&env, "version 2");
	env.version = 0;
	expect_refused(&env, "version 0");
}

static void test_no_body(void **state)
{
	Envelope env = AUTONOMY__ENVELOPE__INIT;
	char err[256] = "";

	(void)state;
	env.version = ENVELOPE_VERSION;
	expect_refused(&env, "no body");
	/* Zero bytes: version 0 and no body. */
	assert_null(envelope_unpack((const uint8_t *)"", 0, err, sizeof(err)));
}

static void test_oversize_fields_refused(void **state)
{
	Envelope env = AUTONOMY__ENVELOPE__INIT;
	Autonomy__WalAppend a = AUTONOMY__WAL_APPEND__INIT;
	Autonomy__Attr at[ENV_MAX_ATTRS + 1], *pat[ENV_MAX_ATTRS + 1];
	Autonomy__PeerTable t = AUTONOMY__PEER_TABLE__INIT;
	Autonomy__Peer p[ENV_MAX_PEERS + 1], *pp[ENV_MAX_PEERS + 1];
	Autonomy__WalAck ack = AUTONOMY__WAL_ACK__INIT;
	uint8_t h[31] = {0};
	char *kind = repeat('k', ENV_MAX_KIND + 1);
	char *id = repeat('i', ENV_MAX_AUDIT_ID + 1);
	char *key = repeat('K', ENV_MAX_ATTR_KEY + 1);
	char *val = repeat('v', ENV_MAX_ATTR_VALUE + 1);

	(void)state;
	for (int i = 0; i <= ENV_MAX_ATTRS; i++) {
		autonomy__attr__init(&at[i]);
		at[i].key = "k";
		at[i].value = "v";
		pat[i] = &at[i];
	}
	env.version = ENVELOPE_VERSION;
	env.body_case = AUTONOMY__ENVELOPE__BODY_WAL_APPEND;
	env.wal_append = &a;
	a.kind = kind;
	expect_refused(&env, "kind: longer than");
	a.kind = "";
	expect_refused(&env, "kind: empty");
	a.kind = "run.start";
	a.audit_id = id;
	expect_refused(&env, "audit_id: longer than");
	a.audit_id = "";
	a.attrs = pat;
	a.n_attrs = ENV_MAX_ATTRS + 1;
	expect_refused(&env, "attrs: more than");
	a.n_attrs = 1;
	at[0].key = key;
	expect_refused(&env, "attr key: longer than");
	at[0].key = "";
	expect_refused(&env, "attr key: empty");
	at[0].key = "k";
	at[0].value = val;
	expect_refused(&env, "attr value: longer than");

	for (int i = 0; i <= ENV_MAX_PEERS; i++) {
		autonomy__peer__init(&p[i]);
		p[i].origin = "policyd";
		p[i].pid = 100 + i;
		pp[i] = &p[i];
	}
	env.body_case = AUTONOMY__ENVELOPE__BODY_PEER_TABLE;
	env.peer_table = &t;
	t.peers = pp;
	t.n_peers = ENV_MAX_PEERS + 1;
	expect_refused(&env, "peers: more than");
	t.n_peers = 1;
	p[0].pid = 1;
	expect_refused(&env, "pid 1 invalid");

	env.body_case = AUTONOMY__ENVELOPE__BODY_WAL_ACK;
	env.wal_ack = &ack;
	ack.hash.data = h;
	ack.hash.len = sizeof(h);
	expect_refused(&env, "hash: 31 bytes");

	free(kind);
	free(id);
	free(key);
	free(val);
}

static void test_oversize_message_refused(void **state)
{
	Envelope env = AUTONOMY__ENVELOPE__INIT;
	Autonomy__ToolRequest r = AUTONOMY__TOOL_REQUEST__INIT;
	char *json = repeat(' ', ENVELOPE_MAX_BYTES);
	uint8_t *buf = calloc(1, ENVELOPE_MAX_BYTES + 1);
	size_t len;
	char err[256] = "";

	(void)state;
	assert_non_null(buf);
	r.kind = "tool.echo";
	r.params_json = json;
	env.body_case = AUTONOMY__ENVELOPE__BODY_TOOL_REQUEST;
	env.tool_request = &r;
	assert_int_equal(envelope_pack(&env, &buf, &len), -1);
	assert_null(
	    envelope_unpack(buf, ENVELOPE_MAX_BYTES + 1, err, sizeof(err)));
	assert_non_null(strstr(err, "exceeds"));
	free(json);
	free(buf);
}

/* A string with an embedded NUL would reach us cut short at the NUL
 * ("run.start\0x" read as "run.start"); unknown fields would be dropped
 * silently. Both are refused: only the canonical encoding is accepted. */
static void test_non_canonical_refused(void **state)
{
	/* version 1, wal_append (field 12) { kind (field 2) "run.start\0x" } */
	static const uint8_t nul[] = {0x08, 0x01, 0x62, 0x0d, 0x12, 0x0b,
	                              'r',  'u',  'n',  '.',  's',  't',
	                              'a',  'r',  't',  0x00, 'x'};
	/* the same without the NUL is accepted (positive control) */
	static const uint8_t ok[] = {0x08, 0x01, 0x62, 0x0b, 0x12,
	                             0x09, 'r',  'u',  'n',  '.',
	                             's',  't',  'a',  'r',  't'};
	/* ok plus an unknown field 99 (varint 1) */
	static const uint8_t unknown[] = {0x08, 0x01, 0x62, 0x0b, 0x12, 0x09,
	                                  'r',  'u',  'n',  '.',  's',  't',
	                                  'a',  'r',  't',  0x98, 0x06, 0x01};
	char err[256];
	Envelope *e;

	(void)state;
	e = envelope_unpack(ok, sizeof(ok), err, sizeof(err));
	assert_non_null(e);
	assert_string_equal(e->wal_append->kind, "run.start");
	envelope_free(e);
	assert_null(envelope_unpack(nul, sizeof(nul), err, sizeof(err)));
	assert_non_null(strstr(err, "non-canonical"));
	assert_null(
	    envelope_unpack(unknown, sizeof(unknown), err, sizeof(err)));
	assert_non_null(strstr(err, "non-canonical"));
}

static void test_garbage_refused(void **state)
{
	static const uint8_t junk[][8] = {
	    {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
	    {0x08, 0x01, 0x62, 0x7f, 0x00, 0x00, 0x00, 0x00}, /* len 127 > 6 */
	    {0x08, 0x01, 0x0b, 0x00, 0x00, 0x00, 0x00, 0x00}, /* group */
	};
	Envelope env = AUTONOMY__ENVELOPE__INIT;
	Autonomy__ToolRequest r = AUTONOMY__TOOL_REQUEST__INIT;
	uint8_t *buf, *cut;
	size_t len;
	char err[256];
	unsigned seed = 1;

	(void)state;
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		assert_null(envelope_unpack(junk[i], sizeof(junk[i]), err,
		                            sizeof(err)));

	/* Every strict prefix of a valid message is refused: the body is
	 * the last field, so a cut either breaks it or drops it. */
	r.kind = "tool.echo";
	r.params_json = "{\"a\":1}";
	env.body_case = AUTONOMY__ENVELOPE__BODY_TOOL_REQUEST;
	env.tool_request = &r;
	assert_int_equal(envelope_pack(&env, &buf, &len), 0);
	for (size_t n = 0; n < len; n++) {
		cut = malloc(n ? n : 1);
		memcpy(cut, buf, n);
		if (envelope_unpack(cut, n, err, sizeof(err)) != NULL)
			fail_msg("prefix of %zu/%zu bytes accepted", n, len);
		free(cut);
	}

	/* Random bytes: never a crash, and anything accepted passes the
	 * checks (ASan/UBSan builds make the first half meaningful). */
	for (int i = 0; i < 20000; i++) {
		uint8_t b[64];
		size_t n = (size_t)(rand_r(&seed) % sizeof(b));
		Envelope *e;
		for (size_t j = 0; j < n; j++)
			b[j] = (uint8_t)rand_r(&seed);
		if ((e = envelope_unpack(b, n, err, sizeof(err))) != NULL) {
			assert_int_equal(envelope_check(e, err, sizeof(err)),
			                 0);
			envelope_free(e);
		}
	}
	free(buf);
}

/* The workload's sandbox settings in a SpawnRequest. */
static void test_spawn_sandbox_fields(void **state)
{
	Envelope env = AUTONOMY__ENVELOPE__INIT;
	Autonomy__SpawnRequest s = AUTONOMY__SPAWN_REQUEST__INIT;
	char *argv[] = {"true"};
	char *caps[] = {"NET_RAW"};
	char *big = repeat('x', ENV_MAX_SECCOMP_JSON + 1);
	char *longpath = repeat('/', ENV_MAX_TMPFS_BYTES + 1);
	char *tmpfs[] = {"/tmp,/run:exec"};
	char *wm[] = {"/a:/b:ro"};
	char err[256];
	(void)state;

	s.argv = argv;
	s.n_argv = 1;
	s.cwd = "/";
	s.cap_drop = caps;
	s.n_cap_drop = 1;
	env.version = ENVELOPE_VERSION;
	env.body_case = AUTONOMY__ENVELOPE__BODY_SPAWN_REQUEST;
	env.spawn_request = &s;
	assert_int_equal(envelope_check(&env, err, sizeof(err)), 0);
	s.seccomp_mode = AUTONOMY__SECCOMP_MODE__SECCOMP_NONE;
	assert_int_equal(envelope_check(&env, err, sizeof(err)), 0);
	s.seccomp_mode = 7;
	expect_refused(&env, "seccomp_mode");
	/* a profile's text exactly with SECCOMP_PROFILE, and its path */
	s.seccomp_mode = AUTONOMY__SECCOMP_MODE__SECCOMP_PROFILE;
	expect_refused(&env, "seccomp_profile");
	s.seccomp_profile_json = "{}";
	expect_refused(&env, "seccomp_profile");
	s.seccomp_profile_path = "p.json";
	assert_int_equal(envelope_check(&env, err, sizeof(err)), 0);
	s.seccomp_mode = AUTONOMY__SECCOMP_MODE__SECCOMP_STARTER;
	expect_refused(&env, "seccomp_profile");
	s.seccomp_mode = AUTONOMY__SECCOMP_MODE__SECCOMP_PROFILE;
	s.seccomp_profile_json = big;
	expect_refused(&env, "seccomp_profile_json");
	s.seccomp_profile_json = "{}";
	s.n_cap_drop = ENV_MAX_CAP_DROP + 1;
	s.cap_drop = calloc(s.n_cap_drop, sizeof(char *));
	for (size_t i = 0; i < s.n_cap_drop; i++)
		s.cap_drop[i] = "ALL";
	expect_refused(&env, "cap_drop");
	free(s.cap_drop);
	s.n_cap_drop = 1;
	s.cap_drop = caps;
	/* the filesystem layer: counts and lengths bounded */
	s.read_only_rootfs = 1;
	s.tmpfs = tmpfs;
	s.n_tmpfs = 1;
	s.writable_mounts = wm;
	s.n_writable_mounts = 1;
	assert_int_equal(envelope_check(&env, err, sizeof(err)), 0);
	s.n_tmpfs = ENV_MAX_TMPFS + 1;
	s.tmpfs = calloc(s.n_tmpfs, sizeof(char *));
	for (size_t i = 0; i < s.n_tmpfs; i++)
		s.tmpfs[i] = "/tmp";
	expect_refused(&env, "tmpfs");
	free(s.tmpfs);
	s.n_tmpfs = 1;
	s.tmpfs = tmpfs;
	tmpfs[0] = longpath;
	expect_refused(&env, "tmpfs");
	tmpfs[0] = "/tmp";
	s.n_writable_mounts = ENV_MAX_WRITABLE + 1;
	s.writable_mounts = calloc(s.n_writable_mounts, sizeof(char *));
	for (size_t i = 0; i < s.n_writable_mounts; i++)
		s.writable_mounts[i] = "/a:/b";
	expect_refused(&env, "writable_mounts");
	free(s.writable_mounts);
	s.n_writable_mounts = 1;
	s.writable_mounts = wm;
	wm[0] = longpath;
	expect_refused(&env, "writable_mounts");
	wm[0] = "/a:/b:ro";
	assert_int_equal(envelope_check(&env, err, sizeof(err)), 0);
	free(longpath);
	free(big);
}

/* The network layer in a SpawnRequest: a known mode, the kernel's
 * refusal exactly with NET_LANDLOCK_ONLY, bounded texts. */
static void test_spawn_net_fields(void **state)
{
	Envelope env = AUTONOMY__ENVELOPE__INIT;
	Autonomy__SpawnRequest s = AUTONOMY__SPAWN_REQUEST__INIT;
	char *argv[] = {"true"};
	char *big = repeat('x', ENV_MAX_TEXT + 1);
	char err[256];
	(void)state;

	s.argv = argv;
	s.n_argv = 1;
	s.cwd = "/";
	env.version = ENVELOPE_VERSION;
	env.body_case = AUTONOMY__ENVELOPE__BODY_SPAWN_REQUEST;
	env.spawn_request = &s;
	assert_int_equal(envelope_check(&env, err, sizeof(err)), 0);
	s.net = AUTONOMY__NET_MODE__NET_NONE;
	s.net_source = "--net none";
	assert_int_equal(envelope_check(&env, err, sizeof(err)), 0);
	s.net = 3;
	expect_refused(&env, "net 3 unknown");
	s.net = AUTONOMY__NET_MODE__NET_LANDLOCK_ONLY;
	expect_refused(&env, "net_refused");
	s.net_refused = "unshare(CLONE_NEWNET): Operation not permitted";
	assert_int_equal(envelope_check(&env, err, sizeof(err)), 0);
	s.net = AUTONOMY__NET_MODE__NET_NONE;
	expect_refused(&env, "net_refused");
	s.net_refused = "";
	s.net_source = big;
	expect_refused(&env, "net_source");
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_spawn_sandbox_fields),
	    cmocka_unit_test(test_spawn_net_fields),
	    cmocka_unit_test(test_round_trip_at_bounds),
	    cmocka_unit_test(test_version_mismatch),
	    cmocka_unit_test(test_no_body),
	    cmocka_unit_test(test_oversize_fields_refused),
	    cmocka_unit_test(test_oversize_message_refused),
	    cmocka_unit_test(test_non_canonical_refused),
	    cmocka_unit_test(test_garbage_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
