#include "mavclient.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

struct mcall {
	struct mavclient *mc;
	nng_ctx ctx;
	nng_aio *aio;
	int sending;
	mav_done done;
	void *arg;
	struct mcall *next;
};

struct mavclient {
	nng_socket sock;
	pthread_mutex_t mu;
	struct mcall *free;
};

struct mavclient *mavclient_open(nng_socket sock)
{
	struct mavclient *mc = calloc(1, sizeof(*mc));

	if (mc == NULL)
		return NULL;
	mc->sock = sock;
	pthread_mutex_init(&mc->mu, NULL);
	return mc;
}

static void mcall_put(struct mcall *c)
{
	struct mavclient *mc = c->mc;

	pthread_mutex_lock(&mc->mu);
	c->next = mc->free;
	mc->free = c;
	pthread_mutex_unlock(&mc->mu);
}

/* Back to the pool first: done may send the next question. */
static void mcall_finish(struct mcall *c, const Autonomy__MavlinkReply *r,
                         const char *err)
{
	mav_done done = c->done;
	void *arg = c->arg;

	mcall_put(c);
	done(arg, r, err);
}

static void mcall_cb(void *arg)
{
	struct mcall *c = arg;
	int rv = nng_aio_result(c->aio), pid;
	char err[320];
	Envelope *env;
	nng_msg *msg;

	if (c->sending) {
		c->sending = 0;
		if (rv != 0) {
			nng_msg_free(nng_aio_get_msg(c->aio));
			nng_aio_set_msg(c->aio, NULL);
			snprintf(err, sizeof(err), "mavproxy: send: %s",
			         nng_strerror(rv));
			mcall_finish(c, NULL, err);
			return;
		}
		nng_ctx_recv(c->ctx, c->aio);
		return;
	}
	if (rv != 0) {
		snprintf(err, sizeof(err), "mavproxy: %s", nng_strerror(rv));
		mcall_finish(c, NULL, err);
		return;
	}
	msg = nng_aio_get_msg(c->aio);
	nng_aio_set_msg(c->aio, NULL);
	env = ipc_msg_unpack(msg, &pid, err, sizeof(err));
	nng_msg_free(msg);
	if (env == NULL) {
		mcall_finish(c, NULL, err);
		return;
	}
	if (env->body_case == AUTONOMY__ENVELOPE__BODY_MAVLINK_REPLY) {
		mcall_finish(c, env->mavlink_reply, NULL);
	} else {
		snprintf(err, sizeof(err), "mavproxy: %s",
		         env->body_case == AUTONOMY__ENVELOPE__BODY_ERROR
		             ? env->error->message
		             : "unexpected reply");
		mcall_finish(c, NULL, err);
	}
	envelope_free(env);
}

void mavclient_call(struct mavclient *mc, const Autonomy__MavlinkRequest *req,
                    int timeout_ms, mav_done done, void *arg)
{
	Envelope env = AUTONOMY__ENVELOPE__INIT;
	struct mcall *c;
	nng_msg *msg;
	int rv;

	pthread_mutex_lock(&mc->mu);
	if ((c = mc->free) != NULL)
		mc->free = c->next;
	pthread_mutex_unlock(&mc->mu);
	if (c == NULL) {
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			done(arg, NULL, "mavproxy: out of memory");
			return;
		}
		c->mc = mc;
		if ((rv = nng_ctx_open(&c->ctx, mc->sock)) != 0 ||
		    (rv = nng_aio_alloc(&c->aio, mcall_cb, c)) != 0) {
			log_warnx("mavproxy context: %s", nng_strerror(rv));
			free(c);
			done(arg, NULL, "mavproxy: no context");
			return;
		}
	}
	c->done = done;
	c->arg = arg;
	env.body_case = AUTONOMY__ENVELOPE__BODY_MAVLINK_REQUEST;
	env.mavlink_request = (Autonomy__MavlinkRequest *)req;
	if (ipc_msg_pack(&env, &msg) < 0) {
		mcall_finish(c, NULL, "mavproxy: cannot pack the request");
		return;
	}
	c->sending = 1;
	/* one bound for the send (waiting for the pipe) and the answer */
	nng_aio_set_timeout(c->aio, timeout_ms);
	nng_aio_set_msg(c->aio, msg);
	nng_ctx_send(c->ctx, c->aio);
}
