/* Internals shared by the Cedar engine's files: arenas, interned strings,
 * values, the expression tree, policies and the entity store. Not for
 * use outside policyd/cedar/ (cedar.h is the interface). */
#ifndef AUTONOMY_CEDAR_INT_H
#define AUTONOMY_CEDAR_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cedar.h"
#include "ext.h"

/* ---- arena ---------------------------------------------------------- */

struct arena_chunk;
struct arena {
	struct arena_chunk *head;
	size_t used;               /* bytes handed out since the last reset */
	size_t limit;              /* allocation fails past this */
	struct arena_chunk *spare; /* a chunk given back, for reuse */
};
struct arena_mark {
	struct arena_chunk *head;
	size_t off;
	size_t used;
};

void arena_init(struct arena *a, size_t limit);
void *arena_alloc(struct arena *a, size_t n); /* NULL past the limit */
void arena_mark(const struct arena *a, struct arena_mark *m);
void arena_release(struct arena *a, const struct arena_mark *m);
void arena_reset(struct arena *a); /* keeps one chunk for reuse */
void arena_free(struct arena *a);

/* ---- strings -------------------------------------------------------- */

struct cstr {
	uint32_t len;
	uint32_t hash;
	char s[]; /* len bytes and a NUL */
};

uint32_t cedar_hash(const void *p, size_t n);
struct cstr *cstr_new(struct arena *a, const char *s, size_t n);
static inline bool cstr_eq(const struct cstr *a, const struct cstr *b)
{
	return a == b || (a->hash == b->hash && a->len == b->len &&
	                  memcmp(a->s, b->s, a->len) == 0);
}
int cstr_cmp(const struct cstr *a, const struct cstr *b); /* bytes */

/* Interning: one copy of each string (and uid) per owner, so equality
 * is mostly a pointer compare. */
struct ptrset {
	void **slots;
	uint32_t mask;
	uint32_t n;
};
struct interner {
	struct arena *a;
	struct ptrset strs, uids;
};
void interner_init(struct interner *in, struct arena *a);
void interner_free(struct interner *in);
const struct cstr *intern_str(struct interner *in, const char *s, size_t n);

/* ---- values --------------------------------------------------------- */

enum cval_kind {
	CV_BOOL = 1,
	CV_LONG,
	CV_STR,
	CV_UID,
	CV_SET,
	CV_REC,
	CV_DECIMAL,
	CV_IP,
	CV_DATETIME,
	CV_DURATION,
};

struct cuid {
	const struct cstr *type;
	const struct cstr *id;
	uint32_t hash;
};

struct cset;
struct crec;
struct cval {
	uint8_t kind;
	union {
		bool b;
		int64_t i; /* long, decimal (x 10^4), datetime, duration (ms) */
		const struct cstr *s;
		const struct cuid *uid;
		const struct cset *set;
		const struct crec *rec;
		const struct cedar_ipaddr *ip;
	};
};

/* Sets hold distinct values sorted by value hash; records hold distinct
 * keys sorted by (key hash, key bytes). Both canonical, so equality is
 * cheap and needs no sort. */
struct cset {
	uint32_t n;
	uint32_t hash;
	struct cval v[];
};
struct crec_ent {
	const struct cstr *k;
	struct cval v;
};
struct crec {
	uint32_t n;
	uint32_t hash;
	struct crec_ent e[];
};

extern const struct crec cedar_empty_rec;
extern const struct cset cedar_empty_set;

const struct cuid *cuid_new(struct arena *a, const struct cstr *type,
                            const struct cstr *id);
static inline bool cuid_eq(const struct cuid *a, const struct cuid *b)
{
	return a == b || (a->hash == b->hash && cstr_eq(a->type, b->type) &&
	                  cstr_eq(a->id, b->id));
}
const struct cuid *intern_uid(struct interner *in, const struct cstr *type,
                              const struct cstr *id);

uint32_t cval_hash(const struct cval *v);
bool cval_eq(const struct cval *a, const struct cval *b);
bool cset_contains(const struct cset *s, const struct cval *v);
const struct cval *crec_get(const struct crec *r, const struct cstr *k);

/* Build a set from n values (duplicates dropped) or a record from n
 * (key, value) pairs with distinct keys. v/e may be reordered. NULL when
 * the arena is exhausted. *work is charged for the sort. */
const struct cset *cset_make(struct arena *a, struct cval *v, size_t n,
                             uint64_t *work);
const struct crec *crec_make(struct arena *a, struct crec_ent *e, size_t n);

/* Human-readable rendering for messages, truncated to fit. */
size_t cval_format(const struct cval *v, char *buf, size_t len);
size_t cuid_format(const struct cuid *u, char *buf, size_t len);
const char *cval_kind_name(const struct cval *v);

/* Names: "A::B::C", each part an identifier that is not reserved. */
bool cedar_ident_reserved(const char *s, size_t n);
bool cedar_name_valid(const char *s, size_t n);
/* "Action" or "<namespace>::Action": the types of actions */
bool cedar_type_is_action(const struct cstr *type);

/* ---- extension functions -------------------------------------------- */

enum cext_fn {
	XF_IP,
	XF_DECIMAL,
	XF_DATETIME,
	XF_DURATION,
	XF_LESSTHAN,
	XF_LESSTHANOREQUAL,
	XF_GREATERTHAN,
	XF_GREATERTHANOREQUAL,
	XF_ISIPV4,
	XF_ISIPV6,
	XF_ISLOOPBACK,
	XF_ISMULTICAST,
	XF_ISINRANGE,
	XF_OFFSET,
	XF_DURATIONSINCE,
	XF_TODATE,
	XF_TOTIME,
	XF_TOMILLISECONDS,
	XF_TOSECONDS,
	XF_TOMINUTES,
	XF_TOHOURS,
	XF_TODAYS,
	XF_COUNT
};
struct cext_info {
	const char *name;
	uint8_t arity; /* including the receiver of a method */
	bool method;
};
extern const struct cext_info cedar_ext_info[XF_COUNT];
int cedar_ext_lookup(const char *s, size_t n); /* -1 if unknown */
/* Applies fn to args; 0 ok, else -1 with msg filled. */
int cedar_ext_call(struct arena *a, int fn, const struct cval *args, size_t n,
                   struct cval *out, char *msg, size_t msglen);

/* ---- expressions ---------------------------------------------------- */

enum cop {
	OP_LIT,
	OP_VAR, /* sub: enum cvar */
	OP_AND, /* list[n], left to right, short-circuit */
	OP_OR,  /* list[n] */
	OP_IF,  /* a ? b : c */
	OP_NOT, /* a */
	OP_NEG, /* a */
	OP_EQ,  /* a, b */
	OP_NE,
	OP_LT,
	OP_LE,
	OP_GT,
	OP_GE,
	OP_IN,
	OP_ADD,     /* list[n], ops[n-1]: '+' or '-' */
	OP_MUL,     /* list[n] */
	OP_HAS,     /* a, keys[n]: a has k0.k1... */
	OP_GETATTR, /* a, str */
	OP_LIKE,    /* a, pat */
	OP_IS,      /* a, str = type; b = the `in` operand or NULL */
	OP_CONTAINS,
	OP_CONTAINSALL,
	OP_CONTAINSANY,
	OP_ISEMPTY,
	OP_GETTAG,
	OP_HASTAG,
	OP_SET,    /* list[n] */
	OP_RECORD, /* keys[n], list[n] */
	OP_EXT,    /* sub: enum cext_fn, list[n] */
};

enum cvar { VAR_PRINCIPAL, VAR_ACTION, VAR_RESOURCE, VAR_CONTEXT };

/* A `like` pattern: literal byte runs separated by wildcards. */
struct cpattern {
	bool lead_star, trail_star;
	uint32_t n; /* segments, none empty */
	const struct cstr **seg;
};
bool cpattern_match(const struct cpattern *p, const char *s, size_t n,
                    uint64_t *work);

struct cexpr {
	uint8_t op;
	uint8_t sub;
	uint8_t flags; /* parser-only: how the node was written */
	uint16_t depth;
	uint32_t n;
	uint32_t line, col;
	struct cexpr *a, *b, *c;
	struct cexpr **list;
	uint8_t *ops;
	const struct cstr *str;
	const struct cstr **keys;
	const struct cpattern *pat;
	struct cval lit;
};

/* ---- policies ------------------------------------------------------- */

enum scope_kind { SC_ANY, SC_EQ, SC_IN, SC_IS, SC_IS_IN, SC_IN_SET };

struct cscope {
	uint8_t kind;
	bool slot;               /* uid comes from the link */
	const struct cstr *type; /* SC_IS, SC_IS_IN */
	const struct cuid *uid;  /* SC_EQ, SC_IN, SC_IS_IN without slot */
	uint32_t n;              /* SC_IN_SET */
	const struct cuid **uids;
};

struct ccond {
	bool when;
	struct cexpr *e;
};

struct cannot {
	const struct cstr *key;
	const struct cstr *value; /* "" for a bare @key */
};

struct ctemplate {
	const char *id;
	bool forbid;
	bool pslot, rslot; /* has ?principal / ?resource */
	struct cscope principal, action, resource;
	uint32_t n_conds;
	struct ccond *conds;
	uint32_t n_annots;
	struct cannot *annots;
};

struct cpolicy {
	const char *id;
	const struct ctemplate *t;
	const struct cuid *pslot, *rslot; /* link values */
};

/* Parses text into templates (static policies are templates without
 * slots); ids are "policy<first_id + i>". Returns the count, or -1 with
 * d filled. */
int cedar_parse_policies(struct arena *a, const char *file, const char *text,
                         size_t len, size_t first_id, struct ctemplate ***out,
                         struct cedar_diag *d);

/* ---- entities ------------------------------------------------------- */

struct centity {
	const struct cuid *uid;
	const struct crec *attrs;
	const struct crec *tags;
	uint32_t n_parents;
	const struct cuid **parents;
	uint32_t n_anc;
	const struct cuid **anc; /* transitive, sorted by hash */
};

struct cedar_entities {
	struct arena arena;
	struct interner in;
	size_t n;
	struct centity *list;
	struct centity **table;
	uint32_t mask;
};

const struct centity *cedar_entity_find(const struct cedar_entities *es,
                                        const struct cuid *uid);
bool cedar_entity_in(const struct cedar_entities *es, const struct cuid *a,
                     const struct centity *ea, const struct cuid *b);

/* JSON values in the reference's format. path names the value in
 * messages. */
struct json_conv {
	struct arena *a;
	struct interner *in; /* NULL: no interning */
	char *msg;
	size_t msglen;
};
int cedar_json_value(struct json_conv *cv, const json_t *j, struct cval *out,
                     int depth);
int cedar_json_uid(struct json_conv *cv, const json_t *j,
                   const struct cuid **out);

/* ---- evaluation ----------------------------------------------------- */

struct ectx {
	const struct cedar_entities *es;
	struct arena *a;
	struct cval vars[4];
	const struct centity *var_ent[3];
	uint64_t steps;
	char err[256];
};

/* Evaluates a policy: 1 satisfied, 0 not, -1 error (cx->err). */
int cedar_eval_policy(struct ectx *cx, const struct cpolicy *p);
int cedar_eval(struct ectx *cx, const struct cexpr *e, struct cval *out);

#endif
