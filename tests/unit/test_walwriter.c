/* The real walwriter binary, forked and exec'd by this test, which is
 * therefore its parent: the "supervisor" origin. Peers with other
 * origins are this binary re-exec'd in --peer mode (a separate pid).
 *
 * usage: test_walwriter PATH-TO-WALWRITER */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "envelope.h"
#include "ipc.h"
#include "wal.h"

static const char *walwriter_path;

struct fixture {
	char rundir[64];
	char waldir[80];
	char url[128];
	pid_t pid;
	nng_socket sock;
};

static pid_t start_walwriter(struct fixture *f, const char *fail_at_seq)
{
	int p[2];
	pid_t pid;
	char fdbuf[16], c;
	struct pollfd pfd;

	/* A socket left by an earlier walwriter: walwriter's Landlock
	 * ruleset lets it make its socket, not remove one (a run's rundir
	 * is always new). */
	unlink(f->url + strlen("ipc://"));
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fcntl(p[1], F_SETFD, 0);
		snprintf(fdbuf, sizeof(fdbuf), "%d", p[1]);
		/* A refused syscall names itself instead of a silent kill. */
		setenv("AUTONOMY_SECCOMP_TRAP", "1", 1);
		/* LeakSanitizer's exit-time scan needs ptrace-like powers a
		 * confined process does not have (sanitizer builds only). */
		char asan[512];
		const char *cur = getenv("ASAN_OPTIONS");
		snprintf(asan, sizeof(asan), "%s%sdetect_leaks=0",
		         cur ? cur : "", cur && *cur ? ":" : "");
		setenv("ASAN_OPTIONS", asan, 1);
		if (fail_at_seq != NULL)
			setenv("AUTONOMY_TEST_WAL_FAIL_AT_SEQ", fail_at_seq, 1);
		execl(walwriter_path, "walwriter", "--rundir", f->rundir,
		      "--wal-dir", f->waldir, "--ready-fd", fdbuf,
		      (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 10000), 1);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	f->pid = pid;
	return pid;
}

/* SIGTERM, then the exit status (a clean stop is 0). */
static int stop_walwriter(struct fixture *f)
{
	int status;

	if (f->pid <= 0)
		return 0;
	kill(f->pid, SIGTERM);
	assert_int_equal(waitpid(f->pid, &status, 0), f->pid);
	f->pid = 0;
	return status;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->rundir, "/tmp/test_walwriter.XXXXXX");
	assert_non_null(mkdtemp(f->rundir));
	assert_int_equal(ipc_make_dirs(f->rundir), 0);
	snprintf(f->waldir, sizeof(f->waldir), "%s/wal", f->rundir);
	assert_int_equal(mkdir(f->waldir, 0700), 0);
	assert_int_equal(
	    ipc_url(f->url, sizeof(f->url), f->rundir, IPC_WALWRITER), 0);
	start_walwriter(f, NULL);
	assert_int_equal(ipc_dial_req(&f->sock, f->url, 10000), 0);
	*state = f;
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag,
                      struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int status;

	nng_close(f->sock);
	status = stop_walwriter(f);
	/* everything under the run directory: the WAL, the socket and
	 * every helper's socket directory ipc_make_dirs made */
	nftw(f->rundir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "walwriter did not stop cleanly: status %#x\n",
		        status);
		return -1;
	}
	return 0;
}

/* One append on ctx (or the socket's default context). Returns the
 * reply; NULL on a transport error. */
static Envelope *append_on(nng_socket s, nng_ctx *ctx, const char *kind,
                           const char *audit_id)
{
	Envelope req = AUTONOMY__ENVELOPE__INIT, *resp = NULL;
	Autonomy__WalAppend a = AUTONOMY__WAL_APPEND__INIT;
	Autonomy__Attr at = AUTONOMY__ATTR__INIT, *atp = &at;
	char err[256];
	int rc;

	a.kind = (char *)kind;
	a.audit_id = (char *)audit_id;
	a.tool = "tool.echo";
	at.key = "note";
	at.value = "hello world";
	a.n_attrs = 1;
	a.attrs = &atp;
	req.body_case = AUTONOMY__ENVELOPE__BODY_WAL_APPEND;
	req.wal_append = &a;
	rc = ctx ? ipc_call(*ctx, &req, &resp, err, sizeof(err))
	         : ipc_call_sock(s, &req, &resp, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "append %s: %s\n", kind, err);
	return rc == 0 ? resp : NULL;
}

static uint64_t append_acked(nng_socket s, const char *kind)
{
	Envelope *r = append_on(s, NULL, kind, "audit-1");
	uint64_t seq;

	assert_non_null(r);
	if (r->body_case != AUTONOMY__ENVELOPE__BODY_WAL_ACK)
		fail_msg("append %s: got %s (%s)", kind, envelope_body_name(r),
		         r->body_case == AUTONOMY__ENVELOPE__BODY_ERROR
		             ? r->error->message
		             : "");
	assert_int_equal(r->wal_ack->hash.len, WAL_HASH_LEN);
	seq = r->wal_ack->seq;
	envelope_free(r);
	return seq;
}

static void append_refused(nng_socket s, const char *kind)
{
	Envelope *r = append_on(s, NULL, kind, "audit-2");

	assert_non_null(r);
	assert_int_equal(r->body_case, AUTONOMY__ENVELOPE__BODY_ERROR);
	envelope_free(r);
}

static Envelope *call_simple(nng_socket s, Autonomy__Envelope__BodyCase bc,
                             void *body)
{
	Envelope req = AUTONOMY__ENVELOPE__INIT, *resp = NULL;
	char err[256];

	req.body_case = bc;
	/* Every body is a pointer in the same union. */
	req.wal_stats_request = body;
	if (ipc_call_sock(s, &req, &resp, err, sizeof(err)) != 0)
		fail_msg("call: %s", err);
	return resp;
}

static Autonomy__WalStats *stats(nng_socket s, Envelope **hold)
{
	Autonomy__WalStatsRequest sr = AUTONOMY__WAL_STATS_REQUEST__INIT;

	*hold = call_simple(s, AUTONOMY__ENVELOPE__BODY_WAL_STATS_REQUEST, &sr);
	assert_int_equal((*hold)->body_case,
	                 AUTONOMY__ENVELOPE__BODY_WAL_STATS);
	return (*hold)->wal_stats;
}

static int send_peer_table(nng_socket s, const char *origin, int pid)
{
	Autonomy__PeerTable t = AUTONOMY__PEER_TABLE__INIT;
	Autonomy__Peer p = AUTONOMY__PEER__INIT, *pp = &p;
	Envelope *r;
	int ok;

	p.origin = (char *)origin;
	p.pid = pid;
	t.n_peers = 1;
	t.peers = &pp;
	r = call_simple(s, AUTONOMY__ENVELOPE__BODY_PEER_TABLE, &t);
	ok = r->body_case == AUTONOMY__ENVELOPE__BODY_ACK;
	envelope_free(r);
	return ok ? 0 : -1;
}

/* Reads the WAL (read-only, walwriter may be running) into a count of
 * records matching kind, checking the chain on the way. */
struct find {
	const char *kind;
	size_t n;
	const WalRecord *last; /* not retained past the visit */
	int attrs_ok;
	int want_pid;
	const char *want_kind;
};

static const char *attr(const WalRecord *r, const char *key)
{
	for (size_t i = 0; i < r->n_attrs; i++)
		if (strcmp(r->attrs[i]->key, key) == 0)
			return r->attrs[i]->value;
	return NULL;
}

static int find_visit(uint64_t seq, const WalRecord *r, void *arg)
{
	struct find *fd = arg;
	char pid[16];

	(void)seq;
	if (strcmp(r->kind, fd->kind) != 0)
		return 0;
	fd->n++;
	if (fd->want_kind != NULL) {
		const char *po = attr(r, "peer_origin"),
		           *pp = attr(r, "peer_pid"), *k = attr(r, "kind"),
		           *why = attr(r, "reason");
		snprintf(pid, sizeof(pid), "%d", fd->want_pid);
		fd->attrs_ok = strcmp(r->origin, "walwriter") == 0 && po &&
		               pp && strcmp(pp, pid) == 0 && k &&
		               strcmp(k, fd->want_kind) == 0 && why &&
		               why[0] != '\0';
	}
	return 0;
}

static size_t count_kind(const char *dir, const char *kind)
{
	struct find fd = {.kind = kind};
	struct wal *w;
	char err[256];

	assert_int_equal(wal_open(&w, dir, WAL_READ, err, sizeof(err)), 0);
	assert_int_equal(wal_foreach(w, find_visit, &fd, err, sizeof(err)), 0);
	wal_close(w);
	return fd.n;
}

static uint64_t verify_ok(const char *dir)
{
	struct wal *w;
	uint64_t n, bad;
	char err[256];
	int rc;

	assert_int_equal(wal_open(&w, dir, WAL_READ, err, sizeof(err)), 0);
	rc = wal_verify(w, &n, &bad, err, sizeof(err));
	wal_close(w);
	if (rc != 0)
		fail_msg("verify: seq %llu: %s", (unsigned long long)bad, err);
	return n;
}

static void test_supervisor_appends_acked_in_order(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(append_acked(f->sock, "run.start"), 1);
	assert_int_equal(append_acked(f->sock, "helper.exit"), 2);
	assert_int_equal(append_acked(f->sock, "run.end"), 3);
	assert_int_equal(verify_ok(f->waldir), 3);
	assert_int_equal(count_kind(f->waldir, "run.start"), 1);
}

static void test_confined(void **state)
{
	struct fixture *f = *state;
	char path[64], line[256];
	int seccomp = -1, nnp = -1;
	FILE *st;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)f->pid);
	assert_non_null(st = fopen(path, "r"));
	while (fgets(line, sizeof(line), st) != NULL) {
		sscanf(line, "Seccomp: %d", &seccomp);
		sscanf(line, "NoNewPrivs: %d", &nnp);
	}
	fclose(st);
	assert_int_equal(seccomp, 2); /* filter mode */
	assert_int_equal(nnp, 1);
}

static void test_forbidden_kind_refused_and_recorded(void **state)
{
	struct fixture *f = *state;
	struct find fd = {.kind = "wal.refused",
	                  .want_pid = (int)getpid(),
	                  .want_kind = "policy.allow"};
	struct wal *w;
	char err[256];
	Envelope *h;

	append_refused(f->sock, "wal.refused"); /* nobody may forge these */
	append_refused(f->sock, "policy.allow");
	assert_int_equal(count_kind(f->waldir, "policy.allow"), 0);
	assert_int_equal(wal_open(&w, f->waldir, WAL_READ, err, sizeof(err)),
	                 0);
	assert_int_equal(wal_foreach(w, find_visit, &fd, err, sizeof(err)), 0);
	wal_close(w);
	/* Two refusals recorded; attrs checked on the last (policy.allow). */
	assert_int_equal(fd.n, 2);
	assert_true(fd.attrs_ok);
	assert_int_equal(stats(f->sock, &h)->refused, 2);
	envelope_free(h);
	assert_int_equal(verify_ok(f->waldir), 2);
}

/* A WalBatch is one request for several records: each is checked for
 * the connection's origin on its own (a forbidden one is stored as
 * wal.refused in its place), all are committed, and the WalBatchAck
 * names each one's seq in order. */
static void test_batch_acked_per_record(void **state)
{
	struct fixture *f = *state;
	const char *kinds[] = {"run.start", "policy.allow", "run.end"};
	Autonomy__WalAppend a[3];
	Autonomy__WalAppend *ap[3];
	Autonomy__WalBatch b = AUTONOMY__WAL_BATCH__INIT;
	Envelope *r;

	for (int i = 0; i < 3; i++) {
		autonomy__wal_append__init(&a[i]);
		a[i].kind = (char *)kinds[i];
		a[i].audit_id = "audit-b";
		ap[i] = &a[i];
	}
	b.n_appends = 3;
	b.appends = ap;
	r = call_simple(f->sock, AUTONOMY__ENVELOPE__BODY_WAL_BATCH, &b);
	assert_non_null(r);
	assert_int_equal(r->body_case, AUTONOMY__ENVELOPE__BODY_WAL_BATCH_ACK);
	assert_int_equal(r->wal_batch_ack->n_acks, 3);
	for (int i = 0; i < 3; i++) {
		const Autonomy__WalAck *k = r->wal_batch_ack->acks[i];
		assert_int_equal(k->seq, (uint64_t)i + 1);
		assert_int_equal(k->hash.len, WAL_HASH_LEN);
		/* the supervisor may not write policy.allow */
		if (i == 1)
			assert_non_null(strstr(k->refused, "policy.allow"));
		else
			assert_string_equal(k->refused, "");
	}
	envelope_free(r);
	assert_int_equal(count_kind(f->waldir, "run.start"), 1);
	assert_int_equal(count_kind(f->waldir, "run.end"), 1);
	assert_int_equal(count_kind(f->waldir, "policy.allow"), 0);
	assert_int_equal(count_kind(f->waldir, "wal.refused"), 1);
	assert_int_equal(verify_ok(f->waldir), 3);

	/* An empty batch is malformed: an Error, and nothing written. */
	b.n_appends = 0;
	r = call_simple(f->sock, AUTONOMY__ENVELOPE__BODY_WAL_BATCH, &b);
	assert_non_null(r);
	assert_int_equal(r->body_case, AUTONOMY__ENVELOPE__BODY_ERROR);
	envelope_free(r);
	assert_int_equal(verify_ok(f->waldir), 3);
}

/* A peer: this binary in --peer mode, a separate process. It waits for a
 * byte on go, then runs its steps ("KIND:ack", "KIND:error",
 * "PEERTABLE:error", "STATS:error") and exits 0 iff all matched. */
static pid_t start_peer(const char *url, int *go, const char *const *steps,
                        size_t n)
{
	int p[2];
	pid_t pid;
	char fdbuf[16];
	char *argv[16];

	assert_true(n + 5 < 16);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fcntl(p[0], F_SETFD, 0);
		snprintf(fdbuf, sizeof(fdbuf), "%d", p[0]);
		argv[0] = "test_walwriter";
		argv[1] = "--peer";
		argv[2] = (char *)url;
		argv[3] = fdbuf;
		for (size_t i = 0; i < n; i++)
			argv[4 + i] = (char *)steps[i];
		argv[4 + n] = NULL;
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	close(p[0]);
	*go = p[1];
	return pid;
}

static int finish_peer(pid_t pid, int go)
{
	int status;

	assert_int_equal(write(go, "g", 1), 1);
	close(go);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* A policy.allow whose attributes claim to come from the supervisor:
 * only the connection says who wrote it. */
static Envelope *append_claiming(nng_socket s)
{
	Envelope req = AUTONOMY__ENVELOPE__INIT, *resp = NULL;
	Autonomy__WalAppend a = AUTONOMY__WAL_APPEND__INIT;
	Autonomy__Attr at[2] = {AUTONOMY__ATTR__INIT, AUTONOMY__ATTR__INIT};
	Autonomy__Attr *atp[2] = {&at[0], &at[1]};
	char err[256];

	a.kind = "policy.allow";
	a.audit_id = "audit-claims";
	a.tool = "tool.echo";
	at[0].key = "origin";
	at[0].value = "supervisor";
	at[1].key = "peer_origin";
	at[1].value = "supervisor";
	a.n_attrs = 2;
	a.attrs = atp;
	req.body_case = AUTONOMY__ENVELOPE__BODY_WAL_APPEND;
	req.wal_append = &a;
	if (ipc_call_sock(s, &req, &resp, err, sizeof(err)) != 0)
		return NULL;
	return resp;
}

/* A WalAppend carrying an origin field the schema does not have (field
 * 5, "supervisor"), as a forger hoping it would be read: envelope_unpack
 * refuses unknown fields, so it is malformed. */
static Envelope *append_with_origin_field(nng_socket s)
{
	static const uint8_t origin_field[] = {0x2a, 10,  's', 'u', 'p', 'e',
	                                       'r',  'v', 'i', 's', 'o', 'r'};
	Autonomy__WalAppend a = AUTONOMY__WAL_APPEND__INIT;
	uint8_t inner[256], buf[300];
	size_t n, len = 0;
	char *rbuf, err[256];
	size_t rlen;
	Envelope *r;

	a.kind = "policy.allow";
	a.audit_id = "audit-extra";
	n = autonomy__wal_append__pack(&a, inner);
	memcpy(inner + n, origin_field, sizeof(origin_field));
	n += sizeof(origin_field);
	buf[len++] = 0x08; /* version 1 */
	buf[len++] = 1;
	buf[len++] = 12 << 3 | 2; /* wal_append */
	buf[len++] = (uint8_t)n;
	memcpy(buf + len, inner, n);
	len += n;
	if (nng_send(s, buf, len, 0) != 0 ||
	    nng_recv(s, &rbuf, &rlen, NNG_FLAG_ALLOC) != 0)
		return NULL;
	r = envelope_unpack((uint8_t *)rbuf, rlen, err, sizeof(err));
	nng_free(rbuf, rlen);
	return r;
}

static int peer_main(int argc, char **argv)
{
	nng_socket s;
	char c;
	int bad = 0;

	if (read(atoi(argv[3]), &c, 1) != 1)
		return 3;
	if (ipc_dial_req(&s, argv[2], 10000) != 0)
		return 3;
	for (int i = 4; i < argc; i++) {
		char kind[128], *want;
		Envelope *r;
		snprintf(kind, sizeof(kind), "%s", argv[i]);
		if ((want = strchr(kind, ':')) == NULL)
			return 3;
		*want++ = '\0';
		if (strcmp(kind, "PEERTABLE") == 0) {
			Autonomy__PeerTable t = AUTONOMY__PEER_TABLE__INIT;
			Autonomy__Peer p = AUTONOMY__PEER__INIT, *pp = &p;
			p.origin = "policyd";
			p.pid = 4242;
			t.n_peers = 1;
			t.peers = &pp;
			r = call_simple(s, AUTONOMY__ENVELOPE__BODY_PEER_TABLE,
			                &t);
		} else if (strcmp(kind, "STATS") == 0) {
			Autonomy__WalStatsRequest sr =
			    AUTONOMY__WAL_STATS_REQUEST__INIT;
			r = call_simple(
			    s, AUTONOMY__ENVELOPE__BODY_WAL_STATS_REQUEST, &sr);
		} else if (strcmp(kind, "CLAIMS") == 0) {
			r = append_claiming(s);
		} else if (strcmp(kind, "EXTRA") == 0) {
			r = append_with_origin_field(s);
		} else {
			r = append_on(s, NULL, kind, "audit-peer");
		}
		if (r == NULL)
			return 3;
		if ((strcmp(want, "error") == 0) !=
		    (r->body_case == AUTONOMY__ENVELOPE__BODY_ERROR)) {
			fprintf(stderr, "peer: %s: got %s, wanted %s\n", kind,
			        envelope_body_name(r), want);
			bad = 1;
		}
		envelope_free(r);
	}
	nng_close(s);
	nng_fini();
	return bad;
}

static void test_origin_from_connection(void **state)
{
	struct fixture *f = *state;
	static const char *const stranger[] = {
	    "policy.allow:error", "run.start:error", "PEERTABLE:error",
	    "STATS:error"};
	static const char *const policyd[] = {
	    "policy.allow:ack",     "policy.allow:ack", "policy.deny:ack",
	    "runtime.deny:ack",     "tool.result:ack",  "run.start:error",
	    "workload.start:error", "PEERTABLE:error"};
	static const char *const spawner[] = {"workload.start:ack",
	                                      "policy.allow:error"};
	struct find fd = {.kind = "wal.refused"};
	Autonomy__WalStats *st;
	Envelope *h;
	struct wal *w;
	char err[256];
	pid_t pid;
	int go;

	/* Unknown pid: every append refused, so is control traffic. */
	pid = start_peer(f->url, &go, stranger, 4);
	assert_int_equal(finish_peer(pid, go), 0);
	assert_int_equal(count_kind(f->waldir, "wal.refused"), 4);
	assert_int_equal(count_kind(f->waldir, "policy.allow"), 0);

	/* The same kind of process, named policyd by the supervisor. */
	pid = start_peer(f->url, &go, policyd, 8);
	assert_int_equal(send_peer_table(f->sock, "policyd", pid), 0);
	assert_int_equal(finish_peer(pid, go), 0);
	assert_int_equal(count_kind(f->waldir, "policy.allow"), 2);

	fd.want_pid = pid;
	fd.want_kind = "PeerTable";
	assert_int_equal(wal_open(&w, f->waldir, WAL_READ, err, sizeof(err)),
	                 0);
	assert_int_equal(wal_foreach(w, find_visit, &fd, err, sizeof(err)), 0);
	wal_close(w);
	assert_true(fd.attrs_ok); /* last refusal: policyd's PeerTable */

	pid = start_peer(f->url, &go, spawner, 2);
	assert_int_equal(send_peer_table(f->sock, "spawner", pid), 0);
	assert_int_equal(finish_peer(pid, go), 0);

	/* Bad tables are refused: origins helpers cannot have, our pid. */
	assert_int_equal(send_peer_table(f->sock, "supervisor", 4242), -1);
	assert_int_equal(send_peer_table(f->sock, "walwriter", 4242), -1);
	assert_int_equal(send_peer_table(f->sock, "policyd", getpid()), -1);

	st = stats(f->sock, &h);
	/* stranger 4 refused; policyd 5 ok + 3 refused; spawner 1 + 1. */
	assert_int_equal(st->allowed, 2);
	assert_int_equal(st->denied, 2);
	assert_int_equal(st->refused, 8);
	assert_int_equal(st->records, 14);
	assert_int_equal(st->last_seq, 14);
	envelope_free(h);
	assert_int_equal(verify_ok(f->waldir), 14);
}

struct origin_check {
	const char *audit_id;
	size_t n;
	int origin_ok;
};

static int origin_visit(uint64_t seq, const WalRecord *r, void *arg)
{
	struct origin_check *oc = arg;

	(void)seq;
	if (strcmp(r->audit_id, oc->audit_id) == 0) {
		oc->n++;
		oc->origin_ok = strcmp(r->kind, "policy.allow") == 0 &&
		                strcmp(r->origin, "policyd") == 0;
	}
	return 0;
}

/* Origin stamping (issue 6): a record that claims another origin is
 * stored with the connection's origin, one that carries an origin field
 * is refused as malformed, and a kind the origin may not write is
 * refused and the refusal itself recorded. */
static void test_forged_origin(void **state)
{
	struct fixture *f = *state;
	static const char *const policyd[] = {"CLAIMS:ack", "EXTRA:error",
	                                      "run.start:error"};
	struct origin_check oc = {.audit_id = "audit-claims"};
	struct find fd = {.kind = "wal.refused", .want_kind = "run.start"};
	struct wal *w;
	char err[256];
	pid_t pid;
	int go;

	pid = start_peer(f->url, &go, policyd, 3);
	assert_int_equal(send_peer_table(f->sock, "policyd", pid), 0);
	assert_int_equal(finish_peer(pid, go), 0);

	assert_int_equal(wal_open(&w, f->waldir, WAL_READ, err, sizeof(err)),
	                 0);
	assert_int_equal(wal_foreach(w, origin_visit, &oc, err, sizeof(err)),
	                 0);
	assert_int_equal(oc.n, 1);
	assert_true(oc.origin_ok); /* policyd's, not "supervisor" */
	oc = (struct origin_check){.audit_id = "audit-extra"};
	assert_int_equal(wal_foreach(w, origin_visit, &oc, err, sizeof(err)),
	                 0);
	assert_int_equal(oc.n, 0); /* the malformed one: nothing stored */
	fd.want_pid = pid;
	assert_int_equal(wal_foreach(w, find_visit, &fd, err, sizeof(err)), 0);
	wal_close(w);
	assert_int_equal(fd.n, 1);
	assert_true(fd.attrs_ok); /* walwriter's, naming pid and run.start */
	assert_int_equal(verify_ok(f->waldir), 2);
}

struct appender {
	nng_socket sock;
	int n;
	uint64_t seqs[64];
	int failed;
};

static void *appender_main(void *arg)
{
	struct appender *a = arg;
	nng_ctx ctx;

	if (nng_ctx_open(&ctx, a->sock) != 0) {
		a->failed = 1;
		return NULL;
	}
	for (int i = 0; i < a->n; i++) {
		Envelope *r = append_on(a->sock, &ctx, "helper.exit", "");
		if (r == NULL ||
		    r->body_case != AUTONOMY__ENVELOPE__BODY_WAL_ACK) {
			a->failed = 1;
			envelope_free(r);
			break;
		}
		a->seqs[i] = r->wal_ack->seq;
		envelope_free(r);
	}
	nng_ctx_close(ctx);
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void test_concurrent_appends(void **state)
{
	enum { THREADS = 32, EACH = 40 };
	struct fixture *f = *state;
	static struct appender a[THREADS];
	static uint64_t all[THREADS * EACH];
	pthread_t t[THREADS];
	Envelope *h;
	size_t n = 0;

	for (int i = 0; i < THREADS; i++) {
		memset(&a[i], 0, sizeof(a[i]));
		a[i].sock = f->sock;
		a[i].n = EACH;
		assert_int_equal(
		    pthread_create(&t[i], NULL, appender_main, &a[i]), 0);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < THREADS; i++) {
		assert_false(a[i].failed);
		for (int j = 0; j < EACH; j++)
			all[n++] = a[i].seqs[j];
	}
	qsort(all, n, sizeof(all[0]), cmp_u64);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(all[i], i + 1); /* distinct, no gaps */
	assert_int_equal(verify_ok(f->waldir), THREADS * EACH);
	assert_int_equal(stats(f->sock, &h)->last_seq, THREADS * EACH);
	envelope_free(h);
}

static Envelope *raw_call(nng_socket s, const void *buf, size_t len)
{
	char *rbuf;
	size_t rlen;
	char err[256];
	Envelope *r;

	assert_int_equal(nng_send(s, (void *)buf, len, 0), 0);
	assert_int_equal(nng_recv(s, &rbuf, &rlen, NNG_FLAG_ALLOC), 0);
	r = envelope_unpack((uint8_t *)rbuf, rlen, err, sizeof(err));
	nng_free(rbuf, rlen);
	assert_non_null(r);
	return r;
}

static void test_malformed_answered_with_error(void **state)
{
	struct fixture *f = *state;
	static const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x12};
	Envelope env = AUTONOMY__ENVELOPE__INIT, *r;
	Autonomy__WalAppend a = AUTONOMY__WAL_APPEND__INIT;
	Autonomy__ToolRequest tr = AUTONOMY__TOOL_REQUEST__INIT;
	uint8_t buf[256];
	size_t len;

	r = raw_call(f->sock, garbage, sizeof(garbage));
	assert_int_equal(r->body_case, AUTONOMY__ENVELOPE__BODY_ERROR);
	envelope_free(r);

	r = raw_call(f->sock, "", 0); /* empty: version 0, no body */
	assert_int_equal(r->body_case, AUTONOMY__ENVELOPE__BODY_ERROR);
	envelope_free(r);

	/* A well-formed append, but version 2. */
	a.kind = "run.start";
	env.version = 2;
	env.body_case = AUTONOMY__ENVELOPE__BODY_WAL_APPEND;
	env.wal_append = &a;
	len = autonomy__envelope__pack(&env, buf);
	r = raw_call(f->sock, buf, len);
	assert_int_equal(r->body_case, AUTONOMY__ENVELOPE__BODY_ERROR);
	envelope_free(r);

	/* Valid, but not a walwriter message. */
	tr.kind = "tool.echo";
	tr.params_json = "{}";
	r = call_simple(f->sock, AUTONOMY__ENVELOPE__BODY_TOOL_REQUEST, &tr);
	assert_int_equal(r->body_case, AUTONOMY__ENVELOPE__BODY_ERROR);
	envelope_free(r);

	/* Still serving, and nothing was written. */
	assert_int_equal(append_acked(f->sock, "run.start"), 1);
	assert_int_equal(verify_ok(f->waldir), 1);
}

static void test_second_run_continues_chain(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(append_acked(f->sock, "run.start"), 1);
	assert_int_equal(append_acked(f->sock, "run.end"), 2);
	nng_close(f->sock);
	assert_int_equal(stop_walwriter(f), 0);
	start_walwriter(f, NULL);
	assert_int_equal(ipc_dial_req(&f->sock, f->url, 10000), 0);
	assert_int_equal(append_acked(f->sock, "run.start"), 3);
	assert_int_equal(verify_ok(f->waldir), 3);
}

#ifdef AUTONOMY_TEST_HOOKS
/* A failed commit: the append gets Error, walwriter exits non-zero, and
 * the WAL holds exactly what was acknowledged. */
static void test_commit_failure_fails_closed(void **state)
{
	struct fixture *f = *state;
	Envelope *r;
	int status;

	nng_close(f->sock);
	assert_int_equal(stop_walwriter(f), 0);
	start_walwriter(f, "3");
	assert_int_equal(ipc_dial_req(&f->sock, f->url, 10000), 0);
	assert_int_equal(append_acked(f->sock, "run.start"), 1);
	assert_int_equal(append_acked(f->sock, "run.start"), 2);
	r = append_on(f->sock, NULL, "run.end", "");
	assert_non_null(r);
	assert_int_equal(r->body_case, AUTONOMY__ENVELOPE__BODY_ERROR);
	envelope_free(r);
	assert_int_equal(waitpid(f->pid, &status, 0), f->pid);
	f->pid = 0;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status),
	                 70); /* fatalx, not SIGSYS (159) */
	assert_int_equal(verify_ok(f->waldir), 2);
}
#endif

int main(int argc, char **argv)
{
	int rc;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_supervisor_appends_acked_in_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_confined, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_batch_acked_per_record, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(
	        test_forbidden_kind_refused_and_recorded, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_forged_origin, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_origin_from_connection, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_appends, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_malformed_answered_with_error,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_second_run_continues_chain,
	                                    setup, teardown),
#ifdef AUTONOMY_TEST_HOOKS
	    cmocka_unit_test_setup_teardown(test_commit_failure_fails_closed,
	                                    setup, teardown),
#endif
	};

	if (argc >= 4 && strcmp(argv[1], "--peer") == 0)
		return peer_main(argc, argv);
	if (argc != 2) {
		fprintf(stderr, "usage: test_walwriter PATH-TO-WALWRITER\n");
		return 2;
	}
	walwriter_path = argv[1];
	signal(SIGPIPE, SIG_IGN);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	nng_fini(); /* reaps closed sockets: no false leaks under LSan */
	return rc;
}
