#include "walrec.h"

#include <stdlib.h>
#include <string.h>

#include "sha256.h"

_Static_assert(WAL_HASH_LEN == SHA256_LEN, "the chain hash is a SHA-256");

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
	struct out o; /* the canonical bytes, buffer kept between records */
};

struct walrec_hasher *walrec_hasher_new(void)
{
	return calloc(1, sizeof(struct walrec_hasher));
}

void walrec_hasher_free(struct walrec_hasher *h)
{
	if (h == NULL)
		return;
	free(h->o.p);
	free(h);
}

int walrec_hasher_hash(struct walrec_hasher *h,
                       const uint8_t prev[WAL_HASH_LEN], const WalRecord *rec,
                       uint8_t out[WAL_HASH_LEN])
{
	h->o.len = 0;
	canonical(&h->o, rec);
	if (h->o.bad) {
		free(h->o.p);
		memset(&h->o, 0, sizeof(h->o));
		return -1;
	}
	sha256_of_concat(prev, WAL_HASH_LEN, h->o.p, h->o.len, out);
	return 0;
}

int walrec_hash(const uint8_t prev[WAL_HASH_LEN], const WalRecord *rec,
                uint8_t out[WAL_HASH_LEN])
{
	uint8_t *buf;
	size_t len;

	if (walrec_canonical(rec, &buf, &len) < 0)
		return -1;
	sha256_of_concat(prev, WAL_HASH_LEN, buf, len, out);
	free(buf);
	return 0;
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
