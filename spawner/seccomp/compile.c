/* A seccomp profile as a libseccomp filter, and its summary for the WAL.
 * See README.md for the arch rules. */
#include "profile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const char *seccomp_action_name(uint32_t action, char *buf, size_t len)
{
	/* the action in the high half, its data (errno) in the low */
	switch (action & 0xffff0000U) {
	case SCMP_ACT_ALLOW:
		snprintf(buf, len, "SCMP_ACT_ALLOW");
		break;
	case SCMP_ACT_ERRNO(0):
		snprintf(buf, len, "SCMP_ACT_ERRNO(%u)", action & 0xffffu);
		break;
	case SCMP_ACT_KILL_THREAD:
		snprintf(buf, len, "SCMP_ACT_KILL_THREAD");
		break;
	case SCMP_ACT_KILL_PROCESS:
		snprintf(buf, len, "SCMP_ACT_KILL_PROCESS");
		break;
	case SCMP_ACT_TRAP:
		snprintf(buf, len, "SCMP_ACT_TRAP");
		break;
	case SCMP_ACT_LOG:
		snprintf(buf, len, "SCMP_ACT_LOG");
		break;
	default:
		snprintf(buf, len, "0x%08x", action);
		break;
	}
	return buf;
}

const char *seccomp_arch_name(uint32_t arch)
{
	static const struct {
		uint32_t arch;
		const char *name;
	} names[] = {
	    {SCMP_ARCH_X86_64, "x86_64"},
	    {SCMP_ARCH_X86, "x86"},
	    {SCMP_ARCH_X32, "x32"},
	    {SCMP_ARCH_AARCH64, "aarch64"},
	    {SCMP_ARCH_ARM, "arm"},
	    {SCMP_ARCH_MIPS, "mips"},
	    {SCMP_ARCH_MIPSEL, "mipsel"},
	    {SCMP_ARCH_MIPS64, "mips64"},
	    {SCMP_ARCH_MIPS64N32, "mips64n32"},
	    {SCMP_ARCH_MIPSEL64, "mipsel64"},
	    {SCMP_ARCH_MIPSEL64N32, "mipsel64n32"},
	    {SCMP_ARCH_PPC, "ppc"},
	    {SCMP_ARCH_PPC64, "ppc64"},
	    {SCMP_ARCH_PPC64LE, "ppc64le"},
	    {SCMP_ARCH_S390, "s390"},
	    {SCMP_ARCH_S390X, "s390x"},
	    {SCMP_ARCH_PARISC, "parisc"},
	    {SCMP_ARCH_PARISC64, "parisc64"},
	    {SCMP_ARCH_RISCV64, "riscv64"},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (names[i].arch == arch)
			return names[i].name;
	return "?";
}

scmp_filter_ctx seccomp_profile_compile(const struct seccomp_profile *p,
                                        char *err, size_t errlen)
{
	scmp_filter_ctx ctx = seccomp_init(p->default_action);
	int rc;

	if (ctx == NULL) {
		snprintf(err, errlen,
		         "%s: libseccomp refused the default "
		         "action",
		         p->source);
		return NULL;
	}
	/* An ABI the filter was not built for is an attack, not a probe:
	 * on x86_64 every ABI (x86_64, i386, x32) is in the starter filter,
	 * so this only fires for a JSON profile that left one out. */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	                      SCMP_ACT_KILL_PROCESS);
	if (rc == 0 && p->log_flag)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1);
	if (rc != 0) {
		snprintf(err, errlen, "%s: filter attribute refused: %s",
		         p->source, strerror(-rc));
		goto fail;
	}
	for (size_t i = 0; i < p->n_arches; i++) {
		rc = seccomp_arch_add(ctx, p->arches[i]);
		if (rc != 0 && rc != -EEXIST) {
			snprintf(err, errlen, "%s: architecture %s: %s",
			         p->source, seccomp_arch_name(p->arches[i]),
			         strerror(-rc));
			goto fail;
		}
	}
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct seccomp_rule *r = &p->rules[i];
		struct scmp_arg_cmp cmp[SECCOMP_MAX_ARGS];

		for (size_t k = 0; k < r->n_args; k++) {
			cmp[k].arg = r->args[k].index;
			cmp[k].op = r->args[k].op;
			cmp[k].datum_a = r->args[k].value;
			cmp[k].datum_b = r->args[k].value_two;
		}
		/* Not _exact: libseccomp translates per arch, skips arches
		 * without the call, and on i386 adds socketcall(SYS_x) and
		 * ipc(x) beside the direct socket and SysV IPC calls. */
		rc = seccomp_rule_add_array(ctx, r->action, r->nr,
		                            (unsigned)r->n_args, cmp);
		if (rc != 0) {
			snprintf(err, errlen,
			         "%s: %s: libseccomp refused the "
			         "rule for \"%s\": %s",
			         p->source, r->origin, r->name, strerror(-rc));
			goto fail;
		}
	}
	return ctx;
fail:
	seccomp_release(ctx);
	return NULL;
}

void seccomp_profile_summarize(const struct seccomp_profile *p,
                               struct seccomp_summary *s)
{
	char *arches;
	size_t used;

	memset(s, 0, sizeof(*s));
	s->attr[0].key = "profile";
	snprintf(s->attr[0].value, sizeof(s->attr[0].value), "%s", p->name);
	s->attr[1].key = "source";
	snprintf(s->attr[1].value, sizeof(s->attr[1].value), "%s", p->source);
	s->attr[2].key = "default_action";
	seccomp_action_name(p->default_action, s->attr[2].value,
	                    sizeof(s->attr[2].value));
	s->attr[3].key = "rules";
	snprintf(s->attr[3].value, sizeof(s->attr[3].value), "%zu", p->n_rules);
	s->attr[4].key = "arches";
	arches = s->attr[4].value;
	used = (size_t)snprintf(arches, sizeof(s->attr[4].value), "%s",
	                        seccomp_arch_name(seccomp_arch_native()));
	for (size_t i = 0; i < p->n_arches && used < sizeof(s->attr[4].value);
	     i++)
		used += (size_t)snprintf(arches + used,
		                         sizeof(s->attr[4].value) - used, ",%s",
		                         seccomp_arch_name(p->arches[i]));
	s->attr[5].key = "bad_arch";
	snprintf(s->attr[5].value, sizeof(s->attr[5].value),
	         "SCMP_ACT_KILL_PROCESS");
	s->attr[6].key = "left_out";
	snprintf(s->attr[6].value, sizeof(s->attr[6].value),
	         "%zu entries by includes/excludes, %zu rules equal to the "
	         "default",
	         p->n_dropped, p->n_default);
	s->n = SECCOMP_SUMMARY_ATTRS;
}
