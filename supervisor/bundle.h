/* Policy bundles (DESIGN.md §4, docs/bundles.md): a directory or a .tar
 * holding manifest.json, policies/NAME.cedar and optionally entities.json,
 * or a reference into the local cache (bundle_cache.h).
 *
 * Every way of getting a bundle ends in one validator,
 * bundle_from_members(): the manifest's fields, the member names, every
 * .cedar file parsed and the entities loaded, all bounded. A struct
 * bundle exists only once all of that passed, so holding one means the
 * bundle is valid.
 *
 * Errors are one line naming the file and the field at fault:
 *   DIR/manifest.json: schema_version: "2.0" is not supported (1.0-1.5)
 *   FILE.tar: policies/a.cedar:3:7: unexpected token `)`
 *   FILE.tar: ../x: path leaves the bundle (refused)
 *
 * Files: bundle_validate.c (the validator; no libarchive), bundle_wire.c
 * (serialize / parse, for handing a bundle to policyd), bundle.c (the
 * directory and tar readers, the canonical tar, the embedded bundles). */
#ifndef AUTONOMY_BUNDLE_H
#define AUTONOMY_BUNDLE_H

#include <stddef.h>

#include "policy.h"

/* Bounds. A bundle past any of them is refused, naming the bound. */
#define BUNDLE_MAX_POLICY_FILES 256
#define BUNDLE_MAX_MANIFEST (64u << 10)   /* manifest.json */
#define BUNDLE_MAX_POLICY_FILE (1u << 20) /* one .cedar file */
#define BUNDLE_MAX_ENTITIES (4u << 20)    /* entities.json */
#define BUNDLE_MAX_TOTAL (16u << 20)      /* all members together */
#define BUNDLE_MAX_TAR (BUNDLE_MAX_TOTAL + (2u << 20)) /* a .tar file */
#define BUNDLE_MAX_TAR_ENTRIES 512                     /* headers in a .tar */
#define BUNDLE_MAX_DOMAINS 256  /* runtime.allowed_domains */
#define BUNDLE_MAX_DLOPEN 256   /* dlopen_allowlist.paths */
#define BUNDLE_MAX_PATH 4095    /* one dlopen path */
#define BUNDLE_MAX_FILE_NAME 64 /* a .cedar file's name */

#define BUNDLE_NAME_MAX 64    /* [a-z0-9][a-z0-9._-]* */
#define BUNDLE_VERSION_MAX 64 /* semver MAJOR.MINOR.PATCH[-PRE] */
#define BUNDLE_CHANNEL_MAX 32 /* [a-z][a-z0-9-]* */
#define BUNDLE_DIGEST_LEN 71  /* "sha256:" + 64 lowercase hex */
#define BUNDLE_ERR_MAX 1024   /* room for any message of this module */

/* The supported manifest schema versions: "1.0" ... "1.5". */
#define BUNDLE_SCHEMA_MAJOR 1
#define BUNDLE_SCHEMA_MINOR_MAX 5

/* One member file. name is the path inside the bundle
 * ("manifest.json", "policies/a.cedar", "entities.json"); data is
 * NUL-terminated (len excludes the NUL). */
struct bundle_member {
	char *name;
	char *data;
	size_t len;
};

struct bundle {
	char name[BUNDLE_NAME_MAX + 1];
	char version[BUNDLE_VERSION_MAX + 1];
	char channel[BUNDLE_CHANNEL_MAX + 1];
	char schema_version[8];
	char min_adk_version[BUNDLE_VERSION_MAX + 1];
	char policy_ref[POLICY_MAX_REF];    /* "name@version" */
	char digest[BUNDLE_DIGEST_LEN + 1]; /* of the canonical tar */
	struct bundle_member manifest;      /* manifest.json as read */
	struct bundle_member *policies;     /* policies/NAME.cedar, by name */
	size_t n_policies;
	struct bundle_member entities; /* data NULL: none */
	char **allowed_domains;        /* runtime.allowed_domains */
	size_t n_allowed_domains;
	char **dlopen_paths; /* dlopen_allowlist.paths */
	size_t n_dlopen_paths;
	/* The manifest has a dlopen_allowlist (an empty one allows no
	 * dlopen at all). */
	int has_dlopen_allowlist;
	char *runtime_json; /* the runtime section, compact with sorted
	                       keys ("{}" without one), for the helpers */
	char **warnings;    /* accepted but worth saying (unknown runtime
	                       settings); bundle pack and policy check print
	                       them */
	size_t n_warnings;
	size_t n_cedar_policies; /* policies in the set, all files */
};

/* ---- the validator (bundle_validate.c) ------------------------------ */

/* Builds a bundle from its member files: manifest (required), the
 * policies (names "policies/X.cedar", any order), entities (NULL for
 * none). Validates everything; the members are copied. digest is
 * "sha256:<hex>" of the canonical tar, or NULL to leave it empty (the
 * tar layer fills it). where prefixes member names in messages: "DIR/"
 * for a directory, "FILE.tar: " for a tar, "" otherwise. NULL on error,
 * err says which file and field. */
struct bundle *bundle_from_members(const struct bundle_member *manifest,
                                   const struct bundle_member *policies,
                                   size_t n_policies,
                                   const struct bundle_member *entities,
                                   const char *digest, const char *where,
                                   char *err, size_t errlen);
void bundle_free(struct bundle *b);

/* The bundle's Cedar policies and entities as policyd decides with them
 * (policy_set_load; ids policy0.. across the files in name order). NULL
 * on error (cannot happen for a validated bundle but for memory). */
struct policy_set *bundle_policy_set(const struct bundle *b, char *err,
                                     size_t errlen);

/* Field rules, shared with the CLI and the tests. Each returns 0, or -1
 * with a message saying what is wrong (without the field name). */
int bundle_check_name(const char *s, char *err, size_t errlen);
int bundle_check_version(const char *s, char *err, size_t errlen);
int bundle_check_domain(const char *s, char *err, size_t errlen);
int bundle_check_dlopen_path(const char *s, char *err, size_t errlen);
/* "policies/X.cedar" with X of [A-Za-z0-9._-], not starting with '.'. */
int bundle_check_policy_name(const char *s, char *err, size_t errlen);

/* ---- handing a bundle to another process (bundle_wire.c) ------------ */

/* A validated bundle as bytes, for the supervisor to pass policyd over an
 * inherited fd (policyd opens no files). The format is small,
 * length-prefixed and canonical:
 *
 *   "AUTBNDL1"                     magic and format version (8 bytes)
 *   record*                        tag (1 byte), length (u32 big-endian),
 *                                  that many bytes
 *
 * records in this order: 'D' digest (once), 'M' manifest.json (once),
 * then per policy file 'N' its name and 'P' its text (1..256 pairs,
 * names strictly ascending), 'E' entities.json (optional), 'Z' end
 * (length 0, last byte of the buffer). Every length is bounded by the
 * BUNDLE_MAX_* above, so a buffer is at most BUNDLE_WIRE_MAX bytes.
 *
 * bundle_serialize() returns a malloc'd buffer (*len bytes) or NULL (no
 * memory). bundle_parse() accepts exactly that encoding and nothing else
 * (unknown tags, wrong order, trailing bytes, oversize fields are
 * refused) and then runs the full validator (bundle_from_members) over
 * the members, so the receiver trusts the bytes no more than a file. The
 * digest is checked for syntax and carried over, not recomputed (the
 * receiver has no tar writer). */
#define BUNDLE_WIRE_MAGIC "AUTBNDL1"
#define BUNDLE_WIRE_MAX                                                        \
	(BUNDLE_MAX_TOTAL + 8 + (3 + 2 * BUNDLE_MAX_POLICY_FILES) * 5 +        \
	 BUNDLE_DIGEST_LEN +                                                   \
	 BUNDLE_MAX_POLICY_FILES *                                             \
	     (sizeof("policies/") + BUNDLE_MAX_FILE_NAME))
void *bundle_serialize(const struct bundle *b, size_t *len);
struct bundle *bundle_parse(const void *buf, size_t len, char *err,
                            size_t errlen);

/* ---- sources (bundle.c) --------------------------------------------- */

/* A bundle directory: manifest.json, policies/ and entities.json read
 * with O_NOFOLLOW (a symlink is refused), nothing else allowed in it. */
struct bundle *bundle_load_dir(const char *dir, char *err, size_t errlen);

/* A .tar (plain ustar/pax/gnu, no compression) from a file or memory.
 * Refused: absolute paths, "..", backslashes, links, devices, fifos,
 * sparse files, duplicate entries, entries other than the members above
 * (and the directories "." and "policies"), an entry over its size bound
 * and more than BUNDLE_MAX_TAR_ENTRIES entries. name is used in
 * messages. */
struct bundle *bundle_load_tar(const char *path, char *err, size_t errlen);
struct bundle *bundle_load_tar_mem(const void *buf, size_t len,
                                   const char *name, char *err, size_t errlen);

/* The canonical tar of a bundle: ustar, entries sorted by name
 * (entities.json, manifest.json, policies/...), mode 0644, uid/gid 0, no
 * owner names, mtime 0. The same members give the same bytes; the
 * bundle's digest is the SHA-256 of them. Returns a malloc'd buffer, or
 * NULL with err. */
void *bundle_canonical_tar(const struct bundle *b, size_t *len, char *err,
                           size_t errlen);

/* Writes the canonical tar to path (atomically: a temporary file in the
 * same directory, fsync, rename). */
int bundle_pack(const struct bundle *b, const char *path, char *err,
                size_t errlen);

/* The embedded demo policy (or the MAVLink demo) as a bundle: policy_ref
 * "demo@0.1.0" / "mavlink-demo@0.1.0", channel "stable". Also reachable
 * as the references "builtin:demo" and "builtin:mavlink-demo". */
struct bundle *bundle_embedded(int mavlink, char *err, size_t errlen);

/* What --policy names: a cache reference ("name:version",
 * "name@sha256:<hex>"), a builtin ("builtin:demo",
 * "builtin:mavlink-demo") or else a path (a directory, or a file read as
 * a tar). cache_dir may be NULL (the default cache, see
 * bundle_cache_default_dir()); it is only touched for a reference. */
struct bundle *bundle_resolve(const char *arg, const char *cache_dir, char *err,
                              size_t errlen);

/* A path only: a directory, or else a file read as a tar. */
struct bundle *bundle_load_path(const char *path, char *err, size_t errlen);

/* SHA-256 of buf as "sha256:<hex>" into out (BUNDLE_DIGEST_LEN + 1). */
void bundle_sha256(const void *buf, size_t len, char *out);

#endif
