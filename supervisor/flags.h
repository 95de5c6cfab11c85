/* Command-line parsing for `autonomy run`. Pure: no side effects (it
 * only reads: --writable-mount, --tmpfs and --ld-preload paths are
 * stat'ed), so the rules (flags end at the first non-flag argument,
 * flag-over-environment for the WAL dir, misplaced-flag detection) are
 * unit-tested directly. */
#ifndef AUTONOMY_FLAGS_H
#define AUTONOMY_FLAGS_H

#include <stddef.h>
#include <stdint.h>

#include "mounts.h"

#define RUN_MAX_MISPLACED 8
#define RUN_MAX_CAP_DROP 64
#define RUN_MAX_PRELOAD_FLAGS 64  /* each --preload-*-allowlist, given */
#define RUN_MAX_ALLOW_DOMAINS 256 /* --allow-domain, given */

enum { RUN_NET_HOST, RUN_NET_NONE };

/* --helper-uid-base: as root, walwriter, policyd, the fetcher and
 * toolsrv run as uid and gid base+0..3 (run.c, helper_id_offset); the
 * spawner stays root; base+4 is the run directory's group, base+5 the
 * group of walwriter's clients (policyd, the fetcher, mavproxy); base+6
 * is mavproxy's. */
#define RUN_HELPER_IDS 7
#define RUN_HELPER_UIDS_DEFAULT 64200
#define RUN_HELPER_UIDS_NONE (-1L)

struct run_opts {
	const char *wal_dir;   /* pinned WAL dir, or NULL for a temp dir */
	int wal_dir_from_env;  /* pinned by AUTONOMY_RUN_WAL_DIR */
	int keep;              /* --keep */
	const char *policy;    /* --policy REF|PATH, or NULL: the embedded
	                          demo policy */
	const char *cache_dir; /* --cache-dir DIR: the bundle cache for a
	                          --policy reference */
	/* The workload's seccomp layer: the starter profile unless one
	 * of these (never both). */
	const char *seccomp_profile; /* --seccomp-profile PATH */
	int no_seccomp;              /* --no-seccomp: loud, audited */
	/* --cap-drop, each value as given (the spawner parses them again)
	 * and their union, names checked with libcap-ng. */
	const char *cap_drop[RUN_MAX_CAP_DROP];
	int ncap_drop;
	uint64_t cap_drop_mask;
	/* The filesystem layer: --read-only-rootfs, --tmpfs and
	 * --writable-mount, parsed and checked (mounts.h); the values as
	 * given go to the spawner, which parses them again. */
	struct mount_plan mounts;
	const char *tmpfs[MOUNTS_MAX_TMPFS];
	int ntmpfs;
	const char *writable[MOUNTS_MAX_WRITABLE];
	int nwritable;
	/* --image REF: the workload's root (image_run.c resolves it);
	 * then the mount points and --ld-preload are paths in it. */
	const char *image;
	/* The LD_PRELOAD layer (preload/README.md): the shim and its
	 * allow-lists, each value as given ("A,B"), every entry checked
	 * with the shim's own parsers (preload/allowlist.h). */
	const char *ld_preload; /* --ld-preload PATH */
	const char *preload_exec[RUN_MAX_PRELOAD_FLAGS];
	int npreload_exec;
	const char *preload_connect[RUN_MAX_PRELOAD_FLAGS];
	int npreload_connect;
	/* --dlopen-allowlist-from-bundle B: resolved by run.c like
	 * --policy. */
	const char *dlopen_bundle;
	/* --no-landlock: the allow-lists get no Landlock backing (loud,
	 * audited); by default the spawner backs them (spawner/landlock.h) */
	int no_landlock;
	int help;   /* --help: print usage, exit 0 */
	char **cmd; /* the workload's argv (NULL-terminated) */
	int ncmd;
	/* Our own flags found among the workload's arguments (e.g.
	 * `autonomy run sh x.sh --keep`): they went to the workload, and the
	 * footprint panel says so with the corrected invocation. */
	const char *misplaced[RUN_MAX_MISPLACED];
	int nmisplaced;
	/* The network layer (supervisor/netns.h): RUN_NET_HOST or
	 * RUN_NET_NONE after the rules (--net wins; else
	 * --preload-connect-allowlist implies none), and why, for the WAL.
	 * net_flag is --net's value as given, or NULL. */
	int net;
	const char *net_flag;
	const char *net_source;
	int allow_landlock_only; /* --allow-landlock-only */
	long helper_uid_base;    /* --helper-uid-base, or RUN_HELPER_UIDS_NONE;
	                            used only when we run as root */
	/* tool.http_get's runtime layer (the fetcher; fetch_run.h):
	 * --allow-domain values as given (checked by fetch_prepare with
	 * the fetcher's parser) and --ca-file. */
	const char *allow_domain[RUN_MAX_ALLOW_DOMAINS];
	int nallow_domain;
	const char *ca_file;
	/* The workload's egress proxy (egress_run.h): --allow-host values
	 * as given (implies --net none; checked by egress_prepare with the
	 * fetcher's parser), --egress-audit-log, --egress-max-body-bytes
	 * (-1: not given). */
	const char *allow_host[RUN_MAX_ALLOW_DOMAINS];
	int nallow_host;
	const char *egress_audit_log;
	long egress_max_body;
	/* tool.mavlink.*'s link (mavproxy; mav_run.h): --mavlink-endpoint
	 * as given (parsed by mav_prepare) and --mavlink-environment (sitl
	 * or real; required with the endpoint, refused without). */
	const char *mavlink_endpoint;
	const char *mavlink_environment;
};

/* argv[0] is "run". env_wal_dir is getenv("AUTONOMY_RUN_WAL_DIR").
 * Returns 0, or -1 with a message naming the flag at fault in err. */
int run_parse_flags(int argc, char **argv, const char *env_wal_dir,
                    struct run_opts *o, char *err, size_t errlen);

/* Writes the invocation the user probably meant: our misplaced flags
 * moved before the command, `--` before it. */
int run_corrected_invocation(const struct run_opts *o, char *buf, size_t len);

/* The values of one repeatable --preload-*-allowlist flag joined into
 * the shim's variable: every ',' between entries and between values
 * becomes sep (':' for paths, ',' for destinations). malloc'd; NULL when
 * out of memory. */
char *run_preload_join(const char *const *vals, int n, char sep);

extern const char run_usage[];

#endif
