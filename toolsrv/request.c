/* The /v1/tool contract (docs/processes.md, DESIGN.md §2) as pure
 * functions: no sockets, no threads. Everything the untrusted workload
 * sends reaches policyd only through request_parse_body(), and nothing
 * policyd answers reaches the workload except through request_render(). */
#include "request.h"

#include "facts.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void http_reply_free(struct http_reply *r)
{
	free(r->body);
	r->body = NULL;
}

static void reply_json(struct http_reply *out, unsigned status, json_t *obj)
{
	out->status = status;
	free(out->body);
	out->body = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
	json_decref(obj);
	if (out->body == NULL) {
		/* Out of memory or a value jansson refused: say so rather
		 * than send half an answer. */
		out->status = 500;
		out->body = strdup("{\"error\":\"internal error\"}");
	}
}

void request_error_reply(struct http_reply *out, unsigned status,
                         const char *msg)
{
	json_t *s = json_string(msg);

	/* msg may quote client bytes that are not UTF-8. */
	if (s == NULL)
		s = json_string("invalid request");
	reply_json(out, status, json_pack("{s:o}", "error", s));
}

static void error_replyf(struct http_reply *out, unsigned status,
                         const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void error_replyf(struct http_reply *out, unsigned status,
                         const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	request_error_reply(out, status, msg);
}

static int is_kind_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

int request_kind_valid(const char *kind)
{
	size_t n = strnlen(kind, REQUEST_MAX_KIND + 1);
	size_t seg = 0, dots = 0;

	if (n == 0 || n > REQUEST_MAX_KIND)
		return 0;
	if (kind[0] < 'a' || kind[0] > 'z')
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (kind[i] == '.') {
			if (seg == 0)
				return 0;
			seg = 0;
			dots++;
		} else if (is_kind_char((unsigned char)kind[i])) {
			seg++;
		} else {
			return 0;
		}
	}
	return dots > 0 && seg > 0;
}

int request_depth_ok(const char *text, size_t len, int max_depth)
{
	int depth = 0, in_string = 0, escaped = 0;

	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (in_string) {
			if (escaped)
				escaped = 0;
			else if (c == '\\')
				escaped = 1;
			else if (c == '"')
				in_string = 0;
			continue;
		}
		if (c == '"') {
			in_string = 1;
		} else if (c == '[' || c == '{') {
			if (++depth > max_depth)
				return 0;
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return 1;
}

int request_token_ok(const char *authorization, const struct tool_token *t)
{
	static const char scheme[] = "Bearer ";
	const size_t slen = sizeof(scheme) - 1;
	unsigned char diff = 0;
	const char *p;

	if (authorization == NULL || t->len == 0)
		return 0;
	if (strncasecmp(authorization, scheme, slen) != 0)
		return 0;
	p = authorization + slen;
	/* The length is not secret (it is fixed per deployment); the bytes
	 * are, so their comparison does not stop at the first mismatch. */
	if (strnlen(p, t->len + 1) != t->len)
		return 0;
	for (size_t i = 0; i < t->len; i++)
		diff |= (unsigned char)p[i] ^ (unsigned char)t->value[i];
	return diff == 0;
}

static int body_fail(char *err, size_t errlen, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int body_fail(char *err, size_t errlen, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return status;
}

/* A field name we may echo in an error: printable ASCII, short. */
static const char *printable_key(const char *key)
{
	size_t n = strnlen(key, 65);

	if (n == 0 || n > 64)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (key[i] < 0x20 || key[i] > 0x7e || key[i] == '"')
			return NULL;
	return key;
}

int request_parse_body(const char *body, size_t len, char **kind,
                       char **params_json, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root, *jkind, *jparams;
	const char *key;
	json_t *val;
	int status = 0;

	*kind = NULL;
	*params_json = NULL;
	if (len > REQUEST_MAX_BODY)
		return body_fail(err, errlen, 413,
		                 "request body exceeds %u bytes",
		                 REQUEST_MAX_BODY);
	if (len == 0)
		return body_fail(err, errlen, 400,
		                 "empty body: expected a JSON object "
		                 "{\"kind\": ..., \"params\": {...}}");
	/* Checked before parsing so a deep document costs one linear scan,
	 * not a recursive descent. */
	if (!request_depth_ok(body, len, REQUEST_MAX_DEPTH))
		return body_fail(err, errlen, 400,
		                 "JSON nests deeper than %d levels",
		                 REQUEST_MAX_DEPTH);
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return body_fail(err, errlen, 400,
		                 "invalid JSON at line %d column %d: %s",
		                 jerr.line, jerr.column, jerr.text);
	if (!json_is_object(root)) {
		status =
		    body_fail(err, errlen, 400, "body must be a JSON object");
		goto done;
	}
	json_object_foreach(root, key, val)
	{
		if (strcmp(key, "kind") != 0 && strcmp(key, "params") != 0) {
			const char *k = printable_key(key);
			status = body_fail(
			    err, errlen, 400,
			    "unknown field \"%s\" (allowed: kind, params)",
			    k ? k : "?");
			goto done;
		}
	}
	jkind = json_object_get(root, "kind");
	if (jkind == NULL) {
		status = body_fail(err, errlen, 400, "missing field \"kind\"");
		goto done;
	}
	if (!json_is_string(jkind)) {
		status = body_fail(err, errlen, 400,
		                   "field \"kind\" must be a string");
		goto done;
	}
	if (json_string_length(jkind) > REQUEST_MAX_KIND) {
		status = body_fail(err, errlen, 400,
		                   "field \"kind\" is longer than %d bytes",
		                   REQUEST_MAX_KIND);
		goto done;
	}
	if (!request_kind_valid(json_string_value(jkind))) {
		status = body_fail(err, errlen, 400,
		                   "field \"kind\" must match "
		                   "^[a-z][a-z0-9_]*(\\.[a-z0-9_]+)+$");
		goto done;
	}
	jparams = json_object_get(root, "params");
	if (jparams != NULL && !json_is_object(jparams)) {
		status = body_fail(err, errlen, 400,
		                   "field \"params\" must be a JSON object");
		goto done;
	}
	/* Policies see the params as their context, and context.runtime
	 * holds facts only the runtime may state (environment, vehicle
	 * state): an agent that tries to supply them is refused. */
	if (jparams != NULL && json_object_get(jparams, "runtime") != NULL) {
		status = body_fail(err, errlen, 400,
		                   "params.runtime is reserved for facts the "
		                   "runtime injects; rename that field");
		goto done;
	}
	/* tool.mavlink.*: the environment and the vehicle's state are
	 * context.runtime's; params naming them look like a spoof. */
	if (jparams != NULL &&
	    strncmp(json_string_value(jkind), "tool.mavlink.", 13) == 0) {
		const char *k;
		json_t *v;
		json_object_foreach(jparams, k, v)
		{
			if (runtime_fact_name(k)) {
				status = body_fail(
				    err, errlen, 400,
				    "params.%.64s is a fact the runtime "
				    "injects (context.runtime: %s); the "
				    "agent cannot supply it",
				    k, RUNTIME_FACT_NAMES);
				goto done;
			}
		}
	}
	*params_json =
	    jparams ? json_dumps(jparams, JSON_COMPACT) : strdup("{}");
	*kind = strdup(json_string_value(jkind));
	if (*params_json == NULL || *kind == NULL) {
		status = body_fail(err, errlen, 500, "out of memory");
		goto done;
	}
	/* Re-encoding can grow numbers ("1e5" -> "100000.0"). */
	if (strlen(*params_json) > ENV_MAX_JSON) {
		status = body_fail(err, errlen, 413,
		                   "field \"params\" exceeds %u bytes once "
		                   "normalised",
		                   ENV_MAX_JSON);
		goto done;
	}
done:
	json_decref(root);
	if (status != 0) {
		free(*kind);
		free(*params_json);
		*kind = NULL;
		*params_json = NULL;
	}
	return status;
}

/* An audit id goes into a response header: visible ASCII only. */
static int audit_id_ok(const char *id)
{
	if (id[0] == '\0')
		return 0;
	for (const char *p = id; *p; p++)
		if (*p < 0x21 || *p > 0x7e)
			return 0;
	return 1;
}

static void unavailable(struct http_reply *out, const char *why)
{
	error_replyf(out, 503, "policy decision unavailable: %s", why);
}

/* json_string() refuses text that is not UTF-8; a reply from policyd
 * that we cannot represent is a broken reply, not an empty field. */
static int set_str(json_t *obj, const char *key, const char *value)
{
	json_t *s = json_string(value);

	return s ? json_object_set_new(obj, key, s) : -1;
}

static void render_decision(const Autonomy__ToolResponse *r,
                            struct http_reply *out)
{
	json_t *obj = json_object();
	json_t *v;
	unsigned status;
	int rc = obj ? 0 : -1;

	switch (r->outcome) {
	case AUTONOMY__OUTCOME__OUTCOME_ALLOW:
		status = 200;
		v = json_loads(r->output_json, JSON_DECODE_ANY, NULL);
		if (v == NULL) {
			json_decref(obj);
			unavailable(out, "runtime returned invalid output");
			return;
		}
		rc |= set_str(obj, "decision", "allow");
		rc |= set_str(obj, "audit_id", r->audit_id);
		rc |= set_str(obj, "kind", r->kind);
		rc |= set_str(obj, "policy_ref", r->policy_ref);
		rc |= json_object_set_new(obj, "output", v);
		break;
	case AUTONOMY__OUTCOME__OUTCOME_DENY:
		status = 403;
		if (strcmp(r->layer, "policy") != 0 &&
		    strcmp(r->layer, "runtime") != 0) {
			json_decref(obj);
			unavailable(out, "deny without a known layer");
			return;
		}
		v = json_array();
		rc |= v ? 0 : -1;
		for (size_t i = 0; v && i < r->n_policies; i++) {
			json_t *p = json_string(r->policies[i]);
			rc |= p ? json_array_append_new(v, p) : -1;
		}
		rc |= set_str(obj, "decision", "deny");
		rc |= set_str(obj, "audit_id", r->audit_id);
		rc |= set_str(obj, "kind", r->kind);
		rc |= set_str(obj, "layer", r->layer);
		rc |= set_str(obj, "reason", r->reason);
		rc |= json_object_set_new(obj, "policies", v);
		rc |= set_str(obj, "policy_ref", r->policy_ref);
		/* policies that errored did not apply; a deny says so */
		if (r->n_errors > 0) {
			json_t *e = json_array();
			rc |= e ? 0 : -1;
			for (size_t i = 0; e && i < r->n_errors; i++) {
				json_t *m = json_string(r->errors[i]);
				rc |= m ? json_array_append_new(e, m) : -1;
			}
			rc |= json_object_set_new(obj, "errors", e);
		}
		break;
	case AUTONOMY__OUTCOME__OUTCOME_BAD_PARAMS:
		status = 400;
		rc |= set_str(obj, "decision", "allow");
		rc |= set_str(obj, "audit_id", r->audit_id);
		rc |= set_str(obj, "kind", r->kind);
		rc |= set_str(obj, "policy_ref", r->policy_ref);
		rc |= set_str(obj, "error", r->error);
		break;
	default:
		json_decref(obj);
		unavailable(out, "unknown outcome");
		return;
	}
	if (rc != 0) {
		json_decref(obj);
		unavailable(out, "runtime reply is not valid UTF-8");
		return;
	}
	reply_json(out, status, obj);
}

void request_render(const Envelope *resp, const char *backend_err,
                    const char *kind, struct http_reply *out)
{
	const Autonomy__ToolResponse *r;

	out->audit_id[0] = '\0';
	if (resp == NULL) {
		unavailable(out, backend_err ? backend_err : "no reply");
		return;
	}
	if (resp->body_case == AUTONOMY__ENVELOPE__BODY_ERROR) {
		unavailable(out, resp->error->message);
		return;
	}
	if (resp->body_case != AUTONOMY__ENVELOPE__BODY_TOOL_RESPONSE) {
		unavailable(out, "unexpected reply from policyd");
		return;
	}
	r = resp->tool_response;
	if (r->outcome == AUTONOMY__OUTCOME__OUTCOME_UNAVAILABLE) {
		unavailable(out, r->error[0] ? r->error : "runtime failed");
		return;
	}
	/* Fail closed on a reply that is not for this call. */
	if (strcmp(r->kind, kind) != 0) {
		unavailable(out, "reply for a different kind");
		return;
	}
	if (!audit_id_ok(r->audit_id)) {
		unavailable(out, "reply without a usable audit id");
		return;
	}
	render_decision(r, out);
	/* The decision is recorded under this id even when its reply could
	 * not be rendered, so the caller can still find it in the WAL. */
	snprintf(out->audit_id, sizeof(out->audit_id), "%s", r->audit_id);
}

int request_preflight(const char *method, const char *url,
                      const char *authorization, long long content_length,
                      const struct tool_token *token, struct http_reply *out)
{
	out->status = 0;
	out->audit_id[0] = '\0';
	out->allow = NULL;
	out->www_authenticate = 0;
	if (strcmp(url, "/v1/health") == 0) {
		if (strcmp(method, "GET") != 0) {
			out->allow = "GET";
			request_error_reply(out, 405,
			                    "method not allowed: use GET");
			return 0;
		}
		reply_json(out, 200, json_pack("{s:s}", "status", "ok"));
		return 0;
	}
	if (strcmp(url, "/v1/tool") != 0) {
		request_error_reply(out, 404, "not found: use POST /v1/tool");
		return 0;
	}
	if (strcmp(method, "POST") != 0) {
		out->allow = "POST";
		request_error_reply(out, 405, "method not allowed: use POST");
		return 0;
	}
	if (!request_token_ok(authorization, token)) {
		out->www_authenticate = 1;
		request_error_reply(out, 401,
		                    "missing or invalid bearer token "
		                    "(Authorization: Bearer "
		                    "$AUTONOMY_RUNTIME_TOKEN)");
		return 0;
	}
	if (content_length > (long long)REQUEST_MAX_BODY) {
		error_replyf(out, 413, "request body exceeds %u bytes",
		             REQUEST_MAX_BODY);
		return 0;
	}
	return 1;
}

void request_handle_body(const char *body, size_t len,
                         const struct tool_backend *be, struct http_reply *out)
{
	char err[512];
	char *kind, *params;
	Envelope *resp;
	int status;

	status =
	    request_parse_body(body, len, &kind, &params, err, sizeof(err));
	if (status != 0) {
		request_error_reply(out, (unsigned)status, err);
		return;
	}
	err[0] = '\0';
	resp = be->call(be->arg, kind, params, err, sizeof(err));
	request_render(resp, err, kind, out);
	envelope_free(resp);
	free(kind);
	free(params);
}

void request_handle(const char *method, const char *url,
                    const char *authorization, const char *body, size_t len,
                    const struct tool_token *token,
                    const struct tool_backend *be, struct http_reply *out)
{
	if (request_preflight(method, url, authorization, (long long)len, token,
	                      out))
		request_handle_body(body, len, be, out);
}
