/* `autonomy run` flag parsing: the rules users rely on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <stdlib.h>
#include <unistd.h>

#include "capdrop.h"
#include "flags.h"

static int parse(int argc, char **argv, const char *env, struct run_opts *o,
                 char *err)
{
	return run_parse_flags(argc, argv, env, o, err, 256);
}

static void flags_stop_at_first_non_flag(void **state)
{
	char *v[] = {"run", "--keep", "sh", "-c", "--dir", "x", NULL};
	struct run_opts o;
	char err[256];
	(void)state;

	assert_int_equal(parse(6, v, NULL, &o, err), 0);
	assert_int_equal(o.keep, 1);
	assert_null(o.wal_dir);
	assert_int_equal(o.ncmd, 4);
	assert_string_equal(o.cmd[0], "sh");
	assert_string_equal(o.cmd[2], "--dir");
	/* --dir after the command went to the workload: flagged. */
	assert_int_equal(o.nmisplaced, 1);
	assert_string_equal(o.misplaced[0], "--dir");
}

static void flags_double_dash(void **state)
{
	char *v[] = {"run", "--dir", "/w", "--", "--keep", NULL};
	struct run_opts o;
	char err[256];
	(void)state;

	assert_int_equal(parse(5, v, NULL, &o, err), 0);
	assert_string_equal(o.wal_dir, "/w");
	assert_int_equal(o.keep, 0);
	assert_int_equal(o.ncmd, 1);
	assert_string_equal(o.cmd[0], "--keep");
	/* the command itself is never counted as a misplaced flag */
	assert_int_equal(o.nmisplaced, 0);
}

static void flags_dir_equals_form(void **state)
{
	char *v[] = {"run", "--dir=/a/b", "true", NULL};
	struct run_opts o;
	char err[256];
	(void)state;

	assert_int_equal(parse(3, v, NULL, &o, err), 0);
	assert_string_equal(o.wal_dir, "/a/b");
}

static void flags_flag_beats_env(void **state)
{
	char *v[] = {"run", "--dir", "/flag", "true", NULL};
	char *w[] = {"run", "true", NULL};
	struct run_opts o;
	char err[256];
	(void)state;

	assert_int_equal(parse(4, v, "/env", &o, err), 0);
	assert_string_equal(o.wal_dir, "/flag");
	assert_int_equal(o.wal_dir_from_env, 0);
	assert_int_equal(parse(2, w, "/env", &o, err), 0);
	assert_string_equal(o.wal_dir, "/env");
	assert_int_equal(o.wal_dir_from_env, 1);
	assert_int_equal(parse(2, w, "", &o, err), 0);
	assert_null(o.wal_dir);
}

static void flags_errors_name_the_flag(void **state)
{
	char *unknown[] = {"run", "--frobnicate", "true", NULL};
	char *nodir[] = {"run", "--dir", NULL};
	char *emptydir[] = {"run", "--dir=", "true", NULL};
	char *nocmd[] = {"run", "--keep", NULL};
	struct run_opts o;
	char err[256];
	(void)state;

	assert_int_equal(parse(3, unknown, NULL, &o, err), -1);
	assert_non_null(strstr(err, "--frobnicate"));
	assert_int_equal(parse(2, nodir, NULL, &o, err), -1);
	assert_non_null(strstr(err, "--dir"));
	assert_int_equal(parse(3, emptydir, NULL, &o, err), -1);
	assert_non_null(strstr(err, "--dir"));
	assert_int_equal(parse(2, nocmd, NULL, &o, err), -1);
	assert_non_null(strstr(err, "missing the command"));
}

static void flags_corrected_invocation(void **state)
{
	char *v[] = {"run",   "sh",  "-c",     "exit 7",
	             "--dir", "./w", "--keep", NULL};
	struct run_opts o;
	char err[256], buf[512];
	(void)state;

	assert_int_equal(parse(7, v, NULL, &o, err), 0);
	assert_int_equal(o.nmisplaced, 2);
	assert_int_equal(run_corrected_invocation(&o, buf, sizeof(buf)), 0);
	assert_string_equal(buf,
	                    "autonomy run --dir ./w --keep -- sh -c 'exit 7'");
}

static void flags_policy_and_cache_dir(void **state)
{
	char *v[] = {"run",  "--policy", "acme:1.0.0", "--cache-dir=/c",
	             "true", NULL};
	char *w[] = {"run", "--policy=./b.tar", "--", "sh", NULL};
	char *nopol[] = {"run", "--cache-dir", "/c", "true", NULL};
	char *empty[] = {"run", "--policy=", "true", NULL};
	char *missing[] = {"run", "--policy", NULL};
	struct run_opts o;
	char err[256];
	(void)state;

	assert_int_equal(parse(5, v, NULL, &o, err), 0);
	assert_string_equal(o.policy, "acme:1.0.0");
	assert_string_equal(o.cache_dir, "/c");
	assert_string_equal(o.cmd[0], "true");
	assert_int_equal(parse(4, w, NULL, &o, err), 0);
	assert_string_equal(o.policy, "./b.tar");
	assert_null(o.cache_dir);
	assert_string_equal(o.cmd[0], "sh");
	/* --cache-dir alone would silently do nothing */
	assert_int_equal(parse(4, nopol, NULL, &o, err), -1);
	assert_non_null(strstr(err, "--cache-dir"));
	assert_non_null(strstr(err, "--policy"));
	assert_int_equal(parse(3, empty, NULL, &o, err), -1);
	assert_non_null(strstr(err, "--policy needs a bundle"));
	assert_int_equal(parse(2, missing, NULL, &o, err), -1);
	assert_non_null(strstr(err, "--policy needs"));
}

static void flags_policy_misplaced(void **state)
{
	char *v[] = {"run",   "sh",          "x.sh", "--policy",
	             "b.tar", "--cache-dir", "/c",   NULL};
	struct run_opts o;
	char err[256], buf[512];
	(void)state;

	assert_int_equal(parse(7, v, NULL, &o, err), 0);
	assert_null(o.policy);
	assert_int_equal(o.nmisplaced, 2);
	assert_int_equal(run_corrected_invocation(&o, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "autonomy run --policy b.tar --cache-dir /c "
	                         "-- sh x.sh");
}

static void flags_seccomp(void **state)
{
	char *v[] = {"run", "--seccomp-profile", "p.json", "true", NULL};
	char *n[] = {"run", "--no-seccomp", "true", NULL};
	char *both[] = {"run", "--no-seccomp", "--seccomp-profile=p.json",
	                "true", NULL};
	char *empty[] = {"run", "--seccomp-profile=", "true", NULL};
	char *late[] = {"run", "sh", "--no-seccomp", NULL};
	struct run_opts o;
	char err[256];
	(void)state;

	assert_int_equal(parse(4, v, NULL, &o, err), 0);
	assert_string_equal(o.seccomp_profile, "p.json");
	assert_int_equal(o.no_seccomp, 0);
	assert_int_equal(parse(3, n, NULL, &o, err), 0);
	assert_null(o.seccomp_profile);
	assert_int_equal(o.no_seccomp, 1);
	assert_int_equal(parse(4, both, NULL, &o, err), -1);
	assert_non_null(strstr(err, "--seccomp-profile"));
	assert_non_null(strstr(err, "--no-seccomp"));
	assert_int_equal(parse(3, empty, NULL, &o, err), -1);
	assert_non_null(strstr(err, "--seccomp-profile"));
	/* after the command it is the workload's, and flagged */
	assert_int_equal(parse(3, late, NULL, &o, err), 0);
	assert_int_equal(o.no_seccomp, 0);
	assert_int_equal(o.nmisplaced, 1);
	assert_string_equal(o.misplaced[0], "--no-seccomp");
}

static void flags_cap_drop(void **state)
{
	char *v[] = {
	    "run",  "--cap-drop", "NET_RAW,cap_sys_admin", "--cap-drop=Chown",
	    "true", NULL};
	char *all[] = {"run", "--cap-drop", "all", "true", NULL};
	char *bad[] = {"run", "--cap-drop", "NET_RAW,CAP_BOGUS", "true", NULL};
	char *num[] = {"run", "--cap-drop", "13", "true", NULL};
	char *hole[] = {"run", "--cap-drop", "NET_RAW,,CHOWN", "true", NULL};
	char *none[] = {"run", "--cap-drop", NULL};
	struct run_opts o;
	char err[256], fmt[256];
	(void)state;

	assert_int_equal(parse(5, v, NULL, &o, err), 0);
	assert_int_equal(o.ncap_drop, 2);
	assert_string_equal(o.cap_drop[0], "NET_RAW,cap_sys_admin");
	assert_string_equal(o.cap_drop[1], "Chown");
	assert_true(o.cap_drop_mask == (1ULL << 13 | 1ULL << 21 | 1ULL << 0));
	capdrop_format(o.cap_drop_mask, fmt, sizeof(fmt));
	assert_string_equal(fmt, "CAP_CHOWN,CAP_NET_RAW,CAP_SYS_ADMIN");
	assert_int_equal(parse(4, all, NULL, &o, err), 0);
	assert_true(o.cap_drop_mask == CAPDROP_ALL);
	capdrop_format(o.cap_drop_mask, fmt, sizeof(fmt));
	assert_string_equal(fmt, "ALL");
	assert_int_equal(parse(4, bad, NULL, &o, err), -1);
	assert_non_null(strstr(err, "CAP_BOGUS"));
	assert_non_null(strstr(err, "--cap-drop"));
	assert_int_equal(parse(4, num, NULL, &o, err), -1);
	assert_non_null(strstr(err, "\"13\""));
	assert_int_equal(parse(4, hole, NULL, &o, err), -1);
	assert_non_null(strstr(err, "empty"));
	assert_int_equal(parse(2, none, NULL, &o, err), -1);
	assert_non_null(strstr(err, "--cap-drop"));
}

static void flags_read_only_rootfs_and_tmpfs(void **state)
{
	char *v[] = {"run",
	             "--read-only-rootfs",
	             "--tmpfs",
	             "/tmp,/dev//shm/",
	             "--tmpfs=/var/tmp:exec",
	             "true",
	             NULL};
	char *rel[] = {"run", "--tmpfs", "/tmp,tmp", "true", NULL};
	char *dots[] = {"run", "--tmpfs", "/tmp/../etc", "true", NULL};
	char *opt[] = {"run", "--tmpfs", "/tmp:suid", "true", NULL};
	char *hole[] = {"run", "--tmpfs", "/tmp,,/var/tmp", "true", NULL};
	char *root[] = {"run", "--tmpfs", "/", "true", NULL};
	char *twice[] = {"run",   "--tmpfs", "/tmp", "--tmpfs",
	                 "/tmp/", "true",    NULL};
	char *missing[] = {"run",     "--read-only-rootfs",
	                   "--tmpfs", "/nonexistent-autonomy",
	                   "true",    NULL};
	char *file[] = {"run", "--tmpfs", "/etc/passwd", "true", NULL};
	char *late[] = {"run", "true", "--read-only-rootfs", NULL};
	struct run_opts o;
	char err[256];
	(void)state;

	assert_int_equal(parse(6, v, NULL, &o, err), 0);
	assert_int_equal(o.mounts.read_only_rootfs, 1);
	assert_int_equal(o.mounts.ntmpfs, 3);
	assert_string_equal(o.mounts.tmpfs[0].path, "/tmp");
	assert_int_equal(o.mounts.tmpfs[0].exec, 0);
	assert_string_equal(o.mounts.tmpfs[1].path, "/dev/shm");
	assert_string_equal(o.mounts.tmpfs[2].path, "/var/tmp");
	assert_int_equal(o.mounts.tmpfs[2].exec, 1);
	assert_int_equal(o.ntmpfs, 2);
	assert_string_equal(o.tmpfs[1], "/var/tmp:exec");
	assert_int_equal(parse(4, rel, NULL, &o, err), -1);
	assert_non_null(strstr(err, "--tmpfs tmp"));
	assert_non_null(strstr(err, "absolute"));
	assert_int_equal(parse(4, dots, NULL, &o, err), -1);
	assert_non_null(strstr(err, "--tmpfs /tmp/../etc"));
	assert_non_null(strstr(err, "\"..\""));
	assert_int_equal(parse(4, opt, NULL, &o, err), -1);
	assert_non_null(strstr(err, "/tmp:suid"));
	assert_int_equal(parse(4, hole, NULL, &o, err), -1);
	assert_non_null(strstr(err, "empty"));
	assert_int_equal(parse(4, root, NULL, &o, err), -1);
	assert_non_null(strstr(err, "over /"));
	assert_int_equal(parse(6, twice, NULL, &o, err), -1);
	assert_non_null(strstr(err, "twice"));
	assert_int_equal(parse(5, missing, NULL, &o, err), -1);
	assert_non_null(strstr(err, "/nonexistent-autonomy"));
	assert_non_null(strstr(err, "read-only"));
	assert_int_equal(parse(4, file, NULL, &o, err), -1);
	assert_non_null(strstr(err, "not a directory"));
	assert_int_equal(parse(3, late, NULL, &o, err), 0);
	assert_int_equal(o.mounts.read_only_rootfs, 0);
	assert_int_equal(o.nmisplaced, 1);
}

static void flags_writable_mount(void **state)
{
	char *v[] = {"run",
	             "--writable-mount",
	             "/tmp:/usr",
	             "--writable-mount",
	             "/etc/passwd:/etc/group:ro",
	             "--writable-mount=/var:/srv:rw",
	             "true",
	             NULL};
	char *cases[][2] = {
	    {"tmp:/usr", "not an absolute path"},
	    {"/tmp:usr", "not an absolute path"},
	    {"/tmp", "no CONTAINER"},
	    {"/tmp:/usr/../etc", "\"..\""},
	    {"/tmp/..:/usr", "\"..\""},
	    {"/tmp:/usr:rx", "ro or rw"},
	    {"/tmp:/usr:ro:x", "ro or rw"},
	    {"/nonexistent-autonomy:/usr", "HOST /nonexistent-autonomy"},
	    {"/tmp:/nonexistent-autonomy", "not created"},
	    {"/tmp:/", "over /"},
	    {"/etc/passwd:/usr", "give two directories or two files"},
	};
	char *twice[] = {"run",        "--writable-mount",
	                 "/tmp:/usr",  "--writable-mount",
	                 "/etc:/usr/", "true",
	                 NULL};
	char *nested[] = {
	    "run",           "--tmpfs", "/usr", "--writable-mount",
	    "/tmp:/usr/lib", "true",    NULL};
	struct run_opts o;
	char err[256];
	(void)state;

	assert_int_equal(parse(7, v, NULL, &o, err), 0);
	assert_int_equal(o.mounts.nwritable, 3);
	assert_string_equal(o.mounts.writable[0].host, "/tmp");
	assert_string_equal(o.mounts.writable[0].container, "/usr");
	assert_int_equal(o.mounts.writable[0].read_only, 0);
	assert_string_equal(o.mounts.writable[1].container, "/etc/group");
	assert_int_equal(o.mounts.writable[1].read_only, 1);
	assert_int_equal(o.mounts.writable[2].read_only, 0);
	assert_int_equal(o.nwritable, 3);
	assert_string_equal(o.writable[2], "/var:/srv:rw");
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *bad[] = {"run", "--writable-mount", cases[i][0], "true",
		               NULL};

		assert_int_equal(parse(4, bad, NULL, &o, err), -1);
		assert_non_null(strstr(err, "--writable-mount"));
		if (strstr(err, cases[i][1]) == NULL)
			fail_msg("%s: %s", cases[i][0], err);
	}
	assert_int_equal(parse(6, twice, NULL, &o, err), -1);
	assert_non_null(strstr(err, "twice"));
	assert_int_equal(parse(6, nested, NULL, &o, err), -1);
	assert_non_null(strstr(err, "nested"));
}

/* A regular file to stand for the shim (the flags only stat it). */
static char shim[] = "/tmp/autonomy-test-flags-shim.XXXXXX";

static int shim_setup(void **state)
{
	int fd = mkstemp(shim);
	(void)state;

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int shim_teardown(void **state)
{
	(void)state;
	unlink(shim);
	return 0;
}

static void flags_ld_preload(void **state)
{
	char *v[] = {"run",
	             "--ld-preload",
	             shim,
	             "--preload-exec-allowlist",
	             "/usr/bin/true,/bin/sh",
	             "--preload-exec-allowlist=/usr/bin/env",
	             "--preload-connect-allowlist",
	             "10.0.0.0/8:443,[2001:db8::/32]:*",
	             "--preload-connect-allowlist=192.0.2.1:80",
	             "--dlopen-allowlist-from-bundle",
	             "b.tar",
	             "true",
	             NULL};
	char *alone[] = {"run", "--ld-preload", shim, "true", NULL};
	struct run_opts o;
	char err[256], *j;
	(void)state;

	assert_int_equal(parse(12, v, NULL, &o, err), 0);
	assert_string_equal(o.ld_preload, shim);
	assert_int_equal(o.npreload_exec, 2);
	assert_int_equal(o.npreload_connect, 2);
	assert_string_equal(o.dlopen_bundle, "b.tar");
	assert_string_equal(o.cmd[0], "true");
	j = run_preload_join(o.preload_exec, o.npreload_exec, ':');
	assert_string_equal(j, "/usr/bin/true:/bin/sh:/usr/bin/env");
	free(j);
	j = run_preload_join(o.preload_connect, o.npreload_connect, ',');
	assert_string_equal(j, "10.0.0.0/8:443,[2001:db8::/32]:*,192.0.2.1:80");
	free(j);
	/* the shim alone: loaded, nothing enforced */
	assert_int_equal(parse(4, alone, NULL, &o, err), 0);
	assert_string_equal(o.ld_preload, shim);
	assert_int_equal(o.npreload_exec, 0);
}

static void flags_ld_preload_refusals(void **state)
{
	/* {flag, value, words the message must hold}; each with the shim
	 * given unless flag is NULL */
	static const struct {
		const char *flag, *val, *want;
		int with_shim;
	} cases[] = {
	    {"--preload-exec-allowlist", "/usr/bin/true",
	     "--preload-exec-allowlist needs --ld-preload PATH (the shim "
	     "that enforces it)",
	     0},
	    {"--preload-connect-allowlist", "10.0.0.1:80",
	     "--preload-connect-allowlist needs --ld-preload PATH", 0},
	    {"--dlopen-allowlist-from-bundle", "b.tar",
	     "--dlopen-allowlist-from-bundle needs --ld-preload PATH", 0},
	    {"--preload-exec-allowlist", "/usr/bin/true,bin/sh",
	     "entry 2 \"bin/sh\" is not absolute", 1},
	    {"--preload-exec-allowlist", "/usr/bin/../bin/sh",
	     "\"/usr/bin/../bin/sh\"", 1},
	    {"--preload-exec-allowlist", "/usr/bin/a:/usr/bin/b",
	     "separate paths with ','", 1},
	    {"--preload-exec-allowlist", "/usr/bin/true,,/bin/sh",
	     "--preload-exec-allowlist /usr/bin/true,,/bin/sh", 1},
	    {"--preload-connect-allowlist", "example.com:443",
	     "\"example.com:443\"", 1},
	    {"--preload-connect-allowlist", "10.0.0.1/8:80", "10.0.0.1/8", 1},
	    {"--preload-connect-allowlist", "10.0.0.1", "10.0.0.1", 1},
	};
	char *rel[] = {"run", "--ld-preload", "lib/x.so", "true", NULL};
	char *missing[] = {"run", "--ld-preload", "/nonexistent-autonomy.so",
	                   "true", NULL};
	char *dir[] = {"run", "--ld-preload", "/tmp", "true", NULL};
	char *colon[] = {"run", "--ld-preload", "/a:/b.so", "true", NULL};
	char *empty[] = {"run", "--ld-preload=", "true", NULL};
	struct run_opts o;
	char err[256];
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *with[] = {"run",
		                "--ld-preload",
		                shim,
		                (char *)cases[i].flag,
		                (char *)cases[i].val,
		                "true",
		                NULL};
		char *without[] = {"run", (char *)cases[i].flag,
		                   (char *)cases[i].val, "true", NULL};
		int rc = cases[i].with_shim ? parse(6, with, NULL, &o, err)
		                            : parse(4, without, NULL, &o, err);

		assert_int_equal(rc, -1);
		assert_non_null(strstr(err, cases[i].flag));
		if (strstr(err, cases[i].want) == NULL)
			fail_msg("%s %s: %s", cases[i].flag, cases[i].val, err);
	}
	assert_int_equal(parse(4, rel, NULL, &o, err), -1);
	assert_non_null(strstr(err, "--ld-preload lib/x.so: must be an "
	                            "absolute path"));
	assert_int_equal(parse(4, missing, NULL, &o, err), -1);
	assert_non_null(strstr(err, "--ld-preload /nonexistent-autonomy.so: "
	                            "No such file"));
	assert_int_equal(parse(4, dir, NULL, &o, err), -1);
	assert_non_null(strstr(err, "not a regular file"));
	assert_int_equal(parse(4, colon, NULL, &o, err), -1);
	assert_non_null(strstr(err, "':'"));
	assert_int_equal(parse(3, empty, NULL, &o, err), -1);
	assert_non_null(strstr(err, "--ld-preload needs"));
}

static void flags_ld_preload_misplaced_and_cache_dir(void **state)
{
	char *v[] = {"run", "sh", "--ld-preload", "/x.so", NULL};
	char *cache[] = {"run",        "--ld-preload",
	                 shim,         "--dlopen-allowlist-from-bundle",
	                 "acme:1.0.0", "--cache-dir",
	                 "/c",         "true",
	                 NULL};
	struct run_opts o;
	char err[256], buf[512];
	(void)state;

	assert_int_equal(parse(4, v, NULL, &o, err), 0);
	assert_null(o.ld_preload);
	assert_int_equal(o.nmisplaced, 1);
	assert_int_equal(run_corrected_invocation(&o, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "autonomy run --ld-preload /x.so -- sh");
	/* --cache-dir serves the bundle reference of the dlopen flag too */
	assert_int_equal(parse(8, cache, NULL, &o, err), 0);
	assert_string_equal(o.cache_dir, "/c");
}

static void flags_no_landlock(void **state)
{
	char *n[] = {"run", "--no-landlock", "true", NULL};
	char *late[] = {"run", "sh", "--no-landlock", NULL};
	struct run_opts o;
	char err[256];
	(void)state;

	assert_int_equal(parse(3, n, NULL, &o, err), 0);
	assert_int_equal(o.no_landlock, 1);
	assert_string_equal(o.cmd[0], "true");
	/* after the command it is the workload's, and flagged */
	assert_int_equal(parse(3, late, NULL, &o, err), 0);
	assert_int_equal(o.no_landlock, 0);
	assert_int_equal(o.nmisplaced, 1);
	assert_string_equal(o.misplaced[0], "--no-landlock");
}

/* --net: the value wins; else a connect allow-list implies none. */
static void flags_net(void **state)
{
	char *def[] = {"run", "true", NULL};
	char *none[] = {"run", "--net=none", "--allow-landlock-only", "true",
	                NULL};
	char *implied[] = {
	    "run",         "--ld-preload", shim, "--preload-connect-allowlist",
	    "10.0.0.1:80", "true",         NULL};
	char *host[] = {
	    "run",         "--ld-preload", shim,
	    "--net",       "host",         "--preload-connect-allowlist",
	    "10.0.0.1:80", "true",         NULL};
	char *bad[] = {"run", "--net", "bridge", "true", NULL};
	char *late[] = {"run", "sh", "--net", "none", "--allow-landlock-only",
	                NULL};
	struct run_opts o;
	char err[256], buf[512];
	(void)state;

	assert_int_equal(parse(2, def, NULL, &o, err), 0);
	assert_int_equal(o.net, RUN_NET_HOST);
	assert_string_equal(o.net_source, "default");
	assert_int_equal(parse(4, none, NULL, &o, err), 0);
	assert_int_equal(o.net, RUN_NET_NONE);
	assert_int_equal(o.allow_landlock_only, 1);
	assert_string_equal(o.net_source, "--net none");
	assert_int_equal(parse(6, implied, NULL, &o, err), 0);
	assert_int_equal(o.net, RUN_NET_NONE);
	assert_string_equal(o.net_source,
	                    "--preload-connect-allowlist (implies --net none)");
	assert_int_equal(parse(8, host, NULL, &o, err), 0);
	assert_int_equal(o.net, RUN_NET_HOST);
	assert_non_null(strstr(o.net_source, "--net host (explicit"));
	assert_int_equal(parse(4, bad, NULL, &o, err), -1);
	assert_non_null(strstr(err, "--net bridge: unknown value"));
	/* after the command they went to the workload: flagged */
	assert_int_equal(parse(5, late, NULL, &o, err), 0);
	assert_int_equal(o.net, RUN_NET_HOST);
	assert_int_equal(o.nmisplaced, 2);
	assert_int_equal(run_corrected_invocation(&o, buf, sizeof(buf)), 0);
	assert_string_equal(
	    buf, "autonomy run --net none --allow-landlock-only -- sh");
}

/* --helper-uid-base: 64200 by default, a base whose ids stay below
 * nobody, or none. */
static void flags_helper_uid_base(void **state)
{
	char *def[] = {"run", "true", NULL};
	char *high[] = {"run", "--helper-uid-base", "70000", "true", NULL};
	char *low[] = {"run", "--helper-uid-base=1000", "true", NULL};
	char *none[] = {"run", "--helper-uid-base", "none", "true", NULL};
	char *bad[][4] = {{"run", "--helper-uid-base=0", "true", NULL},
	                  {"run", "--helper-uid-base=65530", "true", NULL},
	                  /* its six ids would reach 65534 (nobody) */
	                  {"run", "--helper-uid-base=65529", "true", NULL},
	                  {"run", "--helper-uid-base=-5", "true", NULL},
	                  {"run", "--helper-uid-base=12x", "true", NULL}};
	struct run_opts o;
	char err[256];
	(void)state;

	assert_int_equal(parse(2, def, NULL, &o, err), 0);
	assert_int_equal(o.helper_uid_base, RUN_HELPER_UIDS_DEFAULT);
	assert_int_equal(parse(4, high, NULL, &o, err), -1); /* > 65534 */
	assert_int_equal(parse(3, low, NULL, &o, err), 0);
	assert_int_equal(o.helper_uid_base, 1000);
	assert_int_equal(parse(4, none, NULL, &o, err), 0);
	assert_int_equal(o.helper_uid_base, RUN_HELPER_UIDS_NONE);
	low[1] = "--helper-uid-base=65527"; /* 65527..65533 (7 ids) */
	assert_int_equal(parse(3, low, NULL, &o, err), 0);
	low[1] = "--helper-uid-base=65528"; /* 65534 would be one */
	assert_int_equal(parse(3, low, NULL, &o, err), -1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(3, bad[i], NULL, &o, err), -1);
		assert_non_null(strstr(err, "--helper-uid-base"));
	}
}

static void flags_mavlink(void **state)
{
	char *ok[] = {"run",
	              "--mavlink-endpoint",
	              "tcp:127.0.0.1:5760",
	              "--mavlink-environment=sitl",
	              "true",
	              NULL};
	char *no_env[] = {"run", "--mavlink-endpoint", "tcp:127.0.0.1:5760",
	                  "true", NULL};
	char *no_ep[] = {"run", "--mavlink-environment", "real", "true", NULL};
	char *bad_env[] = {"run",
	                   "--mavlink-endpoint",
	                   "udp:1.2.3.4:5",
	                   "--mavlink-environment",
	                   "lab",
	                   "true",
	                   NULL};
	char *twice[] = {"run",
	                 "--mavlink-endpoint",
	                 "udp:1.2.3.4:5",
	                 "--mavlink-endpoint",
	                 "udp:1.2.3.4:6",
	                 "true",
	                 NULL};
	struct run_opts o;
	char err[256];
	(void)state;

	assert_int_equal(parse(5, ok, NULL, &o, err), 0);
	assert_string_equal(o.mavlink_endpoint, "tcp:127.0.0.1:5760");
	assert_string_equal(o.mavlink_environment, "sitl");
	assert_int_equal(parse(4, no_env, NULL, &o, err), -1);
	assert_non_null(strstr(err, "needs --mavlink-environment"));
	assert_int_equal(parse(4, no_ep, NULL, &o, err), -1);
	assert_non_null(strstr(err, "needs --mavlink-endpoint"));
	assert_int_equal(parse(6, bad_env, NULL, &o, err), -1);
	assert_non_null(strstr(err, "sitl or real"));
	assert_int_equal(parse(6, twice, NULL, &o, err), -1);
	assert_non_null(strstr(err, "given twice"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(flags_mavlink),
	    cmocka_unit_test(flags_stop_at_first_non_flag),
	    cmocka_unit_test(flags_double_dash),
	    cmocka_unit_test(flags_dir_equals_form),
	    cmocka_unit_test(flags_flag_beats_env),
	    cmocka_unit_test(flags_errors_name_the_flag),
	    cmocka_unit_test(flags_corrected_invocation),
	    cmocka_unit_test(flags_policy_and_cache_dir),
	    cmocka_unit_test(flags_policy_misplaced),
	    cmocka_unit_test(flags_seccomp),
	    cmocka_unit_test(flags_cap_drop),
	    cmocka_unit_test(flags_read_only_rootfs_and_tmpfs),
	    cmocka_unit_test(flags_writable_mount),
	    cmocka_unit_test(flags_ld_preload),
	    cmocka_unit_test(flags_ld_preload_refusals),
	    cmocka_unit_test(flags_ld_preload_misplaced_and_cache_dir),
	    cmocka_unit_test(flags_no_landlock),
	    cmocka_unit_test(flags_net),
	    cmocka_unit_test(flags_helper_uid_base),
	};
	return cmocka_run_group_tests(tests, shim_setup, shim_teardown);
}
