/* The policy decision seam (DESIGN.md §4). policyd asks policy_decide()
 * one question per tool call; the answer comes from the Cedar engine
 * (policyd/cedar) over a loaded policy set: the embedded demo policy, the
 * embedded MAVLink demo policy, or a bundle's policies and entities.
 *
 * A tool call becomes a Cedar request:
 *   principal  Agent::"<agent>"      (the run's agent name)
 *   action     Action::"<kind>"      (e.g. Action::"tool.echo")
 *   resource   Tool::"<kind>"
 *   context    the call's params, plus "runtime": facts the runtime
 *              injects (e.g. {"environment": "sitl"}). params may not
 *              carry "runtime" themselves: that call is refused (400).
 * Params values Cedar cannot represent (null, non-integral numbers,
 * integers beyond 64 bits) are left out of the context, and the decision
 * names them (omitted): a policy never sees a value it would misread,
 * and a forbid that needs one should guard it with `has`.
 *
 * The decision is Cedar's answer: allow or deny, the policies that
 * determined it (their @id, else the positional policyN), the errors of
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

/* The agent name when none is configured. */
#define POLICY_DEFAULT_AGENT "agent"

struct policy_set; /* a loaded bundle; opaque, shared read-only */

/* One .cedar file of a bundle. */
struct policy_source {
	const char *file; /* named in diagnostics: file:line:col */
	const char *text;
	size_t len;
};

/* Parses every source (ids policy0, policy1, ... across them in order;
 * @id annotations name policies in answers) and the bundle's entities
 * (the reference's entity JSON text, or NULL for none). ref names the
 * bundle ("name@version"). NULL on error, with err saying where. */
struct policy_set *policy_set_load(const char *ref,
                                   const struct policy_source *src, size_t n,
                                   const char *entities_json, size_t ent_len,
                                   char *err, size_t errlen);
void policy_set_free(struct policy_set *set);
const char *policy_set_ref(const struct policy_set *set);
size_t policy_set_count(const struct policy_set *set);

/* The embedded policies (the .cedar files in policies/, compiled in), loaded on
 * first use. The demo permits tool.echo and tool.http_get ("demo-allow-tools")
 * and nothing else; the MAVLink demo is described in its file. */
extern const char policy_demo_cedar[];
extern const unsigned long policy_demo_cedar_len;
extern const char policy_mavlink_demo_cedar[];
extern const unsigned long policy_mavlink_demo_cedar_len;
#define POLICY_DEMO_REF "demo@0.1.0"
#define POLICY_MAVLINK_DEMO_REF "mavlink-demo@0.1.0"
const struct policy_set *policy_demo(void);
const struct policy_set *policy_mavlink_demo(void);

struct policy_request {
	const json_t *principal;       /* {"type": "Agent", "id": ...} */
	const json_t *action;          /* {"type": "Action", "id": "<kind>"} */
	const json_t *resource;        /* {"type": "Tool", "id": "<kind>"} */
	const json_t *context;         /* params + {"runtime": {...}} */
	char omitted[POLICY_MAX_TEXT]; /* params left out, comma-separated */
};

/* policy_request_for_tool() results besides 0. */
#define POLICY_REQ_NOMEM (-1)
#define POLICY_REQ_RESERVED (-2) /* params tried to set "runtime": 400 */

/* Fills req from a tool call. agent may be NULL (POLICY_DEFAULT_AGENT);
 * runtime may be NULL ({}). The caller frees req with
 * policy_request_clear(). */
int policy_request_for_tool(struct policy_request *req, const char *kind,
                            const json_t *params, const char *agent,
                            const json_t *runtime);
void policy_request_clear(struct policy_request *req);

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
	char errors[POLICY_MAX_ERRORS][POLICY_MAX_TEXT]; /* "id: message" */
	char policy_ref[POLICY_MAX_REF]; /* "<name>@<version>" */
};

/* Evaluates req against set. Always fills out, denying when in doubt (a
 * malformed request is a deny with an error, never an allow). Returns
 * 0, or -1 if the request was malformed (out says why). Thread-safe:
 * each thread has its own scratch authorizer. */
int policy_decide(const struct policy_set *set,
                  const struct policy_request *req,
                  struct policy_decision *out);

#endif
