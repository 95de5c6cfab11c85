#include "helperclient.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <nng/supplemental/util/platform.h>

#include "log.h"

struct hcall {
	struct helperclient *hc;
	nng_ctx ctx;
	nng_aio *aio;
	int sending;
	nng_time deadline; /* HELPER_DEADLINE_WHOLE: the send's and answer's */
	helper_done done;
	void *arg;
	struct hcall *next;
};

struct helperclient {
	nng_socket sock;
	const char *name;
	Autonomy__Envelope__BodyCase reply_case;
	enum helper_deadline deadline;
	pthread_mutex_t mu;
	struct hcall *free;
};

struct helperclient *helperclient_open(nng_socket sock, const char *name,
                                       Autonomy__Envelope__BodyCase reply_case,
                                       enum helper_deadline deadline)
{
	struct helperclient *hc = calloc(1, sizeof(*hc));

	if (hc == NULL)
		return NULL;
	hc->sock = sock;
	hc->name = name;
	hc->reply_case = reply_case;
	hc->deadline = deadline;
	pthread_mutex_init(&hc->mu, NULL);
	return hc;
}

static void hcall_put(struct hcall *c)
{
	struct helperclient *hc = c->hc;

	pthread_mutex_lock(&hc->mu);
	c->next = hc->free;
	hc->free = c;
	pthread_mutex_unlock(&hc->mu);
}

/* Back to the pool first: done may send the next question. The reply
 * outlives the slot: done copies what it keeps. */
static void hcall_finish(struct hcall *c, const Envelope *reply,
                         const char *err)
{
	helper_done done = c->done;
	void *arg = c->arg;

	hcall_put(c);
	done(arg, reply, err);
}

static void hcall_cb(void *arg)
{
	struct hcall *c = arg;
	const char *name = c->hc->name;
	int rv = nng_aio_result(c->aio), pid;
	char err[320];
	Envelope *env;
	nng_msg *msg;
	nng_time now;

	if (c->sending) {
		c->sending = 0;
		if (rv != 0) {
			nng_msg_free(nng_aio_get_msg(c->aio));
			nng_aio_set_msg(c->aio, NULL);
			snprintf(err, sizeof(err), "%s: send: %s", name,
			         nng_strerror(rv));
			hcall_finish(c, NULL, err);
			return;
		}
		if (c->hc->deadline == HELPER_DEADLINE_WHOLE) {
			/* what is left of the call's time, not a fresh
			 * timeout: a send that waited for the pipe counts */
			now = nng_clock();
			nng_aio_set_timeout(
			    c->aio, c->deadline > now
			                ? (nng_duration)(c->deadline - now)
			                : 1);
		}
		nng_ctx_recv(c->ctx, c->aio);
		return;
	}
	if (rv != 0) {
		snprintf(err, sizeof(err), "%s: %s", name, nng_strerror(rv));
		hcall_finish(c, NULL, err);
		return;
	}
	msg = nng_aio_get_msg(c->aio);
	nng_aio_set_msg(c->aio, NULL);
	env = ipc_msg_unpack(msg, &pid, err, sizeof(err));
	nng_msg_free(msg);
	if (env == NULL) {
		hcall_finish(c, NULL, err);
		return;
	}
	if (env->body_case == c->hc->reply_case) {
		hcall_finish(c, env, NULL);
	} else {
		snprintf(err, sizeof(err), "%s: %s", name,
		         env->body_case == AUTONOMY__ENVELOPE__BODY_ERROR
		             ? env->error->message
		             : "unexpected reply");
		hcall_finish(c, NULL, err);
	}
	envelope_free(env);
}

void helperclient_call(struct helperclient *hc, const Envelope *req,
                       int timeout_ms, helper_done done, void *arg)
{
	struct hcall *c;
	char err[64];
	nng_msg *msg;
	int rv;

	pthread_mutex_lock(&hc->mu);
	if ((c = hc->free) != NULL)
		hc->free = c->next;
	pthread_mutex_unlock(&hc->mu);
	if (c == NULL) {
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			snprintf(err, sizeof(err), "%s: out of memory",
			         hc->name);
			done(arg, NULL, err);
			return;
		}
		c->hc = hc;
		if ((rv = nng_ctx_open(&c->ctx, hc->sock)) != 0 ||
		    (rv = nng_aio_alloc(&c->aio, hcall_cb, c)) != 0) {
			log_warnx("%s context: %s", hc->name, nng_strerror(rv));
			free(c); /* never used: nothing to close */
			snprintf(err, sizeof(err), "%s: no context", hc->name);
			done(arg, NULL, err);
			return;
		}
	}
	c->done = done;
	c->arg = arg;
	if (ipc_msg_pack((Envelope *)req, &msg) < 0) {
		snprintf(err, sizeof(err), "%s: cannot pack the request",
		         hc->name);
		hcall_finish(c, NULL, err);
		return;
	}
	c->sending = 1;
	c->deadline = nng_clock() + (nng_time)timeout_ms;
	nng_aio_set_timeout(c->aio, timeout_ms);
	nng_aio_set_msg(c->aio, msg);
	nng_ctx_send(c->ctx, c->aio);
}
