#include "policy.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cedar.h"

struct policy_set {
	char ref[POLICY_MAX_REF];
	struct cedar_policy_set *ps;
	struct cedar_entities *es; /* NULL: none */
};

static int errorf(char *err, size_t errlen, const char *fmt, const char *a,
                  const char *b)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, fmt, a, b);
	return -1;
}

struct policy_set *policy_set_load(const char *ref,
                                   const struct policy_source *src, size_t n,
                                   const char *entities_json, size_t ent_len,
                                   char *err, size_t errlen)
{
	struct policy_set *set = calloc(1, sizeof(*set));
	struct cedar_diag d;
	json_error_t je;
	json_t *ents;

	if (set == NULL || (set->ps = cedar_policy_set_new()) == NULL) {
		free(set);
		errorf(err, errlen, "%s%sout of memory", "", "");
		return NULL;
	}
	snprintf(set->ref, sizeof(set->ref), "%s", ref);
	for (size_t i = 0; i < n; i++)
		if (cedar_policy_set_parse(set->ps, src[i].file, src[i].text,
		                           src[i].len, 0, &d) < 0) {
			errorf(err, errlen, "%s%s", d.msg, "");
			policy_set_free(set);
			return NULL;
		}
	if (entities_json == NULL)
		return set;
	ents = json_loadb(entities_json, ent_len, JSON_REJECT_DUPLICATES, &je);
	if (ents == NULL) {
		char where[64];
		snprintf(where, sizeof(where), "line %d column %d", je.line,
		         je.column);
		errorf(err, errlen, "entities.json: %s: %s", where, je.text);
		policy_set_free(set);
		return NULL;
	}
	set->es = cedar_entities_load(ents, &d);
	json_decref(ents);
	if (set->es == NULL) {
		errorf(err, errlen, "entities.json: %s%s", d.msg, "");
		policy_set_free(set);
		return NULL;
	}
	return set;
}

void policy_set_free(struct policy_set *set)
{
	if (set == NULL)
		return;
	cedar_policy_set_free(set->ps);
	cedar_entities_free(set->es);
	free(set);
}

const char *policy_set_ref(const struct policy_set *set)
{
	return set->ref;
}

size_t policy_set_count(const struct policy_set *set)
{
	return cedar_policy_count(set->ps);
}

/* ---- the embedded policies ------------------------------------------ */

static struct policy_set *demo_set, *mavlink_set;
static pthread_once_t demo_once = PTHREAD_ONCE_INIT;
static pthread_once_t mavlink_once = PTHREAD_ONCE_INIT;

static struct policy_set *load_embedded(const char *ref, const char *file,
                                        const char *text, size_t len)
{
	struct policy_source src = {file, text, len};
	char err[CEDAR_DIAG_MAX];
	struct policy_set *set =
	    policy_set_load(ref, &src, 1, NULL, 0, err, sizeof(err));

	/* Compiled in and tested: failing here is a build defect. */
	if (set == NULL) {
		fprintf(stderr, "embedded policy %s: %s\n", ref, err);
		abort();
	}
	return set;
}

static void demo_init(void)
{
	demo_set = load_embedded(POLICY_DEMO_REF, "<embedded>/demo.cedar",
	                         policy_demo_cedar, policy_demo_cedar_len);
}

static void mavlink_init(void)
{
	mavlink_set = load_embedded(
	    POLICY_MAVLINK_DEMO_REF, "<embedded>/mavlink_demo.cedar",
	    policy_mavlink_demo_cedar, policy_mavlink_demo_cedar_len);
}

const struct policy_set *policy_demo(void)
{
	pthread_once(&demo_once, demo_init);
	return demo_set;
}

const struct policy_set *policy_mavlink_demo(void)
{
	pthread_once(&mavlink_once, mavlink_init);
	return mavlink_set;
}

/* ---- requests ------------------------------------------------------- */

static void note_omitted(char *buf, size_t len, const char *path)
{
	size_t off = strlen(buf);

	if (off + 1 < len)
		snprintf(buf + off, len - off, "%s%s", off ? "," : "", path);
}

/* A copy of v holding only what Cedar can represent (bool, integer,
 * string, array -> set, object -> record); what is left out is named in
 * omitted by its path. NULL if v itself is left out (or no memory: then
 * *nomem is set). */
static json_t *cedar_value(const json_t *v, const char *path, char *omitted,
                           size_t olen, int *nomem)
{
	char sub[256];
	json_t *out = NULL;

	switch (json_typeof(v)) {
	case JSON_TRUE:
	case JSON_FALSE:
	case JSON_INTEGER:
	case JSON_STRING:
		out = json_copy((json_t *)v);
		break;
	case JSON_ARRAY: {
		size_t i;
		json_t *e;
		if ((out = json_array()) == NULL)
			break;
		json_array_foreach(v, i, e)
		{
			json_t *c;
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			c = cedar_value(e, sub, omitted, olen, nomem);
			if (c != NULL && json_array_append_new(out, c) < 0)
				*nomem = 1;
		}
		break;
	}
	case JSON_OBJECT: {
		const char *k;
		json_t *e;
		if ((out = json_object()) == NULL)
			break;
		json_object_foreach((json_t *)v, k, e)
		{
			json_t *c;
			snprintf(sub, sizeof(sub), "%s%s%s", path,
			         path[0] ? "." : "", k);
			c = cedar_value(e, sub, omitted, olen, nomem);
			if (c != NULL && json_object_set_new(out, k, c) < 0)
				*nomem = 1;
		}
		break;
	}
	default: /* null, real */
		note_omitted(omitted, olen, path);
		return NULL;
	}
	if (out == NULL)
		*nomem = 1;
	return out;
}

static json_t *entity_uid(const char *type, const char *id)
{
	return json_pack("{s:s, s:s}", "type", type, "id", id);
}

int policy_request_for_tool(struct policy_request *req, const char *kind,
                            const json_t *params, const char *agent,
                            const json_t *runtime)
{
	json_t *context, *rt;
	int nomem = 0;

	memset(req, 0, sizeof(*req));
	if (params != NULL && json_object_get(params, "runtime") != NULL)
		return POLICY_REQ_RESERVED;
	req->principal =
	    entity_uid("Agent", agent ? agent : POLICY_DEFAULT_AGENT);
	req->action = entity_uid("Action", kind);
	req->resource = entity_uid("Tool", kind);
	context = params ? cedar_value(params, "", req->omitted,
	                               sizeof(req->omitted), &nomem)
	                 : json_object();
	if (context == NULL || !json_is_object(context)) {
		json_decref(context);
		context = json_object();
	}
	rt = runtime ? cedar_value(runtime, "runtime", req->omitted,
	                           sizeof(req->omitted), &nomem)
	             : json_object();
	if (rt == NULL || json_object_set_new(context, "runtime", rt) < 0)
		nomem = 1;
	req->context = context;
	if (nomem || req->principal == NULL || req->action == NULL ||
	    req->resource == NULL || req->context == NULL) {
		policy_request_clear(req);
		return POLICY_REQ_NOMEM;
	}
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

/* ---- decisions ------------------------------------------------------ */

static pthread_key_t az_key;
static pthread_once_t az_once = PTHREAD_ONCE_INIT;

static void az_free(void *az)
{
	cedar_authorizer_free(az);
}

static void az_key_init(void)
{
	if (pthread_key_create(&az_key, az_free) != 0)
		abort();
}

/* This thread's scratch authorizer (its arena is reused call to call). */
static struct cedar_authorizer *thread_authorizer(void)
{
	struct cedar_authorizer *az;

	pthread_once(&az_once, az_key_init);
	if ((az = pthread_getspecific(az_key)) == NULL) {
		if ((az = cedar_authorizer_new()) == NULL)
			return NULL;
		if (pthread_setspecific(az_key, az) != 0) {
			cedar_authorizer_free(az);
			return NULL;
		}
	}
	return az;
}

static const char *action_id(const json_t *action)
{
	const json_t *id = json_object_get(action, "id");

	return json_is_string(id) ? json_string_value(id) : "?";
}

/* "a", "b" and "c" -> "\"a\", \"b\", \"c\"" into buf. */
static void quote_ids(char *buf, size_t len, const struct policy_decision *d)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < d->n_policies && off < len; i++)
		off += snprintf(buf + off, len - off, "%s\"%s\"", i ? ", " : "",
		                d->policies[i]);
}

int policy_decide(const struct policy_set *set,
                  const struct policy_request *req, struct policy_decision *out)
{
	struct cedar_request creq = {req->principal, req->action, req->resource,
	                             req->context};
	struct cedar_authorizer *az = thread_authorizer();
	struct cedar_response resp;
	struct cedar_diag d;
	char ids[POLICY_MAX_TEXT];

	memset(out, 0, sizeof(*out));
	out->effect = POLICY_DENY;
	snprintf(out->policy_ref, sizeof(out->policy_ref), "%s", set->ref);
	if (az == NULL) {
		snprintf(out->reason, sizeof(out->reason),
		         "out of memory (default deny)");
		return -1;
	}
	if (cedar_authorize(az, set->ps, set->es, &creq, &resp, &d) < 0) {
		snprintf(out->reason, sizeof(out->reason),
		         "malformed request (default deny)");
		snprintf(out->errors[0], sizeof(out->errors[0]),
		         "request: %.400s", d.msg);
		out->n_errors = 1;
		return -1;
	}
	for (size_t i = 0; i < resp.n_reasons && i < POLICY_MAX_IDS; i++)
		snprintf(out->policies[out->n_policies++], POLICY_MAX_ID_LEN,
		         "%s", cedar_policy_name(set->ps, resp.reasons[i]));
	for (size_t i = 0; i < resp.n_errors && i < POLICY_MAX_ERRORS; i++)
		snprintf(out->errors[out->n_errors++], POLICY_MAX_TEXT,
		         "%s: %s",
		         cedar_policy_name(set->ps, resp.errors[i].policy),
		         resp.errors[i].message);
	quote_ids(ids, sizeof(ids), out);
	if (resp.decision == CEDAR_ALLOW) {
		out->effect = POLICY_ALLOW;
		snprintf(out->reason, sizeof(out->reason),
		         "permitted by policy %s", ids);
	} else if (out->n_policies > 0) {
		snprintf(out->reason, sizeof(out->reason),
		         "forbidden by policy %s", ids);
	} else {
		snprintf(out->reason, sizeof(out->reason),
		         "no policy permits Action::\"%.300s\" (default deny)",
		         action_id(req->action));
	}
	return 0;
}
