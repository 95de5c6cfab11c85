/* The real policyd binary between a req client (standing in for toolsrv)
 * and a fake walwriter that records every append: decisions are written
 * ahead and acknowledged before anything runs, and no ack means no
 * action. argv[1] is the policyd binary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include <cmocka.h>

#include "harness.h"
#include "ipc.h"
#include "sha256.h"

static const char *policyd_bin;

static int setup(void **state)
{
	return (*state = harness_fixture_up(policyd_bin, IPC_POLICYD)) ? 0 : -1;
}

static int teardown(void **state)
{
	return harness_fixture_down(*state);
}

/* One ToolRequest; returns the ToolResponse envelope (or an Error). */
static Envelope *call(struct helper_fixture *f, const char *kind,
                      const char *params)
{
	Envelope req = AUTONOMY__ENVELOPE__INIT;
	Autonomy__ToolRequest tr = AUTONOMY__TOOL_REQUEST__INIT;
	Envelope *resp = NULL;
	char err[256];

	tr.kind = (char *)kind;
	tr.params_json = (char *)params;
	req.body_case = AUTONOMY__ENVELOPE__BODY_TOOL_REQUEST;
	req.tool_request = &tr;
	if (ipc_call_sock(f->client, &req, &resp, err, sizeof(err)) < 0)
		fail_msg("call %s: %s", kind, err);
	return resp;
}

static Autonomy__ToolResponse *tool_response(Envelope *e)
{
	if (e->body_case != AUTONOMY__ENVELOPE__BODY_TOOL_RESPONSE)
		fail_msg(
		    "expected ToolResponse, got %s%s%s", envelope_body_name(e),
		    e->body_case == AUTONOMY__ENVELOPE__BODY_ERROR ? ": " : "",
		    e->body_case == AUTONOMY__ENVELOPE__BODY_ERROR
		        ? e->error->message
		        : "");
	return e->tool_response;
}

static void assert_uuid4(const char *id)
{
	assert_int_equal(strlen(id), 36);
	assert_int_equal(id[8], '-');
	assert_int_equal(id[14], '4');
	assert_non_null(strchr("89ab", id[19]));
}

static void assert_demo_allow(const Autonomy__ToolResponse *r, const char *kind)
{
	assert_uuid4(r->audit_id);
	assert_string_equal(r->kind, kind);
	assert_string_equal(r->policy_ref, "demo@0.1.0");
	assert_int_equal(r->n_policies, 1);
	assert_string_equal(r->policies[0], "demo-allow-tools");
}

static void test_echo_allowed_and_recorded(void **state)
{
	struct helper_fixture *f = *state;
	const char *params = "{\"msg\":\"hi\",\"n\":[1,2.5,{\"x\":null}]}";
	const Autonomy__WalAppend *a;
	Autonomy__ToolResponse *r;
	char sha[SHA256_HEX_LEN], bytes[16];
	Envelope *e = call(f, "tool.echo", params);

	r = tool_response(e);
	assert_int_equal(r->outcome, AUTONOMY__OUTCOME__OUTCOME_ALLOW);
	assert_demo_allow(r, "tool.echo");
	assert_string_equal(r->output_json, params);

	/* The decision was durable before the reply; tool.result follows
	 * it (written once the answer is on its way). */
	assert_int_equal(fake_wal_wait_count(f->wal, 2, 5000), 0);
	assert_int_equal(fake_wal_count(f->wal), 2);
	a = fake_wal_get(f->wal, 0);
	assert_string_equal(a->kind, "policy.allow");
	assert_string_equal(a->audit_id, r->audit_id);
	assert_string_equal(a->tool, "tool.echo");
	assert_string_equal(wal_attr(a, "policy_ref"), "demo@0.1.0");
	assert_string_equal(wal_attr(a, "policies"), "demo-allow-tools");
	assert_string_equal(wal_attr(a, "reason"),
	                    "permitted by policy \"demo-allow-tools\"");
	sha256_hex(params, strlen(params), sha);
	assert_string_equal(wal_attr(a, "params_sha256"), sha);
	snprintf(bytes, sizeof(bytes), "%zu", strlen(params));
	assert_string_equal(wal_attr(a, "params_bytes"), bytes);
	/* 2.5 and null have no Cedar form: the policy did not see them,
	 * and the record says so */
	assert_string_equal(wal_attr(a, "context_omitted"), "n[1],n[2].x");

	a = fake_wal_get(f->wal, 1);
	assert_string_equal(a->kind, "tool.result");
	assert_string_equal(a->audit_id, r->audit_id);
	assert_string_equal(wal_attr(a, "status"), "ok");
	assert_string_equal(wal_attr(a, "output_bytes"), bytes);
	assert_string_equal(wal_attr(a, "output_sha256"), sha);
	envelope_free(e);

	/* Every call gets its own audit id. */
	e = call(f, "tool.echo", "{}");
	r = tool_response(e);
	assert_int_equal(r->outcome, AUTONOMY__OUTCOME__OUTCOME_ALLOW);
	assert_string_not_equal(r->audit_id, fake_wal_get(f->wal, 0)->audit_id);
	assert_string_equal(r->output_json, "{}");
	envelope_free(e);
}

static void test_deny_recorded(void **state)
{
	struct helper_fixture *f = *state;
	const Autonomy__WalAppend *a;
	Autonomy__ToolResponse *r;
	Envelope *e = call(f, "tool.shell", "{\"cmd\":\"rm -rf /\"}");

	r = tool_response(e);
	assert_int_equal(r->outcome, AUTONOMY__OUTCOME__OUTCOME_DENY);
	assert_string_equal(r->layer, "policy");
	assert_string_equal(
	    r->reason,
	    "no policy permits Action::\"tool.shell\" (default deny)");
	assert_uuid4(r->audit_id);
	assert_string_equal(r->kind, "tool.shell");
	assert_string_equal(r->policy_ref, "demo@0.1.0");
	assert_int_equal(r->n_policies, 0);
	assert_string_equal(r->output_json, "");

	assert_int_equal(fake_wal_count(f->wal), 1);
	a = fake_wal_get(f->wal, 0);
	assert_string_equal(a->kind, "policy.deny");
	assert_string_equal(a->audit_id, r->audit_id);
	assert_string_equal(wal_attr(a, "policies"), "");
	assert_string_equal(wal_attr(a, "reason"), r->reason);
	envelope_free(e);
}

/* tool.http_get's params are checked once the decision is durable (the
 * fetcher's hops are tested end to end in test_http_get.py): a call
 * without an endpoint is allowed, then a 400 that never reaches the
 * fetcher. */
static void test_http_get_bad_params(void **state)
{
	struct helper_fixture *f = *state;
	Autonomy__ToolResponse *r;
	Envelope *e = call(f, "tool.http_get", "{\"url\":\"https://x.test\"}");

	r = tool_response(e);
	assert_int_equal(r->outcome, AUTONOMY__OUTCOME__OUTCOME_BAD_PARAMS);
	assert_non_null(strstr(r->error, "unknown param \"url\""));
	assert_demo_allow(r, "tool.http_get");
	assert_string_equal(fake_wal_get(f->wal, 0)->kind, "policy.allow");
	assert_string_equal(fake_wal_get(f->wal, 0)->audit_id, r->audit_id);
	assert_int_equal(fake_wal_wait_count(f->wal, 2, 5000), 0);
	assert_string_equal(fake_wal_get(f->wal, 1)->kind, "tool.result");
	assert_string_equal(wal_attr(fake_wal_get(f->wal, 1), "status"),
	                    "bad_params");
	envelope_free(e);

	e = call(f, "tool.http_get", "{\"endpoint\":\"ftp://x.test/\"}");
	r = tool_response(e);
	assert_int_equal(r->outcome, AUTONOMY__OUTCOME__OUTCOME_BAD_PARAMS);
	assert_non_null(strstr(r->error, "only http:// and https://"));
	envelope_free(e);
}

static void test_echo_bad_params(void **state)
{
	struct helper_fixture *f = *state;
	enum { big = 70000 };
	static char params[big + 16];
	char deep[64];
	const Autonomy__WalAppend *a;
	Autonomy__ToolResponse *r;
	Envelope *e;
	int n;

	n = sprintf(params, "{\"s\":\"");
	memset(params + n, 'a', big);
	strcpy(params + n + big, "\"}");
	e = call(f, "tool.echo", params);
	r = tool_response(e);
	assert_int_equal(r->outcome, AUTONOMY__OUTCOME__OUTCOME_BAD_PARAMS);
	assert_demo_allow(r, "tool.echo");
	assert_non_null(strstr(r->error, "65536"));
	assert_string_equal(r->output_json, "");
	a = fake_wal_find(f->wal, "policy.allow");
	assert_non_null(a);
	assert_string_equal(a->audit_id, r->audit_id);
	assert_int_equal(fake_wal_wait_count(f->wal, 2, 5000), 0);
	a = fake_wal_find(f->wal, "tool.result");
	assert_non_null(a);
	assert_string_equal(a->audit_id, r->audit_id);
	assert_string_equal(wal_attr(a, "status"), "bad_params");
	assert_string_equal(wal_attr(a, "output_bytes"), "0");
	envelope_free(e);

	/* 17 levels: {"a":[[[...]]]} */
	n = sprintf(deep, "{\"a\":");
	for (int i = 0; i < 16; i++)
		deep[n++] = '[';
	for (int i = 0; i < 16; i++)
		deep[n++] = ']';
	strcpy(deep + n, "}");
	e = call(f, "tool.echo", deep);
	r = tool_response(e);
	assert_int_equal(r->outcome, AUTONOMY__OUTCOME__OUTCOME_BAD_PARAMS);
	assert_non_null(strstr(r->error, "16"));
	envelope_free(e);
}

/* tool.result goes to walwriter after the answer. On SIGTERM policyd
 * waits for its records still in flight before it exits, so a run's last
 * results are in the WAL before the supervisor writes run.end. */
static void test_sigterm_drains_results(void **state)
{
	struct helper_fixture *f = *state;
	Autonomy__ToolResponse *r;
	Envelope *e;
	int status;

	fake_wal_set_mode(f->wal, FAKE_WAL_SLOW);
	e = call(f, "tool.echo", "{\"a\":1}");
	r = tool_response(e);
	assert_int_equal(r->outcome, AUTONOMY__OUTCOME__OUTCOME_ALLOW);
	envelope_free(e);
	/* the decision was answered; the result's ack is FAKE_WAL_SLOW_MS
	 * away when the signal arrives */
	assert_int_equal(fake_wal_answered(f->wal), 1);
	status = harness_stop_helper(f->pid);
	f->pid = -1;
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(fake_wal_count_kind(f->wal, "tool.result", NULL), 1);
	assert_int_equal(fake_wal_answered(f->wal), 2);
}

/* A ToolBatch: each call decided and recorded on its own, all answered
 * together and in order; a malformed call is refused alone. */
static void test_batch(void **state)
{
	struct helper_fixture *f = *state;
	static const char *const kinds[] = {"tool.echo", "tool.shell",
	                                    "Tool.Echo", "tool.echo"};
	static const char *const params[] = {"{\"i\":1}", "{}", "{}",
	                                     "{\"runtime\":{}}"};
	Autonomy__ToolRequest tr[4], *trp[4];
	Autonomy__ToolBatch b = AUTONOMY__TOOL_BATCH__INIT;
	Envelope req = AUTONOMY__ENVELOPE__INIT, *resp = NULL;
	Autonomy__ToolResponse **r;
	char err[256];

	for (int i = 0; i < 4; i++) {
		autonomy__tool_request__init(&tr[i]);
		tr[i].kind = (char *)kinds[i];
		tr[i].params_json = (char *)params[i];
		trp[i] = &tr[i];
	}
	b.n_calls = 4;
	b.calls = trp;
	req.body_case = AUTONOMY__ENVELOPE__BODY_TOOL_BATCH;
	req.tool_batch = &b;
	if (ipc_call_sock(f->client, &req, &resp, err, sizeof(err)) < 0)
		fail_msg("batch: %s", err);
	assert_int_equal(resp->body_case,
	                 AUTONOMY__ENVELOPE__BODY_TOOL_BATCH_REPLY);
	assert_int_equal(resp->tool_batch_reply->n_responses, 4);
	r = resp->tool_batch_reply->responses;
	assert_int_equal(r[0]->outcome, AUTONOMY__OUTCOME__OUTCOME_ALLOW);
	assert_string_equal(r[0]->output_json, "{\"i\":1}");
	assert_int_equal(r[1]->outcome, AUTONOMY__OUTCOME__OUTCOME_DENY);
	assert_string_equal(r[1]->kind, "tool.shell");
	assert_string_not_equal(r[0]->audit_id, r[1]->audit_id);
	assert_int_equal(r[2]->outcome, AUTONOMY__OUTCOME__OUTCOME_UNAVAILABLE);
	assert_string_equal(r[2]->error, "invalid tool kind");
	assert_string_equal(r[2]->audit_id, "");
	assert_int_equal(r[3]->outcome, AUTONOMY__OUTCOME__OUTCOME_UNAVAILABLE);
	assert_non_null(strstr(r[3]->error, "params.runtime"));
	assert_int_equal(
	    fake_wal_count_kind(f->wal, "policy.allow", r[0]->audit_id), 1);
	assert_int_equal(
	    fake_wal_count_kind(f->wal, "policy.deny", r[1]->audit_id), 1);
	assert_int_equal(fake_wal_wait_count(f->wal, 3, 5000), 0);
	assert_int_equal(
	    fake_wal_count_kind(f->wal, "tool.result", r[0]->audit_id), 1);
	envelope_free(resp);
	assert_int_equal(fake_wal_count(f->wal),
	                 3); /* refusals record nothing */
}

/* A batch whose calls are all refused is answered by its last refusal,
 * from inside the loop that starts the calls; the reply frees the
 * request on another thread, so that loop must not read it again
 * (under ASan a use after free there is caught). Many rounds, to give
 * the race a chance. */
static void test_batch_all_refused(void **state)
{
	struct helper_fixture *f = *state;
	Autonomy__ToolRequest tr[ENV_MAX_TOOL_BATCH], *trp[ENV_MAX_TOOL_BATCH];
	Autonomy__ToolBatch b = AUTONOMY__TOOL_BATCH__INIT;
	Envelope req = AUTONOMY__ENVELOPE__INIT, *resp = NULL;
	char err[256];

	for (int i = 0; i < ENV_MAX_TOOL_BATCH; i++) {
		autonomy__tool_request__init(&tr[i]);
		tr[i].kind = "Not.A.Kind";
		tr[i].params_json = "{}";
		trp[i] = &tr[i];
	}
	b.n_calls = ENV_MAX_TOOL_BATCH;
	b.calls = trp;
	req.body_case = AUTONOMY__ENVELOPE__BODY_TOOL_BATCH;
	req.tool_batch = &b;
	for (int round = 0; round < 300; round++) {
		if (ipc_call_sock(f->client, &req, &resp, err, sizeof(err)) < 0)
			fail_msg("round %d: %s", round, err);
		assert_int_equal(resp->body_case,
		                 AUTONOMY__ENVELOPE__BODY_TOOL_BATCH_REPLY);
		assert_int_equal(resp->tool_batch_reply->n_responses,
		                 ENV_MAX_TOOL_BATCH);
		assert_int_equal(resp->tool_batch_reply->responses[15]->outcome,
		                 AUTONOMY__OUTCOME__OUTCOME_UNAVAILABLE);
		envelope_free(resp);
	}
	assert_int_equal(fake_wal_count(f->wal), 0);
}

static void test_wal_error_fails_closed(void **state)
{
	struct helper_fixture *f = *state;
	Autonomy__ToolResponse *r;
	Envelope *e;

	fake_wal_set_mode(f->wal, FAKE_WAL_ERROR);
	e = call(f, "tool.echo", "{\"a\":1}");
	r = tool_response(e);
	assert_int_equal(r->outcome, AUTONOMY__OUTCOME__OUTCOME_UNAVAILABLE);
	assert_non_null(strstr(r->error, "disk on fire"));
	assert_string_equal(r->output_json, "");
	/* The decision was offered, refused, and nothing ran after it. */
	assert_int_equal(fake_wal_count(f->wal), 1);
	assert_string_equal(fake_wal_get(f->wal, 0)->kind, "policy.allow");
	assert_int_equal(fake_wal_count_kind(f->wal, "tool.result", NULL), 0);
	envelope_free(e);

	/* An http_get whose decision is not durable gets no runtime step. */
	e = call(f, "tool.http_get", "{}");
	r = tool_response(e);
	assert_int_equal(r->outcome, AUTONOMY__OUTCOME__OUTCOME_UNAVAILABLE);
	assert_int_equal(fake_wal_count_kind(f->wal, "runtime.deny", NULL), 0);
	envelope_free(e);
}

static void test_wal_silent_fails_closed(void **state)
{
	struct helper_fixture *f = *state;
	Autonomy__ToolResponse *r;
	struct timespec t0, t1;
	Envelope *e;

	fake_wal_set_mode(f->wal, FAKE_WAL_SILENT);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	e = call(f, "tool.echo", "{\"a\":1}");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	r = tool_response(e);
	assert_int_equal(r->outcome, AUTONOMY__OUTCOME__OUTCOME_UNAVAILABLE);
	assert_non_null(strstr(r->error, "walwriter"));
	assert_string_equal(r->output_json, "");
	assert_true(t1.tv_sec - t0.tv_sec >= 4); /* it did wait for the ack */
	assert_int_equal(fake_wal_count_kind(f->wal, "tool.result", NULL), 0);
	envelope_free(e);

	/* Once walwriter answers again, calls go through. */
	fake_wal_set_mode(f->wal, FAKE_WAL_ACK);
	e = call(f, "tool.echo", "{\"a\":2}");
	r = tool_response(e);
	assert_int_equal(r->outcome, AUTONOMY__OUTCOME__OUTCOME_ALLOW);
	assert_string_equal(r->output_json, "{\"a\":2}");
	envelope_free(e);
}

static Envelope *raw_call(struct helper_fixture *f, const void *buf, size_t len)
{
	nng_msg *msg;
	Envelope *e;
	char err[256];

	assert_int_equal(nng_send(f->client, (void *)buf, len, 0), 0);
	assert_int_equal(nng_recvmsg(f->client, &msg, 0), 0);
	e = envelope_unpack(nng_msg_body(msg), nng_msg_len(msg), err,
	                    sizeof(err));
	nng_msg_free(msg);
	if (e == NULL)
		fail_msg("reply: %s", err);
	return e;
}

static void assert_error(Envelope *e, const char *needle)
{
	if (e->body_case != AUTONOMY__ENVELOPE__BODY_ERROR)
		fail_msg("expected Error, got %s", envelope_body_name(e));
	if (needle != NULL && strstr(e->error->message, needle) == NULL)
		fail_msg("error \"%s\" does not mention \"%s\"",
		         e->error->message, needle);
	envelope_free(e);
}

static void test_malformed_requests(void **state)
{
	struct helper_fixture *f = *state;
	static const uint8_t garbage[] = {0xff, 0xff, 0xff, 0x07, 0x01};
	Envelope req = AUTONOMY__ENVELOPE__INIT;
	Autonomy__WaitRequest wr = AUTONOMY__WAIT_REQUEST__INIT;
	Envelope *e;
	char err[256];

	assert_error(raw_call(f, garbage, sizeof(garbage)), NULL);

	/* A well-formed envelope with the wrong body. */
	wr.pid = 1234;
	req.body_case = AUTONOMY__ENVELOPE__BODY_WAIT_REQUEST;
	req.wait_request = &wr;
	assert_int_equal(ipc_call_sock(f->client, &req, &e, err, sizeof(err)),
	                 0);
	assert_error(e, "ToolRequest");

	/* What a compromised toolsrv could forward. */
	assert_error(call(f, "Tool.Echo", "{}"), "kind");
	assert_error(call(f, "tool.echo;rm", "{}"), "kind");
	assert_error(call(f, "tool.echo", "[1,2]"), "object");
	assert_error(call(f, "tool.echo", "{\"a\":1,\"a\":2}"), "JSON");
	assert_error(call(f, "tool.echo", "{\"a\":1} trailing"), "JSON");
	assert_int_equal(fake_wal_count(f->wal), 0);

	/* And policyd still serves. */
	e = call(f, "tool.echo", "{\"ok\":true}");
	assert_int_equal(tool_response(e)->outcome,
	                 AUTONOMY__OUTCOME__OUTCOME_ALLOW);
	envelope_free(e);
}

static void test_confined(void **state)
{
	struct helper_fixture *f = *state;

	assert_true(harness_status_has(f->pid, "NoNewPrivs:\t1"));
	assert_true(harness_status_has(f->pid, "Seccomp:\t2"));
	assert_true(harness_status_has(f->pid, "CapEff:\t0000000000000000"));
	assert_true(harness_status_has(f->pid, "CapBnd:\t0000000000000000") ||
	            !harness_status_has(f->pid, "CapPrm:\t0000000000000000"));
}

/* Many clients at once: each call gets a distinct audit id and exactly
 * its own two records. */
#define PAR_THREADS 8
#define PAR_CALLS 50

struct par_arg {
	struct helper_fixture *f;
	int failures;
};

static void *par_main(void *arg)
{
	struct par_arg *p = arg;
	nng_socket s;
	char params[64], err[256];

	if (harness_dial(p->f->rundir, IPC_POLICYD, 20000, &s) < 0) {
		p->failures = PAR_CALLS;
		return NULL;
	}
	for (int i = 0; i < PAR_CALLS; i++) {
		Envelope req = AUTONOMY__ENVELOPE__INIT;
		Autonomy__ToolRequest tr = AUTONOMY__TOOL_REQUEST__INIT;
		Envelope *resp;

		snprintf(params, sizeof(params), "{\"i\":%d}", i);
		tr.kind = "tool.echo";
		tr.params_json = params;
		req.body_case = AUTONOMY__ENVELOPE__BODY_TOOL_REQUEST;
		req.tool_request = &tr;
		if (ipc_call_sock(s, &req, &resp, err, sizeof(err)) < 0 ||
		    resp->body_case != AUTONOMY__ENVELOPE__BODY_TOOL_RESPONSE ||
		    resp->tool_response->outcome !=
		        AUTONOMY__OUTCOME__OUTCOME_ALLOW ||
		    strcmp(resp->tool_response->output_json, params) != 0 ||
		    fake_wal_count_kind(p->f->wal, "policy.allow",
		                        resp->tool_response->audit_id) != 1)
			p->failures++;
		envelope_free(resp);
	}
	nng_close(s);
	return NULL;
}

static void test_concurrent_calls(void **state)
{
	struct helper_fixture *f = *state;
	pthread_t t[PAR_THREADS];
	struct par_arg args[PAR_THREADS];

	for (int i = 0; i < PAR_THREADS; i++) {
		args[i].f = f;
		args[i].failures = 0;
		assert_int_equal(
		    pthread_create(&t[i], NULL, par_main, &args[i]), 0);
	}
	for (int i = 0; i < PAR_THREADS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(args[i].failures, 0);
	}
	assert_int_equal(
	    fake_wal_wait_count(f->wal, 2 * PAR_THREADS * PAR_CALLS, 10000), 0);
	assert_int_equal(fake_wal_count(f->wal), 2 * PAR_THREADS * PAR_CALLS);
	/* ... and each decision has exactly one result under its id */
	for (size_t i = 0; i < fake_wal_count(f->wal); i++) {
		const Autonomy__WalAppend *a = fake_wal_get(f->wal, i);
		if (strcmp(a->kind, "policy.allow") == 0)
			assert_int_equal(fake_wal_count_kind(f->wal,
			                                     "tool.result",
			                                     a->audit_id),
			                 1);
	}
}

int main(int argc, char **argv)
{
	int rc;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_echo_allowed_and_recorded,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_deny_recorded, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_sigterm_drains_results, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_batch_all_refused, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_http_get_bad_params, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_echo_bad_params, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_wal_error_fails_closed, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_wal_silent_fails_closed, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_malformed_requests, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_confined, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_calls, setup,
	                                    teardown),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: test_policyd POLICYD_BINARY\n");
		return 2;
	}
	policyd_bin = argv[1];
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	nng_fini(); /* lets a leak checker see nng's sockets reaped */
	return rc;
}
