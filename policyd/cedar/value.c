/* Cedar values: interned strings and uids, canonical sets and records,
 * equality and hashing, names, and rendering for messages. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cedar_int.h"

const struct crec cedar_empty_rec = {0, 0};
const struct cset cedar_empty_set = {0, 0};

/* ---- hashing -------------------------------------------------------- */

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static inline uint32_t fold(uint64_t h)
{
	return (uint32_t)(h ^ (h >> 32));
}

uint32_t cedar_hash(const void *p, size_t n)
{
	const uint64_t m = 0xc6a4a7935bd1e995ULL;
	const unsigned char *s = p;
	uint64_t h = 0x8445d61a4e774912ULL ^ (n * m);
	uint64_t k;

	for (; n >= 8; n -= 8, s += 8) {
		memcpy(&k, s, 8);
		k *= m;
		k ^= k >> 47;
		k *= m;
		h ^= k;
		h *= m;
	}
	if (n > 0) {
		k = 0;
		memcpy(&k, s, n);
		h ^= k;
		h *= m;
	}
	return fold(mix64(h));
}

struct cstr *cstr_new(struct arena *a, const char *s, size_t n)
{
	struct cstr *c;

	if (n > UINT32_MAX - 1)
		return NULL;
	c = arena_alloc(a, sizeof(*c) + n + 1);
	if (c == NULL)
		return NULL;
	c->len = (uint32_t)n;
	c->hash = cedar_hash(s, n);
	if (n > 0)
		memcpy(c->s, s, n);
	c->s[n] = '\0';
	return c;
}

int cstr_cmp(const struct cstr *a, const struct cstr *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int r = n > 0 ? memcmp(a->s, b->s, n) : 0;

	if (r != 0)
		return r;
	return a->len < b->len ? -1 : a->len > b->len;
}

/* ---- interning ------------------------------------------------------ */

static int ptrset_grow(struct ptrset *ps, uint32_t (*hash)(const void *))
{
	uint32_t cap = ps->mask == 0 ? 64 : (ps->mask + 1) * 2;
	void **slots = calloc(cap, sizeof(*slots));

	if (slots == NULL)
		return -1;
	for (uint32_t i = 0; ps->mask != 0 && i <= ps->mask; i++) {
		uint32_t j;

		if (ps->slots[i] == NULL)
			continue;
		for (j = hash(ps->slots[i]) & (cap - 1); slots[j] != NULL;
		     j = (j + 1) & (cap - 1))
			;
		slots[j] = ps->slots[i];
	}
	free(ps->slots);
	ps->slots = slots;
	ps->mask = cap - 1;
	return 0;
}

static uint32_t str_hash(const void *p)
{
	return ((const struct cstr *)p)->hash;
}

static uint32_t uid_hash(const void *p)
{
	return ((const struct cuid *)p)->hash;
}

void interner_init(struct interner *in, struct arena *a)
{
	memset(in, 0, sizeof(*in));
	in->a = a;
}

void interner_free(struct interner *in)
{
	free(in->strs.slots);
	free(in->uids.slots);
	memset(&in->strs, 0, sizeof(in->strs));
	memset(&in->uids, 0, sizeof(in->uids));
}

const struct cstr *intern_str(struct interner *in, const char *s, size_t n)
{
	struct ptrset *ps = &in->strs;
	uint32_t h = cedar_hash(s, n), j;
	struct cstr *c;

	if ((ps->n + 1) * 2 > ps->mask + 1 && ptrset_grow(ps, str_hash) < 0)
		return NULL;
	for (j = h & ps->mask; ps->slots[j] != NULL; j = (j + 1) & ps->mask) {
		c = ps->slots[j];
		if (c->hash == h && c->len == n && memcmp(c->s, s, n) == 0)
			return c;
	}
	c = cstr_new(in->a, s, n);
	if (c == NULL)
		return NULL;
	ps->slots[j] = c;
	ps->n++;
	return c;
}

static uint32_t uid_hash_of(const struct cstr *type, const struct cstr *id)
{
	return fold(mix64(((uint64_t)type->hash << 32 | id->hash) ^
	                  0x5bd1e9955bd1e995ULL));
}

const struct cuid *cuid_new(struct arena *a, const struct cstr *type,
                            const struct cstr *id)
{
	struct cuid *u = arena_alloc(a, sizeof(*u));

	if (u == NULL)
		return NULL;
	u->type = type;
	u->id = id;
	u->hash = uid_hash_of(type, id);
	return u;
}

const struct cuid *intern_uid(struct interner *in, const struct cstr *type,
                              const struct cstr *id)
{
	struct ptrset *ps = &in->uids;
	uint32_t h = uid_hash_of(type, id), j;
	const struct cuid *u;

	if ((ps->n + 1) * 2 > ps->mask + 1 && ptrset_grow(ps, uid_hash) < 0)
		return NULL;
	for (j = h & ps->mask; ps->slots[j] != NULL; j = (j + 1) & ps->mask) {
		u = ps->slots[j];
		if (u->hash == h && cstr_eq(u->type, type) &&
		    cstr_eq(u->id, id))
			return u;
	}
	u = cuid_new(in->a, type, id);
	if (u == NULL)
		return NULL;
	ps->slots[j] = (void *)u;
	ps->n++;
	return u;
}

/* ---- equality and hashing of values --------------------------------- */

static uint32_t ip_hash(const struct cedar_ipaddr *ip)
{
	unsigned char b[18];

	b[0] = ip->v6;
	b[1] = ip->prefix;
	memcpy(b + 2, ip->addr, ip->v6 ? 16 : 4);
	return cedar_hash(b, ip->v6 ? 18 : 6);
}

uint32_t cval_hash(const struct cval *v)
{
	switch (v->kind) {
	case CV_BOOL:
		return fold(mix64(0x100u + v->b));
	case CV_LONG:
		return fold(mix64((uint64_t)v->i ^ 0x1111111111111111ULL));
	case CV_STR:
		return v->s->hash;
	case CV_UID:
		return v->uid->hash;
	case CV_SET:
		return v->set->hash;
	case CV_REC:
		return v->rec->hash;
	case CV_DECIMAL:
		return fold(mix64((uint64_t)v->i ^ 0x7777777777777777ULL));
	case CV_IP:
		return ip_hash(v->ip);
	case CV_DATETIME:
		return fold(mix64((uint64_t)v->i ^ 0x9999999999999999ULL));
	case CV_DURATION:
		return fold(mix64((uint64_t)v->i ^ 0xaaaaaaaaaaaaaaaaULL));
	}
	return 0;
}

static size_t set_lower_bound(const struct cset *s, uint32_t h)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cval_hash(&s->v[mid]) < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool cset_contains(const struct cset *s, const struct cval *v)
{
	uint32_t h = cval_hash(v);

	for (size_t i = set_lower_bound(s, h);
	     i < s->n && cval_hash(&s->v[i]) == h; i++)
		if (cval_eq(&s->v[i], v))
			return true;
	return false;
}

bool cval_eq(const struct cval *a, const struct cval *b)
{
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case CV_BOOL:
		return a->b == b->b;
	case CV_LONG:
	case CV_DECIMAL:
	case CV_DATETIME:
	case CV_DURATION:
		return a->i == b->i;
	case CV_STR:
		return cstr_eq(a->s, b->s);
	case CV_UID:
		return cuid_eq(a->uid, b->uid);
	case CV_IP:
		return cedar_ip_equal(a->ip, b->ip);
	case CV_SET:
		if (a->set == b->set)
			return true;
		if (a->set->n != b->set->n || a->set->hash != b->set->hash)
			return false;
		for (size_t i = 0; i < a->set->n; i++)
			if (!cset_contains(b->set, &a->set->v[i]))
				return false;
		return true;
	case CV_REC:
		if (a->rec == b->rec)
			return true;
		if (a->rec->n != b->rec->n || a->rec->hash != b->rec->hash)
			return false;
		for (size_t i = 0; i < a->rec->n; i++)
			if (!cstr_eq(a->rec->e[i].k, b->rec->e[i].k) ||
			    !cval_eq(&a->rec->e[i].v, &b->rec->e[i].v))
				return false;
		return true;
	}
	return false;
}

/* ---- sets and records ----------------------------------------------- */

static int cmp_by_hash(const void *x, const void *y)
{
	uint32_t a = cval_hash(x), b = cval_hash(y);

	return a < b ? -1 : a > b;
}

const struct cset *cset_make(struct arena *a, struct cval *v, size_t n,
                             uint64_t *work)
{
	struct cset *s;
	size_t m = 0;
	uint64_t h = 0;

	if (n == 0)
		return &cedar_empty_set;
	if (n > CEDAR_MAX_ELEMS)
		return NULL;
	qsort(v, n, sizeof(*v), cmp_by_hash);
	*work += n;
	/* drop duplicates within each run of equal hashes */
	for (size_t i = 0; i < n; i++) {
		uint32_t hi = cval_hash(&v[i]);
		bool dup = false;

		for (size_t j = m; j-- > 0 && cval_hash(&v[j]) == hi;) {
			++*work;
			if (cval_eq(&v[j], &v[i])) {
				dup = true;
				break;
			}
		}
		if (!dup) {
			v[m++] = v[i];
			h += mix64(hi);
		}
	}
	s = arena_alloc(a, sizeof(*s) + m * sizeof(s->v[0]));
	if (s == NULL)
		return NULL;
	s->n = (uint32_t)m;
	s->hash = fold(mix64(h + m));
	memcpy(s->v, v, m * sizeof(s->v[0]));
	return s;
}

static int cmp_key(const struct cstr *a, const struct cstr *b)
{
	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	return cstr_cmp(a, b);
}

static int cmp_ent(const void *x, const void *y)
{
	return cmp_key(((const struct crec_ent *)x)->k,
	               ((const struct crec_ent *)y)->k);
}

const struct crec *crec_make(struct arena *a, struct crec_ent *e, size_t n)
{
	struct crec *r;
	uint64_t h = 0;

	if (n == 0)
		return &cedar_empty_rec;
	if (n > CEDAR_MAX_ELEMS)
		return NULL;
	qsort(e, n, sizeof(*e), cmp_ent);
	r = arena_alloc(a, sizeof(*r) + n * sizeof(r->e[0]));
	if (r == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		r->e[i] = e[i];
		h += mix64((uint64_t)e[i].k->hash << 32 | cval_hash(&e[i].v));
	}
	r->n = (uint32_t)n;
	r->hash = fold(mix64(h ^ n));
	return r;
}

const struct cval *crec_get(const struct crec *r, const struct cstr *k)
{
	size_t lo = 0, hi = r->n;

	if (r->n <= 8) {
		for (size_t i = 0; i < r->n; i++)
			if (cstr_eq(r->e[i].k, k))
				return &r->e[i].v;
		return NULL;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_key(r->e[mid].k, k);

		if (c == 0)
			return &r->e[mid].v;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- names ---------------------------------------------------------- */

bool cedar_ident_reserved(const char *s, size_t n)
{
	static const char *const words[] = {
	    "true", "false", "if", "then", "else", "in", "is", "like", "has"};

	for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++)
		if (strlen(words[i]) == n && memcmp(words[i], s, n) == 0)
			return true;
	return false;
}

static bool ident_start(char c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool ident_char(char c)
{
	return ident_start(c) || (c >= '0' && c <= '9');
}

bool cedar_name_valid(const char *s, size_t n)
{
	size_t i = 0;

	for (;;) {
		size_t start = i;

		if (i >= n || !ident_start(s[i]))
			return false;
		while (i < n && ident_char(s[i]))
			i++;
		if (cedar_ident_reserved(s + start, i - start) ||
		    (i - start == 7 && memcmp(s + start, "__cedar", 7) == 0))
			return false;
		if (i == n)
			return true;
		if (n - i < 2 || s[i] != ':' || s[i + 1] != ':')
			return false;
		i += 2;
	}
}

bool cedar_type_is_action(const struct cstr *t)
{
	return (t->len == 6 && memcmp(t->s, "Action", 6) == 0) ||
	       (t->len > 8 && memcmp(t->s + t->len - 8, "::Action", 8) == 0);
}

/* ---- rendering ------------------------------------------------------ */

struct out {
	char *buf;
	size_t len, pos;
};

static void put(struct out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++, o->pos++)
		if (o->pos + 1 < o->len)
			o->buf[o->pos] = s[i];
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void put_quoted(struct out *o, const struct cstr *s)
{
	char esc[8];

	put(o, "\"", 1);
	for (uint32_t i = 0; i < s->len && o->pos < o->len; i++) {
		unsigned char c = (unsigned char)s->s[i];

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(o, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u{%x}", c);
			puts_(o, esc);
		} else {
			put(o, (const char *)&c, 1);
		}
	}
	put(o, "\"", 1);
}

static void put_uid(struct out *o, const struct cuid *u)
{
	put(o, u->type->s, u->type->len);
	put(o, "::", 2);
	put_quoted(o, u->id);
}

static void put_val(struct out *o, const struct cval *v, int depth)
{
	char tmp[CEDAR_TIME_FMT_MAX + 32];

	if (depth > 8 || o->pos >= o->len) {
		puts_(o, "..");
		return;
	}
	switch (v->kind) {
	case CV_BOOL:
		puts_(o, v->b ? "true" : "false");
		break;
	case CV_LONG:
		snprintf(tmp, sizeof(tmp), "%" PRId64, v->i);
		puts_(o, tmp);
		break;
	case CV_STR:
		put_quoted(o, v->s);
		break;
	case CV_UID:
		put_uid(o, v->uid);
		break;
	case CV_SET:
		put(o, "[", 1);
		for (uint32_t i = 0; i < v->set->n && o->pos < o->len; i++) {
			if (i > 0)
				put(o, ", ", 2);
			put_val(o, &v->set->v[i], depth + 1);
		}
		put(o, "]", 1);
		break;
	case CV_REC:
		put(o, "{", 1);
		for (uint32_t i = 0; i < v->rec->n && o->pos < o->len; i++) {
			if (i > 0)
				put(o, ", ", 2);
			put_quoted(o, v->rec->e[i].k);
			put(o, ": ", 2);
			put_val(o, &v->rec->e[i].v, depth + 1);
		}
		put(o, "}", 1);
		break;
	case CV_DECIMAL:
		puts_(o, "decimal(\"");
		cedar_decimal_format(v->i, tmp, sizeof(tmp));
		puts_(o, tmp);
		puts_(o, "\")");
		break;
	case CV_IP:
		puts_(o, "ip(\"");
		cedar_ip_format(v->ip, tmp, sizeof(tmp));
		puts_(o, tmp);
		puts_(o, "\")");
		break;
	case CV_DATETIME:
		cedar_datetime_format(v->i, tmp, sizeof(tmp));
		puts_(o, tmp);
		break;
	case CV_DURATION:
		puts_(o, "duration(\"");
		cedar_duration_format(v->i, tmp, sizeof(tmp));
		puts_(o, tmp);
		puts_(o, "\")");
		break;
	}
}

static size_t finish(struct out *o)
{
	if (o->len > 0)
		o->buf[o->pos < o->len ? o->pos : o->len - 1] = '\0';
	return o->pos;
}

size_t cval_format(const struct cval *v, char *buf, size_t len)
{
	struct out o = {buf, len, 0};

	put_val(&o, v, 0);
	return finish(&o);
}

size_t cuid_format(const struct cuid *u, char *buf, size_t len)
{
	struct out o = {buf, len, 0};

	put_uid(&o, u);
	return finish(&o);
}

const char *cval_kind_name(const struct cval *v)
{
	switch (v->kind) {
	case CV_BOOL:
		return "bool";
	case CV_LONG:
		return "long";
	case CV_STR:
		return "string";
	case CV_UID:
		return "entity";
	case CV_SET:
		return "set";
	case CV_REC:
		return "record";
	case CV_DECIMAL:
		return "decimal";
	case CV_IP:
		return "ipaddr";
	case CV_DATETIME:
		return "datetime";
	case CV_DURATION:
		return "duration";
	}
	return "?";
}
