/* policyd's side of a helper (the fetcher, mavproxy): one request
 * Envelope per question, sent on a context of its own and answered
 * through a callback on an nng thread (no thread waits). Contexts and
 * aios are pooled, never freed. */
#ifndef AUTONOMY_HELPERCLIENT_H
#define AUTONOMY_HELPERCLIENT_H

#include "envelope.h"
#include "ipc.h"

struct helperclient;

/* How timeout_ms bounds a call. */
enum helper_deadline {
	/* the send (waiting for the pipe) and the answer together */
	HELPER_DEADLINE_WHOLE,
	/* the send, then the answer, each within timeout_ms */
	HELPER_DEADLINE_EACH,
};

/* name prefixes every error ("fetcher: Timed out"); a reply whose body
 * is not reply_case (nor an Error) is "unexpected reply". */
struct helperclient *helperclient_open(nng_socket sock, const char *name,
                                       Autonomy__Envelope__BodyCase reply_case,
                                       enum helper_deadline deadline);

/* done runs exactly once: reply is the helper's Envelope, its body
 * reply_case (valid until done returns), or NULL with err saying why
 * (the helper's Error, no answer in time, packing failed). */
typedef void (*helper_done)(void *arg, const Envelope *reply, const char *err);

void helperclient_call(struct helperclient *hc, const Envelope *req,
                       int timeout_ms, helper_done done, void *arg);

#endif
