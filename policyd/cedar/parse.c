/* Cedar policy text to templates: one pass, recursive descent over the
 * reference grammar (cedar-policy-core's grammar.lalrpop), with the
 * checks its CST-to-AST conversion makes done as each node is built.
 * Nesting is bounded (CEDAR_MAX_NESTING, CEDAR_MAX_AST_DEPTH), so
 * neither parsing nor evaluating the result can exhaust the stack. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cedar_int.h"

enum tok {
	T_EOF,
	T_IDENT,
	T_NUMBER,
	T_STRING,
	T_SLOT,
	T_AT,
	T_DOT,
	T_COMMA,
	T_SEMI,
	T_COLON,
	T_COLON2,
	T_LPAREN,
	T_RPAREN,
	T_LBRACE,
	T_RBRACE,
	T_LBRACK,
	T_RBRACK,
	T_EQ2,
	T_NE,
	T_LT,
	T_LE,
	T_GE,
	T_GT,
	T_OR,
	T_AND,
	T_PLUS,
	T_MINUS,
	T_STAR,
	T_SLASH,
	T_PERCENT,
	T_BANG,
	T_EQ,
};

struct token {
	enum tok t;
	const char *s;
	size_t n;
	uint32_t line, col;
};

/* flags on parser-built nodes */
#define F_SPECIAL                                                              \
	1u           /* a bare primary: a name, variable or string literal     \
	                not wrapped in anything (not even parentheses) */
#define F_STRLIT 2u  /* a string literal; raw text in keys[0] */
#define F_NUMLIT 4u  /* a number literal; unsigned value in lit.i */
#define F_BIGNUM 8u  /* a number literal above INT64_MAX */
#define F_BADESC 16u /* a string literal with an invalid escape */

/* transient node kinds, never in a finished tree */
#define OP_XNAME 200 /* str = "A::B", n = parts */
#define OP_XSLOT 201 /* sub: 0 ?principal, 1 ?resource, 2 other */

struct parser {
	const char *file;
	const char *src;
	size_t len;
	size_t pos;
	uint32_t line, col;
	struct token la[3];
	int nla;
	struct arena *a;
	struct interner in;
	struct cedar_diag *d;
	int nesting;
	bool failed;
};

/* ---- diagnostics ---------------------------------------------------- */

static void *fail_at(struct parser *p, uint32_t line, uint32_t col,
                     const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void *fail_at(struct parser *p, uint32_t line, uint32_t col,
                     const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->failed)
		return NULL;
	p->failed = true;
	n = snprintf(p->d->msg, sizeof(p->d->msg),
	             "%s:%" PRIu32 ":%" PRIu32 ": ", p->file, line, col);
	if (n < 0 || (size_t)n >= sizeof(p->d->msg))
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p->d->msg + n, sizeof(p->d->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	return NULL;
}

#define fail_tok(p, t, ...) fail_at(p, (t)->line, (t)->col, __VA_ARGS__)
#define fail_node(p, e, ...) fail_at(p, (e)->line, (e)->col, __VA_ARGS__)

static void *oom(struct parser *p)
{
	return fail_at(p, p->line, p->col,
	               "out of memory (policy text too large)");
}

/* ---- lexer ---------------------------------------------------------- */

/* Decodes one UTF-8 sequence; returns its length, 0 if invalid. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c;
	size_t len;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		c = s[0] & 0x1f;
		len = 2;
	} else if ((s[0] & 0xf0) == 0xe0) {
		c = s[0] & 0x0f;
		len = 3;
	} else if ((s[0] & 0xf8) == 0xf0) {
		c = s[0] & 0x07;
		len = 4;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) ||
	    (len == 4 && c < 0x10000) || c > 0x10ffff ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Unicode White_Space, what the reference's `\s` skips */
static bool is_space(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 ||
	       c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
	       c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f ||
	       c == 0x3000;
}

static bool ident_start(int c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool ident_char(int c)
{
	return ident_start(c) || (c >= '0' && c <= '9');
}

static void advance(struct parser *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p->src[p->pos + i];

		if (c == '\n') {
			p->line++;
			p->col = 1;
		} else if ((c & 0xc0) != 0x80) {
			p->col++;
		}
	}
	p->pos += n;
}

static int lex(struct parser *p, struct token *t)
{
	const unsigned char *s;
	size_t rest, n;
	uint32_t cp;

	for (;;) {
		s = (const unsigned char *)p->src + p->pos;
		rest = p->len - p->pos;
		if (rest == 0)
			break;
		if (rest >= 2 && s[0] == '/' && s[1] == '/') {
			for (n = 2; n < rest && s[n] != '\n' && s[n] != '\r';
			     n++)
				;
			advance(p, n);
			continue;
		}
		n = utf8_decode(s, rest, &cp);
		if (n == 0) {
			fail_at(p, p->line, p->col, "invalid UTF-8");
			return -1;
		}
		if (!is_space(cp))
			break;
		advance(p, n);
	}
	t->s = p->src + p->pos;
	t->line = p->line;
	t->col = p->col;
	s = (const unsigned char *)t->s;
	rest = p->len - p->pos;
	n = 1;
	if (rest == 0) {
		t->t = T_EOF;
		t->n = 0;
		return 0;
	}
	switch (s[0]) {
	case '@':
		t->t = T_AT;
		break;
	case '.':
		t->t = T_DOT;
		break;
	case ',':
		t->t = T_COMMA;
		break;
	case ';':
		t->t = T_SEMI;
		break;
	case ':':
		t->t = rest >= 2 && s[1] == ':' ? (n = 2, T_COLON2) : T_COLON;
		break;
	case '(':
		t->t = T_LPAREN;
		break;
	case ')':
		t->t = T_RPAREN;
		break;
	case '{':
		t->t = T_LBRACE;
		break;
	case '}':
		t->t = T_RBRACE;
		break;
	case '[':
		t->t = T_LBRACK;
		break;
	case ']':
		t->t = T_RBRACK;
		break;
	case '=':
		t->t = rest >= 2 && s[1] == '=' ? (n = 2, T_EQ2) : T_EQ;
		break;
	case '!':
		t->t = rest >= 2 && s[1] == '=' ? (n = 2, T_NE) : T_BANG;
		break;
	case '<':
		t->t = rest >= 2 && s[1] == '=' ? (n = 2, T_LE) : T_LT;
		break;
	case '>':
		t->t = rest >= 2 && s[1] == '=' ? (n = 2, T_GE) : T_GT;
		break;
	case '|':
		if (rest < 2 || s[1] != '|')
			goto invalid;
		t->t = T_OR;
		n = 2;
		break;
	case '&':
		if (rest < 2 || s[1] != '&')
			goto invalid;
		t->t = T_AND;
		n = 2;
		break;
	case '+':
		t->t = T_PLUS;
		break;
	case '-':
		t->t = T_MINUS;
		break;
	case '*':
		t->t = T_STAR;
		break;
	case '/':
		t->t = T_SLASH;
		break;
	case '%':
		t->t = T_PERCENT;
		break;
	case '?':
		if (rest < 2 || !ident_start(s[1]))
			goto invalid;
		for (n = 2; n < rest && ident_char(s[n]); n++)
			;
		t->t = T_SLOT;
		break;
	case '"':
		for (n = 1; n < rest && s[n] != '"'; n++)
			if (s[n] == '\\') {
				if (n + 1 >= rest || s[n + 1] == '\n')
					goto invalid;
				n++;
			}
		if (n >= rest)
			goto invalid;
		n++;
		t->t = T_STRING;
		break;
	default:
		if (s[0] >= '0' && s[0] <= '9') {
			for (n = 1; n < rest && s[n] >= '0' && s[n] <= '9'; n++)
				;
			t->t = T_NUMBER;
		} else if (ident_start(s[0])) {
			for (n = 1; n < rest && ident_char(s[n]); n++)
				;
			t->t = T_IDENT;
		} else {
			goto invalid;
		}
	}
	t->n = n;
	advance(p, n);
	return 0;
invalid:
	fail_at(p, t->line, t->col, "invalid token");
	return -1;
}

static const struct token *peek_n(struct parser *p, int k)
{
	static const struct token eof = {T_EOF, "", 0, 0, 0};

	while (p->nla <= k) {
		if (p->failed || lex(p, &p->la[p->nla]) < 0)
			return &eof;
		p->nla++;
	}
	return &p->la[k];
}

static const struct token *peek(struct parser *p)
{
	return peek_n(p, 0);
}

static struct token next(struct parser *p)
{
	struct token t = *peek(p);

	if (p->nla > 0) {
		memmove(&p->la[0], &p->la[1],
		        (size_t)(p->nla - 1) * sizeof(p->la[0]));
		p->nla--;
	}
	return t;
}

static bool tok_is(const struct token *t, const char *word)
{
	return t->t == T_IDENT && strlen(word) == t->n &&
	       memcmp(t->s, word, t->n) == 0;
}

static const char *tok_desc(const struct token *t, char *buf, size_t len)
{
	if (t->t == T_EOF)
		return "end of input";
	snprintf(buf, len, "`%.*s`", (int)(t->n > 40 ? 40 : t->n), t->s);
	return buf;
}

static void *unexpected(struct parser *p, const struct token *t,
                        const char *want)
{
	char b[64];

	return fail_tok(p, t, "unexpected %s, expected %s",
	                tok_desc(t, b, sizeof(b)), want);
}

static bool expect(struct parser *p, enum tok k, const char *what)
{
	const struct token *t = peek(p);

	if (t->t != k) {
		unexpected(p, t, what);
		return false;
	}
	next(p);
	return true;
}

/* ---- string escapes ------------------------------------------------- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static size_t utf8_encode(uint32_t c, char *o)
{
	if (c < 0x80) {
		o[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (char)(0xc0 | c >> 6);
		o[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (char)(0xe0 | c >> 12);
		o[1] = (char)(0x80 | (c >> 6 & 0x3f));
		o[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | c >> 18);
	o[1] = (char)(0x80 | (c >> 12 & 0x3f));
	o[2] = (char)(0x80 | (c >> 6 & 0x3f));
	o[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/* Rust string-literal escapes (what the reference uses): \n \r \t \\ \0
 * \' \" \xHH (HH <= 7F) \u{1-6 hex digits, '_' allowed after the first}.
 * A bare CR is an error. In a pattern, \* is a literal star and every
 * other '*' (however written) a wildcard: star[i] marks those bytes.
 * out needs n bytes. Returns the output length, or -1 (message in p). */
static long unescape(struct parser *p, const struct token *t, const char *s,
                     size_t n, char *out, unsigned char *star, bool quiet)
{
	size_t i = 0, o = 0;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		uint32_t v;
		bool lit_star = false;
		size_t start = i;

		if (c == '\r') {
			if (!quiet)
				fail_tok(p, t,
				         "bare carriage return in string");
			return -1;
		}
		if (c != '\\') {
			/* copy one whole character */
			size_t k = 1;

			while (i + k < n &&
			       ((unsigned char)s[i + k] & 0xc0) == 0x80)
				k++;
			if (star != NULL)
				memset(star + o, c == '*', k);
			memcpy(out + o, s + i, k);
			o += k;
			i += k;
			continue;
		}
		if (i + 1 >= n)
			goto bad;
		c = (unsigned char)s[i + 1];
		i += 2;
		switch (c) {
		case 'n':
			v = '\n';
			break;
		case 'r':
			v = '\r';
			break;
		case 't':
			v = '\t';
			break;
		case '\\':
			v = '\\';
			break;
		case '0':
			v = 0;
			break;
		case '\'':
			v = '\'';
			break;
		case '"':
			v = '"';
			break;
		case '*':
			if (star == NULL)
				goto bad;
			v = '*';
			lit_star = true;
			break;
		case 'x': {
			int h1, h2;

			if (i + 2 > n)
				goto bad;
			h1 = hexval(s[i]);
			h2 = hexval(s[i + 1]);
			if (h1 < 0 || h2 < 0 || h1 > 7)
				goto bad;
			v = (uint32_t)(h1 * 16 + h2);
			i += 2;
			break;
		}
		case 'u': {
			int digits = 1, h;

			if (i >= n || s[i] != '{')
				goto bad;
			i++;
			if (i >= n || (h = hexval(s[i])) < 0)
				goto bad;
			v = (uint32_t)h;
			for (i++;; i++) {
				if (i >= n)
					goto bad;
				if (s[i] == '_')
					continue;
				if (s[i] == '}')
					break;
				if ((h = hexval(s[i])) < 0 || ++digits > 6)
					goto bad;
				v = v * 16 + (uint32_t)h;
			}
			i++;
			if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
				goto bad;
			break;
		}
		default:
			goto bad;
		}
		{
			size_t k = utf8_encode(v, out + o);

			if (star != NULL)
				memset(star + o, v == '*' && !lit_star, k);
			o += k;
		}
		continue;
	bad:
		if (!quiet)
			fail_tok(p, t, "the input `%.*s` is not a valid escape",
			         (int)(i - start < 2    ? 2
			               : i - start > 12 ? 12
			                                : i - start),
			         s + start);
		return -1;
	}
	return (long)o;
}

static const struct cstr *string_of(struct parser *p, const struct token *t)
{
	char *buf = arena_alloc(p->a, t->n);
	long n;
	const struct cstr *s;

	if (buf == NULL)
		return oom(p);
	n = unescape(p, t, t->s + 1, t->n - 2, buf, NULL, false);
	if (n < 0)
		return NULL;
	s = intern_str(&p->in, buf, (size_t)n);
	return s != NULL ? s : oom(p);
}

static const struct cpattern *pattern_of(struct parser *p,
                                         const struct token *t)
{
	size_t n = t->n - 2, segs = 0;
	char *buf = arena_alloc(p->a, n + 1);
	unsigned char *star = arena_alloc(p->a, n + 1);
	struct cpattern *pat = arena_alloc(p->a, sizeof(*pat));
	const struct cstr **seg;
	long len;

	if (buf == NULL || star == NULL || pat == NULL)
		return oom(p);
	len = unescape(p, t, t->s + 1, n, buf, star, false);
	if (len < 0)
		return NULL;
	seg = arena_alloc(p->a, ((size_t)len + 1) * sizeof(*seg));
	if (seg == NULL)
		return oom(p);
	pat->lead_star = len > 0 && star[0];
	pat->trail_star = len > 0 && star[len - 1];
	for (long i = 0; i < len;) {
		long j = i;

		if (star[i]) {
			i++;
			continue;
		}
		while (j < len && !star[j])
			j++;
		seg[segs] = intern_str(&p->in, buf + i, (size_t)(j - i));
		if (seg[segs] == NULL)
			return oom(p);
		segs++;
		i = j;
	}
	pat->n = (uint32_t)segs;
	pat->seg = seg;
	/* a pattern of only stars matches everything */
	if (segs == 0 && len > 0)
		pat->lead_star = pat->trail_star = true;
	return pat;
}

/* ---- nodes ---------------------------------------------------------- */

static struct cexpr *mk(struct parser *p, int op, uint32_t line, uint32_t col)
{
	struct cexpr *e = arena_alloc(p->a, sizeof(*e));

	if (e == NULL)
		return oom(p);
	memset(e, 0, sizeof(*e));
	e->op = (uint8_t)op;
	e->line = line;
	e->col = col;
	e->depth = 1;
	return e;
}

/* Records a child's depth in its parent; fails past the bound. */
static bool child(struct parser *p, struct cexpr *parent, const struct cexpr *c)
{
	if (c->depth + 1 > parent->depth)
		parent->depth = (uint16_t)(c->depth + 1);
	if (parent->depth > CEDAR_MAX_AST_DEPTH) {
		fail_node(p, parent, "expression nested too deeply (limit %d)",
		          CEDAR_MAX_AST_DEPTH);
		return false;
	}
	return true;
}

static struct cexpr *mk1(struct parser *p, int op, struct cexpr *a,
                         uint32_t line, uint32_t col)
{
	struct cexpr *e = mk(p, op, line, col);

	if (e == NULL)
		return NULL;
	e->a = a;
	return child(p, e, a) ? e : NULL;
}

static struct cexpr *mk2(struct parser *p, int op, struct cexpr *a,
                         struct cexpr *b, uint32_t line, uint32_t col)
{
	struct cexpr *e = mk1(p, op, a, line, col);

	if (e == NULL)
		return NULL;
	e->b = b;
	return child(p, e, b) ? e : NULL;
}

/* A growable list of nodes, copied into the arena when done. */
struct nlist {
	struct cexpr **v;
	uint8_t *ops;
	size_t n, cap;
};

static bool nlist_push(struct parser *p, struct nlist *l, struct cexpr *e,
                       uint8_t op)
{
	if (l->n == l->cap) {
		size_t cap = l->cap == 0 ? 8 : l->cap * 2;
		struct cexpr **v = arena_alloc(p->a, cap * sizeof(*v));
		uint8_t *ops = arena_alloc(p->a, cap);

		if (v == NULL || ops == NULL || cap > CEDAR_MAX_ELEMS) {
			if (cap > CEDAR_MAX_ELEMS)
				fail_node(p, e, "too many elements (limit %d)",
				          CEDAR_MAX_ELEMS);
			else
				oom(p);
			return false;
		}
		if (l->n > 0) {
			memcpy(v, l->v, l->n * sizeof(*v));
			memcpy(ops, l->ops, l->n);
		}
		l->v = v;
		l->ops = ops;
		l->cap = cap;
	}
	l->v[l->n] = e;
	l->ops[l->n] = op;
	l->n++;
	return true;
}

static struct cexpr *mk_list(struct parser *p, int op, struct nlist *l,
                             uint32_t line, uint32_t col)
{
	struct cexpr *e = mk(p, op, line, col);

	if (e == NULL)
		return NULL;
	e->n = (uint32_t)l->n;
	e->list = l->v;
	e->ops = l->ops;
	for (size_t i = 0; i < l->n; i++)
		if (!child(p, e, l->v[i]))
			return NULL;
	return e;
}

static bool is_lit(const struct cexpr *e)
{
	return e->op == OP_LIT;
}

/* Turns a name or slot into an error; everything else is an expression.
 * Called wherever an operand is consumed. */
static struct cexpr *as_expr(struct parser *p, struct cexpr *e)
{
	if (e == NULL)
		return NULL;
	if (e->op == OP_XNAME)
		return fail_node(p, e,
		                 "invalid variable: %s (the variables are "
		                 "principal, action, resource and context)",
		                 e->str->s);
	if (e->op == OP_XSLOT)
		return fail_node(p, e,
		                 "found template slot %s in a condition (slots "
		                 "are only allowed in the policy scope)",
		                 e->str->s);
	if (e->flags & F_BADESC) {
		(void)string_of(p, &(struct token){T_STRING, e->keys[0]->s,
		                                   e->keys[0]->len, e->line,
		                                   e->col});
		return NULL;
	}
	if (e->flags & F_BIGNUM)
		return fail_node(p, e,
		                 "integer literal `%" PRIu64
		                 "` is too large (maximum %" PRId64 ")",
		                 (uint64_t)e->lit.i, INT64_MAX);
	return e;
}

/* ---- expressions ---------------------------------------------------- */

static struct cexpr *parse_expr(struct parser *p);
static struct cexpr *parse_add(struct parser *p);

/* Name := IDENT {'::' IDENT}; also a Ref (Name '::' STR) if a string
 * follows the last '::'. Returns OP_VAR, OP_XNAME or an entity literal. */
static struct cexpr *parse_name_or_ref(struct parser *p)
{
	struct token first = next(p), t;
	char buf[1024];
	size_t len = 0, parts = 1;
	const struct cstr *s, *id;
	const struct cuid *uid;
	bool reserved = cedar_ident_reserved(first.s, first.n);
	struct token bad = first;
	struct cexpr *e;

	if (first.n >= sizeof(buf))
		return fail_tok(p, &first, "identifier too long");
	memcpy(buf, first.s, first.n);
	len = first.n;
	while (peek(p)->t == T_COLON2) {
		const struct token *after = peek_n(p, 1);

		if (after->t == T_STRING) {
			next(p);
			t = next(p);
			if (reserved)
				return fail_tok(
				    p, &bad,
				    "this identifier is reserved and "
				    "cannot be used: %.*s",
				    (int)bad.n, bad.s);
			if (!cedar_name_valid(buf, len))
				return fail_tok(p, &first,
				                "The name `%.*s` contains "
				                "`__cedar`, which is reserved",
				                (int)len, buf);
			s = intern_str(&p->in, buf, len);
			id = string_of(p, &t);
			if (s == NULL || id == NULL)
				return NULL;
			uid = intern_uid(&p->in, s, id);
			if (uid == NULL)
				return oom(p);
			e = mk(p, OP_LIT, first.line, first.col);
			if (e == NULL)
				return NULL;
			e->lit.kind = CV_UID;
			e->lit.uid = uid;
			e->flags = F_SPECIAL;
			return e;
		}
		if (after->t == T_LBRACE)
			return fail_tok(
			    p, after,
			    "invalid entity literal: entity literals "
			    "look like `Namespace::User::\"alice\"`");
		if (after->t != T_IDENT)
			return unexpected(p, after, "identifier");
		next(p);
		t = next(p);
		if (len + 2 + t.n >= sizeof(buf))
			return fail_tok(p, &t, "name too long");
		if (!reserved && cedar_ident_reserved(t.s, t.n)) {
			reserved = true;
			bad = t;
		}
		memcpy(buf + len, "::", 2);
		memcpy(buf + len + 2, t.s, t.n);
		len += 2 + t.n;
		parts++;
	}
	if (parts == 1) {
		static const char *const vars[] = {"principal", "action",
		                                   "resource", "context"};

		for (int i = 0; i < 4; i++)
			if (tok_is(&first, vars[i])) {
				e = mk(p, OP_VAR, first.line, first.col);
				if (e == NULL)
					return NULL;
				e->sub = (uint8_t)i;
				e->flags = F_SPECIAL;
				e->str = intern_str(&p->in, buf, len);
				return e->str != NULL ? e : oom(p);
			}
	}
	e = mk(p, OP_XNAME, first.line, first.col);
	if (e == NULL)
		return NULL;
	e->flags = F_SPECIAL;
	e->n = (uint32_t)parts;
	e->str = intern_str(&p->in, buf, len);
	if (e->str == NULL)
		return oom(p);
	/* remember a reserved part: it is an error wherever the name is used,
	 * reported where it is used */
	if (reserved) {
		e->sub = 1;
		e->line = bad.line;
		e->col = bad.col;
	}
	return e;
}

static struct cexpr *reserved_err(struct parser *p, const struct cexpr *e)
{
	const char *s = e->str->s;
	size_t n = strcspn(s, ":");

	/* name the reserved part */
	for (const char *q = s; *q;) {
		size_t k = strcspn(q, ":");

		if (cedar_ident_reserved(q, k)) {
			s = q;
			n = k;
			break;
		}
		q += k;
		while (*q == ':')
			q++;
	}
	return fail_node(p, e,
	                 "this identifier is reserved and cannot be used: %.*s",
	                 (int)n, s);
}

/* Folds a set or record of literals into one literal value. */
static struct cexpr *fold_set(struct parser *p, struct cexpr *e)
{
	struct cval *v;
	const struct cset *s;
	uint64_t work = 0;

	for (uint32_t i = 0; i < e->n; i++)
		if (!is_lit(e->list[i]))
			return e;
	v = arena_alloc(p->a, (e->n + 1) * sizeof(*v));
	if (v == NULL)
		return oom(p);
	for (uint32_t i = 0; i < e->n; i++)
		v[i] = e->list[i]->lit;
	s = cset_make(p->a, v, e->n, &work);
	if (s == NULL)
		return oom(p);
	e->op = OP_LIT;
	e->lit.kind = CV_SET;
	e->lit.set = s;
	return e;
}

static struct cexpr *fold_record(struct parser *p, struct cexpr *e)
{
	struct crec_ent *ents;
	const struct crec *r;

	for (uint32_t i = 0; i < e->n; i++)
		if (!is_lit(e->list[i]))
			return e;
	ents = arena_alloc(p->a, (e->n + 1) * sizeof(*ents));
	if (ents == NULL)
		return oom(p);
	for (uint32_t i = 0; i < e->n; i++) {
		ents[i].k = e->keys[i];
		ents[i].v = e->list[i]->lit;
	}
	r = crec_make(p->a, ents, e->n);
	if (r == NULL)
		return oom(p);
	e->op = OP_LIT;
	e->lit.kind = CV_REC;
	e->lit.rec = r;
	return e;
}

/* An extension call on literals is evaluated once, here; if it fails
 * it stays a call and fails when evaluated, as the reference does. */
static struct cexpr *fold_ext(struct parser *p, struct cexpr *e)
{
	struct cval args[4], out;
	char msg[128];

	if (e->n > 4)
		return e;
	for (uint32_t i = 0; i < e->n; i++) {
		if (!is_lit(e->list[i]))
			return e;
		args[i] = e->list[i]->lit;
	}
	if (cedar_ext_call(p->a, e->sub, args, e->n, &out, msg, sizeof(msg)) <
	    0)
		return e;
	e->op = OP_LIT;
	e->lit = out;
	return e;
}

/* '[' ExprList ']' or '(' ExprList ')' after the opening token */
static bool parse_list(struct parser *p, enum tok close, struct nlist *l)
{
	const char *want = close == T_RBRACK ? "`]`" : "`)`";

	for (;;) {
		struct cexpr *e;

		if (peek(p)->t == close)
			break;
		e = as_expr(p, parse_expr(p));
		if (e == NULL || !nlist_push(p, l, e, 0))
			return false;
		if (peek(p)->t == T_COMMA) {
			next(p);
			continue;
		}
		if (peek(p)->t != close) {
			unexpected(p, peek(p), want);
			return false;
		}
	}
	next(p);
	return true;
}

static const struct cstr *attr_of(struct parser *p, struct cexpr *k)
{
	if (k == NULL)
		return NULL;
	if (k->flags & F_SPECIAL) {
		if (k->op == OP_VAR)
			return k->str;
		if (k->op == OP_LIT && (k->flags & F_STRLIT))
			return as_expr(p, k) != NULL ? k->lit.s : NULL;
		if (k->op == OP_XNAME) {
			if (k->sub)
				return (reserved_err(p, k), NULL);
			if (k->n > 1)
				return fail_node(p, k,
				                 "`%s` cannot be used as an "
				                 "attribute as it contains a "
				                 "namespace",
				                 k->str->s);
			return k->str;
		}
	}
	return fail_node(p, k,
	                 "invalid attribute name (attribute names are "
	                 "identifiers or string literals)");
}

/* Sorts key indices by key (interned, so by pointer), then position. */
static int cmp_key_index(const void *x, const void *y, void *arg)
{
	const struct cstr *const *keys = arg;
	size_t a = *(const size_t *)x, b = *(const size_t *)y;

	if (keys[a] != keys[b])
		return keys[a] < keys[b] ? -1 : 1;
	return a < b ? -1 : a > b;
}

/* The first key (in text order) that repeats an earlier one, or n. */
static size_t first_duplicate(struct parser *p, const struct cstr **keys,
                              size_t n)
{
	size_t *idx, dup = n;

	if (n < 2)
		return n;
	idx = arena_alloc(p->a, n * sizeof(*idx));
	if (idx == NULL)
		return n;
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	qsort_r(idx, n, sizeof(*idx), cmp_key_index, keys);
	for (size_t i = 1; i < n; i++)
		if (keys[idx[i]] == keys[idx[i - 1]] && idx[i] < dup)
			dup = idx[i];
	return dup;
}

static struct cexpr *parse_record(struct parser *p, const struct token *open)
{
	struct nlist l = {0}, kn = {0};
	const struct cstr **keys;
	size_t cap = 0, n = 0, dup;
	struct cexpr *e;

	keys = NULL;
	while (peek(p)->t != T_RBRACE) {
		const struct token *kt = peek(p);
		struct cexpr *k, *v;
		const struct cstr *key;

		if (tok_is(kt, "if") && peek_n(p, 1)->t == T_COLON)
			return fail_tok(
			    p, kt,
			    "this identifier is reserved and cannot "
			    "be used: if");
		k = parse_expr(p);
		if (k == NULL)
			return NULL;
		if (!expect(p, T_COLON, "`:`"))
			return NULL;
		key = attr_of(p, k);
		if (key == NULL || !nlist_push(p, &kn, k, 0))
			return NULL;
		v = as_expr(p, parse_expr(p));
		if (v == NULL || !nlist_push(p, &l, v, 0))
			return NULL;
		if (n == cap) {
			const struct cstr **nk;

			cap = cap == 0 ? 8 : cap * 2;
			nk = arena_alloc(p->a, cap * sizeof(*nk));
			if (nk == NULL)
				return oom(p);
			if (n > 0)
				memcpy(nk, keys, n * sizeof(*nk));
			keys = nk;
		}
		keys[n++] = key;
		if (peek(p)->t == T_COMMA) {
			next(p);
			continue;
		}
		if (peek(p)->t != T_RBRACE)
			return unexpected(p, peek(p), "`,` or `}`");
	}
	dup = first_duplicate(p, keys, n);
	if (dup < n)
		return fail_node(p, kn.v[dup],
		                 "duplicate key `%s` in record literal",
		                 keys[dup]->s);
	next(p);
	e = mk_list(p, OP_RECORD, &l, open->line, open->col);
	if (e == NULL)
		return NULL;
	e->keys = keys;
	return fold_record(p, e);
}

static struct cexpr *parse_primary(struct parser *p)
{
	const struct token *t = peek(p);
	struct token tk;
	struct cexpr *e;

	switch (t->t) {
	case T_NUMBER: {
		uint64_t v = 0;

		tk = next(p);
		for (size_t i = 0; i < tk.n; i++) {
			unsigned d = (unsigned)(tk.s[i] - '0');

			if (v > (UINT64_MAX - d) / 10)
				return fail_tok(
				    p, &tk,
				    "integer parse error: number too "
				    "large to fit in target type");
			v = v * 10 + d;
		}
		e = mk(p, OP_LIT, tk.line, tk.col);
		if (e == NULL)
			return NULL;
		e->lit.kind = CV_LONG;
		e->lit.i = (int64_t)v;
		e->flags =
		    F_SPECIAL | F_NUMLIT | (v > INT64_MAX ? F_BIGNUM : 0);
		return e;
	}
	case T_STRING:
		tk = next(p);
		e = mk(p, OP_LIT, tk.line, tk.col);
		if (e == NULL)
			return NULL;
		e->lit.kind = CV_STR;
		e->flags = F_SPECIAL | F_STRLIT;
		/* an escape that is only valid in a pattern (\*) is an error
		 * wherever else the literal is used, reported there */
		{
			char *buf = arena_alloc(p->a, tk.n);
			long n;

			if (buf == NULL)
				return oom(p);
			n = unescape(p, &tk, tk.s + 1, tk.n - 2, buf, NULL,
			             true);
			if (n < 0) {
				e->flags |= F_BADESC;
				e->lit.s = intern_str(&p->in, "", 0);
			} else {
				e->lit.s = intern_str(&p->in, buf, (size_t)n);
			}
			if (e->lit.s == NULL)
				return oom(p);
		}
		/* keep the raw token for `like` */
		e->keys = arena_alloc(p->a, sizeof(*e->keys));
		if (e->keys == NULL)
			return oom(p);
		e->keys[0] = intern_str(&p->in, tk.s, tk.n);
		if (e->keys[0] == NULL)
			return oom(p);
		return e;
	case T_SLOT:
		tk = next(p);
		e = mk(p, OP_XSLOT, tk.line, tk.col);
		if (e == NULL)
			return NULL;
		e->str = intern_str(&p->in, tk.s, tk.n);
		if (e->str == NULL)
			return oom(p);
		e->sub =
		    tok_is(&(struct token){T_IDENT, tk.s + 1, tk.n - 1, 0, 0},
		           "principal")
		        ? 0
		    : tok_is(&(struct token){T_IDENT, tk.s + 1, tk.n - 1, 0, 0},
		             "resource")
		        ? 1
		        : 2;
		e->flags = F_SPECIAL;
		return e;
	case T_IDENT:
		if (tok_is(t, "true") || tok_is(t, "false")) {
			if (peek_n(p, 1)->t == T_COLON2)
				return fail_tok(
				    p, t,
				    "this identifier is reserved and "
				    "cannot be used: %.*s",
				    (int)t->n, t->s);
			tk = next(p);
			e = mk(p, OP_LIT, tk.line, tk.col);
			if (e == NULL)
				return NULL;
			e->lit.kind = CV_BOOL;
			e->lit.b = tk.n == 4;
			return e;
		}
		if (tok_is(t, "if"))
			return unexpected(p, t, "an operand");
		return parse_name_or_ref(p);
	case T_LPAREN:
		tk = next(p);
		e = as_expr(p, parse_expr(p));
		if (e == NULL || !expect(p, T_RPAREN, "`)`"))
			return NULL;
		e->flags = 0;
		return e;
	case T_LBRACK: {
		struct nlist l = {0};

		tk = next(p);
		if (!parse_list(p, T_RBRACK, &l))
			return NULL;
		e = mk_list(p, OP_SET, &l, tk.line, tk.col);
		return e != NULL ? fold_set(p, e) : NULL;
	}
	case T_LBRACE:
		tk = next(p);
		return parse_record(p, &tk);
	default:
		return unexpected(p, t, "an operand");
	}
}

enum builtin_method {
	BM_NONE = -1,
};

static int builtin_method(const struct token *t, int *arity)
{
	static const struct {
		const char *name;
		int op, arity;
	} m[] = {
	    {"contains", OP_CONTAINS, 1},
	    {"containsAll", OP_CONTAINSALL, 1},
	    {"containsAny", OP_CONTAINSANY, 1},
	    {"isEmpty", OP_ISEMPTY, 0},
	    {"getTag", OP_GETTAG, 1},
	    {"hasTag", OP_HASTAG, 1},
	};

	for (size_t i = 0; i < sizeof(m) / sizeof(*m); i++)
		if (tok_is(t, m[i].name)) {
			*arity = m[i].arity;
			return m[i].op;
		}
	return BM_NONE;
}

/* Member := Primary {'.' IDENT | '(' args ')' | '[' Expr ']'} */
static struct cexpr *parse_member(struct parser *p)
{
	struct cexpr *e = parse_primary(p);
	const struct token *t;

	if (e == NULL)
		return NULL;
	t = peek(p);
	if (t->t == T_LPAREN) {
		/* a function call: only extension functions have names */
		struct nlist l = {0};
		struct token open = next(p);
		int fn;

		if (e->op == OP_VAR)
			return fail_node(
			    p, e,
			    "`%s(...)` is not a valid function call: "
			    "variables cannot be called",
			    e->str->s);
		if (e->op != OP_XNAME || !(e->flags & F_SPECIAL))
			return fail_tok(p, &open,
			                "function calls must be of the form "
			                "`<name>(arg1, arg2, ...)`");
		fn = e->n == 1 ? cedar_ext_lookup(e->str->s, e->str->len) : -1;
		if (fn < 0)
			return fail_node(p, e, "`%s` is not a valid function",
			                 e->str->s);
		if (cedar_ext_info[fn].method)
			return fail_node(
			    p, e,
			    "`%s` is a method, not a function; use "
			    "`e.%s(..)`",
			    e->str->s, e->str->s);
		if (!parse_list(p, T_RPAREN, &l))
			return NULL;
		{
			uint32_t line = e->line, col = e->col;

			e = mk_list(p, OP_EXT, &l, line, col);
		}
		if (e == NULL)
			return NULL;
		e->sub = (uint8_t)fn;
		e = fold_ext(p, e);
		if (e == NULL)
			return NULL;
	}
	for (;;) {
		struct token tk;

		t = peek(p);
		if (t->t != T_DOT && t->t != T_LBRACK && t->t != T_LPAREN)
			return e;
		e = as_expr(p, e);
		if (e == NULL)
			return NULL;
		tk = next(p);
		if (tk.t == T_LPAREN)
			return fail_tok(p, &tk,
			                "function calls must be of the form "
			                "`<name>(arg1, arg2, ...)`");
		if (tk.t == T_LBRACK) {
			struct cexpr *k = parse_expr(p);
			const struct cstr *attr;

			if (k == NULL || !expect(p, T_RBRACK, "`]`"))
				return NULL;
			if (!(k->flags & F_SPECIAL) || !(k->flags & F_STRLIT))
				return fail_node(
				    p, k,
				    "invalid string literal: the "
				    "index must be a string literal");
			if (as_expr(p, k) == NULL)
				return NULL;
			attr = k->lit.s;
			e = mk1(p, OP_GETATTR, e, tk.line, tk.col);
			if (e == NULL)
				return NULL;
			e->str = attr;
			continue;
		}
		/* '.' IDENT, maybe a method call */
		t = peek(p);
		if (t->t != T_IDENT)
			return unexpected(p, t, "identifier");
		tk = next(p);
		if (peek(p)->t == T_LPAREN) {
			struct nlist l = {0};
			int arity, op = builtin_method(&tk, &arity), fn;
			struct cexpr *m;

			next(p);
			if (!nlist_push(p, &l, e, 0) ||
			    !parse_list(p, T_RPAREN, &l))
				return NULL;
			if (op != BM_NONE) {
				if ((int)l.n - 1 != arity)
					return fail_tok(
					    p, &tk,
					    "call to `%.*s` requires exactly "
					    "%d "
					    "argument%s, but got %zu",
					    (int)tk.n, tk.s, arity,
					    arity == 1 ? "" : "s", l.n - 1);
				m = arity == 0
				        ? mk1(p, op, l.v[0], tk.line, tk.col)
				        : mk2(p, op, l.v[0], l.v[1], tk.line,
				              tk.col);
				if (m == NULL)
					return NULL;
				e = m;
				continue;
			}
			fn = cedar_ext_lookup(tk.s, tk.n);
			if (fn < 0)
				return fail_tok(p, &tk,
				                "`%.*s` is not a valid method",
				                (int)tk.n, tk.s);
			if (!cedar_ext_info[fn].method)
				return fail_tok(p, &tk,
				                "`%.*s` is a function, not a "
				                "method; use `%.*s(..)`",
				                (int)tk.n, tk.s, (int)tk.n,
				                tk.s);
			m = mk_list(p, OP_EXT, &l, tk.line, tk.col);
			if (m == NULL)
				return NULL;
			m->sub = (uint8_t)fn;
			e = fold_ext(p, m);
			if (e == NULL)
				return NULL;
			continue;
		}
		if (cedar_ident_reserved(tk.s, tk.n))
			return fail_tok(
			    p, &tk,
			    "this identifier is reserved and cannot "
			    "be used: %.*s",
			    (int)tk.n, tk.s);
		e = mk1(p, OP_GETATTR, e, tk.line, tk.col);
		if (e == NULL)
			return NULL;
		e->str = intern_str(&p->in, tk.s, tk.n);
		if (e->str == NULL)
			return oom(p);
	}
}

/* Unary := ['!'{1,4} | '-'{1,4}] Member. A '-' directly before a number
 * literal makes a negative literal (so -9223372036854775808 is one). */
static struct cexpr *parse_unary(struct parser *p)
{
	const struct token *t = peek(p);
	struct token first;
	enum tok k = t->t;
	int count = 0;
	struct cexpr *e;

	if (k != T_BANG && k != T_MINUS)
		return parse_member(p);
	first = *t;
	while (peek(p)->t == k) {
		next(p);
		count++;
	}
	if (count > 4)
		return fail_tok(p, &first,
		                "too many occurrences of `%c`: cannot chain "
		                "more than 4 applications of a unary operator",
		                k == T_BANG ? '!' : '-');
	t = peek(p);
	if (t->t == T_BANG || t->t == T_MINUS)
		return unexpected(p, t, "an operand");
	e = parse_member(p);
	if (e == NULL)
		return NULL;
	if (k == T_MINUS && (e->flags & F_NUMLIT) && (e->flags & F_SPECIAL)) {
		uint64_t v = (uint64_t)e->lit.i;

		if (v > (uint64_t)INT64_MAX + 1)
			return fail_node(
			    p, e, "integer literal `%" PRIu64 "` is too large",
			    v);
		e->lit.i = (int64_t)(0 - v);
		e->flags = 0;
		count--;
	}
	e = as_expr(p, e);
	while (e != NULL && count-- > 0)
		e = mk1(p, k == T_BANG ? OP_NOT : OP_NEG, e, first.line,
		        first.col);
	return e;
}

static struct cexpr *parse_mult(struct parser *p)
{
	struct cexpr *e = parse_unary(p);
	struct nlist l = {0};
	uint32_t line, col;

	if (e == NULL)
		return NULL;
	line = e->line;
	col = e->col;
	while (peek(p)->t == T_STAR || peek(p)->t == T_SLASH ||
	       peek(p)->t == T_PERCENT) {
		struct token op = next(p);
		struct cexpr *r;

		if (op.t != T_STAR)
			return fail_tok(p, &op, "%s is not supported",
			                op.t == T_SLASH ? "division"
			                                : "remainder/modulo");
		if (l.n == 0 &&
		    ((e = as_expr(p, e)) == NULL || !nlist_push(p, &l, e, 0)))
			return NULL;
		r = as_expr(p, parse_unary(p));
		if (r == NULL || !nlist_push(p, &l, r, 0))
			return NULL;
	}
	if (l.n == 0)
		return e;
	return mk_list(p, OP_MUL, &l, line, col);
}

static struct cexpr *parse_add(struct parser *p)
{
	struct cexpr *e = parse_mult(p);
	struct nlist l = {0};
	uint32_t line, col;

	if (e == NULL)
		return NULL;
	line = e->line;
	col = e->col;
	while (peek(p)->t == T_PLUS || peek(p)->t == T_MINUS) {
		struct token op = next(p);
		struct cexpr *r;

		if (l.n == 0 &&
		    ((e = as_expr(p, e)) == NULL || !nlist_push(p, &l, e, 0)))
			return NULL;
		r = as_expr(p, parse_mult(p));
		if (r == NULL ||
		    !nlist_push(p, &l, r, op.t == T_PLUS ? '+' : '-'))
			return NULL;
	}
	if (l.n == 0)
		return e;
	return mk_list(p, OP_ADD, &l, line, col);
}

static int relop(const struct token *t)
{
	switch (t->t) {
	case T_LT:
		return OP_LT;
	case T_LE:
		return OP_LE;
	case T_GT:
		return OP_GT;
	case T_GE:
		return OP_GE;
	case T_EQ2:
		return OP_EQ;
	case T_NE:
		return OP_NE;
	case T_EQ:
		return -2;
	case T_IDENT:
		return tok_is(t, "in") ? OP_IN : -1;
	default:
		return -1;
	}
}

/* The type name after `is`: a Name, possibly one of the variable words. */
static const struct cstr *type_name_of(struct parser *p, struct cexpr *n)
{
	if (n == NULL)
		return NULL;
	if ((n->flags & F_SPECIAL) && n->op == OP_VAR)
		return n->str;
	if ((n->flags & F_SPECIAL) && n->op == OP_XNAME) {
		if (n->sub)
			return (reserved_err(p, n), NULL);
		if (!cedar_name_valid(n->str->s, n->str->len))
			return fail_node(
			    p, n,
			    "The name `%s` contains `__cedar`, which "
			    "is reserved",
			    n->str->s);
		return n->str;
	}
	return fail_node(p, n,
	                 "right hand side of an `is` expression must be an "
	                 "entity type name");
}

/* The attribute path after `has`: a string literal, or IDENT{.IDENT}. */
static struct cexpr *parse_has(struct parser *p, struct cexpr *target,
                               const struct token *op)
{
	const struct token *t = peek(p);
	const struct cstr *keys[CEDAR_MAX_AST_DEPTH];
	size_t n = 0;
	struct cexpr *e;

	if (t->t == T_STRING) {
		struct token tk = next(p);

		keys[n++] = string_of(p, &tk);
		if (keys[0] == NULL)
			return NULL;
		if (peek(p)->t == T_DOT)
			return fail_tok(
			    p, peek(p),
			    "invalid RHS of a `has` operation: it is "
			    "a sequence of identifiers separated by "
			    "`.` or a string literal");
	} else if (t->t == T_IDENT) {
		for (;;) {
			struct token tk = next(p);

			if (cedar_ident_reserved(tk.s, tk.n))
				return fail_tok(
				    p, &tk,
				    "this identifier is reserved and "
				    "cannot be used: %.*s",
				    (int)tk.n, tk.s);
			if (n == CEDAR_MAX_AST_DEPTH)
				return fail_tok(p, &tk,
				                "attribute path too long");
			keys[n] = intern_str(&p->in, tk.s, tk.n);
			if (keys[n++] == NULL)
				return oom(p);
			if (peek(p)->t != T_DOT)
				break;
			next(p);
			if (peek(p)->t != T_IDENT)
				return unexpected(p, peek(p), "identifier");
		}
	} else {
		/* parse it for the error position, then refuse */
		struct cexpr *x = parse_add(p);

		if (x == NULL)
			return NULL;
		return fail_node(p, x,
		                 "invalid RHS of a `has` operation: it is a "
		                 "sequence of identifiers separated by `.` or "
		                 "a string literal");
	}
	/* anything else binding tighter than `has` after the path */
	t = peek(p);
	if (t->t == T_STAR || t->t == T_PLUS || t->t == T_MINUS ||
	    t->t == T_SLASH || t->t == T_PERCENT || t->t == T_LBRACK ||
	    t->t == T_LPAREN || t->t == T_COLON2)
		return fail_tok(p, t,
		                "invalid RHS of a `has` operation: it is a "
		                "sequence of identifiers separated by `.` or a "
		                "string literal");
	e = mk1(p, OP_HAS, target, op->line, op->col);
	if (e == NULL)
		return NULL;
	e->n = (uint32_t)n;
	e->keys = arena_alloc(p->a, n * sizeof(*e->keys));
	if (e->keys == NULL)
		return oom(p);
	memcpy(e->keys, keys, n * sizeof(*keys));
	if (e->depth + n > CEDAR_MAX_AST_DEPTH)
		return fail_tok(p, op, "expression nested too deeply");
	e->depth = (uint16_t)(e->depth + n);
	return e;
}

static struct cexpr *parse_relation(struct parser *p)
{
	struct cexpr *e = parse_add(p), *r;
	const struct token *t;
	struct token op;
	int k;

	if (e == NULL)
		return NULL;
	t = peek(p);
	if (tok_is(t, "has")) {
		op = next(p);
		e = as_expr(p, e);
		return e != NULL ? parse_has(p, e, &op) : NULL;
	}
	if (tok_is(t, "like")) {
		struct cexpr *pat;

		op = next(p);
		e = as_expr(p, e);
		pat = parse_add(p);
		if (e == NULL || pat == NULL)
			return NULL;
		if (!(pat->flags & F_SPECIAL) || !(pat->flags & F_STRLIT))
			return fail_node(
			    p, pat,
			    "right hand side of a `like` expression "
			    "must be a pattern literal");
		r = mk1(p, OP_LIKE, e, op.line, op.col);
		if (r == NULL)
			return NULL;
		r->pat = pattern_of(
		    p, &(struct token){T_STRING, pat->keys[0]->s,
		                       pat->keys[0]->len, pat->line, pat->col});
		return r->pat != NULL ? r : NULL;
	}
	if (tok_is(t, "is")) {
		const struct cstr *type;

		op = next(p);
		e = as_expr(p, e);
		if (e == NULL)
			return NULL;
		type = type_name_of(p, parse_add(p));
		if (type == NULL)
			return NULL;
		r = mk1(p, OP_IS, e, op.line, op.col);
		if (r == NULL)
			return NULL;
		r->str = type;
		if (tok_is(peek(p), "in")) {
			next(p);
			r->b = as_expr(p, parse_add(p));
			if (r->b == NULL || !child(p, r, r->b))
				return NULL;
		}
		return r;
	}
	k = relop(t);
	if (k == -1)
		return e;
	op = next(p);
	if (k == -2)
		return fail_tok(
		    p, &op, "'=' is not a valid operator in Cedar; try '=='");
	e = as_expr(p, e);
	r = as_expr(p, parse_add(p));
	if (e == NULL || r == NULL)
		return NULL;
	t = peek(p);
	if (relop(t) != -1 || tok_is(t, "has") || tok_is(t, "like") ||
	    tok_is(t, "is"))
		return fail_tok(p, t,
		                "multiple relational operators (>, ==, in, "
		                "etc.) must be used with parentheses to make "
		                "ordering explicit");
	return mk2(p, k, e, r, op.line, op.col);
}

static struct cexpr *parse_chain(struct parser *p, enum tok k, int op,
                                 struct cexpr *(*sub)(struct parser *))
{
	struct cexpr *e = sub(p);
	struct nlist l = {0};
	uint32_t line, col;

	if (e == NULL)
		return NULL;
	line = e->line;
	col = e->col;
	while (peek(p)->t == k) {
		struct cexpr *r;

		next(p);
		if (l.n == 0 &&
		    ((e = as_expr(p, e)) == NULL || !nlist_push(p, &l, e, 0)))
			return NULL;
		r = as_expr(p, sub(p));
		if (r == NULL || !nlist_push(p, &l, r, 0))
			return NULL;
	}
	if (l.n == 0)
		return e;
	return mk_list(p, op, &l, line, col);
}

static struct cexpr *parse_and(struct parser *p)
{
	return parse_chain(p, T_AND, OP_AND, parse_relation);
}

static struct cexpr *parse_or(struct parser *p)
{
	return parse_chain(p, T_OR, OP_OR, parse_and);
}

/* Expr := Or | 'if' Expr 'then' Expr 'else' Expr. May return a name,
 * slot or literal still marked special; callers decide. */
static struct cexpr *parse_expr(struct parser *p)
{
	const struct token *t = peek(p);
	struct cexpr *e;

	if (++p->nesting > CEDAR_MAX_NESTING) {
		p->nesting--;
		return fail_tok(p, t, "expression nested too deeply (limit %d)",
		                CEDAR_MAX_NESTING);
	}
	if (tok_is(t, "if")) {
		struct token tk = next(p);
		struct cexpr *c, *a, *b;

		c = as_expr(p, parse_expr(p));
		if (c == NULL)
			goto out_null;
		if (!tok_is(peek(p), "then")) {
			unexpected(p, peek(p), "`then`");
			goto out_null;
		}
		next(p);
		a = as_expr(p, parse_expr(p));
		if (a == NULL)
			goto out_null;
		if (!tok_is(peek(p), "else")) {
			unexpected(p, peek(p), "`else`");
			goto out_null;
		}
		next(p);
		b = as_expr(p, parse_expr(p));
		if (b == NULL)
			goto out_null;
		e = mk2(p, OP_IF, c, a, tk.line, tk.col);
		if (e == NULL)
			goto out_null;
		e->c = b;
		if (!child(p, e, b))
			goto out_null;
	} else {
		e = parse_or(p);
	}
	p->nesting--;
	return e;
out_null:
	p->nesting--;
	return NULL;
}

/* ---- policies ------------------------------------------------------- */

/* The scope's right-hand side: an entity uid, a slot, or (for action `in`)
 * a list of them. */
static bool scope_rhs(struct parser *p, struct cscope *sc, struct cexpr *e,
                      int var, int op)
{
	static const char *const slot_names[] = {"?principal", "?resource"};

	if (e->op == OP_XSLOT) {
		if (var == VAR_ACTION) {
			fail_node(p, e,
			          "expected an entity uid or set of "
			          "entity uids, found a template slot");
			return false;
		}
		if ((var == VAR_PRINCIPAL && e->sub != 0) ||
		    (var == VAR_RESOURCE && e->sub != 1)) {
			fail_node(p, e,
			          "expected an entity uid or matching template "
			          "slot, found %s instead of %s",
			          e->str->s, slot_names[var == VAR_RESOURCE]);
			return false;
		}
		sc->slot = true;
		return true;
	}
	if (e->op == OP_LIT && e->lit.kind == CV_UID) {
		sc->uid = e->lit.uid;
		return true;
	}
	if (var == VAR_ACTION && op == OP_IN &&
	    ((e->op == OP_LIT && e->lit.kind == CV_SET) || e->op == OP_SET)) {
		const struct cset *s = e->op == OP_LIT ? e->lit.set : NULL;
		uint32_t n = s != NULL ? s->n : e->n;

		sc->uids = arena_alloc(p->a, (n + 1) * sizeof(*sc->uids));
		if (sc->uids == NULL) {
			oom(p);
			return false;
		}
		for (uint32_t i = 0; i < n; i++) {
			const struct cval *v =
			    s != NULL
			        ? &s->v[i]
			        : (e->list[i]->op == OP_LIT ? &e->list[i]->lit
			                                    : NULL);

			if (v == NULL || v->kind != CV_UID) {
				fail_node(
				    p, e,
				    "expected an entity uid or set of entity "
				    "uids in the action scope");
				return false;
			}
			sc->uids[i] = v->uid;
		}
		sc->n = n;
		sc->kind = SC_IN_SET;
		return true;
	}
	if (e->op == OP_SET || (e->op == OP_LIT && e->lit.kind == CV_SET))
		fail_node(p, e,
		          "expected single entity uid%s, found set of "
		          "entity uids",
		          var == VAR_ACTION ? "" : " or template slot");
	else
		fail_node(p, e, "expected an entity uid%s",
		          var == VAR_ACTION ? " or set of entity uids"
		                            : " or template slot");
	return false;
}

static bool check_action_uid(struct parser *p, const struct cexpr *at,
                             const struct cuid *u)
{
	char b[160];

	if (cedar_type_is_action(u->type))
		return true;
	cuid_format(u, b, sizeof(b));
	fail_node(p, at,
	          "expected an entity uid with type `Action` but got `%s` "
	          "(action entities have type `Action`, optionally in a "
	          "namespace)",
	          b);
	return false;
}

/* VariableDef := IDENT [':' Name] ['is' Add] [RelOp Expr] */
static bool parse_scope_var(struct parser *p, int var, struct cscope *sc)
{
	static const char *const names[] = {"principal", "action", "resource"};
	const struct token *t = peek(p);
	struct token vt;
	struct cexpr *e;
	int op;

	memset(sc, 0, sizeof(*sc));
	if (t->t != T_IDENT) {
		if (t->t == T_RPAREN || t->t == T_COMMA)
			fail_tok(p, t,
			         "this policy is missing the `%s` variable in "
			         "the scope (it has principal, action and "
			         "resource, in that order)",
			         names[var]);
		else
			unexpected(p, t, "identifier");
		return false;
	}
	vt = next(p);
	if (!tok_is(&vt, names[var])) {
		fail_tok(p, &vt,
		         "found `%.*s` where the variable `%s` must be used "
		         "(the scope has principal, action and resource, in "
		         "that order)",
		         (int)vt.n, vt.s, names[var]);
		return false;
	}
	if (peek(p)->t == T_COLON) {
		fail_tok(p, peek(p),
		         "type constraints using `:` are not supported; try "
		         "`is`");
		return false;
	}
	sc->kind = SC_ANY;
	if (tok_is(peek(p), "is")) {
		struct token is = next(p);

		if (var == VAR_ACTION) {
			fail_tok(p, &is,
			         "`is` cannot appear in the action scope");
			return false;
		}
		sc->type = type_name_of(p, parse_add(p));
		if (sc->type == NULL)
			return false;
		sc->kind = SC_IS;
	}
	t = peek(p);
	op = relop(t);
	if (op == -1)
		return true;
	vt = next(p);
	if (op != OP_EQ && op != OP_IN) {
		fail_tok(p, &vt,
		         "invalid operator in the policy scope: %.*s (scope "
		         "clauses use `==`, `in`, `is` or `_ is _ in _`)",
		         (int)vt.n, vt.s);
		return false;
	}
	if (sc->kind == SC_IS && op == OP_EQ) {
		fail_tok(p, &vt,
		         "`is` cannot be used together with `==`; try "
		         "`_ is _ in _`");
		return false;
	}
	e = parse_expr(p);
	if (e == NULL)
		return false;
	if (!scope_rhs(p, sc, e, var, op))
		return false;
	if (sc->kind == SC_IN_SET) {
		for (uint32_t i = 0; i < sc->n; i++)
			if (!check_action_uid(p, e, sc->uids[i]))
				return false;
		return true;
	}
	if (var == VAR_ACTION && !check_action_uid(p, e, sc->uid))
		return false;
	if (sc->kind == SC_IS)
		sc->kind = SC_IS_IN;
	else
		sc->kind = op == OP_EQ ? SC_EQ : SC_IN;
	return true;
}

/* Doubles an arena array when it is full; false when out of memory. */
static bool grow_array(struct parser *p, void **v, size_t n, size_t *cap,
                       size_t size)
{
	size_t ncap = *cap == 0 ? 8 : *cap * 2;
	void *nv;

	if (n < *cap)
		return true;
	nv = arena_alloc(p->a, ncap * size);
	if (nv == NULL) {
		oom(p);
		return false;
	}
	if (n > 0)
		memcpy(nv, *v, n * size);
	*v = nv;
	*cap = ncap;
	return true;
}

/* annotations are checked for duplicates pairwise: keep them few */
#define MAX_ANNOTATIONS 1024

static struct ctemplate *parse_policy(struct parser *p, size_t index)
{
	struct ctemplate *tp = arena_alloc(p->a, sizeof(*tp));
	struct cannot *annots = NULL;
	struct ccond *conds = NULL;
	size_t na = 0, nc = 0, cap_a = 0, cap_c = 0;
	const struct token *t;
	struct token tk;
	char idbuf[32];

	if (tp == NULL)
		return oom(p);
	memset(tp, 0, sizeof(*tp));
	while (peek(p)->t == T_AT) {
		struct cannot an;

		next(p);
		t = peek(p);
		if (t->t != T_IDENT)
			return unexpected(p, t, "identifier");
		tk = next(p);
		an.key = intern_str(&p->in, tk.s, tk.n);
		if (an.key == NULL)
			return oom(p);
		an.value = intern_str(&p->in, "", 0);
		if (peek(p)->t == T_LPAREN) {
			struct token st;

			next(p);
			if (peek(p)->t != T_STRING)
				return unexpected(p, peek(p), "string literal");
			st = next(p);
			an.value = string_of(p, &st);
			if (an.value == NULL || !expect(p, T_RPAREN, "`)`"))
				return NULL;
		}
		if (an.value == NULL)
			return oom(p);
		for (size_t i = 0; i < na; i++)
			if (cstr_eq(annots[i].key, an.key))
				return fail_tok(p, &tk,
				                "duplicate annotation: @%s",
				                an.key->s);
		if (na == MAX_ANNOTATIONS)
			return fail_tok(p, &tk,
			                "too many annotations (limit %d)",
			                MAX_ANNOTATIONS);
		if (!grow_array(p, (void **)&annots, na, &cap_a,
		                sizeof(*annots)))
			return NULL;
		annots[na++] = an;
	}
	t = peek(p);
	if (t->t != T_IDENT)
		return unexpected(p, t, "`permit` or `forbid`");
	tk = next(p);
	if (tok_is(&tk, "forbid"))
		tp->forbid = true;
	else if (!tok_is(&tk, "permit"))
		return fail_tok(p, &tk,
		                "invalid policy effect: %.*s (effect must be "
		                "either `permit` or `forbid`)",
		                (int)tk.n, tk.s);
	if (!expect(p, T_LPAREN, "`(`"))
		return NULL;
	if (!parse_scope_var(p, VAR_PRINCIPAL, &tp->principal))
		return NULL;
	for (int v = VAR_ACTION; v <= VAR_RESOURCE; v++) {
		if (peek(p)->t != T_COMMA) {
			if (peek(p)->t == T_RPAREN)
				return fail_tok(
				    p, peek(p),
				    "this policy is missing the `%s` "
				    "variable in the scope",
				    v == VAR_ACTION ? "action" : "resource");
			return unexpected(p, peek(p), "`,` or `)`");
		}
		next(p);
		if (!parse_scope_var(
		        p, v, v == VAR_ACTION ? &tp->action : &tp->resource))
			return NULL;
	}
	if (peek(p)->t == T_COMMA)
		next(p);
	t = peek(p);
	if (t->t == T_IDENT)
		return fail_tok(
		    p, t,
		    "this policy has an extra element in the scope: "
		    "%.*s",
		    (int)t->n, t->s);
	if (!expect(p, T_RPAREN, "`)`"))
		return NULL;
	tp->pslot = tp->principal.slot;
	tp->rslot = tp->resource.slot;
	while (peek(p)->t == T_IDENT) {
		struct ccond c;

		tk = next(p);
		if (tok_is(&tk, "when"))
			c.when = true;
		else if (tok_is(&tk, "unless"))
			c.when = false;
		else
			return fail_tok(p, &tk,
			                "invalid policy condition: %.*s "
			                "(condition must be either `when` or "
			                "`unless`)",
			                (int)tk.n, tk.s);
		if (!expect(p, T_LBRACE, "`{`"))
			return NULL;
		if (peek(p)->t == T_RBRACE)
			return fail_tok(
			    p, &tk, "`%.*s` condition clause cannot be empty",
			    (int)tk.n, tk.s);
		c.e = as_expr(p, parse_expr(p));
		if (c.e == NULL || !expect(p, T_RBRACE, "`}`"))
			return NULL;
		if (!grow_array(p, (void **)&conds, nc, &cap_c, sizeof(*conds)))
			return NULL;
		conds[nc++] = c;
	}
	if (!expect(p, T_SEMI, "`;`"))
		return NULL;
	snprintf(idbuf, sizeof(idbuf), "policy%zu", index);
	{
		const struct cstr *id =
		    intern_str(&p->in, idbuf, strlen(idbuf));

		if (id == NULL)
			return oom(p);
		tp->id = id->s;
	}
	tp->n_conds = (uint32_t)nc;
	tp->conds = conds;
	tp->n_annots = (uint32_t)na;
	tp->annots = annots;
	return tp;
}

int cedar_parse_policies(struct arena *a, const char *file, const char *text,
                         size_t len, size_t first_id, struct ctemplate ***out,
                         struct cedar_diag *d)
{
	struct parser p;
	struct ctemplate **v = NULL;
	size_t n = 0, cap = 0;
	int ret = -1;

	memset(&p, 0, sizeof(p));
	p.file = file != NULL ? file : "<policy>";
	p.src = text;
	p.len = len;
	p.line = p.col = 1;
	p.a = a;
	p.d = d;
	d->msg[0] = '\0';
	interner_init(&p.in, a);
	if (len > CEDAR_MAX_POLICY_TEXT) {
		fail_at(&p, 1, 1, "policy text too large (%zu bytes, limit %u)",
		        len, CEDAR_MAX_POLICY_TEXT);
		goto out;
	}
	while (peek(&p)->t != T_EOF) {
		struct ctemplate *t;

		if (n == CEDAR_MAX_POLICIES) {
			fail_tok(&p, peek(&p), "too many policies (limit %d)",
			         CEDAR_MAX_POLICIES);
			goto out;
		}
		t = parse_policy(&p, first_id + n);
		if (t == NULL)
			goto out;
		if (n == cap) {
			struct ctemplate **nv;

			cap = cap == 0 ? 16 : cap * 2;
			nv = arena_alloc(a, cap * sizeof(*nv));
			if (nv == NULL) {
				oom(&p);
				goto out;
			}
			if (n > 0)
				memcpy(nv, v, n * sizeof(*nv));
			v = nv;
		}
		v[n++] = t;
	}
	if (p.failed)
		goto out;
	*out = v;
	ret = (int)n;
out:
	if (ret < 0 && !p.failed)
		fail_at(&p, p.line, p.col, "parse error");
	interner_free(&p.in);
	return ret;
}

/* An entity uid written as in a policy (`Ns::Type::"id"`, with Cedar's
 * string escapes), alone in text: what `autonomy policy authorize`
 * accepts on its command line, parsed by the same lexer and rules as
 * policies (reserved names, `__cedar`). */
json_t *cedar_parse_uid(const char *file, const char *text, size_t len,
                        struct cedar_diag *d)
{
	struct arena a;
	struct parser p;
	struct cexpr *e;
	json_t *uid = NULL;

	arena_init(&a, CEDAR_MAX_EVAL_BYTES);
	memset(&p, 0, sizeof(p));
	p.file = file != NULL ? file : "<uid>";
	p.src = text;
	p.len = len;
	p.line = p.col = 1;
	p.a = &a;
	p.d = d;
	d->msg[0] = '\0';
	interner_init(&p.in, &a);
	if (len > CEDAR_MAX_POLICY_TEXT) {
		fail_at(&p, 1, 1, "too long (%zu bytes)", len);
	} else if (peek(&p)->t != T_IDENT) {
		unexpected(&p, peek(&p), "an entity uid like Type::\"id\"");
	} else if ((e = parse_name_or_ref(&p)) != NULL) {
		if (e->op != OP_LIT || e->lit.kind != CV_UID)
			fail_at(&p, e->line, e->col,
			        "expected an entity uid like Type::\"id\" or "
			        "Ns::Type::\"id\"");
		else if (peek(&p)->t != T_EOF)
			unexpected(&p, peek(&p), "the end after the uid");
		else if ((uid = json_pack("{s:s%, s:s%}", "type",
		                          e->lit.uid->type->s,
		                          (size_t)e->lit.uid->type->len, "id",
		                          e->lit.uid->id->s,
		                          (size_t)e->lit.uid->id->len)) == NULL)
			oom(&p);
	}
	interner_free(&p.in);
	arena_free(&a);
	return uid;
}
