/* The HTTP front: libmicrohttpd glue around request.c, and the policyd
 * backend.
 *
 * Threading: MHD_USE_THREAD_PER_CONNECTION with an internal polling
 * thread that only accepts. A call blocks its connection's thread on
 * policyd's answer (one nng context per in-flight call, so calls from
 * different connections proceed concurrently and policyd's group commit
 * sees them together); nothing blocks another connection. A thread pool
 * of N threads would cap in-flight calls at N and need suspend/resume
 * plumbing for the same result. MHD_OPTION_CONNECTION_LIMIT bounds
 * threads and memory; MHD_OPTION_CONNECTION_TIMEOUT drops slow clients. */
#include "toolsrv.h"

#include <errno.h>
#include <limits.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"
#include "log.h"

/* One request's body as it arrives. */
struct upload {
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

Envelope *policyd_call(void *arg, const char *kind, const char *params_json,
                       char *err, size_t errlen)
{
	struct toolsrv *ts = arg;
	Envelope req = AUTONOMY__ENVELOPE__INIT;
	Autonomy__ToolRequest tr = AUTONOMY__TOOL_REQUEST__INIT;
	Envelope *resp = NULL;
	nng_ctx ctx;
	int rv;

	if ((rv = nng_ctx_open(&ctx, ts->policyd)) != 0) {
		snprintf(err, errlen, "policyd context: %s", nng_strerror(rv));
		return NULL;
	}
	/* A short send timeout: with no pipe to policyd the call fails
	 * fast instead of waiting the whole decision timeout. */
	if ((rv = nng_ctx_set_ms(ctx, NNG_OPT_SENDTIMEO,
	                         ts->send_timeout_ms)) != 0 ||
	    (rv = nng_ctx_set_ms(ctx, NNG_OPT_RECVTIMEO,
	                         ts->call_timeout_ms)) != 0) {
		snprintf(err, errlen, "policyd timeouts: %s", nng_strerror(rv));
		nng_ctx_close(ctx);
		return NULL;
	}
	tr.kind = (char *)kind;
	tr.params_json = (char *)params_json;
	req.body_case = AUTONOMY__ENVELOPE__BODY_TOOL_REQUEST;
	req.tool_request = &tr;
	if (ipc_call(ctx, &req, &resp, err, errlen) < 0) {
		log_warnx("policyd call %s: %s", kind, err);
		resp = NULL;
	}
	nng_ctx_close(ctx);
	return resp;
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
	struct tool_backend be = {policyd_call, ts};

	(void)version;
	memset(&reply, 0, sizeof(reply));
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
	request_handle_body(u->buf ? u->buf : "", u->len, &be, &reply);
	return send_reply(c, &reply);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_state,
                         enum MHD_RequestTerminationCode toe)
{
	struct upload *u = *req_state;

	(void)cls;
	(void)c;
	(void)toe;
	if (u != NULL) {
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
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION |
	                 MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
	                 MHD_USE_ERROR_LOG;

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
