/* The workload's seccomp profile (DESIGN.md §5): the embedded starter
 * deny-list, or a Docker/OCI seccomp JSON file, reduced to the rules that
 * go into the filter on this host. Parsing evaluates Docker's
 * includes/excludes (caps, arches, minKernel) against a description of
 * the host and the workload, so a profile holds only what is enforced.
 * compile.c turns a profile into a libseccomp filter; nothing here loads
 * one. README.md beside this file states every rule. */
#ifndef AUTONOMY_SECCOMP_PROFILE_H
#define AUTONOMY_SECCOMP_PROFILE_H

#include <seccomp.h>
#include <stddef.h>
#include <stdint.h>

/* Bounds on what a JSON profile may hold (and on the fuzzer's work). */
#define SECCOMP_PROFILE_MAX_BYTES (1024 * 1024)
#define SECCOMP_PROFILE_MAX_RULES 8192
#define SECCOMP_MAX_ARCHES 8
#define SECCOMP_MAX_ARGS 6

/* What the includes/excludes of a JSON profile are evaluated against. */
struct seccomp_host {
	uint64_t caps;        /* the workload's effective set: bit n = cap n */
	uint32_t native_arch; /* SCMP_ARCH_*, the arch includes.arches name */
	unsigned kernel[3];   /* running kernel: major, minor, patch */
};

struct seccomp_arg {
	unsigned index; /* 0..5 */
	enum scmp_compare op;
	uint64_t value;     /* MASKED_EQ: the mask */
	uint64_t value_two; /* MASKED_EQ: the value after masking */
};

struct seccomp_rule {
	char *name;      /* as written; known to libseccomp */
	int nr;          /* libseccomp's number (negative: pseudo) */
	uint32_t action; /* libseccomp action, errno included */
	size_t n_args;   /* all must hold (AND), each on its own index */
	struct seccomp_arg args[SECCOMP_MAX_ARGS];
	const char *why; /* starter profile: why it is denied */
	char origin[96]; /* "syscalls[12].names[3]", for messages */
};

struct seccomp_profile {
	char *name;   /* "starter", or the file's base name */
	char *source; /* "embedded", or the path given */
	uint32_t default_action;
	/* Arches in the filter besides the native one (always there).
	 * Any other arch hits SCMP_FLTATR_ACT_BADARCH: KILL_PROCESS. */
	uint32_t arches[SECCOMP_MAX_ARCHES];
	size_t n_arches;
	int log_flag; /* "flags": ["SECCOMP_FILTER_FLAG_LOG"] */
	struct seccomp_rule *rules;
	size_t n_rules;
	size_t n_dropped; /* entries left out by includes/excludes */
	size_t n_default; /* rules equal to the default (no effect) */
};

/* Fills h for this machine: native arch, uname's kernel release, and
 * the capability set given. -1 if the release cannot be read. */
int seccomp_host_current(struct seccomp_host *h, uint64_t caps);

/* The embedded deny-list (one table in profile.c, README.md): default
 * allow; each listed call fails with EPERM (clone3 with ENOSYS, so libc
 * falls back to clone, whose namespace flags the filter can see); x86,
 * x32 added on x86_64. NULL only when out of memory. */
struct seccomp_profile *seccomp_profile_starter(void);

/* Parses a Docker/OCI seccomp profile. source names the file in every
 * message ("PATH: syscalls[12].names[3]: \"foo\" is not a known
 * syscall"). NULL on any error, with the message in err. */
struct seccomp_profile *seccomp_profile_parse_json(const char *text, size_t len,
                                                   const char *source,
                                                   const struct seccomp_host *h,
                                                   char *err, size_t errlen);

void seccomp_profile_free(struct seccomp_profile *p);

/* compile.c: the profile as a libseccomp filter, not loaded. Bad arch
 * action KILL_PROCESS; NNP and TSYNC left at libseccomp's defaults
 * (NNP on) for the caller to decide. NULL with the reason in err. */
scmp_filter_ctx seccomp_profile_compile(const struct seccomp_profile *p,
                                        char *err, size_t errlen);

/* The attributes of the WAL's sandbox.layer record for this layer. */
#define SECCOMP_SUMMARY_ATTRS 7
struct seccomp_summary {
	struct {
		const char *key;
		char value[128];
	} attr[SECCOMP_SUMMARY_ATTRS];
	size_t n;
};
void seccomp_profile_summarize(const struct seccomp_profile *p,
                               struct seccomp_summary *s);

/* "SCMP_ACT_ERRNO(1)" and the like, into buf. */
const char *seccomp_action_name(uint32_t action, char *buf, size_t len);
/* "x86_64", "x86", "x32", ...; "?" when unknown. */
const char *seccomp_arch_name(uint32_t arch);

#endif
