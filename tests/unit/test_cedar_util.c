/* See test_cedar_util.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "test_cedar_util.h"

static void join(char *buf, size_t len, const char *s)
{
	size_t n = strlen(buf);

	snprintf(buf + n, len - n, "%s%s", n > 0 ? "," : "", s);
}

void tc_authorize_req(const char *policies, const char *entities,
                      const char *principal, const char *action,
                      const char *resource, const char *context,
                      struct tc_answer *out)
{
	struct cedar_policy_set *ps = cedar_policy_set_new();
	struct cedar_authorizer *az = cedar_authorizer_new();
	struct cedar_entities *es = NULL;
	json_t *ej = json_loads(entities ? entities : "[]", 0, NULL);
	json_t *cj = json_loads(context ? context : "{}", 0, NULL);
	json_t *pj = json_loads(principal, 0, NULL);
	json_t *aj = json_loads(action, 0, NULL);
	json_t *rj = json_loads(resource, 0, NULL);
	struct cedar_request req = {pj, aj, rj, cj};
	struct cedar_response r;
	struct cedar_diag d;

	memset(out, 0, sizeof(*out));
	if (ps == NULL || az == NULL || ej == NULL || cj == NULL) {
		out->status = -2;
		snprintf(out->diag, sizeof(out->diag), "bad test input");
		goto done;
	}
	if (cedar_policy_set_parse(ps, "test", policies, strlen(policies), 0,
	                           &d) < 0) {
		out->status = -1;
		snprintf(out->diag, sizeof(out->diag), "%s", d.msg);
		goto done;
	}
	es = cedar_entities_load(ej, &d);
	if (es == NULL) {
		out->status = -2;
		snprintf(out->diag, sizeof(out->diag), "%s", d.msg);
		goto done;
	}
	if (cedar_authorize(az, ps, es, &req, &r, &d) < 0) {
		out->status = -3;
		snprintf(out->diag, sizeof(out->diag), "%s", d.msg);
		goto done;
	}
	out->allow = r.decision == CEDAR_ALLOW;
	for (size_t i = 0; i < r.n_reasons; i++)
		join(out->reasons, sizeof(out->reasons),
		     cedar_policy_id(ps, r.reasons[i]));
	for (size_t i = 0; i < r.n_errors; i++) {
		size_t n = strlen(out->messages);

		join(out->errors, sizeof(out->errors),
		     cedar_policy_id(ps, r.errors[i].policy));
		snprintf(out->messages + n, sizeof(out->messages) - n,
		         "%s%s: %s", n > 0 ? "; " : "",
		         cedar_policy_id(ps, r.errors[i].policy),
		         r.errors[i].message);
	}
done:
	json_decref(ej);
	json_decref(cj);
	json_decref(pj);
	json_decref(aj);
	json_decref(rj);
	cedar_entities_free(es);
	cedar_authorizer_free(az);
	cedar_policy_set_free(ps);
}

void tc_authorize(const char *policies, const char *entities,
                  const char *context, struct tc_answer *out)
{
	tc_authorize_req(policies, entities,
	                 "{\"type\": \"User\", \"id\": \"alice\"}",
	                 "{\"type\": \"Action\", \"id\": \"view\"}",
	                 "{\"type\": \"Photo\", \"id\": \"p\"}", context, out);
}

int tc_eval(const char *expr, const char *entities, const char *context)
{
	struct tc_answer a;
	size_t n = strlen(expr) + 80;
	char *text = malloc(n);

	snprintf(text, n, "permit(principal, action, resource) when { %s };",
	         expr);
	tc_authorize(text, entities, context, &a);
	free(text);
	if (a.status == -1)
		return TC_PARSE;
	if (a.status < 0)
		return TC_LOAD;
	if (a.errors[0] != '\0')
		return TC_ERROR;
	return a.allow ? TC_TRUE : TC_FALSE;
}

int tc_parse(const char *text, char *diag, size_t len)
{
	struct cedar_policy_set *ps = cedar_policy_set_new();
	struct cedar_diag d;
	int r;

	d.msg[0] = '\0';
	r = cedar_policy_set_parse(ps, "test.cedar", text, strlen(text), 0, &d);
	snprintf(diag, len, "%s", d.msg);
	cedar_policy_set_free(ps);
	return r;
}
