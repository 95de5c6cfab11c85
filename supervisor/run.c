/* `autonomy run`: the supervisor. It owns the run's lifecycle and nothing
 * else: it never parses tool traffic. It starts the helpers (walwriter
 * first, toolsrv last), tells walwriter which pid speaks for which
 * helper, asks the spawner to start the workload, then waits on pidfds
 * and a signalfd. Any helper dying means no further tool call could be
 * decided durably, so the run fails closed: the workload is stopped and
 * we exit 70. */
#include "run.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "allowlist.h"
#include "bundle.h"
#include "capdrop.h"
#include "config_fd.h"
#include "envelope.h"
#include "egress_run.h"
#include "fetch_run.h"
#include "flags.h"
#include "footprint.h"
#include "image_run.h"
#include "ipc.h"
#include "landlock.h"
#include "log.h"
#include "mav_run.h"
#include "netns.h"
#include "profile.h"
#include "rmtree.h"

#define EXIT_USAGE 64
#define EXIT_RUNTIME 70
#define EXIT_NOEXEC 127
#define READY_TIMEOUT_MS 10000
#define STOP_GRACE_MS 2000
#define IPC_TIMEOUT_MS 10000
/* Less free space than this where the WAL lives: call it full. */
#define WAL_LOW_SPACE (64 * 1024)

extern char **environ;

enum {
	H_WALWRITER,
	H_POLICYD,
	H_SPAWNER,
	H_TOOLSRV,
	H_FETCHER,
	H_MAVPROXY, /* only with --mavlink-endpoint */
	H_COUNT
};

static const char *const helper_names[H_COUNT] = {
    "walwriter", "policyd", "spawner", "toolsrv", "fetcher", "mavproxy"};

struct helper {
	pid_t pid;
	int pidfd;
	int ready_fd; /* its ready pipe, until it reported (-1 after) */
	int reaped;
	int status;
	int signalled; /* SIGTERM sent (helper_signal), not yet collected */
};

struct run {
	struct run_opts o;
	struct bundle *bundle;  /* --policy, validated; NULL: embedded demo */
	char *seccomp_json;     /* --seccomp-profile's text, compiled once */
	struct run_image image; /* --image, resolved (when o.image) */
	/* The LD_PRELOAD layer (with --ld-preload): the shim's variables,
	 * each NULL when unset (not enforced), checked with its parsers. */
	char *preload_exec, *preload_connect, *preload_dlopen;
	char dlopen_source[512];   /* where preload_dlopen came from */
	struct netns net;          /* --net: the namespace and its listener */
	struct fetch_conf fetch;   /* the fetcher's allowed domains, CA */
	struct egress_conf egress; /* --allow-host: the egress proxy */
	struct mav_conf mav;       /* mavproxy's link and settings */
	char rundir[PATH_MAX];
	char waldir[PATH_MAX];
	int wal_temp;
	char url[64];
	char token[65];
	struct helper h[H_COUNT];
	char sandbox_line[512]; /* for the footprint panel */
	int wal_open, spawner_open;
	nng_socket wal, spawner;
	pid_t workload;
	int workload_pidfd;
	int sigfd;
	struct timespec t0;
	/* Confined helpers (FSIZE 0) write their logs to this pipe, which a
	 * thread copies to our stderr: were stderr a file, FSIZE 0 would
	 * make every log line fail with EFBIG. The spawner keeps the real
	 * stderr, because the workload inherits it. */
	int logpipe[2];
	pthread_t logthread;
	int logthread_on;
	/* As root with --helper-uid-base (the default): the ids each helper
	 * runs as (the spawner stays root) and the run directory's group
	 * (docs/confinement.md). uids_on 0: the helpers keep our uid. */
	int uids_on;
	uid_t huid[H_COUNT];
	gid_t run_gid;
	gid_t walclient_gid; /* walwriter's socket dir: policyd, fetcher */
	/* The WAL dir is lent to walwriter's uid for the run: its owner,
	 * given back at the end. */
	int wal_lent;
	uid_t wal_uid;
	gid_t wal_gid;
};

/* ---- small pieces ---------------------------------------------------- */

static int hex_token(char out[65])
{
	uint8_t b[32];
	static const char hx[] = "0123456789abcdef";

	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		return -1;
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hx[b[i] >> 4];
		out[2 * i + 1] = hx[b[i] & 0xf];
	}
	out[64] = '\0';
	return 0;
}

/* Helpers live beside us: installed as <prefix>/bin/autonomy and
 * <prefix>/libexec/autonomy/<helper>, or in the build tree as
 * supervisor/autonomy and <helper>/<helper>. Resolved from /proc/self/exe
 * only, never from the environment. */
static int helper_path(const char *name, char *out, size_t len)
{
	char self[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	struct stat st;

	if (n < 0)
		return -1;
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) == NULL)
		return -1;
	*slash = '\0';
	n = snprintf(out, len, "%s/../libexec/autonomy/%s", self, name);
	if (n > 0 && (size_t)n < len && stat(out, &st) == 0 &&
	    S_ISREG(st.st_mode))
		return 0;
	n = snprintf(out, len, "%s/../%s/%s", self, name, name);
	if (n > 0 && (size_t)n < len && stat(out, &st) == 0 &&
	    S_ISREG(st.st_mode))
		return 0;
	return -1;
}

/* ---- helpers' logs ---------------------------------------------------- */

static void *log_relay(void *arg)
{
	struct run *r = arg;
	char buf[4096];
	ssize_t n;

	while ((n = read(r->logpipe[0], buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		(void)!write(STDERR_FILENO, buf, (size_t)n);
	}
	return NULL;
}

static int log_relay_start(struct run *r)
{
	if (pipe2(r->logpipe, O_CLOEXEC) < 0)
		return -1;
	if (pthread_create(&r->logthread, NULL, log_relay, r) != 0) {
		close(r->logpipe[0]);
		close(r->logpipe[1]);
		r->logpipe[0] = r->logpipe[1] = -1;
		return -1;
	}
	r->logthread_on = 1;
	return 0;
}

/* Once every helper is gone: the pipe reaches EOF, the thread ends. */
static void log_relay_stop(struct run *r)
{
	if (!r->logthread_on)
		return;
	close(r->logpipe[1]);
	pthread_join(r->logthread, NULL);
	close(r->logpipe[0]);
	r->logthread_on = 0;
}

/* ---- helpers: start, wait for ready, stop ---------------------------- */

static const char *const passed_env[] = {
    "AUTONOMY_DEBUG",
    "AUTONOMY_SECCOMP_TRAP",
    "ASAN_OPTIONS",
    "UBSAN_OPTIONS",
    "LSAN_OPTIONS",
#ifdef AUTONOMY_TEST_HOOKS
    /* test builds only: common/attack.h, confine_seccomp_load() */
    "AUTONOMY_TEST_ATTACK",
    "AUTONOMY_TEST_NO_SECCOMP",
#endif
};

/* In the child between fork and exec (one thread: raw system calls):
 * the helper's own uid and gid, groups[0..ngroups) as its supplementary
 * groups (the run directory's; for walwriter's clients theirs too), and
 * an empty capability bounding set (dropped while we still hold
 * CAP_SETPCAP: as that uid it could not). -1 with the step that failed
 * in *step. */
static int child_become(uid_t uid, gid_t gid, const gid_t *groups, int ngroups,
                        const char **step)
{
	for (int c = 0; c <= 63; c++)
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL) {
			*step = "drop the capability bounding set";
			return -1;
		}
	*step = "setgroups";
	if (syscall(SYS_setgroups, ngroups, groups) < 0)
		return -1;
	*step = "setresgid";
	if (syscall(SYS_setresgid, gid, gid, gid) < 0)
		return -1;
	*step = "setresuid";
	if (syscall(SYS_setresuid, uid, uid, uid) < 0)
		return -1;
	return 0;
}

static void child_say(const char *a, const char *b, const char *c)
{
	(void)!write(STDERR_FILENO, a, strlen(a));
	(void)!write(STDERR_FILENO, b, strlen(b));
	(void)!write(STDERR_FILENO, c, strlen(c));
}

static int helper_launch(struct run *r, int idx, const char *const *extra,
                         const int *pass, int npass)
{
	char path[PATH_MAX], readyfd[16];
	const char *argv[24];
	char *envp[8];
	char envbuf[8][512];
	int ready[2], argc = 0, envc = 0;
	pid_t pid, parent = getpid();
	const char *step = NULL;
	int become = r->uids_on && idx != H_SPAWNER;
	/* the run directory's group; walwriter's clients' for those */
	gid_t groups[2] = {r->run_gid, r->walclient_gid};
	int ngroups =
	    idx == H_POLICYD || idx == H_FETCHER || idx == H_MAVPROXY ? 2 : 1;

	if (helper_path(helper_names[idx], path, sizeof(path)) < 0) {
		log_warnx("cannot find the %s helper beside this binary "
		          "(install autonomy with its libexec/autonomy/ "
		          "directory)",
		          helper_names[idx]);
		return -1;
	}
	if (pipe2(ready, O_CLOEXEC) < 0) {
		log_warn("pipe");
		return -1;
	}
	snprintf(readyfd, sizeof(readyfd), "%d", ready[1]);
	argv[argc++] = path;
	argv[argc++] = "--rundir";
	argv[argc++] = r->rundir;
	for (; extra && *extra; extra++)
		argv[argc++] = *extra;
	argv[argc++] = "--ready-fd";
	argv[argc++] = readyfd;
	argv[argc] = NULL;

	snprintf(envbuf[envc], sizeof(envbuf[0]),
	         "PATH=/usr/sbin:/usr/bin:"
	         "/sbin:/bin");
	envp[envc] = envbuf[envc];
	envc++;
	for (size_t i = 0; i < sizeof(passed_env) / sizeof(passed_env[0]);
	     i++) {
		const char *v = getenv(passed_env[i]);
		if (v == NULL)
			continue;
		snprintf(envbuf[envc], sizeof(envbuf[0]), "%s=%s",
		         passed_env[i], v);
		envp[envc] = envbuf[envc];
		envc++;
	}
	envp[envc] = NULL;

	pid = fork();
	if (pid < 0) {
		log_warn("fork");
		close(ready[0]);
		close(ready[1]);
		return -1;
	}
	if (pid == 0) {
		/* Child: only async-signal-safe calls until execve. */
		sigset_t none;
		sigemptyset(&none);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* Own process group: the terminal's Ctrl-C is for the
		 * workload and us, not the helpers; we stop them in order. */
		setpgid(0, 0);
		if (become && child_become(r->huid[idx], r->huid[idx], groups,
		                           ngroups, &step) < 0) {
			child_say("autonomy run: cannot start ",
			          helper_names[idx], " under its own uid (");
			child_say(step, ": ", strerrorname_np(errno));
			child_say("); see --helper-uid-base", "\n", "");
			_exit(126);
		}
		/* After the uid change, which clears it; and the parent
		 * may have gone before it was set. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(126);
		if (idx != H_SPAWNER && r->logpipe[1] >= 0)
			dup2(r->logpipe[1], STDERR_FILENO);
		fcntl(ready[1], F_SETFD, 0);
		for (int i = 0; i < npass; i++)
			fcntl(pass[i], F_SETFD, 0);
		execve(path, (char *const *)argv, envp);
		_exit(127);
	}
	close(ready[1]);
	r->h[idx].pid = pid;
	r->h[idx].ready_fd = ready[0];
	r->h[idx].pidfd = pidfd_open(pid, 0);
	if (r->h[idx].pidfd < 0) {
		log_warn("pidfd_open(%s)", helper_names[idx]);
		return -1;
	}
	return 0;
}

/* Waits until every helper launched has reported ready (one byte 'R' on
 * its pipe), READY_TIMEOUT_MS in all. They start side by side: each one
 * that dials another retries until that one listens (ipc_dial_*). */
static int helpers_await_ready(struct run *r)
{
	struct timespec t0, now;
	int waiting = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < H_COUNT; i++)
		waiting += r->h[i].ready_fd >= 0;
	while (waiting > 0) {
		struct pollfd pfd[H_COUNT];
		int idx[H_COUNT], n = 0, left, got;

		for (int i = 0; i < H_COUNT; i++)
			if (r->h[i].ready_fd >= 0) {
				pfd[n].fd = r->h[i].ready_fd;
				pfd[n].events = POLLIN;
				idx[n++] = i;
			}
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = READY_TIMEOUT_MS -
		       (int)((now.tv_sec - t0.tv_sec) * 1000 +
		             (now.tv_nsec - t0.tv_nsec) / 1000000);
		got = left > 0 ? poll(pfd, (nfds_t)n, left) : 0;
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			log_warnx("helper %s did not start (no ready report "
			          "within 10 s)",
			          helper_names[idx[0]]);
			return -1;
		}
		for (int k = 0; k < n; k++) {
			struct helper *h = &r->h[idx[k]];
			char c;
			if (pfd[k].revents == 0)
				continue;
			if (read(h->ready_fd, &c, 1) != 1 || c != 'R') {
				log_warnx("helper %s did not start (it exited "
				          "before reporting ready)",
				          helper_names[idx[k]]);
				return -1;
			}
			close(h->ready_fd);
			h->ready_fd = -1;
			waiting--;
			log_debug("%s ready, pid %d", helper_names[idx[k]],
			          (int)h->pid);
		}
	}
	return 0;
}

/* Waits for the helper to end (its pidfd says it has, or will soon) and
 * records its wait status. */
static void helper_collect(struct helper *h)
{
	siginfo_t si;

	if (h->pid <= 0 || h->reaped)
		return;
	memset(&si, 0, sizeof(si));
	while (waitid(P_PIDFD, (id_t)h->pidfd, &si, WEXITED) < 0)
		if (errno != EINTR)
			return;
	h->reaped = 1;
	h->status = si.si_code == CLD_EXITED ? (si.si_status & 0xff) << 8
	                                     : si.si_status & 0x7f;
}

/* SIGTERM now; helper_stop collects it later. Helpers signalled together
 * exit side by side: a process's exit (its threads, its mappings) takes
 * about a millisecond here, and one after the other they add up. */
static void helper_signal(struct helper *h)
{
	if (h->pid <= 0 || h->reaped || h->signalled)
		return;
	pidfd_send_signal(h->pidfd, SIGTERM, NULL, 0);
	h->signalled = 1;
}

static void helper_stop(struct helper *h)
{
	struct pollfd pfd;

	if (h->pid <= 0 || h->reaped)
		return;
	helper_signal(h);
	pfd.fd = h->pidfd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, STOP_GRACE_MS) == 0)
		pidfd_send_signal(h->pidfd, SIGKILL, NULL, 0);
	helper_collect(h);
}

/* At once: for toolsrv, which holds nothing to flush, when the run
 * fails closed. */
static void helper_kill(struct helper *h)
{
	if (h->pid <= 0 || h->reaped)
		return;
	pidfd_send_signal(h->pidfd, SIGKILL, NULL, 0);
	helper_collect(h);
}

/* Before run.end: toolsrv takes no new call, then policyd finishes the
 * calls in flight and hands their last records (tool.result) to
 * walwriter, so run.end is the last record of the run. */
static void stop_front(struct run *r)
{
	helper_stop(&r->h[H_TOOLSRV]);
	helper_stop(&r->h[H_POLICYD]);
	/* a redirect's runtime.deny is written after its fetch */
	helper_signal(&r->h[H_FETCHER]);
	helper_signal(&r->h[H_MAVPROXY]);
	helper_stop(&r->h[H_FETCHER]);
	helper_stop(&r->h[H_MAVPROXY]);
}

static void describe_status(int st, char *buf, size_t len)
{
	if (WIFEXITED(st))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(st),
		         strsignal(WTERMSIG(st)));
	else
		snprintf(buf, len, "status 0x%x", st);
}

/* The run could not start: says which helpers died on the way and how
 * (a seccomp kill is SIGSYS), waiting a moment for one that is dying. */
static void report_dead_helpers(struct run *r)
{
	struct pollfd pfd[H_COUNT];
	char why[128];
	int n = 0;

	for (int i = 0; i < H_COUNT; i++)
		if (r->h[i].pid > 0 && !r->h[i].reaped)
			pfd[n++] = (struct pollfd){r->h[i].pidfd, POLLIN, 0};
	if (n == 0 || poll(pfd, (nfds_t)n, 200) <= 0)
		return;
	for (int i = 0, k = 0; i < H_COUNT; i++) {
		if (r->h[i].pid <= 0 || r->h[i].reaped)
			continue;
		if (pfd[k++].revents == 0)
			continue;
		helper_collect(&r->h[i]);
		describe_status(r->h[i].status, why, sizeof(why));
		fprintf(stderr, "autonomy run: helper %s (pid %d) %s\n",
		        helper_names[i], (int)r->h[i].pid, why);
	}
}

/* After walwriter died: a full WAL filesystem is the likely cause worth
 * naming (its commit then fails with ENOSPC, or EIO for a short write). */
static void wal_space_note(const struct run *r, char *why, size_t len)
{
	struct statvfs st;
	size_t n = strlen(why);

	if (statvfs(r->waldir, &st) == 0 &&
	    (unsigned long long)st.f_bavail * st.f_frsize < WAL_LOW_SPACE)
		snprintf(why + n, len - n,
		         " (the WAL directory %s has no space left: free "
		         "some, or give --dir on a larger filesystem)",
		         r->waldir);
}

/* ---- talking to walwriter and spawner -------------------------------- */

static int wal_append(struct run *r, const char *kind, const char *tool,
                      const char *const *kv)
{
	Envelope req = AUTONOMY__ENVELOPE__INIT, *resp = NULL;
	Autonomy__WalAppend a = AUTONOMY__WAL_APPEND__INIT;
	Autonomy__Attr attrs[16], *pattrs[16];
	char err[256];
	size_t n = 0;
	int rc;

	if (!r->wal_open)
		return -1;
	for (; kv && kv[0] && n < 16; kv += 2, n++) {
		autonomy__attr__init(&attrs[n]);
		attrs[n].key = (char *)kv[0];
		attrs[n].value = (char *)kv[1];
		pattrs[n] = &attrs[n];
	}
	a.kind = (char *)kind;
	a.tool = (char *)(tool ? tool : "");
	a.audit_id = (char *)"";
	a.n_attrs = n;
	a.attrs = pattrs;
	req.body_case = AUTONOMY__ENVELOPE__BODY_WAL_APPEND;
	req.wal_append = &a;
	rc = ipc_call_sock(r->wal, &req, &resp, err, sizeof(err));
	if (rc == 0 && resp->body_case != AUTONOMY__ENVELOPE__BODY_WAL_ACK) {
		snprintf(err, sizeof(err), "%s",
		         resp->body_case == AUTONOMY__ENVELOPE__BODY_ERROR
		             ? resp->error->message
		             : "unexpected reply");
		rc = -1;
	}
	if (rc < 0)
		log_warnx("WAL append %s failed: %s", kind, err);
	envelope_free(resp);
	return rc;
}

static int wal_send_peers(struct run *r)
{
	Envelope req = AUTONOMY__ENVELOPE__INIT, *resp = NULL;
	Autonomy__PeerTable t = AUTONOMY__PEER_TABLE__INIT;
	Autonomy__Peer peers[H_COUNT], *pp[H_COUNT];
	char err[256];
	size_t n = 0;
	int rc;

	for (int i = H_POLICYD; i < H_COUNT; i++) {
		if (r->h[i].pid <= 0)
			continue; /* not started (mavproxy without a link) */
		autonomy__peer__init(&peers[n]);
		peers[n].origin = (char *)helper_names[i];
		peers[n].pid = r->h[i].pid;
		pp[n] = &peers[n];
		n++;
	}
	t.n_peers = n;
	t.peers = pp;
	req.body_case = AUTONOMY__ENVELOPE__BODY_PEER_TABLE;
	req.peer_table = &t;
	rc = ipc_call_sock(r->wal, &req, &resp, err, sizeof(err));
	if (rc == 0 && resp->body_case != AUTONOMY__ENVELOPE__BODY_ACK) {
		snprintf(err, sizeof(err), "peer table refused");
		rc = -1;
	}
	if (rc < 0)
		log_warnx("walwriter: %s", err);
	envelope_free(resp);
	return rc;
}

static int wal_stats(struct run *r, struct footprint *fp)
{
	Envelope req = AUTONOMY__ENVELOPE__INIT, *resp = NULL;
	Autonomy__WalStatsRequest s = AUTONOMY__WAL_STATS_REQUEST__INIT;
	char err[256];

	if (!r->wal_open)
		return -1;
	req.body_case = AUTONOMY__ENVELOPE__BODY_WAL_STATS_REQUEST;
	req.wal_stats_request = &s;
	if (ipc_call_sock(r->wal, &req, &resp, err, sizeof(err)) < 0)
		return -1;
	if (resp->body_case == AUTONOMY__ENVELOPE__BODY_WAL_STATS) {
		fp->records = resp->wal_stats->records;
		fp->allowed = resp->wal_stats->allowed;
		fp->denied = resp->wal_stats->denied;
		fp->stats_known = 1;
	}
	envelope_free(resp);
	return 0;
}

static int env_is(const char *e, const char *name)
{
	size_t n = strlen(name);

	return strncmp(e, name, n) == 0 && e[n] == '=';
}

/* The variables the supervisor sets for the workload: any inherited
 * value is replaced. The shim's allow-lists come from our flags only
 * when --ld-preload is given, so the WAL record names all of them. */
static int env_ours(const struct run *r, const char *e)
{
	if (env_is(e, "AUTONOMY_RUNTIME_URL") ||
	    env_is(e, "AUTONOMY_RUNTIME_TOKEN"))
		return 1;
	if (r->egress.port != 0 && egress_env_is_ours(e))
		return 1; /* the egress proxy's, replacing the caller's */
	return r->o.ld_preload != NULL &&
	       (env_is(e, "LD_PRELOAD") ||
	        env_is(e, "AUTONOMY_PRELOAD_EXEC_ALLOWLIST") ||
	        env_is(e, "AUTONOMY_PRELOAD_CONNECT_ALLOWLIST") ||
	        env_is(e, "AUTONOMY_PRELOAD_DLOPEN_ALLOWLIST"));
}

/* LD_PRELOAD for the workload: the shim first, then the user's own
 * preloads (ld.so binds to the first definition, so the shim's
 * wrappers are the ones a user's library reaches through dlsym(RTLD_NEXT)
 * too, never the other way round). NULL: no --ld-preload. */
static char *preload_value(const struct run *r)
{
	const char *user = getenv("LD_PRELOAD");
	char *v;

	if (r->o.ld_preload == NULL)
		return NULL;
	if (user == NULL || *user == '\0')
		return strdup(r->o.ld_preload);
	if (asprintf(&v, "%s:%s", r->o.ld_preload, user) < 0)
		return NULL;
	return v;
}

/* Appends one allocated "NAME=value" to env. */
static int env_add(char **env, size_t *k, const char *name, const char *val)
{
	char *e;

	if (asprintf(&e, "%s=%s", name, val) < 0)
		return -1;
	env[(*k)++] = e;
	return 0;
}

/* An image config's Env entry the workload gets: not one of ours, not
 * in the runtime's AUTONOMY_ namespace (an image cannot point the
 * workload at another runtime), and the last one of its name. */
static int image_env_taken(const struct run *r, const char *e)
{
	return !env_ours(r, e) && strncmp(e, "AUTONOMY_", 9) != 0 &&
	       image_run_env(&r->image, e) == e;
}

/* Environment for the workload: ours, with the image config's Env over
 * it (an image variable replaces ours of its name), then the runtime's
 * URL and token set and, with --ld-preload, LD_PRELOAD and the shim's
 * allow-lists (replacing any inherited or image ones). The strings from
 * env[*own] on are allocated. */
static char **workload_env(struct run *r, size_t *n, size_t *own)
{
	const struct run_image *ri = &r->image;
	size_t cnt = 0, k = 0;
	char **env, *pre = NULL;
	int rc;

	while (environ[cnt])
		cnt++;
	if ((env = calloc(cnt + ri->n_env + 7 + EGRESS_ENV_N, sizeof(*env))) ==
	    NULL)
		return NULL;
	for (size_t i = 0; i < cnt; i++) {
		const char *img = image_run_env(ri, environ[i]);
		if (!env_ours(r, environ[i]) &&
		    (img == NULL || !image_env_taken(r, img)))
			env[k++] = environ[i];
	}
	for (size_t off = 0; off < ri->env_len;
	     off += strlen(ri->env + off) + 1)
		if (image_env_taken(r, ri->env + off))
			env[k++] = (char *)ri->env + off;
	*own = k;
	rc = env_add(env, &k, "AUTONOMY_RUNTIME_URL", r->url) < 0 ||
	     env_add(env, &k, "AUTONOMY_RUNTIME_TOKEN", r->token) < 0;
	if (!rc && r->o.ld_preload != NULL)
		rc = (pre = preload_value(r)) == NULL ||
		     env_add(env, &k, "LD_PRELOAD", pre) < 0;
	free(pre);
	if (!rc && r->preload_exec != NULL)
		rc = env_add(env, &k, "AUTONOMY_PRELOAD_EXEC_ALLOWLIST",
		             r->preload_exec) < 0;
	if (!rc && r->preload_connect != NULL)
		rc = env_add(env, &k, "AUTONOMY_PRELOAD_CONNECT_ALLOWLIST",
		             r->preload_connect) < 0;
	if (!rc && r->preload_dlopen != NULL)
		rc = env_add(env, &k, "AUTONOMY_PRELOAD_DLOPEN_ALLOWLIST",
		             r->preload_dlopen) < 0;
	if (!rc && r->egress.port != 0)
		rc = egress_env(&r->egress, env, &k) < 0;
	if (rc) {
		for (size_t i = *own; i < k; i++)
			free(env[i]);
		free(env);
		return NULL;
	}
	*n = k;
	return env;
}

/* An allow-list as a WAL attribute: the list, or what its absence
 * means, or its digest when it is too long for one attribute. */
static const char *list_attr(const char *v, char *buf, size_t len)
{
	char d[BUNDLE_DIGEST_LEN + 1];

	if (v == NULL)
		return "unset (not enforced)";
	if (*v == '\0')
		return "empty (allows none)";
	if (strlen(v) < ENV_MAX_ATTR_VALUE)
		return v;
	bundle_sha256(v, strlen(v), d);
	snprintf(buf, len, "%zu bytes, %s (too long to record in full)",
	         strlen(v), d);
	return buf;
}

/* sandbox.layer layer=preload, durable before the SpawnRequest: the
 * supervisor writes it because it alone builds the workload's
 * environment (the spawner passes env through as given). */
static int record_preload(struct run *r)
{
	char b[4][128];
	char *pre = preload_value(r);
	int rc;

	if (pre == NULL)
		return -1;
	const char *kv[] = {"layer",
	                    "preload",
	                    "path",
	                    r->o.ld_preload,
	                    "ld_preload",
	                    list_attr(pre, b[0], sizeof(b[0])),
	                    "exec_allowlist",
	                    list_attr(r->preload_exec, b[1], sizeof(b[1])),
	                    "connect_allowlist",
	                    list_attr(r->preload_connect, b[2], sizeof(b[2])),
	                    "dlopen_allowlist",
	                    list_attr(r->preload_dlopen, b[3], sizeof(b[3])),
	                    "dlopen_source",
	                    r->dlopen_source,
	                    NULL};
	rc = wal_append(r, "sandbox.layer", NULL, kv);
	free(pre);
	return rc;
}

/* Returns the pid, 0 when the command could not be executed (err says
 * why), -1 when the spawner could not be asked. */
static pid_t spawn_workload(struct run *r, char *err, size_t errlen)
{
	Envelope req = AUTONOMY__ENVELOPE__INIT, *resp = NULL;
	Autonomy__SpawnRequest s = AUTONOMY__SPAWN_REQUEST__INIT;
	char cwd[PATH_MAX];
	size_t nenv = 0, own = 0;
	char **env = workload_env(r, &nenv, &own);
	pid_t pid = -1;

	if (env == NULL)
		return -1;
	/* With --image our cwd is a host path: the workload starts at
	 * its image's /. */
	if (r->o.image != NULL || getcwd(cwd, sizeof(cwd)) == NULL)
		snprintf(cwd, sizeof(cwd), "/");
	s.argv = r->o.cmd;
	s.n_argv = (size_t)r->o.ncmd;
	s.env = env;
	s.n_env = nenv;
	s.cwd = cwd;
	s.pgid = getpgrp();
	if (r->o.no_seccomp) {
		s.seccomp_mode = AUTONOMY__SECCOMP_MODE__SECCOMP_NONE;
	} else if (r->seccomp_json != NULL) {
		s.seccomp_mode = AUTONOMY__SECCOMP_MODE__SECCOMP_PROFILE;
		s.seccomp_profile_json = r->seccomp_json;
		s.seccomp_profile_path = (char *)r->o.seccomp_profile;
	}
	s.cap_drop = (char **)r->o.cap_drop;
	s.n_cap_drop = (size_t)r->o.ncap_drop;
	s.read_only_rootfs = r->o.mounts.read_only_rootfs;
	s.tmpfs = (char **)r->o.tmpfs;
	s.n_tmpfs = (size_t)r->o.ntmpfs;
	s.writable_mounts = (char **)r->o.writable;
	s.n_writable_mounts = (size_t)r->o.nwritable;
	if (!r->o.no_landlock) {
		s.landlock_exec = (char **)r->o.preload_exec;
		s.n_landlock_exec = (size_t)r->o.npreload_exec;
		s.landlock_connect = (char **)r->o.preload_connect;
		s.n_landlock_connect = (size_t)r->o.npreload_connect;
	}
	s.net = r->net.mode;
	s.net_source = (char *)r->o.net_source;
	s.net_refused = r->net.refused;
	if (r->o.image != NULL) {
		s.image_rootfs = r->image.rootfs;
		s.image_ref = (char *)r->o.image;
		s.image_kind = r->image.oci ? "oci-layout" : "rootfs";
		s.image_digest = r->image.digest;
		s.image_user = r->image.user;
		s.image_workdir = r->image.workdir;
	}
	req.body_case = AUTONOMY__ENVELOPE__BODY_SPAWN_REQUEST;
	req.spawn_request = &s;
	if (ipc_call_sock(r->spawner, &req, &resp, err, errlen) < 0) {
		pid = -1;
	} else if (resp->body_case == AUTONOMY__ENVELOPE__BODY_SPAWN_REPLY) {
		pid = resp->spawn_reply->pid;
	} else if (resp->body_case == AUTONOMY__ENVELOPE__BODY_ERROR) {
		snprintf(err, errlen, "%s", resp->error->message);
		pid = 0;
	}
	envelope_free(resp);
	for (size_t i = own; i < nenv; i++)
		free(env[i]);
	free(env);
	return pid;
}

static int wait_workload(struct run *r, int *status)
{
	Envelope req = AUTONOMY__ENVELOPE__INIT, *resp = NULL;
	Autonomy__WaitRequest w = AUTONOMY__WAIT_REQUEST__INIT;
	char err[256];
	int rc = -1;

	w.pid = r->workload;
	req.body_case = AUTONOMY__ENVELOPE__BODY_WAIT_REQUEST;
	req.wait_request = &w;
	if (!r->spawner_open ||
	    ipc_call_sock(r->spawner, &req, &resp, err, sizeof(err)) < 0) {
		log_warnx("spawner: cannot collect the workload's status");
		return -1;
	}
	if (resp->body_case == AUTONOMY__ENVELOPE__BODY_WAIT_REPLY) {
		*status = resp->wait_reply->wait_status;
		rc = 0;
	}
	envelope_free(resp);
	return rc;
}

/* ---- set-up ---------------------------------------------------------- */

/* Reads --seccomp-profile's file (bounded) and parses and compiles it
 * exactly as the spawner will, so that a bad profile is a usage error
 * before anything starts. The text, not the path, goes to the spawner,
 * which opens no files. NULL with the message in err. */
static char *seccomp_profile_check(const struct run_opts *o, char *err,
                                   size_t errlen)
{
	struct seccomp_host host;
	struct seccomp_profile *p;
	scmp_filter_ctx ctx;
	size_t len = 0;
	char *text;
	FILE *f;

	if ((f = fopen(o->seccomp_profile, "re")) == NULL) {
		snprintf(err, errlen, "%s: %s", o->seccomp_profile,
		         strerror(errno));
		return NULL;
	}
	if ((text = malloc(SECCOMP_PROFILE_MAX_BYTES + 1)) == NULL) {
		fclose(f);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	len = fread(text, 1, SECCOMP_PROFILE_MAX_BYTES + 1, f);
	if (ferror(f) || len > SECCOMP_PROFILE_MAX_BYTES || len == 0 ||
	    memchr(text, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: %s", o->seccomp_profile,
		         ferror(f)  ? strerror(errno)
		         : len == 0 ? "empty file"
		         : len > SECCOMP_PROFILE_MAX_BYTES
		             ? "larger than 1 MiB"
		             : "contains a NUL byte (not JSON text)");
		fclose(f);
		free(text);
		return NULL;
	}
	fclose(f);
	text[len] = '\0';
	/* includes/excludes.caps are evaluated against what the workload
	 * will hold: our set less --cap-drop (the spawner does the same). */
	if (seccomp_host_current(&host, caps_effective() & ~o->cap_drop_mask) <
	    0) {
		snprintf(err, errlen, "cannot read the kernel release");
		free(text);
		return NULL;
	}
	p = seccomp_profile_parse_json(text, len, o->seccomp_profile, &host,
	                               err, errlen);
	if (p == NULL) {
		free(text);
		return NULL;
	}
	ctx = seccomp_profile_compile(p, err, errlen);
	seccomp_profile_free(p);
	if (ctx == NULL) {
		free(text);
		return NULL;
	}
	seccomp_release(ctx);
	return text;
}

/* The dlopen allow-list of bundle b, ':'-joined and checked with the
 * shim's parser. flag and arg name where b came from. NULL with err. */
static char *dlopen_list(const struct bundle *b, const char *flag,
                         const char *arg, char *err, size_t errlen)
{
	struct preload_paths *l;
	char msg[PRELOAD_ERR_MAX];
	size_t len = 1, off = 0;
	char *s;

	for (size_t i = 0; i < b->n_dlopen_paths; i++) {
		/* The variable is ':'-joined: such a path would become two
		 * entries nobody wrote. */
		if (strchr(b->dlopen_paths[i], ':') != NULL) {
			errorf(err, errlen,
			       "%s %s: dlopen_allowlist.paths[%zu] \"%s\": a "
			       "path with ':' cannot be given to the shim",
			       flag, arg, i, b->dlopen_paths[i]);
			return NULL;
		}
		len += strlen(b->dlopen_paths[i]) + 1;
	}
	if ((s = malloc(len)) == NULL || (l = malloc(sizeof(*l))) == NULL) {
		free(s);
		errorf(err, errlen, "%s: %s", flag, strerror(ENOMEM));
		return NULL;
	}
	for (size_t i = 0; i < b->n_dlopen_paths; i++)
		off += (size_t)sprintf(s + off, "%s%s", i ? ":" : "",
		                       b->dlopen_paths[i]);
	s[off] = '\0';
	if (preload_parse_dlopen_list(s, l, msg, sizeof(msg)) < 0) {
		errorf(err, errlen, "%s %s: dlopen_allowlist: %s", flag, arg,
		       msg);
		free(s);
		s = NULL;
	}
	free(l);
	return s;
}

/* The shim's allow-lists for the workload's environment, before
 * anything starts (flags.c checked the exec and connect entries
 * already). The dlopen list comes from --dlopen-allowlist-from-bundle,
 * else from the --policy bundle when its manifest has one. -1 with err
 * naming the flag. */
static int preload_prepare(struct run *r, char *err, size_t errlen)
{
	const struct run_opts *o = &r->o;
	struct bundle *own = NULL;
	const struct bundle *b = NULL;
	const char *flag = "--policy", *arg = o->policy;

	if (o->ld_preload == NULL) {
		if (r->bundle != NULL && r->bundle->has_dlopen_allowlist)
			fprintf(stderr,
			        "autonomy run: --policy: note: the bundle's "
			        "dlopen_allowlist is enforced only with "
			        "--ld-preload PATH (not given)\n");
		return 0;
	}
	if (o->npreload_exec > 0 &&
	    (r->preload_exec = run_preload_join(o->preload_exec,
	                                        o->npreload_exec, ':')) == NULL)
		return errorf(err, errlen, "--preload-exec-allowlist: %s",
		              strerror(ENOMEM));
	if (o->npreload_connect > 0 &&
	    (r->preload_connect = run_preload_join(
	         o->preload_connect, o->npreload_connect, ',')) == NULL)
		return errorf(err, errlen, "--preload-connect-allowlist: %s",
		              strerror(ENOMEM));
	if (o->dlopen_bundle != NULL) {
		char why[BUNDLE_ERR_MAX];

		flag = "--dlopen-allowlist-from-bundle";
		arg = o->dlopen_bundle;
		if ((own = bundle_resolve(arg, o->cache_dir, why,
		                          sizeof(why))) == NULL)
			return errorf(err, errlen, "%s: %s", flag, why);
		if (!own->has_dlopen_allowlist) {
			errorf(err, errlen,
			       "%s %s: its manifest has no dlopen_allowlist "
			       "(nothing to enforce)",
			       flag, arg);
			bundle_free(own);
			return -1;
		}
		b = own;
	} else if (r->bundle != NULL && r->bundle->has_dlopen_allowlist) {
		b = r->bundle;
	}
	if (b != NULL) {
		r->preload_dlopen = dlopen_list(b, flag, arg, err, errlen);
		snprintf(r->dlopen_source, sizeof(r->dlopen_source),
		         "%s %s (%s, %s)", flag, arg, b->policy_ref, b->digest);
	} else {
		snprintf(r->dlopen_source, sizeof(r->dlopen_source), "none");
	}
	bundle_free(own);
	return b != NULL && r->preload_dlopen == NULL ? -1 : 0;
}

/* --image REF resolved (image_run.c) and what unpacking noted shown. */
static int image_prepare(struct run *r, char *err, size_t errlen)
{
	struct run_image *ri = &r->image;

	if (strcmp(r->o.image, "/") == 0)
		return errorf(err, errlen,
		              "--image /: that is the host's own root (give an "
		              "image layout or another root filesystem)");
	if (image_run_prepare(&r->o, ri, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < ri->n_notes && i < IMAGE_RUN_NOTES; i++)
		fprintf(stderr, "autonomy run: --image: note: %s\n",
		        ri->notes[i]);
	if (ri->n_notes > IMAGE_RUN_NOTES)
		fprintf(stderr, "autonomy run: --image: %zu more notes\n",
		        ri->n_notes - IMAGE_RUN_NOTES);
	if (ri->oci)
		log_debug("--image %s: %s %s", r->o.image, ri->digest,
		          ri->cached ? "from the cache" : "unpacked");
	return 0;
}

/* Before any side effect: what the allow-lists ask of Landlock, checked
 * as the spawner will (each exec entry an existing regular file, the
 * kernel's ABI), unless --no-landlock. -1 with err. */
static int landlock_refusal(const struct run_opts *o, char *err, size_t errlen)
{
	if (o->no_landlock)
		return 0;
	return landlock_check((const char *const *)o->preload_exec,
	                      (size_t)o->npreload_exec,
	                      (const char *const *)o->preload_connect,
	                      (size_t)o->npreload_connect, err, errlen);
}

/* The runtime's listener on 127.0.0.1:0: with --net none the one made
 * inside the workload's namespace (netns.c), else one on the host. */
static int make_listener(struct run *r)
{
	struct sockaddr_in sa;
	socklen_t slen = sizeof(sa);
	int fd = netns_take_listener(&r->net);

	if (fd < 0 && (fd = netns_loopback_listener()) < 0)
		return -1;
	if (getsockname(fd, (struct sockaddr *)&sa, &slen) < 0) {
		close(fd);
		return -1;
	}
	snprintf(r->url, sizeof(r->url), "http://127.0.0.1:%u",
	         ntohs(sa.sin_port));
	return fd;
}

/* Each helper's uid and gid, as an offset from --helper-uid-base (-1:
 * it stays root); then two groups: the run directory's (every helper's)
 * and walwriter's clients' (policyd's, the fetcher's and mavproxy's),
 * see share_rundir(). mavproxy came last: 6, after the two groups, so
 * the others' ids did not move. */
static const int helper_id_offset[H_COUNT] = {
    [H_WALWRITER] = 0, [H_POLICYD] = 1,  [H_FETCHER] = 2,
    [H_TOOLSRV] = 3,   [H_MAVPROXY] = 6, [H_SPAWNER] = -1};
#define ID_RUN_GROUP 4
#define ID_WAL_CLIENTS 5

/* As root (unless --helper-uid-base none): the helpers' ids, which the
 * system must not know (a uid shared with someone else's processes could
 * signal or trace ours, or be signalled). -1 with a message in err. */
static int helper_ids_check(struct run *r, char *err, size_t errlen)
{
	long base = r->o.helper_uid_base;

	if (geteuid() != 0 || base == RUN_HELPER_UIDS_NONE)
		return 0;
	for (long i = 0; i < RUN_HELPER_IDS; i++) {
		struct passwd *pw = getpwuid((uid_t)(base + i));
		struct group *gr = getgrgid((gid_t)(base + i));
		if (pw != NULL || gr != NULL)
			return errorf(err, errlen,
			              "--helper-uid-base %ld: id %ld is %s %s "
			              "on this system (the helpers need ids of "
			              "their own): give another base, or none",
			              base, base + i, pw ? "user" : "group",
			              pw ? pw->pw_name : gr->gr_name);
	}
	r->uids_on = 1;
	for (int i = 0; i < H_COUNT; i++)
		r->huid[i] = helper_id_offset[i] < 0
		                 ? 0
		                 : (uid_t)(base + helper_id_offset[i]);
	r->run_gid = (gid_t)(base + ID_RUN_GROUP);
	r->walclient_gid = (gid_t)(base + ID_WAL_CLIENTS);
	return 0;
}

/* Who can reach which socket, by the directories' owners and modes
 * (each listener's socket dir is setgid, so its 0660 socket gets the
 * dir's group):
 *   rundir            root:run     0710  every helper may enter
 *   rundir/walwriter  W:WC         2750  walwriter listens; policyd and
 *                                        the fetcher (group WC) dial
 *   rundir/policyd    P:T          2750  policyd listens, toolsrv dials
 *   rundir/fetcher    F:P          2750  the fetcher listens, policyd dials
 *   rundir/mavproxy   M:P          2750  mavproxy listens, policyd dials
 *   rundir/spawner    root:root    0700  the spawner (root) listens, we dial
 * The supervisor and the spawner are root (CAP_DAC_OVERRIDE) and reach
 * walwriter's; toolsrv reaches nothing but policyd's. */
static int share_rundir(struct run *r)
{
	const struct {
		const char *dir;
		uid_t owner;
		gid_t group;
	} rule[] = {
	    {IPC_DIR_WALWRITER, r->huid[H_WALWRITER], r->walclient_gid},
	    {IPC_DIR_POLICYD, r->huid[H_POLICYD], r->huid[H_TOOLSRV]},
	    {IPC_DIR_FETCHER, r->huid[H_FETCHER], r->huid[H_POLICYD]},
	    {IPC_DIR_MAVPROXY, r->huid[H_MAVPROXY], r->huid[H_POLICYD]}};
	char path[PATH_MAX];

	if (chown(r->rundir, 0, r->run_gid) < 0 || chmod(r->rundir, 0710) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(rule) / sizeof(rule[0]); i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", r->rundir,
		                     rule[i].dir) >= sizeof(path) ||
		    chown(path, rule[i].owner, rule[i].group) < 0 ||
		    chmod(path, 02750) < 0)
			return -1;
	}
	return 0;
}

/* The WAL dir and its LMDB files (if any: walwriter makes them) become
 * walwriter's for the run; wal_give_back() returns them. Never follows
 * a symlink. */
static const char *const wal_files[] = {"data.mdb", "lock.mdb"};

static int wal_chown(int dfd, uid_t uid, gid_t gid)
{
	if (fchown(dfd, uid, gid) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(wal_files) / sizeof(wal_files[0]); i++)
		if (fchownat(dfd, wal_files[i], uid, gid, AT_SYMLINK_NOFOLLOW) <
		        0 &&
		    errno != ENOENT)
			return -1;
	return 0;
}

static int wal_lend(struct run *r)
{
	struct stat st;
	int dfd =
	    open(r->waldir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (dfd < 0 || fstat(dfd, &st) < 0) {
		log_warn("WAL directory %s", r->waldir);
		if (dfd >= 0)
			close(dfd);
		return -1;
	}
	r->wal_uid = st.st_uid;
	r->wal_gid = st.st_gid;
	r->wal_lent = 1;
	if (wal_chown(dfd, r->huid[H_WALWRITER], r->huid[H_WALWRITER]) < 0) {
		log_warn("WAL directory %s: cannot lend it to walwriter's uid "
		         "%u",
		         r->waldir, (unsigned)r->huid[H_WALWRITER]);
		close(dfd);
		return -1;
	}
	close(dfd);
	return 0;
}

static void wal_give_back(struct run *r)
{
	int dfd;

	if (!r->wal_lent)
		return;
	r->wal_lent = 0;
	dfd = open(r->waldir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0 || wal_chown(dfd, r->wal_uid, r->wal_gid) < 0)
		log_warn("WAL directory %s: cannot give it back to uid %u",
		         r->waldir, (unsigned)r->wal_uid);
	if (dfd >= 0)
		close(dfd);
}

static int prepare_dirs(struct run *r)
{
	const char *tmp = getenv("TMPDIR");
	struct stat st;

	/* ipc:// paths must fit in sun_path (108 bytes): a long TMPDIR is
	 * ignored for the runtime directory. */
	if (tmp == NULL || *tmp != '/' || strlen(tmp) > 60)
		tmp = "/tmp";
	snprintf(r->rundir, sizeof(r->rundir), "%s/autonomy-run.XXXXXX", tmp);
	if (mkdtemp(r->rundir) == NULL) {
		log_warn("cannot create the runtime directory in %s", tmp);
		r->rundir[0] = '\0';
		return -1;
	}
	if (ipc_make_dirs(r->rundir) < 0 ||
	    (r->uids_on && share_rundir(r) < 0)) {
		log_warn("cannot prepare the runtime directory %s", r->rundir);
		return -1;
	}
	if (r->o.wal_dir != NULL) {
		const char *src =
		    r->o.wal_dir_from_env ? "AUTONOMY_RUN_WAL_DIR" : "--dir";
		if (mkdir(r->o.wal_dir, 0700) < 0 && errno != EEXIST) {
			log_warn("%s %s: cannot create the WAL directory", src,
			         r->o.wal_dir);
			return -1;
		}
		if (stat(r->o.wal_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
			log_warnx("%s %s: not a directory", src, r->o.wal_dir);
			return -1;
		}
		if (realpath(r->o.wal_dir, r->waldir) == NULL) {
			log_warn("%s %s", src, r->o.wal_dir);
			return -1;
		}
		return r->uids_on ? wal_lend(r) : 0;
	}
	snprintf(r->waldir, sizeof(r->waldir), "%s/autonomy-wal.XXXXXX", tmp);
	if (mkdtemp(r->waldir) == NULL) {
		log_warn("cannot create a WAL directory in %s", tmp);
		r->waldir[0] = '\0';
		return -1;
	}
	r->wal_temp = 1;
	return r->uids_on ? wal_lend(r) : 0;
}

/* The bundle for policyd, as bytes in a sealed memfd: policyd opens no
 * files, reads this fd to its end and validates the bytes again. -1 on
 * failure. */
static int bundle_memfd(const struct bundle *b)
{
	size_t len;
	char *buf = bundle_serialize(b, &len);
	int fd;

	if (buf == NULL)
		return -1;
	fd = config_fd_from("autonomy-bundle", buf, len);
	free(buf);
	if (fd < 0)
		log_warn("cannot hand the bundle to policyd");
	return fd;
}

/* Whether the run has anything to fetch: an allowed domain (the
 * AllowedDomains layer of tool.http_get) or --allow-host (the egress
 * proxy). Without, no fetcher starts, and policyd refuses every allowed
 * tool.http_get hop itself (runtime.deny, "no allowed domains"). */
static int fetcher_needed(const struct run *r)
{
	return r->fetch.n > 0 || r->egress.listen_fd >= 0;
}

static int start_policyd(struct run *r)
{
	char bfd[16];
	const char *args[6];
	int fd = -1, nargs = 0, rc;

	if (r->bundle != NULL) {
		if ((fd = bundle_memfd(r->bundle)) < 0)
			return -1;
		snprintf(bfd, sizeof(bfd), "%d", fd);
		args[nargs++] = "--bundle-fd";
		args[nargs++] = bfd;
	}
	if (r->mav.on) {
		args[nargs++] = "--mavlink-environment";
		args[nargs++] = r->o.mavlink_environment;
	}
	if (!fetcher_needed(r))
		args[nargs++] = "--no-fetcher";
	args[nargs] = NULL;
	rc = helper_launch(r, H_POLICYD, args, fd >= 0 ? &fd : NULL,
	                   fd >= 0 ? 1 : 0);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* The fetcher, when the run has something to fetch (fetcher_needed). It
 * serves policyd's pid only, so policyd is launched first. */
static int start_fetcher(struct run *r)
{
	char pid[16], cfd[16], afd[16], lfd[16], efd[16], gfd[16];
	const char *args[14] = {"--client-pid", pid, "--config-fd", cfd};
	int pass[5] = {r->fetch.config_fd}, npass = 1, nargs = 4, rc;

	if (!fetcher_needed(r)) {
		fetch_conf_close(&r->fetch);
		egress_conf_close(&r->egress);
		return 0;
	}

	snprintf(pid, sizeof(pid), "%d", (int)r->h[H_POLICYD].pid);
	snprintf(cfd, sizeof(cfd), "%d", r->fetch.config_fd);
	if (r->fetch.ca_fd >= 0) {
		snprintf(afd, sizeof(afd), "%d", r->fetch.ca_fd);
		args[nargs++] = "--ca-fd";
		args[nargs++] = afd;
		pass[npass++] = r->fetch.ca_fd;
	}
	/* --allow-host: the egress proxy's listener, config and log */
	if (r->egress.listen_fd >= 0) {
		snprintf(lfd, sizeof(lfd), "%d", r->egress.listen_fd);
		snprintf(efd, sizeof(efd), "%d", r->egress.config_fd);
		args[nargs++] = "--proxy-fd";
		args[nargs++] = lfd;
		args[nargs++] = "--egress-config-fd";
		args[nargs++] = efd;
		pass[npass++] = r->egress.listen_fd;
		pass[npass++] = r->egress.config_fd;
	}
	if (r->egress.log_fd >= 0) {
		snprintf(gfd, sizeof(gfd), "%d", r->egress.log_fd);
		args[nargs++] = "--egress-log-fd";
		args[nargs++] = gfd;
		pass[npass++] = r->egress.log_fd;
	}
	args[nargs] = NULL;
	rc = helper_launch(r, H_FETCHER, args, pass, npass);
	fetch_conf_close(&r->fetch);
	egress_conf_close(&r->egress);
	return rc;
}

/* mavproxy, with --mavlink-endpoint only: the link's runtime layer. It
 * serves policyd's pid only, so policyd is launched first. A serial
 * device arrives open (--link-fd); tcp and udp it dials itself, so it
 * can redial when the link drops (docs/confinement.md says why). */
static int start_mavproxy(struct run *r)
{
	char pid[16], cfd[16], lfd[16];
	const char *args[] = {"--client-pid",
	                      pid,
	                      "--endpoint",
	                      r->mav.ep.text,
	                      "--environment",
	                      r->o.mavlink_environment,
	                      "--config-fd",
	                      cfd,
	                      "--link-fd",
	                      lfd,
	                      NULL};
	int pass[2] = {r->mav.config_fd, r->mav.link_fd}, rc;

	if (!r->mav.on)
		return 0;
	snprintf(pid, sizeof(pid), "%d", (int)r->h[H_POLICYD].pid);
	snprintf(cfd, sizeof(cfd), "%d", r->mav.config_fd);
	snprintf(lfd, sizeof(lfd), "%d", r->mav.link_fd);
	if (r->mav.link_fd < 0)
		args[8] = NULL;
	rc = helper_launch(r, H_MAVPROXY, args, pass,
	                   r->mav.link_fd < 0 ? 1 : 2);
	mav_conf_close(&r->mav);
	return rc;
}

/* With --net none the spawner gets the workload's network namespace
 * (--netns-fd); we keep no copy. */
static int start_spawner(struct run *r)
{
	char nfd[16];
	const char *args[] = {"--netns-fd", nfd, NULL};
	int rc;

	if (r->net.ns_fd < 0)
		return helper_launch(r, H_SPAWNER, NULL, NULL, 0);
	snprintf(nfd, sizeof(nfd), "%d", r->net.ns_fd);
	rc = helper_launch(r, H_SPAWNER, args, &r->net.ns_fd, 1);
	close(r->net.ns_fd);
	r->net.ns_fd = -1;
	return rc;
}

static int start_runtime(struct run *r)
{
	char url[256];
	char lfd[16], tfd[16], wfd[16];
	const char *walargs[] = {"--wal-dir", r->waldir, "--wal-dir-fd", wfd,
	                         NULL};
	const char *toolargs[] = {"--listen-fd", lfd, "--token-fd", tfd, NULL};
	int listener, tpipe[2], pass[2], rc, walfd;

	if ((listener = make_listener(r)) < 0) {
		log_warn("cannot listen on 127.0.0.1");
		return -1;
	}
	if (pipe2(tpipe, O_CLOEXEC) < 0) {
		close(listener);
		return -1;
	}
	snprintf(lfd, sizeof(lfd), "%d", listener);
	snprintf(tfd, sizeof(tfd), "%d", tpipe[0]);
	pass[0] = listener;
	pass[1] = tpipe[0];
	/* The token travels on a pipe, not argv: argv is world-readable in
	 * /proc. 64 bytes fit in the pipe buffer, so this cannot block. */
	if (write(tpipe[1], r->token, strlen(r->token)) !=
	    (ssize_t)strlen(r->token)) {
		close(listener);
		close(tpipe[0]);
		close(tpipe[1]);
		return -1;
	}
	close(tpipe[1]);
	/* walwriter gets the WAL dir opened: under its own uid it may not
	 * be allowed to walk the path to it (a --dir under /root). */
	if ((walfd = open(r->waldir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		log_warn("WAL directory %s", r->waldir);
		close(listener);
		close(tpipe[0]);
		return -1;
	}
	snprintf(wfd, sizeof(wfd), "%d", walfd);
	/* All five side by side (each dials its peer when that one
	 * listens), then every ready report: the helpers' start-up costs
	 * overlap instead of adding up. */
	rc = helper_launch(r, H_WALWRITER, walargs, &walfd, 1) < 0 ||
	             start_policyd(r) < 0 || start_fetcher(r) < 0 ||
	             start_mavproxy(r) < 0 || start_spawner(r) < 0 ||
	             helper_launch(r, H_TOOLSRV, toolargs, pass, 2) < 0
	         ? -1
	         : 0;
	close(listener);
	close(tpipe[0]);
	close(walfd);
	if (rc < 0 || helpers_await_ready(r) < 0)
		return -1;
	if (ipc_url(url, sizeof(url), r->rundir, IPC_WALWRITER) < 0 ||
	    ipc_dial_req(&r->wal, url, IPC_TIMEOUT_MS) < 0)
		return -1;
	r->wal_open = 1;
	if (ipc_url(url, sizeof(url), r->rundir, IPC_SPAWNER) < 0 ||
	    ipc_dial_req(&r->spawner, url, IPC_TIMEOUT_MS) < 0)
		return -1;
	r->spawner_open = 1;
	return wal_send_peers(r);
}

/* ---- the run --------------------------------------------------------- */

/* The workload by pidfd, never by number again. Its pid comes from the
 * spawner, whose unreaped child it is: the spawner reaps it only on our
 * WaitRequest, sent once this pidfd is readable, so the number cannot
 * have been reused when we open it. (A compromised spawner could reap it
 * early; it is root and could signal any process itself, so no check
 * here would take anything from it. /proc cannot check it either: our
 * /proc may be another pid namespace's.) */
static int workload_pidfd(struct run *r)
{
	return pidfd_open(r->workload, 0);
}

/* Stops the workload: SIGTERM, then SIGKILL after the grace period. */
static void stop_workload(struct run *r)
{
	struct pollfd pfd;

	if (r->workload_pidfd < 0)
		return;
	pidfd_send_signal(r->workload_pidfd, SIGTERM, NULL, 0);
	pfd.fd = r->workload_pidfd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, STOP_GRACE_MS) == 0) {
		pidfd_send_signal(r->workload_pidfd, SIGKILL, NULL, 0);
		poll(&pfd, 1, STOP_GRACE_MS);
	}
}

/* Orphans (a workload's children whose parent died) are reparented to
 * us as the child subreaper; reap them, but never a helper, whose status
 * helper_collect() waits for through its pidfd. */
static void reap_orphans(struct run *r)
{
	for (;;) {
		siginfo_t si;
		int helper = 0;

		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 ||
		    si.si_pid == 0)
			return;
		for (int i = 0; i < H_COUNT; i++)
			if (r->h[i].pid == si.si_pid)
				helper = 1;
		if (helper)
			return;
		waitpid(si.si_pid, NULL, WNOHANG);
	}
}

/* Waits for the workload to end, forwarding signals. Returns the index
 * of a helper that died, or -1 when the workload ended normally. */
static int supervise(struct run *r)
{
	for (;;) {
		struct pollfd pfd[2 + H_COUNT];
		int n = 0;

		pfd[n++] = (struct pollfd){r->sigfd, POLLIN, 0};
		pfd[n++] = (struct pollfd){r->workload_pidfd, POLLIN, 0};
		for (int i = 0; i < H_COUNT; i++)
			pfd[n++] = (struct pollfd){r->h[i].pidfd, POLLIN, 0};
		if (poll(pfd, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		for (int i = 0; i < H_COUNT; i++)
			if (pfd[2 + i].revents)
				return i;
		if (pfd[1].revents)
			return -1;
		if (pfd[0].revents) {
			struct signalfd_siginfo si;
			if (read(r->sigfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGCHLD) {
				reap_orphans(r);
				continue;
			}
			log_debug("forwarding signal %u to the workload",
			          si.ssi_signo);
			pidfd_send_signal(r->workload_pidfd, (int)si.ssi_signo,
			                  NULL, 0);
		}
	}
}

static void cleanup(struct run *r)
{
	for (int i = H_COUNT - 1; i >= 0; i--)
		if (i != H_WALWRITER)
			helper_signal(&r->h[i]);
	for (int i = H_COUNT - 1; i >= 0; i--)
		if (i != H_WALWRITER)
			helper_stop(&r->h[i]);
	if (r->spawner_open)
		nng_close(r->spawner);
	r->spawner_open = 0;
	helper_stop(&r->h[H_WALWRITER]);
	log_debug("run: helpers stopped");
	wal_give_back(r);
	if (r->wal_open)
		nng_close(r->wal);
	r->wal_open = 0;
	log_relay_stop(r);
	if (r->rundir[0])
		rmtree(r->rundir);
	if (r->wal_temp && !r->o.keep && r->waldir[0])
		rmtree(r->waldir);
	log_debug("run: directories removed");
	bundle_free(r->bundle);
	r->bundle = NULL;
	free(r->seccomp_json);
	r->seccomp_json = NULL;
	free(r->preload_exec);
	free(r->preload_connect);
	free(r->preload_dlopen);
	r->preload_exec = r->preload_connect = r->preload_dlopen = NULL;
	netns_close(&r->net);
	fetch_conf_close(&r->fetch);
	egress_conf_close(&r->egress);
	mav_conf_close(&r->mav);
}

/* The workload's layers as asked, one line for the footprint panel (the
 * WAL's sandbox.layer records are the full account). */
static void sandbox_line(const struct run *r, char *buf, size_t len)
{
	const struct run_opts *o = &r->o;
	size_t n = 0;

#define PUT(...)                                                               \
	do {                                                                   \
		if (n < len)                                                   \
			n += (size_t)snprintf(buf + n, len - n, __VA_ARGS__);  \
	} while (0)
	buf[0] = '\0';
	PUT("seccomp=%s", o->no_seccomp        ? "OFF"
	                  : o->seccomp_profile ? o->seccomp_profile
	                                       : "starter");
	if (o->ncap_drop > 0)
		PUT(" cap-drop=%d", o->ncap_drop);
	PUT(" net=%s", r->net.mode == AUTONOMY__NET_MODE__NET_NONE ? "none"
	               : r->net.mode == AUTONOMY__NET_MODE__NET_LANDLOCK_ONLY
	                   ? "landlock-only"
	                   : "host");
	if (o->mounts.read_only_rootfs)
		PUT(" rootfs=ro");
	if (o->ntmpfs > 0 || o->nwritable > 0)
		PUT(" tmpfs=%d writable=%d", o->ntmpfs, o->nwritable);
	if (o->image != NULL)
		PUT(" image=%s%s%.19s", o->image, r->image.oci ? "@" : "",
		    r->image.oci ? r->image.digest : "");
	if (o->ld_preload != NULL)
		PUT(" preload=on exec-list=%d connect-list=%d",
		    o->npreload_exec, o->npreload_connect);
	if ((o->npreload_exec > 0 || o->npreload_connect > 0))
		PUT(" landlock=%s", o->no_landlock ? "OFF" : "on");
#undef PUT
}

static void fill_footprint(struct run *r, struct footprint *fp, int code)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	fp->wal_dir = r->waldir;
	fp->policy_ref = r->bundle ? r->bundle->policy_ref : POLICY_DEMO_REF;
	fp->policy_digest = r->bundle ? r->bundle->digest : NULL;
	fp->wal_kept = !r->wal_temp || r->o.keep;
	fp->wal_pinned = !r->wal_temp;
	fp->url = r->url;
	fp->url_in_netns = r->net.mode == AUTONOMY__NET_MODE__NET_NONE;
	sandbox_line(r, r->sandbox_line, sizeof(r->sandbox_line));
	fp->sandbox = r->sandbox_line;
	fp->wall_s = (double)(t1.tv_sec - r->t0.tv_sec) +
	             (double)(t1.tv_nsec - r->t0.tv_nsec) / 1e9;
	fp->exit_code = code;
	fp->nhelpers = 0;
	for (int i = 0; i < H_COUNT; i++) {
		if (r->h[i].pid <= 0 && (i == H_MAVPROXY || i == H_FETCHER))
			continue; /* no link, no mavproxy; nothing to fetch */
		fp->helper_names[fp->nhelpers] = helper_names[i];
		fp->helper_pids[fp->nhelpers++] = r->h[i].pid;
	}
	fp->opts = &r->o;
}

/* An audited opt-out (--no-seccomp, --no-landlock): the LAYER-opt-out
 * marker, durable, or -1 (said on stderr: nothing runs). */
static int record_opt_out(struct run *r, const char *flag, const char *layer)
{
	const char *kv[] = {"flag", flag, "layer", layer, NULL};
	char kind[32];

	snprintf(kind, sizeof(kind), "%s-opt-out", layer);
	if (wal_append(r, kind, NULL, kv) == 0)
		return 0;
	fprintf(stderr,
	        "autonomy run: cannot write %s to the WAL; nothing was run\n",
	        kind);
	return -1;
}

int run_main(int argc, char **argv)
{
	struct run r;
	struct footprint fp;
	char err[512];
	sigset_t mask;
	int status = 0, code, dead;

	log_debug("run: start");
	memset(&r, 0, sizeof(r));
	memset(&fp, 0, sizeof(fp));
	r.workload_pidfd = -1;
	r.sigfd = -1;
	r.logpipe[0] = r.logpipe[1] = -1;
	r.net.listen_fd = r.net.ns_fd = -1;
	r.fetch.config_fd = r.fetch.ca_fd = -1;
	r.egress.listen_fd = r.egress.config_fd = r.egress.log_fd = -1;
	r.mav.config_fd = r.mav.link_fd = -1;
	for (int i = 0; i < H_COUNT; i++) {
		r.h[i].pidfd = -1;
		r.h[i].ready_fd = -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &r.t0);

	if (run_parse_flags(argc, argv, getenv("AUTONOMY_RUN_WAL_DIR"), &r.o,
	                    err, sizeof(err)) < 0) {
		fprintf(stderr, "autonomy run: %s\n", err);
		return EXIT_USAGE;
	}
	if (r.o.help) {
		fputs(run_usage, stdout);
		return 0;
	}
	/* The spawner makes the workload's mount namespace with our
	 * capabilities: without CAP_SYS_ADMIN these flags could not be
	 * applied, so they are refused rather than ignored. */
	if ((mounts_any(&r.o.mounts) || r.o.image != NULL) &&
	    !(caps_effective() & (1ULL << CAP_SYS_ADMIN))) {
		fprintf(stderr,
		        "autonomy run: %s: needs CAP_SYS_ADMIN (the workload's "
		        "own mount namespace); run as root. Nothing was run\n",
		        r.o.image != NULL             ? "--image"
		        : r.o.mounts.read_only_rootfs ? "--read-only-rootfs"
		        : r.o.ntmpfs > 0              ? "--tmpfs"
		                                      : "--writable-mount");
		return EXIT_USAGE;
	}
	/* Before any helper, thread or directory of the run: a bad REF is
	 * a usage error and nothing runs. */
	if (r.o.image != NULL && image_prepare(&r, err, sizeof(err)) < 0) {
		fprintf(stderr, "autonomy run: %s\n", err);
		fprintf(stderr, "autonomy run: nothing was run\n");
		return EXIT_USAGE;
	}
	/* The bundle is resolved and validated in full before anything
	 * starts: a bad one is a usage error and nothing runs. */
	if (r.o.policy != NULL &&
	    (r.bundle = bundle_resolve(r.o.policy, r.o.cache_dir, err,
	                               sizeof(err))) == NULL) {
		fprintf(stderr, "autonomy run: --policy: %s\n", err);
		fprintf(stderr, "autonomy run: nothing was run\n");
		return EXIT_USAGE;
	}
	/* The link without --policy: the embedded MAVLink demo policy
	 * (and its manifest's default geofence), not the demo's. */
	if (r.o.mavlink_endpoint != NULL && r.bundle == NULL &&
	    (r.bundle = bundle_embedded(1, err, sizeof(err))) == NULL) {
		fprintf(stderr, "autonomy run: %s\n", err);
		return EXIT_RUNTIME;
	}
	for (size_t i = 0; r.bundle && i < r.bundle->n_warnings; i++)
		fprintf(stderr, "autonomy run: --policy: warning: %s\n",
		        r.bundle->warnings[i]);
	if (r.o.seccomp_profile != NULL &&
	    (r.seccomp_json = seccomp_profile_check(&r.o, err, sizeof(err))) ==
	        NULL) {
		fprintf(stderr, "autonomy run: --seccomp-profile: %s\n", err);
		fprintf(stderr, "autonomy run: nothing was run\n");
		bundle_free(r.bundle);
		return EXIT_USAGE;
	}
	if (preload_prepare(&r, err, sizeof(err)) < 0 ||
	    landlock_refusal(&r.o, err, sizeof(err)) < 0) {
		fprintf(stderr, "autonomy run: %s\n", err);
		fprintf(stderr, "autonomy run: nothing was run\n");
		bundle_free(r.bundle);
		free(r.seccomp_json);
		free(r.preload_exec);
		free(r.preload_connect);
		return EXIT_USAGE;
	}
	if (helper_ids_check(&r, err, sizeof(err)) < 0) {
		fprintf(stderr, "autonomy run: %s\n", err);
		fprintf(stderr, "autonomy run: nothing was run\n");
		bundle_free(r.bundle);
		free(r.seccomp_json);
		free(r.preload_exec);
		free(r.preload_connect);
		return EXIT_USAGE;
	}
	if (fetch_prepare(&r.o, r.bundle, &r.fetch, err, sizeof(err)) < 0 ||
	    mav_prepare(&r.o, r.bundle, &r.mav, err, sizeof(err)) < 0) {
		fprintf(stderr, "autonomy run: %s\n", err);
		fprintf(stderr, "autonomy run: nothing was run\n");
		cleanup(&r);
		return EXIT_USAGE;
	}
	/* Last of the checks: it makes the namespace (no side effect
	 * outside this process) or finds the kernel refuses one. */
	if (netns_prepare(&r.o, &r.net, err, sizeof(err)) < 0) {
		fprintf(stderr, "autonomy run: %s\n", err);
		fprintf(stderr, "autonomy run: nothing was run\n");
		cleanup(&r);
		return EXIT_USAGE;
	}
	netns_warn(&r.o, &r.net);
	if (egress_prepare(&r.o, &r.net, &r.egress, err, sizeof(err)) < 0) {
		fprintf(stderr, "autonomy run: %s\n", err);
		fprintf(stderr, "autonomy run: nothing was run\n");
		cleanup(&r);
		return EXIT_USAGE;
	}
	if (r.o.no_seccomp)
		fprintf(stderr,
		        "autonomy run: WARNING: --no-seccomp: the workload "
		        "runs without its seccomp profile (mount, unshare, "
		        "io_uring, ptrace, ... are not denied). Audit event: "
		        "seccomp-opt-out (recorded in the WAL)\n");
	if (r.o.no_landlock)
		fprintf(stderr,
		        "autonomy run: WARNING: --no-landlock: the exec and "
		        "connect allow-lists are enforced by the LD_PRELOAD "
		        "shim alone (static binaries, raw system calls and "
		        "io_uring bypass it). Audit event: landlock-opt-out "
		        "(recorded in the WAL)\n");

	/* Signals arrive on a signalfd; the helpers reset the mask. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGQUIT);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((r.sigfd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0)
		fatal("signalfd");
	prctl(PR_SET_CHILD_SUBREAPER, 1);

	if (log_relay_start(&r) < 0)
		fatal("cannot start the log relay");
	log_debug("run: checks done, starting the helpers");
	if (hex_token(r.token) < 0 || prepare_dirs(&r) < 0 ||
	    start_runtime(&r) < 0) {
		report_dead_helpers(&r);
		fprintf(stderr, "autonomy run: the runtime could not start; "
		                "nothing was run\n");
		cleanup(&r);
		return EXIT_RUNTIME;
	}

	char argcbuf[16];
	snprintf(argcbuf, sizeof(argcbuf), "%d", r.o.ncmd);
	const char *startkv[] = {
	    "argv0",
	    r.o.cmd[0],
	    "argc",
	    argcbuf,
	    "wal_dir",
	    r.waldir,
	    "url",
	    r.url,
	    "policy_ref",
	    r.bundle ? r.bundle->policy_ref : POLICY_DEMO_REF,
	    "policy_digest",
	    r.bundle ? r.bundle->digest : "embedded",
	    "allowed_domains",
	    r.fetch.joined,
	    "ca_file",
	    r.o.ca_file ? r.o.ca_file : "system",
	    "mavlink_endpoint",
	    r.mav.on ? r.mav.ep.text : "none",
	    "mavlink_environment",
	    r.mav.on ? r.o.mavlink_environment : "none",
	    "mavlink_geofence",
	    r.mav.on ? r.mav.fence : "none",
	    /* keep last: NULL ends the list when
	     * there is no egress proxy */
	    r.egress.port ? "allowed_hosts" : NULL,
	    r.egress.joined,
	    "egress_proxy",
	    r.egress.url,
	    "egress_audit_log",
	    r.o.egress_audit_log ? r.o.egress_audit_log : "none",
	    NULL,
	};
	log_debug("run: helpers ready");
	if (wal_append(&r, "run.start", NULL, startkv) < 0) {
		fprintf(stderr, "autonomy run: cannot write run.start to the "
		                "WAL; nothing was run\n");
		cleanup(&r);
		return EXIT_RUNTIME;
	}
	/* The opt-outs are audited before the workload exists: no marker,
	 * no run without the layer. */
	if ((r.o.no_seccomp &&
	     record_opt_out(&r, "--no-seccomp", "seccomp") < 0) ||
	    (r.o.no_landlock &&
	     record_opt_out(&r, "--no-landlock", "landlock") < 0)) {
		cleanup(&r);
		return EXIT_RUNTIME;
	}

	/* The preload layer is recorded before the workload exists: not
	 * durable, not run. */
	if (r.o.ld_preload != NULL && record_preload(&r) < 0) {
		fprintf(stderr, "autonomy run: cannot write the preload layer "
		                "to the WAL; nothing was run\n");
		cleanup(&r);
		return EXIT_RUNTIME;
	}

	log_debug("run: recorded, spawning the workload");
	r.workload = spawn_workload(&r, err, sizeof(err));
	log_debug("run: workload started");
	if (r.workload <= 0) {
		code = r.workload == 0 ? EXIT_NOEXEC : EXIT_RUNTIME;
		fprintf(stderr, "autonomy run: %s\n",
		        r.workload == 0 ? err : "the spawner did not answer");
		char cbuf[16];
		snprintf(cbuf, sizeof(cbuf), "%d", code);
		const char *kv[] = {"exit_status", cbuf, "error", err, NULL};
		/* The spawner's Error may be the WAL's (its layer records
		 * not durable): then the runtime failed, not the command. */
		if (wal_append(&r, "run.end", NULL, kv) < 0 &&
		    code != EXIT_RUNTIME) {
			fprintf(stderr, "autonomy run: the WAL is failing (see "
			                "above); nothing was run\n");
			code = EXIT_RUNTIME;
		}
		wal_stats(&r, &fp);
		fill_footprint(&r, &fp, code);
		cleanup(&r);
		footprint_print(stderr, &fp);
		return code;
	}
	r.workload_pidfd = workload_pidfd(&r);
	if (r.workload_pidfd < 0)
		fatal("pidfd_open(workload %d)", (int)r.workload);

	dead = supervise(&r);
	log_debug("run: workload or helper ended");
	if (dead >= 0) {
		/* Fail closed: the front door shuts first, so no call is
		 * decided while the rest winds down (a workload may ignore
		 * SIGTERM for the whole grace period; the spawner is not on
		 * the call path, so its death alone stops no call). */
		char why[PATH_MAX + 256], hbuf[16];
		if (dead != H_TOOLSRV)
			helper_kill(&r.h[H_TOOLSRV]);
		helper_collect(&r.h[dead]);
		describe_status(r.h[dead].status, why, sizeof(why));
		if (dead == H_WALWRITER)
			wal_space_note(&r, why, sizeof(why));
		fprintf(stderr,
		        "autonomy run: helper %s (pid %d) %s; no further tool "
		        "call can be allowed: stopping the workload\n",
		        helper_names[dead], (int)r.h[dead].pid, why);
		snprintf(hbuf, sizeof(hbuf), "%d", (int)r.h[dead].pid);
		const char *kv[] = {"helper", helper_names[dead], "pid",
		                    hbuf,     "status",           why,
		                    NULL};
		if (dead != H_WALWRITER)
			wal_append(&r, "helper.exit", NULL, kv);
		stop_workload(&r);
		if (dead != H_SPAWNER)
			wait_workload(&r, &status);
		code = EXIT_RUNTIME;
		const char *endkv[] = {"exit_status", "70", "reason",
		                       "helper died", NULL};
		if (dead != H_WALWRITER) {
			stop_front(&r);
			wal_append(&r, "run.end", NULL, endkv);
			wal_stats(&r, &fp);
		}
	} else {
		char cbuf[16];
		if (wait_workload(&r, &status) < 0) {
			code = EXIT_RUNTIME;
		} else if (WIFSIGNALED(status)) {
			code = 128 + WTERMSIG(status);
		} else {
			code = WEXITSTATUS(status);
		}
		snprintf(cbuf, sizeof(cbuf), "%d", code);
		const char *kv[] = {"exit_status", cbuf, NULL};
		/* The workload is reaped: the spawner's work is done, so it
		 * exits while the others stop (cleanup() collects it). */
		helper_signal(&r.h[H_SPAWNER]);
		stop_front(&r);
		log_debug("run: toolsrv and policyd stopped");
		if (wal_append(&r, "run.end", NULL, kv) < 0)
			code = EXIT_RUNTIME;
		wal_stats(&r, &fp);
		log_debug("run: run.end recorded");
	}
	fill_footprint(&r, &fp, code);
	cleanup(&r);
	log_debug("run: cleaned up");
	footprint_print(stderr, &fp);
	return code;
}
