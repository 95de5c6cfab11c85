/* `autonomy policy ...`: the policy author's tools. Nothing here runs a
 * workload or starts a helper.
 *
 *   check         a bundle (or one .cedar file) parsed and validated
 *   eval          one tool call decided exactly as policyd decides it
 *                 (policy_request_for_tool + policy_decide)
 *   authorize     a general Cedar request against a policy file, driving
 *                 the engine (cedar.h) directly, answering in the
 *                 reference's shape, for authors and differential tests
 *   show-default  the embedded policies' text */
#include "policy_cmd.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bundle.h"
#include "bundle_cache.h"
#include "bundle_cmd.h"
#include "cedar.h"
#include "policy.h"
#include "log.h"

#define EXIT_ALLOW 0
#define EXIT_DENY 1
#define EXIT_ERROR 2
#define EXIT_USAGE 64

#define MAX_ENTITIES_FILE (64u << 20)
#define MAX_ARG_JSON (1u << 20)

static const char usage_text[] =
    "usage: autonomy policy check BUNDLE [--cache-dir DIR]\n"
    "       autonomy policy eval BUNDLE --kind T [--params JSON]\n"
    "                [--runtime JSON] [--agent NAME] [--cache-dir DIR] "
    "[--json]\n"
    "       autonomy policy authorize --policies FILE [--entities FILE]\n"
    "                --principal 'T::\"id\"' --action 'Action::\"a\"'\n"
    "                --resource 'T::\"id\"' [--context JSON] [--json]\n"
    "       autonomy policy show-default [--mavlink]\n"
    "\n"
    "BUNDLE is a bundle directory, a .tar, a cache reference\n"
    "(name:version, name@sha256:<hex>) or builtin:demo /\n"
    "builtin:mavlink-demo; check also takes a single .cedar file.\n"
    "\n"
    "Exit status: check 0 valid, 1 invalid; eval and authorize 0 allow,\n"
    "1 deny, 2 error; 64 usage error.\n";

#define usage_error(...)                                                       \
	usage_errorf("autonomy policy", usage_text, __VA_ARGS__)

static int fail(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "autonomy policy %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_ERROR;
}

/* Flags: valued ones by name into vals[], booleans into bools[]. The
 * first non-flag argument goes to *pos (at most one). */
struct flagspec {
	const char *const *valued;
	const char **vals;
	const char *const *boolean;
	int *bools;
};

static int parse_flags(int argc, char **argv, const struct flagspec *fs,
                       const char **pos)
{
	for (int i = 2; i < argc; i++) {
		int done = 0;

		for (int f = 0; fs->valued && fs->valued[f] && !done; f++) {
			int r = cli_flag_value(argc, argv, &i, fs->valued[f],
			                       &fs->vals[f]);
			if (r < 0)
				return usage_error("%s: %s needs a value",
				                   argv[1], fs->valued[f]);
			done = r > 0;
		}
		for (int f = 0; fs->boolean && fs->boolean[f] && !done; f++)
			if (strcmp(argv[i], fs->boolean[f]) == 0)
				fs->bools[f] = done = 1;
		if (done)
			continue;
		if (argv[i][0] == '-' && argv[i][1] != '\0')
			return usage_error("%s: unknown flag %s", argv[1],
			                   argv[i]);
		if (pos == NULL || *pos != NULL)
			return usage_error("%s: unexpected argument %s",
			                   argv[1], argv[i]);
		*pos = argv[i];
	}
	return 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* ---- check ---------------------------------------------------------- */

static int check_cedar_file(const char *path)
{
	struct cedar_policy_set *ps = cedar_policy_set_new();
	struct cedar_diag d;
	char err[BUNDLE_ERR_MAX];
	void *text = NULL;
	size_t len;
	int rc = 1;

	if (ps == NULL)
		return fail("check", "out of memory");
	if (bundle_read_file(path, BUNDLE_MAX_POLICY_FILE, 0, &text, &len, err,
	                     sizeof(err)) < 0) {
		fprintf(stderr, "autonomy policy check: %s\n", err);
	} else if (cedar_policy_set_parse(ps, path, text, len,
	                                  CEDAR_PARSE_STATIC_ONLY, &d) < 0) {
		fprintf(stderr, "autonomy policy check: %s\n", d.msg);
	} else {
		printf("ok: %s: %zu policies\n", path, cedar_policy_count(ps));
		rc = 0;
	}
	free(text);
	cedar_policy_set_free(ps);
	return rc;
}

static int cmd_check(int argc, char **argv)
{
	static const char *const valued[] = {"--cache-dir", NULL};
	const char *vals[1] = {NULL}, *arg = NULL;
	struct flagspec fs = {valued, vals, NULL, NULL};
	char err[BUNDLE_ERR_MAX];
	struct bundle *b;
	int rc;

	if ((rc = parse_flags(argc, argv, &fs, &arg)) != 0)
		return rc;
	if (arg == NULL)
		return usage_error("check needs BUNDLE");
	if (ends_with(arg, ".cedar"))
		return check_cedar_file(arg);
	if ((b = bundle_resolve(arg, vals[0], err, sizeof(err))) == NULL) {
		fprintf(stderr, "autonomy policy check: %s\n", err);
		return 1;
	}
	for (size_t i = 0; i < b->n_warnings; i++)
		fprintf(stderr, "autonomy policy check: warning: %s\n",
		        b->warnings[i]);
	printf("ok: %s %s: %zu policies in %zu files%s\n", b->policy_ref,
	       b->digest, b->n_cedar_policies, b->n_policies,
	       b->entities.data ? ", entities.json" : "");
	bundle_free(b);
	return 0;
}

/* ---- eval ----------------------------------------------------------- */

static json_t *json_arg(const char *cmd, const char *flag, const char *text,
                        int must_be_object)
{
	json_error_t je;
	json_t *j;

	if (strlen(text) > MAX_ARG_JSON)
		return fail(cmd, "%s: more than %u bytes", flag, MAX_ARG_JSON),
		       NULL;
	j = json_loads(text, JSON_REJECT_DUPLICATES, &je);
	if (j == NULL)
		return fail(cmd, "%s: invalid JSON at column %d: %s", flag,
		            je.column, je.text),
		       NULL;
	if (must_be_object && !json_is_object(j)) {
		json_decref(j);
		return fail(cmd, "%s: must be a JSON object", flag), NULL;
	}
	return j;
}

static void print_decision(const struct policy_decision *d,
                           const struct policy_request *req,
                           const struct bundle *b, int json)
{
	if (json) {
		json_t *o = json_pack(
		    "{s:s, s:[], s:s, s:[], s:[], s:s, s:s}", "decision",
		    d->effect == POLICY_ALLOW ? "allow" : "deny", "policies",
		    "reason", d->reason, "errors", "omitted", "policy_ref",
		    d->policy_ref, "digest", b->digest);
		char omitted[POLICY_MAX_TEXT], *save = NULL;

		for (size_t i = 0; i < d->n_policies; i++)
			json_array_append_new(json_object_get(o, "policies"),
			                      json_string(d->policies[i]));
		for (size_t i = 0; i < d->n_errors; i++)
			json_array_append_new(json_object_get(o, "errors"),
			                      json_string(d->errors[i]));
		snprintf(omitted, sizeof(omitted), "%s", req->omitted);
		for (char *t = strtok_r(omitted, ",", &save); t;
		     t = strtok_r(NULL, ",", &save))
			json_array_append_new(json_object_get(o, "omitted"),
			                      json_string(t));
		json_dumpf(o, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(o);
		return;
	}
	printf("decision: %s\n", d->effect == POLICY_ALLOW ? "allow" : "deny");
	printf("reason: %s\n", d->reason);
	for (size_t i = 0; i < d->n_policies; i++)
		printf("policy: %s\n", d->policies[i]);
	for (size_t i = 0; i < d->n_errors; i++)
		printf("error: %s\n", d->errors[i]);
	if (req->omitted[0])
		printf("omitted: %s (values Cedar cannot hold)\n",
		       req->omitted);
	printf("bundle: %s %s\n", d->policy_ref, b->digest);
}

static int cmd_eval(int argc, char **argv)
{
	static const char *const valued[] = {
	    "--kind", "--params", "--runtime", "--agent", "--cache-dir", NULL};
	static const char *const boolean[] = {"--json", NULL};
	const char *vals[5] = {NULL}, *arg = NULL;
	int bools[1] = {0};
	struct flagspec fs = {valued, vals, boolean, bools};
	struct policy_request req;
	struct policy_decision d;
	struct policy_set *set = NULL;
	struct bundle *b = NULL;
	json_t *params = NULL, *runtime = NULL;
	char err[BUNDLE_ERR_MAX];
	int rc;

	if ((rc = parse_flags(argc, argv, &fs, &arg)) != 0)
		return rc;
	if (arg == NULL || vals[0] == NULL)
		return usage_error("eval needs BUNDLE and --kind T");
	rc = EXIT_ERROR;
	if ((params = json_arg("eval", "--params", vals[1] ? vals[1] : "{}",
	                       1)) == NULL ||
	    (vals[2] &&
	     (runtime = json_arg("eval", "--runtime", vals[2], 1)) == NULL))
		goto out;
	if ((b = bundle_resolve(arg, vals[4], err, sizeof(err))) == NULL ||
	    (set = bundle_policy_set(b, err, sizeof(err))) == NULL) {
		fail("eval", "%s", err);
		goto out;
	}
	switch (
	    policy_request_for_tool(&req, vals[0], params, vals[3], runtime)) {
	case 0:
		break;
	case POLICY_REQ_RESERVED:
		fail("eval",
		     "--params: \"runtime\" is reserved for facts the runtime "
		     "injects (use --runtime); toolsrv answers such a call "
		     "with 400");
		goto out;
	default:
		fail("eval", "out of memory");
		goto out;
	}
	if (policy_decide(set, &req, &d) < 0) {
		print_decision(&d, &req, b, bools[0]);
		fail("eval", "%s", d.n_errors ? d.errors[0] : d.reason);
	} else {
		print_decision(&d, &req, b, bools[0]);
		rc = d.effect == POLICY_ALLOW ? EXIT_ALLOW : EXIT_DENY;
	}
	policy_request_clear(&req);
out:
	json_decref(params);
	json_decref(runtime);
	policy_set_free(set);
	bundle_free(b);
	return rc;
}

/* ---- authorize ------------------------------------------------------ */

/* --principal 'T::"id"' and the like, parsed by the engine itself. */
static json_t *parse_uid(const char *flag, const char *s, char *why,
                         size_t wlen)
{
	struct cedar_diag d;
	json_t *uid = cedar_parse_uid(flag, s, strlen(s), &d);

	if (uid == NULL)
		snprintf(why, wlen, "%s", d.msg);
	return uid;
}

static void print_authz(const struct cedar_policy_set *ps,
                        const struct cedar_response *r, int json)
{
	if (json) {
		json_t *o =
		    json_pack("{s:s, s:[], s:[]}", "decision",
		              r->decision == CEDAR_ALLOW ? "allow" : "deny",
		              "reason", "errors");

		for (size_t i = 0; i < r->n_reasons; i++)
			json_array_append_new(
			    json_object_get(o, "reason"),
			    json_string(cedar_policy_id(ps, r->reasons[i])));
		for (size_t i = 0; i < r->n_errors; i++)
			json_array_append_new(
			    json_object_get(o, "errors"),
			    json_pack("{s:s, s:s}", "policy",
			              cedar_policy_id(ps, r->errors[i].policy),
			              "message", r->errors[i].message));
		json_dumpf(o, stdout, JSON_COMPACT);
		fputc('\n', stdout);
		json_decref(o);
		return;
	}
	printf("decision: %s\n", r->decision == CEDAR_ALLOW ? "allow" : "deny");
	for (size_t i = 0; i < r->n_reasons; i++) {
		const char *id = cedar_policy_id(ps, r->reasons[i]);
		const char *name = cedar_policy_name(ps, r->reasons[i]);

		if (strcmp(id, name) != 0)
			printf("reason: %s (@id \"%s\")\n", id, name);
		else
			printf("reason: %s\n", id);
	}
	if (r->n_reasons == 0)
		printf("reason: %s\n", r->decision == CEDAR_ALLOW
		                           ? "(none)"
		                           : "no policy applies (default "
		                             "deny)");
	for (size_t i = 0; i < r->n_errors; i++)
		printf("error: %s: %s\n",
		       cedar_policy_id(ps, r->errors[i].policy),
		       r->errors[i].message);
}

static int cmd_authorize(int argc, char **argv)
{
	static const char *const valued[] = {
	    "--policies", "--entities", "--principal", "--action",
	    "--resource", "--context",  NULL};
	static const char *const boolean[] = {"--json", NULL};
	const char *vals[6] = {NULL};
	int bools[1] = {0};
	struct flagspec fs = {valued, vals, boolean, bools};
	struct cedar_policy_set *ps = NULL;
	struct cedar_entities *es = NULL;
	struct cedar_authorizer *az = NULL;
	struct cedar_response resp;
	struct cedar_diag d;
	json_t *uids[3] = {NULL, NULL, NULL}, *context = NULL, *ents = NULL;
	char err[BUNDLE_ERR_MAX];
	void *text = NULL;
	size_t len;
	int rc;

	if ((rc = parse_flags(argc, argv, &fs, NULL)) != 0)
		return rc;
	if (vals[0] == NULL || vals[2] == NULL || vals[3] == NULL ||
	    vals[4] == NULL)
		return usage_error("authorize needs --policies, --principal, "
		                   "--action and --resource");
	rc = EXIT_ERROR;
	for (int i = 0; i < 3; i++)
		if ((uids[i] = parse_uid(valued[2 + i], vals[2 + i], err,
		                         sizeof(err))) == NULL) {
			fail("authorize", "%s", err);
			goto out;
		}
	if (vals[5] != NULL &&
	    (context = json_arg("authorize", "--context", vals[5], 1)) == NULL)
		goto out;
	if (bundle_read_file(vals[0], CEDAR_MAX_POLICY_TEXT, 0, &text, &len,
	                     err, sizeof(err)) < 0) {
		fail("authorize", "--policies %s", err);
		goto out;
	}
	if ((ps = cedar_policy_set_new()) == NULL ||
	    (az = cedar_authorizer_new()) == NULL) {
		fail("authorize", "out of memory");
		goto out;
	}
	if (cedar_policy_set_parse(ps, vals[0], text, len,
	                           CEDAR_PARSE_STATIC_ONLY, &d) < 0) {
		fail("authorize", "%s", d.msg);
		goto out;
	}
	if (vals[1] != NULL) {
		json_error_t je;

		ents = json_load_file(vals[1], JSON_REJECT_DUPLICATES, &je);
		if (ents == NULL) {
			fail("authorize", "%s:%d:%d: %s", vals[1], je.line,
			     je.column, je.text);
			goto out;
		}
		if ((es = cedar_entities_load(ents, &d)) == NULL) {
			fail("authorize", "%s: %s", vals[1], d.msg);
			goto out;
		}
	}
	{
		struct cedar_request req = {uids[0], uids[1], uids[2], context};

		if (cedar_authorize(az, ps, es, &req, &resp, &d) < 0) {
			fail("authorize", "the request: %s", d.msg);
			goto out;
		}
	}
	print_authz(ps, &resp, bools[0]);
	rc = resp.decision == CEDAR_ALLOW ? EXIT_ALLOW : EXIT_DENY;
out:
	for (int i = 0; i < 3; i++)
		json_decref(uids[i]);
	json_decref(context);
	json_decref(ents);
	free(text);
	cedar_entities_free(es);
	cedar_authorizer_free(az);
	cedar_policy_set_free(ps);
	return rc;
}

/* ---- show-default --------------------------------------------------- */

static int cmd_show_default(int argc, char **argv)
{
	static const char *const boolean[] = {"--mavlink", NULL};
	int bools[1] = {0}, rc;
	struct flagspec fs = {NULL, NULL, boolean, bools};

	if ((rc = parse_flags(argc, argv, &fs, NULL)) != 0)
		return rc;
	if (bools[0])
		fwrite(policy_mavlink_demo_cedar, 1,
		       policy_mavlink_demo_cedar_len, stdout);
	else
		fwrite(policy_demo_cedar, 1, policy_demo_cedar_len, stdout);
	return fflush(stdout) == 0 ? 0 : EXIT_ERROR;
}

int policy_cmd_main(int argc, char **argv)
{
	if (argc < 2)
		return usage_error("missing subcommand");
	if (strcmp(argv[1], "check") == 0)
		return cmd_check(argc, argv);
	if (strcmp(argv[1], "eval") == 0)
		return cmd_eval(argc, argv);
	if (strcmp(argv[1], "authorize") == 0)
		return cmd_authorize(argc, argv);
	if (strcmp(argv[1], "show-default") == 0)
		return cmd_show_default(argc, argv);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage_text, stdout);
		return 0;
	}
	return usage_error("unknown subcommand '%s'", argv[1]);
}
