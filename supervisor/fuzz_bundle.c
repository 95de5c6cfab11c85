/* libFuzzer target for the bundle readers: the manifest validator, the
 * tar reader (libarchive) and the wire format. The first byte picks the
 * reader; the rest is its input. Whatever loads must survive the round
 * trips the supervisor relies on: its canonical tar loads back with the
 * same digest, and its serialization parses back to the same bundle. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"

static void same_bundle(const struct bundle *a, const struct bundle *b)
{
	if (strcmp(a->digest, b->digest) != 0 ||
	    strcmp(a->policy_ref, b->policy_ref) != 0 ||
	    a->n_policies != b->n_policies ||
	    a->n_allowed_domains != b->n_allowed_domains ||
	    a->n_dlopen_paths != b->n_dlopen_paths ||
	    a->n_cedar_policies != b->n_cedar_policies)
		abort();
}

static void round_trips(const struct bundle *b)
{
	char err[BUNDLE_ERR_MAX];
	struct bundle *c;
	size_t len;
	void *buf = bundle_canonical_tar(b, &len, err, sizeof(err));

	if (buf == NULL)
		abort();
	if ((c = bundle_load_tar_mem(buf, len, "canonical", err,
	                             sizeof(err))) == NULL)
		abort();
	same_bundle(b, c);
	bundle_free(c);
	free(buf);
	if ((buf = bundle_serialize(b, &len)) == NULL)
		abort();
	if ((c = bundle_parse(buf, len, err, sizeof(err))) == NULL)
		abort();
	same_bundle(b, c);
	bundle_free(c);
	free(buf);
}

/* The digest the tar layer gives a bundle from members. */
static void stamp_digest(struct bundle *b)
{
	char err[BUNDLE_ERR_MAX];
	size_t len;
	void *tar;

	if (b == NULL)
		return;
	if ((tar = bundle_canonical_tar(b, &len, err, sizeof(err))) == NULL)
		abort();
	bundle_sha256(tar, len, b->digest);
	free(tar);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char policy[] = "permit(principal, action, resource);";
	struct bundle_member man = {"manifest.json", NULL, 0};
	struct bundle_member pol = {"policies/a.cedar", (char *)policy,
	                            sizeof(policy) - 1};
	char err[BUNDLE_ERR_MAX];
	struct bundle *b = NULL;

	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		if ((man.data = malloc(size)) == NULL)
			return 0;
		memcpy(man.data, data + 1, size - 1);
		man.data[size - 1] = '\0';
		man.len = size - 1;
		b = bundle_from_members(&man, &pol, 1, NULL, NULL, "", err,
		                        sizeof(err));
		free(man.data);
		stamp_digest(b);
		break;
	case 1:
		b = bundle_load_tar_mem(data + 1, size - 1, "fuzz.tar", err,
		                        sizeof(err));
		break;
	case 2:
		b = bundle_parse(data + 1, size - 1, err, sizeof(err));
		stamp_digest(b); /* the wire carries a digest, unchecked */
		break;
	}
	if (b != NULL) {
		round_trips(b);
		bundle_free(b);
	}
	return 0;
}
