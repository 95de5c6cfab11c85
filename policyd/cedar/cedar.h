/* Our Cedar policy engine (DESIGN.md §4), Cedar 4.5 semantics as the
 * reference (npm @cedar-policy/cedar-wasm 4.5.0) implements them.
 *
 * Three immutable inputs, each built once and shared read-only by any
 * number of threads:
 *   - a policy set: static policies, templates and template links, parsed
 *     from Cedar text;
 *   - an entity store: the reference's entity JSON (uid, attrs, parents,
 *     tags), with the transitive ancestors of every entity precomputed;
 *   - the request: principal, action, resource uids and a context object,
 *     in the reference's JSON value format.
 * and one per-thread scratch object, the authorizer, whose arena holds
 * everything one cedar_authorize() call needs (no malloc per request once
 * it has warmed up).
 *
 * Every input is bounded (see CEDAR_MAX_*): a bound hit while loading is a
 * load error, a bound hit while evaluating a policy is that policy's
 * evaluation error (the policy does not apply and is reported), never a
 * crash or a hang. */
#ifndef AUTONOMY_CEDAR_H
#define AUTONOMY_CEDAR_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define CEDAR_MAX_POLICY_TEXT (4u << 20) /* bytes per parse call */
#define CEDAR_MAX_NESTING 64             /* nested (), [], {}, calls, if */
#define CEDAR_MAX_AST_DEPTH 200          /* operators on the longest path */
#define CEDAR_MAX_POLICIES 100000        /* policies + templates + links */
#define CEDAR_MAX_ELEMS 100000           /* elements of one set or record */
#define CEDAR_MAX_ENTITIES 1000000
#define CEDAR_MAX_ANCESTORS (4u << 20)   /* sum of all ancestor sets */
#define CEDAR_MAX_VALUE_DEPTH 64         /* nesting of JSON values */
#define CEDAR_MAX_STEPS 1000000          /* evaluation work per policy */
#define CEDAR_MAX_EVAL_BYTES (64u << 20) /* scratch memory per request */

/* Diagnostics: "file:line:col: message" for policy text, a message
 * naming the entity or JSON path at fault otherwise. */
#define CEDAR_DIAG_MAX 512
struct cedar_diag {
	char msg[CEDAR_DIAG_MAX];
};

struct cedar_policy_set;
struct cedar_entities;
struct cedar_authorizer;

/* ---- policy sets ---------------------------------------------------- */

struct cedar_policy_set *cedar_policy_set_new(void);
void cedar_policy_set_free(struct cedar_policy_set *ps);

/* CEDAR_PARSE_STATIC_ONLY: a template (a policy with a slot) in the text
 * is an error, as the reference's static policy set says ("static policy
 * set includes a template"). Without it, templates are kept under their
 * positional id and can be linked. */
#define CEDAR_PARSE_STATIC_ONLY 1u

/* Parses a policy set from text (len bytes, UTF-8; file names it in
 * diagnostics) and adds every policy in it. Each policy takes the
 * positional id "policyN" the reference assigns, N counting the policies
 * of earlier calls on this set too. All or nothing: on error (-1, d
 * says where and why) the set is unchanged. */
int cedar_policy_set_parse(struct cedar_policy_set *ps, const char *file,
                           const char *text, size_t len, unsigned flags,
                           struct cedar_diag *d);

/* Adds text that must hold exactly one template (a policy with at least
 * one slot) under id. */
int cedar_policy_set_add_template(struct cedar_policy_set *ps, const char *id,
                                  const char *file, const char *text,
                                  size_t len, struct cedar_diag *d);

/* Links template_id into a new policy link_id. principal and resource are
 * entity uids in the reference's JSON ({"type","id"} or {"__entity":..})
 * for the template's ?principal and ?resource slots; pass NULL for a slot
 * the template does not have. Every slot must be given, no other. Ids of
 * policies, templates and links share one namespace. */
int cedar_policy_set_link(struct cedar_policy_set *ps, const char *template_id,
                          const char *link_id, const json_t *principal,
                          const json_t *resource, struct cedar_diag *d);

/* The policies that take part in authorization (static policies and
 * links, not templates), in the order they were added; the indices are
 * the ones cedar_response reports. */
size_t cedar_policy_count(const struct cedar_policy_set *ps);
const char *cedar_policy_id(const struct cedar_policy_set *ps, size_t i);
bool cedar_policy_is_forbid(const struct cedar_policy_set *ps, size_t i);
/* The value of annotation @key on policy i (a link: on its template), ""
 * for a bare @key, NULL if absent. cedar_policy_name() is the @id
 * annotation if there is one, else the positional id: what a user
 * should be shown. */
const char *cedar_policy_annotation(const struct cedar_policy_set *ps, size_t i,
                                    const char *key);
const char *cedar_policy_name(const struct cedar_policy_set *ps, size_t i);

/* An entity uid as written in a policy (`Ns::Type::"id"`, Cedar's
 * string escapes; whitespace and comments around it allowed), alone in
 * text, as the reference's JSON {"type": T, "id": I}. NULL on error (d:
 * "file:line:col: message"). */
json_t *cedar_parse_uid(const char *file, const char *text, size_t len,
                        struct cedar_diag *d);

/* ---- entities ------------------------------------------------------- */

/* Loads the reference's entity JSON: an array of
 * {"uid": U, "attrs": {...}, "parents": [U...], "tags": {...}?} where U is
 * {"type": T, "id": I} or {"__entity": {"type": T, "id": I}}. As in the
 * reference: the same uid twice is an error unless both entries are
 * equal, and a cycle in the parent graph is an error. NULL on error. */
struct cedar_entities *cedar_entities_load(const json_t *entities,
                                           struct cedar_diag *d);
void cedar_entities_free(struct cedar_entities *es);
size_t cedar_entities_count(const struct cedar_entities *es);

/* ---- authorization -------------------------------------------------- */

struct cedar_authorizer *cedar_authorizer_new(void);
void cedar_authorizer_free(struct cedar_authorizer *az);

struct cedar_request {
	const json_t *principal; /* entity uid JSON */
	const json_t *action;
	const json_t *resource;
	const json_t *context; /* object in the reference's value format;
	                          NULL means {} */
};

enum cedar_decision {
	CEDAR_DENY = 0, /* zero: an unfilled response denies */
	CEDAR_ALLOW = 1,
};

struct cedar_eval_error {
	size_t policy;       /* index, see cedar_policy_id() */
	const char *message; /* without the policy id */
};

/* Valid until the next cedar_authorize() on the same authorizer. */
struct cedar_response {
	enum cedar_decision decision;
	size_t n_reasons; /* the determining policies, ascending indices: */
	const size_t *reasons; /* the satisfied forbids on deny, else the
	                          satisfied permits */
	size_t n_errors;       /* policies whose evaluation failed, ascending */
	const struct cedar_eval_error *errors;
};

/* Cedar's authorization: a forbid that is satisfied denies; otherwise a
 * satisfied permit allows; otherwise deny. A policy whose evaluation
 * errors is not satisfied and is listed in errors. es may be NULL (no
 * entities). Returns 0, or -1 when the request itself is malformed (a
 * bad uid or context; d says why) and out is a deny with no reasons. */
int cedar_authorize(struct cedar_authorizer *az,
                    const struct cedar_policy_set *ps,
                    const struct cedar_entities *es,
                    const struct cedar_request *req, struct cedar_response *out,
                    struct cedar_diag *d);

#endif
