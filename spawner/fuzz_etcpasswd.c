/* libFuzzer target for etcpasswd.h: the input is "SPEC\nPASSWD\0GROUP"
 * (a missing part: that file absent). Built with -Dfuzz=true (clang):
 *   build-fuzz/spawner/fuzz_etcpasswd -max_total_time=300 */
#include <stdint.h>
#include <string.h>

#include "etcpasswd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *nl, *nul;
	char spec[ETCPASSWD_MAX_SPEC + 2];
	struct etcpasswd_ids ids;
	size_t n, line;

	if (size > 2 * ETCPASSWD_MAX_FILE)
		return 0;
	nl = memchr(p, '\n', size);
	n = nl ? (size_t)(nl - p) : size;
	if (n >= sizeof(spec))
		n = sizeof(spec) - 1;
	memcpy(spec, p, n);
	spec[n] = '\0';
	(void)etcpasswd_check_spec(spec);
	if (nl == NULL) {
		(void)etcpasswd_resolve(spec, NULL, 0, NULL, 0, &ids, &line);
		return 0;
	}
	p = nl + 1;
	size -= (size_t)(p - (const char *)data);
	nul = memchr(p, '\0', size);
	if (nul == NULL) {
		(void)etcpasswd_resolve(spec, p, size, NULL, 0, &ids, &line);
		return 0;
	}
	(void)etcpasswd_resolve(spec, p, (size_t)(nul - p), nul + 1,
	                        size - (size_t)(nul - p) - 1, &ids, &line);
	return 0;
}
