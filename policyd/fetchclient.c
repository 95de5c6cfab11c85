#include "fetchclient.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <nng/supplemental/util/platform.h>

#include "log.h"

struct fcall {
	struct fetchclient *fc;
	nng_ctx ctx;
	nng_aio *aio;
	int sending;
	nng_time deadline; /* the hop's: sending and its answer together */
	fetch_done done;
	void *arg;
	struct fcall *next;
};

struct fetchclient {
	nng_socket sock;
	pthread_mutex_t mu;
	struct fcall *free;
};

struct fetchclient *fetchclient_open(nng_socket sock)
{
	struct fetchclient *fc = calloc(1, sizeof(*fc));

	if (fc == NULL)
		return NULL;
	fc->sock = sock;
	pthread_mutex_init(&fc->mu, NULL);
	return fc;
}

static void fcall_put(struct fcall *c)
{
	struct fetchclient *fc = c->fc;

	pthread_mutex_lock(&fc->mu);
	c->next = fc->free;
	fc->free = c;
	pthread_mutex_unlock(&fc->mu);
}

static void fcall_finish(struct fcall *c, const Autonomy__HttpGetReply *r,
                         const char *err)
{
	fetch_done done = c->done;
	void *arg = c->arg;

	/* back to the pool first: done may start the next hop */
	fcall_put(c);
	done(arg, r, err);
}

static void fcall_cb(void *arg)
{
	struct fcall *c = arg;
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
			snprintf(err, sizeof(err), "fetcher: send: %s",
			         nng_strerror(rv));
			fcall_finish(c, NULL, err);
			return;
		}
		/* what is left of the hop's time, not a fresh timeout: a
		 * send that waited for the pipe counts too */
		now = nng_clock();
		nng_aio_set_timeout(
		    c->aio,
		    c->deadline > now ? (nng_duration)(c->deadline - now) : 1);
		nng_ctx_recv(c->ctx, c->aio);
		return;
	}
	if (rv != 0) {
		snprintf(err, sizeof(err), "fetcher: %s", nng_strerror(rv));
		fcall_finish(c, NULL, err);
		return;
	}
	msg = nng_aio_get_msg(c->aio);
	nng_aio_set_msg(c->aio, NULL);
	env = ipc_msg_unpack(msg, &pid, err, sizeof(err));
	nng_msg_free(msg);
	if (env == NULL) {
		fcall_finish(c, NULL, err);
		return;
	}
	if (env->body_case == AUTONOMY__ENVELOPE__BODY_HTTP_GET_REPLY) {
		/* the reply outlives the slot: done copies what it keeps */
		fetch_done done = c->done;
		void *darg = c->arg;
		fcall_put(c);
		done(darg, env->http_get_reply, NULL);
	} else {
		snprintf(err, sizeof(err), "fetcher: %s",
		         env->body_case == AUTONOMY__ENVELOPE__BODY_ERROR
		             ? env->error->message
		             : "unexpected reply");
		fcall_finish(c, NULL, err);
	}
	envelope_free(env);
}

void fetchclient_call(struct fetchclient *fc,
                      const Autonomy__HttpGetRequest *req, int timeout_ms,
                      fetch_done done, void *arg)
{
	Envelope env = AUTONOMY__ENVELOPE__INIT;
	struct fcall *c;
	nng_msg *msg;
	int rv;

	pthread_mutex_lock(&fc->mu);
	if ((c = fc->free) != NULL)
		fc->free = c->next;
	pthread_mutex_unlock(&fc->mu);
	if (c == NULL) {
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			done(arg, NULL, "fetcher: out of memory");
			return;
		}
		c->fc = fc;
		if ((rv = nng_ctx_open(&c->ctx, fc->sock)) != 0 ||
		    (rv = nng_aio_alloc(&c->aio, fcall_cb, c)) != 0) {
			log_warnx("fetcher context: %s", nng_strerror(rv));
			free(c); /* never used: nothing to close */
			done(arg, NULL, "fetcher: no context");
			return;
		}
	}
	c->done = done;
	c->arg = arg;
	env.body_case = AUTONOMY__ENVELOPE__BODY_HTTP_GET_REQUEST;
	env.http_get_request = (Autonomy__HttpGetRequest *)req;
	if (ipc_msg_pack(&env, &msg) < 0) {
		fcall_finish(c, NULL, "fetcher: cannot pack the request");
		return;
	}
	c->sending = 1;
	c->deadline = nng_clock() + (nng_time)timeout_ms;
	nng_aio_set_timeout(c->aio, timeout_ms);
	nng_aio_set_msg(c->aio, msg);
	nng_ctx_send(c->ctx, c->aio);
}
