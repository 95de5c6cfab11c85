/* Bundles: the manifest rules, the tar reader's refusals, the canonical
 * tar, the cache and the wire format (supervisor/bundle.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>

#include "bundle.h"
#include "bundle_cache.h"

static const char good_manifest[] =
    "{\"kind\": \"bundle\", \"schema_version\": \"1.0\", \"name\": \"acme\","
    " \"version\": \"1.2.0\", \"channel\": \"stable\","
    " \"min_adk_version\": \"0.1.0\"}";

static const char allow_echo[] =
    "@id(\"allow-echo\")\n"
    "permit (principal, action == Action::\"tool.echo\", resource);\n";

static struct bundle_member member(const char *name, const char *data)
{
	struct bundle_member m = {(char *)name, (char *)data, strlen(data)};
	return m;
}

static struct bundle *from_manifest(const char *manifest, char *err)
{
	struct bundle_member mf = member("manifest.json", manifest);
	struct bundle_member p = member("policies/a.cedar", allow_echo);

	return bundle_from_members(&mf, &p, 1, NULL, NULL, "b/", err,
	                           BUNDLE_ERR_MAX);
}

/* good_manifest with its closing brace replaced by extra + "}". */
static char *manifest_with(const char *extra)
{
	static char buf[4096];
	size_t n = strlen(good_manifest) - 1;

	memcpy(buf, good_manifest, n);
	snprintf(buf + n, sizeof(buf) - n, "%s}", extra);
	return buf;
}

/* ---- the manifest --------------------------------------------------- */

static void manifest_accepts(void **state)
{
	static const char *const ok[] = {
	    "",
	    ", \"x-owner\": {\"team\": 1}",
	    ", \"description\": \"tools for acme\"",
	    ", \"dlopen_allowlist\": {\"paths\": [\"/usr/lib/libm.so\", "
	    "\"/usr/lib/libz.so.1\", \"/opt/l/libq.so.1.2.3\"]}",
	    ", \"runtime\": {\"allowed_domains\": [\"api.example.com\", "
	    "\"*.example.org\", \"localhost:8080\", \"10.0.0.1:443\"]}",
	    ", \"runtime\": {}",
	};
	char err[BUNDLE_ERR_MAX];
	(void)state;

	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
		struct bundle *b = from_manifest(manifest_with(ok[i]), err);
		if (b == NULL)
			fail_msg("case %zu refused: %s", i, err);
		assert_string_equal(b->policy_ref, "acme@1.2.0");
		assert_string_equal(b->channel, "stable");
		assert_int_equal(b->n_cedar_policies, 1);
		bundle_free(b);
	}
	{
		struct bundle *b = from_manifest(
		    "{\"kind\": \"bundle\", \"schema_version\": \"1.5\", "
		    "\"name\": \"a\", \"version\": \"0.0.1-rc.1\", "
		    "\"channel\": \"edge-2\", \"min_adk_version\": "
		    "\"0.1.0-alpha\"}",
		    err);
		if (b == NULL)
			fail_msg("schema 1.5 refused: %s", err);
		assert_string_equal(b->schema_version, "1.5");
		bundle_free(b);
	}
}

static void manifest_fields_kept(void **state)
{
	char err[BUNDLE_ERR_MAX];
	struct bundle *b =
	    from_manifest(manifest_with(", \"schema_version\": \"1.5\""), err);
	(void)state;

	/* a duplicate key is refused (JSON_REJECT_DUPLICATES) */
	assert_null(b);
	assert_non_null(strstr(err, "b/manifest.json:1:"));
	assert_non_null(strstr(err, "duplicate"));

	b = from_manifest(
	    manifest_with(", \"runtime\": {\"allowed_domains\": "
	                  "[\"*.example.com:8443\"], \"denied_ports\": [1]}, "
	                  "\"dlopen_allowlist\": {\"paths\": "
	                  "[\"/usr/lib/libfoo.so.6\"]}"),
	    err);
	assert_non_null(b);
	assert_int_equal(b->n_allowed_domains, 1);
	assert_string_equal(b->allowed_domains[0], "*.example.com:8443");
	assert_int_equal(b->n_dlopen_paths, 1);
	assert_string_equal(b->dlopen_paths[0], "/usr/lib/libfoo.so.6");
	/* an unknown runtime setting is accepted, with a warning naming it */
	assert_int_equal(b->n_warnings, 1);
	assert_non_null(
	    strstr(b->warnings[0], "b/manifest.json: runtime.denied_ports"));
	assert_string_equal(b->runtime_json,
	                    "{\"allowed_domains\":[\"*.example.com:8443\"],"
	                    "\"denied_ports\":[1]}");
	bundle_free(b);
}

struct reject {
	const char *manifest; /* whole text, or NULL: extra appended */
	const char *extra;
	const char *want; /* substring of the error */
};

static void manifest_rejects(void **state)
{
	static const struct reject cases[] = {
	    {"[]", NULL, "b/manifest.json: must be a JSON object"},
	    {"{\"kind\": ", NULL, "b/manifest.json:1:"},
	    {"{\"kind\": \"bundle\"}", NULL,
	     "b/manifest.json: schema_version: missing"},
	    {NULL, ", \"kind\": \"policy\"", "duplicate"},
	    {"{\"kind\": \"policy\", \"schema_version\": \"1.0\"}", NULL,
	     "manifest.json: kind: \"policy\" is not \"bundle\""},
	    {"{\"kind\": \"bundle\", \"schema_version\": \"2.0\"}", NULL,
	     "manifest.json: schema_version: \"2.0\" is not supported"},
	    {"{\"kind\": \"bundle\", \"schema_version\": \"1.6\"}", NULL,
	     "schema_version: \"1.6\" is not supported (1.0 to 1.5)"},
	    {"{\"kind\": \"bundle\", \"schema_version\": 1.0}", NULL,
	     "schema_version: must be a string"},
	    {"{\"kind\": \"bundle\", \"schema_version\": \"1.0\", "
	     "\"name\": \"Acme\"}",
	     NULL, "manifest.json: name: \"Acme\" must start and end"},
	    {"{\"kind\": \"bundle\", \"schema_version\": \"1.0\", "
	     "\"name\": \"a/b\"}",
	     NULL, "manifest.json: name: \"a/b\": only a-z"},
	    {"{\"kind\": \"bundle\", \"schema_version\": \"1.0\", "
	     "\"name\": 7}",
	     NULL, "manifest.json: name: must be a string"},
	    {"{\"kind\": \"bundle\", \"schema_version\": \"1.0\", "
	     "\"name\": \"a\", \"version\": \"1.0\"}",
	     NULL, "manifest.json: version: \"1.0\" is not a semantic"},
	    {"{\"kind\": \"bundle\", \"schema_version\": \"1.0\", "
	     "\"name\": \"a\", \"version\": \"01.0.0\"}",
	     NULL, "version: \"01.0.0\" is not a semantic"},
	    {"{\"kind\": \"bundle\", \"schema_version\": \"1.0\", "
	     "\"name\": \"a\", \"version\": \"1.0.0+git\"}",
	     NULL, "version: \"1.0.0+git\": build metadata"},
	    {"{\"kind\": \"bundle\", \"schema_version\": \"1.0\", "
	     "\"name\": \"a\", \"version\": \"1.0.0\", \"channel\": "
	     "\"Stable\"}",
	     NULL, "manifest.json: channel: \"Stable\""},
	    {"{\"kind\": \"bundle\", \"schema_version\": \"1.0\", "
	     "\"name\": \"a\", \"version\": \"1.0.0\", \"channel\": "
	     "\"stable\"}",
	     NULL, "manifest.json: min_adk_version: missing"},
	    {"{\"kind\": \"bundle\", \"schema_version\": \"1.0\", "
	     "\"name\": \"a\", \"version\": \"1.0.0\", \"channel\": "
	     "\"stable\", \"min_adk_version\": \"99.0.0\"}",
	     NULL, "min_adk_version: the bundle needs 99.0.0 or later"},
	    {NULL, ", \"allowed_domains\": []",
	     "manifest.json: allowed_domains: unknown field"},
	    {NULL, ", \"Name\": \"x\"", "manifest.json: Name: unknown field"},
	    {NULL, ", \"runtime\": []", "manifest.json: runtime: must be an"},
	    {NULL, ", \"runtime\": {\"allowed_domains\": \"a.com\"}",
	     "runtime.allowed_domains: must be an array"},
	    {NULL, ", \"runtime\": {\"allowed_domains\": [1]}",
	     "runtime.allowed_domains[0]: must be a string"},
	    {NULL, ", \"runtime\": {\"allowed_domains\": [\"*.com\"]}",
	     "runtime.allowed_domains[0]: \"*.com\": a wildcard needs"},
	    {NULL,
	     ", \"runtime\": {\"allowed_domains\": [\"a.com\", "
	     "\"Example.com\"]}",
	     "runtime.allowed_domains[1]: \"Example.com\": must be lowercase"},
	    {NULL, ", \"runtime\": {\"allowed_domains\": [\"ex*.com\"]}",
	     "a wildcard is only allowed as the whole first label"},
	    {NULL, ", \"runtime\": {\"allowed_domains\": [\"a.*.com\"]}",
	     "a wildcard is only allowed"},
	    {NULL, ", \"runtime\": {\"allowed_domains\": [\"a..com\"]}",
	     "a label must be 1 to 63"},
	    {NULL, ", \"runtime\": {\"allowed_domains\": [\"-a.com\"]}",
	     "may not start or end with '-'"},
	    {NULL, ", \"runtime\": {\"allowed_domains\": [\"a.com:0\"]}",
	     "the port must be 1 to 65535"},
	    {NULL, ", \"runtime\": {\"allowed_domains\": [\"a.com:65536\"]}",
	     "the port must be 1 to 65535"},
	    {NULL, ", \"runtime\": {\"allowed_domains\": [\"a.com:\"]}",
	     "the port must be 1 to 65535"},
	    {NULL, ", \"runtime\": {\"allowed_domains\": [\"http://a.com\"]}",
	     "allowed_domains[0]"},
	    {NULL, ", \"runtime\": {\"allowed_domains\": [\"[::1]\"]}",
	     "allowed_domains[0]"},
	    {NULL,
	     ", \"runtime\": {\"allowed_domains\": [\"a.com\", "
	     "\"a.com\"]}",
	     "runtime.allowed_domains[1]: \"a.com\" is listed twice"},
	    {NULL, ", \"dlopen_allowlist\": [\"/a.so\"]",
	     "manifest.json: dlopen_allowlist: must be an object"},
	    {NULL, ", \"dlopen_allowlist\": {\"path\": []}",
	     "dlopen_allowlist: unknown field \"path\""},
	    {NULL, ", \"dlopen_allowlist\": {}",
	     "dlopen_allowlist.paths: missing"},
	    {NULL, ", \"dlopen_allowlist\": {\"paths\": [\"libm.so\"]}",
	     "dlopen_allowlist.paths[0]: \"libm.so\": must be an absolute"},
	    {NULL, ", \"dlopen_allowlist\": {\"paths\": [\"/lib/*.so\"]}",
	     "dlopen_allowlist.paths[0]: \"/lib/*.so\": no globs"},
	    {NULL, ", \"dlopen_allowlist\": {\"paths\": [\"/lib/libm.so.a\"]}",
	     "must name a shared library ending in .so"},
	    {NULL, ", \"dlopen_allowlist\": {\"paths\": [\"/lib/libm.sox\"]}",
	     "must name a shared library"},
	    {NULL, ", \"dlopen_allowlist\": {\"paths\": [\"/lib/.so\"]}",
	     "must name a shared library"},
	    {NULL, ", \"dlopen_allowlist\": {\"paths\": [\"/lib/../x.so\"]}",
	     "must be normalized"},
	    {NULL, ", \"dlopen_allowlist\": {\"paths\": [\"/lib//x.so\"]}",
	     "must be normalized"},
	    {NULL, ", \"description\": 5", "description: must be a string"},
	};
	char err[BUNDLE_ERR_MAX];
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const char *m = cases[i].manifest
		                    ? cases[i].manifest
		                    : manifest_with(cases[i].extra);
		struct bundle *b;

		err[0] = '\0';
		b = from_manifest(m, err);
		if (b != NULL)
			fail_msg("case %zu accepted: %s", i, m);
		if (strstr(err, cases[i].want) == NULL)
			fail_msg("case %zu: want \"%s\" in \"%s\"", i,
			         cases[i].want, err);
	}
}

static void field_rules(void **state)
{
	(void)state;
	assert_int_equal(bundle_check_version("1.0.0-rc.1", NULL, 0), 0);
	assert_int_equal(bundle_check_version("1.0.0-01", NULL, 0), -1);
	assert_int_equal(bundle_check_version("1.0.0-", NULL, 0), -1);
	assert_int_equal(bundle_check_name("a.b_c-9", NULL, 0), 0);
	assert_int_equal(bundle_check_name("a-", NULL, 0), -1);
	assert_int_equal(bundle_check_domain("localhost", NULL, 0), 0);
	assert_int_equal(bundle_check_domain("*.a.b:1", NULL, 0), 0);
	assert_int_equal(bundle_check_domain("*", NULL, 0), -1);
	assert_int_equal(bundle_check_domain(":80", NULL, 0), -1);
	assert_int_equal(bundle_check_dlopen_path("/a/libb.so.12", NULL, 0), 0);
	assert_int_equal(bundle_check_dlopen_path("/a/libb.so.1.", NULL, 0),
	                 -1);
	assert_int_equal(bundle_is_reference("acme:1.2.0"), 1);
	assert_int_equal(
	    bundle_is_reference("acme@sha256:"
	                        "0123456789abcdef0123456789abcdef0123456789"
	                        "abcdef0123456789abcdef"),
	    1);
	assert_int_equal(bundle_is_reference("acme@sha256:0123"), 0);
	assert_int_equal(bundle_is_reference("acme:latest"), 0);
	assert_int_equal(bundle_is_reference("./acme:1.2.0"), 0);
	assert_int_equal(bundle_is_reference("acme"), 0);
}

/* ---- the policies and entities -------------------------------------- */

static void policies_checked(void **state)
{
	struct bundle_member mf = member("manifest.json", good_manifest);
	struct bundle_member bad =
	    member("policies/z.cedar", "permit(principal, action, resource)"
	                               "\nwhen { 1 + };\n");
	struct bundle_member tpl =
	    member("policies/t.cedar",
	           "permit(principal == ?principal, action, resource);");
	struct bundle_member ok[2] = {
	    member("policies/b.cedar", "forbid(principal, action, resource) "
	                               "when { context has x };"),
	    member("policies/a.cedar", allow_echo)};
	struct bundle_member badname = member("policies/a b.cedar", allow_echo);
	struct bundle_member ents = member("entities.json", "[{\"uid\": 1}]");
	struct bundle_member ents_ok =
	    member("entities.json",
	           "[{\"uid\": {\"type\": \"Agent\", \"id\": \"agent\"}, "
	           "\"attrs\": {}, \"parents\": []}]");
	char err[BUNDLE_ERR_MAX];
	struct bundle *b;
	(void)state;

	b = bundle_from_members(&mf, &bad, 1, NULL, NULL, "x.tar: ", err,
	                        sizeof(err));
	assert_null(b);
	/* file:line:col */
	assert_non_null(strstr(err, "x.tar: policies/z.cedar:2:"));
	b = bundle_from_members(&mf, &tpl, 1, NULL, NULL, "", err, sizeof(err));
	assert_null(b);
	assert_non_null(strstr(err, "policies/t.cedar"));
	assert_non_null(strstr(err, "template"));
	b = bundle_from_members(&mf, &badname, 1, NULL, NULL, "", err,
	                        sizeof(err));
	assert_null(b);
	assert_non_null(strstr(err, "policies/a b.cedar"));
	b = bundle_from_members(&mf, NULL, 0, NULL, NULL, "d/", err,
	                        sizeof(err));
	assert_null(b);
	assert_non_null(strstr(err, "d/policies/: no .cedar files"));
	b = bundle_from_members(&mf, ok, 2, &ents, NULL, "d/", err,
	                        sizeof(err));
	assert_null(b);
	assert_non_null(strstr(err, "d/entities.json"));

	/* sorted by name: a.cedar's policy is policy0 */
	b = bundle_from_members(&mf, ok, 2, &ents_ok, NULL, "d/", err,
	                        sizeof(err));
	assert_non_null(b);
	assert_string_equal(b->policies[0].name, "policies/a.cedar");
	assert_int_equal(b->n_cedar_policies, 2);
	{
		struct policy_set *set = bundle_policy_set(b, err, sizeof(err));
		struct policy_request req;
		struct policy_decision d;
		json_t *params = json_pack("{s:i}", "x", 1);

		assert_non_null(set);
		assert_string_equal(policy_set_ref(set), "acme@1.2.0");
		assert_int_equal(policy_request_for_tool(&req, "tool.echo",
		                                         params, NULL, NULL),
		                 0);
		assert_int_equal(policy_decide(set, &req, &d), 0);
		assert_int_equal(d.effect, POLICY_DENY);
		assert_string_equal(d.policies[0], "policy1");
		policy_request_clear(&req);
		json_decref(params);
		policy_set_free(set);
	}
	bundle_free(b);
}

static void embedded_bundles(void **state)
{
	char err[BUNDLE_ERR_MAX];
	struct bundle *b = bundle_embedded(0, err, sizeof(err));
	struct bundle *m =
	    bundle_resolve("builtin:mavlink-demo", NULL, err, sizeof(err));
	(void)state;

	assert_non_null(b);
	assert_non_null(m);
	assert_string_equal(b->policy_ref, POLICY_DEMO_REF);
	assert_string_equal(m->policy_ref, POLICY_MAVLINK_DEMO_REF);
	assert_int_equal(b->n_policies, 1);
	assert_memory_equal(b->policies[0].data, policy_demo_cedar,
	                    policy_demo_cedar_len);
	assert_int_equal(strncmp(b->digest, "sha256:", 7), 0);
	bundle_free(b);
	bundle_free(m);
	assert_null(bundle_resolve("builtin:nope", NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "unknown builtin"));
}

/* ---- tars ----------------------------------------------------------- */

struct tar_ent {
	const char *name;
	mode_t type;      /* AE_IFREG, AE_IFDIR, AE_IFLNK, ... */
	const char *data; /* file content, or the link target */
	int hardlink;
};

struct wb {
	unsigned char *p;
	size_t len, cap;
};

static la_ssize_t wb_write(struct archive *a, void *ctx, const void *d,
                           size_t n)
{
	struct wb *w = ctx;
	(void)a;

	if (w->len + n > w->cap) {
		w->cap = (w->len + n) * 2;
		w->p = realloc(w->p, w->cap);
		assert_non_null(w->p);
	}
	memcpy(w->p + w->len, d, n);
	w->len += n;
	return (la_ssize_t)n;
}

/* A pax tar of the entries (anything the tests need to be refused). */
static struct wb make_tar(const struct tar_ent *e, size_t n)
{
	struct archive *a = archive_write_new();
	struct wb w = {0};

	assert_int_equal(archive_write_set_format_pax_restricted(a),
	                 ARCHIVE_OK);
	assert_int_equal(archive_write_open(a, &w, NULL, wb_write, NULL),
	                 ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *ae = archive_entry_new();
		size_t len =
		    e[i].data && e[i].type == AE_IFREG ? strlen(e[i].data) : 0;

		archive_entry_set_pathname(ae, e[i].name);
		archive_entry_set_filetype(ae, e[i].type);
		archive_entry_set_perm(ae, 0644);
		if (e[i].type == AE_IFLNK)
			archive_entry_set_symlink(ae, e[i].data);
		if (e[i].hardlink) {
			archive_entry_set_hardlink(ae, e[i].data);
			len = 0;
		}
		archive_entry_set_size(ae, (la_int64_t)len);
		assert_int_equal(archive_write_header(a, ae), ARCHIVE_OK);
		if (len > 0)
			assert_int_equal(archive_write_data(a, e[i].data, len),
			                 (la_ssize_t)len);
		archive_entry_free(ae);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	return w;
}

static struct bundle *load_ents(const struct tar_ent *e, size_t n, char *err)
{
	struct wb w = make_tar(e, n);
	struct bundle *b =
	    bundle_load_tar_mem(w.p, w.len, "t.tar", err, BUNDLE_ERR_MAX);

	free(w.p);
	return b;
}

#define MANIFEST_ENT                                                           \
	{                                                                      \
		"manifest.json", AE_IFREG, good_manifest, 0                    \
	}
#define POLICY_ENT                                                             \
	{                                                                      \
		"policies/a.cedar", AE_IFREG, allow_echo, 0                    \
	}

static void tar_accepts_dot_prefix_and_dirs(void **state)
{
	const struct tar_ent e[] = {
	    {"./", AE_IFDIR, NULL, 0},
	    {"./manifest.json", AE_IFREG, good_manifest, 0},
	    {"./policies/", AE_IFDIR, NULL, 0},
	    {"./policies/a.cedar", AE_IFREG, allow_echo, 0},
	};
	char err[BUNDLE_ERR_MAX];
	struct bundle *b = load_ents(e, 4, err);
	struct bundle *c;
	const struct tar_ent plain[] = {POLICY_ENT, MANIFEST_ENT};
	(void)state;

	if (b == NULL)
		fail_msg("%s", err);
	/* the digest is of the canonical tar: the same members in another
	 * layout give the same digest */
	c = load_ents(plain, 2, err);
	assert_non_null(c);
	assert_string_equal(b->digest, c->digest);
	bundle_free(b);
	bundle_free(c);
}

struct tar_reject {
	struct tar_ent e[3];
	size_t n;
	const char *want;
};

static void tar_refusals(void **state)
{
	static const struct tar_reject cases[] = {
	    {{MANIFEST_ENT, {"../evil.cedar", AE_IFREG, "x", 0}},
	     2,
	     "t.tar: ../evil.cedar: path leaves the bundle"},
	    {{MANIFEST_ENT, {"policies/../../x", AE_IFREG, "x", 0}},
	     2,
	     "path leaves the bundle"},
	    {{MANIFEST_ENT, {"/etc/passwd", AE_IFREG, "x", 0}},
	     2,
	     "t.tar: /etc/passwd: absolute path"},
	    {{MANIFEST_ENT, {"policies\\a.cedar", AE_IFREG, "x", 0}},
	     2,
	     "backslash"},
	    {{MANIFEST_ENT, {"policies/a.cedar", AE_IFLNK, "/etc/passwd", 0}},
	     2,
	     "t.tar: policies/a.cedar: a symlink (refused)"},
	    {{MANIFEST_ENT, {"policies/a.cedar", AE_IFREG, "manifest.json", 1}},
	     2,
	     "policies/a.cedar: a hard link (refused)"},
	    {{MANIFEST_ENT, {"policies/a.cedar", AE_IFCHR, NULL, 0}},
	     2,
	     "a character device (refused)"},
	    {{MANIFEST_ENT, {"policies/a.cedar", AE_IFIFO, NULL, 0}},
	     2,
	     "a fifo (refused)"},
	    {{MANIFEST_ENT, POLICY_ENT, MANIFEST_ENT},
	     3,
	     "t.tar: manifest.json: appears twice"},
	    {{MANIFEST_ENT, POLICY_ENT, POLICY_ENT},
	     3,
	     "t.tar: policies/a.cedar: appears twice"},
	    {{MANIFEST_ENT, POLICY_ENT, {"README.md", AE_IFREG, "hi", 0}},
	     3,
	     "t.tar: README.md: unexpected file"},
	    {{MANIFEST_ENT, {"policies/sub/a.cedar", AE_IFREG, allow_echo, 0}},
	     2,
	     "policies/sub/a.cedar: unexpected file"},
	    {{MANIFEST_ENT, {"policies/sub", AE_IFDIR, NULL, 0}},
	     2,
	     "policies/sub/: unexpected directory"},
	    {{MANIFEST_ENT, {"policies/a.txt", AE_IFREG, "x", 0}},
	     2,
	     "policies/a.txt: a policy file is named"},
	    {{MANIFEST_ENT, {"policies/./a.cedar", AE_IFREG, allow_echo, 0}},
	     2,
	     "not a normalized path"},
	    {{POLICY_ENT}, 1, "t.tar: manifest.json: missing"},
	    {{MANIFEST_ENT}, 1, "t.tar: policies/: no .cedar files"},
	};
	char err[BUNDLE_ERR_MAX];
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct bundle *b;

		err[0] = '\0';
		b = load_ents(cases[i].e, cases[i].n, err);
		if (b != NULL)
			fail_msg("case %zu accepted", i);
		if (strstr(err, cases[i].want) == NULL)
			fail_msg("case %zu: want \"%s\" in \"%s\"", i,
			         cases[i].want, err);
	}
}

static void tar_bounds(void **state)
{
	char err[BUNDLE_ERR_MAX];
	char *big = malloc(BUNDLE_MAX_MANIFEST + 2);
	struct tar_ent e[2] = {{"manifest.json", AE_IFREG, big, 0}, POLICY_ENT};
	struct tar_ent many[BUNDLE_MAX_TAR_ENTRIES + 2];
	char names[BUNDLE_MAX_TAR_ENTRIES + 2][32];
	static const unsigned char gz[] = {0x1f, 0x8b, 8, 0};
	struct bundle *b;
	(void)state;

	memset(big, ' ', BUNDLE_MAX_MANIFEST + 1);
	big[BUNDLE_MAX_MANIFEST + 1] = '\0';
	b = load_ents(e, 2, err);
	assert_null(b);
	assert_non_null(strstr(err, "t.tar: manifest.json: 65537 bytes, "
	                            "more than 65536"));
	free(big);

	for (size_t i = 0; i < sizeof(many) / sizeof(*many); i++) {
		snprintf(names[i], sizeof(names[i]), "policies/p%zu.cedar", i);
		many[i] = (struct tar_ent){names[i], AE_IFREG, "", 0};
	}
	b = load_ents(many, sizeof(many) / sizeof(*many), err);
	assert_null(b);
	/* the file count bound (256) trips before the entry bound */
	assert_non_null(strstr(err, "more than"));

	b = bundle_load_tar_mem(gz, sizeof(gz), "z.tar", err, sizeof(err));
	assert_null(b);
	assert_non_null(strstr(err, "compressed"));
	b = bundle_load_tar_mem("garbage!", 8, "g.tar", err, sizeof(err));
	assert_null(b);
	assert_non_null(strstr(err, "g.tar"));
}

/* ---- the canonical tar and pack ------------------------------------- */

static char tmpdir[256];

static void write_file(const char *dir, const char *name, const char *data)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	fputs(data, f);
	fclose(f);
}

static void *slurp(const char *path, size_t *len)
{
	void *buf;
	char err[BUNDLE_ERR_MAX];

	if (bundle_read_file(path, 1u << 26, 0, &buf, len, err, sizeof(err)) <
	    0)
		fail_msg("%s", err);
	return buf;
}

/* A bundle directory under tmpdir. */
static void make_dir(const char *dir)
{
	char p[512];

	mkdir(dir, 0755);
	snprintf(p, sizeof(p), "%s/policies", dir);
	mkdir(p, 0755);
	write_file(dir, "manifest.json", good_manifest);
	write_file(dir, "policies/b.cedar",
	           "forbid(principal, action, "
	           "resource) when { false };\n");
	write_file(dir, "policies/a.cedar", allow_echo);
}

static void pack_is_reproducible(void **state)
{
	char dir[512], t1[512], t2[512], err[BUNDLE_ERR_MAX],
	    digest[BUNDLE_DIGEST_LEN + 1];
	struct bundle *b1, *b2;
	size_t l1, l2;
	void *d1, *d2;
	(void)state;

	snprintf(dir, sizeof(dir), "%s/repro", tmpdir);
	make_dir(dir);
	snprintf(t1, sizeof(t1), "%s/one.tar", tmpdir);
	snprintf(t2, sizeof(t2), "%s/two.tar", tmpdir);
	assert_non_null(b1 = bundle_load_dir(dir, err, sizeof(err)));
	assert_int_equal(bundle_pack(b1, t1, err, sizeof(err)), 0);
	/* other mtimes, modes and creation order change nothing */
	sleep(1);
	snprintf(err, sizeof(err), "%s/policies/a.cedar", dir);
	unlink(err);
	write_file(dir, "policies/a.cedar", allow_echo);
	chmod(err, 0600);
	assert_non_null(b2 = bundle_load_dir(dir, err, sizeof(err)));
	assert_int_equal(bundle_pack(b2, t2, err, sizeof(err)), 0);
	d1 = slurp(t1, &l1);
	d2 = slurp(t2, &l2);
	assert_int_equal(l1, l2);
	assert_memory_equal(d1, d2, l1);
	/* the digest is the packed file's SHA-256 */
	bundle_sha256(d1, l1, digest);
	assert_string_equal(digest, b1->digest);
	assert_string_equal(b1->digest, b2->digest);
	/* the packed tar loads back to the same bundle */
	bundle_free(b2);
	assert_non_null(b2 = bundle_load_tar(t1, err, sizeof(err)));
	assert_string_equal(b2->digest, b1->digest);
	assert_int_equal(b2->n_policies, 2);
	free(d1);
	free(d2);
	bundle_free(b1);
	bundle_free(b2);
}

static void dir_refusals(void **state)
{
	char dir[512], p[600], err[BUNDLE_ERR_MAX];
	(void)state;

	snprintf(dir, sizeof(dir), "%s/dirref", tmpdir);
	make_dir(dir);
	snprintf(p, sizeof(p), "%s/policies/c.cedar", dir);
	assert_int_equal(symlink("/etc/hostname", p), 0);
	assert_null(bundle_load_dir(dir, err, sizeof(err)));
	assert_non_null(strstr(err, "dirref/policies/c.cedar"));
	assert_non_null(strstr(err, "symlink"));
	unlink(p);
	write_file(dir, "NOTES.txt", "x");
	assert_null(bundle_load_dir(dir, err, sizeof(err)));
	assert_non_null(strstr(err, "dirref/NOTES.txt: unexpected file"));
	snprintf(p, sizeof(p), "%s/NOTES.txt", dir);
	unlink(p);
	{
		struct bundle *b = bundle_load_path(dir, err, sizeof(err));
		assert_non_null(b);
		bundle_free(b);
	}
}

/* ---- the cache ------------------------------------------------------ */

static struct bundle *bundle_v(const char *version, const char *policy)
{
	char mf[512], err[BUNDLE_ERR_MAX];
	struct bundle_member m, p = member("policies/a.cedar", policy);
	struct bundle *b;
	size_t len;
	void *tar;

	snprintf(mf, sizeof(mf),
	         "{\"kind\": \"bundle\", \"schema_version\": \"1.1\", "
	         "\"name\": \"acme\", \"version\": \"%s\", \"channel\": "
	         "\"beta\", \"min_adk_version\": \"0.0.1\"}",
	         version);
	m = member("manifest.json", mf);
	b = bundle_from_members(&m, &p, 1, NULL, NULL, "", err, sizeof(err));
	assert_non_null(b);
	tar = bundle_canonical_tar(b, &len, err, sizeof(err));
	assert_non_null(tar);
	bundle_sha256(tar, len, b->digest);
	free(tar);
	return b;
}

static void cache_import_resolve_tamper(void **state)
{
	char cache[512], err[BUNDLE_ERR_MAX], old[BUNDLE_DIGEST_LEN + 1],
	    ref[128], blob[700];
	struct bundle *b1 = bundle_v("1.0.0", allow_echo);
	struct bundle *b1x = bundle_v("1.0.0", "permit(principal, action, "
	                                       "resource);");
	struct bundle *b2 = bundle_v("2.0.0", allow_echo);
	struct bundle *r;
	struct bundle_cache_entry *v;
	size_t n;
	FILE *f;
	(void)state;

	snprintf(cache, sizeof(cache), "%s/cache/nested", tmpdir);
	/* a missing cache lists empty */
	assert_int_equal(bundle_cache_list(cache, &v, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	free(v);
	assert_int_equal(bundle_cache_import(cache, b1, old, err, sizeof(err)),
	                 BUNDLE_IMPORT_NEW);
	assert_int_equal(bundle_cache_import(cache, b1, old, err, sizeof(err)),
	                 BUNDLE_IMPORT_SAME);
	assert_int_equal(bundle_cache_import(cache, b2, old, err, sizeof(err)),
	                 BUNDLE_IMPORT_NEW);
	assert_int_equal(bundle_cache_import(cache, b1x, old, err, sizeof(err)),
	                 BUNDLE_IMPORT_REPLACED);
	assert_string_equal(old, b1->digest);
	snprintf(blob, sizeof(blob), "%s/oci-layout", cache);
	assert_int_equal(access(blob, R_OK), 0);

	assert_int_equal(bundle_cache_list(cache, &v, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].version, "1.0.0");
	assert_string_equal(v[0].digest, b1x->digest);
	assert_string_equal(v[0].channel, "beta");
	assert_string_equal(v[1].version, "2.0.0");
	assert_string_equal(v[1].problem, "");
	free(v);

	r = bundle_resolve("acme:1.0.0", cache, err, sizeof(err));
	assert_non_null(r);
	assert_string_equal(r->digest, b1x->digest);
	bundle_free(r);
	snprintf(ref, sizeof(ref), "acme@%s", b2->digest);
	r = bundle_resolve(ref, cache, err, sizeof(err));
	assert_non_null(r);
	assert_string_equal(r->version, "2.0.0");
	bundle_free(r);
	/* the replaced content is no longer referenced */
	snprintf(ref, sizeof(ref), "acme@%s", b1->digest);
	assert_null(bundle_resolve(ref, cache, err, sizeof(err)));
	assert_non_null(strstr(err, "not in the cache"));
	assert_null(bundle_resolve("acme:3.0.0", cache, err, sizeof(err)));
	assert_non_null(strstr(err, "acme:3.0.0: not in the cache"));
	assert_null(bundle_resolve("other:1.0.0", cache, err, sizeof(err)));

	/* tamper: one byte appended to the 2.0.0 bundle's layer */
	snprintf(blob, sizeof(blob), "%s/blobs/sha256/%s", cache,
	         b2->digest + 7);
	assert_non_null(f = fopen(blob, "a"));
	fputc('x', f);
	fclose(f);
	assert_null(bundle_resolve("acme:2.0.0", cache, err, sizeof(err)));
	assert_non_null(strstr(err, "does not match its digest"));
	assert_int_equal(bundle_cache_list(cache, &v, &n, err, sizeof(err)), 0);
	assert_string_not_equal(v[1].problem, "");
	free(v);
	/* importing it again repairs the blob */
	assert_int_equal(bundle_cache_import(cache, b2, old, err, sizeof(err)),
	                 BUNDLE_IMPORT_SAME);
	assert_non_null(
	    r = bundle_resolve("acme:2.0.0", cache, err, sizeof(err)));
	bundle_free(r);

	/* a corrupt index is named */
	snprintf(blob, sizeof(blob), "%s/index.json", cache);
	assert_non_null(f = fopen(blob, "w"));
	fputs("{\"schemaVersion\": 2, \"manifests\": ", f);
	fclose(f);
	assert_null(bundle_resolve("acme:2.0.0", cache, err, sizeof(err)));
	assert_non_null(strstr(err, "index.json:1:"));

	bundle_free(b1);
	bundle_free(b1x);
	bundle_free(b2);
}

/* ---- the wire format ------------------------------------------------ */

static void wire_round_trip_and_refusals(void **state)
{
	struct bundle_member mf = member(
	    "manifest.json",
	    manifest_with(", \"runtime\": {\"allowed_domains\": [\"a.com\"]}"));
	struct bundle_member p[2] = {member("policies/a.cedar", allow_echo),
	                             member("policies/b.cedar", "")};
	struct bundle_member ents = member("entities.json", "[]");
	char err[BUNDLE_ERR_MAX];
	struct bundle *b, *c;
	unsigned char *buf, *bad;
	size_t len;
	(void)state;

	b = bundle_from_members(&mf, p, 2, &ents,
	                        "sha256:"
	                        "0000000000000000000000000000000000000000000000"
	                        "000000000000000000",
	                        "", err, sizeof(err));
	assert_non_null(b);
	assert_non_null(buf = bundle_serialize(b, &len));
	assert_memory_equal(buf, BUNDLE_WIRE_MAGIC, 8);
	assert_non_null(c = bundle_parse(buf, len, err, sizeof(err)));
	assert_string_equal(c->digest, b->digest);
	assert_string_equal(c->policy_ref, b->policy_ref);
	assert_int_equal(c->n_policies, 2);
	assert_string_equal(c->policies[1].name, "policies/b.cedar");
	assert_int_equal(c->entities.len, 2);
	assert_int_equal(c->n_allowed_domains, 1);
	bundle_free(c);

	/* without entities too (the fuzzer found this one) */
	{
		struct bundle *n = from_manifest(good_manifest, err);
		void *nb;
		size_t nl;

		assert_non_null(n);
		snprintf(n->digest, sizeof(n->digest), "%s", b->digest);
		assert_non_null(nb = bundle_serialize(n, &nl));
		assert_non_null(c = bundle_parse(nb, nl, err, sizeof(err)));
		assert_null(c->entities.data);
		bundle_free(c);
		free(nb);
		bundle_free(n);
	}

	bad = malloc(len + 1);
	/* every truncation is refused */
	for (size_t cut = 0; cut < len; cut++)
		assert_null(bundle_parse(buf, cut, err, sizeof(err)));
	/* a trailing byte */
	memcpy(bad, buf, len);
	bad[len] = 0;
	assert_null(bundle_parse(bad, len + 1, err, sizeof(err)));
	/* a bad magic */
	bad[0] = 'X';
	assert_null(bundle_parse(bad, len, err, sizeof(err)));
	assert_non_null(strstr(err, "magic"));
	/* a length pointing past the end */
	memcpy(bad, buf, len);
	bad[9] = 0x7f;
	assert_null(bundle_parse(bad, len, err, sizeof(err)));
	/* the content is validated again: a broken policy in the bytes */
	memcpy(bad, buf, len);
	{
		unsigned char *at = memmem(bad, len, "permit", 6);
		assert_non_null(at);
		memcpy(at, "permiX", 6);
	}
	assert_null(bundle_parse(bad, len, err, sizeof(err)));
	assert_non_null(strstr(err, "policies/a.cedar:"));
	free(bad);
	free(buf);
	bundle_free(b);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_bundle.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];
	(void)state;

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(manifest_accepts),
	    cmocka_unit_test(manifest_fields_kept),
	    cmocka_unit_test(manifest_rejects),
	    cmocka_unit_test(field_rules),
	    cmocka_unit_test(policies_checked),
	    cmocka_unit_test(embedded_bundles),
	    cmocka_unit_test(tar_accepts_dot_prefix_and_dirs),
	    cmocka_unit_test(tar_refusals),
	    cmocka_unit_test(tar_bounds),
	    cmocka_unit_test(pack_is_reproducible),
	    cmocka_unit_test(dir_refusals),
	    cmocka_unit_test(cache_import_resolve_tamper),
	    cmocka_unit_test(wire_round_trip_and_refusals),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
