/* libFuzzer target for the seccomp profile parser and compiler: bytes
 * from a --seccomp-profile file. Parses, compiles, summarizes; never
 * loads. Built with -Dfuzz=true (clang):
 *   build/spawner/seccomp/fuzz_seccomp -max_len=65536 corpus/
 * Seed the corpus with tests/data/docker-seccomp-default.json. */
#include <stddef.h>
#include <stdint.h>

#include "profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Fixed host facts so a crash reproduces anywhere; the first byte
	 * picks the capability set (none, or everything) and the kernel. */
	struct seccomp_host h = {
	    .caps = size > 0 && (data[0] & 1) ? ~0ULL : 0,
	    .native_arch = SCMP_ARCH_X86_64,
	    .kernel = {size > 0 && (data[0] & 2) ? 6u : 4u, 8, 0},
	};
	struct seccomp_profile *p;
	struct seccomp_summary s;
	scmp_filter_ctx ctx;
	char err[512];

	p = seccomp_profile_parse_json((const char *)data, size, "fuzz.json",
	                               &h, err, sizeof(err));
	if (p == NULL)
		return 0;
	seccomp_profile_summarize(p, &s);
	ctx = seccomp_profile_compile(p, err, sizeof(err));
	if (ctx != NULL)
		seccomp_release(ctx);
	seccomp_profile_free(p);
	return 0;
}
