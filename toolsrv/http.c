/* The HTTP front: libmicrohttpd glue around request.c, and the policyd
 * backend.
 *
 * Threading: one MHD event loop (epoll) serves every connection. A call
 * does not block it: once its body is parsed the connection is
 * suspended, the ToolRequest goes to policyd on an nng context of its
 * own, and the aio callback resumes the connection with the answer, so
 * any number of calls wait on policyd at once (and share its WAL
 * batches) while the loop keeps reading others. Each connection buffers
 * at most REQUEST_MAX_BODY; MHD_OPTION_CONNECTION_LIMIT bounds their
 * number and MHD_OPTION_CONNECTION_TIMEOUT drops slow clients. */
#include "toolsrv.h"

#include <errno.h>
#include <limits.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attack.h"
#include "ipc.h"
#include "pclient.h"
#include "log.h"

/* One call to policyd, from the parsed body to its answer. Between
 * call_start() and the completion's MHD_resume_connection() the
 * connection is suspended and the call belongs to the policyd client. */
struct call {
	struct MHD_Connection *conn;
	struct pcall pc;
	int done; /* pc.resp or pc.err is final */
	char *kind, *params;
};

/* One request's body as it arrives. */
struct upload {
	struct call *call; /* set once the body went to policyd */
	char *buf;
	size_t len, cap;
	int too_large;           /* chunked body past REQUEST_MAX_BODY */
	size_t discarded;        /* bytes of it dropped since */
	struct http_reply early; /* refused from the headers alone */
	int has_early;
	int drop_body; /* read and drop the body, then send early */
};

/* How much of a refused body we drop to give its answer (413 for one
 * over REQUEST_MAX_BODY); past this the connection is closed. */
#define TOOLSRV_MAX_DISCARD (4u * 1024 * 1024)

static void call_free(struct call *k)
{
	if (k == NULL)
		return;
	pcall_release(&k->pc);
	free(k->kind);
	free(k->params);
	free(k);
}

/* The answer is in (or the call failed): hand the connection back to the
 * event loop, which renders it (on_request sees call->done). */
static void call_done(struct pcall *pc)
{
	struct call *k = pc->arg;

	if (pc->resp == NULL)
		log_warnx("policyd call %s: %s", k->kind, pc->err);
	k->done = 1;
	MHD_resume_connection(k->conn);
}

/* Hands ToolRequest{kind, params} to the policyd client and suspends the
 * connection until the answer. Takes kind and params. -1 (nothing
 * suspended, err set) if the call could not start. */
static int call_start(struct toolsrv *ts, struct MHD_Connection *c,
                      struct upload *u, char *kind, char *params, char *err,
                      size_t errlen)
{
	struct call *k = calloc(1, sizeof(*k));

	if (k == NULL) {
		free(kind);
		free(params);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	k->conn = c;
	k->kind = kind;
	k->params = params;
	k->pc.kind = kind;
	k->pc.params = params;
	k->pc.done = call_done;
	k->pc.arg = k;
	u->call = k;
	/* Suspended before the call leaves, so the completion's resume
	 * always finds a suspended connection. */
	MHD_suspend_connection(c);
	pclient_submit(ts->pclient, &k->pc);
	return 0;
}

static enum MHD_Result send_reply(struct MHD_Connection *c,
                                  struct http_reply *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	size_t len = r->body ? strlen(r->body) : 0;

	resp = MHD_create_response_from_buffer(len, r->body,
	                                       MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		http_reply_free(r);
		return MHD_NO;
	}
	r->body = NULL; /* MHD owns it now */
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	                            "application/json") != MHD_YES ||
	    (r->audit_id[0] &&
	     MHD_add_response_header(resp, "X-Autonomy-Audit-Id",
	                             r->audit_id) != MHD_YES) ||
	    (r->allow && MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
	                                         r->allow) != MHD_YES) ||
	    (r->www_authenticate &&
	     MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
	                             "Bearer") != MHD_YES)) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	ret = MHD_queue_response(c, r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* The declared body size; -1 when none is declared (chunked). MHD has
 * already rejected a malformed Content-Length. */
static long long content_length(struct MHD_Connection *c)
{
	const char *v = MHD_lookup_connection_value(
	    c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	char *end;
	long long n;

	if (v == NULL)
		return -1;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || end == v || n < 0)
		return LLONG_MAX; /* too large to be anything but 413 */
	return n;
}

static int has_body(struct MHD_Connection *c, long long cl)
{
	return cl > 0 ||
	       (cl < 0 && MHD_lookup_connection_value(
	                      c, MHD_HEADER_KIND,
	                      MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL);
}

/* A client sending "Expect: 100-continue" waits for us before its body:
 * a refusal is answered at once and the body never comes. */
static int expects_continue(struct MHD_Connection *c)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	                                   MHD_HTTP_HEADER_EXPECT) != NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_size, void **req_state)
{
	struct toolsrv *ts = cls;
	struct upload *u = *req_state;
	struct http_reply reply;

	(void)version;
	memset(&reply, 0, sizeof(reply));
	attack_point(); /* test builds only: attack.h */
	if (u == NULL) {
		/* Headers only so far: route, authenticate and size-check
		 * before accepting a single body byte. */
		const char *authz = MHD_lookup_connection_value(
		    c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
		long long cl = content_length(c);
		int refused = !request_preflight(method, url, authz, cl,
		                                 &ts->token, &reply);
		/* MHD 0.9.75 closes the connection after a response queued
		 * on this first call; that is what we want when a body we
		 * refuse is on its way (413, or 401/404/405 with a body:
		 * never read it). Without a body, answer on the next call
		 * and keep the connection. */
		if (refused && has_body(c, cl) &&
		    (cl < 0 || cl > (long long)TOOLSRV_MAX_DISCARD ||
		     expects_continue(c)))
			return send_reply(c, &reply);
		if ((u = calloc(1, sizeof(*u))) == NULL) {
			http_reply_free(&reply);
			return MHD_NO;
		}
		if (refused) {
			/* A modest declared body is read and dropped, never
			 * buffered, before the answer: a client that sends
			 * its whole body before reading (most do) would
			 * otherwise get a reset instead of our 413/401. */
			u->early = reply;
			u->has_early = 1;
			u->drop_body = has_body(c, cl);
		}
		*req_state = u;
		return MHD_YES;
	}
	if (u->has_early) {
		if (*upload_size != 0) {
			if (!u->drop_body)
				return MHD_NO; /* a body after all: not HTTP */
			u->discarded += *upload_size;
			*upload_size = 0;
			return MHD_YES;
		}
		u->has_early = 0;
		return send_reply(c, &u->early);
	}
	if (*upload_size != 0) {
		size_t n = *upload_size;
		*upload_size = 0;
		if (u->too_large || n > REQUEST_MAX_BODY - u->len) {
			/* Only a chunked body gets here (a declared length
			 * was refused from the headers), and MHD 0.9.75
			 * cannot answer mid-upload: drop the rest unbuffered
			 * and answer 413 at its end, or close the connection
			 * if it goes on for too long. */
			u->too_large = 1;
			u->discarded += n;
			return u->discarded > TOOLSRV_MAX_DISCARD ? MHD_NO
			                                          : MHD_YES;
		}
		if (u->len + n > u->cap) {
			size_t cap = u->cap ? u->cap : 4096;
			char *p;
			while (cap < u->len + n)
				cap *= 2;
			if (cap > REQUEST_MAX_BODY)
				cap = REQUEST_MAX_BODY;
			if ((p = realloc(u->buf, cap)) == NULL)
				return MHD_NO;
			u->buf = p;
			u->cap = cap;
		}
		memcpy(u->buf + u->len, upload_data, n);
		u->len += n;
		return MHD_YES;
	}
	if (u->too_large) {
		request_error_reply(&reply, 413,
		                    "request body exceeds 1048576 bytes");
		return send_reply(c, &reply);
	}
	if (u->call != NULL) {
		/* Resumed: policyd answered, or the call failed. */
		struct call *k = u->call;
		Envelope e = AUTONOMY__ENVELOPE__INIT;
		if (!k->done)
			return MHD_YES;
		if (k->pc.resp != NULL) {
			e.body_case = AUTONOMY__ENVELOPE__BODY_TOOL_RESPONSE;
			e.tool_response = (Autonomy__ToolResponse *)k->pc.resp;
		}
		request_render(k->pc.resp ? &e : NULL, k->pc.err, k->kind,
		               &reply);
		pcall_release(&k->pc);
		return send_reply(c, &reply);
	}
	{
		char err[512], *kind, *params;
		int status =
		    request_parse_body(u->buf ? u->buf : "", u->len, &kind,
		                       &params, err, sizeof(err));
		if (status != 0) {
			request_error_reply(&reply, (unsigned)status, err);
			return send_reply(c, &reply);
		}
		if (call_start(ts, c, u, kind, params, err, sizeof(err)) < 0) {
			request_render(NULL, err, "", &reply);
			return send_reply(c, &reply);
		}
		return MHD_YES;
	}
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_state,
                         enum MHD_RequestTerminationCode toe)
{
	struct upload *u = *req_state;

	(void)cls;
	(void)c;
	(void)toe;
	if (u != NULL) {
		/* A call still in flight here means MHD is closing a
		 * suspended connection, which only MHD_stop_daemon does, and
		 * toolsrv never calls it (it exits). The callback still owns
		 * the call then: leave it. */
		if (u->call != NULL && u->call->done)
			call_free(u->call);
		if (u->has_early)
			http_reply_free(&u->early);
		free(u->buf);
		free(u);
		*req_state = NULL;
	}
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_warnx("http: %s", msg);
}

int http_start(struct toolsrv *ts, int listen_fd)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	                 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;

	/* The logger first, so no MHD message bypasses it. */
	ts->mhd = MHD_start_daemon(
	    flags, 0, NULL, NULL, on_request, ts, MHD_OPTION_EXTERNAL_LOGGER,
	    mhd_log, NULL, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)listen_fd,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)TOOLSRV_MAX_CONNECTIONS,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)TOOLSRV_CONN_TIMEOUT_S,
	    MHD_OPTION_STRICT_FOR_CLIENT, 1, MHD_OPTION_THREAD_STACK_SIZE,
	    (size_t)(512 * 1024), MHD_OPTION_NOTIFY_COMPLETED, on_completed,
	    NULL, MHD_OPTION_END);
	if (ts->mhd == NULL) {
		log_warnx("cannot start the HTTP server on fd %d", listen_fd);
		return -1;
	}
	return 0;
}
