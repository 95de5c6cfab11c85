/* cedar_batch: the engine as the differential tests drive it. One JSON
 * case per stdin line, one JSON answer per stdout line (flushed):
 *
 *   {"id", "policies": text, "templates": {tid: text}?, "links":
 *    [{"template", "id", "values": {"?principal": uid, "?resource": uid}}]?,
 *    "entities": [...], "principal", "action", "resource", "context"}
 * ->
 *   {"id", "decision": "allow"|"deny", "reason": [ids], "errors": [ids],
 *    "failure": null}   or   {"id", "failure": "<why>"}
 *
 * ids sorted. The case is read as the reference's isAuthorized() reads
 * it: "policies" is a static policy set (a template in it is a failure),
 * positional ids policy0, policy1, ...
 * --messages adds "messages": ["<id>: <error>", ...] to each answer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cedar.h"

static bool with_messages;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static json_t *sorted_ids(const char **ids, size_t n)
{
	json_t *arr = json_array();

	qsort(ids, n, sizeof(*ids), cmp_str);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_string(ids[i]));
	return arr;
}

static json_t *failure(json_t *id, const char *msg)
{
	json_t *out = json_object();

	json_object_set(out, "id", id != NULL ? id : json_null());
	json_object_set_new(out, "failure", json_string(msg));
	return out;
}

static int add_links(struct cedar_policy_set *ps, const json_t *links,
                     struct cedar_diag *d)
{
	size_t i;
	json_t *l;

	if (links == NULL || json_is_null(links))
		return 0;
	if (!json_is_array(links)) {
		snprintf(d->msg, sizeof(d->msg), "links: expected an array");
		return -1;
	}
	json_array_foreach(links, i, l)
	{
		const char *tid =
		    json_string_value(json_object_get(l, "template"));
		const char *lid = json_string_value(json_object_get(l, "id"));
		json_t *values = json_object_get(l, "values");
		const char *key;
		json_t *v;

		if (tid == NULL || lid == NULL ||
		    (values != NULL && !json_is_object(values))) {
			snprintf(d->msg, sizeof(d->msg),
			         "links[%zu]: expected {\"template\", \"id\", "
			         "\"values\"}",
			         i);
			return -1;
		}
		json_object_foreach(values, key, v)
		{
			if (strcmp(key, "?principal") != 0 &&
			    strcmp(key, "?resource") != 0) {
				snprintf(
				    d->msg, sizeof(d->msg),
				    "links[%zu]: unknown slot `%s`, expected "
				    "`?principal` or `?resource`",
				    i, key);
				return -1;
			}
		}
		if (cedar_policy_set_link(
		        ps, tid, lid, json_object_get(values, "?principal"),
		        json_object_get(values, "?resource"), d) < 0)
			return -1;
	}
	return 0;
}

static json_t *run_case(struct cedar_authorizer *az, json_t *c)
{
	json_t *id = json_object_get(c, "id");
	const json_t *pol = json_object_get(c, "policies");
	const json_t *tpls = json_object_get(c, "templates");
	const json_t *ents = json_object_get(c, "entities");
	struct cedar_policy_set *ps = cedar_policy_set_new();
	struct cedar_entities *es = NULL;
	struct cedar_request req;
	struct cedar_response r;
	struct cedar_diag d;
	json_t *out = NULL, *empty = NULL;
	const char **ids = NULL;
	const char *key;
	json_t *v;

	d.msg[0] = '\0';
	if (ps == NULL)
		return failure(id, "out of memory");
	if (pol != NULL && !json_is_string(pol)) {
		out = failure(id, "policies: expected a string");
		goto done;
	}
	if (pol != NULL &&
	    cedar_policy_set_parse(ps, "policies", json_string_value(pol),
	                           json_string_length(pol),
	                           CEDAR_PARSE_STATIC_ONLY, &d) < 0)
		goto fail;
	if (tpls != NULL && !json_is_null(tpls)) {
		if (!json_is_object(tpls)) {
			out = failure(id, "templates: expected an object");
			goto done;
		}
		json_object_foreach((json_t *)tpls, key, v)
		{
			if (!json_is_string(v)) {
				out = failure(id, "templates: expected text");
				goto done;
			}
			if (cedar_policy_set_add_template(
			        ps, key, key, json_string_value(v),
			        json_string_length(v), &d) < 0)
				goto fail;
		}
	}
	if (add_links(ps, json_object_get(c, "links"), &d) < 0)
		goto fail;
	if (ents == NULL)
		ents = empty = json_array();
	es = cedar_entities_load(ents, &d);
	if (es == NULL)
		goto fail;
	req.principal = json_object_get(c, "principal");
	req.action = json_object_get(c, "action");
	req.resource = json_object_get(c, "resource");
	req.context = json_object_get(c, "context");
	if (cedar_authorize(az, ps, es, &req, &r, &d) < 0)
		goto fail;
	out = json_object();
	json_object_set(out, "id", id != NULL ? id : json_null());
	json_object_set_new(
	    out, "decision",
	    json_string(r.decision == CEDAR_ALLOW ? "allow" : "deny"));
	ids = calloc(r.n_reasons + r.n_errors + 1, sizeof(*ids));
	if (ids == NULL) {
		json_decref(out);
		out = failure(id, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < r.n_reasons; i++)
		ids[i] = cedar_policy_id(ps, r.reasons[i]);
	json_object_set_new(out, "reason", sorted_ids(ids, r.n_reasons));
	for (size_t i = 0; i < r.n_errors; i++)
		ids[i] = cedar_policy_id(ps, r.errors[i].policy);
	json_object_set_new(out, "errors", sorted_ids(ids, r.n_errors));
	json_object_set_new(out, "failure", json_null());
	if (with_messages) {
		json_t *m = json_array();

		for (size_t i = 0; i < r.n_errors; i++) {
			char buf[CEDAR_DIAG_MAX];

			snprintf(buf, sizeof(buf), "%s: %s",
			         cedar_policy_id(ps, r.errors[i].policy),
			         r.errors[i].message);
			json_array_append_new(m, json_string(buf));
		}
		json_object_set_new(out, "messages", m);
	}
	goto done;
fail:
	out = failure(id, d.msg[0] ? d.msg : "failure");
done:
	free(ids);
	json_decref(empty);
	cedar_entities_free(es);
	cedar_policy_set_free(ps);
	return out;
}

/* A JSON number written -0: the reference's JSON reader (serde_json)
 * makes it the float -0.0, which no Cedar value accepts; jansson reads
 * the integer 0. Strings are skipped. */
static bool has_negative_zero(const char *s, size_t n)
{
	bool in_str = false;

	for (size_t i = 0; i < n; i++) {
		if (in_str) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				in_str = false;
			continue;
		}
		if (s[i] == '"') {
			in_str = true;
		} else if (s[i] == '-' && i + 1 < n && s[i + 1] == '0' &&
		           (i + 2 == n ||
		            strchr("0123456789.eE", s[i + 2]) == NULL)) {
			return true;
		}
	}
	return false;
}

int main(int argc, char **argv)
{
	struct cedar_authorizer *az = cedar_authorizer_new();
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--messages") == 0) {
			with_messages = true;
		} else {
			fprintf(stderr,
			        "usage: cedar_batch [--messages] < cases\n");
			return 2;
		}
	}
	if (az == NULL) {
		fprintf(stderr, "cedar_batch: out of memory\n");
		return 1;
	}
	while ((n = getline(&line, &cap, stdin)) > 0) {
		json_error_t err;
		json_t *c, *out;
		char *text;

		if (strspn(line, " \t\r\n") == (size_t)n)
			continue;
		c = json_loadb(line, (size_t)n, JSON_ALLOW_NUL, &err);
		if (c == NULL && strstr(err.text, "too big") != NULL) {
			/* an integer beyond 64 bits: the reference fails the
			 * case; read it again only to learn its id */
			c = json_loadb(line, (size_t)n,
			               JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL,
			               &err);
			out = failure(json_object_get(c, "id"),
			              "integer out of the 64-bit range");
		} else if (c != NULL && json_is_object(c) &&
		           has_negative_zero(line, (size_t)n)) {
			out = failure(json_object_get(c, "id"),
			              "-0 is not an integer (the reference "
			              "reads it as a float)");
		} else if (c == NULL || !json_is_object(c)) {
			char msg[300];

			snprintf(msg, sizeof(msg), "bad case line: %s",
			         c == NULL ? err.text : "not an object");
			out = failure(NULL, msg);
		} else {
			out = run_case(az, c);
		}
		text = json_dumps(out, JSON_COMPACT | JSON_ENSURE_ASCII);
		if (text != NULL) {
			fputs(text, stdout);
			fputc('\n', stdout);
			fflush(stdout);
			free(text);
		}
		json_decref(out);
		json_decref(c);
	}
	free(line);
	cedar_authorizer_free(az);
	return 0;
}
