#include "walclient.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* A batch is also bounded in bytes, well under ENVELOPE_MAX_BYTES. */
#define BATCH_MAX_BYTES (ENVELOPE_MAX_BYTES / 2)

/* One context and its aio: send a WalBatch, receive its WalBatchAck. */
struct batch {
	struct walclient *wc;
	nng_ctx ctx;
	nng_aio *aio;
	int busy;      /* a batch is travelling on this context */
	int receiving; /* its request went out; the answer is awaited */
	size_t n;
	struct wal_req *reqs[ENV_MAX_BATCH];
	Autonomy__WalAppend *apps[ENV_MAX_BATCH];
};

struct walclient {
	pthread_mutex_t mu;
	struct wal_req *head, **tail; /* submitted, not yet sent */
	size_t pending;               /* submitted, not yet completed */
	int timeout_ms;
	int nb;
	struct batch *b;
};

/* Moves the oldest queued requests into b, and those whose time is up
 * (queued behind batches that took it all) onto *expired, to be failed
 * once the lock is dropped. Called with wc->mu held; 0 if none went
 * into b. */
static size_t take(struct walclient *wc, struct batch *b,
                   struct wal_req **expired)
{
	nng_time now = nng_clock();
	size_t bytes = 0;

	b->n = 0;
	while (wc->head != NULL && b->n < ENV_MAX_BATCH) {
		struct wal_req *r = wc->head;
		size_t sz;
		if (r->deadline <= now) {
			wc->head = r->next;
			if (wc->head == NULL)
				wc->tail = &wc->head;
			r->next = *expired;
			*expired = r;
			continue;
		}
		sz = autonomy__wal_append__get_packed_size(&r->app);
		if (b->n > 0 && bytes + sz > BATCH_MAX_BYTES)
			break;
		bytes += sz;
		wc->head = r->next;
		if (wc->head == NULL)
			wc->tail = &wc->head;
		r->next = NULL;
		b->reqs[b->n] = r;
		b->apps[b->n] = &r->app;
		b->n++;
	}
	return b->n;
}

static void send_batch(struct batch *b);

/* Fails requests take() found out of time; counted as completed. */
static void fail_expired(struct walclient *wc, struct wal_req *r)
{
	char err[WALCLIENT_ERR];
	size_t n = 0;

	while (r != NULL) {
		struct wal_req *next = r->next;
		snprintf(err, sizeof(err),
		         "%s: walwriter did not acknowledge it within %d ms",
		         r->app.kind, wc->timeout_ms);
		r->done(r, 0, err);
		n++;
		r = next;
	}
	if (n > 0) {
		pthread_mutex_lock(&wc->mu);
		wc->pending -= n;
		pthread_mutex_unlock(&wc->mu);
	}
}

/* What is left of the oldest request's time, for the batch's next step
 * (its requests are in submission order). */
static nng_duration batch_time_left(const struct batch *b)
{
	nng_time now = nng_clock();

	return b->reqs[0]->deadline > now
	           ? (nng_duration)(b->reqs[0]->deadline - now)
	           : 1;
}

/* Completes every request of b, then sends what queued up meanwhile on
 * the same context, or leaves it idle. */
static void finish(struct batch *b, const Autonomy__WalBatchAck *ack,
                   const char *why)
{
	struct walclient *wc = b->wc;
	struct wal_req *expired = NULL;
	char err[WALCLIENT_ERR];
	size_t n = b->n;
	int more;

	for (size_t i = 0; i < n; i++) {
		struct wal_req *r = b->reqs[i];
		const char *refused = ack ? ack->acks[i]->refused : NULL;
		if (ack != NULL && refused[0] == '\0') {
			r->done(r, 1, NULL);
			continue;
		}
		if (ack != NULL)
			snprintf(err, sizeof(err),
			         "walwriter refused %s: %.200s", r->app.kind,
			         refused);
		else
			snprintf(err, sizeof(err), "%s: %.200s", r->app.kind,
			         why);
		r->done(r, 0, err);
	}
	pthread_mutex_lock(&wc->mu);
	wc->pending -= n;
	/* Decided under the lock: once idle, b may be taken by a submit on
	 * another thread at once, and must then not be sent from here. */
	more = take(wc, b, &expired) > 0;
	if (!more)
		b->busy = 0;
	pthread_mutex_unlock(&wc->mu);
	fail_expired(wc, expired);
	if (more)
		send_batch(b);
}

static void send_batch(struct batch *b)
{
	Envelope env = AUTONOMY__ENVELOPE__INIT;
	Autonomy__WalBatch wb = AUTONOMY__WAL_BATCH__INIT;
	nng_msg *msg;

	wb.n_appends = b->n;
	wb.appends = b->apps;
	env.body_case = AUTONOMY__ENVELOPE__BODY_WAL_BATCH;
	env.wal_batch = &wb;
	if (ipc_msg_pack(&env, &msg) < 0) {
		finish(b, NULL, "cannot pack the WAL batch");
		return;
	}
	b->receiving = 0;
	nng_aio_set_msg(b->aio, msg);
	nng_aio_set_timeout(b->aio, batch_time_left(b));
	nng_ctx_send(b->ctx, b->aio);
}

static void batch_cb(void *arg)
{
	struct batch *b = arg;
	int rv = nng_aio_result(b->aio), pid;
	char why[256];
	nng_msg *msg;
	Envelope *resp;

	if (!b->receiving) {
		if (rv != 0) {
			nng_msg_free(nng_aio_get_msg(b->aio));
			nng_aio_set_msg(b->aio, NULL);
			snprintf(why, sizeof(why),
			         "walwriter did not take the append: %s",
			         nng_strerror(rv));
			finish(b, NULL, why);
			return;
		}
		b->receiving = 1;
		nng_aio_set_timeout(b->aio, batch_time_left(b));
		nng_ctx_recv(b->ctx, b->aio);
		return;
	}
	if (rv != 0) {
		snprintf(why, sizeof(why),
		         "walwriter did not acknowledge the append: %s",
		         nng_strerror(rv));
		finish(b, NULL, why);
		return;
	}
	msg = nng_aio_get_msg(b->aio);
	nng_aio_set_msg(b->aio, NULL);
	resp = ipc_msg_unpack(msg, &pid, why, sizeof(why));
	nng_msg_free(msg);
	if (resp == NULL) {
		finish(b, NULL, why);
		return;
	}
	if (resp->body_case == AUTONOMY__ENVELOPE__BODY_WAL_BATCH_ACK &&
	    resp->wal_batch_ack->n_acks == b->n) {
		finish(b, resp->wal_batch_ack, NULL);
	} else if (resp->body_case == AUTONOMY__ENVELOPE__BODY_ERROR) {
		snprintf(why, sizeof(why), "walwriter refused the append: %s",
		         resp->error->message);
		finish(b, NULL, why);
	} else {
		snprintf(why, sizeof(why),
		         "walwriter answered a batch of %zu with %s", b->n,
		         envelope_body_name(resp));
		finish(b, NULL, why);
	}
	envelope_free(resp);
}

struct walclient *walclient_open(nng_socket sock, int inflight, int timeout_ms)
{
	struct walclient *wc = calloc(1, sizeof(*wc));
	int rv;

	if (wc == NULL || inflight <= 0 ||
	    (wc->b = calloc((size_t)inflight, sizeof(*wc->b))) == NULL) {
		free(wc);
		return NULL;
	}
	pthread_mutex_init(&wc->mu, NULL);
	wc->tail = &wc->head;
	wc->timeout_ms = timeout_ms;
	wc->nb = inflight;
	for (int i = 0; i < inflight; i++) {
		wc->b[i].wc = wc;
		if ((rv = nng_ctx_open(&wc->b[i].ctx, sock)) != 0 ||
		    (rv = nng_aio_alloc(&wc->b[i].aio, batch_cb, &wc->b[i])) !=
		        0) {
			log_warnx("WAL client: %s", nng_strerror(rv));
			return NULL; /* policyd exits on this */
		}
	}
	return wc;
}

void walclient_submit(struct walclient *wc, struct wal_req *req)
{
	struct batch *idle = NULL;
	struct wal_req *expired = NULL;

	req->next = NULL;
	req->deadline = nng_clock() + (nng_time)wc->timeout_ms;
	pthread_mutex_lock(&wc->mu);
	*wc->tail = req;
	wc->tail = &req->next;
	wc->pending++;
	for (int i = 0; i < wc->nb; i++)
		if (!wc->b[i].busy) {
			idle = &wc->b[i];
			idle->busy = 1;
			if (take(wc, idle, &expired) == 0) {
				idle->busy = 0; /* all it found had expired */
				idle = NULL;
			}
			break;
		}
	pthread_mutex_unlock(&wc->mu);
	fail_expired(wc, expired);
	if (idle != NULL)
		send_batch(idle);
}

size_t walclient_pending(struct walclient *wc)
{
	size_t n;

	pthread_mutex_lock(&wc->mu);
	n = wc->pending;
	pthread_mutex_unlock(&wc->mu);
	return n;
}
