/* The spawner's confinement, and why it is unlike every other helper's.
 *
 * Whatever the spawner applies to itself the workload inherits: the
 * seccomp filter and no-new-privs survive fork and execve, and so do
 * rlimits. The workload's own seccomp profile (the starter, or
 * --seccomp-profile) and --cap-drop are applied in the forked child,
 * between fork and exec (layers.c), stacked on this filter: the kernel
 * runs both and the strictest answer wins, so this list stays under any
 * profile, --no-seccomp included. The workload's mount namespace and
 * mounts are made there too, its Landlock ruleset restricts it there
 * (landlock.c), and with --image its pid, ipc and uts namespaces,
 * pivot_root, /proc and /dev (rootfs.c). So the spawner cannot use an
 * allow-list of its own few calls: that would forbid the workload (any
 * program at all) and the child's sandbox set-up (unshare, mount,
 * pivot_root, setns, capset, seccomp, landlock_*).
 *
 * Instead its filter is a deny-list, default allow, of calls that
 * neither the spawner, nor the sandbox set-up, nor an ordinary workload
 * ever needs, and that act on the whole host rather than on a namespace:
 *
 *   group            calls                                why
 *   kernel code      kexec_load kexec_file_load           replace or
 *                    init_module finit_module             extend the
 *                    delete_module                        running kernel
 *   host power       reboot                               halt the host
 *   host memory      swapon swapoff                       host-wide swap
 *   host accounting  acct                                 writes every
 *                                                         exit to a file
 *   host clock       settimeofday clock_settime           time is not
 *                    clock_adjtime                        namespaced
 *   kernel log       syslog                               read/clear dmesg
 *   raw hardware     iopl ioperm                          I/O ports (x86)
 *   fs handles       open_by_handle_at                    bypasses mount
 *                                                         namespaces
 *                                                         ("shocker")
 *   quotas           quotactl                             host-wide
 *   kernel keyring   add_key request_key keyctl           not namespaced
 *   eBPF             bpf                                  kernel programs
 *   exploit aids     userfaultfd                          stalls the kernel
 *                                                         mid-copy in races
 *   obsolete         uselib lookup_dcookie                no user left
 *
 * Refused calls fail with EPERM rather than killing: a workload that
 * probes (many do, for swap or keyrings) sees the error a container
 * would give it. The same rules cover the compat ABIs (i386 and x32 on
 * x86_64), so a 32-bit workload cannot go around them.
 *
 * no-new-privs: yes (set-id binaries in the workload gain nothing; the
 * later seccomp profile needs it anyway).
 * Capabilities: KEPT. The spawner needs CAP_SYS_ADMIN (and friends) to
 * make the workload's mount namespace and mounts (layers.c), and
 * CAP_SETPCAP to lower the workload's bounding set; the child drops what
 * --cap-drop names before exec (layers.c). Without --cap-drop a workload
 * started by a privileged spawner keeps the spawner's capabilities, limited by
 * the deny-list above and the workload's seccomp profile. rlimits: none set
 * here, because the workload would inherit FSIZE 0 and a low NOFILE; the
 * workload sandbox sets its own. Network: the spawner never opens a socket but
 * its AF_UNIX ipc, yet it cannot forbid socket() for itself without forbidding
 * it for the workload; so it lives in an empty network namespace of its own
 * and the workload joins the host's (or --net none's) back
 * (netjoin_isolate_self, docs/confinement.md). */
#include "sandbox.h"

#include <errno.h>
#include <string.h>

#include "confine.h"
#include "log.h"

static const char *const host_wide[] = {
    "kexec_load",    "kexec_file_load",
    "init_module",   "finit_module",
    "delete_module", "reboot",
    "swapon",        "swapoff",
    "acct",          "settimeofday",
    "clock_settime", "clock_adjtime",
    "syslog",        "iopl",
    "ioperm",        "open_by_handle_at",
    "quotactl",      "add_key",
    "request_key",   "keyctl",
    "bpf",           "userfaultfd",
    "uselib",        "lookup_dcookie",
};

/* The compat ABIs a native process can also enter the kernel through. */
static int add_compat_arches(scmp_filter_ctx ctx)
{
	uint32_t native = seccomp_arch_native();
	uint32_t compat[2];
	size_t n = 0;

	if (native == SCMP_ARCH_X86_64) {
		compat[n++] = SCMP_ARCH_X86;
		compat[n++] = SCMP_ARCH_X32;
	} else if (native == SCMP_ARCH_AARCH64) {
		compat[n++] = SCMP_ARCH_ARM;
	}
	for (size_t i = 0; i < n; i++) {
		int rc = seccomp_arch_add(ctx, compat[i]);
		if (rc != 0 && rc != -EEXIST) {
			log_warnx("seccomp_arch_add: %s", strerror(-rc));
			return -1;
		}
	}
	return 0;
}

int spawner_sandbox(void)
{
	scmp_filter_ctx ctx;

	if (confine_no_new_privs() < 0)
		return -1;
	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL) {
		log_warnx("seccomp_init failed");
		return -1;
	}
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) != 0 ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	                     SCMP_ACT_KILL_PROCESS) != 0 ||
	    add_compat_arches(ctx) < 0)
		goto fail;
	for (size_t i = 0; i < sizeof(host_wide) / sizeof(*host_wide); i++) {
		int nr = seccomp_syscall_resolve_name(host_wide[i]);
		int rc;
		if (nr == __NR_SCMP_ERROR) {
			log_warnx("seccomp: unknown syscall %s", host_wide[i]);
			goto fail;
		}
		/* Calls an arch lacks (iopl on arm64) are skipped by
		 * libseccomp for that arch. */
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
		if (rc != 0) {
			log_warnx("seccomp: cannot deny %s: %s", host_wide[i],
			          strerror(-rc));
			goto fail;
		}
	}
	return confine_seccomp_load(ctx);
fail:
	seccomp_release(ctx);
	return -1;
}
