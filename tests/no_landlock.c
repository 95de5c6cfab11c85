/* Runs a command as if the kernel had no Landlock, for
 * tests/integration/test_landlock.py: a seccomp filter makes
 * landlock_create_ruleset fail (ENOSYS: not built in; EOPNOTSUPP: built
 * in, not enabled), and everything the command starts inherits it.
 *
 *   no_landlock ENOSYS|EOPNOTSUPP CMD [ARGS...]
 *
 * A test helper, not a boundary: only the native syscall number is
 * matched (the call has one number on every architecture). */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int err;

	if (argc < 3 || (strcmp(argv[1], "ENOSYS") != 0 &&
	                 strcmp(argv[1], "EOPNOTSUPP") != 0)) {
		fprintf(stderr, "usage: no_landlock ENOSYS|EOPNOTSUPP CMD "
		                "[ARGS...]\n");
		return 64;
	}
	err = strcmp(argv[1], "ENOSYS") == 0 ? ENOSYS : EOPNOTSUPP;
	struct sock_filter insns[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	             offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_landlock_create_ruleset, 0,
	             1),
	    BPF_STMT(BPF_RET | BPF_K,
	             SECCOMP_RET_ERRNO | ((unsigned)err & SECCOMP_RET_DATA)),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {sizeof(insns) / sizeof(*insns), insns};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
		perror("no_landlock: seccomp");
		return 70;
	}
	execvp(argv[2], argv + 2);
	perror(argv[2]);
	return 127;
}
