#include "flags.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "allowlist.h"
#include "capdrop.h"
#include "log.h"

const char run_usage[] =
    "usage: autonomy run [--dir PATH] [--keep] [--policy REF|PATH]\n"
    "                    [--cache-dir DIR] [--seccomp-profile PATH |\n"
    "                    --no-seccomp] [--cap-drop CAP[,CAP...]]...\n"
    "                    [--read-only-rootfs] [--tmpfs PATH[:exec][,...]]...\n"
    "                    [--writable-mount HOST:CONTAINER[:ro|:rw]]...\n"
    "                    [--image REF]\n"
    "                    [--ld-preload PATH [--preload-exec-allowlist\n"
    "                    PATH[,PATH...]]... [--preload-connect-allowlist\n"
    "                    DEST[,DEST...]]... [--dlopen-allowlist-from-bundle\n"
    "                    B]] [--no-landlock] [--net none|host]\n"
    "                    [--allow-landlock-only] [--helper-uid-base N|none]\n"
    "                    [--allow-domain HOST[:PORT]]... [--ca-file PATH]\n"
    "                    [--allow-host HOST[:PORT]]... [--egress-audit-log\n"
    "                    PATH] [--egress-max-body-bytes N]\n"
    "                    [--mavlink-endpoint E --mavlink-environment\n"
    "                    sitl|real]\n"
    "                    [--] CMD [ARGS...]\n"
    "\n"
    "Runs CMD under policy governance. CMD gets AUTONOMY_RUNTIME_URL and\n"
    "AUTONOMY_RUNTIME_TOKEN; every POST /v1/tool it makes is decided by\n"
    "the policy and written ahead to the WAL.\n"
    "\n"
    "  --dir PATH   keep the WAL in PATH (created if missing; never\n"
    "               removed). Also AUTONOMY_RUN_WAL_DIR; the flag wins.\n"
    "  --keep       keep the temporary WAL directory at exit\n"
    "  --policy B   decide with bundle B: a directory, a .tar, a cache\n"
    "               reference name:version or name@sha256:<hex>, or\n"
    "               builtin:demo / builtin:mavlink-demo (default: the\n"
    "               embedded demo policy). Validated before anything\n"
    "               starts; see docs/bundles.md\n"
    "  --cache-dir DIR  the bundle cache for a reference (default\n"
    "               $XDG_DATA_HOME/autonomy/cache)\n"
    "  --seccomp-profile PATH  the workload's seccomp filter from a\n"
    "               Docker/OCI seccomp JSON file instead of the embedded\n"
    "               starter profile (which denies mount, unshare,\n"
    "               io_uring, ptrace, keyctl, bpf, ... with EPERM).\n"
    "               Compiled before anything starts\n"
    "  --no-seccomp no workload seccomp profile at all: prints a\n"
    "               WARNING and writes seccomp-opt-out to the WAL\n"
    "  --cap-drop CAP[,CAP...]  drop these capabilities (NET_RAW or\n"
    "               CAP_NET_RAW, any case; ALL) from the workload's\n"
    "               bounding, effective, permitted, inheritable and\n"
    "               ambient sets. Repeatable\n"
    "  --read-only-rootfs  the workload sees every mount of / read-only\n"
    "               (its own mount namespace; the host is unchanged)\n"
    "  --tmpfs PATH[:exec][,...]  an empty tmpfs on PATH (an existing\n"
    "               directory), nosuid,nodev,noexec (:exec allows exec),\n"
    "               at most 64 MiB. Repeatable\n"
    "  --writable-mount HOST:CONTAINER[:ro|:rw]  bind HOST onto the\n"
    "               existing CONTAINER, read-write unless :ro; recorded\n"
    "               in the WAL before the workload starts. Repeatable\n"
    "  --image REF  run CMD with REF as its /: an OCI image-layout\n"
    "               directory (index.json, oci-layout, blobs; DIR:TAG\n"
    "               picks a tagged image), unpacked once into the cache\n"
    "               (--cache-dir DIR/images) and mounted read-only, or a\n"
    "               root filesystem directory. Own mount, pid, ipc and\n"
    "               uts namespaces, a fresh /proc, a minimal /dev; the\n"
    "               other mount flags' paths are then paths in REF\n"
    "  --ld-preload PATH  preload the shim PATH (absolute, e.g.\n"
    "               .../autonomy/libautonomy_preload.so) into the\n"
    "               workload, before any LD_PRELOAD of yours; it enforces\n"
    "               the allow-lists below (preload/README.md). With\n"
    "               --image, PATH is a file in the image\n"
    "  --preload-exec-allowlist PATH[,PATH...]  the only files the\n"
    "               workload may exec (EPERM otherwise). Repeatable. Each\n"
    "               must exist: a Landlock ruleset also grants EXECUTE on\n"
    "               these files only (plus CMD and their interpreters), so\n"
    "               static binaries and raw syscalls get EACCES\n"
    "  --preload-connect-allowlist DEST[,DEST...]  the only addresses\n"
    "               it may connect to besides loopback: a.b.c.d[/len]:PORT,\n"
    "               [v6[/len]]:PORT, PORT a number or *. Repeatable. Landlock\n"
    "               also allows TCP connect to these ports (and the\n"
    "               runtime's) only, on any address; not with a * port\n"
    "  --dlopen-allowlist-from-bundle B  the libraries it may dlopen:\n"
    "               bundle B's dlopen_allowlist (default with --policy:\n"
    "               that bundle's, when its manifest has one)\n"
    "  --no-landlock  no Landlock backing for the allow-lists (the shim\n"
    "               alone): prints a WARNING and writes landlock-opt-out\n"
    "               to the WAL. Without it, a kernel that cannot apply\n"
    "               the ruleset is refused before anything starts\n"
    "  --net none|host  none: the workload gets a network namespace of\n"
    "               its own with only loopback (no route out);\n"
    "               AUTONOMY_RUNTIME_URL still answers inside it. host:\n"
    "               the host's network (the default, unless\n"
    "               --preload-connect-allowlist is given: it implies none)\n"
    "  --allow-landlock-only  where the kernel refuses the workload a\n"
    "               network namespace (nested in a container), run on the\n"
    "               host's network with the other layers: prints a\n"
    "               WARNING, recorded in the WAL. Without it, refused\n"
    "  --helper-uid-base N|none  when run as root: helpers walwriter,\n"
    "               policyd, fetcher and toolsrv run as uids (and gids)\n"
    "               N, N+1, N+2 and N+3; N+4 is the run directory's\n"
    "               group, N+5 walwriter's clients', N+6 mavproxy's\n"
    "               (with --mavlink-endpoint); the spawner stays\n"
    "               root (docs/confinement.md).\n"
    "               Default 64200. Ids the system knows (passwd, group)\n"
    "               are refused. none: they keep our uid\n"
    "  --allow-domain HOST[:PORT]  tool.http_get may fetch from HOST (an\n"
    "               exact name or address, or *.example.com for the\n"
    "               names below it), on PORT or any port. Repeatable;\n"
    "               added to the --policy bundle's runtime.allowed_domains.\n"
    "               With none, every tool.http_get is refused. Loopback,\n"
    "               private, link-local and multicast addresses are\n"
    "               refused unless the host or address is listed exactly\n"
    "  --ca-file PATH  verify tool.http_get's TLS servers against the PEM\n"
    "               CA certificates in PATH instead of the system store\n"
    "  --allow-host HOST[:PORT]  the workload may reach HOST (exact,\n"
    "               *.domain or a.b.c.d; no port: any) through the egress\n"
    "               proxy it gets as HTTP_PROXY / HTTPS_PROXY / ALL_PROXY\n"
    "               (CONNECT and plain HTTP only; HTTPS is tunnelled,\n"
    "               never intercepted). Implies --net none: nothing else\n"
    "               has a route out. Private, loopback, link-local, ...\n"
    "               addresses only when named exactly. Repeatable\n"
    "  --egress-audit-log PATH  also write one JSON line per proxied\n"
    "               request to PATH (appended, created 0600): headers and,\n"
    "               for plain HTTP, bodies; credentials redacted\n"
    "  --egress-max-body-bytes N  body bytes kept per request and\n"
    "               response in the audit log (default 32768)\n"
    "  --mavlink-endpoint tcp:HOST:PORT|udp:HOST:PORT|serial:/dev/PATH:BAUD\n"
    "               the autopilot link for tool.mavlink.* (HOST an IPv4\n"
    "               address). Starts mavproxy; without --policy, the\n"
    "               embedded MAVLink demo policy decides. Without it every\n"
    "               tool.mavlink.* call is refused (mavlink not configured)\n"
    "  --mavlink-environment sitl|real  required with --mavlink-endpoint:\n"
    "               context.runtime.environment for the whole run\n"
    "  --           end of autonomy's flags (optional: flags end at CMD)\n"
    "\n"
    "Exit status: CMD's, 128+N if CMD died of signal N, 64 usage error,\n"
    "70 the runtime failed (a helper died: fail closed), 127 CMD could\n"
    "not be executed.\n";

/* Our flags that take a value ("--flag VALUE" or "--flag=VALUE"). */
static const char *const valued_flags[] = {"--dir",
                                           "--policy",
                                           "--cache-dir",
                                           "--seccomp-profile",
                                           "--cap-drop",
                                           "--tmpfs",
                                           "--writable-mount",
                                           "--image",
                                           "--ld-preload",
                                           "--preload-exec-allowlist",
                                           "--preload-connect-allowlist",
                                           "--dlopen-allowlist-from-bundle",
                                           "--net",
                                           "--helper-uid-base",
                                           "--allow-domain",
                                           "--ca-file",
                                           "--allow-host",
                                           "--egress-audit-log",
                                           "--egress-max-body-bytes",
                                           "--mavlink-endpoint",
                                           "--mavlink-environment",
                                           NULL};

/* The valued flag a is (either form), or NULL. *inline_val is set for
 * the "=" form. */
static const char *valued_flag(const char *a, const char **inline_val)
{
	for (int f = 0; valued_flags[f] != NULL; f++) {
		size_t n = strlen(valued_flags[f]);

		if (strncmp(a, valued_flags[f], n) != 0)
			continue;
		if (a[n] == '\0') {
			*inline_val = NULL;
			return valued_flags[f];
		}
		if (a[n] == '=') {
			*inline_val = a + n + 1;
			return valued_flags[f];
		}
	}
	return NULL;
}

static int is_own_flag(const char *a)
{
	const char *v;

	return strcmp(a, "--keep") == 0 || strcmp(a, "--no-seccomp") == 0 ||
	       strcmp(a, "--read-only-rootfs") == 0 ||
	       strcmp(a, "--no-landlock") == 0 ||
	       strcmp(a, "--allow-landlock-only") == 0 ||
	       valued_flag(a, &v) != NULL;
}

/* A valued flag in its separate form: its value is the next argument. */
static int takes_next(const char *a)
{
	const char *v;

	return valued_flag(a, &v) != NULL && v == NULL;
}

static const char *flag_need(const char *flag)
{
	if (strcmp(flag, "--dir") == 0)
		return "a directory path";
	if (strcmp(flag, "--policy") == 0)
		return "a bundle (a directory, a .tar or name:version)";
	if (strcmp(flag, "--seccomp-profile") == 0)
		return "a Docker/OCI seccomp JSON file";
	if (strcmp(flag, "--cap-drop") == 0)
		return "capability names (CAP[,CAP...] or ALL)";
	if (strcmp(flag, "--tmpfs") == 0)
		return "absolute paths (PATH[:exec][,PATH...])";
	if (strcmp(flag, "--writable-mount") == 0)
		return "HOST:CONTAINER[:ro|:rw]";
	if (strcmp(flag, "--ld-preload") == 0)
		return "the shim's absolute path";
	if (strcmp(flag, "--image") == 0)
		return "an OCI image layout or a root filesystem directory";
	if (strcmp(flag, "--preload-exec-allowlist") == 0)
		return "absolute paths (PATH[,PATH...])";
	if (strcmp(flag, "--preload-connect-allowlist") == 0)
		return "destinations (a.b.c.d[/len]:PORT or [v6[/len]]:PORT, "
		       "comma-separated)";
	if (strcmp(flag, "--dlopen-allowlist-from-bundle") == 0)
		return "a bundle (a directory, a .tar or name:version)";
	if (strcmp(flag, "--net") == 0)
		return "none or host";
	if (strcmp(flag, "--helper-uid-base") == 0)
		return "a uid or none";
	if (strcmp(flag, "--allow-domain") == 0)
		return "a host (api.example.com, *.example.com, 10.0.0.1), "
		       "optionally :PORT";
	if (strcmp(flag, "--ca-file") == 0)
		return "a PEM file of CA certificates";
	if (strcmp(flag, "--allow-host") == 0)
		return "a host the workload may reach through the egress proxy "
		       "(api.example.com, *.example.com, 10.0.0.1), optionally "
		       ":PORT";
	if (strcmp(flag, "--egress-audit-log") == 0)
		return "a file for the egress proxy's JSON lines";
	if (strcmp(flag, "--egress-max-body-bytes") == 0)
		return "a byte count (0 to 16777216)";
	if (strcmp(flag, "--mavlink-endpoint") == 0)
		return "tcp:HOST:PORT, udp:HOST:PORT or serial:/dev/PATH:BAUD";
	if (strcmp(flag, "--mavlink-environment") == 0)
		return "sitl or real";
	return "a directory";
}

char *run_preload_join(const char *const *vals, int n, char sep)
{
	size_t len = 1, off = 0;
	char *s;

	for (int i = 0; i < n; i++)
		len += strlen(vals[i]) + 1;
	if ((s = malloc(len)) == NULL)
		return NULL;
	for (int i = 0; i < n; i++) {
		if (i > 0)
			s[off++] = sep;
		for (const char *p = vals[i]; *p; p++)
			s[off++] = *p == ',' ? sep : *p;
	}
	s[off] = '\0';
	return s;
}

/* The shim's parsers, each behind one signature (their lists differ). */
static int parse_exec(const char *s, char *msg, size_t len)
{
	struct preload_paths *l = malloc(sizeof(*l));
	int rc;

	if (l == NULL)
		return errorf(msg, len, "%s", strerror(ENOMEM));
	rc = preload_parse_exec_list(s, l, msg, len);
	free(l);
	return rc;
}

static int parse_connect(const char *s, char *msg, size_t len)
{
	struct preload_nets *l = malloc(sizeof(*l));
	int rc;

	if (l == NULL)
		return errorf(msg, len, "%s", strerror(ENOMEM));
	rc = preload_parse_connect_list(s, l, msg, len);
	free(l);
	return rc;
}

/* An allow-list flag's values, as the shim will read them joined with
 * sep: each value alone (so the parser's "entry N" counts within what
 * the user wrote), then all of them joined (the shim's bounds are for
 * the whole variable). A value holding sep itself is refused when sep
 * is not ',' (it would split an entry nobody wrote). */
static int check_allowlist(const char *flag, const char *const *vals, int n,
                           char sep, int (*parse)(const char *, char *, size_t),
                           char *err, size_t errlen)
{
	char msg[PRELOAD_ERR_MAX];
	char *j;

	for (int i = 0; i <= n; i++) {
		const char *v = i < n ? vals[i] : "(all values together)";
		if (i < n && sep != ',' && strchr(v, sep) != NULL)
			return errorf(err, errlen,
			              "%s %s: a path with '%c' cannot be given "
			              "(separate paths with ',')",
			              flag, v, sep);
		j = i < n ? run_preload_join(&vals[i], 1, sep)
		          : run_preload_join(vals, n, sep);
		if (j == NULL)
			return errorf(err, errlen, "%s: %s", flag,
			              strerror(ENOMEM));
		if (parse(j, msg, sizeof(msg)) < 0) {
			free(j);
			return errorf(err, errlen, "%s %s: %s", flag, v, msg);
		}
		free(j);
	}
	return 0;
}

/* Whether path has a ".." component. */
static int has_dotdot(const char *path)
{
	for (const char *c = path; (c = strstr(c, "..")) != NULL; c += 2)
		if ((c == path || c[-1] == '/') &&
		    (c[2] == '\0' || c[2] == '/'))
			return 1;
	return 0;
}

/* The LD_PRELOAD layer's flags. The allow-lists mean nothing without the
 * shim that enforces them: refused rather than silently not enforced. */
static int check_preload(const struct run_opts *o, char *err, size_t errlen)
{
	const char *list =
	    o->npreload_exec > 0       ? "--preload-exec-allowlist"
	    : o->npreload_connect > 0  ? "--preload-connect-allowlist"
	    : o->dlopen_bundle != NULL ? "--dlopen-allowlist-from-bundle"
	                               : NULL;
	const char *p = o->ld_preload;
	struct stat st;

	if (p == NULL) {
		if (list != NULL)
			return errorf(err, errlen,
			              "%s needs --ld-preload PATH (the shim "
			              "that enforces it)",
			              list);
		return 0;
	}
	if (p[0] != '/')
		return errorf(err, errlen,
		              "--ld-preload %s: must be an absolute path (the "
		              "shim's file, libautonomy_preload.so)",
		              p);
	/* ld.so splits LD_PRELOAD on ':' and white space. */
	if (strpbrk(p, ": \t\n") != NULL)
		return errorf(err, errlen,
		              "--ld-preload %s: a path with ':' or white space "
		              "cannot be preloaded",
		              p);
	if (o->image != NULL) {
		/* The image's file: image_run.c looks it up there once
		 * the image is resolved (still before anything runs). */
		if (has_dotdot(p))
			return errorf(
			    err, errlen,
			    "--ld-preload %s: a path in the image "
			    "cannot have a \"..\" component (give the "
			    "file's own path)",
			    p);
	} else if (stat(p, &st) < 0) {
		return errorf(err, errlen, "--ld-preload %s: %s", p,
		              strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		return errorf(err, errlen,
		              "--ld-preload %s: not a regular file (give the "
		              "shim's .so)",
		              p);
	}
	if (check_allowlist("--preload-exec-allowlist",
	                    (const char *const *)o->preload_exec,
	                    o->npreload_exec, ':', parse_exec, err,
	                    errlen) < 0 ||
	    check_allowlist("--preload-connect-allowlist",
	                    (const char *const *)o->preload_connect,
	                    o->npreload_connect, ',', parse_connect, err,
	                    errlen) < 0)
		return -1;
	return 0;
}

/* --egress-max-body-bytes: 0..16 MiB, digits only. */
static int parse_max_body(const char *v, long *out)
{
	size_t n = strlen(v);
	long x = 0;

	if (n == 0 || n > 8 || strspn(v, "0123456789") != n)
		return -1;
	for (size_t i = 0; i < n; i++)
		x = x * 10 + (v[i] - '0');
	if (x > 16L * 1024 * 1024)
		return -1;
	*out = x;
	return 0;
}

/* The network layer's mode: --net wins; else a connect allow-list
 * implies a namespace (loopback only), since the shim alone can be
 * bypassed; else the host's network. */
static int check_net(struct run_opts *o, char *err, size_t errlen)
{
	if (o->nallow_host == 0 &&
	    (o->egress_audit_log != NULL || o->egress_max_body >= 0))
		return errorf(err, errlen,
		              "%s: there is no egress proxy without "
		              "--allow-host HOST[:PORT]",
		              o->egress_audit_log != NULL
		                  ? "--egress-audit-log"
		                  : "--egress-max-body-bytes");
	/* The proxy is the workload's only way out, so it needs the
	 * namespace that has no other. */
	if (o->nallow_host > 0 && o->net_flag != NULL &&
	    strcmp(o->net_flag, "none") != 0)
		return errorf(
		    err, errlen,
		    "--allow-host with --net %s: the egress proxy "
		    "is enforced only with --net none (the workload's "
		    "own network namespace, whose only way out is the "
		    "proxy); drop --net %s",
		    o->net_flag, o->net_flag);
	if (o->net_flag == NULL && o->nallow_host > 0) {
		o->net = RUN_NET_NONE;
		o->net_source = "--allow-host (implies --net none)";
		return 0;
	}
	if (o->net_flag == NULL) {
		o->net = o->npreload_connect > 0 ? RUN_NET_NONE : RUN_NET_HOST;
		o->net_source = o->npreload_connect > 0
		                    ? "--preload-connect-allowlist (implies "
		                      "--net none)"
		                    : "default";
		return 0;
	}
	if (strcmp(o->net_flag, "none") == 0) {
		o->net = RUN_NET_NONE;
		o->net_source = "--net none";
	} else if (strcmp(o->net_flag, "host") == 0) {
		o->net = RUN_NET_HOST;
		o->net_source = o->npreload_connect > 0
		                    ? "--net host (explicit, with "
		                      "--preload-connect-allowlist: the shim "
		                      "alone enforces it)"
		                    : "--net host";
	} else {
		return errorf(err, errlen,
		              "--net %s: unknown value (give none: a network "
		              "namespace with only loopback, or host)",
		              o->net_flag);
	}
	return 0;
}

/* "none", or a number N such that N..N+RUN_HELPER_IDS-1 are ordinary
 * ids below nobody (65534), so they also exist in a user namespace that
 * maps 65536 ids. */
static int parse_uid_base(const char *val, struct run_opts *o, char *err,
                          size_t errlen)
{
	char *end;
	unsigned long v;

	if (strcmp(val, "none") == 0) {
		o->helper_uid_base = RUN_HELPER_UIDS_NONE;
		return 0;
	}
	errno = 0;
	v = strtoul(val, &end, 10);
	if (errno != 0 || *end != '\0' || val[0] < '0' || val[0] > '9' ||
	    v < 1 || v + RUN_HELPER_IDS > 65534)
		return errorf(err, errlen,
		              "--helper-uid-base %s: give a number from 1 to "
		              "%d (the helpers get it and the next %d ids), or "
		              "none",
		              val, 65534 - RUN_HELPER_IDS, RUN_HELPER_IDS - 1);
	o->helper_uid_base = (long)v;
	return 0;
}

int run_parse_flags(int argc, char **argv, const char *env_wal_dir,
                    struct run_opts *o, char *err, size_t errlen)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->helper_uid_base = RUN_HELPER_UIDS_DEFAULT;
	o->egress_max_body = -1;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *flag, *val;

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			break; /* the workload's command */
		if (strcmp(a, "--keep") == 0) {
			o->keep = 1;
		} else if (strcmp(a, "--no-seccomp") == 0) {
			o->no_seccomp = 1;
		} else if (strcmp(a, "--read-only-rootfs") == 0) {
			o->mounts.read_only_rootfs = 1;
		} else if (strcmp(a, "--no-landlock") == 0) {
			o->no_landlock = 1;
		} else if (strcmp(a, "--allow-landlock-only") == 0) {
			o->allow_landlock_only = 1;
		} else if ((flag = valued_flag(a, &val)) != NULL) {
			if (val == NULL && i + 1 < argc)
				val = argv[++i];
			if (val == NULL || val[0] == '\0')
				return errorf(err, errlen, "%s needs %s", flag,
				              flag_need(flag));
			if (strcmp(flag, "--dir") == 0) {
				o->wal_dir = val;
			} else if (strcmp(flag, "--policy") == 0) {
				o->policy = val;
			} else if (strcmp(flag, "--seccomp-profile") == 0) {
				o->seccomp_profile = val;
			} else if (strcmp(flag, "--cap-drop") == 0) {
				if (o->ncap_drop >= RUN_MAX_CAP_DROP)
					return errorf(
					    err, errlen,
					    "--cap-drop: more than %d "
					    "given (list them: "
					    "CAP,CAP,...)",
					    RUN_MAX_CAP_DROP);
				if (capdrop_parse(val, &o->cap_drop_mask, err,
				                  errlen) < 0)
					return -1;
				o->cap_drop[o->ncap_drop++] = val;
			} else if (strcmp(flag, "--tmpfs") == 0) {
				/* each value adds one entry or more, and
				 * at most MOUNTS_MAX_TMPFS fit */
				if (mounts_add_tmpfs(&o->mounts, val, err,
				                     errlen) < 0)
					return -1;
				o->tmpfs[o->ntmpfs++] = val;
			} else if (strcmp(flag, "--writable-mount") == 0) {
				if (mounts_add_writable(&o->mounts, val, err,
				                        errlen) < 0)
					return -1;
				o->writable[o->nwritable++] = val;
			} else if (strcmp(flag, "--ld-preload") == 0) {
				o->ld_preload = val;
			} else if (strcmp(flag, "--image") == 0) {
				o->image = val;
			} else if (strcmp(flag, "--preload-exec-allowlist") ==
			           0) {
				if (o->npreload_exec >= RUN_MAX_PRELOAD_FLAGS)
					return errorf(err, errlen,
					              "%s: more than %d given "
					              "(list them: A,B,...)",
					              flag,
					              RUN_MAX_PRELOAD_FLAGS);
				o->preload_exec[o->npreload_exec++] = val;
			} else if (strcmp(flag,
			                  "--preload-connect-allowlist") == 0) {
				if (o->npreload_connect >=
				    RUN_MAX_PRELOAD_FLAGS)
					return errorf(err, errlen,
					              "%s: more than %d given "
					              "(list them: A,B,...)",
					              flag,
					              RUN_MAX_PRELOAD_FLAGS);
				o->preload_connect[o->npreload_connect++] = val;
			} else if (strcmp(flag,
			                  "--dlopen-allowlist-from-bundle") ==
			           0) {
				o->dlopen_bundle = val;
			} else if (strcmp(flag, "--net") == 0) {
				o->net_flag = val;
			} else if (strcmp(flag, "--helper-uid-base") == 0) {
				if (parse_uid_base(val, o, err, errlen) < 0)
					return -1;
			} else if (strcmp(flag, "--allow-domain") == 0) {
				if (o->nallow_domain >= RUN_MAX_ALLOW_DOMAINS)
					return errorf(err, errlen,
					              "%s: more than %d given",
					              flag,
					              RUN_MAX_ALLOW_DOMAINS);
				o->allow_domain[o->nallow_domain++] = val;
			} else if (strcmp(flag, "--ca-file") == 0) {
				o->ca_file = val;
			} else if (strcmp(flag, "--allow-host") == 0) {
				if (o->nallow_host >= RUN_MAX_ALLOW_DOMAINS)
					return errorf(err, errlen,
					              "%s: more than %d given",
					              flag,
					              RUN_MAX_ALLOW_DOMAINS);
				o->allow_host[o->nallow_host++] = val;
			} else if (strcmp(flag, "--egress-audit-log") == 0) {
				o->egress_audit_log = val;
			} else if (strcmp(flag, "--egress-max-body-bytes") ==
			           0) {
				if (parse_max_body(val, &o->egress_max_body) <
				    0)
					return errorf(
					    err, errlen,
					    "%s %s: give a byte count "
					    "from 0 to 16777216",
					    flag, val);
			} else if (strcmp(flag, "--mavlink-endpoint") == 0) {
				if (o->mavlink_endpoint != NULL)
					return errorf(err, errlen,
					              "%s: given twice (one "
					              "autopilot link per run)",
					              flag);
				o->mavlink_endpoint = val;
			} else if (strcmp(flag, "--mavlink-environment") == 0) {
				if (o->mavlink_environment != NULL)
					return errorf(err, errlen,
					              "%s: given twice (it is "
					              "fixed for the run)",
					              flag);
				if (strcmp(val, "sitl") != 0 &&
				    strcmp(val, "real") != 0)
					return errorf(err, errlen,
					              "%s %s: must be sitl or "
					              "real",
					              flag, val);
				o->mavlink_environment = val;
			} else {
				o->cache_dir = val;
			}
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			o->help = 1;
			return 0;
		} else {
			return errorf(
			    err, errlen,
			    "unknown flag %s (see 'autonomy run --help')", a);
		}
	}
	if (i >= argc)
		return errorf(err, errlen,
		              "missing the command to run "
		              "(usage: autonomy run [flags] CMD [ARGS...])");
	o->cmd = &argv[i];
	o->ncmd = argc - i;
	/* Before any side effect: a user who asked for both would get
	 * one of them silently. */
	if (o->seccomp_profile != NULL && o->no_seccomp)
		return errorf(err, errlen,
		              "--seccomp-profile and --no-seccomp exclude each "
		              "other (give one)");
	/* With --image the mount points are the image's: checked there
	 * once it is resolved (image_run.c), still before anything runs. */
	if (o->image == NULL && mounts_check(&o->mounts, err, errlen) < 0)
		return -1;
	if (check_preload(o, err, errlen) < 0 || check_net(o, err, errlen) < 0)
		return -1;
	/* The environment is a fact policies rely on: never defaulted,
	 * never without the link it describes. */
	if (o->mavlink_endpoint != NULL && o->mavlink_environment == NULL)
		return errorf(err, errlen,
		              "--mavlink-endpoint needs --mavlink-environment "
		              "sitl|real (say whether the vehicle is simulated "
		              "or real; it is context.runtime.environment)");
	if (o->mavlink_environment != NULL && o->mavlink_endpoint == NULL)
		return errorf(err, errlen,
		              "--mavlink-environment needs --mavlink-endpoint "
		              "(there is no autopilot link to describe)");
	if (o->cache_dir != NULL && o->policy == NULL &&
	    o->dlopen_bundle == NULL && o->image == NULL)
		return errorf(err, errlen,
		              "--cache-dir is only used with --policy "
		              "name:version or --image (neither given)");
	if (o->wal_dir == NULL && env_wal_dir != NULL && *env_wal_dir) {
		o->wal_dir = env_wal_dir;
		o->wal_dir_from_env = 1;
	}
	for (int j = 1; j < o->ncmd && o->nmisplaced < RUN_MAX_MISPLACED; j++)
		if (is_own_flag(o->cmd[j]))
			o->misplaced[o->nmisplaced++] = o->cmd[j];
	return 0;
}

static void append(char *buf, size_t len, size_t *off, const char *s)
{
	int n;

	if (*off >= len)
		return;
	n = snprintf(buf + *off, len - *off, "%s", s);
	if (n > 0)
		*off += (size_t)n;
}

/* Quotes an argument for a POSIX shell when it needs it. */
static void append_arg(char *buf, size_t len, size_t *off, const char *a)
{
	append(buf, len, off, " ");
	if (*a != '\0' && strspn(a, "abcdefghijklmnopqrstuvwxyz"
	                            "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	                            "-_./=:,+@%") == strlen(a)) {
		append(buf, len, off, a);
		return;
	}
	append(buf, len, off, "'");
	for (const char *p = a; *p; p++) {
		char c[2] = {*p, 0};
		append(buf, len, off, *p == '\'' ? "'\\''" : c);
	}
	append(buf, len, off, "'");
}

int run_corrected_invocation(const struct run_opts *o, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	append(buf, len, &off, "autonomy run");
	for (int j = 1; j < o->ncmd; j++) {
		if (!is_own_flag(o->cmd[j]))
			continue;
		append_arg(buf, len, &off, o->cmd[j]);
		if (takes_next(o->cmd[j]) && j + 1 < o->ncmd)
			append_arg(buf, len, &off, o->cmd[++j]);
	}
	append(buf, len, &off, " --");
	for (int j = 0; j < o->ncmd; j++) {
		if (j > 0 && is_own_flag(o->cmd[j])) {
			if (takes_next(o->cmd[j]) && j + 1 < o->ncmd)
				j++;
			continue;
		}
		append_arg(buf, len, &off, o->cmd[j]);
	}
	return off < len ? 0 : -1;
}
