/* The one versioned envelope (proto/autonomy.proto) and its bounds.
 * envelope_unpack() is the only way a helper turns bytes from another
 * process into a message: it checks the version, that a body is set, and
 * every string and repeated field against the bounds below. */
#ifndef AUTONOMY_ENVELOPE_H
#define AUTONOMY_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "autonomy.pb-c.h"
#include "mounts.h"

#define ENVELOPE_VERSION 1

/* Largest message any helper accepts (NNG_OPT_RECVMAXSZ). A tool request
 * carries at most a 1 MiB HTTP body; the rest is headroom for framing. */
#define ENVELOPE_MAX_BYTES (2u * 1024 * 1024)
#define ENV_MAX_KIND 128
#define ENV_MAX_AUDIT_ID 64
#define ENV_MAX_JSON (1024u * 1024 + 4096)
#define ENV_MAX_TEXT 4096 /* reason, error, policy ids, policy_ref */
#define ENV_MAX_POLICIES 64
#define ENV_MAX_ATTRS 64
#define ENV_MAX_ATTR_KEY 64
#define ENV_MAX_ATTR_VALUE 8192
#define ENV_MAX_PEERS 16
#define ENV_MAX_BATCH 256     /* appends in one WalBatch */
#define ENV_MAX_TOOL_BATCH 16 /* calls in one ToolBatch */
/* tool.http_get (HttpGetRequest / HttpGetReply) */
#define ENV_MAX_URL 8192
#define ENV_MAX_HTTP_HOPS 5          /* redirects followed */
#define ENV_MAX_HTTP_TIMEOUT_MS 8000 /* tool.http_get's whole-call budget */
#define ENV_MAX_HTTP_BODY (256 * 1024)
/* tool.mavlink.* (MavlinkRequest / MavlinkReply): params and answers are
 * small (a status is under 2 KiB) */
#define ENV_MAX_MAVLINK_JSON (16u * 1024)
#define ENV_MAX_ARGV 4096
#define ENV_MAX_ENV 4096
#define ENV_MAX_ARG_BYTES (128u * 1024)
/* SECCOMP_PROFILE_MAX_BYTES (spawner/seccomp/profile.h) */
#define ENV_MAX_SECCOMP_JSON (1024u * 1024)
#define ENV_MAX_CAP_DROP 64 /* RUN_MAX_CAP_DROP */
/* --tmpfs and --writable-mount values (common/mounts.h): a --tmpfs value
 * holds up to MOUNTS_MAX_TMPFS paths, each with ":exec" and a comma. */
#define ENV_MAX_TMPFS MOUNTS_MAX_TMPFS
#define ENV_MAX_TMPFS_BYTES (MOUNTS_MAX_TMPFS * (MOUNTS_MAX_PATH + 6))
#define ENV_MAX_WRITABLE MOUNTS_MAX_WRITABLE
#define ENV_MAX_WRITABLE_BYTES (2 * MOUNTS_MAX_PATH + 4)
/* landlock_exec / landlock_connect: the --preload-*-allowlist values
 * (RUN_MAX_PRELOAD_FLAGS of them, each within PRELOAD_MAX_LIST_LEN). */
#define ENV_MAX_LANDLOCK 64
#define ENV_MAX_LANDLOCK_BYTES 65536

typedef Autonomy__Envelope Envelope;

/* Packs env (its version is set here) into a malloc'd buffer. */
int envelope_pack(Envelope *env, uint8_t **buf, size_t *len);

/* Unpacks and validates. On failure returns NULL and writes why to err. */
Envelope *envelope_unpack(const uint8_t *buf, size_t len, char *err,
                          size_t errlen);

/* Validates an already-unpacked envelope (used by envelope_unpack). */
int envelope_check(const Envelope *env, char *err, size_t errlen);

void envelope_free(Envelope *env);

/* Name of the body case, for log messages. */
const char *envelope_body_name(const Envelope *env);

#endif
