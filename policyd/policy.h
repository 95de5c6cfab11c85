/* The policy decision seam (DESIGN.md §4). policyd asks policy_decide()
 * one question per tool call; today the answer comes from the embedded
 * demo rule, later from the Cedar engine, which replaces policy_load()
 * and policy_decide() behind this same interface.
 *
 * The request is a Cedar request in its JSON form: principal, action and
 * resource are entity uids ({"type": T, "id": ID}), context is an
 * object. The decision is Cedar's answer: allow or deny, the ids of the
 * policies that determined it (empty for default deny), the errors of
 * policies that did not apply, and which bundle answered (policy_ref). */
#ifndef AUTONOMY_POLICY_H
#define AUTONOMY_POLICY_H

#include <jansson.h>
#include <stddef.h>

#define POLICY_MAX_IDS 16
#define POLICY_MAX_ID_LEN 128
#define POLICY_MAX_ERRORS 8
#define POLICY_MAX_TEXT 512
#define POLICY_MAX_REF 128

struct policy_set; /* a loaded bundle; opaque */

struct policy_request {
	const json_t *principal; /* {"type": "Workload", "id": ...} */
	const json_t *action;    /* {"type": "Action", "id": "<kind>"} */
	const json_t *resource;  /* {"type": "Tool", "id": "<kind>"} */
	const json_t *context;   /* {"params": {...}, supervisor facts} */
};

enum policy_effect {
	POLICY_DENY = 0, /* zero: an unfilled decision denies */
	POLICY_ALLOW = 1,
};

struct policy_decision {
	enum policy_effect effect;
	size_t n_policies; /* determining policy ids */
	char policies[POLICY_MAX_IDS][POLICY_MAX_ID_LEN];
	char reason[POLICY_MAX_TEXT];
	size_t n_errors; /* policies that errored and so did not apply */
	char errors[POLICY_MAX_ERRORS][POLICY_MAX_TEXT];
	char policy_ref[POLICY_MAX_REF]; /* "<name>@<version>" */
};

/* The embedded demo bundle: permits tool.echo and tool.http_get
 * (policy "demo-allow-tools"), nothing else. */
const struct policy_set *policy_demo(void);

/* Fills req from a tool call: principal = the workload, action and
 * resource = the tool kind, context = {"params": params}. The caller
 * owns the json_t objects and frees them with policy_request_clear. */
int policy_request_for_tool(struct policy_request *req, const char *kind,
                            json_t *params);
void policy_request_clear(struct policy_request *req);

/* Evaluates req against set. Always fills out, denying when in doubt
 * (a malformed request is a deny with an error, never an allow).
 * Returns 0, or -1 if the request was malformed (out says why). */
int policy_decide(const struct policy_set *set,
                  const struct policy_request *req,
                  struct policy_decision *out);

#endif
