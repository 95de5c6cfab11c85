/* The workload's seccomp and capability layers. See layers.h; the
 * seccomp profiles themselves are in seccomp/ (README.md). */
#include "layers.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "capdrop.h"

/* The highest capability the running kernel knows: PR_CAPBSET_READ says
 * EINVAL past it. No file is read (/proc/sys/kernel/cap_last_cap). */
static int kernel_last_cap(void)
{
	int c = 0;

	while (c < 63 && prctl(PR_CAPBSET_READ, c + 1, 0, 0, 0) >= 0)
		c++;
	return c;
}

static int caps_prepare(const Autonomy__SpawnRequest *req,
                        struct workload_layers *l, char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	uint64_t all;

	for (size_t i = 0; i < req->n_cap_drop; i++)
		if (capdrop_parse(req->cap_drop[i], &l->drop_asked, err,
		                  errlen) < 0)
			return -1;
	l->last_cap = kernel_last_cap();
	all = l->last_cap >= 63 ? UINT64_MAX : (1ULL << (l->last_cap + 1)) - 1;
	l->drop = l->drop_asked & all;
	l->caps_on = req->n_cap_drop > 0;
	for (int c = 0; c <= l->last_cap; c++)
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1)
			l->bounding |= 1ULL << c;
	if (syscall(SYS_capget, &hdr, l->caps) < 0) {
		snprintf(err, errlen, "spawner: capget: %s", strerror(errno));
		return -1;
	}
	if (!l->caps_on)
		return 0;
	/* Without CAP_SETPCAP the bounding set cannot be lowered; then
	 * no-new-privs (always set) is what keeps exec from granting a
	 * dropped cap (set-id and file caps are ignored under it). */
	l->drop_bounding = (l->caps[CAP_TO_INDEX(CAP_SETPCAP)].effective &
	                    CAP_TO_MASK(CAP_SETPCAP)) != 0;
	if (l->drop_bounding)
		l->bounding &= ~l->drop;
	for (int i = 0; i < 2; i++) {
		uint32_t keep = (uint32_t) ~(l->drop >> (32 * i));
		l->caps[i].effective &= keep;
		l->caps[i].permitted &= keep;
		l->caps[i].inheritable &= keep;
	}
	return 0;
}

/* The filter as BPF instructions, exported now: seccomp_load() in the
 * child would allocate (it generates the program on load). */
static int seccomp_export(scmp_filter_ctx ctx, struct workload_layers *l,
                          char *err, size_t errlen)
{
	int fd = memfd_create("seccomp-bpf", MFD_CLOEXEC);
	off_t size;
	int rc;

	if (fd < 0) {
		snprintf(err, errlen, "spawner: memfd_create: %s",
		         strerror(errno));
		return -1;
	}
	if ((rc = seccomp_export_bpf(ctx, fd)) != 0) {
		snprintf(err, errlen, "spawner: seccomp_export_bpf: %s",
		         strerror(-rc));
		goto fail;
	}
	size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || size % (off_t)sizeof(struct sock_filter) != 0 ||
	    size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS) {
		snprintf(err, errlen,
		         "spawner: the seccomp filter has %lld bytes (at most "
		         "%d instructions fit)",
		         (long long)size, BPF_MAXINSNS);
		goto fail;
	}
	if ((l->insns = malloc((size_t)size)) == NULL ||
	    pread(fd, l->insns, (size_t)size, 0) != (ssize_t)size) {
		snprintf(err, errlen,
		         "spawner: cannot read the exported "
		         "seccomp filter");
		goto fail;
	}
	close(fd);
	l->prog.len =
	    (unsigned short)(size / (off_t)sizeof(struct sock_filter));
	l->prog.filter = l->insns;
	return 0;
fail:
	close(fd);
	return -1;
}

static int seccomp_prepare(const Autonomy__SpawnRequest *req,
                           struct workload_layers *l, char *err, size_t errlen)
{
	struct seccomp_profile *p;
	struct seccomp_host host;
	scmp_filter_ctx ctx;
	int rc;

	if (req->seccomp_mode == AUTONOMY__SECCOMP_MODE__SECCOMP_NONE)
		return 0;
	if (req->seccomp_mode == AUTONOMY__SECCOMP_MODE__SECCOMP_STARTER) {
		if ((p = seccomp_profile_starter()) == NULL) {
			snprintf(err, errlen, "spawner: out of memory");
			return -1;
		}
	} else {
		/* The workload's caps, as includes/excludes.caps see them:
		 * ours less --cap-drop (the supervisor did the same). */
		uint64_t caps =
		    (uint64_t)l->caps[1].effective << 32 | l->caps[0].effective;
		if (seccomp_host_current(&host, caps) < 0) {
			snprintf(err, errlen,
			         "spawner: cannot read the kernel release");
			return -1;
		}
		p = seccomp_profile_parse_json(
		    req->seccomp_profile_json,
		    strlen(req->seccomp_profile_json),
		    req->seccomp_profile_path, &host, err, errlen);
		if (p == NULL)
			return -1;
	}
	ctx = seccomp_profile_compile(p, err, errlen);
	if (ctx != NULL) {
		seccomp_profile_summarize(p, &l->summary);
		l->filter_flags = p->log_flag ? SECCOMP_FILTER_FLAG_LOG : 0;
		rc = seccomp_export(ctx, l, err, errlen);
		seccomp_release(ctx);
	} else {
		rc = -1;
	}
	seccomp_profile_free(p);
	if (rc == 0)
		l->seccomp_on = 1;
	return rc;
}

int layers_prepare(const Autonomy__SpawnRequest *req, struct workload_layers *l,
                   char *err, size_t errlen)
{
	memset(l, 0, sizeof(*l));
	/* caps first: a JSON profile's includes.caps depend on them */
	if (caps_prepare(req, l, err, errlen) < 0 ||
	    seccomp_prepare(req, l, err, errlen) < 0) {
		layers_free(l);
		return -1;
	}
	return 0;
}

int layers_apply(const struct workload_layers *l, int *stage)
{
	if (l->caps_on) {
		struct __user_cap_header_struct hdr = {
		    _LINUX_CAPABILITY_VERSION_3, 0};
		struct __user_cap_data_struct caps[2];

		/* Bounding first: lowering it needs CAP_SETPCAP, which the
		 * capset below may drop. For a root workload this is the
		 * set that matters: exec gives root its bounding set. */
		for (int c = 0; c <= l->last_cap; c++) {
			if (!(l->drop & (1ULL << c)))
				continue;
			*stage = LAYER_BOUNDING;
			if (l->drop_bounding &&
			    prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1 &&
			    prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
				return -1;
			*stage = LAYER_AMBIENT;
			if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, c, 0,
			          0) < 0 &&
			    errno != EINVAL)
				return -1;
		}
		*stage = LAYER_CAPSET;
		memcpy(caps, l->caps, sizeof(caps));
		if (syscall(SYS_capset, &hdr, caps) < 0)
			return -1;
	}
	*stage = LAYER_NNP;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	if (l->seccomp_on) {
		/* Last: the starter denies calls the steps above use. */
		*stage = LAYER_SECCOMP;
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
		            l->filter_flags, &l->prog) < 0)
			return -1;
	}
	return 0;
}

const char *layer_stage_name(int stage)
{
	switch (stage) {
	case LAYER_BOUNDING:
		return "drop from the capability bounding set";
	case LAYER_AMBIENT:
		return "lower the ambient capabilities";
	case LAYER_CAPSET:
		return "set the capabilities (capset)";
	case LAYER_NNP:
		return "set no_new_privs";
	case LAYER_SECCOMP:
		return "load the seccomp filter";
	}
	return "apply the sandbox";
}

void layers_free(struct workload_layers *l)
{
	free(l->insns);
	l->insns = NULL;
	l->prog.filter = NULL;
	l->seccomp_on = 0;
}
