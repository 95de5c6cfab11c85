/* The image config's User in the spawner's child. See imageuser.h. */
#include "imageuser.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* One byte more than the largest file taken, to see a larger one. The
 * child is a copy of the spawner: these pages are its own. */
static char passwd_buf[ETCPASSWD_MAX_FILE + 1];
static char group_buf[ETCPASSWD_MAX_FILE + 1];

/* path into buf: 1 read, 0 no such file, -1 with *what set (errno too
 * for a read). Non-blocking open: a FIFO in the image must not hang us. */
static int read_file(const char *path, char *buf, size_t *len, int read_err,
                     int big_err, int type_err, int *what)
{
	struct stat st;
	size_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0 && errno == ENOENT)
		return 0;
	*what = read_err;
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		*what = type_err;
		errno = EINVAL;
		goto fail;
	}
	for (;;) {
		ssize_t r = read(fd, buf + n, ETCPASSWD_MAX_FILE + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > ETCPASSWD_MAX_FILE) {
			*what = big_err;
			errno = EFBIG;
			goto fail;
		}
	}
	close(fd);
	*len = n;
	return 1;
fail:
	close(fd);
	return -1;
}

int imageuser_resolve(const char *spec, struct etcpasswd_ids *ids, int *what,
                      size_t *line)
{
	size_t plen = 0, glen = 0;
	int havep, haveg;

	*line = 0;
	errno = 0;
	havep = read_file("/etc/passwd", passwd_buf, &plen, ETCPW_PASSWD_READ,
	                  ETCPW_PASSWD_BIG, ETCPW_PASSWD_TYPE, what);
	if (havep < 0)
		return -1;
	haveg = read_file("/etc/group", group_buf, &glen, ETCPW_GROUP_READ,
	                  ETCPW_GROUP_BIG, ETCPW_GROUP_TYPE, what);
	if (haveg < 0)
		return -1;
	*what = etcpasswd_resolve(spec, havep ? passwd_buf : NULL, plen,
	                          haveg ? group_buf : NULL, glen, ids, line);
	return *what == ETCPW_OK ? 0 : -1;
}

static int has_gid(const gid_t *set, size_t n, gid_t g)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == g)
			return 1;
	return 0;
}

/* Raw system calls: glibc's set*id() would signal the spawner's other
 * threads, which this copy of it does not have. */
int imageuser_switch(const struct etcpasswd_ids *ids, int *what)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct caps[2];
	gid_t groups[ETCPASSWD_MAX_GROUPS], got[ETCPASSWD_MAX_GROUPS + 1];
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	long n;

	for (size_t i = 0; i < ids->ngroups; i++)
		groups[i] = (gid_t)ids->groups[i];
	*what = IMAGEUSER_CAPGET;
	if (syscall(SYS_capget, &hdr, caps) < 0)
		return -1;
	*what = IMAGEUSER_KEEPCAPS;
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return -1;
	*what = IMAGEUSER_SETGROUPS;
	if (syscall(SYS_setgroups, ids->ngroups, groups) < 0)
		return -1;
	*what = IMAGEUSER_SETGID;
	if (syscall(SYS_setresgid, ids->gid, ids->gid, ids->gid) < 0)
		return -1;
	*what = IMAGEUSER_SETUID;
	if (syscall(SYS_setresuid, ids->uid, ids->uid, ids->uid) < 0)
		return -1;
	*what = IMAGEUSER_CHECK;
	errno = EPERM;
	if (syscall(SYS_getresuid, &ru, &eu, &su) < 0 ||
	    syscall(SYS_getresgid, &rg, &eg, &sg) < 0)
		return -1;
	if (ru != ids->uid || eu != ids->uid || su != ids->uid ||
	    rg != ids->gid || eg != ids->gid || sg != ids->gid)
		return -1;
	/* The kernel keeps them sorted; ours have no duplicates. */
	n = syscall(SYS_getgroups, ETCPASSWD_MAX_GROUPS + 1, got);
	if (n < 0 || (size_t)n != ids->ngroups)
		return -1;
	for (size_t i = 0; i < ids->ngroups; i++)
		if (!has_gid(got, ids->ngroups, groups[i]))
			return -1;
	/* The uid change emptied the effective set (KEEPCAPS kept the
	 * permitted one): back as it was, for the capability layer to
	 * lower. */
	*what = IMAGEUSER_CAPSET;
	if (syscall(SYS_capset, &hdr, caps) < 0 ||
	    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return -1;
	return 0;
}

const char *imageuser_error_text(int what)
{
	switch (what) {
	case IMAGEUSER_CAPGET:
		return "cannot switch to it: capget";
	case IMAGEUSER_KEEPCAPS:
		return "cannot switch to it: prctl(PR_SET_KEEPCAPS)";
	case IMAGEUSER_SETGROUPS:
		return "cannot switch to it: setgroups";
	case IMAGEUSER_SETGID:
		return "cannot switch to it: setresgid";
	case IMAGEUSER_SETUID:
		return "cannot switch to it: setresuid";
	case IMAGEUSER_CHECK:
		return "cannot switch to it: getresuid/getresgid/getgroups "
		       "do not show the ids set";
	case IMAGEUSER_CAPSET:
		return "cannot switch to it: capset (the effective set back)";
	}
	return etcpasswd_error_text(what);
}
