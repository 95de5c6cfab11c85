/* The bundle validator: member files in, a struct bundle out, or one
 * message naming the file and the field at fault. Every source (a
 * directory, a tar, the cache, the wire format) ends here, so the rules
 * live in one place. No libarchive and no file access: policyd can link
 * this to validate what the supervisor hands it.
 *
 * Manifest rules (docs/bundles.md): the known top-level fields only, plus
 * any "x-..." field (ignored); unknown keys inside "runtime" are accepted
 * with a warning (a newer runtime setting); unknown keys inside
 * "dlopen_allowlist" are refused (a security setting must not be half
 * understood). */
#include "bundle.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cedar.h"
#include "settings.h"
#include "log.h"

#ifndef AUTONOMY_VERSION
#define AUTONOMY_VERSION "0.0.0"
#endif

#define MAX_DESCRIPTION 1024

/* ---- field rules ---------------------------------------------------- */

static int is_lower_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

int bundle_check_name(const char *s, char *err, size_t errlen)
{
	size_t n = strlen(s);

	if (n == 0 || n > BUNDLE_NAME_MAX)
		return errorf(err, errlen, "must be 1 to %d characters",
		              BUNDLE_NAME_MAX);
	if (!is_lower_alnum((unsigned char)s[0]) ||
	    !is_lower_alnum((unsigned char)s[n - 1]))
		return errorf(err, errlen,
		              "\"%s\" must start and end with a lowercase "
		              "letter or digit",
		              s);
	for (size_t i = 0; i < n; i++)
		if (!is_lower_alnum((unsigned char)s[i]) && s[i] != '.' &&
		    s[i] != '_' && s[i] != '-')
			return errorf(err, errlen,
			              "\"%s\": only a-z, 0-9, '.', '_' and '-' "
			              "are allowed",
			              s);
	return 0;
}

/* A semver numeric part: 0 or [1-9][0-9]{0,8}. Advances *p. */
static int semver_num(const char **p, unsigned long *out)
{
	const char *s = *p;
	size_t k = 0;

	while (s[k] >= '0' && s[k] <= '9')
		k++;
	if (k == 0 || k > 9 || (k > 1 && s[0] == '0'))
		return -1;
	*out = strtoul(s, NULL, 10);
	*p = s + k;
	return 0;
}

/* MAJOR.MINOR.PATCH[-PRERELEASE]: 0 and v[3] filled, *pre set when there
 * is a prerelease; -1 if s is not one. */
static int semver_parse(const char *s, unsigned long v[3], int *pre)
{
	const char *p = s;

	for (int i = 0; i < 3; i++) {
		if (semver_num(&p, &v[i]) < 0)
			return -1;
		if (i < 2 && *p++ != '.')
			return -1;
	}
	*pre = 0;
	if (*p == '\0')
		return 0;
	if (*p++ != '-')
		return -1;
	*pre = 1;
	/* dot-separated identifiers of [0-9A-Za-z-], numeric ones without
	 * leading zeros */
	for (;;) {
		size_t k = 0;
		int numeric = 1;

		while (isalnum((unsigned char)p[k]) || p[k] == '-') {
			if (!isdigit((unsigned char)p[k]))
				numeric = 0;
			k++;
		}
		if (k == 0 || (numeric && k > 1 && p[0] == '0'))
			return -1;
		p += k;
		if (*p == '\0')
			return 0;
		if (*p++ != '.')
			return -1;
	}
}

int bundle_check_version(const char *s, char *err, size_t errlen)
{
	unsigned long v[3];
	int pre;

	if (strlen(s) == 0 || strlen(s) > BUNDLE_VERSION_MAX)
		return errorf(err, errlen, "must be 1 to %d characters",
		              BUNDLE_VERSION_MAX);
	if (strchr(s, '+') != NULL)
		return errorf(err, errlen,
		              "\"%s\": build metadata (+...) is not allowed "
		              "(a version is also an OCI tag)",
		              s);
	if (semver_parse(s, v, &pre) < 0)
		return errorf(err, errlen,
		              "\"%s\" is not a semantic version "
		              "MAJOR.MINOR.PATCH[-PRERELEASE] (e.g. 1.2.0)",
		              s);
	return 0;
}

/* [a-z][a-z0-9-]{0,31} */
static int check_channel(const char *s, char *err, size_t errlen)
{
	size_t n = strlen(s);

	if (n == 0 || n > BUNDLE_CHANNEL_MAX || s[0] < 'a' || s[0] > 'z')
		return errorf(err, errlen,
		              "\"%s\": must be 1 to %d characters of a-z, 0-9 "
		              "and '-', starting with a letter (e.g. stable)",
		              s, BUNDLE_CHANNEL_MAX);
	for (size_t i = 0; i < n; i++)
		if (!is_lower_alnum((unsigned char)s[i]) && s[i] != '-')
			return errorf(
			    err, errlen,
			    "\"%s\": only a-z, 0-9 and '-' are allowed", s);
	return 0;
}

/* One DNS label: 1-63 of [a-z0-9-], not starting or ending with '-'. */
static int check_label(const char *s, size_t n, const char *all, char *err,
                       size_t errlen)
{
	if (n == 0 || n > 63)
		return errorf(err, errlen,
		              "\"%s\": a label must be 1 to 63 characters",
		              all);
	if (s[0] == '-' || s[n - 1] == '-')
		return errorf(err, errlen,
		              "\"%s\": a label may not start or end with '-'",
		              all);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 'A' && c <= 'Z')
			return errorf(err, errlen, "\"%s\": must be lowercase",
			              all);
		if (c == '*')
			return errorf(
			    err, errlen,
			    "\"%s\": a wildcard is only allowed as the "
			    "whole first label (*.example.com)",
			    all);
		if (!is_lower_alnum(c) && c != '-')
			return errorf(err, errlen,
			              "\"%s\": a host name holds a-z, 0-9, '-' "
			              "and '.' only",
			              all);
	}
	return 0;
}

int bundle_check_domain(const char *s, char *err, size_t errlen)
{
	char host[256];
	const char *colon = strrchr(s, ':'), *h, *dot;
	size_t hlen = colon ? (size_t)(colon - s) : strlen(s);
	int labels = 0;

	if (hlen == 0)
		return errorf(err, errlen, "\"%s\": empty host", s);
	if (hlen > 253 + 2)
		return errorf(err, errlen, "\"%s\": host longer than 253", s);
	if (colon != NULL) {
		const char *p = colon + 1;
		size_t k = strspn(p, "0123456789");

		if (k == 0 || k > 5 || p[k] != '\0' || p[0] == '0' ||
		    strtoul(p, NULL, 10) > 65535)
			return errorf(err, errlen,
			              "\"%s\": the port must be 1 to 65535", s);
	}
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	h = host;
	if (strncmp(h, "*.", 2) == 0)
		h += 2;
	if (strlen(h) > 253)
		return errorf(err, errlen, "\"%s\": host longer than 253", s);
	for (;;) {
		dot = strchr(h, '.');
		if (check_label(h, dot ? (size_t)(dot - h) : strlen(h), s, err,
		                errlen) < 0)
			return -1;
		labels++;
		if (dot == NULL)
			break;
		h = dot + 1;
	}
	if (host[0] == '*' && labels < 2)
		return errorf(err, errlen,
		              "\"%s\": a wildcard needs at least two labels "
		              "after it (*.example.com, not *.com)",
		              s);
	return 0;
}

/* The basename ends in ".so" or ".so.<digits>[.<digits>...]". */
static int so_suffix(const char *base)
{
	const char *p = strstr(base, ".so");

	while (p != NULL) {
		const char *q = p + 3;

		if (p > base) {
			while (*q == '.' && isdigit((unsigned char)q[1])) {
				q++;
				while (isdigit((unsigned char)*q))
					q++;
			}
			if (*q == '\0')
				return 1;
		}
		p = strstr(p + 1, ".so");
	}
	return 0;
}

int bundle_check_dlopen_path(const char *s, char *err, size_t errlen)
{
	size_t n = strlen(s);
	const char *base = strrchr(s, '/');

	if (n == 0 || s[0] != '/')
		return errorf(err, errlen, "\"%s\": must be an absolute path",
		              s);
	if (n > BUNDLE_MAX_PATH)
		return errorf(err, errlen, "longer than %d bytes",
		              BUNDLE_MAX_PATH);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return errorf(err, errlen,
			              "a control character at byte %zu", i);
		if (strchr("*?[]{}", c) != NULL)
			return errorf(err, errlen,
			              "\"%s\": no globs ('%c'): name each "
			              "library exactly",
			              s, c);
	}
	if (strstr(s, "//") != NULL || strstr(s, "/./") != NULL ||
	    strstr(s, "/../") != NULL)
		return errorf(err, errlen,
		              "\"%s\": must be normalized (no //, /./ or /../)",
		              s);
	if (!so_suffix(base + 1))
		return errorf(err, errlen,
		              "\"%s\": must name a shared library ending in "
		              ".so or .so.<digits>",
		              s);
	return 0;
}

int bundle_check_policy_name(const char *s, char *err, size_t errlen)
{
	const char *f;
	size_t n;

	if (strncmp(s, "policies/", 9) != 0)
		return errorf(err, errlen, "%s: not under policies/", s);
	f = s + 9;
	n = strlen(f);
	if (n <= 6 || strcmp(f + n - 6, ".cedar") != 0)
		return errorf(err, errlen,
		              "%s: a policy file is named <name>.cedar", s);
	if (n > BUNDLE_MAX_FILE_NAME)
		return errorf(err, errlen,
		              "%s: file name longer than %d characters", s,
		              BUNDLE_MAX_FILE_NAME);
	if (f[0] == '.')
		return errorf(err, errlen, "%s: hidden file", s);
	if (strspn(f, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	              "0123456789._-") != n)
		return errorf(err, errlen,
		              "%s: a policy file name holds A-Z, a-z, 0-9, "
		              "'.', '_' and '-' only",
		              s);
	return 0;
}

/* ---- the bundle ----------------------------------------------------- */

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void member_clear(struct bundle_member *m)
{
	free(m->name);
	free(m->data);
	memset(m, 0, sizeof(*m));
}

void bundle_free(struct bundle *b)
{
	if (b == NULL)
		return;
	member_clear(&b->manifest);
	for (size_t i = 0; i < b->n_policies; i++)
		member_clear(&b->policies[i]);
	free(b->policies);
	member_clear(&b->entities);
	free_strv(b->allowed_domains, b->n_allowed_domains);
	free_strv(b->dlopen_paths, b->n_dlopen_paths);
	free_strv(b->warnings, b->n_warnings);
	free(b->runtime_json);
	free(b);
}

static int member_copy(struct bundle_member *dst,
                       const struct bundle_member *src)
{
	dst->name = strdup(src->name);
	dst->data = malloc(src->len + 1);
	if (dst->name == NULL || dst->data == NULL)
		return -1;
	if (src->len > 0)
		memcpy(dst->data, src->data, src->len);
	dst->data[src->len] = '\0';
	dst->len = src->len;
	return 0;
}

static int strv_add(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (nv == NULL)
		return -1;
	*v = nv;
	if ((nv[*n] = strdup(s)) == NULL)
		return -1;
	(*n)++;
	return 0;
}

/* Errors of this file: "<where><file>: <field>: <message>". */
struct vctx {
	const char *where;
	char *err;
	size_t errlen;
	struct bundle *b;
};

static int verr(struct vctx *v, const char *file, const char *field,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int verr(struct vctx *v, const char *file, const char *field,
                const char *fmt, ...)
{
	char msg[BUNDLE_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return errorf(v->err, v->errlen, "%s%s: %s%s%s", v->where, file,
	              field ? field : "", field ? ": " : "", msg);
}

static int nomem(struct vctx *v)
{
	return errorf(v->err, v->errlen, "out of memory");
}

/* A required or optional string field into out (outlen with NUL). */
static int get_string(struct vctx *v, json_t *m, const char *field,
                      int required, char *out, size_t outlen)
{
	json_t *j = json_object_get(m, field);

	if (j == NULL) {
		if (required)
			return verr(v, "manifest.json", field,
			            "missing (required)");
		out[0] = '\0';
		return 0;
	}
	if (!json_is_string(j))
		return verr(v, "manifest.json", field, "must be a string");
	if (json_string_length(j) >= outlen)
		return verr(v, "manifest.json", field,
		            "longer than %zu characters", outlen - 1);
	memcpy(out, json_string_value(j), json_string_length(j) + 1);
	return 0;
}

/* A required string field that must pass rule. */
static int get_field(struct vctx *v, json_t *m, const char *field,
                     int (*rule)(const char *, char *, size_t), char *out,
                     size_t outlen)
{
	char msg[BUNDLE_ERR_MAX / 2];

	if (get_string(v, m, field, 1, out, outlen) < 0)
		return -1;
	if (strlen(out) != json_string_length(json_object_get(m, field)))
		return verr(v, "manifest.json", field,
		            "contains a NUL character");
	if (rule(out, msg, sizeof(msg)) < 0)
		return verr(v, "manifest.json", field, "%s", msg);
	return 0;
}

static int check_schema_version(struct vctx *v, json_t *m)
{
	json_t *j = json_object_get(m, "schema_version");
	const char *s;

	if (j == NULL)
		return verr(v, "manifest.json", "schema_version",
		            "missing (required)");
	if (!json_is_string(j))
		return verr(v, "manifest.json", "schema_version",
		            "must be a string such as \"1.0\"");
	s = json_string_value(j);
	if (strlen(s) != 3 || s[0] != '0' + BUNDLE_SCHEMA_MAJOR ||
	    s[1] != '.' || s[2] < '0' || s[2] > '0' + BUNDLE_SCHEMA_MINOR_MAX)
		return verr(v, "manifest.json", "schema_version",
		            "\"%.16s\" is not supported (%d.0 to %d.%d)", s,
		            BUNDLE_SCHEMA_MAJOR, BUNDLE_SCHEMA_MAJOR,
		            BUNDLE_SCHEMA_MINOR_MAX);
	snprintf(v->b->schema_version, sizeof(v->b->schema_version), "%s", s);
	return 0;
}

/* min_adk_version <= our version (numeric parts; a prerelease of the
 * same numbers is older). */
static int check_min_version(struct vctx *v)
{
	unsigned long need[3], have[3];
	int need_pre, have_pre;
	char e[256];

	if (bundle_check_version(v->b->min_adk_version, e, sizeof(e)) < 0)
		return verr(v, "manifest.json", "min_adk_version", "%s", e);
	semver_parse(v->b->min_adk_version, need, &need_pre);
	if (semver_parse(AUTONOMY_VERSION, have, &have_pre) < 0)
		return 0; /* a development build: no comparison */
	for (int i = 0; i < 3; i++) {
		if (need[i] < have[i])
			return 0;
		if (need[i] > have[i])
			return verr(v, "manifest.json", "min_adk_version",
			            "the bundle needs %s or later; this is "
			            "autonomy %s",
			            v->b->min_adk_version, AUTONOMY_VERSION);
	}
	return 0;
}

/* An array of unique strings, each passing rule, into *out. */
static int string_list(struct vctx *v, json_t *arr, const char *field,
                       size_t max, int (*rule)(const char *, char *, size_t),
                       char ***out, size_t *n)
{
	size_t i;
	json_t *e;
	char fld[96], msg[BUNDLE_ERR_MAX / 2];

	if (!json_is_array(arr))
		return verr(v, "manifest.json", field,
		            "must be an array of strings");
	if (json_array_size(arr) > max)
		return verr(v, "manifest.json", field, "more than %zu entries",
		            max);
	json_array_foreach(arr, i, e)
	{
		const char *s = json_string_value(e);

		snprintf(fld, sizeof(fld), "%s[%zu]", field, i);
		if (!json_is_string(e))
			return verr(v, "manifest.json", fld,
			            "must be a string");
		if (strlen(s) != json_string_length(e))
			return verr(v, "manifest.json", fld,
			            "contains a NUL character");
		if (rule(s, msg, sizeof(msg)) < 0)
			return verr(v, "manifest.json", fld, "%s", msg);
		for (size_t j = 0; j < *n; j++)
			if (strcmp((*out)[j], s) == 0)
				return verr(v, "manifest.json", fld,
				            "\"%s\" is listed twice", s);
		if (strv_add(out, n, s) < 0)
			return nomem(v);
	}
	return 0;
}

static int check_dlopen(struct vctx *v, json_t *d)
{
	const char *k;
	json_t *e;

	if (!json_is_object(d))
		return verr(v, "manifest.json", "dlopen_allowlist",
		            "must be an object {\"paths\": [...]}");
	json_object_foreach(d, k, e)
	{
		if (strcmp(k, "paths") != 0)
			return verr(v, "manifest.json", "dlopen_allowlist",
			            "unknown field \"%.64s\" (only \"paths\")",
			            k);
	}
	e = json_object_get(d, "paths");
	if (e == NULL)
		return verr(v, "manifest.json", "dlopen_allowlist.paths",
		            "missing (required in dlopen_allowlist)");
	v->b->has_dlopen_allowlist = 1;
	return string_list(v, e, "dlopen_allowlist.paths", BUNDLE_MAX_DLOPEN,
	                   bundle_check_dlopen_path, &v->b->dlopen_paths,
	                   &v->b->n_dlopen_paths);
}

static int check_runtime(struct vctx *v, json_t *rt)
{
	const char *k;
	json_t *e;
	char w[BUNDLE_ERR_MAX];

	if (rt == NULL) {
		v->b->runtime_json = strdup("{}");
		return v->b->runtime_json ? 0 : nomem(v);
	}
	if (!json_is_object(rt))
		return verr(v, "manifest.json", "runtime", "must be an object");
	json_object_foreach(rt, k, e)
	{
		if (strcmp(k, "allowed_domains") == 0) {
			if (string_list(v, e, "runtime.allowed_domains",
			                BUNDLE_MAX_DOMAINS, bundle_check_domain,
			                &v->b->allowed_domains,
			                &v->b->n_allowed_domains) < 0)
				return -1;
			continue;
		}
		if (strcmp(k, "mavlink") == 0) {
			/* mavproxy's settings (mavproxy/settings.h): the
			 * geofence, the interval between commands */
			struct mav_settings ms;
			if (mav_settings_parse(e, &ms, w, sizeof(w)) < 0)
				return verr(v, "manifest.json", NULL, "%s", w);
			continue;
		}
		snprintf(w, sizeof(w),
		         "%smanifest.json: runtime.%.64s: unknown runtime "
		         "setting, ignored by autonomy %s",
		         v->where, k, AUTONOMY_VERSION);
		if (strv_add(&v->b->warnings, &v->b->n_warnings, w) < 0)
			return nomem(v);
	}
	v->b->runtime_json = json_dumps(rt, JSON_COMPACT | JSON_SORT_KEYS);
	return v->b->runtime_json ? 0 : nomem(v);
}

static const char *const known_fields[] = {
    "kind",        "schema_version",   "name",
    "version",     "channel",          "min_adk_version",
    "description", "dlopen_allowlist", "runtime",
    NULL,
};

static int check_manifest(struct vctx *v, const struct bundle_member *mf)
{
	struct bundle *b = v->b;
	json_error_t je;
	json_t *m, *j;
	const char *k;
	char e[BUNDLE_ERR_MAX / 2], desc[MAX_DESCRIPTION + 1];
	size_t nl, vl;
	int rc = -1;

	if (mf->len > BUNDLE_MAX_MANIFEST)
		return verr(v, "manifest.json", NULL, "larger than %u bytes",
		            BUNDLE_MAX_MANIFEST);
	if (memchr(mf->data, '\0', mf->len) != NULL)
		return verr(v, "manifest.json", NULL, "contains a NUL byte");
	m = json_loadb(mf->data, mf->len, JSON_REJECT_DUPLICATES, &je);
	if (m == NULL)
		return errorf(v->err, v->errlen, "%smanifest.json:%d:%d: %s",
		              v->where, je.line, je.column, je.text);
	if (!json_is_object(m)) {
		verr(v, "manifest.json", NULL, "must be a JSON object");
		goto out;
	}
	json_object_foreach(m, k, j)
	{
		int known = strncmp(k, "x-", 2) == 0;

		for (int i = 0; !known && known_fields[i] != NULL; i++)
			known = strcmp(k, known_fields[i]) == 0;
		if (!known) {
			verr(v, "manifest.json", k,
			     "unknown field (known: kind, schema_version, "
			     "name, version, channel, min_adk_version, "
			     "description, dlopen_allowlist, runtime; "
			     "runtime settings go under \"runtime\"; your "
			     "own fields need an \"x-\" prefix)");
			goto out;
		}
	}
	if (get_string(v, m, "kind", 1, e, sizeof(e)) < 0)
		goto out;
	if (strcmp(e, "bundle") != 0) {
		verr(v, "manifest.json", "kind", "\"%.64s\" is not \"bundle\"",
		     e);
		goto out;
	}
	if (check_schema_version(v, m) < 0 ||
	    get_field(v, m, "name", bundle_check_name, b->name,
	              sizeof(b->name)) < 0 ||
	    get_field(v, m, "version", bundle_check_version, b->version,
	              sizeof(b->version)) < 0 ||
	    get_field(v, m, "channel", check_channel, b->channel,
	              sizeof(b->channel)) < 0 ||
	    get_string(v, m, "min_adk_version", 1, b->min_adk_version,
	               sizeof(b->min_adk_version)) < 0 ||
	    check_min_version(v) < 0 ||
	    get_string(v, m, "description", 0, desc, sizeof(desc)) < 0)
		goto out;
	if ((j = json_object_get(m, "dlopen_allowlist")) != NULL &&
	    check_dlopen(v, j) < 0)
		goto out;
	if (check_runtime(v, json_object_get(m, "runtime")) < 0)
		goto out;
	nl = strlen(b->name);
	vl = strlen(b->version);
	if (nl + 1 + vl >= sizeof(b->policy_ref)) {
		verr(v, "manifest.json", "version",
		     "name@version is longer than %zu characters",
		     sizeof(b->policy_ref) - 1);
		goto out;
	}
	memcpy(b->policy_ref, b->name, nl);
	b->policy_ref[nl] = '@';
	memcpy(b->policy_ref + nl + 1, b->version, vl + 1);
	rc = 0;
out:
	json_decref(m);
	return rc;
}

static int cmp_member(const void *a, const void *b)
{
	return strcmp(((const struct bundle_member *)a)->name,
	              ((const struct bundle_member *)b)->name);
}

/* Names, bounds, and every file parsed on its own (static policies only:
 * a template in a bundle could never be linked, so it would silently
 * never apply). */
static int check_policies(struct vctx *v, const struct bundle_member *p,
                          size_t n, size_t *total)
{
	struct bundle *b = v->b;
	struct cedar_policy_set *ps;
	struct cedar_diag d;
	char e[BUNDLE_ERR_MAX / 2], file[BUNDLE_ERR_MAX / 2];

	if (n == 0)
		return verr(v, "policies/", NULL,
		            "no .cedar files (a bundle needs at least one "
		            "policy file)");
	if (n > BUNDLE_MAX_POLICY_FILES)
		return verr(v, "policies/", NULL, "more than %d .cedar files",
		            BUNDLE_MAX_POLICY_FILES);
	if ((b->policies = calloc(n, sizeof(*b->policies))) == NULL)
		return nomem(v);
	for (size_t i = 0; i < n; i++) {
		if (bundle_check_policy_name(p[i].name, e, sizeof(e)) < 0)
			return errorf(v->err, v->errlen, "%s%s", v->where, e);
		if (p[i].len > BUNDLE_MAX_POLICY_FILE)
			return verr(v, p[i].name, NULL, "larger than %u bytes",
			            BUNDLE_MAX_POLICY_FILE);
		if (memchr(p[i].data, '\0', p[i].len) != NULL)
			return verr(v, p[i].name, NULL, "contains a NUL byte");
		*total += p[i].len;
		if (member_copy(&b->policies[i], &p[i]) < 0)
			return nomem(v);
		b->n_policies++;
	}
	qsort(b->policies, n, sizeof(*b->policies), cmp_member);
	for (size_t i = 1; i < n; i++)
		if (strcmp(b->policies[i].name, b->policies[i - 1].name) == 0)
			return verr(v, b->policies[i].name, NULL,
			            "appears twice");
	if ((ps = cedar_policy_set_new()) == NULL)
		return nomem(v);
	for (size_t i = 0; i < n; i++) {
		snprintf(file, sizeof(file), "%s%s", v->where,
		         b->policies[i].name);
		if (cedar_policy_set_parse(ps, file, b->policies[i].data,
		                           b->policies[i].len,
		                           CEDAR_PARSE_STATIC_ONLY, &d) < 0) {
			cedar_policy_set_free(ps);
			return errorf(v->err, v->errlen, "%s", d.msg);
		}
	}
	cedar_policy_set_free(ps);
	return 0;
}

struct bundle *bundle_from_members(const struct bundle_member *manifest,
                                   const struct bundle_member *policies,
                                   size_t n_policies,
                                   const struct bundle_member *entities,
                                   const char *digest, const char *where,
                                   char *err, size_t errlen)
{
	struct vctx v = {where ? where : "", err, errlen, NULL};
	struct policy_set *set;
	size_t total;
	char e[BUNDLE_ERR_MAX];

	if (manifest == NULL)
		return errorf(err, errlen, "%smanifest.json: missing", v.where),
		       NULL;
	if ((v.b = calloc(1, sizeof(*v.b))) == NULL)
		return nomem(&v), NULL;
	total = manifest->len;
	if (check_manifest(&v, manifest) < 0 ||
	    check_policies(&v, policies, n_policies, &total) < 0)
		goto fail;
	if (member_copy(&v.b->manifest, manifest) < 0)
		goto oom;
	if (entities != NULL) {
		if (entities->len > BUNDLE_MAX_ENTITIES) {
			verr(&v, "entities.json", NULL, "larger than %u bytes",
			     BUNDLE_MAX_ENTITIES);
			goto fail;
		}
		total += entities->len;
		if (member_copy(&v.b->entities, entities) < 0)
			goto oom;
	}
	if (total > BUNDLE_MAX_TOTAL) {
		errorf(err, errlen, "%sbundle larger than %u bytes in all",
		       v.where, BUNDLE_MAX_TOTAL);
		goto fail;
	}
	/* The entities and the whole set, exactly as policyd loads them. */
	if ((set = bundle_policy_set(v.b, e, sizeof(e))) == NULL) {
		errorf(err, errlen, "%s%s", v.where, e);
		goto fail;
	}
	v.b->n_cedar_policies = policy_set_count(set);
	policy_set_free(set);
	if (digest != NULL)
		snprintf(v.b->digest, sizeof(v.b->digest), "%s", digest);
	return v.b;
oom:
	nomem(&v);
fail:
	bundle_free(v.b);
	return NULL;
}

struct policy_set *bundle_policy_set(const struct bundle *b, char *err,
                                     size_t errlen)
{
	struct policy_source *src = calloc(b->n_policies, sizeof(*src));
	struct policy_set *set;

	if (src == NULL)
		return errorf(err, errlen, "out of memory"), NULL;
	for (size_t i = 0; i < b->n_policies; i++) {
		src[i].file = b->policies[i].name;
		src[i].text = b->policies[i].data;
		src[i].len = b->policies[i].len;
	}
	set = policy_set_load(b->policy_ref, src, b->n_policies,
	                      b->entities.data, b->entities.len, err, errlen);
	free(src);
	return set;
}
