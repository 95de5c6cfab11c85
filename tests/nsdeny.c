/* Runs a command where the kernel refuses new namespaces, as it does
 * nested in a container whose seccomp profile forbids them (Docker's
 * default, without CAP_SYS_ADMIN): unshare and setns fail with EPERM,
 * clone with any CLONE_NEW* flag too, and clone3 (whose flags sit in
 * memory a filter cannot read) with ENOSYS, so libc falls back to clone.
 * The filter is inherited by everything CMD starts. For test_net.py.
 *
 *   nsdeny CMD [ARGS...]
 */
#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static const int new_ns[] = {CLONE_NEWNET,   CLONE_NEWNS,  CLONE_NEWUSER,
                             CLONE_NEWPID,   CLONE_NEWIPC, CLONE_NEWUTS,
                             CLONE_NEWCGROUP};

static int deny_namespaces(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int rc;

	if (ctx == NULL)
		return -ENOMEM;
	rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(unshare), 0);
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
		                      SCMP_SYS(setns), 0);
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
		                      SCMP_SYS(clone3), 0);
	for (size_t i = 0; rc == 0 && i < sizeof(new_ns) / sizeof(*new_ns); i++)
		rc = seccomp_rule_add(
		    ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
		    SCMP_A0(SCMP_CMP_MASKED_EQ, (scmp_datum_t)new_ns[i],
		            (scmp_datum_t)new_ns[i]));
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	return rc;
}

int main(int argc, char **argv)
{
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: nsdeny CMD [ARGS...]\n");
		return 64;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		perror("nsdeny: PR_SET_NO_NEW_PRIVS");
		return 70;
	}
	if ((rc = deny_namespaces()) != 0) {
		fprintf(stderr, "nsdeny: seccomp: %s\n", strerror(-rc));
		return 70;
	}
	execvp(argv[1], argv + 1);
	fprintf(stderr, "nsdeny: %s: %s\n", argv[1], strerror(errno));
	return 127;
}
