/* toolsrv's own pieces: the HTTP front (http.c) over libmicrohttpd, the
 * policyd backend it calls, and the seccomp allow-list (sandbox.c). */
#ifndef AUTONOMY_TOOLSRV_H
#define AUTONOMY_TOOLSRV_H

#include <nng/nng.h>

#include "request.h"

/* Connections served at once (one event loop, see http.c): this bounds
 * the body buffers (at most REQUEST_MAX_BODY each) and descriptors. */
#define TOOLSRV_MAX_CONNECTIONS 256
/* An idle or slow client is dropped after this many seconds. */
#define TOOLSRV_CONN_TIMEOUT_S 15
/* How long one call may wait for policyd's answer, from the moment
 * toolsrv has its body: then 503. Above policyd's own bound for a WAL
 * record (POLICYD_WAL_TIMEOUT_MS, 5 s), so when walwriter hangs the
 * caller hears policyd's reason; this bound applies when policyd hangs. */
#define TOOLSRV_CALL_TIMEOUT_MS 10000
/* How long a request may wait to be handed to policyd (no pipe). */
#define TOOLSRV_SEND_TIMEOUT_MS 5000

struct toolsrv {
	struct tool_token token;
	nng_socket policyd;
	struct pclient *pclient; /* calls to policyd, batched (pclient.h) */
	int call_timeout_ms;
	int send_timeout_ms;
	struct MHD_Daemon *mhd;
};

/* Starts serving HTTP on the already-listening socket listen_fd. */
int http_start(struct toolsrv *ts, int listen_fd);

/* no-new-privs, capabilities, rlimits and the seccomp allow-list. */
int sandbox_confine(void);

#endif
