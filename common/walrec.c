#include "walrec.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

struct out {
	uint8_t *p;
	size_t len, cap;
	int bad;
};

static void put(struct out *o, const void *src, size_t n)
{
	if (o->bad)
		return;
	if (o->len + n > o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 256;
		uint8_t *p;
		while (cap < o->len + n)
			cap *= 2;
		if ((p = realloc(o->p, cap)) == NULL) {
			o->bad = 1;
			return;
		}
		o->p = p;
		o->cap = cap;
	}
	memcpy(o->p + o->len, src, n);
	o->len += n;
}

static void put_u64(struct out *o, uint64_t v)
{
	uint8_t b[8];
	for (int i = 7; i >= 0; i--) {
		b[i] = v & 0xff;
		v >>= 8;
	}
	put(o, b, 8);
}

static void put_u32(struct out *o, uint32_t v)
{
	uint8_t b[4] = {v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff};
	put(o, b, 4);
}

static void put_str(struct out *o, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	put_u32(o, (uint32_t)n);
	put(o, s, n);
}

static void canonical(struct out *o, const WalRecord *rec)
{
	put_u64(o, rec->seq);
	put_u64(o, (uint64_t)rec->time_ns);
	put_str(o, rec->audit_id);
	put_str(o, rec->kind);
	put_str(o, rec->origin);
	put_str(o, rec->tool);
	put_u32(o, (uint32_t)rec->n_attrs);
	for (size_t i = 0; i < rec->n_attrs; i++) {
		put_str(o, rec->attrs[i]->key);
		put_str(o, rec->attrs[i]->value);
	}
}

int walrec_canonical(const WalRecord *rec, uint8_t **buf, size_t *len)
{
	struct out o = {0};

	canonical(&o, rec);
	if (o.bad) {
		free(o.p);
		return -1;
	}
	*buf = o.p;
	*len = o.len;
	return 0;
}

struct walrec_hasher {
	EVP_MD *md; /* fetched once: EVP_sha256() would look it up per use */
	EVP_MD_CTX *ctx;
	struct out o; /* the canonical bytes, buffer kept between records */
};

struct walrec_hasher *walrec_hasher_new(void)
{
	struct walrec_hasher *h = calloc(1, sizeof(*h));

	if (h == NULL || (h->md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL ||
	    (h->ctx = EVP_MD_CTX_new()) == NULL) {
		walrec_hasher_free(h);
		return NULL;
	}
	return h;
}

void walrec_hasher_free(struct walrec_hasher *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->ctx);
	EVP_MD_free(h->md);
	free(h->o.p);
	free(h);
}

int walrec_hasher_hash(struct walrec_hasher *h,
                       const uint8_t prev[WAL_HASH_LEN], const WalRecord *rec,
                       uint8_t out[WAL_HASH_LEN])
{
	unsigned int outlen = 0;

	h->o.len = 0;
	canonical(&h->o, rec);
	if (h->o.bad) {
		free(h->o.p);
		memset(&h->o, 0, sizeof(h->o));
		return -1;
	}
	return EVP_DigestInit_ex2(h->ctx, h->md, NULL) == 1 &&
	               EVP_DigestUpdate(h->ctx, prev, WAL_HASH_LEN) == 1 &&
	               EVP_DigestUpdate(h->ctx, h->o.p, h->o.len) == 1 &&
	               EVP_DigestFinal_ex(h->ctx, out, &outlen) == 1 &&
	               outlen == WAL_HASH_LEN
	           ? 0
	           : -1;
}

int walrec_hash(const uint8_t prev[WAL_HASH_LEN], const WalRecord *rec,
                uint8_t out[WAL_HASH_LEN])
{
	uint8_t *buf;
	size_t len;
	unsigned int outlen = 0;
	EVP_MD_CTX *md;
	int ok;

	if (walrec_canonical(rec, &buf, &len) < 0)
		return -1;
	if ((md = EVP_MD_CTX_new()) == NULL) {
		free(buf);
		return -1;
	}
	ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	     EVP_DigestUpdate(md, prev, WAL_HASH_LEN) == 1 &&
	     EVP_DigestUpdate(md, buf, len) == 1 &&
	     EVP_DigestFinal_ex(md, out, &outlen) == 1 &&
	     outlen == WAL_HASH_LEN;
	EVP_MD_CTX_free(md);
	free(buf);
	return ok ? 0 : -1;
}

void walrec_key(uint64_t seq, uint8_t key[8])
{
	for (int i = 7; i >= 0; i--) {
		key[i] = seq & 0xff;
		seq >>= 8;
	}
}

uint64_t walrec_key_seq(const uint8_t key[8])
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | key[i];
	return v;
}

void walrec_hex(const uint8_t *bin, size_t len, char *out)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hx[bin[i] >> 4];
		out[2 * i + 1] = hx[bin[i] & 0xf];
	}
	out[2 * len] = '\0';
}
