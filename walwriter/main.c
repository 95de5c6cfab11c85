/* walwriter: the only writer of the WAL directory (DESIGN.md §3).
 *
 * Reads top to bottom: parse the command line, open the WAL and the rep
 * socket, confine, report ready, serve. Serving is SLOTS nng contexts,
 * each driven by its own aio callback (no thread per request), and one
 * committer thread: a slot's callback validates a request and queues its
 * append; the committer takes everything queued, writes it in one LMDB
 * transaction (one sync) and then sends each slot's reply itself.
 * Appends arriving during a sync queue up for the next transaction, so
 * batches grow with the load. Nothing is acknowledged before its
 * transaction is durable, and a failed commit fails every append in its
 * batch and then walwriter itself. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "attack.h"
#include "confine.h"
#include "envelope.h"
#include "helper.h"
#include "ipc.h"
#include "log.h"
#include "sandbox.h"
#include "wal.h"

/* Requests served at once (in-flight appends). */
#define SLOTS 64
#define COMMITTER_STACK (256 * 1024)
/* On a failed commit, how long the committer lets the batch's workers
 * send their Error replies before the process exits. */
#define FAIL_REPLY_GRACE_S 2

/* Which record kinds each origin may write (docs/processes.md). The
 * origin is the connection's, never the message's. */
static const struct origin_rule {
	const char *origin;
	const char *kinds[8];
} origin_rules[] = {
    {"supervisor",
     {"run.start", "run.end", "helper.exit", "seccomp-opt-out", "sandbox.layer",
      "landlock-opt-out"}},
    {"policyd",
     {"policy.allow", "policy.deny", "runtime.allow", "runtime.deny",
      "tool.result"}},
    {"spawner", {"workload.start", "sandbox.layer", "writable_mount_declared"}},
    {"toolsrv", {NULL}},
    /* tool.http_get's runtime layer (AllowedDomains, address checks) */
    {"fetcher",
     {"runtime.allow", "runtime.deny",
      /* the workload's egress proxy (--allow-host) */
      "egress.allow", "egress.deny", "egress.end"}},
    /* tool.mavlink.*'s runtime layer (link, geofence, interval, arming) */
    {"mavproxy", {"runtime.allow", "runtime.deny"}},
};
#define N_ORIGINS (sizeof(origin_rules) / sizeof(origin_rules[0]))

/* An append refused for its origin, stored instead as a wal.refused
 * record (origin walwriter) that names the peer, the kind and why. */
struct refusal {
	char reason[256];
	char peer_pid[16];
	Autonomy__Attr attr[4];
	Autonomy__Attr *attrs[4];
};

/* One record a slot has queued. */
struct entry {
	struct wal_entry e;
	struct refusal *refused; /* set: e is the wal.refused record */
};

/* One nng context and its aio, cycling receive -> serve -> send reply.
 * While its records are queued the slot belongs to the committer. A
 * WalAppend (or a refused request) queues one record, a WalBatch one per
 * append; all of a slot's records go into the same transaction. */
struct slot {
	nng_ctx ctx;
	nng_aio *aio;
	int sending;      /* the aio is sending the reply */
	int owes_failure; /* that reply is a failed commit's Error */
	Envelope *req;    /* the request; the records borrow its strings */
	int batch;        /* answer with a WalBatchAck */
	size_t n;
	struct entry *ent; /* n records: &one, or allocated for a batch */
	struct entry one;
	struct refusal one_refusal;
	struct slot *next;
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t work; /* committer: something queued, or stopping */
	pthread_cond_t done; /* committer: a failure's Error replies sent */
	struct slot *head, **tail;
	int stopping, stopped, failed;
	unsigned owed; /* Error replies still to send after a failure */
	/* Why the WAL failed (e.g. "commit: No space left on device"):
	 * written once, before failed is set, and told to every append
	 * refused from then on. */
	char fail_reason[600];
	uint64_t records, allowed, denied, refused, last_seq;
} q = {
    .mu = PTHREAD_MUTEX_INITIALIZER,
    .work = PTHREAD_COND_INITIALIZER,
    .done = PTHREAD_COND_INITIALIZER,
    .tail = &q.head,
};

/* pid -> origin, from the supervisor's PeerTable. */
static struct {
	pthread_mutex_t mu;
	size_t n;
	struct {
		int pid;
		const char *origin; /* points into origin_rules */
	} peer[ENV_MAX_PEERS];
} peers = {.mu = PTHREAD_MUTEX_INITIALIZER};

static struct wal *wal;
static nng_socket sock;
static pid_t supervisor_pid;

static noreturn void usage(void)
{
	fprintf(stderr, "usage: walwriter --rundir DIR --wal-dir DIR "
	                "[--wal-dir-fd F] --ready-fd N\n");
	exit(64);
}

static const struct origin_rule *find_rule(const char *origin)
{
	for (size_t i = 0; i < N_ORIGINS; i++)
		if (strcmp(origin_rules[i].origin, origin) == 0)
			return &origin_rules[i];
	return NULL;
}

/* The origin of a connection's peer pid, or NULL for a stranger. The
 * supervisor is our parent, and only while it still is. */
static const char *origin_of(int pid)
{
	const char *origin = NULL;

	if (pid <= 0)
		return NULL;
	if (pid == supervisor_pid && getppid() == supervisor_pid)
		return "supervisor";
	pthread_mutex_lock(&peers.mu);
	for (size_t i = 0; i < peers.n; i++)
		if (peers.peer[i].pid == pid)
			origin = peers.peer[i].origin;
	pthread_mutex_unlock(&peers.mu);
	return origin;
}

static int kind_allowed(const char *origin, const char *kind)
{
	const struct origin_rule *r;

	if (origin == NULL || (r = find_rule(origin)) == NULL)
		return 0;
	for (size_t i = 0;
	     i < sizeof(r->kinds) / sizeof(*r->kinds) && r->kinds[i] != NULL;
	     i++)
		if (strcmp(r->kinds[i], kind) == 0)
			return 1;
	return 0;
}

/* The Error an append gets once the WAL is failed or stopping. */
static const char *unavailable_reason(void)
{
	const char *why;

	pthread_mutex_lock(&q.mu);
	why = q.failed ? q.fail_reason : "WAL closing; append not recorded";
	pthread_mutex_unlock(&q.mu);
	return why;
}

/* Hands s to the committer, which replies once its transaction is
 * durable. -1: not queued, the WAL is failed or stopping. */
static int commit_queue(struct slot *s)
{
	pthread_mutex_lock(&q.mu);
	if (q.failed || q.stopped) {
		pthread_mutex_unlock(&q.mu);
		return -1;
	}
	s->next = NULL;
	*q.tail = s;
	q.tail = &s->next;
	pthread_cond_signal(&q.work);
	pthread_mutex_unlock(&q.mu);
	return 0;
}

/* After a failed commit: one slot has sent its Error reply. */
static void failure_replied(void)
{
	pthread_mutex_lock(&q.mu);
	if (q.owed > 0 && --q.owed == 0)
		pthread_cond_broadcast(&q.done);
	pthread_mutex_unlock(&q.mu);
}

static void count_record(const char *kind)
{
	q.records++;
	if (strcmp(kind, "policy.allow") == 0)
		q.allowed++;
	else if (strcmp(kind, "policy.deny") == 0 ||
	         strcmp(kind, "runtime.deny") == 0)
		q.denied++;
	else if (strcmp(kind, "wal.refused") == 0)
		q.refused++;
}

/* Sends env as s's reply; the aio callback then frees the request and
 * receives the next one. */
static void reply(struct slot *s, Envelope *env)
{
	nng_msg *msg;

	if (ipc_msg_pack(env, &msg) < 0) {
		log_warnx("cannot pack %s", envelope_body_name(env));
		msg = NULL;
	}
	s->sending = 1;
	nng_aio_set_msg(s->aio, msg);
	if (msg != NULL)
		nng_ctx_send(s->ctx, s->aio);
	else
		nng_aio_finish(s->aio, NNG_ENOMEM);
}

static void reply_error(struct slot *s, const char *message)
{
	Envelope env = AUTONOMY__ENVELOPE__INIT;
	Autonomy__Error e = AUTONOMY__ERROR__INIT;

	e.message = (char *)message;
	env.body_case = AUTONOMY__ENVELOPE__BODY_ERROR;
	env.error = &e;
	reply(s, &env);
}

static void fill_ack(Autonomy__WalAck *ack, struct entry *en)
{
	autonomy__wal_ack__init(ack);
	ack->seq = en->e.rec.seq;
	ack->hash.data = en->e.hash;
	ack->hash.len = WAL_HASH_LEN;
	if (en->refused != NULL)
		ack->refused = en->refused->reason;
}

static void reply_ack(struct slot *s)
{
	Envelope env = AUTONOMY__ENVELOPE__INIT;
	Autonomy__WalAck ack;

	fill_ack(&ack, &s->ent[0]);
	env.body_case = AUTONOMY__ENVELOPE__BODY_WAL_ACK;
	env.wal_ack = &ack;
	reply(s, &env);
}

/* One WalAck per append of the batch, in order; a refused one names why
 * and carries the seq of the wal.refused record stored in its place. */
static void reply_batch_ack(struct slot *s)
{
	Envelope env = AUTONOMY__ENVELOPE__INIT;
	Autonomy__WalBatchAck b = AUTONOMY__WAL_BATCH_ACK__INIT;
	Autonomy__WalAck *acks = calloc(s->n, sizeof(*acks));
	Autonomy__WalAck **ackp = calloc(s->n, sizeof(*ackp));

	if (acks == NULL || ackp == NULL) {
		free(acks);
		free(ackp);
		/* Durable but unacknowledged: the writer treats it as lost,
		 * which errs on the side of not acting. */
		reply_error(s, "walwriter: out of memory acknowledging");
		return;
	}
	for (size_t i = 0; i < s->n; i++) {
		fill_ack(&acks[i], &s->ent[i]);
		ackp[i] = &acks[i];
	}
	b.n_acks = s->n;
	b.acks = ackp;
	env.body_case = AUTONOMY__ENVELOPE__BODY_WAL_BATCH_ACK;
	env.wal_batch_ack = &b;
	reply(s, &env); /* packed at once: the arrays may go */
	free(acks);
	free(ackp);
}

/* Every record of every slot queued at once fits one transaction. */
#define TXN_MAX (SLOTS * ENV_MAX_BATCH)

static void *committer_main(void *arg)
{
	static struct wal_entry *batch[TXN_MAX];
	(void)arg;

	for (;;) {
		struct slot *list, *s, *next;
		struct timespec now, until;
		char err[512];
		size_t n = 0;
		int rc;

		pthread_mutex_lock(&q.mu);
		while (q.head == NULL && !q.stopping)
			pthread_cond_wait(&q.work, &q.mu);
		if (q.head == NULL) {
			q.stopped = 1;
			pthread_mutex_unlock(&q.mu);
			return NULL;
		}
		list = q.head;
		q.head = NULL;
		q.tail = &q.head;
		pthread_mutex_unlock(&q.mu);

		/* Each slot has at most one request queued. */
		for (s = list; s != NULL; s = s->next)
			for (size_t i = 0; i < s->n; i++) {
				if (n == TXN_MAX)
					fatalx("more queued records than "
					       "slots can hold");
				batch[n++] = &s->ent[i].e;
			}
		clock_gettime(CLOCK_REALTIME, &now);
		rc = wal_append(wal, batch, n,
		                (int64_t)now.tv_sec * 1000000000 + now.tv_nsec,
		                err, sizeof(err));

		pthread_mutex_lock(&q.mu);
		if (rc == 0) {
			for (s = list; s != NULL; s = s->next)
				for (size_t i = 0; i < s->n; i++)
					count_record(s->ent[i].e.rec.kind);
			q.last_seq = wal_last_seq(wal);
		} else {
			snprintf(q.fail_reason, sizeof(q.fail_reason),
			         "WAL commit failed (%.500s); append not "
			         "recorded",
			         err);
			q.failed = 1;
			/* one Error reply per slot, however many records */
			q.owed = 0;
			for (s = list; s != NULL; s = s->next)
				q.owed++;
		}
		pthread_mutex_unlock(&q.mu);

		/* Durable (or failed): answer. Once a reply is on its way the
		 * slot is its callback's again, so s->next is read first. */
		for (s = list; s != NULL; s = next) {
			next = s->next;
			if (rc != 0) {
				s->owes_failure = 1;
				reply_error(s, q.fail_reason);
			} else if (s->batch)
				reply_batch_ack(s);
			else if (s->ent[0].refused != NULL)
				reply_error(s, s->ent[0].refused->reason);
			else
				reply_ack(s);
		}
		if (rc != 0) {
			pthread_mutex_lock(&q.mu);
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += FAIL_REPLY_GRACE_S;
			while (q.owed > 0 &&
			       pthread_cond_timedwait(&q.done, &q.mu, &until) !=
			           ETIMEDOUT)
				;
			/* Fail closed: the supervisor sees walwriter die. */
			fatalx("WAL commit of %zu records failed, refusing all "
			       "further appends: %s",
			       n, err);
		}
	}
}

/* Makes en the wal.refused record standing for a refused append or
 * request: origin walwriter, naming the peer, the kind and why. */
static void entry_refused(struct entry *en, struct refusal *r,
                          const char *origin, int pid, const char *kind,
                          const char *audit_id, const char *tool,
                          const char *reason)
{
	log_warnx("refused %s from %s pid %d: %s", kind,
	          origin ? origin : "unknown", pid, reason);
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
	snprintf(r->peer_pid, sizeof(r->peer_pid), "%d", pid);
	for (int i = 0; i < 4; i++) {
		autonomy__attr__init(&r->attr[i]);
		r->attrs[i] = &r->attr[i];
	}
	r->attr[0].key = "peer_origin";
	r->attr[0].value = (char *)(origin ? origin : "unknown");
	r->attr[1].key = "peer_pid";
	r->attr[1].value = r->peer_pid;
	r->attr[2].key = "kind";
	r->attr[2].value = (char *)kind;
	r->attr[3].key = "reason";
	r->attr[3].value = r->reason;

	memset(&en->e, 0, sizeof(en->e));
	autonomy__wal_record__init(&en->e.rec);
	en->e.rec.audit_id = (char *)audit_id;
	en->e.rec.kind = "wal.refused";
	en->e.rec.origin = "walwriter";
	en->e.rec.tool = (char *)tool;
	en->e.rec.n_attrs = 4;
	en->e.rec.attrs = r->attrs;
	en->refused = r;
}

/* Records a refused request as a wal.refused record, then answers
 * Error. The reply waits for the record to be durable so the refusal is
 * on disk before the refused peer learns of it. */
static void refuse(struct slot *s, const char *origin, int pid,
                   const char *kind, const char *audit_id, const char *tool,
                   const char *reason)
{
	s->batch = 0;
	s->n = 1;
	s->ent = &s->one;
	entry_refused(&s->one, &s->one_refusal, origin, pid, kind, audit_id,
	              tool, reason);
	if (commit_queue(s) < 0)
		reply_error(s, unavailable_reason());
}

/* Fills en from one append, or makes it a refusal (r, or allocated when
 * r is NULL) if its origin may not write that kind. -1: out of memory. */
static int entry_from_append(struct entry *en, struct refusal *r,
                             const char *origin, int pid,
                             const Autonomy__WalAppend *a)
{
	char reason[256];

	if (!kind_allowed(origin, a->kind)) {
		if (r == NULL && (r = calloc(1, sizeof(*r))) == NULL)
			return -1;
		snprintf(reason, sizeof(reason),
		         "origin %s may not write kind %.128s",
		         origin ? origin : "unknown (pid not in peer table)",
		         a->kind);
		entry_refused(en, r, origin, pid, a->kind, a->audit_id, a->tool,
		              reason);
		return 0;
	}
	/* The record borrows the request's strings: they live until the
	 * request is freed, after the reply. */
	memset(&en->e, 0, sizeof(en->e));
	autonomy__wal_record__init(&en->e.rec);
	en->e.rec.audit_id = a->audit_id;
	en->e.rec.kind = a->kind;
	en->e.rec.origin = (char *)origin;
	en->e.rec.tool = a->tool;
	en->e.rec.n_attrs = a->n_attrs;
	en->e.rec.attrs = a->attrs;
	en->refused = NULL;
	return 0;
}

static void serve_append(struct slot *s, const char *origin, int pid,
                         const Autonomy__WalAppend *a)
{
	s->batch = 0;
	s->n = 1;
	s->ent = &s->one;
	(void)entry_from_append(&s->one, &s->one_refusal, origin, pid, a);
	if (commit_queue(s) < 0)
		reply_error(s, unavailable_reason());
}

static void serve_batch(struct slot *s, const char *origin, int pid,
                        const Autonomy__WalBatch *b)
{
	s->batch = 1;
	s->n = 0;
	if ((s->ent = calloc(b->n_appends, sizeof(*s->ent))) == NULL) {
		s->ent = &s->one;
		reply_error(s, "walwriter: out of memory");
		return;
	}
	for (size_t i = 0; i < b->n_appends; i++, s->n++)
		if (entry_from_append(&s->ent[i], NULL, origin, pid,
		                      b->appends[i]) < 0) {
			reply_error(s, "walwriter: out of memory");
			return;
		}
	if (commit_queue(s) < 0)
		reply_error(s, unavailable_reason());
}

/* After the reply: the slot's records and request go. */
static void slot_reset(struct slot *s)
{
	if (s->ent != NULL && s->ent != &s->one) {
		for (size_t i = 0; i < s->n; i++)
			free(s->ent[i].refused);
		free(s->ent);
	}
	s->ent = NULL;
	s->n = 0;
	s->batch = 0;
	envelope_free(s->req);
	s->req = NULL;
}

static void reply_body_ack(struct slot *s)
{
	Envelope env = AUTONOMY__ENVELOPE__INIT;
	Autonomy__Ack ack = AUTONOMY__ACK__INIT;

	env.body_case = AUTONOMY__ENVELOPE__BODY_ACK;
	env.ack = &ack;
	reply(s, &env);
}

/* Replaces the pid -> origin table. Only helper origins may be named, and
 * never the supervisor's own pid or ours. */
static void serve_peer_table(struct slot *s, const Autonomy__PeerTable *t)
{
	const char *origin[ENV_MAX_PEERS];

	for (size_t i = 0; i < t->n_peers; i++) {
		const Autonomy__Peer *p = t->peers[i];
		const struct origin_rule *r = find_rule(p->origin);
		if (r == NULL || strcmp(r->origin, "supervisor") == 0 ||
		    p->pid == supervisor_pid || p->pid == getpid()) {
			log_warnx("peer table: bad entry %s=%d", p->origin,
			          p->pid);
			reply_error(s, "peer table: bad entry");
			return;
		}
		for (size_t j = 0; j < i; j++)
			if (t->peers[j]->pid == p->pid) {
				reply_error(s, "peer table: duplicate pid");
				return;
			}
		origin[i] = r->origin;
	}
	pthread_mutex_lock(&peers.mu);
	for (size_t i = 0; i < t->n_peers; i++) {
		peers.peer[i].pid = t->peers[i]->pid;
		peers.peer[i].origin = origin[i];
		log_debug("peer %s is pid %d", origin[i], t->peers[i]->pid);
	}
	peers.n = t->n_peers;
	pthread_mutex_unlock(&peers.mu);
	reply_body_ack(s);
}

static void serve_stats(struct slot *s)
{
	Envelope env = AUTONOMY__ENVELOPE__INIT;
	Autonomy__WalStats st = AUTONOMY__WAL_STATS__INIT;

	pthread_mutex_lock(&q.mu);
	st.records = q.records;
	st.allowed = q.allowed;
	st.denied = q.denied;
	st.refused = q.refused;
	st.last_seq = q.last_seq;
	pthread_mutex_unlock(&q.mu);
	env.body_case = AUTONOMY__ENVELOPE__BODY_WAL_STATS;
	env.wal_stats = &st;
	reply(s, &env);
}

static void dispatch(struct slot *s, int pid)
{
	const Envelope *env = s->req;
	const char *origin = origin_of(pid);
	int from_supervisor = origin && strcmp(origin, "supervisor") == 0;

	attack_point(); /* test builds only: attack.h */
	switch (env->body_case) {
	case AUTONOMY__ENVELOPE__BODY_WAL_APPEND:
		serve_append(s, origin, pid, env->wal_append);
		return;
	case AUTONOMY__ENVELOPE__BODY_WAL_BATCH:
		serve_batch(s, origin, pid, env->wal_batch);
		return;
	case AUTONOMY__ENVELOPE__BODY_PEER_TABLE:
		if (from_supervisor)
			serve_peer_table(s, env->peer_table);
		else
			refuse(s, origin, pid, "PeerTable", "", "",
			       "PeerTable is accepted only from the "
			       "supervisor");
		return;
	case AUTONOMY__ENVELOPE__BODY_WAL_STATS_REQUEST:
		if (from_supervisor)
			serve_stats(s);
		else
			refuse(s, origin, pid, "WalStatsRequest", "", "",
			       "WalStatsRequest is accepted only from the "
			       "supervisor");
		return;
	default:
		log_warnx("unexpected %s from pid %d", envelope_body_name(env),
		          pid);
		reply_error(s, "unexpected message for walwriter");
		return;
	}
}

/* A slot's aio finished: a reply went out (receive the next request) or a
 * request came in (serve it). Runs on nng's threads and never blocks:
 * an append is only queued here. */
static void slot_done(void *arg)
{
	struct slot *s = arg;
	int rv = nng_aio_result(s->aio);
	nng_msg *msg;
	char err[256];
	int pid;

	if (s->sending) {
		s->sending = 0;
		if (rv != 0) {
			nng_msg_free(nng_aio_get_msg(s->aio));
			nng_aio_set_msg(s->aio, NULL);
			log_warnx("reply: %s", nng_strerror(rv));
		}
		slot_reset(s);
		if (s->owes_failure) {
			s->owes_failure = 0;
			failure_replied();
		}
		if (rv != NNG_ECLOSED)
			nng_ctx_recv(s->ctx, s->aio);
		return;
	}
	if (rv != 0) {
		if (rv != NNG_ECLOSED) {
			log_warnx("receive: %s", nng_strerror(rv));
			nng_ctx_recv(s->ctx, s->aio);
		}
		return;
	}
	msg = nng_aio_get_msg(s->aio);
	nng_aio_set_msg(s->aio, NULL);
	s->req = ipc_msg_unpack(msg, &pid, err, sizeof(err));
	nng_msg_free(msg);
	if (s->req == NULL) {
		log_warnx("bad request from pid %d: %s", pid, err);
		reply_error(s, err);
		return;
	}
	dispatch(s, pid);
}

static void start_thread(pthread_t *t, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	int rc;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, COMMITTER_STACK);
	if ((rc = pthread_create(t, &attr, fn, arg)) != 0)
		fatalx("pthread_create: %s", strerror(rc));
	pthread_attr_destroy(&attr);
}

int main(int argc, char **argv)
{
	static struct slot slots[SLOTS];
	pthread_t committer;
	const char *rundir = NULL, *waldir = NULL, *walpath;
	char url[256], sockdir[256], err[512];
	int ready_fd = -1, wal_fd = -1, sig, rv, abi;
	sigset_t stop;

	helper_init("walwriter");
	for (int i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--rundir") == 0)
			rundir = argv[++i];
		else if (strcmp(argv[i], "--wal-dir") == 0)
			waldir = argv[++i];
		else if (strcmp(argv[i], "--ready-fd") == 0)
			ready_fd = helper_parse_fd(argv[++i]);
		else if (strcmp(argv[i], "--wal-dir-fd") == 0 && wal_fd < 0 &&
		         (wal_fd = helper_parse_fd(argv[i + 1])) >= 0)
			i++;
		else
			usage();
	}
	if (rundir == NULL || waldir == NULL || ready_fd < 0)
		usage();
	attack_init(rundir);
	if (fcntl(ready_fd, F_GETFD) < 0)
		fatal("--ready-fd %d", ready_fd);

	/* Every thread (nng's too) inherits this mask; only the main
	 * thread takes SIGTERM/SIGINT, in sigwait() below. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	if (pthread_sigmask(SIG_BLOCK, &stop, NULL) != 0)
		fatalx("pthread_sigmask");
	supervisor_pid = getppid();

	log_debug("started");
	/* --wal-dir-fd: the supervisor opened the directory for us; under
	 * our own uid its path may not be ours to walk. */
	walpath = waldir;
	if (wal_fd >= 0) {
		if (fchdir(wal_fd) < 0)
			fatal("--wal-dir-fd %d (%s)", wal_fd, waldir);
		close(wal_fd);
		walpath = ".";
	}
	if (wal_open(&wal, walpath, WAL_WRITE, err, sizeof(err)) < 0)
		fatalx("WAL %s: %s", waldir, err);
	log_debug("WAL open");
	q.last_seq = wal_last_seq(wal);
	if (ipc_url(url, sizeof(url), rundir, IPC_WALWRITER) < 0 ||
	    (size_t)snprintf(sockdir, sizeof(sockdir), "%s/%s", rundir,
	                     IPC_DIR_WALWRITER) >= sizeof(sockdir))
		fatalx("--rundir %s: socket path too long", rundir);
	/* Landlock before the first nng socket starts nng's threads: from
	 * here on the WAL dir's files and our socket are all we can reach. */
	if (confine_landlock(walpath, sockdir, &abi) < 0)
		fatalx("cannot confine (Landlock)");
	if (ipc_listen_rep(&sock, url) < 0)
		exit(70);

	log_debug("listening");
	if (walwriter_confine() < 0)
		fatalx("cannot confine");
	log_debug("confined");

	for (int i = 0; i < SLOTS; i++)
		if ((rv = nng_ctx_open(&slots[i].ctx, sock)) != 0 ||
		    (rv = nng_aio_alloc(&slots[i].aio, slot_done, &slots[i])) !=
		        0)
			fatalx("nng slot: %s", nng_strerror(rv));
	start_thread(&committer, committer_main, NULL);
	for (int i = 0; i < SLOTS; i++)
		nng_ctx_recv(slots[i].ctx, slots[i].aio);
	/* Every thread we will have exists now. */
	if (confine_no_more_threads() < 0)
		fatalx("cannot confine (NPROC)");
	helper_ready(ready_fd);
	log_debug("serving %s, WAL %s at seq %llu", url, waldir,
	          (unsigned long long)q.last_seq);

	while (sigwait(&stop, &sig) != 0)
		;
	log_debug("signal %d: stopping", sig);
	pthread_mutex_lock(&q.mu);
	q.stopping = 1;
	pthread_cond_signal(&q.work);
	pthread_mutex_unlock(&q.mu);
	/* Queued appends still commit; the committer exits when drained.
	 * The socket is left open: closing it would unlink the socket file,
	 * and unlink is not ours to call (the supervisor removes rundir). */
	pthread_join(committer, NULL);
	wal_close(wal);
	log_debug("WAL closed");
	/* _exit: the WAL is closed and stderr is unbuffered; exit()'s
	 * handlers would only tear down nng under its own threads. */
	_exit(0);
}
