/* libFuzzer target for envelope_unpack(), the parser every helper runs
 * on bytes from another process. Built with -Dfuzz=true (clang):
 *   build/common/fuzz_envelope -max_len=4096 corpus/
 * Anything accepted must also pass envelope_check() and re-pack. */
#include <stdint.h>
#include <stdlib.h>

#include "envelope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	Envelope *env = envelope_unpack(data, size, err, sizeof(err));
	uint8_t *buf;
	size_t len;

	if (env == NULL)
		return 0;
	if (envelope_check(env, err, sizeof(err)) != 0)
		abort();
	if (envelope_pack(env, &buf, &len) == 0)
		free(buf);
	envelope_free(env);
	return 0;
}
