/* walwriter: the only writer of the WAL directory (DESIGN.md §3).
 *
 * Reads top to bottom: parse the command line, open the WAL and the rep
 * socket, confine, report ready, serve. Serving is WORKERS threads, each
 * receiving on its own nng context, and one committer thread: workers
 * queue appends and sleep; the committer takes everything queued, writes
 * it in one LMDB transaction (one sync) and wakes them to acknowledge.
 * Nothing is acknowledged before its transaction is durable, and a failed
 * commit fails every append in its batch and then walwriter itself. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "envelope.h"
#include "helper.h"
#include "ipc.h"
#include "log.h"
#include "sandbox.h"
#include "wal.h"

#define WORKERS 64
#define WORKER_STACK (256 * 1024)
/* On a failed commit, how long the committer lets the batch's workers
 * send their Error replies before the process exits. */
#define FAIL_REPLY_GRACE_S 2

/* Which record kinds each origin may write (docs/processes.md). The
 * origin is the connection's, never the message's. */
static const struct origin_rule {
	const char *origin;
	const char *kinds[6];
} origin_rules[] = {
    {"supervisor", {"run.start", "run.end", "helper.exit"}},
    {"policyd",
     {"policy.allow", "policy.deny", "runtime.allow", "runtime.deny",
      "tool.result"}},
    {"spawner", {"workload.start"}},
    {"toolsrv", {NULL}},
};
#define N_ORIGINS (sizeof(origin_rules) / sizeof(origin_rules[0]))

/* One append waiting for the committer. Lives on its worker's stack. */
struct pending {
	struct wal_entry e;
	int done; /* set by the committer under q.mu */
	int ok;
	struct pending *next;
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t work; /* committer: something queued, or stopping */
	pthread_cond_t done; /* workers: a batch finished */
	struct pending *head, **tail;
	int stopping, stopped, failed;
	unsigned owed; /* Error replies still to send after a failure */
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
	                "--ready-fd N\n");
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
	for (size_t i = 0; i < 6 && r->kinds[i] != NULL; i++)
		if (strcmp(r->kinds[i], kind) == 0)
			return 1;
	return 0;
}

/* Queues p for the committer and waits until its transaction committed
 * (0) or failed (-1: the caller owes an Error reply, then calls
 * failure_replied()). -2: not queued, the WAL is failed or stopping. */
static int commit_wait(struct pending *p)
{
	int ok;

	pthread_mutex_lock(&q.mu);
	if (q.failed || q.stopped) {
		pthread_mutex_unlock(&q.mu);
		return -2;
	}
	p->done = 0;
	p->next = NULL;
	*q.tail = p;
	q.tail = &p->next;
	pthread_cond_signal(&q.work);
	while (!p->done)
		pthread_cond_wait(&q.done, &q.mu);
	ok = p->ok;
	pthread_mutex_unlock(&q.mu);
	return ok ? 0 : -1;
}

/* After a failed commit: this worker has sent its Error reply. */
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

static void *committer_main(void *arg)
{
	struct wal_entry *batch[WORKERS];
	(void)arg;

	for (;;) {
		struct pending *list, *p;
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

		/* Each worker has at most one append queued. */
		for (p = list; p != NULL; p = p->next) {
			if (n == WORKERS)
				fatalx("more queued appends than workers");
			batch[n++] = &p->e;
		}
		clock_gettime(CLOCK_REALTIME, &now);
		rc = wal_append(wal, batch, n,
		                (int64_t)now.tv_sec * 1000000000 + now.tv_nsec,
		                err, sizeof(err));

		pthread_mutex_lock(&q.mu);
		for (p = list; p != NULL; p = p->next) {
			p->ok = rc == 0;
			if (rc == 0)
				count_record(p->e.rec.kind);
		}
		if (rc == 0)
			q.last_seq = wal_last_seq(wal);
		else {
			q.failed = 1;
			q.owed = (unsigned)n;
		}
		/* p->done last: once set, the worker may reuse p. */
		for (p = list; p != NULL; p = p->next)
			p->done = 1;
		pthread_cond_broadcast(&q.done);
		if (rc != 0) {
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
		pthread_mutex_unlock(&q.mu);
	}
}

static void reply_ack(nng_ctx ctx, const struct wal_entry *e)
{
	Envelope env = AUTONOMY__ENVELOPE__INIT;
	Autonomy__WalAck ack = AUTONOMY__WAL_ACK__INIT;

	ack.seq = e->rec.seq;
	ack.hash.data = (uint8_t *)e->hash;
	ack.hash.len = WAL_HASH_LEN;
	env.body_case = AUTONOMY__ENVELOPE__BODY_WAL_ACK;
	env.wal_ack = &ack;
	ipc_reply(ctx, &env);
}

/* Records a refused request as a wal.refused record (origin walwriter),
 * then answers Error. The reply waits for the record to be durable so the
 * refusal is on disk before the refused peer learns of it. */
static void refuse(nng_ctx ctx, const char *origin, int pid, const char *kind,
                   const char *audit_id, const char *tool, const char *reason)
{
	struct pending p;
	Autonomy__Attr a[4] = {AUTONOMY__ATTR__INIT, AUTONOMY__ATTR__INIT,
	                       AUTONOMY__ATTR__INIT, AUTONOMY__ATTR__INIT};
	Autonomy__Attr *attrs[4] = {&a[0], &a[1], &a[2], &a[3]};
	char pidbuf[16];
	int rc;

	log_warnx("refused %s from %s pid %d: %s", kind,
	          origin ? origin : "unknown", pid, reason);
	snprintf(pidbuf, sizeof(pidbuf), "%d", pid);
	a[0].key = "peer_origin";
	a[0].value = (char *)(origin ? origin : "unknown");
	a[1].key = "peer_pid";
	a[1].value = pidbuf;
	a[2].key = "kind";
	a[2].value = (char *)kind;
	a[3].key = "reason";
	a[3].value = (char *)reason;

	memset(&p, 0, sizeof(p));
	autonomy__wal_record__init(&p.e.rec);
	p.e.rec.audit_id = (char *)audit_id;
	p.e.rec.kind = "wal.refused";
	p.e.rec.origin = "walwriter";
	p.e.rec.tool = (char *)tool;
	p.e.rec.n_attrs = 4;
	p.e.rec.attrs = attrs;
	if ((rc = commit_wait(&p)) < 0) {
		ipc_reply_error(ctx, "refused; WAL unavailable");
		if (rc == -1)
			failure_replied();
		return;
	}
	ipc_reply_error(ctx, reason);
}

static void serve_append(nng_ctx ctx, const char *origin, int pid,
                         const Autonomy__WalAppend *a)
{
	struct pending p;
	char reason[256];
	int rc;

	if (!kind_allowed(origin, a->kind)) {
		snprintf(reason, sizeof(reason),
		         "origin %s may not write kind %.128s",
		         origin ? origin : "unknown (pid not in peer table)",
		         a->kind);
		refuse(ctx, origin, pid, a->kind, a->audit_id, a->tool, reason);
		return;
	}
	/* The record borrows the request's strings: they live until the
	 * envelope is freed, after the reply. */
	memset(&p, 0, sizeof(p));
	autonomy__wal_record__init(&p.e.rec);
	p.e.rec.audit_id = a->audit_id;
	p.e.rec.kind = a->kind;
	p.e.rec.origin = (char *)origin;
	p.e.rec.tool = a->tool;
	p.e.rec.n_attrs = a->n_attrs;
	p.e.rec.attrs = a->attrs;
	if ((rc = commit_wait(&p)) < 0) {
		ipc_reply_error(ctx, "WAL commit failed; append not recorded");
		if (rc == -1)
			failure_replied();
		return;
	}
	reply_ack(ctx, &p.e);
}

static void reply_body_ack(nng_ctx ctx)
{
	Envelope env = AUTONOMY__ENVELOPE__INIT;
	Autonomy__Ack ack = AUTONOMY__ACK__INIT;

	env.body_case = AUTONOMY__ENVELOPE__BODY_ACK;
	env.ack = &ack;
	ipc_reply(ctx, &env);
}

/* Replaces the pid -> origin table. Only helper origins may be named, and
 * never the supervisor's own pid or ours. */
static void serve_peer_table(nng_ctx ctx, const Autonomy__PeerTable *t)
{
	const char *origin[ENV_MAX_PEERS];

	for (size_t i = 0; i < t->n_peers; i++) {
		const Autonomy__Peer *p = t->peers[i];
		const struct origin_rule *r = find_rule(p->origin);
		if (r == NULL || strcmp(r->origin, "supervisor") == 0 ||
		    p->pid == supervisor_pid || p->pid == getpid()) {
			log_warnx("peer table: bad entry %s=%d", p->origin,
			          p->pid);
			ipc_reply_error(ctx, "peer table: bad entry");
			return;
		}
		for (size_t j = 0; j < i; j++)
			if (t->peers[j]->pid == p->pid) {
				ipc_reply_error(ctx,
				                "peer table: duplicate pid");
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
	reply_body_ack(ctx);
}

static void serve_stats(nng_ctx ctx)
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
	ipc_reply(ctx, &env);
}

static void dispatch(nng_ctx ctx, const Envelope *env, int pid)
{
	const char *origin = origin_of(pid);
	int from_supervisor = origin && strcmp(origin, "supervisor") == 0;

	switch (env->body_case) {
	case AUTONOMY__ENVELOPE__BODY_WAL_APPEND:
		serve_append(ctx, origin, pid, env->wal_append);
		return;
	case AUTONOMY__ENVELOPE__BODY_PEER_TABLE:
		if (from_supervisor)
			serve_peer_table(ctx, env->peer_table);
		else
			refuse(ctx, origin, pid, "PeerTable", "", "",
			       "PeerTable is accepted only from the "
			       "supervisor");
		return;
	case AUTONOMY__ENVELOPE__BODY_WAL_STATS_REQUEST:
		if (from_supervisor)
			serve_stats(ctx);
		else
			refuse(ctx, origin, pid, "WalStatsRequest", "", "",
			       "WalStatsRequest is accepted only from the "
			       "supervisor");
		return;
	default:
		log_warnx("unexpected %s from pid %d", envelope_body_name(env),
		          pid);
		ipc_reply_error(ctx, "unexpected message for walwriter");
		return;
	}
}

static void *worker_main(void *arg)
{
	nng_ctx ctx = *(nng_ctx *)arg;

	for (;;) {
		Envelope *env;
		char err[256];
		int pid, closed;

		if (ipc_recv(ctx, &env, &pid, &closed, err, sizeof(err)) < 0) {
			if (closed)
				break;
			log_warnx("bad request from pid %d: %s", pid, err);
			ipc_reply_error(ctx, err);
			continue;
		}
		dispatch(ctx, env, pid);
		envelope_free(env);
	}
	return NULL;
}

static int warm_up_hash(void)
{
	WalRecord rec = AUTONOMY__WAL_RECORD__INIT;
	uint8_t zero[WAL_HASH_LEN] = {0}, out[WAL_HASH_LEN];

	return walrec_hash(zero, &rec, out);
}

static void start_thread(pthread_t *t, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	int rc;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, WORKER_STACK);
	if ((rc = pthread_create(t, &attr, fn, arg)) != 0)
		fatalx("pthread_create: %s", strerror(rc));
	pthread_attr_destroy(&attr);
}

int main(int argc, char **argv)
{
	static nng_ctx ctxs[WORKERS];
	pthread_t worker, committer;
	const char *rundir = NULL, *waldir = NULL;
	char url[256], err[512];
	int ready_fd = -1, sig, rv;
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
		else
			usage();
	}
	if (rundir == NULL || waldir == NULL || ready_fd < 0)
		usage();
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

	if (wal_open(&wal, waldir, WAL_WRITE, err, sizeof(err)) < 0)
		fatalx("WAL: %s", err);
	q.last_seq = wal_last_seq(wal);
	/* OpenSSL reads its config and loads providers on first use: do
	 * that now, while files may still be opened. */
	if (warm_up_hash() < 0)
		fatalx("SHA-256 unavailable");
	if (ipc_url(url, sizeof(url), rundir, IPC_WALWRITER) < 0)
		fatalx("--rundir %s: socket path too long", rundir);
	if (ipc_listen_rep(&sock, url) < 0)
		exit(70);

	if (walwriter_confine() < 0)
		fatalx("cannot confine");

	for (int i = 0; i < WORKERS; i++)
		if ((rv = nng_ctx_open(&ctxs[i], sock)) != 0)
			fatalx("nng_ctx_open: %s", nng_strerror(rv));
	start_thread(&committer, committer_main, NULL);
	for (int i = 0; i < WORKERS; i++)
		start_thread(&worker, worker_main, &ctxs[i]);
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
	exit(0);
}
