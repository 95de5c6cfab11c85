/* policyd's side of mavproxy: one MavlinkRequest per question (the
 * vehicle's facts before a decision; an allowed call after it), each on
 * a context of its own and answered through a callback on an nng thread
 * (no thread waits). Contexts and aios are pooled, never freed. */
#ifndef AUTONOMY_MAVCLIENT_H
#define AUTONOMY_MAVCLIENT_H

#include "envelope.h"
#include "ipc.h"

struct mavclient;

struct mavclient *mavclient_open(nng_socket sock);

/* done runs exactly once: reply is mavproxy's MavlinkReply (valid until
 * done returns), or NULL with err saying why (mavproxy's Error, no
 * answer within timeout_ms, packing failed). */
typedef void (*mav_done)(void *arg, const Autonomy__MavlinkReply *reply,
                         const char *err);

void mavclient_call(struct mavclient *mc, const Autonomy__MavlinkRequest *req,
                    int timeout_ms, mav_done done, void *arg);

#endif
