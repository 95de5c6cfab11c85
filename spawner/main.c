/* spawner: the only process that creates processes (DESIGN.md §1, §5).
 *
 *   spawner --rundir DIR --ready-fd N [--netns-fd M]
 *
 * With --netns-fd, fd M is the workload's network namespace for --net
 * none (netjoin.h); a request for NET_NONE is refused without it.
 *
 * Listens (rep) on DIR/spawner.sock for its supervisor's SpawnRequest and
 * WaitRequest, dials (req) DIR/walwriter.sock to record the workload's
 * sandbox layers (sandbox.layer, before it starts) and workload.start.
 * It serves its parent only (the supervisor, by the connection's peer
 * pid), has at most one workload alive at a time, and never has any
 * other child. Requests are served one at a time: the supervisor sends
 * WaitRequest only once the workload's pidfd is readable, so waitpid()
 * does not block. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "attack.h"
#include "envelope.h"
#include "capdrop.h"
#include "helper.h"
#include "imageuser.h"
#include "ipc.h"
#include "layers.h"
#include "log.h"
#include "netjoin.h"
#include "sandbox.h"

#define SPAWNER_WAL_TIMEOUT_MS 5000

extern char **environ;

/* The records of one spawn's layers, sent together: one WalBatch, one
 * walwriter transaction (durable all at once, or none). */
#define RECORDS_MAX 32
struct records {
	size_t n;
	Autonomy__WalAppend app[RECORDS_MAX];
	Autonomy__WalAppend *appp[RECORDS_MAX];
	void *mem[RECORDS_MAX]; /* each one's attrs and strings */
};

struct spawner {
	nng_ctx rep;
	nng_ctx wal;
	struct records *batch; /* set while record_layers gathers */
	pid_t workload;        /* spawned and not yet reaped, or 0 */
	int netns_fd;          /* --netns-fd: the workload's network namespace,
	                          or -1 */
	int host_netns_fd;     /* the host's, which the workload joins back
	                          (we live in an empty one), or -1 */
};

/* What the child reports on the exec pipe when it cannot exec. */
enum child_stage {
	STAGE_PGID,
	STAGE_CWD,
	STAGE_LAYERS,
	STAGE_EXEC,
	STAGE_NET,
	STAGE_ROOTFS,  /* --image: layer = enum rootfs_stage */
	STAGE_MEMFD,   /* vm.memfd_noexec */
	STAGE_USER,    /* --image: the config's User; layer = enum
	                  etcpasswd_error or imageuser_stage, entry = line */
	STAGE_WORKDIR, /* --image: chdir to the config's WorkingDir */
};
struct child_failure {
	int stage;
	int err;
	int layer; /* STAGE_LAYERS: enum layer_stage; STAGE_ROOTFS: its */
	int entry; /* LAYER_TMPFS, LAYER_BIND, ROOTFS_DEV_NODE: which */
};

static noreturn void child_fail(int fd, int stage, int layer, int entry)
{
	struct child_failure f = {stage, errno, layer, entry};

	(void)!write(fd, &f, sizeof(f));
	_exit(127);
}

/* In the child, between fork and exec: async-signal-safe calls only (the
 * spawner has nng's threads, the child only this one). */
/* --image: the spawner puts us in the supervisor's process group (that
 * group is not visible from our new pid namespace); wait until it has,
 * so the workload, forked later, is born in it. */
static int wait_for_group(int gofd)
{
	char c;
	ssize_t n;

	do
		n = read(gofd, &c, 1);
	while (n < 0 && errno == EINTR);
	close(gofd);
	if (n == 1)
		return 0;
	errno = n == 0 ? EPIPE : errno;
	return -1;
}

static noreturn void child_exec(const Autonomy__SpawnRequest *req,
                                const struct net_layer *net,
                                const struct workload_layers *layers,
                                char **argv, char **envp, int errfd, int gofd)
{
	const int user = layers->image != NULL && layers->image->user[0];
	const char *workdir = layers->image != NULL && layers->image->workdir[0]
	                          ? layers->image->workdir
	                          : NULL;
	struct etcpasswd_ids ids;
	struct sigaction dfl;
	sigset_t none;
	int layer = 0, entry = 0;
	size_t line = 0;

	/* The spawner ignores SIGPIPE, and ignored signals survive exec. */
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL); /* KILL/STOP: EINVAL, fine */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	/* Join the supervisor's group so the terminal's Ctrl-C reaches the
	 * workload; 0 gives it a group of its own. */
	if (layers->pidns) {
		if (wait_for_group(gofd) < 0)
			child_fail(errfd, STAGE_PGID, 0, 0);
	} else if (setpgid(0, req->pgid > 0 ? req->pgid : 0) < 0) {
		child_fail(errfd, STAGE_PGID, 0, 0);
	}
	/* The network namespace before anything else, while no other
	 * layer (the starter's seccomp denies setns) is in force. */
	if (netjoin_apply(net) < 0)
		child_fail(errfd, STAGE_NET, 0, 0);
	/* Set in our new pid namespace before anything can run in it. */
	if (layers->memfd_noexec && layers_apply_memfd_noexec() < 0)
		child_fail(errfd, STAGE_MEMFD, 0, 0);
	/* --image: the image becomes /; the mount layers then apply in it. */
	if (layers->image != NULL &&
	    rootfs_enter(layers->image, &layer, &entry) < 0)
		child_fail(errfd, STAGE_ROOTFS, layer, entry);
	/* The config's User, looked up in the image's own /etc (not a
	 * --tmpfs or --writable-mount over it): only its root is ours now. */
	if (user &&
	    imageuser_resolve(layers->image->user, &ids, &layer, &line) < 0)
		child_fail(errfd, STAGE_USER, layer,
		           line > INT_MAX ? INT_MAX : (int)line);
	/* The mounts first: the cwd is then looked up in the workload's
	 * own tree (a cwd under a --tmpfs is the tmpfs, not the host's
	 * directory beneath it). */
	if (layers_apply_mounts(layers, &layer, &entry) < 0)
		child_fail(errfd, STAGE_LAYERS, layer, entry);
	/* A pid namespace: we are its pid 1; the workload is our child from
	 * here on. */
	if (layers->pidns && rootfs_init(errfd, layers->memfd_noexec) < 0)
		child_fail(errfd, STAGE_ROOTFS, ROOTFS_INIT_FORK, 0);
	/* The workload's process (pid 1 stays root, with CAP_KILL only):
	 * the image's user before any layer that drops what switching
	 * needs (CAP_SETUID, CAP_SETGID). */
	if (user && imageuser_switch(&ids, &layer) < 0)
		child_fail(errfd, STAGE_USER, layer, 0);
	/* As that user: a WorkingDir it cannot enter fails here. */
	if (workdir != NULL && chdir(workdir) < 0)
		child_fail(errfd, STAGE_WORKDIR, 0, 0);
	if (workdir == NULL && req->cwd[0] != '\0' && chdir(req->cwd) < 0)
		child_fail(errfd, STAGE_CWD, 0, 0);
	/* Only 0, 1, 2 reach the workload (nng's fds are CLOEXEC already;
	 * this makes sure of every other one). */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	/* execvpe() searches the PATH of environ: make that the
	 * request's environment, not the spawner's. */
	environ = envp;
	/* The workload's layers, seccomp last: nothing after it but exec
	 * (and the failure report, a write). */
	if (layers_apply(layers, &layer) < 0)
		child_fail(errfd, STAGE_LAYERS, layer, 0);
	execvpe(argv[0], argv, envp);
	child_fail(errfd, STAGE_EXEC, 0, 0);
}

/* SIGKILL to a child of ours not yet reaped (so its pid cannot have been
 * reused yet), through a pidfd like every other signal of the run. */
static void kill_child(pid_t pid)
{
	int fd = pidfd_open(pid, 0);

	if (fd < 0) {
		log_warn("pidfd_open(%d)", (int)pid);
		return;
	}
	if (pidfd_send_signal(fd, SIGKILL, NULL, 0) < 0)
		log_warn("pidfd_send_signal(%d)", (int)pid);
	close(fd);
}

static void reap(pid_t pid)
{
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* The mount point a failed LAYER_TMPFS or LAYER_BIND was for, or "". */
static const char *mount_entry(const struct workload_layers *l, int layer,
                               int entry)
{
	const struct mount_plan *p = l->mounts;

	if (p == NULL || entry < 0)
		return "";
	if (layer == LAYER_TMPFS && (size_t)entry < p->ntmpfs)
		return p->tmpfs[entry].path;
	if (layer == LAYER_BIND && (size_t)entry < p->nwritable)
		return p->writable[entry].container;
	return "";
}

/* --image: the child was cloned into its namespaces and waits on gofd
 * until it is in the supervisor's process group (0: a group of its own). */
static int set_group(const Autonomy__SpawnRequest *req, pid_t pid, int gofd,
                     char *err, size_t errlen)
{
	int rc = setpgid(pid, req->pgid > 0 ? req->pgid : 0);

	if (rc < 0)
		snprintf(err, errlen,
		         "cannot start %.256s: join process group %d: %s",
		         req->argv[0], req->pgid, strerror(errno));
	else if (write(gofd, "g", 1) != 1)
		rc = errorf(err, errlen, "cannot start %.256s: %s",
		            req->argv[0], strerror(errno));
	close(gofd);
	return rc;
}

/* The --tmpfs mount point the directory dir is at or under, or NULL. */
static const char *tmpfs_over(const struct workload_layers *l, const char *dir)
{
	for (size_t i = 0; l->mounts != NULL && i < l->mounts->ntmpfs; i++) {
		const char *t = l->mounts->tmpfs[i].path;
		size_t n = strlen(t);
		if (strncmp(dir, t, n) == 0 &&
		    (dir[n] == '\0' || dir[n] == '/'))
			return t;
	}
	return NULL;
}

/* Forks and execs the workload. Returns its pid, or -1 with why in err
 * (the child, if any, already reaped). */
static pid_t spawn_workload(const Autonomy__SpawnRequest *req,
                            const struct net_layer *net,
                            const struct workload_layers *layers, char *err,
                            size_t errlen)
{
	char **argv = calloc(req->n_argv + 1, sizeof(*argv));
	char **envp = calloc(req->n_env + 1, sizeof(*envp));
	struct child_failure f;
	int pfd[2], go[2] = {-1, -1};
	ssize_t n;
	pid_t pid = -1;

	if (argv == NULL || envp == NULL) {
		snprintf(err, errlen, "spawner: out of memory");
		goto out;
	}
	memcpy(argv, req->argv, req->n_argv * sizeof(*argv));
	if (req->n_env > 0)
		memcpy(envp, req->env, req->n_env * sizeof(*envp));
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "spawner: pipe: %s", strerror(errno));
		goto out;
	}
	if (layers->pidns && pipe2(go, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "spawner: pipe: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		goto out;
	}
	pid = layers->pidns ? rootfs_clone(layers->image != NULL) : fork();
	if (pid < 0) {
		snprintf(err, errlen, "spawner: %s: %s",
		         layers->pidns ? "clone3" : "fork", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		if (go[0] >= 0) {
			close(go[0]);
			close(go[1]);
		}
		goto out;
	}
	if (pid == 0) {
		close(pfd[0]);
		if (go[1] >= 0)
			close(go[1]);
		child_exec(req, net, layers, argv, envp, pfd[1], go[0]);
	}
	close(pfd[1]);
	if (go[0] >= 0) {
		close(go[0]);
		if (set_group(req, pid, go[1], err, errlen) < 0) {
			kill_child(pid);
			close(pfd[0]);
			reap(pid);
			pid = -1;
			goto out;
		}
	}
	/* EOF: the exec succeeded and closed the pipe; bytes: it failed. */
	do
		n = read(pfd[0], &f, sizeof(f));
	while (n < 0 && errno == EINTR);
	close(pfd[0]);
	if (n == 0)
		goto out;
	if (n != (ssize_t)sizeof(f)) {
		kill_child(pid);
		snprintf(err, errlen, "cannot execute %.256s: lost its report",
		         argv[0]);
	} else if (f.stage == STAGE_EXEC) {
		snprintf(err, errlen, "cannot execute %.256s: %s", argv[0],
		         strerror(f.err));
	} else if (f.stage == STAGE_LAYERS) {
		snprintf(err, errlen,
		         "cannot start %.256s in its sandbox: %s%s%.256s: %s",
		         argv[0], layer_stage_name(f.layer),
		         mount_entry(layers, f.layer, f.entry) ? " " : "",
		         mount_entry(layers, f.layer, f.entry),
		         strerror(f.err));
	} else if (f.stage == STAGE_NET) {
		snprintf(err, errlen,
		         "cannot start %.256s in its sandbox: join its network "
		         "namespace (setns CLONE_NEWNET): %s",
		         argv[0], strerror(f.err));
	} else if (f.stage == STAGE_MEMFD) {
		snprintf(err, errlen,
		         "cannot start %.256s in its sandbox: set "
		         "vm.memfd_noexec=2 in its pid namespace (the exec "
		         "allow-list's memfd backing): %s",
		         argv[0], strerror(f.err));
	} else if (f.stage == STAGE_ROOTFS) {
		snprintf(
		    err, errlen, "cannot start %.256s in its image: %s%s%s: %s",
		    argv[0], rootfs_stage_name(f.layer),
		    f.layer == ROOTFS_DEV_NODE ? " " : "",
		    f.layer == ROOTFS_DEV_NODE ? rootfs_dev_name(f.entry) : "",
		    strerror(f.err));
	} else if (f.stage == STAGE_USER) {
		int errno_says = f.layer == ETCPW_PASSWD_READ ||
		                 f.layer == ETCPW_GROUP_READ ||
		                 f.layer >= IMAGEUSER_CAPGET;
		char at[32] = "";
		if (f.layer == ETCPW_PASSWD_LINE || f.layer == ETCPW_GROUP_LINE)
			snprintf(at, sizeof(at), " at line %d", f.entry);
		snprintf(err, errlen,
		         "cannot start %.256s in its image: image config User "
		         "\"%.*s\": %s%s%s%s",
		         argv[0], ETCPASSWD_MAX_SPEC, layers->image->user,
		         imageuser_error_text(f.layer), at,
		         errno_says ? ": " : "",
		         errno_says ? strerror(f.err) : "");
	} else if (f.stage == STAGE_WORKDIR) {
		snprintf(err, errlen,
		         "cannot start %.256s in its image: image config "
		         "WorkingDir %.256s: chdir: %s",
		         argv[0], layers->image->workdir, strerror(f.err));
	} else if (f.stage == STAGE_CWD) {
		const char *under = tmpfs_over(layers, req->cwd);
		snprintf(err, errlen,
		         "cannot execute %.256s: chdir %.256s: %s%s%.256s%s",
		         argv[0], req->cwd, strerror(f.err),
		         under ? " (it is under --tmpfs " : "",
		         under ? under : "",
		         under ? ", which starts empty: run autonomy from "
		                 "another directory)"
		               : "");
	} else {
		snprintf(err, errlen,
		         "cannot execute %.256s: join process group %d: %s",
		         argv[0], req->pgid, strerror(f.err));
	}
	reap(pid);
	pid = -1;
out:
	free(argv);
	free(envp);
	return pid;
}

/* Appends one record (kv: key, value, ..., NULL) and waits for its
 * durable ack. */
static int batch_add(struct records *b, const char *kind, const char *const *kv,
                     char *err, size_t errlen);

static int wal_record(struct spawner *sp, const char *kind,
                      const char *const *kv, char *err, size_t errlen)
{
	Envelope env = AUTONOMY__ENVELOPE__INIT;
	Autonomy__WalAppend app = AUTONOMY__WAL_APPEND__INIT;
	Autonomy__Attr a[ENV_MAX_ATTRS], *ap[ENV_MAX_ATTRS];
	char why[256];
	Envelope *resp;
	size_t n = 0;
	int rc = -1;

	if (sp->batch != NULL)
		return batch_add(sp->batch, kind, kv, err, errlen);
	for (; kv[0] != NULL && n < ENV_MAX_ATTRS; kv += 2, n++) {
		autonomy__attr__init(&a[n]);
		a[n].key = (char *)kv[0];
		a[n].value = (char *)kv[1];
		ap[n] = &a[n];
	}
	app.audit_id = "";
	app.kind = (char *)kind;
	app.tool = "";
	app.attrs = ap;
	app.n_attrs = n;
	env.body_case = AUTONOMY__ENVELOPE__BODY_WAL_APPEND;
	env.wal_append = &app;

	if (ipc_call(sp->wal, &env, &resp, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "walwriter did not record %s: %s", kind,
		         why);
		return -1;
	}
	if (resp->body_case == AUTONOMY__ENVELOPE__BODY_WAL_ACK)
		rc = 0;
	else if (resp->body_case == AUTONOMY__ENVELOPE__BODY_ERROR)
		snprintf(err, errlen, "walwriter refused %s: %.300s", kind,
		         resp->error->message);
	else
		snprintf(err, errlen, "walwriter answered %s with %s", kind,
		         envelope_body_name(resp));
	envelope_free(resp);
	return rc;
}

/* Copies one record (kv: key, value, ..., NULL) into the batch. */
static int batch_add(struct records *b, const char *kind, const char *const *kv,
                     char *err, size_t errlen)
{
	size_t n = 0, bytes = 0;
	Autonomy__Attr *a, **ap;
	char *str;

	for (; kv[2 * n] != NULL && n < ENV_MAX_ATTRS; n++)
		bytes += strlen(kv[2 * n]) + strlen(kv[2 * n + 1]) + 2;
	if (b->n == RECORDS_MAX)
		return errorf(err, errlen,
		              "spawner: more than %d layer records",
		              RECORDS_MAX);
	if ((a = malloc(n * (sizeof(*a) + sizeof(*ap)) + bytes + 1)) == NULL)
		return errorf(err, errlen, "spawner: out of memory");
	ap = (Autonomy__Attr **)(a + n);
	str = (char *)(ap + n);
	for (size_t i = 0; i < n; i++) {
		size_t kl = strlen(kv[2 * i]) + 1,
		       vl = strlen(kv[2 * i + 1]) + 1;
		autonomy__attr__init(&a[i]);
		a[i].key = memcpy(str, kv[2 * i], kl);
		a[i].value = memcpy(str + kl, kv[2 * i + 1], vl);
		str += kl + vl;
		ap[i] = &a[i];
	}
	autonomy__wal_append__init(&b->app[b->n]);
	b->app[b->n].audit_id = "";
	b->app[b->n].kind = (char *)kind; /* a literal */
	b->app[b->n].tool = "";
	b->app[b->n].attrs = ap;
	b->app[b->n].n_attrs = n;
	b->appp[b->n] = &b->app[b->n];
	b->mem[b->n++] = a;
	return 0;
}

/* Sends the batch and waits until every record is durable; -1 (with the
 * first refusal or the failure in err) if any is not. Frees it. */
static int batch_flush(struct spawner *sp, struct records *b, char *err,
                       size_t errlen)
{
	Envelope env = AUTONOMY__ENVELOPE__INIT, *resp = NULL;
	Autonomy__WalBatch wb = AUTONOMY__WAL_BATCH__INIT;
	char why[256];
	int rc = -1;

	wb.appends = b->appp;
	wb.n_appends = b->n;
	env.body_case = AUTONOMY__ENVELOPE__BODY_WAL_BATCH;
	env.wal_batch = &wb;
	if (b->n == 0) {
		rc = 0;
	} else if (ipc_call(sp->wal, &env, &resp, why, sizeof(why)) < 0) {
		errorf(err, errlen, "walwriter did not record the layers: %s",
		       why);
	} else if (resp->body_case == AUTONOMY__ENVELOPE__BODY_WAL_BATCH_ACK &&
	           resp->wal_batch_ack->n_acks == b->n) {
		rc = 0;
		for (size_t i = 0; i < b->n && rc == 0; i++)
			if (resp->wal_batch_ack->acks[i]->refused[0] != '\0')
				rc = errorf(
				    err, errlen, "walwriter refused %s: %.300s",
				    b->app[i].kind,
				    resp->wal_batch_ack->acks[i]->refused);
	} else if (resp->body_case == AUTONOMY__ENVELOPE__BODY_ERROR) {
		errorf(err, errlen, "walwriter refused the layers: %.300s",
		       resp->error->message);
	} else {
		errorf(err, errlen, "walwriter answered the layers with %s",
		       envelope_body_name(resp));
	}
	if (resp != NULL)
		envelope_free(resp);
	for (size_t i = 0; i < b->n; i++)
		free(b->mem[i]);
	b->n = 0;
	return rc;
}

/* Appends workload.start and waits for the durable ack. */
static int record_start(struct spawner *sp, const Autonomy__SpawnRequest *req,
                        pid_t pid, char *err, size_t errlen)
{
	char argv0[ENV_MAX_ATTR_VALUE], argc[24], pidtxt[24];

	snprintf(argv0, sizeof(argv0), "%s", req->argv[0]);
	snprintf(argc, sizeof(argc), "%zu", req->n_argv);
	snprintf(pidtxt, sizeof(pidtxt), "%d", (int)pid);
	const char *kv[] = {"argv0", argv0, "argc", argc, "pid", pidtxt, NULL};
	return wal_record(sp, "workload.start", kv, err, errlen);
}

/* The filesystem layer: one writable_mount_declared per writable mount
 * (the host directories the workload may change), then its
 * sandbox.layer record with every setting. */
static int record_mounts(struct spawner *sp, const struct mount_plan *p,
                         char *err, size_t errlen)
{
	char key[2 * MOUNTS_MAX_TMPFS + 2 * MOUNTS_MAX_WRITABLE][24];
	char val[MOUNTS_MAX_TMPFS + MOUNTS_MAX_WRITABLE]
	        [2 * MOUNTS_MAX_PATH + 64];
	const char *kv[2 * (4 + MOUNTS_MAX_TMPFS + MOUNTS_MAX_WRITABLE) + 1];
	char ntmpfs[16], nwritable[16];
	size_t n = 0, k = 0;

	for (size_t i = 0; i < p->nwritable; i++) {
		const struct writable_mount *w = &p->writable[i];
		const char *decl[] = {"host",      w->host,
		                      "container", w->container,
		                      "mode",      w->read_only ? "ro" : "rw",
		                      NULL};

		if (wal_record(sp, "writable_mount_declared", decl, err,
		               errlen) < 0)
			return -1;
	}
	snprintf(ntmpfs, sizeof(ntmpfs), "%zu", p->ntmpfs);
	snprintf(nwritable, sizeof(nwritable), "%zu", p->nwritable);
	kv[n++] = "layer";
	kv[n++] = "mounts";
	kv[n++] = "namespace";
	kv[n++] = "mount, / private (nothing propagates to the host)";
	kv[n++] = "read_only_rootfs";
	kv[n++] = p->read_only_rootfs ? "yes (every mount under /)" : "no";
	kv[n++] = "tmpfs";
	kv[n++] = ntmpfs;
	for (size_t i = 0; i < p->ntmpfs; i++, k++) {
		snprintf(key[k], sizeof(key[k]), "tmpfs.%zu", i);
		snprintf(val[k], sizeof(val[k]), "%s nosuid,nodev,%s,%s",
		         p->tmpfs[i].path, p->tmpfs[i].exec ? "exec" : "noexec",
		         MOUNTS_TMPFS_DATA);
		kv[n++] = key[k];
		kv[n++] = val[k];
	}
	kv[n++] = "writable";
	kv[n++] = nwritable;
	for (size_t i = 0; i < p->nwritable; i++, k++) {
		snprintf(key[k], sizeof(key[k]), "writable.%zu", i);
		snprintf(val[k], sizeof(val[k]), "%s:%s:%s",
		         p->writable[i].host, p->writable[i].container,
		         p->writable[i].read_only ? "ro" : "rw");
		kv[n++] = key[k];
		kv[n++] = val[k];
	}
	kv[n] = NULL;
	return wal_record(sp, "sandbox.layer", kv, err, errlen);
}

/* Without --image, a pid namespace only for what lives in it. */
static const char *const pid_kv[] = {
    "layer",
    "pid",
    "namespaces",
    "pid, two deep (mount, ipc, uts, network: as for any run)",
    "pid1",
    "init in each: forwards SIGTERM,SIGINT,SIGHUP,SIGQUIT down to the "
    "workload, reaps, exits with its status (128+N for signal N); no "
    "fds, only CAP_KILL, not dumpable",
    "why",
    "vm.memfd_noexec is set per pid namespace (layer=memfd_noexec)",
    NULL};

static const char *const memfd_kv[] = {
    "layer",
    "memfd_noexec",
    "sysctl",
    "vm.memfd_noexec=2",
    "scope",
    "set in the pid namespace above the workload's: the workload's "
    "own namespace cannot go below its parent's value, even as root",
    "effect",
    "memfd_create without MFD_NOEXEC_SEAL makes a sealed, "
    "non-executable memfd; MFD_EXEC is refused (EACCES): no "
    "exec of a memory file, which Landlock does not check",
    "why",
    "--preload-exec-allowlist (the Landlock exec layer's backing)",
    NULL};

/* One sandbox.layer record per layer the child will apply, in its
 * order, durable before the fork: a layer is never in force unrecorded,
 * and if the child cannot apply one the spawn fails (no workload). */
static int gather_layers(struct spawner *sp, const struct net_layer *net,
                         const struct workload_layers *l, char *err,
                         size_t errlen);

static int record_layers(struct spawner *sp, const struct net_layer *net,
                         const struct workload_layers *l, char *err,
                         size_t errlen)
{
	struct records *b = calloc(1, sizeof(*b));
	int rc;

	if (b == NULL)
		return errorf(err, errlen, "spawner: out of memory");
	sp->batch = b;
	rc = gather_layers(sp, net, l, err, errlen);
	sp->batch = NULL;
	if (rc == 0)
		rc = batch_flush(sp, b, err, errlen);
	for (size_t i = 0; i < b->n; i++) /* gathering failed */
		free(b->mem[i]);
	free(b);
	return rc;
}

static int gather_layers(struct spawner *sp, const struct net_layer *net,
                         const struct workload_layers *l, char *err,
                         size_t errlen)
{
	const char *netkv[2 * NETJOIN_ATTRS + 1];
	const char *image[ROOTFS_RECORD_KV];

	netjoin_attrs(net, netkv);
	if (wal_record(sp, "sandbox.layer", netkv, err, errlen) < 0)
		return -1;
	if (l->pidns && l->image == NULL &&
	    wal_record(sp, "sandbox.layer", pid_kv, err, errlen) < 0)
		return -1;
	if (l->memfd_noexec &&
	    wal_record(sp, "sandbox.layer", memfd_kv, err, errlen) < 0)
		return -1;

	if (l->image != NULL) {
		rootfs_record(l->image, image);
		if (wal_record(sp, "sandbox.layer", image, err, errlen) < 0)
			return -1;
	}
	if (l->mounts != NULL && record_mounts(sp, l->mounts, err, errlen) < 0)
		return -1;
	if (l->caps_on) {
		char dropped[1024], bnd[24], eff[24], prm[24], inh[24];
		const char *bounding = bnd;
		uint64_t e =
		    (uint64_t)l->caps[1].effective << 32 | l->caps[0].effective;
		uint64_t p =
		    (uint64_t)l->caps[1].permitted << 32 | l->caps[0].permitted;
		uint64_t i = (uint64_t)l->caps[1].inheritable << 32 |
		             l->caps[0].inheritable;

		capdrop_format(l->drop_asked, dropped, sizeof(dropped));
		snprintf(bnd, sizeof(bnd), "0x%016llx",
		         (unsigned long long)l->bounding);
		if (!l->drop_bounding)
			bounding = "unchanged (the spawner lacks CAP_SETPCAP; "
			           "no_new_privs keeps exec from granting any)";
		snprintf(eff, sizeof(eff), "0x%016llx", (unsigned long long)e);
		snprintf(prm, sizeof(prm), "0x%016llx", (unsigned long long)p);
		snprintf(inh, sizeof(inh), "0x%016llx", (unsigned long long)i);
		const char *kv[] = {"layer",       "capabilities",
		                    "dropped",     dropped,
		                    "bounding",    bounding,
		                    "effective",   eff,
		                    "permitted",   prm,
		                    "inheritable", inh,
		                    "ambient",     "dropped caps lowered",
		                    NULL};
		if (wal_record(sp, "sandbox.layer", kv, err, errlen) < 0)
			return -1;
	}
	const char *nnp[] = {"layer", "no_new_privs", "value", "1", NULL};
	if (wal_record(sp, "sandbox.layer", nnp, err, errlen) < 0)
		return -1;
	if (l->landlock.on) {
		const char *kv[2 * 14 + 1];
		char buf[ENV_MAX_ATTR_VALUE];

		landlock_attrs(&l->landlock, kv, sizeof(kv) / sizeof(*kv), buf,
		               sizeof(buf));
		if (wal_record(sp, "sandbox.layer", kv, err, errlen) < 0)
			return -1;
	}
	if (l->seccomp_on) {
		const char *kv[2 * (SECCOMP_SUMMARY_ATTRS + 4) + 1];
		char insns[16];
		size_t n = 0;

		snprintf(insns, sizeof(insns), "%u", (unsigned)l->prog.len);
		kv[n++] = "layer";
		kv[n++] = "seccomp";
		for (size_t k = 0; k < l->summary.n; k++) {
			kv[n++] = l->summary.attr[k].key;
			kv[n++] = l->summary.attr[k].value;
		}
		kv[n++] = "bpf_insns";
		kv[n++] = insns;
		kv[n++] = "log";
		kv[n++] = l->filter_flags ? "SECCOMP_FILTER_FLAG_LOG" : "no";
		/* Stacked under it, since the spawner confined itself. */
		kv[n++] = "inherited";
		kv[n++] =
		    "the spawner's host-wide deny-list (spawner/sandbox.c)";
		kv[n] = NULL;
		if (wal_record(sp, "sandbox.layer", kv, err, errlen) < 0)
			return -1;
	}
	return 0;
}

static void serve_spawn(struct spawner *sp, const Autonomy__SpawnRequest *req)
{
	Envelope env = AUTONOMY__ENVELOPE__INIT;
	Autonomy__SpawnReply rep = AUTONOMY__SPAWN_REPLY__INIT;
	struct workload_layers layers;
	struct net_layer net;
	char err[1024];
	pid_t pid;

	if (sp->workload > 0) {
		snprintf(err, sizeof(err),
		         "a workload is already running (pid %d)",
		         (int)sp->workload);
		ipc_reply_error(sp->rep, err);
		return;
	}
	/* Parse, compile and record before fork; the child only
	 * applies. */
	if (netjoin_prepare(req, sp->netns_fd, sp->host_netns_fd, &net, err,
	                    sizeof(err)) < 0 ||
	    layers_prepare(req, &layers, err, sizeof(err)) < 0) {
		log_warnx("%s", err);
		ipc_reply_error(sp->rep, err);
		return;
	}
	if (record_layers(sp, &net, &layers, err, sizeof(err)) < 0) {
		log_warnx("%s; not starting the workload", err);
		layers_free(&layers);
		ipc_reply_error(sp->rep, err);
		return;
	}
	pid = spawn_workload(req, &net, &layers, err, sizeof(err));
	layers_free(&layers);
	if (pid < 0) {
		log_warnx("%s", err);
		ipc_reply_error(sp->rep, err);
		return;
	}
	/* Not recorded, not running: fail closed. */
	if (record_start(sp, req, pid, err, sizeof(err)) < 0) {
		log_warnx("%s; stopping workload %d", err, (int)pid);
		kill_child(pid);
		reap(pid);
		ipc_reply_error(sp->rep, err);
		return;
	}
	sp->workload = pid;
	rep.pid = pid;
	env.body_case = AUTONOMY__ENVELOPE__BODY_SPAWN_REPLY;
	env.spawn_reply = &rep;
	ipc_reply(sp->rep, &env);
}

static void serve_wait(struct spawner *sp, const Autonomy__WaitRequest *req)
{
	Envelope env = AUTONOMY__ENVELOPE__INIT;
	Autonomy__WaitReply rep = AUTONOMY__WAIT_REPLY__INIT;
	char err[128];
	int status;
	pid_t r;

	if (sp->workload <= 0 || req->pid != sp->workload) {
		snprintf(err, sizeof(err),
		         "pid %d is not a workload of this spawner", req->pid);
		ipc_reply_error(sp->rep, err);
		return;
	}
	do
		r = waitpid(sp->workload, &status, 0);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		snprintf(err, sizeof(err), "waitpid %d: %s", req->pid,
		         strerror(errno));
		ipc_reply_error(sp->rep, err);
		return;
	}
	sp->workload = 0;
	rep.wait_status = status;
	env.body_case = AUTONOMY__ENVELOPE__BODY_WAIT_REPLY;
	env.wait_reply = &rep;
	ipc_reply(sp->rep, &env);
}

static noreturn void serve(struct spawner *sp)
{
	char err[256];

	for (;;) {
		Envelope *req;
		int pid, closed;

		if (ipc_recv(sp->rep, &req, &pid, &closed, err, sizeof(err)) <
		    0) {
			if (closed)
				fatalx("spawner socket closed");
			log_warnx("request from pid %d: %s", pid, err);
			ipc_reply_error(sp->rep, err);
			continue;
		}
		attack_point(); /* test builds only: attack.h */
		/* Only the supervisor, our parent, may spawn: not a
		 * compromised toolsrv that found the socket. */
		if (pid <= 1 || pid != getppid()) {
			log_warnx("refused %s from pid %d (not the supervisor)",
			          envelope_body_name(req), pid);
			ipc_reply_error(sp->rep,
			                "spawner serves its supervisor only");
		} else if (req->body_case ==
		           AUTONOMY__ENVELOPE__BODY_SPAWN_REQUEST) {
			serve_spawn(sp, req->spawn_request);
		} else if (req->body_case ==
		           AUTONOMY__ENVELOPE__BODY_WAIT_REQUEST) {
			serve_wait(sp, req->wait_request);
		} else {
			snprintf(err, sizeof(err),
			         "spawner serves SpawnRequest and WaitRequest, "
			         "not %s",
			         envelope_body_name(req));
			log_warnx("%s", err);
			ipc_reply_error(sp->rep, err);
		}
		envelope_free(req);
	}
}

static noreturn void usage(void)
{
	fprintf(stderr,
	        "usage: spawner --rundir DIR --ready-fd N [--netns-fd M]\n");
	exit(64);
}

/* The common flags, and --netns-fd checked to be a network namespace
 * before anything else is opened. */
static void parse_args(int argc, char **argv, const char **rundir,
                       int *ready_fd, int *netns_fd)
{
	static const struct option opts[] = {
	    {"rundir", required_argument, NULL, 'r'},
	    {"ready-fd", required_argument, NULL, 'f'},
	    {"netns-fd", required_argument, NULL, 'n'},
	    {NULL, 0, NULL, 0},
	};
	char err[256];
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'r')
			*rundir = optarg;
		else if (ch == 'f' &&
		         (*ready_fd = helper_parse_fd(optarg)) >= 0)
			continue;
		else if (ch == 'n' && *netns_fd < 0) {
			if ((*netns_fd = netjoin_check_fd(optarg, err,
			                                  sizeof(err))) < 0)
				fatalx("%s", err);
		} else
			usage();
	}
	if (optind != argc || *rundir == NULL || *ready_fd < 0)
		usage();
}

int main(int argc, char **argv)
{
	struct spawner sp = {.netns_fd = -1, .host_netns_fd = -1};
	const char *rundir = NULL;
	char url[128], walurl[128], werr[256];
	nng_socket rep, wal;
	int ready_fd = -1, rv;

	helper_init("spawner");
	parse_args(argc, argv, &rundir, &ready_fd, &sp.netns_fd);
	attack_init(rundir);
	if (ipc_url(url, sizeof(url), rundir, IPC_SPAWNER) < 0 ||
	    ipc_url(walurl, sizeof(walurl), rundir, IPC_WALWRITER) < 0)
		fatalx("--rundir %s: path too long for a socket", rundir);
	/* waitpid() needs children to stay until reaped. */
	signal(SIGCHLD, SIG_DFL);
	/* No network for us, before nng starts a thread (a namespace is
	 * per thread): the workload joins the host's back (netjoin.h). */
	sp.host_netns_fd = netjoin_isolate_self();
	/* While the other helpers start: the default profile's program. */
	if (layers_warm_starter(werr, sizeof(werr)) < 0)
		log_warnx("%s (compiled per run instead)", werr);

	if (ipc_listen_rep(&rep, url) < 0)
		fatalx("cannot listen on %s", url);
	if (ipc_dial_req(&wal, walurl, SPAWNER_WAL_TIMEOUT_MS) < 0)
		fatalx("cannot dial %s", walurl);
	if ((rv = nng_ctx_open(&sp.rep, rep)) != 0 ||
	    (rv = nng_ctx_open(&sp.wal, wal)) != 0)
		fatalx("nng_ctx_open: %s", nng_strerror(rv));

	if (spawner_sandbox() < 0)
		fatalx("cannot confine spawner");

	helper_ready(ready_fd);
	serve(&sp);
}
