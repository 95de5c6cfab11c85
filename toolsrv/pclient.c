#include "pclient.h"

#include <nng/supplemental/util/platform.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"
#include "log.h"

struct pshared {
	Envelope *env;
	unsigned refs; /* atomic */
};

struct pbatch {
	struct pclient *pcl;
	nng_ctx ctx;
	nng_aio *aio;
	int busy;
	int receiving;
	nng_time sent; /* when it went out */
	size_t n;
	struct pcall *calls[ENV_MAX_TOOL_BATCH];
};

struct pclient {
	pthread_mutex_t mu;
	struct pcall *head, **tail;
	int send_timeout_ms, call_timeout_ms;
	nng_aio *timer; /* re-dispatches while calls wait on slow batches */
	int timer_armed;
	struct pbatch b[PCLIENT_CONTEXTS];
};

/* Moves queued calls whose time is up onto *expired (failed once the
 * lock is dropped). Called with pcl->mu held. */
static void expire(struct pclient *pcl, nng_time now, struct pcall **expired)
{
	while (pcl->head != NULL && pcl->head->deadline <= now) {
		struct pcall *c = pcl->head;
		pcl->head = c->next;
		if (pcl->head == NULL)
			pcl->tail = &pcl->head;
		c->next = *expired;
		*expired = c;
	}
}

static void fail_expired(struct pclient *pcl, struct pcall *c)
{
	while (c != NULL) {
		struct pcall *next = c->next;
		snprintf(c->err, sizeof(c->err),
		         "policyd did not answer within %d ms",
		         pcl->call_timeout_ms);
		c->done(c);
		c = next;
	}
}

/* What is left of the oldest call's time (calls are in submission
 * order), capped at cap_ms. */
static nng_duration time_left(const struct pbatch *b, int cap_ms)
{
	nng_time now = nng_clock();
	nng_duration left = b->calls[0]->deadline > now
	                        ? (nng_duration)(b->calls[0]->deadline - now)
	                        : 1;

	return left < cap_ms ? left : cap_ms;
}

/* The oldest queued calls into b, within the batch bounds. Called with
 * pcl->mu held. */
static void take(struct pclient *pcl, struct pbatch *b)
{
	size_t bytes = 0;

	b->n = 0;
	while (pcl->head != NULL && b->n < ENV_MAX_TOOL_BATCH) {
		struct pcall *c = pcl->head;
		size_t sz = strlen(c->params) + strlen(c->kind);
		if (b->n > 0 && bytes + sz > PCLIENT_BATCH_BYTES)
			break;
		bytes += sz;
		pcl->head = c->next;
		if (pcl->head == NULL)
			pcl->tail = &pcl->head;
		c->next = NULL;
		b->calls[b->n++] = c;
	}
}

/* A batch that may go out now, taken and marked busy; NULL if the young
 * batches are all travelling (or nothing waits). Called with mu held. */
static struct pbatch *dispatchable(struct pclient *pcl, struct pcall **expired)
{
	nng_time now = nng_clock();
	struct pbatch *idle = NULL;
	int young = 0;

	expire(pcl, now, expired);
	if (pcl->head == NULL)
		return NULL;
	for (int i = 0; i < PCLIENT_CONTEXTS; i++) {
		struct pbatch *b = &pcl->b[i];
		if (b->busy) {
			if (now - b->sent < PCLIENT_SLOW_MS)
				young++;
		} else if (idle == NULL) {
			idle = b;
		}
	}
	if (young >= PCLIENT_YOUNG || idle == NULL)
		return NULL;
	idle->busy = 1;
	idle->sent = now;
	take(pcl, idle);
	return idle;
}

static void send_batch(struct pbatch *b);

/* Sends what may go now; if calls still wait, a timer looks again once
 * the young batches have aged. */
static void dispatch(struct pclient *pcl)
{
	struct pbatch *b;
	struct pcall *expired;
	int arm = 0;

	for (;;) {
		expired = NULL;
		pthread_mutex_lock(&pcl->mu);
		b = dispatchable(pcl, &expired);
		if (b == NULL && pcl->head != NULL && !pcl->timer_armed) {
			pcl->timer_armed = 1;
			arm = 1;
		}
		pthread_mutex_unlock(&pcl->mu);
		fail_expired(pcl, expired);
		if (b == NULL)
			break;
		send_batch(b);
	}
	if (arm)
		nng_sleep_aio(PCLIENT_SLOW_MS, pcl->timer);
}

static void timer_cb(void *arg)
{
	struct pclient *pcl = arg;

	pthread_mutex_lock(&pcl->mu);
	pcl->timer_armed = 0;
	pthread_mutex_unlock(&pcl->mu);
	if (nng_aio_result(pcl->timer) != NNG_ECANCELED)
		dispatch(pcl);
}

/* Completes b's calls (with env's responses, or err) and frees b. */
static void finish(struct pbatch *b, Envelope *env, const char *err)
{
	struct pclient *pcl = b->pcl;
	struct pshared *sh = NULL;
	size_t n = b->n;

	if (env != NULL && (sh = malloc(sizeof(*sh))) == NULL) {
		envelope_free(env);
		env = NULL;
		err = "out of memory";
	}
	if (sh != NULL) {
		sh->env = env;
		sh->refs = (unsigned)n;
	}
	for (size_t i = 0; i < n; i++) {
		struct pcall *c = b->calls[i];
		c->shared = sh;
		c->resp = sh ? env->tool_batch_reply->responses[i] : NULL;
		if (sh == NULL)
			snprintf(c->err, sizeof(c->err), "%s", err);
		c->done(c);
	}
	pthread_mutex_lock(&pcl->mu);
	b->busy = 0;
	b->n = 0;
	pthread_mutex_unlock(&pcl->mu);
	dispatch(pcl);
}

static void send_batch(struct pbatch *b)
{
	Envelope env = AUTONOMY__ENVELOPE__INIT;
	Autonomy__ToolBatch tb = AUTONOMY__TOOL_BATCH__INIT;
	Autonomy__ToolRequest tr[ENV_MAX_TOOL_BATCH], *trp[ENV_MAX_TOOL_BATCH];
	nng_msg *msg;

	for (size_t i = 0; i < b->n; i++) {
		autonomy__tool_request__init(&tr[i]);
		tr[i].kind = (char *)b->calls[i]->kind;
		tr[i].params_json = (char *)b->calls[i]->params;
		trp[i] = &tr[i];
	}
	tb.n_calls = b->n;
	tb.calls = trp;
	env.body_case = AUTONOMY__ENVELOPE__BODY_TOOL_BATCH;
	env.tool_batch = &tb;
	if (ipc_msg_pack(&env, &msg) < 0) {
		finish(b, NULL, "cannot pack the request");
		return;
	}
	b->receiving = 0;
	nng_aio_set_msg(b->aio, msg);
	nng_aio_set_timeout(b->aio, time_left(b, b->pcl->send_timeout_ms));
	nng_ctx_send(b->ctx, b->aio);
}

static void batch_cb(void *arg)
{
	struct pbatch *b = arg;
	int rv = nng_aio_result(b->aio), pid;
	char why[256];
	nng_msg *msg;
	Envelope *resp;

	if (!b->receiving) {
		if (rv != 0) {
			nng_msg_free(nng_aio_get_msg(b->aio));
			nng_aio_set_msg(b->aio, NULL);
			snprintf(why, sizeof(why), "send: %s",
			         nng_strerror(rv));
			log_warnx("policyd: %s", why);
			finish(b, NULL, why);
			return;
		}
		b->receiving = 1;
		nng_aio_set_timeout(b->aio,
		                    time_left(b, b->pcl->call_timeout_ms));
		nng_ctx_recv(b->ctx, b->aio);
		return;
	}
	if (rv != 0) {
		snprintf(why, sizeof(why), "receive: %s", nng_strerror(rv));
		log_warnx("policyd: %s", why);
		finish(b, NULL, why);
		return;
	}
	msg = nng_aio_get_msg(b->aio);
	nng_aio_set_msg(b->aio, NULL);
	resp = ipc_msg_unpack(msg, &pid, why, sizeof(why));
	nng_msg_free(msg);
	if (resp == NULL) {
		finish(b, NULL, why);
	} else if (resp->body_case ==
	               AUTONOMY__ENVELOPE__BODY_TOOL_BATCH_REPLY &&
	           resp->tool_batch_reply->n_responses == b->n) {
		finish(b, resp, NULL);
	} else {
		if (resp->body_case == AUTONOMY__ENVELOPE__BODY_ERROR)
			snprintf(why, sizeof(why), "%s", resp->error->message);
		else
			snprintf(why, sizeof(why),
			         "policyd answered a batch of %zu with %s",
			         b->n, envelope_body_name(resp));
		envelope_free(resp);
		finish(b, NULL, why);
	}
}

struct pclient *pclient_open(nng_socket sock, int send_timeout_ms,
                             int call_timeout_ms)
{
	struct pclient *pcl = calloc(1, sizeof(*pcl));
	int rv;

	if (pcl == NULL)
		return NULL;
	pthread_mutex_init(&pcl->mu, NULL);
	pcl->tail = &pcl->head;
	pcl->send_timeout_ms = send_timeout_ms;
	pcl->call_timeout_ms = call_timeout_ms;
	if ((rv = nng_aio_alloc(&pcl->timer, timer_cb, pcl)) != 0) {
		log_warnx("policyd client: %s", nng_strerror(rv));
		return NULL; /* toolsrv exits on this */
	}
	for (int i = 0; i < PCLIENT_CONTEXTS; i++) {
		struct pbatch *b = &pcl->b[i];
		b->pcl = pcl;
		if ((rv = nng_ctx_open(&b->ctx, sock)) != 0 ||
		    (rv = nng_aio_alloc(&b->aio, batch_cb, b)) != 0) {
			log_warnx("policyd client: %s", nng_strerror(rv));
			return NULL;
		}
	}
	return pcl;
}

void pclient_submit(struct pclient *pcl, struct pcall *pc)
{
	pc->next = NULL;
	pc->resp = NULL;
	pc->shared = NULL;
	pc->err[0] = '\0';
	pc->deadline = nng_clock() + (nng_time)pcl->call_timeout_ms;
	pthread_mutex_lock(&pcl->mu);
	*pcl->tail = pc;
	pcl->tail = &pc->next;
	pthread_mutex_unlock(&pcl->mu);
	dispatch(pcl);
}

void pcall_release(struct pcall *pc)
{
	struct pshared *sh = pc->shared;

	pc->shared = NULL;
	pc->resp = NULL;
	if (sh != NULL &&
	    __atomic_sub_fetch(&sh->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		envelope_free(sh->env);
		free(sh);
	}
}
