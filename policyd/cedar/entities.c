/* JSON values and entities in the reference's format, and the entity
 * store: a hash table by uid, each entity with its transitive ancestors
 * precomputed (sorted by hash), so `in` is a lookup, never a walk. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cedar_int.h"

/* ---- values --------------------------------------------------------- */

static int jfail(struct json_conv *cv, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int jfail(struct json_conv *cv, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cv->msg, cv->msglen, fmt, ap);
	va_end(ap);
	return -1;
}

static const struct cstr *jstr(struct json_conv *cv, const char *s, size_t n)
{
	const struct cstr *c =
	    cv->in != NULL ? intern_str(cv->in, s, n) : cstr_new(cv->a, s, n);

	if (c == NULL)
		jfail(cv, "out of memory");
	return c;
}

/* {"type": T, "id": I} with both strings; NULL if j is not of that shape
 * (a reference "TypeAndId"). */
static bool type_and_id(const json_t *j, const json_t **type, const json_t **id)
{
	if (!json_is_object(j))
		return false;
	*type = json_object_get(j, "type");
	*id = json_object_get(j, "id");
	return json_is_string(*type) && json_is_string(*id);
}

static int make_uid(struct json_conv *cv, const json_t *type, const json_t *id,
                    const struct cuid **out)
{
	const char *ts = json_string_value(type);
	size_t tn = json_string_length(type);
	const struct cstr *t, *i;

	if (!cedar_name_valid(ts, tn))
		return jfail(cv, "invalid entity type name `%.*s`",
		             (int)(tn > 100 ? 100 : tn), ts);
	t = jstr(cv, ts, tn);
	i = jstr(cv, json_string_value(id), json_string_length(id));
	if (t == NULL || i == NULL)
		return -1;
	*out =
	    cv->in != NULL ? intern_uid(cv->in, t, i) : cuid_new(cv->a, t, i);
	if (*out == NULL)
		return jfail(cv, "out of memory");
	return 0;
}

int cedar_json_uid(struct json_conv *cv, const json_t *j,
                   const struct cuid **out)
{
	const json_t *type, *id, *esc;

	esc = json_is_object(j) ? json_object_get(j, "__entity") : NULL;
	if (esc != NULL && type_and_id(esc, &type, &id))
		return make_uid(cv, type, id, out);
	if (type_and_id(j, &type, &id))
		return make_uid(cv, type, id, out);
	return jfail(cv, "expected an entity uid: {\"type\": \"..\", \"id\": "
	                 "\"..\"} or {\"__entity\": {\"type\": \"..\", \"id\": "
	                 "\"..\"}}");
}

static int json_record(struct json_conv *cv, const json_t *j, struct cval *out,
                       int depth)
{
	size_t n = json_object_size(j), i = 0;
	struct crec_ent *ents;
	const char *key;
	size_t klen;
	json_t *v;

	if (n > CEDAR_MAX_ELEMS)
		return jfail(cv, "record with too many attributes (limit %d)",
		             CEDAR_MAX_ELEMS);
	ents = arena_alloc(cv->a, (n + 1) * sizeof(*ents));
	if (ents == NULL)
		return jfail(cv, "out of memory");
	json_object_keylen_foreach((json_t *)j, key, klen, v)
	{
		ents[i].k = jstr(cv, key, klen);
		if (ents[i].k == NULL ||
		    cedar_json_value(cv, v, &ents[i].v, depth + 1) < 0)
			return -1;
		i++;
	}
	out->kind = CV_REC;
	out->rec = crec_make(cv->a, ents, i);
	return out->rec != NULL ? 0 : jfail(cv, "out of memory");
}

/* The reference reads a value as the first of these that fits:
 * {"__expr": string} (refused), {"__entity": TypeAndId},
 * {"__extn": {"fn": string, "arg": value}}, bool, long, string, array
 * (a set), object (a record). An escape object with any other key, or
 * whose content does not fit, is a record. */
int cedar_json_value(struct json_conv *cv, const json_t *j, struct cval *out,
                     int depth)
{
	if (depth > CEDAR_MAX_VALUE_DEPTH)
		return jfail(cv, "value nested too deeply (limit %d)",
		             CEDAR_MAX_VALUE_DEPTH);
	switch (json_typeof(j)) {
	case JSON_TRUE:
	case JSON_FALSE:
		out->kind = CV_BOOL;
		out->b = json_is_true(j);
		return 0;
	case JSON_INTEGER:
		out->kind = CV_LONG;
		out->i = (int64_t)json_integer_value(j);
		return 0;
	case JSON_REAL:
		return jfail(cv, "numbers must be integers (%g is not)",
		             json_real_value(j));
	case JSON_NULL:
		return jfail(cv, "JSON `null`s are not allowed in Cedar");
	case JSON_STRING:
		out->kind = CV_STR;
		out->s = jstr(cv, json_string_value(j), json_string_length(j));
		return out->s != NULL ? 0 : -1;
	case JSON_ARRAY: {
		size_t n = json_array_size(j);
		struct cval *v;
		uint64_t work = 0;

		if (n > CEDAR_MAX_ELEMS)
			return jfail(cv,
			             "set with too many elements (limit %d)",
			             CEDAR_MAX_ELEMS);
		v = arena_alloc(cv->a, (n + 1) * sizeof(*v));
		if (v == NULL)
			return jfail(cv, "out of memory");
		for (size_t i = 0; i < n; i++)
			if (cedar_json_value(cv, json_array_get(j, i), &v[i],
			                     depth + 1) < 0)
				return -1;
		out->kind = CV_SET;
		out->set = cset_make(cv->a, v, n, &work);
		return out->set != NULL ? 0 : jfail(cv, "out of memory");
	}
	case JSON_OBJECT:
		break;
	}
	if (json_object_size(j) == 1) {
		const json_t *x, *type, *id, *fn, *arg;

		if (json_is_string(json_object_get(j, "__expr")))
			return jfail(cv, "the `__expr` escape is no longer "
			                 "supported");
		x = json_object_get(j, "__entity");
		if (x != NULL && type_and_id(x, &type, &id)) {
			out->kind = CV_UID;
			return make_uid(cv, type, id, &out->uid);
		}
		x = json_object_get(j, "__extn");
		fn = json_is_object(x) ? json_object_get(x, "fn") : NULL;
		arg = json_is_object(x) ? json_object_get(x, "arg") : NULL;
		if (json_is_string(fn) && arg != NULL) {
			struct cval a;
			int f;

			if (cedar_json_value(cv, arg, &a, depth + 1) < 0)
				return -1;
			f = cedar_ext_lookup(json_string_value(fn),
			                     json_string_length(fn));
			if (f < 0)
				return jfail(
				    cv,
				    "extension function `%.*s` does not "
				    "exist",
				    (int)(json_string_length(fn) > 100
				              ? 100
				              : json_string_length(fn)),
				    json_string_value(fn));
			return cedar_ext_call(cv->a, f, &a, 1, out, cv->msg,
			                      cv->msglen);
		}
	}
	return json_record(cv, j, out, depth);
}

/* ---- the store ------------------------------------------------------ */

const struct centity *cedar_entity_find(const struct cedar_entities *es,
                                        const struct cuid *uid)
{
	if (es == NULL || es->table == NULL)
		return NULL;
	for (uint32_t j = uid->hash & es->mask; es->table[j] != NULL;
	     j = (j + 1) & es->mask)
		if (cuid_eq(es->table[j]->uid, uid))
			return es->table[j];
	return NULL;
}

static bool anc_contains(const struct centity *e, const struct cuid *b)
{
	size_t lo = 0, hi = e->n_anc;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (e->anc[mid]->hash < b->hash)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < e->n_anc && e->anc[lo]->hash == b->hash; lo++)
		if (cuid_eq(e->anc[lo], b))
			return true;
	return false;
}

bool cedar_entity_in(const struct cedar_entities *es, const struct cuid *a,
                     const struct centity *ea, const struct cuid *b)
{
	(void)es;
	if (cuid_eq(a, b))
		return true;
	return ea != NULL && ea->n_anc > 0 && anc_contains(ea, b);
}

static int cmp_uid_ptr(const void *x, const void *y)
{
	const struct cuid *a = *(const struct cuid *const *)x;
	const struct cuid *b = *(const struct cuid *const *)y;

	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	return a < b ? -1 : a > b;
}

/* Sorts by (hash, pointer) and drops duplicates: uids in one store are
 * interned, so equal uids are the same pointer. */
static uint32_t uniq_uids(const struct cuid **v, size_t n)
{
	size_t m = 0;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_uid_ptr);
	for (size_t i = 0; i < n; i++)
		if (m == 0 || v[m - 1] != v[i])
			v[m++] = v[i];
	return (uint32_t)m;
}

static bool same_entity(const struct centity *a, const struct centity *b)
{
	struct cval x = {.kind = CV_REC}, y = {.kind = CV_REC};

	x.rec = a->attrs;
	y.rec = b->attrs;
	if (!cval_eq(&x, &y))
		return false;
	x.rec = a->tags;
	y.rec = b->tags;
	if (!cval_eq(&x, &y))
		return false;
	if (a->n_parents != b->n_parents)
		return false;
	for (uint32_t i = 0; i < a->n_parents; i++)
		if (a->parents[i] != b->parents[i])
			return false;
	return true;
}

static struct cedar_entities *
load_fail(struct cedar_entities *es, struct cedar_diag *d, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static struct cedar_entities *
load_fail(struct cedar_entities *es, struct cedar_diag *d, const char *fmt, ...)
{
	va_list ap;

	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
		va_end(ap);
	}
	cedar_entities_free(es);
	return NULL;
}

static int load_attrs(struct json_conv *cv, const json_t *j,
                      const struct crec **out)
{
	struct cval v;

	if (j == NULL) { /* only tags may be absent */
		*out = &cedar_empty_rec;
		return 0;
	}
	if (!json_is_object(j))
		return jfail(cv, "expected an object");
	/* a map of attribute name to value: escapes apply to the values */
	if (json_record(cv, j, &v, 1) < 0)
		return -1;
	*out = v.rec;
	return 0;
}

static int load_entity(struct cedar_entities *es, struct json_conv *cv,
                       const json_t *j, struct centity *e, char *where,
                       size_t wlen)
{
	const json_t *uid = json_object_get(j, "uid");
	const json_t *attrs = json_object_get(j, "attrs");
	const json_t *parents = json_object_get(j, "parents");
	const json_t *tags = json_object_get(j, "tags");
	size_t np;

	if (uid == NULL)
		return jfail(cv, "missing field `uid`");
	if (cedar_json_uid(cv, uid, &e->uid) < 0)
		return -1;
	cuid_format(e->uid, where, wlen);
	if (attrs == NULL)
		return jfail(cv, "missing field `attrs`");
	if (parents == NULL)
		return jfail(cv, "missing field `parents`");
	if (!json_is_array(parents))
		return jfail(cv, "`parents` must be an array");
	if (load_attrs(cv, attrs, &e->attrs) < 0 ||
	    load_attrs(cv, tags, &e->tags) < 0)
		return -1;
	np = json_array_size(parents);
	if (np > CEDAR_MAX_ELEMS)
		return jfail(cv, "too many parents (limit %d)",
		             CEDAR_MAX_ELEMS);
	e->parents = arena_alloc(&es->arena, (np + 1) * sizeof(*e->parents));
	if (e->parents == NULL)
		return jfail(cv, "out of memory");
	for (size_t i = 0; i < np; i++)
		if (cedar_json_uid(cv, json_array_get(parents, i),
		                   &e->parents[i]) < 0)
			return -1;
	e->n_parents = uniq_uids(e->parents, np);
	if (cedar_type_is_action(e->uid->type))
		for (uint32_t i = 0; i < e->n_parents; i++)
			if (!cedar_type_is_action(e->parents[i]->type)) {
				char b[160];

				cuid_format(e->parents[i], b, sizeof(b));
				return jfail(
				    cv,
				    "an action has a non-action parent "
				    "`%s`",
				    b);
			}
	return 0;
}

/* Ancestors of every entity, in post-order over the parent graph
 * (iterative, so a deep hierarchy cannot exhaust the stack). */
static int compute_ancestors(struct cedar_entities *es, struct cedar_diag *d)
{
	enum { WHITE, GREY, BLACK };
	unsigned char *state = calloc(es->n + 1, 1);
	struct {
		struct centity *e;
		uint32_t next;
	} *stack = malloc((es->n + 1) * sizeof(*stack));
	const struct cuid **buf = NULL;
	size_t bufcap = 0, total = 0, sp;
	int ret = -1;

	if (state == NULL || stack == NULL) {
		snprintf(d->msg, sizeof(d->msg), "out of memory");
		goto out;
	}
	for (size_t root = 0; root < es->n; root++) {
		if (state[root] != WHITE)
			continue;
		sp = 0;
		stack[sp].e = &es->list[root];
		stack[sp++].next = 0;
		state[root] = GREY;
		while (sp > 0) {
			struct centity *e = stack[sp - 1].e;
			size_t n = 0;

			if (stack[sp - 1].next < e->n_parents) {
				const struct centity *pe = cedar_entity_find(
				    es, e->parents[stack[sp - 1].next++]);
				size_t pi;

				if (pe == NULL)
					continue;
				pi = (size_t)(pe - es->list);
				if (state[pi] == GREY) {
					char b[200];

					cuid_format(pe->uid, b, sizeof(b));
					snprintf(d->msg, sizeof(d->msg),
					         "entity hierarchy has a cycle "
					         "containing `%s`",
					         b);
					goto out;
				}
				if (state[pi] == WHITE) {
					state[pi] = GREY;
					stack[sp].e = &es->list[pi];
					stack[sp++].next = 0;
				}
				continue;
			}
			/* all parents done: union of parents and theirs */
			for (uint32_t i = 0; i < e->n_parents; i++) {
				const struct centity *pe =
				    cedar_entity_find(es, e->parents[i]);

				n += 1 + (pe != NULL ? pe->n_anc : 0);
			}
			if (n > bufcap) {
				const struct cuid **nb;

				bufcap = n * 2;
				nb = realloc(buf, bufcap * sizeof(*buf));
				if (nb == NULL) {
					snprintf(d->msg, sizeof(d->msg),
					         "out of memory");
					goto out;
				}
				buf = nb;
			}
			n = 0;
			for (uint32_t i = 0; i < e->n_parents; i++) {
				const struct centity *pe =
				    cedar_entity_find(es, e->parents[i]);

				buf[n++] = e->parents[i];
				if (pe != NULL && pe->n_anc > 0) {
					memcpy(buf + n, pe->anc,
					       pe->n_anc * sizeof(*buf));
					n += pe->n_anc;
				}
			}
			e->n_anc = uniq_uids(buf, n);
			total += e->n_anc;
			if (total > CEDAR_MAX_ANCESTORS) {
				snprintf(
				    d->msg, sizeof(d->msg),
				    "entity hierarchy too large (more than "
				    "%u ancestor links)",
				    CEDAR_MAX_ANCESTORS);
				goto out;
			}
			e->anc = arena_alloc(&es->arena,
			                     (e->n_anc + 1) * sizeof(*e->anc));
			if (e->anc == NULL) {
				snprintf(d->msg, sizeof(d->msg),
				         "out of memory");
				goto out;
			}
			if (e->n_anc > 0)
				memcpy(e->anc, buf, e->n_anc * sizeof(*buf));
			state[e - es->list] = BLACK;
			sp--;
		}
	}
	ret = 0;
out:
	free(buf);
	free(stack);
	free(state);
	return ret;
}

struct cedar_entities *cedar_entities_load(const json_t *arr,
                                           struct cedar_diag *d)
{
	struct cedar_entities *es;
	struct json_conv cv;
	char msg[CEDAR_DIAG_MAX - 64], where[160];
	size_t n, cap;

	d->msg[0] = '\0';
	if (!json_is_array(arr)) {
		snprintf(d->msg, sizeof(d->msg),
		         "entities: expected a JSON array of entities");
		return NULL;
	}
	n = json_array_size(arr);
	if (n > CEDAR_MAX_ENTITIES) {
		snprintf(d->msg, sizeof(d->msg),
		         "entities: too many (%zu, limit %d)", n,
		         CEDAR_MAX_ENTITIES);
		return NULL;
	}
	es = calloc(1, sizeof(*es));
	if (es == NULL) {
		snprintf(d->msg, sizeof(d->msg), "out of memory");
		return NULL;
	}
	arena_init(&es->arena, (size_t)1 << 32);
	interner_init(&es->in, &es->arena);
	for (cap = 16; cap < 2 * n; cap *= 2)
		;
	es->table = calloc(cap, sizeof(*es->table));
	es->list = calloc(n + 1, sizeof(*es->list));
	if (es->table == NULL || es->list == NULL)
		return load_fail(es, d, "out of memory");
	es->mask = (uint32_t)(cap - 1);
	cv.a = &es->arena;
	cv.in = &es->in;
	cv.msg = msg;
	cv.msglen = sizeof(msg);
	for (size_t i = 0; i < n; i++) {
		const json_t *j = json_array_get(arr, i);
		struct centity *e = &es->list[es->n];
		uint32_t slot;

		where[0] = '\0';
		if (!json_is_object(j))
			return load_fail(
			    es, d, "entities[%zu]: expected an object", i);
		if (load_entity(es, &cv, j, e, where, sizeof(where)) < 0)
			return load_fail(es, d, "entities[%zu]%s%s%s: %s", i,
			                 where[0] ? " (" : "", where,
			                 where[0] ? ")" : "", msg);
		for (slot = e->uid->hash & es->mask; es->table[slot] != NULL;
		     slot = (slot + 1) & es->mask)
			if (es->table[slot]->uid == e->uid)
				break;
		if (es->table[slot] != NULL) {
			if (!same_entity(es->table[slot], e))
				return load_fail(
				    es, d,
				    "entities[%zu]: duplicate entity "
				    "entry `%s`",
				    i, where);
			continue; /* an identical repeat is dropped */
		}
		es->table[slot] = e;
		es->n++;
	}
	if (compute_ancestors(es, d) < 0)
		return load_fail(es, d, NULL);
	interner_free(&es->in);
	return es;
}

void cedar_entities_free(struct cedar_entities *es)
{
	if (es == NULL)
		return;
	interner_free(&es->in);
	arena_free(&es->arena);
	free(es->table);
	free(es->list);
	free(es);
}

size_t cedar_entities_count(const struct cedar_entities *es)
{
	return es != NULL ? es->n : 0;
}
