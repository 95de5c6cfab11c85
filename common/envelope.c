#include "envelope.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* A string field: present, bounded, and free of NUL (protobuf strings
 * may carry embedded NULs; we never want one to cut a C string short
 * between check and use). protobuf-c guarantees NUL termination. */
static int check_str(const char *s, size_t max, const char *field, char *err,
                     size_t errlen)
{
	if (s == NULL)
		return errorf(err, errlen, "%s: missing", field);
	if (strnlen(s, max + 1) > max)
		return errorf(err, errlen, "%s: longer than %zu bytes", field,
		              max);
	return 0;
}

/* A message's string fields and their bounds, checked in order. */
struct field {
	const char *s;
	size_t max;
	const char *name;
};

static int check_fields(const struct field *f, size_t n, char *err,
                        size_t errlen)
{
	for (size_t i = 0; i < n; i++)
		if (check_str(f[i].s, f[i].max, f[i].name, err, errlen) < 0)
			return -1;
	return 0;
}

/* An answer's outcome: one the enum knows. */
static int check_outcome(Autonomy__Outcome o, char *err, size_t errlen)
{
	if (o < AUTONOMY__OUTCOME__OUTCOME_ALLOW ||
	    o > AUTONOMY__OUTCOME__OUTCOME_UNAVAILABLE)
		return errorf(err, errlen, "outcome %d unknown", (int)o);
	return 0;
}

static int check_nonempty(const char *s, size_t max, const char *field,
                          char *err, size_t errlen)
{
	if (check_str(s, max, field, err, errlen) < 0)
		return -1;
	if (s[0] == '\0')
		return errorf(err, errlen, "%s: empty", field);
	return 0;
}

static int check_attrs(size_t n, Autonomy__Attr **attrs, char *err,
                       size_t errlen)
{
	if (n > ENV_MAX_ATTRS)
		return errorf(err, errlen, "attrs: more than %d",
		              ENV_MAX_ATTRS);
	for (size_t i = 0; i < n; i++) {
		if (attrs[i] == NULL)
			return errorf(err, errlen, "attrs[%zu]: missing", i);
		if (check_nonempty(attrs[i]->key, ENV_MAX_ATTR_KEY, "attr key",
		                   err, errlen) < 0 ||
		    check_str(attrs[i]->value, ENV_MAX_ATTR_VALUE, "attr value",
		              err, errlen) < 0)
			return -1;
	}
	return 0;
}

static int check_append(const Autonomy__WalAppend *a, char *err, size_t errlen)
{
	if (check_nonempty(a->kind, ENV_MAX_KIND, "kind", err, errlen) < 0 ||
	    check_str(a->audit_id, ENV_MAX_AUDIT_ID, "audit_id", err, errlen) <
	        0 ||
	    check_str(a->tool, ENV_MAX_KIND, "tool", err, errlen) < 0)
		return -1;
	return check_attrs(a->n_attrs, a->attrs, err, errlen);
}

static int check_ack(const Autonomy__WalAck *a, char *err, size_t errlen)
{
	if (a->hash.len != 32)
		return errorf(err, errlen, "wal ack hash: %zu bytes",
		              a->hash.len);
	return check_str(a->refused, ENV_MAX_TEXT, "refused", err, errlen);
}

/* Puts "what i: " in front of the message already in err; returns -1. */
static int errorf_prefix(char *err, size_t errlen, const char *what, size_t i)
{
	char was[256];

	if (err == NULL || errlen == 0)
		return -1;
	snprintf(was, sizeof(was), "%s", err);
	snprintf(err, errlen, "%s %zu: %s", what, i, was);
	return -1;
}

static int check_strv(size_t n, char **v, size_t maxn, size_t maxlen,
                      const char *field, char *err, size_t errlen)
{
	if (n > maxn)
		return errorf(err, errlen, "%s: more than %zu entries", field,
		              maxn);
	for (size_t i = 0; i < n; i++)
		if (check_str(v[i], maxlen, field, err, errlen) < 0)
			return -1;
	return 0;
}

/* The network layer: a known mode, and the kernel's refusal exactly for
 * NET_LANDLOCK_ONLY (the WAL must say why the namespace is missing). */
static int check_spawn_net(const Autonomy__SpawnRequest *s, char *err,
                           size_t errlen)
{
	int reduced = s->net == AUTONOMY__NET_MODE__NET_LANDLOCK_ONLY;

	if (s->net != AUTONOMY__NET_MODE__NET_HOST &&
	    s->net != AUTONOMY__NET_MODE__NET_NONE && !reduced)
		return errorf(err, errlen, "net %d unknown", (int)s->net);
	if (check_str(s->net_source, ENV_MAX_TEXT, "net_source", err, errlen) <
	        0 ||
	    check_str(s->net_refused, ENV_MAX_TEXT, "net_refused", err,
	              errlen) < 0)
		return -1;
	if (reduced != (s->net_refused[0] != '\0'))
		return errorf(err, errlen,
		              "net_refused: given %s "
		              "NET_LANDLOCK_ONLY",
		              reduced ? "empty with" : "without");
	return 0;
}

/* The workload's sandbox settings: a known seccomp mode, a profile text
 * exactly when the mode takes one, bounded cap-drop, tmpfs,
 * writable-mount and Landlock allow-list values (their syntax is the
 * spawner's to check). */
static int check_spawn_sandbox(const Autonomy__SpawnRequest *s, char *err,
                               size_t errlen)
{
	int profile =
	    s->seccomp_mode == AUTONOMY__SECCOMP_MODE__SECCOMP_PROFILE;

	if (s->seccomp_mode != AUTONOMY__SECCOMP_MODE__SECCOMP_STARTER &&
	    !profile && s->seccomp_mode != AUTONOMY__SECCOMP_MODE__SECCOMP_NONE)
		return errorf(err, errlen, "seccomp_mode %d unknown",
		              (int)s->seccomp_mode);
	if (check_str(s->seccomp_profile_json, ENV_MAX_SECCOMP_JSON,
	              "seccomp_profile_json", err, errlen) < 0 ||
	    check_str(s->seccomp_profile_path, 4096, "seccomp_profile_path",
	              err, errlen) < 0)
		return -1;
	if (profile != (s->seccomp_profile_json[0] != '\0') ||
	    profile != (s->seccomp_profile_path[0] != '\0'))
		return errorf(err, errlen,
		              "seccomp_profile_json/path: given %s "
		              "SECCOMP_PROFILE",
		              profile ? "empty with" : "without");
	if (check_strv(s->n_cap_drop, s->cap_drop, ENV_MAX_CAP_DROP, 1024,
	               "cap_drop", err, errlen) < 0 ||
	    check_strv(s->n_tmpfs, s->tmpfs, ENV_MAX_TMPFS, ENV_MAX_TMPFS_BYTES,
	               "tmpfs", err, errlen) < 0 ||
	    check_strv(s->n_writable_mounts, s->writable_mounts,
	               ENV_MAX_WRITABLE, ENV_MAX_WRITABLE_BYTES,
	               "writable_mounts", err, errlen) < 0 ||
	    check_strv(s->n_landlock_exec, s->landlock_exec, ENV_MAX_LANDLOCK,
	               ENV_MAX_LANDLOCK_BYTES, "landlock_exec", err,
	               errlen) < 0 ||
	    check_strv(s->n_landlock_connect, s->landlock_connect,
	               ENV_MAX_LANDLOCK, ENV_MAX_LANDLOCK_BYTES,
	               "landlock_connect", err, errlen) < 0)
		return -1;
	/* --image: paths and names only; the spawner checks their sense */
	if (check_str(s->image_rootfs, 4096, "image_rootfs", err, errlen) < 0 ||
	    check_str(s->image_ref, 4096, "image_ref", err, errlen) < 0 ||
	    check_str(s->image_kind, 32, "image_kind", err, errlen) < 0 ||
	    check_str(s->image_digest, 80, "image_digest", err, errlen) < 0)
		return -1;
	return check_spawn_net(s, err, errlen);
}

static int check_tool_request(const Autonomy__ToolRequest *r, char *err,
                              size_t errlen)
{
	if (check_nonempty(r->kind, ENV_MAX_KIND, "kind", err, errlen) < 0 ||
	    check_nonempty(r->params_json, ENV_MAX_JSON, "params_json", err,
	                   errlen) < 0)
		return -1;
	return 0;
}

static int check_tool_response(const Autonomy__ToolResponse *r, char *err,
                               size_t errlen)
{
	const struct field f[] = {
	    {r->audit_id, ENV_MAX_AUDIT_ID, "audit_id"},
	    {r->kind, ENV_MAX_KIND, "kind"},
	    {r->layer, 16, "layer"},
	    {r->reason, ENV_MAX_TEXT, "reason"},
	    {r->policy_ref, ENV_MAX_TEXT, "policy_ref"},
	    {r->output_json, ENV_MAX_JSON, "output_json"},
	    {r->error, ENV_MAX_TEXT, "error"},
	};

	if (check_outcome(r->outcome, err, errlen) < 0 ||
	    check_fields(f, sizeof(f) / sizeof(f[0]), err, errlen) < 0 ||
	    check_strv(r->n_policies, r->policies, ENV_MAX_POLICIES,
	               ENV_MAX_TEXT, "policies", err, errlen) < 0 ||
	    check_strv(r->n_errors, r->errors, ENV_MAX_POLICIES, ENV_MAX_TEXT,
	               "errors", err, errlen) < 0)
		return -1;
	/* A decision without an audit id is not a decision. */
	if (r->outcome != AUTONOMY__OUTCOME__OUTCOME_UNAVAILABLE &&
	    r->audit_id[0] == '\0')
		return errorf(err, errlen, "audit_id: empty");
	return 0;
}

/* tool.http_get's hop (policyd -> fetcher) and its answer. The fetcher
 * parses url and the headers again; these are the wire's bounds. */
static int check_http_get_request(const Autonomy__HttpGetRequest *r, char *err,
                                  size_t errlen)
{
	if (check_nonempty(r->audit_id, ENV_MAX_AUDIT_ID, "audit_id", err,
	                   errlen) < 0 ||
	    check_nonempty(r->url, ENV_MAX_URL, "url", err, errlen) < 0 ||
	    check_attrs(r->n_headers, r->headers, err, errlen) < 0)
		return -1;
	if (r->hop > ENV_MAX_HTTP_HOPS)
		return errorf(err, errlen, "hop %u over %d", r->hop,
		              ENV_MAX_HTTP_HOPS);
	if (r->timeout_ms == 0 || r->timeout_ms > ENV_MAX_HTTP_TIMEOUT_MS)
		return errorf(err, errlen, "timeout_ms %u not in 1..%d",
		              r->timeout_ms, ENV_MAX_HTTP_TIMEOUT_MS);
	if (r->max_bytes == 0 || r->max_bytes > ENV_MAX_HTTP_BODY)
		return errorf(err, errlen, "max_bytes %u not in 1..%d",
		              r->max_bytes, ENV_MAX_HTTP_BODY);
	return 0;
}

static int check_http_get_reply(const Autonomy__HttpGetReply *r, char *err,
                                size_t errlen)
{
	const struct field f[] = {
	    {r->reason, ENV_MAX_TEXT, "reason"},
	    {r->output_json, ENV_MAX_JSON, "output_json"},
	    {r->location, ENV_MAX_URL, "location"},
	    {r->error, ENV_MAX_TEXT, "error"},
	};

	if (check_outcome(r->outcome, err, errlen) < 0)
		return -1;
	return check_fields(f, sizeof(f) / sizeof(f[0]), err, errlen);
}

/* tool.mavlink.* (policyd -> mavproxy) and its answer. mavproxy parses
 * kind and params again; these are the wire's bounds. */
static int check_mavlink_request(const Autonomy__MavlinkRequest *r, char *err,
                                 size_t errlen)
{
	if (r->facts_only)
		return check_str(r->audit_id, ENV_MAX_AUDIT_ID, "audit_id", err,
		                 errlen) < 0 ||
		               check_str(r->kind, ENV_MAX_KIND, "kind", err,
		                         errlen) < 0 ||
		               check_str(r->params_json, ENV_MAX_MAVLINK_JSON,
		                         "params_json", err, errlen) < 0
		           ? -1
		           : 0;
	if (check_nonempty(r->audit_id, ENV_MAX_AUDIT_ID, "audit_id", err,
	                   errlen) < 0 ||
	    check_nonempty(r->kind, ENV_MAX_KIND, "kind", err, errlen) < 0 ||
	    check_nonempty(r->params_json, ENV_MAX_MAVLINK_JSON, "params_json",
	                   err, errlen) < 0)
		return -1;
	if (strncmp(r->kind, "tool.mavlink.", 13) != 0)
		return errorf(err, errlen, "kind: not a tool.mavlink.* call");
	return 0;
}

static int check_mavlink_reply(const Autonomy__MavlinkReply *r, char *err,
                               size_t errlen)
{
	const struct field f[] = {
	    {r->reason, ENV_MAX_TEXT, "reason"},
	    {r->output_json, ENV_MAX_MAVLINK_JSON, "output_json"},
	    {r->facts_json, ENV_MAX_MAVLINK_JSON, "facts_json"},
	    {r->error, ENV_MAX_TEXT, "error"},
	};

	if (check_outcome(r->outcome, err, errlen) < 0)
		return -1;
	return check_fields(f, sizeof(f) / sizeof(f[0]), err, errlen);
}

int envelope_check(const Envelope *env, char *err, size_t errlen)
{
	if (env->version != ENVELOPE_VERSION)
		return errorf(err, errlen, "envelope version %u, expected %d",
		              env->version, ENVELOPE_VERSION);

	switch (env->body_case) {
	case AUTONOMY__ENVELOPE__BODY_TOOL_REQUEST:
		return check_tool_request(env->tool_request, err, errlen);
	case AUTONOMY__ENVELOPE__BODY_TOOL_RESPONSE:
		return check_tool_response(env->tool_response, err, errlen);
	case AUTONOMY__ENVELOPE__BODY_TOOL_BATCH: {
		const Autonomy__ToolBatch *b = env->tool_batch;
		if (b->n_calls == 0 || b->n_calls > ENV_MAX_TOOL_BATCH)
			return errorf(err, errlen,
			              "tool batch: %zu calls (1 to %d)",
			              b->n_calls, ENV_MAX_TOOL_BATCH);
		for (size_t i = 0; i < b->n_calls; i++)
			if ((b->calls[i] == NULL &&
			     errorf(err, errlen, "missing") < 0) ||
			    check_tool_request(b->calls[i], err, errlen) < 0)
				return errorf_prefix(err, errlen, "call", i);
		return 0;
	}
	case AUTONOMY__ENVELOPE__BODY_TOOL_BATCH_REPLY: {
		const Autonomy__ToolBatchReply *b = env->tool_batch_reply;
		if (b->n_responses == 0 || b->n_responses > ENV_MAX_TOOL_BATCH)
			return errorf(
			    err, errlen,
			    "tool batch reply: %zu responses (1 to %d)",
			    b->n_responses, ENV_MAX_TOOL_BATCH);
		for (size_t i = 0; i < b->n_responses; i++)
			if ((b->responses[i] == NULL &&
			     errorf(err, errlen, "missing") < 0) ||
			    check_tool_response(b->responses[i], err, errlen) <
			        0)
				return errorf_prefix(err, errlen, "response",
				                     i);
		return 0;
	}
	case AUTONOMY__ENVELOPE__BODY_HTTP_GET_REQUEST:
		return check_http_get_request(env->http_get_request, err,
		                              errlen);
	case AUTONOMY__ENVELOPE__BODY_HTTP_GET_REPLY:
		return check_http_get_reply(env->http_get_reply, err, errlen);
	case AUTONOMY__ENVELOPE__BODY_MAVLINK_REQUEST:
		return check_mavlink_request(env->mavlink_request, err, errlen);
	case AUTONOMY__ENVELOPE__BODY_MAVLINK_REPLY:
		return check_mavlink_reply(env->mavlink_reply, err, errlen);
	case AUTONOMY__ENVELOPE__BODY_WAL_APPEND:
		return check_append(env->wal_append, err, errlen);
	case AUTONOMY__ENVELOPE__BODY_WAL_ACK:
		return check_ack(env->wal_ack, err, errlen);
	case AUTONOMY__ENVELOPE__BODY_WAL_BATCH: {
		const Autonomy__WalBatch *b = env->wal_batch;
		if (b->n_appends == 0 || b->n_appends > ENV_MAX_BATCH)
			return errorf(err, errlen,
			              "wal batch: %zu appends (1 to %d)",
			              b->n_appends, ENV_MAX_BATCH);
		for (size_t i = 0; i < b->n_appends; i++)
			if ((b->appends[i] == NULL &&
			     errorf(err, errlen, "missing") < 0) ||
			    check_append(b->appends[i], err, errlen) < 0)
				return errorf_prefix(err, errlen, "append", i);
		return 0;
	}
	case AUTONOMY__ENVELOPE__BODY_WAL_BATCH_ACK: {
		const Autonomy__WalBatchAck *b = env->wal_batch_ack;
		if (b->n_acks == 0 || b->n_acks > ENV_MAX_BATCH)
			return errorf(err, errlen,
			              "wal batch ack: %zu acks (1 to %d)",
			              b->n_acks, ENV_MAX_BATCH);
		for (size_t i = 0; i < b->n_acks; i++)
			if ((b->acks[i] == NULL &&
			     errorf(err, errlen, "missing") < 0) ||
			    check_ack(b->acks[i], err, errlen) < 0)
				return errorf_prefix(err, errlen, "ack", i);
		return 0;
	}
	case AUTONOMY__ENVELOPE__BODY_PEER_TABLE: {
		const Autonomy__PeerTable *t = env->peer_table;
		if (t->n_peers > ENV_MAX_PEERS)
			return errorf(err, errlen, "peers: more than %d",
			              ENV_MAX_PEERS);
		for (size_t i = 0; i < t->n_peers; i++) {
			if (t->peers[i] == NULL)
				return errorf(err, errlen, "peer %zu missing",
				              i);
			if (check_nonempty(t->peers[i]->origin, 32,
			                   "peer origin", err, errlen) < 0)
				return -1;
			if (t->peers[i]->pid <= 1)
				return errorf(err, errlen,
				              "peer pid %d invalid",
				              t->peers[i]->pid);
		}
		return 0;
	}
	case AUTONOMY__ENVELOPE__BODY_SPAWN_REQUEST: {
		const Autonomy__SpawnRequest *s = env->spawn_request;
		if (s->n_argv == 0)
			return errorf(err, errlen, "argv: empty");
		if (check_strv(s->n_argv, s->argv, ENV_MAX_ARGV,
		               ENV_MAX_ARG_BYTES, "argv", err, errlen) < 0 ||
		    check_strv(s->n_env, s->env, ENV_MAX_ENV, ENV_MAX_ARG_BYTES,
		               "env", err, errlen) < 0 ||
		    check_str(s->cwd, 4096, "cwd", err, errlen) < 0)
			return -1;
		if (s->pgid < 0)
			return errorf(err, errlen, "pgid %d invalid", s->pgid);
		return check_spawn_sandbox(s, err, errlen);
	}
	case AUTONOMY__ENVELOPE__BODY_SPAWN_REPLY:
		if (env->spawn_reply->pid <= 1)
			return errorf(err, errlen, "spawn reply pid %d invalid",
			              env->spawn_reply->pid);
		return 0;
	case AUTONOMY__ENVELOPE__BODY_WAIT_REQUEST:
		if (env->wait_request->pid <= 1)
			return errorf(err, errlen, "wait pid %d invalid",
			              env->wait_request->pid);
		return 0;
	case AUTONOMY__ENVELOPE__BODY_ERROR:
		return check_str(env->error->message, ENV_MAX_TEXT,
		                 "error message", err, errlen);
	case AUTONOMY__ENVELOPE__BODY_WAL_STATS_REQUEST:
	case AUTONOMY__ENVELOPE__BODY_WAL_STATS:
	case AUTONOMY__ENVELOPE__BODY_WAIT_REPLY:
	case AUTONOMY__ENVELOPE__BODY_ACK:
		return 0;
	case AUTONOMY__ENVELOPE__BODY__NOT_SET:
		return errorf(err, errlen, "envelope has no body");
	default:
		return errorf(err, errlen, "envelope body %d unknown",
		              (int)env->body_case);
	}
}

/* True if m or any message inside it carried fields this version does
 * not know: a sender speaking another schema, refused rather than
 * half-understood. */
static int has_unknown_fields(const ProtobufCMessage *m, int depth)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;

	if (m->n_unknown_fields > 0 || depth > 8)
		return 1;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *base = (const char *)m;

		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		/* a oneof's members share storage: only the set one counts */
		if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    *(const uint32_t *)(base + f->quantifier_offset) != f->id)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n =
			    *(const size_t *)(base + f->quantifier_offset);
			ProtobufCMessage *const *v = *(
			    ProtobufCMessage *const *const *)(base + f->offset);
			for (size_t j = 0; j < n; j++)
				if (v[j] && has_unknown_fields(v[j], depth + 1))
					return 1;
		} else {
			const ProtobufCMessage *sub = *(
			    const ProtobufCMessage *const *)(base + f->offset);
			if (sub && has_unknown_fields(sub, depth + 1))
				return 1;
		}
	}
	return 0;
}

int envelope_pack(Envelope *env, uint8_t **buf, size_t *len)
{
	size_t n;

	env->version = ENVELOPE_VERSION;
	n = autonomy__envelope__get_packed_size(env);
	if (n > ENVELOPE_MAX_BYTES)
		return -1;
	*buf = malloc(n ? n : 1);
	if (*buf == NULL)
		return -1;
	*len = autonomy__envelope__pack(env, *buf);
	return 0;
}

Envelope *envelope_unpack(const uint8_t *buf, size_t len, char *err,
                          size_t errlen)
{
	Envelope *env;

	if (len > ENVELOPE_MAX_BYTES) {
		errorf(err, errlen, "message of %zu bytes exceeds %u", len,
		       ENVELOPE_MAX_BYTES);
		return NULL;
	}
	env = autonomy__envelope__unpack(NULL, len, buf);
	if (env == NULL) {
		errorf(err, errlen, "malformed envelope (%zu bytes)", len);
		return NULL;
	}
	/* Only the canonical encoding is accepted: re-packing must give back
	 * exactly the bytes received. This refuses strings with an embedded
	 * NUL (protobuf-c would hand us a C string cut short at it), unknown
	 * fields, and duplicated fields, none of which our senders produce. */
	if (autonomy__envelope__get_packed_size(env) != len ||
	    has_unknown_fields(&env->base, 0)) {
		errorf(err, errlen,
		       "non-canonical envelope (embedded NUL, unknown or "
		       "repeated field)");
		autonomy__envelope__free_unpacked(env, NULL);
		return NULL;
	}
	if (envelope_check(env, err, errlen) < 0) {
		autonomy__envelope__free_unpacked(env, NULL);
		return NULL;
	}
	return env;
}

void envelope_free(Envelope *env)
{
	if (env != NULL)
		autonomy__envelope__free_unpacked(env, NULL);
}

const char *envelope_body_name(const Envelope *env)
{
	switch (env->body_case) {
	case AUTONOMY__ENVELOPE__BODY_TOOL_REQUEST:
		return "ToolRequest";
	case AUTONOMY__ENVELOPE__BODY_TOOL_RESPONSE:
		return "ToolResponse";
	case AUTONOMY__ENVELOPE__BODY_TOOL_BATCH:
		return "ToolBatch";
	case AUTONOMY__ENVELOPE__BODY_TOOL_BATCH_REPLY:
		return "ToolBatchReply";
	case AUTONOMY__ENVELOPE__BODY_WAL_APPEND:
		return "WalAppend";
	case AUTONOMY__ENVELOPE__BODY_WAL_ACK:
		return "WalAck";
	case AUTONOMY__ENVELOPE__BODY_WAL_BATCH:
		return "WalBatch";
	case AUTONOMY__ENVELOPE__BODY_WAL_BATCH_ACK:
		return "WalBatchAck";
	case AUTONOMY__ENVELOPE__BODY_PEER_TABLE:
		return "PeerTable";
	case AUTONOMY__ENVELOPE__BODY_WAL_STATS_REQUEST:
		return "WalStatsRequest";
	case AUTONOMY__ENVELOPE__BODY_WAL_STATS:
		return "WalStats";
	case AUTONOMY__ENVELOPE__BODY_SPAWN_REQUEST:
		return "SpawnRequest";
	case AUTONOMY__ENVELOPE__BODY_SPAWN_REPLY:
		return "SpawnReply";
	case AUTONOMY__ENVELOPE__BODY_WAIT_REQUEST:
		return "WaitRequest";
	case AUTONOMY__ENVELOPE__BODY_WAIT_REPLY:
		return "WaitReply";
	case AUTONOMY__ENVELOPE__BODY_ACK:
		return "Ack";
	case AUTONOMY__ENVELOPE__BODY_ERROR:
		return "Error";
	case AUTONOMY__ENVELOPE__BODY_HTTP_GET_REQUEST:
		return "HttpGetRequest";
	case AUTONOMY__ENVELOPE__BODY_HTTP_GET_REPLY:
		return "HttpGetReply";
	case AUTONOMY__ENVELOPE__BODY_MAVLINK_REQUEST:
		return "MavlinkRequest";
	case AUTONOMY__ENVELOPE__BODY_MAVLINK_REPLY:
		return "MavlinkReply";
	default:
		return "none";
	}
}
