/* toolsrv's side of policyd: calls are sent as ToolBatch requests. A call
 * goes out at once when fewer than PCLIENT_YOUNG batches are travelling;
 * otherwise it waits for the next batch, so under load one message (and
 * one round of nng's threads) carries many calls, and at rest a call
 * travels alone. A batch outstanding for PCLIENT_SLOW_MS no longer counts
 * (a slow tool in it must not hold up calls that come later).
 *
 * Each call's completion callback runs exactly once, on an nng thread:
 * with its ToolResponse (pcall.resp, valid until pcall_release()) or
 * with pcall.err set (policyd unreachable, timed out, refused the batch,
 * or answered something malformed: the caller fails closed, 503). It
 * runs within call_timeout_ms of pclient_submit(), however long the
 * call waited for a batch (a hung policyd costs a call at most that). */
#ifndef AUTONOMY_TOOLSRV_PCLIENT_H
#define AUTONOMY_TOOLSRV_PCLIENT_H

#include <nng/nng.h>
#include <nng/supplemental/util/platform.h>
#include <stddef.h>

#include "envelope.h"

#define PCLIENT_YOUNG 4
#define PCLIENT_SLOW_MS 25
#define PCLIENT_CONTEXTS 64
/* A batch's params together (one call alone may be larger). */
#define PCLIENT_BATCH_BYTES (1u << 20)

struct pclient;
struct pshared; /* one reply envelope, shared by its batch's calls */

struct pcall {
	const char *kind;   /* borrowed until done */
	const char *params; /* borrowed until done */
	void (*done)(struct pcall *pc);
	void *arg;
	/* results */
	const Autonomy__ToolResponse *resp; /* NULL: see err */
	char err[256];
	/* pclient's */
	struct pshared *shared;
	struct pcall *next;
	nng_time deadline; /* submitted + call_timeout_ms */
};

struct pclient *pclient_open(nng_socket sock, int send_timeout_ms,
                             int call_timeout_ms);
void pclient_submit(struct pclient *pcl, struct pcall *pc);
/* The caller is done with pc->resp. */
void pcall_release(struct pcall *pc);

#endif
