/* Evaluation of expressions and policies, following the Lean spec
 * (cedar-spec Cedar/Spec/Evaluator.lean, Policy.lean, ExtFun.lean) and
 * the reference's behaviour where the two could differ. An error is a
 * message in cx->err and -1 up the stack; the authorizer turns it into
 * "this policy does not apply". */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cedar_int.h"

/* ---- extension functions -------------------------------------------- */

const struct cext_info cedar_ext_info[XF_COUNT] = {
    [XF_IP] = {"ip", 1, false},
    [XF_DECIMAL] = {"decimal", 1, false},
    [XF_DATETIME] = {"datetime", 1, false},
    [XF_DURATION] = {"duration", 1, false},
    [XF_LESSTHAN] = {"lessThan", 2, true},
    [XF_LESSTHANOREQUAL] = {"lessThanOrEqual", 2, true},
    [XF_GREATERTHAN] = {"greaterThan", 2, true},
    [XF_GREATERTHANOREQUAL] = {"greaterThanOrEqual", 2, true},
    [XF_ISIPV4] = {"isIpv4", 1, true},
    [XF_ISIPV6] = {"isIpv6", 1, true},
    [XF_ISLOOPBACK] = {"isLoopback", 1, true},
    [XF_ISMULTICAST] = {"isMulticast", 1, true},
    [XF_ISINRANGE] = {"isInRange", 2, true},
    [XF_OFFSET] = {"offset", 2, true},
    [XF_DURATIONSINCE] = {"durationSince", 2, true},
    [XF_TODATE] = {"toDate", 1, true},
    [XF_TOTIME] = {"toTime", 1, true},
    [XF_TOMILLISECONDS] = {"toMilliseconds", 1, true},
    [XF_TOSECONDS] = {"toSeconds", 1, true},
    [XF_TOMINUTES] = {"toMinutes", 1, true},
    [XF_TOHOURS] = {"toHours", 1, true},
    [XF_TODAYS] = {"toDays", 1, true},
};

int cedar_ext_lookup(const char *s, size_t n)
{
	for (int i = 0; i < XF_COUNT; i++)
		if (strlen(cedar_ext_info[i].name) == n &&
		    memcmp(cedar_ext_info[i].name, s, n) == 0)
			return i;
	return -1;
}

static int msgf(char *msg, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int msgf(char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	return -1;
}

static int want(char *msg, size_t len, const char *type, const struct cval *got)
{
	return msgf(msg, len, "type error: expected %s, got %s", type,
	            cval_kind_name(got));
}

static int ext_parse_err(char *msg, size_t len, const char *ext,
                         const char *what, const struct cstr *s)
{
	return msgf(msg, len,
	            "error while evaluating `%s` extension function: invalid "
	            "%s: %.*s",
	            ext, what, (int)(s->len > 100 ? 100 : s->len), s->s);
}

int cedar_ext_call(struct arena *a, int fn, const struct cval *args, size_t n,
                   struct cval *out, char *msg, size_t msglen)
{
	const struct cval *x = &args[0], *y = &args[1];
	int64_t r;

	if (fn < 0 || fn >= XF_COUNT)
		return msgf(msg, msglen, "unknown extension function");
	if (n != cedar_ext_info[fn].arity)
		return msgf(msg, msglen,
		            "wrong number of arguments provided to extension "
		            "function `%s`: expected %u, got %zu",
		            cedar_ext_info[fn].name, cedar_ext_info[fn].arity,
		            n);
	switch (fn) {
	case XF_IP: {
		struct cedar_ipaddr *ip;

		if (x->kind != CV_STR)
			return want(msg, msglen, "string", x);
		ip = arena_alloc(a, sizeof(*ip));
		if (ip == NULL)
			return msgf(msg, msglen, "out of memory");
		memset(ip, 0, sizeof(*ip));
		if (cedar_ip_parse(x->s->s, x->s->len, ip) < 0)
			return ext_parse_err(msg, msglen, "ipaddr",
			                     "IP address", x->s);
		out->kind = CV_IP;
		out->ip = ip;
		return 0;
	}
	case XF_DECIMAL:
		if (x->kind != CV_STR)
			return want(msg, msglen, "string", x);
		if (cedar_decimal_parse(x->s->s, x->s->len, &r) < 0)
			return ext_parse_err(msg, msglen, "decimal",
			                     "decimal value", x->s);
		out->kind = CV_DECIMAL;
		out->i = r;
		return 0;
	case XF_DATETIME:
		if (x->kind != CV_STR)
			return want(msg, msglen, "string", x);
		if (cedar_datetime_parse(x->s->s, x->s->len, &r) < 0)
			return ext_parse_err(msg, msglen, "datetime",
			                     "datetime value", x->s);
		out->kind = CV_DATETIME;
		out->i = r;
		return 0;
	case XF_DURATION:
		if (x->kind != CV_STR)
			return want(msg, msglen, "string", x);
		if (cedar_duration_parse(x->s->s, x->s->len, &r) < 0)
			return ext_parse_err(msg, msglen, "datetime",
			                     "duration value", x->s);
		out->kind = CV_DURATION;
		out->i = r;
		return 0;
	case XF_LESSTHAN:
	case XF_LESSTHANOREQUAL:
	case XF_GREATERTHAN:
	case XF_GREATERTHANOREQUAL:
		if (x->kind != CV_DECIMAL)
			return want(msg, msglen, "decimal", x);
		if (y->kind != CV_DECIMAL)
			return want(msg, msglen, "decimal", y);
		out->kind = CV_BOOL;
		out->b = fn == XF_LESSTHAN          ? x->i < y->i
		         : fn == XF_LESSTHANOREQUAL ? x->i <= y->i
		         : fn == XF_GREATERTHAN     ? x->i > y->i
		                                    : x->i >= y->i;
		return 0;
	case XF_ISIPV4:
	case XF_ISIPV6:
	case XF_ISLOOPBACK:
	case XF_ISMULTICAST:
		if (x->kind != CV_IP)
			return want(msg, msglen, "ipaddr", x);
		out->kind = CV_BOOL;
		out->b = fn == XF_ISIPV4       ? cedar_ip_is_ipv4(x->ip)
		         : fn == XF_ISIPV6     ? cedar_ip_is_ipv6(x->ip)
		         : fn == XF_ISLOOPBACK ? cedar_ip_is_loopback(x->ip)
		                               : cedar_ip_is_multicast(x->ip);
		return 0;
	case XF_ISINRANGE:
		if (x->kind != CV_IP)
			return want(msg, msglen, "ipaddr", x);
		if (y->kind != CV_IP)
			return want(msg, msglen, "ipaddr", y);
		out->kind = CV_BOOL;
		out->b = cedar_ip_in_range(x->ip, y->ip);
		return 0;
	case XF_OFFSET:
		if (x->kind != CV_DATETIME)
			return want(msg, msglen, "datetime", x);
		if (y->kind != CV_DURATION)
			return want(msg, msglen, "duration", y);
		if (cedar_datetime_offset(x->i, y->i, &r) < 0)
			return msgf(msg, msglen,
			            "overflow while computing datetime offset");
		out->kind = CV_DATETIME;
		out->i = r;
		return 0;
	case XF_DURATIONSINCE:
		if (x->kind != CV_DATETIME)
			return want(msg, msglen, "datetime", x);
		if (y->kind != CV_DATETIME)
			return want(msg, msglen, "datetime", y);
		if (cedar_datetime_since(x->i, y->i, &r) < 0)
			return msgf(msg, msglen,
			            "overflow while computing duration since");
		out->kind = CV_DURATION;
		out->i = r;
		return 0;
	case XF_TODATE:
		if (x->kind != CV_DATETIME)
			return want(msg, msglen, "datetime", x);
		if (cedar_datetime_to_date(x->i, &r) < 0)
			return msgf(msg, msglen,
			            "overflow while computing date");
		out->kind = CV_DATETIME;
		out->i = r;
		return 0;
	case XF_TOTIME:
		if (x->kind != CV_DATETIME)
			return want(msg, msglen, "datetime", x);
		out->kind = CV_DURATION;
		out->i = cedar_datetime_to_time(x->i);
		return 0;
	case XF_TOMILLISECONDS:
	case XF_TOSECONDS:
	case XF_TOMINUTES:
	case XF_TOHOURS:
	case XF_TODAYS: {
		static const enum cedar_dur_unit unit[] = {
		    CEDAR_MS, CEDAR_S, CEDAR_MIN, CEDAR_H, CEDAR_D};

		if (x->kind != CV_DURATION)
			return want(msg, msglen, "duration", x);
		out->kind = CV_LONG;
		out->i = cedar_duration_to(x->i, unit[fn - XF_TOMILLISECONDS]);
		return 0;
	}
	}
	return msgf(msg, msglen, "unknown extension function");
}

/* ---- `like` --------------------------------------------------------- */

/* Wildcards only, so greedy leftmost matching of the inner segments is
 * exact. Bytewise matching equals matching by character: a segment is
 * whole UTF-8 characters, so it can only match at a character start. */
bool cpattern_match(const struct cpattern *p, const char *s, size_t n,
                    uint64_t *work)
{
	size_t pos = 0, end = n, first = 0, last = p->n;

	*work += n / 16 + 1;
	if (p->n == 0)
		return p->lead_star || n == 0;
	if (!p->lead_star) {
		const struct cstr *g = p->seg[0];

		if (n < g->len || memcmp(s, g->s, g->len) != 0)
			return false;
		pos = g->len;
		first = 1;
	}
	if (!p->trail_star) {
		const struct cstr *g = p->seg[p->n - 1];

		if (first == p->n)
			return pos == n; /* the one segment was the prefix */
		if (end - pos < g->len ||
		    memcmp(s + end - g->len, g->s, g->len) != 0)
			return false;
		end -= g->len;
		last--;
	}
	for (size_t i = first; i < last; i++) {
		const struct cstr *g = p->seg[i];
		const char *f;

		if (end - pos < g->len)
			return false;
		f = memmem(s + pos, end - pos, g->s, g->len);
		if (f == NULL)
			return false;
		pos = (size_t)(f - s) + g->len;
	}
	return true;
}

/* ---- errors --------------------------------------------------------- */

static int fail(struct ectx *cx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(struct ectx *cx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cx->err, sizeof(cx->err), fmt, ap);
	va_end(ap);
	return -1;
}

static int type_err(struct ectx *cx, const char *want, const struct cval *got)
{
	return fail(cx, "type error: expected %s, got %s", want,
	            cval_kind_name(got));
}

static int oom(struct ectx *cx)
{
	return fail(cx, "evaluation memory limit reached");
}

static int no_entity(struct ectx *cx, const struct cuid *u)
{
	char b[160];

	cuid_format(u, b, sizeof(b));
	return fail(cx, "entity `%s` does not exist", b);
}

/* ---- helpers -------------------------------------------------------- */

static const struct centity *entity_of(struct ectx *cx, const struct cuid *u)
{
	for (int i = 0; i < 3; i++)
		if (cx->vars[i].uid == u)
			return cx->var_ent[i];
	return cedar_entity_find(cx->es, u);
}

static int eval_bool(struct ectx *cx, const struct cexpr *e, bool *b)
{
	struct cval v;

	if (cedar_eval(cx, e, &v) < 0)
		return -1;
	if (v.kind != CV_BOOL)
		return type_err(cx, "bool", &v);
	*b = v.b;
	return 0;
}

static int charge(struct ectx *cx, uint64_t work)
{
	cx->steps += work;
	if (cx->steps > CEDAR_MAX_STEPS)
		return fail(cx, "evaluation step limit reached (%d)",
		            CEDAR_MAX_STEPS);
	return 0;
}

/* `a in b`: b an entity or a set of entities */
static int eval_in(struct ectx *cx, const struct cval *a, const struct cval *b,
                   struct cval *out)
{
	const struct centity *ea;

	if (a->kind != CV_UID)
		return type_err(cx, "entity", a);
	out->kind = CV_BOOL;
	if (b->kind == CV_UID) {
		out->b = cedar_entity_in(cx->es, a->uid, entity_of(cx, a->uid),
		                         b->uid);
		return 0;
	}
	if (b->kind != CV_SET)
		return type_err(cx, "set or entity", b);
	for (uint32_t i = 0; i < b->set->n; i++)
		if (b->set->v[i].kind != CV_UID)
			return type_err(cx, "entity", &b->set->v[i]);
	if (charge(cx, b->set->n) < 0)
		return -1;
	ea = entity_of(cx, a->uid);
	out->b = false;
	for (uint32_t i = 0; i < b->set->n; i++)
		if (cedar_entity_in(cx->es, a->uid, ea, b->set->v[i].uid)) {
			out->b = true;
			break;
		}
	return 0;
}

static int attrs_of(struct ectx *cx, const struct cval *v, bool must_exist,
                    const struct crec **out)
{
	const struct centity *ent;

	if (v->kind == CV_REC) {
		*out = v->rec;
		return 0;
	}
	if (v->kind != CV_UID)
		return type_err(cx, "record or entity", v);
	ent = entity_of(cx, v->uid);
	if (ent == NULL) {
		if (must_exist)
			return no_entity(cx, v->uid);
		*out = &cedar_empty_rec;
		return 0;
	}
	*out = ent->attrs;
	return 0;
}

static int get_attr(struct ectx *cx, const struct cval *v, const struct cstr *k,
                    struct cval *out)
{
	const struct crec *r = NULL;
	const struct cval *x;

	if (attrs_of(cx, v, true, &r) < 0)
		return -1;
	x = crec_get(r, k);
	if (x == NULL) {
		if (v->kind == CV_UID) {
			char b[160];

			cuid_format(v->uid, b, sizeof(b));
			return fail(cx, "`%s` does not have the attribute `%s`",
			            b, k->s);
		}
		return fail(cx, "record does not have the attribute `%s`",
		            k->s);
	}
	*out = *x;
	return 0;
}

static int compare(struct ectx *cx, int op, const struct cval *a,
                   const struct cval *b, struct cval *out)
{
	int64_t x, y;

	if (a->kind != CV_LONG && a->kind != CV_DATETIME &&
	    a->kind != CV_DURATION)
		return type_err(cx, "long, datetime or duration", a);
	if (b->kind != a->kind)
		return type_err(cx, cval_kind_name(a), b);
	x = a->i;
	y = b->i;
	out->kind = CV_BOOL;
	switch (op) {
	case OP_LT:
		out->b = x < y;
		break;
	case OP_LE:
		out->b = x <= y;
		break;
	case OP_GT:
		out->b = x > y;
		break;
	default:
		out->b = x >= y;
		break;
	}
	return 0;
}

static int arith(struct ectx *cx, const struct cexpr *e, struct cval *out)
{
	struct cval v, r;

	if (cedar_eval(cx, e->list[0], &v) < 0)
		return -1;
	if (v.kind != CV_LONG)
		return type_err(cx, "long", &v);
	for (uint32_t i = 1; i < e->n; i++) {
		int64_t x;
		bool over;
		const char *what;

		if (cedar_eval(cx, e->list[i], &r) < 0)
			return -1;
		if (r.kind != CV_LONG)
			return type_err(cx, "long", &r);
		if (e->op == OP_MUL) {
			over = __builtin_mul_overflow(v.i, r.i, &x);
			what = "multiply";
		} else if (e->ops[i] == '+') {
			over = __builtin_add_overflow(v.i, r.i, &x);
			what = "add";
		} else {
			over = __builtin_sub_overflow(v.i, r.i, &x);
			what = "subtract";
		}
		if (over)
			return fail(
			    cx,
			    "integer overflow while attempting to %s the "
			    "values `%" PRId64 "` and `%" PRId64 "`",
			    what, v.i, r.i);
		v.i = x;
	}
	*out = v;
	return 0;
}

static int eval_has(struct ectx *cx, const struct cexpr *e, struct cval *out)
{
	struct cval v;

	if (cedar_eval(cx, e->a, &v) < 0)
		return -1;
	out->kind = CV_BOOL;
	for (uint32_t i = 0; i < e->n; i++) {
		const struct crec *r = NULL;
		const struct cval *x;

		if (attrs_of(cx, &v, false, &r) < 0)
			return -1;
		x = crec_get(r, e->keys[i]);
		if (x == NULL) {
			out->b = false;
			return 0;
		}
		v = *x;
	}
	out->b = true;
	return 0;
}

static int eval_tag(struct ectx *cx, const struct cexpr *e, struct cval *out)
{
	struct cval a, b;
	const struct centity *ent;
	const struct cval *x;

	if (cedar_eval(cx, e->a, &a) < 0 || cedar_eval(cx, e->b, &b) < 0)
		return -1;
	if (a.kind != CV_UID)
		return type_err(cx, "entity", &a);
	if (b.kind != CV_STR)
		return type_err(cx, "string", &b);
	ent = entity_of(cx, a.uid);
	x = ent != NULL ? crec_get(ent->tags, b.s) : NULL;
	if (e->op == OP_HASTAG) {
		out->kind = CV_BOOL;
		out->b = x != NULL;
		return 0;
	}
	if (ent == NULL)
		return no_entity(cx, a.uid);
	if (x == NULL) {
		char u[160];

		cuid_format(a.uid, u, sizeof(u));
		return fail(cx, "`%s` does not have the tag `%s`", u, b.s->s);
	}
	*out = *x;
	return 0;
}

static int eval_set_op(struct ectx *cx, const struct cexpr *e, struct cval *out)
{
	struct cval a, b;
	const struct cset *big, *small;

	if (cedar_eval(cx, e->a, &a) < 0)
		return -1;
	if (e->op == OP_ISEMPTY) {
		if (a.kind != CV_SET)
			return type_err(cx, "set", &a);
		out->kind = CV_BOOL;
		out->b = a.set->n == 0;
		return 0;
	}
	if (cedar_eval(cx, e->b, &b) < 0)
		return -1;
	if (a.kind != CV_SET)
		return type_err(cx, "set", &a);
	out->kind = CV_BOOL;
	if (e->op == OP_CONTAINS) {
		out->b = cset_contains(a.set, &b);
		return 0;
	}
	if (b.kind != CV_SET)
		return type_err(cx, "set", &b);
	if (charge(cx, a.set->n + b.set->n) < 0)
		return -1;
	if (e->op == OP_CONTAINSALL) {
		out->b = true;
		for (uint32_t i = 0; i < b.set->n && out->b; i++)
			out->b = cset_contains(a.set, &b.set->v[i]);
		return 0;
	}
	small = a.set->n < b.set->n ? a.set : b.set;
	big = small == a.set ? b.set : a.set;
	out->b = false;
	for (uint32_t i = 0; i < small->n && !out->b; i++)
		out->b = cset_contains(big, &small->v[i]);
	return 0;
}

static int eval_list(struct ectx *cx, const struct cexpr *e, struct cval *v)
{
	for (uint32_t i = 0; i < e->n; i++)
		if (cedar_eval(cx, e->list[i], &v[i]) < 0)
			return -1;
	return 0;
}

static int eval_set(struct ectx *cx, const struct cexpr *e, struct cval *out)
{
	struct cval *v = arena_alloc(cx->a, (e->n + 1) * sizeof(*v));
	uint64_t work = 0;

	if (v == NULL)
		return oom(cx);
	if (eval_list(cx, e, v) < 0)
		return -1;
	out->kind = CV_SET;
	out->set = cset_make(cx->a, v, e->n, &work);
	if (out->set == NULL)
		return oom(cx);
	return charge(cx, work);
}

static int eval_record(struct ectx *cx, const struct cexpr *e, struct cval *out)
{
	struct crec_ent *ents = arena_alloc(cx->a, (e->n + 1) * sizeof(*ents));

	if (ents == NULL)
		return oom(cx);
	for (uint32_t i = 0; i < e->n; i++) {
		ents[i].k = e->keys[i];
		if (cedar_eval(cx, e->list[i], &ents[i].v) < 0)
			return -1;
	}
	out->kind = CV_REC;
	out->rec = crec_make(cx->a, ents, e->n);
	if (out->rec == NULL)
		return oom(cx);
	return charge(cx, e->n);
}

static int eval_ext(struct ectx *cx, const struct cexpr *e, struct cval *out)
{
	struct cval small[4], *v = small;

	if (e->n > 4) {
		v = arena_alloc(cx->a, e->n * sizeof(*v));
		if (v == NULL)
			return oom(cx);
	}
	if (eval_list(cx, e, v) < 0)
		return -1;
	return cedar_ext_call(cx->a, e->sub, v, e->n, out, cx->err,
	                      sizeof(cx->err));
}

int cedar_eval(struct ectx *cx, const struct cexpr *e, struct cval *out)
{
	struct cval a, b;
	bool c;

	if (++cx->steps > CEDAR_MAX_STEPS)
		return charge(cx, 0);
	switch (e->op) {
	case OP_LIT:
		*out = e->lit;
		return 0;
	case OP_VAR:
		*out = cx->vars[e->sub];
		return 0;
	case OP_AND:
	case OP_OR:
		c = e->op == OP_AND;
		for (uint32_t i = 0; i < e->n; i++) {
			if (eval_bool(cx, e->list[i], &c) < 0)
				return -1;
			if (c == (e->op == OP_OR))
				break;
		}
		out->kind = CV_BOOL;
		out->b = c;
		return 0;
	case OP_IF:
		if (eval_bool(cx, e->a, &c) < 0)
			return -1;
		return cedar_eval(cx, c ? e->b : e->c, out);
	case OP_NOT:
		if (eval_bool(cx, e->a, &c) < 0)
			return -1;
		out->kind = CV_BOOL;
		out->b = !c;
		return 0;
	case OP_NEG:
		if (cedar_eval(cx, e->a, &a) < 0)
			return -1;
		if (a.kind != CV_LONG)
			return type_err(cx, "long", &a);
		if (a.i == INT64_MIN)
			return fail(cx,
			            "integer overflow while attempting to "
			            "negate the value `%" PRId64 "`",
			            a.i);
		out->kind = CV_LONG;
		out->i = -a.i;
		return 0;
	case OP_EQ:
	case OP_NE:
		if (cedar_eval(cx, e->a, &a) < 0 ||
		    cedar_eval(cx, e->b, &b) < 0)
			return -1;
		out->kind = CV_BOOL;
		out->b = cval_eq(&a, &b) == (e->op == OP_EQ);
		return 0;
	case OP_LT:
	case OP_LE:
	case OP_GT:
	case OP_GE:
		if (cedar_eval(cx, e->a, &a) < 0 ||
		    cedar_eval(cx, e->b, &b) < 0)
			return -1;
		return compare(cx, e->op, &a, &b, out);
	case OP_IN:
		if (cedar_eval(cx, e->a, &a) < 0 ||
		    cedar_eval(cx, e->b, &b) < 0)
			return -1;
		return eval_in(cx, &a, &b, out);
	case OP_ADD:
	case OP_MUL:
		return arith(cx, e, out);
	case OP_HAS:
		return eval_has(cx, e, out);
	case OP_GETATTR:
		if (cedar_eval(cx, e->a, &a) < 0)
			return -1;
		return get_attr(cx, &a, e->str, out);
	case OP_LIKE:
		if (cedar_eval(cx, e->a, &a) < 0)
			return -1;
		if (a.kind != CV_STR)
			return type_err(cx, "string", &a);
		out->kind = CV_BOOL;
		out->b = cpattern_match(e->pat, a.s->s, a.s->len, &cx->steps);
		return charge(cx, 0);
	case OP_IS:
		if (cedar_eval(cx, e->a, &a) < 0)
			return -1;
		if (a.kind != CV_UID)
			return type_err(cx, "entity", &a);
		out->kind = CV_BOOL;
		out->b = cstr_eq(a.uid->type, e->str);
		if (!out->b || e->b == NULL)
			return 0;
		if (cedar_eval(cx, e->b, &b) < 0)
			return -1;
		return eval_in(cx, &a, &b, out);
	case OP_CONTAINS:
	case OP_CONTAINSALL:
	case OP_CONTAINSANY:
	case OP_ISEMPTY:
		return eval_set_op(cx, e, out);
	case OP_GETTAG:
	case OP_HASTAG:
		return eval_tag(cx, e, out);
	case OP_SET:
		return eval_set(cx, e, out);
	case OP_RECORD:
		return eval_record(cx, e, out);
	case OP_EXT:
		return eval_ext(cx, e, out);
	}
	return fail(cx, "internal error: unknown expression");
}

/* ---- policies ------------------------------------------------------- */

static bool scope_match(struct ectx *cx, const struct cscope *sc, int var,
                        const struct cuid *slot)
{
	const struct cuid *u = cx->vars[var].uid;
	const struct cuid *target = sc->slot ? slot : sc->uid;

	switch (sc->kind) {
	case SC_ANY:
		return true;
	case SC_EQ:
		return cuid_eq(u, target);
	case SC_IN:
		return cedar_entity_in(cx->es, u, cx->var_ent[var], target);
	case SC_IS:
		return cstr_eq(u->type, sc->type);
	case SC_IS_IN:
		return cstr_eq(u->type, sc->type) &&
		       cedar_entity_in(cx->es, u, cx->var_ent[var], target);
	case SC_IN_SET:
		for (uint32_t i = 0; i < sc->n; i++)
			if (cedar_entity_in(cx->es, u, cx->var_ent[var],
			                    sc->uids[i]))
				return true;
		return false;
	}
	return false;
}

int cedar_eval_policy(struct ectx *cx, const struct cpolicy *p)
{
	const struct ctemplate *t = p->t;

	cx->steps = 0;
	cx->err[0] = '\0';
	if (!scope_match(cx, &t->principal, VAR_PRINCIPAL, p->pslot) ||
	    !scope_match(cx, &t->action, VAR_ACTION, NULL) ||
	    !scope_match(cx, &t->resource, VAR_RESOURCE, p->rslot))
		return 0;
	for (uint32_t i = 0; i < t->n_conds; i++) {
		bool b = false;

		if (eval_bool(cx, t->conds[i].e, &b) < 0)
			return -1;
		if (b != t->conds[i].when)
			return 0;
	}
	return 1;
}
