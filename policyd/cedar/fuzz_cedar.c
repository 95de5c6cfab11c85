/* libFuzzer target for the Cedar engine's inputs: policy text (parsed,
 * then evaluated against a fixed request and entity store), entity JSON
 * and context JSON. The first byte picks the input:
 *   0: policy text
 *   1: entity JSON (then a request against it)
 *   2: context JSON (then a request with it)
 *   3: a template, then a link to it */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cedar.h"

static const char *const fixed_entities =
    "[{\"uid\": {\"type\": \"User\", \"id\": \"alice\"},"
    "  \"attrs\": {\"n\": 5, \"s\": \"str\", \"set\": [1, \"a\"],"
    "             \"r\": {\"x\": {\"y\": 2}},"
    "             \"ip\": {\"__extn\": {\"fn\": \"ip\", \"arg\": "
    "\"10.0.0.1\"}}},"
    "  \"parents\": [{\"type\": \"Group\", \"id\": \"g\"}],"
    "  \"tags\": {\"t\": 1}},"
    " {\"uid\": {\"type\": \"Group\", \"id\": \"g\"}, \"attrs\": {},"
    "  \"parents\": [{\"type\": \"Group\", \"id\": \"root\"}]}]";

static const char *const fixed_policies =
    "permit(principal in Group::\"root\", action, resource) when {"
    " context has n && context.n > 1 && principal.r.x.y == 2 };"
    "forbid(principal, action, resource) when { context.s like \"*x*\" };";

static void authorize(const struct cedar_policy_set *ps,
                      const struct cedar_entities *es, json_t *context)
{
	static struct cedar_authorizer *az;
	json_t *p = json_pack("{ss ss}", "type", "User", "id", "alice");
	json_t *a = json_pack("{ss ss}", "type", "Action", "id", "view");
	json_t *r = json_pack("{ss ss}", "type", "Photo", "id", "p");
	struct cedar_request req = {p, a, r, context};
	struct cedar_response out;
	struct cedar_diag d;

	if (az == NULL)
		az = cedar_authorizer_new();
	cedar_authorize(az, ps, es, &req, &out, &d);
	json_decref(p);
	json_decref(a);
	json_decref(r);
}

static struct cedar_entities *load_entities(const char *text, size_t n)
{
	struct cedar_diag d;
	json_t *j = json_loadb(text, n, JSON_ALLOW_NUL, NULL);
	struct cedar_entities *es;

	if (j == NULL)
		return NULL;
	es = cedar_entities_load(j, &d);
	json_decref(j);
	return es;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cedar_entities *fixed_es;
	static struct cedar_policy_set *fixed_ps;
	struct cedar_policy_set *ps;
	struct cedar_entities *es;
	struct cedar_diag d;
	const char *text = (const char *)data + 1;
	size_t n = size - 1;
	json_t *ctx, *uid;

	if (fixed_es == NULL) {
		fixed_es =
		    load_entities(fixed_entities, strlen(fixed_entities));
		fixed_ps = cedar_policy_set_new();
		cedar_policy_set_parse(fixed_ps, "fixed", fixed_policies,
		                       strlen(fixed_policies), 0, &d);
	}
	if (size < 1)
		return 0;
	switch (data[0] % 4) {
	case 0:
		ps = cedar_policy_set_new();
		if (cedar_policy_set_parse(ps, "fuzz", text, n, 0, &d) == 0)
			authorize(ps, fixed_es, NULL);
		cedar_policy_set_free(ps);
		break;
	case 1:
		es = load_entities(text, n);
		if (es != NULL)
			authorize(fixed_ps, es, NULL);
		cedar_entities_free(es);
		break;
	case 2:
		ctx = json_loadb(text, n, JSON_ALLOW_NUL, NULL);
		if (ctx != NULL)
			authorize(fixed_ps, fixed_es, ctx);
		json_decref(ctx);
		break;
	case 3:
		ps = cedar_policy_set_new();
		uid = json_pack("{ss ss}", "type", "Group", "id", "g");
		if (cedar_policy_set_add_template(ps, "t", "fuzz", text, n,
		                                  &d) == 0 &&
		    (cedar_policy_set_link(ps, "t", "l", uid, NULL, &d) == 0 ||
		     cedar_policy_set_link(ps, "t", "l", NULL, uid, &d) == 0 ||
		     cedar_policy_set_link(ps, "t", "l", uid, uid, &d) == 0))
			authorize(ps, fixed_es, NULL);
		json_decref(uid);
		cedar_policy_set_free(ps);
		break;
	}
	return 0;
}
