/* Policy sets (static policies, templates, links) and the authorizer. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cedar_int.h"

struct cedar_policy_set {
	struct arena arena;
	size_t next_pos; /* positional ids handed out so far */
	/* every id in use: policies, templates, links */
	const char **ids;
	const struct ctemplate **ids_tpl; /* the template an id names */
	uint32_t ids_mask, n_ids;
	struct cpolicy *policies;
	size_t n_policies, cap_policies;
};

struct cedar_authorizer {
	struct arena arena;
	size_t cap;
	size_t *permits, *forbids;
	struct cedar_eval_error *errors;
};

static void diag(struct cedar_diag *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void diag(struct cedar_diag *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
}

struct cedar_policy_set *cedar_policy_set_new(void)
{
	struct cedar_policy_set *ps = calloc(1, sizeof(*ps));

	if (ps != NULL)
		arena_init(&ps->arena, (size_t)1 << 32);
	return ps;
}

void cedar_policy_set_free(struct cedar_policy_set *ps)
{
	if (ps == NULL)
		return;
	arena_free(&ps->arena);
	free(ps->ids);
	free(ps->ids_tpl);
	free(ps->policies);
	free(ps);
}

/* ---- ids ------------------------------------------------------------ */

static uint32_t id_slot(const struct cedar_policy_set *ps, const char *id)
{
	uint32_t j = cedar_hash(id, strlen(id)) & ps->ids_mask;

	while (ps->ids[j] != NULL && strcmp(ps->ids[j], id) != 0)
		j = (j + 1) & ps->ids_mask;
	return j;
}

static bool id_taken(const struct cedar_policy_set *ps, const char *id)
{
	return ps->ids != NULL && ps->ids[id_slot(ps, id)] != NULL;
}

static int ids_reserve(struct cedar_policy_set *ps, size_t more)
{
	uint32_t cap = ps->ids_mask + 1;
	const char **old = ps->ids;
	const struct ctemplate **old_tpl = ps->ids_tpl;
	uint32_t old_cap = ps->ids == NULL ? 0 : cap;

	if (ps->n_ids + more > CEDAR_MAX_POLICIES)
		return -1;
	if (ps->ids != NULL && (ps->n_ids + more) * 2 <= cap)
		return 0;
	for (cap = 64; cap < (ps->n_ids + more) * 2; cap *= 2)
		;
	ps->ids = calloc(cap, sizeof(*ps->ids));
	ps->ids_tpl = calloc(cap, sizeof(*ps->ids_tpl));
	if (ps->ids == NULL || ps->ids_tpl == NULL) {
		free(ps->ids);
		free(ps->ids_tpl);
		ps->ids = old;
		ps->ids_tpl = old_tpl;
		return -1;
	}
	ps->ids_mask = cap - 1;
	for (uint32_t i = 0; i < old_cap; i++)
		if (old[i] != NULL) {
			uint32_t j = id_slot(ps, old[i]);

			ps->ids[j] = old[i];
			ps->ids_tpl[j] = old_tpl[i];
		}
	free(old);
	free(old_tpl);
	return 0;
}

/* Callers reserved room first. tpl: the template, if id names one. */
static void id_add(struct cedar_policy_set *ps, const char *id,
                   const struct ctemplate *tpl)
{
	uint32_t j = id_slot(ps, id);

	ps->ids[j] = id;
	ps->ids_tpl[j] = tpl;
	ps->n_ids++;
}

static const struct ctemplate *template_named(const struct cedar_policy_set *ps,
                                              const char *id)
{
	return ps->ids != NULL ? ps->ids_tpl[id_slot(ps, id)] : NULL;
}

static int grow(void **v, size_t *cap, size_t need, size_t size)
{
	size_t ncap;
	void *nv;

	if (need <= *cap)
		return 0;
	for (ncap = *cap == 0 ? 16 : *cap; ncap < need; ncap *= 2)
		;
	nv = realloc(*v, ncap * size);
	if (nv == NULL)
		return -1;
	*v = nv;
	*cap = ncap;
	return 0;
}

static bool has_slots(const struct ctemplate *t)
{
	return t->pslot || t->rslot;
}

/* ---- adding policies ------------------------------------------------ */

int cedar_policy_set_parse(struct cedar_policy_set *ps, const char *file,
                           const char *text, size_t len, unsigned flags,
                           struct cedar_diag *d)
{
	struct arena_mark m;
	struct ctemplate **t = NULL;
	size_t np = 0;
	int n;

	arena_mark(&ps->arena, &m);
	n = cedar_parse_policies(&ps->arena, file, text, len, ps->next_pos, &t,
	                         d);
	if (n < 0)
		goto fail;
	for (int i = 0; i < n; i++) {
		if (has_slots(t[i])) {
			if (flags & CEDAR_PARSE_STATIC_ONLY) {
				diag(d,
				     "%s: static policy set includes a "
				     "template (%s)",
				     file != NULL ? file : "<policy>",
				     t[i]->id);
				goto fail;
			}
		} else {
			np++;
		}
		if (id_taken(ps, t[i]->id)) {
			diag(d, "%s: duplicate template or policy id `%s`",
			     file != NULL ? file : "<policy>", t[i]->id);
			goto fail;
		}
	}
	if (ids_reserve(ps, (size_t)n) < 0 ||
	    grow((void **)&ps->policies, &ps->cap_policies, ps->n_policies + np,
	         sizeof(*ps->policies)) < 0) {
		diag(d, "%s: too many policies or out of memory",
		     file != NULL ? file : "<policy>");
		goto fail;
	}
	for (int i = 0; i < n; i++) {
		id_add(ps, t[i]->id, has_slots(t[i]) ? t[i] : NULL);
		if (!has_slots(t[i])) {
			struct cpolicy *p = &ps->policies[ps->n_policies++];

			p->id = t[i]->id;
			p->t = t[i];
			p->pslot = p->rslot = NULL;
		}
	}
	ps->next_pos += (size_t)n;
	return 0;
fail:
	arena_release(&ps->arena, &m);
	return -1;
}

static char *arena_strdup(struct arena *a, const char *s)
{
	size_t n = strlen(s);
	char *c = arena_alloc(a, n + 1);

	if (c != NULL)
		memcpy(c, s, n + 1);
	return c;
}

int cedar_policy_set_add_template(struct cedar_policy_set *ps, const char *id,
                                  const char *file, const char *text,
                                  size_t len, struct cedar_diag *d)
{
	struct arena_mark m;
	struct ctemplate **t = NULL;
	char *copy;
	int n;

	if (id_taken(ps, id)) {
		diag(d, "duplicate template or policy id `%s`", id);
		return -1;
	}
	arena_mark(&ps->arena, &m);
	n = cedar_parse_policies(&ps->arena, file, text, len, 0, &t, d);
	if (n < 0)
		goto fail;
	if (n != 1) {
		diag(d, "%s: expected exactly one template, found %d policies",
		     file != NULL ? file : "<template>", n);
		goto fail;
	}
	if (!has_slots(t[0])) {
		diag(d, "%s: expected a template, got a static policy",
		     file != NULL ? file : "<template>");
		goto fail;
	}
	copy = arena_strdup(&ps->arena, id);
	if (copy == NULL || ids_reserve(ps, 1) < 0) {
		diag(d, "too many policies or out of memory");
		goto fail;
	}
	t[0]->id = copy;
	id_add(ps, copy, t[0]);
	return 0;
fail:
	arena_release(&ps->arena, &m);
	return -1;
}

int cedar_policy_set_link(struct cedar_policy_set *ps, const char *template_id,
                          const char *link_id, const json_t *principal,
                          const json_t *resource, struct cedar_diag *d)
{
	const struct ctemplate *t = template_named(ps, template_id);
	struct json_conv cv;
	struct arena_mark m;
	struct cpolicy p = {0};
	char msg[256];
	char *copy;

	if (t == NULL) {
		diag(d,
		     "unable to link template: failed to find a template "
		     "with id `%s`",
		     template_id);
		return -1;
	}
	if ((t->pslot && principal == NULL) || (t->rslot && resource == NULL)) {
		diag(d, "unable to link template `%s`: slot %s not provided",
		     template_id,
		     t->pslot && principal == NULL ? "?principal"
		                                   : "?resource");
		return -1;
	}
	if ((!t->pslot && principal != NULL) ||
	    (!t->rslot && resource != NULL)) {
		diag(d,
		     "unable to link template `%s`: slot %s provided, but "
		     "the template does not have it",
		     template_id,
		     !t->pslot && principal != NULL ? "?principal"
		                                    : "?resource");
		return -1;
	}
	if (id_taken(ps, link_id)) {
		diag(d,
		     "unable to link template: template-linked policy id "
		     "`%s` conflicts with an existing policy id",
		     link_id);
		return -1;
	}
	arena_mark(&ps->arena, &m);
	cv.a = &ps->arena;
	cv.in = NULL;
	cv.msg = msg;
	cv.msglen = sizeof(msg);
	if ((principal != NULL &&
	     cedar_json_uid(&cv, principal, &p.pslot) < 0) ||
	    (resource != NULL && cedar_json_uid(&cv, resource, &p.rslot) < 0)) {
		diag(d, "unable to link template `%s`: %s", template_id, msg);
		goto fail;
	}
	copy = arena_strdup(&ps->arena, link_id);
	if (copy == NULL || ids_reserve(ps, 1) < 0 ||
	    grow((void **)&ps->policies, &ps->cap_policies, ps->n_policies + 1,
	         sizeof(*ps->policies)) < 0) {
		diag(d, "too many policies or out of memory");
		goto fail;
	}
	p.id = copy;
	p.t = t;
	id_add(ps, copy, NULL);
	ps->policies[ps->n_policies++] = p;
	return 0;
fail:
	arena_release(&ps->arena, &m);
	return -1;
}

/* ---- queries -------------------------------------------------------- */

size_t cedar_policy_count(const struct cedar_policy_set *ps)
{
	return ps->n_policies;
}

const char *cedar_policy_id(const struct cedar_policy_set *ps, size_t i)
{
	return i < ps->n_policies ? ps->policies[i].id : NULL;
}

bool cedar_policy_is_forbid(const struct cedar_policy_set *ps, size_t i)
{
	return i < ps->n_policies && ps->policies[i].t->forbid;
}

const char *cedar_policy_annotation(const struct cedar_policy_set *ps, size_t i,
                                    const char *key)
{
	const struct ctemplate *t;

	if (i >= ps->n_policies)
		return NULL;
	t = ps->policies[i].t;
	for (uint32_t k = 0; k < t->n_annots; k++)
		if (t->annots[k].key->len == strlen(key) &&
		    memcmp(t->annots[k].key->s, key, t->annots[k].key->len) ==
		        0)
			return t->annots[k].value->s;
	return NULL;
}

const char *cedar_policy_name(const struct cedar_policy_set *ps, size_t i)
{
	const char *id = cedar_policy_annotation(ps, i, "id");

	return id != NULL && id[0] != '\0' ? id : cedar_policy_id(ps, i);
}

/* ---- authorization -------------------------------------------------- */

struct cedar_authorizer *cedar_authorizer_new(void)
{
	struct cedar_authorizer *az = calloc(1, sizeof(*az));

	if (az != NULL)
		arena_init(&az->arena, CEDAR_MAX_EVAL_BYTES);
	return az;
}

void cedar_authorizer_free(struct cedar_authorizer *az)
{
	if (az == NULL)
		return;
	arena_free(&az->arena);
	free(az->permits);
	free(az->forbids);
	free(az->errors);
	free(az);
}

static int reserve(struct cedar_authorizer *az, size_t n)
{
	size_t *p, *f;
	struct cedar_eval_error *e;

	if (n <= az->cap)
		return 0;
	p = realloc(az->permits, n * sizeof(*p));
	if (p != NULL)
		az->permits = p;
	f = realloc(az->forbids, n * sizeof(*f));
	if (f != NULL)
		az->forbids = f;
	e = realloc(az->errors, n * sizeof(*e));
	if (e != NULL)
		az->errors = e;
	if (p == NULL || f == NULL || e == NULL)
		return -1;
	az->cap = n;
	return 0;
}

static int request_uid(struct json_conv *cv, const json_t *j, const char *what,
                       struct cval *out, struct cedar_diag *d)
{
	out->kind = CV_UID;
	if (j == NULL) {
		diag(d, "request: missing %s", what);
		return -1;
	}
	if (cedar_json_uid(cv, j, &out->uid) < 0) {
		diag(d, "request: %s: %s", what, cv->msg);
		return -1;
	}
	return 0;
}

int cedar_authorize(struct cedar_authorizer *az,
                    const struct cedar_policy_set *ps,
                    const struct cedar_entities *es,
                    const struct cedar_request *req, struct cedar_response *out,
                    struct cedar_diag *d)
{
	struct ectx cx;
	struct json_conv cv;
	char msg[256];
	size_t np = 0, nf = 0, ne = 0;

	memset(out, 0, sizeof(*out));
	arena_reset(&az->arena);
	if (reserve(az, ps->n_policies) < 0) {
		diag(d, "out of memory");
		return -1;
	}
	memset(&cx, 0, sizeof(cx));
	cx.es = es;
	cx.a = &az->arena;
	cv.a = &az->arena;
	cv.in = NULL;
	cv.msg = msg;
	cv.msglen = sizeof(msg);
	if (request_uid(&cv, req->principal, "principal", &cx.vars[0], d) < 0 ||
	    request_uid(&cv, req->action, "action", &cx.vars[1], d) < 0 ||
	    request_uid(&cv, req->resource, "resource", &cx.vars[2], d) < 0)
		return -1;
	if (req->context == NULL) {
		cx.vars[3].kind = CV_REC;
		cx.vars[3].rec = &cedar_empty_rec;
	} else if (cedar_json_value(&cv, req->context, &cx.vars[3], 0) < 0) {
		diag(d, "request: context: %s", msg);
		return -1;
	} else if (cx.vars[3].kind != CV_REC) {
		diag(d, "request: context: expression is not a record");
		return -1;
	}
	for (int i = 0; i < 3; i++)
		cx.var_ent[i] = cedar_entity_find(es, cx.vars[i].uid);
	for (size_t i = 0; i < ps->n_policies; i++) {
		struct arena_mark m;
		int r;

		arena_mark(&az->arena, &m);
		r = cedar_eval_policy(&cx, &ps->policies[i]);
		arena_release(&az->arena, &m);
		if (r < 0) {
			size_t n = strlen(cx.err) + 1;
			char *s = arena_alloc(&az->arena, n);

			if (s != NULL)
				memcpy(s, cx.err, n);
			az->errors[ne].policy = i;
			az->errors[ne++].message = s != NULL ? s : "error";
		} else if (r > 0) {
			if (ps->policies[i].t->forbid)
				az->forbids[nf++] = i;
			else
				az->permits[np++] = i;
		}
	}
	if (nf == 0 && np > 0) {
		out->decision = CEDAR_ALLOW;
		out->n_reasons = np;
		out->reasons = az->permits;
	} else {
		out->decision = CEDAR_DENY;
		out->n_reasons = nf;
		out->reasons = az->forbids;
	}
	out->n_errors = ne;
	out->errors = az->errors;
	return 0;
}
