/* The real spawner binary with a fake walwriter: it forks and execs what
 * its supervisor (this test, its parent) asks, reports exec failures as
 * errors naming the program, records workload.start, and reaps only its
 * own workload. argv[1] is the spawner binary. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "ipc.h"

static const char *spawner_bin;

static int setup(void **state)
{
	return (*state = harness_fixture_up(spawner_bin, IPC_SPAWNER)) ? 0 : -1;
}

static int teardown(void **state)
{
	return harness_fixture_down(*state);
}

static Envelope *do_call(nng_socket s, Envelope *req)
{
	Envelope *resp = NULL;
	char err[256];

	if (ipc_call_sock(s, req, &resp, err, sizeof(err)) < 0)
		fail_msg("call: %s", err);
	return resp;
}

static Envelope *spawn(struct helper_fixture *f, char **argv, char **env,
                       const char *cwd, int pgid)
{
	Envelope req = AUTONOMY__ENVELOPE__INIT;
	Autonomy__SpawnRequest sr = AUTONOMY__SPAWN_REQUEST__INIT;

	while (argv[sr.n_argv] != NULL)
		sr.n_argv++;
	while (env[sr.n_env] != NULL)
		sr.n_env++;
	sr.argv = argv;
	sr.env = env;
	sr.cwd = (char *)cwd;
	sr.pgid = pgid;
	req.body_case = AUTONOMY__ENVELOPE__BODY_SPAWN_REQUEST;
	req.spawn_request = &sr;
	return do_call(f->client, &req);
}

static Envelope *wait_for(struct helper_fixture *f, int pid)
{
	Envelope req = AUTONOMY__ENVELOPE__INIT;
	Autonomy__WaitRequest wr = AUTONOMY__WAIT_REQUEST__INIT;

	wr.pid = pid;
	req.body_case = AUTONOMY__ENVELOPE__BODY_WAIT_REQUEST;
	req.wait_request = &wr;
	return do_call(f->client, &req);
}

static char *default_env[] = {"PATH=/usr/bin:/bin", NULL};

/* Spawns argv, expects a pid, waits and returns the raw wait status. */
static int run(struct helper_fixture *f, char **argv, char **env,
               const char *cwd, int pgid, int *pid_out)
{
	Envelope *e = spawn(f, argv, env, cwd, pgid);
	int pid, status;

	if (e->body_case != AUTONOMY__ENVELOPE__BODY_SPAWN_REPLY)
		fail_msg("spawn %s: got %s %s", argv[0], envelope_body_name(e),
		         e->body_case == AUTONOMY__ENVELOPE__BODY_ERROR
		             ? e->error->message
		             : "");
	pid = e->spawn_reply->pid;
	envelope_free(e);
	if (pid_out != NULL)
		*pid_out = pid;
	e = wait_for(f, pid);
	if (e->body_case != AUTONOMY__ENVELOPE__BODY_WAIT_REPLY)
		fail_msg("wait %d: got %s", pid, envelope_body_name(e));
	status = e->wait_reply->wait_status;
	envelope_free(e);
	return status;
}

static void test_exit_status_and_record(void **state)
{
	struct helper_fixture *f = *state;
	char *argv[] = {"sh", "-c", "exit 7", NULL};
	const Autonomy__WalAppend *a;
	char pidtxt[16];
	int pid, status = run(f, argv, default_env, "/", 0, &pid);

	assert_true(pid > 1);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 7);

	/* The layers (the host's network, no_new_privs, the starter
	 * seccomp profile), then the start. */
	assert_int_equal(fake_wal_count(f->wal), 4);
	a = fake_wal_get(f->wal, 0);
	assert_string_equal(a->kind, "sandbox.layer");
	assert_string_equal(wal_attr(a, "layer"), "net");
	assert_string_equal(wal_attr(a, "mode"), "host");
	assert_string_equal(wal_attr(a, "source"), "default");
	a = fake_wal_get(f->wal, 1);
	assert_string_equal(a->kind, "sandbox.layer");
	assert_string_equal(wal_attr(a, "layer"), "no_new_privs");
	a = fake_wal_get(f->wal, 2);
	assert_string_equal(a->kind, "sandbox.layer");
	assert_string_equal(wal_attr(a, "layer"), "seccomp");
	assert_string_equal(wal_attr(a, "profile"), "starter");
	a = fake_wal_get(f->wal, 3);
	assert_string_equal(a->kind, "workload.start");
	assert_string_equal(wal_attr(a, "argv0"), "sh");
	assert_string_equal(wal_attr(a, "argc"), "3");
	snprintf(pidtxt, sizeof(pidtxt), "%d", pid);
	assert_string_equal(wal_attr(a, "pid"), pidtxt);
	/* It came from the spawner's own connection. */
	assert_int_equal(fake_wal_pid(f->wal, 3), f->pid);
}

static void test_exec_failure_is_an_error(void **state)
{
	struct helper_fixture *f = *state;
	char *argv[] = {"autonomy-no-such-program", "x", NULL};
	Envelope *e = spawn(f, argv, default_env, "/", 0);

	assert_int_equal(e->body_case, AUTONOMY__ENVELOPE__BODY_ERROR);
	assert_string_equal(e->error->message,
	                    "cannot execute autonomy-no-such-program: "
	                    "No such file or directory");
	envelope_free(e);
	assert_int_equal(fake_wal_count_kind(f->wal, "workload.start", NULL),
	                 0);

	/* A directory that is not there is named too. */
	argv[0] = "true";
	e = spawn(f, argv, default_env, "/nonexistent-autonomy-dir", 0);
	assert_int_equal(e->body_case, AUTONOMY__ENVELOPE__BODY_ERROR);
	assert_non_null(
	    strstr(e->error->message, "chdir /nonexistent-autonomy-dir"));
	envelope_free(e);

	/* Nothing was left behind: the next spawn is not "already
	 * running". */
	argv[0] = "true";
	argv[1] = NULL;
	assert_int_equal(run(f, argv, default_env, "/", 0, NULL), 0);
}

static void test_wait_foreign_pid(void **state)
{
	struct helper_fixture *f = *state;
	char *argv[] = {"sh", "-c", "exit 0", NULL};
	Envelope *e = wait_for(f, getpid());
	int pid;

	assert_int_equal(e->body_case, AUTONOMY__ENVELOPE__BODY_ERROR);
	assert_non_null(strstr(e->error->message, "not a workload"));
	envelope_free(e);

	/* A reaped workload is not waitable twice. */
	assert_int_equal(run(f, argv, default_env, "/", 0, &pid), 0);
	e = wait_for(f, pid);
	assert_int_equal(e->body_case, AUTONOMY__ENVELOPE__BODY_ERROR);
	envelope_free(e);
}

static void test_one_workload_at_a_time(void **state)
{
	struct helper_fixture *f = *state;
	char *argv[] = {"sleep", "30", NULL};
	Envelope *e = spawn(f, argv, default_env, "/", 0), *e2;
	int pid;

	assert_int_equal(e->body_case, AUTONOMY__ENVELOPE__BODY_SPAWN_REPLY);
	pid = e->spawn_reply->pid;
	e2 = spawn(f, argv, default_env, "/", 0);
	assert_int_equal(e2->body_case, AUTONOMY__ENVELOPE__BODY_ERROR);
	assert_non_null(strstr(e2->error->message, "already running"));
	envelope_free(e2);
	kill(pid, SIGKILL);
	envelope_free(e);
	e = wait_for(f, pid);
	assert_int_equal(e->body_case, AUTONOMY__ENVELOPE__BODY_WAIT_REPLY);
	assert_true(WIFSIGNALED(e->wait_reply->wait_status));
	assert_int_equal(WTERMSIG(e->wait_reply->wait_status), SIGKILL);
	envelope_free(e);
}

static void test_env_cwd_path(void **state)
{
	struct helper_fixture *f = *state;
	char prog[512], path_env[600];
	char *env[] = {path_env, "GREETING=hi", NULL};
	char *argv[] = {"autonomy-test-prog", NULL};
	FILE *fp;

	/* A program found only through the request's PATH, checking the
	 * request's cwd and environment. */
	snprintf(prog, sizeof(prog), "%s/autonomy-test-prog", f->rundir);
	fp = fopen(prog, "w");
	assert_non_null(fp);
	fprintf(fp,
	        "#!/bin/sh\n"
	        "test \"$(pwd)\" = \"%s\" || exit 2\n"
	        "test \"$GREETING\" = hi || exit 3\n"
	        "test -z \"$HOME\" || exit 4\n"
	        "exit 5\n",
	        f->rundir);
	fclose(fp);
	assert_int_equal(chmod(prog, 0755), 0);
	snprintf(path_env, sizeof(path_env), "PATH=%s:/usr/bin:/bin",
	         f->rundir);
	int status = run(f, argv, env, f->rundir, 0, NULL);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 5);
	unlink(prog);
}

static void test_signals_and_group(void **state)
{
	struct helper_fixture *f = *state;
	/* The spawner ignores SIGPIPE; the workload must not. */
	char *ign[] = {"grep", "-q", "^SigIgn:.0000000000000000$",
	               "/proc/self/status", NULL};
	char *blk[] = {"grep", "-q", "^SigBlk:.0000000000000000$",
	               "/proc/self/status", NULL};
	char *pg[] = {"sh", "-c", "exit 0", NULL};
	char stat[64], buf[512];
	int pid, pgrp = -1;
	Envelope *e;
	FILE *fp;

	assert_int_equal(run(f, ign, default_env, "/", 0, NULL), 0);
	assert_int_equal(run(f, blk, default_env, "/", 0, NULL), 0);

	/* pgid: the workload joins the given group (ours, as the
	 * supervisor's would be). It stays a zombie until Wait. */
	e = spawn(f, pg, default_env, "/", getpgrp());
	assert_int_equal(e->body_case, AUTONOMY__ENVELOPE__BODY_SPAWN_REPLY);
	pid = e->spawn_reply->pid;
	envelope_free(e);
	snprintf(stat, sizeof(stat), "/proc/%d/stat", pid);
	fp = fopen(stat, "r");
	assert_non_null(fp);
	assert_non_null(fgets(buf, sizeof(buf), fp));
	fclose(fp);
	assert_int_equal(sscanf(strrchr(buf, ')') + 2, "%*c %*d %d", &pgrp), 1);
	assert_int_equal(pgrp, getpgrp());
	envelope_free(wait_for(f, pid));
}

static void test_wal_refusal_fails_closed(void **state)
{
	struct helper_fixture *f = *state;
	char *argv[] = {"sleep", "30", NULL};
	Envelope *e;

	fake_wal_set_mode(f->wal, FAKE_WAL_ERROR);
	e = spawn(f, argv, default_env, "/", 0);
	assert_int_equal(e->body_case, AUTONOMY__ENVELOPE__BODY_ERROR);
	assert_non_null(strstr(e->error->message, "disk on fire"));
	envelope_free(e);
	/* The unrecorded workload was stopped and reaped: a new one may
	 * start. */
	fake_wal_set_mode(f->wal, FAKE_WAL_ACK);
	argv[0] = "true";
	argv[1] = NULL;
	assert_int_equal(run(f, argv, default_env, "/", 0, NULL), 0);
}

/* The layer records go as one batch: one of them refused by walwriter
 * (its origin may not write it) and nothing runs. */
static void test_layer_record_refused_fails_closed(void **state)
{
	struct helper_fixture *f = *state;
	char *argv[] = {"true", NULL};
	Envelope *e;

	fake_wal_set_mode(f->wal, FAKE_WAL_REFUSE_LAST);
	e = spawn(f, argv, default_env, "/", 0);
	assert_int_equal(e->body_case, AUTONOMY__ENVELOPE__BODY_ERROR);
	if (strstr(e->error->message, "walwriter refused sandbox.layer: "
	                              "not for this origin") == NULL)
		fail_msg("%s", e->error->message);
	envelope_free(e);
	/* no workload.start: the workload was never started */
	assert_int_equal(fake_wal_count_kind(f->wal, "workload.start", NULL),
	                 0);
	fake_wal_set_mode(f->wal, FAKE_WAL_ACK);
	assert_int_equal(run(f, argv, default_env, "/", 0, NULL), 0);
}

/* A request for `true` in /, to be made bad by the test. */
static void minimal_request(Envelope *req, Autonomy__SpawnRequest *sr,
                            char **argv)
{
	sr->argv = argv;
	sr->n_argv = 1;
	sr->env = default_env;
	sr->n_env = 1;
	sr->cwd = "/";
	req->body_case = AUTONOMY__ENVELOPE__BODY_SPAWN_REQUEST;
	req->spawn_request = sr;
}

/* The spawner answers req with an Error naming why (what: the value at
 * fault, for the failure message). */
static void expect_refused(struct helper_fixture *f, Envelope *req,
                           const char *what, const char *why)
{
	Envelope *e = do_call(f->client, req);

	assert_int_equal(e->body_case, AUTONOMY__ENVELOPE__BODY_ERROR);
	if (strstr(e->error->message, why) == NULL)
		fail_msg("%s: %s", what, e->error->message);
	envelope_free(e);
}

/* The spawner parses the sandbox settings itself: a profile or a cap
 * name the supervisor should have refused is refused again, before
 * anything is recorded or started. */
static const struct {
	int tmpfs;
	const char *value, *why;
} bad_mounts[] = {
    {1, "tmp", "absolute"},
    {1, "/tmp/../etc", "\"..\""},
    {1, "/tmp:suid", "PATH:exec"},
    {1, "/nonexistent-autonomy-mnt", "does not exist"},
    {0, "/tmp:/nonexistent-autonomy-mnt", "does not exist"},
    {0, "/nonexistent-autonomy-mnt:/tmp", "HOST"},
    {0, "/tmp:/usr/..", "\"..\""},
    {0, "/tmp:/usr:rx", "ro or rw"},
};

static void test_spawner_reparses_settings(void **state)
{
	struct helper_fixture *f = *state;
	char *argv[] = {"true", NULL};
	char *caps[] = {"NET_RAW,NOT_A_CAP"};
	Envelope req = AUTONOMY__ENVELOPE__INIT, *e;
	Autonomy__SpawnRequest sr = AUTONOMY__SPAWN_REQUEST__INIT;

	sr.argv = argv;
	sr.n_argv = 1;
	sr.env = default_env;
	sr.n_env = 1;
	sr.cwd = "/";
	sr.seccomp_mode = AUTONOMY__SECCOMP_MODE__SECCOMP_PROFILE;
	sr.seccomp_profile_json = "{\"defaultAction\": \"SCMP_ACT_ALLOW\", "
	                          "\"syscalls\": [{\"names\": [\"nope\"], "
	                          "\"action\": \"SCMP_ACT_ERRNO\"}]}";
	sr.seccomp_profile_path = "/x/p.json";
	req.body_case = AUTONOMY__ENVELOPE__BODY_SPAWN_REQUEST;
	req.spawn_request = &sr;
	e = do_call(f->client, &req);
	assert_int_equal(e->body_case, AUTONOMY__ENVELOPE__BODY_ERROR);
	assert_non_null(strstr(e->error->message, "/x/p.json"));
	assert_non_null(strstr(e->error->message, "syscalls[0].names[0]"));
	envelope_free(e);

	sr.seccomp_mode = AUTONOMY__SECCOMP_MODE__SECCOMP_STARTER;
	sr.seccomp_profile_json = "";
	sr.seccomp_profile_path = "";
	sr.cap_drop = caps;
	sr.n_cap_drop = 1;
	e = do_call(f->client, &req);
	assert_int_equal(e->body_case, AUTONOMY__ENVELOPE__BODY_ERROR);
	assert_non_null(strstr(e->error->message, "NOT_A_CAP"));
	envelope_free(e);
	sr.cap_drop = NULL;
	sr.n_cap_drop = 0;
	/* the filesystem layer's values, each parsed and checked again */
	for (size_t i = 0; i < sizeof(bad_mounts) / sizeof(*bad_mounts); i++) {
		char *v[] = {(char *)bad_mounts[i].value};

		sr.n_tmpfs = sr.n_writable_mounts = 0;
		if (bad_mounts[i].tmpfs) {
			sr.tmpfs = v;
			sr.n_tmpfs = 1;
		} else {
			sr.writable_mounts = v;
			sr.n_writable_mounts = 1;
		}
		expect_refused(f, &req, bad_mounts[i].value, bad_mounts[i].why);
	}
	assert_int_equal(fake_wal_count(f->wal), 0);
}

/* The Landlock layer's values are parsed and checked again by the
 * spawner (a listed file must exist and be a regular file), before
 * anything is recorded or started. */
static const struct {
	int exec;
	const char *value, *why;
} bad_landlock[] = {
    {1, "/nonexistent-autonomy-exec", "/nonexistent-autonomy-exec: No such"},
    {1, "/usr/bin", "/usr/bin: not a regular file"},
    {1, "/usr/bin/true,true", "\"true\" is not absolute"},
    {1, "/usr/bin/tr:ue", "a path with ':'"},
    {0, "example.com:443", "example.com:443"},
};

static void test_spawner_reparses_landlock(void **state)
{
	struct helper_fixture *f = *state;
	char *argv[] = {"true", NULL};
	Envelope req = AUTONOMY__ENVELOPE__INIT;
	Autonomy__SpawnRequest sr = AUTONOMY__SPAWN_REQUEST__INIT;

	minimal_request(&req, &sr, argv);
	for (size_t i = 0; i < sizeof(bad_landlock) / sizeof(*bad_landlock);
	     i++) {
		char *v[] = {(char *)bad_landlock[i].value};

		sr.n_landlock_exec = sr.n_landlock_connect = 0;
		if (bad_landlock[i].exec) {
			sr.landlock_exec = v;
			sr.n_landlock_exec = 1;
		} else {
			sr.landlock_connect = v;
			sr.n_landlock_connect = 1;
		}
		expect_refused(f, &req, bad_landlock[i].value,
		               bad_landlock[i].why);
	}
	assert_int_equal(fake_wal_count(f->wal), 0);
}

/* --image: the root, kind and digest are checked again by the spawner;
 * nothing is recorded or started for a bad one. */
static const struct {
	const char *ref, *rootfs, *kind, *digest, *why;
} bad_images[] = {
    {"r", "relative", "rootfs", "", "canonical"},
    {"r", "/tmp/../etc", "rootfs", "", "canonical"},
    {"r", "/tmp/", "rootfs", "", "canonical"},
    {"r", "/tmp", "docker", "", "unknown"},
    {"r", "/tmp", "oci-layout", "sha256:abc", "not the sha256"},
    {"r",
     "/tmp/0000000000000000000000000000000000000000000000000000000000000000",
     "oci-layout",
     "sha256:1111111111111111111111111111111111111111111111111111111111111111",
     "not the sha256"},
    {"r", "/tmp", "rootfs", "sha256:00", "no digest"},
    {"", "/tmp", "rootfs", "", "no REF"},
    {"r", "", "rootfs", "", "without image_rootfs"},
};

static void test_spawner_rechecks_image(void **state)
{
	struct helper_fixture *f = *state;
	char *argv[] = {"true", NULL};
	char dir[] = "/tmp/autonomy-img.XXXXXX", link[64], noproc[96];
	Envelope req = AUTONOMY__ENVELOPE__INIT, *e;
	Autonomy__SpawnRequest sr = AUTONOMY__SPAWN_REQUEST__INIT;

	minimal_request(&req, &sr, argv);
	for (size_t i = 0; i < sizeof(bad_images) / sizeof(*bad_images); i++) {
		sr.image_ref = (char *)bad_images[i].ref;
		sr.image_rootfs = (char *)bad_images[i].rootfs;
		sr.image_kind = (char *)bad_images[i].kind;
		sr.image_digest = (char *)bad_images[i].digest;
		expect_refused(f, &req, bad_images[i].rootfs,
		               bad_images[i].why);
	}
	/* A root reached through a symlink, a root without /proc: these
	 * checks come after the CAP_SYS_ADMIN one. */
	if (geteuid() == 0) {
		assert_non_null(mkdtemp(dir));
		snprintf(link, sizeof(link), "%s.link", dir);
		snprintf(noproc, sizeof(noproc), "%s/dev", dir);
		assert_int_equal(symlink(dir, link), 0);
		assert_int_equal(mkdir(noproc, 0755), 0);
		sr.image_ref = "r";
		sr.image_kind = "rootfs";
		sr.image_digest = "";
		sr.image_rootfs = link;
		e = do_call(f->client, &req);
		assert_int_equal(e->body_case, AUTONOMY__ENVELOPE__BODY_ERROR);
		assert_non_null(strstr(e->error->message, "no symlink"));
		envelope_free(e);
		sr.image_rootfs = dir;
		e = do_call(f->client, &req);
		assert_int_equal(e->body_case, AUTONOMY__ENVELOPE__BODY_ERROR);
		assert_non_null(strstr(e->error->message, "has no /proc"));
		envelope_free(e);
		unlink(link);
		rmdir(noproc);
		rmdir(dir);
	}
	assert_int_equal(fake_wal_count(f->wal), 0);
}

/* Run as `test_spawner --sibling RUNDIR` (a fresh exec: nng does not
 * survive fork): a process that is not the spawner's parent, think a
 * compromised toolsrv, asks for a spawn. Exit 0 if it was refused. */
static int sibling_main(const char *rundir)
{
	char *argv[] = {"true", NULL};
	nng_socket s;
	Envelope req = AUTONOMY__ENVELOPE__INIT, *resp;
	Autonomy__SpawnRequest sr = AUTONOMY__SPAWN_REQUEST__INIT;
	char err[256];
	int rc;

	if (harness_dial(rundir, IPC_SPAWNER, 10000, &s) < 0)
		return 2;
	sr.argv = argv;
	sr.n_argv = 1;
	sr.cwd = "/";
	req.body_case = AUTONOMY__ENVELOPE__BODY_SPAWN_REQUEST;
	req.spawn_request = &sr;
	if (ipc_call_sock(s, &req, &resp, err, sizeof(err)) < 0)
		return 3;
	rc = resp->body_case == AUTONOMY__ENVELOPE__BODY_ERROR &&
	             strstr(resp->error->message, "supervisor") != NULL
	         ? 0
	         : 1;
	envelope_free(resp);
	nng_close(s);
	return rc;
}

static void test_only_the_parent_may_spawn(void **state)
{
	struct helper_fixture *f = *state;
	pid_t child = fork();
	int status;

	assert_true(child >= 0);
	if (child == 0) {
		char *argv[] = {"test_spawner", "--sibling", f->rundir, NULL};
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(fake_wal_count(f->wal), 0);
}

static void test_confined(void **state)
{
	struct helper_fixture *f = *state;

	assert_true(harness_status_has(f->pid, "NoNewPrivs:\t1"));
	assert_true(harness_status_has(f->pid, "Seccomp:\t2"));
}

/* Run as `test_spawner --probe-keyctl` inside a workload: keyctl with
 * an unknown command is EOPNOTSUPP for anyone, unless the spawner's
 * deny-list answered EPERM first. Exit 0 if it did. */
static int probe_keyctl_main(void)
{
	long rc = syscall(SYS_keyctl, 9999, 0, 0, 0, 0);

	return rc == -1 && errno == EPERM ? 0 : 1;
}

static void test_workload_inherits_denylist(void **state)
{
	struct helper_fixture *f = *state;
	/* The workload runs under the spawner's filter: seccomp mode 2. */
	char *argv[] = {"grep", "-q", "^Seccomp:.2$", "/proc/self/status",
	                NULL};
	char self[4096];
	char *probe[] = {self, "--probe-keyctl", NULL};
	/* The probe is this binary: in a sanitizer build LeakSanitizer's
	 * exit scan needs ptrace, which the workload's starter profile
	 * denies (as it should), so it is turned off for the probe. */
	char *probe_env[] = {"PATH=/usr/bin:/bin",
	                     "ASAN_OPTIONS=detect_leaks=0", NULL};
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	assert_int_equal(run(f, argv, default_env, "/", 0, NULL), 0);
	assert_true(n > 0);
	self[n] = '\0';
	assert_int_equal(run(f, probe, probe_env, "/", 0, NULL), 0);
	/* The same call from here (no filter) is not refused. */
	assert_int_equal(probe_keyctl_main(), 1);
}

/* --net none with no namespace given to the spawner (--netns-fd):
 * refused, never run on the host's network; nothing recorded. */
static void test_net_none_needs_a_namespace(void **state)
{
	struct helper_fixture *f = *state;
	char *argv[] = {"true", NULL};
	Envelope req = AUTONOMY__ENVELOPE__INIT, *e;
	Autonomy__SpawnRequest sr = AUTONOMY__SPAWN_REQUEST__INIT;

	sr.argv = argv;
	sr.n_argv = 1;
	sr.env = default_env;
	sr.n_env = 1;
	sr.cwd = "/";
	sr.net = AUTONOMY__NET_MODE__NET_NONE;
	sr.net_source = "--net none";
	req.body_case = AUTONOMY__ENVELOPE__BODY_SPAWN_REQUEST;
	req.spawn_request = &sr;
	e = do_call(f->client, &req);
	assert_int_equal(e->body_case, AUTONOMY__ENVELOPE__BODY_ERROR);
	assert_non_null(strstr(e->error->message, "--net none"));
	assert_non_null(strstr(e->error->message, "was given none"));
	envelope_free(e);
	/* NET_LANDLOCK_ONLY without the kernel's refusal is malformed */
	sr.net = AUTONOMY__NET_MODE__NET_LANDLOCK_ONLY;
	e = do_call(f->client, &req);
	assert_int_equal(e->body_case, AUTONOMY__ENVELOPE__BODY_ERROR);
	assert_non_null(strstr(e->error->message, "net_refused"));
	envelope_free(e);
	assert_int_equal(fake_wal_count(f->wal), 0);
}

int main(int argc, char **argv)
{
	int rc;
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_exit_status_and_record),
	    T(test_exec_failure_is_an_error),
	    T(test_wait_foreign_pid),
	    T(test_one_workload_at_a_time),
	    T(test_env_cwd_path),
	    T(test_signals_and_group),
	    T(test_wal_refusal_fails_closed),
	    T(test_layer_record_refused_fails_closed),
	    T(test_only_the_parent_may_spawn),
	    T(test_spawner_reparses_settings),
	    T(test_spawner_reparses_landlock),
	    T(test_spawner_rechecks_image),
	    T(test_confined),
	    T(test_workload_inherits_denylist),
	    T(test_net_none_needs_a_namespace),
	};
#undef T

	if (argc == 2 && strcmp(argv[1], "--probe-keyctl") == 0)
		return probe_keyctl_main();
	if (argc == 3 && strcmp(argv[1], "--sibling") == 0)
		return sibling_main(argv[2]);
	if (argc != 2) {
		fprintf(stderr, "usage: test_spawner SPAWNER_BINARY\n");
		return 2;
	}
	spawner_bin = argv[1];
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	nng_fini(); /* lets a leak checker see nng's sockets reaped */
	return rc;
}
