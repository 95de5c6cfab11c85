/* The /v1/tool contract without HTTP or IPC machinery: routing, bearer
 * token, the request body parser and the rendering of a ToolResponse.
 * http.c feeds it what libmicrohttpd parsed; the unit tests and the fuzz
 * targets feed it bytes directly with a fake policyd (the backend). */
#ifndef AUTONOMY_TOOLSRV_REQUEST_H
#define AUTONOMY_TOOLSRV_REQUEST_H

#include <stddef.h>

#include "envelope.h"

#define REQUEST_MAX_BODY (1024u * 1024) /* larger: 413, never buffered */
#define REQUEST_MAX_DEPTH 64            /* JSON nesting of the body */
#define REQUEST_MAX_KIND 128
#define REQUEST_MAX_TOKEN 128

/* What to send back. body is malloc'd JSON text (owned here); audit_id
 * is empty when no decision was reached (then no X-Autonomy-Audit-Id). */
struct http_reply {
	unsigned status;
	char *body;
	char audit_id[ENV_MAX_AUDIT_ID + 1];
	const char *allow;    /* Allow header (405), or NULL */
	int www_authenticate; /* 401: WWW-Authenticate: Bearer */
};

void http_reply_free(struct http_reply *r);

/* The policyd side of a call: sends ToolRequest{kind, params_json} and
 * returns the validated reply envelope (ToolResponse or Error; freed by
 * the caller with envelope_free), or NULL with err filled when policyd
 * could not be reached or did not answer in time. */
typedef Envelope *(*tool_backend_fn)(void *arg, const char *kind,
                                     const char *params_json, char *err,
                                     size_t errlen);

struct tool_backend {
	tool_backend_fn call;
	void *arg;
};

/* The bearer token the supervisor handed us. */
struct tool_token {
	const char *value;
	size_t len;
};

/* 1 if kind matches ^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$ and is at most
 * REQUEST_MAX_KIND bytes, else 0. */
int request_kind_valid(const char *kind);

/* 1 if JSON text never nests arrays/objects deeper than max_depth. Only
 * meaningful as a pre-check before the real parser (it does not
 * validate). */
int request_depth_ok(const char *text, size_t len, int max_depth);

/* 1 if authorization is exactly "Bearer <token>" (scheme case-
 * insensitive); the token bytes are compared in constant time. */
int request_token_ok(const char *authorization, const struct tool_token *t);

/* Parses and validates a /v1/tool body. On success returns 0 with *kind
 * and *params_json malloc'd (params_json is compact JSON object text,
 * "{}" when absent). On failure returns the HTTP status (400 or 413)
 * with err naming the problem. */
int request_parse_body(const char *body, size_t len, char **kind,
                       char **params_json, char *err, size_t errlen);

/* Turns policyd's answer (NULL: unreachable; backend_err says why) into
 * the HTTP reply for a call of kind. Never produces a 200 unless the
 * envelope is a ToolResponse with OUTCOME_ALLOW for that same kind and
 * well-formed output. */
void request_render(const Envelope *resp, const char *backend_err,
                    const char *kind, struct http_reply *out);

/* Routing, method and auth from the request line and headers alone.
 * content_length: the declared body size or -1 when unknown (chunked).
 * Returns 1 when the body should be read and request_handle_body()
 * called, else 0 with out filled (404/405/401/413 or health). */
int request_preflight(const char *method, const char *url,
                      const char *authorization, long long content_length,
                      const struct tool_token *token, struct http_reply *out);

/* After preflight said 1: parse the complete body, ask the backend,
 * render. */
void request_handle_body(const char *body, size_t len,
                         const struct tool_backend *be, struct http_reply *out);

/* The whole thing for one complete request (tests and fuzzing). */
void request_handle(const char *method, const char *url,
                    const char *authorization, const char *body, size_t len,
                    const struct tool_token *token,
                    const struct tool_backend *be, struct http_reply *out);

/* Sets out to status with body {"error": msg}. */
void request_error_reply(struct http_reply *out, unsigned status,
                         const char *msg);

#endif
