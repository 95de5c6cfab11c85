/* policyd's side of the WAL: appends from every call in flight are
 * gathered into WalBatch requests, so under load one message (and one
 * walwriter transaction) carries many records instead of one each.
 *
 * A caller fills a wal_req (the append and a completion callback) and
 * submits it; the callback runs exactly once, on an nng thread, when
 * walwriter has acknowledged the record as durable (ok = 1) or when it
 * cannot be (ok = 0: refused, walwriter's Error, timeout, walwriter
 * gone; err says which). Records are sent in submission order, and
 * walwriter commits them in the order it receives them. */
#ifndef AUTONOMY_WALCLIENT_H
#define AUTONOMY_WALCLIENT_H

#include <stddef.h>

#include "envelope.h"
#include "ipc.h"

#include <nng/supplemental/util/platform.h>

#define WALCLIENT_ERR 320

struct wal_req {
	Autonomy__WalAppend app; /* filled by the caller; borrowed */
	void (*done)(struct wal_req *req, int ok, const char *err);
	void *arg;
	struct wal_req *next; /* walclient's */
	nng_time deadline;    /* walclient's: submitted + timeout_ms */
};

struct walclient;

/* Up to `inflight` batches travel at once, each on its own context of
 * sock. Every record is acknowledged or failed within timeout_ms of its
 * submission, however long it queued behind other batches (a hung
 * walwriter costs a call at most that much). */
struct walclient *walclient_open(nng_socket sock, int inflight, int timeout_ms);

void walclient_submit(struct walclient *wc, struct wal_req *req);

/* Records submitted and not yet acknowledged (or failed). */
size_t walclient_pending(struct walclient *wc);

#endif
