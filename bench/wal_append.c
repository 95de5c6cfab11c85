/* Appends per second through the real walwriter, with 1 vs many
 * concurrent appenders: what group commit buys. Each round starts a fresh
 * walwriter (this program is its parent, so the "supervisor" origin) on a
 * fresh WAL directory, runs N threads for SECONDS, each with its own nng
 * context, appending "helper.exit" records and waiting for each ack.
 *
 * usage: wal_append WALWRITER [SECONDS [N...]]   (default: 3 s, 1 64)
 * WAL_BENCH_DIR picks the filesystem (default /tmp). */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "envelope.h"
#include "ipc.h"
#include "wal.h"

static atomic_int stop;

struct appender {
	nng_socket sock;
	uint64_t acked;
	int failed;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *appender_main(void *arg)
{
	struct appender *a = arg;
	Autonomy__WalAppend ap = AUTONOMY__WAL_APPEND__INIT;
	Autonomy__Attr at = AUTONOMY__ATTR__INIT, *atp = &at;
	Envelope req = AUTONOMY__ENVELOPE__INIT;
	char err[256];
	nng_ctx ctx;

	ap.kind = "helper.exit";
	ap.audit_id = "00000000-0000-4000-8000-000000000000";
	ap.tool = "";
	at.key = "helper";
	at.value = "bench";
	ap.n_attrs = 1;
	ap.attrs = &atp;
	req.body_case = AUTONOMY__ENVELOPE__BODY_WAL_APPEND;
	req.wal_append = &ap;
	if (nng_ctx_open(&ctx, a->sock) != 0) {
		a->failed = 1;
		return NULL;
	}
	while (!atomic_load(&stop)) {
		Envelope *r;
		if (ipc_call(ctx, &req, &r, err, sizeof(err)) != 0 ||
		    r->body_case != AUTONOMY__ENVELOPE__BODY_WAL_ACK) {
			fprintf(stderr, "append failed: %s\n", err);
			envelope_free(r);
			a->failed = 1;
			break;
		}
		envelope_free(r);
		a->acked++;
	}
	nng_ctx_close(ctx);
	return NULL;
}

/* Every record of one commit carries the same time_ns, so distinct
 * values count the transactions (and syncs). */
struct commits {
	int64_t last;
	uint64_t n;
};

static int count_commit(uint64_t seq, const WalRecord *r, void *arg)
{
	struct commits *c = arg;

	(void)seq;
	if (c->n == 0 || r->time_ns != c->last)
		c->n++;
	c->last = r->time_ns;
	return 0;
}

static uint64_t count_commits(const char *waldir)
{
	struct commits c = {0, 0};
	struct wal *w;
	char err[256];

	if (wal_open(&w, waldir, WAL_READ, err, sizeof(err)) != 0)
		return 0;
	if (wal_foreach(w, count_commit, &c, err, sizeof(err)) != 0)
		c.n = 0;
	wal_close(w);
	return c.n;
}

static int round_trip(const char *walwriter, const char *base, int n,
                      double seconds)
{
	char rundir[256], waldir[300], url[400], fdbuf[16], c, cmd[700];
	struct appender *a = calloc((size_t)n, sizeof(*a));
	pthread_t *t = calloc((size_t)n, sizeof(*t));
	nng_socket sock;
	uint64_t total = 0, commits;
	double t0, t1;
	int p[2], status, failed = 0;
	pid_t pid;

	snprintf(rundir, sizeof(rundir), "%s/wal_bench.XXXXXX", base);
	if (a == NULL || t == NULL || mkdtemp(rundir) == NULL ||
	    ipc_make_dirs(rundir) < 0) {
		perror("set-up");
		return -1;
	}
	snprintf(waldir, sizeof(waldir), "%s/wal", rundir);
	mkdir(waldir, 0700);
	if (pipe2(p, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		perror("fork");
		return -1;
	}
	if (pid == 0) {
		fcntl(p[1], F_SETFD, 0);
		snprintf(fdbuf, sizeof(fdbuf), "%d", p[1]);
		execl(walwriter, "walwriter", "--rundir", rundir, "--wal-dir",
		      waldir, "--ready-fd", fdbuf, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1) {
		fprintf(stderr, "walwriter did not start\n");
		return -1;
	}
	close(p[0]);
	ipc_url(url, sizeof(url), rundir, IPC_WALWRITER);
	if (ipc_dial_req(&sock, url, 10000) != 0)
		return -1;

	atomic_store(&stop, 0);
	t0 = now_s();
	for (int i = 0; i < n; i++) {
		a[i].sock = sock;
		pthread_create(&t[i], NULL, appender_main, &a[i]);
	}
	usleep((useconds_t)(seconds * 1e6));
	atomic_store(&stop, 1);
	for (int i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		total += a[i].acked;
		failed |= a[i].failed;
	}
	t1 = now_s();
	nng_close(sock);
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	commits = count_commits(waldir);
	printf("appenders=%-3d %8.0f appends/s  (%llu acked in %.2f s; "
	       "%llu commits, %.1f records each)%s\n",
	       n, total / (t1 - t0), (unsigned long long)total, t1 - t0,
	       (unsigned long long)commits,
	       commits ? (double)total / commits : 0.0,
	       failed ? "  FAILURES" : "");
	fflush(stdout);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", rundir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", rundir);
	free(a);
	free(t);
	return failed ? -1 : 0;
}

int main(int argc, char **argv)
{
	const char *base = getenv("WAL_BENCH_DIR");
	double seconds = 3;
	int rc = 0;

	if (argc < 2) {
		fprintf(stderr,
		        "usage: wal_append WALWRITER [SECONDS [N...]]\n");
		return 64;
	}
	signal(SIGPIPE, SIG_IGN);
	if (base == NULL)
		base = "/tmp";
	if (argc >= 3)
		seconds = atof(argv[2]);
	if (argc >= 4) {
		for (int i = 3; i < argc; i++)
			rc |= round_trip(argv[1], base, atoi(argv[i]), seconds);
	} else {
		rc |= round_trip(argv[1], base, 1, seconds);
		rc |= round_trip(argv[1], base, 64, seconds);
	}
	return rc ? 1 : 0;
}
