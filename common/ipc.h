/* nng req/rep over ipc:// sockets in the run's private 0700 directory.
 * Every socket is opened here, so every receive is bounded by
 * ENVELOPE_MAX_BYTES and no request is silently re-sent (a re-sent tool
 * request could run a tool twice). */
#ifndef AUTONOMY_IPC_H
#define AUTONOMY_IPC_H

#include <nng/nng.h>
#include <stddef.h>

#include "envelope.h"

/* Each listener's socket sits in a directory of its own inside the
 * runtime directory, so the directory's owner and group say who may
 * connect (docs/confinement.md "Who can reach which socket"): the
 * supervisor makes them before any helper starts. */
#define IPC_DIR_POLICYD "policyd"
#define IPC_DIR_WALWRITER "walwriter"
#define IPC_DIR_SPAWNER "spawner"
#define IPC_DIR_FETCHER "fetcher"
#define IPC_DIR_MAVPROXY "mavproxy"
#define IPC_POLICYD IPC_DIR_POLICYD "/policyd.sock"
#define IPC_WALWRITER IPC_DIR_WALWRITER "/walwriter.sock"
#define IPC_SPAWNER IPC_DIR_SPAWNER "/spawner.sock"
#define IPC_FETCHER IPC_DIR_FETCHER "/fetcher.sock"
#define IPC_MAVPROXY IPC_DIR_MAVPROXY "/mavproxy.sock"

/* Writes "ipc://<rundir>/<name>" into url. -1 if it does not fit (the
 * sun_path limit is 108 bytes). */
int ipc_url(char *url, size_t len, const char *rundir, const char *name);

/* Makes rundir's socket directories (IPC_DIR_*), 0700. -1 with errno. */
int ipc_make_dirs(const char *rundir);

/* A rep socket listening on url; the socket file is made 0660 (its
 * directory's group may connect, nobody else: see IPC_DIR_*). */
int ipc_listen_rep(nng_socket *s, const char *url);

/* A req socket dialing url (retrying in the background if the listener
 * is not up yet). timeout_ms bounds every send and receive; <0: none. */
int ipc_dial_req(nng_socket *s, const char *url, int timeout_ms);
/* The same, but returns only once the first connection is made (or
 * failed: -1): the pipe exists when it returns, so the caller may then
 * give up the right to create sockets. */
int ipc_dial_req_connected(nng_socket *s, const char *url, int timeout_ms);

/* One request/reply on a context: packs req, waits for the answer,
 * unpacks and validates it. *resp must be freed with envelope_free. */
int ipc_call(nng_ctx ctx, Envelope *req, Envelope **resp, char *err,
             size_t errlen);

/* Same on a socket's default context (single-threaded callers). */
int ipc_call_sock(nng_socket s, Envelope *req, Envelope **resp, char *err,
                  size_t errlen);

/* Server side: receives one request on ctx. Returns 0 with *env set, or
 * -1 for a malformed message (already logged; the caller replies with an
 * Error envelope) or a closed socket (*closed set). *pid receives the
 * sender's process id from the connection (SO_PEERCRED), or -1. */
int ipc_recv(nng_ctx ctx, Envelope **env, int *pid, int *closed, char *err,
             size_t errlen);

/* For callers driving their own aios: env packed into a new message
 * (bounded by ENVELOPE_MAX_BYTES), -1 if it cannot be; and a received
 * message unpacked and validated (envelope_unpack) with *pid the
 * sender's process id from the connection, or NULL with why in err. The
 * caller still owns msg. */
int ipc_msg_pack(Envelope *env, nng_msg **msg);
Envelope *ipc_msg_unpack(nng_msg *msg, int *pid, char *err, size_t errlen);

/* Server side: sends env as the reply on ctx. */
int ipc_reply(nng_ctx ctx, Envelope *env);

/* Replies with an Error envelope carrying msg. */
int ipc_reply_error(nng_ctx ctx, const char *msg);

#endif
