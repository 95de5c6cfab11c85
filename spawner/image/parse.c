/* The OCI JSON documents an image layout holds: the index (index.json or
 * a nested image index), the manifest and the config (image.h). Each is
 * bounded, parsed with jansson (duplicate keys refused) and checked field
 * by field; a message names the document and the field at fault. Docker's
 * media types are accepted beside OCI's, as skopeo and docker save write
 * them into layouts. */
#include "image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "layer.h"
#include "log.h"

#define REF_ANNOTATION "org.opencontainers.image.ref.name"

static const char *const index_types[] = {
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
};
static const char *const manifest_types[] = {
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
};
static const char *const config_types[] = {
    "application/vnd.oci.image.config.v1+json",
    "application/vnd.docker.container.image.v1+json",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static int one_of(const char *s, const char *const *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, set[i]) == 0)
			return 1;
	return 0;
}

int image_is_index_type(const char *mt)
{
	return one_of(mt, index_types, N(index_types));
}

int image_is_manifest_type(const char *mt)
{
	return one_of(mt, manifest_types, N(manifest_types));
}

int image_digest_valid(const char *d)
{
	if (d == NULL || strncmp(d, "sha256:", 7) != 0 || strlen(d) != 71)
		return 0;
	for (int i = 7; i < 71; i++)
		if (!((d[i] >= '0' && d[i] <= '9') ||
		      (d[i] >= 'a' && d[i] <= 'f')))
			return 0;
	return 1;
}

static json_t *load(const void *buf, size_t len, const char *where, char *err,
                    size_t errlen)
{
	json_error_t je;
	json_t *root;

	if (len > IMAGE_MAX_JSON)
		return errorf(err, errlen, "%s: %zu bytes, more than %u", where,
		              len, IMAGE_MAX_JSON),
		       NULL;
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL)
		return errorf(err, errlen, "%s: not valid JSON: line %d: %s",
		              where, je.line, je.text),
		       NULL;
	if (!json_is_object(root)) {
		json_decref(root);
		return errorf(err, errlen, "%s: not a JSON object", where),
		       NULL;
	}
	return root;
}

/* A string member copied into out (bounded, no NUL inside), or "" when
 * absent and optional. */
static int get_str(json_t *obj, const char *key, int required, char *out,
                   size_t outlen, const char *where, const char *ctx, char *err,
                   size_t errlen)
{
	json_t *v = json_object_get(obj, key);
	size_t n;

	out[0] = '\0';
	if (v == NULL) {
		if (required)
			return errorf(err, errlen, "%s: %s%s: missing", where,
			              ctx, key);
		return 0;
	}
	if (!json_is_string(v))
		return errorf(err, errlen, "%s: %s%s: not a string", where, ctx,
		              key);
	n = json_string_length(v);
	if (n >= outlen || strlen(json_string_value(v)) != n)
		return errorf(err, errlen,
		              "%s: %s%s: longer than %zu bytes or holds NUL",
		              where, ctx, key, outlen - 1);
	memcpy(out, json_string_value(v), n + 1);
	return 0;
}

static int check_schema(json_t *root, const char *where, char *err,
                        size_t errlen)
{
	json_t *v = json_object_get(root, "schemaVersion");

	if (!json_is_integer(v) || json_integer_value(v) != 2)
		return errorf(err, errlen, "%s: schemaVersion: must be 2",
		              where);
	return 0;
}

/* One descriptor; ctx ("manifests[3].") prefixes field names. */
static int parse_desc(json_t *d, struct image_desc *out, const char *where,
                      const char *ctx, char *err, size_t errlen)
{
	json_t *size, *ann, *plat;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(d))
		return errorf(err, errlen, "%s: %s: not an object", where, ctx);
	if (get_str(d, "mediaType", 1, out->media_type, sizeof(out->media_type),
	            where, ctx, err, errlen) < 0 ||
	    get_str(d, "digest", 1, out->digest, sizeof(out->digest), where,
	            ctx, err, errlen) < 0)
		return -1;
	if (!image_digest_valid(out->digest))
		return errorf(
		    err, errlen,
		    "%s: %sdigest: \"%s\" is not sha256:<64 lowercase "
		    "hex> (only sha256 is supported)",
		    where, ctx, out->digest);
	size = json_object_get(d, "size");
	if (!json_is_integer(size) || json_integer_value(size) < 0)
		return errorf(
		    err, errlen,
		    "%s: %ssize: missing or not a non-negative integer", where,
		    ctx);
	out->size = (uint64_t)json_integer_value(size);
	ann = json_object_get(d, "annotations");
	if (ann != NULL && !json_is_object(ann))
		return errorf(err, errlen, "%s: %sannotations: not an object",
		              where, ctx);
	if (ann != NULL &&
	    get_str(ann, REF_ANNOTATION, 0, out->ref_name,
	            sizeof(out->ref_name), where, ctx, err, errlen) < 0)
		return -1;
	plat = json_object_get(d, "platform");
	if (plat != NULL && !json_is_object(plat))
		return errorf(err, errlen, "%s: %splatform: not an object",
		              where, ctx);
	if (plat != NULL &&
	    (get_str(plat, "os", 1, out->os, sizeof(out->os), where, ctx, err,
	             errlen) < 0 ||
	     get_str(plat, "architecture", 1, out->arch, sizeof(out->arch),
	             where, ctx, err, errlen) < 0 ||
	     get_str(plat, "variant", 0, out->variant, sizeof(out->variant),
	             where, ctx, err, errlen) < 0))
		return -1;
	return 0;
}

/* Appends s to a listing in buf, keeping it terminated. */
static void list_add(char *buf, size_t len, const char *s)
{
	size_t used = strlen(buf);

	if (used + 1 >= len)
		return;
	snprintf(buf + used, len - used, "%s%s", used ? ", " : "", s);
}

int image_parse_index(const void *buf, size_t len, const char *where,
                      const char *tag, int platform, struct image_desc *out,
                      char *err, size_t errlen)
{
	json_t *root, *mf;
	struct image_desc d;
	char listing[512] = "", item[320], ctx[48];
	size_t n = 0, found = 0, found_plain = 0;
	int rc = -1;

	if ((root = load(buf, len, where, err, errlen)) == NULL)
		return -1;
	if (check_schema(root, where, err, errlen) < 0)
		goto out;
	mf = json_object_get(root, "manifests");
	if (!json_is_array(mf))
		rc = errorf(err, errlen,
		            "%s: manifests: missing or not an array", where);
	else if ((n = json_array_size(mf)) > IMAGE_MAX_DESCRIPTORS)
		rc = errorf(err, errlen, "%s: manifests: more than %d", where,
		            IMAGE_MAX_DESCRIPTORS);
	else if (n == 0)
		rc = errorf(err, errlen, "%s: manifests: empty (no image)",
		            where);
	if (!json_is_array(mf) || n == 0 || n > IMAGE_MAX_DESCRIPTORS)
		goto out;
	for (size_t i = 0; i < n; i++) {
		int match;

		snprintf(ctx, sizeof(ctx), "manifests[%zu].", i);
		if (parse_desc(json_array_get(mf, i), &d, where, ctx, err,
		               errlen) < 0)
			goto out;
		if (!image_is_manifest_type(d.media_type) &&
		    !image_is_index_type(d.media_type)) {
			/* e.g. an artifact beside the images: not ours */
			continue;
		}
		if (platform) {
			snprintf(item, sizeof(item), "%s/%s%s%s",
			         d.os[0] ? d.os : "?", d.arch[0] ? d.arch : "?",
			         d.variant[0] ? "/" : "", d.variant);
			match = strcmp(d.os, "linux") == 0 &&
			        strcmp(d.arch, "amd64") == 0;
		} else {
			if (d.ref_name[0])
				snprintf(item, sizeof(item), "%s", d.ref_name);
			else
				snprintf(item, sizeof(item), "(untagged %.19s)",
				         d.digest);
			match = tag == NULL || strcmp(d.ref_name, tag) == 0;
		}
		list_add(listing, sizeof(listing), item);
		if (!match)
			continue;
		/* Among several linux/amd64 entries, the one without a
		 * variant is the baseline and wins. */
		if (found == 0 ||
		    (platform && d.variant[0] == '\0' && found_plain == 0))
			*out = d;
		found++;
		if (platform && d.variant[0] == '\0')
			found_plain++;
	}
	if (found == 1 || (platform && found_plain == 1))
		rc = 0;
	else if (platform)
		rc = errorf(err, errlen,
		            found ? "%s: several linux/amd64 images (%s)"
		                  : "%s: no image for linux/amd64 (it has: %s)",
		            where, listing[0] ? listing : "nothing");
	else if (found == 0 && tag != NULL)
		rc =
		    errorf(err, errlen, "%s: no image tagged \"%s\" (tags: %s)",
		           where, tag, listing[0] ? listing : "none");
	else if (found == 0)
		rc = errorf(err, errlen, "%s: no image manifest in it", where);
	else
		rc = errorf(err, errlen,
		            "%s: %zu images%s; choose one with DIR:TAG "
		            "(tags: %s)",
		            where, found, tag ? " with that tag" : "", listing);
out:
	json_decref(root);
	return rc;
}

int image_parse_manifest(const void *buf, size_t len, const char *where,
                         struct image_desc *config, struct image_desc **layers,
                         size_t *n_layers, char *err, size_t errlen)
{
	json_t *root, *cfg, *ls, *mt;
	struct image_desc *out = NULL;
	char ctx[48];
	size_t n = 0;
	int rc = -1;

	*layers = NULL;
	*n_layers = 0;
	if ((root = load(buf, len, where, err, errlen)) == NULL)
		return -1;
	if (check_schema(root, where, err, errlen) < 0)
		goto out;
	mt = json_object_get(root, "mediaType");
	if (mt != NULL && (!json_is_string(mt) ||
	                   !image_is_manifest_type(json_string_value(mt)))) {
		rc = errorf(err, errlen,
		            "%s: mediaType: not an image manifest's", where);
		goto out;
	}
	cfg = json_object_get(root, "config");
	if (cfg == NULL) {
		rc = errorf(err, errlen, "%s: config: missing", where);
		goto out;
	}
	if (parse_desc(cfg, config, where, "config.", err, errlen) < 0)
		goto out;
	if (!one_of(config->media_type, config_types, N(config_types))) {
		rc = errorf(err, errlen,
		            "%s: config.mediaType: %s is not a container image "
		            "config",
		            where, config->media_type);
		goto out;
	}
	ls = json_object_get(root, "layers");
	if (!json_is_array(ls)) {
		rc = errorf(err, errlen, "%s: layers: missing or not an array",
		            where);
		goto out;
	}
	n = json_array_size(ls);
	if (n == 0 || n > IMAGE_MAX_LAYERS) {
		rc = errorf(err, errlen, "%s: layers: %zu (1 to %d expected)",
		            where, n, IMAGE_MAX_LAYERS);
		goto out;
	}
	if ((out = calloc(n, sizeof(*out))) == NULL) {
		rc = errorf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(ctx, sizeof(ctx), "layers[%zu].", i);
		if (parse_desc(json_array_get(ls, i), &out[i], where, ctx, err,
		               errlen) < 0)
			goto out;
		if (layer_compression(out[i].media_type) < 0) {
			rc =
			    errorf(err, errlen,
			           "%s: %smediaType: %s is not a layer type we "
			           "unpack (tar, tar+gzip, tar+zstd)",
			           where, ctx, out[i].media_type);
			goto out;
		}
	}
	*layers = out;
	*n_layers = n;
	out = NULL;
	rc = 0;
out:
	free(out);
	json_decref(root);
	return rc;
}

void image_config_free(struct image_config *cfg)
{
	char **arrays[] = {cfg->env, cfg->entrypoint, cfg->cmd};
	size_t counts[] = {cfg->n_env, cfg->n_entrypoint, cfg->n_cmd};

	for (size_t a = 0; a < N(arrays); a++) {
		for (size_t i = 0; i < counts[a]; i++)
			free(arrays[a][i]);
		free(arrays[a]);
	}
	free(cfg->working_dir);
	free(cfg->user);
	memset(cfg, 0, sizeof(*cfg));
}

/* A string for the config: bounded, no NUL inside. */
static char *dup_str(json_t *v, const char *where, const char *what, char *err,
                     size_t errlen)
{
	size_t n;
	char *s;

	if (!json_is_string(v))
		return errorf(err, errlen, "%s: %s: not a string", where, what),
		       NULL;
	n = json_string_length(v);
	if (n > IMAGE_MAX_STRING || strlen(json_string_value(v)) != n)
		return errorf(err, errlen,
		              "%s: %s: longer than %d bytes or holds NUL",
		              where, what, IMAGE_MAX_STRING),
		       NULL;
	if ((s = strdup(json_string_value(v))) == NULL)
		errorf(err, errlen, "out of memory");
	return s;
}

/* Env, Entrypoint or Cmd: absent or null is empty. *budget bounds the
 * items of all three together. */
static int str_array(json_t *cfg, const char *key, char ***out, size_t *n,
                     size_t *budget, const char *where, char *err,
                     size_t errlen)
{
	json_t *a = json_object_get(cfg, key);
	char what[64];
	size_t len;

	if (a == NULL || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return errorf(err, errlen, "%s: config.%s: not an array", where,
		              key);
	len = json_array_size(a);
	if (len > *budget)
		return errorf(err, errlen,
		              "%s: config.%s: more than %d strings in Env, "
		              "Entrypoint and Cmd",
		              where, key, IMAGE_MAX_STRINGS);
	*budget -= len;
	if (len == 0)
		return 0;
	if ((*out = calloc(len, sizeof(**out))) == NULL)
		return errorf(err, errlen, "out of memory");
	for (size_t i = 0; i < len; i++) {
		snprintf(what, sizeof(what), "config.%s[%zu]", key, i);
		if (((*out)[i] = dup_str(json_array_get(a, i), where, what, err,
		                         errlen)) == NULL)
			return -1;
		(*n)++;
		if (strcmp(key, "Env") == 0 &&
		    (strchr((*out)[i], '=') == NULL || (*out)[i][0] == '='))
			return errorf(err, errlen, "%s: %s: not NAME=value",
			              where, what);
	}
	return 0;
}

int image_parse_config(const void *buf, size_t len, const char *where,
                       struct image_config *cfg, char *err, size_t errlen)
{
	json_t *root, *c, *v;
	size_t budget = IMAGE_MAX_STRINGS;
	int rc = -1;

	memset(cfg, 0, sizeof(*cfg));
	if ((root = load(buf, len, where, err, errlen)) == NULL)
		return -1;
	if (get_str(root, "os", 0, cfg->os, sizeof(cfg->os), where, "", err,
	            errlen) < 0 ||
	    get_str(root, "architecture", 0, cfg->arch, sizeof(cfg->arch),
	            where, "", err, errlen) < 0)
		goto out;
	c = json_object_get(root, "config");
	if (c != NULL && !json_is_null(c) && !json_is_object(c)) {
		rc = errorf(err, errlen, "%s: config: not an object", where);
		goto out;
	}
	if (c != NULL && json_is_object(c)) {
		if (str_array(c, "Env", &cfg->env, &cfg->n_env, &budget, where,
		              err, errlen) < 0 ||
		    str_array(c, "Entrypoint", &cfg->entrypoint,
		              &cfg->n_entrypoint, &budget, where, err,
		              errlen) < 0 ||
		    str_array(c, "Cmd", &cfg->cmd, &cfg->n_cmd, &budget, where,
		              err, errlen) < 0)
			goto out;
		if ((v = json_object_get(c, "WorkingDir")) != NULL &&
		    (cfg->working_dir = dup_str(v, where, "config.WorkingDir",
		                                err, errlen)) == NULL)
			goto out;
		if ((v = json_object_get(c, "User")) != NULL &&
		    (cfg->user =
		         dup_str(v, where, "config.User", err, errlen)) == NULL)
			goto out;
	}
	if ((cfg->working_dir == NULL &&
	     (cfg->working_dir = strdup("")) == NULL) ||
	    (cfg->user == NULL && (cfg->user = strdup("")) == NULL)) {
		rc = errorf(err, errlen, "out of memory");
		goto out;
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}
