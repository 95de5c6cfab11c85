#include "policy.h"

#include <stdio.h>
#include <string.h>

/* A permit rule of the embedded demo bundle: `permit(principal,
 * action in [...], resource);` with the actions listed. */
struct demo_permit {
	const char *id;
	const char *const *actions;
	size_t n_actions;
};

struct policy_set {
	const char *ref;
	const struct demo_permit *permits;
	size_t n_permits;
};

static const char *const demo_tools[] = {"tool.echo", "tool.http_get"};

static const struct demo_permit demo_permits[] = {
    {"demo-allow-tools", demo_tools, sizeof(demo_tools) / sizeof(*demo_tools)},
};

static const struct policy_set demo_set = {
    "demo@0.1.0",
    demo_permits,
    sizeof(demo_permits) / sizeof(*demo_permits),
};

const struct policy_set *policy_demo(void)
{
	return &demo_set;
}

static json_t *entity_uid(const char *type, const char *id)
{
	return json_pack("{s:s, s:s}", "type", type, "id", id);
}

int policy_request_for_tool(struct policy_request *req, const char *kind,
                            json_t *params)
{
	json_t *principal = entity_uid("Workload", "workload");
	json_t *action = entity_uid("Action", kind);
	json_t *resource = entity_uid("Tool", kind);
	json_t *context = json_pack("{s:O}", "params", params);

	memset(req, 0, sizeof(*req));
	if (principal == NULL || action == NULL || resource == NULL ||
	    context == NULL) {
		json_decref(principal);
		json_decref(action);
		json_decref(resource);
		json_decref(context);
		return -1;
	}
	req->principal = principal;
	req->action = action;
	req->resource = resource;
	req->context = context;
	return 0;
}

void policy_request_clear(struct policy_request *req)
{
	json_decref((json_t *)req->principal);
	json_decref((json_t *)req->action);
	json_decref((json_t *)req->resource);
	json_decref((json_t *)req->context);
	memset(req, 0, sizeof(*req));
}

/* The action's id if it is an entity uid of type Action, else NULL. */
static const char *action_id(const json_t *action)
{
	const json_t *type = json_object_get(action, "type");
	const json_t *id = json_object_get(action, "id");

	if (!json_is_string(type) || !json_is_string(id) ||
	    strcmp(json_string_value(type), "Action") != 0)
		return NULL;
	return json_string_value(id);
}

static int permit_matches(const struct demo_permit *p, const char *action)
{
	for (size_t i = 0; i < p->n_actions; i++)
		if (strcmp(p->actions[i], action) == 0)
			return 1;
	return 0;
}

int policy_decide(const struct policy_set *set,
                  const struct policy_request *req, struct policy_decision *out)
{
	const char *action;

	memset(out, 0, sizeof(*out));
	out->effect = POLICY_DENY;
	snprintf(out->policy_ref, sizeof(out->policy_ref), "%s", set->ref);

	if ((action = action_id(req->action)) == NULL ||
	    !json_is_object(req->principal) || !json_is_object(req->resource) ||
	    !json_is_object(req->context)) {
		snprintf(out->reason, sizeof(out->reason),
		         "malformed request (default deny)");
		snprintf(out->errors[0], sizeof(out->errors[0]),
		         "request is not a Cedar request");
		out->n_errors = 1;
		return -1;
	}

	for (size_t i = 0; i < set->n_permits; i++) {
		const struct demo_permit *p = &set->permits[i];
		if (!permit_matches(p, action) ||
		    out->n_policies == POLICY_MAX_IDS)
			continue;
		snprintf(out->policies[out->n_policies++], POLICY_MAX_ID_LEN,
		         "%s", p->id);
	}
	if (out->n_policies > 0) {
		out->effect = POLICY_ALLOW;
		snprintf(out->reason, sizeof(out->reason),
		         "permitted by policy \"%s\"", out->policies[0]);
	} else {
		snprintf(out->reason, sizeof(out->reason),
		         "no policy permits \"%.300s\" (default deny)", action);
	}
	return 0;
}
