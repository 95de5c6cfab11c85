/* policyd's side of the fetcher: one HttpGetRequest per hop, sent on a
 * context of its own and answered through a callback on an nng thread
 * (no thread waits). Contexts and aios are pooled, never freed. */
#ifndef AUTONOMY_FETCHCLIENT_H
#define AUTONOMY_FETCHCLIENT_H

#include "envelope.h"
#include "ipc.h"

struct fetchclient;

struct fetchclient *fetchclient_open(nng_socket sock);

/* done runs exactly once: reply is the fetcher's HttpGetReply (valid
 * until done returns), or NULL with err saying why (the fetcher's Error,
 * no answer within timeout_ms, packing failed). */
typedef void (*fetch_done)(void *arg, const Autonomy__HttpGetReply *reply,
                           const char *err);

void fetchclient_call(struct fetchclient *fc,
                      const Autonomy__HttpGetRequest *req, int timeout_ms,
                      fetch_done done, void *arg);

#endif
