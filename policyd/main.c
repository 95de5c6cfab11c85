/* policyd: decides every tool call, writes the decision ahead to the
 * WAL, and runs the tools that live here (DESIGN.md §2, §4).
 *
 *   policyd --rundir DIR --ready-fd N
 *
 * Listens (rep) on DIR/policyd.sock for ToolRequests from toolsrv and
 * dials (req) DIR/walwriter.sock. Each call: re-validate, audit id,
 * policy_decide(), policy.allow/deny appended and acknowledged, then the
 * tool and its tool.result (or runtime.deny). No ack, no action. */
#include <errno.h>
#include <malloc.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "envelope.h"
#include "helper.h"
#include "ipc.h"
#include "log.h"
#include "params.h"
#include "policy.h"
#include "sandbox.h"
#include "tools.h"
#include "walrec.h"

/* Calls in flight at once. walwriter group-commits, so throughput comes
 * from many calls waiting on one sync, each on its own pair of contexts. */
#define POLICYD_WORKERS 64
#define POLICYD_WAL_TIMEOUT_MS 5000
#define WORKER_STACK (1024 * 1024)
#define POLICYD_MALLOC_ARENAS 16

#define AUDIT_ID_LEN 37 /* UUID text + NUL */
#define SHA256_HEX (2 * SHA256_DIGEST_LENGTH + 1)

struct worker {
	pthread_t thread;
	nng_ctx rep; /* requests from toolsrv */
	nng_ctx wal; /* appends to walwriter */
	const struct policy_set *policies;
};

/* One tool call's state, so every reply path fills the same fields. */
struct call {
	const char *kind;
	const char *params_text;
	json_t *params;
	char audit_id[AUDIT_ID_LEN];
	char params_sha256[SHA256_HEX];
	char params_bytes[24];
	struct policy_decision decision;
	char policies_joined[POLICY_MAX_IDS * POLICY_MAX_ID_LEN];
	struct tool_result tool;
	char error[512];
};

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

static void sha256_hex(const void *data, size_t len, char out[SHA256_HEX])
{
	uint8_t md[SHA256_DIGEST_LENGTH];

	SHA256(data, len, md);
	walrec_hex(md, sizeof(md), out);
}

/* Appends one record and waits for walwriter's durable ack. 0 only on a
 * WalAck; anything else (Error, timeout, walwriter gone) is -1 with why
 * in err, and the caller must not act on the call. */
static int wal_append(struct worker *w, const struct call *c, const char *kind,
                      Autonomy__Attr **attrs, size_t n_attrs, char *err,
                      size_t errlen)
{
	Envelope req = AUTONOMY__ENVELOPE__INIT;
	Autonomy__WalAppend app = AUTONOMY__WAL_APPEND__INIT;
	Envelope *resp;
	char why[256];
	int rc = -1;

	app.audit_id = (char *)c->audit_id;
	app.kind = (char *)kind;
	app.tool = (char *)c->kind;
	app.attrs = attrs;
	app.n_attrs = n_attrs;
	req.body_case = AUTONOMY__ENVELOPE__BODY_WAL_APPEND;
	req.wal_append = &app;

	if (ipc_call(w->wal, &req, &resp, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "walwriter did not acknowledge %s: %s",
		         kind, why);
		return -1;
	}
	if (resp->body_case == AUTONOMY__ENVELOPE__BODY_WAL_ACK)
		rc = 0;
	else if (resp->body_case == AUTONOMY__ENVELOPE__BODY_ERROR)
		snprintf(err, errlen, "walwriter refused %s: %.300s", kind,
		         resp->error->message);
	else
		snprintf(err, errlen, "walwriter answered %s with %s", kind,
		         envelope_body_name(resp));
	envelope_free(resp);
	return rc;
}

#define ATTR(k, v)                                                             \
	{                                                                      \
		PROTOBUF_C_MESSAGE_INIT(&autonomy__attr__descriptor), k, v     \
	}

static int append_decision(struct worker *w, struct call *c)
{
	struct policy_decision *d = &c->decision;
	char errors[POLICY_MAX_ERRORS * POLICY_MAX_TEXT];
	size_t off = 0;
	Autonomy__Attr a[] = {
	    ATTR("policy_ref", d->policy_ref),
	    ATTR("policies", c->policies_joined),
	    ATTR("reason", d->reason),
	    ATTR("params_sha256", c->params_sha256),
	    ATTR("params_bytes", c->params_bytes),
	    ATTR("errors", errors),
	};
	Autonomy__Attr *ap[] = {&a[0], &a[1], &a[2], &a[3], &a[4], &a[5]};
	size_t n = 5;

	errors[0] = '\0';
	for (size_t i = 0; i < d->n_errors && off < sizeof(errors); i++)
		off += snprintf(errors + off, sizeof(errors) - off, "%s%s",
		                i ? "; " : "", d->errors[i]);
	if (d->n_errors > 0)
		n = 6; /* a policy that errored is reported, not hidden */
	return wal_append(
	    w, c, d->effect == POLICY_ALLOW ? "policy.allow" : "policy.deny",
	    ap, n, c->error, sizeof(c->error));
}

static int append_runtime_deny(struct worker *w, struct call *c)
{
	Autonomy__Attr a[] = {ATTR("reason", c->tool.reason)};
	Autonomy__Attr *ap[] = {&a[0]};

	return wal_append(w, c, "runtime.deny", ap, 1, c->error,
	                  sizeof(c->error));
}

static int append_tool_result(struct worker *w, struct call *c)
{
	const char *out = c->tool.output_json ? c->tool.output_json : "";
	char bytes[24], sha[SHA256_HEX];
	Autonomy__Attr a[] = {
	    ATTR("status", (char *)tool_status_name(c->tool.status)),
	    ATTR("output_bytes", bytes),
	    ATTR("output_sha256", sha),
	};
	Autonomy__Attr *ap[] = {&a[0], &a[1], &a[2]};

	snprintf(bytes, sizeof(bytes), "%zu", strlen(out));
	sha256_hex(out, strlen(out), sha);
	return wal_append(w, c, "tool.result", ap, 3, c->error,
	                  sizeof(c->error));
}

/* Decides and runs one validated call, filling r. Every path that
 * reached a decision names it (audit_id, kind, policy_ref, policies). */
static void run_call(struct worker *w, struct call *c,
                     Autonomy__ToolResponse *r, char **policies)
{
	struct policy_request preq;
	struct policy_decision *d = &c->decision;
	size_t off = 0;

	r->kind = (char *)c->kind;
	if (audit_id_new(c->audit_id) < 0) {
		r->outcome = AUTONOMY__OUTCOME__OUTCOME_UNAVAILABLE;
		r->error = "cannot make an audit id";
		return;
	}
	r->audit_id = c->audit_id;

	if (policy_request_for_tool(&preq, c->kind, c->params) < 0) {
		r->outcome = AUTONOMY__OUTCOME__OUTCOME_UNAVAILABLE;
		r->error = "out of memory building the policy request";
		return;
	}
	policy_decide(w->policies, &preq, d); /* a malformed one denies */
	policy_request_clear(&preq);

	for (size_t i = 0; i < d->n_policies; i++) {
		policies[i] = d->policies[i];
		off += snprintf(c->policies_joined + off,
		                sizeof(c->policies_joined) - off, "%s%s",
		                i ? "," : "", d->policies[i]);
	}
	r->policies = policies;
	r->n_policies = d->n_policies;
	r->policy_ref = d->policy_ref;
	r->reason = d->reason;

	sha256_hex(c->params_text, strlen(c->params_text), c->params_sha256);
	snprintf(c->params_bytes, sizeof(c->params_bytes), "%zu",
	         strlen(c->params_text));
	if (append_decision(w, c) < 0)
		goto unavailable;

	if (d->effect != POLICY_ALLOW) {
		r->outcome = AUTONOMY__OUTCOME__OUTCOME_DENY;
		r->layer = "policy";
		return;
	}

	tool_run(c->kind, c->params, &c->tool);
	if (c->tool.status == TOOL_RUNTIME_DENY) {
		if (append_runtime_deny(w, c) < 0)
			goto unavailable;
		r->outcome = AUTONOMY__OUTCOME__OUTCOME_DENY;
		r->layer = "runtime";
		r->reason = c->tool.reason;
		return;
	}
	if (append_tool_result(w, c) < 0)
		goto unavailable;
	if (c->tool.status == TOOL_BAD_PARAMS) {
		r->outcome = AUTONOMY__OUTCOME__OUTCOME_BAD_PARAMS;
		r->error = c->tool.reason;
		return;
	}
	r->outcome = AUTONOMY__OUTCOME__OUTCOME_ALLOW;
	r->output_json = c->tool.output_json;
	return;

unavailable:
	log_warnx("call %s (%s): %s", c->audit_id, c->kind, c->error);
	r->outcome = AUTONOMY__OUTCOME__OUTCOME_UNAVAILABLE;
	r->error = c->error;
}

static void serve_tool_request(struct worker *w,
                               const Autonomy__ToolRequest *tr)
{
	Envelope env = AUTONOMY__ENVELOPE__INIT;
	Autonomy__ToolResponse r = AUTONOMY__TOOL_RESPONSE__INIT;
	char *policies[POLICY_MAX_IDS];
	struct call *c;
	char err[256];

	/* toolsrv checked both already; a compromised toolsrv did not. */
	if (!params_kind_valid(tr->kind)) {
		log_warnx("refused tool kind \"%.128s\"", tr->kind);
		ipc_reply_error(w->rep, "invalid tool kind");
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		ipc_reply_error(w->rep, "policyd: out of memory");
		return;
	}
	c->kind = tr->kind;
	c->params_text = tr->params_json;
	c->params = params_parse(tr->params_json, strlen(tr->params_json), err,
	                         sizeof(err));
	if (c->params == NULL) {
		log_warnx("refused params for %s: %s", tr->kind, err);
		ipc_reply_error(w->rep, err);
		free(c);
		return;
	}

	run_call(w, c, &r, policies);
	env.body_case = AUTONOMY__ENVELOPE__BODY_TOOL_RESPONSE;
	env.tool_response = &r;
	if (ipc_reply(w->rep, &env) < 0)
		log_warnx("call %s: cannot send the reply", c->audit_id);

	tool_result_clear(&c->tool);
	json_decref(c->params);
	free(c);
}

/* Workers start before confinement (so thread creation, and whatever a
 * sanitizer runtime does in a new thread, happens while it still may)
 * but read nothing until main() has confined the process. */
static pthread_barrier_t confined;

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	char err[256];

	pthread_barrier_wait(&confined);
	for (;;) {
		Envelope *req;
		int pid, closed;

		if (ipc_recv(w->rep, &req, &pid, &closed, err, sizeof(err)) <
		    0) {
			if (closed)
				return NULL;
			log_warnx("request from pid %d: %s", pid, err);
			ipc_reply_error(w->rep, err);
			continue;
		}
		if (req->body_case == AUTONOMY__ENVELOPE__BODY_TOOL_REQUEST) {
			serve_tool_request(w, req->tool_request);
		} else {
			snprintf(err, sizeof(err),
			         "policyd serves ToolRequest, not %s",
			         envelope_body_name(req));
			log_warnx("request from pid %d: %s", pid, err);
			ipc_reply_error(w->rep, err);
		}
		envelope_free(req);
	}
}

/* Things that would open files the first time they are used: do them
 * now, while open() is still allowed. */
static void warm_up(void)
{
	uint32_t seed;
	char hex[SHA256_HEX];

	if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
		fatal("getrandom");
	json_object_seed(seed | 1); /* else jansson reads /dev/urandom */
	sha256_hex("", 0, hex);     /* OpenSSL loads its config once */
	/* glibc sizes its malloc arenas from /sys/devices/system/cpu the
	 * first time a thread needs one, unless told a maximum. Best
	 * effort (sanitizer mallocs refuse it): the filter answers that
	 * open with EACCES, and glibc copes. */
	(void)mallopt(M_ARENA_MAX, POLICYD_MALLOC_ARENAS);
}

int main(int argc, char **argv)
{
	static struct worker workers[POLICYD_WORKERS];
	const char *rundir = NULL;
	char url[128], walurl[128];
	nng_socket rep, wal;
	pthread_attr_t attr;
	int ready_fd = -1, rv;

	helper_init("policyd");
	helper_parse_args(argc, argv, &rundir, &ready_fd);
	if (ipc_url(url, sizeof(url), rundir, IPC_POLICYD) < 0 ||
	    ipc_url(walurl, sizeof(walurl), rundir, IPC_WALWRITER) < 0)
		fatalx("--rundir %s: path too long for a socket", rundir);

	warm_up();
	if (ipc_listen_rep(&rep, url) < 0)
		fatalx("cannot listen on %s", url);
	if (ipc_dial_req(&wal, walurl, POLICYD_WAL_TIMEOUT_MS) < 0)
		fatalx("cannot dial %s", walurl);
	for (int i = 0; i < POLICYD_WORKERS; i++) {
		workers[i].policies = policy_demo();
		if ((rv = nng_ctx_open(&workers[i].rep, rep)) != 0 ||
		    (rv = nng_ctx_open(&workers[i].wal, wal)) != 0)
			fatalx("nng_ctx_open: %s", nng_strerror(rv));
	}

	if (pthread_barrier_init(&confined, NULL, POLICYD_WORKERS + 1) != 0 ||
	    pthread_attr_init(&attr) != 0 ||
	    pthread_attr_setstacksize(&attr, WORKER_STACK) != 0)
		fatalx("pthread attributes");
	for (int i = 0; i < POLICYD_WORKERS; i++)
		if ((rv = pthread_create(&workers[i].thread, &attr, worker_main,
		                         &workers[i])) != 0)
			fatalx("pthread_create: %s", strerror(rv));
	pthread_attr_destroy(&attr);

	if (policyd_sandbox() < 0)
		fatalx("cannot confine policyd");
	pthread_barrier_wait(&confined);

	helper_ready(ready_fd);
	log_debug("serving on %s", url);
	for (int i = 0; i < POLICYD_WORKERS; i++)
		pthread_join(workers[i].thread, NULL);
	return 0;
}
