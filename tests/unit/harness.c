#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <nng/nng.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipc.h"

#define FAKE_WAL_MAX 4096

struct fake_wal {
	nng_socket sock;
	pthread_t thread;
	pthread_mutex_t mu;
	enum fake_wal_mode mode;
	size_t n;
	const Autonomy__WalAppend *recs[FAKE_WAL_MAX];
	int pids[FAKE_WAL_MAX];
	size_t answered;
	size_t n_env;
	Envelope *envs[FAKE_WAL_MAX]; /* the requests recs point into */
	uint64_t seq;
};

/* Keeps the appends of one WalAppend or WalBatch request; returns how
 * many it held (0: not an append, or no room). */
static size_t fake_wal_keep(struct fake_wal *fw, Envelope *in, int pid)
{
	Autonomy__WalAppend *one[1];
	Autonomy__WalAppend **apps = one;
	size_t n = 0;

	if (in == NULL || fw->n_env >= FAKE_WAL_MAX)
		return 0;
	if (in->body_case == AUTONOMY__ENVELOPE__BODY_WAL_APPEND) {
		one[0] = in->wal_append;
		n = 1;
	} else if (in->body_case == AUTONOMY__ENVELOPE__BODY_WAL_BATCH) {
		apps = in->wal_batch->appends;
		n = in->wal_batch->n_appends;
	}
	if (n == 0 || fw->n + n > FAKE_WAL_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		fw->pids[fw->n] = pid;
		fw->recs[fw->n++] = apps[i];
	}
	fw->envs[fw->n_env++] = in;
	return n;
}

static void fake_wal_answer(struct fake_wal *fw, nng_msg *req)
{
	Envelope env = AUTONOMY__ENVELOPE__INIT;
	Autonomy__WalAck acks[ENV_MAX_BATCH], *ackp[ENV_MAX_BATCH];
	Autonomy__WalBatchAck bat = AUTONOMY__WAL_BATCH_ACK__INIT;
	Autonomy__Error e = AUTONOMY__ERROR__INIT;
	uint8_t hash[32] = {0}, *buf;
	size_t len, n;
	nng_msg *msg;
	enum fake_wal_mode mode;
	Envelope *in;
	uint64_t peer = 0;
	int pid, batch;

	in = envelope_unpack(nng_msg_body(req), nng_msg_len(req), NULL, 0);
	if (nng_pipe_get_uint64(nng_msg_get_pipe(req), NNG_OPT_IPC_PEER_PID,
	                        &peer) != 0)
		peer = 0;
	pid = peer ? (int)peer : -1;
	batch =
	    in != NULL && in->body_case == AUTONOMY__ENVELOPE__BODY_WAL_BATCH;
	pthread_mutex_lock(&fw->mu);
	mode = fw->mode;
	if ((n = fake_wal_keep(fw, in, pid)) > 0)
		in = NULL; /* kept */
	if (n == 0)
		n = 1;
	for (size_t i = 0; i < n; i++) {
		autonomy__wal_ack__init(&acks[i]);
		acks[i].seq = ++fw->seq;
		acks[i].hash.data = hash;
		acks[i].hash.len = sizeof(hash);
		ackp[i] = &acks[i];
	}
	pthread_mutex_unlock(&fw->mu);
	envelope_free(in);

	if (mode == FAKE_WAL_SILENT)
		return;
	if (mode == FAKE_WAL_SLOW)
		usleep(FAKE_WAL_SLOW_MS * 1000);
	if (mode == FAKE_WAL_ERROR) {
		e.message = "disk on fire";
		env.body_case = AUTONOMY__ENVELOPE__BODY_ERROR;
		env.error = &e;
	} else if (batch) {
		if (mode == FAKE_WAL_REFUSE_LAST)
			acks[n - 1].refused = "not for this origin";
		bat.n_acks = n;
		bat.acks = ackp;
		env.body_case = AUTONOMY__ENVELOPE__BODY_WAL_BATCH_ACK;
		env.wal_batch_ack = &bat;
	} else {
		env.body_case = AUTONOMY__ENVELOPE__BODY_WAL_ACK;
		env.wal_ack = &acks[0];
	}
	if (envelope_pack(&env, &buf, &len) < 0)
		abort();
	if (nng_msg_alloc(&msg, 0) != 0 || nng_msg_append(msg, buf, len) != 0)
		abort();
	free(buf);
	/* counted before it goes: the peer may act on it at once */
	pthread_mutex_lock(&fw->mu);
	fw->answered++;
	pthread_mutex_unlock(&fw->mu);
	if (nng_sendmsg(fw->sock, msg, 0) != 0)
		nng_msg_free(msg);
}

size_t fake_wal_answered(struct fake_wal *fw)
{
	size_t n;

	pthread_mutex_lock(&fw->mu);
	n = fw->answered;
	pthread_mutex_unlock(&fw->mu);
	return n;
}

static void *fake_wal_main(void *arg)
{
	struct fake_wal *fw = arg;
	nng_msg *msg;

	while (nng_recvmsg(fw->sock, &msg, 0) == 0) {
		fake_wal_answer(fw, msg);
		nng_msg_free(msg);
	}
	return NULL;
}

struct fake_wal *fake_wal_start(const char *rundir)
{
	struct fake_wal *fw = calloc(1, sizeof(*fw));
	char url[256];

	if (fw == NULL ||
	    ipc_url(url, sizeof(url), rundir, IPC_WALWRITER) < 0 ||
	    ipc_listen_rep(&fw->sock, url) < 0) {
		free(fw);
		return NULL;
	}
	pthread_mutex_init(&fw->mu, NULL);
	if (pthread_create(&fw->thread, NULL, fake_wal_main, fw) != 0) {
		nng_close(fw->sock);
		free(fw);
		return NULL;
	}
	return fw;
}

void fake_wal_set_mode(struct fake_wal *fw, enum fake_wal_mode mode)
{
	pthread_mutex_lock(&fw->mu);
	fw->mode = mode;
	pthread_mutex_unlock(&fw->mu);
}

size_t fake_wal_count(struct fake_wal *fw)
{
	size_t n;

	pthread_mutex_lock(&fw->mu);
	n = fw->n;
	pthread_mutex_unlock(&fw->mu);
	return n;
}

const Autonomy__WalAppend *fake_wal_get(struct fake_wal *fw, size_t i)
{
	const Autonomy__WalAppend *a = NULL;

	pthread_mutex_lock(&fw->mu);
	if (i < fw->n)
		a = fw->recs[i];
	pthread_mutex_unlock(&fw->mu);
	return a;
}

int fake_wal_wait_count(struct fake_wal *fw, size_t n, int timeout_ms)
{
	for (int waited = 0; fake_wal_count(fw) < n; waited += 2) {
		if (waited >= timeout_ms)
			return -1;
		usleep(2000);
	}
	return 0;
}

int fake_wal_pid(struct fake_wal *fw, size_t i)
{
	int pid = -1;

	pthread_mutex_lock(&fw->mu);
	if (i < fw->n)
		pid = fw->pids[i];
	pthread_mutex_unlock(&fw->mu);
	return pid;
}

size_t fake_wal_count_kind(struct fake_wal *fw, const char *kind,
                           const char *audit_id)
{
	size_t n = 0, total = fake_wal_count(fw);

	for (size_t i = 0; i < total; i++) {
		const Autonomy__WalAppend *a = fake_wal_get(fw, i);
		if (strcmp(a->kind, kind) == 0 &&
		    (audit_id == NULL || strcmp(a->audit_id, audit_id) == 0))
			n++;
	}
	return n;
}

const Autonomy__WalAppend *fake_wal_find(struct fake_wal *fw, const char *kind)
{
	size_t total = fake_wal_count(fw);

	for (size_t i = 0; i < total; i++) {
		const Autonomy__WalAppend *a = fake_wal_get(fw, i);
		if (strcmp(a->kind, kind) == 0)
			return a;
	}
	return NULL;
}

void fake_wal_stop(struct fake_wal *fw)
{
	if (fw == NULL)
		return;
	nng_close(fw->sock);
	pthread_join(fw->thread, NULL);
	for (size_t i = 0; i < fw->n_env; i++)
		envelope_free(fw->envs[i]);
	pthread_mutex_destroy(&fw->mu);
	free(fw);
}

const char *wal_attr(const Autonomy__WalAppend *a, const char *key)
{
	for (size_t i = 0; i < a->n_attrs; i++)
		if (strcmp(a->attrs[i]->key, key) == 0)
			return a->attrs[i]->value;
	return NULL;
}

char *harness_rundir(void)
{
	char tmpl[] = "/tmp/autonomy-test-XXXXXX";
	char *d = mkdtemp(tmpl);

	if (d == NULL || ipc_make_dirs(d) < 0)
		return NULL;
	return strdup(d);
}

void harness_rmdir(char *dir)
{
	DIR *d;
	struct dirent *e;
	char path[512];

	if (dir == NULL)
		return;
	if ((d = opendir(dir)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 ||
			    strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			if (unlink(path) < 0 && errno == EISDIR)
				harness_rmdir(strdup(path)); /* a socket dir */
		}
		closedir(d);
	}
	rmdir(dir);
	free(dir);
}

pid_t harness_start_helper(const char *binary, const char *rundir)
{
	int fds[2];
	pid_t pid;
	struct pollfd pfd;
	char byte;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		char *argv[] = {(char *)binary, "--rundir", (char *)rundir,
		                "--ready-fd",   "3",        NULL};
		/* dup2 onto itself would keep O_CLOEXEC. */
		char asan[512];
		const char *cur = getenv("ASAN_OPTIONS");
		if (fds[1] == 3 ? fcntl(3, F_SETFD, 0) < 0
		                : dup2(fds[1], 3) < 0)
			_exit(126);
		/* A refused syscall names itself instead of a silent kill
		 * (test_hooks builds), and LeakSanitizer's exit-time scan,
		 * which needs powers a confined helper no longer has, is off
		 * (sanitizer builds): helpers now exit normally on SIGTERM. */
		setenv("AUTONOMY_SECCOMP_TRAP", "1", 1);
		snprintf(asan, sizeof(asan), "%s%sdetect_leaks=0",
		         cur ? cur : "", cur && *cur ? ":" : "");
		setenv("ASAN_OPTIONS", asan, 1);
		execv(binary, argv);
		_exit(127);
	}
	close(fds[1]);
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 10000) != 1 || read(fds[0], &byte, 1) != 1) {
		int status = 0;
		close(fds[0]);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		fprintf(stderr, "%s did not report ready (status 0x%x)\n",
		        binary, status);
		return -1;
	}
	close(fds[0]);
	return pid;
}

int harness_stop_helper(pid_t pid)
{
	int status = -1;

	if (pid <= 0)
		return -1;
	kill(pid, SIGTERM);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

int harness_status_has(pid_t pid, const char *line)
{
	char path[64], buf[256];
	FILE *f;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (!found && fgets(buf, sizeof(buf), f) != NULL)
		found = strncmp(buf, line, strlen(line)) == 0;
	fclose(f);
	return found;
}

int harness_dial(const char *rundir, const char *name, int timeout_ms,
                 nng_socket *s)
{
	char url[256];

	if (ipc_url(url, sizeof(url), rundir, name) < 0)
		return -1;
	return ipc_dial_req(s, url, timeout_ms);
}

/* Sanitizer builds: nng 1.5 reaps closed dialers asynchronously and may
 * still hold them at exit; that is nng's, not a leak of ours. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libnng.so\n";
}

struct helper_fixture *harness_fixture_up(const char *binary, const char *name)
{
	struct helper_fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	f->pid = -1;
	if ((f->rundir = harness_rundir()) == NULL ||
	    (f->wal = fake_wal_start(f->rundir)) == NULL ||
	    (f->pid = harness_start_helper(binary, f->rundir)) < 0 ||
	    harness_dial(f->rundir, name, 20000, &f->client) < 0) {
		if (f->pid > 0)
			harness_stop_helper(f->pid);
		fake_wal_stop(f->wal);
		harness_rmdir(f->rundir);
		free(f);
		return NULL;
	}
	return f;
}

int harness_fixture_down(struct helper_fixture *f)
{
	int status;
	pid_t pid = f->pid;

	nng_close(f->client);
	status = harness_stop_helper(f->pid);
	fake_wal_stop(f->wal);
	harness_rmdir(f->rundir);
	free(f);
	/* A clean stop: exit 0 after draining, or our SIGTERM itself (pid
	 * -1: the test stopped it and checked that itself). */
	if (pid > 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0) &&
	    !(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM)) {
		fprintf(stderr, "helper %d ended with status 0x%x\n", (int)pid,
		        status);
		return -1;
	}
	return 0;
}
