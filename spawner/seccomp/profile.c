/* The workload's seccomp profiles: the embedded starter deny-list and the
 * Docker/OCI JSON parser. See profile.h and README.md. */
#include "profile.h"

#include <cap-ng.h>
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Namespace flags clone() may carry; any one of them makes a namespace. */
#define CLONE_NS_FLAGS                                                         \
	((uint64_t)(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC |                \
	            CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |              \
	            CLONE_NEWCGROUP))

/* The starter profile: default allow, these refused. The reasons are
 * spelled out in README.md; a row's `why` is what a reviewer reads here.
 * ns_flags: refused only when arg 0 has one of these bits (one rule per
 * bit, since a filter cannot test "any of"). */
static const struct starter_row {
	const char *name;
	int err;
	uint64_t ns_flags;
	const char *why;
} starter[] = {
    /* the filesystem view the sandbox built before exec */
    {"mount", EPERM, 0, "remounts what the sandbox made read-only"},
    {"umount", EPERM, 0, "i386 name of umount2"},
    {"umount2", EPERM, 0, "uncovers what sandbox mounts hide"},
    {"pivot_root", EPERM, 0, "swaps the root the sandbox set up"},
    {"chroot", EPERM, 0, "with a kept directory fd, a way out of a root"},
    {"fsopen", EPERM, 0, "new mount API: mount by another name"},
    {"fsconfig", EPERM, 0, "new mount API: mount by another name"},
    {"fsmount", EPERM, 0, "new mount API: mount by another name"},
    {"fspick", EPERM, 0, "new mount API: remount by another name"},
    {"move_mount", EPERM, 0, "new mount API: mount by another name"},
    {"open_tree", EPERM, 0, "new mount API: bind mount by another name"},
    {"mount_setattr", EPERM, 0, "new mount API: makes read-only writable"},
    /* namespaces */
    {"setns", EPERM, 0, "joins another process's (the host's) namespaces"},
    {"unshare", EPERM, 0, "new namespaces; a user ns grants every cap"},
    {"clone", EPERM, CLONE_NS_FLAGS, "unshare at fork: CLONE_NEW* only"},
    {"clone3", ENOSYS, 0,
     "flags in memory the filter cannot read; "
     "ENOSYS makes libc fall back to clone"},
    /* the kernel itself */
    {"kexec_load", EPERM, 0, "replaces the running kernel"},
    {"kexec_file_load", EPERM, 0, "replaces the running kernel"},
    {"init_module", EPERM, 0, "loads kernel code"},
    {"finit_module", EPERM, 0, "loads kernel code"},
    {"delete_module", EPERM, 0, "unloads kernel code"},
    {"bpf", EPERM, 0, "runs programs in the kernel (verifier CVEs)"},
    {"perf_event_open", EPERM, 0, "kernel profiling: leaks, CVEs"},
    {"userfaultfd", EPERM, 0, "stalls kernel copies: wins exploit races"},
    {"io_uring_setup", EPERM, 0, "syscalls seccomp and the shim never see"},
    {"io_uring_enter", EPERM, 0, "syscalls seccomp and the shim never see"},
    {"io_uring_register", EPERM, 0,
     "syscalls seccomp and the shim never "
     "see"},
    /* other processes */
    {"ptrace", EPERM, 0, "reads/writes other processes, steers syscalls"},
    {"process_vm_readv", EPERM, 0, "reads another process's memory"},
    {"process_vm_writev", EPERM, 0, "writes another process's memory"},
    {"pidfd_getfd", EPERM, 0, "takes a descriptor from another process"},
    /* files by handle, past every mount namespace */
    {"open_by_handle_at", EPERM, 0, "opens any inode, escaping the root"},
    {"name_to_handle_at", EPERM, 0, "makes handles for open_by_handle_at"},
    /* the kernel keyring is not namespaced */
    {"keyctl", EPERM, 0, "host keyring: not namespaced"},
    {"add_key", EPERM, 0, "host keyring: not namespaced"},
    {"request_key", EPERM, 0, "host keyring: not namespaced"},
    /* host-wide state */
    {"reboot", EPERM, 0, "halts or restarts the host"},
    {"swapon", EPERM, 0, "host-wide swap"},
    {"swapoff", EPERM, 0, "host-wide swap"},
    {"acct", EPERM, 0, "writes every process exit to a file"},
    {"quotactl", EPERM, 0, "host-wide disk quotas"},
    {"quotactl_fd", EPERM, 0, "host-wide disk quotas"},
    {"settimeofday", EPERM, 0, "the clock is not namespaced"},
    {"stime", EPERM, 0, "the clock is not namespaced (i386)"},
    {"clock_settime", EPERM, 0, "the clock is not namespaced"},
    {"clock_adjtime", EPERM, 0, "the clock is not namespaced"},
    {"syslog", EPERM, 0, "reads or clears the kernel log"},
    {"iopl", EPERM, 0, "raw I/O ports"},
    {"ioperm", EPERM, 0, "raw I/O ports"},
    {"uselib", EPERM, 0, "obsolete loader call, no user left"},
    {"lookup_dcookie", EPERM, 0, "obsolete profiler call, no user left"},
};

/* The arches a native process can also enter the kernel through. */
static size_t compat_arches(uint32_t native, uint32_t *out)
{
	size_t n = 0;

	if (native == SCMP_ARCH_X86_64) {
		out[n++] = SCMP_ARCH_X86;
		out[n++] = SCMP_ARCH_X32;
	} else if (native == SCMP_ARCH_AARCH64) {
		out[n++] = SCMP_ARCH_ARM;
	}
	return n;
}

int seccomp_host_current(struct seccomp_host *h, uint64_t caps)
{
	struct utsname u;

	memset(h, 0, sizeof(*h));
	h->caps = caps;
	h->native_arch = seccomp_arch_native();
	if (uname(&u) < 0 || sscanf(u.release, "%u.%u.%u", &h->kernel[0],
	                            &h->kernel[1], &h->kernel[2]) < 2)
		return -1;
	return 0;
}

void seccomp_profile_free(struct seccomp_profile *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n_rules; i++)
		free(p->rules[i].name);
	free(p->rules);
	free(p->name);
	free(p->source);
	free(p);
}

static struct seccomp_profile *profile_new(const char *name, const char *source)
{
	struct seccomp_profile *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->name = strdup(name);
	p->source = strdup(source);
	if (p->name == NULL || p->source == NULL) {
		seccomp_profile_free(p);
		return NULL;
	}
	return p;
}

/* Appends a copy of r (name duplicated); NULL when out of room. */
static struct seccomp_rule *rule_push(struct seccomp_profile *p, size_t *cap)
{
	struct seccomp_rule *r;

	if (p->n_rules == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct seccomp_rule *nr = realloc(p->rules, ncap * sizeof(*nr));
		if (nr == NULL)
			return NULL;
		p->rules = nr;
		*cap = ncap;
	}
	r = &p->rules[p->n_rules];
	memset(r, 0, sizeof(*r));
	return r;
}

struct seccomp_profile *seccomp_profile_starter(void)
{
	struct seccomp_profile *p = profile_new("starter", "embedded");
	size_t cap = 0;

	if (p == NULL)
		return NULL;
	p->default_action = SCMP_ACT_ALLOW;
	p->n_arches = compat_arches(seccomp_arch_native(), p->arches);
	for (size_t i = 0; i < N(starter); i++) {
		const struct starter_row *row = &starter[i];
		uint64_t bits = row->ns_flags;
		int nr = seccomp_syscall_resolve_name(row->name);

		/* Every name is in libseccomp's table (a unit test
		 * says so); a missing one is a build problem. */
		if (nr == __NR_SCMP_ERROR)
			goto fail;
		do {
			/* One rule per namespace bit, or one rule. */
			uint64_t bit = bits & -bits;
			struct seccomp_rule *r = rule_push(p, &cap);
			if (r == NULL || (r->name = strdup(row->name)) == NULL)
				goto fail;
			p->n_rules++;
			r->nr = nr;
			r->action = SCMP_ACT_ERRNO(row->err);
			r->why = row->why;
			snprintf(r->origin, sizeof(r->origin), "starter[%zu]",
			         i);
			if (bit != 0) {
				r->n_args = 1;
				r->args[0].index = 0;
				r->args[0].op = SCMP_CMP_MASKED_EQ;
				r->args[0].value = bit;
				r->args[0].value_two = bit;
			}
			bits &= ~bit;
		} while (bits != 0);
	}
	return p;
fail:
	seccomp_profile_free(p);
	return NULL;
}

/* ---- Docker/OCI JSON ---------------------------------------------- */

struct parser {
	const char *source;
	const struct seccomp_host *h;
	char *err;
	size_t errlen;
	struct seccomp_profile *p;
	size_t cap;
};

/* "SOURCE: WHERE: message"; always returns -1. */
__attribute__((format(printf, 3, 4))) static int
fail(struct parser *ps, const char *where, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (where != NULL && where[0] != '\0')
		snprintf(ps->err, ps->errlen, "%s: %s: %s", ps->source, where,
		         msg);
	else
		snprintf(ps->err, ps->errlen, "%s: %s", ps->source, msg);
	return -1;
}

static const char *json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number with a fraction";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

/* Every key of obj must be one of keys[]. */
static int only_keys(struct parser *ps, const char *where, json_t *obj,
                     const char *const *keys, size_t n)
{
	const char *k;
	json_t *v;

	json_object_foreach(obj, k, v)
	{
		size_t i;
		for (i = 0; i < n; i++)
			if (strcmp(k, keys[i]) == 0)
				break;
		if (i == n)
			return fail(ps, where, "unknown field \"%.64s\"", k);
	}
	return 0;
}

/* An optional array: absent and null both mean empty. */
static int opt_array(struct parser *ps, const char *where, json_t *obj,
                     const char *key, json_t **out)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return fail(ps, where, "%s must be an array, not %s", key,
		            json_kind(v));
	*out = v;
	return 0;
}

static int opt_object(struct parser *ps, const char *where, json_t *obj,
                      const char *key, json_t **out)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return fail(ps, where, "%s must be an object, not %s", key,
		            json_kind(v));
	*out = v;
	return 0;
}

/* An integer in [lo, hi]; absent leaves *out alone and returns 0. */
static int opt_uint(struct parser *ps, const char *where, json_t *obj,
                    const char *key, uint64_t hi, uint64_t *out, int *seen)
{
	json_t *v = json_object_get(obj, key);
	json_int_t x;

	if (seen != NULL)
		*seen = v != NULL;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v))
		return fail(ps, where, "%s must be an integer, not %s", key,
		            json_kind(v));
	x = json_integer_value(v);
	if (x < 0 || (uint64_t)x > hi)
		return fail(ps, where, "%s %lld is out of range 0..%llu", key,
		            (long long)x, (unsigned long long)hi);
	*out = (uint64_t)x;
	return 0;
}

static const struct {
	const char *name;
	uint32_t action; /* ERRNO: errno filled in later */
	const char *refused;
} actions[] = {
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, NULL},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), NULL},
    {"SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD, NULL},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, NULL},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, NULL},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP, NULL},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG, NULL},
    {"SCMP_ACT_TRACE", 0,
     "needs a ptrace tracer on the workload, which autonomy does not run "
     "(without one the call fails with ENOSYS; say SCMP_ACT_ERRNO with "
     "errnoRet 38 for that)"},
    {"SCMP_ACT_NOTIFY", 0,
     "needs a user-space agent on a seccomp notification fd, which "
     "autonomy does not run"},
};

/* The action named by obj[key]; errno from obj[errkey] (ERRNO only),
 * else dflt_errno. */
static int parse_action(struct parser *ps, const char *where, json_t *obj,
                        const char *key, const char *errkey,
                        uint32_t dflt_errno, uint32_t *out)
{
	json_t *v = json_object_get(obj, key);
	const char *s;
	uint64_t e = dflt_errno;
	int has_errno;
	size_t i;

	if (v == NULL)
		return fail(ps, where, "%s is required", key);
	if (!json_is_string(v))
		return fail(ps, where, "%s must be a string, not %s", key,
		            json_kind(v));
	s = json_string_value(v);
	for (i = 0; i < N(actions); i++)
		if (strcmp(s, actions[i].name) == 0)
			break;
	if (i == N(actions))
		return fail(ps, where, "%s \"%.64s\" is not a seccomp action",
		            key, s);
	if (actions[i].refused != NULL)
		return fail(ps, where, "%s %s is not supported: %s", key, s,
		            actions[i].refused);
	if (opt_uint(ps, where, obj, errkey, 4095, &e, &has_errno) < 0)
		return -1;
	if (actions[i].action == SCMP_ACT_ERRNO(0)) {
		*out = SCMP_ACT_ERRNO((uint16_t)e);
	} else {
		if (has_errno)
			return fail(ps, where,
			            "%s applies to SCMP_ACT_ERRNO "
			            "only, not %s",
			            errkey, s);
		*out = actions[i].action;
	}
	return 0;
}

/* "SCMP_ARCH_X86_64" -> SCMP_ARCH_X86_64, via libseccomp's own names. */
static int resolve_arch(const char *s, uint32_t *out)
{
	char low[32];
	size_t n;

	if (strncmp(s, "SCMP_ARCH_", 10) != 0)
		return -1;
	s += 10;
	n = strlen(s);
	if (n == 0 || n >= sizeof(low))
		return -1;
	for (size_t i = 0; i <= n; i++)
		low[i] = (char)tolower((unsigned char)s[i]);
	*out = seccomp_arch_resolve_name(low);
	return *out == 0 ? -1 : 0;
}

static int add_arch(struct parser *ps, const char *where, const char *s)
{
	struct seccomp_profile *p = ps->p;
	uint32_t a;

	if (resolve_arch(s, &a) < 0)
		return fail(ps, where,
		            "\"%.64s\" is not an architecture libseccomp knows",
		            s);
	if (a == ps->h->native_arch)
		return 0;
	for (size_t i = 0; i < p->n_arches; i++)
		if (p->arches[i] == a)
			return 0;
	if (p->n_arches == SECCOMP_MAX_ARCHES)
		return fail(ps, where, "more than %d architectures",
		            SECCOMP_MAX_ARCHES);
	p->arches[p->n_arches++] = a;
	return 0;
}

static int parse_architectures(struct parser *ps, json_t *arr)
{
	char where[64];
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
	{
		snprintf(where, sizeof(where), "architectures[%zu]", i);
		if (!json_is_string(v))
			return fail(ps, where, "must be a string, not %s",
			            json_kind(v));
		if (add_arch(ps, where, json_string_value(v)) < 0)
			return -1;
	}
	return 0;
}

/* archMap: only the native arch's entry is used (as Docker does); the
 * others are checked for form, not resolved, so a profile naming an arch
 * this libseccomp lacks still loads here. */
static int parse_archmap(struct parser *ps, json_t *arr)
{
	static const char *const keys[] = {"architecture", "subArchitectures"};
	char where[96];
	size_t i, j;
	json_t *e, *v;

	json_array_foreach(arr, i, e)
	{
		json_t *a, *subs;
		uint32_t arch;
		int native;

		snprintf(where, sizeof(where), "archMap[%zu]", i);
		if (!json_is_object(e))
			return fail(ps, where, "must be an object, not %s",
			            json_kind(e));
		if (only_keys(ps, where, e, keys, N(keys)) < 0)
			return -1;
		a = json_object_get(e, "architecture");
		if (a == NULL || !json_is_string(a) ||
		    strncmp(json_string_value(a), "SCMP_ARCH_", 10) != 0)
			return fail(ps, where,
			            "architecture must be a string "
			            "SCMP_ARCH_...");
		if (opt_array(ps, where, e, "subArchitectures", &subs) < 0)
			return -1;
		native = resolve_arch(json_string_value(a), &arch) == 0 &&
		         arch == ps->h->native_arch;
		json_array_foreach(subs, j, v)
		{
			snprintf(where, sizeof(where),
			         "archMap[%zu].subArchitectures[%zu]", i, j);
			if (!json_is_string(v) ||
			    strncmp(json_string_value(v), "SCMP_ARCH_", 10) !=
			        0)
				return fail(ps, where,
				            "must be a string SCMP_ARCH_...");
			if (native &&
			    add_arch(ps, where, json_string_value(v)) < 0)
				return -1;
		}
	}
	return 0;
}

/* Docker's (Go's) arch names, as includes/excludes "arches" use them. */
static const struct {
	const char *name;
	uint32_t arch;
} docker_arches[] = {
    {"amd64", SCMP_ARCH_X86_64},
    {"x86", SCMP_ARCH_X86},
    {"x32", SCMP_ARCH_X32},
    {"arm", SCMP_ARCH_ARM},
    {"arm64", SCMP_ARCH_AARCH64},
    {"mips", SCMP_ARCH_MIPS},
    {"mipsle", SCMP_ARCH_MIPSEL},
    {"mipsel", SCMP_ARCH_MIPSEL},
    {"mips64", SCMP_ARCH_MIPS64},
    {"mips64n32", SCMP_ARCH_MIPS64N32},
    {"mipsel64", SCMP_ARCH_MIPSEL64},
    {"mips3l64n32", SCMP_ARCH_MIPSEL64N32},
    {"mipsel64n32", SCMP_ARCH_MIPSEL64N32},
    {"ppc", SCMP_ARCH_PPC},
    {"ppc64", SCMP_ARCH_PPC64},
    {"ppc64le", SCMP_ARCH_PPC64LE},
    {"s390", SCMP_ARCH_S390},
    {"s390x", SCMP_ARCH_S390X},
    {"riscv64", SCMP_ARCH_RISCV64},
    {"loong64", 0}, /* not in this libseccomp: never native here */
};

/* "4.8" or "5.10.3" into v[3]. */
static int parse_kernel(const char *s, unsigned v[3])
{
	int parts = 0;

	v[0] = v[1] = v[2] = 0;
	while (parts < 3) {
		unsigned long x = 0;
		const char *start = s;
		while (*s >= '0' && *s <= '9' && s - start < 6)
			x = x * 10 + (unsigned long)(*s++ - '0');
		if (s == start)
			return -1;
		v[parts++] = (unsigned)x;
		if (*s == '\0')
			return parts >= 2 ? 0 : -1;
		if (*s++ != '.')
			return -1;
	}
	return -1;
}

static int kernel_at_least(const unsigned have[3], const unsigned want[3])
{
	for (int i = 0; i < 3; i++)
		if (have[i] != want[i])
			return have[i] > want[i];
	return 1;
}

/* Parses an includes/excludes object; *matches tells whether it holds
 * on this host: includes need every cap and the native arch among the
 * arches; excludes hold when any cap or the native arch is named. */
static int parse_filter(struct parser *ps, const char *where, json_t *obj,
                        int is_include, int *matches)
{
	static const char *const keys[] = {"caps", "arches", "minKernel"};
	char w[128];
	json_t *caps, *arches, *mk, *v;
	int any_cap = 0, all_caps = 1, arch_hit = 0;
	size_t i;

	*matches = !is_include ? 0 : 1;
	if (obj == NULL)
		return 0;
	if (only_keys(ps, where, obj, keys, N(keys)) < 0 ||
	    opt_array(ps, where, obj, "caps", &caps) < 0 ||
	    opt_array(ps, where, obj, "arches", &arches) < 0)
		return -1;
	json_array_foreach(caps, i, v)
	{
		const char *s = json_is_string(v) ? json_string_value(v) : "";
		int c = -1;
		snprintf(w, sizeof(w), "%s.caps[%zu]", where, i);
		if (strncmp(s, "CAP_", 4) == 0)
			c = capng_name_to_capability(s + 4);
		for (const char *q = s; *q; q++)
			if (islower((unsigned char)*q))
				c = -1;
		if (c < 0 || c > 63)
			return fail(ps, w, "\"%.64s\" is not a capability", s);
		if (ps->h->caps & (1ULL << c))
			any_cap = 1;
		else
			all_caps = 0;
	}
	json_array_foreach(arches, i, v)
	{
		const char *s = json_is_string(v) ? json_string_value(v) : "";
		size_t k;
		snprintf(w, sizeof(w), "%s.arches[%zu]", where, i);
		for (k = 0; k < N(docker_arches); k++)
			if (strcmp(s, docker_arches[k].name) == 0)
				break;
		if (k == N(docker_arches))
			return fail(ps, w,
			            "\"%.64s\" is not an architecture name "
			            "(amd64, x86, x32, arm64, ...)",
			            s);
		if (docker_arches[k].arch == ps->h->native_arch)
			arch_hit = 1;
	}
	if ((mk = json_object_get(obj, "minKernel")) != NULL) {
		unsigned want[3];
		snprintf(w, sizeof(w), "%s.minKernel", where);
		if (!json_is_string(mk) ||
		    parse_kernel(json_string_value(mk), want) < 0)
			return fail(ps, w,
			            "must be a kernel version such as "
			            "\"4.8\"");
		if (kernel_at_least(ps->h->kernel, want) != is_include)
			*matches = !is_include;
	}
	if (is_include) {
		if (json_array_size(caps) > 0 && !all_caps)
			*matches = 0;
		if (json_array_size(arches) > 0 && !arch_hit)
			*matches = 0;
	} else {
		if (any_cap || arch_hit)
			*matches = 1;
	}
	return 0;
}

static const struct {
	const char *name;
	enum scmp_compare op;
} ops[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

static int parse_args(struct parser *ps, const char *where, json_t *arr,
                      struct seccomp_arg *out, size_t *n)
{
	static const char *const keys[] = {"index", "value", "valueTwo", "op"};
	char w[128];
	size_t i;
	json_t *a;

	*n = 0;
	json_array_foreach(arr, i, a)
	{
		struct seccomp_arg *g = &out[*n];
		uint64_t index = 0;
		json_t *op;
		int seen;
		size_t k;

		snprintf(w, sizeof(w), "%s.args[%zu]", where, i);
		if (!json_is_object(a))
			return fail(ps, w, "must be an object, not %s",
			            json_kind(a));
		if (only_keys(ps, w, a, keys, N(keys)) < 0 ||
		    opt_uint(ps, w, a, "index", 5, &index, &seen) < 0)
			return -1;
		if (!seen)
			return fail(ps, w, "index is required");
		/* libseccomp cannot AND two tests of one argument, and runc's
		 * answer (one rule each, so OR) would widen an allow rule. */
		for (size_t j = 0; j < *n; j++)
			if (out[j].index == index)
				return fail(ps, w,
				            "argument %u is already tested by "
				            "another entry of args; write "
				            "separate syscalls entries",
				            (unsigned)index);
		g->index = (unsigned)index;
		g->value = g->value_two = 0;
		if (opt_uint(ps, w, a, "value", INT64_MAX, &g->value, &seen) <
		        0 ||
		    opt_uint(ps, w, a, "valueTwo", INT64_MAX, &g->value_two,
		             NULL) < 0)
			return -1;
		if (!seen)
			return fail(ps, w, "value is required");
		op = json_object_get(a, "op");
		if (op == NULL || !json_is_string(op))
			return fail(ps, w, "op must be a string SCMP_CMP_...");
		for (k = 0; k < N(ops); k++)
			if (strcmp(json_string_value(op), ops[k].name) == 0)
				break;
		if (k == N(ops))
			return fail(ps, w, "op \"%.64s\" is not a comparison",
			            json_string_value(op));
		g->op = ops[k].op;
		(*n)++;
	}
	return 0;
}

static int parse_syscall(struct parser *ps, size_t idx, json_t *e)
{
	static const char *const keys[] = {"names",    "name",   "action",
	                                   "errnoRet", "args",   "includes",
	                                   "excludes", "comment"};
	struct seccomp_arg args[SECCOMP_MAX_ARGS];
	char where[64], w[96];
	json_t *names, *name, *argv, *inc, *exc, *v;
	uint32_t action;
	size_t n_args, i;
	int inc_ok, exc_hit;

	snprintf(where, sizeof(where), "syscalls[%zu]", idx);
	if (!json_is_object(e))
		return fail(ps, where, "must be an object, not %s",
		            json_kind(e));
	if (only_keys(ps, where, e, keys, N(keys)) < 0)
		return -1;
	if ((v = json_object_get(e, "comment")) != NULL && !json_is_string(v))
		return fail(ps, where, "comment must be a string");
	names = json_object_get(e, "names");
	name = json_object_get(e, "name");
	if (names != NULL && name != NULL)
		return fail(ps, where, "has both name and names; use names");
	if (name != NULL) {
		if (!json_is_string(name))
			return fail(ps, where, "name must be a string");
	} else if (names == NULL || !json_is_array(names) ||
	           json_array_size(names) == 0) {
		return fail(ps, where, "names must be a non-empty array");
	}
	if (parse_action(ps, where, e, "action", "errnoRet", EPERM, &action) <
	        0 ||
	    opt_array(ps, where, e, "args", &argv) < 0 ||
	    opt_object(ps, where, e, "includes", &inc) < 0 ||
	    opt_object(ps, where, e, "excludes", &exc) < 0)
		return -1;
	if (json_array_size(argv) > SECCOMP_MAX_ARGS)
		return fail(ps, where, "more than %d args", SECCOMP_MAX_ARGS);
	snprintf(w, sizeof(w), "%s.includes", where);
	if (parse_args(ps, where, argv, args, &n_args) < 0 ||
	    parse_filter(ps, w, inc, 1, &inc_ok) < 0)
		return -1;
	snprintf(w, sizeof(w), "%s.excludes", where);
	if (parse_filter(ps, w, exc, 0, &exc_hit) < 0)
		return -1;

	/* Names are checked even when the entry does not apply here: a
	 * typo is an error on every host. */
	for (i = 0; i < (name ? 1 : json_array_size(names)); i++) {
		json_t *nv = name ? name : json_array_get(names, i);
		struct seccomp_rule *r;
		const char *s;
		int nr;

		if (name)
			snprintf(w, sizeof(w), "%s.name", where);
		else
			snprintf(w, sizeof(w), "%s.names[%zu]", where, i);
		if (!json_is_string(nv))
			return fail(ps, w, "must be a string, not %s",
			            json_kind(nv));
		s = json_string_value(nv);
		nr = seccomp_syscall_resolve_name(s);
		if (nr == __NR_SCMP_ERROR)
			return fail(ps, w,
			            "\"%.64s\" is not a known syscall (on any "
			            "architecture libseccomp %u.%u.%u knows)",
			            s, seccomp_version()->major,
			            seccomp_version()->minor,
			            seccomp_version()->micro);
		if (!inc_ok || exc_hit)
			continue;
		/* The default already does this (libseccomp refuses such a
		 * rule; runc drops it too). */
		if (action == ps->p->default_action) {
			ps->p->n_default++;
			continue;
		}
		if (ps->p->n_rules >= SECCOMP_PROFILE_MAX_RULES)
			return fail(ps, w, "more than %d rules",
			            SECCOMP_PROFILE_MAX_RULES);
		if ((r = rule_push(ps->p, &ps->cap)) == NULL ||
		    (r->name = strdup(s)) == NULL)
			return fail(ps, w, "out of memory");
		ps->p->n_rules++;
		r->nr = nr;
		r->action = action;
		r->n_args = n_args;
		memcpy(r->args, args, n_args * sizeof(*args));
		snprintf(r->origin, sizeof(r->origin), "%s", w);
	}
	if (!inc_ok || exc_hit)
		ps->p->n_dropped++;
	return 0;
}

static int by_nr(const void *a, const void *b)
{
	const struct seccomp_rule *x = *(const struct seccomp_rule *const *)a;
	const struct seccomp_rule *y = *(const struct seccomp_rule *const *)b;

	if (x->nr != y->nr)
		return x->nr < y->nr ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* libseccomp keeps one of two rules for a syscall when one has no
 * conditions and their actions differ, silently. Refuse that profile. */
static int check_conflicts(struct parser *ps)
{
	struct seccomp_profile *p = ps->p;
	struct seccomp_rule **v;
	size_t i = 0;
	int rc = 0;

	if (p->n_rules < 2)
		return 0;
	if ((v = calloc(p->n_rules, sizeof(*v))) == NULL)
		return fail(ps, NULL, "out of memory");
	for (size_t k = 0; k < p->n_rules; k++)
		v[k] = &p->rules[k];
	qsort(v, p->n_rules, sizeof(*v), by_nr);
	while (i < p->n_rules && rc == 0) {
		size_t j = i, bare = SIZE_MAX;
		while (j < p->n_rules && v[j]->nr == v[i]->nr) {
			if (v[j]->n_args == 0 && bare == SIZE_MAX)
				bare = j;
			j++;
		}
		for (size_t k = i; bare != SIZE_MAX && k < j; k++) {
			char a1[32], a2[32];
			if (v[k]->action == v[bare]->action)
				continue;
			rc = fail(
			    ps, v[bare]->origin,
			    "\"%s\" is %s without conditions, but %s "
			    "makes it %s; only one can apply",
			    v[bare]->name,
			    seccomp_action_name(v[bare]->action, a1,
			                        sizeof(a1)),
			    v[k]->origin,
			    seccomp_action_name(v[k]->action, a2, sizeof(a2)));
			break;
		}
		i = j;
	}
	free(v);
	return rc;
}

static int parse_flags(struct parser *ps, json_t *arr)
{
	char where[64];
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
	{
		const char *s = json_is_string(v) ? json_string_value(v) : "";
		snprintf(where, sizeof(where), "flags[%zu]", i);
		if (strcmp(s, "SECCOMP_FILTER_FLAG_LOG") == 0)
			ps->p->log_flag = 1;
		else if (strcmp(s, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
			return fail(ps, where,
			            "%s is refused: it turns off "
			            "speculative-execution "
			            "mitigations for the workload",
			            s);
		else
			return fail(ps, where,
			            "\"%.64s\" is not a supported filter flag "
			            "(SECCOMP_FILTER_FLAG_LOG only)",
			            s);
	}
	return 0;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL && s[1] != '\0' ? s + 1 : path;
}

static int parse_top(struct parser *ps, json_t *root)
{
	static const char *const keys[] = {
	    "defaultAction", "defaultErrnoRet",  "architectures",
	    "archMap",       "syscalls",         "flags",
	    "listenerPath",  "listenerMetadata",
	};
	json_t *archs, *amap, *calls, *flags, *v;
	size_t i;

	if (!json_is_object(root))
		return fail(ps, NULL,
		            "a seccomp profile is a JSON object, "
		            "not %s",
		            json_kind(root));
	if (only_keys(ps, NULL, root, keys, N(keys)) < 0)
		return -1;
	if (json_object_get(root, "defaultAction") == NULL)
		return fail(ps, NULL,
		            "defaultAction is required (to run "
		            "without a filter say --no-seccomp)");
	if (parse_action(ps, NULL, root, "defaultAction", "defaultErrnoRet",
	                 EPERM, &ps->p->default_action) < 0)
		return -1;
	for (i = 0; i < 2; i++) {
		const char *k = i ? "listenerMetadata" : "listenerPath";
		v = json_object_get(root, k);
		if (v != NULL &&
		    !(json_is_string(v) && json_string_value(v)[0] == '\0'))
			return fail(ps, NULL,
			            "%s is not supported (no "
			            "SCMP_ACT_NOTIFY agent)",
			            k);
	}
	if (opt_array(ps, NULL, root, "architectures", &archs) < 0 ||
	    opt_array(ps, NULL, root, "archMap", &amap) < 0 ||
	    opt_array(ps, NULL, root, "syscalls", &calls) < 0 ||
	    opt_array(ps, NULL, root, "flags", &flags) < 0)
		return -1;
	if (json_array_size(archs) > 0 && json_array_size(amap) > 0)
		return fail(ps, NULL,
		            "has both architectures and archMap; "
		            "use one");
	if (parse_architectures(ps, archs) < 0 || parse_archmap(ps, amap) < 0 ||
	    parse_flags(ps, flags) < 0)
		return -1;
	json_array_foreach(calls, i, v)
	{
		if (parse_syscall(ps, i, v) < 0)
			return -1;
	}
	return check_conflicts(ps);
}

struct seccomp_profile *seccomp_profile_parse_json(const char *text, size_t len,
                                                   const char *source,
                                                   const struct seccomp_host *h,
                                                   char *err, size_t errlen)
{
	struct parser ps = {source, h, err, errlen, NULL, 0};
	json_error_t je;
	json_t *root;

	if (len > SECCOMP_PROFILE_MAX_BYTES) {
		fail(&ps, NULL, "larger than %d bytes",
		     SECCOMP_PROFILE_MAX_BYTES);
		return NULL;
	}
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		snprintf(err, errlen, "%s:%d:%d: %s", source, je.line,
		         je.column, je.text);
		return NULL;
	}
	ps.p = profile_new(base_name(source), source);
	if (ps.p == NULL) {
		fail(&ps, NULL, "out of memory");
	} else if (parse_top(&ps, root) < 0) {
		seccomp_profile_free(ps.p);
		ps.p = NULL;
	}
	json_decref(root);
	return ps.p;
}
