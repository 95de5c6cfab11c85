#include "ipc.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/supplemental/util/platform.h>
#include <nng/protocol/reqrep0/req.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include "log.h"

/* nng 1.5 has no nng_ctx_sendmsg/recvmsg: the synchronous forms below
 * wrap one aio. The context's own timeouts (inherited from the socket)
 * apply because the aio keeps NNG_DURATION_DEFAULT. Each thread keeps one
 * aio for its synchronous calls: allocating two per call (a mutex, a
 * condition variable and a timer entry each) showed in profiles. */
static pthread_key_t sync_aio_key;
static pthread_once_t sync_aio_once = PTHREAD_ONCE_INIT;

static void sync_aio_free(void *aio)
{
	nng_aio_free(aio);
}

static void sync_aio_key_init(void)
{
	if (pthread_key_create(&sync_aio_key, sync_aio_free) != 0)
		fatalx("pthread_key_create");
}

/* The thread's aio, its timeout reset: the protocols write the context's
 * timeout into an aio left at NNG_DURATION_DEFAULT, and that must not
 * carry over to the next context. */
static nng_aio *sync_aio(void)
{
	nng_aio *aio;

	pthread_once(&sync_aio_once, sync_aio_key_init);
	if ((aio = pthread_getspecific(sync_aio_key)) == NULL) {
		if (nng_aio_alloc(&aio, NULL, NULL) != 0)
			return NULL;
		if (pthread_setspecific(sync_aio_key, aio) != 0) {
			nng_aio_free(aio);
			return NULL;
		}
	}
	nng_aio_set_timeout(aio, NNG_DURATION_DEFAULT);
	return aio;
}

static int ctx_sendmsg(nng_ctx ctx, nng_msg *msg)
{
	nng_aio *aio;
	int rv;

	if ((aio = sync_aio()) == NULL)
		return NNG_ENOMEM;
	nng_aio_set_msg(aio, msg);
	nng_ctx_send(ctx, aio);
	nng_aio_wait(aio);
	rv = nng_aio_result(aio);
	nng_aio_set_msg(aio, NULL);
	return rv; /* on failure the caller still owns msg */
}

static int ctx_recvmsg(nng_ctx ctx, nng_msg **msg)
{
	nng_aio *aio;
	int rv;

	if ((aio = sync_aio()) == NULL)
		return NNG_ENOMEM;
	nng_ctx_recv(ctx, aio);
	nng_aio_wait(aio);
	if ((rv = nng_aio_result(aio)) == 0)
		*msg = nng_aio_get_msg(aio);
	nng_aio_set_msg(aio, NULL);
	return rv;
}

int ipc_msg_pack(Envelope *env, nng_msg **msg)
{
	size_t len;

	env->version = ENVELOPE_VERSION;
	len = autonomy__envelope__get_packed_size(env);

	/* Packed straight into the message: no intermediate buffer. */
	if (len > ENVELOPE_MAX_BYTES || nng_msg_alloc(msg, len) != 0)
		return -1;
	if (autonomy__envelope__pack(env, nng_msg_body(*msg)) != len) {
		nng_msg_free(*msg);
		*msg = NULL;
		return -1;
	}
	return 0;
}

Envelope *ipc_msg_unpack(nng_msg *msg, int *pid, char *err, size_t errlen)
{
	nng_pipe p = nng_msg_get_pipe(msg);
	uint64_t peer;

	/* nng 1.5 types NNG_OPT_IPC_PEER_PID as uint64: get_int fails. */
	if (nng_pipe_id(p) < 0 ||
	    nng_pipe_get_uint64(p, NNG_OPT_IPC_PEER_PID, &peer) != 0 ||
	    peer == 0 || peer > INT_MAX)
		*pid = -1;
	else
		*pid = (int)peer;
	return envelope_unpack(nng_msg_body(msg), nng_msg_len(msg), err,
	                       errlen);
}

int ipc_url(char *url, size_t len, const char *rundir, const char *name)
{
	int n = snprintf(url, len, "ipc://%s/%s", rundir, name);

	if (n < 0 || (size_t)n >= len || strlen(url) - 6 >= 108)
		return -1;
	return 0;
}

int ipc_make_dirs(const char *rundir)
{
	static const char *const dirs[] = {IPC_DIR_WALWRITER, IPC_DIR_POLICYD,
	                                   IPC_DIR_FETCHER, IPC_DIR_SPAWNER,
	                                   IPC_DIR_MAVPROXY};
	char path[4096];

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", rundir,
		                     dirs[i]) >= sizeof(path)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		if (mkdir(path, 0700) < 0)
			return -1;
	}
	return 0;
}

int ipc_listen_rep(nng_socket *s, const char *url)
{
	mode_t old;
	int rv;

	if ((rv = nng_rep0_open(s)) != 0) {
		log_warnx("rep socket: %s", nng_strerror(rv));
		return -1;
	}
	/* The socket is born 0660 (bind applies the umask): a dialer of
	 * the group must not meet a moment of 0755 and give up (EACCES is
	 * not retried). */
	old = umask(0117);
	if ((rv = nng_socket_set_size(*s, NNG_OPT_RECVMAXSZ,
	                              ENVELOPE_MAX_BYTES)) != 0 ||
	    (rv = nng_listen(*s, url, NULL, 0)) != 0) {
		umask(old);
		log_warnx("listen %s: %s", url, nng_strerror(rv));
		nng_close(*s);
		return -1;
	}
	umask(old);
	/* Owner and group: the directory's group is the one peer that
	 * dials this socket (its setgid bit gives the socket that group). */
	if (chmod(url + strlen("ipc://"), 0660) < 0)
		log_warn("chmod %s", url);
	return 0;
}

static int dial_req(nng_socket *s, const char *url, int timeout_ms, int flags);

int ipc_dial_req(nng_socket *s, const char *url, int timeout_ms)
{
	return dial_req(s, url, timeout_ms, NNG_FLAG_NONBLOCK);
}

int ipc_dial_req_connected(nng_socket *s, const char *url, int timeout_ms)
{
	return dial_req(s, url, timeout_ms, 0);
}

/* The supervisor starts the helpers side by side, so a peer may not be
 * listening yet: a synchronous dial is retried every DIAL_RETRY_US while
 * the socket is missing or refuses, for up to timeout_ms (10 s when
 * negative); then a NONBLOCK dial is left to nng's reconnect in the
 * background, as before, and a blocking one fails. A peer usually
 * listens within a few milliseconds of its start, and each retry wasted
 * is start-up time: retries are short. */
#define DIAL_RETRY_US 200
static int dial_when_listening(nng_socket s, const char *url, int timeout_ms,
                               int flags)
{
	long waited_us = 0,
	     limit_us = (timeout_ms < 0 ? 10000L : (long)timeout_ms) * 1000;
	struct timespec pause = {0, DIAL_RETRY_US * 1000L};
	int rv;

	while ((rv = nng_dial(s, url, NULL, 0)) == NNG_ENOENT ||
	       rv == NNG_ECONNREFUSED) {
		if (waited_us >= limit_us)
			break;
		nanosleep(&pause, NULL);
		waited_us += DIAL_RETRY_US;
	}
	if (rv != 0 && (flags & NNG_FLAG_NONBLOCK))
		rv = nng_dial(s, url, NULL, NNG_FLAG_NONBLOCK);
	return rv;
}

static int dial_req(nng_socket *s, const char *url, int timeout_ms, int flags)
{
	int rv;
	nng_duration t = timeout_ms < 0 ? NNG_DURATION_INFINITE : timeout_ms;

	if ((rv = nng_req0_open(s)) != 0) {
		log_warnx("req socket: %s", nng_strerror(rv));
		return -1;
	}
	if ((rv = nng_socket_set_size(*s, NNG_OPT_RECVMAXSZ,
	                              ENVELOPE_MAX_BYTES)) != 0 ||
	    (rv = nng_socket_set_ms(*s, NNG_OPT_REQ_RESENDTIME,
	                            NNG_DURATION_INFINITE)) != 0 ||
	    (rv = nng_socket_set_ms(*s, NNG_OPT_RECVTIMEO, t)) != 0 ||
	    (rv = nng_socket_set_ms(*s, NNG_OPT_SENDTIMEO, t)) != 0 ||
	    (rv = nng_socket_set_ms(*s, NNG_OPT_RECONNMINT, 10)) != 0 ||
	    (rv = nng_socket_set_ms(*s, NNG_OPT_RECONNMAXT, 200)) != 0 ||
	    (rv = dial_when_listening(*s, url, timeout_ms, flags)) != 0) {
		log_warnx("dial %s: %s", url, nng_strerror(rv));
		nng_close(*s);
		return -1;
	}
	return 0;
}

static int call_common(nng_ctx *ctx, nng_socket *sock, Envelope *req,
                       Envelope **resp, char *err, size_t errlen)
{
	nng_msg *msg;
	int rv, pid;

	*resp = NULL;
	if (ipc_msg_pack(req, &msg) < 0) {
		snprintf(err, errlen, "cannot pack %s",
		         envelope_body_name(req));
		return -1;
	}
	rv = ctx ? ctx_sendmsg(*ctx, msg) : nng_sendmsg(*sock, msg, 0);
	if (rv != 0) {
		nng_msg_free(msg);
		snprintf(err, errlen, "send: %s", nng_strerror(rv));
		return -1;
	}
	rv = ctx ? ctx_recvmsg(*ctx, &msg) : nng_recvmsg(*sock, &msg, 0);
	if (rv != 0) {
		snprintf(err, errlen, "receive: %s", nng_strerror(rv));
		return -1;
	}
	*resp = ipc_msg_unpack(msg, &pid, err, errlen);
	nng_msg_free(msg);
	return *resp ? 0 : -1;
}

int ipc_call(nng_ctx ctx, Envelope *req, Envelope **resp, char *err,
             size_t errlen)
{
	return call_common(&ctx, NULL, req, resp, err, errlen);
}

int ipc_call_sock(nng_socket s, Envelope *req, Envelope **resp, char *err,
                  size_t errlen)
{
	return call_common(NULL, &s, req, resp, err, errlen);
}

int ipc_recv(nng_ctx ctx, Envelope **env, int *pid, int *closed, char *err,
             size_t errlen)
{
	nng_msg *msg;
	int rv;

	*env = NULL;
	*closed = 0;
	*pid = -1;
	if ((rv = ctx_recvmsg(ctx, &msg)) != 0) {
		if (rv == NNG_ECLOSED)
			*closed = 1;
		snprintf(err, errlen, "receive: %s", nng_strerror(rv));
		return -1;
	}
	*env = ipc_msg_unpack(msg, pid, err, errlen);
	nng_msg_free(msg);
	return *env ? 0 : -1;
}

int ipc_reply(nng_ctx ctx, Envelope *env)
{
	nng_msg *msg;
	int rv;

	if (ipc_msg_pack(env, &msg) < 0)
		return -1;
	if ((rv = ctx_sendmsg(ctx, msg)) != 0) {
		nng_msg_free(msg);
		log_warnx("reply: %s", nng_strerror(rv));
		return -1;
	}
	return 0;
}

int ipc_reply_error(nng_ctx ctx, const char *msg)
{
	Envelope env = AUTONOMY__ENVELOPE__INIT;
	Autonomy__Error e = AUTONOMY__ERROR__INIT;

	e.message = (char *)msg;
	env.body_case = AUTONOMY__ENVELOPE__BODY_ERROR;
	env.error = &e;
	return ipc_reply(ctx, &env);
}
