/* policyd: decides every tool call, writes the decision ahead to the
 * WAL, and runs the tools that live here (DESIGN.md §2, §4).
 *
 *   policyd --rundir DIR --ready-fd N [--bundle-fd M]
 *           [--mavlink-environment sitl|real] [--no-fetcher]
 *
 * With --bundle-fd, fd M holds the run's policy bundle as the supervisor
 * serialized it (bundle_serialize, supervisor/bundle.h); policyd reads it
 * to the end, validates it again in full and decides with it. Without,
 * it decides with the embedded demo policy. --mavlink-environment says
 * the run has an autopilot link (mavproxy): tool.mavlink.* calls get the
 * vehicle's facts from mavproxy and that environment in context.runtime,
 * and run there; without it they are runtime.deny "mavlink not
 * configured" (written here: no runtime layer exists to write it).
 * --no-fetcher says the run has no fetcher (no allowed domain, no
 * --allow-host: nothing it could fetch), so an allowed tool.http_get hop
 * gets the runtime.deny the fetcher would have written, written here.
 *
 * Listens (rep) on DIR/policyd.sock for ToolRequests from toolsrv and
 * dials (req) DIR/walwriter.sock. Each call: re-validate, audit id,
 * policy_decide(), policy.allow/deny appended and acknowledged, then the
 * tool and its tool.result (or runtime.deny). No ack, no action. */
#include <errno.h>
#include <getopt.h>
#include <unistd.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "attack.h"
#include "bundle.h"
#include "confine.h"
#include "envelope.h"
#include "helper.h"
#include "helperclient.h"
#include "httpget.h"
#include "ipc.h"
#include "log.h"
#include "params.h"
#include "policy.h"
#include "runtime_rec.h"
#include "sandbox.h"
#include "sha256.h"
#include "tools.h"
#include "walclient.h"

#include <nng/supplemental/util/platform.h>

/* Calls served at once: each slot is an nng context driven by its own
 * aio callback, no thread per call. Under load the calls in flight share
 * WAL batches (walclient.h), and walwriter group-commits those. */
#define POLICYD_SLOTS 256
#define POLICYD_WAL_INFLIGHT 4
#define POLICYD_WAL_TIMEOUT_MS 5000
#define POLICYD_MALLOC_ARENAS 16
/* On SIGTERM: how long in-flight calls and their records may take. */
#define POLICYD_DRAIN_MS 1500

#define AUDIT_ID_LEN 37 /* UUID text + NUL */
#define N_DECISION_ATTRS 9
/* A hop's answer may take what is left of the call's budget plus the
 * runtime record; with the 8 s budget it stays inside toolsrv's 10 s, so
 * the caller hears policyd's reason. */
#define POLICYD_FETCH_MARGIN_MS 1500
/* mavproxy: the facts before a decision; an allowed call (its record,
 * up to 3 COMMAND_LONG sends of 1 s, and a command queued before it)
 * inside toolsrv's 10 s. */
#define POLICYD_MAV_FACTS_MS 2000
#define POLICYD_MAV_CALL_MS 8000

/* One tool call's state, so every reply path fills the same fields. */
struct call {
	const char *kind;
	const char *params_text;
	json_t *params;
	char audit_id[AUDIT_ID_LEN];
	char params_sha256[SHA256_HEX_LEN];
	char params_bytes[24];
	struct policy_decision decision;
	char policies_joined[POLICY_MAX_IDS * POLICY_MAX_ID_LEN];
	char errors_joined[POLICY_MAX_ERRORS * POLICY_MAX_TEXT];
	char omitted[POLICY_MAX_TEXT]; /* params the policy could not see */
	struct tool_result tool;
	char error[512];
	struct http_get *http; /* tool.http_get only */
	int mavlink;           /* tool.mavlink.* */
	json_t *runtime;       /* context.runtime: NULL, or the facts */
	char reason[1024];     /* a later hop's deny, or the runtime's */
};

/* One call in flight: decided, its record made durable, then acted on.
 * While a record is in the WAL client's hands the call waits; nothing
 * blocks a thread. */
struct slot;
struct job {
	struct slot *slot;
	struct call c;
	int refused; /* refused before any decision: c.error says why */
	Autonomy__ToolResponse r;
	char *policies[POLICY_MAX_IDS];
	char *errors[POLICY_MAX_ERRORS];
	struct wal_req w; /* the decision record, then runtime.deny */
	Autonomy__Attr a[N_DECISION_ATTRS];
	Autonomy__Attr *ap[N_DECISION_ATTRS];
};

/* One nng context and its aio, cycling receive -> its calls -> reply. A
 * ToolRequest is one call (answered with a ToolResponse, or Error if
 * refused); a ToolBatch is several, answered together with a
 * ToolBatchReply once the last of them is done. */
struct slot {
	nng_ctx ctx;
	nng_aio *aio;
	int sending;
	Envelope *req;
	int batch;
	size_t n;
	struct job *jobs; /* &one, or the first n of pool for a batch */
	struct job one;
	struct job *pool; /* ENV_MAX_TOOL_BATCH jobs, made on first use */
	unsigned pending; /* jobs not yet done (atomic) */
};

/* tool.result is written after the reply is on its way (the decision
 * before it was durable, so the write-ahead rule holds): it owns its
 * strings, since the slot moves on to the next call. */
struct result_rec {
	struct wal_req w;
	char audit_id[AUDIT_ID_LEN];
	char kind[ENV_MAX_KIND + 1];
	char bytes[24];
	char sha[SHA256_HEX_LEN];
	Autonomy__Attr a[3];
	Autonomy__Attr *ap[3];
};

static const struct policy_set *policies;
static struct walclient *wal;
static struct helperclient *fetcher;  /* NULL: --no-fetcher */
static struct helperclient *mavproxy; /* NULL: no --mavlink-endpoint */
static const char *mav_environment;   /* --mavlink-environment */
static int no_fetcher;                /* --no-fetcher */
static pthread_mutex_t active_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned active; /* slots between a request and its reply sent */

static int audit_id_new(char out[AUDIT_ID_LEN])
{
	uint8_t b[16];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return -1;
	b[6] = (b[6] & 0x0f) | 0x40; /* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80; /* RFC 4122 variant */
	snprintf(out, AUDIT_ID_LEN,
	         "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	         "%02x%02x%02x%02x%02x%02x",
	         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
	         b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

#define ATTR(k, v)                                                             \
	{                                                                      \
		PROTOBUF_C_MESSAGE_INIT(&autonomy__attr__descriptor), k, v     \
	}

static void call_active(int delta)
{
	pthread_mutex_lock(&active_mu);
	active += (unsigned)delta;
	pthread_mutex_unlock(&active_mu);
}

/* Sends the slot's reply; the aio callback then frees the call and
 * receives the next request. */
static void reply_env(struct slot *s, Envelope *env)
{
	nng_msg *msg;

	s->sending = 1;
	if (ipc_msg_pack(env, &msg) < 0) {
		log_warnx("cannot pack %s", envelope_body_name(env));
		nng_aio_finish(s->aio, NNG_ENOMEM);
		return;
	}
	nng_aio_set_msg(s->aio, msg);
	nng_ctx_send(s->ctx, s->aio);
}

static void reply_error(struct slot *s, const char *message)
{
	Envelope env = AUTONOMY__ENVELOPE__INIT;
	Autonomy__Error e = AUTONOMY__ERROR__INIT;

	e.message = (char *)message;
	env.body_case = AUTONOMY__ENVELOPE__BODY_ERROR;
	env.error = &e;
	reply_env(s, &env);
}

/* The slot's answer, once every job is done. */
static void slot_reply(struct slot *s)
{
	Envelope env = AUTONOMY__ENVELOPE__INIT;
	Autonomy__ToolBatchReply br = AUTONOMY__TOOL_BATCH_REPLY__INIT;
	Autonomy__ToolResponse *rs[ENV_MAX_TOOL_BATCH];

	if (!s->batch) {
		if (s->one.refused) {
			reply_error(s, s->one.c.error);
			return;
		}
		env.body_case = AUTONOMY__ENVELOPE__BODY_TOOL_RESPONSE;
		env.tool_response = &s->one.r;
		reply_env(s, &env);
		return;
	}
	for (size_t i = 0; i < s->n; i++) {
		struct job *j = &s->jobs[i];
		if (j->refused) {
			autonomy__tool_response__init(&j->r);
			j->r.outcome = AUTONOMY__OUTCOME__OUTCOME_UNAVAILABLE;
			j->r.kind = (char *)(j->c.kind ? j->c.kind : "");
			j->r.error = j->c.error;
		}
		rs[i] = &j->r;
	}
	br.n_responses = s->n;
	br.responses = rs;
	env.body_case = AUTONOMY__ENVELOPE__BODY_TOOL_BATCH_REPLY;
	env.tool_batch_reply = &br;
	reply_env(s, &env);
}

/* A job is answered (its r, or refused); the last one sends the reply. */
static void job_done(struct job *j)
{
	struct slot *s = j->slot;

	if (__atomic_sub_fetch(&s->pending, 1, __ATOMIC_ACQ_REL) == 0)
		slot_reply(s);
}

static void reply_call(struct job *j)
{
	job_done(j);
}

/* Refused before any decision (malformed call): no audit id. */
static void job_refuse(struct job *j, const char *why)
{
	snprintf(j->c.error, sizeof(j->c.error), "%s", why);
	j->refused = 1;
	job_done(j);
}

static void reply_unavailable(struct job *s)
{
	log_warnx("call %s (%s): %s", s->c.audit_id, s->c.kind, s->c.error);
	s->r.outcome = AUTONOMY__OUTCOME__OUTCOME_UNAVAILABLE;
	s->r.error = s->c.error;
	reply_call(s);
}

/* Submits the slot's record: audit_id and tool are the call's. */
static void submit(struct job *s, const char *kind, size_t n_attrs,
                   void (*done)(struct wal_req *, int, const char *))
{
	autonomy__wal_append__init(&s->w.app);
	s->w.app.audit_id = s->c.audit_id;
	s->w.app.kind = (char *)kind;
	s->w.app.tool = (char *)s->c.kind;
	s->w.app.attrs = s->ap;
	s->w.app.n_attrs = n_attrs;
	s->w.done = done;
	s->w.arg = s;
	walclient_submit(wal, &s->w);
}

static void result_done(struct wal_req *w, int ok, const char *err)
{
	struct result_rec *rr = w->arg;

	/* The call has been answered; a record that cannot be written
	 * means walwriter is failing, and then the supervisor fails the
	 * run closed. Say so loudly here too. */
	if (!ok)
		log_warnx("call %s: tool.result not recorded: %s", rr->audit_id,
		          err);
	free(rr);
	call_active(-1);
}

/* tool.result: what ran and a digest of its output. */
static int submit_tool_result(struct call *c)
{
	const char *out = c->tool.output_json ? c->tool.output_json : "";
	struct result_rec *rr = calloc(1, sizeof(*rr));

	if (rr == NULL)
		return -1;
	snprintf(rr->audit_id, sizeof(rr->audit_id), "%s", c->audit_id);
	snprintf(rr->kind, sizeof(rr->kind), "%s", c->kind);
	snprintf(rr->bytes, sizeof(rr->bytes), "%zu", strlen(out));
	sha256_hex(out, strlen(out), rr->sha);
	for (int i = 0; i < 3; i++) {
		autonomy__attr__init(&rr->a[i]);
		rr->ap[i] = &rr->a[i];
	}
	rr->a[0].key = "status";
	rr->a[0].value = (char *)tool_status_name(c->tool.status);
	rr->a[1].key = "output_bytes";
	rr->a[1].value = rr->bytes;
	rr->a[2].key = "output_sha256";
	rr->a[2].value = rr->sha;
	autonomy__wal_append__init(&rr->w.app);
	rr->w.app.audit_id = rr->audit_id;
	rr->w.app.kind = "tool.result";
	rr->w.app.tool = rr->kind;
	rr->w.app.attrs = rr->ap;
	rr->w.app.n_attrs = 3;
	rr->w.done = result_done;
	rr->w.arg = rr;
	call_active(1); /* drained on SIGTERM like a call */
	walclient_submit(wal, &rr->w);
	return 0;
}

static void runtime_deny_done(struct wal_req *w, int ok, const char *err)
{
	struct job *s = w->arg;

	if (!ok) {
		snprintf(s->c.error, sizeof(s->c.error), "%s", err);
		reply_unavailable(s);
		return;
	}
	s->r.outcome = AUTONOMY__OUTCOME__OUTCOME_DENY;
	s->r.layer = "runtime";
	s->r.reason = s->c.tool.reason;
	reply_call(s);
}

static void decide_hop(struct job *s);

/* A runtime helper (fetcher, mavproxy) could not answer: a 503 with its
 * error, or what when it gave none. */
static void helper_unavailable(struct job *s, const char *error,
                               const char *what)
{
	snprintf(s->c.error, sizeof(s->c.error), "%s",
	         error != NULL && error[0] != '\0' ? error : what);
	reply_unavailable(s);
}

/* A runtime layer refused the call; its runtime.deny is durable. */
static void runtime_denied(struct job *s, const char *reason)
{
	snprintf(s->c.reason, sizeof(s->c.reason), "%s", reason);
	s->r.outcome = AUTONOMY__OUTCOME__OUTCOME_DENY;
	s->r.layer = "runtime";
	s->r.reason = s->c.reason;
	reply_call(s);
}

/* The tool ran (c->tool says how; TOOL_OK with its output): its
 * tool.result goes to walwriter and the answer to toolsrv. */
static void answer_tool(struct job *s)
{
	struct call *c = &s->c;

	if ((c->tool.status == TOOL_OK && c->tool.output_json == NULL) ||
	    submit_tool_result(c) < 0) {
		snprintf(c->error, sizeof(c->error),
		         "out of memory recording tool.result");
		reply_unavailable(s);
		return;
	}
	if (c->tool.status == TOOL_BAD_PARAMS) {
		s->r.outcome = AUTONOMY__OUTCOME__OUTCOME_BAD_PARAMS;
		s->r.error = c->tool.reason;
	} else {
		s->r.outcome = AUTONOMY__OUTCOME__OUTCOME_ALLOW;
		s->r.output_json = c->tool.output_json;
	}
	reply_call(s);
}

/* The fetcher's answer to one hop of tool.http_get. */
static void http_get_done(void *arg, const Envelope *reply, const char *err)
{
	const Autonomy__HttpGetReply *rep =
	    reply != NULL ? reply->http_get_reply : NULL;
	struct job *s = arg;
	struct call *c = &s->c;

	if (rep == NULL ||
	    rep->outcome == AUTONOMY__OUTCOME__OUTCOME_BAD_PARAMS ||
	    rep->outcome == AUTONOMY__OUTCOME__OUTCOME_UNAVAILABLE) {
		helper_unavailable(s, rep == NULL ? err : rep->error,
		                   "the fetcher could not answer");
		return;
	}
	if (rep->outcome == AUTONOMY__OUTCOME__OUTCOME_DENY) {
		runtime_denied(s, rep->reason); /* the fetcher's, durable */
		return;
	}
	if (rep->location[0] != '\0') {
		/* A redirect: the policy decides the next hop first. */
		if (http_get_next_hop(c->http, rep->location) < 0) {
			snprintf(c->error, sizeof(c->error),
			         "the fetcher sent a redirect that does not "
			         "parse");
			reply_unavailable(s);
			return;
		}
		decide_hop(s);
		return;
	}
	c->tool.status = TOOL_OK;
	c->tool.output_json = strdup(rep->output_json);
	answer_tool(s);
}

/* An allowed hop (policy.allow durable) goes to the fetcher. */
static void http_get_hop(struct job *s)
{
	Envelope env = AUTONOMY__ENVELOPE__INIT;
	Autonomy__HttpGetRequest req;
	Autonomy__Attr attrs[HTTP_HEADERS_MAX], *ap[HTTP_HEADERS_MAX];

	http_get_request(s->c.http, s->c.audit_id, &req, attrs, ap);
	env.body_case = AUTONOMY__ENVELOPE__BODY_HTTP_GET_REQUEST;
	env.http_get_request = &req;
	helperclient_call(fetcher, &env,
	                  (int)req.timeout_ms + POLICYD_FETCH_MARGIN_MS,
	                  http_get_done, s);
}

/* An allowed hop in a run without a fetcher: no domain is allowed, so
 * the AllowedDomains layer refuses it, with the record the fetcher would
 * have written (origin policyd: the fetcher does not exist). */
static void http_get_no_domains(struct job *s)
{
	struct call *c = &s->c;
	size_t n = 0;

	c->tool.status = TOOL_RUNTIME_DENY;
	snprintf(c->tool.reason, sizeof(c->tool.reason), "%s",
	         RUNTIME_NO_DOMAINS_REASON);
	s->a[n++] = (Autonomy__Attr)ATTR("layer", "allowed_domains");
	s->a[n++] = (Autonomy__Attr)ATTR("reason", c->tool.reason);
	s->a[n++] = (Autonomy__Attr)ATTR("url", c->http->u.canonical);
	s->a[n++] = (Autonomy__Attr)ATTR("hop", c->http->hopno);
	for (size_t i = 0; i < n; i++)
		s->ap[i] = &s->a[i];
	submit(s, "runtime.deny", n, runtime_deny_done);
}

/* mavproxy's answer to an allowed tool.mavlink.* call. */
static void mavlink_done(void *arg, const Envelope *reply, const char *err)
{
	const Autonomy__MavlinkReply *rep =
	    reply != NULL ? reply->mavlink_reply : NULL;
	struct job *s = arg;
	struct call *c = &s->c;

	if (rep == NULL ||
	    rep->outcome == AUTONOMY__OUTCOME__OUTCOME_UNAVAILABLE) {
		helper_unavailable(s, rep == NULL ? err : rep->error,
		                   "mavproxy could not answer");
		return;
	}
	if (rep->outcome == AUTONOMY__OUTCOME__OUTCOME_DENY) {
		runtime_denied(s, rep->reason); /* mavproxy's, durable */
		return;
	}
	if (rep->outcome == AUTONOMY__OUTCOME__OUTCOME_BAD_PARAMS) {
		c->tool.status = TOOL_BAD_PARAMS;
		snprintf(c->tool.reason, sizeof(c->tool.reason), "%s",
		         rep->error);
	} else {
		c->tool.status = TOOL_OK;
		c->tool.output_json = strdup(rep->output_json);
	}
	answer_tool(s);
}

static void mavlink_call(struct job *s)
{
	Envelope env = AUTONOMY__ENVELOPE__INIT;
	Autonomy__MavlinkRequest req = AUTONOMY__MAVLINK_REQUEST__INIT;

	req.audit_id = s->c.audit_id;
	req.kind = (char *)s->c.kind;
	req.params_json = (char *)s->c.params_text;
	env.body_case = AUTONOMY__ENVELOPE__BODY_MAVLINK_REQUEST;
	env.mavlink_request = &req;
	helperclient_call(mavproxy, &env, POLICYD_MAV_CALL_MS, mavlink_done, s);
}

/* The decision is durable (or cannot be): only now may the tool run. */
static void decision_done(struct wal_req *w, int ok, const char *err)
{
	struct job *s = w->arg;
	struct call *c = &s->c;

	if (!ok) {
		snprintf(c->error, sizeof(c->error),
		         "the decision could not be recorded: %s", err);
		reply_unavailable(s);
		return;
	}
	if (c->decision.effect != POLICY_ALLOW) {
		s->r.outcome = AUTONOMY__OUTCOME__OUTCOME_DENY;
		s->r.layer = "policy";
		if (c->http != NULL && c->http->hop > 0) {
			snprintf(c->reason, sizeof(c->reason),
			         "redirect (hop %u) to %.380s: %.500s",
			         c->http->hop, c->http->u.canonical,
			         c->decision.reason);
			s->r.reason = c->reason;
		}
		reply_call(s);
		return;
	}

	if (c->http != NULL && c->http->valid) {
		if (fetcher != NULL)
			http_get_hop(s);
		else
			http_get_no_domains(s);
		return;
	}
	if (c->mavlink && mavproxy != NULL) {
		mavlink_call(s);
		return;
	}
	if (c->http != NULL) {
		c->tool.status = TOOL_BAD_PARAMS;
		snprintf(c->tool.reason, sizeof(c->tool.reason), "%.250s",
		         c->http->error);
	} else {
		tool_run(c->kind, c->params, &c->tool);
	}
	if (c->tool.status == TOOL_RUNTIME_DENY) {
		s->a[0] = (Autonomy__Attr)ATTR("reason", c->tool.reason);
		s->ap[0] = &s->a[0];
		submit(s, "runtime.deny", 1, runtime_deny_done);
		return;
	}
	answer_tool(s);
}

/* The vehicle's live facts, from mavproxy, for context.runtime; the
 * environment is ours (the supervisor's flag), whatever mavproxy says. */
static void mavlink_facts_done(void *arg, const Envelope *reply,
                               const char *err)
{
	const Autonomy__MavlinkReply *rep =
	    reply != NULL ? reply->mavlink_reply : NULL;
	struct job *s = arg;
	struct call *c = &s->c;
	json_error_t je;

	if (rep == NULL || rep->outcome != AUTONOMY__OUTCOME__OUTCOME_ALLOW ||
	    (c->runtime = json_loads(rep->facts_json, JSON_REJECT_DUPLICATES,
	                             &je)) == NULL ||
	    !json_is_object(c->runtime) ||
	    json_object_set_new(c->runtime, "environment",
	                        json_string(mav_environment)) < 0) {
		snprintf(c->error, sizeof(c->error),
		         "the vehicle's facts are not available (%s): nothing "
		         "was decided",
		         rep == NULL     ? err
		         : rep->error[0] ? rep->error
		                         : "mavproxy sent no facts");
		reply_unavailable(s);
		return;
	}
	decide_hop(s);
}

static void mavlink_facts(struct job *s)
{
	Envelope env = AUTONOMY__ENVELOPE__INIT;
	Autonomy__MavlinkRequest req = AUTONOMY__MAVLINK_REQUEST__INIT;

	req.facts_only = 1;
	req.audit_id = s->c.audit_id;
	req.kind = (char *)s->c.kind;
	req.params_json = "";
	env.body_case = AUTONOMY__ENVELOPE__BODY_MAVLINK_REQUEST;
	env.mavlink_request = &req;
	helperclient_call(mavproxy, &env, POLICYD_MAV_FACTS_MS,
	                  mavlink_facts_done, s);
}

/* Decides one validated call and submits the decision record. Every
 * path that reached a decision names it (audit_id, kind, policy_ref,
 * policies). */
static void decide(struct job *s)
{
	struct call *c = &s->c;
	Autonomy__ToolResponse *r = &s->r;

	r->kind = (char *)c->kind;
	if (audit_id_new(c->audit_id) < 0) {
		r->outcome = AUTONOMY__OUTCOME__OUTCOME_UNAVAILABLE;
		r->error = "cannot make an audit id";
		reply_call(s);
		return;
	}
	r->audit_id = c->audit_id;
	if (strcmp(c->kind, "tool.http_get") == 0) {
		if ((c->http = malloc(sizeof(*c->http))) == NULL) {
			r->outcome = AUTONOMY__OUTCOME__OUTCOME_UNAVAILABLE;
			r->error = "out of memory";
			reply_call(s);
			return;
		}
		http_get_parse(c->params, c->http);
	}
	if (strncmp(c->kind, "tool.mavlink.", 13) == 0) {
		c->mavlink = 1;
		if (mavproxy != NULL) {
			mavlink_facts(s);
			return;
		}
	}
	decide_hop(s);
}

/* Decides the call (for tool.http_get: its current hop) and submits the
 * decision record. */
static void decide_hop(struct job *s)
{
	struct call *c = &s->c;
	struct policy_decision *d = &c->decision;
	Autonomy__ToolResponse *r = &s->r;
	struct policy_request preq;
	size_t off = 0, n;

	if (policy_request_for_tool(&preq, c->kind, c->params, NULL,
	                            c->runtime) < 0 ||
	    (c->http != NULL && c->http->valid &&
	     http_get_facts(&preq, c->http) < 0)) {
		policy_request_clear(&preq);
		r->outcome = AUTONOMY__OUTCOME__OUTCOME_UNAVAILABLE;
		r->error = "out of memory building the policy request";
		reply_call(s);
		return;
	}
	policy_decide(policies, &preq, d); /* a malformed one denies */
	snprintf(c->omitted, sizeof(c->omitted), "%s", preq.omitted);
	policy_request_clear(&preq);

	for (size_t i = 0; i < d->n_policies; i++) {
		s->policies[i] = d->policies[i];
		off += snprintf(c->policies_joined + off,
		                sizeof(c->policies_joined) - off, "%s%s",
		                i ? "," : "", d->policies[i]);
	}
	r->policies = s->policies;
	r->n_policies = d->n_policies;
	for (size_t i = 0; i < d->n_errors; i++)
		s->errors[i] = d->errors[i];
	r->errors = s->errors;
	r->n_errors = d->n_errors;
	r->policy_ref = d->policy_ref;
	r->reason = d->reason;

	sha256_hex(c->params_text, strlen(c->params_text), c->params_sha256);
	snprintf(c->params_bytes, sizeof(c->params_bytes), "%zu",
	         strlen(c->params_text));
	off = 0;
	for (size_t i = 0; i < d->n_errors && off < sizeof(c->errors_joined);
	     i++)
		off += snprintf(c->errors_joined + off,
		                sizeof(c->errors_joined) - off, "%s%s",
		                i ? "; " : "", d->errors[i]);
	n = 0;
	s->a[n++] = (Autonomy__Attr)ATTR("policy_ref", d->policy_ref);
	s->a[n++] = (Autonomy__Attr)ATTR("policies", c->policies_joined);
	s->a[n++] = (Autonomy__Attr)ATTR("reason", d->reason);
	s->a[n++] = (Autonomy__Attr)ATTR("params_sha256", c->params_sha256);
	s->a[n++] = (Autonomy__Attr)ATTR("params_bytes", c->params_bytes);
	/* a policy that errored is reported, not hidden; so are params
	 * the policy could not see */
	if (d->n_errors > 0)
		s->a[n++] = (Autonomy__Attr)ATTR("errors", c->errors_joined);
	if (c->omitted[0] != '\0')
		s->a[n++] = (Autonomy__Attr)ATTR("context_omitted", c->omitted);
	if (c->http != NULL && c->http->valid) {
		s->a[n++] = (Autonomy__Attr)ATTR("url", c->http->u.canonical);
		s->a[n++] = (Autonomy__Attr)ATTR("hop", c->http->hopno);
	}
	for (size_t i = 0; i < n; i++)
		s->ap[i] = &s->a[i];
	submit(s, d->effect == POLICY_ALLOW ? "policy.allow" : "policy.deny", n,
	       decision_done);
}

static void serve_tool_request(struct job *s, const Autonomy__ToolRequest *tr)
{
	char err[256];

	/* toolsrv checked both already; a compromised toolsrv did not. */
	if (!params_kind_valid(tr->kind)) {
		log_warnx("refused tool kind \"%.128s\"", tr->kind);
		job_refuse(s, "invalid tool kind");
		return;
	}
	s->c.kind = tr->kind;
	s->c.params_text = tr->params_json;
	s->c.params = params_parse(tr->params_json, strlen(tr->params_json),
	                           err, sizeof(err));
	if (s->c.params == NULL) {
		log_warnx("refused params for %s: %s", tr->kind, err);
		job_refuse(s, err);
		return;
	}
	if (json_object_get(s->c.params, "runtime") != NULL) {
		/* toolsrv answers this with a 400; it never gets here */
		log_warnx("refused params for %s: params.runtime", tr->kind);
		job_refuse(s, "params.runtime is reserved for the runtime");
		return;
	}
	if (strncmp(tr->kind, "tool.mavlink.", 13) == 0 &&
	    params_runtime_fact(s->c.params) != NULL) {
		/* toolsrv answers this with a 400 too */
		log_warnx("refused params for %s: params.%s", tr->kind,
		          params_runtime_fact(s->c.params));
		job_refuse(s, "params name a fact the runtime injects");
		return;
	}
	decide(s);
}

/* After the reply: the calls' state goes, the slot is fresh. */
static void slot_reset(struct slot *s)
{
	for (size_t i = 0; i < s->n; i++) {
		tool_result_clear(&s->jobs[i].c.tool);
		json_decref(s->jobs[i].c.params);
		json_decref(s->jobs[i].c.runtime);
		free(s->jobs[i].c.http);
	}
	s->jobs = &s->one; /* the pool stays: no allocation per batch */
	s->n = 0;
	s->batch = 0;
	envelope_free(s->req);
	s->req = NULL;
}

static void job_init(struct job *j, struct slot *s)
{
	memset(j, 0, sizeof(*j));
	j->slot = s;
	autonomy__tool_response__init(&j->r);
}

/* Starts the request's calls: one, or a batch's. */
static void serve(struct slot *s, int pid)
{
	const Autonomy__ToolBatch *b;
	Autonomy__ToolRequest **calls;
	struct job *jobs;
	size_t n;
	char err[256];

	attack_point(); /* test builds only: attack.h */
	if (s->req->body_case == AUTONOMY__ENVELOPE__BODY_TOOL_REQUEST) {
		s->n = 1;
		s->pending = 1;
		serve_tool_request(&s->one, s->req->tool_request);
		return;
	}
	if (s->req->body_case != AUTONOMY__ENVELOPE__BODY_TOOL_BATCH) {
		snprintf(err, sizeof(err),
		         "policyd serves ToolRequest and ToolBatch, not %s",
		         envelope_body_name(s->req));
		log_warnx("request from pid %d: %s", pid, err);
		reply_error(s, err);
		return;
	}
	b = s->req->tool_batch;
	if (s->pool == NULL &&
	    (s->pool = malloc(ENV_MAX_TOOL_BATCH * sizeof(*s->pool))) == NULL) {
		reply_error(s, "policyd: out of memory");
		return;
	}
	s->jobs = jobs = s->pool;
	s->batch = 1;
	s->n = b->n_calls;
	/* Every job counted before the first starts: none may finish the
	 * batch early. */
	s->pending = (unsigned)s->n;
	for (size_t i = 0; i < s->n; i++)
		job_init(&s->jobs[i], s);
	/* The last job to finish sends the reply, and once it is sent the
	 * slot (the request, b, s->n) is reset on another thread: this loop
	 * reads nothing of them after starting its last job. */
	n = s->n;
	calls = b->calls;
	for (size_t i = 0; i < n; i++)
		serve_tool_request(&jobs[i], calls[i]);
}

static void slot_cb(void *arg)
{
	struct slot *s = arg;
	int rv = nng_aio_result(s->aio), pid;
	char err[256];
	nng_msg *msg;

	if (s->sending) {
		s->sending = 0;
		if (rv != 0) {
			nng_msg_free(nng_aio_get_msg(s->aio));
			nng_aio_set_msg(s->aio, NULL);
			log_warnx("cannot send a reply: %s", nng_strerror(rv));
		}
		slot_reset(s);
		call_active(-1);
		if (rv != NNG_ECLOSED)
			nng_ctx_recv(s->ctx, s->aio);
		return;
	}
	if (rv != 0) {
		if (rv != NNG_ECLOSED) {
			log_warnx("receive: %s", nng_strerror(rv));
			nng_ctx_recv(s->ctx, s->aio);
		}
		return;
	}
	call_active(1);
	job_init(&s->one, s);
	s->jobs = &s->one;
	msg = nng_aio_get_msg(s->aio);
	nng_aio_set_msg(s->aio, NULL);
	s->req = ipc_msg_unpack(msg, &pid, err, sizeof(err));
	nng_msg_free(msg);
	if (s->req == NULL) {
		log_warnx("request from pid %d: %s", pid, err);
		reply_error(s, err);
		return;
	}
	serve(s, pid);
}

/* Things that would open files the first time they are used: do them
 * now, while open() is still allowed. */
static void warm_up(void)
{
	uint32_t seed;

	if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
		fatal("getrandom");
	json_object_seed(seed | 1); /* else jansson reads /dev/urandom */
	/* glibc sizes its malloc arenas from /sys/devices/system/cpu the
	 * first time a thread needs one, unless told a maximum. Best
	 * effort (sanitizer mallocs refuse it): the filter answers that
	 * open with EACCES, and glibc copes. */
	(void)mallopt(M_ARENA_MAX, POLICYD_MALLOC_ARENAS);
}

/* SIGTERM: toolsrv is stopped first, so no new call comes; the calls
 * in flight finish and their records reach walwriter before we go. */
static void drain(void)
{
	for (int waited = 0; waited < POLICYD_DRAIN_MS; waited += 5) {
		unsigned n;
		pthread_mutex_lock(&active_mu);
		n = active;
		pthread_mutex_unlock(&active_mu);
		if (n == 0 && walclient_pending(wal) == 0)
			return;
		nng_msleep(5);
	}
	log_warnx("stopping with calls still in flight");
}

static noreturn void usage(void)
{
	fprintf(stderr, "usage: policyd --rundir DIR --ready-fd N "
	                "[--bundle-fd M] [--mavlink-environment sitl|real] "
	                "[--no-fetcher]\n");
	exit(64);
}

static void parse_args(int argc, char **argv, const char **rundir,
                       int *ready_fd, int *bundle_fd)
{
	static const struct option opts[] = {
	    {"rundir", required_argument, NULL, 'r'},
	    {"ready-fd", required_argument, NULL, 'f'},
	    {"bundle-fd", required_argument, NULL, 'b'},
	    {"mavlink-environment", required_argument, NULL, 'm'},
	    {"no-fetcher", no_argument, NULL, 'n'},
	    {NULL, 0, NULL, 0},
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'r')
			*rundir = optarg;
		else if (ch == 'f' &&
		         (*ready_fd = helper_parse_fd(optarg)) >= 0)
			continue;
		else if (ch == 'b' &&
		         (*bundle_fd = helper_parse_fd(optarg)) >= 0)
			continue;
		else if (ch == 'm' && (strcmp(optarg, "sitl") == 0 ||
		                       strcmp(optarg, "real") == 0))
			mav_environment = optarg;
		else if (ch == 'n')
			no_fetcher = 1;
		else
			usage();
	}
	if (optind != argc || *rundir == NULL || *ready_fd < 0)
		usage();
}

/* The bundle the supervisor handed us on fd: read to its end (bounded),
 * validated again (the bytes are trusted no more than a file), made
 * the policy set. Any failure is fatal: policyd never falls back to
 * another policy. */
static const struct policy_set *bundle_from_fd(int fd)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap), err[BUNDLE_ERR_MAX];
	struct bundle *b;
	struct policy_set *set;
	ssize_t n;

	for (;;) {
		if (buf == NULL)
			fatalx("bundle: out of memory");
		if (len == cap) {
			if (cap >= BUNDLE_WIRE_MAX)
				fatalx("bundle on fd %d: over %zu bytes", fd,
				       (size_t)BUNDLE_WIRE_MAX);
			cap *= 2;
			buf = realloc(buf, cap);
			continue;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fatal("bundle fd %d", fd);
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if ((b = bundle_parse(buf, len, err, sizeof(err))) == NULL)
		fatalx("bundle from the supervisor: %s", err);
	free(buf);
	if ((set = bundle_policy_set(b, err, sizeof(err))) == NULL)
		fatalx("bundle %s: %s", b->policy_ref, err);
	log_debug("deciding with bundle %s (%s)", b->policy_ref, b->digest);
	bundle_free(b);
	return set;
}

int main(int argc, char **argv)
{
	static struct slot slots[POLICYD_SLOTS];
	const char *rundir = NULL;
	char url[128], walurl[128], fetchurl[128], mavurl[128], sockdir[128];
	nng_socket rep, walsock, fetchsock, mavsock;
	sigset_t stop;
	int ready_fd = -1, bundle_fd = -1, rv, sig, abi;

	helper_init("policyd");
	parse_args(argc, argv, &rundir, &ready_fd, &bundle_fd);
	attack_init(rundir);
	if (ipc_url(url, sizeof(url), rundir, IPC_POLICYD) < 0 ||
	    ipc_url(walurl, sizeof(walurl), rundir, IPC_WALWRITER) < 0 ||
	    ipc_url(fetchurl, sizeof(fetchurl), rundir, IPC_FETCHER) < 0 ||
	    ipc_url(mavurl, sizeof(mavurl), rundir, IPC_MAVPROXY) < 0 ||
	    (size_t)snprintf(sockdir, sizeof(sockdir), "%s/%s", rundir,
	                     IPC_DIR_POLICYD) >= sizeof(sockdir))
		fatalx("--rundir %s: path too long for a socket", rundir);

	/* Every thread (nng's too) inherits this mask; only the main
	 * thread takes SIGTERM/SIGINT, in sigwait() below. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	if (pthread_sigmask(SIG_BLOCK, &stop, NULL) != 0)
		fatalx("pthread_sigmask");

	warm_up();
	policies = bundle_fd >= 0 ? bundle_from_fd(bundle_fd) : policy_demo();
	/* Landlock before the first nng socket starts nng's threads: no
	 * file at all from here on, only our own socket to make. */
	if (confine_landlock(NULL, sockdir, &abi) < 0)
		fatalx("cannot confine policyd (Landlock)");
	if (ipc_listen_rep(&rep, url) < 0)
		fatalx("cannot listen on %s", url);
	if (ipc_dial_req(&walsock, walurl, POLICYD_WAL_TIMEOUT_MS) < 0)
		fatalx("cannot dial %s", walurl);
	if ((wal = walclient_open(walsock, POLICYD_WAL_INFLIGHT,
	                          POLICYD_WAL_TIMEOUT_MS)) == NULL)
		fatalx("cannot set up the WAL client");
	/* tool.http_get's hops go to the fetcher, if the run has one.
	 * Timeout 0: no wait for it to listen (nng redials in the
	 * background and a hop waits for the pipe); each hop's aio carries
	 * its own timeout. */
	if (!no_fetcher &&
	    (ipc_dial_req(&fetchsock, fetchurl, 0) < 0 ||
	     (fetcher = helperclient_open(
	          fetchsock, "fetcher", AUTONOMY__ENVELOPE__BODY_HTTP_GET_REPLY,
	          HELPER_DEADLINE_WHOLE)) == NULL))
		fatalx("cannot dial %s", fetchurl);
	/* tool.mavlink.* goes to mavproxy, when the run has a link; the
	 * same no-wait dial as the fetcher's */
	if (mav_environment != NULL &&
	    (ipc_dial_req(&mavsock, mavurl, 0) < 0 ||
	     (mavproxy = helperclient_open(
	          mavsock, "mavproxy", AUTONOMY__ENVELOPE__BODY_MAVLINK_REPLY,
	          HELPER_DEADLINE_EACH)) == NULL))
		fatalx("cannot dial %s", mavurl);
	for (int i = 0; i < POLICYD_SLOTS; i++)
		if ((rv = nng_ctx_open(&slots[i].ctx, rep)) != 0 ||
		    (rv = nng_aio_alloc(&slots[i].aio, slot_cb, &slots[i])) !=
		        0)
			fatalx("nng slot: %s", nng_strerror(rv));

	/* nng's threads exist by now (they start with the first socket),
	 * so the filter below covers them too. Nothing untrusted has been
	 * read yet: the slots start receiving only after it. */
	if (policyd_sandbox() < 0)
		fatalx("cannot confine policyd");
	for (int i = 0; i < POLICYD_SLOTS; i++)
		nng_ctx_recv(slots[i].ctx, slots[i].aio);
	/* Every thread we will have exists now. */
	if (confine_no_more_threads() < 0)
		fatalx("cannot confine policyd (NPROC)");

	helper_ready(ready_fd);
	log_debug("serving on %s", url);
	while (sigwait(&stop, &sig) != 0)
		;
	log_debug("signal %d: draining", sig);
	drain();
	/* _exit: nothing to flush (stderr is unbuffered), and exit()'s
	 * handlers would tear nng down under its own threads, which may
	 * still be finishing a peer's closed pipe. */
	_exit(0);
}
