/* A validated bundle as bytes and back (bundle.h, "handing a bundle to
 * another process"). The parser takes the bytes as untrusted: one fixed
 * record order, every length bounded before it is used, then the full
 * validator. */
#include "bundle.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define MAGIC_LEN 8
#define REC_HDR 5

struct wbuf {
	unsigned char *p;
	size_t len, cap;
	int failed;
};

static void put(struct wbuf *w, char tag, const void *data, size_t n)
{
	if (w->failed)
		return;
	if (n > UINT32_MAX || w->len + REC_HDR + n > w->cap) {
		w->failed = 1;
		return;
	}
	w->p[w->len++] = (unsigned char)tag;
	for (int s = 24; s >= 0; s -= 8)
		w->p[w->len++] = (unsigned char)(n >> s);
	if (n > 0)
		memcpy(w->p + w->len, data, n);
	w->len += n;
}

void *bundle_serialize(const struct bundle *b, size_t *len)
{
	struct wbuf w = {0};

	w.cap = MAGIC_LEN + REC_HDR * 3 + strlen(b->digest) + b->manifest.len;
	if (b->entities.data != NULL)
		w.cap += REC_HDR + b->entities.len;
	for (size_t i = 0; i < b->n_policies; i++)
		w.cap += 2 * REC_HDR + strlen(b->policies[i].name) +
		         b->policies[i].len;
	if (w.cap > BUNDLE_WIRE_MAX || (w.p = malloc(w.cap)) == NULL)
		return NULL;
	memcpy(w.p, BUNDLE_WIRE_MAGIC, MAGIC_LEN);
	w.len = MAGIC_LEN;
	put(&w, 'D', b->digest, strlen(b->digest));
	put(&w, 'M', b->manifest.data, b->manifest.len);
	for (size_t i = 0; i < b->n_policies; i++) {
		put(&w, 'N', b->policies[i].name, strlen(b->policies[i].name));
		put(&w, 'P', b->policies[i].data, b->policies[i].len);
	}
	if (b->entities.data != NULL)
		put(&w, 'E', b->entities.data, b->entities.len);
	put(&w, 'Z', NULL, 0);
	if (w.failed || w.len != w.cap) {
		free(w.p);
		return NULL;
	}
	*len = w.len;
	return w.p;
}

struct rbuf {
	const unsigned char *p;
	size_t len, off;
};

/* The next record: its tag, and data/n pointing into the buffer. */
static int next_rec(struct rbuf *r, char *tag, const char **data, size_t *n,
                    char *err, size_t errlen)
{
	uint32_t l = 0;

	if (r->len - r->off < REC_HDR)
		return errorf(err, errlen, "bundle: truncated at byte %zu",
		              r->off);
	*tag = (char)r->p[r->off];
	for (int i = 1; i <= 4; i++)
		l = l << 8 | r->p[r->off + (size_t)i];
	r->off += REC_HDR;
	if (l > r->len - r->off)
		return errorf(err, errlen,
		              "bundle: record '%c' at byte %zu runs past the "
		              "end",
		              *tag, r->off - REC_HDR);
	*data = (const char *)r->p + r->off;
	*n = l;
	r->off += l;
	return 0;
}

static int dup_member(struct bundle_member *m, const char *name,
                      const char *data, size_t n)
{
	m->name = strdup(name);
	m->data = malloc(n + 1);
	if (m->name == NULL || m->data == NULL)
		return -1;
	if (n > 0)
		memcpy(m->data, data, n);
	m->data[n] = '\0';
	m->len = n;
	return 0;
}

static int digest_ok(const char *s, size_t n)
{
	if (n != BUNDLE_DIGEST_LEN || memcmp(s, "sha256:", 7) != 0)
		return 0;
	for (size_t i = 7; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

struct bundle *bundle_parse(const void *buf, size_t len, char *err,
                            size_t errlen)
{
	struct rbuf r = {buf, len, MAGIC_LEN};
	struct bundle_member man = {0}, ent = {0}, *pol = NULL;
	struct bundle *b = NULL;
	char digest[BUNDLE_DIGEST_LEN + 1], name[BUNDLE_MAX_FILE_NAME + 16];
	size_t npol = 0, n;
	const char *data;
	char tag;
	int have_ent = 0;

	if (len > BUNDLE_WIRE_MAX)
		return errorf(err, errlen, "bundle: %zu bytes, more than %zu",
		              len, (size_t)BUNDLE_WIRE_MAX),
		       NULL;
	if (len < MAGIC_LEN || memcmp(buf, BUNDLE_WIRE_MAGIC, MAGIC_LEN) != 0)
		return errorf(err, errlen,
		              "bundle: not a serialized bundle "
		              "(bad magic)"),
		       NULL;
	if (next_rec(&r, &tag, &data, &n, err, errlen) < 0)
		return NULL;
	if (tag != 'D' || !digest_ok(data, n))
		return errorf(err, errlen,
		              "bundle: expected the digest "
		              "record first"),
		       NULL;
	memcpy(digest, data, n);
	digest[n] = '\0';
	if (next_rec(&r, &tag, &data, &n, err, errlen) < 0)
		return NULL;
	if (tag != 'M' || n > BUNDLE_MAX_MANIFEST)
		return errorf(err, errlen,
		              "bundle: expected the manifest "
		              "record second"),
		       NULL;
	if (dup_member(&man, "manifest.json", data, n) < 0)
		goto oom;
	if ((pol = calloc(BUNDLE_MAX_POLICY_FILES, sizeof(*pol))) == NULL)
		goto oom;
	for (;;) {
		if (next_rec(&r, &tag, &data, &n, err, errlen) < 0)
			goto out;
		if (tag != 'N')
			break;
		if (npol == BUNDLE_MAX_POLICY_FILES || n >= sizeof(name) ||
		    memchr(data, '\0', n) != NULL) {
			errorf(err, errlen,
			       "bundle: policy name record %zu refused", npol);
			goto out;
		}
		memcpy(name, data, n);
		name[n] = '\0';
		if (npol > 0 && strcmp(pol[npol - 1].name, name) >= 0) {
			errorf(err, errlen,
			       "bundle: policy names out of order at %s", name);
			goto out;
		}
		if (next_rec(&r, &tag, &data, &n, err, errlen) < 0)
			goto out;
		if (tag != 'P' || n > BUNDLE_MAX_POLICY_FILE) {
			errorf(err, errlen, "bundle: expected the text of %s",
			       name);
			goto out;
		}
		if (dup_member(&pol[npol++], name, data, n) < 0)
			goto oom;
	}
	if (tag == 'E') {
		if (n > BUNDLE_MAX_ENTITIES) {
			errorf(err, errlen, "bundle: entities too large");
			goto out;
		}
		if (dup_member(&ent, "entities.json", data, n) < 0)
			goto oom;
		have_ent = 1;
		if (next_rec(&r, &tag, &data, &n, err, errlen) < 0)
			goto out;
	}
	if (tag != 'Z' || n != 0 || r.off != len) {
		errorf(err, errlen,
		       "bundle: expected the end record as the last bytes");
		goto out;
	}
	b = bundle_from_members(&man, pol, npol, have_ent ? &ent : NULL, digest,
	                        "bundle: ", err, errlen);
	goto out;
oom:
	errorf(err, errlen, "out of memory");
out:
	free(man.name);
	free(man.data);
	free(ent.name);
	free(ent.data);
	for (size_t i = 0; pol != NULL && i < npol; i++) {
		free(pol[i].name);
		free(pol[i].data);
	}
	free(pol);
	return b;
}
